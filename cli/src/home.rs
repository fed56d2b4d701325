//! The user's Tributary home: configuration, signing key, creator keys and publication records.
//!
//! ```text
//! ~/.tributary/            (or --home, or TRIBUTARY_HOME)
//!   config.toml            chain, storage and key settings (`tributary init` writes it)
//!   key                    the signing key, hex, mode 0600 (unless the key comes from the environment)
//!   keys/                  creator keys that wrap each version's data key (crypto-shredding)
//!   blobs/                 the local content-addressed store (the default storage)
//!   publications/          what `publish` and `version` stored, per chain and contract
//! ```
//!
//! The signing key is read, in order, from `TRIBUTARY_PRIVATE_KEY` (hex), from
//! `TRIBUTARY_MNEMONIC` (+ `TRIBUTARY_MNEMONIC_INDEX`, default 0), or from the key file. It is
//! never printed.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::Arc,
};

use alloy::primitives::{Address, U256};
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tributary_core::{
    chain::{Client, Config as ChainClientConfig, LogScan, Streams, Tributary, VersionRecord},
    crypto::{KekStore, KeyId},
    signing::Key,
    storage::{BlobStore, StoreConfig},
};

/// Environment variable holding a hex private key.
pub(crate) const PRIVATE_KEY_ENV: &str = "TRIBUTARY_PRIVATE_KEY";
/// Environment variable holding a BIP-39 mnemonic.
pub(crate) const MNEMONIC_ENV: &str = "TRIBUTARY_MNEMONIC";
/// Environment variable choosing the mnemonic's account index.
pub(crate) const MNEMONIC_INDEX_ENV: &str = "TRIBUTARY_MNEMONIC_INDEX";

/// `config.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) chain: ChainConfig,
    /// Where blobs go; the local store under the home folder when absent.
    #[serde(default, skip_serializing)]
    pub(crate) storage: Option<StoreConfig>,
    /// The key file, relative to the home folder unless absolute.
    #[serde(default = "default_key_file")]
    pub(crate) key_file: PathBuf,
}

/// `[chain]` of `config.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChainConfig {
    /// The JSON-RPC endpoint.
    pub(crate) rpc_url: String,
    /// The Tributary contract.
    pub(crate) contract: Address,
    /// The contract's deployment block: events are read from there.
    #[serde(default)]
    pub(crate) from_block: u64,
    /// Confirmations to wait for after each transaction.
    #[serde(default = "one")]
    pub(crate) confirmations: u64,
    /// `TributaryStreams` (Superfluid subscriptions), when the chain has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) streams: Option<Address>,
}

fn one() -> u64 {
    1
}

fn default_key_file() -> PathBuf {
    PathBuf::from("key")
}

/// A loaded home folder.
pub(crate) struct Home {
    dir: PathBuf,
    config: Config,
}

/// The home folder's path: `--home`, else `TRIBUTARY_HOME`, else `~/.tributary`.
pub(crate) fn home_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.to_owned());
    }
    if let Some(dir) = std::env::var_os("TRIBUTARY_HOME") {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").context(
        "neither --home, TRIBUTARY_HOME nor HOME is set: say where Tributary keeps its files",
    )?;
    Ok(Path::new(&home).join(".tributary"))
}

impl Home {
    /// Reads `config.toml` of the home folder `dir`.
    pub(crate) fn load(dir: PathBuf) -> anyhow::Result<Self> {
        let path = dir.join("config.toml");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
                "no configuration at {}: run `tributary init --rpc-url URL --contract ADDRESS` first",
                path.display()
            ),
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        let config: Config = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid configuration", path.display()))?;
        Ok(Self { dir, config })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The signing key (see the module docs for where it comes from).
    pub(crate) fn key(&self) -> anyhow::Result<Key> {
        if std::env::var_os(PRIVATE_KEY_ENV).is_some() {
            return Ok(Key::from_env(PRIVATE_KEY_ENV)?);
        }
        if std::env::var_os(MNEMONIC_ENV).is_some() {
            let index = match std::env::var(MNEMONIC_INDEX_ENV) {
                Ok(text) => text
                    .parse()
                    .with_context(|| format!("{MNEMONIC_INDEX_ENV} must be a whole number"))?,
                Err(_) => 0,
            };
            return Ok(Key::from_mnemonic_env(MNEMONIC_ENV, index)?);
        }
        let path = self.dir.join(&self.config.key_file);
        Key::from_file(&path).with_context(|| {
            format!(
                "cannot load the signing key from {}: set {PRIVATE_KEY_ENV}, or run `tributary init`",
                path.display()
            )
        })
    }

    /// The blob store.
    pub(crate) async fn store(&self) -> anyhow::Result<Arc<dyn BlobStore>> {
        let config = self.config.storage.clone().unwrap_or(StoreConfig::Local {
            root: self.dir.join("blobs"),
        });
        config.open().await.context("cannot open the blob store")
    }

    /// The creator keys that wrap data keys.
    pub(crate) fn creator_keys(&self) -> anyhow::Result<KekStore> {
        Ok(KekStore::open(self.dir.join("keys"))?)
    }

    /// The connected contract, sending with `key` when given.
    pub(crate) async fn chain(&self, key: Option<&Key>) -> anyhow::Result<Chain> {
        let chain = &self.config.chain;
        let client = Client::connect(
            &chain.rpc_url,
            key,
            ChainClientConfig::default().with_confirmations(chain.confirmations),
        )
        .await
        .context(
            "cannot reach the chain (is the node running? check [chain] rpc_url in config.toml)",
        )?;
        let tributary = client.tributary(chain.contract);
        Ok(Chain {
            tributary,
            scan: LogScan::from_block(chain.from_block),
        })
    }

    /// Whether config.toml names a streams deployment (`TributaryStreams`).
    pub(crate) fn has_streams(&self) -> bool {
        self.config.chain.streams.is_some()
    }

    /// `TributaryStreams` on the configured chain, reached through `chain`'s client.
    pub(crate) async fn streams(&self, chain: &Chain) -> anyhow::Result<Streams> {
        let client = chain.tributary.client();
        let Some(address) = self.config.chain.streams else {
            bail!(
                "no streams deployment is configured for chain {}: deploy Superfluid and \
                 TributaryStreams (scripts/deploy-streams.sh) and run `tributary init --deployment \
                 deployments/<chainId>.json --force`, or set `streams` under [chain] in config.toml",
                client.chain_id()
            );
        };
        if !client.has_code(address).await? {
            bail!(
                "no TributaryStreams at {address:#x} on chain {}: the streams deployment in \
                 config.toml is not on this chain (deploy it with scripts/deploy-streams.sh)",
                client.chain_id()
            );
        }
        Ok(client.streams(address).await?)
    }

    /// Where the record of a published version lives.
    pub(crate) fn record_path(
        &self,
        chain_id: u64,
        contract: Address,
        dataset: U256,
        version: u32,
    ) -> PathBuf {
        self.dir
            .join("publications")
            .join(chain_id.to_string())
            .join(format!("{contract:#x}"))
            .join(format!("{dataset}-v{version}.json"))
    }
}

/// The creator key id that wraps `creator`'s data keys.
pub(crate) fn creator_key_id(creator: Address) -> anyhow::Result<KeyId> {
    Ok(KeyId::new(format!("creator-{creator:#x}"))?)
}

/// The contract and how to scan its events.
pub(crate) struct Chain {
    pub(crate) tributary: Tributary,
    pub(crate) scan: LogScan,
}

impl Chain {
    /// Version `number` of `dataset` as anchored on-chain, or its latest with `None`.
    pub(crate) async fn version(
        &self,
        dataset: U256,
        number: Option<u32>,
    ) -> anyhow::Result<VersionRecord> {
        let versions = self.tributary.versions_of(self.scan, dataset).await?;
        match number {
            Some(number) => versions
                .into_iter()
                .find(|v| v.version == number)
                .with_context(|| format!("dataset {dataset} has no version {number} on-chain")),
            None => versions
                .into_iter()
                .last()
                .context("the dataset has no versions"),
        }
    }

    /// Fails unless `key` is the creator of `dataset`: only the creator changes a dataset.
    pub(crate) async fn require_creator(&self, dataset: U256, key: &Key) -> anyhow::Result<()> {
        let creator = self.tributary.dataset(dataset).await?.creator;
        if creator != key.address() {
            bail!(
                "dataset {dataset} belongs to {creator:#x}, not to your key {:#x}",
                key.address()
            );
        }
        Ok(())
    }
}
