//! The sender under faults, on a real anvil and a real PostgreSQL: a stuck
//! transaction bumped up to the fee cap, a worker dropped after storing its
//! transaction, a transaction dropped from the pool, the key's nonce used by
//! another sender, a key without funds, a reorg below the confirmation depth,
//! the node stopped and started again. Each test ends with the same check:
//! every payment credited exactly once, no credit without a payment, and the
//! database agreeing with the chain (outcomes, transaction hashes, nonces).

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tributary_core::chain::{Client, Config, Tributary};
use tributary_relayer::{SenderConfig, Step, Worker, WorkerConfig, db::Outcome};
use tributary_testkit::wait_for_listen;

use crate::support::{
    Anvil, RELAYER, TestDb, account, app, checkout_completed, fast, get, minted, post, signed,
};

fn buyer() -> Address {
    account(5).address()
}

/// A worker sending as the relayer key; the client polls every 20 ms and
/// waits as `chain` says.
async fn worker(
    url: &str,
    tributary: &Tributary,
    pool: &PgPool,
    chain: Config,
    config: WorkerConfig,
) -> Worker {
    let client = Client::connect(
        url,
        Some(&account(RELAYER)),
        chain.with_poll_interval(Duration::from_millis(20)),
    )
    .await
    .expect("connect");
    Worker::new(
        pool.clone(),
        tributary.with_client(&client),
        &account(RELAYER),
        config,
    )
}

/// `(job, nonce, hash, status, max fee, tip)` of every stored transaction.
async fn transactions(pool: &PgPool) -> Vec<(i64, i64, B256, String, u128, u128)> {
    let rows: Vec<(i64, i64, Vec<u8>, String, String, String)> = sqlx::query_as(
        "SELECT job_id, nonce, tx_hash, status, max_fee_per_gas::TEXT,
             max_priority_fee_per_gas::TEXT
         FROM transactions ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("transactions");
    rows.into_iter()
        .map(|(job, nonce, hash, status, fee, tip)| {
            (
                job,
                nonce,
                B256::from_slice(&hash),
                status,
                fee.parse().expect("fee"),
                tip.parse().expect("tip"),
            )
        })
        .collect()
}

/// Whether the node knows the transaction (in its pool, or mined).
async fn known(node: &Client, hash: B256) -> bool {
    node.provider()
        .get_transaction_by_hash(hash)
        .await
        .expect("eth_getTransactionByHash")
        .is_some()
}

async fn raw(node: &Client, method: &'static str, params: Value) -> Value {
    node.provider()
        .raw_request::<_, Value>(method.into(), params)
        .await
        .unwrap_or_else(|error| panic!("{method}: {error}"))
}

/// Waits (up to 20 s) until `check` holds.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The common end of every test: each payment of `paid` (PaymentIntent,
/// cents) credited exactly once, to the buyer, nothing else credited; each
/// job done; a job `minted` names the transaction that emitted its credit;
/// every stored transaction is closed; the key's next nonce in the database
/// is the chain's (no nonce reused, no gap).
async fn assert_agree(url: &str, tributary: &Tributary, pool: &PgPool, paid: &[(&str, u64)]) {
    let client = Client::connect(url, None, Config::default())
        .await
        .expect("connect");
    let logs = client
        .provider()
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(tributary.address())
                .event_signature(
                    <tributary_core::chain::ITributary::CreditsMinted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(0),
        )
        .await
        .expect("logs");
    assert_eq!(logs.len(), paid.len(), "one credit per payment: {logs:?}");
    for (pi, cents) in paid {
        let id = keccak256(pi.as_bytes());
        let credited: Vec<_> = logs
            .iter()
            .filter(|log| log.topics().get(1) == Some(&id))
            .collect();
        assert_eq!(credited.len(), 1, "{pi} credited {} times", credited.len());
        let record = tributary.credit_payment(id).await.expect("record");
        assert_eq!(
            (record.account, U256::from(record.amount)),
            (buyer(), U256::from(*cents)),
            "{pi}"
        );
        let (status, outcome, tx_hash): (String, Option<String>, Option<Vec<u8>>) =
            sqlx::query_as("SELECT status, outcome, tx_hash FROM jobs WHERE payment_intent = $1")
                .bind(*pi)
                .fetch_one(pool)
                .await
                .expect("job");
        assert_eq!(status, "done", "{pi}");
        if outcome.as_deref() == Some("minted") {
            assert_eq!(
                tx_hash.map(|hash| B256::from_slice(&hash)),
                credited[0].transaction_hash,
                "{pi}: the job names the transaction that credited it"
            );
        }
    }
    let open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE status = 'pending'")
            .fetch_one(pool)
            .await
            .expect("open");
    assert_eq!(open, 0, "every stored transaction is closed");
    let counters: Vec<(Vec<u8>, i64)> =
        sqlx::query_as("SELECT sender, next_nonce FROM sender_nonces")
            .fetch_all(pool)
            .await
            .expect("nonce counters");
    assert!(!counters.is_empty());
    for (sender, next) in counters {
        let sender = Address::from_slice(&sender);
        let chain = client
            .provider()
            .get_transaction_count(sender)
            .await
            .expect("count");
        assert_eq!(
            next as u64, chain,
            "{sender}: the database's next nonce is the chain's"
        );
    }
}

async fn setup(anvil: &Anvil) -> (Tributary, TestDb, PgPool) {
    let tributary = crate::support::deploy(anvil).await;
    let db = TestDb::create().await;
    let pool = db.pool().await;
    (tributary, db, pool)
}

async fn pay(pool: &PgPool, event: &str, pi: &str, cents: u64) {
    let delivery = signed(&[checkout_completed(event, pi, buyer(), cents)]).remove(0);
    assert_eq!(post(&app(pool), &delivery).await.0, StatusCode::OK);
}

fn done(step: &Step, outcome: Outcome) -> bool {
    matches!(step, Step::Done { outcome: o, .. } if *o == outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_transaction_is_replaced_with_higher_fees_up_to_the_cap_then_completes_once() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    anvil.rpc("evm_setAutomine", json!([false])).await;
    // The cap leaves room for one bump (+12.5 %) and not for a second.
    let fees = anvil
        .client(0)
        .await
        .provider()
        .estimate_eip1559_fees()
        .await
        .expect("fees");
    let cap = fees.max_fee_per_gas * 12 / 10;
    let sender = SenderConfig::default()
        .with_bump_after(Duration::from_millis(300))
        .with_max_fee_per_gas(cap);
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(20));
    let worker = worker(
        anvil.url(),
        &tributary,
        &pool,
        chain,
        fast().with_sender(sender),
    )
    .await;
    pay(&pool, "evt_stuck", "pi_stuck", 700).await;
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });

    // Not mined: replaced once, then held at the cap, saying so.
    until("the job says it waits at the cap", || async {
        let (_, page) = get(&app(&pool), "/jobs").await;
        page["items"][0]["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("cap"))
    })
    .await;
    let stored = transactions(&pool).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    let (first, second) = (&stored[0], &stored[1]);
    assert_eq!(first.1, second.1, "same nonce");
    assert!(second.4 * 8 >= first.4 * 9, "max fee +12.5 %: {stored:?}");
    assert!(second.5 * 8 >= first.5 * 9, "tip +12.5 %: {stored:?}");
    assert!(second.4 <= cap);
    // anvil keeps only the replacement.
    assert!(!known(&node, first.2).await);
    assert!(known(&node, second.2).await);
    let (_, page) = get(&app(&pool), "/jobs").await;
    let job = &page["items"][0];
    assert_eq!(job["status"], "running");
    assert_eq!(job["tx_hash"], second.2.to_string());
    assert_eq!(job["tx_count"], 2);
    assert_eq!(job["attempts"], 1);

    // Mining resumes: the replacement lands and completes the job.
    anvil.rpc("evm_mine", json!([])).await;
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done once mined")
        .expect("task");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    let stored = transactions(&pool).await;
    assert_eq!(
        stored.iter().map(|tx| tx.3.as_str()).collect::<Vec<_>>(),
        ["replaced", "mined"]
    );
    assert_agree(anvil.url(), &tributary, &pool, &[("pi_stuck", 700)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_dropped_after_storing_its_transaction_is_succeeded_without_a_second_mint_or_a_gap()
 {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let lease = Duration::from_millis(1500);
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(1));
    let config = fast().with_lease(lease);
    let first = worker(
        anvil.url(),
        &tributary,
        &pool,
        chain.clone(),
        config.clone(),
    )
    .await;
    pay(&pool, "evt_crash", "pi_crash", 1200).await;
    let stepping = tokio::spawn(async move { first.step().await });
    until("the transaction is stored and broadcast", || async {
        let stored = transactions(&pool).await;
        !stored.is_empty() && known(&node, stored[0].2).await
    })
    .await;
    // The worker dies (its future dropped), and the node loses the
    // transaction too: as if the crash came between storing and sending.
    stepping.abort();
    let _ = stepping.await;
    anvil.rpc("anvil_dropAllTransactions", json!([])).await;
    let stored = transactions(&pool).await;
    assert!(!known(&node, stored[0].2).await);

    // Another worker takes the job once the lease passed: it broadcasts the
    // stored bytes again instead of building a new transaction.
    tokio::time::sleep(lease).await;
    anvil.rpc("evm_setAutomine", json!([true])).await;
    let second = worker(anvil.url(), &tributary, &pool, chain, config).await;
    let step = second.step().await.expect("step");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    let after = transactions(&pool).await;
    assert_eq!(after.len(), 1, "no second transaction: {after:?}");
    assert_eq!(after[0].2, stored[0].2);
    // The next payment takes the next nonce: no gap, no reuse.
    pay(&pool, "evt_after", "pi_after", 300).await;
    let step = second.step().await.expect("step");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    let after = transactions(&pool).await;
    assert_eq!(after[1].1, after[0].1 + 1);
    assert_agree(
        anvil.url(),
        &tributary,
        &pool,
        &[("pi_crash", 1200), ("pi_after", 300)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_dropped_from_the_pool_is_broadcast_again() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(20));
    let worker = worker(anvil.url(), &tributary, &pool, chain, fast()).await;
    pay(&pool, "evt_drop", "pi_drop", 450).await;
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });
    until("the transaction is in the pool", || async {
        let stored = transactions(&pool).await;
        !stored.is_empty() && known(&node, stored[0].2).await
    })
    .await;
    let hash = transactions(&pool).await[0].2;
    let dropped = anvil.rpc("anvil_dropTransaction", json!([hash])).await;
    assert_eq!(dropped, json!(hash), "anvil dropped it");
    until("the worker broadcasts it again", || known(&node, hash)).await;
    anvil.rpc("evm_mine", json!([])).await;
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done once mined")
        .expect("task");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    assert_eq!(transactions(&pool).await.len(), 1, "the same transaction");
    assert_agree(anvil.url(), &tributary, &pool, &[("pi_drop", 450)]).await;
}

#[tokio::test]
async fn nonce_too_low_after_another_sender_used_the_key_is_resolved_and_sent_again_once() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let worker = worker(anvil.url(), &tributary, &pool, Config::default(), fast()).await;
    pay(&pool, "evt_n1", "pi_n1", 100).await;
    assert!(done(&worker.step().await.expect("step"), Outcome::Minted));

    // Someone else sends from the relayer key: the counter the relayer holds
    // is one behind the chain now.
    let other = anvil.client(RELAYER).await;
    let me = account(RELAYER).address();
    other
        .provider()
        .send_transaction(
            TransactionRequest::default()
                .with_to(me)
                .with_value(U256::ZERO),
        )
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("mined");

    pay(&pool, "evt_n2", "pi_n2", 200).await;
    let step = worker.step().await.expect("step");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    let stored = transactions(&pool).await;
    let statuses: Vec<(i64, &str)> = stored.iter().map(|tx| (tx.1, tx.3.as_str())).collect();
    // The stale nonce 1 is lost to the other sender; nonce 2 carries the credit.
    assert_eq!(statuses, [(0, "mined"), (1, "lost"), (2, "mined")]);
    assert_agree(
        anvil.url(),
        &tributary,
        &pool,
        &[("pi_n1", 100), ("pi_n2", 200)],
    )
    .await;
}

#[tokio::test]
async fn a_key_without_funds_is_retried_with_the_reason_shown_then_sends_once_funded() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let config = fast()
        .with_max_attempts(2)
        .with_backoff(Duration::from_millis(100), Duration::from_millis(100));
    let worker = worker(anvil.url(), &tributary, &pool, Config::default(), config).await;
    let me = account(RELAYER).address();
    anvil.rpc("anvil_setBalance", json!([me, "0x0"])).await;
    pay(&pool, "evt_poor", "pi_poor", 900).await;
    let step = worker.step().await.expect("step");
    assert!(
        matches!(&step, Step::Retry { error, .. } if error.contains("insufficient funds")),
        "{step:?}"
    );
    let (_, page) = get(&app(&pool), "/jobs").await;
    let job = &page["items"][0];
    assert_eq!(job["status"], "pending");
    assert!(
        job["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("insufficient funds")),
        "{job}"
    );
    // Not parked however often it is tried while the key is empty.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(120)).await;
        let step = worker.step().await.expect("step");
        assert!(matches!(step, Step::Retry { .. }), "{step:?}");
    }
    anvil
        .rpc("anvil_setBalance", json!([me, "0x8ac7230489e80000"]))
        .await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let step = worker.step().await.expect("step");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    assert_agree(anvil.url(), &tributary, &pool, &[("pi_poor", 900)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_removing_the_mint_before_its_confirmations_sends_it_again_and_credits_once() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    let chain = Config::default()
        .with_confirmations(3)
        .with_receipt_timeout(Duration::from_secs(20));
    let worker = worker(anvil.url(), &tributary, &pool, chain, fast()).await;
    let snapshot = anvil.rpc("evm_snapshot", json!([])).await;
    pay(&pool, "evt_reorg", "pi_reorg", 1600).await;
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });
    // Mined (anvil mines each transaction), one confirmation of three.
    until("the credit is mined", || async {
        !minted(&anvil, tributary.address()).await.is_empty()
    })
    .await;
    let mined_in = anvil.head().await;
    let old_block = anvil.block_hash(mined_in).await;
    // The block goes away; another one takes its height.
    anvil.rpc("evm_setAutomine", json!([false])).await;
    assert_eq!(
        anvil.rpc("evm_revert", json!([snapshot])).await,
        json!(true)
    );
    anvil.rpc("anvil_dropAllTransactions", json!([])).await;
    anvil.rpc("evm_mine", json!([])).await;
    assert_ne!(anvil.block_hash(mined_in).await, old_block);
    let hash = transactions(&pool).await[0].2;
    // The worker sees its receipt gone, and broadcasts the transaction again.
    until("the transaction is broadcast again", || known(&node, hash)).await;
    assert!(!stepping.is_finished(), "done on a block that is gone");
    for _ in 0..3 {
        anvil.rpc("evm_mine", json!([])).await;
    }
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done after three confirmations")
        .expect("task");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    assert_eq!(transactions(&pool).await.len(), 1, "the same transaction");
    assert_agree(anvil.url(), &tributary, &pool, &[("pi_reorg", 1600)]).await;
}

/// An anvil of the test's own, on a fixed port, keeping its state in a
/// file across a stop (SIGTERM) and a start.
struct OwnAnvil {
    child: Option<Child>,
    port: u16,
    state: tempfile::TempDir,
}

impl OwnAnvil {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("address")
            .port();
        let mut node = Self {
            child: None,
            port,
            state: tempfile::tempdir().expect("temp dir"),
        };
        node.run();
        node
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn run(&mut self) {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
        let mut child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--state")
            .arg(self.state.path().join("state.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start anvil");
        wait_for_listen(&mut child, "Listening on ", "anvil");
        self.child = Some(child);
    }

    /// SIGTERM (anvil writes its state), then waits for the exit.
    fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        child.wait().expect("reap");
    }
}

impl Drop for OwnAnvil {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_stopped_mid_send_and_started_again_gets_the_stored_transaction_again() {
    let mut node = OwnAnvil::start();
    let url = node.url();
    let client = Client::connect(&url, None, Config::default())
        .await
        .expect("connect");
    let admin = Client::connect(&url, Some(&account(0)), Config::default())
        .await
        .expect("connect");
    let tributary = admin
        .deploy(account(0).address(), account(9).address(), 300)
        .await
        .expect("deploy");
    let role = tributary.relayer_role().await.expect("role");
    tributary
        .grant_role(role, account(RELAYER).address())
        .await
        .expect("grant");
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(2));
    let config = fast()
        .with_max_attempts(2)
        .with_backoff(Duration::from_millis(200), Duration::from_millis(400))
        .with_sender(SenderConfig::default().with_rpc_timeout(Duration::from_secs(1)));
    let worker = worker(&url, &tributary, &pool, chain, config).await;

    // A first payment while the node is up.
    pay(&pool, "evt_up", "pi_up", 100).await;
    assert!(done(&worker.step().await.expect("step"), Outcome::Minted));

    // The second is stored and broadcast, not mined; then the node stops.
    raw(&client, "evm_setAutomine", json!([false])).await;
    pay(&pool, "evt_down", "pi_down", 250).await;
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });
    until("the transaction is in the pool", || async {
        let stored = transactions(&pool).await;
        stored.len() == 2 && known(&client, stored[1].2).await
    })
    .await;
    node.stop();
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("gives the job back")
        .expect("task");
    assert!(
        matches!(&step, Step::Retry { error, .. } if error.contains("unreachable")),
        "{step:?}"
    );
    // While it is down the job is retried, never parked.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(450)).await;
        let step = worker.step().await.expect("step");
        assert!(matches!(step, Step::Retry { .. }), "{step:?}");
    }
    let (_, page) = get(&app(&pool), "/jobs?status=pending").await;
    assert!(
        page["items"][0]["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("unreachable")),
        "{page}"
    );

    // Back, with its chain but an empty pool (and mining each transaction):
    // the stored transaction is broadcast again and mined.
    node.run();
    let hash = transactions(&pool).await[1].2;
    assert!(!known(&client, hash).await, "the pool did not survive");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let step = worker.step().await.expect("step");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    assert_eq!(transactions(&pool).await.len(), 2, "no new transaction");
    assert_agree(&url, &tributary, &pool, &[("pi_up", 100), ("pi_down", 250)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_refused_as_underpriced_is_bumped_again_until_the_node_takes_it() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let sender = SenderConfig::default().with_bump_after(Duration::from_millis(200));
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(20));
    let worker = worker(
        anvil.url(),
        &tributary,
        &pool,
        chain,
        fast().with_sender(sender),
    )
    .await;
    pay(&pool, "evt_under", "pi_under", 640).await;
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });
    until("the transaction is in the pool", || async {
        let stored = transactions(&pool).await;
        !stored.is_empty() && known(&node, stored[0].2).await
    })
    .await;
    // Someone else with the key puts a transfer at the same nonce, paying
    // three times the fees: anvil replaces the relayer's transaction with it.
    let ours = transactions(&pool).await.remove(0);
    let me = account(RELAYER).address();
    let foreign = *anvil
        .client(RELAYER)
        .await
        .provider()
        .send_transaction(
            TransactionRequest::default()
                .with_to(me)
                .with_value(U256::ZERO)
                .with_nonce(ours.1 as u64)
                .with_gas_limit(21_000)
                .with_max_fee_per_gas(ours.4 * 3)
                .with_max_priority_fee_per_gas(ours.5 * 3),
        )
        .await
        .expect("the node takes the richer transaction")
        .tx_hash();
    // The relayer's next broadcasts are refused as underpriced until its
    // bumps (+12.5 % each) pay more than three times the first fees.
    until("a replacement outbids the foreign transaction", || async {
        transactions(&pool)
            .await
            .last()
            .is_some_and(|tx| tx.4 > ours.4 * 3 && tx.5 > ours.5 * 3)
    })
    .await;
    let newest = transactions(&pool).await.last().expect("stored").2;
    until("the node holds the outbidding replacement", || {
        known(&node, newest)
    })
    .await;
    anvil.rpc("evm_mine", json!([])).await;
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done once mined")
        .expect("task");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    let refused: Vec<Option<String>> =
        sqlx::query_scalar("SELECT last_error FROM transactions ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("errors");
    assert!(
        refused
            .iter()
            .any(|error| error.as_deref() == Some("Underpriced")),
        "{refused:?}"
    );
    assert!(
        !known(&node, foreign).await,
        "the foreign transaction is gone"
    );
    assert_agree(anvil.url(), &tributary, &pool, &[("pi_under", 640)]).await;
}

/// A JSON-RPC proxy in front of `target` that forwards everything and, for
/// the first `late` `eth_sendRawTransaction` calls, answers only after
/// `delay` (the node took the transaction; its answer comes too late).
/// Returns its URL and the count of raw transactions it forwarded.
async fn late_answering_proxy(
    target: &str,
    late: usize,
    delay: Duration,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let sends = Arc::new(AtomicUsize::new(0));
    let target = target.to_owned();
    let http = reqwest::Client::new();
    let counted = sends.clone();
    let app = axum::Router::new().fallback(move |body: String| {
        let (target, http, sends) = (target.clone(), http.clone(), counted.clone());
        async move {
            let raw = body.contains("eth_sendRawTransaction");
            let answer = http
                .post(&target)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("forward")
                .text()
                .await
                .expect("answer");
            if raw && sends.fetch_add(1, Ordering::SeqCst) < late {
                tokio::time::sleep(delay).await;
            }
            ([("content-type", "application/json")], answer)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, sends)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_whose_answer_is_lost_is_sent_again_and_already_known_counts_as_sent() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let (proxy, sends) = late_answering_proxy(anvil.url(), 1, Duration::from_secs(3)).await;
    let sender = SenderConfig::default().with_rpc_timeout(Duration::from_millis(500));
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(20));
    let worker = worker(&proxy, &tributary, &pool, chain, fast().with_sender(sender)).await;
    pay(&pool, "evt_late", "pi_late", 510).await;
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });
    // The first broadcast times out at the relayer although anvil took it;
    // the relayer sends the same bytes again, anvil answers "transaction
    // already imported", and that counts as sent.
    until("sent twice, the second answer read as sent", || async {
        let accepted: Option<(Option<String>, bool)> =
            sqlx::query_as("SELECT last_error, broadcast_at IS NOT NULL FROM transactions")
                .fetch_optional(&pool)
                .await
                .expect("transaction");
        sends.load(std::sync::atomic::Ordering::SeqCst) >= 2 && accepted == Some((None, true))
    })
    .await;
    let hash = transactions(&pool).await[0].2;
    assert!(known(&node, hash).await);
    anvil.rpc("evm_mine", json!([])).await;
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done once mined")
        .expect("task");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    assert_eq!(transactions(&pool).await.len(), 1, "one transaction");
    assert_agree(anvil.url(), &tributary, &pool, &[("pi_late", 510)]).await;
}

#[tokio::test]
async fn a_nonce_counter_above_the_chain_with_nothing_stored_behind_it_comes_back_at_start() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let first = worker(anvil.url(), &tributary, &pool, Config::default(), fast()).await;
    pay(&pool, "evt_d1", "pi_d1", 100).await;
    assert!(done(&first.step().await.expect("step"), Outcome::Minted));
    // The counter drifts five above the chain (a restored or edited
    // database); a worker starting now brings it back.
    sqlx::query("UPDATE sender_nonces SET next_nonce = next_nonce + 5")
        .execute(&pool)
        .await
        .expect("drift");
    let restarted = worker(anvil.url(), &tributary, &pool, Config::default(), fast()).await;
    assert_eq!(restarted.sender().reconcile().await.expect("reconcile"), 1);
    pay(&pool, "evt_d2", "pi_d2", 200).await;
    assert!(done(
        &restarted.step().await.expect("step"),
        Outcome::Minted
    ));
    let nonces: Vec<i64> = transactions(&pool).await.iter().map(|tx| tx.1).collect();
    assert_eq!(nonces, [0, 1], "no gap");
    assert_agree(
        anvil.url(),
        &tributary,
        &pool,
        &[("pi_d1", 100), ("pi_d2", 200)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_of_two_processes_sharing_the_key_never_share_a_nonce() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    // Two workers with senders of their own, as two relayer processes on
    // one database would have.
    let one = worker(anvil.url(), &tributary, &pool, Config::default(), fast()).await;
    let two = worker(anvil.url(), &tributary, &pool, Config::default(), fast()).await;
    let paid: Vec<(String, u64)> = (0..8).map(|i| (format!("pi_pair_{i}"), 100 + i)).collect();
    for (i, (pi, cents)) in paid.iter().enumerate() {
        pay(&pool, &format!("evt_pair_{i}"), pi, *cents).await;
    }
    let drain = |worker: Worker| async move {
        let mut done = 0;
        loop {
            match worker.step().await.expect("step") {
                Step::Idle => return done,
                step => {
                    assert!(matches!(step, Step::Done { .. }), "{step:?}");
                    done += 1;
                }
            }
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(drain(one)), tokio::spawn(drain(two)));
    let (a, b) = (a.expect("task"), b.expect("task"));
    assert_eq!(a + b, paid.len(), "{a} + {b}");
    let mut nonces: Vec<(i64, String)> = transactions(&pool)
        .await
        .into_iter()
        .map(|tx| (tx.1, tx.3))
        .collect();
    nonces.sort();
    let expected: Vec<(i64, String)> = (0..paid.len() as i64)
        .map(|nonce| (nonce, "mined".to_owned()))
        .collect();
    assert_eq!(nonces, expected, "one transaction per nonce, no gap");
    let paid: Vec<(&str, u64)> = paid.iter().map(|(pi, c)| (pi.as_str(), *c)).collect();
    assert_agree(anvil.url(), &tributary, &pool, &paid).await;
}

#[tokio::test]
async fn a_transaction_queued_behind_a_nonce_gap_says_so_and_lands_once_the_gap_is_filled() {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let chain = Config::default().with_receipt_timeout(Duration::from_millis(600));
    let worker = worker(anvil.url(), &tributary, &pool, chain, fast()).await;
    pay(&pool, "evt_g1", "pi_g1", 100).await;
    assert!(done(&worker.step().await.expect("step"), Outcome::Minted));
    // The counter jumps two ahead while the worker runs (an edited database):
    // the next transaction takes nonce 3, and the node queues it.
    sqlx::query("UPDATE sender_nonces SET next_nonce = next_nonce + 2")
        .execute(&pool)
        .await
        .expect("drift");
    pay(&pool, "evt_g2", "pi_g2", 200).await;
    let step = worker.step().await.expect("step");
    assert!(
        matches!(&step, Step::Retry { error, .. }
            if error.contains("queued behind a nonce gap") && error.contains("nonces 1 to 2")),
        "{step:?}"
    );
    let (_, page) = get(&app(&pool), "/jobs?status=pending").await;
    assert_eq!(page["items"][0]["nonce"], 3);
    // An operator fills the gap with two transfers from the key to itself.
    let me = account(RELAYER).address();
    let operator = anvil.client(RELAYER).await;
    for nonce in [1, 2] {
        operator
            .provider()
            .send_transaction(
                TransactionRequest::default()
                    .with_to(me)
                    .with_value(U256::ZERO)
                    .with_nonce(nonce),
            )
            .await
            .expect("fill")
            .get_receipt()
            .await
            .expect("mined");
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let step = worker.step().await.expect("step");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    assert_agree(
        anvil.url(),
        &tributary,
        &pool,
        &[("pi_g1", 100), ("pi_g2", 200)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_key_rotation_the_old_keys_pending_transaction_is_waited_on_never_bumped_by_the_new_key()
 {
    let anvil = Anvil::start();
    let (tributary, _db, pool) = setup(&anvil).await;
    let node = anvil.client(0).await;
    let role = tributary.relayer_role().await.expect("role");
    tributary
        .grant_role(role, account(3).address())
        .await
        .expect("grant the new key");
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let lease = Duration::from_millis(1500);
    let sender = SenderConfig::default().with_bump_after(Duration::from_millis(200));
    let config = fast().with_lease(lease).with_sender(sender);
    let chain = Config::default().with_receipt_timeout(Duration::from_secs(20));
    let old = worker(
        anvil.url(),
        &tributary,
        &pool,
        chain.clone(),
        config.clone(),
    )
    .await;
    pay(&pool, "evt_rot", "pi_rot", 880).await;
    let stepping = tokio::spawn(async move { old.step().await });
    until("the old key's transaction is in the pool", || async {
        let stored = transactions(&pool).await;
        !stored.is_empty() && known(&node, stored[0].2).await
    })
    .await;
    // The relayer stops and comes back with another key (account 3).
    stepping.abort();
    let _ = stepping.await;
    tokio::time::sleep(lease).await;
    let client = Client::connect(
        anvil.url(),
        Some(&account(3)),
        chain.with_poll_interval(Duration::from_millis(20)),
    )
    .await
    .expect("connect");
    let new = Worker::new(
        pool.clone(),
        tributary.with_client(&client),
        &account(3),
        config,
    );
    let stepping = tokio::spawn({
        let new = new.clone();
        async move { new.step().await.expect("step") }
    });
    until("the job says the transaction is another key's", || async {
        let (_, page) = get(&app(&pool), "/jobs").await;
        page["items"][0]["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("never bumped"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        transactions(&pool).await.len(),
        1,
        "no replacement by the new key"
    );
    anvil.rpc("evm_mine", json!([])).await;
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done once mined")
        .expect("task");
    assert!(done(&step, Outcome::Minted), "{step:?}");
    // The new key starts at its own nonce 0: no gap.
    anvil.rpc("evm_setAutomine", json!([true])).await;
    pay(&pool, "evt_rot2", "pi_rot2", 90).await;
    assert!(done(&new.step().await.expect("step"), Outcome::Minted));
    let stored = transactions(&pool).await;
    assert_eq!(stored[1].1, 0, "the new key's first nonce: {stored:?}");
    assert_agree(
        anvil.url(),
        &tributary,
        &pool,
        &[("pi_rot", 880), ("pi_rot2", 90)],
    )
    .await;
}
