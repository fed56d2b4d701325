//! The embedded PostgreSQL (feature `embedded-db`): the binary without
//! `DATABASE_URL` indexes into `<data-dir>/pglite`, stops cleanly on SIGTERM
//! and, started again on the same folder, finds its data and resumes; killed
//! with SIGKILL mid-backfill, it recovers the folder and loses nothing.
//!
//! `cargo test -p tributary-indexer --features embedded-db --test embedded`
#![cfg(feature = "embedded-db")]

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::primitives::{Address, B256, keccak256};
use serde_json::Value;
use tributary_core::chain::{ETH, Offer, OfferKind, Split, Tributary};
use tributary_testkit::{Anvil, account, wait_for_listen};

/// The binary on the embedded PostgreSQL under `data_dir`; SIGKILLed if dropped
/// without [`Indexer::terminate`].
struct Indexer {
    child: Child,
    url: String,
}

impl Indexer {
    fn start(data_dir: &Path, log: &Path, rpc_url: &str, contract: Address, start: u64) -> Self {
        Self::start_with(data_dir, log, rpc_url, contract, start, &[])
    }

    fn start_with(
        data_dir: &Path,
        log: &Path,
        rpc_url: &str,
        contract: Address,
        start: u64,
        extra: &[&str],
    ) -> Self {
        let log = std::fs::File::create(log).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tributary-indexer"))
            .env_remove("DATABASE_URL")
            .env("TRIBUTARY_RPC_URL", rpc_url)
            .env("RUST_LOG", "info")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--contract", &contract.to_string()])
            .args(["--start-block", &start.to_string()])
            .args(["--listen", "127.0.0.1:0", "--poll-ms", "50"])
            .args(["--finality-depth", "16"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start tributary-indexer");
        let address = wait_for_listen(&mut child, "listening on ", "tributary-indexer");
        Self {
            child,
            url: format!("http://{address}"),
        }
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let response = reqwest::get(format!("{}{path}", self.url)).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    /// The last committed block, once `/status` answers.
    async fn indexed_block(&self) -> Option<u64> {
        self.get("/status").await?["indexed_block"].as_u64()
    }

    async fn wait_indexed(&self, head: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.indexed_block().await != Some(head) {
            assert!(
                Instant::now() < deadline,
                "block {head} not indexed in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn dataset_ids(&self) -> Vec<String> {
        let datasets = self.get("/datasets").await.expect("GET /datasets");
        datasets["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// SIGTERM, then waits for the exit (a clean shutdown exits 0).
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("status") {
                break status;
            }
            assert!(Instant::now() < deadline, "no exit 30 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "exit after SIGTERM: {status}");
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers a dataset as account 1 (one payee, one ETH offer); `n` varies the manifest.
async fn register(anvil: &Anvil, tributary: &Tributary, n: u8) {
    let creator = tributary.with_client(&anvil.client(1).await);
    let offer = Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: ETH,
        price: 10_000_000_000_000_000,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: keccak256("licence text"),
    };
    creator
        .register(
            B256::repeat_byte(n),
            &format!("ipfs://dataset-{n}"),
            &Split::from_shares([(account(5).address(), 1)]),
            &[offer],
        )
        .await
        .expect("register");
}

#[tokio::test]
async fn without_database_url_the_embedded_postgres_keeps_the_mirror_across_restarts() {
    let anvil = Anvil::start();
    let tributary = anvil.deploy(account(4).address(), 300).await;
    let deployed_at = anvil.head().await;
    register(&anvil, &tributary, 1).await;
    register(&anvil, &tributary, 2).await;

    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = folder.path().join("data");
    let log = folder.path().join("first.log");
    let first = Indexer::start(
        &data_dir,
        &log,
        anvil.url(),
        tributary.address(),
        deployed_at,
    );
    let head = anvil.head().await;
    first.wait_indexed(head).await;
    assert_eq!(first.dataset_ids().await, ["1", "2"]);
    first.terminate();
    assert!(data_dir.join("pglite").is_dir(), "no <data-dir>/pglite");
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("embedded PostgreSQL started"), "{logged}");
    assert!(logged.contains("embedded PostgreSQL stopped"), "{logged}");
    assert!(
        !logged.contains("postgres://") && !logged.contains("postgresql://"),
        "the database URL was logged: {logged}"
    );

    // Activity while it is stopped; then the same folder again.
    register(&anvil, &tributary, 3).await;
    let log = folder.path().join("second.log");
    let second = Indexer::start(
        &data_dir,
        &log,
        anvil.url(),
        tributary.address(),
        deployed_at,
    );
    // It listens only after migrating and claiming the database: the
    // checkpoint is already there, not re-read from the start block.
    let deadline = Instant::now() + Duration::from_secs(30);
    let resumed = loop {
        if let Some(indexed) = second.indexed_block().await {
            break indexed;
        }
        assert!(Instant::now() < deadline, "no /status in 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(resumed >= head, "resumed at {resumed}, below {head}");
    let head = anvil.head().await;
    second.wait_indexed(head).await;
    assert_eq!(second.dataset_ids().await, ["1", "2", "3"]);
    second.terminate();
}

/// A SIGKILL (no shutdown code runs: the embedded server dies mid-write with the process)
/// in the middle of a backfill committed range by range: the restarted binary recovers the
/// data folder and ends with every dataset exactly once.
#[tokio::test]
async fn a_sigkill_mid_backfill_loses_nothing_on_the_embedded_postgres() {
    const DATASETS: u8 = 40;
    let anvil = Anvil::start();
    let tributary = anvil.deploy(account(4).address(), 300).await;
    let deployed_at = anvil.head().await;
    for n in 1..=DATASETS {
        register(&anvil, &tributary, n).await;
    }
    let head = anvil.head().await;

    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = folder.path().join("data");
    let mut first = Indexer::start_with(
        &data_dir,
        &folder.path().join("first.log"),
        anvil.url(),
        tributary.address(),
        deployed_at,
        // One block per range: a commit per block, so the kill lands between or inside commits.
        &["--initial-range", "1", "--max-range", "1"],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match first.indexed_block().await {
            Some(indexed) if indexed > deployed_at + 5 => break,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "the backfill did not start in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed_at = first.indexed_block().await.expect("indexed");
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reap");
    assert!(
        killed_at < head,
        "killed after the backfill ended ({killed_at} of {head})"
    );

    let second = Indexer::start(
        &data_dir,
        &folder.path().join("second.log"),
        anvil.url(),
        tributary.address(),
        deployed_at,
    );
    second.wait_indexed(head).await;
    let expected: Vec<String> = (1..=DATASETS).map(|n| n.to_string()).collect();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/datasets?limit=500&cursor={cursor}"),
            None => "/datasets?limit=500".to_owned(),
        };
        let page = second.get(&path).await.expect("GET /datasets");
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|item| item["id"].as_str().expect("id").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(ids, expected, "every dataset once, none lost, none twice");
    second.terminate();
}
