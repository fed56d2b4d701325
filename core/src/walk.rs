//! Listing the regular files under a folder in a fixed order.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::{Error, Result};

/// A regular file found under a root folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Path relative to the root, segments joined by `/` on every platform.
    pub(crate) relative: String,
    /// Path as the operating system opens it.
    pub(crate) absolute: PathBuf,
}

/// Lists every regular file under `root`, sorted by relative path (byte order
/// of the `/`-joined UTF-8 string, the order manifests use).
///
/// Symbolic links and special files are refused rather than skipped: a dataset
/// that silently lost a file, or pulled in one from outside its folder, would
/// hash to something its creator did not mean.
pub(crate) fn files(root: &Path) -> Result<Vec<Found>> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if !meta.is_dir() {
        return Err(Error::UnsupportedEntry {
            path: root.into(),
            reason: "not a folder",
        });
    }

    let mut found = Vec::new();
    for entry in WalkDir::new(root).follow_links(false) {
        let entry = entry?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() {
            return Err(Error::UnsupportedEntry {
                path: entry.into_path(),
                reason: "symbolic links are not followed; copy the target into the folder",
            });
        }
        if !kind.is_file() {
            return Err(Error::UnsupportedEntry {
                path: entry.into_path(),
                reason: "not a regular file",
            });
        }
        let relative = relative_utf8(root, entry.path())?;
        found.push(Found {
            relative,
            absolute: entry.into_path(),
        });
    }
    found.sort_unstable_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
}

fn relative_utf8(root: &Path, path: &Path) -> Result<String> {
    let not_utf8 = || Error::UnsupportedEntry {
        path: path.into(),
        reason: "file name is not valid UTF-8",
    };
    let relative = path
        .strip_prefix(root)
        .map_err(|_| Error::UnsupportedEntry {
            path: path.into(),
            reason: "outside the root folder",
        })?;
    let segments = relative
        .components()
        .map(|c| c.as_os_str().to_str().ok_or_else(not_utf8))
        .collect::<Result<Vec<_>>>()?;
    Ok(segments.join("/"))
}
