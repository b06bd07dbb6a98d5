#!/usr/bin/env bash
# azd postprovision hook: create the function identity's database user in the Synapse pool.
# Bicep cannot run T-SQL, and only an Entra admin (the deploying user, see infra/app/synapse.bicep)
# can create users for Entra principals. Runs go-sqlcmd when available, else prints the command.
# Never fails `azd up`: without the user only the load step fails, and this can be re-run with
#   azd hooks run postprovision
set -euo pipefail
cd "$(dirname "$0")/.."

# azd passes the environment's values to hooks; when run by hand, read them from azd.
if [ -z "${SYNAPSE_SERVER:-}" ] && command -v azd >/dev/null 2>&1; then
  eval "$(azd env get-values)"
fi
: "${SYNAPSE_SERVER:?not set: run azd provision first}"
: "${SYNAPSE_DATABASE:?not set: run azd provision first}"
: "${AZURE_FUNCTION_IDENTITY_NAME:?not set: run azd provision first}"

SQL_FILE=scripts/sql/create_function_user.sql
COMMAND=(sqlcmd -S "$SYNAPSE_SERVER" -d "$SYNAPSE_DATABASE" --authentication-method ActiveDirectoryDefault
  -b -v "FUNCTION_IDENTITY_NAME=$AZURE_FUNCTION_IDENTITY_NAME" -i "$SQL_FILE")

print_manual_steps() {
  echo "Run this as the Synapse Entra admin (go-sqlcmd: https://aka.ms/go-sqlcmd) from an allowed IP"
  echo "(azd env set CLIENT_IP_ADDRESS <your ip> && azd provision adds a firewall rule):"
  printf '  %q' "${COMMAND[@]}"
  echo
}

# go-sqlcmd has --authentication-method; the legacy ODBC sqlcmd does not.
if ! command -v sqlcmd >/dev/null 2>&1 || ! sqlcmd --help 2>&1 | grep -q -- '--authentication-method'; then
  echo "postprovision: go-sqlcmd not found; the function's database user was NOT created."
  print_manual_steps
  exit 0
fi

echo "postprovision: creating database user [$AZURE_FUNCTION_IDENTITY_NAME] in $SYNAPSE_DATABASE"
if ! "${COMMAND[@]}"; then
  echo "postprovision: WARNING: creating the database user failed (firewall? pool paused?)." >&2
  print_manual_steps >&2
fi
