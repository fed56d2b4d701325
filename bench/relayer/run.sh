#!/usr/bin/env bash
# tributary-relayer's throughput (issue 7, Performance), the real binary on the machine's
# PostgreSQL and a local anvil, beside peers measured in the same run:
#   0. the driver's signer checked against Stripe's own library (npm `stripe`,
#      relayer/tests/sign.cjs): the webhooks below are signed exactly as Stripe signs them;
#   1. ingest: WEBHOOKS distinct `checkout.session.completed` events, signed, POSTed to
#      /stripe/webhook over CONCURRENCY keep-alive connections; every answer must be 200 with
#      "duplicate": false and every event and its job must be in the database. The worker is
#      held meanwhile (its node paused with SIGSTOP), so the figure is the HTTP path alone:
#      verify, parse, one PostgreSQL transaction. Peers, same run, same connections:
#        - GET /health on the same process (HTTP + one `SELECT 1` through the same pool);
#        - pgbench writing the same rows (event with a body of the same size, job, link) in one
#          transaction per webhook, CONCURRENCY clients: the storage floor, no HTTP, no crypto;
#   2. end to end: PAYMENTS more events on a fresh database and a fresh anvil mining each
#      transaction at once (automine), timed from the first delivery until every job is done;
#      then the chain is checked: one CreditsMinted per payment (account, amount), each
#      payment's creditPayment view, each buyer's creditBalance. A missing, extra or wrong
#      credit fails the run;
#   3. the same with anvil mining a block every BLOCK_TIME s (BLOCK_PAYMENTS payments): a
#      chain with block times, where a relayer that waits for each receipt before the next
#      transaction credits at most one payment per block.
# Prints the section's markdown on stdout (bench/run.sh puts it in docs/bench.md).
#
# Usage: bench/relayer/run.sh [--rev REV]
#   --rev REV: build the relayer of commit REV (git archive, into bench/relayer/.cache/src-<commit>)
#              instead of the working tree (env RELAYER_REV: the same, for bench/run.sh relayer)
#   env: WEBHOOKS=20000 CONCURRENCY=32 PAYMENTS=1000 BLOCK_PAYMENTS=10 BLOCK_TIME=1
#        CHAIN_POLL_MS=20 (the relayer's --chain-poll-ms) PG_URL=postgres://postgres@127.0.0.1:5432
#        RELAYER_BIN (use this binary instead of building the release one; RELAYER_LABEL says
#        what it was built from) BENCH_DIR (kept if set)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

webhooks=${WEBHOOKS:-20000}
concurrency=${CONCURRENCY:-32}
payments=${PAYMENTS:-1000}
block_payments=${BLOCK_PAYMENTS:-10}
block_time=${BLOCK_TIME:-1}
chain_poll_ms=${CHAIN_POLL_MS:-20}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432}
buyers=20
secret="whsec_tributary_relayer_bench_0123456789"
# anvil's account 2 (a public test key): the relayer; account 0 deploys and grants the role.
relayer_key=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a

rev=${RELAYER_REV:-}
while [ $# -gt 0 ]; do
  case $1 in
    --rev) rev=$2; shift ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
  shift
done

work=${BENCH_DIR:-$(mktemp -d /tmp/tributary-relayer-bench.XXXXXX)}
mkdir -p "$work"
db_name="tributary_relayer_bench_$$"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  PGOPTIONS="-c client_min_messages=warning" psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS $db_name" >/dev/null 2>&1 || true
  if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
results="$work/results.json"
echo '{}' >"$results"
# record KEY VALUE: VALUE is JSON.
record() { python3 - "$results" "$1" "$2" <<'PY'
import json, sys
path, key, value = sys.argv[1:]
d = json.load(open(path))
d[key] = json.loads(value)
json.dump(d, open(path, "w"), indent=1)
PY
}

for tool in anvil cast curl psql pgbench python3 node cargo; do
  command -v "$tool" >/dev/null || die "missing $tool: run scripts/install.sh"
done
[ -d "$repo/node_modules/stripe" ] || die "the npm stripe package is missing: run scripts/install.sh"

# ------------------------------------------------------------------ binaries
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
if [ -n "${RELAYER_BIN:-}" ]; then
  relayer=$RELAYER_BIN
  relayer_version=${RELAYER_LABEL:-$RELAYER_BIN}
elif [ -n "$rev" ]; then
  # A committed revision, exported once per commit and built with the workspace's target
  # folder (the dependencies already built are reused).
  commit=$(git -C "$repo" rev-parse --short "$rev")
  src=$here/.cache/src-$commit
  say "building tributary-relayer (release) at $commit"
  if [ ! -f "$src/Cargo.toml" ]; then
    mkdir -p "$src"
    git -C "$repo" archive "$commit" | tar -x -C "$src"
  fi
  CARGO_TARGET_DIR=$target_dir cargo build --quiet --release --manifest-path "$src/Cargo.toml" -p tributary-relayer --bin tributary-relayer
  relayer="$work/tributary-relayer"
  cp "$target_dir/release/tributary-relayer" "$relayer"
  relayer_version="commit $commit"
else
  say "building tributary-relayer (release)"
  cargo build --quiet --release --manifest-path "$repo/Cargo.toml" -p tributary-relayer --bin tributary-relayer
  relayer="$target_dir/release/tributary-relayer"
  relayer_version="$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- relayer core Cargo.toml Cargo.lock || echo ' + uncommitted changes to the relayer')"
fi
say "building the load driver (bench/relayer/driver, release)"
cargo build --quiet --release --manifest-path "$here/driver/Cargo.toml" --target-dir "$target_dir/relayer-bench"
driver="$target_dir/relayer-bench/release/relayer-bench"

# ------------------------------------------------------------------ 0. Stripe's signer agrees
say "the driver's signature beside Stripe's library's"
sample=$(python3 -c 'import json; print(json.dumps({"id": "evt_sample", "object": "event", "type": "checkout.session.completed", "data": {"object": {"amount_total": 1999, "metadata": {"buyer": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}, "note": "ünïcode ✓"}}}, indent=2, ensure_ascii=False))')
t=$(date +%s)
ours_header=$(printf '%s' "$sample" | "$driver" sign --secret "$secret" --timestamp "$t")
stripe_header=$(python3 -c 'import json,sys; print(json.dumps([{"payload": sys.argv[1], "secret": sys.argv[2], "timestamp": int(sys.argv[3])}]))' "$sample" "$secret" "$t" |
  (cd "$repo" && node relayer/tests/sign.cjs) | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
[ "$ours_header" = "$stripe_header" ] || die "the driver signs '$ours_header', Stripe's library '$stripe_header'"
record signer_checked true

# ------------------------------------------------------------------ helpers
fresh_db() {
  PGOPTIONS="-c client_min_messages=warning" psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS $db_name" >/dev/null
  psql "$pg_url/postgres" -qc "CREATE DATABASE $db_name" >/dev/null
}
sql() { psql "$pg_url/$db_name" -tAc "$1"; }

# chain [anvil flags...]: a fresh anvil with the suite deployed from the committed bytecode
# (account 0 admin and treasury, fee 2.5 %) and RELAYER_ROLE granted to account 2; sets
# RPC_URL, ANVIL_PID, contract, deploy_block.
chain() {
  start_anvil "$@"
  pids+=("$ANVIL_PID")
  local admin args role
  admin=$(cast wallet address --private-key "$ANVIL_KEY")
  args=$(cast abi-encode "constructor(address,address,uint16)" "$admin" "$admin" 250)
  contract=$(cast send --rpc-url "$RPC_URL" --private-key "$ANVIL_KEY" --json \
    --create "$(cat "$repo/abi/Tributary.bin")${args#0x}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contractAddress"])')
  deploy_block=$(cast block-number --rpc-url "$RPC_URL")
  role=$(cast call --rpc-url "$RPC_URL" "$contract" 'RELAYER_ROLE()(bytes32)')
  cast send --rpc-url "$RPC_URL" --private-key "$ANVIL_KEY" "$contract" 'grantRole(bytes32,address)' \
    "$role" "$(cast wallet address --private-key "$relayer_key")" >/dev/null
}

# start_relayer LOG [flags...]: the binary on the bench database and $RPC_URL; sets relayer_pid
# and relayer_url once /health answers.
start_relayer() {
  local log=$1
  shift
  DATABASE_URL="$pg_url/$db_name" TRIBUTARY_RELAYER_KEY=$relayer_key STRIPE_WEBHOOK_SECRET=$secret \
    RUST_LOG=${RUST_LOG:-warn} "$relayer" --rpc-url "$RPC_URL" --contract "$contract" \
    --from-block "$deploy_block" --listen 127.0.0.1:0 "$@" >"$log.out" 2>"$log.err" &
  relayer_pid=$!
  pids+=("$relayer_pid")
  local address=
  for _ in $(seq 300); do
    address=$(sed -n 's/^listening on //p' "$log.out")
    [ -n "$address" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$address/health" || true)" = 200 ] && break
    kill -0 "$relayer_pid" 2>/dev/null || { tail -20 "$log.err" >&2; die "tributary-relayer exited"; }
    sleep 0.1
  done
  [ -n "$address" ] || die "tributary-relayer did not start"
  relayer_url="http://$address"
}

stop() { # stop PID...
  local pid
  for pid in "$@"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}

# ------------------------------------------------------------------ 1. ingest
say "ingest: $webhooks webhooks over $concurrency connections (worker held)"
fresh_db
chain
# A worker that reaches its node would send transactions during the measurement: pause the
# node, so the worker's first claim waits on it (RPC timeout one hour) and stays idle.
start_relayer "$work/ingest" --rpc-timeout-secs 3600
kill -STOP "$ANVIL_PID"
"$driver" webhooks --url "$relayer_url/stripe/webhook" --secret "$secret" --count 500 --concurrency "$concurrency" \
  --buyers "$buyers" --prefix warm --manifest "$work/warm.json" --stats "$work/warm-stats.json" >/dev/null
record load_ingest "\"$(load)\""
"$driver" get --url "$relayer_url/health" --count "$webhooks" --concurrency "$concurrency" --stats "$work/health.json" >/dev/null
record health "$(cat "$work/health.json")"
echo "  /health: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f/s, %d failed" % (d["rate"], d["failed"]))' "$work/health.json")" >&2
"$driver" webhooks --url "$relayer_url/stripe/webhook" --secret "$secret" --count "$webhooks" --concurrency "$concurrency" \
  --buyers "$buyers" --prefix ingest --manifest "$work/ingest.json" --stats "$work/webhooks.json" >/dev/null
record webhooks "$(cat "$work/webhooks.json")"
echo "  webhooks: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f/s, %d failed %s" % (d["rate"], d["failed"], d["failures"]))' "$work/webhooks.json")" >&2
stored=$(sql "SELECT count(*) FROM stripe_events e JOIN jobs j ON j.id = e.job_id WHERE e.id LIKE 'evt_ingest%' AND j.event_id = e.id")
failed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"])' "$work/webhooks.json")
[ "$failed" = 0 ] || die "$failed webhooks were not accepted: $(cat "$work/webhooks.json")"
[ "$stored" = "$webhooks" ] || die "$stored events with their jobs stored, expected $webhooks"
record stored "$stored"
body_bytes=$(sql "SELECT round(avg(octet_length(body))) FROM stripe_events WHERE id LIKE 'evt_ingest%'")
stop "$relayer_pid" "$ANVIL_PID"

# The storage floor: the same three statements in one transaction per webhook, prepared,
# CONCURRENCY clients, one pgbench thread (like the driver), on the same tables.
cat >"$work/store.sql" <<SQL
\set n random(1, 9000000000000000)
BEGIN;
INSERT INTO stripe_events (id, type, created, livemode, body, action, note) VALUES ('evt_pg' || :n, 'checkout.session.completed', 1700000000, false, convert_to(repeat('x', $body_bytes), 'UTF8'), 'mint_credits', NULL) ON CONFLICT (id) DO NOTHING;
INSERT INTO jobs (kind, payment_id, payment_intent, account, amount, event_id, dataset_id, offer_index) VALUES ('mint_credits', sha256(convert_to('pi_pg' || :n, 'UTF8')), 'pi_pg' || :n, '\\x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'::bytea, 1999::NUMERIC, 'evt_pg' || :n, NULL, NULL) ON CONFLICT (kind, payment_id) DO NOTHING RETURNING id;
UPDATE stripe_events SET job_id = currval('jobs_id_seq') WHERE id = 'evt_pg' || :n;
COMMIT;
SQL
per_client=$(( (webhooks + concurrency - 1) / concurrency ))
record load_pgbench "\"$(load)\""
pgbench -n -M prepared -j 1 -c "$concurrency" -t "$per_client" -f "$work/store.sql" "$pg_url/$db_name" >"$work/pgbench.txt" 2>&1 ||
  { cat "$work/pgbench.txt" >&2; die "pgbench failed"; }
python3 - "$work/pgbench.txt" "$results" "$body_bytes" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", text).group(1))
done = int(re.search(r"number of transactions actually processed: (\d+)", text).group(1))
failed = re.search(r"number of failed transactions: (\d+)", text)
lat = re.search(r"latency average = ([\d.]+) ms", text)
r = json.load(open(sys.argv[2]))
r["pgbench"] = {"tps": tps, "transactions": done, "failed": int(failed.group(1)) if failed else 0,
                "latency_avg_ms": float(lat.group(1)) if lat else None, "body_bytes": int(sys.argv[3])}
json.dump(r, open(sys.argv[2], "w"), indent=1)
PY
echo "  pgbench: $(grep 'without initial' "$work/pgbench.txt")" >&2

# ------------------------------------------------------------------ 2, 3. end to end
# e2e NAME COUNT [anvil flags...]: COUNT payments delivered, timed until every job is done,
# then checked on-chain.
e2e() {
  local name=$1 count=$2
  shift 2
  say "end to end ($name): $count payments"
  fresh_db
  chain "$@"
  start_relayer "$work/$name" --chain-poll-ms "$chain_poll_ms"
  record "load_$name" "\"$(load)\""
  local t0 t1 delivered done failed
  t0=$(now)
  "$driver" webhooks --url "$relayer_url/stripe/webhook" --secret "$secret" --count "$count" --concurrency "$concurrency" \
    --buyers "$buyers" --prefix "$name" --manifest "$work/$name.json" --stats "$work/$name-stats.json" >/dev/null
  delivered=$(now)
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"])' "$work/$name-stats.json")" = 0 ] ||
    die "webhooks refused: $(cat "$work/$name-stats.json")"
  local deadline=$(( $(date +%s) + 600 + count * ${block_time%.*} * 3 ))
  while :; do
    done=$(sql "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') FROM jobs")
    failed=${done#*|}
    done=${done%|*}
    [ "$failed" = 0 ] || die "$failed jobs failed: $(sql "SELECT last_error FROM jobs WHERE status = 'failed' LIMIT 3")"
    [ "$done" -ge "$count" ] && break
    kill -0 "$relayer_pid" 2>/dev/null || { tail -20 "$work/$name.err" >&2; die "tributary-relayer exited"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "only $done of $count jobs done after the deadline"
    sleep 0.05
  done
  t1=$(now)
  local head
  head=$(cast block-number --rpc-url "$RPC_URL")
  python3 "$here/check.py" "$RPC_URL" "$contract" "$deploy_block" "$head" "$work/$name.json" >"$work/$name-chain.json" ||
    die "payments lost or credited wrongly: $(cat "$work/$name-chain.json")"
  local db_stats
  db_stats=$(sql "SELECT json_build_object(
      'jobs', count(*),
      'outcomes', (SELECT json_object_agg(outcome, n) FROM (SELECT outcome, count(*) n FROM jobs GROUP BY outcome) o),
      'transactions', (SELECT count(*) FROM transactions),
      'mined', (SELECT count(*) FROM transactions WHERE status = 'mined'),
      'attempts_max', max(attempts),
      'wait_p50_s', percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)),
      'wait_p99_s', percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)))
    FROM jobs")
  record "$name" "$(python3 -c 'import json,sys
print(json.dumps({"payments": int(sys.argv[1]), "seconds": float(sys.argv[3]) - float(sys.argv[2]),
  "delivery_seconds": float(sys.argv[4]) - float(sys.argv[2]), "delivery": json.load(open(sys.argv[5])),
  "chain": json.load(open(sys.argv[6])), "db": json.loads(sys.argv[7]), "blocks": int(sys.argv[8]) - int(sys.argv[9])}))' \
    "$count" "$t0" "$t1" "$delivered" "$work/$name-stats.json" "$work/$name-chain.json" "$db_stats" "$head" "$deploy_block")"
  echo "  $count payments credited in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s; chain: $(cat "$work/$name-chain.json")" >&2
  stop "$relayer_pid" "$ANVIL_PID"
}
e2e automine "$payments"
e2e blocks "$block_payments" --block-time "$block_time"

record load_end "\"$(load)\""
record machine "\"$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\""
record postgres "$(psql "$pg_url/postgres" -tAc "SELECT json_build_object('version', current_setting('server_version'), 'synchronous_commit', current_setting('synchronous_commit'), 'fsync', current_setting('fsync'))")"
record anvil "\"$(anvil --version | head -1)\""
record date "\"$(date -u +%F)\""
record commit "\"$relayer_version\""
record settings "{\"webhooks\": $webhooks, \"concurrency\": $concurrency, \"buyers\": $buyers, \"chain_poll_ms\": $chain_poll_ms, \"block_time\": $block_time}"
mkdir -p "$here/.cache"
cp "$results" "$here/.cache/last-results.json"
python3 "$here/report.py" "$results"
