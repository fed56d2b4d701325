//! The default store: a content-addressed directory on the local disk.

use std::{
    fmt, io,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use tokio::{
    fs::{self, File},
    io::{AsyncRead, AsyncWrite, AsyncWriteExt},
};

use super::{
    BlobRef, BlobStore, ImportSettings, StoredBlob,
    digest::{Digests, Pieces, Verifier},
};
use crate::{Error, Result, hash::Sha256Digest};

/// A content-addressed directory on the local disk, the default store.
///
/// ```text
/// <root>/sha256/ab/cdef…   one file per blob, named by its SHA-256 in hex
///                          (first two digits as a fan-out directory)
/// <root>/tmp/              blobs being written
/// ```
///
/// A blob is written to a temporary file under `tmp/`, synced, and only then
/// renamed to its final name; the rename is atomic on the same file system,
/// and the directory is synced after it. A crash at any point leaves at most a
/// stray file under `tmp/`, never a partial file under `sha256/`, so every
/// name there is a complete blob (which `get` checks again all the same).
/// Anything in `tmp/` can be deleted while no `put` runs.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens the store at `root`, creating its directories if needed.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let store = Self { root: root.into() };
        for dir in [store.root.join("sha256"), store.temp_dir()] {
            fs::create_dir_all(&dir)
                .await
                .map_err(|e| Error::io(&dir, e))?;
        }
        Ok(store)
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with this SHA-256 lives: `<root>/sha256/ab/cdef…`.
    pub fn blob_path(&self, sha256: &Sha256Digest) -> PathBuf {
        let hex = sha256.to_string();
        self.root.join("sha256").join(&hex[..2]).join(&hex[2..])
    }

    /// Where unfinished blobs are written.
    pub fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

impl fmt::Display for LocalStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "local store {}", self.root.display())
    }
}

#[async_trait]
impl BlobStore for LocalStore {
    async fn put(&self, reader: &mut (dyn AsyncRead + Unpin + Send)) -> Result<StoredBlob> {
        let temp_dir = self.temp_dir();
        // Dropping `temp` deletes the file, so an error or a cancelled future
        // cleans up after itself; only a crash leaves the file behind.
        let temp = tempfile::Builder::new()
            .prefix("put-")
            .tempfile_in(&temp_dir)
            .map_err(|e| Error::io(&temp_dir, e))?;
        let temp_path = temp.path().to_owned();
        let std_file = temp.reopen().map_err(|e| Error::io(&temp_path, e))?;
        let mut file = File::from_std(std_file);

        let mut digests = Digests::new();
        let mut pieces = Pieces::new(reader);
        while let Some(piece) = pieces.next().await? {
            digests.update(piece);
            file.write_all(piece)
                .await
                .map_err(|e| Error::io(&temp_path, e))?;
        }
        file.sync_all()
            .await
            .map_err(|e| Error::io(&temp_path, e))?;
        drop(file);
        let stored = digests.finish(ImportSettings::default());

        let path = self.blob_path(&stored.blob.sha256);
        if exists(&path).await? {
            // Already stored: same bytes by definition, keep the old file.
            return Ok(stored);
        }
        let dir = path.parent().unwrap_or(&self.root).to_owned();
        fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::io(&dir, e))?;
        let target = path.clone();
        // `persist` is a rename(2); it runs on the blocking pool like any
        // other file system call here.
        tokio::task::spawn_blocking(move || temp.persist(&target).map(drop))
            .await
            .map_err(|e| Error::io(&path, io::Error::other(e)))?
            .map_err(|e| Error::io(&path, e.error))?;
        sync_dir(&dir).await?;
        Ok(stored)
    }

    async fn get(
        &self,
        blob: &BlobRef,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
    ) -> Result<u64> {
        let path = self.blob_path(&blob.sha256);
        let mut file = match File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    sha256: blob.sha256,
                    store: self.to_string(),
                });
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut verifier = Verifier::new(writer);
        verifier
            .copy_from(&mut file, |e| Error::io(&path, e))
            .await?;
        verifier.finish(&blob.sha256, self).await
    }

    async fn has(&self, blob: &BlobRef) -> Result<bool> {
        exists(&self.blob_path(&blob.sha256)).await
    }
}

async fn exists(path: &Path) -> Result<bool> {
    fs::try_exists(path).await.map_err(|e| Error::io(path, e))
}

/// Makes a rename into `dir` durable: without this a power cut may forget the
/// new name even though the file's contents were synced.
async fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let handle = File::open(dir).await.map_err(|e| Error::io(dir, e))?;
        handle.sync_all().await.map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
