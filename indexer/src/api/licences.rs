//! Licences: tokens by holder or dataset, and whether an account is licensed.

use alloy::primitives::{Address, U256};
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    input::{Provenance, address, bad_cursor, hex_address, hex_hash, limit, page, query, uint},
};

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
pub(crate) struct LicenceParams {
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
pub(crate) async fn list_licences(
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
    let rows = licence_rows(&state, after, dataset, holder, None, limit + 1).await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| rows.last().map(|row| row.token_id.clone()))
        .flatten();
    let items = rows
        .into_iter()
        .map(LicenceRow::into_licence)
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(LicencePage { items, next_cursor }))
}

impl LicenceRow {
    fn into_licence(self) -> Result<Licence, ApiError> {
        Ok(Licence {
            token_id: self.token_id,
            dataset_id: self.dataset_id,
            holder: hex_address(&self.holder)?,
            issued_to: hex_address(&self.issued_to)?,
            offer_hash: hex_hash(&self.offer_hash)?,
            version: self.version as u32,
            expires_at: self.expires_at,
            payment_ref: hex_hash(&self.payment_ref)?,
            flagged: self.flagged,
            issued: Provenance::new(self.block_number, &self.tx_hash)?,
        })
    }
}

/// Licences by token id after `after`, filtered; `limit` rows at most.
async fn licence_rows(
    state: &AppState,
    after: Option<U256>,
    dataset: Option<U256>,
    holder: Option<Address>,
    token: Option<U256>,
    limit: i64,
) -> Result<Vec<LicenceRow>, ApiError> {
    // The holder is the recipient of a token's latest transfer (mints
    // included); with a holder given, only tokens ever sent to it are read.
    Ok(sqlx::query_as(
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
           AND ($3::BYTEA IS NULL OR (COALESCE(h.to_address, l.holder) = $3 AND l.token_id IN
                (SELECT t.token_id FROM licence_transfers t WHERE t.to_address = $3)))
           AND ($5::NUMERIC IS NULL OR l.token_id = $5::NUMERIC)
         ORDER BY l.token_id LIMIT $4",
    )
    .bind(after.map(|id| id.to_string()))
    .bind(dataset.map(|id| id.to_string()))
    .bind(holder.map(|holder| holder.to_vec()))
    .bind(limit)
    .bind(token.map(|id| id.to_string()))
    .fetch_all(&state.pool)
    .await?)
}

/// One licence token.
#[utoipa::path(get, path = "/licences/{token_id}",
    params(("token_id" = String, Path, description = "The token id (decimal)")),
    responses(
        (status = 200, description = "The licence", body = Licence),
        (status = 400, description = "Malformed token id", body = ErrorBody),
        (status = 404, description = "No licence has this token id", body = ErrorBody),
    ))]
pub(crate) async fn get_licence(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<Licence> {
    let Path(token) = token.map_err(|_| ApiError::BadRequest("bad token id".into()))?;
    let token = uint("token id", &token)?;
    let row = licence_rows(&state, None, None, None, Some(token), 1)
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no licence {token}")))?;
    Ok(Json(row.into_licence()?))
}

/// Whether an account holds a live licence of a dataset, as of the mirror's
/// last indexed block.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LicensedAnswer {
    /// The account asked about.
    pub account: String,
    /// The dataset asked about (decimal).
    pub dataset_id: String,
    /// Licensed at `at`: a licence token it holds expires after `at.timestamp`, or the dataset
    /// is `Active` and the account's recorded flow to one of its subscription pools is at
    /// least that token's minimum (see `licensed_by`). A flow whose sender has run dry but
    /// was not liquidated yet still counts here (the chain's view says false): the mirror
    /// sees flows, not balances.
    pub licensed: bool,
    /// What licenses it: `licence` (a live licence token) and/or `stream` (a sufficient flow
    /// to an active dataset's pool); empty when not licensed.
    pub licensed_by: Vec<String>,
    /// The dataset's status (`Active`, `Paused`, `Retired`): a subscription licenses only an
    /// active dataset.
    pub dataset_status: String,
    /// The subscriptions offered now (one per Super Token) and the account's flow to each.
    pub streams: Vec<super::streams::StreamLicence>,
    /// The latest expiry of the licences it holds (decimal Unix time; `0`
    /// when it holds none; `18446744073709551615`: perpetual).
    pub licensed_until: String,
    /// The licences of the dataset it holds, by token id.
    pub token_ids: Vec<String>,
    /// The block the answer is valid at: the mirror's last indexed block.
    pub at: IndexedBlock,
}

/// A block of the mirror.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IndexedBlock {
    /// Its number.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: String,
    /// Its timestamp (Unix seconds).
    pub timestamp: u64,
}

#[derive(Debug, FromRow)]
struct LicensedRow {
    block_number: i64,
    block_hash: Vec<u8>,
    timestamp: Option<i64>,
    dataset_known: bool,
    until: Option<String>,
    token_ids: Vec<String>,
}

/// `DatasetStatus.Active`.
const ACTIVE: i16 = 1;

/// `isLicensed(account, dataset)` answered from the mirror, with the block
/// it is valid at.
///
/// The answer is the truth of the mirrored events: the account holds a
/// licence of the dataset expiring after the block's timestamp, or (as
/// `TributaryStreams.isLicensed`) the dataset is active and the account's
/// recorded GDA flow to one of its subscription pools is at least that
/// token's minimum. The contract's O(1) index can under-state one corner
/// until `refreshLicence` is called (a holder who sold its longest-running
/// licence of a dataset and kept a shorter one); the mirror does not. The
/// chain also ends a subscription as soon as the subscriber's Super Token
/// balance runs dry (`isAccountCriticalNow`); the mirror sees no balances,
/// so it keeps saying `stream` until the flow is closed or liquidated
/// (liquidation sets the flow to 0 in its block).
#[utoipa::path(get, path = "/datasets/{id}/licensed/{account}",
    params(
        ("id" = String, Path, description = "The dataset id (decimal)"),
        ("account" = String, Path, description = "The account (0x address)"),
    ),
    responses(
        (status = 200, description = "The answer and the block it is valid at", body = LicensedAnswer),
        (status = 400, description = "Malformed id or account", body = ErrorBody),
        (status = 404, description = "No dataset has this id", body = ErrorBody),
        (status = 503, description = "Nothing indexed yet", body = ErrorBody),
    ))]
pub(crate) async fn is_licensed(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<LicensedAnswer> {
    let Path((id, account)) =
        path.map_err(|_| ApiError::BadRequest("bad dataset id or account".into()))?;
    let dataset = uint("dataset id", &id)?;
    let account = address("account", &account)?;
    // One snapshot: the block, the licences and the flows agree.
    let mut tx = super::streams::snapshot(&state).await?;
    let row: Option<LicensedRow> = sqlx::query_as(
        "WITH held AS (
             SELECT l.token_id, l.expires_at FROM licences l
             WHERE l.dataset_id = $1::NUMERIC
               AND l.token_id IN (SELECT t.token_id FROM licence_transfers t WHERE t.to_address = $2)
               AND (SELECT t.to_address FROM licence_transfers t WHERE t.token_id = l.token_id
                    ORDER BY t.block_number DESC, t.log_index DESC LIMIT 1) = $2)
         SELECT c.block_number, c.block_hash, b.timestamp,
                EXISTS (SELECT 1 FROM datasets d WHERE d.dataset_id = $1::NUMERIC) AS dataset_known,
                (SELECT max(expires_at)::TEXT FROM held) AS until,
                ARRAY(SELECT token_id::TEXT FROM held ORDER BY token_id) AS token_ids
         FROM checkpoint c LEFT JOIN blocks b ON b.number = c.block_number",
    )
    .bind(dataset.to_string())
    .bind(account.to_vec())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::NotReady("nothing is indexed yet".into()));
    };
    if !row.dataset_known {
        return Err(ApiError::NotFound(format!("no dataset {dataset}")));
    }
    let status = super::streams::dataset_status(&mut tx, &dataset.to_string())
        .await?
        .unwrap_or(ACTIVE);
    let streams =
        super::streams::stream_licences(&mut tx, &dataset.to_string(), account.as_slice()).await?;
    tx.commit().await?;
    let timestamp = row.timestamp.ok_or_else(|| {
        tracing::error!(
            block = row.block_number,
            "the checkpoint's block is not in the window"
        );
        ApiError::Internal
    })? as u64;
    let until = row.until.unwrap_or_else(|| "0".to_owned());
    let by_licence = until.parse::<u64>().is_ok_and(|until| until > timestamp);
    let by_stream = status == ACTIVE && streams.iter().any(|stream| stream.sufficient);
    let licensed_by: Vec<String> = [(by_licence, "licence"), (by_stream, "stream")]
        .into_iter()
        .filter(|(yes, _)| *yes)
        .map(|(_, what)| what.to_owned())
        .collect();
    Ok(Json(LicensedAnswer {
        account: account.to_checksum(None),
        dataset_id: dataset.to_string(),
        licensed: by_licence || by_stream,
        licensed_by,
        dataset_status: super::streams::status_name(status),
        streams,
        licensed_until: until,
        token_ids: row.token_ids,
        at: IndexedBlock {
            block_number: row.block_number as u64,
            block_hash: hex_hash(&row.block_hash)?,
            timestamp,
        },
    }))
}
