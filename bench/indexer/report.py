#!/usr/bin/env python3
"""Prints bench/indexer/run.sh's results as markdown and, given docs/bench.md, rewrites its
"Indexer" section (from its heading to the next "## " heading) with the same text.

  report.py RESULTS.json [docs/bench.md]
Every figure comes from RESULTS.json, written by run.sh in the same run.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sections import replace_section  # noqa: E402

HEADING = "## Indexer (bench/indexer/run.sh)"


def fmt_int(n):
    return f"{n:,.0f}"


def verdict(ok):
    return "met" if ok else "**not met**"


def render(r):
    chain = r["chain"]
    events = chain["events"]
    blocks = chain["head"] - chain["deploy_block"] + 1
    raw_rate = r["raw"]["events"] / r["raw"]["seconds"]
    ours_rate = r["ours"]["events"] / r["ours"]["seconds"]
    ponder_rate = r["ponder"]["events"] / r["ponder"]["seconds"]
    follow = r["follow"]
    block_ms = 1000 * r["settings"]["block_time"]
    follow_target = block_ms + 50
    api = r["api"]
    api_max = r["api_max"]
    mix = ", ".join(f"{name} {fmt_int(n)}" for name, n in chain["mix"].items())

    out = []
    out.append(HEADING)
    out.append("")
    out.append(
        f"{r['date']}, {r['machine']}; PostgreSQL {r['postgres_version']}, Ponder {r['ponder_version']}; "
        f"indexer at {r['commit']}. Load average (1, 5, 15 min) at the start {r['load_start']}, "
        f"before our backfill {r['load_ours']}, before Ponder's {r['load_ponder']}, before the follow "
        f"test {r['load_follow']}, before the API test {r['load_api']}, at the end {r['load_end']}: "
        "the machine is shared, so read the ratios, which come from one run on one chain."
    )
    out.append("")
    out.append(
        f"Chain: {fmt_int(events)} suite events over {fmt_int(blocks)} blocks "
        f"({fmt_int(chain['transactions'])} generator transactions of {chain['rounds_per_tx']} rounds each, "
        + (f"{chain['empty_blocks_per_tx']} empty blocks after each, " if chain["empty_blocks_per_tx"] else "one block each, ")
        + f"{fmt_int(chain['rounds'])} datasets), "
        f"made by `bench/indexer/EventGenerator.sol` on anvil and cached"
        + (f" (the last part, after {fmt_int(chain['resumed_after_transactions'])} transactions, in {chain['seconds']:.0f} s)"
           if chain.get("resumed_after_transactions") else f" (in {chain['seconds']:.0f} s)")
        + f". Mix: {mix}."
    )
    out.append("")
    out.append("| measure | ours | peer in the same run | ratio | target | |")
    out.append("|---|---:|---:|---:|---|---|")
    out.append(
        f"| backfill, events/s (PostgreSQL) | {fmt_int(ours_rate)} ({r['ours']['seconds']:.1f} s) "
        f"| raw `eth_getLogs`: {fmt_int(raw_rate)} ({r['raw']['seconds']:.2f} s, "
        f"{r['raw']['bytes'] / 2**20:.0f} MiB of JSON, best of {r['raw']['runs']}) "
        f"| {ours_rate / raw_rate:.2f} × | ≥ 0.5 × raw | {verdict(ours_rate >= 0.5 * raw_rate)} |"
    )
    out.append(
        f"| backfill, events/s (PostgreSQL) | {fmt_int(ours_rate)} "
        f"| Ponder (PGlite): {fmt_int(ponder_rate)} ({r['ponder']['seconds']:.1f} s; `/ready` after "
        f"{r['ponder']['ready_seconds']:.1f} s with {fmt_int(r['ponder']['ready_events'])} events) "
        f"| {ours_rate / ponder_rate:.2f} × | ≥ 3 × Ponder | {verdict(ours_rate >= 3 * ponder_rate)} |"
    )
    out.append(
        "| backfill, events/s (embedded default, `pglite-oxide`) | not yet (the indexer has no embedded "
        "database yet) | Ponder (PGlite): as above | - | ≥ 0.5 × raw, ≥ 3 × Ponder | not measured |"
    )
    out.append(
        f"| peak RSS during the backfill | {r['ours']['rss_mib']} MiB | Ponder: {r['ponder']['rss_mib']} MiB "
        f"| {r['ours']['rss_mib'] / r['ponder']['rss_mib']:.2f} × | bounded | reported |"
    )
    fp = r["follow_ponder"]
    out.append(
        f"| follow latency, block on the node → row served (median / p99 / max of {follow['samples']}; "
        f"with 50 samples p99 is the maximum) "
        f"| {follow['median_ms']:.0f} / {follow['p99_ms']:.0f} / {follow['max_ms']:.0f} ms "
        f"| Ponder: {fp['median_ms']:.0f} / {fp['p99_ms']:.0f} / {fp['max_ms']:.0f} ms "
        f"| {follow['median_ms'] / fp['median_ms']:.2f} × (median) "
        f"| ≤ {follow_target:.0f} ms (1 block of {block_ms:.0f} ms + 50 ms) "
        f"| {verdict(follow['p99_ms'] <= follow_target)} (p99) |"
    )
    out.append(
        f"| `GET /datasets/{{id}}` at {fmt_int(api['target_rate'])} req/s for {api['seconds']} s: p50 / p90 / p99 "
        f"| {api['p50_ms']:.2f} / {api['p90_ms']:.2f} / {api['p99_ms']:.2f} ms at {fmt_int(api['rate'])} req/s "
        f"({fmt_int(api['requests'])} requests, {api['non_2xx']} non-2xx) | - | - | p99 ≤ 5 ms "
        f"| {verdict(api['p99_ms'] <= 5 and api['rate'] >= 0.95 * api['target_rate'])} |"
    )
    out.append(
        f"| `GET /datasets/{{id}}` unthrottled (wrk, 16 connections, 10 s) | {fmt_int(api_max['rate'])} req/s, "
        f"p50 {api_max['p50_ms']:.2f} ms, p99 {api_max['p99_ms']:.2f} ms | - | - | - | capacity |"
    )
    out.append("")
    out.append(
        f"How it was measured. Backfill: from the process's start (migrations included) until its "
        f"`/status` reports `indexed_block` = the head, `--max-range {r['settings']['max_range']}`, other flags at "
        f"their defaults; `raw_logs` then holds exactly the {fmt_int(events)} events "
        f"({r['ours']['datasets']:,} datasets decoded, database {r['ours']['db_mib']} MiB). Ponder: from "
        "`ponder start` until `/ready` answers 200 and its table (one decoded row per event, every event of "
        "the ABI handled) holds every event (`/ready` marks the end of its historical phase; the last 30 "
        "blocks, its finality window on anvil, go through its realtime phase). Peak RSS: `VmHWM` of the process when caught up. "
        f"Load averages are listed in the order of the steps: backfills, API, then follow. "
        f"Raw `eth_getLogs`: one request over the whole range with curl, JSON received, not parsed. "
        f"Follow: on a fresh anvil (the suite alone) mining a block every {r['settings']['block_time']} s — on "
        "the large chain anvil takes longer than that to mine a block, as it recomputes its state root from the "
        "whole state at each — a registration sent at a random moment, its receipt and then the indexer polled "
        "every 2 ms (ours: `/datasets/{id}` answers 200; Ponder: a `/count` route over its table has grown); "
        f"ours polls the node every {fmt_int(r['settings']['poll_ms'])} ms, Ponder every 1,000 ms (both defaults). API: `wrk` paced by `bench/indexer/rate.lua` (wrk2 is not "
        "packaged), 2 threads, 16 connections, on loopback, against the backfilled database; wrk times each "
        "request from its write, so a request held back behind a slow one is not charged for its wait."
    )
    rg = r.get("ours_ranges")
    if rg:
        out.append("")
        out.append(
            f"Our backfill committed {rg['count']} ranges: median {fmt_int(rg['logs_median'])} logs "
            f"(max {fmt_int(rg['logs_max'])}) over a median {fmt_int(rg['blocks_median'])} blocks "
            f"(max {fmt_int(rg['blocks_max'])})."
        )
    if r.get("ours_log_warnings"):
        out.append("")
        out.append(f"The indexer logged {r['ours_log_warnings']} warning or error lines during its backfill.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    results = json.load(open(sys.argv[1]))
    section = render(results)
    print(section)
    if len(sys.argv) > 2:
        replace_section(sys.argv[2], HEADING, section)
        print(f"updated {sys.argv[2]}", file=sys.stderr)
