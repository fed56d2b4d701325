//! Creating Stripe Checkout Sessions: the card purchase of a licence priced
//! in fiat credits (`POST /v1/checkout/sessions`), used by `tributary-api`.
//!
//! A small client of its own on `reqwest` rather than `async-stripe`: the
//! 1.0 line of `async-stripe` is still a release candidate (1.0.0-rc.10),
//! its Checkout types come in a generated crate that is a long build on this
//! project's two cores, and the relayer needs one call. The request is
//! Stripe's own form encoding (`application/x-www-form-urlencoded`, nested
//! fields in brackets: `line_items[0][price_data][currency]=usd`), with the
//! secret key as a Bearer token and an `Idempotency-Key`; the base URL is
//! configurable so tests run against a local stand-in. The secret key is
//! never logged nor shown by `Debug`.

use std::time::Duration;

use alloy::primitives::{Address, U256};
use serde::Deserialize;

/// Stripe's API, where live and test keys both go.
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";

/// A card purchase to open a Checkout Session for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The dataset (metadata `dataset`).
    pub dataset_id: U256,
    /// The offer's index in the dataset's current terms (metadata `offer`).
    pub offer_index: u32,
    /// The wallet credited and licensed (metadata `buyer`).
    pub buyer: Address,
    /// The price in the currency's smallest unit (one credit per cent).
    pub amount: u128,
    /// The currency, lowercase ISO code (`usd`).
    pub currency: String,
    /// What the buyer sees on Stripe's page.
    pub product_name: String,
    /// Where Stripe sends the buyer after paying (`{CHECKOUT_SESSION_ID}` is
    /// replaced by Stripe).
    pub success_url: String,
    /// Where Stripe sends the buyer who gives up.
    pub cancel_url: String,
    /// Stripe's `Idempotency-Key`: a repeat with the same key answers the
    /// same session.
    pub idempotency_key: String,
}

impl CheckoutRequest {
    /// The form fields of `POST /v1/checkout/sessions`, in Stripe's bracket
    /// notation. The metadata goes on the session *and* on the PaymentIntent
    /// (`payment_intent_data[metadata]`): Stripe does not copy one to the
    /// other, and `payment_intent.succeeded` and the refunds name only the
    /// PaymentIntent.
    pub fn form(&self) -> Vec<(String, String)> {
        let metadata = [
            ("dataset", self.dataset_id.to_string()),
            ("offer", self.offer_index.to_string()),
            ("buyer", self.buyer.to_checksum(None)),
        ];
        let mut form: Vec<(String, String)> = vec![
            ("mode".into(), "payment".into()),
            ("success_url".into(), self.success_url.clone()),
            ("cancel_url".into(), self.cancel_url.clone()),
            ("line_items[0][quantity]".into(), "1".into()),
            (
                "line_items[0][price_data][currency]".into(),
                self.currency.clone(),
            ),
            (
                "line_items[0][price_data][unit_amount]".into(),
                self.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                self.product_name.clone(),
            ),
            (
                "client_reference_id".into(),
                format!("{}-{}-{}", self.dataset_id, self.offer_index, self.buyer),
            ),
        ];
        for (key, value) in &metadata {
            form.push((format!("metadata[{key}]"), value.clone()));
        }
        for (key, value) in metadata {
            form.push((format!("payment_intent_data[metadata][{key}]"), value));
        }
        form
    }
}

/// The session Stripe opened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    /// `cs_…`.
    pub id: String,
    /// Stripe's hosted payment page.
    pub url: String,
}

/// Why a session could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Stripe could not be reached, or answered 429 or 5xx every time.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// Stripe refused the request (4xx other than 429): the message is Stripe's.
    #[error("Stripe refused the session ({status}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Stripe's `error.message`, or the body.
        message: String,
    },
}

/// A Stripe API client holding the secret key.
#[derive(Clone)]
pub struct StripeClient {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) secret_key: String,
    attempts: u32,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeClient")
            .field("base", &self.base)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl StripeClient {
    /// A client with `secret_key` (`sk_…` or `rk_…`) on `base` (e.g.
    /// [`STRIPE_API_BASE`], or a stand-in's `http://127.0.0.1:…`).
    pub fn new(secret_key: impl Into<String>, base: &str) -> Result<Self, String> {
        let secret_key = secret_key.into();
        if secret_key.trim().is_empty() {
            return Err("the Stripe secret key is empty".into());
        }
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "the Stripe API base {base:?} is not an http(s) URL"
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| format!("building the HTTP client: {error}"))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            secret_key: secret_key.trim().to_owned(),
            attempts: 3,
        })
    }

    /// The API base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /v1/checkout/sessions`. A connection failure, a 429 or a 5xx is
    /// retried (up to three tries in all, with the same idempotency key, so
    /// Stripe opens one session whatever happened to the earlier answers).
    pub async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, CheckoutError> {
        let body = encode(&request.form());
        let url = format!("{}/v1/checkout/sessions", self.base);
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            if attempt > 1 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let sent = self
                .http
                .post(&url)
                .bearer_auth(&self.secret_key)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Idempotency-Key", &request.idempotency_key)
                .header("Stripe-Version", "2024-06-20")
                .body(body.clone())
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    // reqwest's message names the URL, never the headers.
                    last = error.to_string();
                    continue;
                }
            };
            let status = response.status().as_u16();
            let text = response
                .text()
                .await
                .map_err(|error| CheckoutError::Unavailable(error.to_string()))?;
            if status == 429 || status >= 500 {
                last = format!("HTTP {status}: {}", stripe_message(&text));
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(CheckoutError::Refused {
                    status,
                    message: stripe_message(&text),
                });
            }
            return serde_json::from_str::<CheckoutSession>(&text).map_err(|error| {
                CheckoutError::Unavailable(format!("an unreadable session: {error}"))
            });
        }
        Err(CheckoutError::Unavailable(last))
    }
}

/// Stripe's `error.message`, else the body (shortened).
pub(super) fn stripe_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// `application/x-www-form-urlencoded`, as browsers and Stripe's libraries
/// write it (WHATWG: `*-._` and alphanumerics as they are, space as `+`,
/// every other byte `%XX`; brackets included).
pub fn encode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CheckoutRequest {
        CheckoutRequest {
            dataset_id: U256::from(3),
            offer_index: 0,
            buyer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
                .parse()
                .expect("address"),
            amount: 500,
            currency: "usd".into(),
            product_name: "Street-sign photos & more".into(),
            success_url: "https://app.example/ok?session={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://app.example/cancel".into(),
            idempotency_key: "key-1".into(),
        }
    }

    #[test]
    fn the_form_names_the_licence_on_the_session_and_on_the_payment_intent() {
        let form = request().form();
        let get = |key: &str| {
            form.iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("500"));
        assert_eq!(get("line_items[0][price_data][currency]"), Some("usd"));
        for prefix in ["metadata", "payment_intent_data[metadata]"] {
            assert_eq!(get(&format!("{prefix}[dataset]")), Some("3"));
            assert_eq!(get(&format!("{prefix}[offer]")), Some("0"));
            assert_eq!(
                get(&format!("{prefix}[buyer]")),
                Some("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
            );
        }
        let body = encode(&form);
        assert!(body.contains("metadata%5Bbuyer%5D=0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
        assert!(body.contains("product_data%5D%5Bname%5D=Street-sign+photos+%26+more"));
        assert!(body.contains("session%3D%7BCHECKOUT_SESSION_ID%7D"));
    }

    #[test]
    fn debug_never_shows_the_secret_key() {
        let client =
            StripeClient::new("sk_test_very_secret", "http://127.0.0.1:1").expect("client");
        assert!(!format!("{client:?}").contains("very_secret"));
    }
}
