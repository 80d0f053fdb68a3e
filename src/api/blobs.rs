//! Blobs: `GET`/`HEAD` (with `Range`) and `DELETE` of `/v2/<name>/blobs/<digest>`
//! (distribution-spec end-2, end-10).
//!
//! Bodies are streamed from the blob file in large reads; nothing is buffered whole.
//! A blob is visible in a repository only when it was pushed or mounted there.

use futures_util::StreamExt;
use http::header::{self, HeaderMap};
use http::StatusCode;
use http_body_util::{BodyExt, StreamBody};

use cairn_storage::{Digest, RepositoryName};

use crate::api::Registry;
use crate::error::{ErrorCode, RegistryError};
use crate::http::{self as h, HandlerResult};

/// Read size when streaming a blob: large enough that each read amortises its
/// blocking-pool hop, small enough to keep memory flat under many downloads.
const READ_CHUNK: usize = 192 << 10;

fn blob_unknown(digest: &Digest) -> RegistryError {
    RegistryError::new(ErrorCode::BlobUnknown, "blob unknown to registry")
        .with_detail(serde_json::json!({ "digest": digest }))
}

/// `GET` or `HEAD` of a blob.
pub(crate) async fn get(
    registry: &Registry,
    name: &RepositoryName,
    digest: &Digest,
    headers: &HeaderMap,
    head: bool,
) -> HandlerResult {
    let info = registry
        .store
        .blob_in_repository(name, digest)?
        .ok_or_else(|| blob_unknown(digest))?;
    let size = info.size;

    let range = match h::header_str(headers, header::RANGE) {
        Some(value) => h::parse_range(value, size).map_err(|h::Unsatisfiable| {
            RegistryError::new(ErrorCode::SizeInvalid, "range not satisfiable")
                .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
                .with_header(
                    header::CONTENT_RANGE,
                    h::header_value(&format!("bytes */{size}"))
                        .unwrap_or_else(|_| http::HeaderValue::from_static("bytes */0")),
                )
        })?,
        None => None,
    };
    let (status, start, len) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.start, r.end - r.start + 1),
        None => (StatusCode::OK, 0, size),
    };

    let mut builder = h::builder(status)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, len)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(h::CONTENT_DIGEST, digest.as_str())
        .header(header::ETAG, format!("\"{digest}\""));
    if let Some(r) = range {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", r.start, r.end),
        );
    }
    if head {
        return h::finish(builder, h::empty());
    }

    let chunks = registry
        .store
        .read_blob(digest, start, len, READ_CHUNK)
        .await?;
    let body = StreamBody::new(chunks.map(|chunk| chunk.map(hyper::body::Frame::data)));
    h::finish(builder, body.boxed_unsync())
}

/// `DELETE` of a blob: removes it from the repository.
pub(crate) async fn delete(
    registry: &Registry,
    name: &RepositoryName,
    digest: &Digest,
) -> HandlerResult {
    let store = registry.store.clone();
    let (name, owned) = (name.clone(), digest.clone());
    let existed = tokio::task::spawn_blocking(move || store.unlink_blob(&name, &owned))
        .await
        .map_err(cairn_storage::Error::from)??;
    if !existed {
        return Err(blob_unknown(digest));
    }
    h::finish(
        h::builder(StatusCode::ACCEPTED).header(header::CONTENT_LENGTH, 0),
        h::empty(),
    )
}
