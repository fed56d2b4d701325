//! Partial refunds and closed disputes (issue 7), through the router and
//! the worker on a real anvil. The contract's `reverseCredits` reverses a
//! whole payment and is final (a reversed id is never credited again), so:
//! a partial refund is stored with its reason and sends nothing; the refund
//! that brings the cumulative `amount_refunded` to the amount reverses, once;
//! a dispute closed `lost` reverses (once, whether or not `created` came); a
//! dispute closed `won` is stored with its note and sends nothing.

use alloy::primitives::{Address, keccak256};
use axum::http::StatusCode;
use sqlx::PgPool;

use crate::support::{
    Anvil, RELAYER, TestDb, account, app, charge_refunded_of, checkout_completed, deploy,
    dispute_closed, dispute_created, drain, fast, job_states, minted, post, reversed, signed, usd,
    worker,
};

fn buyer() -> Address {
    account(5).address()
}

/// `(action, note)` of a stored event.
async fn stored(pool: &PgPool, id: &str) -> (String, Option<String>) {
    sqlx::query_as("SELECT action, note FROM stripe_events WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("event stored")
}

#[tokio::test]
async fn a_partial_refund_alone_is_stored_with_its_reason_and_reverses_nothing() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        checkout_completed("evt_paid", "pi_part", buyer(), 1000),
        charge_refunded_of("evt_part", "pi_part", 1000, 400),
    ]);
    for delivery in deliveries.iter().chain(std::iter::once(&deliveries[1])) {
        let (status, answer) = post(&app, delivery).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    drain(&worker).await;

    let (action, note) = stored(&pool, "evt_part").await;
    assert_eq!(action, "ignored");
    let note = note.expect("a note");
    assert!(
        note.contains("partial refund (400 of 1000 refunded so far)"),
        "{note}"
    );
    assert!(note.contains("reverses a whole payment"), "{note}");
    assert_eq!(
        job_states(&pool).await,
        vec![("mint_credits".into(), "done".into(), Some("minted".into()))]
    );
    assert!(reversed(&anvil, tributary.address()).await.is_empty());
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(1000)
    );
}

#[tokio::test]
async fn partial_refunds_adding_up_to_the_amount_reverse_once_duplicates_included() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        checkout_completed("evt_paid", "pi_steps", buyer(), 1000),
        charge_refunded_of("evt_r1", "pi_steps", 1000, 300),
        charge_refunded_of("evt_r2", "pi_steps", 1000, 1000),
    ]);
    assert_eq!(post(&app, &deliveries[0]).await.0, StatusCode::OK);
    drain(&worker).await;
    // The partial refund, twice: nothing to send.
    for _ in 0..2 {
        assert_eq!(post(&app, &deliveries[1]).await.0, StatusCode::OK);
    }
    drain(&worker).await;
    assert!(reversed(&anvil, tributary.address()).await.is_empty());
    // The second refund completes it: one job, however often it comes,
    // and the late first refund redelivered changes nothing.
    let first = post(&app, &deliveries[2]).await.1;
    assert_eq!(first["duplicate"], false, "{first}");
    assert!(first["job_id"].is_i64(), "{first}");
    for delivery in [&deliveries[2], &deliveries[1], &deliveries[2]] {
        assert_eq!(post(&app, delivery).await.1["duplicate"], true);
    }
    drain(&worker).await;

    assert_eq!(stored(&pool, "evt_r1").await.0, "ignored");
    assert_eq!(
        stored(&pool, "evt_r2").await,
        ("reverse_credits".into(), None)
    );
    assert_eq!(
        job_states(&pool).await,
        vec![
            ("mint_credits".into(), "done".into(), Some("minted".into())),
            (
                "reverse_credits".into(),
                "done".into(),
                Some("reversed".into())
            ),
        ]
    );
    let reversals = reversed(&anvil, tributary.address()).await;
    assert_eq!(reversals.len(), 1);
    assert_eq!(reversals[0].burned, usd(1000));
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(0)
    );
}

#[tokio::test]
async fn a_dispute_won_after_the_reversal_is_stored_with_its_note_and_changes_nothing() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        checkout_completed("evt_paid", "pi_won", buyer(), 800),
        dispute_created("evt_opened", "pi_won"),
        dispute_closed("evt_won", "pi_won", "won"),
    ]);
    // Credited first, then the dispute opens and reverses it.
    for delivery in &deliveries[..2] {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
        drain(&worker).await;
    }
    for delivery in [&deliveries[2], &deliveries[2]] {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
    }
    drain(&worker).await;

    let (action, note) = stored(&pool, "evt_won").await;
    assert_eq!(action, "ignored");
    let note = note.expect("a note");
    assert!(note.contains("dispute won"), "{note}");
    assert!(note.contains("PaymentAlreadyReversed"), "{note}");
    assert!(note.contains("settle with the buyer off-chain"), "{note}");
    assert_eq!(
        job_states(&pool).await,
        vec![
            ("mint_credits".into(), "done".into(), Some("minted".into())),
            (
                "reverse_credits".into(),
                "done".into(),
                Some("reversed".into())
            ),
        ]
    );
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 1);
    assert_eq!(reversed(&anvil, tributary.address()).await.len(), 1);
    let record = tributary
        .credit_payment(keccak256(b"pi_won"))
        .await
        .expect("record");
    assert!(record.reversed, "the reversal stands: the id is spent");
}

#[tokio::test]
async fn a_dispute_lost_after_it_opened_is_a_no_op_beyond_the_one_reversal() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        checkout_completed("evt_paid", "pi_lost", buyer(), 700),
        dispute_created("evt_opened", "pi_lost"),
        dispute_closed("evt_lost", "pi_lost", "lost"),
    ]);
    // Credited first, then the dispute opens and reverses it.
    for delivery in &deliveries[..2] {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
        drain(&worker).await;
    }
    let answer = post(&app, &deliveries[2]).await.1;
    assert_eq!(answer["duplicate"], false, "{answer}");
    assert_eq!(post(&app, &deliveries[2]).await.1["duplicate"], true);
    assert!(drain(&worker).await.is_empty(), "nothing new to send");

    assert_eq!(stored(&pool, "evt_lost").await.0, "reverse_credits");
    assert_eq!(
        job_states(&pool).await,
        vec![
            ("mint_credits".into(), "done".into(), Some("minted".into())),
            (
                "reverse_credits".into(),
                "done".into(),
                Some("reversed".into())
            ),
        ]
    );
    assert_eq!(reversed(&anvil, tributary.address()).await.len(), 1);
}

#[tokio::test]
async fn a_dispute_lost_whose_opening_never_came_reverses_even_before_the_payment() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    // Out of order: the closing arrives first, `created` never.
    let deliveries = signed(&[
        dispute_closed("evt_lost", "pi_late", "lost"),
        checkout_completed("evt_paid", "pi_late", buyer(), 600),
    ]);
    for delivery in &deliveries {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
    }
    drain(&worker).await;

    assert_eq!(
        job_states(&pool).await,
        vec![
            (
                "reverse_credits".into(),
                "done".into(),
                Some("reversed".into())
            ),
            (
                "mint_credits".into(),
                "done".into(),
                Some("skipped_reversed".into())
            ),
        ]
    );
    assert!(minted(&anvil, tributary.address()).await.is_empty());
    assert_eq!(reversed(&anvil, tributary.address()).await.len(), 1);
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(0)
    );
}
