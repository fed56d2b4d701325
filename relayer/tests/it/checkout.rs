//! The Checkout Session client against the local Stripe stand-in: the stand-in checks what
//! Stripe checks (and the idempotency key), and the client retries Stripe's 429 and 5xx with
//! the same key, so one session is opened.

use alloy::primitives::U256;
use tributary_relayer::stripe::{CheckoutError, CheckoutRequest, StripeClient, checkout};
use tributary_testkit::{STRIPE_TEST_SECRET_KEY, StripeStandIn, account};

fn request(key: &str) -> CheckoutRequest {
    CheckoutRequest {
        dataset_id: U256::from(3),
        offer_index: 0,
        buyer: account(5).address(),
        amount: 500,
        currency: "usd".into(),
        product_name: "Licence: Street-sign photos".into(),
        success_url: "https://shop.example/ok?s={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://shop.example/cancel".into(),
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn sessions_are_opened_once_per_key_and_retried_through_429_and_500() {
    let stripe = StripeStandIn::start().await;
    let client = StripeClient::new(STRIPE_TEST_SECRET_KEY, &stripe.url).expect("client");

    stripe.fail_next(&[500, 429]);
    let first = client
        .create_checkout_session(&request("key-1"))
        .await
        .expect("opened after two retries");
    assert!(first.id.starts_with("cs_test_"));
    let again = client
        .create_checkout_session(&request("key-1"))
        .await
        .expect("replayed");
    assert_eq!(again, first);
    let requests = stripe.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![500, 429, 200, 200]
    );
    assert!(
        requests
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some("key-1"))
    );
    let session = stripe.session(&first.id).expect("session");
    assert_eq!(session["amount_total"], 500);
    assert_eq!(session["payment_intent"], serde_json::Value::Null);
    assert_eq!(session["metadata"]["dataset"], "3");

    // The same key for other parameters: Stripe's idempotency error, not a second session.
    let mut other = request("key-1");
    other.amount = 900;
    let error = client
        .create_checkout_session(&other)
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, CheckoutError::Refused { status: 400, message } if message.contains("same parameters")),
        "{error}"
    );

    // A wrong key: 401, and the key is not in the error.
    let wrong = StripeClient::new("sk_test_wrong_key_987", &stripe.url).expect("client");
    let error = wrong
        .create_checkout_session(&request("key-2"))
        .await
        .expect_err("refused");
    assert!(
        matches!(error, CheckoutError::Refused { status: 401, .. }),
        "{error}"
    );
    assert!(!error.to_string().contains("wrong_key_987"));
}

#[tokio::test]
async fn the_stand_in_refuses_what_stripe_refuses() {
    let stripe = StripeStandIn::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/checkout/sessions", stripe.url);
    let good = checkout::encode(&request("k").form());
    let auth = format!("Bearer {STRIPE_TEST_SECRET_KEY}");
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(Option<&str>, &str, Option<&str>, String, u16)> = vec![
        (None, form, Some("k1"), good.clone(), 401),
        (
            Some(&auth),
            "application/json",
            Some("k2"),
            "{}".into(),
            400,
        ),
        (Some(&auth), form, None, good.clone(), 400),
        (
            Some(&auth),
            form,
            Some("k3"),
            good.replace("mode=payment", "mode=subscription"),
            400,
        ),
        (
            Some(&auth),
            form,
            Some("k4"),
            format!("{good}&surprise=1"),
            400,
        ),
        (
            Some(&auth),
            form,
            Some("k5"),
            format!("{good}&mode=payment"),
            400,
        ),
        (
            Some(&auth),
            form,
            Some("k6"),
            good.replace("success_url", "successurl"),
            400,
        ),
        (Some(&auth), form, Some("k7"), good.clone(), 200),
    ];
    for (authorization, content_type, key, body, expected) in cases {
        let mut call = http
            .post(&url)
            .header("content-type", content_type)
            .body(body.clone());
        if let Some(authorization) = authorization {
            call = call.header("authorization", authorization);
        }
        if let Some(key) = key {
            call = call.header("idempotency-key", key);
        }
        let response = call.send().await.expect("POST");
        assert_eq!(response.status().as_u16(), expected, "{key:?}: {body}");
        if expected != 200 {
            let error: serde_json::Value = response.json().await.expect("Stripe's error shape");
            assert!(error["error"]["message"].is_string(), "{error}");
        }
    }
    assert_eq!(stripe.requests().len(), 8, "every request recorded");
}
