//! The card purchase end to end: `tributary-api` (the binary) opens a Stripe Checkout Session
//! on a local Stripe stand-in for an offer priced in credits; the buyer "pays" (the stand-in
//! writes the `checkout.session.completed` event Stripe would send, signed by Stripe's own
//! library); the relayer (its library: webhook endpoint on a real port, worker, sender) mints
//! the credits and then buys the licence with them; `isLicensed` turns true once, whatever the
//! redeliveries.

use std::{
    io::Write,
    process::{Command, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, U256},
    sol_types::SolEvent,
};
use serde_json::{Value, json};
use tributary_core::chain::{
    CREDITS, Client, Config, ITributary, Offer, OfferKind, Split, Tributary,
};
use tributary_relayer::{
    Worker, WorkerConfig,
    api::{AppState, router},
    stripe::Verifier,
};
use tributary_testkit::{
    Anvil, STRIPE_TEST_SECRET_KEY, StripeStandIn, TestDatabase, account, repo_root,
};

use crate::support::{ApiProcess, wait_mirrored};

const WEBHOOK_SECRET: &str = "whsec_tributary_api_card_tests_0123456789";
const PRICE: u128 = 500;
const RELAYER: u32 = 2;

/// `Stripe-Signature` headers as the npm `stripe` package writes them
/// (`relayer/tests/sign.cjs`).
fn stripe_sign(payload: &str) -> String {
    let root = repo_root();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let input = json!([{ "payload": payload, "secret": WEBHOOK_SECRET, "timestamp": now }]);
    let mut child = Command::new("node")
        .arg(root.join("relayer/tests/sign.cjs"))
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node (Node.js 20+) signs the webhooks");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("node");
    assert!(output.status.success(), "sign.cjs failed");
    let headers: Vec<String> = serde_json::from_slice(&output.stdout).expect("headers");
    headers.into_iter().next().expect("one header")
}

async fn post(http: &reqwest::Client, url: String, body: &Value) -> (u16, Value) {
    let response = http.post(url).json(body).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// Account `creator` registers a dataset: offer 0 a one-off licence for [`PRICE`] credits, offer
/// 1 the same for ETH.
async fn register(anvil: &Anvil, tributary: &Tributary, creator: u32) -> U256 {
    let split = Split::from_shares([(account(creator).address(), 1)]);
    let offer = |token: Address| Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: token,
        price: PRICE,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: [7; 32].into(),
    };
    tributary
        .with_client(&anvil.client(creator).await)
        .register(
            [1; 32].into(),
            "ipfs://card-dataset",
            &split,
            &[offer(CREDITS), offer(Address::ZERO)],
        )
        .await
        .expect("register")
        .value
}

/// The relayer as its binary runs it, in this process: the webhook endpoint on a free port, the
/// worker draining the outbox from the relayer key. Returns its URL.
async fn start_relayer(anvil: &Anvil, tributary: &Tributary, database: &str) -> String {
    let pool = tributary_relayer::db::connect(database)
        .await
        .expect("relayer db");
    tributary_relayer::db::migrate(&pool)
        .await
        .expect("migrate");
    let key = account(RELAYER);
    let client = Client::connect(
        anvil.url(),
        Some(&key),
        Config::default().with_poll_interval(Duration::from_millis(20)),
    )
    .await
    .expect("connect");
    let worker = Worker::new(
        pool.clone(),
        tributary.with_client(&client),
        &key,
        WorkerConfig::default()
            .with_poll_interval(Duration::from_millis(20))
            .with_backoff(Duration::from_millis(50), Duration::from_millis(500)),
    );
    let state =
        AppState::new(pool, Verifier::new(WEBHOOK_SECRET), "usd").with_waker(worker.waker());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    tokio::spawn(async move { worker.run().await });
    url
}

async fn licences_issued(anvil: &Anvil, contract: Address) -> Vec<ITributary::LicenceIssued> {
    anvil
        .logs(contract)
        .await
        .iter()
        .filter(|log| log.topic0() == Some(&ITributary::LicenceIssued::SIGNATURE_HASH))
        .map(|log| {
            ITributary::LicenceIssued::decode_log(&log.inner)
                .expect("decode")
                .data
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_purchase_opens_a_checkout_session_and_the_paid_session_becomes_one_licence() {
    let anvil = Anvil::start();
    let tributary = anvil.deploy(account(9).address(), 300).await;
    let role = tributary.relayer_role().await.expect("role");
    tributary
        .grant_role(role, account(RELAYER).address())
        .await
        .expect("grant");
    let dataset = register(&anvil, &tributary, 1).await;
    let buyer = account(5).address();

    let stripe = StripeStandIn::start().await;
    let api_db = TestDatabase::create().await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary-api"));
    command
        .env("DATABASE_URL", api_db.url())
        .env("TRIBUTARY_RPC_URL", anvil.url())
        .env("STRIPE_SECRET_KEY", STRIPE_TEST_SECRET_KEY)
        .args([
            "--contract",
            &tributary.address().to_string(),
            "--start-block",
            "0",
        ])
        .args(["--listen", "127.0.0.1:0", "--poll-ms", "50"])
        .args(["--stripe-api-base", &stripe.url])
        .args([
            "--checkout-success-url",
            "https://shop.example/paid?s={CHECKOUT_SESSION_ID}",
        ])
        .args(["--checkout-cancel-url", "https://shop.example/cancelled"]);
    let api = ApiProcess::start(command);
    let http = reqwest::Client::new();
    wait_mirrored(&http, &api.url, dataset).await;
    let purchase = format!("{}/datasets/{dataset}/purchase", api.url);

    // --- refusals, before Stripe is asked anything
    let card = |offer: u32| json!({"payment_method": "stripe", "buyer": buyer.to_checksum(None), "offer_index": offer});
    let (status, refused) = post(&http, purchase.clone(), &card(1)).await;
    assert_eq!(status, 409, "an ETH offer is not paid by card: {refused}");
    let (status, refused) = post(
        &http,
        purchase.clone(),
        &json!({"payment_method": "wallet", "buyer": buyer.to_checksum(None), "offer_index": 0}),
    )
    .await;
    assert_eq!(
        status, 409,
        "a credits offer is not paid from a wallet: {refused}"
    );
    let (status, _) = post(&http, purchase.clone(), &card(7)).await;
    assert_eq!(status, 400, "no offer 7");
    assert!(stripe.requests().is_empty(), "refused before Stripe");

    // --- the session: once per idempotency key
    let mut request = card(0);
    request["idempotency_key"] = json!("basket-42");
    let (status, opened) = post(&http, purchase.clone(), &request).await;
    assert_eq!(status, 200, "{opened}");
    let session_id = opened["session_id"]
        .as_str()
        .expect("session id")
        .to_owned();
    assert!(session_id.starts_with("cs_test_"), "{opened}");
    assert_eq!(
        opened["checkout_url"],
        format!("https://checkout.stripe.com/c/pay/{session_id}")
    );
    assert_eq!(opened["price"], PRICE.to_string());
    let (status, again) = post(&http, purchase.clone(), &request).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["session_id"],
        session_id.as_str(),
        "the app's retry: the same session"
    );

    let requests = stripe.requests();
    assert_eq!(requests.len(), 2);
    for recorded in &requests {
        assert_eq!(recorded.status, 200, "{recorded:?}");
        assert_eq!(
            recorded.authorization.as_deref(),
            Some(format!("Bearer {STRIPE_TEST_SECRET_KEY}").as_str())
        );
        assert_eq!(
            recorded.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(recorded.idempotency_key, requests[0].idempotency_key);
    }
    let form = &requests[0].form;
    let buyer_text = buyer.to_checksum(None);
    for (field, value) in [
        ("mode", "payment"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "500"),
        (
            "success_url",
            "https://shop.example/paid?s={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://shop.example/cancelled"),
        ("metadata[dataset]", &dataset.to_string()),
        ("metadata[offer]", "0"),
        ("metadata[buyer]", &buyer_text),
        (
            "payment_intent_data[metadata][dataset]",
            &dataset.to_string(),
        ),
        ("payment_intent_data[metadata][offer]", "0"),
        ("payment_intent_data[metadata][buyer]", &buyer_text),
    ] {
        assert_eq!(form.get(field).map(String::as_str), Some(value), "{field}");
    }
    assert!(form.contains_key("line_items[0][price_data][product_data][name]"));
    let session = stripe.session(&session_id).expect("session");
    assert_eq!(session["payment_intent"], Value::Null, "not paid yet");

    // Without the app's key, each request is a new session.
    let (_, other) = post(&http, purchase.clone(), &card(0)).await;
    assert_ne!(other["session_id"], session_id.as_str());

    // --- paid: Stripe's webhook to the relayer, 5 times
    let relayer_db = TestDatabase::create().await;
    let relayer = start_relayer(&anvil, &tributary, relayer_db.url()).await;
    let event = stripe.completed_event(&session_id, "pi_3CardE2e0001", "evt_card_e2e_1");
    for delivery in 0..5 {
        let response = http
            .post(format!("{relayer}/stripe/webhook"))
            .header("Stripe-Signature", stripe_sign(&event))
            .header("content-type", "application/json")
            .body(event.clone())
            .send()
            .await
            .expect("webhook");
        assert_eq!(response.status(), 200, "delivery {delivery}");
        if delivery == 2 {
            // Some deliveries after the relayer worked on it.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let jobs: Value = http
            .get(format!("{relayer}/jobs?status=done"))
            .send()
            .await
            .expect("jobs")
            .json()
            .await
            .expect("JSON");
        if jobs["items"]
            .as_array()
            .is_some_and(|items| items.len() == 2)
        {
            assert_eq!(jobs["items"][0]["kind"], "mint_credits");
            assert_eq!(jobs["items"][0]["outcome"], "minted");
            assert_eq!(jobs["items"][1]["kind"], "purchase_licence");
            assert_eq!(jobs["items"][1]["outcome"], "purchased");
            assert_eq!(jobs["items"][1]["dataset_id"], dataset.to_string());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not bought within 60 s: {jobs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(tributary.is_licensed(buyer, dataset).await.expect("view"));
    let issued = licences_issued(&anvil, tributary.address()).await;
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!((issued[0].holder, issued[0].datasetId), (buyer, dataset));
    assert_eq!(
        tributary.credit_balance(buyer).await.expect("balance"),
        U256::ZERO,
        "the payment's credits bought the licence"
    );
}

#[test]
fn the_stripe_secret_key_is_never_printed_and_never_read_from_a_settings_file() {
    // A start that fails later (a database URL that does not parse) with every log level on.
    let keys = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_tributary-api"))
        .arg("--access-keys")
        .arg(keys.path())
        .env_clear()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:notaport/none")
        .env("STRIPE_SECRET_KEY", STRIPE_TEST_SECRET_KEY)
        .env("RUST_LOG", "trace")
        .args(["--contract", &Address::repeat_byte(1).to_string()])
        .args(["--stripe-api-base", "http://127.0.0.1:9"])
        .output()
        .expect("run tributary-api");
    assert!(!output.status.success());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("card purchases"), "{printed}");
    assert!(!printed.contains(STRIPE_TEST_SECRET_KEY), "{printed}");

    // In a settings file the key is an unknown setting, refused without echoing it.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("api.toml");
    std::fs::write(&file, "stripe-secret-key = \"sk_test_NEVER_ECHOED\"\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_tributary-api"))
        .env_clear()
        .arg("--config")
        .arg(&file)
        .output()
        .expect("run tributary-api");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("unknown setting"), "{stderr}");
    assert!(!stderr.contains("NEVER_ECHOED"), "{stderr}");
}
