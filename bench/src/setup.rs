//! Turns a workload into a [`Plan`] for one target, pushing what it needs first.
//!
//! Every run writes into fresh repositories, `<prefix>/<workload>` with a per-run
//! prefix, so runs never see each other's content. Where `--no-setup` applies, nothing is
//! pushed: manifest, tag-list and referrers workloads read the existing `--repo` and
//! `--tag` (the digest comes from a HEAD), ping and pushes need nothing, and the rest
//! cannot run. That is how a server without storage, like the ceiling server, is measured.

use http::Method;

use crate::cli::Settings;
use crate::client::HttpClient;
use crate::content::BlobTemplate;
use crate::error::BenchError;
use crate::fixtures::{push_image, push_referrers, push_tags};
use crate::plan::{MixedPlan, Plan};
use crate::registry::{push_blob, resolve_digest, PushMode};
use crate::workload::{PushKind, Workload};

/// Size of the layer in images whose manifests are fetched.
const SMALL_LAYER: u64 = 4 << 10;
/// Size of the blob that ranged GETs read from.
const RANGED_BLOB: u64 = 64 << 20;
/// Bytes per ranged GET.
const RANGE_LEN: u64 = 1 << 20;
/// Descriptors per page in the referrers-page workload.
const PAGE_REFERRERS: u32 = 10;
/// A cursor half way through the digest space, so the page comes from the middle of the
/// list (a registry pages referrers in its own order; in digest order this is the middle).
const MIDDLE_CURSOR: &str =
    "sha256:8000000000000000000000000000000000000000000000000000000000000000";
/// Size of the layers the mixed workload pulls and pushes.
const MIXED_LAYER: u64 = 1 << 20;

/// What setup needs to know about the run and the target.
pub struct SetupContext<'a> {
    /// The target's client.
    pub client: &'a HttpClient,
    /// How progress lines name this target and workload, e.g. `A tags-list`.
    pub label: String,
    /// Repository prefix unique to this run, e.g. `cairn-bench/r18c2f`.
    pub repo_prefix: &'a str,
    /// Seed for blob contents, distinct per workload and target.
    pub seed: u64,
    /// Push nothing on this target: read `--repo` and `--tag` instead.
    pub no_setup: bool,
    /// The validated command line.
    pub settings: &'a Settings,
}

/// Pushes the content `workload` reads (unless setup is off here) and returns its plan.
pub async fn prepare(workload: Workload, cx: &SetupContext<'_>) -> Result<Plan, BenchError> {
    let client = cx.client;
    let repo = format!("{}/{}", cx.repo_prefix, workload.name());
    match workload {
        Workload::Ping => Ok(fetch_plan(Method::GET, client.uri("/v2/")?, false, None)),
        Workload::ManifestHeadTag | Workload::ManifestGetTag => {
            let (repo, tag, _) = manifest_fixture(cx, &repo).await?;
            let uri = client.uri(&format!("/v2/{repo}/manifests/{tag}"))?;
            Ok(fetch_plan(manifest_method(workload), uri, true, None))
        }
        Workload::ManifestHeadDigest | Workload::ManifestGetDigest => {
            let (repo, _, digest) = manifest_fixture(cx, &repo).await?;
            let uri = client.uri(&format!("/v2/{repo}/manifests/{digest}"))?;
            Ok(fetch_plan(manifest_method(workload), uri, true, None))
        }
        Workload::BlobGet(mib) => {
            let blob = BlobTemplate::new(mib << 20, cx.seed).instance(0);
            push_blob(client, &repo, &blob, PushMode::Monolithic).await?;
            let uri = client.uri(&format!("/v2/{repo}/blobs/{}", blob.digest()))?;
            Ok(fetch_plan(Method::GET, uri, false, Some(blob.len())))
        }
        Workload::BlobGetRange => {
            let blob = BlobTemplate::new(RANGED_BLOB, cx.seed).instance(0);
            push_blob(client, &repo, &blob, PushMode::Monolithic).await?;
            let uri = client.uri(&format!("/v2/{repo}/blobs/{}", blob.digest()))?;
            Ok(Plan::RangedFetch {
                uri,
                blob_len: blob.len(),
                range_len: RANGE_LEN,
            })
        }
        Workload::Push(kind, mib) => Ok(Plan::Push {
            repo,
            template: Box::new(BlobTemplate::new(mib << 20, cx.seed)),
            mode: match kind {
                PushKind::Monolithic => PushMode::Monolithic,
                PushKind::Chunked => PushMode::Chunked {
                    chunk: cx.settings.chunk,
                },
            },
        }),
        Workload::Mixed => {
            let image = push_image(client, &repo, "pull", MIXED_LAYER, cx.seed).await?;
            Ok(Plan::Mixed(Box::new(MixedPlan {
                manifest_uri: client.uri(&format!("/v2/{repo}/manifests/pull"))?,
                layer_uri: client.uri(&format!("/v2/{repo}/blobs/{}", image.layer.digest))?,
                config: image.config,
                template: BlobTemplate::new(MIXED_LAYER, cx.seed.wrapping_add(1)),
                repo,
            })))
        }
        Workload::TagsList => {
            let repo = if cx.no_setup {
                cx.settings.repo.clone()
            } else {
                let image = push_image(client, &repo, "latest", SMALL_LAYER, cx.seed).await?;
                let (count, workers) = (cx.settings.tags, cx.settings.setup_concurrency);
                push_tags(client, &repo, &image, count, workers, &cx.label).await?;
                repo
            };
            let uri = client.uri(&format!("/v2/{repo}/tags/list"))?;
            Ok(Plan::List { uri })
        }
        Workload::Referrers => {
            let (repo, subject) = referrers_fixture(cx, &repo).await?;
            let uri = client.uri(&format!("/v2/{repo}/referrers/{subject}"))?;
            Ok(Plan::List { uri })
        }
        Workload::ReferrersPage => {
            let (repo, subject) = referrers_fixture(cx, &repo).await?;
            let query = format!("n={PAGE_REFERRERS}&last={MIDDLE_CURSOR}");
            let uri = client.uri(&format!("/v2/{repo}/referrers/{subject}?{query}"))?;
            Ok(fetch_plan(Method::GET, uri, false, None))
        }
    }
}

/// The repository and subject digest of a subject with `--referrers` referrers: pushed
/// now, or where setup is off the given `--repo:--tag`, resolved by a HEAD.
async fn referrers_fixture(
    cx: &SetupContext<'_>,
    repo: &str,
) -> Result<(String, String), BenchError> {
    let client = cx.client;
    if cx.no_setup {
        let repo = cx.settings.repo.clone();
        let digest = resolve_digest(client, &repo, &cx.settings.tag).await?;
        return Ok((repo, digest));
    }
    let image = push_image(client, repo, "latest", SMALL_LAYER, cx.seed).await?;
    let (count, workers) = (cx.settings.referrers, cx.settings.setup_concurrency);
    push_referrers(client, repo, &image.manifest, count, workers, &cx.label).await?;
    Ok((repo.to_owned(), image.manifest.digest))
}

/// The repository, tag and digest of the manifest to fetch: an image pushed now, or
/// where setup is off the given `--repo:--tag`, resolved by a HEAD.
async fn manifest_fixture(
    cx: &SetupContext<'_>,
    repo: &str,
) -> Result<(String, String, String), BenchError> {
    let settings = cx.settings;
    if cx.no_setup {
        let digest = resolve_digest(cx.client, &settings.repo, &settings.tag).await?;
        return Ok((settings.repo.clone(), settings.tag.clone(), digest));
    }
    let image = push_image(cx.client, repo, "latest", SMALL_LAYER, cx.seed).await?;
    Ok((repo.to_owned(), "latest".into(), image.manifest.digest))
}

fn manifest_method(workload: Workload) -> Method {
    match workload {
        Workload::ManifestHeadTag | Workload::ManifestHeadDigest => Method::HEAD,
        _ => Method::GET,
    }
}

fn fetch_plan(method: Method, uri: http::Uri, manifest: bool, expect_len: Option<u64>) -> Plan {
    Plan::Fetch {
        method,
        uri,
        manifest,
        expect_len,
    }
}
