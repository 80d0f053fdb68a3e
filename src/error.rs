//! Registry errors: the distribution-spec error codes, each declared once with its HTTP
//! status, and the one mapping from storage outcomes to them.
//!
//! `Display` is plain text for logs; the JSON envelope
//! `{"errors":[{"code","message","detail"}]}` is built only when a response is made.
//! Handlers map "not found" themselves, because only they know whether a missing thing
//! is a blob, a manifest or an upload; everything else goes through [`From<Error>`].

use http::{HeaderValue, StatusCode};
use serde_json::json;

use cairn_storage::Error as StorageError;

/// The error codes of the distribution-spec, "Error Codes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Blob unknown to registry.
    BlobUnknown,
    /// Blob upload invalid.
    BlobUploadInvalid,
    /// Blob upload unknown to registry.
    BlobUploadUnknown,
    /// Provided digest did not match uploaded content.
    DigestInvalid,
    /// Blob unknown to registry, referenced by a manifest.
    ManifestBlobUnknown,
    /// Manifest invalid.
    ManifestInvalid,
    /// Manifest unknown.
    ManifestUnknown,
    /// Invalid repository name.
    NameInvalid,
    /// Repository name not known to registry.
    NameUnknown,
    /// Provided length did not match content length.
    SizeInvalid,
    /// Authentication required.
    Unauthorized,
    /// Requested access to the resource is denied.
    Denied,
    /// The operation is unsupported.
    Unsupported,
    /// Too many requests.
    TooManyRequests,
    /// The server failed; the spec has no code for it, so cairn uses `UNKNOWN`.
    Unknown,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BlobUnknown => "BLOB_UNKNOWN",
            ErrorCode::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            ErrorCode::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            ErrorCode::DigestInvalid => "DIGEST_INVALID",
            ErrorCode::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            ErrorCode::ManifestInvalid => "MANIFEST_INVALID",
            ErrorCode::ManifestUnknown => "MANIFEST_UNKNOWN",
            ErrorCode::NameInvalid => "NAME_INVALID",
            ErrorCode::NameUnknown => "NAME_UNKNOWN",
            ErrorCode::SizeInvalid => "SIZE_INVALID",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Denied => "DENIED",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::TooManyRequests => "TOOMANYREQUESTS",
            ErrorCode::Unknown => "UNKNOWN",
        }
    }

    /// The HTTP status this code is answered with unless the error says otherwise.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BlobUnknown
            | ErrorCode::BlobUploadUnknown
            | ErrorCode::ManifestUnknown
            | ErrorCode::NameUnknown => StatusCode::NOT_FOUND,
            ErrorCode::BlobUploadInvalid
            | ErrorCode::DigestInvalid
            | ErrorCode::ManifestBlobUnknown
            | ErrorCode::ManifestInvalid
            | ErrorCode::NameInvalid
            | ErrorCode::SizeInvalid => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Denied => StatusCode::FORBIDDEN,
            ErrorCode::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answered to a client: a status, a spec code, a message, an optional detail,
/// and a header some answers need (the `Range` of an upload refusing a chunk).
#[derive(Debug)]
pub struct RegistryError {
    /// The HTTP status; the code's usual one unless a spec sentence asks for another
    /// (416 for a chunk out of order, 412 for a failed precondition, 413 for a body
    /// over the limit).
    pub status: StatusCode,
    /// The spec code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Structured detail for clients, if any.
    pub detail: Option<Box<serde_json::Value>>,
    /// Extra header to send with the error.
    pub header: Option<Box<(http::HeaderName, HeaderValue)>>,
    /// The storage fault behind a 500, kept for the log.
    pub source: Option<Box<StorageError>>,
}

impl RegistryError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RegistryError {
            status: code.status(),
            code,
            message: message.into(),
            detail: None,
            header: None,
            source: None,
        }
    }

    /// Answers with `status` instead of the code's usual one.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a structured detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(Box::new(detail));
        self
    }

    /// Adds a header to the response.
    pub fn with_header(mut self, name: http::HeaderName, value: HeaderValue) -> Self {
        self.header = Some(Box::new((name, value)));
        self
    }

    /// The JSON envelope of the distribution-spec.
    pub fn body(&self) -> Vec<u8> {
        let mut error = json!({"code": self.code.as_str(), "message": self.message});
        if let Some(detail) = &self.detail {
            error["detail"] = (**detail).clone();
        }
        json!({ "errors": [error] }).to_string().into_bytes()
    }
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<StorageError> for RegistryError {
    fn from(err: StorageError) -> Self {
        let code = match &err {
            StorageError::ManifestInvalid(_) => ErrorCode::ManifestInvalid,
            StorageError::DigestMismatch { .. } => ErrorCode::DigestInvalid,
            StorageError::BlobUnknown(_) | StorageError::ManifestUnknown(_) => {
                ErrorCode::ManifestBlobUnknown
            }
            StorageError::UploadUnknown => ErrorCode::BlobUploadUnknown,
            StorageError::ChunkOutOfOrder { .. } => ErrorCode::BlobUploadInvalid,
            StorageError::ChunkSizeMismatch { .. } => ErrorCode::SizeInvalid,
            StorageError::BodyInterrupted(_) => ErrorCode::BlobUploadInvalid,
            StorageError::PreconditionFailed => ErrorCode::Denied,
            StorageError::Io { .. } | StorageError::Database(_) | StorageError::Corrupt(_) => {
                ErrorCode::Unknown
            }
        };
        let status = match &err {
            StorageError::ChunkOutOfOrder { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            StorageError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            _ => code.status(),
        };
        let detail = match &err {
            StorageError::BlobUnknown(d) | StorageError::ManifestUnknown(d) => {
                Some(Box::new(json!({ "digest": d })))
            }
            StorageError::DigestMismatch { expected, actual } => {
                Some(Box::new(json!({ "expected": expected, "actual": actual })))
            }
            _ => None,
        };
        let header = match &err {
            StorageError::ChunkOutOfOrder { offset, .. } => Some(Box::new((
                http::header::RANGE,
                crate::http::range_header(*offset),
            ))),
            _ => None,
        };
        // A server fault's cause goes to the log only; the client learns nothing internal.
        let (message, source) = if err.is_server_fault() {
            ("internal storage error".to_owned(), Some(Box::new(err)))
        } else {
            (err.to_string(), None)
        };
        RegistryError {
            status,
            code,
            message,
            detail,
            header,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_code_message_and_detail() {
        let err = RegistryError::new(ErrorCode::BlobUnknown, "blob unknown")
            .with_detail(json!({"digest": "sha256:x"}));
        let body: serde_json::Value = serde_json::from_slice(&err.body()).expect("json");
        assert_eq!(body["errors"][0]["code"], "BLOB_UNKNOWN");
        assert_eq!(body["errors"][0]["message"], "blob unknown");
        assert_eq!(body["errors"][0]["detail"]["digest"], "sha256:x");
        assert_eq!(err.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn storage_faults_hide_their_cause_from_clients() {
        let err = RegistryError::from(StorageError::Database("disk on fire".into()));
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!String::from_utf8_lossy(&err.body()).contains("fire"));
        assert!(err.source.is_some());
    }
}
