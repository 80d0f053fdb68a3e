//! Building referrers and reading referrers lists: manifests with a `subject`, and
//! `GET /v2/<name>/referrers/<digest>` followed across `Link` pages into one listing.
//!
//! Spec: distribution-spec, "Listing Referrers": "The Content-Type header MUST be set to
//! application/vnd.oci.image.index.v1+json" and "A Link header MUST be included in the
//! response when the descriptor list cannot be returned in a single manifest".

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::json;

use crate::client::Client;
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::{essence, next_link, OCI_INDEX, OCI_MANIFEST};
use crate::suite::{ensure, fail, Checked};

/// Most pages a listing may take before the check gives up.
const MAX_PAGES: usize = 200;

/// A manifest with a `subject`, and what its descriptor in a referrers list must carry.
#[derive(Debug)]
pub(crate) struct Referrer {
    /// Short name for messages.
    pub(crate) name: String,
    /// The manifest as pushed.
    pub(crate) manifest: Manifest,
    /// The `artifactType` its descriptor must carry, `None` when it must be omitted.
    pub(crate) expected_artifact_type: Option<String>,
    /// Its annotations, which its descriptor must include.
    pub(crate) annotations: BTreeMap<String, String>,
}

/// Annotations that make each referrer unique and recognisable.
fn annotations_for(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("org.example.conformance.name".to_owned(), name.to_owned()),
        (
            "org.example.conformance.token".to_owned(),
            fixtures::token(),
        ),
        (
            "org.opencontainers.image.created".to_owned(),
            "2024-05-01T12:00:00Z".to_owned(),
        ),
    ])
}

/// An image manifest referring to `subject`, with `config` of `config_type`, one `layer`
/// and, when given, an `artifactType`.
pub(crate) fn image_referrer(
    config: &Blob,
    config_type: &str,
    layer: &Blob,
    artifact_type: Option<&str>,
    subject: &Manifest,
    name: &str,
) -> Referrer {
    let mut value = fixtures::oci_image(config, config_type, &[layer]);
    if let Some(artifact_type) = artifact_type {
        value["artifactType"] = json!(artifact_type);
    }
    value["subject"] = subject.descriptor();
    let annotations = annotations_for(name);
    value["annotations"] = json!(annotations);
    Referrer {
        name: name.to_owned(),
        manifest: Manifest::new(OCI_MANIFEST, &value),
        expected_artifact_type: Some(artifact_type.unwrap_or(config_type).to_owned()),
        annotations,
    }
}

/// An image index with no children referring to `subject`, with an `artifactType` when
/// given.
pub(crate) fn index_referrer(
    artifact_type: Option<&str>,
    subject: &Manifest,
    name: &str,
) -> Referrer {
    let mut value = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [] });
    if let Some(artifact_type) = artifact_type {
        value["artifactType"] = json!(artifact_type);
    }
    value["subject"] = subject.descriptor();
    let annotations = annotations_for(name);
    value["annotations"] = json!(annotations);
    Referrer {
        name: name.to_owned(),
        manifest: Manifest::new(OCI_INDEX, &value),
        expected_artifact_type: artifact_type.map(str::to_owned),
        annotations,
    }
}

/// An image index as the referrers API answers it.
#[derive(Deserialize)]
struct Index {
    /// Must be 2.
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    /// The index media type, when present.
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    /// The referrers' descriptors.
    manifests: Vec<Descriptor>,
}

/// One descriptor of a referrers list.
#[derive(Debug, Deserialize)]
pub(crate) struct Descriptor {
    /// Media type of the referrer.
    #[serde(rename = "mediaType")]
    pub(crate) media_type: String,
    /// Digest of the referrer.
    pub(crate) digest: String,
    /// Size of the referrer in bytes.
    pub(crate) size: u64,
    /// Artifact type, when given.
    #[serde(rename = "artifactType")]
    pub(crate) artifact_type: Option<String>,
    /// Annotations copied from the referrer.
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// Every descriptor of a referrers list, across its pages.
pub(crate) struct Listing {
    /// Descriptors in the order served.
    pub(crate) descriptors: Vec<Descriptor>,
    /// `OCI-Filters-Applied` of the first page.
    pub(crate) filters_applied: Option<String>,
    /// Number of pages read.
    pub(crate) pages: usize,
}

/// Reads the referrers of `digest` in `repo`, with `query` parameters, following `Link`.
pub(crate) async fn list(
    client: &Client,
    repo: &str,
    digest: &str,
    query: &[(&str, &str)],
) -> Checked<Listing> {
    let mut call = client.get(&format!("/v2/{repo}/referrers/{digest}"));
    for (key, value) in query {
        call = call.query(key, value);
    }
    let mut listing = Listing {
        descriptors: Vec::new(),
        filters_applied: None,
        pages: 0,
    };
    let mut next = Some(call);
    while let Some(call) = next.take() {
        let reply = call.send().await?;
        if reply.status.as_u16() != 200 {
            fail!("{}, expected 200 with an image index", reply.describe());
        }
        let content_type = reply.header("content-type").unwrap_or_default();
        ensure!(
            essence(content_type) == OCI_INDEX,
            "{} answered Content-Type {content_type:?}, expected {OCI_INDEX}",
            reply.what()
        );
        let index: Index = reply.json()?;
        ensure!(
            index.schema_version == 2,
            "{} answered schemaVersion {}",
            reply.what(),
            index.schema_version
        );
        if let Some(media_type) = &index.media_type {
            ensure!(
                media_type == OCI_INDEX,
                "{} answered mediaType {media_type}",
                reply.what()
            );
        }

        if listing.pages == 0 {
            listing.filters_applied = reply.header("oci-filters-applied").map(str::to_owned);
        }
        listing.pages += 1;
        listing.descriptors.extend(index.manifests);
        if listing.pages >= MAX_PAGES {
            fail!("the referrers list did not end within {MAX_PAGES} pages");
        }
        next = next_link(&reply).map(|target| client.get(&target));
    }
    Ok(listing)
}

impl Listing {
    /// The descriptor of `digest`, or a failure saying it is missing.
    pub(crate) fn find(&self, digest: &str) -> Checked<&Descriptor> {
        match self.descriptors.iter().find(|d| d.digest == digest) {
            Some(descriptor) => Ok(descriptor),
            None => fail!("the referrers list has no descriptor for {digest}"),
        }
    }

    /// Requires the listing to hold exactly `referrers`, once each, with right media
    /// types and sizes.
    pub(crate) fn expect_exactly(&self, referrers: &[&Referrer]) -> Checked<()> {
        let mut seen = BTreeSet::new();
        for descriptor in &self.descriptors {
            ensure!(
                seen.insert(descriptor.digest.as_str()),
                "{} is listed twice (over {} pages)",
                descriptor.digest,
                self.pages
            );
        }
        let wanted: BTreeSet<&str> = referrers
            .iter()
            .map(|r| r.manifest.digest.as_str())
            .collect();
        ensure!(
            seen == wanted,
            "the referrers list ({} pages) holds {} descriptors, expected {} \
             (missing: {:?}, extra: {:?})",
            self.pages,
            seen.len(),
            wanted.len(),
            wanted.difference(&seen).collect::<Vec<_>>(),
            seen.difference(&wanted).collect::<Vec<_>>()
        );
        for referrer in referrers {
            let descriptor = self.find(&referrer.manifest.digest)?;
            ensure!(
                descriptor.media_type == referrer.manifest.media_type,
                "descriptor of {} has mediaType {}, expected {}",
                referrer.name,
                descriptor.media_type,
                referrer.manifest.media_type
            );
            ensure!(
                descriptor.size == referrer.manifest.bytes.len() as u64,
                "descriptor of {} has size {}, expected {}",
                referrer.name,
                descriptor.size,
                referrer.manifest.bytes.len()
            );
        }
        Ok(())
    }
}
