//! The `tributary-relayer` binary paying creators, SIGKILLed at the two
//! dangerous points of a transfer, then restarted: (1) after its row was
//! stored and the call counted, before Stripe carried it out; (2) after
//! Stripe made the transfer, before the relayer recorded the answer. Each
//! time: exactly one transfer at Stripe, recorded as paid, the books
//! balanced.

use std::time::Duration;

use serde_json::{Value, json};
use tributary_testkit::{STRIPE_TEST_SECRET_KEY, StripeStandIn, stripe::Hold};

use crate::{
    payouts::{TRANSFERS, assert_books_balance, earn, link_body},
    process::{RelayerProcess, deployment_dir},
    support::{Anvil, TestDb, deploy, now, signed_here},
};

async fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("POST");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON"),
    )
}

/// `(status, calls, stripe_transfer_id)` of each transfer row.
async fn rows(pool: &sqlx::PgPool) -> Vec<(String, i32, Option<String>)> {
    sqlx::query_as("SELECT status, calls, stripe_transfer_id FROM payout_transfers ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("transfers")
}

async fn wait_paid(pool: &sqlx::PgPool, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let rows = rows(pool).await;
        if rows.len() == count && rows.iter().all(|row| row.0 == "paid") {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not paid within 60 s: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_and_after_stripe_made_the_transfer_then_restarted_pays_exactly_once() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let anvil = Anvil::start();
    let tributary = deploy(&anvil).await;
    let stand_in = StripeStandIn::start().await;
    let deployments = deployment_dir(31337, tributary.address());
    let logs = tempfile::tempdir().expect("temp dir");
    let log = logs.path().join("relayer.log");
    let env = [
        ("STRIPE_SECRET_KEY", STRIPE_TEST_SECRET_KEY),
        ("STRIPE_API_BASE", stand_in.url.as_str()),
    ];
    let args = [
        "--payout-threshold-cents",
        "100",
        "--payout-interval-secs",
        "0",
        "--payout-poll-ms",
        "100",
        "--payout-lease-secs",
        "2",
    ];
    let spawn =
        || RelayerProcess::spawn_with(db.url(), anvil.url(), deployments.path(), &log, &env, &args);

    // Two creators link and finish onboarding through the binary.
    let process = spawn();
    for index in [3, 4] {
        let (status, linked) = post_json(
            &format!("{}/creators", process.url),
            &link_body(index, 31337, &format!("process-{index}"), now()),
        )
        .await;
        assert_eq!(status, 200, "{linked}");
        let acct = linked["stripe_account"].as_str().expect("acct");
        let event = stand_in.complete_onboarding(acct, &format!("evt_process_acct_{index}"));
        let (status, answer) = process.post(&signed_here(&event)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let creator = process
        .get(&format!(
            "/creators/{}",
            crate::support::account(3).address()
        ))
        .await;
    assert_eq!(creator["payouts_enabled"], true, "{creator}");

    // 1. Killed after the row and its call were stored, before Stripe
    //    carried the call out.
    stand_in.hold_next(TRANSFERS, Hold::Before);
    earn(&anvil, &tributary, &[(3, 1)], 2_000, 1, "kill-before").await;
    assert!(
        stand_in.wait_held(Duration::from_secs(30)).await,
        "no transfer call came"
    );
    assert_eq!(rows(&pool).await, vec![("sending".to_owned(), 1, None)]);
    process.kill();
    stand_in.release();
    assert!(
        stand_in.transfers().is_empty(),
        "Stripe never carried it out"
    );
    let process = spawn();
    wait_paid(&pool, 1).await;
    assert_eq!(stand_in.transfers().len(), 1);
    let first = rows(&pool).await[0].clone();
    assert_eq!(first.1, 2, "looked up, not found, called again");
    assert_eq!(first.2.as_deref(), stand_in.transfers()[0]["id"].as_str());

    // 2. Killed after Stripe made the transfer, before the answer was recorded.
    stand_in.hold_next(TRANSFERS, Hold::After);
    earn(&anvil, &tributary, &[(4, 1)], 3_000, 1, "kill-after").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while stand_in.held() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no second transfer call came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stand_in.transfers().len(), 2, "Stripe made it");
    assert_eq!(rows(&pool).await[1], ("sending".to_owned(), 1, None));
    process.kill();
    stand_in.release();
    let process = spawn();
    wait_paid(&pool, 2).await;
    let second = rows(&pool).await[1].clone();
    assert_eq!(second.1, 1, "found by its group: no second call");
    assert_eq!(second.2.as_deref(), stand_in.transfers()[1]["id"].as_str());
    assert_eq!(stand_in.transfers().len(), 2, "exactly one transfer each");
    let posts = stand_in
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path == TRANSFERS)
        .count();
    assert_eq!(posts, 3, "held-before, its resend, held-after");

    let summary = process.get("/payouts").await;
    assert_eq!(summary["owed"], "0", "{summary}");
    assert_eq!(summary["paid"], json!(1_940 + 2_910));
    assert_books_balance(&anvil, tributary.address(), &pool, &stand_in).await;
    process.kill();
}
