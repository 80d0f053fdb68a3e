//! Content the checks push: blobs, image configurations and manifests of every media type.
//!
//! Manifests are serialised pretty-printed with a trailing newline, a form no registry
//! produces by re-encoding, so a registry that does not keep the exact bytes is caught
//! (spec: "The registry MUST store the manifest in the exact byte representation provided
//! by the client").

use bytes::Bytes;
use serde_json::{json, Value};

use crate::digest;
use crate::protocol::{DOCKER_CONFIG, OCI_CONFIG};

/// A blob with its digest.
#[derive(Clone, Debug)]
pub(crate) struct Blob {
    /// Content.
    pub(crate) bytes: Bytes,
    /// `sha256:<hex>` of the content.
    pub(crate) digest: String,
}

impl Blob {
    /// A blob holding `bytes`.
    pub(crate) fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let digest = digest::sha256(&bytes);
        Self { bytes, digest }
    }

    /// A blob no registry has seen: its content includes a random token.
    pub(crate) fn unique(label: &str) -> Self {
        Self::new(format!("cairn-conformance {label} {}\n", token()))
    }

    /// The empty JSON object `{}`, the config of artifacts without one.
    pub(crate) fn empty_json() -> Self {
        Self::new(&b"{}"[..])
    }

    /// A minimal OCI image configuration, unique to this run.
    pub(crate) fn image_config() -> Self {
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "rootfs": { "type": "layers", "diff_ids": [] },
            "config": { "Labels": { "org.example.conformance.run": token() } }
        });
        Self::new(pretty(&config))
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.bytes.len()
    }

    /// A descriptor of this blob with `media_type`.
    pub(crate) fn descriptor(&self, media_type: &str) -> Value {
        json!({ "mediaType": media_type, "digest": self.digest, "size": self.size() })
    }
}

/// A manifest: its media type, exact bytes and digest.
#[derive(Clone, Debug)]
pub(crate) struct Manifest {
    /// The media type it is pushed with, and its `mediaType` field when it has one.
    pub(crate) media_type: &'static str,
    /// The exact bytes pushed.
    pub(crate) bytes: Bytes,
    /// `sha256:<hex>` of the bytes.
    pub(crate) digest: String,
}

impl Manifest {
    /// Serialises `value` as a manifest of `media_type`.
    pub(crate) fn new(media_type: &'static str, value: &Value) -> Self {
        let bytes = Bytes::from(pretty(value));
        let digest = digest::sha256(&bytes);
        Self {
            media_type,
            bytes,
            digest,
        }
    }

    /// A descriptor of this manifest.
    pub(crate) fn descriptor(&self) -> Value {
        json!({ "mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len() })
    }
}

/// The JSON of an OCI image manifest with `config` (of `config_type`) and `layers`.
///
/// Callers add `subject`, `artifactType` or `annotations` by indexing the value.
pub(crate) fn oci_image(config: &Blob, config_type: &str, layers: &[&Blob]) -> Value {
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| l.descriptor(crate::protocol::OCI_LAYER))
        .collect();
    json!({
        "schemaVersion": 2,
        "mediaType": crate::protocol::OCI_MANIFEST,
        "config": config.descriptor(config_type),
        "layers": layers
    })
}

/// The JSON of an OCI image manifest with a regular image configuration.
pub(crate) fn oci_image_plain(config: &Blob, layers: &[&Blob]) -> Value {
    oci_image(config, OCI_CONFIG, layers)
}

/// The JSON of a Docker schema 2 image manifest.
pub(crate) fn docker_image(config: &Blob, layers: &[&Blob]) -> Value {
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| l.descriptor(crate::protocol::DOCKER_LAYER))
        .collect();
    json!({
        "schemaVersion": 2,
        "mediaType": crate::protocol::DOCKER_MANIFEST,
        "config": config.descriptor(DOCKER_CONFIG),
        "layers": layers
    })
}

/// The JSON of an index (OCI or Docker list, by `media_type`) over `children`, each
/// for linux/amd64.
pub(crate) fn index(media_type: &str, children: &[&Manifest]) -> Value {
    let manifests: Vec<Value> = children
        .iter()
        .map(|child| {
            let mut descriptor = child.descriptor();
            descriptor["platform"] = json!({ "architecture": "amd64", "os": "linux" });
            descriptor
        })
        .collect();
    json!({ "schemaVersion": 2, "mediaType": media_type, "manifests": manifests })
}

/// A random 32-hex-digit token.
pub(crate) fn token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Pretty JSON plus a newline.
fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_digest_covers_the_exact_bytes() {
        let manifest = Manifest::new(crate::protocol::OCI_MANIFEST, &json!({"a": 1}));
        assert_eq!(manifest.bytes.as_ref(), b"{\n  \"a\": 1\n}\n");
        assert_eq!(manifest.digest, digest::sha256(&manifest.bytes));
    }

    #[test]
    fn unique_blobs_differ() {
        assert_ne!(Blob::unique("x").digest, Blob::unique("x").digest);
    }
}
