//! The manifests behind the anchored hashes, fetched from a blob store so that the API can show
//! and search what is not on-chain: titles and descriptions.
//!
//! Each version's manifest hash is the sha256 of its canonical JSON, and its URI is
//! `ipfs://<cid>` of that JSON (what `tributary publish` writes). [`ManifestFetcher`] reads the
//! versions whose manifest is not in the `manifests` table yet, fetches each from the store by
//! hash (the store re-hashes every byte; `core::publication::load_manifest` also checks that
//! the JSON parses and is canonical), and records its title, description and creator wallet. A
//! manifest that cannot be fetched (not in the store, wrong bytes, a URI that is not
//! `ipfs://`) is recorded with its error and tried again later, with backoff; it never blocks
//! the chain's sync, which runs apart from it.

use std::{str::FromStr, sync::Arc, time::Duration};

use futures_util::{StreamExt, stream};
use sqlx::PgPool;
use tributary_core::{cid::Cid, hash::Sha256Digest, manifest::Manifest, storage::BlobStore};

use crate::Result;

/// Fetches manifests into the `manifests` table (see the module docs).
#[derive(Debug, Clone)]
pub struct ManifestFetcher {
    pool: PgPool,
    store: Arc<dyn BlobStore>,
    /// Manifests tried per round.
    batch: i64,
    /// Fetches in flight at once.
    concurrency: usize,
    /// Limit on one fetch.
    timeout: Duration,
    /// Wait after a round that found nothing due.
    idle: Duration,
    /// The first retry waits this long, doubling per failure up to `max_retry`.
    retry_base: Duration,
    max_retry: Duration,
}

impl ManifestFetcher {
    /// A fetcher reading `store`: rounds of 64 manifests, 8 at a time, 30 s each at most; 2 s
    /// between rounds with nothing due; retries after 10 s doubling to an hour.
    pub fn new(pool: PgPool, store: Arc<dyn BlobStore>) -> Self {
        Self {
            pool,
            store,
            batch: 64,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            idle: Duration::from_secs(2),
            retry_base: Duration::from_secs(10),
            max_retry: Duration::from_secs(3600),
        }
    }

    /// This fetcher with another wait between idle rounds and another first retry delay.
    pub fn with_timing(mut self, idle: Duration, retry_base: Duration) -> Self {
        self.idle = idle;
        self.retry_base = retry_base;
        self
    }

    /// Fetches forever; returns only on a database error.
    pub async fn run(&self) -> Result<()> {
        loop {
            if self.fetch_due().await? == 0 {
                tokio::time::sleep(self.idle).await;
            }
        }
    }

    /// Tries every manifest due now (never fetched, or its retry time has come), up to one
    /// batch; returns how many were tried.
    pub async fn fetch_due(&self) -> Result<usize> {
        let due: Vec<(Vec<u8>, String)> = sqlx::query_as(
            "SELECT DISTINCT ON (v.manifest_hash) v.manifest_hash, v.uri
             FROM dataset_versions v
             LEFT JOIN manifests m ON m.manifest_hash = v.manifest_hash
             WHERE m.manifest_hash IS NULL
                OR (m.fetched_at IS NULL AND m.next_attempt_at <= now())
             ORDER BY v.manifest_hash, v.block_number, v.log_index
             LIMIT $1",
        )
        .bind(self.batch)
        .fetch_all(&self.pool)
        .await?;
        let tried = due.len();
        let outcomes: Vec<_> = stream::iter(due)
            .map(|(hash, uri)| async move {
                let outcome = self.fetch(&hash, &uri).await;
                (hash, uri, outcome)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for (hash, uri, outcome) in outcomes {
            match outcome {
                Ok(manifest) => self.record(&hash, &manifest).await?,
                Err(reason) => {
                    tracing::warn!(
                        manifest_hash = %alloy::hex::encode(&hash),
                        %uri,
                        %reason,
                        "manifest not fetched"
                    );
                    self.record_failure(&hash, &reason).await?;
                }
            }
        }
        Ok(tried)
    }

    /// The manifest `hash` names, from `uri`'s CID; why not, as a message.
    async fn fetch(&self, hash: &[u8], uri: &str) -> std::result::Result<Manifest, String> {
        let digest = <[u8; 32]>::try_from(hash)
            .map(Sha256Digest::new)
            .map_err(|_| "the manifest hash is not 32 bytes".to_string())?;
        let cid = uri
            .strip_prefix("ipfs://")
            .ok_or_else(|| "only ipfs://<cid> URIs are fetched".to_string())?;
        // `ipfs://<cid>/path` would name a file inside a directory: not a manifest blob.
        let cid = Cid::from_str(cid).map_err(|_| format!("{cid:?} is not a CID"))?;
        let load = tributary_core::publication::load_manifest(&*self.store, digest, cid);
        match tokio::time::timeout(self.timeout, load).await {
            Ok(Ok(manifest)) => Ok(manifest),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer from the store in {:?}", self.timeout)),
        }
    }

    async fn record(&self, hash: &[u8], manifest: &Manifest) -> Result<()> {
        sqlx::query(
            "INSERT INTO manifests
                 (manifest_hash, title, description, creator_wallet, fetched_at, attempts)
             VALUES ($1, $2, $3, $4, now(), 1)
             ON CONFLICT (manifest_hash) DO UPDATE SET
                 title = EXCLUDED.title, description = EXCLUDED.description,
                 creator_wallet = EXCLUDED.creator_wallet, fetched_at = now(),
                 attempts = manifests.attempts + 1, last_error = NULL",
        )
        .bind(hash)
        .bind(&manifest.title)
        .bind(&manifest.description)
        .bind(&manifest.creator.wallet)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_failure(&self, hash: &[u8], reason: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO manifests (manifest_hash, attempts, last_error, next_attempt_at)
             VALUES ($1, 1, $2, now() + make_interval(secs => $3))
             ON CONFLICT (manifest_hash) DO UPDATE SET
                 attempts = manifests.attempts + 1, last_error = EXCLUDED.last_error,
                 next_attempt_at = now() + make_interval(secs =>
                     least($3 * power(2, manifests.attempts), $4))",
        )
        .bind(hash)
        .bind(reason)
        .bind(self.retry_base.as_secs_f64())
        .bind(self.max_retry.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
