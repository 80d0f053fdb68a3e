//! Referrers as a graph: a subject pushed after its referrer, referrers of referrers, the
//! OCI artifact manifest as a referrer, long lists paged with `Link`, and deletion.
//!
//! Spec: distribution-spec, "Push" ("A registry MUST accept a manifest that includes a
//! subject field referencing another manifest that does not yet exist"), "Listing
//! Referrers", and "Enabling the Referrers API" ("Registries MUST include all newly pushed
//! image manifests with a valid subject field in the referrers API response").

use serde_json::json;

use super::listing::{image_referrer, list, Referrer};
use super::{Base, SBOM};
use crate::client::Client;
use crate::fixtures::{self, Manifest};
use crate::protocol::{OCI_ARTIFACT, OCI_EMPTY, OCI_MANIFEST};
use crate::steps;
use crate::suite::{ensure, skip, Checked, Spec, Suite};

static SUBJECT_LATER: Spec = Spec {
    id: "referrers.subject-pushed-later",
    says: "a registry MUST accept a manifest whose subject does not yet exist, and list it as a \
           referrer before and after the subject is pushed",
};
static NESTED: Spec = Spec {
    id: "referrers.referrer-of-referrer",
    says: "a referrer can itself be a subject: GET /v2/<name>/referrers/<referrer digest> lists \
           manifests whose subject is that referrer, and only those",
};
static ARTIFACT_MANIFEST: Spec = Spec {
    id: "referrers.oci-artifact-manifest",
    says: "an OCI artifact manifest (image-spec 1.1 release candidates) with a subject is \
           listed with its artifactType, when the registry accepts that media type",
};
static PAGINATION: Spec = Spec {
    id: "referrers.pagination",
    says: "a Link header MUST be included when the descriptor list cannot be returned in a \
           single manifest; following Link: <...>; rel=\"next\" yields every referrer once",
};
static DELETE: Spec = Spec {
    id: "referrers.delete",
    says: "DELETE of a referrer by digest answers 202 Accepted; the referrers list no longer \
           holds it",
};

/// Checks of this file, in run order.
pub(super) const CHECKS: &[&Spec] = &[
    &SUBJECT_LATER,
    &NESTED,
    &ARTIFACT_MANIFEST,
    &PAGINATION,
    &DELETE,
];

/// Number of referrers pushed for the pagination check.
const MANY: usize = 30;
/// Page size asked for with `n` (registries MAY ignore it).
const PAGE: &str = "5";

/// Runs the graph checks on what the setup pushed (`None` when it failed).
pub(super) async fn run(
    suite: &mut Suite,
    repo: &str,
    pushed: Option<&(Base, Vec<Referrer>)>,
    setup: &'static Spec,
) {
    let client = suite.client.clone();
    let Some((base, referrers)) = pushed else {
        suite.skip_all(CHECKS, setup);
        return;
    };

    suite
        .run(&SUBJECT_LATER, subject_later(&client, repo, base))
        .await;
    suite
        .run(&NESTED, nested(&client, repo, base, referrers))
        .await;
    suite
        .run(&ARTIFACT_MANIFEST, artifact_manifest(&client, repo, base))
        .await;
    suite
        .run(&PAGINATION, pagination(&client, repo, base))
        .await;
    suite
        .run(&DELETE, delete(&client, repo, base, referrers))
        .await;
}

/// A fresh subject image built on `base`; pushed only when `push` is set.
async fn new_subject(client: &Client, repo: &str, base: &Base, push: bool) -> Checked<Manifest> {
    let mut value = fixtures::oci_image(&base.empty, OCI_EMPTY, &[&base.layer]);
    value["annotations"] = json!({ "org.example.conformance.subject": fixtures::token() });
    let subject = Manifest::new(OCI_MANIFEST, &value);
    if push {
        steps::push_manifest(client, repo, &subject).await?;
    }
    Ok(subject)
}

async fn subject_later(client: &Client, repo: &str, base: &Base) -> Checked<()> {
    let subject = new_subject(client, repo, base, false).await?;
    let early = image_referrer(
        &base.empty,
        OCI_EMPTY,
        &base.layer,
        Some(SBOM),
        &subject,
        "early",
    );
    steps::push_manifest(client, repo, &early.manifest).await?;

    list(client, repo, &subject.digest, &[])
        .await?
        .expect_exactly(&[&early])?;
    steps::push_manifest(client, repo, &subject).await?;
    list(client, repo, &subject.digest, &[])
        .await?
        .expect_exactly(&[&early])
}

async fn nested(client: &Client, repo: &str, base: &Base, referrers: &[Referrer]) -> Checked<()> {
    let Some(parent) = referrers.first() else {
        skip!("the setup pushed no referrer")
    };
    let child = image_referrer(
        &base.empty,
        OCI_EMPTY,
        &base.layer,
        Some(SBOM),
        &parent.manifest,
        "child",
    );
    steps::push_manifest(client, repo, &child.manifest).await?;

    list(client, repo, &parent.manifest.digest, &[])
        .await?
        .expect_exactly(&[&child])?;
    let top = list(client, repo, &base.subject.digest, &[]).await?;
    ensure!(
        top.descriptors
            .iter()
            .all(|d| d.digest != child.manifest.digest),
        "the referrer of a referrer is listed among the referrers of the top subject"
    );
    Ok(())
}

async fn artifact_manifest(client: &Client, repo: &str, base: &Base) -> Checked<()> {
    let subject = new_subject(client, repo, base, true).await?;
    let artifact_type = "application/vnd.example.conformance.artifact-signature";
    let annotations = std::collections::BTreeMap::from([(
        "org.example.conformance.name".to_owned(),
        "oci-artifact".to_owned(),
    )]);
    let value = json!({
        "mediaType": OCI_ARTIFACT,
        "artifactType": artifact_type,
        "blobs": [base.layer.descriptor("application/vnd.example.conformance.file")],
        "subject": subject.descriptor(),
        "annotations": annotations
    });
    let referrer = Referrer {
        name: "oci-artifact".to_owned(),
        manifest: Manifest::new(OCI_ARTIFACT, &value),
        expected_artifact_type: Some(artifact_type.to_owned()),
        annotations,
    };

    let reply =
        steps::put_manifest(client, repo, &referrer.manifest.digest, &referrer.manifest).await?;
    if reply.status.is_client_error() {
        skip!(
            "{}: the registry does not take {OCI_ARTIFACT}",
            reply.describe()
        );
    }
    reply.expect(201)?;
    let listing = list(client, repo, &subject.digest, &[]).await?;
    listing.expect_exactly(&[&referrer])?;
    let descriptor = listing.find(&referrer.manifest.digest)?;
    ensure!(
        descriptor.artifact_type.as_deref() == Some(artifact_type),
        "descriptor has artifactType {:?}, expected {artifact_type}",
        descriptor.artifact_type
    );
    Ok(())
}

async fn pagination(client: &Client, repo: &str, base: &Base) -> Checked<()> {
    let subject = new_subject(client, repo, base, true).await?;
    let page_type = "application/vnd.example.conformance.page";
    let mut pushed = Vec::with_capacity(MANY);
    for i in 0..MANY {
        let name = format!("page-{i}");
        let referrer = image_referrer(
            &base.empty,
            OCI_EMPTY,
            &base.layer,
            Some(page_type),
            &subject,
            &name,
        );
        steps::push_manifest(client, repo, &referrer.manifest).await?;
        pushed.push(referrer);
    }
    let listing = list(client, repo, &subject.digest, &[("n", PAGE)]).await?;
    listing.expect_exactly(&pushed.iter().collect::<Vec<_>>())
}

async fn delete(client: &Client, repo: &str, base: &Base, referrers: &[Referrer]) -> Checked<()> {
    let Some(doomed) = referrers.get(1) else {
        skip!("the setup pushed no second referrer")
    };
    let kept: Vec<&Referrer> = referrers.iter().filter(|r| r.name != doomed.name).collect();
    let reply = client
        .delete(&format!("/v2/{repo}/manifests/{}", doomed.manifest.digest))
        .send()
        .await?;
    if matches!(reply.status.as_u16(), 400 | 405) {
        skip!(
            "{}: manifest deletion is disabled, which the spec allows",
            reply.describe()
        );
    }
    reply.expect(202)?;
    let listing = list(client, repo, &base.subject.digest, &[]).await?;
    listing.expect_exactly(&kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_smaller_than_the_list() {
        assert!(PAGE.parse::<usize>().is_ok_and(|n| n < MANY));
    }
}
