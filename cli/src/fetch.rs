//! `tributary fetch`: download a version's encrypted files, decrypt them and check each against
//! the manifest anchored on-chain.
//!
//! This opens versions with the creator's own key (the record `publish` kept). A licensed buyer
//! downloads through the API instead (`tributary download`), once the creator shared the version
//! there (`tributary share`).

use std::path::PathBuf;

use alloy::primitives::U256;
use anyhow::{Context, bail};
use serde::Serialize;
use tributary_core::{cid::Cid, hash::Sha256Digest, publication};

use crate::{Outcome, home::Home, output, progress, publish::Record};

/// Arguments of `tributary fetch`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dataset's id.
    dataset: U256,
    /// Where to write the files (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The version to fetch (default: the latest).
    #[arg(long)]
    version: Option<u32>,
}

/// What `fetch` and `download` wrote.
#[derive(Serialize)]
pub(crate) struct Report {
    pub(crate) dataset_id: String,
    pub(crate) version: u32,
    pub(crate) manifest_sha256: String,
    pub(crate) files: usize,
    pub(crate) bytes: u64,
    pub(crate) out: String,
}

impl Report {
    /// Prints the report (JSON with `--json`): `done` says how the files came, `checked` how
    /// they were checked against manifest `manifest_sha256`.
    pub(crate) fn print(&self, json: bool, done: &str, checked: &str) -> anyhow::Result<()> {
        if json {
            return output::json(self);
        }
        println!(
            "{done} dataset {} version {}: {} files, {} bytes, into {}",
            self.dataset_id, self.version, self.files, self.bytes, self.out
        );
        println!("  {checked} {}", self.manifest_sha256);
        Ok(())
    }
}

pub(crate) async fn run(args: &Args, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let chain = home.chain(None).await?;
    let wanted = chain.version(args.dataset, args.version).await?;
    let record = Record::read(
        home,
        &chain.tributary,
        args.dataset,
        wanted.version,
        "only its creator can fetch it with their own key; a licensed buyer downloads it \
         through the API (tributary download)",
    )?;
    let anchored = Sha256Digest::new(wanted.manifest_hash.0);
    if record.manifest_sha256 != anchored.to_string() {
        bail!(
            "the local record of dataset {} version {} names manifest {}, but the chain anchored {anchored}",
            args.dataset,
            wanted.version,
            record.manifest_sha256
        );
    }
    let store = home.store().await?;
    let manifest = publication::load_manifest(store.as_ref(), anchored, cid_of_uri(&wanted.uri)?)
        .await
        .context("cannot load the anchored manifest from the store")?;
    let envelope = publication::load_envelope(store.as_ref(), &record.envelope_blob()?).await?;
    let keys = home.creator_keys()?;
    let bar = progress::bytes("fetching and decrypting");
    let on_progress = |n: u64| bar.inc(n);
    let bytes = publication::open(
        &envelope,
        &manifest,
        store.as_ref(),
        &keys,
        &args.out,
        &on_progress,
    )
    .await
    .context("cannot open the version")?;
    bar.finish_and_clear();
    let report = Report {
        dataset_id: args.dataset.to_string(),
        version: wanted.version,
        manifest_sha256: anchored.to_string(),
        files: manifest.files.len(),
        bytes,
        out: args.out.display().to_string(),
    };
    report.print(
        json,
        "fetched",
        "every file decrypted, authenticated and matched manifest",
    )?;
    Ok(Outcome::Ok)
}

/// The CID in a manifest URI `ipfs://<cid>`.
pub(crate) fn cid_of_uri(uri: &str) -> anyhow::Result<Cid> {
    let text = uri
        .strip_prefix("ipfs://")
        .with_context(|| format!("manifest URI {uri:?} is not ipfs://<cid>"))?;
    text.parse()
        .with_context(|| format!("manifest URI {uri:?} holds no valid CID"))
}
