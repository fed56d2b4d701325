//! `tributary-indexer`: mirrors the Tributary suite's events into PostgreSQL
//! and serves them over HTTP. Settings come from flags or the environment
//! (`tributary-indexer --help`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy::primitives::Address;
use anyhow::{Context, Result};
use clap::Parser;
use tributary_core::storage::{BlobStore, KuboConfig, StoreConfig};
use tributary_indexer::{
    Indexer, SyncConfig,
    api::{self, AppState},
    config, db,
    manifests::ManifestFetcher,
};

/// Mirror the Tributary suite's events into PostgreSQL and serve them over HTTP.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/tributary (never logged).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,

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

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let pool = db::connect(&args.database_url)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool).await.context("migrating the database")?;

    let (contract, start_block) = match args.contract {
        Some(contract) => (contract, args.start_block.unwrap_or(0)),
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
    let mut indexer = Indexer::connect(pool.clone(), &args.rpc_url, config)
        .await
        .context("connecting to the node")?;
    let meta = indexer.meta();
    tracing::info!(
        chain_id = meta.chain_id,
        contract = %meta.contract,
        start_block = meta.start_block,
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
    let app = api::router(
        AppState::new(pool, meta, indexer.status())
            .with_ready_within(args.ready_within)
            .with_finality_depth(args.finality_depth)
            .with_manifest_search(fetcher.is_some()),
    );
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown());
    let fetching = async {
        match &fetcher {
            Some(fetcher) => fetcher.run().await,
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

/// The blob store `--manifest-store` names: a Kubo RPC API by URL, else a local directory.
async fn open_store(store: &str) -> Result<std::sync::Arc<dyn BlobStore>> {
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

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
