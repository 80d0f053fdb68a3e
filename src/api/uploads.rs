//! Blob uploads (distribution-spec end-4a/4b, end-5, end-6, end-11, end-13 and the
//! status `GET`): starting sessions, single-`POST` monolithic pushes, cross-repository
//! mounts, chunked and streamed `PATCH`es, the closing `PUT`, and cancellation.

use std::collections::BTreeMap;

use http::header::{self, HeaderMap};
use http::StatusCode;
use http_body_util::BodyDataStream;

use cairn_storage::{Digest, DigestError, RepositoryName, UploadId};

use crate::api::Registry;
use crate::error::{ErrorCode, RegistryError};
use crate::http::{self as h, HandlerResult, RequestBody};

fn upload_unknown() -> RegistryError {
    RegistryError::new(ErrorCode::BlobUploadUnknown, "upload session unknown")
}

fn digest_query(query: &BTreeMap<String, Vec<String>>) -> Result<Option<Digest>, RegistryError> {
    h::first(query, "digest")
        .map(|text| {
            text.parse().map_err(|err: DigestError| {
                RegistryError::new(ErrorCode::DigestInvalid, err.to_string())
            })
        })
        .transpose()
}

fn session_location(name: &RepositoryName, id: &UploadId) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

/// `201 Created` for a blob that now exists in `name`.
fn created(name: &RepositoryName, digest: &Digest) -> HandlerResult {
    let builder = h::builder(StatusCode::CREATED)
        .header(header::LOCATION, format!("/v2/{name}/blobs/{digest}"))
        .header(h::CONTENT_DIGEST, digest.as_str())
        .header(header::CONTENT_LENGTH, 0);
    h::finish(builder, h::empty())
}

/// `202 Accepted` describing session `id` at `offset`.
fn in_progress(
    name: &RepositoryName,
    id: &UploadId,
    offset: u64,
    status: StatusCode,
) -> HandlerResult {
    let builder = h::builder(status)
        .header(header::LOCATION, session_location(name, id))
        .header(header::RANGE, h::range_header(offset))
        .header(h::UPLOAD_UUID, id.as_str())
        .header(header::CONTENT_LENGTH, 0);
    h::finish(builder, h::empty())
}

/// `POST /v2/<name>/blobs/uploads/`: mount, monolithic push, or a new session.
pub(crate) async fn start(
    registry: &Registry,
    name: &RepositoryName,
    query: &BTreeMap<String, Vec<String>>,
    body: &mut RequestBody,
) -> HandlerResult {
    if let Some(mount) = h::first(query, "mount") {
        if let Some(response) = try_mount(registry, name, mount, h::first(query, "from")).await? {
            return Ok(response);
        }
    } else if let Some(digest) = digest_query(query)? {
        let id = registry.store.create_upload(name).await?;
        let committed = registry
            .store
            .commit_upload(name, &id, &digest, BodyDataStream::new(body))
            .await;
        if let Err(err) = committed {
            // Nobody can resume a session they were never told about: drop its bytes.
            if let Err(cleanup) = registry.store.cancel_upload(name, &id).await {
                tracing::warn!(error = %cleanup, "could not discard a failed single-POST upload");
            }
            return Err(err.into());
        }
        return created(name, &digest);
    }

    let id = registry.store.create_upload(name).await?;
    in_progress(name, &id, 0, StatusCode::ACCEPTED)
}

/// Links an existing blob into `name`; `None` when it cannot be mounted, in which case
/// the spec asks for an ordinary session instead.
async fn try_mount(
    registry: &Registry,
    name: &RepositoryName,
    mount: &str,
    from: Option<&str>,
) -> Result<Option<http::Response<h::Body>>, RegistryError> {
    let digest: Digest = mount.parse().map_err(|err: DigestError| {
        RegistryError::new(ErrorCode::DigestInvalid, err.to_string())
    })?;
    let source: Option<RepositoryName> = match from {
        Some(from) => Some(from.parse().map_err(|_| {
            RegistryError::new(
                ErrorCode::NameInvalid,
                format!("invalid repository name {from:?}"),
            )
        })?),
        None => None,
    };

    // With `from`, the blob must be visible there; without it, anywhere will do.
    let available = match &source {
        Some(source) => registry
            .store
            .blob_in_repository(source, &digest)?
            .is_some(),
        None => registry.store.blob(&digest)?.is_some(),
    };
    if !available {
        return Ok(None);
    }
    let store = registry.store.clone();
    let (target, owned) = (name.clone(), digest.clone());
    let mounted = tokio::task::spawn_blocking(move || store.mount_blob(&target, &owned))
        .await
        .map_err(cairn_storage::Error::from)??;
    match mounted {
        Some(_) => created(name, &digest).map(Some),
        None => Ok(None),
    }
}

/// `PATCH`: a chunk with `Content-Range`, or a stream appended as it comes.
pub(crate) async fn patch(
    registry: &Registry,
    name: &RepositoryName,
    id: &UploadId,
    headers: &HeaderMap,
    body: &mut RequestBody,
) -> HandlerResult {
    let range = match h::header_str(headers, header::CONTENT_RANGE) {
        Some(value) => Some(h::parse_content_range(value).ok_or_else(|| {
            RegistryError::new(ErrorCode::BlobUploadInvalid, "malformed Content-Range")
        })?),
        None => None,
    };
    // A declared length that contradicts the range is refused before reading a byte.
    let declared: Option<u64> =
        h::header_str(headers, header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    if let (Some((first, last)), Some(length)) = (range, declared) {
        if last - first + 1 != length {
            return Err(RegistryError::new(
                ErrorCode::SizeInvalid,
                format!(
                    "Content-Range covers {} bytes, Content-Length is {length}",
                    last - first + 1
                ),
            ));
        }
    }
    let offset = registry
        .store
        .append_upload(name, id, range, BodyDataStream::new(body))
        .await?;
    in_progress(name, id, offset, StatusCode::ACCEPTED)
}

/// `PUT ?digest=`: the optional last chunk, then the blob is verified and committed.
pub(crate) async fn finish(
    registry: &Registry,
    name: &RepositoryName,
    id: &UploadId,
    query: &BTreeMap<String, Vec<String>>,
    body: &mut RequestBody,
) -> HandlerResult {
    let digest = digest_query(query)?.ok_or_else(|| {
        RegistryError::new(
            ErrorCode::DigestInvalid,
            "the digest query parameter is required",
        )
    })?;
    registry
        .store
        .commit_upload(name, id, &digest, BodyDataStream::new(body))
        .await?;
    created(name, &digest)
}

/// `GET`: where the session stands.
pub(crate) async fn status(
    registry: &Registry,
    name: &RepositoryName,
    id: &UploadId,
) -> HandlerResult {
    let offset = registry
        .store
        .upload_offset(name, id)
        .await?
        .ok_or_else(upload_unknown)?;
    in_progress(name, id, offset, StatusCode::NO_CONTENT)
}

/// `DELETE`: cancels the session and drops its data.
pub(crate) async fn cancel(
    registry: &Registry,
    name: &RepositoryName,
    id: &UploadId,
) -> HandlerResult {
    if !registry.store.cancel_upload(name, id).await? {
        return Err(upload_unknown());
    }
    h::finish(
        h::builder(StatusCode::NO_CONTENT).header(header::CONTENT_LENGTH, 0),
        h::empty(),
    )
}
