#!/usr/bin/env bash
# Export the contract ABI and deployable bytecode that the Rust bindings are generated from.
#   scripts/abi.sh           write abi/ from what forge compiles now
#   scripts/abi.sh --check   fail if the committed abi/ differs from what forge compiles now
# Files (see abi/README.md):
#   abi/ITributary.json          `forge inspect ITributary abi --json`: the interfaces, the source of truth
#   abi/TributaryInherited.json  what the deployable `Tributary` adds to it (OpenZeppelin, Solady)
#                                (constructor, ERC-721, AccessControl, pause, EIP-5267, errors)
#   abi/Tributary.bin            `forge inspect Tributary bytecode`: creation bytecode, for deploying
#   abi/ITributaryStreams.json   `forge inspect ITributaryStreams abi --json`: Superfluid subscriptions
#   abi/TributaryStreams.bin     `forge inspect TributaryStreams bytecode` (constructor: suite, GDAv1Forwarder)
#   abi/testing/MockERC20.bin    creation bytecode of test/mocks/Tokens.sol:MockERC20, so the Rust
#                                end-to-end tests pay in a real ERC-20 on anvil
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

check=false
case "${1:-}" in
    "") ;;
    --check) check=true ;;
    *) die "usage: scripts/abi.sh [--check]" ;;
esac
command -v forge >/dev/null || die "forge is missing: run scripts/install.sh"

fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT

forge inspect ITributary abi --json >"$fresh/ITributary.json"
forge inspect Tributary abi --json >"$fresh/Tributary.full.json"
forge inspect Tributary bytecode >"$fresh/Tributary.bin"
# The deployable's ABI minus every entry already in ITributary (same kind, name and input types).
node - "$fresh/ITributary.json" "$fresh/Tributary.full.json" >"$fresh/TributaryInherited.json" <<'EOF'
const fs = require('fs');
const [iface, full] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const key = (e) => `${e.type} ${e.name ?? ''}(${(e.inputs ?? []).map((i) => i.type).join(',')})`;
const known = new Set(iface.map(key));
process.stdout.write(JSON.stringify(full.filter((e) => !known.has(key(e))), null, 2) + '\n');
EOF
rm "$fresh/Tributary.full.json"
forge inspect ITributaryStreams abi --json >"$fresh/ITributaryStreams.json"
forge inspect TributaryStreams bytecode >"$fresh/TributaryStreams.bin"
mkdir -p "$fresh/testing"
forge inspect MockERC20 bytecode >"$fresh/testing/MockERC20.bin"
for bin in Tributary.bin TributaryStreams.bin testing/MockERC20.bin; do
    grep -q '^0x[0-9a-f]\+$' "$fresh/$bin" || die "forge printed no bytecode for $bin"
done

files=(ITributary.json TributaryInherited.json Tributary.bin ITributaryStreams.json TributaryStreams.bin testing/MockERC20.bin)
if $check; then
    stale=()
    for f in "${files[@]}"; do
        cmp -s "$fresh/$f" "abi/$f" || stale+=("abi/$f")
    done
    [ ${#stale[@]} -eq 0 ] || die "stale: ${stale[*]} (run scripts/abi.sh and commit abi/)"
    echo "abi/ matches the contracts" >&2
else
    mkdir -p abi/testing
    for f in "${files[@]}"; do cp "$fresh/$f" "abi/$f"; done
    echo "wrote ${files[*]/#/abi/}" >&2
fi
