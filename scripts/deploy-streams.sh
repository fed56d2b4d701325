#!/usr/bin/env bash
# Deploy Superfluid's whole test framework, a pure Super Token and TributaryStreams next to an
# existing suite on a development chain (anvil), and record them in its deployment file.
#   scripts/deploy-streams.sh <rpc-url> [deployment-file]   (DEPLOYER_KEY from the environment)
# The deployment file defaults to deployments/<chainId>.json, as scripts/deploy.sh writes it; its
# `tributary` is the suite. Its other fields are kept; a `streams` object is added (or replaced):
#   {"tributaryStreams", "host", "cfaV1Forwarder", "gdaV1Forwarder", "superTokenFactory",
#    "superToken", "superTokenAllowed", "blockNumber"}
# Optional environment: SUPPLY (the Super Token's supply in wei, to the deployer, default 1e30),
# TOKEN_NAME, TOKEN_SYMBOL. If the deployer is the suite's admin, the Super Token is allow-listed.
# Needs anvil (or any node with `anvil_setCode`): the ERC-1820 registry Superfluid requires is put
# in place with it, at its canonical address. See docs/streaming.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rpc="${1:?usage: scripts/deploy-streams.sh <rpc-url> [deployment-file]}"
[ -n "${DEPLOYER_KEY:-}" ] || die "set DEPLOYER_KEY to the deployer's private key (never commit it)"
cd "$ROOT"
chain_id="$(cast chain-id --rpc-url "$rpc")"
file="${2:-$ROOT/deployments/$chain_id.json}"
[ -f "$file" ] || die "no deployment file at $file: deploy the suite first (scripts/deploy.sh $rpc)"
tributary="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tributary"])' "$file")" ||
    die "$file names no tributary"

# ERC-1820 registry: its runtime code, from Superfluid's own copy, at its canonical address.
registry=node_modules/@superfluid-finance/ethereum-contracts/contracts/libs/ERC1820RegistryCompiled.sol
erc1820_address="$(grep -o 'ADDRESS = address(0x[0-9a-fA-F]*)' "$registry" | grep -o '0x[0-9a-fA-F]*')"
erc1820_code="0x$(grep -o 'BYTECODE = bytes(hex"[0-9a-fA-F]*")' "$registry" | sed 's/.*hex"\([0-9a-fA-F]*\)".*/\1/')"
[ "${#erc1820_code}" -gt 100 ] || die "cannot read the ERC-1820 bytecode from $registry"
if [ "$(cast code "$erc1820_address" --rpc-url "$rpc")" = "0x" ]; then
    cast rpc anvil_setCode "$erc1820_address" "$erc1820_code" --rpc-url "$rpc" >/dev/null ||
        die "the node refused anvil_setCode: this script is for anvil"
fi

block="$(cast block-number --rpc-url "$rpc")"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
TRIBUTARY="$tributary" FOUNDRY_PROFILE=streams forge script test/streams/DeployStreams.s.sol:DeployStreams \
    --rpc-url "$rpc" --broadcast --slow --disable-code-size-limit --json >"$out" 2>"$out.err" || {
    cat "$out.err" "$out" >&2
    rm -f "$out.err"
    die "the streams deployment failed"
}
rm -f "$out.err"
python3 - "$out" "$file" "$block" <<'EOF'
import json, sys

out, path, block = sys.argv[1], sys.argv[2], int(sys.argv[3])
returns = None
for line in open(out):
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        report = json.loads(line)
    except ValueError:
        continue
    if isinstance(report, dict) and "returns" in report:
        returns = report["returns"]
if returns is None:
    sys.exit("error: forge script printed no return value")
value = returns["out"]["value"]
# A struct comes back as "(0x…, 0x…, …, true)".
fields = [v.strip() for v in value.strip("()").split(",")]
names = ["host", "cfaV1Forwarder", "gdaV1Forwarder", "superTokenFactory", "superToken",
         "tributaryStreams", "superTokenAllowed"]
if len(fields) != len(names):
    sys.exit(f"error: unexpected return value {value!r}")
streams = dict(zip(names, fields))
streams["superTokenAllowed"] = streams["superTokenAllowed"] == "true"
streams["blockNumber"] = block
deployment = json.load(open(path))
deployment["streams"] = streams
with open(path, "w") as f:
    json.dump(deployment, f, indent=2)
    f.write("\n")
EOF
echo "$file"
