#!/usr/bin/env bash
# Run a command with Azurite (from ./node_modules) listening on free loopback ports, then stop it.
# Exports AZURITE_CONNECTION_STRING for the command; Azurite's data lives in a throwaway folder.
set -euo pipefail
cd "$(dirname "$0")/.."
AZURITE=./node_modules/.bin/azurite
[ -x "$AZURITE" ] || { echo "Azurite is not installed: run 'npm ci' (make test does)." >&2; exit 1; }

read -r BLOB_PORT QUEUE_PORT TABLE_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
DATA=$(mktemp -d "${TMPDIR:-/tmp}/azurite.XXXXXX")
"$AZURITE" --silent --skipApiVersionCheck --disableTelemetry --loose --location "$DATA" \
  --blobHost 127.0.0.1 --blobPort "$BLOB_PORT" --queueHost 127.0.0.1 --queuePort "$QUEUE_PORT" \
  --tableHost 127.0.0.1 --tablePort "$TABLE_PORT" >"$DATA/azurite.log" 2>&1 &
AZURITE_PID=$!
cleanup() { kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

for _ in $(seq 1 100); do
  (echo >/dev/tcp/127.0.0.1/"$BLOB_PORT") 2>/dev/null && (echo >/dev/tcp/127.0.0.1/"$QUEUE_PORT") 2>/dev/null && break
  kill -0 "$AZURITE_PID" 2>/dev/null || { cat "$DATA/azurite.log" >&2; echo "Azurite failed to start." >&2; exit 1; }
  sleep 0.1
done

# The emulator's well-known development account (public, documented; not a secret).
KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AZURITE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$BLOB_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/devstoreaccount1;TableEndpoint=http://127.0.0.1:$TABLE_PORT/devstoreaccount1;"
echo "Azurite on 127.0.0.1 (blob $BLOB_PORT, queue $QUEUE_PORT)"
"$@"
