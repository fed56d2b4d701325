#!/usr/bin/env bash
# Gas of Tributary beside its peers (EAS, OpenZeppelin 4.9 PaymentSplitter, an OpenZeppelin 5
# ERC-721), measured in one run, each operation as its own transaction (`forge test --isolate`).
# Writes snapshots/GasBench.json and docs/gas.md.
#   bench/gas/run.sh           measure and rewrite both files
#   bench/gas/run.sh --check   measure and fail if any figure differs from the committed one
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
if [ "${1:-}" = "--check" ]; then
    export FORGE_SNAPSHOT_CHECK=true
fi
FOUNDRY_PROFILE=gas forge test --isolate -q
python3 bench/gas/report.py snapshots/GasBench.json docs/gas.md
