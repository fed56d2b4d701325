//! `tributary manifest`: build a dataset's manifest from a folder, offline, and optionally its
//! Croissant JSON-LD for ML tooling.

use std::{fs, path::PathBuf};

use alloy::primitives::Address;
use anyhow::Context;
use serde::Serialize;
use tributary_core::manifest::Licence;

use crate::{
    Outcome, home, output,
    publish::{build_manifest, new_dataset},
    terms::LicenceArgs,
};

/// Arguments of `tributary manifest`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The folder holding the dataset's files.
    folder: PathBuf,
    /// The dataset's title.
    #[arg(long)]
    title: String,
    /// A longer description.
    #[arg(long)]
    description: Option<String>,
    #[command(flatten)]
    licence: LicenceArgs,
    /// Royalty on downstream revenue, basis points.
    #[arg(long, default_value_t = 0)]
    royalty_bps: u16,
    /// The creator's wallet (default: the address of your signing key).
    #[arg(long)]
    wallet: Option<Address>,
    /// The creator's DID (default: `did:pkh:eip155:1:<wallet>`).
    #[arg(long)]
    did: Option<String>,
    /// Write the manifest here (default: print it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the Croissant JSON-LD here.
    #[arg(long)]
    croissant: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report {
    manifest_sha256: String,
    files: usize,
    bytes: u64,
}

pub(crate) fn run(args: &Args, home_dir: PathBuf, json: bool) -> anyhow::Result<Outcome> {
    let wallet = match args.wallet {
        Some(wallet) => wallet,
        None => home::Home::load(home_dir)
            .and_then(|home| home.key())
            .context("pass --wallet ADDRESS, or set up a signing key with `tributary init`")?
            .address(),
    };
    let (terms, _) = args.licence.terms()?;
    let info = new_dataset(
        &args.title,
        args.description.as_deref(),
        Licence {
            terms,
            royalty_bps: args.royalty_bps,
        },
        wallet,
        args.did
            .clone()
            .unwrap_or_else(|| format!("did:pkh:eip155:1:{wallet:#x}")),
    );
    let manifest = build_manifest(info, &args.folder, args.out.as_deref())?;
    if let Some(path) = &args.croissant {
        let text = serde_json::to_string_pretty(&manifest.to_croissant())?;
        fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let report = Report {
        manifest_sha256: manifest.manifest_hash()?.to_string(),
        files: manifest.files.len(),
        bytes: manifest.files.iter().map(|f| f.size).sum(),
    };
    if args.out.is_none() && !json {
        println!("{}", manifest.to_pretty_json()?);
    } else if json {
        output::json(&report)?;
    } else {
        println!(
            "manifest of {} files ({} bytes), sha256 {}",
            report.files, report.bytes, report.manifest_sha256
        );
    }
    Ok(Outcome::Ok)
}
