//! The indexer as a service: settings, database (PostgreSQL by URL or the embedded server),
//! the sync loop, the manifest fetcher and the HTTP API, run until a shutdown signal.
//!
//! `tributary-indexer` is this and nothing more; the product API binary runs the same service
//! with its own routes added on the same port ([`Extension`]), so a laptop needs one process
//! and one database connection (the embedded PostgreSQL serves one at a time).

use std::{future::Future, net::SocketAddr, path::PathBuf, pin::Pin, sync::Arc, time::Duration};

use alloy::primitives::Address;
use anyhow::{Context, Result};
use axum::Router;
use tributary_core::storage::{BlobStore, KuboConfig, StoreConfig};

use crate::{
    Indexer, SyncConfig,
    api::{self, AppState},
    config,
    db::{self, Meta},
    manifests::ManifestFetcher,
};

/// What a service sharing the indexer's process and port gets to build its routes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServiceContext {
    /// The indexer's database (migrated; reads of the mirror).
    pub pool: sqlx::PgPool,
    /// The chain and contract the mirror follows.
    pub meta: Meta,
    /// The node's JSON-RPC URL (a secret: never log it).
    pub rpc_url: String,
    /// The blob store `--manifest-store` names, if any.
    pub manifest_store: Option<Arc<dyn BlobStore>>,
}

/// Builds extra routes (state applied) and their OpenAPI document, merged into the indexer's
/// router and its `/openapi.json`.
pub type Extension = Box<
    dyn FnOnce(
            ServiceContext,
        )
            -> Pin<Box<dyn Future<Output = Result<(Router, utoipa::openapi::OpenApi)>> + Send>>
        + Send,
>;

/// The indexer service's settings, from flags or the environment. A binary that serves more
/// than the indexer (the product API) flattens these into its own arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/tributary (never logged).
    /// Without it, a build with the `embedded-db` feature runs an embedded
    /// PostgreSQL under `--data-dir`; any other build refuses to start.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,

    /// Folder of the embedded PostgreSQL's data (in `<data-dir>/pglite`), used
    /// when no `--database-url` is given; kept across restarts.
    #[cfg(feature = "embedded-db")]
    #[arg(long, env = "TRIBUTARY_DATA_DIR", default_value = ".tributary/indexer")]
    data_dir: PathBuf,

    /// JSON-RPC URL of the chain's node (HTTP or HTTPS; never logged).
    #[arg(
        long,
        env = "TRIBUTARY_RPC_URL",
        hide_env_values = true,
        default_value = "http://127.0.0.1:8545"
    )]
    rpc_url: String,

    /// WebSocket URL of the node (ws:// or wss://; never logged): new blocks
    /// are announced by an `eth_subscribe newHeads` subscription instead of
    /// waiting for the next poll. Without it, or while it is down, the
    /// indexer polls.
    #[arg(long, env = "TRIBUTARY_WS_URL", hide_env_values = true)]
    ws_url: Option<String>,

    /// The Tributary contract. Default: `tributary` in the deployment file.
    #[arg(long, env = "TRIBUTARY_CONTRACT")]
    contract: Option<Address>,

    /// The first block to index in a new database. Default: `blockNumber` in
    /// the deployment file when the contract comes from it, else 0.
    #[arg(long, env = "TRIBUTARY_START_BLOCK")]
    start_block: Option<u64>,

    /// `TributaryStreams` (Superfluid subscriptions): its events and the flows to its pools
    /// are mirrored too (needs `--superfluid-host`). Default: `streams.tributaryStreams` of
    /// the deployment file when the contract comes from it; none otherwise.
    #[arg(long, env = "TRIBUTARY_STREAMS_CONTRACT")]
    streams_contract: Option<Address>,

    /// Superfluid's host, which names the GDA whose `FlowDistributionUpdated` events are
    /// followed with the streams. Default: `streams.host` of the deployment file.
    #[arg(long, env = "TRIBUTARY_SUPERFLUID_HOST")]
    superfluid_host: Option<Address>,

    /// Folder of deployment files (`<chainId>.json`, written by scripts/deploy.sh).
    #[arg(long, env = "TRIBUTARY_DEPLOYMENTS", default_value = "deployments")]
    deployments: PathBuf,

    /// Blocks behind the head that count as final; a deeper reorg stops the indexer.
    #[arg(long, env = "TRIBUTARY_FINALITY_DEPTH", default_value_t = 64)]
    finality_depth: u64,

    /// Address the HTTP API listens on (port 0: any free port; the chosen
    /// address is printed on stdout as `listening on ADDR`).
    #[arg(long, env = "TRIBUTARY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Milliseconds between polls for new blocks once caught up.
    #[arg(long, env = "TRIBUTARY_POLL_MS", default_value_t = 1000)]
    poll_ms: u64,

    /// Blocks per eth_getLogs at start (adapted as the node answers).
    #[arg(long, env = "TRIBUTARY_INITIAL_RANGE", default_value_t = 100)]
    initial_range: u64,

    /// Most blocks per eth_getLogs.
    #[arg(long, env = "TRIBUTARY_MAX_RANGE", default_value_t = 10_000)]
    max_range: u64,

    /// Most blocks behind the head at which `/readyz` still answers ready.
    #[arg(long, env = "TRIBUTARY_READY_WITHIN", default_value_t = 2)]
    ready_within: u64,

    /// Where to fetch datasets' manifests from, for their titles and descriptions (shown by
    /// the API and searched by `GET /datasets?q=`): a blob store directory (as `tributary
    /// publish` writes, e.g. `.tributary/blobs`) or a Kubo RPC API URL (`http://127.0.0.1:5001`).
    /// Without it no manifest is fetched and `q` is refused.
    #[arg(long, env = "TRIBUTARY_MANIFEST_STORE")]
    manifest_store: Option<String>,

    /// Seconds before a JSON-RPC request counts as failed.
    #[arg(long, env = "TRIBUTARY_RPC_TIMEOUT_SECS", default_value_t = 30)]
    rpc_timeout_secs: u64,
}

impl ServiceArgs {
    /// The address the HTTP API listens on (`--listen`).
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Opens the database (migrating it), syncs the chain into it and serves the API, plus the
/// routes `extension` adds, until a shutdown signal or an error a person must look at; then
/// closes the database (stopping the embedded server, if any).
pub async fn run(args: ServiceArgs, extension: Option<Extension>) -> Result<()> {
    let database = Database::open(&args).await?;
    let result = serve(args, database.pool.clone(), extension).await;
    database.close().await;
    result
}

/// The database the indexer writes to: the one `DATABASE_URL` names, or the
/// embedded PostgreSQL, started here and stopped by [`Database::close`].
struct Database {
    pool: sqlx::PgPool,
    #[cfg(feature = "embedded-db")]
    embedded: Option<pglite_oxide::PgliteServer>,
}

impl Database {
    async fn open(args: &ServiceArgs) -> Result<Self> {
        if let Some(url) = &args.database_url {
            let pool = db::connect(url)
                .await
                .context("connecting to the database")?;
            return Ok(Self {
                pool,
                #[cfg(feature = "embedded-db")]
                embedded: None,
            });
        }
        #[cfg(feature = "embedded-db")]
        {
            Self::embedded(&args.data_dir).await
        }
        #[cfg(not(feature = "embedded-db"))]
        {
            // One line, whatever RUST_BACKTRACE says: nothing to debug here.
            eprintln!(
                "error: set DATABASE_URL, or build with --features embedded-db for the embedded PostgreSQL"
            );
            std::process::exit(2);
        }
    }

    /// Starts the embedded PostgreSQL on `<data_dir>/pglite` (created on the
    /// first start, reused after) and opens a pool of one connection on it:
    /// the embedded server serves one connection at a time.
    #[cfg(feature = "embedded-db")]
    async fn embedded(data_dir: &std::path::Path) -> Result<Self> {
        let root = data_dir.join("pglite");
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating the data folder {}", root.display()))?;
        let started = std::time::Instant::now();
        let server = {
            let path = root.clone();
            tokio::task::spawn_blocking(move || {
                pglite_oxide::PgliteServer::builder()
                    .path(path)
                    .database("postgres")
                    .start()
            })
            .await
            .context("starting the embedded PostgreSQL")?
            .with_context(|| format!("starting the embedded PostgreSQL in {}", root.display()))?
        };
        tracing::info!(
            data = %root.display(),
            started_in_ms = started.elapsed().as_millis() as u64,
            "embedded PostgreSQL started (no DATABASE_URL)"
        );
        let pool = match db::connect_with(&server.database_url(), 1).await {
            Ok(pool) => pool,
            Err(error) => {
                stop_embedded(server).await;
                return Err(error).context("connecting to the embedded PostgreSQL");
            }
        };
        Ok(Self {
            pool,
            embedded: Some(server),
        })
    }

    /// Closes the pool (waiting for a commit in flight to finish), then stops
    /// the embedded server if there is one.
    async fn close(self) {
        self.pool.close().await;
        #[cfg(feature = "embedded-db")]
        if let Some(server) = self.embedded {
            stop_embedded(server).await;
        }
    }
}

#[cfg(feature = "embedded-db")]
async fn stop_embedded(server: pglite_oxide::PgliteServer) {
    match tokio::task::spawn_blocking(move || server.shutdown()).await {
        Ok(Ok(())) => tracing::info!("embedded PostgreSQL stopped"),
        Ok(Err(error)) => tracing::warn!("stopping the embedded PostgreSQL: {error:#}"),
        Err(error) => tracing::warn!("stopping the embedded PostgreSQL: {error}"),
    }
}

/// Migrates, then syncs and serves until a shutdown signal or an error a
/// person must look at.
async fn serve(args: ServiceArgs, pool: sqlx::PgPool, extension: Option<Extension>) -> Result<()> {
    db::migrate(&pool).await.context("migrating the database")?;

    let flagged_streams = match (args.streams_contract, args.superfluid_host) {
        (Some(streams), Some(host)) => Some((streams, host)),
        (None, None) => None,
        (Some(_), None) => anyhow::bail!(
            "--streams-contract (TRIBUTARY_STREAMS_CONTRACT) needs --superfluid-host \
             (TRIBUTARY_SUPERFLUID_HOST): the indexer finds Superfluid's GDA from the host"
        ),
        (None, Some(_)) => {
            anyhow::bail!("--superfluid-host is only used with --streams-contract")
        }
    };
    let (contract, start_block, streams) = match args.contract {
        Some(contract) => (contract, args.start_block.unwrap_or(0), flagged_streams),
        None => {
            // The chain id decides which deployment file applies.
            let probe = tributary_core::chain::Client::connect(
                &args.rpc_url,
                None,
                tributary_core::chain::Config::default(),
            )
            .await
            .context("connecting to the node")?;
            let deployment = config::deployment(&args.deployments, probe.chain_id())?;
            (
                deployment.tributary,
                args.start_block.unwrap_or(deployment.block_number),
                flagged_streams.or_else(|| {
                    deployment
                        .streams
                        .map(|streams| (streams.tributary_streams, streams.host))
                }),
            )
        }
    };
    let mut config = SyncConfig::new(contract, start_block)
        .with_finality_depth(args.finality_depth)
        .with_poll_interval(Duration::from_millis(args.poll_ms))
        .with_ranges(args.initial_range, args.max_range)
        .with_request_timeout(Duration::from_secs(args.rpc_timeout_secs.max(1)));
    if let Some(url) = args.ws_url {
        config = config.with_ws_url(url);
    }
    if let Some((streams, host)) = streams {
        config = config.with_streams(streams, host);
    }
    let mut indexer = Indexer::connect(pool.clone(), &args.rpc_url, config)
        .await
        .context("connecting to the node")?;
    let meta = indexer.meta();
    tracing::info!(
        chain_id = meta.chain_id,
        contract = %meta.contract,
        start_block = meta.start_block,
        streams = ?meta.streams,
        gda = ?meta.gda,
        "indexing"
    );

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    // Tests and scripts read the port from this line.
    println!("listening on {address}");
    tracing::info!(%address, "HTTP API listening");
    let fetcher = match &args.manifest_store {
        Some(store) => Some(ManifestFetcher::new(pool.clone(), open_store(store).await?)),
        None => None,
    };
    let state = AppState::new(pool.clone(), meta, indexer.status())
        .with_ready_within(args.ready_within)
        .with_finality_depth(args.finality_depth)
        .with_manifest_search(fetcher.is_some());
    let app = match extension {
        None => api::router(state),
        Some(extension) => {
            let context = ServiceContext {
                pool,
                meta,
                rpc_url: args.rpc_url.clone(),
                manifest_store: match &args.manifest_store {
                    Some(store) => Some(open_store(store).await?),
                    None => None,
                },
            };
            let (routes, doc) = extension(context).await?;
            api::router_with(state, routes, doc)
        }
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown());
    let fetching = async {
        match &fetcher {
            Some(fetcher) => fetch_manifests(fetcher).await,
            None => std::future::pending().await,
        }
    };

    tokio::select! {
        served = server => served.context("HTTP server")?,
        synced = indexer.run() => synced.context("indexing stopped")?,
        fetched = fetching => fetched.context("fetching manifests stopped")?,
    }
    Ok(())
}

/// Runs the manifest fetcher, restarting it after a database error retrying
/// may fix (the database down, or its one embedded connection busy past the
/// pool's wait): fetching titles never stops the indexer for that.
async fn fetch_manifests(fetcher: &ManifestFetcher) -> crate::Result<()> {
    let mut backoff = Duration::from_secs(1);
    loop {
        let started = std::time::Instant::now();
        match fetcher.run().await {
            Err(error) if error.retry_may_help() => {
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
                tracing::warn!(%error, retry_in = ?backoff, "fetching manifests failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
            other => return other,
        }
    }
}

/// The blob store `--manifest-store` names: a Kubo RPC API by URL, else a local directory.
async fn open_store(store: &str) -> Result<Arc<dyn BlobStore>> {
    let config = if store.starts_with("http://") || store.starts_with("https://") {
        StoreConfig::Kubo(KuboConfig {
            url: store.to_owned(),
            ..KuboConfig::default()
        })
    } else {
        StoreConfig::Local {
            root: PathBuf::from(store),
        }
    };
    config
        .open()
        .await
        .with_context(|| format!("opening the manifest store {store}"))
}

/// Resolves on Ctrl-C or SIGTERM (logged).
async fn shutdown() {
    tributary_core::shutdown::signal().await;
    tracing::info!("shutting down");
}
