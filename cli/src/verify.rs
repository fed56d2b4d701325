//! `tributary verify`: the auditor's check.
//!
//! - `verify DATASET [FOLDER]` checks a dataset against the chain (see [`crate::audit`]).
//! - `verify MANIFEST FOLDER` is the offline half: the folder holds exactly the files the manifest
//!   describes.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::Context;
use serde::Serialize;
use tributary_core::{
    hash,
    manifest::{self, FileEntry, Manifest},
};

use crate::{Outcome, output, progress};

/// Arguments of `tributary verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A dataset id (checked against the chain), or a manifest file (checked offline).
    target: String,
    /// The folder holding the dataset's files (required with a manifest file).
    folder: Option<PathBuf>,
    /// With a dataset id: the version to check (default: the latest).
    #[arg(long)]
    pub(crate) version: Option<u32>,
    /// With a dataset id: read the manifest from this file instead of the blob store.
    #[arg(long)]
    pub(crate) manifest: Option<PathBuf>,
}

/// What `verify` was asked to check.
pub(crate) enum Target<'a> {
    /// A dataset on the chain, and optionally a folder of its files.
    Dataset(alloy::primitives::U256, Option<&'a Path>),
    /// A manifest file and a folder, offline.
    Manifest(&'a Path, &'a Path),
}

impl Args {
    /// A target that is all digits and not an existing file is a dataset id.
    pub(crate) fn target(&self) -> anyhow::Result<Target<'_>> {
        let digits = !self.target.is_empty() && self.target.bytes().all(|b| b.is_ascii_digit());
        if digits && !Path::new(&self.target).exists() {
            let id = self
                .target
                .parse()
                .with_context(|| format!("{} is not a dataset id", self.target))?;
            return Ok(Target::Dataset(id, self.folder.as_deref()));
        }
        let folder = self.folder.as_deref().with_context(|| {
            format!(
                "verify {} needs the FOLDER of the dataset's files too",
                self.target
            )
        })?;
        Ok(Target::Manifest(Path::new(&self.target), folder))
    }
}

/// One way the folder differs from the manifest.
#[derive(Debug, Serialize)]
pub(crate) struct Difference {
    pub(crate) path: String,
    /// `missing`, `extra`, `size`, `sha256` or `cid`.
    field: &'static str,
    expected: Option<String>,
    found: Option<String>,
}

#[derive(Serialize)]
struct Report {
    manifest_hash: String,
    files: usize,
    ok: bool,
    differences: Vec<Difference>,
}

/// The offline check of a manifest file against a folder.
pub(crate) fn run_offline(
    manifest_path: &Path,
    folder: &Path,
    json: bool,
) -> anyhow::Result<Outcome> {
    let manifest = read_manifest(manifest_path)?;
    let manifest_hash = manifest.manifest_hash()?.to_string();

    let found = scan(folder)?;
    let differences = compare(&manifest.files, &found);
    let report = Report {
        manifest_hash,
        files: manifest.files.len(),
        ok: differences.is_empty(),
        differences,
    };
    if json {
        output::json(&report)?;
    } else {
        print_text(&report);
    }
    Ok(Outcome::of_check(report.ok))
}

/// Reads and checks a manifest file.
pub(crate) fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read the manifest {}", path.display()))?;
    let manifest = Manifest::from_json(&text)
        .with_context(|| format!("{} is not a valid manifest", path.display()))?;
    manifest
        .validate()
        .with_context(|| format!("{} breaks the manifest rules", path.display()))?;
    Ok(manifest)
}

/// Describes every file of `folder`, with progress.
pub(crate) fn scan(folder: &Path) -> anyhow::Result<Vec<FileEntry>> {
    if !folder.is_dir() {
        anyhow::bail!("{} is not a folder", folder.display());
    }
    let bar = progress::bytes("hashing");
    let on_progress = |n: u64| bar.inc(n);
    let found = manifest::scan_folder(folder, hash::default_threads(), &on_progress)
        .with_context(|| format!("cannot read {}", folder.display()))?;
    bar.finish_and_clear();
    Ok(found)
}

/// Every difference between the recorded files and the ones found, in path order.
pub(crate) fn compare(recorded: &[FileEntry], found: &[FileEntry]) -> Vec<Difference> {
    let found: BTreeMap<&str, &FileEntry> = found.iter().map(|f| (f.path.as_str(), f)).collect();
    let recorded_paths: BTreeMap<&str, &FileEntry> =
        recorded.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut differences = Vec::new();
    for (path, want) in &recorded_paths {
        let Some(got) = found.get(path) else {
            differences.push(Difference {
                path: (*path).to_owned(),
                field: "missing",
                expected: Some(want.sha256.clone()),
                found: None,
            });
            continue;
        };
        let fields = [
            ("size", want.size.to_string(), got.size.to_string()),
            ("sha256", want.sha256.clone(), got.sha256.clone()),
            ("cid", want.cid.clone(), got.cid.clone()),
        ];
        for (field, expected, actual) in fields {
            if expected != actual {
                differences.push(Difference {
                    path: (*path).to_owned(),
                    field,
                    expected: Some(expected),
                    found: Some(actual),
                });
            }
        }
    }
    for (path, got) in &found {
        if !recorded_paths.contains_key(path) {
            differences.push(Difference {
                path: (*path).to_owned(),
                field: "extra",
                expected: None,
                found: Some(got.sha256.clone()),
            });
        }
    }
    differences.sort_by(|a, b| a.path.cmp(&b.path));
    differences
}

fn print_text(report: &Report) {
    println!("manifest sha256  {}", report.manifest_hash);
    if report.ok {
        println!("ok: all {} files match the manifest", report.files);
        return;
    }
    println!("MISMATCH: {} difference(s)", report.differences.len());
    print_differences(&report.differences);
}

/// One line per difference.
pub(crate) fn print_differences(differences: &[Difference]) {
    for d in differences {
        match d.field {
            "missing" => println!("  {}: missing from the folder", d.path),
            "extra" => println!("  {}: in the folder but not in the manifest", d.path),
            field => println!(
                "  {}: {field} differs (manifest {}, folder {})",
                d.path,
                d.expected.as_deref().unwrap_or("-"),
                d.found.as_deref().unwrap_or("-")
            ),
        }
    }
}
