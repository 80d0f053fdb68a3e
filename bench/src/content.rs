//! The bytes the benchmark pushes: blobs, digests, and OCI manifests.
//!
//! A push workload must send a different blob every time, or a registry could skip work
//! it has seen before, yet hashing 100 MiB per push would make the client the bottleneck.
//! So a [`BlobTemplate`] holds random bytes and the SHA-256 state after them, and each
//! [`Blob`] it makes appends a 16-byte suffix (run nonce, counter): unique content, a
//! digest for the price of hashing one block, and bodies that share the template's bytes.
//! Manifests follow the OCI image spec 1.1 (`manifest.md`, `descriptor.md`).

use std::collections::VecDeque;

use bytes::Bytes;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::body::FramesBody;

/// Media type of OCI image manifests.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of OCI image configs.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of uncompressed OCI layers.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// Media type of the empty JSON blob `{}` that artifacts use as config (image-spec 1.1).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// Largest frame handed to hyper, so big bodies flow in steps rather than one write.
const FRAME: usize = 1 << 20;
/// Length of the unique suffix: the run nonce and the blob counter, little-endian.
const SUFFIX: usize = 16;

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `len` pseudo-random bytes from `seed` (splitmix64): incompressible, and quick to make.
pub fn random_bytes(len: usize, seed: u64) -> Bytes {
    let mut state = seed;
    let mut buf = vec![0u8; len];
    for chunk in buf.chunks_mut(8) {
        let word = splitmix64(&mut state).to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    Bytes::from(buf)
}

/// One step of splitmix64; also used to spread counters (range offsets, seeds).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Makes unique blobs of one size cheaply; see the module docs.
#[derive(Clone)]
pub struct BlobTemplate {
    /// Random bytes shared by every blob made from this template.
    prefix: Bytes,
    /// SHA-256 state after hashing `prefix`.
    hashed_prefix: Sha256,
    /// Distinguishes this template's blobs from other runs and templates.
    nonce: u64,
    /// Size of each blob.
    size: u64,
}

impl BlobTemplate {
    /// A template for blobs of `size` bytes, seeded by `nonce`.
    pub fn new(size: u64, nonce: u64) -> Self {
        let prefix_len = usize::try_from(size)
            .unwrap_or(usize::MAX)
            .saturating_sub(SUFFIX);
        let prefix = random_bytes(prefix_len, nonce);
        let hashed_prefix = Sha256::new_with_prefix(&prefix);
        Self {
            prefix,
            hashed_prefix,
            nonce,
            size,
        }
    }

    /// Size of each blob.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The `n`-th blob: the shared prefix followed by a suffix made of the nonce and `n`.
    pub fn instance(&self, n: u64) -> Blob {
        let mut suffix = [0u8; SUFFIX];
        suffix[..8].copy_from_slice(&self.nonce.to_le_bytes());
        suffix[8..].copy_from_slice(&n.to_le_bytes());
        let keep = (self.size as usize)
            .saturating_sub(self.prefix.len())
            .min(SUFFIX);
        let suffix = Bytes::copy_from_slice(&suffix[..keep]);

        let digest = self.hashed_prefix.clone().chain_update(&suffix).finalize();
        Blob {
            parts: vec![self.prefix.clone(), suffix],
            len: self.size,
            digest: format!("sha256:{}", hex::encode(digest)),
        }
    }
}

/// A blob to upload: its bytes (in shared parts) and its digest.
#[derive(Clone, Debug)]
pub struct Blob {
    /// The content, in order; parts are shared, not copied.
    parts: Vec<Bytes>,
    /// Total length of `parts`.
    len: u64,
    /// `sha256:<hex>` of the content.
    digest: String,
}

impl Blob {
    /// A blob of the given bytes; hashes them.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self {
            digest: sha256_digest(&bytes),
            len: bytes.len() as u64,
            parts: vec![bytes],
        }
    }

    /// `sha256:<hex>` of the content.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the blob has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A descriptor of this blob with `media_type`.
    pub fn descriptor(&self, media_type: &str) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: self.digest.clone(),
            size: self.len,
        }
    }

    /// The whole blob as a request body.
    pub fn body(&self) -> FramesBody {
        self.slice(0, self.len)
    }

    /// Bytes `start..end` as a request body of zero-copy frames.
    pub fn slice(&self, start: u64, end: u64) -> FramesBody {
        let mut frames = VecDeque::new();
        let mut offset = 0u64;
        for part in &self.parts {
            let (part_start, part_end) = (offset, offset + part.len() as u64);
            offset = part_end;
            if part_end <= start || part_start >= end {
                continue;
            }
            let from = (start.max(part_start) - part_start) as usize;
            let to = (end.min(part_end) - part_start) as usize;
            let mut piece = part.slice(from..to);
            while piece.len() > FRAME {
                frames.push_back(piece.split_to(FRAME));
            }
            frames.push_back(piece);
        }
        FramesBody::new(frames)
    }
}

/// An OCI content descriptor: what a manifest says about a blob or another manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// Media type of the content.
    pub media_type: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// Length of the content in bytes.
    pub size: u64,
}

impl Descriptor {
    fn to_json(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// An OCI image manifest to push; [`ImageManifest::to_bytes`] gives its exact bytes.
#[derive(Clone, Debug)]
pub struct ImageManifest<'a> {
    /// The config blob.
    pub config: &'a Descriptor,
    /// The layers, in order.
    pub layers: &'a [Descriptor],
    /// The manifest this one refers to, for referrers.
    pub subject: Option<&'a Descriptor>,
    /// The artifact type, for referrers.
    pub artifact_type: Option<&'a str>,
    /// Annotations, in order.
    pub annotations: &'a [(&'a str, String)],
}

impl ImageManifest<'_> {
    /// The manifest serialised as compact JSON.
    pub fn to_bytes(&self) -> Bytes {
        let mut doc = Map::new();
        doc.insert("schemaVersion".into(), json!(2));
        doc.insert("mediaType".into(), json!(OCI_MANIFEST));
        if let Some(artifact_type) = self.artifact_type {
            doc.insert("artifactType".into(), json!(artifact_type));
        }
        doc.insert("config".into(), self.config.to_json());
        let layers = self.layers.iter().map(Descriptor::to_json).collect();
        doc.insert("layers".into(), Value::Array(layers));
        if let Some(subject) = self.subject {
            doc.insert("subject".into(), subject.to_json());
        }
        if !self.annotations.is_empty() {
            let pairs = self
                .annotations
                .iter()
                .map(|(k, v)| ((*k).into(), json!(v)));
            doc.insert("annotations".into(), Value::Object(pairs.collect()));
        }
        Bytes::from(Value::Object(doc).to_string())
    }
}

/// A small, valid OCI image config, made unique by `label`.
pub fn image_config(label: &str, layer_digests: &[&str]) -> Bytes {
    let doc = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"dev.cairn.bench.label": label}},
        "rootfs": {"type": "layers", "diff_ids": layer_digests},
    });
    Bytes::from(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn collect(body: FramesBody) -> Vec<u8> {
        let bytes = body.collect().await.map(|c| c.to_bytes());
        bytes.map(|b| b.to_vec()).unwrap_or_default()
    }

    #[tokio::test]
    async fn template_instances_are_unique_and_their_digests_match_their_bytes() {
        let template = BlobTemplate::new(3000, 7);
        let (first, second) = (template.instance(0), template.instance(1));
        assert_ne!(first.digest(), second.digest());

        let bytes = collect(first.body()).await;
        assert_eq!(bytes.len(), 3000);
        assert_eq!(sha256_digest(&bytes), first.digest());
    }

    #[tokio::test]
    async fn slices_cover_the_requested_range_across_parts() {
        let blob = BlobTemplate::new(100, 3).instance(9);
        let whole = collect(blob.body()).await;
        let middle = collect(blob.slice(80, 95)).await;
        assert_eq!(middle, whole[80..95]);
        assert!(blob.slice(100, 100).is_empty());
    }

    #[test]
    fn templates_smaller_than_the_suffix_keep_their_size() {
        let blob = BlobTemplate::new(4, 1).instance(2);
        assert_eq!(blob.len(), 4);
        assert_eq!(blob.body().len(), 4);
    }

    #[test]
    fn manifests_carry_subject_and_artifact_type_when_given() {
        let config = Blob::from_bytes(Bytes::from_static(b"{}")).descriptor(OCI_EMPTY);
        let subject = Descriptor {
            media_type: OCI_MANIFEST.into(),
            digest: "sha256:ab".into(),
            size: 3,
        };
        let annotations = [("k", "v".to_string())];
        let bytes = ImageManifest {
            config: &config,
            layers: std::slice::from_ref(&config),
            subject: Some(&subject),
            artifact_type: Some("application/example"),
            annotations: &annotations,
        }
        .to_bytes();

        let doc: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(doc["artifactType"], "application/example");
        assert_eq!(doc["subject"]["digest"], "sha256:ab");
        assert_eq!(doc["layers"][0]["size"], 2);
        assert_eq!(doc["annotations"]["k"], "v");
    }
}
