//! `tributary init`: write `config.toml` and, unless one exists or comes from the environment,
//! a new signing key.

use std::{fs, path::PathBuf};

use alloy::primitives::Address;
use anyhow::{Context, bail};
use serde::Serialize;
use tributary_core::{chain::Deployment, signing::Key};

use crate::{
    Outcome,
    home::{ChainConfig, Config, Home, MNEMONIC_ENV, PRIVATE_KEY_ENV},
    output,
};

/// Arguments of `tributary init`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The chain's JSON-RPC URL.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// The Tributary contract's address.
    #[arg(
        long,
        conflicts_with = "deployment",
        required_unless_present = "deployment"
    )]
    contract: Option<Address>,
    /// A deployment file written by `scripts/deploy.sh` (`deployments/<chainId>.json`): the
    /// contract and its deployment block come from it.
    #[arg(long)]
    deployment: Option<PathBuf>,
    /// The TributaryStreams contract (Superfluid subscriptions), with --contract; with
    /// --deployment it comes from the file's `streams` (scripts/deploy-streams.sh).
    #[arg(long, conflicts_with = "deployment")]
    streams: Option<Address>,
    /// Keep blobs in this directory instead of `<home>/blobs`.
    #[arg(long)]
    store: Option<PathBuf>,
    /// Confirmations to wait for after each transaction.
    #[arg(long, default_value_t = 1)]
    confirmations: u64,
    /// Replace an existing config.toml (the key is never replaced).
    #[arg(long)]
    force: bool,
}

#[derive(Serialize)]
struct Report {
    config: String,
    address: String,
    key: &'static str,
}

pub(crate) fn run(args: &Args, home: PathBuf, json: bool) -> anyhow::Result<Outcome> {
    let config_path = home.join("config.toml");
    if config_path.exists() && !args.force {
        bail!(
            "{} exists: pass --force to replace it",
            config_path.display()
        );
    }
    let (contract, from_block, streams) = match (&args.contract, &args.deployment) {
        (Some(contract), _) => (*contract, 0, args.streams),
        (None, Some(path)) => {
            let deployment = Deployment::load(path)?;
            (
                deployment.tributary,
                deployment.block_number,
                deployment.streams.map(|streams| streams.tributary_streams),
            )
        }
        (None, None) => bail!("pass --contract ADDRESS or --deployment FILE"),
    };
    fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;

    let config = Config {
        chain: ChainConfig {
            rpc_url: args.rpc_url.clone(),
            contract,
            from_block,
            confirmations: args.confirmations,
            streams,
        },
        storage: None,
        key_file: PathBuf::from("key"),
    };
    let mut text = toml::to_string(&config).context("cannot write the configuration")?;
    if let Some(store) = &args.store {
        let root = toml::Value::String(store.display().to_string());
        text.push_str(&format!(
            "\n[storage]\nbackend = \"local\"\nroot = {root}\n"
        ));
    }
    fs::write(&config_path, text)
        .with_context(|| format!("cannot write {}", config_path.display()))?;

    let key_path = home.join(&config.key_file);
    let from_environment =
        std::env::var_os(PRIVATE_KEY_ENV).is_some() || std::env::var_os(MNEMONIC_ENV).is_some();
    let origin = if from_environment {
        "environment"
    } else if key_path.exists() {
        "existing key file"
    } else {
        Key::create_file(&key_path)?;
        "new key file"
    };
    let key = Home::load(home)?.key()?;
    let report = Report {
        config: config_path.display().to_string(),
        address: format!("{:#x}", key.address()),
        key: origin,
    };
    if json {
        output::json(&report)?;
    } else {
        println!("wrote {}", report.config);
        println!("account {} ({})", report.address, report.key);
    }
    Ok(Outcome::Ok)
}
