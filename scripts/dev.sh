#!/usr/bin/env bash
# Run Tributary locally: install what is missing, start anvil, deploy the suite, print the
# addresses, and keep the chain running until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scripts/install.sh
say "forge build (contracts and deploy script)"
forge build -q --skip test
say "starting anvil"
start_anvil
trap 'say "stopping anvil"; kill "$ANVIL_PID" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
say "deploying the suite"
file="$(DEPLOYER_KEY=$ANVIL_KEY scripts/deploy.sh "$RPC_URL")"
echo
echo "chain:      $RPC_URL (anvil, chain id $(cast chain-id --rpc-url "$RPC_URL"))"
echo "deployment: $file"
cat "$file"
echo
echo "anvil's default accounts are funded; press Ctrl-C to stop."
wait "$ANVIL_PID"
