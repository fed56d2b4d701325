//! `tributary verify MANIFEST FOLDER`: the auditor's offline check that a folder holds exactly
//! the files a manifest describes. (The on-chain half — anchor, creator, licences — comes with
//! the chain commands.)

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
    /// The manifest (JSON).
    manifest: PathBuf,
    /// The folder holding the dataset's files.
    folder: PathBuf,
}

/// One way the folder differs from the manifest.
#[derive(Debug, Serialize)]
struct Difference {
    path: String,
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

pub(crate) fn run(args: &Args, json: bool) -> anyhow::Result<Outcome> {
    let text = fs::read_to_string(&args.manifest)
        .with_context(|| format!("cannot read the manifest {}", args.manifest.display()))?;
    let manifest = Manifest::from_json(&text)
        .with_context(|| format!("{} is not a valid manifest", args.manifest.display()))?;
    manifest
        .validate()
        .with_context(|| format!("{} breaks the manifest rules", args.manifest.display()))?;
    let manifest_hash = manifest.manifest_hash()?.to_string();

    let found = scan(&args.folder)?;
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
    Ok(if report.ok {
        Outcome::Ok
    } else {
        Outcome::Mismatch
    })
}

fn scan(folder: &Path) -> anyhow::Result<Vec<FileEntry>> {
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
fn compare(recorded: &[FileEntry], found: &[FileEntry]) -> Vec<Difference> {
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
    for d in &report.differences {
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
