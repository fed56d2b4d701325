//! The crate's one error type.

/// Everything that can stop a relayer operation.
///
/// [`Error::retry_may_help`] says whether the same operation, tried again
/// later, may succeed (the database or the node was unreachable or slow).
/// The others need a person: a bad configuration, a corrupt row, a bug.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A database request failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),

    /// Applying the schema migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The chain client failed (the message never carries the RPC URL).
    #[error("chain: {0}")]
    Chain(#[from] tributary_core::Error),

    /// A configuration value is unusable.
    #[error("configuration: {0}")]
    Config(String),

    /// A stored row does not have the expected shape.
    #[error("database row: {0}")]
    Corrupt(String),

    /// A task running a transaction panicked: a bug. Nothing was committed.
    #[error("a database task failed: {0}")]
    TaskFailed(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether trying the same operation again later may succeed.
    pub fn retry_may_help(&self) -> bool {
        match self {
            Self::Db(error) => !matches!(
                error,
                sqlx::Error::Configuration(_)
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::TypeNotFound { .. }
            ),
            Self::Chain(error) => error.retry_may_help(),
            Self::Migrate(_) | Self::Config(_) | Self::Corrupt(_) | Self::TaskFailed(_) => false,
        }
    }
}
