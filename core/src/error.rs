//! The crate's one error type.

use std::{io, path::PathBuf, time::Duration};

use alloy::{
    primitives::TxHash,
    providers::{PendingTransactionError, WatchTxError},
    transports::{RpcError, TransportError, TransportErrorKind},
};

use crate::{chain::Revert, hash::Sha256Digest, manifest::Issue};

/// Everything that can go wrong in `tributary-core`.
///
/// [`Error::retry_may_help`] says whether repeating the same call unchanged
/// may succeed (I/O, a node or store that was down, a rate limit, a receipt
/// not yet seen). Otherwise retrying fails the same way.
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

    // --- chain ---
    /// A signing key could not be loaded. The message never holds key material.
    #[error("signing key: {0}")]
    InvalidKey(String),

    /// A signature is malformed, or not in the form the contract accepts.
    #[error("invalid signature: {0}")]
    InvalidSignature(&'static str),

    /// Signing failed inside the signer.
    #[error("signing failed: {0}")]
    Signing(#[from] alloy::signers::Error),

    /// The RPC URL does not parse. (The URL itself is not repeated: it may
    /// carry an API key.)
    #[error("invalid RPC URL: {0}")]
    InvalidRpcUrl(#[source] url::ParseError),

    /// The node serves another chain than the one configured.
    #[error("the RPC node serves chain {actual}, not the configured chain {expected}")]
    WrongChain {
        /// The configured chain id.
        expected: u64,
        /// The node's chain id.
        actual: u64,
    },

    /// A transaction was requested from a client connected without a key.
    #[error("sending a transaction needs a signing key: connect the client with one")]
    NoSigner,

    /// An RPC request failed: the node is unreachable, answered with an HTTP
    /// error, or refused the request (other than a contract revert).
    #[error("RPC request failed: {0}")]
    Rpc(#[source] Box<TransportError>),

    /// The contract reverted, with its custom error decoded
    /// (e.g. `TermsMismatch(datasetId=3)`).
    #[error("contract reverted: {0}")]
    Reverted(Revert),

    /// A transaction was mined but failed (reverted on-chain after its gas
    /// estimate passed, or ran out of gas).
    #[error("transaction {tx_hash} was mined but failed")]
    TxFailed {
        /// The failed transaction.
        tx_hash: TxHash,
    },

    /// A sent transaction did not reach the required confirmations in time.
    /// It may still be mined: look it up by hash before sending it again.
    #[error("transaction {tx_hash} not confirmed {confirmations} time(s) within {timeout:?}")]
    ReceiptTimeout {
        /// The pending transaction.
        tx_hash: TxHash,
        /// The confirmations waited for.
        confirmations: u64,
        /// How long the client waited.
        timeout: Duration,
    },

    /// A confirmed transaction lacks the event its call always emits (a
    /// contract at that address that is not Tributary).
    #[error("transaction {tx_hash} emitted no {event} event")]
    MissingEvent {
        /// The confirmed transaction.
        tx_hash: TxHash,
        /// The event's Solidity signature.
        event: &'static str,
    },

    /// A deployment transaction was confirmed without creating a contract.
    #[error("deployment transaction {tx_hash} created no contract")]
    NotDeployed {
        /// The deployment transaction.
        tx_hash: TxHash,
    },

    /// A contract call failed outside the chain: its data could not be
    /// encoded, or the answer decoded (e.g. no contract at the address).
    #[error("contract call failed: {0}")]
    Contract(#[source] Box<alloy::contract::Error>),

    /// A file's bytes are not the ones its manifest records: it changed after
    /// the manifest was made.
    #[error("{}: the file does not match its manifest entry (changed since the manifest was made?)", .0.display())]
    ChangedSinceManifest(PathBuf),

    /// No dataset has this id on the contract (no `DatasetRegistered` event).
    #[error("dataset {0} is not registered on this contract")]
    UnknownDataset(alloy::primitives::U256),

    /// The node does not know a block it reported (it is lagging or pruned).
    #[error("the node has no block {0}")]
    MissingBlock(u64),

    /// A log the node returned for one of the suite's events does not decode
    /// as that event.
    #[error("cannot decode a {event} log: {reason}")]
    BadLog {
        /// The event's Solidity signature.
        event: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The node answered a value the ABI allows but the contract never
    /// returns (e.g. an enum byte out of range).
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether repeating the same call unchanged may succeed: the failure lies
    /// with the file system, the network, a remote store or the node (down,
    /// rate-limited, a lost request, a raced nonce, a receipt not seen in time:
    /// check the transaction before resending), not with the input. A revert,
    /// a bad key or a bad input is not retryable.
    pub fn retry_may_help(&self) -> bool {
        match self {
            Self::Io { .. } | Self::Stream(_) | Self::Random(_) | Self::Http { .. } => true,
            // Kubo reports nearly every failure as HTTP 500, so only the
            // statuses that mean "try later" count.
            Self::Kubo { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
            // `Generic` carries network and server failures that survived
            // object_store's own retries; the other kinds are about the request.
            Self::ObjectStore(e) => matches!(e, object_store::Error::Generic { .. }),
            Self::Rpc(source) => transport_retryable(source),
            Self::ReceiptTimeout { .. } | Self::MissingBlock(_) => true,
            _ => false,
        }
    }

    /// The decoded revert, if the contract reverted.
    pub fn revert(&self) -> Option<&Revert> {
        match self {
            Self::Reverted(revert) => Some(revert),
            _ => None,
        }
    }

    pub(crate) fn rpc(source: TransportError) -> Self {
        if let Some(data) = source
            .as_error_resp()
            .and_then(|payload| payload.as_revert_data())
        {
            return Self::Reverted(Revert::decode(&data));
        }
        Self::Rpc(Box::new(without_url(source)))
    }

    pub(crate) fn contract(source: alloy::contract::Error) -> Self {
        use alloy::contract::Error as E;
        match source {
            E::TransportError(source) => Self::rpc(source),
            E::PendingTransactionError(PendingTransactionError::TransportError(source)) => {
                Self::rpc(source)
            }
            other => Self::Contract(Box::new(other)),
        }
    }

    pub(crate) fn pending(
        source: PendingTransactionError,
        tx_hash: TxHash,
        confirmations: u64,
        timeout: Duration,
    ) -> Self {
        match source {
            PendingTransactionError::TxWatcher(WatchTxError::Timeout) => Self::ReceiptTimeout {
                tx_hash,
                confirmations,
                timeout,
            },
            PendingTransactionError::TransportError(source) => Self::rpc(source),
            // The watcher task stopped: the provider is shutting down or lost its connection.
            other => Self::Rpc(Box::new(TransportErrorKind::custom(other))),
        }
    }
}

/// The error without the request URL that HTTP client errors repeat: an RPC
/// URL often carries an API key, and errors end up in logs.
fn without_url(error: TransportError) -> TransportError {
    use alloy::transports::http::reqwest;
    match error {
        RpcError::Transport(TransportErrorKind::Custom(inner)) => {
            match inner.downcast::<reqwest::Error>() {
                Ok(http) => TransportErrorKind::custom(http.without_url()),
                Err(inner) => RpcError::Transport(TransportErrorKind::Custom(inner)),
            }
        }
        other => other,
    }
}

/// Whether a failed RPC request may succeed when sent again.
fn transport_retryable(error: &TransportError) -> bool {
    match error {
        RpcError::Transport(kind) => match kind {
            TransportErrorKind::HttpError(http) => {
                matches!(http.status, 408 | 425 | 429) || http.status >= 500
            }
            // Connection refused or reset, timeouts, a watcher that lost its
            // connection: the request may go through later.
            TransportErrorKind::Custom(_)
            | TransportErrorKind::BackendGone
            | TransportErrorKind::MissingBatchResponse(_) => true,
            other => other.is_retry_err(),
        },
        RpcError::ErrorResp(payload) => {
            let message = payload.message.to_ascii_lowercase();
            // Rate limits and overloaded nodes, as alloy's own retry policy
            // reads them; a nonce taken by a concurrent sender (the next
            // attempt fetches a fresh one); a transaction the pool already holds.
            payload.is_retry_err()
                || message.contains("nonce too low")
                || message.contains("replacement transaction underpriced")
                || message.contains("already known")
        }
        RpcError::NullResp => true,
        _ => false,
    }
}

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
