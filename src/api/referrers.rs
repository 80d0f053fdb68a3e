//! Referrers: `GET /v2/<name>/referrers/<digest>` (distribution-spec v1.1, end-12a/12b)
//! and the ORAS artifacts-spec's `GET /oras/artifacts/v1/<name>/manifests/<digest>/referrers`.
//!
//! Both read the same index, written by every manifest `PUT` that names a subject.
//! A well-formed digest never answers 404: an unknown subject has no referrers, which
//! is an empty list. Listings page in digest order with `Link: <...>; rel="next"`, each
//! page costing what it returns, however many referrers the subject has.

use std::collections::{BTreeMap, BTreeSet};

use http::StatusCode;
use serde_json::json;

use cairn_storage::manifest::OCI_INDEX;
use cairn_storage::{Digest, ReferrersPage, RepositoryName};

use crate::api::Registry;
use crate::error::{ErrorCode, RegistryError};
use crate::http::{self as h, HandlerResult};

/// Default page of the OCI endpoint: a few hundred descriptors keep an index well
/// under the 4 MiB manifest limit clients assume, even with annotations.
const OCI_PAGE: usize = 256;
/// Default page of the ORAS endpoint, as its spec recommends.
const ORAS_PAGE: usize = 10;
/// Largest page either endpoint answers.
const MAX_PAGE: usize = 1000;

/// A parsed listing request: filter, cursor and page size.
struct Listing {
    filter: BTreeSet<String>,
    last: Option<Digest>,
    n: usize,
}

impl Listing {
    fn parse(
        query: &BTreeMap<String, Vec<String>>,
        default: usize,
    ) -> Result<Listing, RegistryError> {
        let filter = query
            .get("artifactType")
            .into_iter()
            .flatten()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect();
        let last = h::first(query, "last")
            .map(|text| {
                text.parse().map_err(|_| {
                    RegistryError::new(ErrorCode::DigestInvalid, "last must be a digest")
                })
            })
            .transpose()?;
        let n = h::page_size(query, default, MAX_PAGE)?.max(1);
        Ok(Listing { filter, last, n })
    }

    fn page(
        &self,
        registry: &Registry,
        name: &RepositoryName,
        subject: &Digest,
    ) -> Result<ReferrersPage, RegistryError> {
        Ok(registry.store.list_referrers(
            name,
            subject,
            self.last.as_ref(),
            self.n,
            &self.filter,
        )?)
    }

    /// The `Link` to the page after `page`, if there is one.
    fn next(
        &self,
        path: &str,
        page: &ReferrersPage,
    ) -> Result<Option<http::HeaderValue>, RegistryError> {
        let Some(last) = page.descriptors.last().filter(|_| page.more) else {
            return Ok(None);
        };
        let n = self.n.to_string();
        let mut params = vec![("n", n.as_str()), ("last", last.digest.as_str())];
        params.extend(self.filter.iter().map(|t| ("artifactType", t.as_str())));
        h::next_link(path, &params).map(Some)
    }
}

/// The 404 a registry without the API answers, for `referrers_api = false`.
pub(crate) fn disabled() -> RegistryError {
    RegistryError::new(ErrorCode::Unsupported, "the referrers API is disabled")
        .with_status(StatusCode::NOT_FOUND)
}

/// `GET /v2/<name>/referrers/<digest>`: an image index of the referrers.
pub(crate) async fn list(
    registry: &Registry,
    name: &RepositoryName,
    subject: &Digest,
    query: &BTreeMap<String, Vec<String>>,
) -> HandlerResult {
    let listing = Listing::parse(query, OCI_PAGE)?;
    let page = listing.page(registry, name, subject)?;

    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": page.descriptors,
    });
    let bytes = body.to_string().into_bytes();
    let mut builder = h::builder(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, OCI_INDEX)
        .header(http::header::CONTENT_LENGTH, bytes.len());
    if !listing.filter.is_empty() {
        builder = builder.header(h::OCI_FILTERS_APPLIED, "artifactType");
    }
    if let Some(link) = listing.next(&format!("/v2/{name}/referrers/{subject}"), &page)? {
        builder = builder.header(http::header::LINK, link);
    }
    h::finish(builder, h::full(bytes))
}

/// `GET /oras/artifacts/v1/<name>/manifests/<digest>/referrers`: `{"references": [...]}`.
pub(crate) async fn list_oras(
    registry: &Registry,
    name: &RepositoryName,
    subject: &Digest,
    query: &BTreeMap<String, Vec<String>>,
) -> HandlerResult {
    let listing = Listing::parse(query, ORAS_PAGE)?;
    let page = listing.page(registry, name, subject)?;

    let path = format!("/oras/artifacts/v1/{name}/manifests/{subject}/referrers");
    let link = listing.next(&path, &page)?;
    let bytes = json!({ "references": page.descriptors })
        .to_string()
        .into_bytes();
    let mut builder = h::builder(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, bytes.len());
    if let Some(link) = link {
        builder = builder.header(http::header::LINK, link);
    }
    h::finish(builder, h::full(bytes))
}
