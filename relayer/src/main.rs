//! `tributary-relayer`: Stripe webhooks in, on-chain credits out, exactly
//! once. Settings come from flags or the environment (`tributary-relayer
//! --help`); secrets only from the environment or files, never from flags.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy::primitives::Address;
use anyhow::{Context, Result, bail};
use clap::Parser;
use tributary_core::{
    chain::{Client, Config},
    signing::Key,
};
use tributary_relayer::{
    PayoutConfig, Payouts, SenderConfig, Worker, WorkerConfig,
    api::{self, AppState},
    config,
    creators::LinkSettings,
    db,
    ledger::LedgerConfig,
    stripe::{StripeClient, Verifier},
};

/// Turn verified Stripe payments into Tributary credits on-chain, exactly once.
///
/// Secrets: the relayer key from TRIBUTARY_RELAYER_KEY (hex) or
/// --relayer-key-file; the webhook secret from STRIPE_WEBHOOK_SECRET or
/// --webhook-secret-file. Neither is ever logged.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/relayer (never logged).
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

    /// The Tributary contract. Default: `tributary` in the deployment file.
    #[arg(long, env = "TRIBUTARY_CONTRACT")]
    contract: Option<Address>,

    /// The suite's first block (its deployment block): a card payment's
    /// licence is bought with the terms read from the contract's events from
    /// there on. Default: `blockNumber` of the deployment file when the
    /// contract comes from it, else 0.
    #[arg(long, env = "TRIBUTARY_FROM_BLOCK")]
    from_block: Option<u64>,

    /// Folder of deployment files (`<chainId>.json`, written by scripts/deploy.sh).
    #[arg(long, env = "TRIBUTARY_DEPLOYMENTS", default_value = "deployments")]
    deployments: PathBuf,

    /// File holding the relayer's hex private key (instead of TRIBUTARY_RELAYER_KEY).
    #[arg(long, env = "TRIBUTARY_RELAYER_KEY_FILE")]
    relayer_key_file: Option<PathBuf>,

    /// File holding the Stripe webhook secret (instead of STRIPE_WEBHOOK_SECRET).
    #[arg(long, env = "STRIPE_WEBHOOK_SECRET_FILE")]
    webhook_secret_file: Option<PathBuf>,

    /// Seconds a signed timestamp may differ from now.
    #[arg(long, env = "STRIPE_WEBHOOK_TOLERANCE_SECS", default_value_t = 300)]
    webhook_tolerance_secs: u64,

    /// The currency credited (ISO code): one credit per smallest unit (cent).
    #[arg(long, env = "TRIBUTARY_CURRENCY", default_value = "usd")]
    currency: String,

    /// Address the HTTP API listens on (port 0: any free port; the chosen
    /// address is printed on stdout as `listening on ADDR`).
    #[arg(long, env = "TRIBUTARY_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,

    /// Blocks that must include a transaction (its own included) before its job is done.
    #[arg(long, env = "TRIBUTARY_CONFIRMATIONS", default_value_t = 1)]
    confirmations: u64,

    /// Seconds to wait for those confirmations before the attempt counts as failed.
    #[arg(long, env = "TRIBUTARY_RECEIPT_TIMEOUT_SECS", default_value_t = 120)]
    receipt_timeout_secs: u64,

    /// Milliseconds between polls of the node for receipts (default: alloy's choice).
    #[arg(long, env = "TRIBUTARY_CHAIN_POLL_MS")]
    chain_poll_ms: Option<u64>,

    /// Seconds a claimed job stays claimed; must exceed the receipt timeout.
    #[arg(long, env = "TRIBUTARY_LEASE_SECS", default_value_t = 300)]
    lease_secs: u64,

    /// Attempts before a job is parked as failed.
    #[arg(long, env = "TRIBUTARY_MAX_ATTEMPTS", default_value_t = 8)]
    max_attempts: i32,

    /// Milliseconds to wait after a first failure (doubled after each next one).
    #[arg(long, env = "TRIBUTARY_BACKOFF_MS", default_value_t = 1000)]
    backoff_ms: u64,

    /// Longest wait between attempts, in seconds.
    #[arg(long, env = "TRIBUTARY_MAX_BACKOFF_SECS", default_value_t = 300)]
    max_backoff_secs: u64,

    /// Seconds a transaction may stay unmined before it is replaced with fees
    /// raised by at least 12.5 %.
    #[arg(long, env = "TRIBUTARY_BUMP_AFTER_SECS", default_value_t = 60)]
    bump_after_secs: u64,

    /// The highest max fee per gas ever signed, in gwei (fractions allowed):
    /// at the cap a stuck transaction is waited on, not bumped.
    #[arg(long, env = "TRIBUTARY_MAX_FEE_GWEI", default_value_t = 500.0)]
    max_fee_gwei: f64,

    /// Seconds to wait for one answer of the node.
    #[arg(long, env = "TRIBUTARY_RPC_TIMEOUT_SECS", default_value_t = 10)]
    rpc_timeout_secs: u64,

    /// Milliseconds between looks at the outbox when idle.
    #[arg(long, env = "TRIBUTARY_POLL_MS", default_value_t = 1000)]
    poll_ms: u64,

    /// File holding the Stripe secret key (instead of STRIPE_SECRET_KEY).
    /// With a key, creators can link Stripe accounts and are paid out;
    /// without one, payouts are off.
    #[arg(long, env = "STRIPE_SECRET_KEY_FILE")]
    stripe_secret_key_file: Option<PathBuf>,

    /// Stripe's API base URL (a stand-in's in tests).
    #[arg(long, env = "STRIPE_API_BASE", default_value = tributary_relayer::stripe::checkout::STRIPE_API_BASE)]
    stripe_api_base: String,

    /// A creator is paid once owed at least this many cents.
    #[arg(long, env = "TRIBUTARY_PAYOUT_THRESHOLD_CENTS", default_value_t = 1000)]
    payout_threshold_cents: i64,

    /// Seconds between payout batches (at most one batch per interval).
    #[arg(long, env = "TRIBUTARY_PAYOUT_INTERVAL_SECS", default_value_t = 3600)]
    payout_interval_secs: u64,

    /// Seconds before a transfer refused for the platform's balance is tried again.
    #[arg(
        long,
        env = "TRIBUTARY_PAYOUT_BALANCE_RETRY_SECS",
        default_value_t = 900
    )]
    payout_balance_retry_secs: u64,

    /// Milliseconds between looks of the payout loop (ledger, batches, transfers).
    #[arg(long, env = "TRIBUTARY_PAYOUT_POLL_MS", default_value_t = 5000)]
    payout_poll_ms: u64,

    /// Seconds a transfer claim lasts (a killed process's transfer is taken over after it).
    #[arg(long, env = "TRIBUTARY_PAYOUT_LEASE_SECS", default_value_t = 120)]
    payout_lease_secs: u64,

    /// Seconds a creator's link signature stays valid.
    #[arg(long, env = "TRIBUTARY_LINK_TOLERANCE_SECS", default_value_t = 300)]
    link_tolerance_secs: u64,

    /// Where Stripe sends a creator whose onboarding link expired.
    #[arg(
        long,
        env = "TRIBUTARY_ONBOARDING_REFRESH_URL",
        default_value = "http://127.0.0.1:8080/creators/onboarding/refresh"
    )]
    onboarding_refresh_url: String,

    /// Where Stripe sends a creator after onboarding.
    #[arg(
        long,
        env = "TRIBUTARY_ONBOARDING_RETURN_URL",
        default_value = "http://127.0.0.1:8080/creators/onboarding/done"
    )]
    onboarding_return_url: String,
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

    if args.lease_secs <= args.receipt_timeout_secs {
        bail!(
            "--lease-secs ({}) must exceed --receipt-timeout-secs ({}): a job still waiting \
             for its receipt would be claimed again",
            args.lease_secs,
            args.receipt_timeout_secs
        );
    }
    if !(args.max_fee_gwei.is_finite() && args.max_fee_gwei > 0.0) {
        bail!("--max-fee-gwei must be a positive number");
    }
    let key = match &args.relayer_key_file {
        Some(path) => Key::from_file(path)?,
        None => Key::from_env("TRIBUTARY_RELAYER_KEY").context(
            "the relayer key is needed: set TRIBUTARY_RELAYER_KEY or --relayer-key-file",
        )?,
    };
    let secret = match &args.webhook_secret_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim()
            .to_owned(),
        None => std::env::var("STRIPE_WEBHOOK_SECRET").context(
            "the webhook secret is needed: set STRIPE_WEBHOOK_SECRET or --webhook-secret-file",
        )?,
    };
    if secret.is_empty() {
        bail!("the Stripe webhook secret is empty");
    }
    let stripe_key = match &args.stripe_secret_key_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?
                .trim()
                .to_owned(),
        ),
        None => std::env::var("STRIPE_SECRET_KEY").ok(),
    };
    let stripe = match stripe_key {
        Some(key) => Some(
            StripeClient::new(key, &args.stripe_api_base)
                .map_err(|error| anyhow::anyhow!("the Stripe client: {error}"))?,
        ),
        None => None,
    };
    if args.payout_threshold_cents <= 0 {
        bail!("--payout-threshold-cents must be positive");
    }
    let verifier =
        Verifier::new(secret).with_tolerance(Duration::from_secs(args.webhook_tolerance_secs));

    let pool = db::connect(&args.database_url)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool).await.context("migrating the database")?;

    let mut chain = Config::default()
        .with_confirmations(args.confirmations)
        .with_receipt_timeout(Duration::from_secs(args.receipt_timeout_secs));
    if let Some(ms) = args.chain_poll_ms {
        chain = chain.with_poll_interval(Duration::from_millis(ms));
    }
    let client = Client::connect(&args.rpc_url, Some(&key), chain)
        .await
        .context("connecting to the node")?;
    let chain_id = client.chain_id();
    let (contract, deployed_at) = match args.contract {
        Some(contract) => (contract, 0),
        None => {
            let deployment = config::deployment(&args.deployments, client.chain_id())?;
            (deployment.tributary, deployment.block_number)
        }
    };
    let from_block = args.from_block.unwrap_or(deployed_at);
    let tributary = client.tributary(contract);
    match tributary.relayer_role().await {
        Ok(role) => match tributary.has_role(role, key.address()).await {
            Ok(true) => {}
            Ok(false) => tracing::error!(
                relayer = %key.address(),
                "the relayer key does not hold RELAYER_ROLE: jobs will fail until it is granted"
            ),
            Err(error) => tracing::warn!(%error, "cannot check the relayer role"),
        },
        Err(error) => tracing::warn!(%error, "cannot check the relayer role"),
    }
    tracing::info!(
        chain_id = client.chain_id(),
        %contract,
        relayer = %key.address(),
        "relaying"
    );

    let sender = SenderConfig::default()
        .with_bump_after(Duration::from_secs(args.bump_after_secs))
        .with_max_fee_per_gas((args.max_fee_gwei * 1e9) as u128)
        .with_rpc_timeout(Duration::from_secs(args.rpc_timeout_secs));
    let worker_tributary = tributary.clone();
    let worker = Worker::new(
        pool.clone(),
        tributary,
        &key,
        WorkerConfig::default()
            .with_sender(sender)
            .with_lease(Duration::from_secs(args.lease_secs))
            .with_max_attempts(args.max_attempts)
            .with_backoff(
                Duration::from_millis(args.backoff_ms),
                Duration::from_secs(args.max_backoff_secs),
            )
            .with_poll_interval(Duration::from_millis(args.poll_ms))
            .with_from_block(from_block),
    );

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    // Tests and scripts read the port from this line.
    println!("listening on {address}");
    tracing::info!(%address, "HTTP API listening");
    let mut state =
        AppState::new(pool.clone(), verifier, &args.currency).with_waker(worker.waker());
    let payouts = match stripe {
        Some(stripe) => {
            state = state.with_connect(
                stripe.clone(),
                LinkSettings {
                    chain_id,
                    tolerance: Duration::from_secs(args.link_tolerance_secs),
                    refresh_url: args.onboarding_refresh_url.clone(),
                    return_url: args.onboarding_return_url.clone(),
                },
            );
            let config = PayoutConfig {
                threshold: args.payout_threshold_cents,
                interval: Duration::from_secs(args.payout_interval_secs),
                currency: args.currency.to_ascii_lowercase(),
                ledger: LedgerConfig {
                    from_block,
                    confirmations: args.confirmations,
                    ..LedgerConfig::default()
                },
                lease: Duration::from_secs(args.payout_lease_secs),
                backoff: Duration::from_millis(args.backoff_ms),
                max_backoff: Duration::from_secs(args.max_backoff_secs),
                balance_retry: Duration::from_secs(args.payout_balance_retry_secs),
                poll_interval: Duration::from_millis(args.payout_poll_ms),
            };
            tracing::info!(threshold = config.threshold, interval = ?config.interval, "payouts on");
            Some(Payouts::new(pool, worker_tributary.clone(), stripe, config))
        }
        None => {
            tracing::info!("no Stripe secret key: creator payouts are off");
            None
        }
    };
    let server = axum::serve(listener, api::router(state)).with_graceful_shutdown(shutdown());
    let payouts = async {
        match &payouts {
            Some(payouts) => payouts.run().await,
            None => std::future::pending().await,
        }
    };

    tokio::select! {
        served = server => served.context("HTTP server")?,
        () = worker.run() => {}
        () = payouts => {}
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (logged).
async fn shutdown() {
    tributary_core::shutdown::signal().await;
    tracing::info!("shutting down");
}
