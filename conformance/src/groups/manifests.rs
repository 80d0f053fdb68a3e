//! Manifests: every media type pushed and read back byte for byte with the right headers,
//! tags that move, the size limit, and the ways a manifest PUT is refused.
//!
//! Spec: distribution-spec, Push / "Pushing Manifests" and Pull / "Pulling manifests";
//! the OCI image-spec (manifest, index, the 1.1 release-candidate artifact manifest); the
//! ORAS artifacts-spec (artifact manifest); Docker image manifest v2 schema 2 and list.

use serde_json::{json, Value};

use crate::client::Client;
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::{
    expect_error, DOCKER_LIST, OCI_ARTIFACT, OCI_INDEX, OCI_MANIFEST, ORAS_ARTIFACT,
};
use crate::steps;
use crate::suite::{ensure, skip, Checked, Spec, Suite};

/// What every media-type check requires, in the spec's words.
macro_rules! round_trip {
    ($kind:literal) => {
        concat!(
            "PUT of ",
            $kind,
            " MUST answer 201 Created with a Location and a Docker-Content-Digest equal to the \
             client's digest; the registry MUST store the exact bytes; GET and HEAD answer its \
             Content-Type, digest and length"
        )
    };
}

static SETUP: Spec = Spec {
    id: "manifests.setup",
    says: "the blobs the manifests name can be pushed (POST then PUT answers 201)",
};
static OCI_IMAGE_RT: Spec = Spec {
    id: "manifests.oci-image",
    says: round_trip!("an OCI image manifest"),
};
static OCI_INDEX_RT: Spec = Spec {
    id: "manifests.oci-index",
    says: round_trip!("an OCI image index"),
};
static DOCKER_IMAGE_RT: Spec = Spec {
    id: "manifests.docker-manifest",
    says: round_trip!("a Docker schema 2 manifest"),
};
static DOCKER_LIST_RT: Spec = Spec {
    id: "manifests.docker-list",
    says: round_trip!("a Docker manifest list"),
};
static OCI_ARTIFACT_RT: Spec = Spec {
    id: "manifests.oci-artifact",
    says: round_trip!("an OCI artifact manifest (application/vnd.oci.artifact.manifest.v1+json)"),
};
static ORAS_ARTIFACT_RT: Spec = Spec {
    id: "manifests.oras-artifact",
    says: round_trip!(
        "an ORAS artifact manifest (application/vnd.cncf.oras.artifact.manifest.v1+json)"
    ),
};
static BY_DIGEST: Spec = Spec {
    id: "manifests.put-by-digest",
    says: "the <reference> of a manifest PUT MUST be either a digest or a tag; by digest it \
           answers 201 Created",
};
static TAG_MOVES: Spec = Spec {
    id: "manifests.tag-update",
    says: "a tag is a pointer to a manifest: PUT of another manifest under the same tag makes \
           GET of the tag serve the new manifest",
};
static SIZE_4MIB: Spec = Spec {
    id: "manifests.size.4mib",
    says: "client and registry implementations SHOULD expect to be able to support manifest \
           pushes of at least 4 megabytes",
};
static TOO_LARGE: Spec = Spec {
    id: "manifests.size.too-large",
    says: "a registry that enforces a manifest size limit SHOULD respond to a push over it with \
           413 Payload Too Large",
};
static INVALID: Spec = Spec {
    id: "manifests.invalid",
    says: "a manifest that is not valid JSON is refused: 400 with MANIFEST_INVALID (manifest \
           invalid)",
};
static DIGEST_MISMATCH: Spec = Spec {
    id: "manifests.digest-mismatch",
    says: "a PUT by digest whose body has another digest is refused: 400 with DIGEST_INVALID \
           (provided digest did not match uploaded content)",
};
static BLOB_UNKNOWN: Spec = Spec {
    id: "manifests.blob-unknown",
    says: "a registry MAY reject a manifest naming blobs that do not exist; when it does, it \
           MUST return MANIFEST_BLOB_UNKNOWN",
};
static CHILD_UNKNOWN: Spec = Spec {
    id: "manifests.child-unknown",
    says: "a registry MAY reject an index naming manifests that do not exist; when it does, it \
           MUST return MANIFEST_BLOB_UNKNOWN",
};

/// Every check of this group, in run order.
pub(crate) const CHECKS: &[&Spec] = &[
    &SETUP,
    &OCI_IMAGE_RT,
    &OCI_INDEX_RT,
    &DOCKER_IMAGE_RT,
    &DOCKER_LIST_RT,
    &OCI_ARTIFACT_RT,
    &ORAS_ARTIFACT_RT,
    &BY_DIGEST,
    &TAG_MOVES,
    &SIZE_4MIB,
    &TOO_LARGE,
    &INVALID,
    &DIGEST_MISMATCH,
    &BLOB_UNKNOWN,
    &CHILD_UNKNOWN,
];

/// Blobs every manifest here names.
struct Blobs {
    /// Image configuration.
    config: Blob,
    /// The one layer.
    layer: Blob,
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("manifests");
    let blobs = suite.run(&SETUP, setup(&client, &repo)).await;
    let Some(b) = blobs.as_ref() else {
        suite.skip_all(&CHECKS[1..], &SETUP);
        return;
    };

    let image = Manifest::new(
        OCI_MANIFEST,
        &fixtures::oci_image_plain(&b.config, &[&b.layer]),
    );
    let pushed = suite
        .run(
            &OCI_IMAGE_RT,
            round_trip(&client, &repo, "oci-image", &image),
        )
        .await;
    if suite
        .gate(&OCI_INDEX_RT, &OCI_IMAGE_RT, pushed.as_ref())
        .is_some()
    {
        let index = Manifest::new(OCI_INDEX, &fixtures::index(OCI_INDEX, &[&image]));
        suite
            .run(
                &OCI_INDEX_RT,
                round_trip(&client, &repo, "oci-index", &index),
            )
            .await;
    }

    let docker = Manifest::new(
        crate::protocol::DOCKER_MANIFEST,
        &fixtures::docker_image(&b.config, &[&b.layer]),
    );
    let pushed = suite
        .run(
            &DOCKER_IMAGE_RT,
            round_trip(&client, &repo, "docker", &docker),
        )
        .await;
    if suite
        .gate(&DOCKER_LIST_RT, &DOCKER_IMAGE_RT, pushed.as_ref())
        .is_some()
    {
        let list = Manifest::new(DOCKER_LIST, &fixtures::index(DOCKER_LIST, &[&docker]));
        suite
            .run(
                &DOCKER_LIST_RT,
                round_trip(&client, &repo, "docker-list", &list),
            )
            .await;
    }

    let artifact = Manifest::new(OCI_ARTIFACT, &artifact_json(OCI_ARTIFACT, &b.layer));
    suite
        .run(
            &OCI_ARTIFACT_RT,
            round_trip(&client, &repo, "oci-artifact", &artifact),
        )
        .await;
    let oras = Manifest::new(ORAS_ARTIFACT, &artifact_json(ORAS_ARTIFACT, &b.layer));
    suite
        .run(
            &ORAS_ARTIFACT_RT,
            round_trip(&client, &repo, "oras-artifact", &oras),
        )
        .await;

    suite.run(&BY_DIGEST, by_digest(&client, &repo, b)).await;
    suite.run(&TAG_MOVES, tag_moves(&client, &repo, b)).await;
    suite
        .run(&SIZE_4MIB, sized(&client, &repo, b, 4 << 20))
        .await;
    suite.run(&TOO_LARGE, too_large(&client, &repo, b)).await;
    suite.run(&INVALID, invalid(&client, &repo)).await;
    suite
        .run(&DIGEST_MISMATCH, digest_mismatch(&client, &repo, b))
        .await;
    suite
        .run(&BLOB_UNKNOWN, blob_unknown(&client, &repo, b))
        .await;
    suite
        .run(&CHILD_UNKNOWN, child_unknown(&client, &repo))
        .await;
}

async fn setup(client: &Client, repo: &str) -> Checked<Blobs> {
    let blobs = Blobs {
        config: Blob::image_config(),
        layer: Blob::unique("manifests layer"),
    };
    steps::push_blobs(client, repo, &[&blobs.config, &blobs.layer]).await?;
    Ok(blobs)
}

/// An artifact manifest of `media_type` (OCI or ORAS) carrying `layer` as its one blob.
fn artifact_json(media_type: &str, layer: &Blob) -> Value {
    json!({
        "mediaType": media_type,
        "artifactType": "application/vnd.example.conformance.artifact",
        "blobs": [layer.descriptor("application/vnd.example.conformance.file")],
        "annotations": { "org.example.conformance": "artifact" }
    })
}

/// PUTs `manifest` under `tag`, then reads it back by digest and by tag, GET and HEAD.
async fn round_trip(client: &Client, repo: &str, tag: &str, manifest: &Manifest) -> Checked<()> {
    let reply = steps::put_manifest(client, repo, tag, manifest).await?;
    reply.expect(201)?;
    reply.require_header("location")?;
    let digest = reply.require_header("docker-content-digest")?;
    ensure!(
        digest == manifest.digest,
        "PUT answered Docker-Content-Digest {digest}, expected the client's {}",
        manifest.digest
    );

    for reference in [manifest.digest.as_str(), tag] {
        for head in [false, true] {
            let reply = steps::fetch_manifest(client, repo, reference, head).await?;
            steps::verify_manifest(&reply, manifest)?;
        }
    }
    Ok(())
}

async fn by_digest(client: &Client, repo: &str, b: &Blobs) -> Checked<()> {
    let mut value = fixtures::oci_image_plain(&b.config, &[&b.layer]);
    value["annotations"] = json!({ "org.example.conformance": fixtures::token() });
    let manifest = Manifest::new(OCI_MANIFEST, &value);
    steps::push_manifest(client, repo, &manifest).await?;
    let reply = steps::fetch_manifest(client, repo, &manifest.digest, false).await?;
    steps::verify_manifest(&reply, &manifest)
}

async fn tag_moves(client: &Client, repo: &str, b: &Blobs) -> Checked<()> {
    let mut last = None;
    for round in 0..2 {
        let mut value = fixtures::oci_image_plain(&b.config, &[&b.layer]);
        value["annotations"] = json!({ "org.example.conformance.round": round.to_string() });
        let manifest = Manifest::new(OCI_MANIFEST, &value);
        steps::put_manifest(client, repo, "moving", &manifest)
            .await?
            .expect(201)?;
        last = Some(manifest);
    }
    let Some(last) = last else {
        skip!("no manifest was built")
    };
    let reply = steps::fetch_manifest(client, repo, "moving", false).await?;
    steps::verify_manifest(&reply, &last)
}

/// An OCI image manifest padded with an annotation to exactly `size` bytes.
fn padded(b: &Blobs, size: usize) -> Manifest {
    let build = |padding: usize| {
        let mut value = fixtures::oci_image_plain(&b.config, &[&b.layer]);
        value["annotations"] = json!({ "org.example.padding": "x".repeat(padding) });
        Manifest::new(OCI_MANIFEST, &value)
    };
    let bare = build(0).bytes.len();
    build(size.saturating_sub(bare))
}

async fn sized(client: &Client, repo: &str, b: &Blobs, size: usize) -> Checked<()> {
    let manifest = padded(b, size);
    steps::push_manifest(client, repo, &manifest).await?;
    let reply = steps::fetch_manifest(client, repo, &manifest.digest, false).await?;
    steps::verify_manifest(&reply, &manifest)
}

async fn too_large(client: &Client, repo: &str, b: &Blobs) -> Checked<()> {
    let manifest = padded(b, (4 << 20) + 1);
    let reply = steps::put_manifest(client, repo, "too-large", &manifest).await?;
    if reply.status.is_success() {
        skip!("a manifest of 4 MiB + 1 byte was accepted: any limit is higher");
    }
    ensure!(
        reply.status.as_u16() == 413,
        "{}, expected 413 (SHOULD)",
        reply.describe()
    );
    Ok(())
}

async fn invalid(client: &Client, repo: &str) -> Checked<()> {
    let reply = client
        .put(&format!("/v2/{repo}/manifests/invalid"))
        .header("content-type", OCI_MANIFEST)
        .body(&b"{ this is not json"[..])
        .send()
        .await?;
    expect_error(&reply, &[400], "MANIFEST_INVALID")
}

async fn digest_mismatch(client: &Client, repo: &str, b: &Blobs) -> Checked<()> {
    let manifest = Manifest::new(
        OCI_MANIFEST,
        &fixtures::oci_image_plain(&b.config, &[&b.layer]),
    );
    let wrong = Blob::unique("not this manifest").digest;
    let reply = steps::put_manifest(client, repo, &wrong, &manifest).await?;
    expect_error(&reply, &[400], "DIGEST_INVALID")
}

async fn blob_unknown(client: &Client, repo: &str, b: &Blobs) -> Checked<()> {
    let missing = Blob::unique("never pushed layer");
    let value = fixtures::oci_image_plain(&b.config, &[&missing]);
    let manifest = Manifest::new(OCI_MANIFEST, &value);
    let reply = steps::put_manifest(client, repo, "blob-unknown", &manifest).await?;
    if reply.status.is_success() {
        skip!("the manifest was accepted: rejecting it is a MAY");
    }
    expect_error(&reply, &[400], "MANIFEST_BLOB_UNKNOWN")
}

async fn child_unknown(client: &Client, repo: &str) -> Checked<()> {
    let ghost = Manifest::new(OCI_MANIFEST, &json!({ "never": fixtures::token() }));
    let index = Manifest::new(OCI_INDEX, &fixtures::index(OCI_INDEX, &[&ghost]));
    let reply = steps::put_manifest(client, repo, "child-unknown", &index).await?;
    if reply.status.is_success() {
        skip!("the index was accepted: rejecting it is a MAY");
    }
    expect_error(&reply, &[400], "MANIFEST_BLOB_UNKNOWN")
}
