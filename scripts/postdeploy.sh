#!/usr/bin/env bash
# azd postdeploy hook: subscribe each blob-triggered function to the lake's Event Grid system topic.
# Flex Consumption blob triggers use the Event Grid source; the webhook needs the host's
# blobs_extension system key, which exists only after the deployed code registered its blob
# triggers, so this cannot live in Bicep. Idempotent: existing subscriptions are left alone
# (Event Grid cannot change a webhook URL; delete the subscription to recreate it).
set -euo pipefail

if [ -z "${AZURE_FUNCTION_APP_NAME:-}" ] && command -v azd >/dev/null 2>&1; then
  eval "$(azd env get-values)"
fi
: "${AZURE_RESOURCE_GROUP:?not set: run azd provision first}"
: "${AZURE_FUNCTION_APP_NAME:?not set: run azd provision first}"
: "${AZURE_EVENTGRID_TOPIC_NAME:?not set: run azd provision first}"

# function name -> source container (function_app.py blob_trigger paths; tests/infra checks they agree)
SUBSCRIPTIONS="accept_upload:upload curate_raw:raw"

HOST_NAME=$(az functionapp show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
  --query defaultHostName -o tsv)

# The host creates the key when it first indexes the blob triggers: wait for it (up to 5 minutes).
KEY=""
for _ in $(seq 1 30); do
  KEY=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
  [ -n "$KEY" ] && break
  echo "postdeploy: waiting for the blobs_extension key..."
  sleep 10
done
if [ -z "$KEY" ]; then
  echo "postdeploy: no blobs_extension key on $AZURE_FUNCTION_APP_NAME; did the deployment index its functions?" >&2
  exit 1
fi

for pair in $SUBSCRIPTIONS; do
  function_name=${pair%%:*}
  container=${pair#*:}
  subscription_name=$(echo "$function_name" | tr '_' '-')
  if az eventgrid system-topic event-subscription show -g "$AZURE_RESOURCE_GROUP" \
    --system-topic-name "$AZURE_EVENTGRID_TOPIC_NAME" -n "$subscription_name" >/dev/null 2>&1; then
    echo "postdeploy: event subscription $subscription_name exists, skipped"
    continue
  fi
  echo "postdeploy: subscribing $function_name to BlobCreated in $container/"
  # Committed writes only: one event per blob (DFS uploads emit CreateFile, then FlushWithClose).
  az eventgrid system-topic event-subscription create -g "$AZURE_RESOURCE_GROUP" \
    --system-topic-name "$AZURE_EVENTGRID_TOPIC_NAME" -n "$subscription_name" \
    --endpoint-type webhook \
    --endpoint "https://$HOST_NAME/runtime/webhooks/blobs?functionName=Host.Functions.$function_name&code=$KEY" \
    --included-event-types Microsoft.Storage.BlobCreated \
    --subject-begins-with "/blobServices/default/containers/$container/" \
    --advanced-filter data.api StringIn PutBlob PutBlockList CopyBlob FlushWithClose \
    --output none
done
echo "postdeploy: Event Grid subscriptions ready"
