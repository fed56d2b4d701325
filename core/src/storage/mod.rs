//! Content-addressed blob storage: one trait, three backends.
//!
//! A blob is named by the SHA-256 of its bytes, its identity. Its IPFS CID is
//! a locator, computed locally by [`crate::cid`] and recorded together with
//! the [`ImportSettings`] that produce it, so anyone can recompute and check
//! it. Every backend stores from a stream and fetches to a stream with
//! bounded memory, and every fetch re-hashes the bytes and fails with
//! [`Error::Corrupt`] when they are not the blob asked for.
//!
//! | backend | where blobs live | crash safety |
//! |---|---|---|
//! | [`LocalStore`] (the default) | `<root>/sha256/ab/cdef…` | written under `<root>/tmp/`, renamed into place once complete and synced |
//! | [`KuboStore`] | an IPFS node, through Kubo's RPC API (`add`, `pin/add`, `pin/ls`, `cat`) | Kubo's own |
//! | [`ObjectBlobStore`] | any `object_store` backend: S3 and S3-compatible services, local files, memory | multipart uploads become visible only when completed |
//!
//! See `docs/storage.md` for the layout, the Kubo requests and what is
//! tested where.

mod config;
mod digest;
mod kubo;
mod local;
mod object;

use std::{fmt, path::Path};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};

pub use config::StoreConfig;
pub use kubo::{DEFAULT_KUBO_URL, KuboConfig, KuboStore};
pub use local::LocalStore;
pub use object::{DEFAULT_MAX_CONCURRENCY, DEFAULT_PART_SIZE, ObjectBlobStore, S3Config};

use crate::{
    Error, Result,
    cid::{CHUNK_SIZE, Cid, FileCids},
    hash::Sha256Digest,
};

/// How a CID was computed from a blob's bytes: the `ipfs add` settings that
/// reproduce it. [`crate::cid`] computes the two sets Kubo offers with its
/// default 256 KiB chunker and balanced layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImportSettings {
    /// `--cid-version`: 0 (`Qm…`) or 1 (`bafk…`/`bafy…`).
    pub cid_version: u8,
    /// `--raw-leaves`: leaves are raw blocks rather than dag-pb nodes.
    pub raw_leaves: bool,
    /// `--chunker=size-N`: the fixed chunk size in bytes.
    pub chunk_size: u32,
}

impl ImportSettings {
    /// `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144`: the CID
    /// manifests record, and the default.
    pub const CID_V1: Self = Self {
        cid_version: 1,
        raw_leaves: true,
        chunk_size: CHUNK_SIZE as u32,
    };

    /// `ipfs add` with Kubo's defaults: CIDv0, dag-pb leaves.
    pub const CID_V0: Self = Self {
        cid_version: 0,
        raw_leaves: false,
        chunk_size: CHUNK_SIZE as u32,
    };

    /// Kubo's `chunker` option for these settings, such as `size-262144`.
    pub fn chunker(&self) -> String {
        format!("size-{}", self.chunk_size)
    }

    /// Fails unless these are settings [`crate::cid`] can compute a CID for.
    pub fn check_supported(&self) -> Result<()> {
        if *self == Self::CID_V1 || *self == Self::CID_V0 {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "import settings {self:?} are not computed locally; use CIDv1 with raw leaves \
                 or CIDv0 with dag-pb leaves, 262144-byte chunks"
            )))
        }
    }

    /// The CID these settings produce, out of the two computed in one pass.
    pub(crate) fn pick(&self, cids: &FileCids) -> Cid {
        if self.cid_version == 0 {
            cids.v0
        } else {
            cids.v1
        }
    }
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self::CID_V1
    }
}

/// What names a blob: its SHA-256 (the identity, checked on every fetch) and
/// its CID (the locator IPFS needs). Manifests list both for every file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobRef {
    /// SHA-256 of the blob's bytes.
    pub sha256: Sha256Digest,
    /// The blob's IPFS CID.
    pub cid: Cid,
}

/// What a store reports after storing a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// The blob's SHA-256 and CID.
    pub blob: BlobRef,
    /// Its size in bytes.
    pub size: u64,
    /// The settings that produced [`BlobRef::cid`].
    pub import: ImportSettings,
}

/// A place to keep blobs by content.
///
/// Readers and writers are borrowed trait objects so the trait stays usable as
/// `dyn BlobStore`, which lets a binary pick the backend from its
/// configuration ([`StoreConfig::open`]).
#[async_trait]
pub trait BlobStore: fmt::Debug + fmt::Display + Send + Sync {
    /// Stores everything `reader` yields. Storing a blob the store already
    /// holds succeeds and changes nothing.
    async fn put(&self, reader: &mut (dyn AsyncRead + Unpin + Send)) -> Result<StoredBlob>;

    /// Stores the file at `path`.
    async fn put_file(&self, path: &Path) -> Result<StoredBlob> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::io(path, e))?;
        self.put(&mut file).await
    }

    /// Writes the blob to `writer`, hashing it on the way; returns its size.
    ///
    /// Fails with [`Error::NotFound`] when the store does not hold it and with
    /// [`Error::Corrupt`] when the bytes do not hash to `blob.sha256`. The
    /// check can only end when the last byte has been written, so on error the
    /// caller must discard what `writer` received; [`get_file`](Self::get_file)
    /// does that for files.
    async fn get(
        &self,
        blob: &BlobRef,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
    ) -> Result<u64>;

    /// Writes the blob to the file at `path`, which appears (or is replaced)
    /// only once the whole blob has arrived and checked out.
    async fn get_file(&self, blob: &BlobRef, path: &Path) -> Result<u64> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
        let std_file = temp.reopen().map_err(|e| Error::io(temp.path(), e))?;
        let mut file = tokio::fs::File::from_std(std_file);
        let size = self.get(blob, &mut file).await?;
        file.sync_all()
            .await
            .map_err(|e| Error::io(temp.path(), e))?;
        drop(file);
        temp.persist(path).map_err(|e| Error::io(path, e.error))?;
        Ok(size)
    }

    /// Whether the store holds the blob (for Kubo: holds it pinned).
    async fn has(&self, blob: &BlobRef) -> Result<bool>;

    /// Makes sure the store keeps the blob. Stores that keep everything they
    /// hold only check that they hold it ([`Error::NotFound`] otherwise);
    /// Kubo pins it, fetching it from the network first if need be.
    async fn pin(&self, blob: &BlobRef) -> Result<()> {
        if self.has(blob).await? {
            Ok(())
        } else {
            Err(Error::NotFound {
                sha256: blob.sha256,
                store: self.to_string(),
            })
        }
    }
}
