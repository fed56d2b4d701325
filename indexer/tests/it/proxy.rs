//! A JSON-RPC proxy in front of anvil that misbehaves on request, as real
//! providers do: range limits, rate limits, slow answers, a lagging head,
//! another chain behind the same URL.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde_json::{Value, json};

/// How the proxy misbehaves.
#[derive(Debug, Default, Clone)]
pub(crate) struct Faults {
    /// eth_getLogs over more blocks than this fails with a range error.
    pub(crate) max_log_span: Option<u64>,
    /// Every n-th eth_getLogs answers HTTP 429.
    pub(crate) rate_limit_every: Option<u64>,
    /// eth_blockNumber answers this instead of the truth (a lagging node).
    pub(crate) head: Option<u64>,
    /// eth_getBlockByNumber above this answers null (a lagging node).
    pub(crate) blocks_up_to: Option<u64>,
    /// eth_getLogs over more blocks than this answers only after 2 s.
    pub(crate) slow_log_span: Option<u64>,
    /// Forward to this node instead (a provider that switched nodes).
    pub(crate) upstream: Option<String>,
    /// eth_getBlockByNumber("finalized") answers an RPC error (a node
    /// without the tag).
    pub(crate) no_finalized_tag: bool,
    /// eth_getLogs answers without `blockTimestamp` (an older node, or a provider that
    /// does not send it).
    pub(crate) strip_log_timestamps: bool,
}

/// A JSON-RPC proxy in front of anvil that injects [`Faults`] and counts requests.
pub(crate) struct Proxy {
    pub(crate) url: String,
    faults: Arc<Mutex<Faults>>,
    refused: Arc<AtomicU64>,
    finalized_asked: Arc<AtomicU64>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    faults: Arc<Mutex<Faults>>,
    get_logs: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
    finalized_asked: Arc<AtomicU64>,
}

impl Proxy {
    pub(crate) async fn start(upstream: &str) -> Self {
        let faults = Arc::new(Mutex::new(Faults::default()));
        let refused = Arc::new(AtomicU64::new(0));
        let finalized_asked = Arc::new(AtomicU64::new(0));
        let state = ProxyState {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            faults: Arc::clone(&faults),
            get_logs: Arc::new(AtomicU64::new(0)),
            refused: Arc::clone(&refused),
            finalized_asked: Arc::clone(&finalized_asked),
        };
        let app = Router::new().route("/", post(forward)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("proxy");
        });
        Self {
            url,
            faults,
            refused,
            finalized_asked,
            server,
        }
    }

    /// Requests refused (range errors and rate limits) so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Requests for the `finalized` block so far.
    pub(crate) fn finalized_asked(&self) -> u64 {
        self.finalized_asked.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, faults: Faults) {
        *self.faults.lock().expect("faults") = faults;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn hex_u64(value: &Value) -> Option<u64> {
    u64::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

async fn forward(
    State(state): State<ProxyState>,
    Json(request): Json<Value>,
) -> Result<Json<Value>, axum::http::StatusCode> {
    let faults = state.faults.lock().expect("faults").clone();
    let id = request["id"].clone();
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let error = |code: i64, message: &str| json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    match method.as_str() {
        "eth_getLogs" => {
            let n = state.get_logs.fetch_add(1, Ordering::Relaxed) + 1;
            if faults.rate_limit_every.is_some_and(|every| n % every == 0) {
                state.refused.fetch_add(1, Ordering::Relaxed);
                return Err(StatusCode::TOO_MANY_REQUESTS);
            }
            let filter = &request["params"][0];
            let span = hex_u64(&filter["fromBlock"])
                .zip(hex_u64(&filter["toBlock"]))
                .map(|(from, to)| to - from + 1);
            if faults
                .slow_log_span
                .zip(span)
                .is_some_and(|(max, span)| span > max)
            {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            if let (Some(max), Some(span)) = (faults.max_log_span, span)
                && span > max
            {
                state.refused.fetch_add(1, Ordering::Relaxed);
                return Ok(Json(error(
                    -32005,
                    &format!("query exceeds max block range {max}"),
                )));
            }
        }
        "eth_blockNumber" => {
            if let Some(head) = faults.head {
                return Ok(Json(
                    json!({"jsonrpc": "2.0", "id": id, "result": format!("{head:#x}")}),
                ));
            }
        }
        "eth_getBlockByNumber" => {
            if request["params"][0] == "finalized" {
                state.finalized_asked.fetch_add(1, Ordering::Relaxed);
                if faults.no_finalized_tag {
                    return Ok(Json(error(-32602, "unknown block tag: finalized")));
                }
            }
            if let (Some(limit), Some(number)) =
                (faults.blocks_up_to, hex_u64(&request["params"][0]))
                && number > limit
            {
                return Ok(Json(json!({"jsonrpc": "2.0", "id": id, "result": null})));
            }
        }
        _ => {}
    }
    let answer = state
        .http
        .post(faults.upstream.as_deref().unwrap_or(&state.upstream))
        .json(&request)
        .send()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?
        .json::<Value>()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let mut answer = answer;
    if faults.strip_log_timestamps
        && method == "eth_getLogs"
        && let Some(logs) = answer["result"].as_array_mut()
    {
        for log in logs {
            if let Some(log) = log.as_object_mut() {
                log.remove("blockTimestamp");
            }
        }
    }
    Ok(Json(answer))
}
