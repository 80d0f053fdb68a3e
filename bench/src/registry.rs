//! The distribution-spec v1.1 requests the benchmark makes, one function per workflow.
//!
//! Pushing blobs (monolithic: POST then PUT `?digest=`; chunked: POST, PATCHes with
//! `Content-Range`, then PUT `?digest=`), pushing manifests, fetching with or without a
//! `Range`, and listing with `Link` pagination (tags and referrers). Statuses are checked
//! against the spec; payloads are not parsed except where the next request needs them.

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LINK, LOCATION, RANGE};
use http::{Method, Request, StatusCode, Uri};

use crate::body::FramesBody;
use crate::client::{HttpClient, Reply};
use crate::content::Blob;
use crate::error::BenchError;

/// The manifest media types a pull accepts, as container clients send them.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

/// Listings stop after this many pages, so a registry that links in a loop ends the op.
const MAX_PAGES: usize = 100_000;

/// How a blob goes up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushMode {
    /// POST opens the session, one PUT `?digest=` carries every byte.
    Monolithic,
    /// POST opens the session, PATCHes of `chunk` bytes with `Content-Range` carry the
    /// bytes, an empty PUT `?digest=` closes it.
    Chunked {
        /// Bytes per PATCH.
        chunk: u64,
    },
}

/// Uploads `blob` to `repo`.
pub async fn push_blob(
    client: &HttpClient,
    repo: &str,
    blob: &Blob,
    mode: PushMode,
) -> Result<(), BenchError> {
    let mut location = start_upload(client, repo).await?;
    if let PushMode::Chunked { chunk } = mode {
        let mut start = 0;
        while start < blob.len() {
            let end = (start + chunk.max(1)).min(blob.len());
            location = patch_chunk(client, &location, blob, start, end).await?;
            start = end;
        }
    }

    let body = match mode {
        PushMode::Monolithic => blob.body(),
        PushMode::Chunked { .. } => FramesBody::empty(),
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let url = format!("{location}{separator}digest={}", blob.digest());
    let request = Request::put(client.resolve(&url)?)
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(CONTENT_LENGTH, body.len())
        .body(body);
    client
        .exchange(build(request)?, &[StatusCode::CREATED])
        .await?;
    Ok(())
}

/// Opens an upload session and returns its `Location`.
async fn start_upload(client: &HttpClient, repo: &str) -> Result<String, BenchError> {
    let uri = client.uri(&format!("/v2/{repo}/blobs/uploads/"))?;
    let request = Request::post(uri)
        .header(CONTENT_LENGTH, 0)
        .body(FramesBody::empty());
    let reply = client
        .exchange(build(request)?, &[StatusCode::ACCEPTED])
        .await?;
    upload_location(&reply)
}

/// Sends bytes `start..end` of `blob` to the session at `location`; returns the next
/// location.
async fn patch_chunk(
    client: &HttpClient,
    location: &str,
    blob: &Blob,
    start: u64,
    end: u64,
) -> Result<String, BenchError> {
    let body = blob.slice(start, end);
    let request = Request::patch(client.resolve(location)?)
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(CONTENT_RANGE, format!("{start}-{}", end - 1))
        .header(CONTENT_LENGTH, body.len())
        .body(body);
    let reply = client
        .exchange(build(request)?, &[StatusCode::ACCEPTED])
        .await?;
    upload_location(&reply)
}

/// Pushes manifest `bytes` of `media_type` to `repo` under `reference` (tag or digest).
pub async fn put_manifest(
    client: &HttpClient,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: Bytes,
) -> Result<(), BenchError> {
    let uri = client.uri(&format!("/v2/{repo}/manifests/{reference}"))?;
    let body = FramesBody::from_bytes(bytes);
    let request = Request::put(uri)
        .header(CONTENT_TYPE, media_type)
        .header(CONTENT_LENGTH, body.len())
        .body(body);
    client
        .exchange(build(request)?, &[StatusCode::CREATED])
        .await?;
    Ok(())
}

/// GET or HEAD of `uri`, optionally of bytes `range.0..=range.1`, with the manifest
/// `Accept` header when `manifest` is set. Expects 200, or 206 for a range.
pub async fn fetch(
    client: &HttpClient,
    method: &Method,
    uri: &Uri,
    range: Option<(u64, u64)>,
    manifest: bool,
) -> Result<Reply, BenchError> {
    let mut request = Request::builder().method(method.clone()).uri(uri.clone());
    if manifest {
        request = request.header(ACCEPT, MANIFEST_ACCEPT);
    }
    let expect: &[StatusCode] = match range {
        Some((first, last)) => {
            request = request.header(RANGE, format!("bytes={first}-{last}"));
            &[StatusCode::PARTIAL_CONTENT]
        }
        None => &[StatusCode::OK],
    };
    let request = build(request.body(FramesBody::empty()))?;
    client.exchange(request, expect).await
}

/// GETs `uri` and every page its `Link: <...>; rel="next"` headers lead to; returns the
/// total body bytes. Used for tag lists and referrers.
pub async fn list_all_pages(client: &HttpClient, uri: &Uri) -> Result<u64, BenchError> {
    let mut total = 0;
    let mut next = Some(uri.clone());
    let mut pages = 0;
    while let Some(uri) = next.take() {
        let reply = fetch(client, &Method::GET, &uri, None, false).await?;
        total += reply.body_len;
        pages += 1;
        if pages >= MAX_PAGES {
            return Err(BenchError::Protocol(format!(
                "{} links on past {MAX_PAGES} pages",
                uri.path()
            )));
        }
        if let Some(link) = reply.header(LINK.as_str()).and_then(next_link) {
            next = Some(client.resolve(link)?);
        }
    }
    Ok(total)
}

/// The digest of `repo:tag`, from the `Docker-Content-Digest` of a HEAD.
pub async fn resolve_digest(
    client: &HttpClient,
    repo: &str,
    tag: &str,
) -> Result<String, BenchError> {
    let uri = client.uri(&format!("/v2/{repo}/manifests/{tag}"))?;
    let reply = fetch(client, &Method::HEAD, &uri, None, true).await?;
    match reply.header("docker-content-digest") {
        Some(digest) if digest.starts_with("sha256:") => Ok(digest.to_owned()),
        _ => Err(BenchError::Protocol(format!(
            "HEAD {} gave no Docker-Content-Digest",
            uri.path()
        ))),
    }
}

/// The target of a `Link` header whose relation is `next`, if any.
pub fn next_link(header: &str) -> Option<&str> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then_some(target)
    })
}

fn upload_location(reply: &Reply) -> Result<String, BenchError> {
    reply
        .header(LOCATION.as_str())
        .map(str::to_owned)
        .ok_or_else(|| BenchError::Protocol("upload answered without Location".into()))
}

fn build(request: http::Result<Request<FramesBody>>) -> Result<Request<FramesBody>, BenchError> {
    request.map_err(|e| BenchError::Protocol(format!("cannot build a request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_finds_the_next_relation() {
        let header = r#"</v2/a/tags/list?n=100&last=t99>; rel="next""#;
        assert_eq!(next_link(header), Some("/v2/a/tags/list?n=100&last=t99"));
    }

    #[test]
    fn next_link_ignores_other_relations_and_junk() {
        assert_eq!(next_link(r#"</v2/a/tags/list>; rel="prev""#), None);
        assert_eq!(next_link("no brackets; rel=next"), None);
        let both = r#"</p>; rel="prev", </n>; rel=next"#;
        assert_eq!(next_link(both), Some("/n"));
    }
}
