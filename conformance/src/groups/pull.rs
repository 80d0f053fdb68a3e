//! Pull: the API version check, and reading blobs and manifests with GET and HEAD.
//!
//! Spec: distribution-spec, Workflow Categories / Pull, and Determining Support. All
//! registries "MUST support, at a minimum, all APIs in the Pull category".

use crate::client::Client;
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::OCI_MANIFEST;
use crate::steps;
use crate::suite::{ensure, fail, Checked, Spec, Suite};

static BASE: Spec = Spec {
    id: "pull.base",
    says: "GET /v2/: if the response is 200 OK, then the registry implements this specification",
};
static SETUP: Spec = Spec {
    id: "pull.setup",
    says: "content to pull can be pushed: blob POST then PUT answers 201, manifest PUT answers 201",
};
static BLOB_HEAD: Spec = Spec {
    id: "pull.blob.head",
    says: "a HEAD request to an existing blob MUST return 200 OK; Docker-Content-Digest, when \
           present, matches the blob; Content-Length is its size",
};
static BLOB_GET: Spec = Spec {
    id: "pull.blob.get",
    says: "a GET request to an existing blob URL MUST provide the expected blob with 200 OK; a \
           Docker-Content-Digest header, if present, MUST match the response body",
};
static BLOB_RANGE: Spec = Spec {
    id: "pull.blob.range",
    says: "registries SHOULD support the HTTP Range request header (RFC 9110) on blob GET",
};
static BLOB_MISSING: Spec = Spec {
    id: "pull.blob.missing",
    says: "if the blob is not found in the registry, the response code MUST be 404 Not Found \
           (GET and HEAD)",
};
static MANIFEST_GET_TAG: Spec = Spec {
    id: "pull.manifest.get-tag",
    says: "a GET request to an existing manifest URL (by tag) MUST provide the expected manifest \
           with 200 OK",
};
static MANIFEST_GET_DIGEST: Spec = Spec {
    id: "pull.manifest.get-digest",
    says: "a GET request to an existing manifest URL (by digest) MUST provide the expected \
           manifest with 200 OK",
};
static MANIFEST_HEAD_TAG: Spec = Spec {
    id: "pull.manifest.head-tag",
    says: "a HEAD request to an existing manifest URL (by tag) MUST return 200 OK",
};
static MANIFEST_HEAD_DIGEST: Spec = Spec {
    id: "pull.manifest.head-digest",
    says: "a HEAD request to an existing manifest URL (by digest) MUST return 200 OK",
};
static MANIFEST_MISSING: Spec = Spec {
    id: "pull.manifest.missing",
    says: "if the manifest is not found in the registry, the response code MUST be 404 Not Found \
           (GET and HEAD)",
};
static REPO_MISSING: Spec = Spec {
    id: "pull.repository.missing",
    says: "an attempt to pull a nonexistent repository MUST return response code 404 Not Found",
};

/// Every check of this group, in run order.
pub(crate) const CHECKS: &[&Spec] = &[
    &BASE,
    &SETUP,
    &BLOB_HEAD,
    &BLOB_GET,
    &BLOB_RANGE,
    &BLOB_MISSING,
    &MANIFEST_GET_TAG,
    &MANIFEST_GET_DIGEST,
    &MANIFEST_HEAD_TAG,
    &MANIFEST_HEAD_DIGEST,
    &MANIFEST_MISSING,
    &REPO_MISSING,
];

/// Tag the pulled manifest is pushed under.
const TAG: &str = "tagtest0";

/// What the setup pushed.
struct Image {
    /// A layer blob (large enough for a range request).
    layer: Blob,
    /// The manifest, tagged [`TAG`].
    manifest: Manifest,
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("pull");

    suite.run(&BASE, base(&client)).await;
    let image = suite.run(&SETUP, setup(&client, &repo)).await;

    if let Some(image) = suite.gate(&BLOB_HEAD, &SETUP, image.as_ref()) {
        suite
            .run(&BLOB_HEAD, blob_head(&client, &repo, &image.layer))
            .await;
    }
    if let Some(image) = suite.gate(&BLOB_GET, &SETUP, image.as_ref()) {
        suite
            .run(&BLOB_GET, blob_get(&client, &repo, &image.layer))
            .await;
    }
    if let Some(image) = suite.gate(&BLOB_RANGE, &SETUP, image.as_ref()) {
        suite
            .run(&BLOB_RANGE, blob_range(&client, &repo, &image.layer))
            .await;
    }
    suite.run(&BLOB_MISSING, blob_missing(&client, &repo)).await;

    let by_tag = [(&MANIFEST_GET_TAG, false), (&MANIFEST_HEAD_TAG, true)];
    for (spec, head) in by_tag {
        if let Some(image) = suite.gate(spec, &SETUP, image.as_ref()) {
            suite
                .run(spec, manifest(&client, &repo, TAG, &image.manifest, head))
                .await;
        }
    }
    let by_digest = [(&MANIFEST_GET_DIGEST, false), (&MANIFEST_HEAD_DIGEST, true)];
    for (spec, head) in by_digest {
        if let Some(image) = suite.gate(spec, &SETUP, image.as_ref()) {
            let digest = image.manifest.digest.clone();
            suite
                .run(
                    spec,
                    manifest(&client, &repo, &digest, &image.manifest, head),
                )
                .await;
        }
    }
    suite
        .run(&MANIFEST_MISSING, manifest_missing(&client, &repo))
        .await;
    suite
        .run(
            &REPO_MISSING,
            repository_missing(&client, &suite.repo("never-pushed")),
        )
        .await;
}

async fn base(client: &Client) -> Checked<()> {
    client.get("/v2/").send().await?.expect(200)?;
    Ok(())
}

async fn setup(client: &Client, repo: &str) -> Checked<Image> {
    let config = Blob::image_config();
    let layer = Blob::new(format!("pull layer {}\n", fixtures::token()).repeat(16));
    steps::push_blobs(client, repo, &[&config, &layer]).await?;

    let manifest = Manifest::new(OCI_MANIFEST, &fixtures::oci_image_plain(&config, &[&layer]));
    steps::put_manifest(client, repo, TAG, &manifest)
        .await?
        .expect(201)?;
    Ok(Image { layer, manifest })
}

async fn blob_head(client: &Client, repo: &str, blob: &Blob) -> Checked<()> {
    let reply = client
        .head(&format!("/v2/{repo}/blobs/{}", blob.digest))
        .send()
        .await?;
    reply.expect(200)?;
    if let Some(digest) = reply.header("docker-content-digest") {
        ensure!(
            digest == blob.digest,
            "HEAD answered Docker-Content-Digest {digest}"
        );
    }
    let length = reply
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    ensure!(
        length == Some(blob.size()),
        "HEAD answered Content-Length {length:?}, expected {} (SHOULD)",
        blob.size()
    );
    Ok(())
}

async fn blob_get(client: &Client, repo: &str, blob: &Blob) -> Checked<()> {
    let reply = client
        .get(&format!("/v2/{repo}/blobs/{}", blob.digest))
        .send()
        .await?;
    reply.expect(200)?;
    ensure!(
        reply.body == blob.bytes,
        "GET answered other bytes than were pushed"
    );
    if let Some(digest) = reply.header("docker-content-digest") {
        ensure!(
            digest == blob.digest,
            "GET answered Docker-Content-Digest {digest}"
        );
    }
    Ok(())
}

async fn blob_range(client: &Client, repo: &str, blob: &Blob) -> Checked<()> {
    let reply = client
        .get(&format!("/v2/{repo}/blobs/{}", blob.digest))
        .header("range", "bytes=2-9")
        .send()
        .await?;
    if reply.status.as_u16() == 200 {
        fail!("GET with Range: bytes=2-9 answered 200 with the whole blob (SHOULD answer 206)");
    }
    reply.expect(206)?;
    ensure!(
        reply.body.as_ref() == &blob.bytes[2..10],
        "206 body is not bytes 2-9 of the blob"
    );
    let expected = format!("bytes 2-9/{}", blob.size());
    let content_range = reply.require_header("content-range")?;
    ensure!(
        content_range == expected,
        "Content-Range {content_range}, expected {expected}"
    );
    Ok(())
}

async fn blob_missing(client: &Client, repo: &str) -> Checked<()> {
    let path = format!("/v2/{repo}/blobs/{}", Blob::unique("missing").digest);
    client.head(&path).send().await?.expect(404)?;
    client.get(&path).send().await?.expect(404)?;
    Ok(())
}

async fn manifest(
    client: &Client,
    repo: &str,
    reference: &str,
    manifest: &Manifest,
    head: bool,
) -> Checked<()> {
    let reply = steps::fetch_manifest(client, repo, reference, head).await?;
    steps::verify_manifest(&reply, manifest)
}

async fn manifest_missing(client: &Client, repo: &str) -> Checked<()> {
    for head in [true, false] {
        steps::fetch_manifest(client, repo, "no-such-tag", head)
            .await?
            .expect(404)?;
        let digest = Blob::unique("no manifest").digest;
        steps::fetch_manifest(client, repo, &digest, head)
            .await?
            .expect(404)?;
    }
    Ok(())
}

async fn repository_missing(client: &Client, repo: &str) -> Checked<()> {
    steps::fetch_manifest(client, repo, "latest", false)
        .await?
        .expect(404)?;
    Ok(())
}
