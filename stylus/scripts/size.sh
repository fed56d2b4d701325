#!/usr/bin/env bash
# Build each Stylus contract for wasm32-unknown-unknown in release (the workspace's size
# profile), shrink it with binaryen's wasm-opt -Oz, compress it with brotli as Arbitrum does
# (quality 11, window 22), print the sizes, and fail if any contract is above Arbitrum's
# activation limit of 24 KiB compressed. Above the 16 KiB target is reported, not failed.
#   stylus/scripts/size.sh            all contracts
#   stylus/scripts/size.sh splits     one
# Shrunk wasm is left in stylus/target/stylus/<contract>.wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

LIMIT=24576 # bytes, Arbitrum's limit on a program's compressed size
TARGET=16384
# The wasm features Arbitrum's validator accepts. Rust's wasm32 target enables more by default
# (reference-types, multivalue); validating with only these fails the check if code uses them.
FEATURES=(--mvp-features --enable-sign-ext --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int)

contracts=("$@")
[ ${#contracts[@]} -gt 0 ] || contracts=(credits licences registry splits streams)

for tool in wasm-opt brotli; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing: run scripts/install.sh" >&2; exit 1; }
done

packages=()
for contract in "${contracts[@]}"; do packages+=(-p "tributary-stylus-$contract"); done
cargo build -q --release --target wasm32-unknown-unknown --lib "${packages[@]}"

out="$CARGO_TARGET_DIR/stylus"
mkdir -p "$out"
failed=0
printf '%-10s %10s %10s %10s\n' contract raw wasm-opt brotli
for contract in "${contracts[@]}"; do
    built="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/tributary_stylus_${contract//-/_}.wasm"
    wasm-opt -Oz "${FEATURES[@]}" -o "$out/$contract.wasm" "$built"
    brotli -f -q 11 -w 22 -o "$out/$contract.wasm.br" "$out/$contract.wasm"
    raw=$(stat -c %s "$built")
    opt=$(stat -c %s "$out/$contract.wasm")
    compressed=$(stat -c %s "$out/$contract.wasm.br")
    note=""
    if [ "$compressed" -gt "$LIMIT" ]; then
        note="  ABOVE THE 24 KiB LIMIT"
        failed=1
    elif [ "$compressed" -gt "$TARGET" ]; then
        note="  (above the 16 KiB target)"
    fi
    printf '%-10s %10d %10d %10d%s\n' "$contract" "$raw" "$opt" "$compressed" "$note"
done
exit "$failed"
