//! The `tributary-relayer` binary as a separate process: SIGKILLed between
//! storing a payment and confirming its credit, then restarted, it credits
//! each payment exactly once; it refuses to start without what it needs and
//! never prints its secrets.

use std::{
    fs::File,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy::{
    primitives::{Address, keccak256},
    providers::Provider,
};
use serde_json::{Value, json};
use tempfile::TempDir;
use tributary_testkit::wait_for_listen;

use crate::support::{
    Anvil, Delivery, RELAYER, SECRET, TestDb, account, checkout_completed, deploy, issued,
    licence_checkout_completed, minted, register_card_dataset, signed, usd,
};

/// The relayer's private key as hex (anvil's public test key).
fn relayer_key_hex() -> String {
    alloy::hex::encode(account(RELAYER).signer().to_bytes())
}

/// A running `tributary-relayer`, killed (SIGKILL) when dropped.
pub(crate) struct RelayerProcess {
    child: Child,
    pub(crate) url: String,
}

impl RelayerProcess {
    fn spawn(db_url: &str, rpc_url: &str, deployments: &Path, log: &Path) -> Self {
        Self::spawn_with(db_url, rpc_url, deployments, log, &[], &[])
    }

    /// [`spawn`](Self::spawn) with more environment variables and arguments.
    pub(crate) fn spawn_with(
        db_url: &str,
        rpc_url: &str,
        deployments: &Path,
        log: &Path,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let log = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tributary-relayer"))
            .env_clear()
            .env("DATABASE_URL", db_url)
            .env("TRIBUTARY_RPC_URL", rpc_url)
            .env("TRIBUTARY_RELAYER_KEY", relayer_key_hex())
            .env("STRIPE_WEBHOOK_SECRET", SECRET)
            .env("RUST_LOG", "debug")
            .envs(env.iter().copied())
            .arg("--deployments")
            .arg(deployments)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--poll-ms",
                "50",
                "--chain-poll-ms",
                "20",
            ])
            .args([
                "--receipt-timeout-secs",
                "4",
                "--lease-secs",
                "5",
                "--backoff-ms",
                "100",
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start tributary-relayer");
        let address = wait_for_listen(&mut child, "listening on ", "tributary-relayer");
        Self {
            child,
            url: format!("http://{address}"),
        }
    }

    /// SIGKILL: no shutdown code runs, as in a crash or an OOM kill.
    pub(crate) fn kill(mut self) {
        assert!(
            self.child.try_wait().expect("status").is_none(),
            "the relayer exited by itself"
        );
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    pub(crate) async fn post(&self, delivery: &Delivery) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/stripe/webhook", self.url))
            .header("Stripe-Signature", &delivery.header)
            .header("content-type", "application/json")
            .body(delivery.body.clone())
            .send()
            .await
            .expect("POST /stripe/webhook");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    }
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn deployment_dir(chain_id: u64, contract: Address) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(format!("{chain_id}.json")),
        json!({ "chainId": chain_id, "tributary": contract, "blockNumber": 1 }).to_string(),
    )
    .expect("deployment file");
    dir
}

async fn job_status(pool: &sqlx::PgPool, payment_intent: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM jobs WHERE payment_intent = $1")
        .bind(payment_intent)
        .fetch_optional(pool)
        .await
        .expect("job")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_storing_and_confirming_then_restarted_credits_exactly_once() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let deployments = deployment_dir(31337, tributary.address());
    let logs = tempfile::tempdir().expect("temp dir");
    let log = logs.path().join("relayer.log");
    let buyer = account(6).address();
    let deliveries = signed(&[
        checkout_completed("evt_kill_1", "pi_kill_1", buyer, 1234),
        checkout_completed("evt_kill_2", "pi_kill_2", buyer, 5678),
    ]);
    // Blocks only when the test mines them: a sent transaction stays pending.
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let provider = anvil.client(0).await.provider().clone();
    let relayer = account(RELAYER).address();

    // 1. Stored, sent, killed before any block includes the transaction.
    let process = RelayerProcess::spawn(db.url(), anvil.url(), deployments.path(), &log);
    assert_eq!(process.get("/health").await, json!({"status": "ok"}));
    let (status, answer) = process.post(&deliveries[0]).await;
    assert_eq!(status, 200, "{answer}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let pending = provider
            .get_transaction_count(relayer)
            .pending()
            .await
            .expect("nonce");
        let mined = provider
            .get_transaction_count(relayer)
            .await
            .expect("nonce");
        if pending > mined {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relayer never sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process.kill();
    assert_eq!(
        job_status(&pool, "pi_kill_1").await.as_deref(),
        Some("running")
    );

    // 2. Killed right after the webhook was answered (sent or not: unknown).
    let process = RelayerProcess::spawn(db.url(), anvil.url(), deployments.path(), &log);
    let (status, answer) = process.post(&deliveries[1]).await;
    assert_eq!(status, 200, "{answer}");
    process.kill();
    assert!(
        job_status(&pool, "pi_kill_2").await.is_some(),
        "stored before the answer"
    );

    // Whatever was broadcast lands now; then the relayer restarts.
    anvil.rpc("evm_setAutomine", json!([true])).await;
    anvil.rpc("evm_mine", json!([])).await;
    let process = RelayerProcess::spawn(db.url(), anvil.url(), deployments.path(), &log);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let page = process.get("/jobs?status=done").await;
        let done = page["items"].as_array().expect("items").clone();
        if done.len() == 2 {
            break done;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not done within 60 s: {}",
            process.get("/jobs").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The first was stored and broadcast before the kill, and mined while
    // the relayer was dead: the restart finds the stored transaction's
    // receipt and does not send again.
    assert_eq!(done[0]["payment_intent"], "pi_kill_1");
    assert_eq!(done[0]["outcome"], "minted");
    assert_eq!(done[0]["tx_count"], 1);
    assert!(
        ["minted", "already_credited"].contains(&done[1]["outcome"].as_str().expect("outcome")),
        "{}",
        done[1]
    );
    // Two transactions from the key, nonces 0 and 1: none reused, no gap.
    let stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT nonce, status FROM transactions ORDER BY nonce")
            .fetch_all(&pool)
            .await
            .expect("transactions");
    assert_eq!(stored, vec![(0, "mined".into()), (1, "mined".into())]);
    assert_eq!(
        provider
            .get_transaction_count(relayer)
            .await
            .expect("nonce"),
        2
    );

    let events = minted(&anvil, tributary.address()).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].paymentId, keccak256(b"pi_kill_1"));
    assert_eq!(events[0].amount, usd(1234));
    assert_eq!(events[1].paymentId, keccak256(b"pi_kill_2"));
    assert_eq!(events[1].amount, usd(5678));
    assert_eq!(
        tributary.credit_balance(buyer).await.expect("balance"),
        usd(1234 + 5678)
    );
    process.kill();

    // Secrets never reach the log.
    let printed = std::fs::read_to_string(&log).expect("log");
    assert!(printed.contains("job claimed"), "the log was written");
    assert!(!printed.contains(&relayer_key_hex()), "the key was logged");
    assert!(!printed.contains(SECRET), "the webhook secret was logged");
}

/// Waits until the relayer key has a transaction in the pool that no block holds.
async fn wait_pending(provider: &impl Provider, relayer: Address, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let pending = provider
            .get_transaction_count(relayer)
            .pending()
            .await
            .expect("nonce");
        let mined = provider
            .get_transaction_count(relayer)
            .await
            .expect("nonce");
        if pending > mined {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relayer never sent {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_the_mint_and_the_purchase_then_restarted_buys_exactly_one_licence() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let dataset = register_card_dataset(&anvil, &tributary, 3, 700).await;
    let deployments = deployment_dir(31337, tributary.address());
    let logs = tempfile::tempdir().expect("temp dir");
    let log = logs.path().join("relayer.log");
    let buyer = account(6).address();
    let delivery = signed(&[licence_checkout_completed(
        "evt_buy_1",
        "pi_buy_1",
        buyer,
        700,
        dataset.to(),
        0,
    )])
    .remove(0);
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let provider = anvil.client(0).await.provider().clone();
    let relayer = account(RELAYER).address();

    let process = RelayerProcess::spawn(db.url(), anvil.url(), deployments.path(), &log);
    let (status, answer) = process.post(&delivery).await;
    assert_eq!(status, 200, "{answer}");
    // The mint is sent, then mined: the relayer records it and sends the purchase.
    wait_pending(&provider, relayer, "the mint").await;
    anvil.rpc("evm_mine", json!([])).await;
    wait_pending(&provider, relayer, "the purchase").await;
    let purchase: (String, Option<Vec<u8>>) =
        sqlx::query_as("SELECT status, tx_hash FROM jobs WHERE kind = 'purchase_licence'")
            .fetch_one(&pool)
            .await
            .expect("the purchase job, stored with the mint's completion");
    assert_eq!(purchase.0, "running");
    assert!(
        purchase.1.is_some(),
        "its transaction stored before the broadcast"
    );
    // Killed with the purchase in the pool; it lands while the relayer is dead.
    process.kill();
    assert!(!tributary.is_licensed(buyer, dataset).await.expect("view"));
    anvil.rpc("evm_setAutomine", json!([true])).await;
    anvil.rpc("evm_mine", json!([])).await;

    let process = RelayerProcess::spawn(db.url(), anvil.url(), deployments.path(), &log);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let page = process.get("/jobs?status=done").await;
        let done = page["items"].as_array().expect("items").clone();
        if done.len() == 2 {
            break done;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not done within 60 s: {}",
            process.get("/jobs").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done[0]["kind"], "mint_credits");
    assert_eq!(done[0]["outcome"], "minted");
    assert_eq!(done[1]["kind"], "purchase_licence");
    // The restart found the stored transaction's receipt: nothing sent again.
    assert_eq!(done[1]["outcome"], "purchased", "{}", done[1]);
    assert_eq!(done[1]["tx_count"], 1);
    let licences = issued(&anvil, tributary.address()).await;
    assert_eq!(licences.len(), 1, "{licences:?}");
    assert_eq!(licences[0].holder, buyer);
    assert!(tributary.is_licensed(buyer, dataset).await.expect("view"));
    assert_eq!(
        provider
            .get_transaction_count(relayer)
            .await
            .expect("nonce"),
        2,
        "one mint, one purchase"
    );
    process.kill();
}

/// Runs the binary to its exit with `env` (nothing else inherited) and
/// `args`; returns its status and stderr.
fn run(env: &[(&str, &str)], args: &[&str]) -> (std::process::ExitStatus, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tributary-relayer"))
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run tributary-relayer");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_binary_refuses_to_start_without_what_it_needs_and_never_prints_secrets() {
    let db = TestDb::create().await;
    let anvil = Anvil::start();
    let key = relayer_key_hex();
    let empty = tempfile::tempdir().expect("temp dir");
    let empty = empty.path().to_str().expect("utf-8 path");
    let base = [
        ("DATABASE_URL", db.url()),
        ("TRIBUTARY_RPC_URL", anvil.url()),
        ("TRIBUTARY_DEPLOYMENTS", empty),
    ];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        base.iter()
            .chain(extra)
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect()
    };
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            with(&[("STRIPE_WEBHOOK_SECRET", SECRET)]),
            "TRIBUTARY_RELAYER_KEY",
        ),
        (
            with(&[
                ("STRIPE_WEBHOOK_SECRET", SECRET),
                ("TRIBUTARY_RELAYER_KEY", "0xNOTAKEY_c0ffee_SECRETISH"),
            ]),
            "TRIBUTARY_RELAYER_KEY",
        ),
        (
            with(&[("TRIBUTARY_RELAYER_KEY", &key)]),
            "STRIPE_WEBHOOK_SECRET",
        ),
        (
            with(&[
                ("TRIBUTARY_RELAYER_KEY", &key),
                ("STRIPE_WEBHOOK_SECRET", SECRET),
            ]),
            "31337.json",
        ),
        (
            with(&[
                ("TRIBUTARY_RELAYER_KEY", &key),
                ("STRIPE_WEBHOOK_SECRET", SECRET),
                ("TRIBUTARY_LEASE_SECS", "60"),
            ]),
            "--lease-secs",
        ),
    ];
    for (env, expected) in cases {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, stderr) = run(&env, &[]);
        assert!(!status.success(), "started without {expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        for secret in [key.as_str(), SECRET, "SECRETISH"] {
            assert!(!stderr.contains(secret), "printed a secret: {stderr}");
        }
    }
    let (status, stderr) = run(&[], &["--help"]);
    assert!(status.success(), "{stderr}");
}
