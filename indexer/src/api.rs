//! The HTTP API: reads of the mirror, as JSON, described by an OpenAPI
//! document served at `/openapi.json`.
//!
//! Conventions: uint256 values (ids, amounts) are decimal strings; addresses
//! are EIP-55 checksummed hex, hashes lowercase `0x` hex; lists are pages
//! `{items, next_cursor}` (pass `next_cursor` back as `cursor`; `null` on
//! the last page); errors are `{"error": {"code", "message"}}` with a 4xx or
//! 5xx status, and never carry database text.

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use axum::{
    Json, Router,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgPool};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    db::{self, Meta},
    error,
    sync::SyncStatus,
};

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pool: PgPool,
    meta: Meta,
    sync: Arc<SyncStatus>,
}

impl AppState {
    /// The state of an API over `pool`, which mirrors `meta`; `sync` is the
    /// status of the indexer filling it (for the head it last saw).
    pub fn new(pool: PgPool, meta: Meta, sync: Arc<SyncStatus>) -> Self {
        Self { pool, meta, sync }
    }
}

/// The OpenAPI document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tributary indexer",
        description = "Datasets, licences and payments of the Tributary suite, mirrored from the chain."
    ),
    paths(
        health,
        status,
        list_datasets,
        get_dataset,
        list_licences,
        list_payments
    ),
    components(schemas(
        Health,
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
        Payment,
        PaymentPage,
        Provenance,
        ErrorBody,
        ErrorDetail
    ))
)]
pub struct ApiDoc;

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/datasets", get(list_datasets))
        .route("/datasets/{id}", get(get_dataset))
        .route("/licences", get(list_licences))
        .route("/payments", get(list_payments))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .with_state(state)
}

// ---------------------------------------------------------------------- errors

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's machine-readable code and human-readable message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `not_found`, `unavailable` or `internal`.
    pub code: String,
    /// What to do about it.
    pub message: String,
}

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed (the message says which part).
    BadRequest(String),
    /// 404: nothing has this id (or path).
    NotFound(String),
    /// 503: the database cannot be reached now.
    Unavailable,
    /// 500: a bug or a corrupt row; logged, not shown.
    Internal,
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database request failed");
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable
            }
            _ => Self::Internal,
        }
    }
}

impl From<crate::Error> for ApiError {
    fn from(error: crate::Error) -> Self {
        match error {
            crate::Error::Db(error) => error.into(),
            other => {
                tracing::error!(error = %other, "reading the mirror failed");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message),
            Self::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database cannot be reached; try again later".to_owned(),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; it was logged".to_owned(),
            ),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see /openapi.json".into())
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ---------------------------------------------------------------------- input

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

fn limit(value: Option<&str>) -> Result<i64, ApiError> {
    let Some(value) = value else {
        return Ok(DEFAULT_LIMIT);
    };
    value
        .parse::<i64>()
        .ok()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| {
            ApiError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
        })
}

fn uint(what: &str, value: &str) -> Result<U256, ApiError> {
    value
        .parse::<U256>()
        .ok()
        .filter(|_| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::BadRequest(format!("{what} must be a decimal uint256")))
}

fn address(what: &str, value: &str) -> Result<Address, ApiError> {
    let hex = value.strip_prefix("0x").unwrap_or_default();
    if hex.len() != 40 {
        return Err(ApiError::BadRequest(format!(
            "{what} must be a 0x-prefixed 20-byte hex address"
        )));
    }
    // Mixed case must be a correct EIP-55 checksum; all lower or upper is fine.
    let mixed =
        hex.bytes().any(|b| b.is_ascii_lowercase()) && hex.bytes().any(|b| b.is_ascii_uppercase());
    let parsed = if mixed {
        Address::parse_checksummed(value, None).ok()
    } else {
        value.parse::<Address>().ok()
    };
    parsed
        .ok_or_else(|| ApiError::BadRequest(format!("{what} is not a valid address (or checksum)")))
}

fn query<T: Default>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(params)| params).map_err(|rejection| {
        ApiError::BadRequest(format!("bad query string: {}", rejection.body_text()))
    })
}

fn bad_cursor() -> ApiError {
    ApiError::BadRequest("cursor is not one this API returned".into())
}

// ---------------------------------------------------------------------- output

fn hex_address(bytes: &[u8]) -> Result<String, ApiError> {
    Ok(error::address(bytes)?.to_checksum(None))
}

fn hex_hash(bytes: &[u8]) -> Result<String, ApiError> {
    Ok(error::b256(bytes)?.to_string())
}

/// Where an event was found on the chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    /// The block number.
    pub block_number: u64,
    /// The transaction's hash.
    pub tx_hash: String,
}

impl Provenance {
    fn new(block_number: i64, tx_hash: &[u8]) -> Result<Self, ApiError> {
        Ok(Self {
            block_number: block_number as u64,
            tx_hash: hex_hash(tx_hash)?,
        })
    }
}

// ---------------------------------------------------------------------- health and status

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
async fn health(State(state): State<AppState>) -> ApiResult<Health> {
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
    /// The last block whose rows are committed (`null` before the first range).
    pub indexed_block: Option<u64>,
    /// Its hash.
    pub indexed_block_hash: Option<String>,
    /// The node's head at the indexer's last poll (`null` if the API runs
    /// without an indexer or before its first poll).
    pub head: Option<u64>,
    /// Reorgs repaired since the indexer started.
    pub reorgs: u64,
}

/// Sync status: chain, contract, indexed block and hash, head.
#[utoipa::path(get, path = "/status", responses(
    (status = 200, description = "Sync status", body = Status),
    (status = 503, description = "The database cannot be reached", body = ErrorBody),
))]
async fn status(State(state): State<AppState>) -> ApiResult<Status> {
    let mut conn = state.pool.acquire().await?;
    let checkpoint = db::checkpoint(&mut conn).await?;
    Ok(Json(Status {
        chain_id: state.meta.chain_id,
        contract: state.meta.contract.to_checksum(None),
        indexed_block: checkpoint.map(|cp| cp.number),
        indexed_block_hash: checkpoint.map(|cp| cp.hash.to_string()),
        head: state.sync.head(),
        reorgs: state.sync.reorgs(),
    }))
}

// ---------------------------------------------------------------------- datasets

/// A dataset as it stands now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetSummary {
    /// The dataset id (decimal).
    pub id: String,
    /// Its creator.
    pub creator: String,
    /// `Active`, `Paused` or `Retired`.
    pub status: String,
    /// Versions published (registration is version 1).
    pub version_count: u32,
    /// The latest version's manifest hash (sha256 of the canonical manifest).
    pub manifest_hash: String,
    /// The latest version's manifest URI.
    pub uri: String,
    /// The current split's hash.
    pub split_hash: String,
    /// The current terms hash (what `dataset(id).termsHash` answers).
    pub terms_hash: String,
    /// Where it was registered.
    pub registered: Provenance,
}

/// A page of datasets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetPage {
    /// The datasets, by id.
    pub items: Vec<DatasetSummary>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A dataset with its versions and current terms.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetDetail {
    /// The dataset as it stands now.
    #[serde(flatten)]
    pub dataset: DatasetSummary,
    /// Every version, oldest first.
    pub versions: Vec<Version>,
    /// The split and offers in force.
    pub terms: CurrentTerms,
}

/// One published version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Version {
    /// Its number (from 1).
    pub version: u32,
    /// The manifest's sha256.
    pub manifest_hash: String,
    /// Where the manifest lives.
    pub uri: String,
    /// Where it was anchored.
    pub published: Provenance,
}

/// A dataset's split and offers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CurrentTerms {
    /// `keccak256(abi.encode(payees, shares))`.
    pub split_hash: String,
    /// The terms hash the registry stores.
    pub terms_hash: String,
    /// The payees, ascending.
    pub payees: Vec<Payee>,
    /// The licence offers, by index.
    pub offers: Vec<OfferView>,
    /// Where these terms were set.
    pub set: Provenance,
}

/// A payee of a split.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Payee {
    /// The payee's address.
    pub account: String,
    /// Its shares.
    pub shares: u32,
}

/// A licence offer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferView {
    /// Its index in the terms (the `offerIndex` of a purchase).
    pub index: u32,
    /// `OneOff`, `RoyaltyLinked`, `Subscription` or `Custom`.
    pub kind: String,
    /// The payment token: `0x0…0` for ETH, `0x…0C4ED175` for credits, or an ERC-20.
    pub payment_token: String,
    /// The price, in the token's smallest unit (decimal).
    pub price: String,
    /// Seconds the licence lasts (0: perpetual; decimal).
    pub duration: String,
    /// Whether the licence token may be transferred.
    pub transferable: bool,
    /// Royalty on reported revenue, in basis points.
    pub royalty_bps: u16,
    /// Most licences sold under this offer (0: no cap).
    pub supply_cap: u32,
    /// The hash of the licence text.
    pub terms_hash: String,
    /// `keccak256(abi.encode(offer))`, as `LicenceIssued.offerHash` carries it.
    pub offer_hash: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DatasetParams {
    /// Only datasets of this creator.
    creator: Option<String>,
    /// Only datasets in this status: `Active`, `Paused` or `Retired`.
    status: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, FromRow)]
struct DatasetRow {
    id: String,
    creator: Vec<u8>,
    status: i16,
    version: i64,
    manifest_hash: Vec<u8>,
    uri: String,
    split_hash: Vec<u8>,
    terms_hash: Vec<u8>,
    block_number: i64,
    tx_hash: Vec<u8>,
}

impl DatasetRow {
    fn into_summary(self) -> Result<DatasetSummary, ApiError> {
        let status = u8::try_from(self.status)
            .ok()
            .and_then(|byte| tributary_core::chain::DatasetStatus::try_from(byte).ok())
            .map_or_else(
                || format!("Unknown({})", self.status),
                |s| s.name().to_owned(),
            );
        Ok(DatasetSummary {
            id: self.id,
            creator: hex_address(&self.creator)?,
            status,
            version_count: self.version as u32,
            manifest_hash: hex_hash(&self.manifest_hash)?,
            uri: self.uri,
            split_hash: hex_hash(&self.split_hash)?,
            terms_hash: hex_hash(&self.terms_hash)?,
            registered: Provenance::new(self.block_number, &self.tx_hash)?,
        })
    }
}

/// The dataset query up to its WHERE clause: each dataset with its current
/// status (Active without a StatusChanged), latest version and latest terms.
macro_rules! dataset_select {
    () => {
        "SELECT d.dataset_id::TEXT AS id, d.creator, COALESCE(s.status, 1::SMALLINT) AS status,
                v.version, v.manifest_hash, v.uri, t.split_hash, t.terms_hash,
                d.block_number, d.tx_hash
         FROM datasets d
         LEFT JOIN LATERAL (
             SELECT status FROM dataset_status_changes s WHERE s.dataset_id = d.dataset_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) s ON TRUE
         JOIN LATERAL (
             SELECT version, manifest_hash, uri FROM dataset_versions v
             WHERE v.dataset_id = d.dataset_id ORDER BY version DESC LIMIT 1) v ON TRUE
         JOIN LATERAL (
             SELECT split_hash, terms_hash FROM dataset_terms t WHERE t.dataset_id = d.dataset_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) t ON TRUE "
    };
}

/// Datasets by id, optionally of one creator or in one status.
#[utoipa::path(get, path = "/datasets", params(DatasetParams), responses(
    (status = 200, description = "A page of datasets", body = DatasetPage),
    (status = 400, description = "Malformed creator, status, limit or cursor", body = ErrorBody),
))]
async fn list_datasets(
    State(state): State<AppState>,
    params: Result<Query<DatasetParams>, QueryRejection>,
) -> ApiResult<DatasetPage> {
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = params
        .cursor
        .as_deref()
        .map(|cursor| uint("cursor", cursor).map_err(|_| bad_cursor()))
        .transpose()?;
    let creator = params
        .creator
        .as_deref()
        .map(|creator| address("creator", creator))
        .transpose()?;
    let status = params
        .status
        .as_deref()
        .map(|name| {
            tributary_core::chain::DatasetStatus::ALL
                .iter()
                .skip(1) // `None` is never a registered dataset's status
                .find(|status| status.name().eq_ignore_ascii_case(name))
                .map(|&status| i16::from(u8::from(status)))
                .ok_or_else(|| {
                    ApiError::BadRequest("status must be Active, Paused or Retired".into())
                })
        })
        .transpose()?;
    let rows: Vec<DatasetRow> = sqlx::query_as(concat!(
        dataset_select!(),
        "WHERE ($1::NUMERIC IS NULL OR d.dataset_id > $1::NUMERIC)
           AND ($2::BYTEA IS NULL OR d.creator = $2)
           AND ($3::SMALLINT IS NULL OR COALESCE(s.status, 1::SMALLINT) = $3)
         ORDER BY d.dataset_id LIMIT $4"
    ))
    .bind(after.map(|id| id.to_string()))
    .bind(creator.map(|creator| creator.to_vec()))
    .bind(status)
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| rows.last().map(|row| row.id.clone()))
        .flatten();
    let items = rows
        .into_iter()
        .map(DatasetRow::into_summary)
        .collect::<Result<_, _>>()?;
    Ok(Json(DatasetPage { items, next_cursor }))
}

/// One dataset with its versions and current terms.
#[utoipa::path(get, path = "/datasets/{id}",
    params(("id" = String, Path, description = "The dataset id (decimal)")),
    responses(
        (status = 200, description = "The dataset", body = DatasetDetail),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No dataset has this id", body = ErrorBody),
    ))]
async fn get_dataset(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<DatasetDetail> {
    let Path(id) = id.map_err(|_| ApiError::BadRequest("bad dataset id".into()))?;
    let id = uint("dataset id", &id)?.to_string();
    let row: Option<DatasetRow> = sqlx::query_as(concat!(
        dataset_select!(),
        "WHERE d.dataset_id = $1::NUMERIC"
    ))
    .bind(&id)
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::NotFound(format!("no dataset {id}")));
    };
    let dataset = row.into_summary()?;

    let versions = sqlx::query_as::<_, (i64, Vec<u8>, String, i64, Vec<u8>)>(
        "SELECT version, manifest_hash, uri, block_number, tx_hash FROM dataset_versions
         WHERE dataset_id = $1::NUMERIC ORDER BY version",
    )
    .bind(&id)
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|(version, manifest_hash, uri, block_number, tx_hash)| {
        Ok(Version {
            version: version as u32,
            manifest_hash: hex_hash(&manifest_hash)?,
            uri,
            published: Provenance::new(block_number, &tx_hash)?,
        })
    })
    .collect::<Result<Vec<_>, ApiError>>()?;

    let (split_hash, terms_hash, payees, shares, block_number, log_index, tx_hash) =
        sqlx::query_as::<_, (Vec<u8>, Vec<u8>, Vec<Vec<u8>>, Vec<i64>, i64, i64, Vec<u8>)>(
            "SELECT split_hash, terms_hash, payees, shares, block_number, log_index, tx_hash
             FROM dataset_terms WHERE dataset_id = $1::NUMERIC
             ORDER BY block_number DESC, log_index DESC LIMIT 1",
        )
        .bind(&id)
        .fetch_one(&state.pool)
        .await?;
    let payees = payees
        .iter()
        .zip(&shares)
        .map(|(account, &shares)| {
            Ok(Payee {
                account: hex_address(account)?,
                shares: shares as u32,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let offers = sqlx::query_as::<_, OfferRow>(
        "SELECT offer_index, kind, payment_token, price::TEXT AS price, duration::TEXT AS duration,
                transferable, royalty_bps, supply_cap, terms_hash, offer_hash
         FROM terms_offers WHERE block_number = $1 AND log_index = $2 ORDER BY offer_index",
    )
    .bind(block_number)
    .bind(log_index)
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(OfferRow::into_view)
    .collect::<Result<Vec<_>, _>>()?;

    Ok(Json(DatasetDetail {
        dataset,
        versions,
        terms: CurrentTerms {
            split_hash: hex_hash(&split_hash)?,
            terms_hash: hex_hash(&terms_hash)?,
            payees,
            offers,
            set: Provenance::new(block_number, &tx_hash)?,
        },
    }))
}

#[derive(Debug, FromRow)]
struct OfferRow {
    offer_index: i32,
    kind: i16,
    payment_token: Vec<u8>,
    price: String,
    duration: String,
    transferable: bool,
    royalty_bps: i32,
    supply_cap: i64,
    terms_hash: Vec<u8>,
    offer_hash: Vec<u8>,
}

impl OfferRow {
    fn into_view(self) -> Result<OfferView, ApiError> {
        Ok(OfferView {
            index: self.offer_index as u32,
            kind: kind_name(self.kind),
            payment_token: hex_address(&self.payment_token)?,
            price: self.price,
            duration: self.duration,
            transferable: self.transferable,
            royalty_bps: self.royalty_bps as u16,
            supply_cap: self.supply_cap as u32,
            terms_hash: hex_hash(&self.terms_hash)?,
            offer_hash: hex_hash(&self.offer_hash)?,
        })
    }
}

fn kind_name(kind: i16) -> String {
    u8::try_from(kind)
        .ok()
        .and_then(|byte| tributary_core::chain::OfferKind::try_from(byte).ok())
        .map_or_else(|| format!("Unknown({kind})"), |kind| kind.name().to_owned())
}

// ---------------------------------------------------------------------- licences

/// A licence token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Licence {
    /// The token id (decimal).
    pub token_id: String,
    /// The dataset licensed (decimal).
    pub dataset_id: String,
    /// Who holds it now (the last ERC-721 transfer's recipient).
    pub holder: String,
    /// Who it was issued to.
    pub issued_to: String,
    /// `keccak256(abi.encode(offer))` of the offer bought.
    pub offer_hash: String,
    /// The dataset version current at issue.
    pub version: u32,
    /// Unix time it expires (decimal; `18446744073709551615`: perpetual).
    pub expires_at: String,
    /// Zero for wallet payments, the credit payment id, or the custom receipt hash.
    pub payment_ref: String,
    /// Bought with credits that were later reversed.
    pub flagged: bool,
    /// Where it was issued.
    pub issued: Provenance,
}

/// A page of licences.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LicencePage {
    /// The licences, by token id.
    pub items: Vec<Licence>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LicenceParams {
    /// Only licences this address holds now.
    holder: Option<String>,
    /// Only licences of this dataset (decimal id).
    dataset: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, FromRow)]
struct LicenceRow {
    token_id: String,
    dataset_id: String,
    holder: Vec<u8>,
    issued_to: Vec<u8>,
    offer_hash: Vec<u8>,
    version: i64,
    expires_at: String,
    payment_ref: Vec<u8>,
    flagged: bool,
    block_number: i64,
    tx_hash: Vec<u8>,
}

/// Licences by token id, by current holder and/or dataset.
#[utoipa::path(get, path = "/licences", params(LicenceParams), responses(
    (status = 200, description = "A page of licences", body = LicencePage),
    (status = 400, description = "Malformed holder, dataset, limit or cursor", body = ErrorBody),
))]
async fn list_licences(
    State(state): State<AppState>,
    params: Result<Query<LicenceParams>, QueryRejection>,
) -> ApiResult<LicencePage> {
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = params
        .cursor
        .as_deref()
        .map(|cursor| uint("cursor", cursor).map_err(|_| bad_cursor()))
        .transpose()?;
    let holder = params
        .holder
        .as_deref()
        .map(|holder| address("holder", holder))
        .transpose()?;
    let dataset = params
        .dataset
        .as_deref()
        .map(|dataset| uint("dataset", dataset))
        .transpose()?;
    let rows: Vec<LicenceRow> = sqlx::query_as(
        "SELECT l.token_id::TEXT AS token_id, l.dataset_id::TEXT AS dataset_id,
                COALESCE(h.to_address, l.holder) AS holder, l.holder AS issued_to, l.offer_hash,
                l.version, l.expires_at::TEXT AS expires_at, l.payment_ref,
                EXISTS (SELECT 1 FROM licence_flags f WHERE f.token_id = l.token_id) AS flagged,
                l.block_number, l.tx_hash
         FROM licences l
         LEFT JOIN LATERAL (
             SELECT to_address FROM licence_transfers t WHERE t.token_id = l.token_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) h ON TRUE
         WHERE ($1::NUMERIC IS NULL OR l.token_id > $1::NUMERIC)
           AND ($2::NUMERIC IS NULL OR l.dataset_id = $2::NUMERIC)
           AND ($3::BYTEA IS NULL OR COALESCE(h.to_address, l.holder) = $3)
         ORDER BY l.token_id LIMIT $4",
    )
    .bind(after.map(|id| id.to_string()))
    .bind(dataset.map(|id| id.to_string()))
    .bind(holder.map(|holder| holder.to_vec()))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| rows.last().map(|row| row.token_id.clone()))
        .flatten();
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(Licence {
                token_id: row.token_id,
                dataset_id: row.dataset_id,
                holder: hex_address(&row.holder)?,
                issued_to: hex_address(&row.issued_to)?,
                offer_hash: hex_hash(&row.offer_hash)?,
                version: row.version as u32,
                expires_at: row.expires_at,
                payment_ref: hex_hash(&row.payment_ref)?,
                flagged: row.flagged,
                issued: Provenance::new(row.block_number, &row.tx_hash)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(LicencePage { items, next_cursor }))
}

// ---------------------------------------------------------------------- payments

/// A payment received by a dataset's split.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    /// The dataset paid for (decimal).
    pub dataset_id: String,
    /// The split that received it.
    pub split_hash: String,
    /// The token: `0x0…0` for ETH, `0x…0C4ED175` for credits, or an ERC-20.
    pub token: String,
    /// Who paid.
    pub payer: String,
    /// What reached the split, after the protocol fee (decimal).
    pub amount: String,
    /// The protocol fee (decimal).
    pub fee: String,
    /// The log's index in its block.
    pub log_index: u64,
    /// Where it was paid.
    pub paid: Provenance,
}

/// A page of payments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentPage {
    /// The payments, in chain order.
    pub items: Vec<Payment>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PaymentParams {
    /// Only payments for this dataset (decimal id).
    dataset: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, FromRow)]
struct PaymentRow {
    dataset_id: String,
    split_hash: Vec<u8>,
    token: Vec<u8>,
    payer: Vec<u8>,
    amount: String,
    fee: String,
    block_number: i64,
    log_index: i64,
    tx_hash: Vec<u8>,
}

/// Payments received, in chain order, optionally for one dataset.
#[utoipa::path(get, path = "/payments", params(PaymentParams), responses(
    (status = 200, description = "A page of payments", body = PaymentPage),
    (status = 400, description = "Malformed dataset, limit or cursor", body = ErrorBody),
))]
async fn list_payments(
    State(state): State<AppState>,
    params: Result<Query<PaymentParams>, QueryRejection>,
) -> ApiResult<PaymentPage> {
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = params
        .cursor
        .as_deref()
        .map(|cursor| {
            let (block, index) = cursor.split_once('-').ok_or_else(bad_cursor)?;
            let block = block.parse::<i64>().ok().filter(|n| *n >= 0);
            let index = index.parse::<i64>().ok().filter(|n| *n >= 0);
            block.zip(index).ok_or_else(bad_cursor)
        })
        .transpose()?;
    let dataset = params
        .dataset
        .as_deref()
        .map(|dataset| uint("dataset", dataset))
        .transpose()?;
    let rows: Vec<PaymentRow> = sqlx::query_as(
        "SELECT dataset_id::TEXT AS dataset_id, split_hash, token, payer, amount::TEXT AS amount,
                fee::TEXT AS fee, block_number, log_index, tx_hash
         FROM payments
         WHERE ($1::NUMERIC IS NULL OR dataset_id = $1::NUMERIC)
           AND ($2::BIGINT IS NULL OR (block_number, log_index) > ($2, $3))
         ORDER BY block_number, log_index LIMIT $4",
    )
    .bind(dataset.map(|id| id.to_string()))
    .bind(after.map(|(block, _)| block))
    .bind(after.map(|(_, index)| index))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|row| format!("{}-{}", row.block_number, row.log_index))
        })
        .flatten();
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(Payment {
                dataset_id: row.dataset_id,
                split_hash: hex_hash(&row.split_hash)?,
                token: hex_address(&row.token)?,
                payer: hex_address(&row.payer)?,
                amount: row.amount,
                fee: row.fee,
                log_index: row.log_index as u64,
                paid: Provenance::new(row.block_number, &row.tx_hash)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(PaymentPage { items, next_cursor }))
}

/// The first `limit` rows of `rows` (fetched with `limit + 1`), and whether more follow.
fn page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}
