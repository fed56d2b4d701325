//! The HTTP API of the `tributary-indexer` binary, run as a separate process
//! against a mirror of real activity: every endpoint, paging, and bad input
//! answered with a 4xx JSON error (never a 5xx).

use std::time::Duration;

use alloy::primitives::U256;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    process::IndexerProcess,
    support::{Anvil, TestDb, account, activity, deploy},
};

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.expect("body");
        assert!(
            content_type.starts_with("application/json"),
            "GET {path}: {status} answered {content_type:?}: {body}"
        );
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|error| panic!("GET {path}: {error}: {body}"));
        (status, json)
    }

    async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// Asserts a 4xx JSON error with this status and code.
    async fn error(&self, path: &str, status: StatusCode, code: &str) -> String {
        let (got, body) = self.get(path).await;
        assert_eq!(got, status, "GET {path}: {body}");
        assert_eq!(body["error"]["code"], code, "GET {path}: {body}");
        let message = body["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(!message.is_empty());
        message
    }
}

#[tokio::test]
async fn http_api_of_the_binary_serves_the_mirror_and_refuses_bad_input_with_4xx() {
    let db = TestDb::create().await;
    let anvil = Anvil::start();
    let (tributary, deployed_at) = deploy(&anvil).await;
    let done = activity(&anvil, &tributary).await;
    let head = anvil.head().await;
    let process =
        IndexerProcess::spawn(db.url(), anvil.url(), tributary.address(), deployed_at, &[]);
    let api = Api {
        base: process.url.clone(),
        http: reqwest::Client::new(),
    };

    // Status: reports the indexed block only once its rows are committed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = api.ok("/status").await;
        if status["indexed_block"] == head {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not caught up: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["chain_id"], 31337);
    assert_eq!(status["contract"], tributary.address().to_checksum(None));
    assert_eq!(
        status["indexed_block_hash"],
        anvil.block_hash(head).await.to_string()
    );
    assert_eq!(status["head"], head);
    assert_eq!(api.ok("/health").await["status"], "ok");

    // Datasets, with filters and paging.
    let all = api.ok("/datasets").await;
    assert_eq!(all["items"].as_array().expect("items").len(), 2);
    assert_eq!(all["next_cursor"], Value::Null);
    let creator = account(1).address();
    let first = &all["items"][0];
    assert_eq!(first["id"], "1");
    assert_eq!(first["creator"], creator.to_checksum(None));
    assert_eq!(first["status"], "Active");
    assert_eq!(first["version_count"], 2);
    assert_eq!(first["uri"], "ipfs://one-v2");
    let record = tributary.dataset(U256::from(1)).await.expect("dataset");
    assert_eq!(first["terms_hash"], record.terms_hash.to_string());
    let paused = api.ok("/datasets?status=paused").await;
    assert_eq!(paused["items"].as_array().expect("items").len(), 1);
    assert_eq!(paused["items"][0]["id"], "2");
    let lower = format!("{creator:#x}").to_lowercase();
    let mine = api.ok(&format!("/datasets?creator={lower}")).await;
    assert_eq!(mine["items"].as_array().expect("items").len(), 2);
    let nobody = api
        .ok(&format!("/datasets?creator={}", account(9).address()))
        .await;
    assert_eq!(nobody["items"], Value::Array(vec![]));
    let page = api.ok("/datasets?limit=1").await;
    assert_eq!(page["items"][0]["id"], "1");
    assert_eq!(page["next_cursor"], "1");
    let page = api.ok("/datasets?limit=1&cursor=1").await;
    assert_eq!(page["items"][0]["id"], "2");
    assert_eq!(page["next_cursor"], Value::Null);

    // One dataset: versions and current terms.
    let one = api.ok("/datasets/1").await;
    assert_eq!(one["id"], "1");
    let versions = one["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["uri"], "ipfs://one-v1");
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(one["terms"]["terms_hash"], record.terms_hash.to_string());
    assert_eq!(one["terms"]["split_hash"], done.split.hash().to_string());
    assert_eq!(one["terms"]["payees"].as_array().expect("payees").len(), 2);
    let offers = one["terms"]["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 1, "the terms set last");
    assert_eq!(offers[0]["kind"], "OneOff");
    assert_eq!(
        offers[0]["price"],
        (500_000_000_000_000_000u128).to_string()
    );
    assert_eq!(offers[0]["supply_cap"], 10);

    // Licences by holder and by dataset.
    let held = api
        .ok(&format!("/licences?holder={}", account(8).address()))
        .await;
    let held = held["items"].as_array().expect("items");
    assert_eq!(held.len(), 1, "the transferred licence");
    assert_eq!(held[0]["token_id"], done.tokens[0].to_string());
    assert_eq!(held[0]["issued_to"], account(2).address().to_checksum(None));
    assert_eq!(held[0]["expires_at"], u64::MAX.to_string());
    let of_dataset = api.ok("/licences?dataset=1").await;
    let of_dataset = of_dataset["items"].as_array().expect("items");
    assert_eq!(of_dataset.len(), 3);
    let flagged: Vec<bool> = of_dataset
        .iter()
        .map(|l| l["flagged"].as_bool().expect("bool"))
        .collect();
    assert_eq!(flagged, [false, true, false]);
    let page = api.ok("/licences?dataset=1&limit=2").await;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = api
        .ok(&format!("/licences?dataset=1&limit=2&cursor={cursor}"))
        .await;
    assert_eq!(rest["items"].as_array().expect("items").len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);

    // Payments of a dataset, in chain order, paged.
    let paid = api.ok("/payments?dataset=1").await;
    let paid = paid["items"].as_array().expect("items").clone();
    // ETH purchase, credit purchase, royalty-linked purchase, revenue report.
    assert_eq!(paid.len(), 4);
    let total: U256 = paid
        .iter()
        .filter(|p| p["token"] == tributary_core::chain::ETH.to_checksum(None))
        .map(|p| {
            p["amount"]
                .as_str()
                .expect("amount")
                .parse::<U256>()
                .expect("decimal")
        })
        .sum();
    assert_eq!(
        total,
        tributary
            .total_received(done.split.hash(), tributary_core::chain::ETH)
            .await
            .expect("view")
    );
    let mut cursor: Option<String> = None;
    let mut walked = Vec::new();
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/payments?dataset=1&limit=3&cursor={cursor}"),
            None => "/payments?dataset=1&limit=3".to_owned(),
        };
        let page = api.ok(&path).await;
        walked.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, paid, "paging walks the same list");

    // The OpenAPI document names every endpoint.
    let doc = api.ok("/openapi.json").await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    for path in [
        "/health",
        "/status",
        "/datasets",
        "/datasets/{id}",
        "/licences",
        "/payments",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} is documented"
        );
    }

    // Bad input: 4xx with a JSON body saying what is wrong.
    let bad = StatusCode::BAD_REQUEST;
    api.error("/datasets/99", StatusCode::NOT_FOUND, "not_found")
        .await;
    api.error("/datasets/abc", bad, "bad_request").await;
    api.error("/datasets/-1", bad, "bad_request").await;
    api.error(
        &format!("/datasets/1{}", "0".repeat(80)),
        bad,
        "bad_request",
    )
    .await;
    api.error("/datasets?status=Gone", bad, "bad_request").await;
    api.error("/datasets?creator=0x123", bad, "bad_request")
        .await;
    api.error("/datasets?cursor=x", bad, "bad_request").await;
    api.error("/datasets?limit=0", bad, "bad_request").await;
    api.error("/datasets?limit=501", bad, "bad_request").await;
    api.error("/datasets?limit=ten", bad, "bad_request").await;
    let message = api
        .error("/licences?holder=nobody", bad, "bad_request")
        .await;
    assert!(message.contains("holder"), "{message}");
    // A mixed-case address with a wrong EIP-55 checksum.
    let wrong_checksum = account(8)
        .address()
        .to_checksum(None)
        .replacen('A', "a", 1)
        .replacen('b', "B", 1);
    if wrong_checksum != account(8).address().to_checksum(None) {
        api.error(
            &format!("/licences?holder={wrong_checksum}"),
            bad,
            "bad_request",
        )
        .await;
    }
    api.error("/licences?dataset=one", bad, "bad_request").await;
    api.error("/licences?cursor=-3", bad, "bad_request").await;
    api.error("/payments?cursor=12", bad, "bad_request").await;
    api.error("/payments?cursor=a-b", bad, "bad_request").await;
    api.error("/payments?dataset=0x1", bad, "bad_request").await;
    api.error("/no/such/endpoint", StatusCode::NOT_FOUND, "not_found")
        .await;

    process.kill();
}
