#!/usr/bin/env python3
"""Prints bench/relayer/run.sh's results as the markdown of the relayer's section of
docs/bench.md (bench/run.sh puts it there under its heading).

  report.py RESULTS.json
Every figure comes from RESULTS.json, written by run.sh in the same run.
"""

import json
import sys

WEBHOOK_TARGET = 2000  # verified webhooks accepted per second (issue 7)
CREDIT_TARGET = 200  # payments credited per second (issue 7)


def fmt(n, digits=0):
    return f"{n:,.{digits}f}"


def verdict(ok):
    return "met" if ok else "**not met**"


def latency(d):
    return f"p50 {d['p50_ms']:.1f} / p99 {d['p99_ms']:.1f} ms"


def render(r):
    s = r["settings"]
    pg = r["postgres"]
    hooks, health, bench = r["webhooks"], r["health"], r["pgbench"]
    auto, blocks = r["automine"], r["blocks"]
    out = []
    out.append(
        f"{r['date']}, {r['machine']}; PostgreSQL {pg['version']} (`synchronous_commit` "
        f"{pg['synchronous_commit']}, `fsync` {pg['fsync']}); {r['anvil']}; relayer at {r['commit']} "
        f"(release). Load average (1, 5, 15 min) before the ingest test {r['load_ingest']}, before "
        f"pgbench {r['load_pgbench']}, before the end-to-end runs {r['load_automine']} and "
        f"{r['load_blocks']}, at the end {r['load_end']}: the machine was shared with other builds, "
        "so read the ratios, which come from one run."
    )
    out.append("")
    out.append("| measure | ours | peer in the same run | ratio | target | |")
    out.append("|---|---:|---:|---:|---|---|")
    out.append(
        f"| webhooks/s accepted (verified, stored, 200) | {fmt(hooks['rate'])} ({fmt(hooks['ok'])} in "
        f"{hooks['seconds']:.2f} s; {latency(hooks)}) | `GET /health`: {fmt(health['rate'])} "
        f"({latency(health)}) | {hooks['rate'] / health['rate']:.2f} × | ≥ {fmt(WEBHOOK_TARGET)}/s "
        f"| {verdict(hooks['rate'] >= WEBHOOK_TARGET)} |"
    )
    out.append(
        f"| webhooks/s accepted (verified, stored, 200) | {fmt(hooks['rate'])} | pgbench, the same rows "
        f"in one transaction each: {fmt(bench['tps'])} | {hooks['rate'] / bench['tps']:.2f} × | | |"
    )
    for name, run, label in (
        ("automine", auto, "payments/s credited end to end (anvil automine)"),
        ("blocks", blocks, f"payments/s credited end to end (a block every {s['block_time']} s)"),
    ):
        rate = run["payments"] / run["seconds"]
        delivery = run["delivery"]
        out.append(
            f"| {label} | {rate:,.1f} ({fmt(run['payments'])} in {run['seconds']:.1f} s; one "
            f"transaction each: {fmt(run['chain']['transactions'])} transactions in "
            f"{fmt(run['chain']['blocks'])} blocks) | the same run's webhooks accepted: "
            f"{fmt(delivery['rate'])}/s (all in {run['delivery_seconds']:.1f} s) "
            f"| {rate / delivery['rate']:.3f} × | ≥ {CREDIT_TARGET}/s | {verdict(rate >= CREDIT_TARGET)} |"
        )
    out.append("")
    for name, run in (("automine", auto), ("blocks", blocks)):
        c, db = run["chain"], run["db"]
        out.append(
            f"Zero loss ({name}): {fmt(c['payments'])} payments delivered, {fmt(c['credits'])} "
            f"`CreditsMinted`, {c['missing']} missing, {c['double']} credited twice; "
            f"`creditPayment` right for {fmt(c['views_ok'])}, `creditBalance` right for "
            f"{c['balances_ok']} of {c['buyers']} buyers; jobs {json.dumps(db['outcomes'])}, "
            f"{fmt(db['transactions'])} transactions signed, at most {db['attempts_max']} claim(s) "
            f"per job; a job waited from stored to done p50 {db['wait_p50_s']:.1f} s, p99 "
            f"{db['wait_p99_s']:.1f} s."
        )
        out.append("")
    out.append(
        f"How: `bench/relayer/run.sh` (bench/run.sh relayer). The load driver "
        f"(`bench/relayer/driver`, one thread) builds {fmt(s['webhooks'])} distinct "
        f"`checkout.session.completed` events (pretty-printed as Stripe sends them, "
        f"{fmt(hooks['request_bytes_mean'])} bytes per request with headers; {s['buyers']} buyers, "
        f"credits only), signs them as Stripe does (its signer is checked against the npm `stripe` "
        f"package's `generateTestHeaderString` first) and POSTs them over {s['concurrency']} "
        f"keep-alive connections, each taking the next event when its answer has come; an answer "
        f"other than 200 with `\"duplicate\": false` fails the run, and every event and its job are "
        f"counted in the database afterwards. During the ingest test the worker is held (its node "
        f"paused with SIGSTOP), so the figure is the HTTP path alone: verify the signature, parse, one "
        f"PostgreSQL transaction (event, job, link) committed before the answer. `GET /health` is the "
        f"same process and pool doing the minimum (HTTP and one `SELECT 1`); pgbench (one thread, "
        f"{s['concurrency']} clients, prepared) commits the same three statements per transaction "
        f"with a body of the same size ({fmt(bench['body_bytes'])} bytes): the storage floor without "
        f"HTTP or crypto. End to end: a fresh database and anvil, the relayer with "
        f"`--chain-poll-ms {s['chain_poll_ms']}` (default 1,000 when unset) and `--confirmations 1`; "
        f"timed from the first delivery until every job is `done`, then the chain is read "
        f"(`bench/relayer/check.py`)."
    )
    out.append("")
    out.append(
        "Reading it: the relayer does not batch mints. Its one worker claims a job, sends one "
        "`mintCredits` transaction and waits for its receipt before the next job, so it credits at "
        "most one payment per receipt round trip (with automine: the poll interval plus a few RPC "
        "calls) and at most one per block on a chain with block times. Reaching the 200/s target "
        "needs a batch: many payments per transaction (a `mintCredits` over arrays, or a multicall, "
        "skipping ids already credited or reversed instead of reverting) and a claim of many jobs at "
        "once, with several transactions in flight at consecutive nonces."
    )
    return "\n".join(out)


if __name__ == "__main__":
    print(render(json.load(open(sys.argv[1]))))
