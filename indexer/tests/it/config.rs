//! Configuration: where the contract comes from, and what the indexer
//! refuses to start with.

use std::process::Command;

use alloy::primitives::Address;
use serde_json::json;
use tributary_indexer::{Error, Indexer, SyncConfig, api, db};

use crate::support::{Anvil, TestDb, deploy, test_config};

#[tokio::test]
async fn a_database_written_for_another_contract_is_refused() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    Indexer::connect(
        pool.clone(),
        anvil.url(),
        test_config(tributary.address(), deployed_at),
    )
    .await
    .expect("first claim");
    let other = Address::repeat_byte(0x42);
    let error = Indexer::connect(pool.clone(), anvil.url(), SyncConfig::new(other, 0))
        .await
        .expect_err("another contract");
    assert!(
        matches!(error, Error::WrongDatabase { db_contract, contract, .. }
            if db_contract == tributary.address() && contract == other),
        "{error}"
    );
    assert!(!error.retry_may_help());
    // Migrating again is harmless.
    db::migrate(&pool).await.expect("migrations are idempotent");
}

#[tokio::test]
async fn the_binary_reads_contract_and_start_block_from_the_deployment_file() {
    let db = TestDb::create().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    let folder = tempfile::tempdir().expect("temp dir");
    let file = json!({
        "chainId": 31337,
        "blockNumber": deployed_at,
        "tributary": tributary.address(),
        "admin": Address::ZERO,
    });
    std::fs::write(folder.path().join("31337.json"), file.to_string()).expect("write");

    let mut child = Command::new(env!("CARGO_BIN_EXE_tributary-indexer"))
        .env("DATABASE_URL", db.url())
        .env("TRIBUTARY_RPC_URL", anvil.url())
        .args(["--listen", "127.0.0.1:0"])
        .arg("--deployments")
        .arg(folder.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start");
    // It listens once it has connected and claimed the database.
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).lines().next()
    })
    .await
    .expect("reader");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.is_some_and(|line| line.is_ok_and(|line| line.starts_with("listening on "))),
        "the binary did not start"
    );
    let pool = db.pool().await;
    let (contract, start): (Vec<u8>, i64) =
        sqlx::query_as("SELECT contract, start_block FROM indexer_meta")
            .fetch_one(&pool)
            .await
            .expect("meta");
    assert_eq!(Address::from_slice(&contract), tributary.address());
    assert_eq!(start as u64, deployed_at);
}

#[test]
fn the_binary_refuses_to_start_without_what_it_needs() {
    let bin = env!("CARGO_BIN_EXE_tributary-indexer");
    // No DATABASE_URL, in a build without the embedded PostgreSQL (with it,
    // the binary starts the embedded one instead: tests/embedded.rs).
    #[cfg(not(feature = "embedded-db"))]
    {
        let output = Command::new(bin)
            .env_remove("DATABASE_URL")
            .output()
            .expect("run");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(
                "set DATABASE_URL, or build with --features embedded-db for the embedded PostgreSQL"
            ),
            "{stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }

    // No contract and no deployment file for the chain.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = runtime.block_on(TestDb::create());
    let anvil = Anvil::start();
    let empty = tempfile::tempdir().expect("temp dir");
    let output = Command::new(bin)
        .env("DATABASE_URL", db.url())
        .env("TRIBUTARY_RPC_URL", anvil.url())
        .arg("--deployments")
        .arg(empty.path())
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("31337.json") && stderr.contains("--contract"),
        "{stderr}"
    );
    drop(runtime);
}

#[tokio::test]
async fn health_and_status_answer_503_when_the_database_is_down() {
    use axum::body::Body;
    use tower::ServiceExt;

    // A pool on a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(300))
        .connect_lazy(&format!("postgres://postgres@{closed}/nothing"))
        .expect("lazy pool");
    let meta = db::Meta {
        chain_id: 31337,
        contract: Address::ZERO,
        start_block: 0,
        streams: None,
        gda: None,
    };
    let app = api::router(api::AppState::new(pool, meta, Default::default()));
    for path in ["/health", "/status", "/datasets", "/datasets/1"] {
        let response = app
            .clone()
            .oneshot(
                axum::http::Request::get(path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), 503, "{path}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(body["error"]["code"], "unavailable", "{path}");
        assert!(
            !body.to_string().contains(&closed.to_string()),
            "no connection details leak"
        );
    }
}
