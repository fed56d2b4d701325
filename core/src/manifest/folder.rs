//! Building a manifest from a folder on disk.

use std::{num::NonZeroUsize, path::Path};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::{Creator, FileEntry, Licence, Manifest, Parent, SCHEMA_VERSION};
use crate::{
    Result,
    cid::CidBuilder,
    hash::{ChunkReader, Progress, Sha256Digest},
    parallel, walk,
};

/// Media type of files whose extension says nothing.
const UNKNOWN_MEDIA_TYPE: &str = "application/octet-stream";

/// Everything in a manifest except its files, which come from the folder.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetInfo {
    /// Dataset title.
    pub title: String,
    /// Longer free-text description.
    pub description: Option<String>,
    /// Who made the dataset.
    pub creator: Creator,
    /// Terms of use and royalty.
    pub licence: Licence,
    /// SHA-256 of each consent record, lowercase hex.
    pub consent_records: Vec<String>,
    /// Datasets this one was derived from.
    pub parents: Vec<Parent>,
    /// RFC 3339 creation time; see [`DatasetInfo::now`].
    pub created_at: String,
    /// Free-form metadata.
    pub extensions: Map<String, Value>,
}

impl DatasetInfo {
    /// The current UTC time in whole seconds, RFC 3339 (`2025-01-31T12:00:00Z`).
    pub fn now() -> String {
        let now = OffsetDateTime::now_utc();
        let whole_seconds = now.replace_nanosecond(0).unwrap_or(now);
        // Formatting a UTC time as RFC 3339 only fails for years outside
        // 0..=9999, which a clock does not report.
        whole_seconds.format(&Rfc3339).unwrap_or_default()
    }
}

/// Describes every regular file under `root`, reading each file once for both
/// its SHA-256 and its CID, on at most `threads` threads. Entries are sorted
/// by path; media types are guessed from file extensions.
pub fn scan_folder(
    root: &Path,
    threads: NonZeroUsize,
    progress: &dyn Progress,
) -> Result<Vec<FileEntry>> {
    let found = walk::files(root)?;
    parallel::map(&found, threads, ChunkReader::new, |reader, file| {
        let mut sha256 = Sha256::new();
        let mut cids = CidBuilder::new();
        let size = reader.read_file(&file.absolute, progress, |chunk| {
            sha256.update(chunk);
            cids.update(chunk);
        })?;
        let media_type = mime_guess::from_path(&file.relative)
            .first_raw()
            .unwrap_or(UNKNOWN_MEDIA_TYPE);
        Ok(FileEntry {
            path: file.relative.clone(),
            size,
            sha256: Sha256Digest::new(sha256.finalize().into()).to_string(),
            cid: cids.finish().v1.to_string(),
            media_type: media_type.to_owned(),
        })
    })
}

impl Manifest {
    /// Builds and validates the manifest of the dataset in folder `root`.
    pub fn from_folder(
        info: DatasetInfo,
        root: &Path,
        threads: NonZeroUsize,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let manifest = Self {
            schema_version: SCHEMA_VERSION,
            title: info.title,
            description: info.description,
            creator: info.creator,
            licence: info.licence,
            files: scan_folder(root, threads, progress)?,
            consent_records: info.consent_records,
            parents: info.parents,
            created_at: info.created_at,
            extensions: info.extensions,
        };
        manifest.validate()?;
        Ok(manifest)
    }
}
