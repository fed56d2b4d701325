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
    let by_creator = api
        .ok(&format!("/payments?creator={}", account(1).address()))
        .await;
    assert_eq!(
        by_creator["items"].as_array().expect("items").len(),
        4,
        "dataset 2, also account 1's, was never paid"
    );

    // Releases to a payee equal what the contract says it released.
    let releases = api
        .ok(&format!("/releases?payee={}", account(5).address()))
        .await;
    let releases = releases["items"].as_array().expect("items");
    assert_eq!(releases.len(), 1);
    let released = tributary
        .contract()
        .released(
            done.split.hash(),
            tributary_core::chain::ETH,
            account(5).address(),
        )
        .call()
        .await
        .expect("view");
    assert_eq!(releases[0]["amount"], released.to_string());
    assert_eq!(
        api.ok(&format!("/releases?split={}", done.split.hash()))
            .await["items"],
        Value::Array(releases.clone())
    );

    // One licence, and isLicensed from the mirror with the block it holds at.
    let token = done.tokens[0].to_string();
    let licence = api.ok(&format!("/licences/{token}")).await;
    assert_eq!(licence["holder"], account(8).address().to_checksum(None));
    for (holder, expected) in [(8, true), (2, true), (9, false)] {
        let address = account(holder).address();
        let answer = api.ok(&format!("/datasets/1/licensed/{address}")).await;
        let on_chain = tributary
            .is_licensed(address, U256::from(1))
            .await
            .expect("view");
        assert_eq!(answer["licensed"], on_chain, "account {holder}: {answer}");
        assert_eq!(answer["licensed"], expected, "account {holder}: {answer}");
        assert_eq!(answer["at"]["block_number"], head);
    }
    let answer = api
        .ok(&format!("/datasets/1/licensed/{}", done.card_buyer))
        .await;
    assert_eq!(answer["token_ids"][0], done.tokens[1].to_string());

    // Credits of the card buyer: one reversed payment, one kept.
    let credits = api.ok(&format!("/credits/{}", done.card_buyer)).await;
    let balance = tributary
        .credit_balance(done.card_buyer)
        .await
        .expect("view");
    assert_eq!(credits["balance"], balance.to_string());
    assert_eq!(credits["balance"], "900");
    let payments = credits["payments"].as_array().expect("payments");
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0]["reversed"], true);
    assert_eq!(payments[0]["spent"], "500");
    assert_eq!(payments[0]["token_ids"][0], done.tokens[1].to_string());
    assert_eq!(payments[1]["reversed"], false);
    let nobody = api.ok(&format!("/credits/{}", account(9).address())).await;
    assert_eq!(nobody["balance"], "0");

    // Batch anchors, and inclusion proofs checked as the contract checks them.
    let anchors = api.ok("/anchors").await;
    assert_eq!(anchors["items"][0]["root"], done.batch_root.to_string());
    let tree = tributary_core::merkle::Tree::new(&done.batch).expect("tree");
    for (index, manifest_hash) in done.batch.iter().enumerate() {
        let proof = tree.proof(index).expect("proof");
        let joined = proof
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let path = format!(
            "/anchors/{}?manifest_hash={manifest_hash}&proof={joined}",
            done.batch_root
        );
        let checked = api.ok(&path).await;
        assert_eq!(checked["inclusion"]["included"], true, "{checked}");
        let wrong = format!(
            "/anchors/{}?manifest_hash={}&proof={joined}",
            done.batch_root,
            alloy::primitives::B256::repeat_byte(99)
        );
        assert_eq!(api.ok(&wrong).await["inclusion"]["included"], false);
        let on_chain = tributary
            .contract()
            .verifyBatchInclusion(done.batch_root, *manifest_hash, proof)
            .call()
            .await
            .expect("view");
        assert!(on_chain, "the contract agrees");
    }

    // Caching: a 200 carries an ETag, and the same ETag back is a 304.
    let response = api
        .http
        .get(format!("{}/datasets/1", api.base))
        .send()
        .await
        .expect("GET");
    let etag = response.headers()["etag"].clone();
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let again = api
        .http
        .get(format!("{}/datasets/1", api.base))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // Liveness, readiness and metrics.
    assert_eq!(api.ok("/healthz").await["status"], "ok");
    assert_eq!(api.ok("/readyz").await["ready"], true);
    let metrics = api
        .http
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("body");
    let events = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tributary_indexer_events_total "))
        .expect("events counter");
    assert!(events.parse::<u64>().expect("a count") > 20, "{metrics}");
    assert!(
        metrics.contains(&format!("tributary_indexer_indexed_block {head}")),
        "{metrics}"
    );

    // The OpenAPI document names every endpoint.
    let doc = api.ok("/openapi.json").await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    for path in [
        "/health",
        "/healthz",
        "/readyz",
        "/metrics",
        "/status",
        "/datasets",
        "/datasets/{id}",
        "/datasets/{id}/licensed/{account}",
        "/licences",
        "/licences/{token_id}",
        "/payments",
        "/releases",
        "/credits/{account}",
        "/anchors",
        "/anchors/{root}",
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
    api.error("/datasets?kind=Lease", bad, "bad_request").await;
    api.error("/licences/999", StatusCode::NOT_FOUND, "not_found")
        .await;
    api.error("/licences/x", bad, "bad_request").await;
    let nobody = account(9).address();
    api.error(
        &format!("/datasets/99/licensed/{nobody}"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    api.error("/datasets/1/licensed/0x12", bad, "bad_request")
        .await;
    api.error("/credits/0xzz", bad, "bad_request").await;
    api.error("/releases?payee=1", bad, "bad_request").await;
    api.error("/releases?split=0x12", bad, "bad_request").await;
    api.error("/releases?cursor=5", bad, "bad_request").await;
    api.error("/payments?creator=me", bad, "bad_request").await;
    api.error("/anchors?anchorer=0x", bad, "bad_request").await;
    api.error(
        &format!("/anchors/{}", alloy::primitives::B256::repeat_byte(7)),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    api.error("/anchors/0x1234", bad, "bad_request").await;
    api.error(
        &format!("/anchors/{}?manifest_hash=0x1", done.batch_root),
        bad,
        "bad_request",
    )
    .await;
    api.error(
        &format!("/anchors/{}?proof=0x1", done.batch_root),
        bad,
        "bad_request",
    )
    .await;

    process.kill();
}
