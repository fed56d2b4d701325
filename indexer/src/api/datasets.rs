//! Datasets: the registry as it stands, with versions, terms and provenance.

use alloy::primitives::U256;
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgPool};
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    input::{Provenance, address, bad_cursor, hex_address, hex_hash, limit, page, query, uint},
};

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
    /// The latest version's manifest title, once the indexer has fetched and checked the
    /// manifest (`--manifest-store`); `null` until then.
    pub title: Option<String>,
    /// The latest version's manifest description, when it has one and was fetched.
    pub description: Option<String>,
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
pub(crate) struct DatasetParams {
    /// Only datasets of this creator.
    creator: Option<String>,
    /// Only datasets in this status: `Active`, `Paused` or `Retired`.
    status: Option<String>,
    /// Only datasets whose terms in force have an offer of this kind:
    /// `OneOff`, `RoyaltyLinked`, `Subscription` or `Custom`.
    kind: Option<String>,
    /// Only datasets whose latest manifest's title or description matches these words
    /// (PostgreSQL full-text search in `websearch_to_tsquery` syntax: words, `"a phrase"`,
    /// `or`, `-excluded`; case-insensitive, whole words). Only fetched manifests match.
    q: Option<String>,
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
    title: Option<String>,
    description: Option<String>,
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
            title: self.title,
            description: self.description,
            split_hash: hex_hash(&self.split_hash)?,
            terms_hash: hex_hash(&self.terms_hash)?,
            registered: Provenance::new(self.block_number, &self.tx_hash)?,
        })
    }
}

/// The dataset query up to its WHERE clause: each dataset with its current
/// status (Active without a StatusChanged), latest version with its fetched
/// manifest (if any) and latest terms.
macro_rules! dataset_select {
    () => {
        "SELECT d.dataset_id::TEXT AS id, d.creator, COALESCE(s.status, 1::SMALLINT) AS status,
                v.version, v.manifest_hash, v.uri, m.title, m.description,
                t.split_hash, t.terms_hash,
                d.block_number, d.tx_hash
         FROM datasets d
         LEFT JOIN LATERAL (
             SELECT status FROM dataset_status_changes s WHERE s.dataset_id = d.dataset_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) s ON TRUE
         JOIN LATERAL (
             SELECT version, manifest_hash, uri FROM dataset_versions v
             WHERE v.dataset_id = d.dataset_id ORDER BY version DESC LIMIT 1) v ON TRUE
         LEFT JOIN manifests m ON m.manifest_hash = v.manifest_hash AND m.fetched_at IS NOT NULL
         JOIN LATERAL (
             SELECT split_hash, terms_hash, block_number, log_index
             FROM dataset_terms t WHERE t.dataset_id = d.dataset_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) t ON TRUE "
    };
}

/// Datasets by id, optionally of one creator, in one status, with an offer of one kind, or
/// matching words of their manifest's title or description.
#[utoipa::path(get, path = "/datasets", params(DatasetParams), responses(
    (status = 200, description = "A page of datasets", body = DatasetPage),
    (status = 400, description = "Malformed creator, status, kind, q, limit or cursor; or q \
        while this indexer fetches no manifests", body = ErrorBody),
))]
pub(crate) async fn list_datasets(
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
    let kind = params
        .kind
        .as_deref()
        .map(|name| {
            tributary_core::chain::OfferKind::ALL
                .iter()
                .find(|kind| kind.name().eq_ignore_ascii_case(name))
                .map(|&kind| i16::from(u8::from(kind)))
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "kind must be OneOff, RoyaltyLinked, Subscription or Custom".into(),
                    )
                })
        })
        .transpose()?;
    let words = params
        .q
        .as_deref()
        .map(|q| search_words(q, state.manifest_search()))
        .transpose()?;
    let rows: Vec<DatasetRow> = sqlx::query_as(concat!(
        dataset_select!(),
        "WHERE ($1::NUMERIC IS NULL OR d.dataset_id > $1::NUMERIC)
           AND ($2::BYTEA IS NULL OR d.creator = $2)
           AND ($3::SMALLINT IS NULL OR COALESCE(s.status, 1::SMALLINT) = $3)
           AND ($5::SMALLINT IS NULL OR EXISTS (SELECT 1 FROM terms_offers o
                WHERE o.block_number = t.block_number AND o.log_index = t.log_index
                  AND o.kind = $5))
           AND ($6::TEXT IS NULL OR m.search @@ websearch_to_tsquery('simple', $6))
         ORDER BY d.dataset_id LIMIT $4"
    ))
    .bind(after.map(|id| id.to_string()))
    .bind(creator.map(|creator| creator.to_vec()))
    .bind(status)
    .bind(limit + 1)
    .bind(kind)
    .bind(words)
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

/// The `q` of a title search, checked: some words, at most 200 characters, and an indexer that
/// fetches manifests (else every search would answer nothing, silently).
fn search_words(q: &str, enabled: bool) -> Result<String, ApiError> {
    if !enabled {
        return Err(ApiError::BadRequest(
            "title search needs manifests: start the indexer with --manifest-store".into(),
        ));
    }
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 200 {
        return Err(ApiError::BadRequest(
            "q must hold 1 to 200 characters of search words".into(),
        ));
    }
    Ok(q.to_owned())
}

/// One dataset with its versions and current terms.
#[utoipa::path(get, path = "/datasets/{id}",
    params(("id" = String, Path, description = "The dataset id (decimal)")),
    responses(
        (status = 200, description = "The dataset", body = DatasetDetail),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No dataset has this id", body = ErrorBody),
    ))]
pub(crate) async fn get_dataset(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<DatasetDetail> {
    let Path(id) = id.map_err(|_| ApiError::BadRequest("bad dataset id".into()))?;
    let id = uint("dataset id", &id)?;
    match dataset_detail(&state.pool, id).await? {
        Some(detail) => Ok(Json(detail)),
        None => Err(ApiError::NotFound(format!("no dataset {id}"))),
    }
}

/// Dataset `id` as the mirror has it now, with its versions and current terms; `None` if no
/// dataset has this id (yet).
pub async fn dataset_detail(pool: &PgPool, id: U256) -> Result<Option<DatasetDetail>, ApiError> {
    let id = id.to_string();
    // One round trip: the dataset as the list shows it, plus its versions and the offers of
    // its terms in force as arrays, each aggregated in one index scan.
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT d.dataset_id::TEXT AS id, d.creator, COALESCE(s.status, 1::SMALLINT) AS status,
                v.version, v.manifest_hash, v.uri, m.title, m.description,
                t.split_hash, t.terms_hash, d.block_number, d.tx_hash,
                vs.numbers AS version_numbers, vs.hashes AS version_hashes, vs.uris AS version_uris,
                vs.blocks AS version_blocks, vs.txs AS version_txs,
                t.payees, t.shares, t.block_number AS terms_block, t.tx_hash AS terms_tx,
                o.indexes AS offer_indexes, o.kinds AS offer_kinds, o.tokens AS offer_tokens,
                o.prices AS offer_prices, o.durations AS offer_durations,
                o.transferables AS offer_transferables, o.royalties AS offer_royalties,
                o.caps AS offer_caps, o.terms_hashes AS offer_terms_hashes,
                o.offer_hashes AS offer_hashes
         FROM datasets d
         LEFT JOIN LATERAL (
             SELECT status FROM dataset_status_changes s WHERE s.dataset_id = d.dataset_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) s ON TRUE
         JOIN LATERAL (
             SELECT version, manifest_hash, uri FROM dataset_versions v
             WHERE v.dataset_id = d.dataset_id ORDER BY version DESC LIMIT 1) v ON TRUE
         LEFT JOIN manifests m ON m.manifest_hash = v.manifest_hash AND m.fetched_at IS NOT NULL
         JOIN LATERAL (
             SELECT split_hash, terms_hash, payees, shares, block_number, log_index, tx_hash
             FROM dataset_terms t WHERE t.dataset_id = d.dataset_id
             ORDER BY block_number DESC, log_index DESC LIMIT 1) t ON TRUE
         JOIN LATERAL (
             SELECT array_agg(version ORDER BY version) AS numbers,
                    array_agg(manifest_hash ORDER BY version) AS hashes,
                    array_agg(uri ORDER BY version) AS uris,
                    array_agg(block_number ORDER BY version) AS blocks,
                    array_agg(tx_hash ORDER BY version) AS txs
             FROM dataset_versions WHERE dataset_id = d.dataset_id) vs ON TRUE
         JOIN LATERAL (
             SELECT array_agg(offer_index ORDER BY offer_index) AS indexes,
                    array_agg(kind ORDER BY offer_index) AS kinds,
                    array_agg(payment_token ORDER BY offer_index) AS tokens,
                    array_agg(price::TEXT ORDER BY offer_index) AS prices,
                    array_agg(duration::TEXT ORDER BY offer_index) AS durations,
                    array_agg(transferable ORDER BY offer_index) AS transferables,
                    array_agg(royalty_bps ORDER BY offer_index) AS royalties,
                    array_agg(supply_cap ORDER BY offer_index) AS caps,
                    array_agg(terms_hash ORDER BY offer_index) AS terms_hashes,
                    array_agg(offer_hash ORDER BY offer_index) AS offer_hashes
             FROM terms_offers o
             WHERE o.block_number = t.block_number AND o.log_index = t.log_index) o ON TRUE
         WHERE d.dataset_id = $1::NUMERIC",
    )
    .bind(&id)
    .fetch_optional(pool)
    .await?;
    row.map(DetailRow::into_detail).transpose()
}

/// A dataset with its versions and current terms, as arrays (see `get_dataset`).
#[derive(Debug, FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    dataset: DatasetRow,
    version_numbers: Vec<i64>,
    version_hashes: Vec<Vec<u8>>,
    version_uris: Vec<String>,
    version_blocks: Vec<i64>,
    version_txs: Vec<Vec<u8>>,
    payees: Vec<Vec<u8>>,
    shares: Vec<i64>,
    terms_block: i64,
    terms_tx: Vec<u8>,
    offer_indexes: Option<Vec<i32>>,
    offer_kinds: Option<Vec<i16>>,
    offer_tokens: Option<Vec<Vec<u8>>>,
    offer_prices: Option<Vec<String>>,
    offer_durations: Option<Vec<String>>,
    offer_transferables: Option<Vec<bool>>,
    offer_royalties: Option<Vec<i32>>,
    offer_caps: Option<Vec<i64>>,
    offer_terms_hashes: Option<Vec<Vec<u8>>>,
    offer_hashes: Option<Vec<Vec<u8>>>,
}

impl DetailRow {
    fn into_detail(self) -> Result<DatasetDetail, ApiError> {
        let split_hash = hex_hash(&self.dataset.split_hash)?;
        let terms_hash = hex_hash(&self.dataset.terms_hash)?;
        let dataset = self.dataset.into_summary()?;
        let mut versions = Vec::with_capacity(self.version_numbers.len());
        for (i, &version) in self.version_numbers.iter().enumerate() {
            let (Some(hash), Some(uri), Some(&block), Some(tx)) = (
                self.version_hashes.get(i),
                self.version_uris.get(i),
                self.version_blocks.get(i),
                self.version_txs.get(i),
            ) else {
                tracing::error!(dataset = %dataset.id, "version arrays of unequal length");
                return Err(ApiError::Internal);
            };
            versions.push(Version {
                version: version as u32,
                manifest_hash: hex_hash(hash)?,
                uri: uri.clone(),
                published: Provenance::new(block, tx)?,
            });
        }
        let payees = self
            .payees
            .iter()
            .zip(&self.shares)
            .map(|(account, &shares)| {
                Ok(Payee {
                    account: hex_address(account)?,
                    shares: shares as u32,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let indexes = self.offer_indexes.unwrap_or_default();
        let (kinds, tokens, prices, durations, transferables, royalties, caps, terms, hashes) = (
            self.offer_kinds.unwrap_or_default(),
            self.offer_tokens.unwrap_or_default(),
            self.offer_prices.unwrap_or_default(),
            self.offer_durations.unwrap_or_default(),
            self.offer_transferables.unwrap_or_default(),
            self.offer_royalties.unwrap_or_default(),
            self.offer_caps.unwrap_or_default(),
            self.offer_terms_hashes.unwrap_or_default(),
            self.offer_hashes.unwrap_or_default(),
        );
        let mut offers = Vec::with_capacity(indexes.len());
        for (i, &index) in indexes.iter().enumerate() {
            let row = (|| {
                Some(OfferRow {
                    offer_index: index,
                    kind: *kinds.get(i)?,
                    payment_token: tokens.get(i)?.clone(),
                    price: prices.get(i)?.clone(),
                    duration: durations.get(i)?.clone(),
                    transferable: *transferables.get(i)?,
                    royalty_bps: *royalties.get(i)?,
                    supply_cap: *caps.get(i)?,
                    terms_hash: terms.get(i)?.clone(),
                    offer_hash: hashes.get(i)?.clone(),
                })
            })()
            .ok_or_else(|| {
                tracing::error!(dataset = %dataset.id, "offer arrays of unequal length");
                ApiError::Internal
            })?;
            offers.push(row.into_view()?);
        }
        Ok(DatasetDetail {
            dataset,
            versions,
            terms: CurrentTerms {
                split_hash,
                terms_hash,
                payees,
                offers,
                set: Provenance::new(self.terms_block, &self.terms_tx)?,
            },
        })
    }
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
