//! Stripe Connect payouts, in-process against the Stripe stand-in, a real
//! PostgreSQL and a real anvil: creators link their wallet by signature,
//! `account.updated` enables their payouts, CREDITS releases on-chain are
//! booked once, batched, and paid by exactly one transfer each, whatever
//! Stripe answers. Every test ends with the books balanced: the CREDITS
//! released on-chain = the ledger = the transfers Stripe holds + what is
//! still owed.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    signers::SignerSync,
    sol_types::SolEvent,
};
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::{Value, json};
use sqlx::PgPool;
use tributary_core::chain::{CREDITS, ITributary, Offer, OfferKind, Split, Terms, Tributary};
use tributary_relayer::{
    PayStep, PayoutConfig, Payouts,
    api::{self, AppState},
    creators::{LinkSettings, link_message},
    ledger::{self, LedgerConfig},
    stripe::{StripeClient, Verifier},
};
use tributary_testkit::{STRIPE_TEST_SECRET_KEY, StripeStandIn, stripe::Hold};

use crate::support::{
    Anvil, RELAYER, SECRET, TestDb, account, as_account, call, deploy, now, post, signed_here,
};

pub(crate) const TRANSFERS: &str = "/v1/transfers";

pub(crate) fn link_settings() -> LinkSettings {
    LinkSettings {
        chain_id: 31337,
        tolerance: Duration::from_secs(300),
        refresh_url: "https://app.example/onboarding/refresh".into(),
        return_url: "https://app.example/onboarding/done".into(),
    }
}

pub(crate) fn stripe_client(stand_in: &StripeStandIn) -> StripeClient {
    StripeClient::new(STRIPE_TEST_SECRET_KEY, &stand_in.url).expect("client")
}

fn app_with_connect(pool: &PgPool, stand_in: &StripeStandIn) -> Router {
    api::router(
        AppState::new(pool.clone(), Verifier::new(SECRET), "usd")
            .with_connect(stripe_client(stand_in), link_settings()),
    )
}

/// The body of `POST /creators` signed by anvil's account `index`.
pub(crate) fn link_body(index: u32, chain_id: u64, nonce: &str, issued_at: i64) -> Value {
    let key = account(index);
    let message = link_message(key.address(), chain_id, nonce, issued_at);
    let signature = key
        .signer()
        .sign_message_sync(message.as_bytes())
        .expect("sign");
    json!({
        "wallet": key.address().to_checksum(None),
        "nonce": nonce,
        "issued_at": issued_at,
        "signature": format!("0x{}", alloy::hex::encode(signature.as_bytes())),
        "country": "US",
        "email": format!("creator{index}@example.com"),
    })
}

async fn post_json(app: &Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    call(
        app,
        Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request"),
    )
    .await
}

/// Links account `index`, then Stripe says its onboarding is done
/// (`account.updated` through the verified webhook). Returns the account.
async fn onboard(app: &Router, stand_in: &StripeStandIn, index: u32) -> String {
    let (status, linked) = post_json(
        app,
        "/creators",
        &link_body(index, 31337, &format!("onboard-{index}-{}", now()), now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    let acct = linked["stripe_account"]
        .as_str()
        .expect("account")
        .to_owned();
    let event = stand_in.complete_onboarding(&acct, &format!("evt_acct_{index}_{}", now()));
    let (status, answer) = post(app, &signed_here(&event)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    acct
}

/// A dataset of account `creators[0]` whose split pays `creators` by
/// shares, sold `sales` times for `price` credits (the relayer key mints
/// the buyer's credits, the buyer spends them); then each payee releases
/// its CREDITS. Returns the split, the dataset and its terms.
pub(crate) async fn earn(
    anvil: &Anvil,
    tributary: &Tributary,
    creators: &[(u32, u32)],
    price: u128,
    sales: u32,
    tag: &str,
) -> (Split, U256, Terms) {
    let split = Split::from_shares(
        creators
            .iter()
            .map(|(index, shares)| (account(*index).address(), *shares)),
    );
    let offer = Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: CREDITS,
        price,
        duration: 0,
        transferable: true,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: [9; 32].into(),
    };
    let owner = creators[0].0;
    let dataset = as_account(anvil, tributary, owner)
        .await
        .register(
            keccak256(tag.as_bytes()),
            "ipfs://payouts",
            &split,
            std::slice::from_ref(&offer),
        )
        .await
        .expect("register")
        .value;
    let terms = Terms::new(&split, vec![offer]);
    sell(anvil, tributary, dataset, &terms, price, sales, tag).await;
    release_all(anvil, tributary, &split, creators).await;
    (split, dataset, terms)
}

/// `sales` purchases of the dataset's offer 0 with freshly minted credits.
async fn sell(
    anvil: &Anvil,
    tributary: &Tributary,
    dataset: U256,
    terms: &Terms,
    price: u128,
    sales: u32,
    tag: &str,
) {
    let relayer = as_account(anvil, tributary, RELAYER).await;
    let buyer = as_account(anvil, tributary, 6).await;
    for sale in 0..sales {
        let payment: B256 = keccak256(format!("pi_{tag}_{sale}").as_bytes());
        relayer
            .mint_credits(payment, account(6).address(), U256::from(price))
            .await
            .expect("mint");
        buyer
            .purchase_with_credits(payment, dataset, terms, 0, account(6).address())
            .await
            .expect("purchase with credits");
    }
}

/// Each payee releases what the split owes them in CREDITS.
pub(crate) async fn release_all(
    anvil: &Anvil,
    tributary: &Tributary,
    split: &Split,
    creators: &[(u32, u32)],
) {
    let anyone = as_account(anvil, tributary, 7).await;
    for (index, _) in creators {
        let payee = account(*index).address();
        if !anyone
            .releasable(CREDITS, split, payee)
            .await
            .expect("releasable")
            .is_zero()
        {
            anyone
                .release(CREDITS, split, payee)
                .await
                .expect("release");
        }
    }
}

/// Every CREDITS `PaymentReleased` on-chain: (payee, amount).
pub(crate) async fn credits_released(anvil: &Anvil, contract: Address) -> Vec<(Address, U256)> {
    anvil
        .logs(contract)
        .await
        .iter()
        .filter(|log| log.topic0() == Some(&ITributary::PaymentReleased::SIGNATURE_HASH))
        .map(|log| {
            ITributary::PaymentReleased::decode_log(&log.inner)
                .expect("decode")
                .data
        })
        .filter(|event| event.token == CREDITS)
        .map(|event| (event.payee, event.amount))
        .collect()
}

/// The books: chain = ledger = Stripe's transfers + owed; each of our
/// transfers paid at most once, and Stripe's transfers exactly ours.
pub(crate) async fn assert_books_balance(
    anvil: &Anvil,
    contract: Address,
    pool: &PgPool,
    stand_in: &StripeStandIn,
) {
    let on_chain: u128 = credits_released(anvil, contract)
        .await
        .iter()
        .map(|(_, amount)| amount.to::<u128>())
        .sum();
    let (ledger, owed, unpaid, paid): (String, String, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COALESCE(sum(amount), 0)::TEXT FROM payout_ledger),
                (SELECT COALESCE(sum(amount), 0)::TEXT FROM payout_ledger WHERE transfer_id IS NULL),
                (SELECT COALESCE(sum(amount), 0)::BIGINT FROM payout_transfers WHERE status <> 'paid'),
                (SELECT COALESCE(sum(amount), 0)::BIGINT FROM payout_transfers WHERE status = 'paid')",
    )
    .fetch_one(pool)
    .await
    .expect("sums");
    let ledger: u128 = ledger.parse().expect("number");
    let owed: u128 = owed.parse().expect("number");
    let transfers = stand_in.transfers();
    let at_stripe: i64 = transfers
        .iter()
        .map(|transfer| transfer["amount"].as_i64().expect("amount"))
        .sum();
    assert_eq!(on_chain, ledger, "chain {on_chain} vs ledger {ledger}");
    assert_eq!(
        at_stripe, paid,
        "Stripe's transfers {at_stripe} vs ours paid {paid}"
    );
    assert_eq!(
        ledger,
        at_stripe as u128 + unpaid as u128 + owed,
        "ledger = transfers + owed"
    );
    // Each transfer row matches its ledger rows, and Stripe has at most one per group.
    let rows: Vec<(i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT t.id, t.amount, t.stripe_transfer_id,
                (SELECT COALESCE(sum(amount), 0)::TEXT FROM payout_ledger WHERE transfer_id = t.id)
         FROM payout_transfers t ORDER BY t.id",
    )
    .fetch_all(pool)
    .await
    .expect("transfers");
    for (id, amount, stripe_id, booked) in rows {
        assert_eq!(booked, amount.to_string(), "transfer {id}'s ledger rows");
        let group = format!("tributary-payout-{id}");
        let in_group: Vec<&Value> = transfers
            .iter()
            .filter(|transfer| transfer["transfer_group"] == group)
            .collect();
        assert!(
            in_group.len() <= 1,
            "transfer {id} paid {} times",
            in_group.len()
        );
        if let Some(stripe_id) = stripe_id {
            assert_eq!(in_group.len(), 1);
            assert_eq!(in_group[0]["id"], stripe_id);
            assert_eq!(in_group[0]["amount"], amount);
        }
    }
}

pub(crate) fn fast_payouts() -> PayoutConfig {
    PayoutConfig {
        threshold: 1,
        interval: Duration::ZERO,
        currency: "usd".into(),
        ledger: LedgerConfig {
            from_block: 0,
            confirmations: 1,
            max_range: 2_000,
        },
        lease: Duration::from_secs(30),
        backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        balance_retry: Duration::ZERO,
        poll_interval: Duration::from_millis(20),
    }
}

struct Setup {
    _db: TestDb,
    pool: PgPool,
    anvil: Anvil,
    tributary: Tributary,
    stand_in: StripeStandIn,
    app: Router,
}

async fn setup() -> Setup {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let stand_in = StripeStandIn::start().await;
    let app = app_with_connect(&pool, &stand_in);
    Setup {
        _db: db,
        pool,
        anvil,
        tributary,
        stand_in,
        app,
    }
}

impl Setup {
    fn payouts(&self, config: PayoutConfig) -> Payouts {
        Payouts::new(
            self.pool.clone(),
            self.tributary.clone(),
            stripe_client(&self.stand_in),
            config,
        )
    }

    async fn books(&self) {
        assert_books_balance(
            &self.anvil,
            self.tributary.address(),
            &self.pool,
            &self.stand_in,
        )
        .await;
    }

    fn posts(&self, path: &str) -> Vec<tributary_testkit::stripe::RecordedRequest> {
        self.stand_in
            .requests()
            .into_iter()
            .filter(|request| request.method == "POST" && request.path == path)
            .collect()
    }
}

async fn transfer_rows(pool: &PgPool) -> Vec<(String, i32, i32, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT status, attempts, calls, waiting_for, last_error FROM payout_transfers ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("transfers")
}

// ---------------------------------------------------------------------- creators

#[tokio::test]
async fn a_creator_links_by_signature_and_account_webhooks_enable_payouts() {
    let s = setup().await;
    let wallet = account(3).address();
    let t = now();
    let (status, linked) = post_json(
        &s.app,
        "/creators",
        &link_body(3, 31337, "first-nonce-1", t),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["wallet"], wallet.to_checksum(None));
    assert_eq!(linked["payouts_enabled"], false);
    let acct = linked["stripe_account"].as_str().expect("acct").to_owned();
    assert!(acct.starts_with("acct_"));
    assert!(
        linked["onboarding_url"]
            .as_str()
            .expect("url")
            .starts_with("https://connect.stripe.com/")
    );

    // One Express account asking for transfers, named by the wallet; one link.
    let accounts = s.posts("/v1/accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].status, 200);
    assert_eq!(accounts[0].form["type"], "express");
    assert_eq!(
        accounts[0].form["capabilities[transfers][requested]"],
        "true"
    );
    assert_eq!(
        accounts[0].form["metadata[wallet]"],
        wallet.to_checksum(None)
    );
    assert_eq!(
        accounts[0].idempotency_key.as_deref(),
        Some(
            format!(
                "tributary-account-{}",
                wallet.to_checksum(None).to_lowercase()
            )
            .as_str()
        )
    );
    let links = s.posts("/v1/account_links");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].form["account"], acct);
    assert_eq!(links[0].form["type"], "account_onboarding");
    assert_eq!(
        links[0].form["return_url"],
        "https://app.example/onboarding/done"
    );

    let uri = format!("/creators/{wallet}");
    let (status, creator) = crate::support::get(&s.app, &uri).await;
    assert_eq!(status, StatusCode::OK, "{creator}");
    assert_eq!(creator["payouts_enabled"], false);

    // KYC done: account.updated through the verified webhook.
    let event = s.stand_in.complete_onboarding(&acct, "evt_acct_done_1");
    let (status, answer) = post(&s.app, &signed_here(&event)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, creator) = crate::support::get(&s.app, &uri).await;
    assert_eq!(creator["payouts_enabled"], true);
    assert_eq!(creator["details_submitted"], true);
    // The same delivery again: nothing changes. An older event (payouts off)
    // delivered late does not undo the newer one.
    let (status, answer) = post(&s.app, &signed_here(&event)).await;
    assert_eq!(
        (status, answer["duplicate"].clone()),
        (StatusCode::OK, json!(true))
    );
    let older = s.stand_in.account_updated(&acct, "evt_acct_older", false);
    let mut older: Value = serde_json::from_str(&older).expect("json");
    older["created"] = json!(older["created"].as_i64().expect("created") - 100);
    let (status, _) = post(
        &s.app,
        &signed_here(&serde_json::to_string_pretty(&older).expect("json")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, creator) = crate::support::get(&s.app, &uri).await;
    assert_eq!(
        creator["payouts_enabled"], true,
        "a late, older event was applied"
    );

    // Signing again (a new nonce) gives a new link to the same account.
    let (status, again) = post_json(
        &s.app,
        "/creators",
        &link_body(3, 31337, "second-nonce", now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["stripe_account"], acct.as_str());
    assert_eq!(again["payouts_enabled"], true);
    assert_eq!(
        s.stand_in.accounts().len(),
        1,
        "one connected account per wallet"
    );
    assert_eq!(s.posts("/v1/account_links").len(), 2);
}

#[tokio::test]
async fn creators_refuse_bad_signatures_replays_stale_messages_and_malformed_wallets() {
    let s = setup().await;
    let t = now();
    let refused = |status: StatusCode, code: &str, body: &Value, answer: &Value| {
        assert_eq!(answer["error"]["code"], code, "{body} → {answer}");
        assert!(
            !answer["error"]["message"]
                .as_str()
                .expect("message")
                .is_empty()
        );
        status
    };
    // Signed by another key than the wallet's.
    let mut body = link_body(4, 31337, "nonce-other-key", t);
    body["wallet"] = json!(account(3).address().to_checksum(None));
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "bad_signature", &body, &answer),
        StatusCode::UNAUTHORIZED
    );
    // Signed for another chain.
    let body = link_body(3, 1, "nonce-other-chain", t);
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "bad_signature", &body, &answer),
        StatusCode::UNAUTHORIZED
    );
    // Stale, and in the future.
    let body = link_body(3, 31337, "nonce-stale-1", t - 301);
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "stale_signature", &body, &answer),
        StatusCode::BAD_REQUEST
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("message")
            .contains("stale")
    );
    let body = link_body(3, 31337, "nonce-future-1", t + 600);
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "stale_signature", &body, &answer),
        StatusCode::BAD_REQUEST
    );
    // Wallets that are not addresses, or carry a wrong checksum.
    for wallet in [
        "alice.eth",
        "0x1234",
        "0x70997970c51812dc3a010c7d01b50e0d17dc79C8",
        "0x0000000000000000000000000000000000000000",
    ] {
        let mut body = link_body(3, 31337, "nonce-bad-wallet", t);
        body["wallet"] = json!(wallet);
        let (status, answer) = post_json(&s.app, "/creators", &body).await;
        assert_eq!(
            refused(status, "invalid_wallet", &body, &answer),
            StatusCode::BAD_REQUEST
        );
    }
    // A malformed signature, a missing field.
    let mut body = link_body(3, 31337, "nonce-bad-sig-1", t);
    body["signature"] = json!("0xdeadbeef");
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "bad_request", &body, &answer),
        StatusCode::BAD_REQUEST
    );
    let body = json!({ "wallet": account(3).address() });
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "bad_request", &body, &answer),
        StatusCode::BAD_REQUEST
    );
    // Nothing reached Stripe, nothing was stored.
    assert!(s.posts("/v1/accounts").is_empty());
    assert_eq!(crate::support::count(&s.pool, "creators").await, 0);

    // A replay: the same signed body twice.
    let body = link_body(3, 31337, "nonce-replayed", t);
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = post_json(&s.app, "/creators", &body).await;
    assert_eq!(
        refused(status, "replayed_nonce", &body, &answer),
        StatusCode::CONFLICT
    );
    assert_eq!(s.posts("/v1/account_links").len(), 1);

    // Without a Stripe key: 503, said so.
    let bare = crate::support::app(&s.pool);
    let body = link_body(3, 31337, "nonce-no-stripe", t);
    let (status, answer) = post_json(&bare, "/creators", &body).await;
    assert_eq!(
        refused(status, "payouts_unavailable", &body, &answer),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

// ---------------------------------------------------------------------- ledger

#[tokio::test]
async fn each_credits_release_is_booked_once_and_only_once_confirmed() {
    let s = setup().await;
    let config = LedgerConfig {
        from_block: 0,
        confirmations: 2,
        max_range: 3,
    };
    earn(
        &s.anvil,
        &s.tributary,
        &[(3, 3), (4, 1)],
        10_000,
        2,
        "ledger",
    )
    .await;
    let released = credits_released(&s.anvil, s.tributary.address()).await;
    assert_eq!(released.len(), 2);
    // 2 sales of 10,000 credits, 3 % fee: 19,400 for the payees, 3:1.
    assert_eq!(released[0], (account(3).address(), U256::from(14_550)));
    assert_eq!(released[1], (account(4).address(), U256::from(4_850)));
    // The last release is in the head block: one confirmation, not two.
    ledger::catch_up(&s.pool, &s.tributary, config)
        .await
        .expect("sync");
    assert_eq!(crate::support::count(&s.pool, "payout_ledger").await, 1);
    s.anvil.rpc("evm_mine", json!([])).await;
    assert_eq!(
        ledger::catch_up(&s.pool, &s.tributary, config)
            .await
            .expect("sync"),
        1
    );
    // Again, from scratch (cursor reset): booked once, by tx hash and log index.
    sqlx::query("UPDATE chain_cursors SET next_block = 0, last_block_hash = NULL")
        .execute(&s.pool)
        .await
        .expect("reset");
    assert_eq!(
        ledger::catch_up(&s.pool, &s.tributary, config)
            .await
            .expect("sync"),
        0
    );
    assert_eq!(crate::support::count(&s.pool, "payout_ledger").await, 2);

    // A release undone by a reorg before its confirmations is never booked:
    // account 5 is owed (sold before the snapshot); its release is mined in
    // the head block, then reorged away.
    let (split, dataset, terms) = earn(&s.anvil, &s.tributary, &[(5, 1)], 500, 0, "reorged").await;
    sell(&s.anvil, &s.tributary, dataset, &terms, 500, 1, "reorged").await;
    s.anvil.rpc("evm_mine", json!([])).await;
    ledger::catch_up(&s.pool, &s.tributary, config)
        .await
        .expect("sync");
    let snapshot = s.anvil.rpc("evm_snapshot", json!([])).await;
    release_all(&s.anvil, &s.tributary, &split, &[(5, 1)]).await;
    assert_eq!(
        credits_released(&s.anvil, s.tributary.address())
            .await
            .len(),
        3
    );
    ledger::catch_up(&s.pool, &s.tributary, config)
        .await
        .expect("sync");
    s.anvil.rpc("evm_revert", json!([snapshot])).await;
    s.anvil.rpc("evm_increaseTime", json!([1000])).await;
    for _ in 0..6 {
        s.anvil.rpc("evm_mine", json!([])).await;
    }
    ledger::catch_up(&s.pool, &s.tributary, config)
        .await
        .expect("sync");
    assert_eq!(
        credits_released(&s.anvil, s.tributary.address())
            .await
            .len(),
        2
    );
    let payees: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payee FROM payout_ledger ORDER BY id")
        .fetch_all(&s.pool)
        .await
        .expect("payees");
    assert!(
        !payees.contains(&account(5).address().to_vec()),
        "a reorged release was booked"
    );
    assert_eq!(payees.len(), 2);
    s.books().await;

    // A reorg below what was booked halts the ledger, saying why.
    let snapshot = s.anvil.rpc("evm_snapshot", json!([])).await;
    for _ in 0..4 {
        s.anvil.rpc("evm_mine", json!([])).await;
    }
    ledger::catch_up(&s.pool, &s.tributary, config)
        .await
        .expect("sync");
    s.anvil.rpc("evm_revert", json!([snapshot])).await;
    s.anvil.rpc("evm_increaseTime", json!([1000])).await;
    for _ in 0..6 {
        s.anvil.rpc("evm_mine", json!([])).await;
    }
    let error = ledger::catch_up(&s.pool, &s.tributary, config)
        .await
        .expect_err("halted");
    assert!(
        error
            .to_string()
            .contains("reorg deeper than 2 confirmations"),
        "{error}"
    );
    let (_, summary) = crate::support::get(&s.app, "/payouts").await;
    assert!(
        summary["ledger_halted"]
            .as_str()
            .expect("halted")
            .contains("reorg"),
        "{summary}"
    );
}

// ---------------------------------------------------------------------- transfers

#[tokio::test]
async fn only_payout_enabled_creators_owed_the_threshold_are_paid_one_transfer_per_batch() {
    let s = setup().await;
    let acct3 = onboard(&s.app, &s.stand_in, 3).await;
    // Account 4 links but never finishes onboarding; account 5 never links.
    let (status, _) = post_json(
        &s.app,
        "/creators",
        &link_body(4, 31337, "never-onboarded", now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    earn(
        &s.anvil,
        &s.tributary,
        &[(3, 2), (4, 1), (5, 1)],
        1_000,
        3,
        "batch",
    )
    .await;
    let payouts = s.payouts(PayoutConfig {
        threshold: 1_000,
        ..fast_payouts()
    });
    assert_eq!(payouts.sync_ledger().await.expect("sync"), 3);
    let batch = payouts
        .schedule()
        .await
        .expect("schedule")
        .expect("a batch");
    // 3 sales of 1,000 minus 3 %: 2,910; account 3 holds half.
    assert_eq!(batch.transfers.len(), 1);
    assert_eq!(
        (batch.transfers[0].1, batch.transfers[0].2),
        (account(3).address(), 1_455)
    );
    assert!(
        payouts.schedule().await.expect("schedule").is_none(),
        "the same rows batched twice"
    );
    match payouts.pay_step().await.expect("step") {
        PayStep::Paid { found: false, .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(payouts.pay_step().await.expect("step"), PayStep::Idle);
    let transfers = s.stand_in.transfers();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["destination"], acct3.as_str());
    assert_eq!(transfers[0]["amount"], 1_455);
    assert_eq!(transfers[0]["currency"], "usd");
    assert_eq!(
        transfers[0]["transfer_group"],
        format!("tributary-payout-{}", batch.transfers[0].0)
    );
    assert_eq!(
        transfers[0]["metadata"]["tributary_transfer"],
        batch.transfers[0].0.to_string()
    );
    let post = &s.posts(TRANSFERS)[0];
    assert_eq!(
        post.idempotency_key.as_deref(),
        Some(format!("tributary-transfer-{}", batch.transfers[0].0).as_str())
    );

    // Below the threshold: owed, not paid. Another sale brings it over.
    earn(
        &s.anvil,
        &s.tributary,
        &[(3, 2), (4, 1), (5, 1)],
        1_000,
        1,
        "batch-2",
    )
    .await;
    payouts.sync_ledger().await.expect("sync");
    assert!(payouts.schedule().await.expect("schedule").is_none());
    let (_, creator) =
        crate::support::get(&s.app, &format!("/creators/{}", account(3).address())).await;
    assert_eq!(
        (creator["owed"].clone(), creator["paid"].clone()),
        (json!("485"), json!(1_455))
    );
    earn(
        &s.anvil,
        &s.tributary,
        &[(3, 2), (4, 1), (5, 1)],
        1_000,
        2,
        "batch-3",
    )
    .await;
    payouts.sync_ledger().await.expect("sync");
    let batch = payouts
        .schedule()
        .await
        .expect("schedule")
        .expect("a batch");
    assert_eq!(batch.transfers[0].2, 485 * 3);
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Paid { .. }
    ));
    assert_eq!(s.stand_in.transfers().len(), 2);
    s.books().await;
}

#[tokio::test]
async fn transfers_answered_500_then_429_are_retried_with_the_same_key_and_paid_once() {
    let s = setup().await;
    onboard(&s.app, &s.stand_in, 3).await;
    earn(&s.anvil, &s.tributary, &[(3, 1)], 2_000, 1, "faults").await;
    let payouts = s.payouts(fast_payouts());
    payouts.sync_ledger().await.expect("sync");
    let batch = payouts.schedule().await.expect("schedule").expect("batch");
    let id = batch.transfers[0].0;
    s.stand_in.fail_next_on(TRANSFERS, &[500, 429]);
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Retry { .. }
    ));
    let rows = transfer_rows(&s.pool).await;
    assert_eq!(rows[0].0, "pending");
    assert!(
        rows[0].4.as_deref().expect("error").contains("500"),
        "{rows:?}"
    );
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Retry { .. }
    ));
    assert!(
        transfer_rows(&s.pool).await[0]
            .4
            .as_deref()
            .expect("error")
            .contains("429")
    );
    match payouts.pay_step().await.expect("step") {
        PayStep::Paid {
            transfer,
            found: false,
            ..
        } => assert_eq!(transfer, id),
        other => panic!("{other:?}"),
    }
    let posts = s.posts(TRANSFERS);
    assert_eq!(
        posts.iter().map(|post| post.status).collect::<Vec<_>>(),
        vec![500, 429, 200]
    );
    let key = format!("tributary-transfer-{id}");
    assert!(
        posts
            .iter()
            .all(|post| post.idempotency_key.as_deref() == Some(key.as_str()))
    );
    // Before each resend, the transfer was looked up by its group.
    let lookups = s
        .stand_in
        .requests()
        .into_iter()
        .filter(|request| request.method == "GET")
        .collect::<Vec<_>>();
    assert_eq!(lookups.len(), 2);
    assert_eq!(
        lookups[0].query["transfer_group"],
        format!("tributary-payout-{id}")
    );
    assert_eq!(s.stand_in.transfers().len(), 1);
    let rows = transfer_rows(&s.pool).await;
    assert_eq!((rows[0].0.as_str(), rows[0].1, rows[0].2), ("paid", 3, 3));
    s.books().await;
}

#[tokio::test]
async fn a_transfer_retried_after_the_idempotency_window_is_found_not_paid_again() {
    let s = setup().await;
    onboard(&s.app, &s.stand_in, 3).await;
    earn(&s.anvil, &s.tributary, &[(3, 1)], 3_000, 1, "window").await;
    let payouts = s.payouts(fast_payouts());
    payouts.sync_ledger().await.expect("sync");
    payouts.schedule().await.expect("schedule").expect("batch");
    // Stripe makes the transfer, the answer is lost (a 500 after the fact).
    s.stand_in.commit_then_fail_next(TRANSFERS, 500);
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Retry { .. }
    ));
    assert_eq!(s.stand_in.transfers().len(), 1, "Stripe holds it");
    // A day passes: Stripe forgot the key, a resend would pay again.
    s.stand_in.expire_idempotency_keys();
    match payouts.pay_step().await.expect("step") {
        PayStep::Paid {
            found: true,
            stripe_id,
            ..
        } => {
            assert_eq!(
                stripe_id,
                s.stand_in.transfers()[0]["id"].as_str().expect("id")
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.posts(TRANSFERS).len(), 1, "no second POST /v1/transfers");
    assert_eq!(s.stand_in.transfers().len(), 1, "exactly one payout");
    assert_eq!(payouts.pay_step().await.expect("step"), PayStep::Idle);
    s.books().await;
}

#[tokio::test]
async fn a_batch_the_platform_balance_cannot_cover_waits_then_pays_once_topped_up() {
    let s = setup().await;
    onboard(&s.app, &s.stand_in, 3).await;
    onboard(&s.app, &s.stand_in, 4).await;
    earn(
        &s.anvil,
        &s.tributary,
        &[(3, 1), (4, 1)],
        4_000,
        1,
        "balance",
    )
    .await;
    let payouts = s.payouts(fast_payouts());
    payouts.sync_ledger().await.expect("sync");
    let batch = payouts.schedule().await.expect("schedule").expect("batch");
    assert_eq!(
        batch.transfers.iter().map(|t| t.2).collect::<Vec<_>>(),
        vec![1_940, 1_940]
    );
    s.stand_in.set_balance(1_000);
    for _ in 0..2 {
        for _ in 0..2 {
            assert!(matches!(
                payouts.pay_step().await.expect("step"),
                PayStep::WaitingForBalance { .. }
            ));
        }
    }
    assert!(s.stand_in.transfers().is_empty());
    let (_, summary) = crate::support::get(&s.app, "/payouts").await;
    let unpaid = summary["unpaid"].as_array().expect("unpaid");
    assert_eq!(unpaid.len(), 2);
    assert!(unpaid.iter().all(|transfer| transfer["waiting_for"] == "balance" && transfer["status"] == "pending"));
    assert!(
        unpaid[0]["last_error"]
            .as_str()
            .expect("error")
            .contains("balance_insufficient")
    );
    // Enough for one: it is paid, the other waits on.
    s.stand_in.set_balance(2_000);
    let mut steps = Vec::new();
    for _ in 0..2 {
        steps.push(payouts.pay_step().await.expect("step"));
    }
    assert!(matches!(steps[0], PayStep::Paid { .. }), "{steps:?}");
    assert!(
        matches!(steps[1], PayStep::WaitingForBalance { .. }),
        "{steps:?}"
    );
    s.stand_in.set_balance(1_000_000);
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Paid { .. }
    ));
    assert_eq!(payouts.pay_step().await.expect("step"), PayStep::Idle);
    let transfers = s.stand_in.transfers();
    assert_eq!(transfers.len(), 2);
    // Each refusal is final for its key: the next call took a new one.
    let keys: Vec<String> = s
        .posts(TRANSFERS)
        .iter()
        .filter_map(|post| post.idempotency_key.clone())
        .collect();
    let first = batch.transfers[0].0;
    assert_eq!(
        &keys[..2],
        &[
            format!("tributary-transfer-{first}"),
            format!("tributary-transfer-{}", first + 1)
        ]
    );
    assert!(
        keys.contains(&format!("tributary-transfer-{first}-2")),
        "{keys:?}"
    );
    assert_eq!(s.stand_in.balance(), 1_000_000 - 1_940);
    s.books().await;
}

#[tokio::test]
async fn a_transfer_stripe_refuses_for_good_is_parked_and_retried_by_an_operator() {
    let s = setup().await;
    let acct = onboard(&s.app, &s.stand_in, 3).await;
    earn(&s.anvil, &s.tributary, &[(3, 1)], 1_000, 1, "parked").await;
    let payouts = s.payouts(fast_payouts());
    payouts.sync_ledger().await.expect("sync");
    let batch = payouts.schedule().await.expect("schedule").expect("batch");
    // The account's capability is taken away at Stripe (the webhook not yet in).
    s.stand_in
        .account_updated(&acct, "evt_not_delivered", false);
    match payouts.pay_step().await.expect("step") {
        PayStep::Parked { error, .. } => assert!(
            error.contains("insufficient_capabilities_for_transfer"),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(payouts.pay_step().await.expect("step"), PayStep::Idle);
    s.stand_in.complete_onboarding(&acct, "evt_back");
    let uri = format!("/payouts/transfers/{}/retry", batch.transfers[0].0);
    let (status, answer) = call(
        &s.app,
        Request::post(&uri).body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Paid { found: false, .. }
    ));
    let (status, _) = call(
        &s.app,
        Request::post(&uri).body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.stand_in.transfers().len(), 1);
    s.books().await;
}

#[tokio::test]
async fn a_transfer_whose_caller_died_mid_call_is_found_by_the_next_claim() {
    // In-process form of the SIGKILL test: the claim's future is dropped
    // while Stripe holds the request after carrying it out; the lease passes;
    // the next claim finds the transfer by its group.
    let s = setup().await;
    onboard(&s.app, &s.stand_in, 3).await;
    earn(&s.anvil, &s.tributary, &[(3, 1)], 1_500, 1, "dropped").await;
    let payouts = s.payouts(PayoutConfig {
        lease: Duration::from_millis(300),
        ..fast_payouts()
    });
    payouts.sync_ledger().await.expect("sync");
    payouts.schedule().await.expect("schedule").expect("batch");
    s.stand_in.hold_next(TRANSFERS, Hold::After);
    let stepping = tokio::spawn({
        let payouts = payouts.clone();
        async move { payouts.pay_step().await }
    });
    assert!(s.stand_in.wait_held(Duration::from_secs(10)).await);
    stepping.abort();
    let _ = stepping.await;
    s.stand_in.release();
    assert_eq!(s.stand_in.transfers().len(), 1);
    assert_eq!(
        payouts.pay_step().await.expect("step"),
        PayStep::Idle,
        "claimed before its lease passed"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        payouts.pay_step().await.expect("step"),
        PayStep::Paid { found: true, .. }
    ));
    assert_eq!(s.posts(TRANSFERS).len(), 1);
    s.books().await;
}
