#!/usr/bin/env bash
# Every check of the Stylus workspace, as scripts/test.sh runs it: format, clippy, native tests,
# ABI equality with the Solidity build, and the wasm size limit. One target dir, stylus/target.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="$PWD/target"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
say() { printf '\033[1m==> %s\033[0m (%ds)\n' "$*" "$SECONDS" >&2; }

say "stylus: format"
cargo fmt --all --check
say "stylus: clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
say "stylus: native tests (contracts run through their routers on the test chain)"
cargo test --workspace -q
say "stylus: ABI equality with abi/ITributary.json and abi/ITributaryStreams.json"
scripts/abi-check.sh
say "stylus: wasm size (Arbitrum's 24 KiB compressed limit)"
scripts/size.sh
say "stylus: all checks passed"
