//! `tributary publish` and `tributary version`: hash a folder into a manifest, encrypt and store
//! its files, sign the registration (EIP-712) and anchor the manifest hash on-chain.
//!
//! Both always sign: the creator's signature travels in the transaction (`registerWithSig`,
//! `publishVersionWithSig`), so an auditor recovers the signer from the chain alone whoever
//! relayed it. Here the creator's own key also sends the transaction.

use std::{
    fs,
    path::{Path, PathBuf},
    time::SystemTime,
};

use alloy::primitives::{Address, B256, U256};
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tributary_core::{
    chain::Split,
    hash::{self, Sha256Digest},
    manifest::{Creator, DatasetInfo, Licence, Manifest},
    publication::{self, Sealed},
    signing::{Key, PublishVersion, Register},
    storage::BlobRef,
};

use crate::{
    Outcome,
    home::{Chain, Home, creator_key_id},
    output, progress, terms,
};

/// How long a signature stays valid: the transaction is sent at once.
const SIGNATURE_LIFETIME_SECS: u64 = 3600;

/// Arguments of `tributary publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// The folder holding the dataset's files.
    folder: PathBuf,
    /// The dataset's title.
    #[arg(long)]
    title: String,
    /// A longer description.
    #[arg(long)]
    description: Option<String>,
    #[command(flatten)]
    licence: terms::LicenceArgs,
    #[command(flatten)]
    offer: terms::OfferArgs,
    /// A payee and their shares, `ADDRESS=SHARES`; repeat for each payee. Default: you, 1 share.
    #[arg(long = "payee", value_name = "ADDRESS=SHARES", value_parser = terms::parse_payee)]
    payees: Vec<(Address, u32)>,
    /// The creator's DID. Default: `did:pkh:eip155:<chain id>:<your address>`.
    #[arg(long)]
    did: Option<String>,
    /// Also write the manifest (pretty JSON) to this file.
    #[arg(long)]
    manifest_out: Option<PathBuf>,
}

/// Arguments of `tributary version`.
#[derive(Debug, clap::Args)]
pub(crate) struct VersionArgs {
    /// The dataset's id.
    dataset: U256,
    /// The folder holding the new version's files.
    folder: PathBuf,
    /// A new title (default: the previous version's).
    #[arg(long)]
    title: Option<String>,
    /// A new description (default: the previous version's).
    #[arg(long)]
    description: Option<String>,
    /// Also write the manifest (pretty JSON) to this file.
    #[arg(long)]
    manifest_out: Option<PathBuf>,
}

/// What `publish` and `version` keep about a version they stored, so that the creator can fetch
/// it again (`tributary fetch`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) dataset_id: String,
    pub(crate) version: u32,
    pub(crate) manifest_sha256: String,
    pub(crate) manifest_cid: String,
    pub(crate) envelope_sha256: String,
    pub(crate) envelope_cid: String,
    pub(crate) tx_hash: String,
}

impl Record {
    /// The record `publish` or `version` kept in `home` of `version` of `dataset` on the
    /// contract of `tributary`; `otherwise` says what to do when there is none.
    pub(crate) fn read(
        home: &Home,
        tributary: &tributary_core::chain::Tributary,
        dataset: U256,
        version: u32,
        otherwise: &str,
    ) -> anyhow::Result<Self> {
        let path = home.record_path(
            tributary.client().chain_id(),
            tributary.address(),
            dataset,
            version,
        );
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is not a publication record", path.display())),
            Err(_) => bail!(
                "no publication record of dataset {dataset} version {version} in {}: {otherwise}",
                home.dir().display()
            ),
        }
    }

    /// Where the version's envelope is stored.
    pub(crate) fn envelope_blob(&self) -> anyhow::Result<BlobRef> {
        Ok(BlobRef {
            sha256: self
                .envelope_sha256
                .parse()
                .ok()
                .context("the publication record's envelope sha256 is malformed")?,
            cid: self
                .envelope_cid
                .parse()
                .ok()
                .context("the publication record's envelope CID is malformed")?,
        })
    }
}

#[derive(Serialize)]
struct Report {
    dataset_id: String,
    version: u32,
    manifest_sha256: String,
    manifest_cid: String,
    uri: String,
    creator: String,
    tx_hash: String,
    block_number: Option<u64>,
    files: usize,
}

pub(crate) async fn publish(
    args: &PublishArgs,
    home: &Home,
    json: bool,
) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let chain = home.chain(Some(&key)).await?;
    let creator = key.address();
    let chain_id = chain.tributary.client().chain_id();

    let (terms, terms_hash) = args.licence.terms()?;
    let info = new_dataset(
        &args.title,
        args.description.as_deref(),
        Licence {
            terms,
            royalty_bps: args.offer.royalty_bps,
        },
        creator,
        args.did
            .clone()
            .unwrap_or_else(|| format!("did:pkh:eip155:{chain_id}:{creator:#x}")),
    );
    let manifest = build_manifest(info, &args.folder, args.manifest_out.as_deref())?;
    let offer = args.offer.offer(terms_hash)?;
    let split = if args.payees.is_empty() {
        Split::from_shares([(creator, 1)])
    } else {
        Split::from_shares(args.payees.iter().copied())
    };

    let sealed = seal(home, &key, &manifest, &args.folder).await?;
    let manifest_hash = B256::from(*manifest.manifest_hash()?.as_bytes());
    let uri = format!("ipfs://{}", sealed.envelope.manifest_cid);
    let offers = vec![offer];
    let nonce = chain.tributary.nonce(creator).await?;
    let deadline = deadline()?;
    let message = Register::new(
        creator,
        manifest_hash,
        uri.clone(),
        &split,
        &offers,
        nonce,
        deadline,
    );
    let signature = key.sign_typed(&message, &chain.tributary.domain())?;
    let confirmed = chain
        .tributary
        .register_with_sig(
            creator,
            manifest_hash,
            &uri,
            &split,
            &offers,
            deadline,
            &signature,
        )
        .await
        .context("the registration was not anchored")?;
    finish(
        home,
        &chain,
        &manifest,
        &sealed,
        confirmed.value,
        1,
        uri,
        creator,
        confirmed.receipt,
        json,
    )
}

pub(crate) async fn version(
    args: &VersionArgs,
    home: &Home,
    json: bool,
) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let chain = home.chain(Some(&key)).await?;
    let creator = key.address();
    chain.require_creator(args.dataset, &key).await?;
    let latest = chain.version(args.dataset, None).await?;
    let store = home.store().await?;
    let previous = publication::load_manifest(
        store.as_ref(),
        Sha256Digest::new(latest.manifest_hash.0),
        crate::fetch::cid_of_uri(&latest.uri)?,
    )
    .await
    .context("cannot load the previous version's manifest from the store")?;
    let info = DatasetInfo {
        title: args.title.clone().unwrap_or(previous.title),
        description: args.description.clone().or(previous.description),
        creator: previous.creator,
        licence: previous.licence,
        consent_records: previous.consent_records,
        parents: previous.parents,
        created_at: DatasetInfo::now(),
        extensions: previous.extensions,
    };
    let manifest = build_manifest(info, &args.folder, args.manifest_out.as_deref())?;
    let sealed = seal(home, &key, &manifest, &args.folder).await?;
    let manifest_hash = B256::from(*manifest.manifest_hash()?.as_bytes());
    let uri = format!("ipfs://{}", sealed.envelope.manifest_cid);
    let nonce = chain.tributary.nonce(creator).await?;
    let deadline = deadline()?;
    let message = PublishVersion {
        datasetId: args.dataset,
        manifestHash: manifest_hash,
        uri: uri.clone(),
        nonce,
        deadline,
    };
    let signature = key.sign_typed(&message, &chain.tributary.domain())?;
    let confirmed = chain
        .tributary
        .publish_version_with_sig(args.dataset, manifest_hash, &uri, deadline, &signature)
        .await
        .context("the new version was not anchored")?;
    finish(
        home,
        &chain,
        &manifest,
        &sealed,
        args.dataset,
        confirmed.value,
        uri,
        creator,
        confirmed.receipt,
        json,
    )
}

/// What a first version's manifest says besides its files, created now.
pub(crate) fn new_dataset(
    title: &str,
    description: Option<&str>,
    licence: Licence,
    wallet: Address,
    did: String,
) -> DatasetInfo {
    DatasetInfo {
        title: title.to_owned(),
        description: description.map(str::to_owned),
        creator: Creator {
            did,
            wallet: format!("{wallet:#x}"),
        },
        licence,
        consent_records: Vec::new(),
        parents: Vec::new(),
        created_at: DatasetInfo::now(),
        extensions: Default::default(),
    }
}

/// Hashes `folder` into a manifest (with progress) and writes it to `out` when given.
pub(crate) fn build_manifest(
    info: DatasetInfo,
    folder: &Path,
    out: Option<&Path>,
) -> anyhow::Result<Manifest> {
    if !folder.is_dir() {
        bail!("{} is not a folder", folder.display());
    }
    let bar = progress::bytes("hashing");
    let on_progress = |n: u64| bar.inc(n);
    let manifest = Manifest::from_folder(info, folder, hash::default_threads(), &on_progress)
        .with_context(|| format!("cannot build a manifest of {}", folder.display()))?;
    bar.finish_and_clear();
    if let Some(out) = out {
        fs::write(out, manifest.to_pretty_json()?)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(manifest)
}

async fn seal(
    home: &Home,
    key: &Key,
    manifest: &Manifest,
    folder: &Path,
) -> anyhow::Result<Sealed> {
    let store = home.store().await?;
    let keys = home.creator_keys()?;
    let key_id = creator_key_id(key.address())?;
    if !keys.contains(&key_id)? {
        keys.create(&key_id)?;
    }
    let bar = progress::bytes("encrypting and storing");
    let on_progress = |n: u64| bar.inc(n);
    let sealed = publication::seal(
        manifest,
        folder,
        store.as_ref(),
        &keys,
        &key_id,
        &on_progress,
    )
    .await
    .context("cannot encrypt and store the files")?;
    bar.finish_and_clear();
    Ok(sealed)
}

#[allow(clippy::too_many_arguments)] // one report from the pieces of two commands
fn finish(
    home: &Home,
    chain: &Chain,
    manifest: &Manifest,
    sealed: &Sealed,
    dataset_id: U256,
    version: u32,
    uri: String,
    creator: Address,
    receipt: alloy::rpc::types::TransactionReceipt,
    json: bool,
) -> anyhow::Result<Outcome> {
    let record = Record {
        dataset_id: dataset_id.to_string(),
        version,
        manifest_sha256: sealed.envelope.manifest_sha256.clone(),
        manifest_cid: sealed.envelope.manifest_cid.clone(),
        envelope_sha256: sealed.envelope_blob.blob.sha256.to_string(),
        envelope_cid: sealed.envelope_blob.blob.cid.to_string(),
        tx_hash: format!("{:#x}", receipt.transaction_hash),
    };
    let path = home.record_path(
        chain.tributary.client().chain_id(),
        chain.tributary.address(),
        dataset_id,
        version,
    );
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(&path, serde_json::to_string_pretty(&record)?)
        .with_context(|| format!("cannot write {}", path.display()))?;

    let report = Report {
        dataset_id: record.dataset_id,
        version,
        manifest_sha256: record.manifest_sha256,
        manifest_cid: record.manifest_cid,
        uri,
        creator: format!("{creator:#x}"),
        tx_hash: record.tx_hash,
        block_number: receipt.block_number,
        files: manifest.files.len(),
    };
    if json {
        output::json(&report)?;
    } else {
        println!(
            "anchored dataset {} version {}",
            report.dataset_id, report.version
        );
        println!("  manifest sha256  {}", report.manifest_sha256);
        println!("  manifest CID     {}", report.manifest_cid);
        println!("  files            {} (encrypted and stored)", report.files);
        println!("  creator          {}", report.creator);
        println!("  transaction      {}", report.tx_hash);
        if let Some(block) = report.block_number {
            println!("  block            {block}");
        }
        println!(
            "check it with: tributary verify {} <folder>",
            report.dataset_id
        );
    }
    Ok(Outcome::Ok)
}

fn deadline() -> anyhow::Result<U256> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    Ok(U256::from(now + SIGNATURE_LIFETIME_SECS))
}
