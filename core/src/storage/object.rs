//! Blobs in any `object_store` backend: S3 and S3-compatible services

use std::{fmt, path::Path, sync::Arc};

use async_trait::async_trait;
use futures_util::StreamExt;
use object_store::{
    GetOptions, ObjectStore, PutMultipartOptions, RenameOptions, RenameTargetMode, WriteMultipart,
    aws::AmazonS3Builder, path::Path as ObjectPath,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{
    BlobRef, BlobStore, ImportSettings, StoredBlob,
    digest::{Digests, Pieces, Verifier},
};
use crate::{Error, Result, hash::Sha256Digest};

/// Default multipart part size: S3's minimum for every part but the last.
pub const DEFAULT_PART_SIZE: usize = 5 * 1024 * 1024;
/// Default number of parts uploading at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 2;

/// A [`BlobStore`] over any [`ObjectStore`].
///
/// (MinIO, Cloudflare R2, Ceph…), the local file system, memory.
///
/// ```text
/// <prefix>/sha256/ab/cdef…   one object per blob, as in the local store
/// <prefix>/tmp/<random>      uploads from a stream whose hash is not yet known
/// ```
///
/// Uploads are multipart, a part at a time, so memory stays at about
/// `part_size × (max_concurrency + 1)` whatever the blob's size. A multipart
/// upload becomes visible only when completed, so no reader ever sees half a
/// blob. From a stream the final key is known only at the end: the upload
/// goes to `tmp/` and is then renamed (on S3 a server-side copy, limited to
/// 5 GiB per object, and a delete). From a file the store hashes first and
/// uploads straight to the final key, with no copy and no size limit.
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    part_size: usize,
    max_concurrency: usize,
}

impl ObjectBlobStore {
    /// Blobs at the root of `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            prefix: ObjectPath::default(),
            part_size: DEFAULT_PART_SIZE,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
        }
    }

    /// Blobs under `prefix` (such as `datasets/blobs`) instead of the root.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self> {
        self.prefix = ObjectPath::parse(prefix)
            .map_err(|e| Error::Config(format!("object prefix {prefix:?}: {e}")))?;
        Ok(self)
    }

    /// Multipart part size and parallelism; S3 needs parts of at least 5 MiB.
    pub fn with_parts(mut self, part_size: usize, max_concurrency: usize) -> Self {
        self.part_size = part_size.max(1);
        self.max_concurrency = max_concurrency.max(1);
        self
    }

    /// Blobs in an S3 bucket, or an S3-compatible service's.
    pub fn s3(config: &S3Config) -> Result<Self> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(config.virtual_hosted_style);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &config.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if let Some(token) = &config.session_token {
            builder = builder.with_token(token);
        }
        let store = Self::new(Arc::new(builder.build()?));
        match &config.prefix {
            Some(prefix) => store.with_prefix(prefix),
            None => Ok(store),
        }
    }

    /// The object key of the blob with this SHA-256.
    pub fn blob_key(&self, sha256: &Sha256Digest) -> ObjectPath {
        let hex = sha256.to_string();
        self.prefix
            .clone()
            .join("sha256")
            .join(&hex[..2])
            .join(&hex[2..])
    }

    fn temp_key(&self) -> Result<ObjectPath> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(Error::Random)?;
        Ok(self
            .prefix
            .clone()
            .join("tmp")
            .join(alloy_primitives::hex::encode(nonce)))
    }

    async fn exists(&self, key: &ObjectPath) -> Result<bool> {
        match self
            .store
            .get_opts(key, GetOptions::default().with_head(true))
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Best-effort removal of a temporary object: a leftover under `tmp/` is
    /// never mistaken for a blob, so a failure here is not worth reporting.
    async fn delete_quietly(&self, key: ObjectPath) {
        let mut deleted = self
            .store
            .delete_stream(futures_util::stream::once(std::future::ready(Ok(key))).boxed());
        while deleted.next().await.is_some() {}
    }

    async fn start_upload(&self, key: &ObjectPath) -> Result<WriteMultipart> {
        let upload = self
            .store
            .put_multipart_opts(key, PutMultipartOptions::default())
            .await?;
        Ok(WriteMultipart::new_with_chunk_size(upload, self.part_size))
    }

    /// Streams `reader` into `upload`, feeding every piece to `hash` first.
    /// Aborts the upload on error so no parts are left behind.
    async fn upload(
        &self,
        mut upload: WriteMultipart,
        reader: &mut (dyn AsyncRead + Unpin + Send),
        mut hash: impl FnMut(&[u8]) + Send,
    ) -> Result<WriteMultipart> {
        let mut pieces = Pieces::new(reader);
        loop {
            let piece = match pieces.next().await {
                Ok(Some(piece)) => piece,
                Ok(None) => return Ok(upload),
                Err(e) => {
                    let _ = upload.abort().await;
                    return Err(e);
                }
            };
            hash(piece);
            // Back-pressure: at most `max_concurrency` parts in flight.
            if let Err(e) = upload.wait_for_capacity(self.max_concurrency).await {
                let _ = upload.abort().await;
                return Err(e.into());
            }
            upload.write(piece);
        }
    }
}

impl fmt::Display for ObjectBlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "object store {}", self.store)?;
        if !self.prefix.as_ref().is_empty() {
            write!(f, " under {}", self.prefix)?;
        }
        Ok(())
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, reader: &mut (dyn AsyncRead + Unpin + Send)) -> Result<StoredBlob> {
        let temp = self.temp_key()?;
        let mut digests = Digests::new();
        let upload = self.start_upload(&temp).await?;
        let upload = self
            .upload(upload, reader, |piece| digests.update(piece))
            .await?;
        upload.finish().await?;
        let stored = digests.finish(ImportSettings::default());

        let key = self.blob_key(&stored.blob.sha256);
        if self.exists(&key).await? {
            // Already stored: same bytes by definition.
            self.delete_quietly(temp).await;
        } else {
            let options = RenameOptions::new().with_target_mode(RenameTargetMode::Overwrite);
            if let Err(e) = self.store.rename_opts(&temp, &key, options).await {
                self.delete_quietly(temp).await;
                return Err(e.into());
            }
        }
        Ok(stored)
    }

    async fn put_file(&self, path: &Path) -> Result<StoredBlob> {
        // First pass: the hash names the object, so it must come first.
        let owned = path.to_owned();
        let stored = tokio::task::spawn_blocking(move || hash_file(&owned))
            .await
            .map_err(|e| Error::io(path, std::io::Error::other(e)))??;
        let key = self.blob_key(&stored.blob.sha256);
        if self.exists(&key).await? {
            return Ok(stored);
        }

        // Second pass: upload straight to the final key, checking that the
        // bytes are still the ones hashed before completing the upload.
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::io(path, e))?;
        let mut sha256 = Sha256::new();
        let mut size = 0u64;
        let upload = self.start_upload(&key).await?;
        let upload = self
            .upload(upload, &mut file, |piece| {
                sha256.update(piece);
                size += piece.len() as u64;
            })
            .await?;
        if Sha256Digest::new(sha256.finalize().into()) != stored.blob.sha256 || size != stored.size
        {
            let _ = upload.abort().await;
            return Err(Error::Changed {
                path: path.to_owned(),
            });
        }
        upload.finish().await?;
        Ok(stored)
    }

    async fn get(
        &self,
        blob: &BlobRef,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
    ) -> Result<u64> {
        let key = self.blob_key(&blob.sha256);
        let found = match self.store.get_opts(&key, GetOptions::default()).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(Error::NotFound {
                    sha256: blob.sha256,
                    store: self.to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let mut verifier = Verifier::new(writer);
        let mut pieces = found.into_stream();
        while let Some(piece) = pieces.next().await {
            verifier.write(&piece?).await?;
        }
        verifier.finish(&blob.sha256, self).await
    }

    async fn has(&self, blob: &BlobRef) -> Result<bool> {
        self.exists(&self.blob_key(&blob.sha256)).await
    }
}

/// SHA-256, CIDs and size of a file, in one pass on the calling thread.
fn hash_file(path: &Path) -> Result<StoredBlob> {
    let mut digests = Digests::new();
    crate::hash::ChunkReader::new().read_file(path, crate::hash::NO_PROGRESS, |piece| {
        digests.update(piece)
    })?;
    Ok(digests.finish(ImportSettings::default()))
}

/// Where an S3 (or S3-compatible) bucket is and how to sign in to it.
///
/// `Debug` leaves the secret key and session token out.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Region, such as `us-east-1` (S3-compatible services often ignore it).
    #[serde(default = "default_region")]
    pub region: String,
    /// Endpoint of an S3-compatible service, such as `http://127.0.0.1:9000`;
    /// `None` for AWS itself.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Access key id; without one, credentials come from the instance metadata.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Secret access key.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// Session token of temporary credentials.
    #[serde(default)]
    pub session_token: Option<String>,
    /// Allow plain `http://` endpoints (local MinIO, tests).
    #[serde(default)]
    pub allow_http: bool,
    /// Address the bucket as `bucket.host` rather than `host/bucket`.
    #[serde(default)]
    pub virtual_hosted_style: bool,
    /// Key prefix under which blobs are kept.
    #[serde(default)]
    pub prefix: Option<String>,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { Some("<redacted>") } else { None };
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &redacted(self.secret_access_key.is_some()),
            )
            .field("session_token", &redacted(self.session_token.is_some()))
            .field("allow_http", &self.allow_http)
            .field("virtual_hosted_style", &self.virtual_hosted_style)
            .field("prefix", &self.prefix)
            .finish()
    }
}
