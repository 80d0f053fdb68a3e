//! The timed operation of each workload, with everything its setup prepared.
//!
//! A [`Plan`] is built once per workload and target by [`crate::setup`]; the runner then
//! calls [`Plan::run_once`] from every worker. `seq` numbers the operations of a plan
//! across rounds, so pushes make distinct blobs and ranged reads move around the blob.

use http::{Method, Uri};

use crate::client::HttpClient;
use crate::content::{
    splitmix64, BlobTemplate, Descriptor, ImageManifest, OCI_LAYER, OCI_MANIFEST,
};
use crate::error::BenchError;
use crate::registry::{fetch, list_all_pages, push_blob, put_manifest, PushMode};

/// In the mixed workload, one operation in this many is a push; the others are pulls.
const MIXED_PUSH_EVERY: u64 = 4;

/// What one timed operation does.
#[derive(Clone)]
pub enum Plan {
    /// One GET or HEAD; for blobs the body length is checked.
    Fetch {
        /// GET or HEAD.
        method: Method,
        /// What to fetch.
        uri: Uri,
        /// Whether to send the manifest `Accept` header.
        manifest: bool,
        /// The body length a GET must deliver, when known.
        expect_len: Option<u64>,
    },
    /// One GET with `Range` of `range_len` bytes at an offset that varies with `seq`.
    RangedFetch {
        /// The blob.
        uri: Uri,
        /// Length of the blob.
        blob_len: u64,
        /// Bytes per request.
        range_len: u64,
    },
    /// One upload of a fresh blob from `template`.
    Push {
        /// Repository pushed to.
        repo: String,
        /// Source of unique blobs (boxed: the hash state is large).
        template: Box<BlobTemplate>,
        /// Monolithic or chunked.
        mode: PushMode,
    },
    /// A pull of an image or a push of one; see [`MixedPlan`] (boxed: it is large and
    /// built once).
    Mixed(Box<MixedPlan>),
    /// A listing that follows `Link` pages to the end.
    List {
        /// The first page.
        uri: Uri,
    },
}

/// The prepared state of the mixed workload.
#[derive(Clone)]
pub struct MixedPlan {
    /// Repository pulled from and pushed to.
    pub repo: String,
    /// The manifest each pull GETs, by tag.
    pub manifest_uri: Uri,
    /// The layer each pull GETs after the manifest.
    pub layer_uri: Uri,
    /// The config every pushed manifest names (already in the repository).
    pub config: Descriptor,
    /// Source of each push's unique layer.
    pub template: BlobTemplate,
}

impl Plan {
    /// Performs operation number `seq`; returns the payload bytes moved.
    pub async fn run_once(&self, client: &HttpClient, seq: u64) -> Result<u64, BenchError> {
        match self {
            Self::Fetch {
                method,
                uri,
                manifest,
                expect_len,
            } => {
                let reply = fetch(client, method, uri, None, *manifest).await?;
                check_len(uri, reply.body_len, *expect_len)?;
                Ok(reply.body_len)
            }
            Self::RangedFetch {
                uri,
                blob_len,
                range_len,
            } => {
                let first = range_offset(seq, *blob_len, *range_len);
                let last = first + range_len - 1;
                let reply = fetch(client, &Method::GET, uri, Some((first, last)), false).await?;
                check_len(uri, reply.body_len, Some(*range_len))?;
                Ok(reply.body_len)
            }
            Self::Push {
                repo,
                template,
                mode,
            } => {
                let blob = template.instance(seq);
                push_blob(client, repo, &blob, *mode).await?;
                Ok(blob.len())
            }
            Self::Mixed(plan) if seq % MIXED_PUSH_EVERY == MIXED_PUSH_EVERY - 1 => {
                plan.push_image(client, seq).await
            }
            Self::Mixed(plan) => plan.pull_image(client).await,
            Self::List { uri } => list_all_pages(client, uri).await,
        }
    }
}

impl MixedPlan {
    /// GETs the manifest by tag, then its layer.
    async fn pull_image(&self, client: &HttpClient) -> Result<u64, BenchError> {
        let manifest = fetch(client, &Method::GET, &self.manifest_uri, None, true).await?;
        let layer = fetch(client, &Method::GET, &self.layer_uri, None, false).await?;
        Ok(manifest.body_len + layer.body_len)
    }

    /// Pushes a fresh layer, then a manifest naming it under tag `m<seq>`.
    async fn push_image(&self, client: &HttpClient, seq: u64) -> Result<u64, BenchError> {
        let layer = self.template.instance(seq);
        push_blob(client, &self.repo, &layer, PushMode::Monolithic).await?;

        let layers = [layer.descriptor(OCI_LAYER)];
        let manifest = ImageManifest {
            config: &self.config,
            layers: &layers,
            subject: None,
            artifact_type: None,
            annotations: &[],
        }
        .to_bytes();
        let manifest_len = manifest.len() as u64;
        let tag = format!("m{seq}");
        put_manifest(client, &self.repo, &tag, OCI_MANIFEST, manifest).await?;
        Ok(layer.len() + manifest_len)
    }
}

/// The first byte of range read number `seq`: spread over the blob, never past its end.
pub fn range_offset(seq: u64, blob_len: u64, range_len: u64) -> u64 {
    let span = blob_len.saturating_sub(range_len) + 1;
    let mut state = seq;
    splitmix64(&mut state) % span
}

fn check_len(uri: &Uri, got: u64, expected: Option<u64>) -> Result<(), BenchError> {
    match expected {
        Some(want) if want != got => Err(BenchError::Protocol(format!(
            "GET {} delivered {got} bytes instead of {want}",
            uri.path()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_offsets_stay_inside_the_blob() {
        for seq in 0..1000 {
            let first = range_offset(seq, 64 << 20, 1 << 20);
            assert!(first + (1 << 20) <= 64 << 20);
        }
    }

    #[test]
    fn range_offsets_vary() {
        let offsets: std::collections::HashSet<u64> = (0..100)
            .map(|s| range_offset(s, 64 << 20, 1 << 20))
            .collect();
        assert!(offsets.len() > 90);
    }

    #[test]
    fn a_range_as_long_as_the_blob_starts_at_zero() {
        assert_eq!(range_offset(5, 10, 10), 0);
    }
}
