//! The crate's one error type.

use std::{io, path::PathBuf};

use crate::manifest::Issue;

/// Everything that can go wrong in `tributary-core`.
///
/// None of these errors is transient: retrying the same call with the same
/// input fails the same way, except [`Error::Io`], which may succeed once the
/// file system problem behind it is fixed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or walking a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder that could not be read.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },

    /// Walking a folder failed (loop, permission, vanished entry).
    #[error(transparent)]
    Walk(#[from] walkdir::Error),

    /// A folder holds something a manifest cannot describe.
    #[error("{}: {reason}", path.display())]
    UnsupportedEntry {
        /// The offending entry.
        path: PathBuf,
        /// Why it cannot be part of a dataset.
        reason: &'static str,
    },

    /// A document is not well-formed JSON or does not have the manifest's shape.
    #[error("manifest JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// A manifest is well-formed but breaks one or more rules.
    #[error("invalid manifest: {}", Issue::join(.0))]
    InvalidManifest(Vec<Issue>),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
