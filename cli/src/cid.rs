//! `tributary cid FILE`: a file's identity (sha256) and locators (CIDs).

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use tributary_core::cid;

use crate::{Outcome, output, progress};

/// Arguments of `tributary cid`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The file to hash.
    file: PathBuf,
}

#[derive(Serialize)]
struct Report {
    path: String,
    size: u64,
    sha256: String,
    cid_v0: String,
    cid_v1: String,
}

pub(crate) fn run(args: &Args, json: bool) -> anyhow::Result<Outcome> {
    let bar = progress::bytes("hashing");
    let on_progress = |n: u64| bar.inc(n);
    let (digest, cids) = cid::file_identity(&args.file, &on_progress)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    bar.finish_and_clear();
    let report = Report {
        path: args.file.display().to_string(),
        size: digest.size,
        sha256: digest.sha256.to_string(),
        cid_v0: cids.v0.to_string(),
        cid_v1: cids.v1.to_string(),
    };
    if json {
        output::json(&report)?;
    } else {
        println!("{}", report.path);
        println!("  size    {}", report.size);
        println!("  sha256  {}", report.sha256);
        println!(
            "  CIDv1   {}  (raw leaves: ipfs add --cid-version=1)",
            report.cid_v1
        );
        println!("  CIDv0   {}  (ipfs add)", report.cid_v0);
    }
    Ok(Outcome::Ok)
}
