//! Content discovery: listing tags with `n`, `last` and `Link` pagination, and the
//! repository catalog.
//!
//! Spec: distribution-spec, Content Discovery / "Listing Tags". `GET /v2/_catalog` is not
//! in the OCI specification (it comes from the Docker Registry HTTP API V2); registries
//! that do not offer it are skipped, not failed.

use serde::Deserialize;

use crate::client::{Client, Reply};
use crate::fixtures::{self, Blob, Manifest};
use crate::protocol::{next_link, OCI_MANIFEST};
use crate::steps;
use crate::suite::{ensure, fail, skip, Checked, Spec, Suite};

static SETUP: Spec = Spec {
    id: "discovery.setup",
    says: "a manifest can be pushed under several tags (PUT answers 201)",
};
static TAGS_LIST: Spec = Spec {
    id: "discovery.tags.list",
    says: "GET /v2/<name>/tags/list MUST return 200 OK with {\"name\": <name>, \"tags\": [...]}, \
           the tags in lexical or ASCIIbetical order",
};
static TAGS_N: Spec = Spec {
    id: "discovery.tags.n",
    says: "with ?n=<int> the response MUST include <int> results, or fewer only when there are \
           fewer tags or a Link header is provided; the list starts at the beginning",
};
static TAGS_LAST: Spec = Spec {
    id: "discovery.tags.last",
    says: "?n=<int>&last=<tagname> returns up to <int> tags after <tagname>, <tagname> itself \
           not included, in order",
};
static TAGS_N_ZERO: Spec = Spec {
    id: "discovery.tags.n-zero",
    says: "when n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link \
           header",
};
static TAGS_PAGES: Spec = Spec {
    id: "discovery.tags.pagination",
    says: "paging with n, following Link: <...>; rel=\"next\" (RFC 5988) when given and last \
           otherwise, yields every tag exactly once, in order",
};
static CATALOG_LAST: Spec = Spec {
    id: "discovery.catalog.last",
    says: "Docker Registry API V2 (not OCI): GET /v2/_catalog?n=<int>&last=<name> lists up to \
           <int> repositories after <name>, in lexical order",
};
static CATALOG_PAGES: Spec = Spec {
    id: "discovery.catalog.pagination",
    says: "Docker Registry API V2 (not OCI): following the catalog's Link: <...>; rel=\"next\" \
           yields every repository once, in lexical order",
};

/// Every check of this group, in run order.
pub(crate) const CHECKS: &[&Spec] = &[
    &SETUP,
    &TAGS_LIST,
    &TAGS_N,
    &TAGS_LAST,
    &TAGS_N_ZERO,
    &TAGS_PAGES,
    &CATALOG_LAST,
    &CATALOG_PAGES,
];

/// Tags pushed, in push order (not sorted, so sorting is the registry's work).
const TAGS: [&str; 5] = ["delta", "alpha", "echo", "bravo", "charlie"];
/// Most pages any listing may take before the check gives up.
const MAX_PAGES: usize = 100;

/// Body of a tag list.
#[derive(Deserialize)]
struct TagList {
    /// Repository name.
    name: String,
    /// Tags; `null` is read as absent.
    tags: Option<Vec<String>>,
}

/// Body of a catalog page.
#[derive(Deserialize)]
struct Catalog {
    /// Repository names.
    repositories: Option<Vec<String>>,
}

/// Runs the group.
pub(crate) async fn run(suite: &mut Suite) {
    let client = suite.client.clone();
    let repo = suite.repo("discovery");
    let mut sorted: Vec<String> = TAGS.iter().map(|t| (*t).to_owned()).collect();
    sorted.sort();

    if suite
        .run(&SETUP, setup(&client, &repo, &TAGS))
        .await
        .is_none()
    {
        suite.skip_all(&CHECKS[1..6], &SETUP);
    } else {
        suite
            .run(&TAGS_LIST, tags_list(&client, &repo, &sorted))
            .await;
        suite.run(&TAGS_N, tags_n(&client, &repo, &sorted)).await;
        suite
            .run(&TAGS_LAST, tags_last(&client, &repo, &sorted))
            .await;
        suite.run(&TAGS_N_ZERO, tags_n_zero(&client, &repo)).await;
        suite
            .run(&TAGS_PAGES, tags_pages(&client, &repo, &sorted))
            .await;
    }

    let names: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|s| suite.repo(&format!("catalog-{s}")))
        .collect();
    let after = suite.repo("catalog");
    let ready = suite
        .run(&CATALOG_LAST, catalog_last(&client, &names, &after))
        .await;
    if suite
        .gate(&CATALOG_PAGES, &CATALOG_LAST, ready.as_ref())
        .is_some()
    {
        suite
            .run(&CATALOG_PAGES, catalog_pages(&client, &names, &after))
            .await;
    }
}

/// Pushes one manifest to `repo` under every tag in `tags`.
async fn setup(client: &Client, repo: &str, tags: &[&str]) -> Checked<()> {
    let config = Blob::image_config();
    let layer = Blob::unique("discovery layer");
    steps::push_blobs(client, repo, &[&config, &layer]).await?;
    let manifest = Manifest::new(OCI_MANIFEST, &fixtures::oci_image_plain(&config, &[&layer]));
    for tag in tags {
        steps::put_manifest(client, repo, tag, &manifest)
            .await?
            .expect(201)?;
    }
    Ok(())
}

/// GETs one tag-list page; returns its tags and its next link.
async fn tag_page(
    client: &Client,
    target: &str,
    repo: &str,
) -> Checked<(Vec<String>, Option<String>)> {
    let reply = client.get(target).send().await?;
    reply.expect(200)?;
    let list: TagList = reply.json()?;
    ensure!(
        list.name == repo,
        "{} named the repository {:?}",
        reply.what(),
        list.name
    );
    Ok((list.tags.unwrap_or_default(), checked_link(&reply)?))
}

/// The next link of a reply; fails when a `Link` header is there without `rel="next"`.
fn checked_link(reply: &Reply) -> Checked<Option<String>> {
    let next = next_link(reply);
    if next.is_none() {
        if let Some(link) = reply.header("link") {
            fail!(
                "{} sent Link: {link}, which is not <url>; rel=\"next\"",
                reply.what()
            );
        }
    }
    Ok(next)
}

async fn tags_list(client: &Client, repo: &str, sorted: &[String]) -> Checked<()> {
    let (tags, _) = tag_page(client, &format!("/v2/{repo}/tags/list"), repo).await?;
    ensure!(
        tags == sorted,
        "tags/list answered {tags:?}, expected {sorted:?}"
    );
    Ok(())
}

async fn tags_n(client: &Client, repo: &str, sorted: &[String]) -> Checked<()> {
    let (tags, next) = tag_page(client, &format!("/v2/{repo}/tags/list?n=2"), repo).await?;
    let expected = &sorted[..2];
    match next {
        Some(_) => ensure!(
            tags.len() <= 2 && tags[..] == expected[..tags.len()],
            "n=2 answered {tags:?} with a Link, expected a prefix of {expected:?}"
        ),
        None => ensure!(
            tags == expected,
            "n=2 answered {tags:?}, expected {expected:?}"
        ),
    }
    Ok(())
}

async fn tags_last(client: &Client, repo: &str, sorted: &[String]) -> Checked<()> {
    let target = format!("/v2/{repo}/tags/list?n=2&last={}", sorted[1]);
    let (tags, next) = tag_page(client, &target, repo).await?;
    let expected = &sorted[2..4];
    match next {
        Some(_) => ensure!(
            tags.len() <= 2 && tags[..] == expected[..tags.len()],
            "n=2&last={} answered {tags:?} with a Link, expected a prefix of {expected:?}",
            sorted[1]
        ),
        None => ensure!(
            tags == expected,
            "n=2&last={} answered {tags:?}, expected {expected:?}",
            sorted[1]
        ),
    }
    Ok(())
}

async fn tags_n_zero(client: &Client, repo: &str) -> Checked<()> {
    let reply = client
        .get(&format!("/v2/{repo}/tags/list?n=0"))
        .send()
        .await?;
    reply.expect(200)?;
    ensure!(
        reply.header("link").is_none(),
        "n=0 answered with a Link header"
    );
    let list: serde_json::Value = reply.json()?;
    let tags = &list["tags"];
    ensure!(
        tags.as_array().is_some_and(Vec::is_empty),
        "n=0 answered tags {tags}, expected an empty list []"
    );
    Ok(())
}

async fn tags_pages(client: &Client, repo: &str, sorted: &[String]) -> Checked<()> {
    let mut seen: Vec<String> = Vec::new();
    let mut target = format!("/v2/{repo}/tags/list?n=2");
    for _ in 0..MAX_PAGES {
        let (tags, next) = tag_page(client, &target, repo).await?;
        if let Some(again) = tags.iter().find(|t| seen.contains(t)) {
            fail!("GET {target} repeated {again:?}, already on an earlier page");
        }
        let done = tags.is_empty() || (next.is_none() && tags.len() < 2);
        seen.extend(tags);
        if done {
            ensure!(
                seen == sorted,
                "pages yielded {seen:?}, expected {sorted:?}"
            );
            return Ok(());
        }
        target = match (next, seen.last()) {
            (Some(next), _) => next,
            (None, Some(last)) => format!("/v2/{repo}/tags/list?n=2&last={last}"),
            (None, None) => break,
        };
    }
    fail!("pagination did not end within {MAX_PAGES} pages; seen {seen:?}")
}

/// GETs one catalog page; skips when the registry has no catalog.
async fn catalog_page(client: &Client, target: &str) -> Checked<(Vec<String>, Option<String>)> {
    let reply = client.get(target).send().await?;
    if matches!(reply.status.as_u16(), 401 | 403 | 404 | 405) {
        skip!(
            "{}: the catalog is not part of the OCI specification",
            reply.describe()
        );
    }
    reply.expect(200)?;
    let catalog: Catalog = reply.json()?;
    Ok((
        catalog.repositories.unwrap_or_default(),
        checked_link(&reply)?,
    ))
}

async fn catalog_last(client: &Client, names: &[String], after: &str) -> Checked<()> {
    setup(client, &names[0], &["latest"]).await?;
    setup(client, &names[1], &["latest"]).await?;
    setup(client, &names[2], &["latest"]).await?;

    let (repos, next) = catalog_page(client, &format!("/v2/_catalog?n=2&last={after}")).await?;
    let expected = &names[..2];
    match next {
        Some(_) => ensure!(
            repos.len() <= 2 && repos[..] == expected[..repos.len()],
            "n=2&last={after} answered {repos:?} with a Link, expected a prefix of {expected:?}"
        ),
        None => ensure!(
            repos == expected,
            "n=2&last={after} answered {repos:?}, expected {expected:?}"
        ),
    }
    Ok(())
}

async fn catalog_pages(client: &Client, names: &[String], after: &str) -> Checked<()> {
    let mut seen: Vec<String> = Vec::new();
    let mut target = format!("/v2/_catalog?n=2&last={after}");
    for _ in 0..MAX_PAGES {
        let (repos, next) = catalog_page(client, &target).await?;
        if let Some(again) = repos.iter().find(|r| seen.contains(r)) {
            fail!("GET {target} repeated {again:?}, already on an earlier page");
        }
        let past_ours = repos.iter().any(|r| r.as_str() > names[2].as_str());
        let done = repos.is_empty() || past_ours || (next.is_none() && repos.len() < 2);
        seen.extend(repos.into_iter().filter(|r| r.starts_with(after)));
        if done {
            ensure!(
                seen == names,
                "catalog pages yielded {seen:?}, expected {names:?}"
            );
            return Ok(());
        }
        let last = seen.last().cloned().unwrap_or_else(|| after.to_owned());
        target = next.unwrap_or_else(|| format!("/v2/_catalog?n=2&last={last}"));
    }
    fail!("catalog pagination did not end within {MAX_PAGES} pages")
}
