#!/usr/bin/env bash
# Benchmarks tributary-core's streaming SHA-256 against `openssl dgst -sha256`
# and coreutils `sha256sum`, on the same generated files in one run:
#   - one large file (default 1 GiB), single-threaded;
#   - a tree of many files (default 2,000 files, 1 GiB in all), on 1 thread
#     and on 2 threads, next to the other tools run over the same files.
# Every command runs under /usr/bin/time -v (peak RSS) with a nanosecond clock
# around it; the cases run round-robin RUNS times and each keeps its fastest
# run, since the machine may be shared. The load average is printed with the
# results: the 2-thread figure means little if another process held a core.
# Files are read once before timing so every tool reads from the page cache:
# this measures hashing, not the disk.
#
# Usage: bench/hash/run.sh   (env: BENCH_DIR, SIZE_MIB=1024, FILES=2000, RUNS=5)
# Prints a markdown table and checks the targets: large file >= 0.9x openssl,
# tree on 2 threads >= 1.7x our 1-thread figure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
size_mib=${SIZE_MIB:-1024}
files=${FILES:-2000}
runs=${RUNS:-5}
work=${BENCH_DIR:-$(mktemp -d /tmp/tributary-hash-bench.XXXXXX)}
trap 'if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$work"; fi' EXIT

for tool in openssl sha256sum /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install.sh" >&2; exit 1; }
done

echo "building the example (release, -j 2)..." >&2
cargo build --quiet --release -j 2 --manifest-path "$repo/Cargo.toml" -p tributary-core --example hash
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
ours="$target_dir/release/examples/hash"

large="$work/large.bin"
tree="$work/tree"
# shellcheck source=bench/lib/data.sh
source "$repo/bench/lib/data.sh"
make_large "$large" "$size_mib"
make_tree "$large" "$tree" "$files"
tree_size() { find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
cat "$large" >/dev/null
find "$tree" -type f -print0 | xargs -0 cat >/dev/null
tree_bytes=$(tree_size)

# Sanity: all tools agree on the large file.
want=$(sha256sum "$large" | cut -d' ' -f1)
[ "$("$ours" "$large" | cut -d' ' -f1)" = "$want" ] || { echo "our digest differs from sha256sum" >&2; exit 1; }
[ "$(openssl dgst -sha256 -r "$large" | cut -d' ' -f1)" = "$want" ] || { echo "openssl differs" >&2; exit 1; }
# ... and on the tree (same order: ours sorts by path, so sort the others).
diff <("$ours" --threads 2 "$tree" | sort -k2) <(find "$tree" -type f -print0 | xargs -0 sha256sum | sort -k2) >/dev/null ||
  { echo "tree digests differ from sha256sum" >&2; exit 1; }

# Each case is a name, the bytes it hashes and a command (argv, no shell of
# ours around it, so peak RSS is the tool's own). Cases run round-robin, RUNS
# rounds, keeping each case's fastest wall time (nanosecond clock; time -v
# only reports hundredths) and highest peak RSS: a burst of load from someone
# else on the machine then hits every tool alike instead of one of them.
names=() bytes=() cmds=()
add_case() { names+=("$1"); bytes+=("$2"); shift 2; cmds+=("$(printf '%q ' "$@")"); }
add_case "large: tributary (1 thread)" $((size_mib << 20)) "$ours" --threads 1 "$large"
add_case "large: openssl dgst -sha256" $((size_mib << 20)) openssl dgst -sha256 "$large"
add_case "large: sha256sum" $((size_mib << 20)) sha256sum "$large"
add_case "tree: tributary (1 thread)" "$tree_bytes" "$ours" --threads 1 "$tree"
add_case "tree: tributary (2 threads)" "$tree_bytes" "$ours" --threads 2 "$tree"
# xargs hands each tool as many files per process as fit on a command line.
add_case "tree: openssl dgst -sha256 (xargs)" "$tree_bytes" xargs -0 -a "$work/tree.list" openssl dgst -sha256
add_case "tree: sha256sum (xargs)" "$tree_bytes" xargs -0 -a "$work/tree.list" sha256sum
add_case "tree: sha256sum (xargs -P 2)" "$tree_bytes" xargs -0 -a "$work/tree.list" -P 2 -n 100 sha256sum
find "$tree" -type f -print0 | sort -z >"$work/tree.list"

best=() rss=()
echo "timing: $runs rounds of ${#names[@]} cases; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$runs"); do
  for i in "${!names[@]}"; do
    eval "set -- ${cmds[$i]}"
    start=$(date +%s%N)
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null
    end=$(date +%s%N)
    wall=$(awk -v ns=$((end - start)) 'BEGIN {printf "%.4f", ns / 1e9}')
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    if [ -z "${best[$i]:-}" ] || awk -v a="$wall" -v b="${best[$i]}" 'BEGIN {exit !(a < b)}'; then best[$i]=$wall; fi
    [ "$kb" -gt "${rss[$i]:-0}" ] && rss[$i]=$kb
  done
  echo "  round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
results=()
for i in "${!names[@]}"; do results+=("${names[$i]}|${bytes[$i]}|${best[$i]}|${rss[$i]}"); done

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
sha_ni=$(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)
echo
echo "SHA-256 throughput, $(nproc) cores ($cpu, SHA-NI: $sha_ni); large file $size_mib MiB, tree $files files / $((tree_bytes >> 20)) MiB; best of $runs rounds; page cache warm; load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| case | seconds | MiB/s | ratio | peak RSS (MiB) |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${results[@]}" | awk -F'|' '
  { name[NR] = $1; mibs[NR] = ($2 / 1048576) / $3; secs[NR] = $3; rss[NR] = $4 / 1024
    if ($1 ~ /^large: openssl/) base_large = mibs[NR]
    if ($1 ~ /^tree: tributary \(1 thread\)/) base_tree = mibs[NR] }
  END {
    for (i = 1; i <= NR; i++) {
      base = (name[i] ~ /^large/) ? base_large : base_tree
      printf "| %s | %.3f | %.0f | %.2fx | %.1f |\n", name[i], secs[i], mibs[i], mibs[i] / base, rss[i]
    }
    print ""
    print "Ratios: large-file rows against openssl, tree rows against tributary on 1 thread."
    for (i = 1; i <= NR; i++) {
      if (name[i] ~ /^large: tributary/) { r = mibs[i] / base_large; t = 0.9 }
      else if (name[i] ~ /^tree: tributary \(2/) { r = mibs[i] / base_tree; t = 1.7 }
      else continue
      printf "- target %s >= %.1fx: %.2fx %s\n", name[i], t, r, (r >= t ? "PASS" : "FAIL")
    }
  }'
