//! The router: one pure function from a URL path to a typed [`Route`].
//!
//! Repository names have any number of `/`-separated components, so a path is read
//! from the right: the trailing segments say which resource is meant (`manifests/<ref>`,
//! `blobs/uploads/<id>`, `tags/list`, ...) and everything between `/v2/` and them is the
//! name. This is the distribution-spec's endpoint table (end-1 to end-13) plus the
//! referrers API and the ORAS artifacts-spec's referrers endpoint.

use cairn_storage::{Digest, NameError, Reference, RepositoryName, UploadId};

/// A resource a request addresses, with its path parameters validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`: the API version check.
    Base,
    /// `/v2/_catalog`.
    Catalog,
    /// `/healthz`: liveness for orchestrators.
    Health,
    /// `/v2/<name>/blobs/uploads/`: start an upload (or mount).
    Uploads(RepositoryName),
    /// `/v2/<name>/blobs/uploads/<id>`: one upload session.
    Upload(RepositoryName, UploadId),
    /// `/v2/<name>/blobs/<digest>`.
    Blob(RepositoryName, Digest),
    /// `/v2/<name>/manifests/<reference>`.
    Manifest(RepositoryName, Reference),
    /// `/v2/<name>/tags/list`.
    Tags(RepositoryName),
    /// `/v2/<name>/referrers/<digest>`.
    Referrers(RepositoryName, Digest),
    /// `/oras/artifacts/v1/<name>/manifests/<digest>/referrers`.
    OrasReferrers(RepositoryName, Digest),
}

impl Route {
    /// A short name of the route kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Base => "base",
            Route::Catalog => "catalog",
            Route::Health => "health",
            Route::Uploads(_) | Route::Upload(..) => "upload",
            Route::Blob(..) => "blob",
            Route::Manifest(..) => "manifest",
            Route::Tags(_) => "tags",
            Route::Referrers(..) => "referrers",
            Route::OrasReferrers(..) => "oras_referrers",
        }
    }

    /// The repository the route addresses, if any.
    pub fn repository(&self) -> Option<&RepositoryName> {
        match self {
            Route::Base | Route::Catalog | Route::Health => None,
            Route::Uploads(name)
            | Route::Upload(name, _)
            | Route::Blob(name, _)
            | Route::Manifest(name, _)
            | Route::Tags(name)
            | Route::Referrers(name, _)
            | Route::OrasReferrers(name, _) => Some(name),
        }
    }
}

/// Why a path matched no route or carried an invalid parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No endpoint has this shape.
    NotFound,
    /// The repository name is outside the grammar.
    Name(String),
    /// A digest parameter is malformed or of an unsupported algorithm.
    Digest(String),
    /// A manifest reference is neither a tag nor a digest.
    Reference(String),
    /// The upload id is not one cairn could have issued.
    UploadId(String),
}

/// Parses `path` (without query) into a route.
pub fn parse(path: &str) -> Result<Route, RouteError> {
    if path == "/healthz" {
        return Ok(Route::Health);
    }
    if let Some(rest) = path.strip_prefix("/oras/artifacts/v1/") {
        let rest = rest
            .strip_suffix("/referrers")
            .ok_or(RouteError::NotFound)?;
        let (name, digest) = split_tail(rest, "manifests")?;
        return Ok(Route::OrasReferrers(
            repository(name)?,
            digest_param(digest)?,
        ));
    }
    let rest = match path {
        "/v2" | "/v2/" => return Ok(Route::Base),
        "/v2/_catalog" => return Ok(Route::Catalog),
        _ => path.strip_prefix("/v2/").ok_or(RouteError::NotFound)?,
    };

    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Ok(Route::Tags(repository(name)?));
    }
    if let Some(name) = rest
        .strip_suffix("/blobs/uploads/")
        .or_else(|| rest.strip_suffix("/blobs/uploads"))
    {
        return Ok(Route::Uploads(repository(name)?));
    }
    if let Ok((name, id)) = split_tail(rest, "blobs/uploads") {
        let id = id
            .parse()
            .map_err(|_| RouteError::UploadId(id.to_owned()))?;
        return Ok(Route::Upload(repository(name)?, id));
    }
    if let Ok((name, digest)) = split_tail(rest, "blobs") {
        return Ok(Route::Blob(repository(name)?, digest_param(digest)?));
    }
    if let Ok((name, reference)) = split_tail(rest, "manifests") {
        let name = repository(name)?;
        let reference = reference
            .parse()
            .map_err(|_| RouteError::Reference(reference.to_owned()))?;
        return Ok(Route::Manifest(name, reference));
    }
    if let Ok((name, digest)) = split_tail(rest, "referrers") {
        return Ok(Route::Referrers(repository(name)?, digest_param(digest)?));
    }
    Err(RouteError::NotFound)
}

/// Splits `<name>/<resource>/<last>` into name and last segment.
fn split_tail<'a>(rest: &'a str, resource: &str) -> Result<(&'a str, &'a str), RouteError> {
    let (head, last) = rest.rsplit_once('/').ok_or(RouteError::NotFound)?;
    let name = head
        .strip_suffix(resource)
        .and_then(|n| n.strip_suffix('/'))
        .ok_or(RouteError::NotFound)?;
    if last.is_empty() || name.is_empty() {
        return Err(RouteError::NotFound);
    }
    Ok((name, last))
}

fn repository(name: &str) -> Result<RepositoryName, RouteError> {
    name.parse()
        .map_err(|_: NameError| RouteError::Name(name.to_owned()))
}

fn digest_param(digest: &str) -> Result<Digest, RouteError> {
    digest
        .parse()
        .map_err(|_| RouteError::Digest(digest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const UPLOAD: &str = "0123456789abcdef0123456789abcdef";

    fn name(s: &str) -> RepositoryName {
        s.parse().expect("valid name")
    }

    fn digest() -> Digest {
        DIGEST.parse().expect("valid digest")
    }

    #[test]
    fn parses_every_endpoint() {
        let cases = [
            ("/v2/", Route::Base),
            ("/v2", Route::Base),
            ("/v2/_catalog", Route::Catalog),
            ("/healthz", Route::Health),
            ("/v2/a/b/c/tags/list", Route::Tags(name("a/b/c"))),
            ("/v2/a/blobs/uploads/", Route::Uploads(name("a"))),
            ("/v2/a/blobs/uploads", Route::Uploads(name("a"))),
            (
                &format!("/v2/a/blobs/uploads/{UPLOAD}"),
                Route::Upload(name("a"), UPLOAD.parse().expect("id")),
            ),
            (
                &format!("/v2/x/y/blobs/{DIGEST}"),
                Route::Blob(name("x/y"), digest()),
            ),
            (
                "/v2/x/manifests/latest",
                Route::Manifest(name("x"), "latest".parse().expect("tag")),
            ),
            (
                &format!("/v2/x/manifests/{DIGEST}"),
                Route::Manifest(name("x"), Reference::Digest(digest())),
            ),
            (
                &format!("/v2/x/referrers/{DIGEST}"),
                Route::Referrers(name("x"), digest()),
            ),
            (
                &format!("/oras/artifacts/v1/net/app/manifests/{DIGEST}/referrers"),
                Route::OrasReferrers(name("net/app"), digest()),
            ),
        ];
        for (path, route) in cases {
            assert_eq!(parse(path), Ok(route), "{path}");
        }
    }

    #[test]
    fn names_may_contain_resource_words() {
        assert_eq!(
            parse("/v2/blobs/manifests/tags/list"),
            Ok(Route::Tags(name("blobs/manifests")))
        );
        assert_eq!(
            parse("/v2/manifests/manifests/v1"),
            Ok(Route::Manifest(
                name("manifests"),
                "v1".parse().expect("tag")
            ))
        );
    }

    #[test]
    fn reports_invalid_parameters() {
        assert_eq!(
            parse("/v2/UPPER/tags/list"),
            Err(RouteError::Name("UPPER".into()))
        );
        assert_eq!(
            parse("/v2/a/blobs/sha256:zz"),
            Err(RouteError::Digest("sha256:zz".into()))
        );
        assert_eq!(
            parse("/v2/a/manifests/bad:ref"),
            Err(RouteError::Reference("bad:ref".into()))
        );
        assert_eq!(
            parse("/v2/a/blobs/uploads/not-an-id"),
            Err(RouteError::UploadId("not-an-id".into()))
        );
        assert_eq!(
            parse("/v2/a/referrers/nope"),
            Err(RouteError::Digest("nope".into()))
        );
    }

    #[test]
    fn unknown_shapes_are_not_found() {
        for path in [
            "/",
            "/v1/",
            "/v2/a",
            "/v2/a/blobs/",
            "/v2/a/tags",
            "/v2/a/manifests/",
            "/v2/a/blobs/uploads/../x",
        ] {
            assert_eq!(parse(path), Err(RouteError::NotFound), "{path}");
        }
    }
}
