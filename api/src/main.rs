//! `tributary-api`: the product HTTP API and the indexer in one process, on one port
//! (`tributary-api --help`). Its settings are the indexer's, plus where the server keeps its
//! access key, the domain wallets sign in to and the card payments' Stripe settings; flags,
//! environment or a TOML file (`--config`). The Stripe secret key comes only from the
//! environment (`STRIPE_SECRET_KEY`) or a file (`--stripe-secret-key-file`), never a flag.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use tributary_core::crypto::{KekStore, KeyId};
use tributary_indexer::{
    service::{self, ServiceArgs},
    settings,
};

/// Serve Tributary's product API (publish, buy, report usage, licence-gated downloads) beside
/// the indexer's reads.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,

    /// Folder of the server's access key (created with mode 0700, the key file 0600, on first
    /// start): data keys creators hand over for downloads are kept wrapped under it. Losing it
    /// stops every download until the creators grant access again; destroying it is
    /// crypto-shredding of every grant.
    #[arg(
        long,
        env = "TRIBUTARY_ACCESS_KEYS",
        default_value = ".tributary/api/keys"
    )]
    access_keys: PathBuf,

    /// The domain (host[:port]) sign-in messages must name, as the user's browser shows this
    /// server. Default: the `--listen` address.
    #[arg(long, env = "TRIBUTARY_SIWE_DOMAIN")]
    siwe_domain: Option<String>,

    /// File holding the Stripe secret key (instead of STRIPE_SECRET_KEY). With neither, card
    /// purchases (`payment_method: "stripe"`) are refused with 409.
    #[arg(long, env = "STRIPE_SECRET_KEY_FILE")]
    stripe_secret_key_file: Option<PathBuf>,

    /// Stripe's API base URL (a stand-in's in tests).
    #[arg(long, env = "STRIPE_API_BASE", default_value = tributary_relayer::stripe::checkout::STRIPE_API_BASE)]
    stripe_api_base: String,

    /// Where Stripe sends a card buyer who paid (Stripe replaces `{CHECKOUT_SESSION_ID}`).
    #[arg(
        long,
        env = "TRIBUTARY_CHECKOUT_SUCCESS_URL",
        default_value = "http://localhost:3000/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    )]
    checkout_success_url: String,

    /// Where Stripe sends a card buyer who gave up.
    #[arg(
        long,
        env = "TRIBUTARY_CHECKOUT_CANCEL_URL",
        default_value = "http://localhost:3000/checkout/cancel"
    )]
    checkout_cancel_url: String,

    /// The currency card purchases are charged in (one credit per smallest unit); the relayer
    /// must credit the same one (its --currency).
    #[arg(long, env = "TRIBUTARY_CURRENCY", default_value = "usd")]
    currency: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service::init_tracing();
    let args: Args = settings::parse()?;
    let keys = KekStore::open(&args.access_keys).with_context(|| {
        format!(
            "opening the access key folder {}",
            args.access_keys.display()
        )
    })?;
    let domain = args
        .siwe_domain
        .unwrap_or_else(|| args.service.listen().to_string());
    let access = tributary_api::AccessConfig::open(keys, KeyId::new("api-access")?, domain)
        .context("creating or loading the access key")?;
    let card = card_payments(
        args.stripe_secret_key_file.as_deref(),
        &args.stripe_api_base,
        args.checkout_success_url,
        args.checkout_cancel_url,
        args.currency,
    )?;
    service::run(args.service, Some(tributary_api::extension(access, card))).await
}

/// Card payments when a Stripe secret key is given (the file first, else `STRIPE_SECRET_KEY`);
/// the key is never printed.
fn card_payments(
    key_file: Option<&std::path::Path>,
    base: &str,
    success_url: String,
    cancel_url: String,
    currency: String,
) -> anyhow::Result<Option<tributary_api::CardPayments>> {
    let key =
        match key_file {
            Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
                format!("reading the Stripe secret key file {}", path.display())
            })?),
            None => std::env::var("STRIPE_SECRET_KEY").ok(),
        };
    let Some(key) = key.filter(|key| !key.trim().is_empty()) else {
        tracing::info!("no Stripe secret key: card purchases are refused");
        return Ok(None);
    };
    let client = tributary_relayer::stripe::StripeClient::new(key, base)
        .map_err(|error| anyhow::anyhow!("the Stripe settings: {error}"))?;
    let currency = currency.to_ascii_lowercase();
    tracing::info!(stripe = %client.base(), %currency, "card purchases through Stripe Checkout");
    Ok(Some(tributary_api::CardPayments {
        client,
        success_url,
        cancel_url,
        currency,
    }))
}
