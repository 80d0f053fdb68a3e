//! Referrers (distribution-spec 1.1): the `OCI-Subject` answer to a manifest PUT with a
//! `subject`, and `GET /v2/<name>/referrers/<digest>` with its descriptors, empty answers,
//! digest validation and `artifactType` filtering. Push order, referrers of referrers,
//! paging and deletion live in [`graph`]; the listing and manifest builders in [`listing`].
//!
//! Spec: distribution-spec, "Pushing Manifests with Subject" and "Listing Referrers".

mod graph;
mod listing;

use crate::client::Client;
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::{OCI_EMPTY, OCI_MANIFEST};
use crate::steps;
use crate::suite::{ensure, fail, Checked, Spec, Suite};
use listing::{list, Listing, Referrer};

static SETUP: Spec = Spec {
    id: "referrers.setup",
    says: "a registry MUST accept manifests with a subject: a subject image, two image manifests \
           and two indexes referring to it are pushed (201)",
};
static SUBJECT_HEADER: Spec = Spec {
    id: "referrers.subject-header",
    says: "when processing a manifest with the subject field, a registry that supports the \
           referrers API MUST respond with the header OCI-Subject: <subject digest>",
};
static LIST: Spec = Spec {
    id: "referrers.list",
    says: "GET /v2/<name>/referrers/<digest> MUST return 200 OK, Content-Type \
           application/vnd.oci.image.index.v1+json, an image index listing each manifest whose \
           subject is <digest> (following Link: <...>; rel=\"next\" pages)",
};
static ARTIFACT_TYPE: Spec = Spec {
    id: "referrers.descriptor.artifact-type",
    says: "descriptors MUST include artifactType from the manifest or index; for an image \
           manifest without one it MUST be the config mediaType; for an index without one it \
           MUST be omitted",
};
static ANNOTATIONS: Spec = Spec {
    id: "referrers.descriptor.annotations",
    says: "the descriptors MUST include annotations from the image manifest or index",
};
static UNKNOWN_SUBJECT: Spec = Spec {
    id: "referrers.unknown-subject",
    says: "a registry supporting the referrers API MUST NOT return 404 to a referrers request; \
           if a query results in no matching referrers, an empty manifest list MUST be returned",
};
static MALFORMED: Spec = Spec {
    id: "referrers.malformed-digest",
    says: "if the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad \
           Request MUST be returned",
};
static FILTER: Spec = Spec {
    id: "referrers.filter",
    says: "the registry SHOULD support filtering on artifactType; if filtering is requested and \
           applied, the response MUST include OCI-Filters-Applied: artifactType",
};

/// Checks of this file, in run order; [`checks`] adds those of [`graph`].
const OWN_CHECKS: &[&Spec] = &[
    &SETUP,
    &SUBJECT_HEADER,
    &LIST,
    &ARTIFACT_TYPE,
    &ANNOTATIONS,
    &UNKNOWN_SUBJECT,
    &MALFORMED,
    &FILTER,
];

/// Every check of this group, in run order.
pub(crate) fn checks() -> Vec<&'static Spec> {
    [OWN_CHECKS, graph::CHECKS].concat()
}

/// `artifactType` of the SBOM-like referrer, the one the filter asks for.
const SBOM: &str = "application/vnd.example.conformance.sbom";
/// Config media type of the referrer without `artifactType`.
const SIG_CONFIG: &str = "application/vnd.example.conformance.signature.config";
/// `artifactType` of the index referrer that has one.
const BUNDLE: &str = "application/vnd.example.conformance.bundle";

/// Blobs and subject every referrer check builds on.
pub(super) struct Base {
    /// The empty JSON config `{}`.
    empty: Blob,
    /// A layer all artifacts carry.
    layer: Blob,
    /// A config blob of media type [`SIG_CONFIG`].
    sig_config: Blob,
    /// The subject image every referrer in this file points at.
    subject: Manifest,
}

/// What the setup pushed.
struct Pushed {
    /// Blobs and subject.
    base: Base,
    /// The four referrers of the subject, in push order.
    referrers: Vec<Referrer>,
    /// The `OCI-Subject` header each referrer PUT answered, in the same order.
    subject_headers: Vec<Option<String>>,
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("referrers");

    let pushed = suite.run(&SETUP, setup(&client, &repo)).await;
    if let Some(p) = suite.gate(&SUBJECT_HEADER, &SETUP, pushed.as_ref()) {
        suite.run(&SUBJECT_HEADER, subject_header(p)).await;
    }
    let listed = match suite.gate(&LIST, &SETUP, pushed.as_ref()) {
        Some(p) => suite.run(&LIST, list_all(&client, &repo, p)).await,
        None => None,
    };
    let both = pushed.as_ref().zip(listed.as_ref());
    if let Some((p, l)) = suite.gate(&ARTIFACT_TYPE, &LIST, both.as_ref()) {
        suite.run(&ARTIFACT_TYPE, artifact_types(p, l)).await;
    }
    if let Some((p, l)) = suite.gate(&ANNOTATIONS, &LIST, both.as_ref()) {
        suite.run(&ANNOTATIONS, annotations(p, l)).await;
    }
    suite
        .run(&UNKNOWN_SUBJECT, unknown_subject(&client, &repo))
        .await;
    suite.run(&MALFORMED, malformed(&client, &repo)).await;
    if let Some(p) = suite.gate(&FILTER, &SETUP, pushed.as_ref()) {
        suite.run(&FILTER, filter(&client, &repo, p)).await;
    }

    let base = pushed.map(|p| (p.base, p.referrers));
    graph::run(suite, &repo, base.as_ref(), &SETUP).await;
}

/// Pushes the blobs every referrer needs and the subject image, tagged `subject`.
async fn push_base(client: &Client, repo: &str) -> Checked<Base> {
    let empty = Blob::empty_json();
    let layer = Blob::unique("referrers layer");
    let sig_config = Blob::new(format!("{{\"signature\":\"{}\"}}", fixtures::token()));
    let config = Blob::image_config();
    steps::push_blobs(client, repo, &[&empty, &layer, &sig_config, &config]).await?;

    let subject = Manifest::new(OCI_MANIFEST, &fixtures::oci_image_plain(&config, &[&layer]));
    steps::put_manifest(client, repo, "subject", &subject)
        .await?
        .expect(201)?;
    Ok(Base {
        empty,
        layer,
        sig_config,
        subject,
    })
}

async fn setup(client: &Client, repo: &str) -> Checked<Pushed> {
    let base = push_base(client, repo).await?;
    let subject = &base.subject;

    let with_type = listing::image_referrer(
        &base.empty,
        OCI_EMPTY,
        &base.layer,
        Some(SBOM),
        subject,
        "sbom",
    );
    let without_type = listing::image_referrer(
        &base.sig_config,
        SIG_CONFIG,
        &base.layer,
        None,
        subject,
        "signature",
    );
    let typed_index = listing::index_referrer(Some(BUNDLE), subject, "bundle");
    let plain_index = listing::index_referrer(None, subject, "plain-index");

    let referrers = vec![with_type, without_type, typed_index, plain_index];
    let mut subject_headers = Vec::new();
    for referrer in &referrers {
        let reply = steps::push_manifest(client, repo, &referrer.manifest).await?;
        subject_headers.push(reply.header("oci-subject").map(str::to_owned));
    }
    Ok(Pushed {
        base,
        referrers,
        subject_headers,
    })
}

async fn subject_header(pushed: &Pushed) -> Checked<()> {
    let subject = &pushed.base.subject.digest;
    for (referrer, header) in pushed.referrers.iter().zip(&pushed.subject_headers) {
        match header {
            None => fail!(
                "PUT of {} answered without OCI-Subject",
                referrer.manifest.media_type
            ),
            Some(value) => ensure!(
                value == subject,
                "PUT answered OCI-Subject: {value}, expected {subject}"
            ),
        }
    }
    Ok(())
}

async fn list_all(client: &Client, repo: &str, pushed: &Pushed) -> Checked<Listing> {
    let listing = list(client, repo, &pushed.base.subject.digest, &[]).await?;
    listing.expect_exactly(&pushed.referrers.iter().collect::<Vec<_>>())?;
    Ok(listing)
}

async fn artifact_types(pushed: &Pushed, listing: &Listing) -> Checked<()> {
    for referrer in &pushed.referrers {
        let descriptor = listing.find(&referrer.manifest.digest)?;
        let expected = referrer.expected_artifact_type.as_deref();
        ensure!(
            descriptor.artifact_type.as_deref() == expected,
            "descriptor of {} ({}) has artifactType {:?}, expected {expected:?}",
            referrer.name,
            referrer.manifest.media_type,
            descriptor.artifact_type
        );
    }
    Ok(())
}

async fn annotations(pushed: &Pushed, listing: &Listing) -> Checked<()> {
    for referrer in &pushed.referrers {
        let descriptor = listing.find(&referrer.manifest.digest)?;
        for (key, value) in &referrer.annotations {
            let got = descriptor.annotations.get(key);
            ensure!(
                got == Some(value),
                "descriptor of {} has annotation {key} = {got:?}, expected {value:?}",
                referrer.name
            );
        }
    }
    Ok(())
}

async fn unknown_subject(client: &Client, repo: &str) -> Checked<()> {
    let digest = Blob::unique("no such subject").digest;
    let listing = list(client, repo, &digest, &[]).await?;
    ensure!(
        listing.descriptors.is_empty(),
        "referrers of an unknown digest listed {} descriptors",
        listing.descriptors.len()
    );
    Ok(())
}

async fn malformed(client: &Client, repo: &str) -> Checked<()> {
    for digest in ["sha256:zzzz", "sha256", "nodigest"] {
        let reply = client
            .get(&format!("/v2/{repo}/referrers/{digest}"))
            .send()
            .await?;
        reply.expect(400)?;
    }
    Ok(())
}

async fn filter(client: &Client, repo: &str, pushed: &Pushed) -> Checked<()> {
    let subject = &pushed.base.subject.digest;
    let listing = list(client, repo, subject, &[("artifactType", SBOM)]).await?;
    let Some(applied) = listing.filters_applied.as_deref() else {
        fail!("?artifactType= answered without OCI-Filters-Applied: the filter was not applied (SHOULD)");
    };
    ensure!(
        applied.split(',').any(|f| f.trim() == "artifactType"),
        "OCI-Filters-Applied: {applied}, expected it to name artifactType"
    );
    let sboms: Vec<&Referrer> = pushed
        .referrers
        .iter()
        .filter(|r| r.expected_artifact_type.as_deref() == Some(SBOM))
        .collect();
    listing.expect_exactly(&sboms)?;

    let none = list(
        client,
        repo,
        subject,
        &[("artifactType", "application/vnd.example.none")],
    )
    .await?;
    ensure!(
        none.descriptors.is_empty(),
        "a filter matching nothing listed {} descriptors",
        none.descriptors.len()
    );
    Ok(())
}
