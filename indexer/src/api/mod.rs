//! The HTTP API: reads of the mirror, as JSON, described by an OpenAPI
//! document served at `/openapi.json`.
//!
//! Conventions: uint256 values (ids, amounts) are decimal strings; addresses
//! are EIP-55 checksummed hex, hashes lowercase `0x` hex; lists are pages
//! `{items, next_cursor}` (pass `next_cursor` back as `cursor`; `null` on
//! the last page); errors are `{"error": {"code", "message"}}` with a 4xx or
//! 5xx status, and never carry database text. Every 200 answer carries an
//! `ETag` (a request with a matching `If-None-Match` gets 304) and
//! `Cache-Control: no-cache`, except final rows that can never change, which
//! are `immutable`.

mod anchors;
mod credits;
mod datasets;
mod error;
mod health;
mod input;
mod licences;
mod payments;
mod streams;

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::OpenApi;

pub use self::{
    anchors::{Anchor, AnchorPage, Inclusion},
    credits::{AccountCredits, CreditPayment},
    datasets::{
        CurrentTerms, DatasetDetail, DatasetPage, DatasetSummary, OfferView, Payee, Version,
        dataset_detail,
    },
    error::{ApiError, ErrorBody, ErrorDetail},
    health::{Health, Readiness, Status},
    input::Provenance,
    licences::{IndexedBlock, Licence, LicencePage, LicensedAnswer},
    payments::{Payment, PaymentPage, Release, ReleasePage},
    streams::{
        DatasetStreams, Flow, MemberStream, MemberStreamPage, PoolMember, StreamLicence, StreamPool,
    },
};
use crate::{db::Meta, sync::SyncStatus};

/// `Cache-Control` of a row that can never change (final: below the
/// finality depth, so no reorg can remove it).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of everything else: cache, but ask again each time (the
/// `ETag` makes an unchanged answer a 304 without a body).
const REVALIDATE: &str = "no-cache";

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pool: PgPool,
    meta: Meta,
    sync: Arc<SyncStatus>,
    ready_within: u64,
    finality_depth: u64,
    manifest_search: bool,
}

impl AppState {
    /// The state of an API over `pool`, which mirrors `meta`; `sync` is the
    /// status of the indexer filling it (for the head it last saw).
    pub fn new(pool: PgPool, meta: Meta, sync: Arc<SyncStatus>) -> Self {
        Self {
            pool,
            meta,
            sync,
            ready_within: 2,
            finality_depth: 64,
            manifest_search: false,
        }
    }

    /// Manifests are being fetched into the database
    /// ([`ManifestFetcher`](crate::manifests::ManifestFetcher)), so `GET /datasets?q=` may
    /// search their titles (default: no, and `q` is refused).
    pub fn with_manifest_search(mut self, enabled: bool) -> Self {
        self.manifest_search = enabled;
        self
    }

    fn manifest_search(&self) -> bool {
        self.manifest_search
    }

    /// `/readyz` answers 200 once the mirror is at most `blocks` behind the
    /// head (default 2).
    pub fn with_ready_within(mut self, blocks: u64) -> Self {
        self.ready_within = blocks;
        self
    }

    /// Rows at least `depth` blocks below the head are final (default 64,
    /// as the indexer's).
    pub fn with_finality_depth(mut self, depth: u64) -> Self {
        self.finality_depth = depth;
        self
    }

    /// Whether a row of block `number` is final: no reorg the indexer
    /// accepts can remove it.
    fn is_final(&self, number: i64) -> bool {
        self.sync.head().is_some_and(|head| {
            u64::try_from(number)
                .is_ok_and(|number| number.saturating_add(self.finality_depth) <= head)
        })
    }
}

/// The OpenAPI document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tributary indexer",
        description = "Datasets, licences, payments, credits, batch anchors and Superfluid subscriptions of the Tributary suite, mirrored from the chain."
    ),
    paths(
        health::health,
        health::healthz,
        health::readyz,
        health::status,
        health::metrics,
        datasets::list_datasets,
        datasets::get_dataset,
        licences::list_licences,
        licences::get_licence,
        licences::is_licensed,
        payments::list_payments,
        payments::list_releases,
        credits::account_credits,
        anchors::list_anchors,
        anchors::get_anchor,
        streams::dataset_streams,
        streams::member_streams,
    ),
    components(schemas(
        Health,
        Readiness,
        Status,
        DatasetSummary,
        DatasetDetail,
        DatasetPage,
        Version,
        CurrentTerms,
        Payee,
        OfferView,
        Licence,
        LicencePage,
        LicensedAnswer,
        IndexedBlock,
        Payment,
        PaymentPage,
        Release,
        ReleasePage,
        AccountCredits,
        CreditPayment,
        Anchor,
        AnchorPage,
        Inclusion,
        DatasetStreams,
        StreamPool,
        PoolMember,
        Flow,
        MemberStream,
        MemberStreamPage,
        StreamLicence,
        Provenance,
        ErrorBody,
        ErrorDetail
    ))
)]
pub struct ApiDoc;

/// The API's routes.
pub fn router(state: AppState) -> Router {
    reads()
        .route("/openapi.json", get(openapi))
        .fallback(error::not_found)
        .layer(middleware::from_fn(etag))
        .with_state(state)
}

/// The read routes of the mirror, without `/openapi.json`, fallback or layers.
fn reads() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/status", get(health::status))
        .route("/metrics", get(health::metrics))
        .route("/datasets", get(datasets::list_datasets))
        .route("/datasets/{id}", get(datasets::get_dataset))
        .route(
            "/datasets/{id}/licensed/{account}",
            get(licences::is_licensed),
        )
        .route("/datasets/{id}/streams", get(streams::dataset_streams))
        .route("/creators/{wallet}/streams", get(streams::member_streams))
        .route("/licences", get(licences::list_licences))
        .route("/licences/{token_id}", get(licences::get_licence))
        .route("/payments", get(payments::list_payments))
        .route("/releases", get(payments::list_releases))
        .route("/credits/{account}", get(credits::account_credits))
        .route("/anchors", get(anchors::list_anchors))
        .route("/anchors/{root}", get(anchors::get_anchor))
}

/// The API's routes plus `extra`, another service's routes served on the same port (a path
/// may be in both when the methods differ, as `POST /datasets` beside `GET /datasets`), with
/// one `/openapi.json`: this API's document merged with `extra_doc`.
pub fn router_with(state: AppState, extra: Router, extra_doc: utoipa::openapi::OpenApi) -> Router {
    let mut doc = ApiDoc::openapi();
    doc.merge(extra_doc);
    let doc = Arc::new(doc);
    reads()
        .with_state(state)
        .merge(extra)
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(error::not_found)
        .layer(middleware::from_fn(etag))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Largest answer the ETag layer buffers to hash; a larger one (none today:
/// pages hold at most 500 rows) goes out without an ETag.
const ETAG_MAX_BODY: usize = 8 * 1024 * 1024;

/// Adds a strong `ETag` (a hash of the body) and a `Cache-Control` to every
/// 200 answer to a GET, and answers 304 when the client already has it.
async fn etag(request: Request, next: Next) -> Response {
    let is_get = request.method() == Method::GET;
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if !is_get || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ETAG_MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = Sha256::digest(&bytes);
    let tag_text = format!("\"{}\"", alloy::hex::encode(&digest[..16]));
    let Ok(tag) = HeaderValue::from_str(&tag_text) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(REVALIDATE));
    let matches = if_none_match.as_ref().is_some_and(|wanted| {
        wanted.to_str().is_ok_and(|wanted| {
            wanted
                .split(',')
                .map(str::trim)
                .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag_text)
        })
    });
    parts.headers.insert(header::ETAG, tag);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
