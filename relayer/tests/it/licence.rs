//! The licence a card payment pays for: once its credits are minted, the
//! relayer buys it for the buyer with them (`purchaseWithCredits`), exactly
//! once: redeliveries, a refund first, a purchase already on-chain.

use alloy::primitives::{Address, U256, keccak256};
use axum::http::StatusCode;
use tributary_relayer::{Step, db::Outcome};

use crate::support::{
    Anvil, RELAYER, TestDb, account, app, as_account, charge_refunded, deploy, drain, fast, issued,
    job_states, licence_checkout_completed, post, register_card_dataset, signed, signed_here,
    worker,
};

const PRICE: u64 = 500;

fn buyer() -> Address {
    account(5).address()
}

fn state(kind: &str, status: &str, outcome: &str) -> (String, String, Option<String>) {
    (kind.into(), status.into(), Some(outcome.into()))
}

#[tokio::test]
async fn a_paid_card_purchase_is_credited_then_bought_once_whatever_the_redeliveries() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let dataset = register_card_dataset(&anvil, &tributary, 3, PRICE.into()).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;
    assert!(!tributary.is_licensed(buyer(), dataset).await.expect("view"));

    // The same event 5 times (Stripe's own signature each time), before and
    // after the worker ran.
    let body = licence_checkout_completed("evt_lic_1", "pi_lic_1", buyer(), PRICE, dataset.to(), 0);
    let delivery = signed(std::slice::from_ref(&body)).remove(0);
    for _ in 0..3 {
        assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    }
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [
                Step::Done {
                    outcome: Outcome::Minted,
                    ..
                },
                Step::Done {
                    outcome: Outcome::Purchased,
                    ..
                }
            ]
        ),
        "{steps:?}"
    );
    for _ in 0..2 {
        assert_eq!(post(&app, &signed_here(&body)).await.1["duplicate"], true);
    }
    assert!(drain(&worker).await.is_empty());

    assert!(tributary.is_licensed(buyer(), dataset).await.expect("view"));
    let licences = issued(&anvil, tributary.address()).await;
    assert_eq!(licences.len(), 1, "{licences:?}");
    assert_eq!(licences[0].holder, buyer());
    assert_eq!(licences[0].datasetId, dataset);
    let record = tributary
        .credit_payment(keccak256(b"pi_lic_1"))
        .await
        .expect("record");
    assert_eq!(
        (U256::from(record.amount), U256::from(record.spent)),
        (U256::from(PRICE), U256::from(PRICE))
    );
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        U256::ZERO
    );
    assert_eq!(
        job_states(&pool).await,
        vec![
            state("mint_credits", "done", "minted"),
            state("purchase_licence", "done", "purchased"),
        ]
    );
}

#[tokio::test]
async fn a_refund_before_the_purchase_runs_gives_no_licence() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let dataset = register_card_dataset(&anvil, &tributary, 3, PRICE.into()).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        licence_checkout_completed("evt_ref_1", "pi_ref_1", buyer(), PRICE, dataset.to(), 0),
        charge_refunded("evt_ref_2", "pi_ref_1"),
    ]);
    assert_eq!(post(&app, &deliveries[0]).await.0, StatusCode::OK);
    // The mint only: the purchase job is stored as the mint completes.
    let step = worker.step().await.expect("step");
    assert!(
        matches!(
            step,
            Step::Done {
                outcome: Outcome::Minted,
                ..
            }
        ),
        "{step:?}"
    );
    // The refund arrives before the purchase job ran.
    assert_eq!(post(&app, &deliveries[1]).await.0, StatusCode::OK);
    drain(&worker).await;

    assert!(!tributary.is_licensed(buyer(), dataset).await.expect("view"));
    assert!(issued(&anvil, tributary.address()).await.is_empty());
    let record = tributary
        .credit_payment(keccak256(b"pi_ref_1"))
        .await
        .expect("record");
    assert!(record.reversed);
    assert_eq!(U256::from(record.spent), U256::ZERO);
    let mut states = job_states(&pool).await;
    states.sort();
    assert_eq!(
        states,
        vec![
            state("mint_credits", "done", "minted"),
            state("purchase_licence", "done", "skipped_reversed"),
            state("reverse_credits", "done", "reversed"),
        ]
    );
}

#[tokio::test]
async fn a_refund_before_the_payment_stores_no_purchase_and_buys_nothing() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let dataset = register_card_dataset(&anvil, &tributary, 3, PRICE.into()).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        charge_refunded("evt_early_1", "pi_early_1"),
        licence_checkout_completed("evt_early_2", "pi_early_1", buyer(), PRICE, dataset.to(), 0),
    ]);
    for delivery in &deliveries {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
    }
    drain(&worker).await;
    assert!(!tributary.is_licensed(buyer(), dataset).await.expect("view"));
    assert!(issued(&anvil, tributary.address()).await.is_empty());
    assert_eq!(
        job_states(&pool).await,
        vec![
            state("reverse_credits", "done", "reversed"),
            state("mint_credits", "done", "skipped_reversed"),
        ]
    );
}

#[tokio::test]
async fn a_purchase_already_on_chain_is_not_bought_again() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let dataset = register_card_dataset(&anvil, &tributary, 3, PRICE.into()).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let delivery = signed(&[licence_checkout_completed(
        "evt_on_1",
        "pi_on_1",
        buyer(),
        PRICE,
        dataset.to(),
        0,
    )])
    .remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    assert!(matches!(
        worker.step().await.expect("step"),
        Step::Done {
            outcome: Outcome::Minted,
            ..
        }
    ));
    // The licence lands before the job records it (as after a crash between
    // the purchase's receipt and its completion): sent here by the relayer key.
    let relayer = as_account(&anvil, &tributary, RELAYER).await;
    let terms = relayer
        .terms_of(tributary_core::chain::LogScan::from_block(0), dataset)
        .await
        .expect("terms")
        .terms();
    relayer
        .purchase_with_credits(keccak256(b"pi_on_1"), dataset, &terms, 0, buyer())
        .await
        .expect("bought");
    drain(&worker).await;

    assert_eq!(issued(&anvil, tributary.address()).await.len(), 1);
    assert!(tributary.is_licensed(buyer(), dataset).await.expect("view"));
    assert_eq!(
        job_states(&pool).await,
        vec![
            state("mint_credits", "done", "minted"),
            state("purchase_licence", "done", "already_purchased"),
        ]
    );
}
