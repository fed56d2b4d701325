//! Money: payments received by datasets' splits, and releases to payees.

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    input::{
        Provenance, address, chain_cursor, chain_cursor_of, hash, hex_address, hex_hash, limit,
        page, query, uint,
    },
};

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
pub(crate) struct PaymentParams {
    /// Only payments for this dataset (decimal id).
    dataset: Option<String>,
    /// Only payments for datasets of this creator.
    creator: Option<String>,
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

/// Payments received, in chain order, optionally for one dataset or for the
/// datasets of one creator.
#[utoipa::path(get, path = "/payments", params(PaymentParams), responses(
    (status = 200, description = "A page of payments", body = PaymentPage),
    (status = 400, description = "Malformed dataset, creator, limit or cursor", body = ErrorBody),
))]
pub(crate) async fn list_payments(
    State(state): State<AppState>,
    params: Result<Query<PaymentParams>, QueryRejection>,
) -> ApiResult<PaymentPage> {
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = chain_cursor(params.cursor.as_deref())?;
    let dataset = params
        .dataset
        .as_deref()
        .map(|dataset| uint("dataset", dataset))
        .transpose()?;
    let creator = params
        .creator
        .as_deref()
        .map(|creator| address("creator", creator))
        .transpose()?;
    let rows: Vec<PaymentRow> = sqlx::query_as(
        "SELECT p.dataset_id::TEXT AS dataset_id, p.split_hash, p.token, p.payer,
                p.amount::TEXT AS amount, p.fee::TEXT AS fee, p.block_number, p.log_index,
                p.tx_hash
         FROM payments p
         WHERE ($1::NUMERIC IS NULL OR p.dataset_id = $1::NUMERIC)
           AND ($2::BIGINT IS NULL OR (p.block_number, p.log_index) > ($2, $3))
           AND ($5::BYTEA IS NULL OR p.dataset_id IN
                (SELECT d.dataset_id FROM datasets d WHERE d.creator = $5))
         ORDER BY p.block_number, p.log_index LIMIT $4",
    )
    .bind(dataset.map(|id| id.to_string()))
    .bind(after.map(|(block, _)| block))
    .bind(after.map(|(_, index)| index))
    .bind(limit + 1)
    .bind(creator.map(|creator| creator.to_vec()))
    .fetch_all(&state.pool)
    .await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|row| chain_cursor_of(row.block_number, row.log_index))
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

/// A release paid out of a split to one payee.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Release {
    /// Who was paid.
    pub payee: String,
    /// The split released from.
    pub split_hash: String,
    /// The token: `0x0…0` for ETH, `0x…0C4ED175` for credits (a fiat payout order), or an ERC-20.
    pub token: String,
    /// The amount paid (decimal).
    pub amount: String,
    /// The log's index in its block.
    pub log_index: u64,
    /// Where it was paid.
    pub released: Provenance,
}

/// A page of releases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReleasePage {
    /// The releases, in chain order.
    pub items: Vec<Release>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReleaseParams {
    /// Only releases to this payee.
    payee: Option<String>,
    /// Only releases from this split (32-byte hex).
    split: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, FromRow)]
struct ReleaseRow {
    payee: Vec<u8>,
    split_hash: Vec<u8>,
    token: Vec<u8>,
    amount: String,
    block_number: i64,
    log_index: i64,
    tx_hash: Vec<u8>,
}

/// Releases to payees, in chain order, optionally to one payee or from one split.
#[utoipa::path(get, path = "/releases", params(ReleaseParams), responses(
    (status = 200, description = "A page of releases", body = ReleasePage),
    (status = 400, description = "Malformed payee, split, limit or cursor", body = ErrorBody),
))]
pub(crate) async fn list_releases(
    State(state): State<AppState>,
    params: Result<Query<ReleaseParams>, QueryRejection>,
) -> ApiResult<ReleasePage> {
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = chain_cursor(params.cursor.as_deref())?;
    let payee = params
        .payee
        .as_deref()
        .map(|payee| address("payee", payee))
        .transpose()?;
    let split = params
        .split
        .as_deref()
        .map(|split| hash("split", split))
        .transpose()?;
    let rows: Vec<ReleaseRow> = sqlx::query_as(
        "SELECT payee, split_hash, token, amount::TEXT AS amount, block_number, log_index, tx_hash
         FROM releases
         WHERE ($1::BYTEA IS NULL OR payee = $1)
           AND ($2::BYTEA IS NULL OR split_hash = $2)
           AND ($3::BIGINT IS NULL OR (block_number, log_index) > ($3, $4))
         ORDER BY block_number, log_index LIMIT $5",
    )
    .bind(payee.map(|payee| payee.to_vec()))
    .bind(split.map(|split| split.to_vec()))
    .bind(after.map(|(block, _)| block))
    .bind(after.map(|(_, index)| index))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|row| chain_cursor_of(row.block_number, row.log_index))
        })
        .flatten();
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(Release {
                payee: hex_address(&row.payee)?,
                split_hash: hex_hash(&row.split_hash)?,
                token: hex_address(&row.token)?,
                amount: row.amount,
                log_index: row.log_index as u64,
                released: Provenance::new(row.block_number, &row.tx_hash)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(ReleasePage { items, next_cursor }))
}
