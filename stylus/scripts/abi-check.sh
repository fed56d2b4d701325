#!/usr/bin/env bash
# ABI equality: export each Stylus contract's ABI with the SDK's `export-abi` feature and
# compare it with its share of the Solidity build's ABI (abi/ITributary.json, abi/ITributaryStreams.json and
# abi/TributaryInherited.json, as stylus/suite.json assigns them): the same function selectors
# and state mutability, event topics and error selectors, plus only the documented
# suite-internal additions. Fails on any difference.
#   stylus/scripts/abi-check.sh            all contracts
#   stylus/scripts/abi-check.sh splits     one
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

contracts=("$@")
[ ${#contracts[@]} -gt 0 ] || contracts=(credits licences registry splits streams)

exported="$(mktemp -d)"
trap 'rm -rf "$exported"' EXIT
# One build for all checks: export-abi is a native build of its own (no stylus-test, no wasm).
packages=(-p tributary-stylus-abicheck)
for contract in "${contracts[@]}"; do packages+=(-p "tributary-stylus-$contract"); done
cargo build -q --features export-abi "${packages[@]}" --bins

failed=0
for contract in "${contracts[@]}"; do
    "$CARGO_TARGET_DIR/debug/tributary-stylus-$contract-abi" >"$exported/$contract.sol"
    "$CARGO_TARGET_DIR/debug/tributary-stylus-abicheck" "$contract" "$exported/$contract.sol" || failed=1
done
exit "$failed"
