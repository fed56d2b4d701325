#!/usr/bin/env bash
# Deploy the suite to a fresh anvil with scripts/deploy.sh and check the deployed contract
# answers as configured. Fails loudly if anvil cannot start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start_anvil
trap 'kill "$ANVIL_PID" 2>/dev/null || true' EXIT

relayer=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
treasury=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
file="$(DEPLOYER_KEY=$ANVIL_KEY RELAYER=$relayer TREASURY=$treasury FEE_BPS=300 scripts/deploy.sh "$RPC_URL")"
chain_id="$(cast chain-id --rpc-url "$RPC_URL")"
[ "$file" = "$ROOT/deployments/$chain_id.json" ] || die "deployment file: got $file"
addr="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tributary"])' "$file")"

check() { # check <what> <got> <want>
    [ "$2" = "$3" ] || die "$1: got '$2', want '$3'"
    echo "ok  $1"
}
[ "$(cast code "$addr" --rpc-url "$RPC_URL")" != "0x" ] || die "no code at $addr"
check "datasetCount" "$(cast call "$addr" 'datasetCount()(uint256)' --rpc-url "$RPC_URL")" "0"
fee="$(cast call "$addr" 'protocolFee()(uint16,address)' --rpc-url "$RPC_URL" | tr '\n' ' ')"
check "protocolFee" "$fee" "300 $treasury "
role="$(cast call "$addr" 'RELAYER_ROLE()(bytes32)' --rpc-url "$RPC_URL")"
check "relayer has RELAYER_ROLE" "$(cast call "$addr" 'hasRole(bytes32,address)(bool)' "$role" "$relayer" --rpc-url "$RPC_URL")" "true"
check "name" "$(cast call "$addr" 'name()(string)' --rpc-url "$RPC_URL")" '"Tributary Licence"'
rm -f "$file"
echo "deploy script: ok ($addr on chain $chain_id)"
