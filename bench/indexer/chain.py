#!/usr/bin/env python3
"""Chain side of bench/indexer/run.sh: JSON-RPC to anvil with the standard library only.

  chain.py generate RPC EVENTS OUT_JSON   deploy the suite and the generator, make >= EVENTS suite
                                          events over thousands of blocks, write the facts to OUT_JSON
  chain.py count RPC CONTRACT FROM TO     count the contract's logs (one eth_getLogs) and their mix
  chain.py deploy RPC                     deploy the suite alone; print its address and block
  chain.py follow RPC CONTRACT CHECK N OUT BLOCK_TIME
                                          follow latency: N registrations under interval mining,
                                          each timed from its block appearing on the node to the
                                          indexer showing it (CHECK: dataset:API or count:URL)
Accounts are anvil's default, unlocked ones: transactions go through eth_sendTransaction.
"""

import json
import os
import random
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# anvil's first default account: admin, treasury and relayer of the benchmark's suite.
ACCOUNT0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
FEE_BPS = 250
ROUNDS_PER_TX = int(os.environ.get("ROUNDS_PER_TX", 3))
EMPTY_BLOCKS_PER_TX = int(os.environ.get("EMPTY_BLOCKS_PER_TX", 0))


class Rpc:
    def __init__(self, url):
        self.url = url
        self.next_id = 0

    def _post(self, body):
        req = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=600) as resp:
            return json.loads(resp.read())

    def call(self, method, *params):
        self.next_id += 1
        answer = self._post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)})
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, calls):
        body = []
        for method, params in calls:
            self.next_id += 1
            body.append({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        answers = sorted(self._post(body), key=lambda a: a["id"])
        for (method, _), answer in zip(calls, answers):
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
        return [a["result"] for a in answers]

    def send(self, to, data, value=0, gas=None):
        tx = {"from": ACCOUNT0, "data": data, "value": hex(value)}
        if to:
            tx["to"] = to
        if gas:
            tx["gas"] = hex(gas)
        return self.call("eth_sendTransaction", tx)

    def receipt(self, tx_hash):
        deadline = time.monotonic() + 600
        while (r := self.call("eth_getTransactionReceipt", tx_hash)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no receipt for {tx_hash}")
            time.sleep(0.01)
        if r["status"] != "0x1":
            raise RuntimeError(f"transaction {tx_hash} reverted")
        return r


def word(value):
    if isinstance(value, str):
        value = int(value, 16)
    return format(value, "064x")


def selector(signature):
    # keccak is not in the standard library: cast computes selectors (it is installed with anvil).
    import subprocess

    return subprocess.check_output(["cast", "sig", signature], text=True).strip()


def deploy(rpc, bytecode, args_hex=""):
    tx = rpc.send(None, bytecode + args_hex, gas=29_000_000)
    return rpc.receipt(tx)["contractAddress"]


def deploy_suite(rpc):
    """The suite from the committed bytecode: admin and treasury are anvil's account 0, fee 2.5 %."""
    with open(os.path.join(ROOT, "abi", "Tributary.bin")) as f:
        suite_bin = f.read().strip()
    suite = deploy(rpc, suite_bin, word(ACCOUNT0) + word(ACCOUNT0) + word(FEE_BPS))
    return suite, int(rpc.call("eth_blockNumber"), 16)


# Where anvil's account 0 puts its first two contracts (nonces 0 and 1): a generation cut short
# resumes on the same anvil instead of starting over.
SUITE_AT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
GENERATOR_AT = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"


def generate(url, events, out_path):
    rpc = Rpc(url)
    run = selector("run(uint256)")
    started = time.monotonic()
    if rpc.call("eth_getCode", GENERATOR_AT, "latest") not in ("0x", "0x0"):
        suite, generator, deploy_block = SUITE_AT, GENERATOR_AT, 1
        done = int(rpc.call("eth_call", {"to": generator, "data": selector("rounds()")}, "latest"), 16)
        txs = done // ROUNDS_PER_TX
        total = count(url, suite, deploy_block, int(rpc.call("eth_blockNumber"), 16))["events"]
        per_tx = max(1, total // max(1, txs))
        print(f"  resuming: {txs} transactions, {total} events", file=sys.stderr, flush=True)
    else:
        suite, deploy_block = deploy_suite(rpc)
        with open(os.path.join(HERE, ".cache", "out", "EventGenerator.sol", "EventGenerator.json")) as f:
            gen_bin = json.load(f)["bytecode"]["object"]
        generator = deploy(rpc, gen_bin, word(suite))
        # RELAYER_ROLE() of the suite, then grant it to the generator; fund the generator.
        relayer_role = rpc.call("eth_call", {"to": suite, "data": selector("RELAYER_ROLE()")}, "latest")
        rpc.receipt(rpc.send(suite, selector("grantRole(bytes32,address)") + word(relayer_role) + word(generator)))
        rpc.receipt(rpc.send(generator, "0x", value=1000 * 10**18))
        # Measure one transaction first to size the rest.
        first = rpc.receipt(rpc.send(generator, run + word(ROUNDS_PER_TX), gas=29_000_000))
        per_tx = sum(1 for log in first["logs"] if log["address"].lower() == suite.lower())
        total = per_tx
        txs = 1
    done_before = txs
    resumed_after = txs if total > per_tx else 0
    # One transaction at a time, each waited for: anvil (automine) mines each in its own block,
    # then the empty blocks. Its mining slows down as the state grows (it recomputes the state
    # root from the whole state at each block), so nothing is queued ahead of it.
    while total < events:
        tx = rpc.send(generator, run + word(ROUNDS_PER_TX), gas=29_000_000)
        last = rpc.receipt(tx)
        if EMPTY_BLOCKS_PER_TX:
            rpc.call("anvil_mine", hex(EMPTY_BLOCKS_PER_TX))
        txs += 1
        total += per_tx
        if txs % 250 == 0:
            rate = ((txs - done_before) * per_tx) / (time.monotonic() - started)
            print(f"  {txs} transactions, ~{total} events, block {int(last['blockNumber'], 16)}, "
                  f"~{rate:.0f} events/s", file=sys.stderr, flush=True)
    head = int(rpc.call("eth_blockNumber"), 16)
    # Exact count and mix, and every transaction succeeded (a revert would emit nothing).
    counted = count(url, suite, deploy_block, head)
    facts = {
        "contract": suite,
        "generator": generator,
        "deploy_block": deploy_block,
        "head": head,
        "transactions": txs,
        "rounds": txs * ROUNDS_PER_TX,
        "rounds_per_tx": ROUNDS_PER_TX,
        "empty_blocks_per_tx": EMPTY_BLOCKS_PER_TX,
        "events": counted["events"],
        "mix": counted["mix"],
        "seconds": round(time.monotonic() - started, 1),
        "resumed_after_transactions": resumed_after,
    }
    if counted["events"] < events:
        raise RuntimeError(f"only {counted['events']} events, fewer than {events}: a transaction failed?")
    with open(out_path, "w") as f:
        json.dump(facts, f, indent=1)
    print(json.dumps(facts))


def topic_names():
    import subprocess

    names = {}
    for path in ("ITributary.json", "TributaryInherited.json"):
        with open(os.path.join(ROOT, "abi", path)) as f:
            for item in json.load(f):
                if item.get("type") == "event":
                    sig = f"{item['name']}({','.join(_type(i) for i in item['inputs'])})"
                    names[subprocess.check_output(["cast", "keccak", sig], text=True).strip()] = item["name"]
    return names


def _type(param):
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + t[len("tuple"):]
    return t


def count(url, contract, from_block, to_block):
    rpc = Rpc(url)
    logs = rpc.call("eth_getLogs", {"address": contract, "fromBlock": hex(from_block), "toBlock": hex(to_block)})
    names = topic_names()
    mix = {}
    blocks = set()
    for log in logs:
        name = names.get(log["topics"][0], log["topics"][0])
        mix[name] = mix.get(name, 0) + 1
        blocks.add(log["blockNumber"])
    return {"events": len(logs), "blocks_with_events": len(blocks),
            "mix": dict(sorted(mix.items(), key=lambda kv: -kv[1]))}


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError):
        return 0


def follow(url, contract, check, samples, out_path, block_time):
    """Registers a dataset at a random moment of the block interval, notes when its block
    appears on the node (receipt polled every 2 ms) and when the indexer shows it (polled every
    2 ms); the latency is the difference. `check` is `dataset:API` (tributary-indexer: its
    /datasets/{id} answers 200) or `count:URL` (Ponder: the benchmark's /count route has grown
    by one, each registration being one event)."""
    rpc = Rpc(url)
    register = selector("register(bytes32,string,(address[],uint32[]),(uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[])")
    topic_registered = next(t for t, name in topic_names().items() if name == "DatasetRegistered")
    kind, base = check.split(":", 1)
    rng = random.Random(7)
    latencies = []
    for i in range(samples):
        if kind == "count":
            before = json.loads(urllib.request.urlopen(f"{base}/count", timeout=5).read())["count"]
        time.sleep(rng.uniform(0, block_time))
        tx = rpc.send(contract, _encode_register(register, i), gas=2_000_000)
        while True:
            r = rpc.call("eth_getTransactionReceipt", tx)
            if r is not None:
                mined = time.monotonic()
                break
            time.sleep(0.002)
        if r["status"] != "0x1":
            raise RuntimeError("registration reverted")
        dataset = next(int(log["topics"][1], 16) for log in r["logs"] if log["topics"][0] == topic_registered)
        deadline = mined + 30
        while True:
            if kind == "dataset":
                seen = http_status(f"{base}/datasets/{dataset}") == 200
            else:
                seen = json.loads(urllib.request.urlopen(f"{base}/count", timeout=5).read())["count"] > before
            if seen:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"dataset {dataset} not shown 30 s after its block")
            time.sleep(0.002)
        latencies.append(time.monotonic() - mined)
    latencies.sort()
    result = {
        "samples": len(latencies),
        "median_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
        "max_ms": round(1000 * latencies[-1], 1),
        "min_ms": round(1000 * latencies[0], 1),
    }
    with open(out_path, "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


def _encode_register(sel, i):
    """register(manifestHash, uri, split, offers) with one payee and one ETH offer."""
    manifest = word(int.from_bytes(os.urandom(32), "big"))
    uri = f"ipfs://follow-latency-{i}".encode()
    # Head: manifest, offset(uri), offset(split), offset(offers).
    uri_part = word(len(uri)) + uri.hex().ljust(((len(uri) + 31) // 32) * 64, "0")
    split_part = word(0x40) + word(0x80) + word(1) + word(ACCOUNT0) + word(1) + word(100)
    offer = word(0) + word(0) + word(10**12) + word(0) + word(1) + word(0) + word(0) + word(1)
    offers_part = word(1) + offer
    head_len = 4 * 32
    uri_off = head_len
    split_off = uri_off + len(uri_part) // 2
    offers_off = split_off + len(split_part) // 2
    return sel + manifest + word(uri_off) + word(split_off) + word(offers_off) + uri_part + split_part + offers_part


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "generate":
        generate(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "count":
        print(json.dumps(count(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))))
    elif cmd == "deploy":
        suite, block = deploy_suite(Rpc(sys.argv[2]))
        print(json.dumps({"contract": suite, "deploy_block": block}))
    elif cmd == "follow":
        follow(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], float(sys.argv[7]))
    else:
        sys.exit(__doc__)
