//! Superfluid subscriptions end to end: anvil, the suite, Superfluid's framework and
//! `TributaryStreams` deployed by scripts/deploy-streams.sh (once for this file), the core
//! bindings, and `tributary stream start|update|stop|status` as separate processes.

use std::{path::Path, process::Command, time::Instant};

use alloy::{
    eips::BlockId,
    primitives::{Address, B256, I256, U256, aliases::I96},
    providers::Provider,
};
use serde_json::{Value, json};
use tributary_core::chain::{
    Deployment, ETH, Offer, OfferKind, Split, Streams, superfluid::ISuperfluidPool,
};
use tributary_testkit::{Anvil, account, repo_root};

use crate::support::{User, stderr};

const CREATOR: u32 = 1;
const CONTRIBUTOR: u32 = 2;
const BUYER: u32 = 3;
const TREASURY: u32 = 4;
const BROKE: u32 = 5;
/// 2.5 % protocol fee.
const FEE_BPS: u16 = 250;
/// The subscription's minimum: 1e15 wei/s (86.4 tokens a day).
const MIN_RATE: u128 = 1_000_000_000_000_000;
/// anvil's account 0 (a public test key): the suite's admin and the streams deployer.
const ADMIN_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn address(index: u32) -> Address {
    account(index).address()
}

fn hex(address: Address) -> String {
    format!("{address:#x}")
}

/// Deploys the suite (Rust) and Superfluid with TributaryStreams (the script) on `anvil`;
/// returns the deployment file.
async fn deploy(anvil: &Anvil, dir: &Path) -> (std::path::PathBuf, Deployment) {
    let suite = anvil.deploy(address(TREASURY), FEE_BPS).await;
    let file = dir.join("31337.json");
    let head = anvil.head().await;
    std::fs::write(
        &file,
        json!({"chainId": 31337, "blockNumber": head, "tributary": hex(suite.address())})
            .to_string(),
    )
    .expect("write the deployment file");
    let started = Instant::now();
    let output = Command::new(repo_root().join("scripts/deploy-streams.sh"))
        .arg(anvil.url())
        .arg(&file)
        .env("DEPLOYER_KEY", ADMIN_KEY)
        .output()
        .expect("scripts/deploy-streams.sh runs");
    assert!(
        output.status.success(),
        "deploy-streams.sh: {}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    eprintln!("deploy-streams.sh took {:?}", started.elapsed());
    let deployment = Deployment::load(&file).expect("the deployment file");
    (file, deployment)
}

/// A user whose home was made by `tributary init --deployment FILE`.
fn user(index: u32, anvil: &Anvil, file: &Path, store: &Path) -> User {
    let user = User {
        home: tempfile::tempdir().expect("tempdir"),
        account: index,
    };
    let output = user.run(&[
        "init",
        "--rpc-url",
        anvil.url(),
        "--deployment",
        file.to_str().expect("utf-8"),
        "--store",
        store.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "init: {}", stderr(&output));
    user
}

fn subscription(token: Address, rate: u128) -> Offer {
    Offer {
        kind: OfferKind::Subscription.into(),
        paymentToken: token,
        price: rate,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: B256::repeat_byte(0x11),
    }
}

async fn timestamp(anvil: &Anvil, block: u64) -> u64 {
    anvil
        .client(0)
        .await
        .provider()
        .get_block_by_number(block.into())
        .await
        .expect("eth_getBlockByNumber")
        .expect("the block")
        .header
        .timestamp
}

async fn warp(anvil: &Anvil, seconds: u64) -> u64 {
    anvil.rpc("evm_increaseTime", json!([seconds])).await;
    anvil.rpc("evm_mine", json!([])).await;
    let head = anvil.head().await;
    timestamp(anvil, head).await
}

fn rate(report: &Value, field: &str) -> u128 {
    report[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {report}"))
        .parse()
        .expect("a rate")
}

async fn licensed_at(streams: &Streams, who: Address, dataset: U256, block: u64) -> bool {
    streams
        .contract()
        .isLicensed(who, dataset)
        .block(BlockId::number(block))
        .call()
        .await
        .expect("isLicensed")
}

fn claimable_u128(value: I256) -> u128 {
    u128::try_from(value).expect("a non-negative claimable balance")
}

#[tokio::test]
async fn stream_start_update_stop_licenses_and_pays_the_split_to_the_wei() {
    let started = Instant::now();
    let anvil = Anvil::start_with(&["--disable-code-size-limit"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let (file, deployment) = deploy(&anvil, dir.path()).await;
    let sf = deployment
        .streams
        .expect("the script recorded the streams deployment");
    assert!(
        sf.super_token_allowed,
        "the admin deployed: the Super Token is allow-listed"
    );
    let token = sf.super_token;

    // the bindings: TributaryStreams and the forwarder it names
    let admin = anvil.client(0).await;
    let streams = admin.streams(sf.tributary_streams).await.expect("streams");
    assert_eq!(streams.gda_forwarder(), sf.gda_v1_forwarder);
    assert_eq!(
        streams.tributary().await.expect("tributary"),
        deployment.tributary
    );
    let supply = streams
        .token_balance(token, address(0))
        .await
        .expect("balance");
    assert_eq!(supply, U256::from(10u128.pow(30)));
    let funds = U256::from(1_000u128 * 10u128.pow(18));
    streams
        .transfer_token(token, address(BUYER), funds)
        .await
        .expect("fund the buyer");
    // deposit: the test framework's 4-hour liquidation period
    assert_eq!(
        streams
            .deposit_for(token, I96::try_from(MIN_RATE).expect("int96"))
            .await
            .expect("deposit"),
        U256::from(MIN_RATE * 4 * 3600)
    );

    // a creator registers a dataset with a subscription offer (60/40 split), and one without
    let creator = anvil.client(CREATOR).await;
    let suite = admin.tributary(deployment.tributary).with_client(&creator);
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let offers = [subscription(token, MIN_RATE)];
    let dataset = suite
        .register(B256::repeat_byte(1), "ipfs://streamed", &split, &offers)
        .await
        .expect("register")
        .value;
    let eth_offer = Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: ETH,
        ..subscription(ETH, 10u128.pow(16))
    };
    let plain = suite
        .register(B256::repeat_byte(2), "ipfs://plain", &split, &[eth_offer])
        .await
        .expect("register")
        .value;
    assert_eq!((dataset, plain), (U256::from(1), U256::from(2)));

    let store = dir.path().join("store");
    let buyer = user(BUYER, &anvil, &file, &store);
    let id = dataset.to_string();

    // errors: no stream yet, no subscription offer, no Super Tokens, no streams deployment
    let refused = buyer.run(&["stream", "update", &id, "--rate", "5"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("you do not stream"),
        "{}",
        stderr(&refused)
    );
    let refused = buyer.run(&["stream", "start", "2"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("has no subscription offer"),
        "{}",
        stderr(&refused)
    );
    let broke = user(BROKE, &anvil, &file, &store);
    let refused = broke.run(&["stream", "start", &id]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("not enough of the Super Token"),
        "{}",
        stderr(&refused)
    );
    let elsewhere = User::init(BUYER, anvil.url(), &hex(deployment.tributary), &store);
    let refused = elsewhere.run(&["stream", "status", &id]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("no streams deployment"),
        "{}",
        stderr(&refused)
    );

    // start: the dataset was synced by the broke buyer's attempt; the default rate licenses
    let units = streams.members(dataset).await.expect("members");
    assert_eq!(
        units,
        vec![
            // 60/40 with the 2.5 % fee: 117 / 78 / 5 (sorted payees, then the treasury)
            (
                split.payees[0],
                if split.payees[0] == address(CREATOR) {
                    117
                } else {
                    78
                }
            ),
            (
                split.payees[1],
                if split.payees[1] == address(CREATOR) {
                    117
                } else {
                    78
                }
            ),
            (address(TREASURY), 5),
        ]
    );
    let total_units: u128 = units.iter().map(|(_, units)| units).sum();
    let start = buyer.json(&["stream", "start", &id]);
    assert_eq!(start["token"], hex(token));
    assert_eq!(rate(&start, "required_rate"), MIN_RATE + total_units - 1);
    let flow1 = rate(&start, "flow_rate");
    assert!(
        flow1 >= MIN_RATE && flow1.is_multiple_of(total_units),
        "{start}"
    );
    assert_eq!(start["licensed"], true);
    assert!(
        streams
            .is_licensed(address(BUYER), dataset)
            .await
            .expect("isLicensed")
    );
    let pool: Address = start["pool"]
        .as_str()
        .expect("pool")
        .parse()
        .expect("address");
    assert_eq!(
        streams.pool_of(dataset, token).await.expect("pool"),
        Some(pool)
    );
    let start_block = start["block_number"].as_u64().expect("block");
    let t0 = timestamp(&anvil, start_block).await;
    let again = buyer.run(&["stream", "start", &id]);
    assert!(
        stderr(&again).contains("already stream"),
        "{}",
        stderr(&again)
    );

    let status = buyer.json(&["stream", "status", &id]);
    assert_eq!(status["licensed"], true, "{status}");
    assert_eq!(rate(&status, "flow_rate"), flow1);
    assert_eq!(rate(&status, "min_rate"), MIN_RATE);

    // an hour later, every payee's share is in the pool to the wei
    // (read at that block: a call at `latest` may run with the node's clock, a second later)
    let t1 = warp(&anvil, 3600).await;
    let mined = anvil.head().await;
    let pool_contract = ISuperfluidPool::new(pool, admin.provider().clone());
    let per_unit = flow1 / total_units;
    let mut streamed = 0;
    for (member, member_units) in &units {
        let claimable = claimable_u128(
            pool_contract
                .getClaimableNow(*member)
                .block(BlockId::number(mined))
                .call()
                .await
                .expect("getClaimableNow")
                .claimableBalance,
        );
        assert_eq!(
            claimable,
            member_units * per_unit * u128::from(t1 - t0),
            "{member}"
        );
        streamed += claimable;
    }
    assert_eq!(streamed, flow1 * u128::from(t1 - t0));
    // the contributor claims it into their balance
    let claimed = streams
        .claim_all(pool, address(CONTRIBUTOR))
        .await
        .expect("claimAll");
    let t_claim = timestamp(&anvil, claimed.receipt.block_number.expect("block")).await;
    let contributor_units = units
        .iter()
        .find(|(member, _)| *member == address(CONTRIBUTOR))
        .expect("member")
        .1;
    assert_eq!(
        streams
            .token_balance(token, address(CONTRIBUTOR))
            .await
            .expect("balance"),
        U256::from(contributor_units * per_unit * u128::from(t_claim - t0))
    );

    // update: twice the rate
    let doubled = (2 * MIN_RATE).to_string();
    let update = buyer.json(&["stream", "update", &id, "--rate", &doubled]);
    let flow2 = rate(&update, "flow_rate");
    assert_eq!(flow2, 2 * MIN_RATE / total_units * total_units);
    assert_eq!(update["licensed"], true);
    let t_update = timestamp(&anvil, update["block_number"].as_u64().expect("block")).await;
    warp(&anvil, 600).await;

    // stop: licensed up to the block before, not from that block on
    let stop = buyer.json(&["stream", "stop", &id]);
    assert_eq!(rate(&stop, "flow_rate"), 0);
    assert_eq!(stop["licensed"], false);
    let stop_block = stop["block_number"].as_u64().expect("block");
    let t_stop = timestamp(&anvil, stop_block).await;
    assert!(licensed_at(&streams, address(BUYER), dataset, stop_block - 1).await);
    assert!(!licensed_at(&streams, address(BUYER), dataset, stop_block).await);
    assert!(
        !streams
            .is_licensed(address(BUYER), dataset)
            .await
            .expect("isLicensed")
    );
    // nothing flows after the stop: the treasury's share is exactly both segments
    warp(&anvil, 3600).await;
    let treasury = claimable_u128(
        streams
            .claimable(pool, address(TREASURY))
            .await
            .expect("claimable"),
    );
    assert_eq!(
        treasury,
        5 * (flow1 / total_units * u128::from(t_update - t0)
            + flow2 / total_units * u128::from(t_stop - t_update))
    );
    let refused = buyer.run(&["stream", "stop", &id]);
    assert!(
        stderr(&refused).contains("nothing to stop"),
        "{}",
        stderr(&refused)
    );

    // the creator adds a subscription offer to the plain dataset with the CLI: the next start
    // syncs its pools and streams
    let creator_cli = user(CREATOR, &anvil, &file, &store);
    let rate_text = MIN_RATE.to_string();
    let refused = creator_cli.run(&[
        "offer",
        "add",
        "2",
        "--kind",
        "subscription",
        "--price",
        &rate_text,
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("pass --token"),
        "{}",
        stderr(&refused)
    );
    creator_cli.json(&[
        "offer",
        "add",
        "2",
        "--kind",
        "subscription",
        "--token",
        &hex(token),
        "--price",
        &rate_text,
    ]);
    let second = buyer.json(&["stream", "start", "2"]);
    assert_eq!(second["synced"], true, "{second}");
    assert_eq!(second["licensed"], true, "{second}");
    buyer.json(&["stream", "stop", "2"]);

    eprintln!(
        "gas on anvil receipts: open {}, update {}, close {}",
        start["gas_used"], update["gas_used"], stop["gas_used"]
    );
    eprintln!("the whole test took {:?}", started.elapsed());
}

/// `tributary api` (the product API with the indexer) as a separate process, killed when
/// dropped.
struct ApiProcess {
    child: std::process::Child,
    url: String,
}

impl ApiProcess {
    /// Runs `tributary api` for the deployment in `deployments` (the suite and its streams) on
    /// `database`.
    fn start(anvil: &Anvil, deployments: &Path, database: &str) -> Self {
        let keys = deployments.join("api-keys");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .arg("api")
            .args(["--rpc-url", anvil.url()])
            .arg("--deployments")
            .arg(deployments)
            .arg("--access-keys")
            .arg(&keys)
            .args(["--listen", "127.0.0.1:0", "--poll-ms", "50"])
            .env("DATABASE_URL", database)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start `tributary api` (it execs tributary-api beside tributary)");
        let address =
            tributary_testkit::wait_for_listen(&mut child, "listening on ", "tributary api");
        Self {
            child,
            url: format!("http://{address}"),
        }
    }
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST /datasets/{id}/stream-start` for `account`: (status, body).
async fn stream_start(api: &ApiProcess, id: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/datasets/{id}/stream-start", api.url))
        .json(&body)
        .send()
        .await
        .expect("POST stream-start");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Sends the API's unsigned transaction from anvil account `index`; returns its block.
async fn send_planned(anvil: &Anvil, index: u32, tx: &Value) -> u64 {
    use alloy::{network::TransactionBuilder, rpc::types::TransactionRequest};
    let client = anvil.client(index).await;
    assert_eq!(
        tx["from"].as_str().map(str::to_lowercase),
        Some(hex(address(index)))
    );
    let request = TransactionRequest::default()
        .with_to(tx["to"].as_str().expect("to").parse().expect("address"))
        .with_input(
            tx["data"]
                .as_str()
                .expect("data")
                .parse::<alloy::primitives::Bytes>()
                .expect("hex"),
        );
    let receipt = client
        .provider()
        .send_transaction(request)
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "{tx}");
    receipt.block_number.expect("block")
}

/// `GET /datasets/{id}/licensed/{account}` once the mirror has reached block `block`.
async fn licensed_in_api(api: &ApiProcess, id: &str, account: Address, block: u64) -> Value {
    let http = reqwest::Client::new();
    for _ in 0..400 {
        let answer: Value = http
            .get(format!(
                "{}/datasets/{id}/licensed/{}",
                api.url,
                hex(account)
            ))
            .send()
            .await
            .expect("GET licensed")
            .json()
            .await
            .expect("JSON");
        if answer["at"]["block_number"]
            .as_u64()
            .is_some_and(|at| at >= block)
        {
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the mirror did not reach block {block} within 20 s");
}

#[tokio::test]
async fn api_plans_the_stream_sees_the_licence_and_the_payee_claims_it() {
    let anvil = Anvil::start_with(&["--disable-code-size-limit"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let (file, deployment) = deploy(&anvil, dir.path()).await;
    let sf = deployment.streams.expect("streams deployed");
    let token = sf.super_token;
    let admin = anvil.client(0).await;
    let streams = admin.streams(sf.tributary_streams).await.expect("streams");
    streams
        .transfer_token(
            token,
            address(BUYER),
            U256::from(1_000u128 * 10u128.pow(18)),
        )
        .await
        .expect("fund the buyer");
    let creator = anvil.client(CREATOR).await;
    let suite = admin.tributary(deployment.tributary).with_client(&creator);
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let dataset = suite
        .register(
            B256::repeat_byte(3),
            "ipfs://streamed-api",
            &split,
            &[subscription(token, MIN_RATE)],
        )
        .await
        .expect("register")
        .value;
    let id = dataset.to_string();

    let database = tributary_testkit::TestDatabase::create().await;
    let api = ApiProcess::start(&anvil, dir.path(), database.url());

    // the API: bad input, then the pools' sync first (never synced), then the stream
    let buyer_hex = hex(address(BUYER));
    let (status, body) = stream_start(&api, "x", json!({"account": buyer_hex})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = stream_start(&api, "99", json!({"account": buyer_hex})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = stream_start(&api, &id, json!({"account": "0x12"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, plan) = stream_start(&api, &id, json!({"account": buyer_hex})).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["complete"], false, "{plan}");
    assert_eq!(plan["transactions"].as_array().map(Vec::len), Some(1));
    send_planned(&anvil, BUYER, &plan["transactions"][0]).await;
    let units: u128 = streams
        .members(dataset)
        .await
        .expect("members")
        .iter()
        .map(|(_, units)| units)
        .sum();
    let (status, body) = stream_start(
        &api,
        &id,
        json!({"account": buyer_hex, "flow_rate": (MIN_RATE - 1).to_string()}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("below")
    );
    let (status, body) = stream_start(&api, &id, json!({"account": hex(address(BROKE))})).await;
    assert_eq!(status, 409, "{body}");
    let (status, plan) = stream_start(&api, &id, json!({"account": buyer_hex})).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["complete"], true, "{plan}");
    assert_eq!(rate(&plan, "required_flow_rate"), MIN_RATE + units - 1);
    assert_eq!(rate(&plan, "flow_rate"), MIN_RATE + units - 1);
    let planned_rate = rate(&plan, "actual_flow_rate");
    assert!(planned_rate >= MIN_RATE && planned_rate.is_multiple_of(units));
    assert_eq!(
        plan["transactions"][0]["to"]
            .as_str()
            .map(str::to_lowercase),
        Some(hex(sf.gda_v1_forwarder))
    );

    // the buyer opens the stream with the CLI; the API's mirror sees the licence
    let buyer = user(BUYER, &anvil, &file, &dir.path().join("store"));
    let start = buyer.json(&["stream", "start", &id]);
    assert_eq!(
        rate(&start, "flow_rate"),
        planned_rate,
        "the CLI streams what the API planned"
    );
    let start_block = start["block_number"].as_u64().expect("block");
    let seen = licensed_in_api(&api, &id, address(BUYER), start_block).await;
    assert_eq!(seen["licensed"], true, "{seen}");
    assert_eq!(seen["licensed_by"], json!(["stream"]), "{seen}");
    let (status, body) = stream_start(&api, &id, json!({"account": buyer_hex})).await;
    assert_eq!(status, 409, "already streaming: {body}");

    // an hour later the contributor claims: the CLI connects the pool, which pays what it held
    warp(&anvil, 3600).await;
    let contributor = user(CONTRIBUTOR, &anvil, &file, &dir.path().join("store"));
    let dry = contributor.json(&["claim", "--dry-run"]);
    let pools = dry["streams"].as_array().expect("streams in the report");
    assert_eq!(pools.len(), 1, "{dry}");
    let claimable: u128 = pools[0]["claimable"]
        .as_str()
        .expect("claimable")
        .parse()
        .expect("wei");
    assert!(claimable > 0, "{dry}");
    assert_eq!(pools[0]["connected"], false);
    let claim = contributor.json(&["claim"]);
    let pool_report = &claim["streams"][0];
    assert!(pool_report["connect_tx"].is_string(), "{claim}");
    assert_eq!(pool_report["connected"], true);
    let balance = streams
        .token_balance(token, address(CONTRIBUTOR))
        .await
        .expect("balance");
    assert!(balance >= U256::from(claimable), "{balance} < {claimable}");
    // connected: the share now arrives in real time, and a second claim sends nothing
    let later = warp(&anvil, 600).await;
    let grown = streams
        .token_balance(token, address(CONTRIBUTOR))
        .await
        .expect("balance");
    assert!(
        grown > balance,
        "connected members receive in real time ({later})"
    );
    let again = contributor.json(&["claim"]);
    assert!(again["streams"][0]["connect_tx"].is_null(), "{again}");
    assert!(again["streams"][0]["claim_tx"].is_null(), "{again}");
    let rate_now: u128 = again["streams"][0]["flow_rate"]
        .as_str()
        .expect("rate")
        .parse()
        .expect("int");
    assert!(rate_now > 0, "{again}");

    // the buyer stops: the licence ends, in the chain and in the API
    let stop = buyer.json(&["stream", "stop", &id]);
    let stop_block = stop["block_number"].as_u64().expect("block");
    assert_eq!(stop["licensed"], false);
    let seen = licensed_in_api(&api, &id, address(BUYER), stop_block).await;
    assert_eq!(seen["licensed"], false, "{seen}");
    assert_eq!(seen["licensed_by"], json!([]), "{seen}");
}
