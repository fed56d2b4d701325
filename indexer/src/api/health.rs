//! Liveness, readiness, sync status and Prometheus metrics.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
};
use crate::db;

/// The service answers and reaches its database.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Liveness: the service answers and its database does too.
#[utoipa::path(get, path = "/health", responses(
    (status = 200, description = "Healthy", body = Health),
    (status = 503, description = "The database cannot be reached", body = ErrorBody),
))]
pub(crate) async fn health(State(state): State<AppState>) -> ApiResult<Health> {
    sqlx::query("SELECT 1").execute(&state.pool).await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

/// How far the mirror is.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    /// The chain mirrored.
    pub chain_id: u64,
    /// The Tributary contract mirrored.
    pub contract: String,
    /// `TributaryStreams`, when its events and the flows to its pools are mirrored.
    pub streams: Option<String>,
    /// Superfluid's GDA whose `FlowDistributionUpdated` events are mirrored with the streams.
    pub gda: Option<String>,
    /// The last block whose rows are committed (`null` before the first range).
    pub indexed_block: Option<u64>,
    /// Its hash.
    pub indexed_block_hash: Option<String>,
    /// The node's head at the indexer's last poll (`null` if the API runs
    /// without an indexer or before its first poll).
    pub head: Option<u64>,
    /// Reorgs repaired since the indexer started.
    pub reorgs: u64,
    /// New heads arrive by a live WebSocket subscription (`false`: polling).
    pub subscribed: bool,
}

/// Sync status: chain, contract, indexed block and hash, head.
#[utoipa::path(get, path = "/status", responses(
    (status = 200, description = "Sync status", body = Status),
    (status = 503, description = "The database cannot be reached", body = ErrorBody),
))]
pub(crate) async fn status(State(state): State<AppState>) -> ApiResult<Status> {
    let mut conn = state.pool.acquire().await?;
    let checkpoint = db::checkpoint(&mut conn).await?;
    Ok(Json(Status {
        chain_id: state.meta.chain_id,
        contract: state.meta.contract.to_checksum(None),
        streams: state.meta.streams.map(|a| a.to_checksum(None)),
        gda: state.meta.gda.map(|a| a.to_checksum(None)),
        indexed_block: checkpoint.map(|cp| cp.number),
        indexed_block_hash: checkpoint.map(|cp| cp.hash.to_string()),
        head: state.sync.head(),
        reorgs: state.sync.reorgs(),
        subscribed: state.sync.subscribed(),
    }))
}

/// Liveness for orchestrators: the process serves HTTP (no database call,
/// so a database outage does not get the process restarted).
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "The process answers", body = Health),
))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Why the mirror is, or is not, ready.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// Ready: the database answers and the last committed block is within
    /// `ready_within` blocks of the node's head.
    pub ready: bool,
    /// The last committed block (`null` before the first range).
    pub indexed_block: Option<u64>,
    /// The node's head at the last poll (`null` before the first poll).
    pub head: Option<u64>,
    /// Most blocks behind the head that still count as ready.
    pub ready_within: u64,
}

/// Readiness for load balancers: 200 once the mirror has caught up to
/// within `ready_within` blocks of the head, else 503 with the same body.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, description = "Caught up", body = Readiness),
    (status = 503, description = "Behind, not started, or the database is down", body = Readiness),
))]
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let head = state.sync.head();
    let indexed = match state.pool.acquire().await {
        Ok(mut conn) => db::checkpoint(&mut conn).await.ok(),
        Err(_) => None,
    };
    let reachable = indexed.is_some();
    let indexed_block = indexed.flatten().map(|cp| cp.number);
    let ready = reachable
        && matches!((indexed_block, head), (Some(indexed), Some(head))
            if head.saturating_sub(indexed) <= state.ready_within);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready,
            indexed_block,
            head,
            ready_within: state.ready_within,
        }),
    )
}

/// Prometheus metrics (text exposition format): head, indexed block, blocks
/// behind, events committed, reorgs, rollback depth, database and node
/// latency, retries, range.
#[utoipa::path(get, path = "/metrics", responses(
    (status = 200, description = "Metrics", content_type = "text/plain", body = String),
))]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.sync.metrics().encode(),
    )
}
