#!/usr/bin/env bash
# Every test of the project, as CI runs it (.ci/run calls exactly this after scripts/install.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# Two cores: keep cargo to two jobs and one target dir.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# A one-shot run gains nothing from incremental caches, which are large on disk.
if [[ "${CI:-}" == "true" ]]; then export CARGO_INCREMENTAL=0; fi

say "contracts: format"
forge fmt --check contracts test bench scripts/deploy
say "contracts: build and size limit (EIP-170; scripts and tests embed creation code and are not deployed)"
forge build --sizes --skip script --skip test >/dev/null
say "contracts: exported ABI and bytecode (abi/) match the sources"
scripts/abi.sh --check
# `forge snapshot --check` runs every test once and fails on a failing test or a changed gas
# figure, so a separate `forge test` would only run the suite twice.
say "contracts: unit, fuzz and invariant tests, against the committed gas snapshot"
forge snapshot --check
say "contracts: Superfluid streaming against the deployed framework (profile streams, each call its own transaction; gas in snapshots/StreamsGas.json)"
FORGE_SNAPSHOT_CHECK=true FOUNDRY_PROFILE=streams forge test --isolate -q
say "contracts: gas beside the peers"
bench/gas/run.sh --check >/dev/null
say "contracts: deploy script against a fresh anvil"
scripts/test-deploy.sh

say "rust: format"
cargo fmt --all --check
say "rust: clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
say "rust: tests"
cargo test --workspace -q
say "rust: indexer on the embedded PostgreSQL (feature embedded-db; pglite-oxide compiles for minutes the first time)"
cargo test -p tributary-indexer --features embedded-db --test embedded -q

# The Stylus build: its own workspace and target dir (stylus/target), see docs/stylus.md.
stylus/scripts/test.sh
say "all tests passed"
