#!/usr/bin/env bash
# Run all of Tributary locally with one command (docs/quickstart.md):
#   1. checks the prerequisites (one line per missing one, then exit 1);
#   2. installs what is missing (scripts/install.sh), builds the contracts and the debug
#      binaries (tributary, tributary-api, tributary-relayer) with the workspace's tests;
#   3. starts anvil with its state kept in the data folder, deploys the suite, then Superfluid
#      and TributaryStreams beside it (or reuses the deployment of an earlier start);
#   4. prepares the databases, starts the API (tributary-api: the indexer and the product
#      endpoints, one process) and the relayer;
#   5. on the first start, seeds a demo: two creators, three datasets, a purchase by wallet, a
#      dataset shared with the API for licensed downloads, a purchase by card (a signed Stripe
#      webhook: the relayer credits the payment and buys the licence with it), a subscription
#      streamed with Superfluid, a claim (splits released, the stream's pool connected);
#   6. waits until everything is indexed, prints the URLs and the demo's verify command, then
#      a line `ready`; Ctrl-C (or SIGTERM) stops every child process and keeps the data.
# Configuration (environment; every key in docs/config.md): TRIBUTARY_DEV_DIR,
# TRIBUTARY_DEV_RPC_PORT, TRIBUTARY_DEV_API_PORT, TRIBUTARY_DEV_RELAYER_PORT (0: a free
# port), TRIBUTARY_DEV_CHAIN_ID, DATABASE_URL, TRIBUTARY_DEV_PG, TRIBUTARY_DEV_DB_PREFIX.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started_at="$(date +%s%N)"
exec 3>&2 # the script's stderr, for probes whose output is silenced

# The data folder, resolved against the caller's directory before moving to the root.
DEV_DIR="${TRIBUTARY_DEV_DIR:-$ROOT/.tributary/dev}"
mkdir -p "$DEV_DIR"
DEV_DIR="$(cd "$DEV_DIR" && pwd)"
cd "$ROOT"

RPC_PORT="${TRIBUTARY_DEV_RPC_PORT:-8545}"
API_PORT="${TRIBUTARY_DEV_API_PORT:-8080}"
RELAYER_PORT="${TRIBUTARY_DEV_RELAYER_PORT:-8090}"
CHAIN_ID="${TRIBUTARY_DEV_CHAIN_ID:-31337}"
PG_SERVER="${TRIBUTARY_DEV_PG:-postgres://postgres@127.0.0.1:5432}"
DB_PREFIX="${TRIBUTARY_DEV_DB_PREFIX:-tributary_dev}"
for value in "$RPC_PORT" "$API_PORT" "$RELAYER_PORT" "$CHAIN_ID"; do
    [[ "$value" =~ ^[0-9]+$ ]] || die "ports and the chain id are whole numbers (got '$value')"
done
[[ "$DB_PREFIX" =~ ^[a-z_][a-z0-9_]*$ ]] ||
    die "TRIBUTARY_DEV_DB_PREFIX must be lowercase letters, digits and underscores"

# ---------------------------------------------------------------- prerequisites

export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}"
missing=0
lack() { printf 'missing: %s\n' "$*" >&2; missing=1; }
command -v cargo >/dev/null || lack "cargo (Rust): install it with rustup, https://rustup.rs"
command -v node >/dev/null || lack "node (Node.js 20+): install it from your distribution or https://nodejs.org"
command -v npm >/dev/null || lack "npm: it comes with Node.js (Debian: apt-get install npm)"
command -v python3 >/dev/null || lack "python3: install it from your distribution (apt-get install python3)"
if ! command -v psql >/dev/null; then
    lack "psql, the PostgreSQL client the stack creates its databases with: apt-get install postgresql-client"
elif [ -n "${DATABASE_URL:-}" ]; then
    psql "$DATABASE_URL" -qtAX -c 'SELECT 1' >/dev/null 2>&1 ||
        lack "PostgreSQL: the database of DATABASE_URL does not answer; start it, fix DATABASE_URL, or unset it to use $PG_SERVER"
else
    psql "$PG_SERVER/postgres" -qtAX -c 'SELECT 1' >/dev/null 2>&1 ||
        lack "PostgreSQL on $PG_SERVER does not answer: start it (user postgres, trust auth), or set TRIBUTARY_DEV_PG or DATABASE_URL"
fi
[ "$missing" -eq 0 ] || exit 1

alive() { # alive <pid>: running and not a zombie
    [ -r "/proc/$1/stat" ] || return 1
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [ "${stat%% *}" != Z ]
}

# One stack per data folder.
mkdir -p "$DEV_DIR"/{chain,deployments,logs,run,secrets,demo}
printf '*\n' >"$DEV_DIR/.gitignore"
if [ -f "$DEV_DIR/run/dev.pid" ] && alive "$(cat "$DEV_DIR/run/dev.pid")"; then
    die "a dev stack already runs on $DEV_DIR (pid $(cat "$DEV_DIR/run/dev.pid")): stop it first, or set TRIBUTARY_DEV_DIR"
fi
# A run killed without its cleanup (SIGKILL) leaves its children: name them rather than clash.
for name in anvil api relayer; do
    file="$DEV_DIR/run/$name.pid"
    [ -f "$file" ] || continue
    pid="$(cat "$file")"
    if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$name"; then
        die "$name (pid $pid) of an earlier run of this data folder still runs: stop it (kill $pid)"
    fi
    rm -f "$file"
done
echo $$ >"$DEV_DIR/run/dev.pid"

# ---------------------------------------------------------------- child processes

CHILDREN=() # "name pid", in start order
stop_children() {
    local i name pid
    for ((i = ${#CHILDREN[@]} - 1; i >= 0; i--)); do # the services first, anvil last
        read -r name pid <<<"${CHILDREN[$i]}"
        rm -f "$DEV_DIR/run/$name.pid"
        alive "$pid" || { wait "$pid" 2>/dev/null || true; continue; }
        say "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            say "$name did not stop within 30 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    CHILDREN=()
}
STOPPING=0
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [ "$STOPPING" -eq 1 ] && status=0 # stopped on request: a clean stop
    stop_children
    rm -f "$DEV_DIR/run/dev.pid"
    [ "$status" -eq 0 ] && say "stopped; data kept in $DEV_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'STOPPING=1; exit 0' INT TERM

# start_child <name> <log> <command...>: runs it in the background (output to the log),
# records its pid.
start_child() {
    local name="$1" log="$2"
    shift 2
    if [ -f "$log" ]; then mv "$log" "$log.prev"; fi # the last run's log, kept once
    "$@" >>"$log" 2>&1 &
    CHILDREN+=("$name $!")
    echo "$!" >"$DEV_DIR/run/$name.pid"
}
pid_of() { cat "$DEV_DIR/run/$1.pid"; }

# wait_listening <name> <log> <pattern>: the address a child prints once it listens.
wait_listening() {
    local name="$1" log="$2" pattern="$3" pid line
    pid="$(pid_of "$name")"
    for _ in $(seq 1 1200); do
        line="$(grep -a -m1 -o "$pattern.*" "$log" 2>/dev/null || true)"
        if [ -n "$line" ]; then
            echo "${line#"$pattern"}" | tr -d '\r' | awk '{print $1}'
            return 0
        fi
        alive "$pid" || { tail -n 20 "$log" >&2; die "$name exited while starting (log: $log)"; }
        sleep 0.1
    done
    tail -n 20 "$log" >&2
    die "$name did not listen within 120 s (log: $log)"
}

# port_free <port>: nothing listens on 127.0.0.1:<port> (0 is always free). SO_REUSEADDR, as
# the servers bind: connections of a stopped run waiting out TIME_WAIT do not count.
port_free() {
    [ "$1" -eq 0 ] && return 0
    python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
for spec in "anvil:$RPC_PORT:TRIBUTARY_DEV_RPC_PORT" "api:$API_PORT:TRIBUTARY_DEV_API_PORT" \
    "relayer:$RELAYER_PORT:TRIBUTARY_DEV_RELAYER_PORT"; do
    IFS=: read -r name port var <<<"$spec"
    port_free "$port" ||
        die "port $port ($name) is in use (another dev stack?): stop it, or set $var (0 picks a free port)"
done

# http_get <url>: the body of a 2xx answer on stdout; non-zero otherwise.
http_get() {
    python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
        sys.stdout.write(answer.read().decode())
except Exception:
    sys.exit(1)
PY
}
# json <python expression over `d`>: evaluates it on the JSON document on stdin.
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# wait_for <what> <seconds> <command...>: polls the command until it succeeds.
wait_for() {
    local what="$1" seconds="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "$what: not within $seconds s (logs in $DEV_DIR/logs)"
        sleep 0.2
    done
}

# ---------------------------------------------------------------- install and build

say "checking the toolchain (scripts/install.sh)"
scripts/install.sh
say "building the contracts (forge build)"
forge build -q --skip test
# tributary, tributary-api and tributary-relayer (debug), built with the workspace's tests:
# dev-dependencies change the features of shared crates (reqwest, regex, hashbrown), so a
# `--bins`-only build would compile a second copy of the dependency tree beside the one
# `cargo test --workspace` builds. This way the README's two commands share one build, and after
# `cargo test --workspace` this step has nothing to do.
say "building the binaries (debug; the same build as cargo test --workspace)"
cargo build --workspace --bins --tests
# cargo's target folder: CARGO_TARGET_DIR when set, as cargo itself reads it.
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
CLI="$BIN/tributary"

# ---------------------------------------------------------------- chain

# anvil's funded test accounts (public keys of a public mnemonic, never for real funds).
MNEMONIC="test test test test test test test test test test test junk"
key_of() { cast wallet private-key "$MNEMONIC" "$1"; }
address_of() { cast wallet address --private-key "$1"; }
RELAYER_KEY="$(key_of 1)"
RELAYER_ADDRESS="$(address_of "$RELAYER_KEY")"

state="$DEV_DIR/chain/state.json"
if [ -f "$state" ]; then
    say "starting anvil (chain id $CHAIN_ID) with the chain state of the last run"
else
    say "starting anvil (chain id $CHAIN_ID), chain state kept in $state"
fi
start_child anvil "$DEV_DIR/logs/anvil.log" \
    anvil --host 127.0.0.1 --port "$RPC_PORT" --chain-id "$CHAIN_ID" --state "$state" \
    --preserve-historical-states --disable-code-size-limit
anvil_address="$(wait_listening anvil "$DEV_DIR/logs/anvil.log" "Listening on ")"
RPC_URL="http://$anvil_address"
WS_URL="ws://$anvil_address"
wait_for "anvil answering on $RPC_URL" 30 cast chain-id --rpc-url "$RPC_URL"

deployment="$DEV_DIR/deployments/$CHAIN_ID.json"
contract_in() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tributary"])' "$1"; }
streams_field() { python3 -c 'import json, sys; print((json.load(open(sys.argv[1])).get("streams") or {}).get(sys.argv[2], ""))' "$deployment" "$1"; }
fresh=1
if [ -f "$deployment" ]; then
    CONTRACT="$(contract_in "$deployment")"
    if [ ! -f "$DEV_DIR/demo/seeded" ]; then
        say "the last start stopped before the demo was seeded: deploying a new suite"
    elif [ "$(cast code "$CONTRACT" --rpc-url "$RPC_URL")" = "0x" ]; then
        say "the suite at $CONTRACT is not on this chain: deploying a new suite"
    elif [ -z "$(streams_field tributaryStreams)" ]; then
        # An indexer refuses to add streams to a mirror that has blocks: start over.
        say "the last deployment has no streams (an older dev stack): deploying a new suite"
    else
        fresh=0
        say "reusing the deployment at $CONTRACT (its code is on the chain)"
    fi
fi
if [ "$fresh" -eq 1 ]; then
    say "deploying the suite (scripts/deploy.sh; RELAYER_ROLE to the relayer $RELAYER_ADDRESS)"
    written="$(DEPLOYER_KEY=$ANVIL_KEY RELAYER=$RELAYER_ADDRESS scripts/deploy.sh "$RPC_URL")"
    cp "$written" "$deployment"
    # deployments/31337.json stays for the README's commands; another chain id's file moves.
    [ "$CHAIN_ID" = 31337 ] || rm -f "$written"
    CONTRACT="$(contract_in "$deployment")"
    # A new chain: the demo and the databases of an older one do not apply to it.
    rm -rf "$DEV_DIR/demo" "$DEV_DIR/homes" "$DEV_DIR/blobs"
    mkdir -p "$DEV_DIR/demo"
    # Superfluid's contracts exceed EIP-170, hence anvil's --disable-code-size-limit above (the
    # suite's own size is checked by `forge build --sizes`). The first build compiles Superfluid
    # (about a minute); later ones are cached.
    say "deploying Superfluid and TributaryStreams beside the suite (scripts/deploy-streams.sh)"
    DEPLOYER_KEY=$ANVIL_KEY scripts/deploy-streams.sh "$RPC_URL" "$deployment" >/dev/null
fi
STREAMS="$(streams_field tributaryStreams)"
SUPER_TOKEN="$(streams_field superToken)"

# ---------------------------------------------------------------- databases

# psql_run <url> <sql>
psql_run() { PGOPTIONS='-c client_min_messages=warning' psql "$1" -v ON_ERROR_STOP=1 -qtAX -c "$2"; }
with_search_path() { # with_search_path <url> <schema>
    case "$1" in
    *\?*) echo "$1&options=-c%20search_path%3D$2" ;;
    *) echo "$1?options=-c%20search_path%3D$2" ;;
    esac
}
if [ -n "${DATABASE_URL:-}" ]; then
    say "database: DATABASE_URL, schemas indexer and relayer$([ "$fresh" -eq 1 ] && echo ' (reset: new chain)')"
    if [ "$fresh" -eq 1 ]; then
        psql_run "$DATABASE_URL" "DROP SCHEMA IF EXISTS indexer CASCADE; DROP SCHEMA IF EXISTS relayer CASCADE"
    fi
    psql_run "$DATABASE_URL" "CREATE SCHEMA IF NOT EXISTS indexer; CREATE SCHEMA IF NOT EXISTS relayer"
    INDEXER_DB="$(with_search_path "$DATABASE_URL" indexer)"
    RELAYER_DB="$(with_search_path "$DATABASE_URL" relayer)"
else
    # The embedded PostgreSQL default is not there yet: the machine's server stands in.
    say "database: no DATABASE_URL, so PostgreSQL on $PG_SERVER (the embedded one is not there yet): databases ${DB_PREFIX}_indexer and ${DB_PREFIX}_relayer"
    for db in "${DB_PREFIX}_indexer" "${DB_PREFIX}_relayer"; do
        if [ "$fresh" -eq 1 ]; then
            psql_run "$PG_SERVER/postgres" "DROP DATABASE IF EXISTS $db WITH (FORCE)"
        fi
        if [ -z "$(psql_run "$PG_SERVER/postgres" "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
            say "creating database $db"
            psql_run "$PG_SERVER/postgres" "CREATE DATABASE $db"
        fi
    done
    INDEXER_DB="$PG_SERVER/${DB_PREFIX}_indexer"
    RELAYER_DB="$PG_SERVER/${DB_PREFIX}_relayer"
fi

# ---------------------------------------------------------------- services

# Secrets live in files (mode 0600), never on command lines or in logs.
umask 077
printf '%s\n' "${RELAYER_KEY#0x}" >"$DEV_DIR/secrets/relayer.key"
secret_file="$DEV_DIR/secrets/stripe-webhook-secret"
[ -s "$secret_file" ] ||
    python3 -c 'import secrets; print("whsec_" + secrets.token_hex(24))' >"$secret_file"
umask 022

# The suite and its streams (TributaryStreams, Superfluid's host) from the deployment file.
say "starting the API and the indexer in it (tributary-api; manifests in $DEV_DIR/blobs)"
mkdir -p "$DEV_DIR/blobs"
DATABASE_URL="$INDEXER_DB" start_child api "$DEV_DIR/logs/api.log" \
    "$BIN/tributary-api" --rpc-url "$RPC_URL" --ws-url "$WS_URL" \
    --deployments "$DEV_DIR/deployments" --listen "127.0.0.1:$API_PORT" \
    --manifest-store "$DEV_DIR/blobs" --access-keys "$DEV_DIR/secrets/api-keys" --poll-ms 500
say "starting the relayer (key of $RELAYER_ADDRESS, webhook secret in $secret_file)"
DATABASE_URL="$RELAYER_DB" start_child relayer "$DEV_DIR/logs/relayer.log" \
    "$BIN/tributary-relayer" --rpc-url "$RPC_URL" --contract "$CONTRACT" \
    --deployments "$DEV_DIR/deployments" --listen "127.0.0.1:$RELAYER_PORT" \
    --relayer-key-file "$DEV_DIR/secrets/relayer.key" --webhook-secret-file "$secret_file" \
    --chain-poll-ms 200 --poll-ms 500
API_URL="http://$(wait_listening api "$DEV_DIR/logs/api.log" "listening on ")"
RELAYER_URL="http://$(wait_listening relayer "$DEV_DIR/logs/relayer.log" "listening on ")"

# ---------------------------------------------------------------- demo

# Each demo actor has a CLI home (key = an anvil account) sharing one blob store, which the
# indexer reads the manifests from. `init --force` on every start: the RPC port may change.
HOMES="$DEV_DIR/homes"
actors=(creator-a:2 creator-b:3 buyer-wallet:4 buyer-card:5 auditor:6)
for actor in "${actors[@]}"; do
    name="${actor%%:*}"
    mkdir -p "$HOMES/$name"
    if [ ! -f "$HOMES/$name/key" ]; then
        (umask 077 && key_of "${actor##*:}" | sed 's/^0x//' >"$HOMES/$name/key")
    fi
    "$CLI" --home "$HOMES/$name" init --force --rpc-url "$RPC_URL" --deployment "$deployment" \
        --store "$DEV_DIR/blobs" >/dev/null
done
cli() { local home="$1"; shift; "$CLI" --home "$HOMES/$home" "$@"; }
account() { address_of "0x$(cat "$HOMES/$1/key")"; }
CREDITS_TOKEN=0x000000000000000000000000000000000C4ED175
CARD_PRICE=500 # credits, one per cent: $5.00
STREAM_RATE=1000000000000000 # Super Token wei per second (86.4 tokens a day)

make_demo_files() {
    python3 - "$DEV_DIR/demo/datasets" <<'PY'
import json, math, os, random, struct, sys, wave
root = sys.argv[1]
rng = random.Random(9)
def folder(name):
    path = os.path.join(root, name)
    os.makedirs(path, exist_ok=True)
    return path
# 1. Alpine bird songs: three short synthesized calls (16-bit WAV) and their metadata.
birds = folder("alpine-bird-songs")
rows = ["file,species,site,seconds"]
for i, (species, pitch) in enumerate([("alpine chough", 2200), ("wallcreeper", 3400), ("snowfinch", 2800)]):
    name = f"call-{i + 1:02d}.wav"
    with wave.open(os.path.join(birds, name), "wb") as out:
        out.setnchannels(1); out.setsampwidth(2); out.setframerate(8000)
        frames = bytearray()
        for n in range(4000):
            t = n / 8000
            sample = 0.4 * math.sin(2 * math.pi * (pitch + 400 * math.sin(2 * math.pi * 6 * t)) * t)
            frames += struct.pack("<h", int(sample * 32767 * math.exp(-3 * t)))
        out.writeframes(bytes(frames))
    rows.append(f"{name},{species},Val Bregaglia,0.5")
open(os.path.join(birds, "calls.csv"), "w").write("\n".join(rows) + "\n")
# 2. Handwritten digits: 200 8x8 greyscale glyphs as CSV, labels apart.
digits = folder("handwritten-digits")
with open(os.path.join(digits, "pixels.csv"), "w") as px, open(os.path.join(digits, "labels.txt"), "w") as lb:
    for _ in range(200):
        px.write(",".join(str(rng.randrange(17)) for _ in range(64)) + "\n")
        lb.write(f"{rng.randrange(10)}\n")
# 3. Street-sign photos: small PGM images with one JSON line of annotations each.
signs = folder("street-sign-photos")
with open(os.path.join(signs, "annotations.jsonl"), "w") as notes:
    for i, kind in enumerate(["stop", "yield", "speed-limit-30", "no-entry"]):
        name = f"sign-{i + 1:03d}.pgm"
        with open(os.path.join(signs, name), "wb") as img:
            img.write(b"P5 32 32 255\n" + bytes(rng.randrange(256) for _ in range(32 * 32)))
        notes.write(json.dumps({"file": name, "label": kind, "bbox": [4, 4, 28, 28]}) + "\n")
PY
}

# post_card_payment <relayer url> <secret file> <buyer> <payment intent> <amount> <dataset>:
# the checkout.session.completed event Stripe sends once the buyer has paid the Checkout Session
# that `POST /datasets/{id}/purchase` with payment_method "stripe" opens (metadata: dataset,
# offer, buyer), signed as Stripe signs it (HMAC-SHA256 of "t.payload" with the endpoint secret,
# header `Stripe-Signature: t=…,v1=…`); prints the answer. The dev stack has no Stripe account,
# so the demo posts what Stripe would.
post_card_payment() {
    python3 - "$@" <<'PY'
import hashlib, hmac, json, sys, time, urllib.request
url, secret_file, buyer, pi, amount, dataset = sys.argv[1:]
secret = open(secret_file).read().strip()
now = int(time.time())
session = {
    "id": "cs_test_" + pi[3:], "object": "checkout.session", "amount_subtotal": int(amount),
    "amount_total": int(amount), "currency": "usd",
    "customer_details": {"email": "card-buyer@example.com"},
    "metadata": {"buyer": buyer, "dataset": dataset, "offer": "0"}, "mode": "payment",
    "payment_intent": pi, "payment_status": "paid", "status": "complete",
}
event = {
    "id": "evt_" + pi[3:], "object": "event", "api_version": "2024-06-20", "created": now,
    "data": {"object": session}, "livemode": False, "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None}, "type": "checkout.session.completed",
}
payload = json.dumps(event, indent=2)
signature = hmac.new(secret.encode(), f"{now}.{payload}".encode(), hashlib.sha256).hexdigest()
request = urllib.request.Request(
    url + "/stripe/webhook", data=payload.encode(), method="POST",
    headers={"Content-Type": "application/json", "Stripe-Signature": f"t={now},v1={signature}"},
)
with urllib.request.urlopen(request, timeout=10) as answer:
    print(answer.read().decode())
PY
}

# job_done <job id>: the relayer's job finished; fails loudly if it was parked as failed.
job_done() {
    local job
    job="$(http_get "$RELAYER_URL/jobs?limit=500" | json "[j for j in d['items'] if j['id'] == $1][0]")"
    job_state "$job"
}

# licence_bought <payment intent>: the relayer's purchase job of that payment finished (it is
# stored when the mint is done); fails loudly if it was parked as failed.
licence_bought() {
    local job
    job="$(http_get "$RELAYER_URL/jobs?limit=500" |
        json "([j for j in d['items'] if j['kind'] == 'purchase_licence' and j['payment_intent'] == '$1'] or [None])[0]")"
    job_state "$job"
}

job_state() {
    local job="$1"
    case "$job" in
    *"'status': 'done'"*) return 0 ;;
    *"'status': 'failed'"*)
        # wait_for silences the probe: say why on the script's own stderr (fd 3).
        printf "error: the relayer parked the card payment's job: %s\n" "$job" >&3
        exit 1
        ;;
    *) return 1 ;;
    esac
}

seed_demo() {
    say "seeding the demo (first start only): two creators, three datasets, a wallet purchase, a card purchase, a stream, a claim"
    make_demo_files
    local data="$DEV_DIR/demo/datasets" a b wallet card
    a="$(account creator-a)" b="$(account creator-b)"
    wallet="$(account buyer-wallet)" card="$(account buyer-card)"

    say "demo: creator A ($a) publishes 'Alpine bird songs' (0.01 ETH)"
    cli creator-a publish "$data/alpine-bird-songs" --title "Alpine bird songs" \
        --description "Synthesized calls of three Alpine birds, with site metadata" --price 0.01
    say "demo: creator B ($b) publishes 'Handwritten digits' (0.02 ETH, split 3:1 with creator A)"
    cli creator-b publish "$data/handwritten-digits" --title "Handwritten digits" \
        --description "Two hundred 8x8 greyscale digits with labels" --price 0.02 \
        --payee "$b=3" --payee "$a=1"
    say "demo: creator B publishes 'Street-sign photos' ($CARD_PRICE card credits, \$5.00)"
    cli creator-b publish "$data/street-sign-photos" --title "Street-sign photos" \
        --description "Annotated photos of street signs" --token "$CREDITS_TOKEN" --price "$CARD_PRICE"

    say "demo: the wallet buyer ($wallet) buys dataset 1 with ETH (tributary buy)"
    cli buyer-wallet buy 1
    say "demo: creator A shares dataset 1 with the API, for licence holders to download (tributary share)"
    cli creator-a share 1 --api "$API_URL"

    say "demo: the card buyer ($card) pays \$5.00 by card for dataset 3: the signed Stripe webhook of the paid Checkout Session to the relayer"
    local pi answer job
    pi="pi_demo$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
    answer="$(post_card_payment "$RELAYER_URL" "$secret_file" "$card" "$pi" "$CARD_PRICE" 3)"
    job="$(echo "$answer" | json "d['job_id']")"
    [ "$job" != None ] || die "the relayer stored the card payment without a job: $answer"
    wait_for "the relayer crediting the card payment (job $job)" 120 job_done "$job"
    echo "$pi" >"$DEV_DIR/demo/card-payment-intent"
    say "demo: credited; the relayer buys dataset 3 for the card buyer with the payment's credits (its purchase job)"
    wait_for "the relayer buying the card buyer's licence" 120 licence_bought "$pi"

    say "demo: creator B adds a subscription to 'Handwritten digits' (0.001 Super Token a second, streamed)"
    cli creator-b offer add 2 --kind subscription --token "$SUPER_TOKEN" --price "$STREAM_RATE"
    say "demo: the wallet buyer streams to dataset 2 from its Super Tokens (tributary stream start)"
    cast send "$SUPER_TOKEN" 'transfer(address,uint256)' "$wallet" 1000000000000000000000 \
        --private-key "$ANVIL_KEY" --rpc-url "$RPC_URL" >/dev/null
    cli buyer-wallet stream start 2

    say "demo: creator A claims their royalties and connects to dataset 2's pool (tributary claim)"
    cli creator-a claim
    touch "$DEV_DIR/demo/seeded"
}

if [ -f "$DEV_DIR/demo/seeded" ]; then
    say "demo already seeded (data kept from the last run)"
else
    seed_demo
fi

# ---------------------------------------------------------------- ready

card_credited() {
    local pi
    pi="$(cat "$DEV_DIR/demo/card-payment-intent")"
    cast call "$CONTRACT" 'creditPayment(bytes32)((address,uint96,uint96,bool))' \
        "$(cast keccak "$pi")" --rpc-url "$RPC_URL" | grep -q ", $CARD_PRICE, $CARD_PRICE, false)"
}
indexed_to_head() {
    local head
    head="$(cast block-number --rpc-url "$RPC_URL")"
    http_get "$API_URL/readyz" >/dev/null || return 1
    [ "$(http_get "$API_URL/status" | json "d['indexed_block']")" -ge "$head" ]
}
titles_shown() {
    # The demo's three (datasets published later from elsewhere may have no manifest here).
    http_get "$API_URL/datasets" |
        json "len([x for x in d['items'] if x['id'] in ('1', '2', '3') and x['title']]) == 3" |
        grep -qx True
}
say "waiting for the indexer to reach the chain's head and show the titles"
wait_for "the card payment credited on-chain" 120 card_credited
wait_for "the indexer ready and at the chain's head" 120 indexed_to_head
wait_for "the datasets' titles indexed" 120 titles_shown

verify_cmd="$(printf '%q ' "$CLI" --home "$HOMES/auditor" verify 1 "$DEV_DIR/demo/datasets/alpine-bird-songs")"
download_cmd="$(printf '%q ' "$CLI" --home "$HOMES/buyer-wallet" download 1 --api "$API_URL" --out "$DEV_DIR/downloads/alpine-bird-songs")"
elapsed="$(( ($(date +%s%N) - started_at) / 1000000 ))"
cat <<EOF

Tributary runs locally (up in $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000))) s):
chain RPC:    $RPC_URL (anvil, chain id $CHAIN_ID; state in $state)
API:          $API_URL (the indexer's reads and the product's endpoints; OpenAPI: $API_URL/openapi.json)
relayer:      $RELAYER_URL (Stripe webhooks: $RELAYER_URL/stripe/webhook; OpenAPI: $RELAYER_URL/openapi.json)
deployment:   $deployment
streams:      TributaryStreams $STREAMS, Super Token $SUPER_TOKEN (Superfluid's test framework)
data:         $DEV_DIR (logs in $DEV_DIR/logs)
demo:         creators $(account creator-a) and $(account creator-b), wallet buyer $(account buyer-wallet), card buyer $(account buyer-card)
try:          curl -s $API_URL/datasets
verify:       ${verify_cmd% }
download:     ${download_cmd% }
pids:         anvil $(pid_of anvil), api $(pid_of api), relayer $(pid_of relayer)

Press Ctrl-C to stop (the data is kept for the next start).
ready
EOF

# Run until a signal (the trap stops everything) or until a child dies.
while :; do
    wait -n "$(pid_of anvil)" "$(pid_of api)" "$(pid_of relayer)" || true
    for name in anvil api relayer; do
        if ! alive "$(pid_of "$name")"; then
            tail -n 20 "$DEV_DIR/logs/$name.log" >&2
            die "$name exited unexpectedly (log: $DEV_DIR/logs/$name.log): stopping the stack"
        fi
    done
done
