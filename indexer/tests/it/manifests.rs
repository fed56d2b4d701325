//! Manifests fetched from a blob store by their anchored hash: titles shown and searched by the
//! API, nothing shown from bytes that do not hash to the anchored hash, failures retried.

use std::time::Duration;

use alloy::primitives::{B256, U256};
use axum::body::Body;
use reqwest::StatusCode;
use serde_json::Value;
use tower::ServiceExt;
use tributary_core::{
    chain::{ETH, OfferKind, Split, Tributary},
    manifest::Manifest,
    storage::{BlobStore, LocalStore},
};
use tributary_indexer::{api, manifests::ManifestFetcher};

use crate::{
    process::IndexerProcess,
    support::{
        Anvil, ETHER, TestDb, account, as_account, catch_up, deploy, indexer, offer, test_config,
    },
};

/// A valid manifest titled `title`, its canonical JSON and hash.
fn manifest(title: &str, description: &str) -> (String, B256) {
    let json = serde_json::json!({
        "schema_version": 1,
        "title": title,
        "description": description,
        "creator": { "did": "did:web:studio.example", "wallet": "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359" },
        "licence": { "terms": { "spdx": "CC0-1.0" }, "royalty_bps": 0 },
        "files": [{
            "path": "labels.csv", "size": 21,
            "sha256": "9a03b975919308b591c19fb67489870211037de2a75311afde4a46ecec5e0a2c",
            "cid": "bafkreie2ao4xlemtbc2zdqm7wz2itbyccebx3yvhkmi27xski3woyxqkfq",
            "media_type": "text/csv"
        }],
        "created_at": "2025-01-31T12:00:00Z"
    });
    let manifest = Manifest::from_json(&json.to_string()).expect("a valid manifest");
    let canonical = manifest.canonical_json().expect("canonical");
    let hash = B256::from(*manifest.manifest_hash().expect("hash").as_bytes());
    (canonical, hash)
}

/// Stores `canonical` in `store`; its `ipfs://` URI.
async fn put(store: &LocalStore, canonical: &str) -> String {
    let stored = store.put(&mut canonical.as_bytes()).await.expect("store");
    format!("ipfs://{}", stored.blob.cid)
}

async fn register(tributary: &Tributary, hash: B256, uri: &str) -> U256 {
    tributary
        .register(
            hash,
            uri,
            &Split::from_shares([(account(5).address(), 1)]),
            &[offer(OfferKind::OneOff, ETH, ETHER / 100)],
        )
        .await
        .expect("register")
        .value
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, Value) {
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get(path)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, serde_json::from_slice(&body).expect("json"))
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn fetched_manifests_are_searchable_and_unverifiable_ones_never_shown() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    let creator = as_account(&anvil, &tributary, 1).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::open(dir.path()).await.expect("store");

    // 1: stored. 2: not stored yet. 3: bytes in the store that are not the anchored manifest.
    // 4: a URI that is not ipfs://.
    let (alps, alps_hash) = manifest("Bird songs of the Alps", "Dawn choruses, 2019 to 2024");
    let (late, late_hash) = manifest("Harbour noise", "Ships and gulls in Genoa");
    let (_, forged_hash) = manifest("Forged", "Never shown");
    let alps_uri = put(&store, &alps).await;
    // Its CID, from a store of its own: the indexer's store does not hold it yet.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let late_uri = put(
        &LocalStore::open(elsewhere.path()).await.expect("store"),
        &late,
    )
    .await;
    register(&creator, alps_hash, &alps_uri).await;
    register(&creator, late_hash, &late_uri).await;
    register(&creator, forged_hash, &alps_uri).await;
    register(
        &creator,
        B256::repeat_byte(9),
        "https://example.org/manifest.json",
    )
    .await;
    // The forged manifest's blob path holds other bytes.
    let forged_path = store.blob_path(&tributary_core::hash::Sha256Digest::new(forged_hash.0));
    std::fs::create_dir_all(forged_path.parent().expect("parent")).expect("dirs");
    std::fs::write(&forged_path, alps.as_bytes()).expect("write");

    let mut indexer = indexer(
        &pool,
        anvil.url(),
        test_config(tributary.address(), deployed_at),
    )
    .await;
    catch_up(&mut indexer).await;
    let reader = LocalStore::open(dir.path()).await.expect("store");
    let fetcher = ManifestFetcher::new(pool.clone(), std::sync::Arc::new(reader))
        .with_timing(Duration::from_millis(10), Duration::ZERO);
    assert_eq!(fetcher.fetch_due().await.expect("fetch"), 4);

    let app = api::router(
        api::AppState::new(pool.clone(), indexer.meta(), indexer.status())
            .with_manifest_search(true),
    );
    let (status, one) = get(&app, "/datasets/1").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["title"], "Bird songs of the Alps");
    assert_eq!(one["description"], "Dawn choruses, 2019 to 2024");
    for id in [2, 3, 4] {
        let (_, dataset) = get(&app, &format!("/datasets/{id}")).await;
        assert_eq!(dataset["title"], Value::Null, "dataset {id}: {dataset}");
    }
    let (_, page) = get(&app, "/datasets?q=alps").await;
    assert_eq!(ids(&page), ["1"]);
    let (_, page) = get(&app, "/datasets?q=BIRD%20songs").await;
    assert_eq!(ids(&page), ["1"], "case-insensitive, every word");
    let (_, page) = get(&app, "/datasets?q=choruses").await;
    assert_eq!(ids(&page), ["1"], "descriptions are searched too");
    let (_, page) = get(&app, "/datasets?q=alps%20-bird").await;
    assert!(ids(&page).is_empty(), "excluded word: {page}");
    let (_, page) = get(&app, "/datasets?q=forged").await;
    assert!(
        ids(&page).is_empty(),
        "bytes that do not hash to the anchor: {page}"
    );

    // Failures are recorded with their reason and retried.
    let errors: Vec<(i32, String)> = sqlx::query_as(
        "SELECT attempts, last_error FROM manifests WHERE fetched_at IS NULL ORDER BY last_error",
    )
    .fetch_all(&pool)
    .await
    .expect("errors");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().all(|(attempts, _)| *attempts == 1));
    let reasons = errors
        .iter()
        .map(|(_, reason)| reason.as_str())
        .collect::<Vec<_>>()
        .join(" | ");
    assert!(reasons.contains("only ipfs://"), "{reasons}");

    // The late manifest arrives in the store: the next round fetches it.
    put(&store, &late).await;
    assert_eq!(fetcher.fetch_due().await.expect("fetch"), 3);
    let (_, page) = get(&app, "/datasets?q=gulls").await;
    assert_eq!(ids(&page), ["2"]);
    let (_, page) = get(&app, "/datasets?q=forged").await;
    assert!(ids(&page).is_empty());

    // Bad queries are 400s.
    for bad in ["/datasets?q=", "/datasets?q=%20%20"] {
        let (status, body) = get(&app, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let long = "a".repeat(201);
    let (status, _) = get(&app, &format!("/datasets?q={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // An API whose indexer fetches no manifests refuses q rather than answering nothing.
    let blind = api::router(api::AppState::new(
        pool.clone(),
        indexer.meta(),
        indexer.status(),
    ));
    let (status, body) = get(&blind, "/datasets?q=alps").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("--manifest-store"),
        "{body}"
    );
}

#[tokio::test]
async fn the_binary_fetches_manifests_from_its_store_and_serves_the_search() {
    let db = TestDb::create().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    let creator = as_account(&anvil, &tributary, 1).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::open(dir.path()).await.expect("store");
    let (alps, alps_hash) = manifest("Bird songs of the Alps", "Dawn choruses");
    let uri = put(&store, &alps).await;
    register(&creator, alps_hash, &uri).await;

    let store_dir = dir.path().to_str().expect("utf-8 path");
    let process = IndexerProcess::spawn(
        db.url(),
        anvil.url(),
        tributary.address(),
        deployed_at,
        &["--manifest-store", store_dir],
    );
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page: Value = http
            .get(format!("{}/datasets?q=alps", process.url))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("json");
        if page["items"][0]["title"] == "Bird songs of the Alps" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never found: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
