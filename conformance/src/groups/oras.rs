//! ORAS: the legacy ORAS artifact manifest (`application/vnd.cncf.oras.artifact.manifest.v1+json`)
//! with `blobs` and `subject`, and its referrers endpoint
//! `GET /oras/artifacts/v1/<name>/manifests/<digest>/referrers`, answering
//! `{"references": [descriptors]}`.
//!
//! Spec: oras-project/artifacts-spec, artifact-manifest.md and manifest-referrers-api.md.
//! Paging is a MUST there ("Implementations MUST implement paging"); filtering by
//! `artifactType` is a MAY.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::json;

use crate::client::Client;
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::{next_link, OCI_MANIFEST, ORAS_ARTIFACT};
use crate::steps;
use crate::suite::{ensure, fail, skip, Checked, Spec, Suite};

static SETUP: Spec = Spec {
    id: "oras.setup",
    says: "a subject image and the blobs artifacts carry can be pushed (201)",
};
static ENDPOINT: Spec = Spec {
    id: "oras.referrers.endpoint",
    says: "GET /oras/artifacts/v1/<name>/manifests/<digest>/referrers answers 200 with \
           {\"references\": [...]}, empty for a manifest nothing refers to",
};
static PUSH: Spec = Spec {
    id: "oras.push",
    says: "an ORAS artifact manifest with artifactType, blobs and a subject in the same \
           repository is accepted (201) and served back byte for byte with its media type",
};
static REFERRERS: Spec = Spec {
    id: "oras.referrers",
    says: "the referrers API returns all artifacts that have a subject of the given digest: \
           references lists a descriptor (digest, mediaType, artifactType, size) for each",
};
static FILTER: Spec = Spec {
    id: "oras.referrers.filter",
    says: "the /referrers API MAY provide for filtering of artifactTypes \
           (?artifactType=<type>); a filtered list still holds every match",
};
static PAGING: Spec = Spec {
    id: "oras.referrers.paging",
    says: "implementations MUST implement paging: with ?n=<int>, more items are announced by \
           Link: <url>; rel=\"next\", and following it yields every item once",
};

/// Every check of this group, in run order.
pub(crate) const CHECKS: &[&Spec] = &[&SETUP, &ENDPOINT, &PUSH, &REFERRERS, &FILTER, &PAGING];

/// `artifactType` of the first artifact, the one the filter asks for.
const SIGNATURE: &str = "application/vnd.example.conformance.oras.signature";
/// `artifactType` of the second artifact.
const SBOM: &str = "application/vnd.example.conformance.oras.sbom";

/// A page of the ORAS referrers API.
#[derive(Deserialize)]
struct References {
    /// Descriptors of referring artifacts.
    references: Vec<OrasDescriptor>,
}

/// A descriptor in an ORAS referrers answer.
#[derive(Deserialize)]
struct OrasDescriptor {
    /// Digest of the artifact manifest.
    digest: String,
    /// Its media type.
    #[serde(rename = "mediaType")]
    media_type: String,
    /// Its artifact type.
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
    /// Its size.
    size: u64,
}

/// What the setup pushed.
struct Base {
    /// The one layer artifacts carry.
    layer: Blob,
    /// The subject image.
    subject: Manifest,
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("oras");

    let base = suite.run(&SETUP, setup(&client, &repo)).await;
    if let Some(b) = suite.gate(&ENDPOINT, &SETUP, base.as_ref()) {
        suite.run(&ENDPOINT, endpoint(&client, &repo, b)).await;
    }
    let artifacts = match suite.gate(&PUSH, &SETUP, base.as_ref()) {
        Some(b) => suite.run(&PUSH, push(&client, &repo, b)).await,
        None => None,
    };
    let both = base.as_ref().zip(artifacts.as_ref());
    if let Some((b, a)) = suite.gate(&REFERRERS, &PUSH, both.as_ref()) {
        suite.run(&REFERRERS, referrers(&client, &repo, b, a)).await;
    }
    if let Some((b, a)) = suite.gate(&FILTER, &PUSH, both.as_ref()) {
        suite.run(&FILTER, filter(&client, &repo, b, a)).await;
    }
    if let Some((b, a)) = suite.gate(&PAGING, &PUSH, both.as_ref()) {
        suite.run(&PAGING, paging(&client, &repo, b, a)).await;
    }
}

async fn setup(client: &Client, repo: &str) -> Checked<Base> {
    let config = Blob::image_config();
    let layer = Blob::unique("oras layer");
    steps::push_blobs(client, repo, &[&config, &layer]).await?;
    let subject = Manifest::new(OCI_MANIFEST, &fixtures::oci_image_plain(&config, &[&layer]));
    steps::put_manifest(client, repo, "subject", &subject)
        .await?
        .expect(201)?;
    Ok(Base { layer, subject })
}

/// Reads every page of the ORAS referrers of the subject, with `query` parameters.
async fn read(
    client: &Client,
    repo: &str,
    base: &Base,
    query: &[(&str, &str)],
) -> Checked<Vec<OrasDescriptor>> {
    let path = format!(
        "/oras/artifacts/v1/{repo}/manifests/{}/referrers",
        base.subject.digest
    );
    let mut call = client.get(&path);
    for (key, value) in query {
        call = call.query(key, value);
    }
    let mut all = Vec::new();
    for _ in 0..100 {
        let reply = call.send().await?;
        if reply.status.as_u16() != 200 {
            fail!(
                "{}, expected 200 with {{\"references\": [...]}}",
                reply.describe()
            );
        }
        let page: References = reply.json()?;
        all.extend(page.references);
        match next_link(&reply) {
            Some(next) => call = client.get(&next),
            None => return Ok(all),
        }
    }
    fail!("the ORAS referrers list did not end within 100 pages")
}

/// Requires `found` to hold each of `artifacts` exactly once, with right fields.
fn expect_exactly(found: &[OrasDescriptor], artifacts: &[&(Manifest, &str)]) -> Checked<()> {
    let mut seen = BTreeSet::new();
    for descriptor in found {
        ensure!(
            seen.insert(descriptor.digest.as_str()),
            "{} is listed twice",
            descriptor.digest
        );
    }
    let wanted: BTreeSet<&str> = artifacts.iter().map(|(m, _)| m.digest.as_str()).collect();
    ensure!(
        seen == wanted,
        "references are {seen:?}, expected {wanted:?}"
    );
    for (manifest, artifact_type) in artifacts {
        let Some(d) = found.iter().find(|d| d.digest == manifest.digest) else {
            continue;
        };
        ensure!(
            d.media_type == ORAS_ARTIFACT,
            "{} has mediaType {}",
            d.digest,
            d.media_type
        );
        ensure!(
            d.size == manifest.bytes.len() as u64,
            "{} has size {}",
            d.digest,
            d.size
        );
        ensure!(
            d.artifact_type.as_deref() == Some(*artifact_type),
            "{} has artifactType {:?}, expected {artifact_type}",
            d.digest,
            d.artifact_type
        );
    }
    Ok(())
}

async fn endpoint(client: &Client, repo: &str, base: &Base) -> Checked<()> {
    let found = read(client, repo, base, &[]).await?;
    ensure!(
        found.is_empty(),
        "a manifest nothing refers to has {} references",
        found.len()
    );
    Ok(())
}

async fn push(client: &Client, repo: &str, base: &Base) -> Checked<Vec<(Manifest, &'static str)>> {
    let mut pushed = Vec::new();
    for artifact_type in [SIGNATURE, SBOM] {
        let value = json!({
            "mediaType": ORAS_ARTIFACT,
            "artifactType": artifact_type,
            "blobs": [base.layer.descriptor("application/vnd.example.conformance.file")],
            "subject": base.subject.descriptor(),
            "annotations": { "org.example.conformance.token": fixtures::token() }
        });
        let manifest = Manifest::new(ORAS_ARTIFACT, &value);
        steps::push_manifest(client, repo, &manifest).await?;
        let reply = steps::fetch_manifest(client, repo, &manifest.digest, false).await?;
        steps::verify_manifest(&reply, &manifest)?;
        pushed.push((manifest, artifact_type));
    }
    Ok(pushed)
}

async fn referrers(
    client: &Client,
    repo: &str,
    base: &Base,
    artifacts: &[(Manifest, &'static str)],
) -> Checked<()> {
    let found = read(client, repo, base, &[]).await?;
    expect_exactly(&found, &artifacts.iter().collect::<Vec<_>>())
}

async fn filter(
    client: &Client,
    repo: &str,
    base: &Base,
    artifacts: &[(Manifest, &'static str)],
) -> Checked<()> {
    let found = read(client, repo, base, &[("artifactType", SIGNATURE)]).await?;
    if found
        .iter()
        .any(|d| d.artifact_type.as_deref() != Some(SIGNATURE))
    {
        skip!("?artifactType= was not applied: filtering is a MAY");
    }
    let signatures: Vec<_> = artifacts.iter().filter(|(_, t)| *t == SIGNATURE).collect();
    expect_exactly(&found, &signatures)
}

async fn paging(
    client: &Client,
    repo: &str,
    base: &Base,
    artifacts: &[(Manifest, &'static str)],
) -> Checked<()> {
    let found = read(client, repo, base, &[("n", "1")]).await?;
    expect_exactly(&found, &artifacts.iter().collect::<Vec<_>>())
}
