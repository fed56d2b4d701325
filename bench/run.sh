#!/usr/bin/env bash
# Every benchmark of the project with one command, each beside its peer measured in the same
# run, and docs/bench.md rewritten from what they printed: each bench's own section, then the
# summary table at the top (our figure, the peer's, the ratio, the machine).
#
#   bench/run.sh                 gas, stylus, hash, cli, indexer, relayer (the indexer's alone
#                                takes about half an hour the first time: it generates its chain)
#   bench/run.sh hash cli        only those; the other sections keep their last figures
#
# Benches: gas (bench/gas/run.sh: also docs/gas.md), stylus (stylus/scripts/size.sh beside the
# Solidity build's bytecode), hash (bench/hash/run.sh), cli (bench/cli/run.sh), indexer
# (bench/indexer/run.sh, which rewrites its own section), relayer (bench/relayer/run.sh). Each
# runs alone, one after the other: run it on a quiet machine, and read ratios rather than
# absolute times when it is not.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

all=(gas stylus hash cli indexer relayer)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${all[@]}")
for name in "${wanted[@]}"; do
    [[ " ${all[*]} " == *" $name "* ]] || die "unknown bench '$name' (known: ${all[*]})"
done

docs="$ROOT/docs/bench.md"
work="$(mktemp -d /tmp/tributary-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs' || echo '+changes')"
machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"

# section <heading> <file>: the bench's markdown as the body of <heading> in docs/bench.md,
# under a line saying when, where and at which commit it ran.
section() {
    {
        echo "Run by \`bench/run.sh\` on $(date -u +%Y-%m-%d) at commit $commit; $machine; load average before: $2."
        echo
        cat "$3"
    } | python3 bench/lib/sections.py "$docs" "$1"
}

for name in "${wanted[@]}"; do
    load="$(cut -d' ' -f1-3 /proc/loadavg)"
    say "bench: $name (load average $load)"
    case "$name" in
    gas)
        bench/gas/run.sh >"$work/gas.log"
        python3 bench/summary.py gas snapshots/GasBench.json >"$work/gas.md"
        section "## Gas (summary; the full table is docs/gas.md)" "$load" "$work/gas.md"
        ;;
    stylus)
        stylus/scripts/size.sh >"$work/stylus.txt"
        forge build --sizes --skip script --skip test --json 2>/dev/null >"$work/solidity.json"
        python3 bench/summary.py stylus "$work/stylus.txt" "$work/solidity.json" >"$work/stylus.md"
        section "## Deployed size (stylus/scripts/size.sh, forge build --sizes)" "$load" "$work/stylus.md"
        ;;
    hash)
        bench/hash/run.sh >"$work/hash.md"
        section "## SHA-256 (bench/hash/run.sh)" "$load" "$work/hash.md"
        ;;
    cli)
        bench/cli/run.sh >"$work/cli.md"
        section "## The CLI end to end (bench/cli/run.sh)" "$load" "$work/cli.md"
        ;;
    indexer)
        bench/indexer/run.sh # rewrites "## Indexer (bench/indexer/run.sh)" itself
        ;;
    relayer)
        bench/relayer/run.sh >"$work/relayer.md"
        section "## Relayer (bench/relayer/run.sh)" "$load" "$work/relayer.md"
        ;;
    esac
done

python3 bench/summary.py table "$docs" snapshots/GasBench.json "$machine" >"$work/summary.md"
python3 bench/lib/sections.py "$docs" "## Summary" <"$work/summary.md"
say "docs/bench.md rewritten: $(IFS=,; echo "${wanted[*]}")"
