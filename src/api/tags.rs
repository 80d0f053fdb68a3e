//! Listings: `GET /v2/<name>/tags/list` (end-8a/8b) and `GET /v2/_catalog`.
//!
//! Both answer in lexical order, take `n` (page size) and `last` (resume after), and
//! send `Link: <...>; rel="next"` while more remain, so no listing is unbounded.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use cairn_storage::RepositoryName;

use crate::api::Registry;
use crate::error::{ErrorCode, RegistryError};
use crate::http::{self as h, HandlerResult};

/// Largest page a listing answers, whatever `n` asks for.
pub(crate) const MAX_PAGE: usize = 10_000;

/// Builds a listing response with a `Link` to the next page when `more`.
fn listing(
    path: &str,
    body: serde_json::Value,
    items: &[String],
    more: bool,
    n: usize,
) -> HandlerResult {
    let mut builder = h::builder(StatusCode::OK);
    if let (true, Some(last)) = (more, items.last()) {
        let link = h::next_link(path, &[("n", &n.to_string()), ("last", last)])?;
        builder = builder.header(http::header::LINK, link);
    }
    let bytes = body.to_string().into_bytes();
    let builder = builder
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, bytes.len());
    h::finish(builder, h::full(bytes))
}

/// `GET /v2/<name>/tags/list`.
pub(crate) async fn list(
    registry: &Registry,
    name: &RepositoryName,
    query: &BTreeMap<String, Vec<String>>,
) -> HandlerResult {
    let n = h::page_size(query, MAX_PAGE, MAX_PAGE)?;
    let (tags, more) = registry
        .store
        .list_tags(name, h::first(query, "last"), n)?
        .ok_or_else(|| {
            RegistryError::new(
                ErrorCode::NameUnknown,
                "repository name not known to registry",
            )
            .with_detail(json!({ "name": name.as_str() }))
        })?;
    let body = json!({ "name": name.as_str(), "tags": tags });
    listing(&format!("/v2/{name}/tags/list"), body, &tags, more, n)
}

/// `GET /v2/_catalog`.
pub(crate) async fn catalog(
    registry: &Registry,
    query: &BTreeMap<String, Vec<String>>,
) -> HandlerResult {
    let n = h::page_size(query, MAX_PAGE, MAX_PAGE)?;
    let (names, more) = registry
        .store
        .list_repositories(h::first(query, "last"), n)?;
    let body = json!({ "repositories": names });
    listing("/v2/_catalog", body, &names, more, n)
}
