//! Superfluid subscriptions: a dataset's pools, minimum rates, members and flows, and a pool
//! member's view of the flows it is paid from (docs/streaming.md, docs/api.md).
//!
//! "Streamed so far" is computed when read: each flow row holds what the distributor had
//! streamed up to its last update (`streamed_until_since`) and its rate since, so at the
//! mirror's last indexed block, of timestamp T, it has streamed
//! `streamed_until_since + flow_rate x (T - since_timestamp)`.

use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection};
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    input::{Provenance, address, bad_cursor, hex_address, hex_hash, limit, page, query, uint},
    licences::IndexedBlock,
};

/// A dataset's Superfluid subscriptions, as of the mirror's last indexed block.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetStreams {
    /// The dataset (decimal).
    pub dataset_id: String,
    /// `Active`, `Paused` or `Retired`: only an active dataset licenses subscribers.
    pub status: String,
    /// The terms hash of the dataset's last `sync` (`syncedTermsHash`); `null` if never synced.
    pub synced_terms_hash: Option<String>,
    /// One pool per Super Token ever offered (`poolTokens`), in creation order.
    pub pools: Vec<StreamPool>,
    /// The flows to those pools (closed ones too, at rate 0), by pool then distributor;
    /// a page of `limit`.
    pub flows: Vec<Flow>,
    /// Pass as `cursor` for the next page of flows; `null` on the last.
    pub next_cursor: Option<String>,
    /// The block the answer is valid at: the mirror's last indexed block.
    pub at: IndexedBlock,
}

/// The GDA pool of a (dataset, Super Token).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StreamPool {
    /// The Super Token.
    pub token: String,
    /// The pool (`poolOf(dataset, token)`).
    pub pool: String,
    /// The minimum flow rate a subscriber must distribute, wei/s (decimal; `subscriptionTerms`).
    /// `0`: the token is not offered now (the pool stays and keeps paying the split).
    pub min_flow_rate: String,
    /// Whether the token is offered now (`min_flow_rate` above 0: among `subscriptionTokens`).
    pub offered: bool,
    /// The sum of the members' units.
    pub total_units: String,
    /// The members with units (the split's payees and the protocol treasury, as `members`).
    pub members: Vec<PoolMember>,
    /// The sum of the flows' current rates into the pool, wei/s (decimal).
    pub flow_rate: String,
    /// Flows with a rate above 0.
    pub active_flows: u64,
    /// Everything distributed to the pool so far (decimal wei).
    pub streamed: String,
    /// Where the pool was created.
    pub created: Provenance,
}

/// A pool member and its units.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PoolMember {
    /// The member.
    pub member: String,
    /// Its units (decimal).
    pub units: String,
}

/// A distributor's flow to a pool.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Flow {
    /// The Super Token.
    pub token: String,
    /// The pool.
    pub pool: String,
    /// Who streams (the subscriber).
    pub distributor: String,
    /// The rate the GDA recorded at the last update, wei/s (decimal; `0`: closed or
    /// liquidated).
    pub flow_rate: String,
    /// The block of the last update.
    pub since_block: u64,
    /// Its timestamp (Unix seconds).
    pub since_timestamp: u64,
    /// What the distributor had streamed to the pool up to `since_timestamp` (decimal wei).
    pub streamed_until_since: String,
    /// What it has streamed so far: `streamed_until_since + flow_rate x (at.timestamp -
    /// since_timestamp)` (decimal wei).
    pub streamed: String,
    /// The transaction of the last update.
    pub tx_hash: String,
}

/// A pool an account is a member of, and the flows it is paid from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberStream {
    /// The dataset (decimal).
    pub dataset_id: String,
    /// The Super Token.
    pub token: String,
    /// The pool.
    pub pool: String,
    /// The account's units.
    pub units: String,
    /// The pool's total units.
    pub total_units: String,
    /// The sum of the flows' current rates into the pool, wei/s (decimal).
    pub flow_rate: String,
    /// The member's share of the inflow by units, wei/s: `floor(flow_rate x units /
    /// total_units)`. What the GDA pays it (`getMemberFlowRate`) can be lower by a few wei
    /// per unit: the GDA pays a whole number of wei per unit and sends the remainder to the
    /// pool's admin (swept to the treasury), a remainder that depends on the order of past
    /// unit changes.
    pub share_flow_rate: String,
    /// Flows with a rate above 0.
    pub active_flows: u64,
    /// Everything distributed to the pool so far (decimal wei), all members together.
    pub streamed: String,
}

/// A page of an account's pools.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberStreamPage {
    /// The account asked about.
    pub account: String,
    /// Pools where it holds units now, by dataset then token.
    pub items: Vec<MemberStream>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// The block the answer is valid at: the mirror's last indexed block.
    pub at: IndexedBlock,
}

/// A subscription that may license an account (one per Super Token offered now).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StreamLicence {
    /// The Super Token.
    pub token: String,
    /// The dataset's pool of it.
    pub pool: String,
    /// The minimum rate (decimal wei/s).
    pub min_flow_rate: String,
    /// The account's flow rate to the pool as last recorded (decimal wei/s; `0`: none).
    pub flow_rate: String,
    /// `flow_rate >= min_flow_rate`.
    pub sufficient: bool,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// Items per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The mirror's last indexed block, read in `conn`'s snapshot.
pub(crate) async fn indexed_block(conn: &mut PgConnection) -> Result<IndexedBlock, ApiError> {
    let row: Option<(i64, Vec<u8>, Option<i64>)> = sqlx::query_as(
        "SELECT c.block_number, c.block_hash, b.timestamp
         FROM checkpoint c LEFT JOIN blocks b ON b.number = c.block_number",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some((number, hash, timestamp)) = row else {
        return Err(ApiError::NotReady("nothing is indexed yet".into()));
    };
    let timestamp = timestamp.ok_or_else(|| {
        tracing::error!(
            block = number,
            "the checkpoint's block is not in the window"
        );
        ApiError::Internal
    })?;
    Ok(IndexedBlock {
        block_number: number as u64,
        block_hash: hex_hash(&hash)?,
        timestamp: timestamp as u64,
    })
}

/// A read-only transaction whose statements all see one snapshot.
pub(crate) async fn snapshot(
    state: &AppState,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, ApiError> {
    let mut tx = state.pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// A dataset's status as the registry has it now (1, Active, without a `StatusChanged`), or
/// `None` for an unknown dataset.
pub(crate) async fn dataset_status(
    conn: &mut PgConnection,
    dataset: &str,
) -> Result<Option<i16>, ApiError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE((SELECT s.status FROM dataset_status_changes s
                          WHERE s.dataset_id = d.dataset_id
                          ORDER BY s.block_number DESC, s.log_index DESC LIMIT 1), 1::SMALLINT)
         FROM datasets d WHERE d.dataset_id = $1::NUMERIC",
    )
    .bind(dataset)
    .fetch_optional(&mut *conn)
    .await?)
}

pub(crate) fn status_name(status: i16) -> String {
    u8::try_from(status)
        .ok()
        .and_then(|byte| tributary_core::chain::DatasetStatus::try_from(byte).ok())
        .map_or_else(|| format!("Unknown({status})"), |s| s.name().to_owned())
}

/// The subscriptions of `dataset` offered now and `account`'s flow to each pool.
pub(crate) async fn stream_licences(
    conn: &mut PgConnection,
    dataset: &str,
    account: &[u8],
) -> Result<Vec<StreamLicence>, ApiError> {
    #[derive(FromRow)]
    struct Row {
        token: Vec<u8>,
        pool: Vec<u8>,
        min_flow_rate: String,
        flow_rate: String,
        sufficient: bool,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.token, t.pool, t.min_flow_rate::TEXT AS min_flow_rate,
                COALESCE(f.flow_rate, 0)::TEXT AS flow_rate,
                COALESCE(f.flow_rate, 0) >= t.min_flow_rate AS sufficient
         FROM (SELECT DISTINCT ON (token) token, pool, min_flow_rate FROM stream_terms
               WHERE dataset_id = $1::NUMERIC
               ORDER BY token, block_number DESC, log_index DESC) t
         LEFT JOIN LATERAL (
             SELECT u.flow_rate FROM stream_flow_updates u
             WHERE u.pool = t.pool AND u.distributor = $2
             ORDER BY u.block_number DESC, u.log_index DESC LIMIT 1) f ON TRUE
         WHERE t.min_flow_rate > 0
         ORDER BY t.token",
    )
    .bind(dataset)
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(StreamLicence {
                token: hex_address(&row.token)?,
                pool: hex_address(&row.pool)?,
                min_flow_rate: row.min_flow_rate,
                flow_rate: row.flow_rate,
                sufficient: row.sufficient,
            })
        })
        .collect()
}

#[derive(Debug, FromRow)]
struct PoolRow {
    token: Vec<u8>,
    pool: Vec<u8>,
    min_flow_rate: String,
    flow_rate: String,
    active_flows: i64,
    streamed: String,
    block_number: i64,
    tx_hash: Vec<u8>,
}

#[derive(Debug, FromRow)]
struct FlowRow {
    token: Vec<u8>,
    pool: Vec<u8>,
    distributor: Vec<u8>,
    flow_rate: String,
    since_block: i64,
    since_time: i64,
    streamed_until: String,
    streamed: String,
    tx_hash: Vec<u8>,
}

/// A dataset's subscriptions: its pools with their minimum rates, members and units, and the
/// flows into them with their current rate and what they streamed so far.
#[utoipa::path(get, path = "/datasets/{id}/streams",
    params(("id" = String, Path, description = "The dataset id (decimal)"), PageParams),
    responses(
        (status = 200, description = "The pools and a page of flows", body = DatasetStreams),
        (status = 400, description = "Malformed id, limit or cursor", body = ErrorBody),
        (status = 404, description = "No dataset has this id", body = ErrorBody),
        (status = 503, description = "Nothing indexed yet", body = ErrorBody),
    ))]
pub(crate) async fn dataset_streams(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> ApiResult<DatasetStreams> {
    let Path(id) = id.map_err(|_| ApiError::BadRequest("bad dataset id".into()))?;
    let dataset = uint("dataset id", &id)?.to_string();
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = pair_cursor(params.cursor.as_deref())?;
    let mut tx = snapshot(&state).await?;
    let at = indexed_block(&mut tx).await?;
    let Some(status) = dataset_status(&mut tx, &dataset).await? else {
        return Err(ApiError::NotFound(format!("no dataset {dataset}")));
    };
    let now = at.timestamp as i64;
    let synced: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT terms_hash FROM stream_terms_synced WHERE dataset_id = $1::NUMERIC
         ORDER BY block_number DESC, log_index DESC LIMIT 1",
    )
    .bind(&dataset)
    .fetch_optional(&mut *tx)
    .await?;
    let pools: Vec<PoolRow> = sqlx::query_as(
        "SELECT p.token, p.pool, p.block_number, p.tx_hash,
                COALESCE((SELECT t.min_flow_rate FROM stream_terms t
                          WHERE t.dataset_id = p.dataset_id AND t.token = p.token
                          ORDER BY t.block_number DESC, t.log_index DESC LIMIT 1), 0)::TEXT
                    AS min_flow_rate,
                COALESCE((SELECT sum(f.flow_rate) FROM stream_flows f WHERE f.pool = p.pool), 0)::TEXT
                    AS flow_rate,
                (SELECT count(*) FROM stream_flows f WHERE f.pool = p.pool AND f.flow_rate > 0)
                    AS active_flows,
                COALESCE((SELECT sum(f.streamed_until + f.flow_rate * ($2::BIGINT - f.since_time))
                          FROM stream_flows f WHERE f.pool = p.pool), 0)::TEXT AS streamed
         FROM stream_pools p WHERE p.dataset_id = $1::NUMERIC
         ORDER BY p.block_number, p.log_index",
    )
    .bind(&dataset)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let members: Vec<(Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
        "SELECT pool, member, units::TEXT FROM (
             SELECT DISTINCT ON (m.pool, m.member) m.pool, m.member, m.units
             FROM stream_member_units m WHERE m.dataset_id = $1::NUMERIC
             ORDER BY m.pool, m.member, m.block_number DESC, m.log_index DESC) latest
         WHERE units > 0 ORDER BY pool, member",
    )
    .bind(&dataset)
    .fetch_all(&mut *tx)
    .await?;
    let flows: Vec<FlowRow> = sqlx::query_as(
        "SELECT f.token, f.pool, f.distributor, f.flow_rate::TEXT AS flow_rate,
                f.since_block, f.since_time, f.streamed_until::TEXT AS streamed_until,
                (f.streamed_until + f.flow_rate * ($2::BIGINT - f.since_time))::TEXT AS streamed,
                f.tx_hash
         FROM stream_flows f
         WHERE f.dataset_id = $1::NUMERIC
           AND ($3::BYTEA IS NULL OR (f.pool, f.distributor) > ($3, $4))
         ORDER BY f.pool, f.distributor LIMIT $5",
    )
    .bind(&dataset)
    .bind(now)
    .bind(after.map(|(pool, _)| pool.to_vec()))
    .bind(after.map(|(_, distributor)| distributor.to_vec()))
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let (flows, more) = page(flows, limit);
    let next_cursor = more
        .then(|| {
            flows
                .last()
                .map(|row| pair_cursor_of(&row.pool, &row.distributor))
        })
        .flatten();
    let pools = pools
        .into_iter()
        .map(|row| {
            let mut total = alloy::primitives::U256::ZERO;
            let mut pool_members = Vec::new();
            for (_, member, units) in members.iter().filter(|(pool, ..)| *pool == row.pool) {
                total += units
                    .parse::<alloy::primitives::U256>()
                    .map_err(|_| ApiError::Internal)?;
                pool_members.push(PoolMember {
                    member: hex_address(member)?,
                    units: units.clone(),
                });
            }
            Ok(StreamPool {
                token: hex_address(&row.token)?,
                pool: hex_address(&row.pool)?,
                offered: row.min_flow_rate != "0",
                min_flow_rate: row.min_flow_rate,
                total_units: total.to_string(),
                members: pool_members,
                flow_rate: row.flow_rate,
                active_flows: row.active_flows as u64,
                streamed: row.streamed,
                created: Provenance::new(row.block_number, &row.tx_hash)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let flows = flows
        .into_iter()
        .map(|row| {
            Ok(Flow {
                token: hex_address(&row.token)?,
                pool: hex_address(&row.pool)?,
                distributor: hex_address(&row.distributor)?,
                flow_rate: row.flow_rate,
                since_block: row.since_block as u64,
                since_timestamp: row.since_time as u64,
                streamed_until_since: row.streamed_until,
                streamed: row.streamed,
                tx_hash: hex_hash(&row.tx_hash)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(DatasetStreams {
        dataset_id: dataset,
        status: status_name(status),
        synced_terms_hash: synced.as_deref().map(hex_hash).transpose()?,
        pools,
        flows,
        next_cursor,
        at,
    }))
}

#[derive(Debug, FromRow)]
struct MemberRow {
    dataset_id: String,
    token: Vec<u8>,
    pool: Vec<u8>,
    units: String,
    total_units: String,
    flow_rate: String,
    share_flow_rate: String,
    active_flows: i64,
    streamed: String,
}

/// The pools an account (a payee of a split, or the protocol treasury) holds units in now,
/// with the flows into each: their total rate, the account's units share of it, and what
/// they streamed so far.
#[utoipa::path(get, path = "/creators/{wallet}/streams",
    params(("wallet" = String, Path, description = "The member (0x address)"), PageParams),
    responses(
        (status = 200, description = "A page of the account's pools", body = MemberStreamPage),
        (status = 400, description = "Malformed address, limit or cursor", body = ErrorBody),
        (status = 503, description = "Nothing indexed yet", body = ErrorBody),
    ))]
pub(crate) async fn member_streams(
    State(state): State<AppState>,
    account: Result<Path<String>, PathRejection>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> ApiResult<MemberStreamPage> {
    let Path(account) = account.map_err(|_| ApiError::BadRequest("bad address".into()))?;
    let account = address("address", &account)?;
    let params = query(params)?;
    let limit = limit(params.limit.as_deref())?;
    let after = params
        .cursor
        .as_deref()
        .map(|cursor| {
            let (dataset, token) = cursor.split_once('-').ok_or_else(bad_cursor)?;
            let dataset = uint("cursor", dataset).map_err(|_| bad_cursor())?;
            let token = address("cursor", token).map_err(|_| bad_cursor())?;
            Ok::<_, ApiError>((dataset, token))
        })
        .transpose()?;
    let mut tx = snapshot(&state).await?;
    let at = indexed_block(&mut tx).await?;
    let rows: Vec<MemberRow> = sqlx::query_as(
        "WITH mine AS (
             SELECT DISTINCT ON (m.pool) m.pool, m.dataset_id, m.token, m.units
             FROM stream_member_units m WHERE m.member = $1
             ORDER BY m.pool, m.block_number DESC, m.log_index DESC),
         pools AS (
             SELECT mine.*,
                    (SELECT sum(u.units) FROM (
                         SELECT DISTINCT ON (x.member) x.units FROM stream_member_units x
                         WHERE x.pool = mine.pool
                         ORDER BY x.member, x.block_number DESC, x.log_index DESC) u)
                        AS total_units,
                    COALESCE((SELECT sum(f.flow_rate) FROM stream_flows f
                              WHERE f.pool = mine.pool), 0) AS flow_rate,
                    (SELECT count(*) FROM stream_flows f
                     WHERE f.pool = mine.pool AND f.flow_rate > 0) AS active_flows,
                    COALESCE((SELECT sum(f.streamed_until
                                         + f.flow_rate * ($2::BIGINT - f.since_time))
                              FROM stream_flows f WHERE f.pool = mine.pool), 0) AS streamed
             FROM mine WHERE mine.units > 0)
         SELECT dataset_id::TEXT AS dataset_id, token, pool, units::TEXT AS units,
                total_units::TEXT AS total_units, flow_rate::TEXT AS flow_rate,
                div(flow_rate * units, total_units)::TEXT AS share_flow_rate,
                active_flows, streamed::TEXT AS streamed
         FROM pools
         WHERE ($3::NUMERIC IS NULL OR (dataset_id, token) > ($3::NUMERIC, $4))
         ORDER BY dataset_id, token LIMIT $5",
    )
    .bind(account.to_vec())
    .bind(at.timestamp as i64)
    .bind(after.map(|(dataset, _)| dataset.to_string()))
    .bind(after.map(|(_, token)| token.to_vec()))
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let (rows, more) = page(rows, limit);
    let next_cursor = more
        .then(|| {
            rows.last().map(|row| {
                let token = crate::error::address(&row.token)
                    .map(|token| token.to_string())
                    .unwrap_or_default();
                format!("{}-{token}", row.dataset_id)
            })
        })
        .flatten();
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(MemberStream {
                dataset_id: row.dataset_id,
                token: hex_address(&row.token)?,
                pool: hex_address(&row.pool)?,
                units: row.units,
                total_units: row.total_units,
                flow_rate: row.flow_rate,
                share_flow_rate: row.share_flow_rate,
                active_flows: row.active_flows as u64,
                streamed: row.streamed,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(MemberStreamPage {
        account: account.to_checksum(None),
        items,
        next_cursor,
        at,
    }))
}

/// Reads a `0xpool-0xdistributor` cursor.
fn pair_cursor(
    cursor: Option<&str>,
) -> Result<Option<(alloy::primitives::Address, alloy::primitives::Address)>, ApiError> {
    cursor
        .map(|cursor| {
            let (pool, distributor) = cursor.split_once('-').ok_or_else(bad_cursor)?;
            let pool = address("cursor", pool).map_err(|_| bad_cursor())?;
            let distributor = address("cursor", distributor).map_err(|_| bad_cursor())?;
            Ok((pool, distributor))
        })
        .transpose()
}

fn pair_cursor_of(pool: &[u8], distributor: &[u8]) -> String {
    format!(
        "{}-{}",
        alloy::hex::encode_prefixed(pool),
        alloy::hex::encode_prefixed(distributor)
    )
}
