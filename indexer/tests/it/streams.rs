//! Superfluid subscriptions mirrored: the suite, Superfluid's framework and `TributaryStreams`
//! on anvil (scripts/deploy-streams.sh), flows opened, updated, closed and liquidated, a split
//! changed mid-stream, and a reorg removing a flow. After each step the mirror, read through
//! the API's handlers, equals `TributaryStreams`' views at the mirror's block.

use std::{collections::BTreeMap, path::Path, process::Command, sync::Mutex};

use alloy::{
    eips::BlockId,
    primitives::{Address, B256, Bytes, U256, aliases::I96},
    providers::Provider,
};
use axum::body::Body;
use serde_json::{Value, json};
use tower::ServiceExt;
use tributary_core::chain::{
    DatasetStatus, Deployment, Offer, OfferKind, Split, Streams, StreamsDeployment, Tributary,
    superfluid::{ISuperToken, ISuperfluidPool},
};
use tributary_indexer::{Indexer, Step, api, db};
use tributary_testkit::repo_root;

use crate::{
    proxy::{Faults, Proxy},
    support::{Anvil, TestDb, account, catch_up, indexer, node_logs, raw_logs, test_config},
};

const CREATOR: u32 = 1;
const CONTRIBUTOR: u32 = 2;
const BUYER: u32 = 3;
const TREASURY: u32 = 4;
const LOW: u32 = 5;
const CAROL: u32 = 6;
const BROKE: u32 = 7;
const REORGED: u32 = 8;
/// 2.5 % protocol fee, as docs/streaming.md's example (units 117 / 78 / 5).
const FEE_BPS: u16 = 250;
/// The subscription's minimum: 1e15 wei/s.
const MIN_RATE: u128 = 1_000_000_000_000_000;
const TOKEN: u128 = 1_000_000_000_000_000_000;
/// anvil's account 0 (a public test key): the suite's admin and the streams deployer.
const ADMIN_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// deploy-streams.sh compiles into the shared `out/streams` on its first run: one at a time.
static DEPLOYING: Mutex<()> = Mutex::new(());

fn address(index: u32) -> Address {
    account(index).address()
}

fn rate(value: u128) -> I96 {
    I96::try_from(value).expect("int96")
}

/// An int96 as u128 (by its decimal form: alloy's `TryFrom<I96> for u128` refuses positive
/// values), panicking on a negative one.
fn to_u128(value: I96) -> u128 {
    value
        .to_string()
        .parse()
        .unwrap_or_else(|_| panic!("{value} is negative"))
}

/// The suite and Superfluid with `TributaryStreams` on `anvil`; returns the suite, its
/// deployment block and the streams' addresses.
async fn deploy(anvil: &Anvil, dir: &Path) -> (Tributary, u64, StreamsDeployment) {
    let suite = anvil.deploy(address(TREASURY), FEE_BPS).await;
    let deployed_at = anvil.head().await;
    let file = dir.join("31337.json");
    std::fs::write(
        &file,
        json!({"chainId": 31337, "blockNumber": deployed_at, "tributary": format!("{:#x}", suite.address())})
            .to_string(),
    )
    .expect("write the deployment file");
    let output = {
        let _one = DEPLOYING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Command::new(repo_root().join("scripts/deploy-streams.sh"))
            .arg(anvil.url())
            .arg(&file)
            .env("DEPLOYER_KEY", ADMIN_KEY)
            .output()
            .expect("scripts/deploy-streams.sh runs")
    };
    assert!(
        output.status.success(),
        "deploy-streams.sh failed (Foundry from scripts/install.sh is required): {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let deployment = Deployment::load(&file).expect("the deployment file");
    let streams = deployment.streams.expect("the streams object");
    assert!(streams.super_token_allowed);
    (suite, deployed_at, streams)
}

fn subscription(token: Address, min: u128) -> Offer {
    Offer {
        kind: OfferKind::Subscription.into(),
        paymentToken: token,
        price: min,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: B256::repeat_byte(0x11),
    }
}

/// The API over the mirror.
struct Api {
    app: axum::Router,
}

impl Api {
    fn new(pool: &sqlx::PgPool, indexer: &Indexer) -> Self {
        let state = api::AppState::new(pool.clone(), indexer.meta(), indexer.status());
        Self {
            app: api::router(state),
        }
    }

    async fn get_status(&self, path: &str) -> (u16, Value) {
        let response = self
            .app
            .clone()
            .oneshot(
                axum::http::Request::get(path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.get_status(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

/// Everything the test drives.
struct World {
    anvil: Anvil,
    suite: Tributary,
    streams: Streams,
    token: Address,
    dataset: U256,
    sf: StreamsDeployment,
    deployed_at: u64,
}

impl World {
    async fn as_account(&self, index: u32) -> Streams {
        self.streams.with_client(&self.anvil.client(index).await)
    }

    async fn pool(&self) -> Address {
        self.streams
            .pool_of(self.dataset, self.token)
            .await
            .expect("poolOf")
            .expect("a pool")
    }

    async fn stream(&self, who: u32, value: u128) -> u64 {
        let pool = self.pool().await;
        let sent = self
            .as_account(who)
            .await
            .distribute_flow(self.token, pool, rate(value))
            .await
            .expect("distributeFlow");
        sent.receipt.block_number.expect("mined")
    }

    async fn warp(&self, seconds: u64) {
        self.anvil.rpc("evm_increaseTime", json!([seconds])).await;
        self.anvil.rpc("evm_mine", json!([])).await;
    }

    async fn timestamp(&self, block: u64) -> u64 {
        self.anvil
            .client(0)
            .await
            .provider()
            .get_block_by_number(block.into())
            .await
            .expect("block")
            .expect("exists")
            .header
            .timestamp
    }
}

/// Asserts that the API's answers equal `TributaryStreams`' views at the mirror's block, for
/// the dataset's pools and for every account in `accounts`; returns `/datasets/{id}/streams`.
async fn assert_mirror_equals_views(world: &World, api: &Api, accounts: &[u32]) -> Value {
    let id = world.dataset;
    let answer = api.get(&format!("/datasets/{id}/streams?limit=500")).await;
    let block = BlockId::number(answer["at"]["block_number"].as_u64().expect("at"));
    let contract = world.streams.contract();
    assert_eq!(
        answer["synced_terms_hash"],
        json!(
            contract
                .syncedTermsHash(id)
                .block(block)
                .call()
                .await
                .expect("syncedTermsHash")
                .to_string()
        ),
        "{answer}"
    );
    let members = contract
        .members(id)
        .block(block)
        .call()
        .await
        .expect("members");
    let on_chain_members: BTreeMap<String, String> = members
        .accounts
        .iter()
        .zip(&members.units)
        .map(|(account, units)| (account.to_checksum(None), units.to_string()))
        .collect();
    let pools = answer["pools"].as_array().expect("pools");
    let pool_tokens = contract
        .poolTokens(id)
        .block(block)
        .call()
        .await
        .expect("poolTokens");
    assert_eq!(pools.len(), pool_tokens.len(), "{answer}");
    for pool in pools {
        let token: Address = pool["token"]
            .as_str()
            .expect("token")
            .parse()
            .expect("address");
        let terms = contract
            .subscriptionTerms(id, token)
            .block(block)
            .call()
            .await
            .expect("subscriptionTerms");
        assert_eq!(pool["pool"], json!(terms.pool.to_checksum(None)), "poolOf");
        assert_eq!(
            pool["pool"],
            json!(
                contract
                    .poolOf(id, token)
                    .block(block)
                    .call()
                    .await
                    .expect("poolOf")
                    .to_checksum(None)
            )
        );
        assert_eq!(pool["min_flow_rate"], json!(terms.minFlowRate.to_string()));
        let mirrored: BTreeMap<String, String> = pool["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| {
                (
                    m["member"].as_str().expect("member").to_owned(),
                    m["units"].as_str().expect("units").to_owned(),
                )
            })
            .collect();
        assert_eq!(mirrored, on_chain_members, "members of {token}");
        let superfluid_pool =
            ISuperfluidPool::new(terms.pool, world.anvil.client(0).await.provider().clone());
        assert_eq!(
            pool["total_units"],
            json!(
                superfluid_pool
                    .getTotalUnits()
                    .block(block)
                    .call()
                    .await
                    .expect("total units")
                    .to_string()
            )
        );
        assert_eq!(
            pool["flow_rate"]
                .as_str()
                .expect("rate")
                .parse::<u128>()
                .expect("rate"),
            superfluid_pool
                .getTotalFlowRate()
                .block(block)
                .call()
                .await
                .expect("total flow rate")
                .to_string()
                .parse::<u128>()
                .expect("non-negative")
                + adjustment(world, terms.pool, block).await,
            "a pool's inflow is its distribution plus the adjustment flow"
        );
    }
    // Flows and licences of every account.
    let flows: BTreeMap<(String, String), Value> = answer["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .map(|flow| {
            (
                (
                    flow["pool"].as_str().expect("pool").to_owned(),
                    flow["distributor"]
                        .as_str()
                        .expect("distributor")
                        .to_owned(),
                ),
                flow.clone(),
            )
        })
        .collect();
    for &index in accounts {
        let who = address(index);
        for pool in pools {
            let token: Address = pool["token"]
                .as_str()
                .expect("token")
                .parse()
                .expect("address");
            let on_chain = contract
                .flowRate(who, id, token)
                .block(block)
                .call()
                .await
                .expect("flowRate");
            let mirrored = flows
                .get(&(
                    pool["pool"].as_str().expect("pool").to_owned(),
                    who.to_checksum(None),
                ))
                .map_or("0".to_owned(), |flow| {
                    flow["flow_rate"].as_str().expect("rate").to_owned()
                });
            assert_eq!(
                mirrored,
                on_chain.to_string(),
                "flowRate of account {index}"
            );
        }
        let licensed = api.get(&format!("/datasets/{id}/licensed/{who}")).await;
        assert_eq!(licensed["at"], answer["at"]);
        let on_chain = contract
            .isLicensed(who, id)
            .block(block)
            .call()
            .await
            .expect("isLicensed");
        assert_eq!(
            licensed["licensed"],
            json!(on_chain),
            "isLicensed of account {index}: {licensed}"
        );
    }
    answer
}

/// The pool's adjustment flow rate (to its admin) at `block`.
async fn adjustment(world: &World, pool: Address, block: BlockId) -> u128 {
    let rate = world
        .streams
        .forwarder()
        .getPoolAdjustmentFlowRate(pool)
        .block(block)
        .call()
        .await
        .expect("adjustment");
    to_u128(rate)
}

/// What `account` has streamed to the pools so far, from its Super Token balance at `block`:
/// what it was funded with less what it can spend and the deposit held.
async fn streamed_from_balance(world: &World, index: u32, funded: u128, block: u64) -> u128 {
    let token = ISuperToken::new(world.token, world.anvil.client(0).await.provider().clone());
    let balance = token
        .realtimeBalanceOfNow(address(index))
        .block(BlockId::number(block))
        .call()
        .await
        .expect("realtimeBalanceOfNow");
    let held = balance.availableBalance + alloy::primitives::I256::from_raw(balance.deposit);
    funded - held.to_string().parse::<u128>().expect("positive")
}

fn flow_of(answer: &Value, who: u32) -> &Value {
    let who = address(who).to_checksum(None);
    answer["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .find(|flow| flow["distributor"] == json!(who))
        .unwrap_or_else(|| panic!("a flow of {who} in {answer}"))
}

async fn setup() -> (TestDb, World, tempfile::TempDir) {
    let db = TestDb::create().await;
    let anvil = Anvil::start_with(&["--disable-code-size-limit"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let (suite, deployed_at, sf) = deploy(&anvil, dir.path()).await;
    let admin = anvil.client(0).await;
    let streams = admin.streams(sf.tributary_streams).await.expect("streams");
    for (who, amount) in [(BUYER, 1_000), (LOW, 1_000), (REORGED, 1_000), (BROKE, 20)] {
        streams
            .transfer_token(sf.super_token, address(who), U256::from(amount * TOKEN))
            .await
            .expect("fund");
    }
    let creator = suite.with_client(&anvil.client(CREATOR).await);
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let offers = [subscription(sf.super_token, MIN_RATE)];
    let dataset = creator
        .register(B256::repeat_byte(1), "ipfs://streamed", &split, &offers)
        .await
        .expect("register")
        .value;
    (
        db,
        World {
            token: sf.super_token,
            anvil,
            suite,
            streams,
            dataset,
            sf,
            deployed_at,
        },
        dir,
    )
}

#[tokio::test]
async fn flows_units_and_licences_mirror_the_views_through_every_change() {
    let (db, world, _dir) = setup().await;
    let pool_db = db.pool().await;
    let id = world.dataset;
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let offers = [subscription(world.token, MIN_RATE)];
    world.streams.sync(id, &split, &offers).await.expect("sync");
    let config = test_config(world.suite.address(), world.deployed_at)
        .with_ranges(3, 3)
        .with_streams(world.sf.tributary_streams, world.sf.host);
    let mut indexer = indexer(&pool_db, world.anvil.url(), config).await;
    assert!(indexer.meta().gda.is_some(), "the GDA found from the host");
    catch_up(&mut indexer).await;
    let api = Api::new(&pool_db, &indexer);
    let everyone = [BUYER, LOW, BROKE, REORGED, CREATOR];

    // Synced: one pool, units 117 / 78 / 5 (60/40 at 2.5 %, the treasury a member).
    let answer = assert_mirror_equals_views(&world, &api, &everyone).await;
    assert_eq!(answer["pools"][0]["total_units"], "200", "{answer}");
    assert_eq!(
        answer["pools"][0]["members"]
            .as_array()
            .expect("members")
            .len(),
        3
    );
    assert_eq!(answer["status"], "Active");

    // The buyer opens at the required rate; another streams below the minimum.
    let required = to_u128(
        world
            .streams
            .required_flow_rate(id, world.token)
            .await
            .expect("required"),
    );
    let opened = world.stream(BUYER, required).await;
    world.stream(LOW, MIN_RATE / 2).await;
    world.warp(3_600).await;
    catch_up(&mut indexer).await;
    let answer = assert_mirror_equals_views(&world, &api, &everyone).await;
    let head = answer["at"]["block_number"].as_u64().expect("at");
    let flow = flow_of(&answer, BUYER);
    assert_eq!(flow["since_block"], opened);
    let recorded: u128 = flow["flow_rate"]
        .as_str()
        .expect("rate")
        .parse()
        .expect("rate");
    assert!(
        recorded >= MIN_RATE && recorded.is_multiple_of(200),
        "{flow}"
    );
    assert_eq!(
        flow["streamed"].as_str().expect("streamed"),
        streamed_from_balance(&world, BUYER, 1_000 * TOKEN, head)
            .await
            .to_string(),
        "streamed so far = what left the buyer's balance"
    );
    let licensed = api
        .get(&format!("/datasets/{id}/licensed/{}", address(BUYER)))
        .await;
    assert_eq!(licensed["licensed"], true);
    assert_eq!(licensed["licensed_by"], json!(["stream"]));
    assert_eq!(licensed["streams"][0]["sufficient"], true);
    let low = api
        .get(&format!("/datasets/{id}/licensed/{}", address(LOW)))
        .await;
    assert_eq!(
        (low["licensed"].clone(), low["licensed_by"].clone()),
        (json!(false), json!([]))
    );
    assert_eq!(low["streams"][0]["sufficient"], false);

    // Update to twice the rate.
    let updated = world.stream(BUYER, 2 * MIN_RATE).await;
    world.warp(1_800).await;
    catch_up(&mut indexer).await;
    let answer = assert_mirror_equals_views(&world, &api, &everyone).await;
    let head = answer["at"]["block_number"].as_u64().expect("at");
    let flow = flow_of(&answer, BUYER);
    assert_eq!(flow["since_block"], updated);
    let until: u128 = flow["streamed_until_since"]
        .as_str()
        .expect("until")
        .parse()
        .expect("n");
    let since_open = world.timestamp(updated).await - world.timestamp(opened).await;
    assert_eq!(
        until,
        recorded * u128::from(since_open),
        "total up to the update"
    );
    assert_eq!(
        flow["streamed"].as_str().expect("streamed"),
        streamed_from_balance(&world, BUYER, 1_000 * TOKEN, head)
            .await
            .to_string()
    );

    // The split changes mid-stream: carol in, the contributor out (units 117 / 156 / 7).
    let new_split = Split::from_shares([(address(CREATOR), 3), (address(CAROL), 4)]);
    let creator = world.suite.with_client(&world.anvil.client(CREATOR).await);
    creator
        .set_terms(id, &new_split, &offers)
        .await
        .expect("set terms");
    let before_sync = assert_mirror_equals_views(&world, &api, &everyone).await;
    assert_ne!(
        before_sync["synced_terms_hash"],
        json!(null),
        "synced once already"
    );
    world
        .streams
        .sync(id, &new_split, &offers)
        .await
        .expect("sync the new split");
    world.warp(600).await;
    catch_up(&mut indexer).await;
    let answer = assert_mirror_equals_views(&world, &api, &everyone).await;
    assert_eq!(answer["pools"][0]["total_units"], "280", "{answer}");
    // Each member's rate as the pool pays it, through /creators/{wallet}/streams.
    let pool = world.pool().await;
    let sf_pool = ISuperfluidPool::new(pool, world.anvil.client(0).await.provider().clone());
    for member in [CREATOR, CAROL, TREASURY] {
        let mine = api
            .get(&format!("/creators/{}/streams", address(member)))
            .await;
        assert_eq!(mine["items"].as_array().expect("items").len(), 1, "{mine}");
        let item = &mine["items"][0];
        assert_eq!(item["pool"], json!(pool.to_checksum(None)));
        assert_eq!(
            item["units"],
            json!(
                sf_pool
                    .getUnits(address(member))
                    .call()
                    .await
                    .expect("units")
                    .to_string()
            )
        );
        // The units share of the inflow; the GDA pays whole wei per unit, the remainder
        // (at most the adjustment flow plus one wei per unit) goes to the pool's admin.
        let share: u128 = item["share_flow_rate"]
            .as_str()
            .expect("share")
            .parse()
            .expect("n");
        let paid = to_u128(
            sf_pool
                .getMemberFlowRate(address(member))
                .call()
                .await
                .expect("member rate"),
        );
        let units: u128 = item["units"].as_str().expect("units").parse().expect("n");
        let adjustment = adjustment(&world, pool, BlockId::latest()).await;
        assert!(
            paid <= share && share - paid <= units * (1 + adjustment / 280),
            "member {member}: paid {paid}, share {share}: {mine}"
        );
    }
    let gone = api
        .get(&format!("/creators/{}/streams", address(CONTRIBUTOR)))
        .await;
    assert_eq!(gone["items"], json!([]), "the contributor left the split");

    // Paused: nobody is licensed by a stream; active again: licensed again.
    creator
        .set_status(id, DatasetStatus::Paused)
        .await
        .expect("pause");
    catch_up(&mut indexer).await;
    let paused = assert_mirror_equals_views(&world, &api, &[BUYER]).await;
    assert_eq!(paused["status"], "Paused");
    creator
        .set_status(id, DatasetStatus::Active)
        .await
        .expect("activate");

    // Close.
    let closed = world.stream(BUYER, 0).await;
    world.warp(900).await;
    catch_up(&mut indexer).await;
    let answer = assert_mirror_equals_views(&world, &api, &everyone).await;
    let head = answer["at"]["block_number"].as_u64().expect("at");
    let flow = flow_of(&answer, BUYER);
    assert_eq!(
        (flow["flow_rate"].clone(), flow["since_block"].clone()),
        (json!("0"), json!(closed))
    );
    assert_eq!(
        flow["streamed"], flow["streamed_until_since"],
        "nothing after the close"
    );
    assert_eq!(
        flow["streamed"].as_str().expect("streamed"),
        streamed_from_balance(&world, BUYER, 1_000 * TOKEN, head)
            .await
            .to_string()
    );

    // A buyer who runs dry: licensed on-chain until critical; the mirror, which sees no
    // balances, keeps the stream until the liquidation sets it to 0.
    world.stream(BROKE, required).await;
    world.warp(5_000).await;
    catch_up(&mut indexer).await;
    assert_mirror_equals_views(&world, &api, &[BROKE]).await;
    world.warp(1_000).await;
    catch_up(&mut indexer).await;
    let answer = api
        .get(&format!("/datasets/{id}/licensed/{}", address(BROKE)))
        .await;
    let block = BlockId::number(answer["at"]["block_number"].as_u64().expect("at"));
    let on_chain = world
        .streams
        .contract()
        .isLicensed(address(BROKE), id)
        .block(block)
        .call()
        .await
        .expect("isLicensed");
    assert!(!on_chain, "critical: the chain's view ends the licence");
    assert_eq!(
        answer["licensed"], true,
        "the mirror cannot see the balance: {answer}"
    );
    assert_eq!(answer["licensed_by"], json!(["stream"]));
    // A liquidator (anyone) closes the critical flow.
    let liquidator = world.as_account(0).await;
    liquidator
        .forwarder()
        .distributeFlow(world.token, address(BROKE), pool, I96::ZERO, Bytes::new())
        .from(address(0))
        .gas(3_000_000)
        .send()
        .await
        .expect("liquidate")
        .get_receipt()
        .await
        .expect("mined");
    catch_up(&mut indexer).await;
    let answer = assert_mirror_equals_views(&world, &api, &everyone).await;
    assert_eq!(flow_of(&answer, BROKE)["flow_rate"], "0");
    let operator: Vec<u8> = sqlx::query_scalar(
        "SELECT operator FROM stream_flow_updates WHERE distributor = $1
         ORDER BY block_number DESC LIMIT 1",
    )
    .bind(address(BROKE).to_vec())
    .fetch_one(&pool_db)
    .await
    .expect("operator");
    assert_eq!(
        operator,
        address(0).to_vec(),
        "the liquidator is the operator"
    );

    // Raw logs: exactly the node's, for the suite, the streams and our pools' flows.
    assert_raw_logs_equal_node(&world, &pool_db, pool).await;
    drop(db);
}

/// The mirror's raw logs equal the node's logs of the suite, `TributaryStreams` and the GDA's
/// flows to `pool`.
async fn assert_raw_logs_equal_node(world: &World, pool_db: &sqlx::PgPool, pool: Address) {
    let provider = world.anvil.client(0).await.provider().clone();
    let mut logs = world.anvil.logs(world.suite.address()).await;
    logs.extend(world.anvil.logs(world.sf.tributary_streams).await);
    let gda_filter = alloy::rpc::types::Filter::new()
        .event_signature(
            <tributary_indexer::events::superfluid::IGeneralDistributionAgreementV1::FlowDistributionUpdated as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
        )
        .topic2(pool.into_word())
        .from_block(0);
    logs.extend(provider.get_logs(&gda_filter).await.expect("gda logs"));
    logs.sort_by_key(|log| (log.block_number, log.log_index));
    let checkpoint = {
        let mut conn = pool_db.acquire().await.expect("conn");
        db::checkpoint(&mut conn)
            .await
            .expect("cp")
            .expect("indexed")
            .number
    };
    logs.retain(|log| log.block_number.is_some_and(|n| n <= checkpoint));
    assert_eq!(raw_logs(pool_db).await, node_logs(&logs));
}

#[tokio::test]
async fn a_reorg_that_removes_a_flow_removes_it_from_the_mirror() {
    let (db, world, _dir) = setup().await;
    let pool_db = db.pool().await;
    let id = world.dataset;
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let offers = [subscription(world.token, MIN_RATE)];
    world.streams.sync(id, &split, &offers).await.expect("sync");
    let config = test_config(world.suite.address(), world.deployed_at)
        .with_streams(world.sf.tributary_streams, world.sf.host);
    let mut indexer = indexer(&pool_db, world.anvil.url(), config).await;
    world.stream(BUYER, 2 * MIN_RATE).await;
    world.warp(100).await;
    catch_up(&mut indexer).await;
    let api = Api::new(&pool_db, &indexer);

    // The buyer updates, the other subscriber opens: both undone by the reorg.
    let snapshot = world.anvil.rpc("evm_snapshot", json!([])).await;
    world.stream(BUYER, 3 * MIN_RATE).await;
    world.stream(REORGED, 2 * MIN_RATE).await;
    world.warp(100).await;
    catch_up(&mut indexer).await;
    let before = assert_mirror_equals_views(&world, &api, &[BUYER, REORGED]).await;
    assert_eq!(before["flows"].as_array().expect("flows").len(), 2);
    assert_eq!(
        flow_of(&before, BUYER)["flow_rate"],
        (3 * MIN_RATE).to_string()
    );
    let licensed = api
        .get(&format!("/datasets/{id}/licensed/{}", address(REORGED)))
        .await;
    assert_eq!(licensed["licensed"], true);

    // Back to before both, then a longer chain without them.
    assert_eq!(
        world.anvil.rpc("evm_revert", json!([snapshot])).await,
        json!(true)
    );
    for _ in 0..5 {
        world.anvil.rpc("evm_mine", json!([])).await;
    }
    let mut reorged = false;
    for _ in 0..20 {
        match indexer.step().await.expect("step") {
            Step::Reorged { .. } => reorged = true,
            Step::Idle { .. } => break,
            _ => {}
        }
    }
    assert!(reorged, "the reorg was seen");
    let after = assert_mirror_equals_views(&world, &api, &[BUYER, REORGED]).await;
    assert_eq!(
        after["flows"].as_array().expect("flows").len(),
        1,
        "{after}"
    );
    assert_eq!(
        flow_of(&after, BUYER)["flow_rate"],
        (2 * MIN_RATE).to_string()
    );
    let licensed = api
        .get(&format!("/datasets/{id}/licensed/{}", address(REORGED)))
        .await;
    assert_eq!(licensed["licensed"], false, "{licensed}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stream_flow_updates")
        .fetch_one(&pool_db)
        .await
        .expect("count");
    assert_eq!(rows, 1, "only the first open is left");
    assert_raw_logs_equal_node(&world, &pool_db, world.pool().await).await;
    drop(db);
}

#[tokio::test]
async fn the_streams_endpoints_page_and_refuse_bad_input() {
    let (db, world, _dir) = setup().await;
    let pool_db = db.pool().await;
    let id = world.dataset;
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let offers = [subscription(world.token, MIN_RATE)];
    world.streams.sync(id, &split, &offers).await.expect("sync");
    for who in [BUYER, LOW, REORGED] {
        world.stream(who, 2 * MIN_RATE).await;
    }
    let config = test_config(world.suite.address(), world.deployed_at)
        .with_streams(world.sf.tributary_streams, world.sf.host);
    let mut indexer = indexer(&pool_db, world.anvil.url(), config).await;
    catch_up(&mut indexer).await;
    let api = Api::new(&pool_db, &indexer);

    // Flows, one per page, walked to the end.
    let mut seen = Vec::new();
    let mut path = format!("/datasets/{id}/streams?limit=1");
    loop {
        let page = api.get(&path).await;
        assert_eq!(page["pools"].as_array().expect("pools").len(), 1);
        seen.extend(page["flows"].as_array().expect("flows").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/datasets/{id}/streams?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let all = api.get(&format!("/datasets/{id}/streams")).await;
    assert_eq!(all["flows"].as_array().expect("flows"), &seen);
    assert_eq!(all["pools"][0]["active_flows"], 3);

    // The treasury is a member of the one pool.
    let treasury = api
        .get(&format!("/creators/{}/streams?limit=1", address(TREASURY)))
        .await;
    assert_eq!(treasury["items"].as_array().expect("items").len(), 1);
    assert_eq!(treasury["next_cursor"], json!(null));
    assert_eq!(treasury["items"][0]["dataset_id"], id.to_string());
    assert_eq!(treasury["items"][0]["active_flows"], 3);
    let stranger = api
        .get(&format!("/creators/{}/streams", address(BUYER)))
        .await;
    assert_eq!(stranger["items"], json!([]));

    // The OpenAPI document names both.
    let doc = api.get("/openapi.json").await;
    assert!(doc["paths"]["/datasets/{id}/streams"]["get"].is_object());
    assert!(doc["paths"]["/creators/{wallet}/streams"]["get"].is_object());
    let status = api.get("/status").await;
    assert_eq!(
        status["streams"],
        json!(world.sf.tributary_streams.to_checksum(None))
    );

    // Bad input.
    let lower = format!("{:#x}", address(CREATOR));
    // The checksummed form with one letter's case flipped.
    let mut bad_checksum: Vec<char> = address(CREATOR).to_checksum(None).chars().collect();
    let letter = bad_checksum
        .iter()
        .skip(2)
        .position(|c| c.is_ascii_alphabetic())
        .expect("a letter")
        + 2;
    bad_checksum[letter] = if bad_checksum[letter].is_ascii_uppercase() {
        bad_checksum[letter].to_ascii_lowercase()
    } else {
        bad_checksum[letter].to_ascii_uppercase()
    };
    let bad_checksum: String = bad_checksum.into_iter().collect();
    for (path, expected) in [
        ("/datasets/abc/streams".to_owned(), 400),
        ("/datasets/-1/streams".to_owned(), 400),
        ("/datasets/999/streams".to_owned(), 404),
        (format!("/datasets/{id}/streams?limit=0"), 400),
        (format!("/datasets/{id}/streams?limit=501"), 400),
        (format!("/datasets/{id}/streams?cursor=nope"), 400),
        (format!("/datasets/{id}/streams?cursor=0x12-0x34"), 400),
        ("/creators/0x1234/streams".to_owned(), 400),
        (format!("/creators/{bad_checksum}/streams"), 400),
        (format!("/creators/{lower}/streams?cursor=1"), 400),
        (format!("/creators/{lower}/streams?limit=x"), 400),
        (format!("/datasets/999/licensed/{lower}"), 404),
        (format!("/datasets/{id}/licensed/0xzz"), 400),
    ] {
        let (status, body) = api.get_status(&path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
    // A lowercase address is accepted.
    api.get(&format!("/creators/{lower}/streams")).await;
    drop(db);
}

#[tokio::test]
async fn flow_timestamps_come_from_block_headers_when_logs_carry_none() {
    let (db, world, _dir) = setup().await;
    let pool_db = db.pool().await;
    let id = world.dataset;
    let split = Split::from_shares([(address(CREATOR), 60), (address(CONTRIBUTOR), 40)]);
    let offers = [subscription(world.token, MIN_RATE)];
    world.streams.sync(id, &split, &offers).await.expect("sync");
    let opened = world.stream(BUYER, 2 * MIN_RATE).await;
    world.warp(500).await;
    let updated = world.stream(BUYER, 3 * MIN_RATE).await;
    world.warp(700).await;
    let other = world.stream(LOW, 2 * MIN_RATE).await;
    for _ in 0..4 {
        world.anvil.rpc("evm_mine", json!([])).await;
    }
    // A node that sends no blockTimestamp on logs; final ranges (depth 2) fetch only their
    // end headers, so the flows' blocks are fetched for their timestamps.
    let proxy = Proxy::start(world.anvil.url()).await;
    proxy.set(Faults {
        strip_log_timestamps: true,
        ..Faults::default()
    });
    let config = test_config(world.suite.address(), world.deployed_at)
        .with_finality_depth(2)
        .with_ranges(1_000, 1_000)
        .with_streams(world.sf.tributary_streams, world.sf.host);
    let mut indexer = indexer(&pool_db, &proxy.url, config).await;
    catch_up(&mut indexer).await;
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT block_number, block_time, streamed_until::TEXT FROM stream_flow_updates
         ORDER BY block_number, log_index",
    )
    .fetch_all(&pool_db)
    .await
    .expect("rows");
    assert_eq!(
        rows.iter().map(|row| row.0 as u64).collect::<Vec<_>>(),
        vec![opened, updated, other]
    );
    for (block, time, _) in &rows {
        assert_eq!(
            *time as u64,
            world.timestamp(*block as u64).await,
            "block {block}"
        );
    }
    let seconds = world.timestamp(updated).await - world.timestamp(opened).await;
    assert_eq!(rows[1].2, (2 * MIN_RATE * u128::from(seconds)).to_string());
    let api = Api::new(&pool_db, &indexer);
    assert_mirror_equals_views(&world, &api, &[BUYER, LOW]).await;
    drop(db);
}
