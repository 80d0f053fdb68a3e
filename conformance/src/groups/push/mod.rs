//! Push, blob side: monolithic uploads (POST then PUT, single POST), cross-repository
//! mounts, sha512 digests, concurrent identical uploads and cancelled sessions. Chunked
//! and streamed uploads live in [`chunked`], the 64 MiB upload in [`large`]; manifests
//! have their own group.
//!
//! Spec: distribution-spec, Workflow Categories / Push ("Pushing blobs", "Mounting a blob
//! from another repository", "Cancel a blob upload").

mod chunked;
mod large;

use crate::client::Client;
use crate::digest;
use crate::fixtures::Blob;
use crate::steps::{self, OCTET_STREAM};
use crate::suite::{ensure, skip, Checked, Spec, Suite};

static POST_PUT: Spec = Spec {
    id: "push.monolithic.post-put",
    says: "POST /v2/<name>/blobs/uploads/ MUST answer 202 Accepted with a Location; PUT \
           <location>?digest=<digest> with the blob MUST answer 201 Created with a Location",
};
static SINGLE_POST: Spec = Spec {
    id: "push.monolithic.single-post",
    says: "registries MAY support POST /v2/<name>/blobs/uploads/?digest=<digest> with the blob; \
           success MUST be 201 Created with a Location, otherwise they SHOULD answer 202",
};
static MOUNT_FROM: Spec = Spec {
    id: "push.mount.from",
    says: "POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other_name>: a successful mount \
           MUST be 201 Created with a Location; a registry that cannot mount SHOULD answer 202",
};
static MOUNT_WITHOUT_FROM: Spec = Spec {
    id: "push.mount.without-from",
    says: "the registry MAY treat the from parameter as optional, and it MAY cross-mount the \
           blob if it can be found",
};
static MOUNT_UNKNOWN: Spec = Spec {
    id: "push.mount.unknown-blob",
    says: "if a registry is unable to mount the requested blob, it SHOULD return a 202, which \
           starts an upload session",
};
static SHA512: Spec = Spec {
    id: "push.digest.sha512",
    says: "image-spec descriptor: implementations MAY implement SHA-512 digest verification; a \
           registry that accepts a sha512 upload MUST then serve the blob by that digest",
};
static CONCURRENT: Spec = Spec {
    id: "push.concurrent-identical",
    says: "if process A and B upload the same layer at the same time, both operations will \
           proceed ... both uploads are accepted",
};
static CANCEL: Spec = Spec {
    id: "push.upload.cancel",
    says: "DELETE <location> cancels a blob upload; if successful the response SHOULD be 204 No \
           Content; the session is gone afterwards (GET <location> answers 404)",
};

/// Checks of this file, in run order; [`CHECKS`] adds the chunked and large ones.
const OWN_CHECKS: &[&Spec] = &[
    &POST_PUT,
    &SINGLE_POST,
    &MOUNT_FROM,
    &MOUNT_WITHOUT_FROM,
    &MOUNT_UNKNOWN,
    &SHA512,
    &CONCURRENT,
    &CANCEL,
];

/// Every check of this group, in run order.
pub(crate) fn checks() -> Vec<&'static Spec> {
    [OWN_CHECKS, chunked::CHECKS, large::CHECKS].concat()
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("push");

    let pushed = suite.run(&POST_PUT, post_put(&client, &repo)).await;
    suite.run(&SINGLE_POST, single_post(&client, &repo)).await;

    if let Some(blob) = suite.gate(&MOUNT_FROM, &POST_PUT, pushed.as_ref()) {
        let target = suite.repo("push-mount");
        suite
            .run(&MOUNT_FROM, mount(&client, &target, blob, Some(&repo)))
            .await;
    }
    if let Some(blob) = suite.gate(&MOUNT_WITHOUT_FROM, &POST_PUT, pushed.as_ref()) {
        let target = suite.repo("push-mount-nofrom");
        suite
            .run(&MOUNT_WITHOUT_FROM, mount(&client, &target, blob, None))
            .await;
    }
    suite
        .run(
            &MOUNT_UNKNOWN,
            mount_unknown(&client, &suite.repo("push-mount"), &repo),
        )
        .await;
    suite.run(&SHA512, sha512(&client, &repo)).await;
    suite.run(&CONCURRENT, concurrent(&client, &repo)).await;
    suite.run(&CANCEL, cancel(&client, &repo)).await;

    chunked::run(suite, &repo).await;
    large::run(suite, &repo).await;
}

/// GETs a blob and requires exactly `blob`'s bytes back.
pub(super) async fn verify_blob(client: &Client, repo: &str, blob: &Blob) -> Checked<()> {
    verify_blob_at(client, repo, &blob.digest, blob).await
}

/// GETs the blob at `digest` and requires exactly `blob`'s bytes back.
async fn verify_blob_at(client: &Client, repo: &str, digest: &str, blob: &Blob) -> Checked<()> {
    let reply = client
        .get(&format!("/v2/{repo}/blobs/{digest}"))
        .send()
        .await?;
    reply.expect(200)?;
    ensure!(
        reply.body == blob.bytes,
        "{} answered other bytes than were uploaded",
        reply.what()
    );
    Ok(())
}

async fn post_put(client: &Client, repo: &str) -> Checked<Blob> {
    let blob = Blob::unique("monolithic");
    let location = steps::start_upload(client, repo).await?;
    let reply = client
        .put(&location)
        .query("digest", &blob.digest)
        .header("content-type", OCTET_STREAM)
        .body(blob.bytes.clone())
        .send()
        .await?;
    reply.expect(201)?;
    reply.require_header("location")?;
    verify_blob(client, repo, &blob).await?;
    Ok(blob)
}

async fn single_post(client: &Client, repo: &str) -> Checked<()> {
    let blob = Blob::unique("single post");
    let reply = client
        .post(&format!("/v2/{repo}/blobs/uploads/"))
        .query("digest", &blob.digest)
        .header("content-type", OCTET_STREAM)
        .body(blob.bytes.clone())
        .send()
        .await?;
    if reply.status.as_u16() == 202 {
        if let Some(location) = reply.header("location") {
            let _ = client.delete(location).send().await;
        }
        skip!("answered 202 and opened a session: single-POST upload is a MAY");
    }
    reply.expect(201)?;
    reply.require_header("location")?;
    verify_blob(client, repo, &blob).await
}

async fn mount(client: &Client, target: &str, blob: &Blob, from: Option<&str>) -> Checked<()> {
    let mut call = client
        .post(&format!("/v2/{target}/blobs/uploads/"))
        .query("mount", &blob.digest);
    if let Some(from) = from {
        call = call.query("from", from);
    }
    let reply = call.body(&b""[..]).send().await?;
    if reply.status.as_u16() == 202 {
        if let Some(location) = reply.header("location") {
            let _ = client.delete(location).send().await;
        }
        match from {
            Some(_) => skip!("answered 202: the registry does not mount across repositories"),
            None => skip!("answered 202: mounting without from is a MAY"),
        }
    }
    reply.expect(201)?;
    reply.require_header("location")?;
    verify_blob(client, target, blob).await
}

async fn mount_unknown(client: &Client, target: &str, from: &str) -> Checked<()> {
    let unknown = Blob::unique("never uploaded");
    let reply = client
        .post(&format!("/v2/{target}/blobs/uploads/"))
        .query("mount", &unknown.digest)
        .query("from", from)
        .body(&b""[..])
        .send()
        .await?;
    reply.expect(202)?;
    let location = reply.require_header("location")?;
    let _ = client.delete(location).send().await;
    Ok(())
}

async fn sha512(client: &Client, repo: &str) -> Checked<()> {
    let blob = Blob::unique("sha512");
    let digest = digest::sha512(&blob.bytes);
    let location = steps::start_upload(client, repo).await?;
    let reply = client
        .put(&location)
        .query("digest", &digest)
        .header("content-type", OCTET_STREAM)
        .body(blob.bytes.clone())
        .send()
        .await?;
    if reply.status.is_client_error() && reply.status.as_u16() != 404 {
        skip!("{}: sha512 support is a MAY", reply.describe());
    }
    reply.expect(201)?;
    verify_blob_at(client, repo, &digest, &blob).await
}

async fn concurrent(client: &Client, repo: &str) -> Checked<()> {
    let blob = Blob::unique("concurrent");
    let first = steps::start_upload(client, repo).await?;
    let second = steps::start_upload(client, repo).await?;
    ensure!(
        first != second,
        "two POSTs answered the same Location {first}"
    );

    let put = |location: String| {
        client
            .put(&location)
            .query("digest", &blob.digest)
            .header("content-type", OCTET_STREAM)
            .body(blob.bytes.clone())
            .send()
    };
    let (a, b) = futures_util::future::join(put(first), put(second)).await;
    a?.expect(201)?;
    b?.expect(201)?;
    verify_blob(client, repo, &blob).await
}

async fn cancel(client: &Client, repo: &str) -> Checked<()> {
    let location = steps::start_upload(client, repo).await?;
    let reply = client.delete(&location).send().await?;
    ensure!(
        reply.status.as_u16() == 204,
        "{}, expected 204 (SHOULD)",
        reply.describe()
    );
    client.get(&location).send().await?.expect(404)?;
    Ok(())
}
