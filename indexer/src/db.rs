//! The PostgreSQL side: connection, migrations, the checkpoint and the block
//! window, and the one transaction that commits a range.

use std::time::Duration;

use alloy::{primitives::Address, rpc::types::Log};
use sqlx::{
    PgConnection, PgPool, Row,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::{
    error::{self, Error, Result},
    events,
    sync::BlockRef,
};

/// The schema migrations in `indexer/migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Every table holding rows of indexed blocks, emptied above the common
/// ancestor on a rollback (`blocks` is handled apart). Each has
/// `block_number` and `log_index` columns; `raw_logs` comes first.
pub const BLOCK_TABLES: &[&str] = &[
    "raw_logs",
    "datasets",
    "dataset_versions",
    "dataset_status_changes",
    "dataset_terms",
    "terms_offers",
    "batch_anchors",
    "licences",
    "licence_transfers",
    "licence_flags",
    "revenue_reports",
    "payments",
    "releases",
    "protocol_fee_releases",
    "protocol_fee_changes",
    "token_allowlist_changes",
    "credits_minted",
    "credits_spent",
    "credits_reversed",
    "role_changes",
    "pause_changes",
    "stream_pools",
    "stream_terms",
    "stream_member_units",
    "stream_terms_synced",
    "stream_dust_sweeps",
    "stream_flow_updates",
];

/// Opens a pool of up to 8 connections on `url` (`postgres://…`); the URL is
/// never logged or repeated in errors.
pub async fn connect(url: &str) -> Result<PgPool> {
    connect_with(url, 8).await
}

/// [`connect`] with at most `max_connections` connections (at least one).
/// The embedded PostgreSQL serves a single connection, so its pool has one:
/// the sync's commit, the HTTP API and the manifest fetcher then take turns.
/// A caller waiting longer than 10 s for it gets `PoolTimedOut`, which the
/// API answers with 503 and the sync retries with backoff.
pub async fn connect_with(url: &str, max_connections: u32) -> Result<PgPool> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|_| Error::Config("DATABASE_URL is not a valid PostgreSQL URL".into()))?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Applies the pending migrations (idempotent; safe on every start).
pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// The chain and contract a database mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The chain id.
    pub chain_id: u64,
    /// The Tributary contract.
    pub contract: Address,
    /// The block indexing started from.
    pub start_block: u64,
    /// `TributaryStreams`, when its events and the flows to its pools are followed.
    pub streams: Option<Address>,
    /// Superfluid's GDA, whose `FlowDistributionUpdated` events are followed with the streams.
    pub gda: Option<Address>,
}

impl Meta {
    /// The contracts whose logs are read.
    pub fn sources(&self) -> events::Sources {
        events::Sources {
            tributary: self.contract,
            streams: self.streams,
            gda: self.gda,
        }
    }
}

/// Records `meta` in a new database, or checks that the database was written
/// for the same chain and contract. Returns what the database holds (its
/// start block wins over a later configuration).
pub async fn claim(pool: &PgPool, meta: Meta) -> Result<Meta> {
    sqlx::query(
        "INSERT INTO indexer_meta (chain_id, contract, start_block) VALUES ($1, $2, $3)
         ON CONFLICT (singleton) DO NOTHING",
    )
    .bind(i64_of(meta.chain_id)?)
    .bind(meta.contract.as_slice())
    .bind(i64_of(meta.start_block)?)
    .execute(pool)
    .await?;
    let row = sqlx::query(
        "SELECT chain_id, contract, start_block, streams, gda,
                EXISTS (SELECT 1 FROM checkpoint) AS committed
         FROM indexer_meta",
    )
    .fetch_one(pool)
    .await?;
    let optional = |bytes: Option<&[u8]>| bytes.map(error::address).transpose();
    let mut stored = Meta {
        chain_id: row.try_get::<i64, _>(0)? as u64,
        contract: error::address(row.try_get::<&[u8], _>(1)?)?,
        start_block: row.try_get::<i64, _>(2)? as u64,
        streams: optional(row.try_get::<Option<&[u8]>, _>(3)?)?,
        gda: optional(row.try_get::<Option<&[u8]>, _>(4)?)?,
    };
    let committed: bool = row.try_get(5)?;
    if (stored.chain_id, stored.contract) != (meta.chain_id, meta.contract) {
        return Err(Error::WrongDatabase {
            db_chain_id: stored.chain_id,
            db_contract: stored.contract,
            chain_id: meta.chain_id,
            contract: meta.contract,
        });
    }
    if (stored.streams, stored.gda) != (meta.streams, meta.gda) {
        if committed {
            // Blocks were committed without (or with other) streams: their events there would
            // be missing from the mirror.
            let named = |streams: Option<Address>| {
                streams.map_or_else(|| "no streams contract".to_owned(), |a| a.to_string())
            };
            return Err(Error::Config(format!(
                "this database mirrors {} (GDA {}), not {} (GDA {}): a database follows the \
                 same streams from its first block; index into a fresh database",
                named(stored.streams),
                named(stored.gda),
                named(meta.streams),
                named(meta.gda),
            )));
        }
        sqlx::query("UPDATE indexer_meta SET streams = $1, gda = $2")
            .bind(meta.streams.map(|a| a.to_vec()))
            .bind(meta.gda.map(|a| a.to_vec()))
            .execute(pool)
            .await?;
        stored.streams = meta.streams;
        stored.gda = meta.gda;
    }
    Ok(stored)
}

/// The last committed block, if any.
pub async fn checkpoint(conn: &mut PgConnection) -> Result<Option<BlockRef>> {
    let row = sqlx::query("SELECT block_number, block_hash FROM checkpoint")
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        Ok(BlockRef {
            number: row.try_get::<i64, _>(0)? as u64,
            hash: error::b256(row.try_get::<&[u8], _>(1)?)?,
        })
    })
    .transpose()
}

/// The stored blocks at or below `at_most`, highest first.
pub(crate) async fn window(pool: &PgPool, at_most: u64) -> Result<Vec<BlockRef>> {
    let rows =
        sqlx::query("SELECT number, hash FROM blocks WHERE number <= $1 ORDER BY number DESC")
            .bind(i64_of(at_most)?)
            .fetch_all(pool)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(BlockRef {
                number: row.try_get::<i64, _>(0)? as u64,
                hash: error::b256(row.try_get::<&[u8], _>(1)?)?,
            })
        })
        .collect()
}

/// A block header as the window keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredBlock {
    pub(crate) number: u64,
    pub(crate) hash: alloy::primitives::B256,
    pub(crate) parent_hash: alloy::primitives::B256,
    pub(crate) timestamp: u64,
}

/// What one transaction commits: an optional rollback, a range's logs and
/// blocks, and the new checkpoint.
pub(crate) struct Commit {
    /// The checkpoint the step read; the commit fails if another writer moved it.
    pub(crate) expected: Option<BlockRef>,
    /// Delete every row above this block first (a reorg's common ancestor).
    pub(crate) rollback_to: Option<u64>,
    pub(crate) chain_id: u64,
    /// The contracts the logs come from.
    pub(crate) sources: events::Sources,
    pub(crate) logs: Vec<Log>,
    pub(crate) blocks: Vec<StoredBlock>,
    pub(crate) checkpoint: BlockRef,
    /// Blocks below this number leave the window.
    pub(crate) prune_below: u64,
}

/// Commits `commit` in one transaction: all of it, or nothing.
///
/// The transaction runs in a task of its own, so that dropping the caller's
/// future (a timeout, a shutdown) never abandons it half-way: sqlx cannot
/// always roll back a transaction whose future was dropped (one dropped
/// inside `BEGIN` stays open on its pooled connection, holding the
/// checkpoint's row lock).
pub(crate) async fn commit(pool: &PgPool, commit: Commit) -> Result<()> {
    let pool = pool.clone();
    tokio::spawn(async move { commit_now(&pool, commit).await })
        .await
        .map_err(|error| Error::TaskFailed(error.to_string()))?
}

async fn commit_now(pool: &PgPool, commit: Commit) -> Result<()> {
    // Decode before the transaction starts, so it holds its locks only for the writes.
    let mut rows = events::Rows::new(commit.sources);
    for log in &commit.logs {
        rows.add(log)?;
    }
    let mut tx = pool.begin().await?;
    // Lock the checkpoint row (or, for a first commit, make a concurrent first
    // commit fail on the singleton key) and compare.
    let found = sqlx::query("SELECT block_number, block_hash FROM checkpoint FOR UPDATE")
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| {
            Ok::<_, Error>(BlockRef {
                number: row.try_get::<i64, _>(0)? as u64,
                hash: error::b256(row.try_get::<&[u8], _>(1)?)?,
            })
        })
        .transpose()?;
    if found != commit.expected {
        return Err(Error::CheckpointMoved {
            expected: commit.expected.map(|block| block.number),
            found: found.map(|block| block.number),
        });
    }
    if let Some(ancestor) = commit.rollback_to {
        rollback(&mut tx, ancestor).await?;
    }
    let dropped = rows.resolve_flows(&mut tx).await?;
    if dropped.is_empty() {
        insert_raw_logs(&mut tx, commit.chain_id, &commit.logs).await?;
    } else {
        let kept: Vec<Log> = commit
            .logs
            .iter()
            .filter(|log| {
                events::Position::of(log)
                    .is_ok_and(|at| !dropped.contains(&(at.block_number, at.log_index)))
            })
            .cloned()
            .collect();
        insert_raw_logs(&mut tx, commit.chain_id, &kept).await?;
    }
    rows.insert(&mut tx).await?;
    insert_blocks(&mut tx, &commit.blocks).await?;
    sqlx::query(
        "INSERT INTO checkpoint (block_number, block_hash, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (singleton) DO UPDATE
         SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
             updated_at = EXCLUDED.updated_at",
    )
    .bind(i64_of(commit.checkpoint.number)?)
    .bind(commit.checkpoint.hash.as_slice())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM blocks WHERE number < $1 AND number <> $2")
        .bind(i64_of(commit.prune_below)?)
        .bind(i64_of(commit.checkpoint.number)?)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn rollback(conn: &mut PgConnection, ancestor: u64) -> Result<()> {
    let ancestor = i64_of(ancestor)?;
    for table in BLOCK_TABLES {
        // Table names come from the constant list above, never from input.
        let sql = format!("DELETE FROM {table} WHERE block_number > $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ancestor)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM blocks WHERE number > $1")
        .bind(ancestor)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rows per multi-row insert (bounds one statement's size).
const CHUNK: usize = 5_000;

async fn insert_raw_logs(conn: &mut PgConnection, chain_id: u64, logs: &[Log]) -> Result<()> {
    for chunk in logs.chunks(CHUNK) {
        let mut block_numbers = Vec::with_capacity(chunk.len());
        let mut block_hashes = Vec::with_capacity(chunk.len());
        let mut block_times = Vec::with_capacity(chunk.len());
        let mut tx_hashes = Vec::with_capacity(chunk.len());
        let mut tx_indexes = Vec::with_capacity(chunk.len());
        let mut log_indexes = Vec::with_capacity(chunk.len());
        let mut addresses = Vec::with_capacity(chunk.len());
        let mut topics: [Vec<Option<Vec<u8>>>; 4] = Default::default();
        let mut data = Vec::with_capacity(chunk.len());
        for log in chunk {
            let position = events::Position::of(log)?;
            block_numbers.push(position.block_number);
            block_hashes.push(position.block_hash.to_vec());
            block_times.push(log.block_timestamp.map(|t| t as i64));
            tx_hashes.push(position.tx_hash.to_vec());
            tx_indexes.push(log.transaction_index.unwrap_or_default() as i64);
            log_indexes.push(position.log_index);
            addresses.push(log.address().to_vec());
            for (i, column) in topics.iter_mut().enumerate() {
                column.push(log.topics().get(i).map(|topic| topic.to_vec()));
            }
            data.push(log.data().data.to_vec());
        }
        let [topic0, topic1, topic2, topic3] = topics;
        sqlx::query(
            "INSERT INTO raw_logs (chain_id, block_number, block_hash, block_time, tx_hash,
                 tx_index, log_index, address, topic0, topic1, topic2, topic3, data)
             SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BYTEA[], $4::BIGINT[], $5::BYTEA[],
                 $6::BIGINT[], $7::BIGINT[], $8::BYTEA[], $9::BYTEA[], $10::BYTEA[],
                 $11::BYTEA[], $12::BYTEA[], $13::BYTEA[])",
        )
        .bind(i64_of(chain_id)?)
        .bind(block_numbers)
        .bind(block_hashes)
        .bind(block_times)
        .bind(tx_hashes)
        .bind(tx_indexes)
        .bind(log_indexes)
        .bind(addresses)
        .bind(topic0)
        .bind(topic1)
        .bind(topic2)
        .bind(topic3)
        .bind(data)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_blocks(conn: &mut PgConnection, blocks: &[StoredBlock]) -> Result<()> {
    if blocks.is_empty() {
        return Ok(());
    }
    let mut numbers = Vec::with_capacity(blocks.len());
    let mut hashes = Vec::with_capacity(blocks.len());
    let mut parents = Vec::with_capacity(blocks.len());
    let mut timestamps = Vec::with_capacity(blocks.len());
    for block in blocks {
        numbers.push(i64_of(block.number)?);
        hashes.push(block.hash.to_vec());
        parents.push(block.parent_hash.to_vec());
        timestamps.push(i64_of(block.timestamp)?);
    }
    sqlx::query(
        "INSERT INTO blocks (number, hash, parent_hash, timestamp)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], $4::BIGINT[])
         ON CONFLICT (number) DO UPDATE
         SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash,
             timestamp = EXCLUDED.timestamp",
    )
    .bind(numbers)
    .bind(hashes)
    .bind(parents)
    .bind(timestamps)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A block number or index as PostgreSQL's BIGINT.
pub(crate) fn i64_of(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::Config(format!("{value} does not fit a BIGINT")))
}

/// Every pool of `stream_pools`.
pub(crate) async fn stream_pools(pool: &PgPool) -> Result<std::collections::HashSet<Address>> {
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT pool FROM stream_pools")
        .fetch_all(pool)
        .await?;
    rows.iter().map(|pool| error::address(pool)).collect()
}
