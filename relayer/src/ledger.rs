//! The payout ledger: every release of the `CREDITS` pseudo-token on-chain
//! (`PaymentReleased` with `token = CREDITS`: the contract's fiat payout
//! order) booked once, keyed by transaction hash and log index, in credits
//! (1 credit = 1 cent).
//!
//! A follower of its own, checkpointed in `chain_cursors`: it reads only
//! blocks that have `confirmations` blocks on top of them (the same depth
//! the worker waits for), so a reorg within that depth never reaches the
//! ledger. The logs of a range, the cursor's move and the hash of the
//! range's last block are committed in one database transaction. Before
//! reading on, the hash of the last block read is compared with the chain's:
//! a difference is a reorg deeper than the confirmations; the follower then
//! halts (`chain_cursors.halted`, shown by `GET /payouts`) instead of
//! guessing, since what it booked may already have been paid.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};
use sqlx::{PgPool, Row};
use tributary_core::chain::{CREDITS, ITributary, Tributary};

use crate::{
    db::in_task,
    error::{Error, Result},
};

/// The cursor's name in `chain_cursors`.
pub const CURSOR: &str = "credits_releases";

/// How the follower reads the chain.
#[derive(Debug, Clone, Copy)]
pub struct LedgerConfig {
    /// The suite's deployment block: the first block read.
    pub from_block: u64,
    /// Blocks that must include a release (its own included) before it is booked.
    pub confirmations: u64,
    /// The widest range asked for in one `eth_getLogs`.
    pub max_range: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            from_block: 0,
            confirmations: 1,
            max_range: 2_000,
        }
    }
}

/// What one look at the chain did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    /// Releases newly booked.
    pub booked: u64,
    /// The next block to read.
    pub next_block: u64,
    /// Whether the follower is at the confirmed head.
    pub caught_up: bool,
}

/// A CREDITS release as booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The payee paid in fiat.
    pub payee: Address,
    /// The split it was released from.
    pub split_hash: B256,
    /// Credits (cents).
    pub amount: U256,
    /// Where.
    pub tx_hash: B256,
    /// Its index among the block's logs.
    pub log_index: u64,
    /// The block.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: B256,
}

/// Reads one range of confirmed blocks past the cursor and books the CREDITS
/// releases in it. Call until `caught_up`.
pub async fn sync(pool: &PgPool, tributary: &Tributary, config: LedgerConfig) -> Result<Synced> {
    let provider = tributary.client().provider();
    let (next_block, last_hash, halted) = cursor(pool, config.from_block).await?;
    if let Some(halted) = halted {
        return Err(Error::Config(format!(
            "the payout ledger is halted: {halted}"
        )));
    }
    let head = provider.get_block_number().await.map_err(rpc)?;
    // A block at height h has head - h + 1 confirmations.
    let Some(confirmed) = (head + 1).checked_sub(config.confirmations.max(1)) else {
        return Ok(Synced {
            booked: 0,
            next_block,
            caught_up: true,
        });
    };
    if let Some(last_hash) = last_hash
        && next_block > 0
    {
        let now = block_hash(tributary, next_block - 1).await?;
        if now != Some(last_hash) {
            let reason = format!(
                "block {} changed (reorg deeper than {} confirmations): its hash was {last_hash}, \
                 now {}; releases booked from it may be gone; see the runbook",
                next_block - 1,
                config.confirmations,
                now.map(|hash| hash.to_string())
                    .unwrap_or_else(|| "no block".into()),
            );
            halt(pool, &reason).await?;
            tracing::error!(%reason, "payout ledger halted");
            return Err(Error::Config(format!(
                "the payout ledger is halted: {reason}"
            )));
        }
    }
    if next_block > confirmed {
        return Ok(Synced {
            booked: 0,
            next_block,
            caught_up: true,
        });
    }
    let to = confirmed.min(next_block + config.max_range.max(1) - 1);
    let filter = Filter::new()
        .address(tributary.address())
        .event_signature(ITributary::PaymentReleased::SIGNATURE_HASH)
        .from_block(next_block)
        .to_block(to);
    let logs = provider.get_logs(&filter).await.map_err(rpc)?;
    let mut releases = Vec::new();
    for log in &logs {
        if log.removed {
            continue;
        }
        let event = ITributary::PaymentReleased::decode_log(&log.inner)
            .map_err(|error| Error::Corrupt(format!("an undecodable PaymentReleased: {error}")))?
            .data;
        if event.token != CREDITS || event.amount.is_zero() {
            continue;
        }
        let (Some(tx_hash), Some(log_index), Some(block_number), Some(block_hash)) = (
            log.transaction_hash,
            log.log_index,
            log.block_number,
            log.block_hash,
        ) else {
            return Err(Error::Corrupt(
                "a confirmed log without its position".into(),
            ));
        };
        releases.push(Release {
            payee: event.payee,
            split_hash: event.splitHash,
            amount: event.amount,
            tx_hash,
            log_index,
            block_number,
            block_hash,
        });
    }
    let to_hash = block_hash(tributary, to)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("the node has no block {to} below its head")))?;
    let booked = book(pool, next_block, to, to_hash, releases).await?;
    if booked > 0 {
        tracing::info!(booked, from = next_block, to, "CREDITS releases booked");
    }
    Ok(Synced {
        booked,
        next_block: to + 1,
        caught_up: to == confirmed,
    })
}

/// Syncs until caught up; returns the releases booked.
pub async fn catch_up(pool: &PgPool, tributary: &Tributary, config: LedgerConfig) -> Result<u64> {
    let mut booked = 0;
    loop {
        let synced = sync(pool, tributary, config).await?;
        booked += synced.booked;
        if synced.caught_up {
            return Ok(booked);
        }
    }
}

fn rpc(error: alloy::transports::TransportError) -> tributary_core::Error {
    tributary_core::Error::Rpc(Box::new(error))
}

async fn block_hash(tributary: &Tributary, number: u64) -> Result<Option<B256>> {
    let block = tributary
        .client()
        .provider()
        .get_block_by_number(number.into())
        .await
        .map_err(rpc)?;
    Ok(block.map(|block| block.header.hash))
}

async fn cursor(pool: &PgPool, from_block: u64) -> Result<(u64, Option<B256>, Option<String>)> {
    in_task(pool, move |pool| async move {
        sqlx::query(
            "INSERT INTO chain_cursors (name, next_block) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(CURSOR)
        .bind(from_block as i64)
        .execute(&pool)
        .await?;
        let row = sqlx::query(
            "SELECT next_block, last_block_hash, halted FROM chain_cursors WHERE name = $1",
        )
        .bind(CURSOR)
        .fetch_one(&pool)
        .await?;
        let hash = row
            .try_get::<Option<Vec<u8>>, _>(1)?
            .map(|bytes| {
                B256::try_from(bytes.as_slice())
                    .map_err(|_| Error::Corrupt("a block hash that is not 32 bytes".into()))
            })
            .transpose()?;
        Ok((row.try_get::<i64, _>(0)? as u64, hash, row.try_get(2)?))
    })
    .await
}

async fn halt(pool: &PgPool, reason: &str) -> Result<()> {
    let reason = reason.to_owned();
    in_task(pool, move |pool| async move {
        sqlx::query("UPDATE chain_cursors SET halted = $2, updated_at = now() WHERE name = $1")
            .bind(CURSOR)
            .bind(reason)
            .execute(&pool)
            .await?;
        Ok(())
    })
    .await
}

/// Books `releases` (of blocks `from..=to`) and moves the cursor past `to`,
/// in one transaction; a cursor moved meanwhile (another process) wins and
/// nothing is written.
async fn book(
    pool: &PgPool,
    from: u64,
    to: u64,
    to_hash: B256,
    releases: Vec<Release>,
) -> Result<u64> {
    in_task(pool, move |pool| async move {
        let mut tx = pool.begin().await?;
        let next: i64 =
            sqlx::query_scalar("SELECT next_block FROM chain_cursors WHERE name = $1 FOR UPDATE")
                .bind(CURSOR)
                .fetch_one(&mut *tx)
                .await?;
        if next as u64 != from {
            tx.rollback().await?;
            return Ok(0);
        }
        let mut booked = 0;
        for release in &releases {
            booked += sqlx::query(
                "INSERT INTO payout_ledger (tx_hash, log_index, block_number, block_hash, payee,
                     split_hash, amount)
                 VALUES ($1, $2, $3, $4, $5, $6, $7::NUMERIC)
                 ON CONFLICT (tx_hash, log_index) DO NOTHING",
            )
            .bind(release.tx_hash.as_slice())
            .bind(release.log_index as i64)
            .bind(release.block_number as i64)
            .bind(release.block_hash.as_slice())
            .bind(release.payee.as_slice())
            .bind(release.split_hash.as_slice())
            .bind(release.amount.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        sqlx::query(
            "UPDATE chain_cursors SET next_block = $2, last_block_hash = $3, updated_at = now()
             WHERE name = $1",
        )
        .bind(CURSOR)
        .bind((to + 1) as i64)
        .bind(to_hash.as_slice())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(booked)
    })
    .await
}
