//! Content pushed before timing: small images, many tags, many referrers.
//!
//! Large fixtures are pushed by several workers at once, with [`Progress`] on stderr.
//! Referrers are OCI image manifests with `subject` and `artifactType` and the empty
//! config, as image-spec 1.1 recommends for artifacts; pushing them works on any
//! registry, whether or not it serves the referrers API.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::client::HttpClient;
use crate::content::{
    image_config, Blob, BlobTemplate, Descriptor, ImageManifest, OCI_CONFIG, OCI_EMPTY, OCI_LAYER,
    OCI_MANIFEST,
};
use crate::error::BenchError;
use crate::progress::Progress;
use crate::registry::{push_blob, put_manifest, PushMode};

/// Artifact types the referrers alternate between, like signatures and SBOMs would.
const ARTIFACT_TYPES: [&str; 3] = [
    "application/vnd.dev.cairn.bench.signature.v1",
    "application/vnd.dev.cairn.bench.sbom.v1+json",
    "application/vnd.dev.cairn.bench.scan.v1+json",
];

/// An image that has been pushed: its manifest and the blobs it names.
#[derive(Clone, Debug)]
pub struct PushedImage {
    /// Descriptor of the manifest.
    pub manifest: Descriptor,
    /// The exact manifest bytes.
    pub manifest_bytes: Bytes,
    /// Descriptor of the config blob.
    pub config: Descriptor,
    /// Descriptor of the single layer.
    pub layer: Descriptor,
}

/// Pushes a one-layer image to `repo:tag`, the layer `layer_size` random bytes.
pub async fn push_image(
    client: &HttpClient,
    repo: &str,
    tag: &str,
    layer_size: u64,
    seed: u64,
) -> Result<PushedImage, BenchError> {
    let layer = BlobTemplate::new(layer_size, seed).instance(0);
    push_blob(client, repo, &layer, PushMode::Monolithic).await?;
    let config = Blob::from_bytes(image_config(repo, &[layer.digest()]));
    push_blob(client, repo, &config, PushMode::Monolithic).await?;

    let (config, layer) = (config.descriptor(OCI_CONFIG), layer.descriptor(OCI_LAYER));
    let manifest_bytes = ImageManifest {
        config: &config,
        layers: std::slice::from_ref(&layer),
        subject: None,
        artifact_type: None,
        annotations: &[],
    }
    .to_bytes();
    put_manifest(client, repo, tag, OCI_MANIFEST, manifest_bytes.clone()).await?;

    let manifest = Blob::from_bytes(manifest_bytes.clone()).descriptor(OCI_MANIFEST);
    Ok(PushedImage {
        manifest,
        manifest_bytes,
        config,
        layer,
    })
}

/// Tags `image` (already in `repo`) `count` times, as `t00000`, `t00001`, ...
pub async fn push_tags(
    client: &HttpClient,
    repo: &str,
    image: &PushedImage,
    count: u64,
    concurrency: usize,
    label: &str,
) -> Result<(), BenchError> {
    let (client, repo) = (client.clone(), Arc::<str>::from(repo));
    let bytes = image.manifest_bytes.clone();
    let progress = Progress::start(format!("{label}: tags pushed"), Some(count));
    let result = for_each_concurrently(count, concurrency, &progress, move |i| {
        let (client, repo, bytes) = (client.clone(), repo.clone(), bytes.clone());
        async move { put_manifest(&client, &repo, &format!("t{i:05}"), OCI_MANIFEST, bytes).await }
    })
    .await;
    progress.finish();
    result
}

/// Pushes `count` referrers of `subject` into `repo`, each by digest.
pub async fn push_referrers(
    client: &HttpClient,
    repo: &str,
    subject: &Descriptor,
    count: u64,
    concurrency: usize,
    label: &str,
) -> Result<(), BenchError> {
    let empty = Blob::from_bytes(Bytes::from_static(b"{}"));
    push_blob(client, repo, &empty, PushMode::Monolithic).await?;

    let empty = empty.descriptor(OCI_EMPTY);
    let (client, repo, subject) = (client.clone(), Arc::<str>::from(repo), subject.clone());
    let progress = Progress::start(format!("{label}: referrers pushed"), Some(count));
    let result = for_each_concurrently(count, concurrency, &progress, move |i| {
        let bytes = referrer_manifest(&empty, &subject, i);
        let (client, repo) = (client.clone(), repo.clone());
        async move {
            let digest = crate::content::sha256_digest(&bytes);
            put_manifest(&client, &repo, &digest, OCI_MANIFEST, bytes).await
        }
    })
    .await;
    progress.finish();
    result
}

/// The `index`-th referrer of `subject`: unique through its annotations.
fn referrer_manifest(empty: &Descriptor, subject: &Descriptor, index: u64) -> Bytes {
    let artifact_type = ARTIFACT_TYPES[(index % ARTIFACT_TYPES.len() as u64) as usize];
    let annotations = [
        (
            "org.opencontainers.image.created",
            "2024-01-01T00:00:00Z".to_string(),
        ),
        ("dev.cairn.bench.index", index.to_string()),
    ];
    ImageManifest {
        config: empty,
        layers: std::slice::from_ref(empty),
        subject: Some(subject),
        artifact_type: Some(artifact_type),
        annotations: &annotations,
    }
    .to_bytes()
}

/// Runs `task(0..count)` on `concurrency` workers, counting finished items in `progress`;
/// stops at the first error and returns it.
pub async fn for_each_concurrently<F, Fut>(
    count: u64,
    concurrency: usize,
    progress: &Progress,
    task: F,
) -> Result<(), BenchError>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BenchError>> + Send,
{
    let task = Arc::new(task);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (task, next, failed, done) = (
            task.clone(),
            next.clone(),
            failed.clone(),
            progress.counter(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || failed.load(Ordering::Relaxed) {
                    return Ok(());
                }
                if let Err(error) = task(i).await {
                    failed.store(true, Ordering::Relaxed);
                    return Err(error);
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    let mut first_error = None;
    for worker in workers {
        let outcome = worker
            .await
            .unwrap_or_else(|e| Err(BenchError::Protocol(format!("setup worker died: {e}"))));
        if let (Err(error), None) = (outcome, &first_error) {
            first_error = Some(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_differ_and_alternate_artifact_types() {
        let empty = Blob::from_bytes(Bytes::from_static(b"{}")).descriptor(OCI_EMPTY);
        let subject = empty.clone();
        let (a, b) = (
            referrer_manifest(&empty, &subject, 0),
            referrer_manifest(&empty, &subject, 1),
        );
        assert_ne!(a, b);
        let doc: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
        assert_eq!(doc["artifactType"], ARTIFACT_TYPES[1]);
    }

    #[tokio::test]
    async fn for_each_concurrently_visits_every_index_once() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let progress = Progress::start("test".into(), Some(50));
        let record = seen.clone();
        let result = for_each_concurrently(50, 4, &progress, move |i| {
            let record = record.clone();
            async move {
                record.lock().map(|mut v| v.push(i)).ok();
                Ok(())
            }
        })
        .await;
        progress.finish();

        assert!(result.is_ok());
        let mut seen = seen.lock().map(|v| v.clone()).unwrap_or_default();
        seen.sort();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn for_each_concurrently_returns_the_first_error() {
        let progress = Progress::start("test".into(), Some(10));
        let result = for_each_concurrently(10, 2, &progress, |i| async move {
            match i {
                3 => Err(BenchError::Protocol("boom".into())),
                _ => Ok(()),
            }
        })
        .await;
        progress.finish();
        assert_eq!(result.map_err(|e| e.to_string()), Err("boom".to_string()));
    }
}
