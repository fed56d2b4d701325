#!/usr/bin/env bash
# The `tributary` CLI end to end against a local anvil, timed step by step, beside
# the plain tools doing the I/O floor of the same work in the same run:
#   publish  = hash the tree (sha256 + CID), encrypt it, store the ciphertext, sign, anchor
#   fetch    = read the ciphertext back, decrypt, re-hash every file
#   verify   = read the anchor and signer from the chain, re-hash the folder
#   buy, licences, claim = chain round trips only
# Peers on the same files: `sha256sum` over the tree (one hashing pass) and
# `openssl enc -chacha20` of the tree to /dev/null (one encryption pass).
# Each case keeps its fastest of RUNS runs (publish runs once per round on a
# fresh home, so it anchors a new dataset each time).
#
# Usage: bench/cli/run.sh   (env: BENCH_DIR, SIZE_MIB=256, FILES=200, RUNS=3)
# Prints a markdown table.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
size_mib=${SIZE_MIB:-256}
files=${FILES:-200}
runs=${RUNS:-3}
work=${BENCH_DIR:-$(mktemp -d /tmp/tributary-cli-bench.XXXXXX)}
anvil_pid=
cleanup() {
  [ -n "$anvil_pid" ] && kill "$anvil_pid" 2>/dev/null || true
  if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"
# shellcheck source=bench/lib/data.sh
source "$repo/bench/lib/data.sh"
for tool in anvil cast openssl sha256sum python3; do
  command -v "$tool" >/dev/null || die "missing $tool: run scripts/install.sh"
done

echo "building tributary (release, -j 2)..." >&2
cargo build --quiet --release -j 2 --manifest-path "$repo/Cargo.toml" -p tributary-cli
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
tributary="$target_dir/release/tributary"

make_large "$work/large.bin" "$size_mib"
tree="$work/tree"
make_tree "$work/large.bin" "$tree" "$files"
find "$tree" -type f -print0 | sort -z >"$work/tree.list"
find "$tree" -type f -print0 | xargs -0 cat >/dev/null

start_anvil
anvil_pid=$ANVIL_PID
# Deploy from the committed bytecode: admin and treasury are anvil's account 0, fee 2.5 %.
admin=$(cast wallet address --private-key "$ANVIL_KEY")
args=$(cast abi-encode "constructor(address,address,uint16)" "$admin" "$admin" 250)
contract=$(cast send --rpc-url "$RPC_URL" --private-key "$ANVIL_KEY" --json \
  --create "$(cat "$repo/abi/Tributary.bin")${args#0x}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contractAddress"])')

mnemonic="test test test test test test test test test test test junk"
# as INDEX COMMAND...: run tributary as anvil account INDEX with its own home.
as() {
  local index=$1
  shift
  TRIBUTARY_MNEMONIC="$mnemonic" TRIBUTARY_MNEMONIC_INDEX="$index" \
    "$tributary" --home "$work/home-$index" "$@"
}
for index in 1 2; do
  rm -rf "$work/home-$index"
  as "$index" init --rpc-url "$RPC_URL" --contract "$contract" --store "$work/blobs" >/dev/null
done

best=()
names=()
record() { # record NAME SECONDS
  local i
  for i in "${!names[@]}"; do
    if [ "${names[$i]}" = "$1" ]; then
      if awk -v a="$2" -v b="${best[$i]}" 'BEGIN {exit !(a < b)}'; then best[$i]=$2; fi
      return 0
    fi
  done
  names+=("$1")
  best+=("$2")
}
timed() { # timed NAME COMMAND...
  local name=$1 start end
  shift
  start=$(date +%s%N)
  "$@" >"$work/last.out"
  end=$(date +%s%N)
  record "$name" "$(awk -v ns=$((end - start)) 'BEGIN {printf "%.4f", ns / 1e9}')"
}

echo "timing: $runs rounds; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$runs"); do
  timed "peer: sha256sum over the tree" xargs -0 -a "$work/tree.list" sha256sum
  timed "peer: openssl enc -chacha20 of the tree" \
    sh -c 'xargs -0 -a "$1" cat | openssl enc -chacha20 -K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f -iv 00000000000000000000000000000000 -out /dev/null' _ "$work/tree.list"
  timed "publish" as 1 publish "$tree" --title Bench --price 0.01 --json
  dataset=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset_id"])' "$work/last.out")
  timed "buy" as 2 buy "$dataset" --json
  timed "licences" as 2 licences --json
  rm -rf "$work/fetched"
  timed "fetch" as 1 fetch "$dataset" --out "$work/fetched" --json
  timed "claim" as 1 claim --json
  timed "verify (chain + folder)" as 2 verify "$dataset" "$tree" --json
  echo "  round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
cmp -s <(cd "$tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum) \
  <(cd "$work/fetched" && find . -type f -print0 | sort -z | xargs -0 sha256sum) ||
  die "fetched files differ from the originals"

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "tributary CLI end to end on anvil, $(nproc) cores ($cpu); $files files / $size_mib MiB; best of $runs rounds; page cache warm; load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| step | seconds | MiB/s over the tree | × one sha256sum pass |"
echo "|---|---:|---:|---:|"
base=
for i in "${!names[@]}"; do
  [ "${names[$i]}" = "peer: sha256sum over the tree" ] && base=${best[$i]}
done
for i in "${!names[@]}"; do
  awk -v name="${names[$i]}" -v s="${best[$i]}" -v mib="$size_mib" -v base="$base" 'BEGIN {
    io = (name ~ /publish|fetch|verify|peer/)
    printf "| %s | %.3f | %s | %.2f |\n", name, s, (io ? sprintf("%.0f", mib / s) : "-"), s / base }'
done
