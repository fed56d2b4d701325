//! `tributary-api`: the product HTTP API and the indexer in one process, on one port
//! (`tributary-api --help`). Its settings are the indexer's, plus where the server keeps its
//! access key and the domain wallets sign in to; flags, environment or a TOML file (`--config`).

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
    service::run(args.service, Some(tributary_api::extension(access))).await
}
