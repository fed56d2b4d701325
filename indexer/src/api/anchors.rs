//! Batch anchors: Merkle roots of many manifest hashes, and inclusion proofs
//! checked against them.

use alloy::primitives::B256;
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
    http::header,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use tributary_core::merkle;
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ErrorBody},
    input::{
        Provenance, address, chain_cursor, chain_cursor_of, hash, hex_address, hex_hash, limit,
        page, query,
    },
};

/// A batch anchored on-chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Anchor {
    /// The Merkle root of the batch.
    pub root: String,
    /// Who anchored it.
    pub anchorer: String,
    /// How many manifest hashes the batch holds.
    pub count: u32,
    /// Where the batch's list of manifest hashes lives.
    pub uri: String,
    /// The log's index in its block.
    pub log_index: u64,
    /// Where it was anchored.
    pub anchored: Provenance,
    /// The inclusion check asked for with `leaf` and `proof`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusion: Option<Inclusion>,
}

/// Whether a manifest hash is in a batch, by its proof.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Inclusion {
    /// The manifest hash asked about.
    pub manifest_hash: String,
    /// The proof given, sibling by sibling.
    pub proof: Vec<String>,
    /// The proof leads from the manifest hash's leaf to the root
    /// (what the registry's `verifyBatchInclusion` answers).
    pub included: bool,
}

/// A page of batch anchors.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnchorPage {
    /// The anchors, in chain order.
    pub items: Vec<Anchor>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AnchorParams {
    /// Only batches anchored by this address.
    anchorer: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InclusionParams {
    /// A manifest hash to check for inclusion (needs `proof`).
    manifest_hash: Option<String>,
    /// Its proof: comma-separated 32-byte hashes, leaf to root (may be empty
    /// for a batch of one).
    proof: Option<String>,
}

#[derive(Debug, FromRow)]
struct AnchorRow {
    root: Vec<u8>,
    anchorer: Vec<u8>,
    count: i64,
    uri: String,
    block_number: i64,
    log_index: i64,
    tx_hash: Vec<u8>,
}

impl AnchorRow {
    fn into_anchor(self) -> Result<Anchor, ApiError> {
        Ok(Anchor {
            root: hex_hash(&self.root)?,
            anchorer: hex_address(&self.anchorer)?,
            count: self.count as u32,
            uri: self.uri,
            log_index: self.log_index as u64,
            anchored: Provenance::new(self.block_number, &self.tx_hash)?,
            inclusion: None,
        })
    }
}

/// Batch anchors in chain order, optionally of one anchorer.
#[utoipa::path(get, path = "/anchors", params(AnchorParams), responses(
    (status = 200, description = "A page of batch anchors", body = AnchorPage),
    (status = 400, description = "Malformed anchorer, limit or cursor", body = ErrorBody),
))]
pub(crate) async fn list_anchors(
    State(state): State<AppState>,
    params: Result<Query<AnchorParams>, QueryRejection>,
) -> Result<Json<AnchorPage>, ApiError> {
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = chain_cursor(params.cursor.as_deref())?;
    let anchorer = params
        .anchorer
        .as_deref()
        .map(|anchorer| address("anchorer", anchorer))
        .transpose()?;
    let rows: Vec<AnchorRow> = sqlx::query_as(
        "SELECT root, anchorer, count, uri, block_number, log_index, tx_hash FROM batch_anchors
         WHERE ($1::BYTEA IS NULL OR anchorer = $1)
           AND ($2::BIGINT IS NULL OR (block_number, log_index) > ($2, $3))
         ORDER BY block_number, log_index LIMIT $4",
    )
    .bind(anchorer.map(|anchorer| anchorer.to_vec()))
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
        .map(AnchorRow::into_anchor)
        .collect::<Result<_, _>>()?;
    Ok(Json(AnchorPage { items, next_cursor }))
}

/// One batch anchor; with `manifest_hash` and `proof`, also whether the proof
/// shows that manifest hash in the batch. A final anchor (below the
/// finality depth) never changes and is served as immutable.
#[utoipa::path(get, path = "/anchors/{root}",
    params(("root" = String, Path, description = "The batch's Merkle root"), InclusionParams),
    responses(
        (status = 200, description = "The anchor", body = Anchor),
        (status = 400, description = "Malformed root, manifest hash or proof", body = ErrorBody),
        (status = 404, description = "No batch has this root", body = ErrorBody),
    ))]
pub(crate) async fn get_anchor(
    State(state): State<AppState>,
    root: Result<Path<String>, PathRejection>,
    params: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(root) = root.map_err(|_| ApiError::BadRequest("bad root".into()))?;
    let root = hash("root", &root)?;
    let params = query(params)?;
    let check = match (params.manifest_hash.as_deref(), params.proof.as_deref()) {
        (None, None) => None,
        (Some(manifest_hash), proof) => {
            let manifest_hash = hash("manifest_hash", manifest_hash)?;
            let proof = proof
                .unwrap_or_default()
                .split(',')
                .filter(|sibling| !sibling.is_empty())
                .map(|sibling| hash("each proof element", sibling))
                .collect::<Result<Vec<B256>, _>>()?;
            Some((manifest_hash, proof))
        }
        (None, Some(_)) => {
            return Err(ApiError::BadRequest(
                "proof needs the manifest_hash it proves".into(),
            ));
        }
    };
    let row: Option<AnchorRow> = sqlx::query_as(
        "SELECT root, anchorer, count, uri, block_number, log_index, tx_hash FROM batch_anchors
         WHERE root = $1",
    )
    .bind(root.as_slice())
    .fetch_optional(&state.pool)
    .await?;
    let row =
        row.ok_or_else(|| ApiError::NotFound(format!("no batch anchored with root {root}")))?;
    let final_row = state.is_final(row.block_number);
    let mut anchor = row.into_anchor()?;
    anchor.inclusion = check.map(|(manifest_hash, proof)| Inclusion {
        manifest_hash: manifest_hash.to_string(),
        included: merkle::verify(root, manifest_hash, &proof),
        proof: proof.iter().map(ToString::to_string).collect(),
    });
    let mut response = Json(anchor).into_response();
    if final_row {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(super::IMMUTABLE),
        );
    }
    Ok(response)
}
