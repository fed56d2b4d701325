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
//!
//! Stripe Connect, for the relayer's payouts: `POST /v1/accounts` (Express
//! accounts), `POST /v1/account_links`, `POST /v1/transfers` and `GET
//! /v1/transfers?transfer_group=…`, checked the same way. Transfers draw on a
//! settable platform balance (Stripe's `balance_insufficient` when it is too
//! low) and go only to accounts whose `transfers` capability is active
//! ([`StripeStandIn::complete_onboarding`]). Idempotency keys of the Connect
//! endpoints are kept, results included (a refusal too, as Stripe keeps
//! them), until [`StripeStandIn::expire_idempotency_keys`] plays Stripe's
//! 24-hour window passing. [`StripeStandIn::fail_next_on`] fails one path's
//! next calls; [`StripeStandIn::commit_then_fail_next`] makes the transfer and
//! then answers a 500 (an answer lost); [`StripeStandIn::hold_next`] holds a
//! request before or after it is carried out, until released, so a test can
//! kill the caller at either point.

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
    /// `POST` or `GET`.
    pub method: String,
    /// The path, e.g. `/v1/transfers`.
    pub path: String,
    /// The query string of a `GET`, decoded.
    pub query: BTreeMap<String, String>,
    /// The object answered by a Connect endpoint (`acct_…`, `tr_…`).
    pub object_id: Option<String>,
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    /// Idempotency key → (body, session).
    by_key: BTreeMap<String, (String, Value)>,
    sessions: BTreeMap<String, Value>,
    /// Answer this status to the next requests (a fault), counting down.
    fail_next: Vec<u16>,
    connect: Connect,
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
        let state = Arc::new(Mutex::new(State {
            connect: Connect {
                balance: 10_000_000,
                ..Connect::default()
            },
            ..State::default()
        }));
        let shared = state.clone();
        let app = Router::new().route(
            "/v1/checkout/sessions",
            post(move |headers: HeaderMap, body: Bytes| {
                let state = shared.clone();
                async move { create_session(&state, &headers, &body) }
            }),
        );
        let app = connect_routes(app, &state);
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
        method: "POST".into(),
        path: "/v1/checkout/sessions".into(),
        query: BTreeMap::new(),
        object_id: None,
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

// ---------------------------------------------------------------------- Connect

/// Where [`StripeStandIn::hold_next`] holds a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Received, recorded (status 0), never carried out; answered 503 once released.
    Before,
    /// Carried out and recorded, its answer held until released.
    After,
}

struct Connect {
    /// Available platform balance, cents (USD).
    balance: i64,
    accounts: BTreeMap<String, Value>,
    /// Every transfer, in creation order.
    transfers: Vec<Value>,
    /// Idempotency key → (path, body, status, answer), until expired.
    keys: BTreeMap<String, (String, String, u16, Value)>,
    /// Path → statuses to answer first, without carrying the request out.
    fail_next: BTreeMap<String, Vec<u16>>,
    /// Path → statuses to answer after carrying the request out.
    commit_then_fail: BTreeMap<String, Vec<u16>>,
    hold: Option<(String, Hold)>,
    held: usize,
    release: Arc<tokio::sync::Semaphore>,
    counter: u64,
}

impl Default for Connect {
    fn default() -> Self {
        Self {
            balance: 0,
            accounts: BTreeMap::new(),
            transfers: Vec::new(),
            keys: BTreeMap::new(),
            fail_next: BTreeMap::new(),
            commit_then_fail: BTreeMap::new(),
            hold: None,
            held: 0,
            release: Arc::new(tokio::sync::Semaphore::new(0)),
            counter: 0,
        }
    }
}

impl StripeStandIn {
    /// The next calls to `path` (e.g. `/v1/transfers`; `GET /v1/transfers`
    /// for the list) are answered with these statuses first, in order,
    /// without being carried out (as Stripe's 429 and 500 before a request
    /// starts executing).
    pub fn fail_next_on(&self, path: &str, statuses: &[u16]) {
        self.state
            .lock()
            .expect("lock")
            .connect
            .fail_next
            .insert(path.to_owned(), statuses.iter().rev().copied().collect());
    }

    /// The next call to `path` is carried out (and its result kept under its
    /// idempotency key), then answered with `status`: the caller never
    /// learns that it succeeded.
    pub fn commit_then_fail_next(&self, path: &str, status: u16) {
        self.state
            .lock()
            .expect("lock")
            .connect
            .commit_then_fail
            .insert(path.to_owned(), vec![status]);
    }

    /// Holds the next call to `path` (see [`Hold`]) until [`release`](Self::release).
    /// Each hold has its own release: one not consumed (its caller gone)
    /// never lets a later hold through.
    pub fn hold_next(&self, path: &str, hold: Hold) {
        let mut state = self.state.lock().expect("lock");
        state.connect.hold = Some((path.to_owned(), hold));
        state.connect.release = Arc::new(tokio::sync::Semaphore::new(0));
    }

    /// Requests held so far.
    pub fn held(&self) -> usize {
        self.state.lock().expect("lock").connect.held
    }

    /// Waits (up to `timeout`) until a request is held; false on timeout.
    pub async fn wait_held(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.held() == 0 {
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// Lets the last held request go on.
    pub fn release(&self) {
        self.state
            .lock()
            .expect("lock")
            .connect
            .release
            .add_permits(1);
    }

    /// Stripe's 24 hours pass: every idempotency key is forgotten.
    pub fn expire_idempotency_keys(&self) {
        self.state.lock().expect("lock").connect.keys.clear();
    }

    /// Sets the platform's available balance (cents).
    pub fn set_balance(&self, cents: i64) {
        self.state.lock().expect("lock").connect.balance = cents;
    }

    /// The platform's available balance (cents).
    pub fn balance(&self) -> i64 {
        self.state.lock().expect("lock").connect.balance
    }

    /// Every transfer made, in order.
    pub fn transfers(&self) -> Vec<Value> {
        self.state.lock().expect("lock").connect.transfers.clone()
    }

    /// Every connected account made.
    pub fn accounts(&self) -> Vec<Value> {
        self.state
            .lock()
            .expect("lock")
            .connect
            .accounts
            .values()
            .cloned()
            .collect()
    }

    /// The creator finished onboarding and KYC: the account's `transfers`
    /// capability is active, payouts enabled. Returns the `account.updated`
    /// event (id `event_id`) Stripe would send, as Stripe writes it.
    pub fn complete_onboarding(&self, account: &str, event_id: &str) -> String {
        self.account_updated(account, event_id, true)
    }

    /// The account's payouts are turned on or off (e.g. KYC asks for more);
    /// returns the `account.updated` event.
    pub fn account_updated(&self, account: &str, event_id: &str, enabled: bool) -> String {
        let mut state = self.state.lock().expect("lock");
        let object = state
            .connect
            .accounts
            .get_mut(account)
            .unwrap_or_else(|| panic!("the stand-in never made {account}"));
        let capability = if enabled { "active" } else { "inactive" };
        object["capabilities"]["transfers"] = json!(capability);
        object["payouts_enabled"] = json!(enabled);
        object["charges_enabled"] = json!(enabled);
        object["details_submitted"] = json!(true);
        serde_json::to_string_pretty(&json!({
            "id": event_id,
            "object": "event",
            "account": account,
            "api_version": "2024-06-20",
            "created": now(),
            "data": { "object": object.clone() },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": "account.updated",
        }))
        .expect("json")
    }
}

fn connect_routes(app: Router, state: &Arc<Mutex<State>>) -> Router {
    let (accounts, links, transfers, list) =
        (state.clone(), state.clone(), state.clone(), state.clone());
    app.route(
        "/v1/accounts",
        post(move |headers: HeaderMap, body: Bytes| {
            connect_post(accounts.clone(), "/v1/accounts", headers, body)
        }),
    )
    .route(
        "/v1/account_links",
        post(move |headers: HeaderMap, body: Bytes| {
            connect_post(links.clone(), "/v1/account_links", headers, body)
        }),
    )
    .route(
        "/v1/transfers",
        post(move |headers: HeaderMap, body: Bytes| {
            connect_post(transfers.clone(), "/v1/transfers", headers, body)
        })
        .get(move |headers: HeaderMap, query: axum::extract::RawQuery| {
            let state = list.clone();
            async move { list_transfers(&state, &headers, query.0.unwrap_or_default()) }
        }),
    )
}

fn new_record(method: &str, path: &str, headers: &HeaderMap, body: String) -> RecordedRequest {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    RecordedRequest {
        authorization: text("authorization"),
        content_type: text("content-type"),
        idempotency_key: text("idempotency-key"),
        body,
        form: BTreeMap::new(),
        status: 0,
        session_id: None,
        method: method.into(),
        path: path.into(),
        query: BTreeMap::new(),
        object_id: None,
    }
}

async fn connect_post(
    state: Arc<Mutex<State>>,
    path: &'static str,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut record = new_record(
        "POST",
        path,
        &headers,
        String::from_utf8_lossy(&body).into_owned(),
    );
    let hold = {
        let mut state = state.lock().expect("lock");
        let connect = &mut state.connect;
        match connect.hold.take() {
            Some((held_path, hold)) if held_path == path => Some((hold, connect.release.clone())),
            other => {
                connect.hold = other;
                None
            }
        }
    };
    if let Some((Hold::Before, release)) = &hold {
        {
            let mut state = state.lock().expect("lock");
            state.requests.push(record.clone());
            state.connect.held += 1;
        }
        release.acquire().await.expect("semaphore").forget();
        return stripe_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "the stand-in held this request and never carried it out",
            None,
        );
    }
    let response = {
        let mut state = state.lock().expect("lock");
        let (status, value, replayed) = connect_answer(&mut state.connect, path, &mut record);
        record.status = status;
        record.object_id = value["id"].as_str().map(str::to_owned);
        state.requests.push(record);
        if hold.is_some() {
            state.connect.held += 1;
        }
        let mut response = (
            StatusCode::from_u16(status).expect("status"),
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
            .into_response();
        if replayed {
            response
                .headers_mut()
                .insert("idempotent-replayed", "true".parse().expect("header"));
        }
        response
    };
    if let Some((Hold::After, release)) = hold {
        release.acquire().await.expect("semaphore").forget();
    }
    response
}

fn error_value(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    json!({ "error": { "type": kind, "code": code, "message": message, "param": param } })
}

/// (status, body, replayed) of a Connect POST.
fn connect_answer(
    connect: &mut Connect,
    path: &str,
    record: &mut RecordedRequest,
) -> (u16, Value, bool) {
    if let Some(status) = connect.fail_next.get_mut(path).and_then(Vec::pop) {
        return (
            status,
            error_value("api_error", None, "the stand-in was told to fail", None),
            false,
        );
    }
    if record.authorization.as_deref() != Some(&format!("Bearer {STRIPE_TEST_SECRET_KEY}")) {
        return (
            401,
            error_value(
                "invalid_request_error",
                None,
                "Invalid API Key provided",
                None,
            ),
            false,
        );
    }
    if !record
        .content_type
        .as_deref()
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"))
    {
        let message = "the body must be application/x-www-form-urlencoded";
        return (
            400,
            error_value("invalid_request_error", None, message, None),
            false,
        );
    }
    let Some(key) = record
        .idempotency_key
        .clone()
        .filter(|key| !key.is_empty() && key.len() <= 255)
    else {
        let message = "the stand-in asks for an Idempotency-Key (1 to 255 characters)";
        return (
            400,
            error_value("invalid_request_error", None, message, None),
            false,
        );
    };
    let (known, required): (&[&str], &[&str]) = match path {
        "/v1/accounts" => (
            &[
                "type",
                "country",
                "email",
                "capabilities",
                "metadata",
                "business_type",
                "business_profile",
            ],
            &["type"],
        ),
        "/v1/account_links" => (
            &[
                "account",
                "refresh_url",
                "return_url",
                "type",
                "collection_options",
            ],
            &["account", "type"],
        ),
        _ => (
            &[
                "amount",
                "currency",
                "destination",
                "transfer_group",
                "description",
                "metadata",
                "source_transaction",
            ],
            &["amount", "currency", "destination"],
        ),
    };
    for (name, value) in form_urlencoded::parse(record.body.as_bytes()) {
        let name = name.into_owned();
        if record
            .form
            .insert(name.clone(), value.into_owned())
            .is_some()
        {
            let error = error_value(
                "invalid_request_error",
                Some("parameter_duplicated"),
                "a parameter is given twice",
                Some(&name),
            );
            return (400, error, false);
        }
        let top = name.split('[').next().unwrap_or_default();
        let brackets_closed = name.matches('[').count() == name.matches(']').count();
        if !known.contains(&top) || !brackets_closed {
            let message = format!("Received unknown parameter: {name}");
            let error = error_value(
                "invalid_request_error",
                Some("parameter_unknown"),
                &message,
                Some(&name),
            );
            return (400, error, false);
        }
    }
    if let Some(missing) = required
        .iter()
        .find(|name| record.form.get(**name).is_none_or(String::is_empty))
    {
        let message = format!("Missing required param: {missing}.");
        let error = error_value(
            "invalid_request_error",
            Some("parameter_missing"),
            &message,
            Some(*missing),
        );
        return (400, error, false);
    }
    if let Some((kept_path, body, status, answer)) = connect.keys.get(&key) {
        if kept_path != path || *body != record.body {
            let error = error_value(
                "idempotency_error",
                None,
                "Keys for idempotent requests can only be used with the same parameters they \
                 were first used with.",
                None,
            );
            return (400, error, false);
        }
        return (*status, answer.clone(), true);
    }
    let (status, answer) = match path {
        "/v1/accounts" => create_account(connect, &record.form),
        "/v1/account_links" => create_account_link(connect, &record.form),
        _ => create_transfer(connect, &record.form),
    };
    // Carried out: Stripe keeps the result (a refusal too) under the key.
    connect.keys.insert(
        key,
        (path.to_owned(), record.body.clone(), status, answer.clone()),
    );
    if let Some(status) = connect.commit_then_fail.get_mut(path).and_then(Vec::pop) {
        return (
            status,
            error_value(
                "api_error",
                None,
                "the stand-in carried the request out, then failed",
                None,
            ),
            false,
        );
    }
    (status, answer, false)
}

fn bracketed(form: &BTreeMap<String, String>, prefix: &str) -> Value {
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
}

fn create_account(connect: &mut Connect, form: &BTreeMap<String, String>) -> (u16, Value) {
    if !["express", "standard", "custom"].contains(&form["type"].as_str()) {
        let error = error_value(
            "invalid_request_error",
            Some("parameter_invalid_string"),
            "Invalid type",
            Some("type"),
        );
        return (400, error);
    }
    connect.counter += 1;
    let id = format!("acct_1StandIn{:0>8}", connect.counter);
    let transfers = form
        .get("capabilities[transfers][requested]")
        .filter(|requested| *requested == "true")
        .map(|_| "inactive");
    let account = json!({
        "id": id,
        "object": "account",
        "type": form["type"],
        "country": form.get("country").cloned().unwrap_or_else(|| "US".into()),
        "email": form.get("email"),
        "capabilities": { "transfers": transfers },
        "charges_enabled": false,
        "payouts_enabled": false,
        "details_submitted": false,
        "metadata": bracketed(form, "metadata"),
        "created": now(),
    });
    connect.accounts.insert(id, account.clone());
    (200, account)
}

fn create_account_link(connect: &mut Connect, form: &BTreeMap<String, String>) -> (u16, Value) {
    let account = &form["account"];
    if !connect.accounts.contains_key(account) {
        let message = format!("No such account: '{account}'");
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("resource_missing"),
                &message,
                Some("account"),
            ),
        );
    }
    if !["account_onboarding", "account_update"].contains(&form["type"].as_str()) {
        let error = error_value(
            "invalid_request_error",
            Some("parameter_invalid_string"),
            "Invalid type",
            Some("type"),
        );
        return (400, error);
    }
    if form["type"] == "account_onboarding"
        && (form.get("refresh_url").is_none() || form.get("return_url").is_none())
    {
        let message = "refresh_url and return_url are required for account_onboarding";
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("parameter_missing"),
                message,
                Some("return_url"),
            ),
        );
    }
    connect.counter += 1;
    let created = now();
    let link = json!({
        "object": "account_link",
        "created": created,
        "expires_at": created + 300,
        "url": format!("https://connect.stripe.com/setup/e/{account}/standin{:0>8}", connect.counter),
    });
    (200, link)
}

fn create_transfer(connect: &mut Connect, form: &BTreeMap<String, String>) -> (u16, Value) {
    let Ok(amount) = form["amount"].parse::<i64>() else {
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("parameter_invalid_integer"),
                "Invalid integer",
                Some("amount"),
            ),
        );
    };
    if amount <= 0 {
        let message = "This value must be greater than or equal to 1.";
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("parameter_invalid_integer"),
                message,
                Some("amount"),
            ),
        );
    }
    if form["currency"] != "usd" {
        let message = "the stand-in's platform holds usd only";
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("parameter_invalid_string"),
                message,
                Some("currency"),
            ),
        );
    }
    let destination = &form["destination"];
    let Some(account) = connect.accounts.get(destination) else {
        let message = format!("No such destination: '{destination}'");
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("resource_missing"),
                &message,
                Some("destination"),
            ),
        );
    };
    if account["capabilities"]["transfers"] != "active" {
        let message = "Your destination account needs to have at least one of the following \
                       capabilities enabled: transfers, crypto_transfers, legacy_payments";
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("insufficient_capabilities_for_transfer"),
                message,
                Some("destination"),
            ),
        );
    }
    if amount > connect.balance {
        let message = "You have insufficient available funds in your Stripe account. Try adding \
                       funds directly to your available balance by creating Charges using the \
                       4000000000000077 test card.";
        return (
            400,
            error_value(
                "invalid_request_error",
                Some("balance_insufficient"),
                message,
                None,
            ),
        );
    }
    connect.balance -= amount;
    connect.counter += 1;
    let id = format!("tr_1StandIn{:0>8}", connect.counter);
    let transfer = json!({
        "id": id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "created": now(),
        "currency": "usd",
        "description": form.get("description"),
        "destination": destination,
        "livemode": false,
        "metadata": bracketed(form, "metadata"),
        "reversed": false,
        "transfer_group": form.get("transfer_group"),
    });
    connect.transfers.push(transfer.clone());
    (200, transfer)
}

fn list_transfers(state: &Mutex<State>, headers: &HeaderMap, query: String) -> Response {
    let mut record = new_record("GET", "/v1/transfers", headers, String::new());
    let mut state = state.lock().expect("lock");
    let (status, value) = 'answer: {
        if let Some(status) = state
            .connect
            .fail_next
            .get_mut("GET /v1/transfers")
            .and_then(Vec::pop)
        {
            break 'answer (
                status,
                error_value("api_error", None, "the stand-in was told to fail", None),
            );
        }
        if record.authorization.as_deref() != Some(&format!("Bearer {STRIPE_TEST_SECRET_KEY}")) {
            break 'answer (
                401,
                error_value(
                    "invalid_request_error",
                    None,
                    "Invalid API Key provided",
                    None,
                ),
            );
        }
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let name = name.into_owned();
            if ![
                "transfer_group",
                "destination",
                "limit",
                "starting_after",
                "ending_before",
            ]
            .contains(&name.as_str())
            {
                let message = format!("Received unknown parameter: {name}");
                break 'answer (
                    400,
                    error_value(
                        "invalid_request_error",
                        Some("parameter_unknown"),
                        &message,
                        Some(&name),
                    ),
                );
            }
            record.query.insert(name, value.into_owned());
        }
        let limit = match record
            .query
            .get("limit")
            .map(|limit| limit.parse::<usize>())
        {
            None => 10,
            Some(Ok(limit)) if (1..=100).contains(&limit) => limit,
            Some(_) => {
                break 'answer (
                    400,
                    error_value(
                        "invalid_request_error",
                        Some("parameter_invalid_integer"),
                        "limit must be 1 to 100",
                        Some("limit"),
                    ),
                );
            }
        };
        let matching: Vec<Value> = state
            .connect
            .transfers
            .iter()
            .rev()
            .filter(|transfer| {
                record
                    .query
                    .get("transfer_group")
                    .is_none_or(|group| transfer["transfer_group"] == *group)
                    && record
                        .query
                        .get("destination")
                        .is_none_or(|account| transfer["destination"] == *account)
            })
            .cloned()
            .collect();
        let has_more = matching.len() > limit;
        let data: Vec<Value> = matching.into_iter().take(limit).collect();
        (
            200,
            json!({ "object": "list", "url": "/v1/transfers", "has_more": has_more, "data": data }),
        )
    };
    record.status = status;
    state.requests.push(record);
    (
        StatusCode::from_u16(status).expect("status"),
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
