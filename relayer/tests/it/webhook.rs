//! `POST /stripe/webhook` through the router, against a real PostgreSQL:
//! what is stored, once, and what is refused with 400 leaving nothing behind.

use std::time::Duration;

use alloy::primitives::{Address, keccak256};
use axum::http::StatusCode;
use sqlx::postgres::PgPoolOptions;
use tributary_relayer::{
    api::{self, AppState},
    stripe::{Verifier, signature},
};

use crate::{
    stripe_js,
    support::{
        SECRET, TestDb, account, app, async_payment_succeeded, charge_refunded, checkout_completed,
        count, dispute_created, get, job_states, now, payment_intent_succeeded, post, post_raw,
        signed,
    },
};

fn buyer() -> Address {
    account(5).address()
}

#[tokio::test]
async fn a_signed_checkout_event_is_stored_with_one_mint_job() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let body = checkout_completed("evt_checkout_1", "pi_3Abc123", buyer(), 1999);
    let delivery = signed(std::slice::from_ref(&body)).remove(0);

    let (status, answer) = post(&app, &delivery).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["event_id"], "evt_checkout_1");
    assert_eq!(answer["duplicate"], false);
    let job_id = answer["job_id"].as_i64().expect("a job");

    // The event, byte for byte, and the job it maps to.
    let (kind, stored_body, action, job): (String, Vec<u8>, String, Option<i64>) =
        sqlx::query_as("SELECT type, body, action, job_id FROM stripe_events WHERE id = $1")
            .bind("evt_checkout_1")
            .fetch_one(&pool)
            .await
            .expect("event row");
    assert_eq!(kind, "checkout.session.completed");
    assert_eq!(stored_body, body.as_bytes());
    assert_eq!(action, "mint_credits");
    assert_eq!(job, Some(job_id));

    let (status, page) = get(&app, "/jobs").await;
    assert_eq!(status, StatusCode::OK);
    let jobs = page["items"].as_array().expect("items");
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job["id"], job_id);
    assert_eq!(job["kind"], "mint_credits");
    assert_eq!(job["status"], "pending");
    assert_eq!(job["payment_intent"], "pi_3Abc123");
    assert_eq!(job["payment_id"], keccak256(b"pi_3Abc123").to_string());
    assert_eq!(job["account"], buyer().to_checksum(None));
    assert_eq!(job["amount"], "1999");
    assert_eq!(job["event_id"], "evt_checkout_1");
    assert_eq!(job["attempts"], 0);
    assert!(page["next_cursor"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redeliveries_and_concurrent_copies_store_one_event_and_one_job() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let delivery = signed(&[checkout_completed("evt_dup", "pi_dup", buyer(), 500)]).remove(0);

    // Five deliveries, one after the other: the first stores, the rest are no-ops.
    for n in 0..5 {
        let (status, answer) = post(&app, &delivery).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["duplicate"], n > 0, "delivery {n}: {answer}");
    }
    // Two copies at once of another event, then ten.
    let other = signed(&[checkout_completed("evt_dup_2", "pi_dup_2", buyer(), 700)]).remove(0);
    let (a, b) = tokio::join!(post(&app, &other), post(&app, &other));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        [a.1["duplicate"].as_bool(), b.1["duplicate"].as_bool()]
            .iter()
            .filter(|duplicate| **duplicate == Some(false))
            .count(),
        1,
        "exactly one of two concurrent copies stores: {a:?} {b:?}"
    );
    let third = signed(&[checkout_completed("evt_dup_3", "pi_dup_3", buyer(), 900)]).remove(0);
    let answers = futures_join_all((0..10).map(|_| {
        let (app, third) = (app.clone(), third.clone());
        async move { post(&app, &third).await }
    }))
    .await;
    assert!(answers.iter().all(|(status, _)| *status == StatusCode::OK));
    assert_eq!(
        answers
            .iter()
            .filter(|(_, answer)| answer["duplicate"] == false)
            .count(),
        1
    );

    assert_eq!(count(&pool, "stripe_events").await, 3);
    assert_eq!(count(&pool, "jobs").await, 3);
}

/// Runs the futures concurrently on the test's runtime (spawned, so the
/// multi-threaded runtime can interleave them).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_and_payment_intent_events_of_one_payment_make_one_job() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let deliveries = signed(&[
        payment_intent_succeeded("evt_pi", "pi_both", buyer(), 2500),
        checkout_completed("evt_cs", "pi_both", buyer(), 2500),
        async_payment_succeeded("evt_async", "pi_both", buyer(), 2500),
    ]);
    let mut jobs = Vec::new();
    for delivery in &deliveries {
        let (status, answer) = post(&app, delivery).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["duplicate"], false);
        jobs.push(answer["job_id"].as_i64().expect("job"));
    }
    assert!(jobs.iter().all(|job| *job == jobs[0]), "{jobs:?}");
    assert_eq!(count(&pool, "stripe_events").await, 3);
    assert_eq!(count(&pool, "jobs").await, 1);
    let event: String = sqlx::query_scalar("SELECT event_id FROM jobs")
        .fetch_one(&pool)
        .await
        .expect("job");
    assert_eq!(event, "evt_pi", "the first event creates the job");
}

#[tokio::test]
async fn refunds_and_disputes_make_one_reverse_job_even_before_the_payment() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let deliveries = signed(&[
        charge_refunded("evt_refund", "pi_early"),
        dispute_created("evt_dispute", "pi_early"),
        checkout_completed("evt_paid", "pi_early", buyer(), 1000),
    ]);
    for delivery in &deliveries {
        let (status, answer) = post(&app, delivery).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    assert_eq!(
        job_states(&pool).await,
        vec![
            ("reverse_credits".into(), "pending".into(), None),
            ("mint_credits".into(), "pending".into(), None),
        ]
    );
}

#[tokio::test]
async fn events_the_relayer_does_not_act_on_are_stored_without_a_job() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let unpaid = checkout_completed("evt_unpaid", "pi_unpaid", buyer(), 100).replace(
        "\"payment_status\": \"paid\"",
        "\"payment_status\": \"unpaid\"",
    );
    let foreign = checkout_completed("evt_foreign", "pi_foreign", buyer(), 100).replace(
        &format!("\"buyer\": \"{}\"", buyer().to_checksum(None)),
        "\"other\": \"x\"",
    );
    let deliveries = signed(&[
        unpaid,
        foreign,
        r#"{"id": "evt_customer", "object": "event", "type": "customer.created", "created": 1700000000, "livemode": false, "data": {"object": {"id": "cus_1"}}}"#.to_owned(),
    ]);
    for delivery in &deliveries {
        let (status, answer) = post(&app, delivery).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(answer["job_id"].is_null(), "{answer}");
    }
    let notes: Vec<(String, String)> =
        sqlx::query_as("SELECT id, note FROM stripe_events WHERE action = 'ignored' ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("events");
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes[1].1.contains("metadata.buyer"), "{notes:?}");
    assert!(notes[2].1.contains("payment_status is unpaid"), "{notes:?}");
    assert_eq!(count(&pool, "jobs").await, 0);
}

#[tokio::test]
async fn forged_stale_and_malformed_deliveries_answer_400_and_store_nothing() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let body = checkout_completed("evt_bad", "pi_bad", buyer(), 1999);
    let t = now();
    let headers = stripe_js::sign_all(&[
        (body.as_bytes(), "whsec_not_ours", t),
        (body.as_bytes(), SECRET, t - 400),
        (body.as_bytes(), SECRET, t + 400),
        (body.as_bytes(), SECRET, t),
    ]);
    let genuine = &headers[3];
    let forged = {
        let (prefix, sig) = genuine.split_once(",v1=").expect("v1");
        let flipped = if sig.starts_with('0') { "1" } else { "0" };
        format!("{prefix},v1={flipped}{}", &sig[1..])
    };
    let reserialized =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&body).expect("json"))
            .expect("json");
    let cases: Vec<(&str, String, Option<String>, &str)> = vec![
        (
            "wrong secret",
            body.clone(),
            Some(headers[0].clone()),
            "no v1 signature matches",
        ),
        ("stale", body.clone(), Some(headers[1].clone()), "old"),
        ("future", body.clone(), Some(headers[2].clone()), "future"),
        (
            "forged",
            body.clone(),
            Some(forged),
            "no v1 signature matches",
        ),
        (
            "re-serialized",
            reserialized,
            Some(genuine.clone()),
            "no v1 signature matches",
        ),
        (
            "tampered amount",
            body.replace("1999", "199900"),
            Some(genuine.clone()),
            "no v1",
        ),
        (
            "no header",
            body.clone(),
            None,
            "no Stripe-Signature header",
        ),
        (
            "malformed header",
            body.clone(),
            Some("t=abc,v1=00".into()),
            "malformed",
        ),
    ];
    for (name, body, header, message) in cases {
        let (status, answer) = post_raw(&app, &body, header.as_deref()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {answer}");
        assert_eq!(
            answer["error"]["code"], "invalid_signature",
            "{name}: {answer}"
        );
        let text = answer["error"]["message"].as_str().expect("message");
        assert!(text.contains(message), "{name}: {text}");
        assert!(!text.contains(SECRET), "{name}: {text}");
    }

    // Genuinely signed, but unusable: 400 invalid_event, nothing stored.
    let bad_buyer = checkout_completed("evt_bad_buyer", "pi_bad_buyer", buyer(), 1999)
        .replace(&buyer().to_checksum(None), "0x1234");
    let euros = checkout_completed("evt_eur", "pi_eur", buyer(), 1999)
        .replace("\"currency\": \"usd\"", "\"currency\": \"eur\"");
    let not_json = "{\"id\": \"evt_x\", ".to_owned();
    for (delivery, message) in
        signed(&[bad_buyer, euros, not_json])
            .iter()
            .zip(["metadata.buyer", "in eur", "not JSON"])
    {
        let (status, answer) = post(&app, delivery).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_event", "{answer}");
        let text = answer["error"]["message"].as_str().expect("message");
        assert!(text.contains(message), "{text}");
    }

    assert_eq!(count(&pool, "stripe_events").await, 0);
    assert_eq!(count(&pool, "jobs").await, 0);

    // The genuine delivery still goes through.
    let (status, answer) = post_raw(&app, &body, Some(genuine)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn jobs_health_and_unknown_paths_answer_json_and_refuse_bad_input() {
    let db = TestDb::create().await;
    let pool = db.pool().await;
    let app = app(&pool);
    let bodies: Vec<String> = (0..5)
        .map(|n| {
            checkout_completed(
                &format!("evt_page_{n}"),
                &format!("pi_page_{n}"),
                buyer(),
                100 + n,
            )
        })
        .collect();
    for delivery in signed(&bodies) {
        assert_eq!(post(&app, &delivery).await.0, StatusCode::OK);
    }

    assert_eq!(
        get(&app, "/health").await,
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );

    // Paging walked to the end.
    let mut seen = Vec::new();
    let mut uri = "/jobs?status=pending&limit=2".to_owned();
    loop {
        let (status, page) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for job in page["items"].as_array().expect("items") {
            seen.push(job["amount"].as_str().expect("amount").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/jobs?status=pending&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["100", "101", "102", "103", "104"]);
    let (_, failed) = get(&app, "/jobs?status=failed").await;
    assert_eq!(failed["items"], serde_json::json!([]));

    for uri in [
        "/jobs?status=stuck",
        "/jobs?limit=0",
        "/jobs?limit=501",
        "/jobs?limit=x",
        "/jobs?cursor=-1",
        "/jobs?cursor=abc",
    ] {
        let (status, answer) = get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request", "{uri}");
    }
    let (status, answer) = get(&app, "/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"]["code"], "not_found");
    let (status, answer) = call_post(&app, "/jobs/1/retry").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a pending job is not failed: {answer}"
    );
    let (status, _) = call_post(&app, "/jobs/x/retry").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, doc) = get(&app, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/stripe/webhook",
        "/health",
        "/jobs",
        "/jobs/{id}/retry",
        "/creators",
        "/creators/{wallet}",
        "/payouts",
        "/payouts/transfers/{id}/retry",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }
}

async fn call_post(app: &axum::Router, uri: &str) -> (StatusCode, serde_json::Value) {
    crate::support::call(
        app,
        axum::http::Request::post(uri)
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn an_unreachable_database_answers_503_so_stripe_redelivers() {
    // Nothing listens on port 1.
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy("postgres://postgres@127.0.0.1:1/relayer")
        .expect("lazy pool");
    let app = api::router(AppState::new(pool, Verifier::new(SECRET), "usd"));
    let body = checkout_completed("evt_down", "pi_down", buyer(), 100);
    let header = signature::sign(SECRET, now(), body.as_bytes());
    let (status, answer) = post_raw(&app, &body, Some(&header)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["error"]["code"], "unavailable");
    assert!(!answer.to_string().contains("127.0.0.1"), "{answer}");
    let (status, _) = get(&app, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
