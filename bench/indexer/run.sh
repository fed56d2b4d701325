#!/usr/bin/env bash
# tributary-indexer beside its peers on one chain, in one run (see bench/indexer/README.md):
#   1. a chain of EVENTS suite events on anvil, made by bench/indexer/EventGenerator.sol and cached
#      (anvil --dump-state) in bench/indexer/.cache/, so later runs only load it;
#   2. the physical limit: one raw eth_getLogs of the contract over the whole range (curl);
#   3. ours: tributary-indexer (release) into a fresh PostgreSQL database, from start until
#      /status says indexed_block = head; peak RSS (VmHWM) at that moment;
#   4. Ponder 1.0.0 with its embedded PGlite, from start until /ready and its table holds every
#      event; peak RSS likewise;
#   5. ours, API: GET /datasets/{id} at API_RATE req/s for API_SECONDS s with wrk, on the
#      backfilled database;
#   6. follow latency, ours then Ponder, on a fresh chain where anvil mines every BLOCK_TIME s: a
#      registration's block appearing on the node -> the row shown by the indexer, FOLLOW_SAMPLES
#      times each (why a fresh chain: see step 6).
# Prints a table and rewrites the "Indexer" section of docs/bench.md.
#
# Usage: bench/indexer/run.sh [--events N] [--samples N] [--rev REV] [--no-docs] [--generate-only]
#   --rev REV: build the indexer of commit REV (git archive) instead of the working tree
#   env: EVENTS=200000 FOLLOW_SAMPLES=50 BLOCK_TIME=1 API_RATE=2000 API_SECONDS=20 RAW_RUNS=3
#        PG_URL=postgres://postgres@127.0.0.1:5432 MAX_RANGE=100000 BENCH_DIR (kept if set)
#        INDEXER_BIN (use this binary instead of building the release one)
#        INDEXER_SRC_DIR (where --rev exports the commit; default bench/indexer/.cache/src-<commit>)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

events=${EVENTS:-200000}
samples=${FOLLOW_SAMPLES:-50}
block_time=${BLOCK_TIME:-1}
api_rate=${API_RATE:-2000}
api_seconds=${API_SECONDS:-20}
raw_runs=${RAW_RUNS:-3}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432}
max_range=${MAX_RANGE:-100000}
write_docs=1
generate_only=0
rev=
while [ $# -gt 0 ]; do
  case $1 in
    --events) events=$2; shift ;;
    --samples) samples=$2; shift ;;
    --no-docs) write_docs=0 ;;
    --generate-only) generate_only=1 ;;
    --rev) rev=$2; shift ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
  shift
done

work=${BENCH_DIR:-$(mktemp -d /tmp/tributary-indexer-bench.XXXXXX)}
mkdir -p "$work"
db_name="tributary_bench_$$"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS $db_name" >/dev/null 2>&1 || true
  if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
hwm_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$@"; }
results="$work/results.json"
echo '{}' >"$results"
# record KEY VALUE: VALUE is JSON (a number, or a quoted string).
record() { python3 - "$results" "$1" "$2" <<'PY'
import json, sys
path, key, value = sys.argv[1:]
d = json.load(open(path))
d[key] = json.loads(value)
json.dump(d, open(path, "w"), indent=1)
PY
}

# ------------------------------------------------------------------ tools
for tool in anvil cast forge curl psql python3 node npm /usr/bin/time; do
  command -v "$tool" >/dev/null || die "missing $tool: run scripts/install.sh"
done
if ! command -v wrk >/dev/null; then
  say "installing wrk (Debian package)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
if [ ! -x "$here/ponder/node_modules/.bin/ponder" ]; then
  say "installing Ponder (bench/indexer/ponder, npm ci)"
  (cd "$here/ponder" && npm ci --no-audit --no-fund --loglevel=error)
fi

say "building the event generator (forge, into bench/indexer/.cache/out)"
(cd "$repo" && FOUNDRY_OUT=bench/indexer/.cache/out FOUNDRY_CACHE_PATH=bench/indexer/.cache/forge-cache \
  forge build -q bench/indexer/EventGenerator.sol)

# ------------------------------------------------------------------ 1. the chain
key=$(cat "$repo/abi/Tributary.bin" "$here/EventGenerator.sol" <(echo "events=$events generator=v2 ${ROUNDS_PER_TX:-3} ${EMPTY_BLOCKS_PER_TX:-0}") |
  sha256sum | cut -c1-12)
cache="$here/.cache/chain-$events-$key"
if [ ! -f "$cache/facts.json" ]; then
  say "generating $events suite events (once; cached in ${cache#"$repo"/})"
  rm -rf "$cache"
  mkdir -p "$cache"
  start_anvil --dump-state "$cache/state.json"
  python3 "$here/chain.py" generate "$RPC_URL" "$events" "$cache/facts.tmp" >/dev/null
  kill "$ANVIL_PID"
  wait "$ANVIL_PID" || true
  [ -s "$cache/state.json" ] || die "anvil wrote no state"
  mv "$cache/facts.tmp" "$cache/facts.json"
fi
[ "$generate_only" = 1 ] && { cat "$cache/facts.json"; exit 0; }

target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
if [ -n "${INDEXER_BIN:-}" ]; then
  indexer=$INDEXER_BIN # a binary built elsewhere (for trying the script out; figures want release)
  indexer_version="$INDEXER_BIN"
elif [ -n "$rev" ]; then
  # A committed revision, exported (git archive) and built with the workspace's target folder,
  # so that the dependencies already built are reused.
  # Exported once per commit (a fresh export would change every file's mtime and make cargo
  # rebuild the workspace crates).
  commit=$(git -C "$repo" rev-parse --short "$rev")
  src=${INDEXER_SRC_DIR:-$here/.cache/src-$commit}
  say "building tributary-indexer (release) at $commit"
  if [ ! -f "$src/Cargo.toml" ]; then
    mkdir -p "$src"
    git -C "$repo" archive "$commit" | tar -x -C "$src"
  fi
  CARGO_TARGET_DIR=$target_dir cargo build --quiet --release --manifest-path "$src/Cargo.toml" -p tributary-indexer
  cp "$target_dir/release/tributary-indexer" "$work/tributary-indexer"
  indexer="$work/tributary-indexer"
  indexer_version="commit $commit"
else
  say "building tributary-indexer (release) from the working tree"
  cargo build --quiet --release --manifest-path "$repo/Cargo.toml" -p tributary-indexer
  indexer="$target_dir/release/tributary-indexer"
  indexer_version="$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- indexer core Cargo.toml Cargo.lock || echo ' + uncommitted changes to the indexer')"
fi

say "loading the chain into anvil"
t0=$(now)
# start_anvil (scripts/lib.sh) waits 10 s; loading a large state takes longer.
anvil_port=$(free_port)
anvil --port "$anvil_port" --silent --load-state "$cache/state.json" &
ANVIL_PID=$!
pids+=("$ANVIL_PID")
RPC_URL="http://127.0.0.1:$anvil_port"
for _ in $(seq 1200); do
  cast chain-id --rpc-url "$RPC_URL" >/dev/null 2>&1 && break
  kill -0 "$ANVIL_PID" 2>/dev/null || die "anvil exited while loading the chain"
  sleep 0.5
done
contract=$(json "$cache/facts.json" 'd["contract"]')
from=$(json "$cache/facts.json" 'd["deploy_block"]')
head=$(json "$cache/facts.json" 'd["head"]')
total=$(json "$cache/facts.json" 'd["events"]')
[ "$(cast block-number --rpc-url "$RPC_URL")" = "$head" ] || die "the loaded chain's head is not $head"
echo "chain: $total events of $contract over blocks $from..$head (loaded in $(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s)" >&2
record chain "$(cat "$cache/facts.json")"
record load_start "\"$(load)\""
record uptime_start "\"$(uptime)\""

# ------------------------------------------------------------------ 2. raw eth_getLogs
say "peer: one raw eth_getLogs over blocks $from..$head, best of $raw_runs"
body=$(printf '{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"address":"%s","fromBlock":"0x%x","toBlock":"0x%x"}]}' "$contract" "$from" "$head")
raw_best=
for _ in $(seq "$raw_runs"); do
  secs=$(curl -s -H 'Content-Type: application/json' -d "$body" -o "$work/logs.json" -w '%{time_total}' "$RPC_URL")
  if [ -z "$raw_best" ] || awk -v a="$secs" -v b="$raw_best" 'BEGIN {exit !(a < b)}'; then raw_best=$secs; fi
done
raw_count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["result"]))' "$work/logs.json")
[ "$raw_count" = "$total" ] || die "eth_getLogs returned $raw_count logs, expected $total"
raw_bytes=$(stat -c %s "$work/logs.json")
rm -f "$work/logs.json"
record raw "{\"seconds\": $raw_best, \"events\": $raw_count, \"bytes\": $raw_bytes, \"runs\": $raw_runs}"
echo "  $raw_count logs, $((raw_bytes >> 20)) MiB of JSON, best $raw_best s" >&2

# ------------------------------------------------------------------ 3. ours, backfill
say "ours: tributary-indexer backfill into PostgreSQL (database $db_name)"
PGOPTIONS="-c client_min_messages=warning" psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS $db_name" >/dev/null
psql "$pg_url/postgres" -qc "CREATE DATABASE $db_name" >/dev/null
api_port=$(free_port)
api="http://127.0.0.1:$api_port"
record load_ours "\"$(load)\""
t0=$(now)
DATABASE_URL="$pg_url/$db_name" RUST_LOG=${RUST_LOG:-warn,tributary_indexer::sync=debug} "$indexer" --rpc-url "$RPC_URL" --contract "$contract" \
  --start-block "$from" --listen "127.0.0.1:$api_port" --max-range "$max_range" \
  >"$work/indexer.out" 2>"$work/indexer.err" &
ours_pid=$!
pids+=("$ours_pid")
ours_rss_max=0
indexed=-1
while :; do
  kill -0 "$ours_pid" 2>/dev/null || { tail -20 "$work/indexer.err" >&2; die "tributary-indexer exited"; }
  indexed=$({ curl -s "$api/status" || true; } | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["indexed_block"])
except Exception: print(-1)')
  [ "$indexed" -ge "$head" ] 2>/dev/null && break
  rss=$(hwm_mib "$ours_pid")
  [ "$rss" -gt "$ours_rss_max" ] && ours_rss_max=$rss
  sleep 0.05
done
t1=$(now)
ours_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
ours_rss=$(hwm_mib "$ours_pid")
ours_rows=$(psql "$pg_url/$db_name" -tAc "SELECT count(*) FROM raw_logs")
[ "$ours_rows" = "$total" ] || die "raw_logs holds $ours_rows rows, expected $total"
ours_datasets=$(psql "$pg_url/$db_name" -tAc "SELECT count(*) FROM datasets")
ours_db=$(psql "$pg_url/$db_name" -tAc "SELECT pg_database_size(current_database()) / 1048576")
record ours "{\"seconds\": $ours_secs, \"events\": $ours_rows, \"rss_mib\": $ours_rss, \"datasets\": $ours_datasets, \"db_mib\": $ours_db}"
echo "  $ours_rows events in $ours_secs s, peak RSS $ours_rss MiB, database $ours_db MiB" >&2
if grep -qE 'WARN|ERROR' "$work/indexer.err"; then
  echo "  the indexer logged warnings or errors during the backfill (first 5):" >&2
  grep -E 'WARN|ERROR' "$work/indexer.err" | head -5 >&2
fi
record ours_log_warnings "$(grep -cE 'WARN|ERROR' "$work/indexer.err" || true)"
# Its ranges, from the sync's debug line per committed range ("applied from= to= logs=").
record ours_ranges "$(python3 - "$work/indexer.err" <<'PY'
import json, re, statistics, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
ranges = [(int(a), int(b), int(n)) for a, b, n in re.findall(r"applied from=(\d+) to=(\d+) logs=(\d+)", text)]
if not ranges:
    print("null")
else:
    logs = [n for _, _, n in ranges]
    spans = [b - a + 1 for a, b, _ in ranges]
    print(json.dumps({"count": len(ranges), "logs_median": statistics.median(logs), "logs_max": max(logs),
                      "blocks_median": statistics.median(spans), "blocks_max": max(spans)}))
PY
)"
# The indexer stays up for the API test (step 5); paused meanwhile so Ponder has the machine.
kill -STOP "$ours_pid"

# ------------------------------------------------------------------ 4. Ponder
say "peer: Ponder 1.0.0 (PGlite) backfill"
ponder_port=$(free_port)
rm -rf "$here/ponder/.ponder" "$here/ponder/generated"
record load_ponder "\"$(load)\""
t0=$(now)
(cd "$here/ponder" && PONDER_RPC_URL=$RPC_URL TRIBUTARY_CONTRACT=$contract TRIBUTARY_START_BLOCK=$from \
  PONDER_TELEMETRY_DISABLED=true exec node_modules/.bin/ponder start --schema bench --port "$ponder_port" \
  >"$work/ponder.log" 2>&1) &
ponder_pid=$!
pids+=("$ponder_pid")
ponder_rss_max=0
ready_secs=
ready_count=
while :; do
  kill -0 "$ponder_pid" 2>/dev/null || { tail -30 "$work/ponder.log" >&2; die "Ponder exited"; }
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ponder_port/ready" || true)" = 200 ]; then
    n=$({ curl -s "http://127.0.0.1:$ponder_port/count" || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
    # /ready: its historical phase is over; the last 30 blocks (its finality window on anvil)
    # then go through its realtime phase.
    if [ -z "$ready_secs" ]; then
      ready_secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}')
      ready_count=$n
    fi
    [ "$n" -ge "$total" ] && break
  fi
  rss=$(hwm_mib "$ponder_pid")
  [ "$rss" -gt "$ponder_rss_max" ] && ponder_rss_max=$rss
  sleep 0.1
done
t1=$(now)
ponder_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
ponder_rss=$(hwm_mib "$ponder_pid")
record ponder "{\"seconds\": $ponder_secs, \"events\": $n, \"rss_mib\": $ponder_rss, \"ready_seconds\": $ready_secs, \"ready_events\": $ready_count}"
echo "  $n events in $ponder_secs s, peak RSS $ponder_rss MiB" >&2
kill "$ponder_pid"
wait "$ponder_pid" 2>/dev/null || true
cp "$work/ponder.log" "$work/ponder-kept.log"
kill -CONT "$ours_pid"

# ------------------------------------------------------------------ 5. ours, API latency
dataset=$(( $(json "$cache/facts.json" 'd["rounds"]') / 2 ))
say "ours: GET /datasets/$dataset at $api_rate req/s for $api_seconds s (wrk)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/datasets/$dataset")" = 200 ] || die "/datasets/$dataset does not answer 200"
threads=2
connections=16
interval=$(awk -v t="$threads" -v r="$api_rate" 'BEGIN {printf "%.4f", 1000 * t / r}')
record load_api "\"$(load)\""
wrk -t "$threads" -c "$connections" -d "${api_seconds}s" --latency -s "$here/rate.lua" "$api/datasets/$dataset" \
  -- "$interval" >"$work/wrk.txt"
cat "$work/wrk.txt" >&2
wrk -t "$threads" -c "$connections" -d 10s --latency "$api/datasets/$dataset" >"$work/wrk-max.txt"
python3 - "$work/wrk.txt" "$work/wrk-max.txt" "$results" "$api_rate" "$api_seconds" <<'PY'
import json, re, sys
def parse(path):
    text = open(path).read()
    def ms(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)", text, re.M)}
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: (.*)", text)
    return {"p50_ms": pct["50"], "p90_ms": pct["90"], "p99_ms": pct["99"], "rate": rate, "requests": total,
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": sock.group(1) if sock else ""}
r = json.load(open(sys.argv[3]))
r["api"] = parse(sys.argv[1]) | {"target_rate": int(sys.argv[4]), "seconds": int(sys.argv[5])}
r["api_max"] = parse(sys.argv[2])
json.dump(r, open(sys.argv[3], "w"), indent=1)
PY
# ------------------------------------------------------------------ 6. follow latency
# On a chain of its own: anvil recomputes its state root from the whole state at every block
# (measured: about 0.2 s per block at 30,000 events on this machine), so on the 200,000-event
# chain a block takes longer to mine than the block time, and the node, not the indexer, would be
# timed. A fresh anvil with the suite deployed mines a block every BLOCK_TIME s; ours (a fresh
# database) and then Ponder (a fresh PGlite) follow it, each caught up before the samples.
kill "$ours_pid"
wait "$ours_pid" 2>/dev/null || true
kill "$ANVIL_PID"
wait "$ANVIL_PID" 2>/dev/null || true
say "follow latency on a fresh chain, $samples registrations each, a block every $block_time s"
start_anvil
pids+=("$ANVIL_PID")
small=$(python3 "$here/chain.py" deploy "$RPC_URL")
small_contract=$(echo "$small" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contract"])')
small_from=$(echo "$small" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deploy_block"])')
cast rpc --rpc-url "$RPC_URL" evm_setIntervalMining "$block_time" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS $db_name" >/dev/null
psql "$pg_url/postgres" -qc "CREATE DATABASE $db_name" >/dev/null
api_port=$(free_port)
api="http://127.0.0.1:$api_port"
DATABASE_URL="$pg_url/$db_name" RUST_LOG=${RUST_LOG:-warn} "$indexer" --rpc-url "$RPC_URL" --contract "$small_contract" \
  --start-block "$small_from" --listen "127.0.0.1:$api_port" >"$work/indexer-follow.out" 2>"$work/indexer-follow.err" &
ours_pid=$!
pids+=("$ours_pid")
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/status" || true)" = 200 ] && break
  sleep 0.1
done
record load_follow "\"$(load)\""
python3 "$here/chain.py" follow "$RPC_URL" "$small_contract" "dataset:$api" "$samples" "$work/follow.json" "$block_time" >/dev/null
record follow "$(cat "$work/follow.json")"
echo "  ours: $(cat "$work/follow.json")" >&2
kill "$ours_pid"
wait "$ours_pid" 2>/dev/null || true

rm -rf "$here/ponder/.ponder" "$here/ponder/generated"
ponder_port=$(free_port)
(cd "$here/ponder" && PONDER_RPC_URL=$RPC_URL TRIBUTARY_CONTRACT=$small_contract TRIBUTARY_START_BLOCK=$small_from \
  PONDER_TELEMETRY_DISABLED=true exec node_modules/.bin/ponder start --schema bench --port "$ponder_port" \
  >"$work/ponder-follow.log" 2>&1) &
ponder_pid=$!
pids+=("$ponder_pid")
for _ in $(seq 1200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ponder_port/ready" || true)" = 200 ] && break
  kill -0 "$ponder_pid" 2>/dev/null || { tail -30 "$work/ponder-follow.log" >&2; die "Ponder exited"; }
  sleep 0.1
done
record load_follow_ponder "\"$(load)\""
python3 "$here/chain.py" follow "$RPC_URL" "$small_contract" "count:http://127.0.0.1:$ponder_port" "$samples" \
  "$work/follow-ponder.json" "$block_time" >/dev/null
record follow_ponder "$(cat "$work/follow-ponder.json")"
echo "  Ponder: $(cat "$work/follow-ponder.json")" >&2
kill "$ponder_pid"
wait "$ponder_pid" 2>/dev/null || true


record load_end "\"$(load)\""
record uptime_end "\"$(uptime)\""
record machine "\"$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB\""
record ponder_version "\"$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).version' "$here/ponder/node_modules/ponder/package.json")\""
record postgres_version "\"$(psql "$pg_url/postgres" -tAc 'SHOW server_version')\""
record date "\"$(date -u +%F)\""
record commit "\"$indexer_version\""
record settings "{\"max_range\": $max_range, \"block_time\": $block_time, \"poll_ms\": 1000}"
cp "$results" "$here/.cache/last-results.json"
docs_arg=()
[ "$write_docs" = 1 ] && docs_arg=("$repo/docs/bench.md")
python3 "$here/report.py" "$results" "${docs_arg[@]}"
