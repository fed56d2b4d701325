//! The crate's one error type.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256},
    transports::{RpcError, TransportError, TransportErrorKind},
};

/// Everything that can stop the indexer.
///
/// [`Error::retry_may_help`] says whether the same step, tried again later,
/// may succeed: the node or the database was unreachable, slow or rate
/// limited, or the chain moved while a range was read. The others need a
/// person: a reorganisation deeper than the kept window, a database written
/// for another chain, a bad configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JSON-RPC request failed (the message never carries the RPC URL).
    #[error("RPC: {0}")]
    Rpc(Box<TransportError>),

    /// A JSON-RPC request got no answer in time.
    #[error("RPC: {method} timed out after {timeout:?}")]
    Timeout {
        /// The JSON-RPC method.
        method: &'static str,
        /// The limit that was reached.
        timeout: Duration,
    },

    /// The node answered something that contradicts itself or the request:
    /// the chain moved between two requests, a log without a block hash.
    /// Reading the range again resolves it.
    #[error("inconsistent answer from the node: {0}")]
    Inconsistent(String),

    /// A database request failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),

    /// Applying the schema migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The checkpoint changed under this indexer: another process writes to
    /// the same database.
    #[error(
        "the checkpoint moved from block {expected:?} to {found:?} during a step: \
         is another indexer writing to this database?"
    )]
    CheckpointMoved {
        /// The checkpoint the step started from.
        expected: Option<u64>,
        /// The checkpoint found when committing.
        found: Option<u64>,
    },

    /// The chain reorganised below every block this indexer keeps (the
    /// finality window), or was reset: the mirror cannot be repaired by a
    /// rollback, so nothing is changed.
    #[error(
        "reorg deeper than the kept window: none of the {kept} stored blocks \
         ({lowest}..={checkpoint}) is on the node's chain any more; the node was \
         reset or the finality depth is too small. Re-index into a fresh database"
    )]
    ReorgTooDeep {
        /// The last indexed block.
        checkpoint: u64,
        /// The lowest block kept in the window.
        lowest: u64,
        /// How many blocks the window holds.
        kept: usize,
    },

    /// The database mirrors another chain or contract.
    #[error(
        "this database mirrors contract {db_contract} on chain {db_chain_id}, \
         not contract {contract} on chain {chain_id}"
    )]
    WrongDatabase {
        /// The chain the database was written for.
        db_chain_id: u64,
        /// The contract the database was written for.
        db_contract: Address,
        /// The chain of the configured node.
        chain_id: u64,
        /// The configured contract.
        contract: Address,
    },

    /// A configuration value is unusable.
    #[error("configuration: {0}")]
    Config(String),

    /// The task committing a range panicked: a bug. Nothing was committed
    /// unless the checkpoint says so.
    #[error("the commit task failed: {0}")]
    TaskFailed(String),

    /// A stored row does not have the expected shape (a 20-byte address, a
    /// 32-byte hash): the database was written by something else.
    #[error("database row: {0}")]
    Corrupt(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether trying the same step again later may succeed.
    pub fn retry_may_help(&self) -> bool {
        match self {
            Self::Rpc(_) | Self::Timeout { .. } | Self::Inconsistent(_) => true,
            Self::CheckpointMoved { .. } => true,
            Self::Db(error) => !matches!(
                error,
                sqlx::Error::Configuration(_)
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::TypeNotFound { .. }
            ),
            Self::Migrate(_)
            | Self::ReorgTooDeep { .. }
            | Self::WrongDatabase { .. }
            | Self::Config(_)
            | Self::TaskFailed(_)
            | Self::Corrupt(_) => false,
        }
    }

    /// An RPC error, stripped of the URL (RPC URLs often carry an API key).
    pub(crate) fn rpc(source: TransportError) -> Self {
        Self::Rpc(Box::new(without_url(source)))
    }
}

/// A hash read from the database.
pub(crate) fn b256(bytes: &[u8]) -> Result<B256> {
    B256::try_from(bytes).map_err(|_| Error::Corrupt(format!("{} bytes, not a hash", bytes.len())))
}

/// An address read from the database.
pub(crate) fn address(bytes: &[u8]) -> Result<Address> {
    Address::try_from(bytes)
        .map_err(|_| Error::Corrupt(format!("{} bytes, not an address", bytes.len())))
}

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
