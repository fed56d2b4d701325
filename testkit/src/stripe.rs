//! A local stand-in for Stripe's `POST /v1/checkout/sessions` (stripe-mock is
//! on no registry, and no Stripe API is reachable from the tests): an axum
//! server on a free loopback port that checks each request as Stripe would
//! (the Bearer secret key, an `application/x-www-form-urlencoded` body in
//! Stripe's bracket notation, the required fields, no unknown parameter) and
//! also asks for an `Idempotency-Key`, which Stripe only recommends. A repeat
//! with the same key and body answers the same session (`Idempotent-Replayed:
//! true`); the same key with another body is refused, as Stripe refuses it.
//! Every request is recorded, accepted or not. The answer is a session
//! object as Stripe writes it (`cs_test_…`, `url`, `payment_intent: null`
//! until paid); [`StripeStandIn::completed_event`] writes the
//! `checkout.session.completed` event Stripe would then send.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

/// The secret key the stand-in accepts.
pub const STRIPE_TEST_SECRET_KEY: &str = "sk_test_tributary_stand_in_51Nx0000000000000000";

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The raw body.
    pub body: String,
    /// The decoded fields (bracket names as they are: `metadata[buyer]`).
    pub form: BTreeMap<String, String>,
    /// The status answered.
    pub status: u16,
    /// The session answered (accepted requests).
    pub session_id: Option<String>,
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    /// Idempotency key → (body, session).
    by_key: BTreeMap<String, (String, Value)>,
    sessions: BTreeMap<String, Value>,
    /// Answer this status to the next requests (a fault), counting down.
    fail_next: Vec<u16>,
}

/// The running stand-in; stops when dropped.
pub struct StripeStandIn {
    /// Its base URL, e.g. `http://127.0.0.1:40123` (pass as the Stripe API base).
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StripeStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StripeStandIn {
    /// Starts it on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = Router::new().route(
            "/v1/checkout/sessions",
            post(move |headers: HeaderMap, body: Bytes| {
                let state = shared.clone();
                async move { create_session(&state, &headers, &body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Stripe stand-in");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the Stripe stand-in");
        });
        Self { url, state, task }
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().expect("lock").requests.clone()
    }

    /// The session with this id, as last answered.
    pub fn session(&self, id: &str) -> Option<Value> {
        self.state.lock().expect("lock").sessions.get(id).cloned()
    }

    /// The next requests are answered with these statuses (e.g. 500, 429), in
    /// order, before the stand-in answers normally again.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.state.lock().expect("lock").fail_next = statuses.iter().rev().copied().collect();
    }

    /// The buyer pays: the session becomes `complete`/`paid` with the
    /// PaymentIntent `payment_intent`, and the `checkout.session.completed`
    /// event (id `event_id`) Stripe would send is returned, pretty-printed
    /// as Stripe sends it.
    pub fn completed_event(
        &self,
        session_id: &str,
        payment_intent: &str,
        event_id: &str,
    ) -> String {
        let mut state = self.state.lock().expect("lock");
        let session = state
            .sessions
            .get_mut(session_id)
            .unwrap_or_else(|| panic!("the stand-in never opened {session_id}"));
        session["payment_intent"] = json!(payment_intent);
        session["payment_status"] = json!("paid");
        session["status"] = json!("complete");
        session["url"] = Value::Null;
        serde_json::to_string_pretty(&json!({
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": now(),
            "data": { "object": session.clone() },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": "checkout.session.completed",
        }))
        .expect("json")
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn stripe_error(status: StatusCode, kind: &str, message: &str, param: Option<&str>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": { "type": kind, "message": message, "param": param } }).to_string(),
    )
        .into_response()
}

/// The top-level parameters a Checkout Session takes that Tributary may send.
const KNOWN: [&str; 8] = [
    "mode",
    "success_url",
    "cancel_url",
    "line_items",
    "metadata",
    "payment_intent_data",
    "client_reference_id",
    "customer_email",
];

const REQUIRED: [&str; 6] = [
    "mode",
    "success_url",
    "line_items[0][quantity]",
    "line_items[0][price_data][currency]",
    "line_items[0][price_data][unit_amount]",
    "line_items[0][price_data][product_data][name]",
];

fn create_session(state: &Mutex<State>, headers: &HeaderMap, body: &[u8]) -> Response {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let body = String::from_utf8_lossy(body).into_owned();
    let mut record = RecordedRequest {
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body: body.clone(),
        form: BTreeMap::new(),
        status: 200,
        session_id: None,
    };
    let mut state = state.lock().expect("lock");
    let (response, session_id) = answer(&mut state, &mut record);
    record.status = response.status().as_u16();
    record.session_id = session_id;
    state.requests.push(record);
    response
}

fn answer(state: &mut State, record: &mut RecordedRequest) -> (Response, Option<String>) {
    if let Some(status) = state.fail_next.pop() {
        let status = StatusCode::from_u16(status).expect("status");
        return (
            stripe_error(status, "api_error", "the stand-in was told to fail", None),
            None,
        );
    }
    if record.authorization.as_deref() != Some(&format!("Bearer {STRIPE_TEST_SECRET_KEY}")) {
        return (
            stripe_error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                "Invalid API Key provided",
                None,
            ),
            None,
        );
    }
    let form_encoded = record
        .content_type
        .as_deref()
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return (
            stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "the body must be application/x-www-form-urlencoded",
                None,
            ),
            None,
        );
    }
    let Some(key) = record
        .idempotency_key
        .clone()
        .filter(|key| !key.is_empty() && key.len() <= 255)
    else {
        return (
            stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "the stand-in asks for an Idempotency-Key (1 to 255 characters)",
                None,
            ),
            None,
        );
    };
    for (name, value) in form_urlencoded::parse(record.body.as_bytes()) {
        let name = name.into_owned();
        if record
            .form
            .insert(name.clone(), value.into_owned())
            .is_some()
        {
            return (
                stripe_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "a parameter is given twice",
                    Some(&name),
                ),
                None,
            );
        }
        let top = name.split('[').next().unwrap_or_default();
        let brackets_closed = name.matches('[').count() == name.matches(']').count();
        if !KNOWN.contains(&top) || !brackets_closed {
            return (
                stripe_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    &format!("Received unknown parameter: {name}"),
                    Some(&name),
                ),
                None,
            );
        }
    }
    if let Some(missing) = REQUIRED
        .iter()
        .find(|name| record.form.get(**name).is_none_or(String::is_empty))
    {
        return (
            stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("Missing required param: {missing}."),
                Some(missing),
            ),
            None,
        );
    }
    let form = &record.form;
    let amount = form["line_items[0][price_data][unit_amount]"].parse::<u64>();
    let quantity = form["line_items[0][quantity]"].parse::<u64>();
    let (Ok(amount), Ok(quantity)) = (amount, quantity) else {
        return (
            stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Invalid integer",
                Some("line_items[0][price_data][unit_amount]"),
            ),
            None,
        );
    };
    if form["mode"] != "payment" {
        return (
            stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "the stand-in only opens sessions in payment mode",
                Some("mode"),
            ),
            None,
        );
    }
    if let Some((body, session)) = state.by_key.get(&key) {
        if *body != record.body {
            return (
                stripe_error(
                    StatusCode::BAD_REQUEST,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters \
                     they were first used with.",
                    None,
                ),
                None,
            );
        }
        let id = session["id"].as_str().map(str::to_owned);
        let mut response = axum::Json(session.clone()).into_response();
        response
            .headers_mut()
            .insert("idempotent-replayed", "true".parse().expect("header"));
        return (response, id);
    }
    let id = format!("cs_test_a1{:0>56}", state.sessions.len() + 1);
    let metadata = |prefix: &str| -> Value {
        form.iter()
            .filter_map(|(name, value)| {
                let key = name
                    .strip_prefix(prefix)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?;
                Some((key.to_owned(), json!(value)))
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let created = now();
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": amount * quantity,
        "amount_total": amount * quantity,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"),
        "created": created,
        "currency": form["line_items[0][price_data][currency]"],
        "customer_details": null,
        "expires_at": created + 24 * 3600,
        "livemode": false,
        "metadata": metadata("metadata"),
        "mode": "payment",
        "payment_intent": null,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": form["success_url"],
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
    });
    state
        .by_key
        .insert(key, (record.body.clone(), session.clone()));
    state.sessions.insert(id.clone(), session.clone());
    (axum::Json(session).into_response(), Some(id))
}
