#!/usr/bin/env bash
# Deploy the Tributary suite to an RPC URL and write deployments/<chainId>.json.
#   scripts/deploy.sh <rpc-url>        (DEPLOYER_KEY from the environment)
# Optional environment: ADMIN, TREASURY, RELAYER, PAUSER, FEE_BPS (see scripts/deploy/Deploy.s.sol).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rpc="${1:?usage: scripts/deploy.sh <rpc-url>}"
[ -n "${DEPLOYER_KEY:-}" ] || die "set DEPLOYER_KEY to the deployer's private key (never commit it)"
mkdir -p "$ROOT/deployments"
cd "$ROOT"
forge script scripts/deploy/Deploy.s.sol:Deploy --skip test --rpc-url "$rpc" --broadcast --slow -q >/dev/null
chain_id="$(cast chain-id --rpc-url "$rpc")"
echo "$ROOT/deployments/$chain_id.json"
