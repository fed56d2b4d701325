//! Webhooks through the router, the worker sending to a real anvil: each
//! payment is credited exactly once, never after its reversal, and failures
//! are retried, then parked with their reason.

use std::time::Duration;

use alloy::primitives::{Address, keccak256};
use axum::http::StatusCode;
use serde_json::json;
use tributary_core::chain::Config;
use tributary_relayer::{Step, db::Outcome};

use crate::support::{
    Anvil, RELAYER, TestDb, account, app, as_account, charge_refunded, checkout_completed, deploy,
    dispute_created, drain, fast, get, job_states, minted, payment_intent_succeeded, post,
    reversed, signed, signed_here, usd, worker,
};

fn buyer() -> Address {
    account(5).address()
}

#[tokio::test]
async fn a_signed_checkout_webhook_becomes_exactly_one_credit_for_the_buyer() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let delivery = signed(&[checkout_completed("evt_1", "pi_3One", buyer(), 1999)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::Minted,
                ..
            }]
        ),
        "{steps:?}"
    );

    let events = minted(&anvil, tributary.address()).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].paymentId, keccak256(b"pi_3One"));
    assert_eq!(events[0].account, buyer());
    assert_eq!(events[0].amount, usd(1999));
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(1999)
    );
    let record = tributary
        .credit_payment(keccak256(b"pi_3One"))
        .await
        .expect("record");
    assert_eq!(
        (record.account, usd(record.amount.to())),
        (buyer(), usd(1999))
    );

    // The job is done with the transaction that did it.
    let (_, page) = get(&app, "/jobs?status=done").await;
    let job = &page["items"][0];
    assert_eq!(job["outcome"], "minted");
    assert_eq!(job["attempts"], 1);
    let tx = job["tx_hash"].as_str().expect("tx hash");
    let log_tx = anvil
        .logs(tributary.address())
        .await
        .last()
        .expect("log")
        .transaction_hash;
    assert_eq!(Some(tx.parse().expect("hash")), log_tx);

    // Delivered again later: stored already, nothing sent.
    assert_eq!(post(&app, &delivery).await.1["duplicate"], true);
    assert!(drain(&worker).await.is_empty());
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicates_and_every_event_kind_of_one_payment_credit_once() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        checkout_completed("evt_a", "pi_twice", buyer(), 4200),
        payment_intent_succeeded("evt_b", "pi_twice", buyer(), 4200),
    ]);
    // The same webhook five times, then two copies at once, then the
    // PaymentIntent's own event for the same payment, twice at once.
    for _ in 0..5 {
        assert_eq!(post(&app, &deliveries[0]).await.0, StatusCode::OK);
    }
    let (a, b) = tokio::join!(post(&app, &deliveries[0]), post(&app, &deliveries[0]));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    let (c, d) = tokio::join!(post(&app, &deliveries[1]), post(&app, &deliveries[1]));
    assert_eq!((c.0, d.0), (StatusCode::OK, StatusCode::OK));

    // Two workers draining together (as two relayer processes would).
    let second = crate::support::worker(&anvil, &tributary, &pool, RELAYER, fast()).await;
    let (one, two) = tokio::join!(drain(&worker), drain(&second));
    assert_eq!(one.len() + two.len(), 1, "{one:?} {two:?}");

    // And the late arrival of both, after the credit.
    for delivery in &deliveries {
        assert_eq!(post(&app, delivery).await.1["duplicate"], true);
    }
    let late = signed_here(&crate::support::async_payment_succeeded(
        "evt_c",
        "pi_twice",
        buyer(),
        4200,
    ));
    assert_eq!(post(&app, &late).await.1["duplicate"], false);
    assert!(drain(&worker).await.is_empty());

    let events = minted(&anvil, tributary.address()).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(4200)
    );
}

#[tokio::test]
async fn a_refund_before_the_payment_means_the_credit_is_never_minted() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    // The refund (and a dispute) arrive before the payment's own events.
    let deliveries = signed(&[
        charge_refunded("evt_r", "pi_refunded"),
        dispute_created("evt_d", "pi_refunded"),
        checkout_completed("evt_p", "pi_refunded", buyer(), 999),
        payment_intent_succeeded("evt_q", "pi_refunded", buyer(), 999),
    ]);
    for delivery in &deliveries {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
    }
    let steps = drain(&worker).await;
    assert_eq!(steps.len(), 2, "{steps:?}");
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
    let record = tributary
        .credit_payment(keccak256(b"pi_refunded"))
        .await
        .expect("record");
    assert!(record.reversed);
    assert_eq!(record.account, Address::ZERO);
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(0)
    );
}

#[tokio::test]
async fn a_payment_reversed_on_chain_by_another_path_is_refused_and_the_job_ends_cleanly() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;
    // Another relayer (or an operator) reversed the payment; this relayer's
    // store never saw the refund.
    as_account(&anvil, &tributary, RELAYER)
        .await
        .reverse_credits(keccak256(b"pi_elsewhere"))
        .await
        .expect("reverse first");

    let delivery = signed(&[checkout_completed("evt_e", "pi_elsewhere", buyer(), 500)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::RefusedReversed,
                ..
            }]
        ),
        "{steps:?}"
    );
    assert!(minted(&anvil, tributary.address()).await.is_empty());
}

#[tokio::test]
async fn a_refund_after_the_credit_reverses_it_once() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    let deliveries = signed(&[
        checkout_completed("evt_paid", "pi_later", buyer(), 1500),
        charge_refunded("evt_refund", "pi_later"),
        dispute_created("evt_dispute", "pi_later"),
    ]);
    assert_eq!(post(&app, &deliveries[0]).await.0, StatusCode::OK);
    drain(&worker).await;
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(1500)
    );
    for delivery in &deliveries[1..] {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
    }
    drain(&worker).await;
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
    assert_eq!(reversals[0].burned, usd(1500));
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(0)
    );
}

#[tokio::test]
async fn a_credit_already_on_chain_completes_the_job_without_a_second_mint() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast()).await;

    // As after a crash between "sent" and "recorded": the credit is on-chain
    // and the job still pending.
    let delivery = signed(&[checkout_completed("evt_sent", "pi_sent", buyer(), 300)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    as_account(&anvil, &tributary, RELAYER)
        .await
        .mint_credits(keccak256(b"pi_sent"), buyer(), usd(300))
        .await
        .expect("mint");
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::AlreadyCredited,
                ..
            }]
        ),
        "{steps:?}"
    );
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 1);
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(300)
    );
}

#[tokio::test]
async fn a_claim_whose_worker_died_is_taken_again_after_its_lease() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let delivery = signed(&[checkout_completed("evt_lease", "pi_lease", buyer(), 800)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);

    // A worker claims the job and dies before sending anything.
    let lease = Duration::from_millis(1500);
    let worker = worker(&anvil, &tributary, &pool, RELAYER, fast().with_lease(lease)).await;
    let claimed = tributary_relayer::db::claim(&pool, lease)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(claimed.attempt, 1);
    // Within the lease nobody else takes it.
    assert_eq!(worker.step().await.expect("step"), Step::Idle);
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::Minted,
                ..
            }]
        ),
        "{steps:?}"
    );
    // The dead claim's late report is ignored: the job stays done.
    assert!(
        !tributary_relayer::db::park(&pool, &claimed, "late")
            .await
            .expect("park")
    );
    assert_eq!(
        job_states(&pool).await,
        vec![("mint_credits".into(), "done".into(), Some("minted".into()))]
    );
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 1);
}

#[tokio::test]
async fn failures_are_retried_with_backoff_then_parked_with_their_reason_and_can_be_requeued() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    // Account 3 does not hold RELAYER_ROLE: every mint reverts.
    let config = fast()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(200), Duration::from_millis(1000));
    let unauthorized = worker(&anvil, &tributary, &pool, 3, config.clone()).await;

    let delivery = signed(&[checkout_completed("evt_f", "pi_fails", buyer(), 700)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);

    let first = unauthorized.step().await.expect("step");
    assert!(
        matches!(&first, Step::Retry { error, .. } if error.contains("AccessControlUnauthorizedAccount")),
        "{first:?}"
    );
    // Backing off: not due yet.
    assert_eq!(unauthorized.step().await.expect("step"), Step::Idle);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(matches!(
        unauthorized.step().await.expect("step"),
        Step::Retry { .. }
    ));
    // The second backoff is twice the first (400 ms).
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(unauthorized.step().await.expect("step"), Step::Idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last = unauthorized.step().await.expect("step");
    assert!(matches!(last, Step::Parked { .. }), "{last:?}");
    assert_eq!(unauthorized.step().await.expect("step"), Step::Idle);

    // Visible in the API with its reason.
    let (_, page) = get(&app, "/jobs?status=failed").await;
    let job = &page["items"][0];
    assert_eq!(job["attempts"], 3);
    assert!(
        job["last_error"]
            .as_str()
            .expect("reason")
            .contains("AccessControlUnauthorizedAccount"),
        "{job}"
    );

    // Once the cause is fixed (here: the right key), a person puts it back.
    let id = job["id"].as_i64().expect("id");
    let (status, requeued) = crate::support::call(
        &app,
        axum::http::Request::post(format!("/jobs/{id}/retry"))
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{requeued}");
    assert_eq!(requeued["status"], "pending");
    assert_eq!(requeued["attempts"], 0);
    let relayer = worker(&anvil, &tributary, &pool, RELAYER, config).await;
    let steps = drain(&relayer).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::Minted,
                ..
            }]
        ),
        "{steps:?}"
    );
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 1);
}

/// A worker sending as the relayer key through a client waiting as `chain` says.
async fn worker_with(
    anvil: &Anvil,
    tributary: &tributary_core::chain::Tributary,
    pool: &sqlx::PgPool,
    chain: Config,
    config: tributary_relayer::WorkerConfig,
) -> tributary_relayer::Worker {
    let client = anvil
        .client_with(
            &account(RELAYER),
            chain.with_poll_interval(Duration::from_millis(10)),
        )
        .await;
    tributary_relayer::Worker::new(
        pool.clone(),
        tributary.with_client(&client),
        &account(RELAYER),
        config,
    )
}

#[tokio::test]
async fn a_transaction_not_confirmed_in_time_is_waited_on_by_the_next_claim_not_sent_again() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let chain = Config::default().with_receipt_timeout(Duration::from_millis(500));
    let worker = worker_with(&anvil, &tributary, &pool, chain, fast()).await;

    let delivery = signed(&[checkout_completed("evt_slow", "pi_slow", buyer(), 2100)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    // The node accepts the transaction but mines nothing for now.
    anvil.rpc("evm_setAutomine", json!([false])).await;
    let first = worker.step().await.expect("step");
    assert!(
        matches!(&first, Step::Retry { error, .. } if error.contains("not confirmed")),
        "{first:?}"
    );
    // The job shows its pending transaction meanwhile.
    let (_, page) = get(&app, "/jobs").await;
    let job = &page["items"][0];
    assert_eq!(job["status"], "pending");
    assert_eq!(job["nonce"], 0);
    assert_eq!(job["tx_count"], 1);
    let pending = job["tx_hash"].as_str().expect("the stored hash").to_owned();
    // It lands later; the next claim finds its receipt and sends nothing more.
    anvil.rpc("evm_mine", json!([])).await;
    anvil.rpc("evm_setAutomine", json!([true])).await;
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::Minted,
                ..
            }]
        ),
        "{steps:?}"
    );
    let (_, page) = get(&app, "/jobs").await;
    assert_eq!(page["items"][0]["tx_hash"], pending.as_str());
    assert_eq!(page["items"][0]["tx_count"], 1);
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 1);
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(2100)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_done_only_after_the_configured_confirmations() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let chain = Config::default()
        .with_confirmations(3)
        .with_receipt_timeout(Duration::from_secs(30));
    let worker = worker_with(&anvil, &tributary, &pool, chain, fast()).await;

    let delivery = signed(&[checkout_completed("evt_conf", "pi_conf", buyer(), 10)]).remove(0);
    assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    let stepping = tokio::spawn({
        let worker = worker.clone();
        async move { worker.step().await.expect("step") }
    });
    // Included (anvil mines each transaction at once), one confirmation so far.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while minted(&anvil, tributary.address()).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stepping.is_finished(),
        "done after one confirmation of three"
    );
    assert_eq!(
        job_states(&pool).await,
        vec![("mint_credits".into(), "running".into(), None)]
    );
    anvil.rpc("evm_mine", json!([])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stepping.is_finished(),
        "done after two confirmations of three"
    );
    anvil.rpc("evm_mine", json!([])).await;
    let step = tokio::time::timeout(Duration::from_secs(10), stepping)
        .await
        .expect("done once the third block is mined")
        .expect("task");
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
}

#[tokio::test]
async fn while_the_contract_is_paused_credits_wait_and_reversals_go_through() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let app = app(&pool);
    let pauser = tributary.pauser_role().await.expect("role");
    tributary
        .grant_role(pauser, account(0).address())
        .await
        .expect("grant pauser");
    let config = fast().with_backoff(Duration::from_millis(500), Duration::from_secs(1));
    let worker = worker(&anvil, &tributary, &pool, RELAYER, config).await;

    // A payment, and the refund of another one credited before the pause.
    let deliveries = signed(&[
        checkout_completed("evt_before", "pi_before", buyer(), 300),
        checkout_completed("evt_paused", "pi_paused", buyer(), 400),
        charge_refunded("evt_refund", "pi_before"),
    ]);
    assert_eq!(post(&app, &deliveries[0]).await.0, StatusCode::OK);
    drain(&worker).await;
    tributary.pause().await.expect("pause");
    for delivery in &deliveries[1..] {
        assert_eq!(post(&app, delivery).await.0, StatusCode::OK);
    }
    let steps = drain(&worker).await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(
        matches!(&steps[0], Step::Retry { error, .. } if error.contains("EnforcedPause")),
        "{steps:?}"
    );
    assert!(
        matches!(
            steps[1],
            Step::Done {
                outcome: Outcome::Reversed,
                ..
            }
        ),
        "{steps:?}"
    );

    tributary.unpause().await.expect("unpause");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let steps = drain(&worker).await;
    assert!(
        matches!(
            steps.as_slice(),
            [Step::Done {
                outcome: Outcome::Minted,
                ..
            }]
        ),
        "{steps:?}"
    );
    assert_eq!(minted(&anvil, tributary.address()).await.len(), 2);
    assert_eq!(
        tributary.credit_balance(buyer()).await.expect("balance"),
        usd(400)
    );
}
