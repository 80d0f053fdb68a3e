//! Request sequences that several groups use to put content in place: start an upload,
//! push a blob monolithically, push and fetch manifests.
//!
//! They check only what they need to go on (spec, Push: POST answers "202 Accepted" with a
//! `Location`; the closing PUT answers "201 Created"); the push group tests those steps in
//! detail.

use crate::client::{Client, Reply};
use crate::fixtures::{Blob, Manifest};
use crate::protocol::essence;
use crate::protocol::ACCEPT_MANIFESTS;
use crate::suite::{ensure, fail, Checked};

/// `Content-Type` of blob bodies.
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";

/// Opens an upload session in `repo`; returns the `Location` to send data to.
pub(crate) async fn start_upload(client: &Client, repo: &str) -> Checked<String> {
    let reply = client
        .post(&format!("/v2/{repo}/blobs/uploads/"))
        .body(&b""[..])
        .send()
        .await?;
    reply.expect(202)?;
    Ok(reply.require_header("location")?.to_owned())
}

/// Uploads `blob` to `repo` with POST then PUT.
pub(crate) async fn push_blob(client: &Client, repo: &str, blob: &Blob) -> Checked<()> {
    let location = start_upload(client, repo).await?;
    let reply = client
        .put(&location)
        .query("digest", &blob.digest)
        .header("content-type", OCTET_STREAM)
        .body(blob.bytes.clone())
        .send()
        .await?;
    reply.expect(201)?;
    Ok(())
}

/// Uploads every blob in `blobs` to `repo`.
pub(crate) async fn push_blobs(client: &Client, repo: &str, blobs: &[&Blob]) -> Checked<()> {
    for blob in blobs {
        push_blob(client, repo, blob).await?;
    }
    Ok(())
}

/// PUTs `manifest` under `reference` (a tag or its digest) with its media type.
pub(crate) async fn put_manifest(
    client: &Client,
    repo: &str,
    reference: &str,
    manifest: &Manifest,
) -> Checked<Reply> {
    client
        .put(&format!("/v2/{repo}/manifests/{reference}"))
        .header("content-type", manifest.media_type)
        .body(manifest.bytes.clone())
        .send()
        .await
}

/// PUTs `manifest` by its digest and requires 201.
pub(crate) async fn push_manifest(
    client: &Client,
    repo: &str,
    manifest: &Manifest,
) -> Checked<Reply> {
    let reply = put_manifest(client, repo, &manifest.digest, manifest).await?;
    reply.expect(201)?;
    Ok(reply)
}

/// GETs (or HEADs, with `head`) a manifest, accepting every manifest media type.
pub(crate) async fn fetch_manifest(
    client: &Client,
    repo: &str,
    reference: &str,
    head: bool,
) -> Checked<Reply> {
    let path = format!("/v2/{repo}/manifests/{reference}");
    let call = if head {
        client.head(&path)
    } else {
        client.get(&path)
    };
    call.header("accept", ACCEPT_MANIFESTS).send().await
}

/// Checks a manifest GET or HEAD reply against what was pushed: status 200, the exact
/// bytes (GET), `Content-Type` equal to the pushed media type, `Docker-Content-Digest`
/// equal to the digest (SHOULD be present; when present it MUST match) and
/// `Content-Length` equal to the size.
pub(crate) fn verify_manifest(reply: &Reply, manifest: &Manifest) -> Checked<()> {
    reply.expect(200)?;
    let what = reply.what();

    let content_type = reply.require_header("content-type")?;
    ensure!(
        essence(content_type) == manifest.media_type,
        "{what} answered Content-Type {content_type}, expected the pushed {}",
        manifest.media_type
    );

    let Some(digest) = reply.header("docker-content-digest") else {
        fail!("{what} answered without Docker-Content-Digest (SHOULD be present)");
    };
    ensure!(
        digest == manifest.digest,
        "{what} answered Docker-Content-Digest {digest}, expected {}",
        manifest.digest
    );

    let length = reply
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    ensure!(
        length == Some(manifest.bytes.len()),
        "{what} answered Content-Length {length:?}, expected {}",
        manifest.bytes.len()
    );

    if reply.method != reqwest::Method::HEAD {
        ensure!(
            reply.body == manifest.bytes,
            "{what} answered {} bytes that differ from the {} bytes pushed \
             (the registry MUST store the exact byte representation)",
            reply.body.len(),
            manifest.bytes.len()
        );
    }
    Ok(())
}
