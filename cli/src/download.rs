//! `tributary download`: a licensed buyer downloads a dataset's files through a Tributary API
//! (docs/api.md, licence-gated downloads), and checks them without trusting the API: the
//! manifest it serves must hash to the one anchored on-chain, and every file to that manifest.

use std::{
    fs,
    io::Write,
    path::{Component, Path, PathBuf},
};

use alloy::primitives::U256;
use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tributary_core::{hash::Sha256Digest, manifest::Manifest};

use crate::{
    Outcome,
    fetch::Report,
    home::Home,
    progress,
    signin::{self, answer},
};

/// Arguments of `tributary download`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dataset's id.
    dataset: U256,
    /// The API's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    api: String,
    /// Where to write the files (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The version (default: the newest the creator shared).
    #[arg(long)]
    version: Option<u32>,
}

#[derive(Deserialize)]
struct FileList {
    version: u32,
    manifest: serde_json::Value,
}

pub(crate) async fn run(args: &Args, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let chain = home.chain(None).await?;
    let session = signin::sign_in(&args.api, &key, chain.tributary.client().chain_id()).await?;
    let mut url = format!("{}/datasets/{}/files", session.base, args.dataset);
    if let Some(version) = args.version {
        url.push_str(&format!("?version={version}"));
    }
    let list: FileList = answer(session.http.get(&url).send().await, "GET files").await?;
    let manifest = Manifest::from_json(&list.manifest.to_string())
        .context("the API's manifest breaks the manifest rules")?;
    let anchored = chain.version(args.dataset, Some(list.version)).await?;
    let anchored = Sha256Digest::new(anchored.manifest_hash.0);
    if manifest.manifest_hash()? != anchored {
        bail!(
            "the API serves a manifest that is not the one anchored on-chain for dataset {} \
             version {} ({anchored}): refusing its files",
            args.dataset,
            list.version
        );
    }

    let bar = progress::bytes("downloading");
    bar.set_length(manifest.files.iter().map(|file| file.size).sum());
    let mut bytes = 0;
    for file in &manifest.files {
        let target = within(&args.out, &file.path)?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let response = session
            .http
            .get(format!(
                "{}/datasets/{}/files/{}?version={}",
                session.base, args.dataset, file.path, list.version
            ))
            .bearer_auth(&session.token)
            .send()
            .await
            .context("the API cannot be reached")?;
        if !response.status().is_success() {
            answer::<serde_json::Value>(Ok(response), &format!("GET {}", file.path)).await?;
            unreachable!("answer fails on an error status");
        }
        // Written beside the target, renamed into place only once its sha256 matches.
        let partial = target.with_extension("tributary-partial");
        let mut out = fs::File::create(&partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        let mut sha256 = Sha256::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.context("the download broke off")? {
            sha256.update(&chunk);
            out.write_all(&chunk)
                .with_context(|| format!("writing {}", partial.display()))?;
            bar.inc(chunk.len() as u64);
            bytes += chunk.len() as u64;
        }
        out.sync_all()?;
        let digest = Sha256Digest::new(sha256.finalize().into());
        if digest.to_string() != file.sha256 {
            let _ = fs::remove_file(&partial);
            bail!(
                "{} does not match the anchored manifest (sha256 {digest}, expected {})",
                file.path,
                file.sha256
            );
        }
        fs::rename(&partial, &target)
            .with_context(|| format!("moving {} into place", target.display()))?;
    }
    bar.finish_and_clear();
    let report = Report {
        dataset_id: args.dataset.to_string(),
        version: list.version,
        manifest_sha256: anchored.to_string(),
        files: manifest.files.len(),
        bytes,
        out: args.out.display().to_string(),
    };
    report.print(
        json,
        "downloaded",
        "every file matched the manifest anchored on-chain,",
    )?;
    Ok(Outcome::Ok)
}

/// `root/relative` for a manifest path, refusing one that would leave `root` (the manifest
/// rules forbid those; the manifest came from a server, so this checks again).
fn within(root: &Path, relative: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(relative);
    if relative.is_empty()
        || path
            .components()
            .any(|part| !matches!(part, Component::Normal(_)))
    {
        bail!("unsafe file path in the manifest: {relative:?}");
    }
    Ok(root.join(path))
}
