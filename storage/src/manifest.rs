//! Manifest parsing: which media types cairn accepts and what each one references.
//!
//! A manifest is stored as the exact bytes the client sent; parsing only extracts what
//! the registry must act on: the blobs and child manifests that must exist, the
//! `subject` it refers to, and the descriptor the referrers API lists it with. The
//! formats are those of the OCI image-spec (`manifest.md`, `image-index.md`,
//! `descriptor.md`, and the `artifact.md` of the v1.1 release candidates), Docker's
//! image manifest v2 schema 2, and the ORAS artifacts-spec (`artifact-manifest.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI artifact manifest, from the image-spec v1.1 release candidates.
pub const OCI_ARTIFACT: &str = "application/vnd.oci.artifact.manifest.v1+json";
/// Docker image manifest v2, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// ORAS artifact manifest, used by early Notary v2 signing tools.
pub const ORAS_ARTIFACT: &str = "application/vnd.cncf.oras.artifact.manifest.v1+json";

/// Every manifest media type cairn stores.
pub const ACCEPTED_MEDIA_TYPES: [&str; 6] = [
    OCI_MANIFEST,
    OCI_INDEX,
    OCI_ARTIFACT,
    DOCKER_MANIFEST,
    DOCKER_LIST,
    ORAS_ARTIFACT,
];

/// Layer media types whose content may live outside the registry (`urls`), so they are
/// not required to be present.
const FOREIGN_LAYER_MARKERS: [&str; 2] = ["foreign", "nondistributable"];

/// Why a manifest body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The media type is not one cairn accepts.
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    /// The body is not a valid manifest of its media type.
    #[error("invalid manifest: {0}")]
    Invalid(String),
}

/// An OCI content descriptor, as found in manifests and returned by the referrers API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes of the referenced content.
    pub size: u64,
    /// Type of an artifact when the descriptor points at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Arbitrary metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Places the content may be fetched from instead of this registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    /// Platform of an index entry, kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
}

impl Descriptor {
    /// Whether the content may legitimately be absent from the registry.
    fn is_foreign(&self) -> bool {
        self.urls.as_ref().is_some_and(|urls| !urls.is_empty())
            && FOREIGN_LAYER_MARKERS
                .iter()
                .any(|marker| self.media_type.contains(marker))
    }
}

/// The fields of every supported format, read leniently: each format's rules are
/// checked in [`parse`] after deserialising.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<u64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    blobs: Option<Vec<Descriptor>>,
    subject: Option<Descriptor>,
    annotations: Option<BTreeMap<String, String>>,
}

/// What the registry must know about a manifest it is asked to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The media type it was pushed with.
    pub media_type: String,
    /// Blobs that must be present in the repository (config, layers, artifact blobs).
    pub blobs: Vec<Digest>,
    /// Manifests that must be present in the repository (entries of an index).
    pub children: Vec<Digest>,
    /// The manifest this one refers to, if any.
    pub subject: Option<Descriptor>,
    /// `artifactType`, or for an image manifest without one, its config media type.
    pub artifact_type: Option<String>,
    /// The manifest's own annotations.
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Manifest {
    /// The descriptor the referrers API lists this manifest with.
    pub fn referrer_descriptor(&self, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest,
            size,
            artifact_type: self.artifact_type.clone(),
            annotations: self.annotations.clone(),
            urls: None,
            platform: None,
        }
    }
}

/// Strips parameters such as `; charset=utf-8` from a `Content-Type` value.
pub fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// Parses `body`, pushed with `content_type` (`None` when the client sent none).
///
/// When the client's `Content-Type` is missing or generic, the `mediaType` field of the
/// body decides; when both name a manifest type they must agree.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Manifest, ManifestError> {
    let raw: RawManifest = serde_json::from_slice(body)
        .map_err(|err| ManifestError::Invalid(format!("not a JSON manifest: {err}")))?;

    let declared = content_type.map(essence).filter(|ct| is_manifest_type(ct));
    let media_type = match (declared, raw.media_type.as_deref()) {
        (Some(header), Some(field)) if header != field => {
            return Err(ManifestError::Invalid(format!(
                "mediaType {field:?} does not match Content-Type {header:?}"
            )))
        }
        (Some(header), _) => header.to_owned(),
        (None, Some(field)) => field.to_owned(),
        (None, None) => {
            let shown = content_type.unwrap_or("none").to_owned();
            return Err(ManifestError::UnsupportedMediaType(shown));
        }
    };
    if !ACCEPTED_MEDIA_TYPES.contains(&media_type.as_str()) {
        return Err(ManifestError::UnsupportedMediaType(media_type));
    }

    match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => image_manifest(media_type, raw),
        OCI_INDEX | DOCKER_LIST => image_index(media_type, raw),
        _ => artifact_manifest(media_type, raw),
    }
}

/// Whether `media_type` is a manifest type at all (accepted or not), as opposed to a
/// generic type such as `application/json` that carries no information.
fn is_manifest_type(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.")
}

fn require_schema_2(raw: &RawManifest) -> Result<(), ManifestError> {
    match raw.schema_version {
        Some(2) => Ok(()),
        other => Err(ManifestError::Invalid(format!(
            "schemaVersion must be 2, found {other:?}"
        ))),
    }
}

fn image_manifest(media_type: String, raw: RawManifest) -> Result<Manifest, ManifestError> {
    require_schema_2(&raw)?;
    let config = raw
        .config
        .ok_or_else(|| ManifestError::Invalid("an image manifest needs a config".into()))?;
    let layers = raw
        .layers
        .ok_or_else(|| ManifestError::Invalid("an image manifest needs layers".into()))?;

    let blobs = std::iter::once(&config)
        .chain(layers.iter().filter(|layer| !layer.is_foreign()))
        .map(|descriptor| descriptor.digest.clone())
        .collect();
    let artifact_type = raw.artifact_type.or(Some(config.media_type));
    Ok(Manifest {
        media_type,
        blobs,
        children: Vec::new(),
        subject: raw.subject,
        artifact_type,
        annotations: raw.annotations,
    })
}

fn image_index(media_type: String, raw: RawManifest) -> Result<Manifest, ManifestError> {
    require_schema_2(&raw)?;
    let manifests = raw
        .manifests
        .ok_or_else(|| ManifestError::Invalid("an index needs manifests".into()))?;
    Ok(Manifest {
        media_type,
        blobs: Vec::new(),
        children: manifests.into_iter().map(|m| m.digest).collect(),
        subject: raw.subject,
        artifact_type: raw.artifact_type,
        annotations: raw.annotations,
    })
}

fn artifact_manifest(media_type: String, raw: RawManifest) -> Result<Manifest, ManifestError> {
    let artifact_type = raw
        .artifact_type
        .ok_or_else(|| ManifestError::Invalid("an artifact manifest needs artifactType".into()))?;
    Ok(Manifest {
        media_type,
        blobs: raw
            .blobs
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.digest)
            .collect(),
        children: Vec::new(),
        subject: raw.subject,
        artifact_type: Some(artifact_type),
        annotations: raw.annotations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(seed: &str) -> String {
        Digest::sha256_of(seed.as_bytes()).to_string()
    }

    fn signature_manifest() -> String {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.cncf.notary.signature",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                       "digest": digest("config"), "size": 2},
            "layers": [{"mediaType": "application/jose+json",
                        "digest": digest("sig"), "size": 10}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest("subject"), "size": 7},
            "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[\"ab\"]"}
        })
        .to_string()
    }

    #[test]
    fn image_manifest_names_config_layers_and_subject() {
        let manifest = parse(Some(OCI_MANIFEST), signature_manifest().as_bytes()).expect("valid");
        assert_eq!(manifest.blobs.len(), 2);
        assert_eq!(
            manifest.artifact_type.as_deref(),
            Some("application/vnd.cncf.notary.signature")
        );
        let subject = manifest.subject.expect("subject");
        assert_eq!(subject.digest.to_string(), digest("subject"));
    }

    #[test]
    fn artifact_type_falls_back_to_config_media_type() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "config": {"mediaType": "application/vnd.example.sbom.config",
                       "digest": digest("c"), "size": 1},
            "layers": []
        });
        let manifest = parse(Some(OCI_MANIFEST), body.to_string().as_bytes()).expect("valid");
        assert_eq!(
            manifest.artifact_type.as_deref(),
            Some("application/vnd.example.sbom.config")
        );
    }

    #[test]
    fn media_type_comes_from_body_when_header_is_generic() {
        let manifest = parse(Some("application/json"), signature_manifest().as_bytes())
            .expect("body media type decides");
        assert_eq!(manifest.media_type, OCI_MANIFEST);
    }

    #[test]
    fn mismatched_media_types_are_invalid() {
        let err = parse(Some(OCI_INDEX), signature_manifest().as_bytes()).expect_err("mismatch");
        assert!(matches!(err, ManifestError::Invalid(_)));
    }

    #[test]
    fn oras_manifest_lists_blobs() {
        let body = serde_json::json!({
            "mediaType": ORAS_ARTIFACT,
            "artifactType": "application/vnd.cncf.notary.v2.signature",
            "blobs": [{"mediaType": "application/jwt", "digest": digest("b"), "size": 3}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest("s"), "size": 9}
        });
        let manifest = parse(Some(ORAS_ARTIFACT), body.to_string().as_bytes()).expect("valid");
        assert_eq!(manifest.blobs, vec![digest("b").parse().expect("digest")]);
        assert!(manifest.subject.is_some());
    }

    #[test]
    fn rejects_bad_bodies() {
        for (content_type, body) in [
            (Some(OCI_MANIFEST), "not json"),
            (Some(OCI_MANIFEST), r#"{"schemaVersion": 1}"#),
            (Some(OCI_INDEX), r#"{"schemaVersion": 2}"#),
            (
                Some(OCI_MANIFEST),
                r#"{"schemaVersion": 2, "config": {"digest": "x"}}"#,
            ),
            (Some(ORAS_ARTIFACT), r#"{"blobs": []}"#),
        ] {
            assert!(parse(content_type, body.as_bytes()).is_err(), "{body}");
        }
        assert!(matches!(
            parse(Some("application/vnd.example+json"), b"{}"),
            Err(ManifestError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn foreign_layers_need_not_be_present() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": digest("c"), "size": 1},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                        "digest": digest("l"), "size": 1, "urls": ["https://example.com/l"]}]
        });
        let manifest = parse(Some(DOCKER_MANIFEST), body.to_string().as_bytes()).expect("valid");
        assert_eq!(manifest.blobs.len(), 1);
    }
}
