#!/usr/bin/env python3
"""The markdown bench/run.sh writes into docs/bench.md, from what each bench printed.

  summary.py gas SNAPSHOT.json                 the gas section (docs/gas.md has every row)
  summary.py stylus SIZES.txt SOLIDITY.json    the deployed-size section
  summary.py table docs/bench.md SNAPSHOT.json MACHINE
                                               the summary: one row per bench, our figure
                                               beside the peer's from the same run

The table reads the sections as the benches wrote them (their tables' first cells name the
rows); a bench that has not run yet shows as such, never as a made-up figure.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from sections import read_section  # noqa: E402

ARBITRUM_LIMIT = 24 * 1024  # compressed (brotli) program size Arbitrum activates
EIP170_LIMIT = 24_576  # runtime bytecode size an EVM chain deploys


def gas(snapshot):
    g = {k: int(v) for k, v in json.load(open(snapshot)).items()}
    rows = [
        ("register a dataset", "register", "EAS attest", "peer_eas_attest"),
        ("publish a version", "publish_version", "EAS timestamp", "peer_eas_timestamp"),
        ("release ETH, first", "release_eth_first", "PaymentSplitter release, first", "peer_payment_splitter_release_eth_first"),
        ("purchase with ETH", "purchase_eth", "ERC-721 mint", "peer_erc721_mint"),
    ]
    out = ["| operation | gas | peer | peer gas | ratio |", "|---|---:|---|---:|---:|"]
    for label, ours, peer_label, peer in rows:
        out.append(f"| {label} | {g[ours]:,} | {peer_label} | {g[peer]:,} | {g[ours] / g[peer]:.2f} |")
    out.append("")
    out.append("Every operation and its target: docs/gas.md.")
    return "\n".join(out)


def stylus(sizes_txt, solidity_json):
    rows = []
    for line in open(sizes_txt):
        parts = line.split()
        if len(parts) >= 4 and parts[1].isdigit():
            rows.append((parts[0], int(parts[1]), int(parts[2]), int(parts[3])))
    sizes = json.load(open(solidity_json))
    tributary = sizes["Tributary"]["runtime_size"]
    out = [
        "| build | contract | raw | after wasm-opt | deployed measure | limit | share of limit |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, raw, opt, brotli in rows:
        out.append(
            f"| Stylus (Arbitrum) | {name} | {raw:,} | {opt:,} | {brotli:,} (brotli) | {ARBITRUM_LIMIT:,} | {brotli / ARBITRUM_LIMIT:.2f} |"
        )
    out.append(
        f"| Solidity (any EVM) | Tributary (one contract) | - | - | {tributary:,} (runtime) | {EIP170_LIMIT:,} | {tributary / EIP170_LIMIT:.2f} |"
    )
    out.append("")
    out.append(
        "Each build against its own chain's limit: Arbitrum activates a Stylus program up to 24 KiB "
        "brotli-compressed (the suite is four programs), an EVM chain deploys up to 24,576 bytes of "
        "runtime code (EIP-170; the Solidity suite is one contract)."
    )
    return "\n".join(out)


def row(section, label_start):
    """The cells of the first table row of `section` whose first cell starts with `label_start`."""
    for line in section.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells and cells[0].startswith(label_start):
                return cells
    return None


def number(text):
    match = re.search(r"[\d,]+(\.\d+)?", text or "")
    return float(match.group(0).replace(",", "")) if match else None


def cells_first(text):
    """The figure a cell starts with (before its parenthesis)."""
    return text.split(" (")[0]


def table(docs, snapshot, machine):
    out = [
        f"Machine: {machine}. Each row: our figure and the peer's, measured in the same run of the same bench (the section below has the details and the load).",
        "",
        "| bench | ours | peer in the same run | ratio |",
        "|---|---|---|---:|",
    ]
    missing = []
    try:
        g = {k: int(v) for k, v in json.load(open(snapshot)).items()}
        out.append(
            f"| gas: register a dataset | {g['register']:,} gas | EAS attest {g['peer_eas_attest']:,} gas | {g['register'] / g['peer_eas_attest']:.2f} × |"
        )
        out.append(
            f"| gas: release ETH, first | {g['release_eth_first']:,} gas | PaymentSplitter {g['peer_payment_splitter_release_eth_first']:,} gas | {g['release_eth_first'] / g['peer_payment_splitter_release_eth_first']:.2f} × |"
        )
    except (OSError, KeyError, ValueError):
        missing.append("gas")
    size = read_section(docs, "## Deployed size (stylus/scripts/size.sh, forge build --sizes)")
    largest = max(
        (
            (number(cells[4]), cells[1])
            for cells in (
                [c.strip() for c in line.strip().strip("|").split("|")]
                for line in size.splitlines()
                if line.startswith("| Stylus")
            )
        ),
        default=None,
    )
    solidity = row(size, "Solidity")
    if largest and solidity:
        out.append(
            f"| deployed size: largest Stylus program ({largest[1]}) | {largest[0]:,.0f} B brotli of {ARBITRUM_LIMIT:,} | Solidity runtime {number(solidity[4]):,.0f} B of {EIP170_LIMIT:,} | {largest[0] / ARBITRUM_LIMIT:.2f} / {number(solidity[4]) / EIP170_LIMIT:.2f} of the limits |"
        )
    else:
        missing.append("stylus")
    hashing = read_section(docs, "## SHA-256 (bench/hash/run.sh)")
    ours, peer = row(hashing, "large: tributary"), row(hashing, "large: openssl")
    if ours and peer:
        out.append(
            f"| SHA-256 of a large file | {ours[2]} MiB/s | openssl {peer[2]} MiB/s | {number(ours[2]) / number(peer[2]):.2f} × |"
        )
    else:
        missing.append("hash")
    cli = read_section(docs, "## The CLI end to end (bench/cli/run.sh)")
    publish, floor = row(cli, "publish"), row(cli, "peer: `sha256sum`") or row(cli, "peer: sha256sum")
    if publish and floor:
        out.append(
            f"| CLI publish (hash, encrypt, store, sign, anchor) | {publish[1]} s | one `sha256sum` pass {floor[1]} s | {number(publish[1]) / number(floor[1]):.2f} × the time |"
        )
    else:
        missing.append("cli")
    indexer = read_section(docs, "## Indexer (bench/indexer/run.sh)")
    raw = row(indexer, "backfill, events/s (PostgreSQL)")
    if raw:
        out.append(f"| indexer backfill | {number(raw[1]):,.0f} events/s | {raw[2]} | {raw[3]} |")
        ponder = [
            line for line in indexer.splitlines() if line.startswith("| backfill, events/s (PostgreSQL)") and "Ponder" in line
        ]
        if ponder:
            cells = [c.strip() for c in ponder[0].strip().strip("|").split("|")]
            out.append(f"| indexer backfill | {number(cells[1]):,.0f} events/s | {cells[2]} | {cells[3]} |")
        api = row(indexer, "`GET /datasets/{id}` at")
        if api:
            out.append(f"| API `GET /datasets/{{id}}` p50 / p90 / p99 | {api[1]} | - | - |")
    else:
        missing.append("indexer")
    relayer = read_section(docs, "## Relayer (bench/relayer/run.sh)")
    hooks = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in relayer.splitlines()
        if line.startswith("| webhooks/s accepted")
    ]
    credited = row(relayer, "payments/s credited end to end (anvil automine)")
    if hooks and credited:
        for cells in hooks:
            out.append(f"| relayer: webhooks accepted | {number(cells[1]):,.0f}/s | {cells[2]} | {cells[3]} |")
        out.append(f"| relayer: payments credited end to end (anvil) | {cells_first(credited[1])}/s | {credited[2]} | {credited[3]} |")
    else:
        missing.append("relayer")
    if missing:
        out.append("")
        out.append("Not run yet by `bench/run.sh`: " + ", ".join(missing) + ".")
    out.append("")
    out.append("Not benchmarked yet: the product API's write endpoints.")
    return "\n".join(out)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "gas":
        print(gas(sys.argv[2]))
    elif kind == "stylus":
        print(stylus(sys.argv[2], sys.argv[3]))
    elif kind == "table":
        print(table(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        sys.exit(f"unknown kind {kind}")
