//! Choosing a backend from configuration.

use std::{path::PathBuf, sync::Arc};

use serde::Deserialize;

use super::{BlobStore, KuboConfig, KuboStore, LocalStore, ObjectBlobStore, S3Config};
use crate::Result;

/// Which [`BlobStore`] to use, as read from a configuration file:
///
/// ```toml
/// [storage]
/// backend = "kubo"
/// url = "http://127.0.0.1:5001"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "backend", rename_all = "kebab-case")]
pub enum StoreConfig {
    /// A content-addressed directory ([`LocalStore`]), the default.
    Local {
        /// The store's root directory.
        root: PathBuf,
    },
    /// A Kubo daemon ([`KuboStore`]).
    Kubo(KuboConfig),
    /// An S3 or S3-compatible bucket ([`ObjectBlobStore::s3`]).
    S3(S3Config),
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self::Local {
            root: PathBuf::from(".tributary/blobs"),
        }
    }
}

impl StoreConfig {
    /// Opens the configured store. Only the local store touches anything
    /// (it creates its directories); the others connect on first use.
    pub async fn open(&self) -> Result<Arc<dyn BlobStore>> {
        Ok(match self {
            Self::Local { root } => Arc::new(LocalStore::open(root).await?),
            Self::Kubo(config) => Arc::new(KuboStore::new(config)?),
            Self::S3(config) => Arc::new(ObjectBlobStore::s3(config)?),
        })
    }
}
