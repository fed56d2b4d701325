#!/usr/bin/env python3
"""Turn snapshots/GasBench.json (written by bench/gas/GasBench.t.sol) into docs/gas.md:
each Tributary operation beside its peer, measured in the same run, with the ratio and the
target the contract-suite issue set."""
import json
import platform
import subprocess
import sys

# (our key, label, peer key, peer label, target ratio to the peer, per-item divisor, extra)
ROWS = [
    ("register", "register a dataset (2-payee split, 1 offer)", "peer_eas_attest", "EAS attest (one bytes32)", 0.5, 1, 0),
    ("publish_version", "publish a new version", "peer_eas_timestamp", "EAS timestamp", 0.75, 1, 0),
    ("anchor_batch_1000", "batch anchoring, per manifest (1,000 under one root)", "peer_eas_multi_timestamp_1000", "EAS multiTimestamp, per hash (1,000)", None, 1000, 0),
    ("release_eth_first", "release ETH, first", "peer_payment_splitter_release_eth_first", "PaymentSplitter release ETH, first", 1.0, 1, 0),
    ("release_eth_later", "release ETH, later", "peer_payment_splitter_release_eth_later", "PaymentSplitter release ETH, later", 1.0, 1, 0),
    ("release_erc20_first", "release ERC-20, first", "peer_payment_splitter_release_erc20_first", "PaymentSplitter release ERC-20, first", 1.0, 1, 0),
    ("release_erc20_later", "release ERC-20, later", "peer_payment_splitter_release_erc20_later", "PaymentSplitter release ERC-20, later", 1.0, 1, 0),
    ("purchase_eth", "purchase a licence with ETH (new buyer)", "peer_erc721_mint", "OpenZeppelin 5 ERC-721 mint (+40,000 allowed)", 1.0, 1, 40_000),
]
ABSOLUTE_TARGETS = {"anchor_batch_1000": 100}  # gas per manifest


def main(snapshot_path: str, out_path: str) -> int:
    with open(snapshot_path) as f:
        gas = {k: int(v) for k, v in json.load(f).items()}
    forge = subprocess.run(["forge", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    lines = [
        "# Gas: Tributary beside its peers",
        "",
        "Measured by `bench/gas/run.sh` in one run (`forge test --isolate`: each call its own",
        "transaction, so cold storage, the 21,000 base and calldata are priced as on a chain).",
        "Peers are deployed from npm in the same run: EAS from its shipped artifacts, OpenZeppelin",
        "4.9 `PaymentSplitter`, an OpenZeppelin 5 ERC-721. Payees and buyers are new accounts for",
        "both sides. Do not edit by hand: rerun the bench.",
        "",
        f"Machine: {platform.machine()}, {forge}, solc 0.8.30 (via-IR, 200 runs), EVM prague.",
        "",
        "| operation | Tributary | peer | peer gas | ratio | target | met |",
        "|---|---:|---|---:|---:|---|:-:|",
    ]
    failures = 0
    for ours, label, peer, peer_label, ratio, divisor, extra in ROWS:
        our_gas = gas[ours] / divisor
        peer_gas = gas[peer] / divisor
        if ours in ABSOLUTE_TARGETS:
            limit = ABSOLUTE_TARGETS[ours]
            target = f"≤ {limit} per manifest"
        else:
            limit = peer_gas * ratio + extra
            target = f"≤ {ratio:g} × peer" + (f" + {extra:,}" if extra else "")
        met = our_gas <= limit
        failures += not met
        lines.append(
            f"| {label} | {our_gas:,.0f} | {peer_label} | {peer_gas:,.0f} | "
            f"{our_gas / peer_gas:.2f} | {target} | {'yes' if met else '**no**'} |"
        )
    verdict = "every target met" if failures == 0 else f"targets missed: {failures}; see docs/contracts.md"
    lines += ["", f"Result: {verdict}.", ""]
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
