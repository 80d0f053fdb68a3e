//! Content management: deleting tags, manifests and blobs, and what is served afterwards.
//!
//! Spec: distribution-spec, Content Management. "Registries MAY implement deletion or they
//! MAY disable it"; a registry that answers 400 or 405 (the disabled answers) is skipped.

use crate::client::{Client, Reply};
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::{expect_status_and_code, OCI_MANIFEST};
use crate::steps;
use crate::suite::{skip, Checked, Spec, Suite};

static SETUP: Spec = Spec {
    id: "management.setup",
    says: "blobs and tagged manifests to delete can be pushed (201)",
};
static DELETE_TAG: Spec = Spec {
    id: "management.delete.tag",
    says: "DELETE /v2/<name>/manifests/<tag>: upon success the registry MUST respond with 202 \
           Accepted; once deleted, a GET to /v2/<name>/manifests/<tag> will return a 404",
};
static DELETE_MANIFEST: Spec = Spec {
    id: "management.delete.manifest",
    says: "DELETE /v2/<name>/manifests/<digest> MUST respond 202 Accepted; once deleted, a GET \
           to the digest and any tag pointing to it will return a 404 (MANIFEST_UNKNOWN)",
};
static DELETE_MANIFEST_NO_REPO: Spec = Spec {
    id: "management.delete.manifest-missing-repository",
    says: "DELETE of a manifest: if the repository does not exist, the response MUST return 404 \
           Not Found",
};
static DELETE_BLOB: Spec = Spec {
    id: "management.delete.blob",
    says: "DELETE /v2/<name>/blobs/<digest>: upon success the registry MUST respond with code \
           202 Accepted; the blob is then unknown (404, BLOB_UNKNOWN)",
};
static DELETE_BLOB_MISSING: Spec = Spec {
    id: "management.delete.blob-missing",
    says: "DELETE of a blob: if the blob is not found, a 404 Not Found code MUST be returned",
};

/// Every check of this group, in run order.
pub(crate) const CHECKS: &[&Spec] = &[
    &SETUP,
    &DELETE_TAG,
    &DELETE_MANIFEST,
    &DELETE_MANIFEST_NO_REPO,
    &DELETE_BLOB,
    &DELETE_BLOB_MISSING,
];

/// What the setup pushed.
struct Content {
    /// Tagged `one` and `two`; `two` is deleted.
    tagged: Manifest,
    /// Tagged `doomed`; deleted by digest.
    doomed: Manifest,
    /// A blob no manifest names; deleted.
    loose: Blob,
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("management");

    let content = suite.run(&SETUP, setup(&client, &repo)).await;
    if let Some(c) = suite.gate(&DELETE_TAG, &SETUP, content.as_ref()) {
        suite
            .run(&DELETE_TAG, delete_tag(&client, &repo, &c.tagged))
            .await;
    }
    if let Some(c) = suite.gate(&DELETE_MANIFEST, &SETUP, content.as_ref()) {
        suite
            .run(&DELETE_MANIFEST, delete_manifest(&client, &repo, &c.doomed))
            .await;
    }
    let nowhere = suite.repo("never-pushed");
    suite
        .run(
            &DELETE_MANIFEST_NO_REPO,
            delete_in_missing_repo(&client, &nowhere),
        )
        .await;
    if let Some(c) = suite.gate(&DELETE_BLOB, &SETUP, content.as_ref()) {
        suite
            .run(&DELETE_BLOB, delete_blob(&client, &repo, &c.loose))
            .await;
    }
    if suite
        .gate(&DELETE_BLOB_MISSING, &SETUP, content.as_ref())
        .is_some()
    {
        suite
            .run(&DELETE_BLOB_MISSING, delete_blob_missing(&client, &repo))
            .await;
    }
}

async fn setup(client: &Client, repo: &str) -> Checked<Content> {
    let config = Blob::image_config();
    let layer = Blob::unique("management layer");
    let loose = Blob::unique("management loose blob");
    steps::push_blobs(client, repo, &[&config, &layer, &loose]).await?;

    let tagged = Manifest::new(OCI_MANIFEST, &fixtures::oci_image_plain(&config, &[&layer]));
    for tag in ["one", "two"] {
        steps::put_manifest(client, repo, tag, &tagged)
            .await?
            .expect(201)?;
    }
    let mut value = fixtures::oci_image_plain(&config, &[&layer]);
    value["annotations"] = serde_json::json!({ "org.example.conformance": "doomed" });
    let doomed = Manifest::new(OCI_MANIFEST, &value);
    steps::put_manifest(client, repo, "doomed", &doomed)
        .await?
        .expect(201)?;
    Ok(Content {
        tagged,
        doomed,
        loose,
    })
}

/// Skips when a DELETE answered one of the "deletion disabled" statuses.
fn skip_if_disabled(reply: &Reply) -> Checked<()> {
    if matches!(reply.status.as_u16(), 400 | 405) {
        skip!(
            "{}: deletion is disabled, which the spec allows",
            reply.describe()
        );
    }
    Ok(())
}

async fn delete_tag(client: &Client, repo: &str, tagged: &Manifest) -> Checked<()> {
    let reply = client
        .delete(&format!("/v2/{repo}/manifests/two"))
        .send()
        .await?;
    skip_if_disabled(&reply)?;
    reply.expect(202)?;
    let gone = steps::fetch_manifest(client, repo, "two", false).await?;
    expect_status_and_code(&gone, 404, "MANIFEST_UNKNOWN")?;
    let kept = steps::fetch_manifest(client, repo, "one", false).await?;
    steps::verify_manifest(&kept, tagged)
}

async fn delete_manifest(client: &Client, repo: &str, doomed: &Manifest) -> Checked<()> {
    let reply = client
        .delete(&format!("/v2/{repo}/manifests/{}", doomed.digest))
        .send()
        .await?;
    skip_if_disabled(&reply)?;
    reply.expect(202)?;
    for reference in [doomed.digest.as_str(), "doomed"] {
        let gone = steps::fetch_manifest(client, repo, reference, false).await?;
        expect_status_and_code(&gone, 404, "MANIFEST_UNKNOWN")?;
        steps::fetch_manifest(client, repo, reference, true)
            .await?
            .expect(404)?;
    }
    Ok(())
}

async fn delete_in_missing_repo(client: &Client, repo: &str) -> Checked<()> {
    let digest = Blob::unique("no such manifest").digest;
    let reply = client
        .delete(&format!("/v2/{repo}/manifests/{digest}"))
        .send()
        .await?;
    skip_if_disabled(&reply)?;
    reply.expect(404)?;
    Ok(())
}

async fn delete_blob(client: &Client, repo: &str, loose: &Blob) -> Checked<()> {
    let path = format!("/v2/{repo}/blobs/{}", loose.digest);
    let reply = client.delete(&path).send().await?;
    skip_if_disabled(&reply)?;
    reply.expect(202)?;
    expect_status_and_code(&client.get(&path).send().await?, 404, "BLOB_UNKNOWN")?;
    client.head(&path).send().await?.expect(404)?;
    Ok(())
}

async fn delete_blob_missing(client: &Client, repo: &str) -> Checked<()> {
    let path = format!("/v2/{repo}/blobs/{}", Blob::unique("never uploaded").digest);
    let reply = client.delete(&path).send().await?;
    skip_if_disabled(&reply)?;
    reply.expect(404)?;
    Ok(())
}
