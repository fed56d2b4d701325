#!/usr/bin/env python3
"""Zero loss, checked on-chain: every payment the driver delivered is credited exactly once, to
its buyer, for its amount, and nothing else is.

  check.py RPC_URL CONTRACT FROM_BLOCK TO_BLOCK MANIFEST.json

MANIFEST: the driver's list of payments (payment_intent, payment_id, buyer, amount). Reads the
contract's CreditsMinted logs over the range, each payment's `creditPayment` view and each
buyer's `creditBalance` (JSON-RPC batches). Prints a JSON summary; exits 1, naming the first
problems, if a payment is missing, credited twice, credited wrongly, or a credit is unknown.
"""
import collections
import json
import subprocess
import sys
import urllib.request


def cast(*args):
    return subprocess.run(["cast", *args], check=True, capture_output=True, text=True).stdout.strip()


def rpc(url, calls):
    """One JSON-RPC batch; returns the results in order (raises on any error)."""
    if not calls:
        return []
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    answers = {a["id"]: a for a in json.load(urllib.request.urlopen(request, timeout=120))}
    out = []
    for i in range(len(calls)):
        if "error" in answers[i]:
            raise SystemExit(f"rpc error: {answers[i]['error']}")
        out.append(answers[i]["result"])
    return out


def words(data):
    data = data[2:]
    return [int(data[i : i + 64], 16) for i in range(0, len(data), 64)]


def main():
    url, contract, first, last, manifest_path = sys.argv[1:]
    manifest = json.load(open(manifest_path))
    expected = {p["payment_id"].lower(): p for p in manifest}
    if len(expected) != len(manifest):
        raise SystemExit("the manifest repeats a payment id")

    topic = cast("sig-event", "CreditsMinted(bytes32,address,uint256)")
    (logs,) = rpc(url, [("eth_getLogs", [{"address": contract, "fromBlock": hex(int(first)),
                                           "toBlock": hex(int(last)), "topics": [topic]}])])
    seen = collections.Counter()
    problems = []
    for log in logs:
        pid = log["topics"][1].lower()
        account = "0x" + log["topics"][2][-40:]
        amount = int(log["data"], 16)
        seen[pid] += 1
        want = expected.get(pid)
        if want is None:
            problems.append(f"a credit for an unknown payment {pid}")
        elif account != want["buyer"].lower() or amount != want["amount"]:
            problems.append(f"{want['payment_intent']} credited {amount} to {account}, expected "
                            f"{want['amount']} to {want['buyer']}")
    missing = [p["payment_intent"] for pid, p in expected.items() if seen[pid] == 0]
    double = [expected[pid]["payment_intent"] for pid, n in seen.items() if n > 1 and pid in expected]
    problems += [f"{pi} not credited" for pi in missing[:5]]
    problems += [f"{pi} credited more than once" for pi in double[:5]]

    # Each payment's record, and each buyer's balance, as the contract's views read them.
    selector = cast("sig", "creditPayment(bytes32)")
    views = rpc(url, [("eth_call", [{"to": contract, "data": selector + pid[2:]}, "latest"]) for pid in expected])
    views_ok = 0
    for (pid, want), view in zip(expected.items(), views):
        account, amount, spent, reversed_ = words(view)[:4]
        if account == int(want["buyer"], 16) and amount == want["amount"] and spent == 0 and reversed_ == 0:
            views_ok += 1
        elif len(problems) < 20:
            problems.append(f"creditPayment({want['payment_intent']}) reads {words(view)[:4]}")
    owed = collections.Counter()
    for p in manifest:
        owed[p["buyer"].lower()] += p["amount"]
    selector = cast("sig", "creditBalance(address)")
    balances = rpc(url, [("eth_call", [{"to": contract, "data": selector + b[2:].rjust(64, "0")}, "latest"]) for b in owed])
    balances_ok = 0
    for (buyer, total), balance in zip(owed.items(), balances):
        if int(balance, 16) == total:
            balances_ok += 1
        else:
            problems.append(f"creditBalance({buyer}) = {int(balance, 16)}, expected {total}")

    summary = {
        "payments": len(expected),
        "credits": len(logs),
        "missing": len(missing),
        "double": len(double),
        "views_ok": views_ok,
        "buyers": len(owed),
        "balances_ok": balances_ok,
        "transactions": len({log["transactionHash"] for log in logs}),
        "blocks": len({log["blockNumber"] for log in logs}),
        "problems": problems[:20],
    }
    print(json.dumps(summary))
    if problems or len(logs) != len(expected) or views_ok != len(expected):
        sys.exit(1)


if __name__ == "__main__":
    main()
