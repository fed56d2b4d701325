//! Shared helpers: a database per test, Stripe events as Stripe writes them,
//! signed by Stripe's own library, the router, and the suite on anvil with
//! RELAYER_ROLE granted to the relayer key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy::{
    primitives::{Address, U256},
    sol_types::SolEvent,
};
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;
use tributary_core::chain::{CREDITS, Config, ITributary, Offer, OfferKind, Split, Tributary};
use tributary_relayer::{
    Step, Worker, WorkerConfig,
    api::{self, AppState},
    db,
    stripe::{Verifier, signature},
};
use tributary_testkit::TestDatabase;
pub(crate) use tributary_testkit::{Anvil, account};

use crate::stripe_js;

/// The webhook endpoint secret of the tests.
pub(crate) const SECRET: &str = "whsec_tributary_relayer_tests_0123456789";

// ---------------------------------------------------------------------- PostgreSQL

/// A fresh database per test (see `tributary_testkit::TestDatabase`).
pub(crate) struct TestDb(TestDatabase);

impl TestDb {
    pub(crate) async fn create() -> Self {
        Self(TestDatabase::create().await)
    }

    pub(crate) fn url(&self) -> &str {
        self.0.url()
    }

    /// A pool on the database, migrated.
    pub(crate) async fn pool(&self) -> PgPool {
        let pool = db::connect(self.url())
            .await
            .expect("connect to the test database");
        db::migrate(&pool).await.expect("migrate");
        pool
    }
}

pub(crate) async fn count(pool: &PgPool, table: &str) -> i64 {
    // Table names come from the tests' own literals.
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .expect("count")
}

/// `(kind, status, outcome)` of every job, by id.
pub(crate) async fn job_states(pool: &PgPool) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT kind, status, outcome FROM jobs ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("jobs")
}

// ---------------------------------------------------------------------- Stripe events

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// An event body as Stripe sends it (pretty-printed, two-space indent).
fn event(id: &str, kind: &str, object: Value) -> String {
    serde_json::to_string_pretty(&json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": now(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
    }))
    .expect("json")
}

fn session(pi: &str, buyer: Address, amount: u64) -> Value {
    let mut session = licence_session(pi, buyer, amount, 1, 0);
    // Credits only: no licence named.
    session["metadata"] = json!({ "buyer": buyer.to_checksum(None) });
    session
}

/// A paid session of the API's card purchase: its metadata names the
/// licence (dataset and offer) as well as the buyer.
fn licence_session(pi: &str, buyer: Address, amount: u64, dataset: u64, offer: u32) -> Value {
    json!({
        "id": format!("cs_test_{pi}"),
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "currency": "usd",
        "customer_details": { "email": "buyer@example.com" },
        "metadata": {
            "buyer": buyer.to_checksum(None),
            "dataset": dataset.to_string(),
            "offer": offer.to_string(),
        },
        "mode": "payment",
        "payment_intent": pi,
        "payment_status": "paid",
        "status": "complete",
    })
}

pub(crate) fn checkout_completed(id: &str, pi: &str, buyer: Address, amount: u64) -> String {
    event(id, "checkout.session.completed", session(pi, buyer, amount))
}

/// `checkout.session.completed` of a card purchase of `dataset`'s `offer`.
pub(crate) fn licence_checkout_completed(
    id: &str,
    pi: &str,
    buyer: Address,
    amount: u64,
    dataset: u64,
    offer: u32,
) -> String {
    event(
        id,
        "checkout.session.completed",
        licence_session(pi, buyer, amount, dataset, offer),
    )
}

pub(crate) fn async_payment_succeeded(id: &str, pi: &str, buyer: Address, amount: u64) -> String {
    event(
        id,
        "checkout.session.async_payment_succeeded",
        session(pi, buyer, amount),
    )
}

pub(crate) fn payment_intent_succeeded(id: &str, pi: &str, buyer: Address, amount: u64) -> String {
    event(
        id,
        "payment_intent.succeeded",
        json!({
            "id": pi,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "currency": "usd",
            "metadata": { "buyer": buyer.to_checksum(None) },
            "status": "succeeded",
        }),
    )
}

pub(crate) fn charge_refunded(id: &str, pi: &str) -> String {
    event(
        id,
        "charge.refunded",
        json!({
            "id": format!("ch_{pi}"),
            "object": "charge",
            "amount_refunded": 1999,
            "payment_intent": pi,
            "refunded": true,
        }),
    )
}

/// `charge.refunded` as Stripe sends it after each refund of a charge of
/// `amount`: `amount_refunded` is the total refunded so far, `refunded`
/// true once it is the whole charge.
pub(crate) fn charge_refunded_of(id: &str, pi: &str, amount: u64, amount_refunded: u64) -> String {
    event(
        id,
        "charge.refunded",
        json!({
            "id": format!("ch_{pi}"),
            "object": "charge",
            "amount": amount,
            "amount_refunded": amount_refunded,
            "currency": "usd",
            "payment_intent": pi,
            "refunded": amount_refunded >= amount,
        }),
    )
}

/// `charge.dispute.closed` with the dispute's final `status` (`won`, `lost`).
pub(crate) fn dispute_closed(id: &str, pi: &str, status: &str) -> String {
    event(
        id,
        "charge.dispute.closed",
        json!({
            "id": format!("dp_{pi}"),
            "object": "dispute",
            "charge": format!("ch_{pi}"),
            "payment_intent": pi,
            "reason": "fraudulent",
            "status": status,
        }),
    )
}

pub(crate) fn dispute_created(id: &str, pi: &str) -> String {
    event(
        id,
        "charge.dispute.created",
        json!({
            "id": format!("dp_{pi}"),
            "object": "dispute",
            "charge": format!("ch_{pi}"),
            "payment_intent": pi,
            "reason": "fraudulent",
            "status": "needs_response",
        }),
    )
}

/// A body and its `Stripe-Signature` header.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) body: String,
    pub(crate) header: String,
}

/// Each body signed now with [`SECRET`] by Stripe's library (one node run).
pub(crate) fn signed(bodies: &[String]) -> Vec<Delivery> {
    let t = now();
    let items: Vec<(&[u8], &str, i64)> = bodies
        .iter()
        .map(|body| (body.as_bytes(), SECRET, t))
        .collect();
    let headers = stripe_js::sign_all(&items);
    bodies
        .iter()
        .zip(headers)
        .map(|(body, header)| Delivery {
            body: body.clone(),
            header,
        })
        .collect()
}

/// A body signed by the relayer's own signer (equal to Stripe's: see
/// `signature::the_rust_signer_agrees_with_stripes_on_many_inputs`); used
/// where a test needs many deliveries quickly.
pub(crate) fn signed_here(body: &str) -> Delivery {
    Delivery {
        body: body.to_owned(),
        header: signature::sign(SECRET, now(), body.as_bytes()),
    }
}

// ---------------------------------------------------------------------- HTTP

/// The API over `pool`, verifying with [`SECRET`], crediting USD.
pub(crate) fn app(pool: &PgPool) -> Router {
    api::router(AppState::new(pool.clone(), Verifier::new(SECRET), "usd"))
}

pub(crate) async fn call(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "a JSON body, got {status}: {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, value)
}

/// `POST /stripe/webhook` with `body` and, if given, `header`.
pub(crate) async fn post_raw(
    app: &Router,
    body: &str,
    header: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::post("/stripe/webhook").header("content-type", "application/json");
    if let Some(header) = header {
        request = request.header("Stripe-Signature", header);
    }
    call(
        app,
        request.body(Body::from(body.to_owned())).expect("request"),
    )
    .await
}

pub(crate) async fn post(app: &Router, delivery: &Delivery) -> (StatusCode, Value) {
    post_raw(app, &delivery.body, Some(&delivery.header)).await
}

pub(crate) async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    call(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

// ---------------------------------------------------------------------- chain

/// The index of anvil's account that relays.
pub(crate) const RELAYER: u32 = 2;

/// The suite deployed by account 0, with RELAYER_ROLE granted to account
/// [`RELAYER`]; returns the admin's handle.
pub(crate) async fn deploy(anvil: &Anvil) -> Tributary {
    let admin = anvil.deploy(account(9).address(), 300).await;
    let role = admin.relayer_role().await.expect("role");
    admin
        .grant_role(role, account(RELAYER).address())
        .await
        .expect("grant the relayer role");
    admin
}

/// The suite as account `index` sends to it.
pub(crate) async fn as_account(anvil: &Anvil, tributary: &Tributary, index: u32) -> Tributary {
    let client = anvil
        .client_with(
            &account(index),
            Config::default().with_poll_interval(Duration::from_millis(10)),
        )
        .await;
    tributary.with_client(&client)
}

/// Worker settings for tests: short waits.
pub(crate) fn fast() -> WorkerConfig {
    WorkerConfig::default()
        .with_lease(Duration::from_secs(30))
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_poll_interval(Duration::from_millis(20))
}

/// A worker on `pool` sending as account `index`.
pub(crate) async fn worker(
    anvil: &Anvil,
    tributary: &Tributary,
    pool: &PgPool,
    index: u32,
    config: WorkerConfig,
) -> Worker {
    Worker::new(
        pool.clone(),
        as_account(anvil, tributary, index).await,
        &account(index),
        config,
    )
}

/// Steps `worker` until no job is due; returns the steps taken.
pub(crate) async fn drain(worker: &Worker) -> Vec<Step> {
    let mut steps = Vec::new();
    loop {
        match worker.step().await.expect("step") {
            Step::Idle => return steps,
            step => steps.push(step),
        }
        assert!(steps.len() < 100, "the worker never gets idle: {steps:?}");
    }
}

/// Every `CreditsMinted` the contract emitted.
pub(crate) async fn minted(anvil: &Anvil, contract: Address) -> Vec<ITributary::CreditsMinted> {
    anvil
        .logs(contract)
        .await
        .iter()
        .filter(|log| log.topic0() == Some(&ITributary::CreditsMinted::SIGNATURE_HASH))
        .map(|log| {
            ITributary::CreditsMinted::decode_log(&log.inner)
                .expect("decode")
                .data
        })
        .collect()
}

/// Every `CreditsReversed` the contract emitted.
pub(crate) async fn reversed(anvil: &Anvil, contract: Address) -> Vec<ITributary::CreditsReversed> {
    anvil
        .logs(contract)
        .await
        .iter()
        .filter(|log| log.topic0() == Some(&ITributary::CreditsReversed::SIGNATURE_HASH))
        .map(|log| {
            ITributary::CreditsReversed::decode_log(&log.inner)
                .expect("decode")
                .data
        })
        .collect()
}

/// A dataset registered by account `creator` with one offer: a perpetual
/// one-off licence for `price` credits (cents). Returns its id.
pub(crate) async fn register_card_dataset(
    anvil: &Anvil,
    tributary: &Tributary,
    creator: u32,
    price: u128,
) -> U256 {
    let split = Split::from_shares([(account(creator).address(), 1)]);
    let offer = Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: CREDITS,
        price,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: [7; 32].into(),
    };
    as_account(anvil, tributary, creator)
        .await
        .register(
            [creator as u8 + 1; 32].into(),
            "ipfs://card",
            &split,
            &[offer],
        )
        .await
        .expect("register")
        .value
}

/// Every `LicenceIssued` the contract emitted.
pub(crate) async fn issued(anvil: &Anvil, contract: Address) -> Vec<ITributary::LicenceIssued> {
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

pub(crate) fn usd(cents: u64) -> U256 {
    U256::from(cents)
}
