//! The storage crate's error type.
//!
//! Variants say what went wrong in the registry's terms (a manifest names a missing
//! blob, a chunk does not continue the upload); the server decides which distribution-spec
//! error code each one becomes. Missing keys are not errors: lookups answer `Ok(None)`.
//! No RocksDB type appears here, so the storage backend can change without touching the
//! HTTP layer.

use std::io;

use crate::digest::Digest;
use crate::manifest::ManifestError;

/// Result alias of the storage crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a storage operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest body was refused by the parser.
    #[error(transparent)]
    ManifestInvalid(#[from] ManifestError),
    /// Content did not hash to the digest it was sent under.
    #[error("content digest is {actual}, not {expected}")]
    DigestMismatch {
        /// The digest the client claimed.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// A manifest names a blob that is not in its repository.
    #[error("blob {0} is not in the repository")]
    BlobUnknown(Digest),
    /// An index names a manifest that is not in its repository.
    #[error("manifest {0} is not in the repository")]
    ManifestUnknown(Digest),
    /// The upload session does not exist (never did, finished, or cancelled).
    #[error("upload session not found")]
    UploadUnknown,
    /// A chunk does not start where the upload stands.
    #[error("chunk starts at {requested}, upload is at {offset}")]
    ChunkOutOfOrder {
        /// Where the chunk claims to start.
        requested: u64,
        /// Bytes received so far.
        offset: u64,
    },
    /// A chunk holds a different number of bytes than its range declares.
    #[error("chunk declares {declared} bytes but holds {received}")]
    ChunkSizeMismatch {
        /// Length of the declared range.
        declared: u64,
        /// Bytes actually received.
        received: u64,
    },
    /// The request body ended early or failed while being received.
    #[error("request body interrupted: {0}")]
    BodyInterrupted(String),
    /// An `If-Match` / `If-None-Match` condition on a manifest write did not hold.
    #[error("precondition on the current manifest failed")]
    PreconditionFailed,
    /// A filesystem operation failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The metadata database failed.
    #[error("metadata database: {0}")]
    Database(String),
    /// Stored data does not decode: a bug or outside tampering.
    #[error("corrupt metadata: {0}")]
    Corrupt(String),
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// Whether this is a fault of the registry rather than of the request.
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            Error::Io { .. } | Error::Database(_) | Error::Corrupt(_)
        )
    }
}

impl From<rocksdb::Error> for Error {
    fn from(err: rocksdb::Error) -> Self {
        Error::Database(err.into_string())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(err: tokio::task::JoinError) -> Self {
        Error::Io {
            context: "blocking storage task".into(),
            source: io::Error::other(err),
        }
    }
}
