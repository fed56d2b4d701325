//! The crate's one error type.

use std::{io, path::PathBuf};

use crate::{hash::Sha256Digest, manifest::Issue};

/// Everything that can go wrong in `tributary-core`.
///
/// Most of these errors are permanent: retrying the same call with the same
/// input fails the same way. [`Error::is_transient`] names the few that a
/// retry may cure (I/O, the network, a remote store).
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

    /// Reading from or writing to a caller's stream failed.
    #[error("stream I/O: {0}")]
    Stream(#[source] io::Error),

    // --- encryption ---
    /// The operating system's random number generator failed.
    #[error("system random number generator: {0}")]
    Random(getrandom::Error),

    /// Data meant to be an encrypted stream does not start with a header this
    /// version can read.
    #[error("not a Tributary encrypted stream: {0}")]
    BadHeader(&'static str),

    /// A chunk of an encrypted stream failed authentication.
    #[error(
        "decryption failed at chunk {chunk}: wrong data key, or the ciphertext was altered, \
         reordered, duplicated or cut short"
    )]
    Decrypt {
        /// Zero-based index of the chunk that failed.
        chunk: u64,
    },

    /// An encrypted stream ends before its final chunk.
    #[error("encrypted stream is truncated: it ends after {chunks} chunks, before its final chunk")]
    Truncated {
        /// Number of whole chunks read (and authenticated) before the end.
        chunks: u64,
    },

    /// More plaintext than one encrypted stream can hold (2³² − 1 chunks).
    #[error("plaintext too long for one encrypted stream")]
    TooLong,

    /// Bytes meant to be a wrapped data key are malformed.
    #[error("malformed wrapped key: {0}")]
    BadWrappedKey(&'static str),

    /// A wrapped data key did not open with the key named in it.
    #[error(
        "wrapped data key does not open with creator key {key_id:?}: wrong key, or the \
         wrapped key was altered"
    )]
    Unwrap {
        /// The creator key id recorded in the wrapped key.
        key_id: String,
    },

    /// A creator key id is not a safe file name.
    #[error(
        "invalid key id {key_id:?}: use 1 to 64 characters from A-Z a-z 0-9 . _ -, \
         not starting with a dot"
    )]
    InvalidKeyId {
        /// The rejected id.
        key_id: String,
    },

    /// No creator key has this id: it was never created in this store, or it
    /// was destroyed (crypto-shredded) and everything it wrapped is gone.
    #[error(
        "creator key {key_id:?} not found in {}: never created there, or destroyed \
         (crypto-shredded), in which case the data it protected cannot be decrypted",
        dir.display()
    )]
    KeyNotFound {
        /// The requested id.
        key_id: String,
        /// The key store's directory.
        dir: PathBuf,
    },

    /// A creator key with this id already exists and was left untouched.
    #[error("creator key {key_id:?} already exists in {}", dir.display())]
    KeyExists {
        /// The requested id.
        key_id: String,
        /// The key store's directory.
        dir: PathBuf,
    },

    /// A key file is malformed or not private.
    #[error("key file {}: {reason}", path.display())]
    BadKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },

    // --- storage ---
    /// The store holds no blob with this SHA-256.
    #[error("blob {sha256} not found in {store}")]
    NotFound {
        /// The requested blob.
        sha256: Sha256Digest,
        /// The store, as its `Display` names it.
        store: String,
    },

    /// A blob's bytes do not hash to the SHA-256 it was asked for.
    #[error("blob {expected} from {store} is corrupt: its content hashes to {actual}")]
    Corrupt {
        /// The SHA-256 asked for.
        expected: Sha256Digest,
        /// The SHA-256 of the bytes the store returned.
        actual: Sha256Digest,
        /// The store, as its `Display` names it.
        store: String,
    },

    /// A file changed while it was being stored.
    #[error("{} changed while it was being stored", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },

    /// The Kubo daemon could not be reached, or its answer was cut off.
    #[error("Kubo RPC {endpoint}: {source}")]
    Http {
        /// The RPC endpoint called, such as `/api/v0/add`.
        endpoint: &'static str,
        /// What the HTTP client reported.
        #[source]
        source: reqwest::Error,
    },

    /// The Kubo daemon answered with an error.
    #[error("Kubo RPC {endpoint} answered {status}: {message}")]
    Kubo {
        /// The RPC endpoint called.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// Kubo's error message, or the start of its answer.
        message: String,
    },

    /// Kubo imported a blob under another CID than the one computed here,
    /// so its import settings differ from the ones recorded.
    #[error("Kubo returned CID {returned} where {expected} was computed with the same settings")]
    CidMismatch {
        /// The CID computed locally.
        expected: String,
        /// The CID Kubo returned.
        returned: String,
    },

    /// A storage configuration value is invalid.
    #[error("invalid storage configuration: {0}")]
    Config(String),

    /// An `object_store` backend (S3, local file system, memory) failed.
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),
}

impl Error {
    /// Whether retrying the same call may succeed: the failure lies with the
    /// file system, the network or a remote store, not with the input.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Io { .. } | Self::Stream(_) | Self::Random(_) | Self::Http { .. } => true,
            // Kubo reports nearly every failure as HTTP 500, so only the
            // statuses that mean "try later" count.
            Self::Kubo { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
            // `Generic` carries network and server failures that survived
            // object_store's own retries; the other kinds are about the request.
            Self::ObjectStore(e) => matches!(e, object_store::Error::Generic { .. }),
            _ => false,
        }
    }

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
