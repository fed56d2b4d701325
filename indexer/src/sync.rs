//! Log sync: backfill in adaptive block ranges, then follow the head by
//! polling; reorgs traced back by block hash and repaired in the same
//! transaction that applies the new blocks.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log},
};
use futures_util::{StreamExt, TryStreamExt, stream};
use sqlx::PgPool;
use url::Url;

use crate::{
    db::{self, Commit, Meta, StoredBlock},
    error::{Error, Result},
    heads::HeadWatch,
    metrics::Metrics,
};

/// A block by number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
}

/// How the indexer reads the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncConfig {
    /// The Tributary contract whose logs are mirrored.
    pub contract: Address,
    /// The first block to read (the deployment block) when the database is new.
    pub start_block: u64,
    /// Blocks below `head - finality_depth` count as final: they are read in
    /// large ranges and kept out of the reorg window. A reorg deeper than
    /// this stops the indexer with [`Error::ReorgTooDeep`]. Default 64.
    /// Where the node has the `finalized` block tag, blocks at or below the
    /// finalized block are final too, however near the head.
    pub finality_depth: u64,
    /// How long to wait between polls once caught up. Default 1 s.
    pub poll_interval: Duration,
    /// Blocks per `eth_getLogs` at start. Default 100 (grown toward
    /// `target_logs` per range from there: starting small bounds the first
    /// response on a dense chain).
    pub initial_range: u64,
    /// Most blocks per `eth_getLogs`. Default 10 000.
    pub max_range: u64,
    /// A range that returns more logs than this is halved for the next
    /// request; one that returns fewer (quickly) is doubled. Default 10 000.
    pub target_logs: usize,
    /// Limit on each JSON-RPC request. Default 30 s.
    pub request_timeout: Duration,
    /// First wait after a failed step, doubled on each failure in a row. Default 250 ms.
    pub min_backoff: Duration,
    /// Longest wait after failures. Default 30 s.
    pub max_backoff: Duration,
    /// The chain the node must serve. Default: any.
    pub chain_id: Option<u64>,
    /// A WebSocket URL of the node (`ws://`, `wss://`) for `newHeads`
    /// notifications: a caught-up indexer then wakes when a block is mined
    /// instead of at its next poll. Default: none (polling only). Never
    /// logged.
    pub ws_url: Option<String>,
    /// `TributaryStreams` and Superfluid's host, when the streams are followed: the
    /// contract's events, and the GDA's `FlowDistributionUpdated` for the pools it created
    /// (the GDA is found from the host). Default: none.
    pub streams: Option<StreamsSource>,
}

/// Where the streams live (a deployment file's `streams` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamsSource {
    /// `TributaryStreams`.
    pub contract: Address,
    /// Superfluid's host, which names the GDA (`getAgreementClass`).
    pub host: Address,
}

impl SyncConfig {
    /// The defaults, for `contract` deployed at `start_block`.
    pub fn new(contract: Address, start_block: u64) -> Self {
        Self {
            contract,
            start_block,
            finality_depth: 64,
            poll_interval: Duration::from_secs(1),
            initial_range: 100,
            max_range: 10_000,
            target_logs: 10_000,
            request_timeout: Duration::from_secs(30),
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            chain_id: None,
            ws_url: None,
            streams: None,
        }
    }

    /// This configuration, following `TributaryStreams` at `contract` and the flows to its
    /// pools through the GDA that Superfluid's `host` names.
    pub fn with_streams(mut self, contract: Address, host: Address) -> Self {
        self.streams = Some(StreamsSource { contract, host });
        self
    }

    /// This configuration with another finality depth.
    pub fn with_finality_depth(mut self, depth: u64) -> Self {
        self.finality_depth = depth;
        self
    }

    /// This configuration, polling every `interval`.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// This configuration with other range bounds (both at least 1).
    pub fn with_ranges(mut self, initial: u64, max: u64) -> Self {
        self.max_range = max.max(1);
        self.initial_range = initial.clamp(1, self.max_range);
        self
    }

    /// This configuration with another per-request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// This configuration with other backoff bounds.
    pub fn with_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    /// This configuration, woken by the `newHeads` subscription of `url`.
    pub fn with_ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = Some(url.into());
        self
    }

    /// This configuration, requiring the node to serve `chain_id`.
    pub fn with_chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = Some(chain_id);
        self
    }
}

/// What the sync loop last saw, shared with the HTTP API. The indexed block
/// itself is read from the database, where it is committed with its rows.
#[derive(Debug)]
pub struct SyncStatus {
    head: AtomicU64,
    reorgs: AtomicU64,
    subscribed: Arc<AtomicBool>,
    metrics: Metrics,
}

const UNKNOWN: u64 = u64::MAX;

impl Default for SyncStatus {
    fn default() -> Self {
        Self {
            head: AtomicU64::new(UNKNOWN),
            reorgs: AtomicU64::new(0),
            subscribed: Arc::default(),
            metrics: Metrics::default(),
        }
    }
}

impl SyncStatus {
    /// The node's head at the last poll, if any poll succeeded.
    pub fn head(&self) -> Option<u64> {
        Some(self.head.load(Ordering::Relaxed)).filter(|&head| head != UNKNOWN)
    }

    /// Reorgs repaired since start.
    pub fn reorgs(&self) -> u64 {
        self.reorgs.load(Ordering::Relaxed)
    }

    /// Whether new heads arrive by a live WebSocket subscription (else the
    /// indexer polls).
    pub fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// The sync loop's Prometheus metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// What one [`Indexer::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Blocks `from..=to` and their logs were committed.
    Applied {
        /// First block of the range.
        from: u64,
        /// Last block of the range, now the checkpoint.
        to: u64,
        /// Logs committed.
        logs: usize,
    },
    /// A reorg was found: rows above `ancestor` were deleted and blocks
    /// `ancestor + 1..=to` of the node's chain applied, in one transaction.
    Reorged {
        /// The last block both chains share.
        ancestor: u64,
        /// The checkpoint before the reorg.
        replaced_to: u64,
        /// The new checkpoint.
        to: u64,
        /// Logs committed for the new blocks.
        logs: usize,
    },
    /// Nothing new: the checkpoint is the node's head.
    Idle {
        /// The node's head.
        head: u64,
    },
    /// The node answered a head below the checkpoint, or does not know a
    /// block it should: it lags (or restarted). Nothing is rolled back.
    Lagging {
        /// The node's head.
        head: u64,
        /// The checkpoint.
        indexed: u64,
    },
}

/// Mirrors one contract on one chain into one database.
#[derive(Debug)]
pub struct Indexer {
    pool: PgPool,
    provider: DynProvider,
    config: SyncConfig,
    meta: Meta,
    range: u64,
    /// The smallest span the node refused lately: growth stays below it, so
    /// the range does not swing between accepted and refused sizes.
    ceiling: Option<u64>,
    /// Ranges committed since the last refusal; the ceiling is forgotten
    /// after [`CEILING_MEMORY`] of them (a refusal may have been transient).
    since_refusal: u32,
    status: Arc<SyncStatus>,
    heads: HeadWatch,
    /// Whether the node answers the `finalized` block tag: unknown until
    /// asked; a node that refused it is not asked again.
    finalized_tag: Option<bool>,
    /// The final range after the one being committed, fetched while that
    /// commit ran (backfill pipelining); used by the next step if it starts
    /// where this one begins, checked like any fetched range.
    prefetched: Option<Prefetched>,
    /// Every pool `TributaryStreams` created that this indexer has seen (committed, or in a
    /// range fetched since): the GDA's logs are asked for these pools. A pool of a chain a
    /// reorg removed may stay in it; its logs are then dropped at commit.
    pools: HashSet<Address>,
}

/// A final range fetched ahead, while the range before it was committed.
struct Prefetched {
    from: u64,
    fetched: Fetched,
    fetch_time: Duration,
}

impl std::fmt::Debug for Prefetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetched")
            .field("from", &self.from)
            .field("to", &self.fetched.last.number)
            .field("logs", &self.fetched.logs.len())
            .finish()
    }
}

/// Pools per `eth_getLogs` of the GDA's flows (an OR of topics; nodes bound its size).
const POOLS_PER_REQUEST: usize = 200;

/// Successful ranges after which a refused span may be tried again.
const CEILING_MEMORY: u32 = 100;

/// A range read from the node, checked and ready to commit.
struct Fetched {
    logs: Vec<Log>,
    blocks: Vec<StoredBlock>,
    /// The parent hash of the range's first block.
    parent_hash: B256,
    last: BlockRef,
}

impl Indexer {
    /// Connects to the node at `rpc_url` (HTTP or HTTPS), reads its chain id
    /// and claims `pool`'s database for this chain and contract (a database
    /// written for another one is refused). Run [`db::migrate`] first.
    pub async fn connect(pool: PgPool, rpc_url: &str, config: SyncConfig) -> Result<Self> {
        let url =
            Url::parse(rpc_url).map_err(|_| Error::Config("the RPC URL is not a URL".into()))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        Self::new(pool, provider, config).await
    }

    /// [`connect`](Self::connect) with a provider of the caller's.
    pub async fn new(pool: PgPool, provider: DynProvider, config: SyncConfig) -> Result<Self> {
        if config.max_range == 0 || config.initial_range == 0 {
            return Err(Error::Config("block ranges must be at least 1".into()));
        }
        let chain_id = timed(
            config.request_timeout,
            "eth_chainId",
            provider.get_chain_id(),
        )
        .await?;
        if let Some(expected) = config.chain_id
            && expected != chain_id
        {
            return Err(Error::Config(format!(
                "the node serves chain {chain_id}, not {expected}"
            )));
        }
        let gda = match config.streams {
            Some(streams) => {
                let host =
                    crate::events::superfluid::ISuperfluidHost::new(streams.host, provider.clone());
                let call = host.getAgreementClass(crate::events::superfluid::gda_agreement_type());
                let gda = match tokio::time::timeout(config.request_timeout, call.call()).await {
                    Ok(Ok(gda)) => gda,
                    // A transport failure is retried like any node error (URL stripped).
                    Ok(Err(alloy::contract::Error::TransportError(error))) => {
                        return Err(Error::rpc(error));
                    }
                    Ok(Err(error)) => {
                        return Err(Error::Config(format!(
                            "cannot read the GDA from the Superfluid host {}: {error}",
                            streams.host
                        )));
                    }
                    Err(_) => {
                        return Err(Error::Timeout {
                            method: "eth_call",
                            timeout: config.request_timeout,
                        });
                    }
                };
                if gda == Address::ZERO {
                    return Err(Error::Config(format!(
                        "the Superfluid host {} has no GDA registered",
                        streams.host
                    )));
                }
                Some(gda)
            }
            None => None,
        };
        let meta = db::claim(
            &pool,
            Meta {
                chain_id,
                contract: config.contract,
                start_block: config.start_block,
                streams: config.streams.map(|streams| streams.contract),
                gda,
            },
        )
        .await?;
        let pools = db::stream_pools(&pool).await?;
        let status = Arc::<SyncStatus>::default();
        Ok(Self {
            pool,
            provider,
            range: config.initial_range,
            ceiling: None,
            since_refusal: 0,
            heads: HeadWatch::new(config.ws_url.clone(), Arc::clone(&status.subscribed)),
            finalized_tag: None,
            prefetched: None,
            pools,
            config,
            meta,
            status,
        })
    }

    /// The chain id the node serves.
    pub fn chain_id(&self) -> u64 {
        self.meta.chain_id
    }

    /// What the database mirrors.
    pub fn meta(&self) -> Meta {
        self.meta
    }

    /// The status shared with the HTTP API.
    pub fn status(&self) -> Arc<SyncStatus> {
        Arc::clone(&self.status)
    }

    /// The blocks the next `eth_getLogs` will ask for at most.
    pub fn range(&self) -> u64 {
        self.range
    }

    /// Runs for ever: steps, waits `poll_interval` when caught up, backs off
    /// after errors that a retry may fix. Returns only an error that needs a
    /// person ([`Error::retry_may_help`] false).
    pub async fn run(&mut self) -> Result<()> {
        self.run_until(|_| false).await.map(|_| ())
    }

    /// Steps until the checkpoint reaches the head the node reports
    /// ([`Step::Idle`]), retrying as [`run`](Self::run) does; returns the
    /// indexed block.
    pub async fn catch_up(&mut self) -> Result<u64> {
        match self
            .run_until(|step| matches!(step, Step::Idle { .. }))
            .await?
        {
            Step::Idle { head } => Ok(head),
            _ => unreachable!("run_until returns the step that matched"),
        }
    }

    async fn run_until(&mut self, done: impl Fn(&Step) -> bool) -> Result<Step> {
        let mut backoff = self.config.min_backoff;
        loop {
            match self.step().await {
                Ok(step) => {
                    backoff = self.config.min_backoff;
                    if done(&step) {
                        return Ok(step);
                    }
                    match step {
                        Step::Applied { .. } | Step::Reorged { .. } => {}
                        Step::Idle { .. } => self.heads.wait(self.config.poll_interval).await,
                        Step::Lagging { head, indexed } => {
                            tracing::warn!(
                                head,
                                indexed,
                                "the node is behind the checkpoint; waiting"
                            );
                            tokio::time::sleep(self.config.poll_interval).await;
                        }
                    }
                }
                Err(error) if error.retry_may_help() => {
                    self.status.metrics.retries.inc();
                    tracing::warn!(%error, retry_in = ?backoff, range = self.range, "sync step failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One step: reads at most one range from the node and commits it with
    /// the checkpoint, or repairs a reorg, or finds nothing to do.
    pub async fn step(&mut self) -> Result<Step> {
        let head = self.head().await?;
        let mut conn = self.pool.acquire().await?;
        let checkpoint = db::checkpoint(&mut conn).await?;
        drop(conn);
        let next = checkpoint.map_or(self.meta.start_block, |cp| cp.number + 1);

        if let Some(cp) = checkpoint {
            if head < cp.number {
                // A head below ours is a lagging or restarted node, not a
                // reorg: a reorg is only believed from a chain at least as long.
                return Ok(Step::Lagging {
                    head,
                    indexed: cp.number,
                });
            }
            if next > head {
                // Caught up: the tip itself may have been replaced (same height).
                return match self.block(cp.number).await? {
                    None => Ok(Step::Lagging {
                        head,
                        indexed: cp.number,
                    }),
                    Some(block) if block.hash == cp.hash => Ok(Step::Idle { head }),
                    Some(_) => self.reorg(cp, head).await,
                };
            }
        } else if next > head {
            return Ok(Step::Idle { head });
        }

        let safe = self.final_below(head).await?;
        let started = Instant::now();
        let prefetched = self.prefetched.take();
        let mut fetch_time = None;
        let fetched = if next <= safe {
            match prefetched {
                // Fetched during the last commit, and still final.
                Some(ahead) if ahead.from == next && ahead.fetched.last.number <= safe => {
                    fetch_time = Some(ahead.fetch_time);
                    Some(ahead.fetched)
                }
                // Final blocks: one big range, only its ends' headers.
                _ => {
                    let to = next.saturating_add(self.range - 1).min(safe);
                    self.fetch_final(next, to).await?
                }
            }
        } else {
            // The unfinalized window: every header, to link each block to its parent.
            let to = next.saturating_add(self.window_range() - 1).min(head);
            self.fetch_window(next, to).await?
        };
        let fetch_time = fetch_time.unwrap_or_else(|| started.elapsed());
        self.status
            .metrics
            .fetch_seconds
            .observe(fetch_time.as_secs_f64());
        let lagging = Step::Lagging {
            head,
            indexed: checkpoint.map_or(next.saturating_sub(1), |cp| cp.number),
        };
        let Some(mut fetched) = fetched else {
            return Ok(lagging);
        };
        match checkpoint {
            Some(cp) if fetched.parent_hash != cp.hash => return self.reorg(cp, head).await,
            Some(_) => {}
            // The first range: keep its parent too, so that a reorg of the
            // start block itself finds a common ancestor.
            None if next > 0 => match self.block(next - 1).await? {
                Some(parent) if parent.hash == fetched.parent_hash => {
                    fetched.blocks.insert(0, parent);
                }
                Some(_) => {
                    return Err(Error::Inconsistent(format!(
                        "block {next} does not descend from block {}: the chain moved",
                        next - 1
                    )));
                }
                None => return Ok(lagging),
            },
            None => {}
        }
        let (from, to, logs) = (next, fetched.last.number, fetched.logs.len());
        self.adapt(to - from + 1, logs, fetch_time);
        let commit = self.commit_task(checkpoint, None, fetched, safe);
        if to < safe {
            // More final blocks follow: fetch the next range while this one commits.
            let ahead_to = (to + 1).saturating_add(self.range - 1).min(safe);
            let fetch_started = Instant::now();
            let (committed, ahead) = tokio::join!(commit, self.fetch_final(to + 1, ahead_to));
            committed?;
            // A failed fetch ahead is not this step's failure: the next step
            // fetches the range again and meets the error there.
            if let Ok(Some(fetched)) = ahead {
                self.prefetched = Some(Prefetched {
                    from: to + 1,
                    fetched,
                    fetch_time: fetch_started.elapsed(),
                });
            }
        } else {
            commit.await?;
        }
        tracing::debug!(from, to, logs, "applied");
        Ok(Step::Applied { from, to, logs })
    }

    /// Finds the highest stored block the node still has, and replaces
    /// everything above it with the node's blocks, in one transaction.
    async fn reorg(&mut self, cp: BlockRef, head: u64) -> Result<Step> {
        let window = db::window(&self.pool, cp.number).await?;
        let mut ancestor = None;
        for stored in &window {
            match self.block(stored.number).await? {
                // The node does not know a block below its own head: it lags.
                None => {
                    return Ok(Step::Lagging {
                        head,
                        indexed: cp.number,
                    });
                }
                Some(block) if block.hash == stored.hash => {
                    ancestor = Some(*stored);
                    break;
                }
                Some(_) => {}
            }
        }
        let Some(ancestor) = ancestor else {
            return Err(Error::ReorgTooDeep {
                checkpoint: cp.number,
                lowest: window.last().map_or(cp.number, |block| block.number),
                kept: window.len(),
            });
        };
        // Re-apply at least up to the old checkpoint, so that the indexed
        // block does not move back more than the reorg requires.
        let from = ancestor.number + 1;
        let to = from
            .saturating_add(self.window_range() - 1)
            .max(cp.number)
            .min(head);
        let Some(fetched) = self.fetch_window(from, to).await? else {
            return Ok(Step::Lagging {
                head,
                indexed: cp.number,
            });
        };
        if fetched.parent_hash != ancestor.hash {
            return Err(Error::Inconsistent(format!(
                "block {from} does not descend from block {} any more: the chain moved again",
                ancestor.number
            )));
        }
        let logs = fetched.logs.len();
        let keep_from = self.final_below(head).await?;
        self.commit_task(Some(cp), Some(ancestor.number), fetched, keep_from)
            .await?;
        self.status.reorgs.fetch_add(1, Ordering::Relaxed);
        self.status.metrics.reorgs.inc();
        self.status
            .metrics
            .rollback_depth
            .observe((cp.number - ancestor.number) as f64);
        tracing::warn!(
            ancestor = ancestor.number,
            replaced_to = cp.number,
            depth = cp.number - ancestor.number,
            to,
            "reorg repaired"
        );
        Ok(Step::Reorged {
            ancestor: ancestor.number,
            replaced_to: cp.number,
            to,
            logs,
        })
    }

    /// Commits `fetched`, keeping the headers of blocks from `final_below`
    /// (or the range's last block, if lower) for reorg detection. The future
    /// borrows nothing of `self`, so a fetch can run beside it.
    fn commit_task(
        &self,
        expected: Option<BlockRef>,
        rollback_to: Option<u64>,
        fetched: Fetched,
        final_below: u64,
    ) -> impl Future<Output = Result<()>> + use<> {
        let pool = self.pool.clone();
        let status = Arc::clone(&self.status);
        let commit = Commit {
            expected,
            rollback_to,
            chain_id: self.meta.chain_id,
            sources: self.meta.sources(),
            blocks: fetched.blocks,
            checkpoint: fetched.last,
            prune_below: final_below.min(fetched.last.number),
            logs: fetched.logs,
        };
        async move {
            let (last, logs) = (commit.checkpoint.number, commit.logs.len());
            let started = Instant::now();
            db::commit(&pool, commit).await?;
            let metrics = &status.metrics;
            metrics
                .commit_seconds
                .observe(started.elapsed().as_secs_f64());
            metrics.events.inc_by(logs as u64);
            metrics.indexed_to(last);
            Ok(())
        }
    }

    /// Blocks per range inside the unfinalized window: every header is
    /// fetched there, so never more than the window.
    fn window_range(&self) -> u64 {
        self.range.min(self.config.finality_depth.max(1))
    }

    /// Grows the range after a cheap success, shrinks it after a heavy one.
    fn adapt(&mut self, span: u64, logs: usize, elapsed: Duration) {
        self.since_refusal = self.since_refusal.saturating_add(1);
        if self.since_refusal >= CEILING_MEMORY {
            self.ceiling = None;
        }
        // Aim at `target_logs` per range from this range's density: shrink
        // to it at once (a dense range costs memory), grow at most twofold
        // per step (an empty range says little about the next).
        let target = self.config.target_logs.max(1) as u64;
        let logs = (logs as u64).max(1);
        let aimed = span.saturating_mul(target) / logs;
        if logs > target {
            self.range = aimed.max(1);
        } else if span >= self.range && elapsed < Duration::from_secs(2) {
            let limit = self
                .ceiling
                .map_or(self.config.max_range, |ceiling| ceiling - 1)
                .clamp(1, self.config.max_range);
            self.range = aimed
                .min(span.saturating_mul(2))
                .min(limit)
                .max(self.range.min(limit));
        }
        self.status
            .metrics
            .range
            .set(self.range.try_into().unwrap_or(i64::MAX));
    }

    /// Logs and the end headers of a final range. `None` if the node does
    /// not know a block it should (it lags).
    async fn fetch_final(&mut self, from: u64, to: u64) -> Result<Option<Fetched>> {
        let Some(first) = self.block(from).await? else {
            return Ok(None);
        };
        let logs = self.logs(from, to).await?;
        let last = if to == from {
            first
        } else {
            match self.block(to).await? {
                Some(block) => block,
                None => return Ok(None),
            }
        };
        for log in &logs {
            let at = crate::events::Position::of(log)?;
            let expected = match at.block_number as u64 {
                n if n == from => Some(first.hash),
                n if n == to => Some(last.hash),
                n if n < from || n > to => {
                    return Err(Error::Inconsistent(format!(
                        "a log of block {n} in the range {from}..={to}"
                    )));
                }
                _ => None,
            };
            if expected.is_some_and(|hash| hash != at.block_hash) {
                return Err(Error::Inconsistent(format!(
                    "a log of block {} has another block hash than the block: the chain moved",
                    at.block_number
                )));
            }
        }
        let mut blocks = vec![first];
        if to != from {
            blocks.push(last);
        }
        let mut logs = logs;
        if !self.stamp_flows(&mut logs, &blocks).await? {
            return Ok(None);
        }
        Ok(Some(Fetched {
            logs,
            parent_hash: first.parent_hash,
            last: BlockRef {
                number: last.number,
                hash: last.hash,
            },
            blocks,
        }))
    }

    /// Logs and every header of an unfinalized range, each block checked to
    /// be the child of the one before and each log to belong to its block.
    async fn fetch_window(&mut self, from: u64, to: u64) -> Result<Option<Fetched>> {
        let provider = self.provider.clone();
        let timeout = self.config.request_timeout;
        let headers: Vec<Option<StoredBlock>> = stream::iter(from..=to)
            .map(|number| block(&provider, timeout, number))
            .buffered(8)
            .try_collect()
            .await?;
        let Some(blocks) = headers.into_iter().collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        for pair in blocks.windows(2) {
            if pair[1].parent_hash != pair[0].hash {
                return Err(Error::Inconsistent(format!(
                    "block {} is not the child of block {}: the chain moved",
                    pair[1].number, pair[0].number
                )));
            }
        }
        let logs = self.logs(from, to).await?;
        for log in &logs {
            let at = crate::events::Position::of(log)?;
            let number = at.block_number as u64;
            let block = number
                .checked_sub(from)
                .and_then(|offset| blocks.get(offset as usize))
                .ok_or_else(|| {
                    Error::Inconsistent(format!(
                        "a log of block {number} in the range {from}..={to}"
                    ))
                })?;
            if block.hash != at.block_hash {
                return Err(Error::Inconsistent(format!(
                    "a log of block {number} has another block hash than the block: the chain moved"
                )));
            }
        }
        let mut logs = logs;
        if !self.stamp_flows(&mut logs, &blocks).await? {
            return Ok(None);
        }
        let (first, last) = (blocks[0], blocks[blocks.len() - 1]);
        Ok(Some(Fetched {
            logs,
            parent_hash: first.parent_hash,
            last: BlockRef {
                number: last.number,
                hash: last.hash,
            },
            blocks,
        }))
    }

    /// Gives each GDA log its block's timestamp (`FlowDistributionUpdated` carries none, and
    /// a flow's total is rate x time): the node's `blockTimestamp` when it sends one, else the
    /// header among `blocks` or fetched, whose hash must be the log's. `false` if the node
    /// does not know a block it should (it lags).
    async fn stamp_flows(&self, logs: &mut [Log], blocks: &[StoredBlock]) -> Result<bool> {
        let Some(gda) = self.meta.gda else {
            return Ok(true);
        };
        let mut headers: BTreeMap<u64, StoredBlock> =
            blocks.iter().map(|block| (block.number, *block)).collect();
        for log in logs.iter_mut() {
            if log.address() != gda || log.block_timestamp.is_some() {
                continue;
            }
            let at = crate::events::Position::of(log)?;
            let number = at.block_number as u64;
            let header = match headers.get(&number) {
                Some(header) => *header,
                None => match self.block(number).await? {
                    Some(header) => {
                        headers.insert(number, header);
                        header
                    }
                    None => return Ok(false),
                },
            };
            if header.hash != at.block_hash {
                return Err(Error::Inconsistent(format!(
                    "a log of block {number} has another block hash than the block: the chain moved"
                )));
            }
            log.block_timestamp = Some(header.timestamp);
        }
        Ok(true)
    }

    /// `eth_getLogs` over `from..=to`: the suite's and `TributaryStreams`' logs, then the
    /// GDA's `FlowDistributionUpdated` to the pools known so far and those created in the
    /// range (a pool receives no flow before it exists), in chain order. A failure halves the
    /// range for the next attempt: providers refuse large ranges in many
    /// ways (too many results, response too large, 413, 429, timeouts).
    async fn logs(&mut self, from: u64, to: u64) -> Result<Vec<Log>> {
        let result = self.fetch_logs(from, to).await;
        if let Err(error) = &result {
            let span = to - from + 1;
            self.range = (span / 2).max(1);
            // Remember sizes the node refused; a rate limit or a dropped
            // connection says nothing about size.
            if refuses_size(error) {
                self.ceiling = Some(self.ceiling.map_or(span, |ceiling| ceiling.min(span)));
                self.since_refusal = 0;
            }
        }
        result
    }

    async fn fetch_logs(&mut self, from: u64, to: u64) -> Result<Vec<Log>> {
        let mut addresses = vec![self.config.contract];
        addresses.extend(self.meta.streams);
        let filter = Filter::new()
            .address(addresses)
            .from_block(from)
            .to_block(to);
        let mut logs = timed(
            self.config.request_timeout,
            "eth_getLogs",
            self.provider.get_logs(&filter),
        )
        .await?;
        let (Some(streams), Some(gda)) = (self.meta.streams, self.meta.gda) else {
            return Ok(logs);
        };
        self.pools
            .extend(crate::events::created_pools(streams, &logs));
        if self.pools.is_empty() {
            return Ok(logs);
        }
        let mut pools: Vec<B256> = self.pools.iter().map(|pool| pool.into_word()).collect();
        pools.sort();
        for chunk in pools.chunks(POOLS_PER_REQUEST) {
            let filter = Filter::new()
                .address(gda)
                .event_signature(crate::events::flow_topic())
                .topic2(chunk.to_vec())
                .from_block(from)
                .to_block(to);
            let flows = timed(
                self.config.request_timeout,
                "eth_getLogs",
                self.provider.get_logs(&filter),
            )
            .await?;
            logs.extend(flows);
        }
        logs.sort_by_key(|log| (log.block_number, log.log_index));
        Ok(logs)
    }

    async fn head(&self) -> Result<u64> {
        let head = timed(
            self.config.request_timeout,
            "eth_blockNumber",
            self.provider.get_block_number(),
        )
        .await?;
        self.status.head.store(head, Ordering::Relaxed);
        self.status.metrics.saw_head(head);
        Ok(head)
    }

    /// The highest block that counts as final at `head`: `head -
    /// finality_depth`, or the node's `finalized` block if that is higher.
    async fn final_below(&mut self, head: u64) -> Result<u64> {
        let by_depth = head.saturating_sub(self.config.finality_depth);
        Ok(match self.finalized().await? {
            Some(finalized) => by_depth.max(finalized.min(head)),
            None => by_depth,
        })
    }

    /// The node's `finalized` block number: `None` if it has none yet or
    /// does not know the tag (an RPC error answer, remembered). A transport
    /// failure is an error, retried with the step.
    async fn finalized(&mut self) -> Result<Option<u64>> {
        if self.finalized_tag == Some(false) {
            return Ok(None);
        }
        let answer = timed(
            self.config.request_timeout,
            "eth_getBlockByNumber",
            self.provider
                .get_block_by_number(BlockNumberOrTag::Finalized)
                .hashes(),
        )
        .await;
        match answer {
            Ok(block) => {
                self.finalized_tag = Some(true);
                Ok(block.map(|block| block.header.number))
            }
            Err(Error::Rpc(error))
                if matches!(error.as_ref(), alloy::transports::RpcError::ErrorResp(_)) =>
            {
                tracing::info!(%error, "the node has no `finalized` tag: finality by depth only");
                self.finalized_tag = Some(false);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    async fn block(&self, number: u64) -> Result<Option<StoredBlock>> {
        block(&self.provider, self.config.request_timeout, number).await
    }
}

async fn block(
    provider: &DynProvider,
    timeout: Duration,
    number: u64,
) -> Result<Option<StoredBlock>> {
    let block = timed(
        timeout,
        "eth_getBlockByNumber",
        provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .hashes(),
    )
    .await?;
    Ok(block.map(|block| StoredBlock {
        number: block.header.number,
        hash: block.header.hash,
        parent_hash: block.header.parent_hash,
        timestamp: block.header.timestamp,
    }))
}

/// Whether a failed `eth_getLogs` says the range was too large: an answer
/// with a JSON-RPC error (too many results, range too wide, response too
/// large), HTTP 413, or no answer in time.
fn refuses_size(error: &Error) -> bool {
    use alloy::transports::{RpcError, TransportErrorKind};
    match error {
        Error::Timeout { .. } => true,
        Error::Rpc(error) => match error.as_ref() {
            RpcError::ErrorResp(_) => true,
            RpcError::Transport(TransportErrorKind::HttpError(http)) => http.status == 413,
            _ => false,
        },
        _ => false,
    }
}

/// `request` with a time limit.
async fn timed<T>(
    timeout: Duration,
    method: &'static str,
    request: impl IntoFuture<Output = alloy::transports::TransportResult<T>>,
) -> Result<T> {
    match tokio::time::timeout(timeout, request).await {
        Ok(result) => result.map_err(Error::rpc),
        Err(_) => Err(Error::Timeout { method, timeout }),
    }
}
