//! Manifests: `GET`, `HEAD`, `PUT` and `DELETE` of `/v2/<name>/manifests/<reference>`
//! (distribution-spec end-3, end-7, end-9).
//!
//! The exact bytes pushed are stored and served with the media type they were pushed
//! with, whatever `Accept` lists: clients check media types themselves. A `PUT` naming
//! a `subject` answers `OCI-Subject`, and `If-Match` / `If-None-Match` on the manifest's
//! ETag (its digest) make tag updates safe for writers of the referrers tag schema.

use bytes::BytesMut;
use http::header::{self, HeaderMap};
use http::StatusCode;
use http_body_util::BodyExt;

use cairn_storage::{Digest, Precondition, Reference, RepositoryName};

use crate::api::Registry;
use crate::error::{ErrorCode, RegistryError};
use crate::http::{self as h, HandlerResult, RequestBody};

fn manifest_unknown(reference: &Reference) -> RegistryError {
    RegistryError::new(ErrorCode::ManifestUnknown, "manifest unknown to registry")
        .with_detail(serde_json::json!({ "reference": reference.to_string() }))
}

fn too_large(limit: usize) -> RegistryError {
    RegistryError::new(
        ErrorCode::SizeInvalid,
        format!("manifest is larger than the limit of {limit} bytes"),
    )
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// `GET` or `HEAD` of a manifest.
pub(crate) async fn get(
    registry: &Registry,
    name: &RepositoryName,
    reference: &Reference,
    head: bool,
) -> HandlerResult {
    let manifest = registry
        .store
        .get_manifest(name, reference)?
        .ok_or_else(|| manifest_unknown(reference))?;

    let builder = h::builder(StatusCode::OK)
        .header(header::CONTENT_TYPE, &manifest.media_type)
        .header(header::CONTENT_LENGTH, manifest.bytes.len())
        .header(h::CONTENT_DIGEST, manifest.digest.as_str())
        .header(header::ETAG, format!("\"{}\"", manifest.digest));
    let body = if head {
        h::empty()
    } else {
        h::full(manifest.bytes)
    };
    h::finish(builder, body)
}

/// `PUT` of a manifest.
pub(crate) async fn put(
    registry: &Registry,
    name: &RepositoryName,
    reference: &Reference,
    headers: &HeaderMap,
    body: &mut RequestBody,
) -> HandlerResult {
    let limit = registry.settings.max_manifest_bytes;
    let bytes = read_limited(body, limit).await?;
    let precondition = precondition(headers)?;
    let content_type = h::header_str(headers, header::CONTENT_TYPE).map(str::to_owned);

    let store = registry.store.clone();
    let (owned_name, owned_reference) = (name.clone(), reference.clone());
    let put = tokio::task::spawn_blocking(move || {
        store.put_manifest(
            &owned_name,
            &owned_reference,
            content_type.as_deref(),
            &bytes,
            precondition.as_ref(),
        )
    })
    .await
    .map_err(cairn_storage::Error::from)??;

    let mut builder = h::builder(StatusCode::CREATED)
        .header(
            header::LOCATION,
            format!("/v2/{name}/manifests/{}", put.digest),
        )
        .header(h::CONTENT_DIGEST, put.digest.as_str())
        .header(header::CONTENT_LENGTH, 0);
    if let (Some(subject), true) = (&put.subject, registry.settings.referrers_api) {
        builder = builder.header(h::OCI_SUBJECT, subject.as_str());
    }
    h::finish(builder, h::empty())
}

/// Reads a whole manifest body of at most `limit` bytes; the rest of a larger one is
/// left for the dispatcher to drain.
async fn read_limited(body: &mut RequestBody, limit: usize) -> Result<bytes::Bytes, RegistryError> {
    let mut bytes = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| {
            RegistryError::new(ErrorCode::ManifestInvalid, format!("reading body: {err}"))
        })?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > limit {
                return Err(too_large(limit));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(bytes.freeze())
}

/// Reads `If-Match` / `If-None-Match`, whose values are ETags: quoted digests, or `*`.
fn precondition(headers: &HeaderMap) -> Result<Option<Precondition>, RegistryError> {
    let etag = |value: &str| -> Result<Digest, RegistryError> {
        let text = value.trim().trim_start_matches("W/").trim_matches('"');
        text.parse().map_err(|_| {
            RegistryError::new(
                ErrorCode::DigestInvalid,
                format!("ETag {value:?} is not a digest"),
            )
        })
    };
    if let Some(value) = h::header_str(headers, header::IF_MATCH) {
        return Ok(Some(match value.trim() {
            "*" => Precondition::Present,
            tag => Precondition::Matches(etag(tag)?),
        }));
    }
    if let Some(value) = h::header_str(headers, header::IF_NONE_MATCH) {
        return Ok(Some(match value.trim() {
            "*" => Precondition::Absent,
            tag => Precondition::NotMatches(etag(tag)?),
        }));
    }
    Ok(None)
}

/// `DELETE` of a manifest by digest (with its tags) or of a tag alone.
pub(crate) async fn delete(
    registry: &Registry,
    name: &RepositoryName,
    reference: &Reference,
) -> HandlerResult {
    let store = registry.store.clone();
    let (owned_name, owned_reference) = (name.clone(), reference.clone());
    let existed =
        tokio::task::spawn_blocking(move || store.delete_manifest(&owned_name, &owned_reference))
            .await
            .map_err(cairn_storage::Error::from)??;
    if !existed {
        return Err(manifest_unknown(reference));
    }
    h::finish(
        h::builder(StatusCode::ACCEPTED).header(header::CONTENT_LENGTH, 0),
        h::empty(),
    )
}
