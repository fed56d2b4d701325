//! The product endpoints, through the binary: a creator
//! registers a dataset from what `POST /datasets` answers, a buyer buys a licence from what
//! `POST /datasets/{id}/purchase` answers, and reports revenue through
//! `POST /datasets/{id}/report-usage`; every transaction is the API's, signed and sent here as a
//! wallet would.

use std::process::Command;

use alloy::{
    dyn_abi::TypedData,
    network::TransactionBuilder,
    primitives::{Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::SignerSync,
};
use serde_json::{Value, json};
use tributary_core::chain::{Client, ITributary};
use tributary_testkit::{Anvil, TestDatabase, account};

use crate::support::{ApiProcess, manifest_of, wait_mirrored};

async fn post(http: &reqwest::Client, url: String, body: &Value) -> (u16, Value) {
    let response = http.post(url).json(body).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// Sends one of the API's transactions from `wallet` and waits for its success.
async fn send(wallet: &Client, tx: &Value) -> alloy::rpc::types::TransactionReceipt {
    assert_eq!(
        tx["from"].as_str(),
        Some(wallet.sender().expect("key").to_checksum(None).as_str())
    );
    let request = TransactionRequest::default()
        .with_to(tx["to"].as_str().expect("to").parse().expect("address"))
        .with_input(
            tx["data"]
                .as_str()
                .expect("data")
                .parse::<Bytes>()
                .expect("hex"),
        )
        .with_value(
            tx["value"]
                .as_str()
                .expect("value")
                .parse::<U256>()
                .expect("decimal"),
        );
    let receipt = wallet
        .provider()
        .send_transaction(request)
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "{}: reverted", tx["description"]);
    receipt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_buy_and_report_through_the_api() {
    let anvil = Anvil::start();
    let treasury = account(9).address();
    let tributary = anvil.deploy(treasury, 250).await;
    let database = TestDatabase::create().await;
    let store = tempfile::tempdir().expect("temp dir");
    let store_path = store.path().display().to_string();
    let api = ApiProcess::spawn(
        database.url(),
        anvil.url(),
        tributary.address(),
        &["--manifest-store", &store_path],
    );
    let http = reqwest::Client::new();

    // One OpenAPI document holds the indexer's reads and the product's writes.
    let doc: Value = http
        .get(format!("{}/openapi.json", api.url))
        .send()
        .await
        .expect("GET /openapi.json")
        .json()
        .await
        .expect("JSON");
    for (path, method) in [
        ("/datasets", "get"),
        ("/datasets", "post"),
        ("/datasets/{id}/purchase", "post"),
        ("/datasets/{id}/report-usage", "post"),
        ("/datasets/{id}/licensed/{account}", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the document"
        );
    }

    // --- the creator registers, gasless: sign the typed data, anyone sends the call
    let creator_key = account(1);
    let creator = anvil.client(1).await;
    let creator_address = creator_key.address();
    let request = json!({
        "creator": creator_address,
        "manifest": manifest_of(creator_address),
        "payees": [{"account": creator_address, "shares": 3}, {"account": account(2).address(), "shares": 1}],
        "offers": [
            {"kind": "OneOff", "price": "1000000000000000", "terms_hash": format!("0x{}", "11".repeat(32))},
            {"kind": "RoyaltyLinked", "price": "0", "royalty_bps": 500, "terms_hash": format!("0x{}", "22".repeat(32))}
        ]
    });
    let (status, prepared) = post(&http, format!("{}/datasets", api.url), &request).await;
    assert_eq!(status, 200, "{prepared}");
    assert_eq!(prepared["stored"], json!(true));
    assert!(prepared["transaction"].is_null());
    let uri = prepared["uri"].as_str().expect("uri").to_owned();
    assert!(uri.starts_with("ipfs://bafk"), "{uri}");

    // The typed data is what a wallet signs (eth_signTypedData_v4 input): sign its hash.
    let typed: TypedData =
        serde_json::from_value(prepared["typed_data"].clone()).expect("typed data");
    let digest = typed.eip712_signing_hash().expect("hashable typed data");
    let signature = creator_key.signer().sign_hash_sync(&digest).expect("sign");
    let mut signed = request.clone();
    signed["deadline"] = json!(
        prepared["deadline"]
            .as_str()
            .expect("deadline")
            .parse::<u64>()
            .expect("u64")
    );
    signed["signature"] = json!(Bytes::from(signature.as_bytes()));
    let (status, ready) = post(&http, format!("{}/datasets", api.url), &signed).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["manifest_hash"], prepared["manifest_hash"]);
    // Another account sends it (a relayer paying the gas): the creator still owns the dataset.
    let relayer = anvil.client(3).await;
    let mut tx = ready["transaction"].clone();
    tx["from"] = json!(account(3).address().to_checksum(None));
    let receipt = send(&relayer, &tx).await;
    let registered = tributary
        .event::<ITributary::DatasetRegistered>(&receipt)
        .expect("DatasetRegistered");
    assert_eq!(registered.creator, creator_address);
    assert_eq!(registered.uri, uri);
    assert_eq!(
        registered.manifestHash.to_string(),
        prepared["manifest_hash"].as_str().expect("hash")
    );
    let dataset_id = registered.datasetId;

    // A signature over other terms, or by someone else, is refused before anything is sent.
    let mut forged = signed.clone();
    forged["payees"] = json!([{"account": creator_address, "shares": 1}]);
    let (status, error) = post(&http, format!("{}/datasets", api.url), &forged).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("not the creator's"),
        "{error}"
    );
    let mut bad = request.clone();
    bad["manifest"]["files"][0]["path"] = json!("/etc/passwd");
    let (status, error) = post(&http, format!("{}/datasets", api.url), &bad).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{error}"
    );
    let (status, _) = post(
        &http,
        format!("{}/datasets", api.url),
        &json!({"creator": "0x1"}),
    )
    .await;
    assert_eq!(status, 400);
    drop(creator);

    // --- a buyer buys the one-off licence from their wallet
    wait_mirrored(&http, &api.url, 1).await;
    let buyer_key = account(4);
    let buyer = anvil.client(4).await;
    let (status, plan) = post(
        &http,
        format!("{}/datasets/{dataset_id}/purchase", api.url),
        &json!({"paymentMethod": "wallet", "buyer": buyer_key.address(), "offer_index": 0}),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let transactions = plan["transactions"].as_array().expect("transactions");
    assert_eq!(transactions.len(), 1, "ETH needs no approval: {plan}");
    assert_eq!(transactions[0]["value"], json!("1000000000000000"));
    assert!(
        !tributary
            .is_licensed(buyer_key.address(), dataset_id)
            .await
            .expect("view")
    );
    let receipt = send(&buyer, &transactions[0]).await;
    let issued = tributary
        .event::<ITributary::LicenceIssued>(&receipt)
        .expect("LicenceIssued");
    assert_eq!(
        Some(issued.tokenId.to_string()),
        plan["token_id"].as_str().map(str::to_owned)
    );
    assert!(
        tributary
            .is_licensed(buyer_key.address(), dataset_id)
            .await
            .expect("view")
    );

    // Refusals: no such offer, no such dataset, an unknown payment method.
    let (status, _) = post(
        &http,
        format!("{}/datasets/{dataset_id}/purchase", api.url),
        &json!({"payment_method": "wallet", "buyer": buyer_key.address(), "offer_index": 7}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &http,
        format!("{}/datasets/99/purchase", api.url),
        &json!({"payment_method": "wallet", "buyer": buyer_key.address(), "offer_index": 0}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &http,
        format!("{}/datasets/{dataset_id}/purchase", api.url),
        &json!({"payment_method": "cheque", "buyer": buyer_key.address(), "offer_index": 0}),
    )
    .await;
    assert_eq!(status, 400);

    // --- the royalty-linked licence, then a revenue report paying 5 %
    let (status, plan) = post(
        &http,
        format!("{}/datasets/{dataset_id}/purchase", api.url),
        &json!({"payment_method": "wallet", "buyer": buyer_key.address(), "offer_index": 1}),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let receipt = send(&buyer, &plan["transactions"][0]).await;
    let royalty_licence = tributary
        .event::<ITributary::LicenceIssued>(&receipt)
        .expect("issued")
        .tokenId;
    let (status, usage) = post(
        &http,
        format!("{}/datasets/{dataset_id}/report-usage", api.url),
        &json!({"token_id": royalty_licence.to_string(), "reporter": buyer_key.address(), "revenue": "12345"}),
    )
    .await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(usage["royalty"], json!("617"), "12345 x 5 % rounded down");
    let transactions = usage["transactions"].as_array().expect("transactions");
    assert_eq!(transactions.len(), 1);
    let receipt = send(&buyer, &transactions[0]).await;
    let reported = tributary
        .event::<ITributary::RevenueReported>(&receipt)
        .expect("RevenueReported");
    assert_eq!(reported.royalty, U256::from(617u64));

    // Only the holder reports, and only for a royalty-linked licence.
    let (status, error) = post(
        &http,
        format!("{}/datasets/{dataset_id}/report-usage", api.url),
        &json!({"token_id": royalty_licence.to_string(), "reporter": account(5).address(), "revenue": "1"}),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    let (status, error) = post(
        &http,
        format!("{}/datasets/{dataset_id}/report-usage", api.url),
        &json!({"token_id": issued.tokenId.to_string(), "reporter": buyer_key.address(), "revenue": "1"}),
    )
    .await;
    assert_eq!(status, 409, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settings_file_configures_the_binary_and_may_not_hold_secrets() {
    let anvil = Anvil::start();
    let tributary = anvil.deploy(account(9).address(), 0).await;
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = dir.path().join("tributary.toml");
    std::fs::write(
        &settings,
        format!(
            "contract = \"{}\"\nstart-block = 0\nlisten = \"127.0.0.1:0\"\npoll_ms = 50\n\
             siwe-domain = \"from-file.test\"\naccess-keys = \"{}\"\n",
            tributary.address(),
            dir.path().join("keys").display()
        ),
    )
    .expect("write the settings");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary-api"));
    command
        .env("DATABASE_URL", database.url())
        .env("TRIBUTARY_RPC_URL", anvil.url())
        .args(["--config", &settings.display().to_string()]);
    let api = ApiProcess::start(command);
    let nonce: Value = reqwest::Client::new()
        .post(format!("{}/auth/nonce", api.url))
        .send()
        .await
        .expect("POST /auth/nonce")
        .json()
        .await
        .expect("JSON");
    assert_eq!(nonce["domain"], "from-file.test", "the file's siwe-domain");
    drop(api);

    // A secret in the file stops the binary before it starts, without echoing the secret.
    std::fs::write(
        &settings,
        "database-url = \"postgres://user:hunter2@db/x\"\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_tributary-api"))
        .args(["--config", &settings.display().to_string()])
        .output()
        .expect("run tributary-api");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("secret") && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
