//! A stand-in for Kubo's RPC API, for the Kubo store's tests.
//!
//! It serves the four endpoints the store uses (`add`, `cat`, `pin/add`,
//! `pin/ls`) the way Kubo does: POST only, options in the query string, the
//! blob as a multipart part, newline-delimited JSON answers, errors as HTTP
//! 500 with `{"Message", "Code", "Type": "error"}`. The CID it answers is the
//! one `tributary_core::cid` computes for the settings in the query, so a
//! mismatch between what the store sends and what it expects shows up.
//!
//! It is strict where Kubo is lenient: any other method, path or query option
//! is answered with an error *and* recorded, and every test ends by asserting
//! that nothing was recorded. Where Kubo, online, would search the network for
//! a block it lacks, the stand-in answers as Kubo does offline.
//!
//! It runs on its own thread and runtime, so its memory is not counted by the
//! bounded-memory tests and it outlives any runtime a test builds.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex},
    thread,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use tributary_core::cid::{Cid, CidBuilder};

/// What the stand-in holds and saw.
#[derive(Default)]
struct Shared {
    blobs: Mutex<HashMap<String, Bytes>>,
    pins: Mutex<HashSet<String>>,
    requests: Mutex<Vec<String>>,
    violations: Mutex<Vec<String>>,
}

impl Shared {
    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a request the real store should never make, and refuses it.
    fn violation(&self, status: StatusCode, what: String) -> Response {
        Self::lock(&self.violations).push(what.clone());
        kubo_error(status, &what)
    }
}

/// A running stand-in; stops when dropped.
pub(crate) struct KuboStandIn {
    url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl KuboStandIn {
    /// Starts a stand-in on 127.0.0.1 at a free port.
    pub(crate) fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(handle)
            // Blobs are streamed through; Kubo has no upload limit either.
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stand-in runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    served = axum::serve(listener, app) => served.expect("serve"),
                    _ = stopped => {}
                }
            });
        });
        Self {
            url,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL to give a `KuboStore`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Every request so far, as `METHOD /path?query`.
    pub(crate) fn requests(&self) -> Vec<String> {
        Shared::lock(&self.shared.requests).clone()
    }

    /// Requests that Kubo's API does not define or the store should not send.
    pub(crate) fn violations(&self) -> Vec<String> {
        Shared::lock(&self.shared.violations).clone()
    }

    /// Whether the stand-in holds a blob under this CID.
    pub(crate) fn holds(&self, cid: &Cid) -> bool {
        Shared::lock(&self.shared.blobs).contains_key(&cid.to_string())
    }
}

impl Drop for KuboStandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Kubo's error answer.
fn kubo_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "Message": message, "Code": 0, "Type": "error" });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

fn json(value: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{value}\n"),
    )
        .into_response()
}

/// The message Kubo gives for a block it does not hold while offline.
fn not_found(cid: &str) -> Response {
    kubo_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("block was not found locally (offline): ipld: could not find {cid}"),
    )
}

/// Checks that the query holds exactly the `required` options, plus any of
/// the `optional` ones, each once, and returns them.
fn options(
    query: &[(String, String)],
    required: &[&str],
    optional: &[&str],
) -> Result<BTreeMap<String, String>, String> {
    let mut found = BTreeMap::new();
    for (key, value) in query {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            return Err(format!("unexpected option {key}={value}"));
        }
        if found.insert(key.clone(), value.clone()).is_some() {
            return Err(format!("option {key} given twice"));
        }
    }
    for key in required {
        if !found.contains_key(*key) {
            return Err(format!("missing option {key}"));
        }
    }
    if found.get("offline").is_some_and(|v| v != "true") {
        return Err("offline must be true when given".to_owned());
    }
    Ok(found)
}

/// The CID named by an `arg`, in Kubo's canonical spelling.
fn canonical(arg: &str) -> Option<String> {
    arg.parse::<Cid>().ok().map(|cid| cid.to_string())
}

async fn handle(State(kubo): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let raw_query = request.uri().query().unwrap_or_default().to_owned();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    Shared::lock(&kubo.requests).push(format!("{method} {path}?{raw_query}"));
    if method != Method::POST {
        return kubo.violation(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} {path}: the RPC API takes POST only"),
        );
    }
    let (required, optional): (&[&str], &[&str]) = match path.as_str() {
        "/api/v0/add" => (
            &["cid-version", "raw-leaves", "chunker", "hash", "pin"],
            &[],
        ),
        "/api/v0/cat" => (&["arg"], &["offline"]),
        "/api/v0/pin/add" => (&["arg", "recursive"], &["offline"]),
        "/api/v0/pin/ls" => (&["arg", "type"], &["offline"]),
        _ => return kubo.violation(StatusCode::NOT_FOUND, format!("no endpoint {path}")),
    };
    let options = match options(&query, required, optional) {
        Ok(options) => options,
        Err(e) => return kubo.violation(StatusCode::BAD_REQUEST, format!("{path}: {e}")),
    };
    match path.as_str() {
        "/api/v0/add" => add(&kubo, &options, request).await,
        "/api/v0/cat" => cat(&kubo, &options),
        "/api/v0/pin/add" => pin_add(&kubo, &options),
        _ => pin_ls(&kubo, &options),
    }
}

async fn add(kubo: &Shared, options: &BTreeMap<String, String>, request: Request) -> Response {
    let setting = |key: &str| options.get(key).map(String::as_str).unwrap_or_default();
    let v1 = match (setting("cid-version"), setting("raw-leaves")) {
        ("1", "true") => true,
        ("0", "false") => false,
        (version, raw) => {
            return kubo.violation(
                StatusCode::BAD_REQUEST,
                format!("add: cid-version={version} raw-leaves={raw} is not a set we compute"),
            );
        }
    };
    if setting("chunker") != "size-262144" || setting("hash") != "sha2-256" {
        return kubo.violation(
            StatusCode::BAD_REQUEST,
            format!("add: unexpected chunker or hash in {options:?}"),
        );
    }
    let pin = match setting("pin") {
        "true" => true,
        "false" => false,
        other => return kubo.violation(StatusCode::BAD_REQUEST, format!("add: pin={other}")),
    };
    let mut multipart = match Multipart::from_request(request, &()).await {
        Ok(multipart) => multipart,
        Err(e) => {
            return kubo.violation(StatusCode::BAD_REQUEST, format!("add: not multipart: {e}"));
        }
    };

    let mut added = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // The client gave up mid-upload (a test of aborted uploads):
            // nothing is stored, as with Kubo.
            Err(e) => return kubo_error(StatusCode::BAD_REQUEST, &format!("add: {e}")),
        };
        if added.is_some() || field.name() != Some("file") || field.file_name().is_none() {
            return kubo.violation(
                StatusCode::BAD_REQUEST,
                format!(
                    "add: expected one part named file with a file name, got {:?} {:?}",
                    field.name(),
                    field.file_name()
                ),
            );
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let mut cids = CidBuilder::new();
        let mut data = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    cids.update(&chunk);
                    data.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return kubo_error(StatusCode::BAD_REQUEST, &format!("add: {e}")),
            }
        }
        let cids = cids.finish();
        let cid = if v1 { cids.v1 } else { cids.v0 }.to_string();
        added = Some((name, cid, data));
    }
    let Some((name, cid, data)) = added else {
        return kubo.violation(StatusCode::BAD_REQUEST, "add: no file part".to_owned());
    };
    let size = data.len();
    Shared::lock(&kubo.blobs).insert(cid.clone(), Bytes::from(data));
    if pin {
        Shared::lock(&kubo.pins).insert(cid.clone());
    }
    json(serde_json::json!({ "Name": name, "Hash": cid, "Size": size.to_string() }))
}

fn cat(kubo: &Shared, options: &BTreeMap<String, String>) -> Response {
    let arg = &options["arg"];
    let Some(cid) = canonical(arg) else {
        return kubo.violation(
            StatusCode::BAD_REQUEST,
            format!("cat: {arg:?} is not a CID"),
        );
    };
    let Some(blob) = Shared::lock(&kubo.blobs).get(&cid).cloned() else {
        return not_found(&cid);
    };
    // Streamed in 64 KiB pieces, as Kubo does, rather than as one body.
    let pieces = (0..blob.len().div_ceil(64 * 1024)).map(move |i| {
        let end = ((i + 1) * 64 * 1024).min(blob.len());
        Ok::<_, std::convert::Infallible>(blob.slice(i * 64 * 1024..end))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        Body::from_stream(futures_util::stream::iter(pieces)),
    )
        .into_response()
}

fn pin_add(kubo: &Shared, options: &BTreeMap<String, String>) -> Response {
    let arg = &options["arg"];
    if options["recursive"] != "true" {
        return kubo.violation(
            StatusCode::BAD_REQUEST,
            "pin/add: recursive must be true".to_owned(),
        );
    }
    let Some(cid) = canonical(arg) else {
        return kubo.violation(
            StatusCode::BAD_REQUEST,
            format!("pin/add: {arg:?} is not a CID"),
        );
    };
    if !Shared::lock(&kubo.blobs).contains_key(&cid) {
        return not_found(&cid);
    }
    Shared::lock(&kubo.pins).insert(cid.clone());
    json(serde_json::json!({ "Pins": [cid] }))
}

fn pin_ls(kubo: &Shared, options: &BTreeMap<String, String>) -> Response {
    let arg = &options["arg"];
    if !matches!(
        options["type"].as_str(),
        "all" | "recursive" | "direct" | "indirect"
    ) {
        return kubo.violation(
            StatusCode::BAD_REQUEST,
            format!("pin/ls: type={}", options["type"]),
        );
    }
    let Some(cid) = canonical(arg) else {
        return kubo.violation(
            StatusCode::BAD_REQUEST,
            format!("pin/ls: {arg:?} is not a CID"),
        );
    };
    if !Shared::lock(&kubo.pins).contains(&cid) {
        return kubo_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("path '{arg}' is not pinned"),
        );
    }
    json(serde_json::json!({ "Keys": { cid: { "Type": "recursive" } } }))
}
