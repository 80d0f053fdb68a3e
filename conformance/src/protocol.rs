//! Wire formats shared by several groups: the error envelope, `Link` pagination headers,
//! upload `Range` headers and media types.
//!
//! Spec (distribution-spec, Error Codes): "A 4XX response code from the registry MAY
//! return a body in any format. If the response body is in JSON format, it MUST have the
//! following format: {"errors": [{"code": .., "message": .., "detail": ..}]}", and "The
//! `code` field MUST be a unique identifier, containing only uppercase alphabetic
//! characters and underscores."

use serde::Deserialize;
use serde_json::Value;

use crate::client::Reply;
use crate::suite::{fail, skip, Checked};

/// Media type of an OCI image index, which the referrers API answers with.
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image manifest.
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image configuration.
pub(crate) const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of a gzip-compressed OCI layer.
pub(crate) const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Media type of the empty JSON descriptor `{}` used as config of artifacts.
pub(crate) const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// Media type of the OCI artifact manifest from the image-spec 1.1 release candidates.
pub(crate) const OCI_ARTIFACT: &str = "application/vnd.oci.artifact.manifest.v1+json";
/// Media type of the legacy ORAS artifact manifest.
pub(crate) const ORAS_ARTIFACT: &str = "application/vnd.cncf.oras.artifact.manifest.v1+json";
/// Media type of a Docker image manifest, schema 2.
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of a Docker manifest list.
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Media type of a Docker image configuration.
pub(crate) const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Media type of a Docker gzip layer.
pub(crate) const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// Every manifest media type, for `Accept` headers: registries may convert or refuse
/// manifests whose type the client does not accept.
pub(crate) const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.artifact.manifest.v1+json, \
     application/vnd.cncf.oras.artifact.manifest.v1+json";

/// The error envelope of the spec.
#[derive(Deserialize)]
struct Envelope {
    /// One or more errors.
    errors: Vec<ErrorEntry>,
}

/// One entry of the envelope; `message` and `detail` are optional.
#[derive(Deserialize)]
struct ErrorEntry {
    /// Identifier such as `BLOB_UNKNOWN`.
    code: String,
}

/// The error codes of a body in the spec's envelope, or `None` when it is not one.
pub(crate) fn error_codes(body: &[u8]) -> Option<Vec<String>> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    Some(envelope.errors.into_iter().map(|e| e.code).collect())
}

/// Checks an error reply: its status is one of `statuses` and, when its body is JSON, it
/// is the spec's envelope and names `code`.
///
/// A body that is not JSON is allowed by the spec, so the code cannot be checked: the
/// check is skipped, saying so, once the status has been found right.
pub(crate) fn expect_error(reply: &Reply, statuses: &[u16], code: &str) -> Checked<()> {
    expect_error_among(reply, statuses, &[code])
}

/// Like [`expect_error`], with several acceptable codes.
pub(crate) fn expect_error_among(reply: &Reply, statuses: &[u16], codes: &[&str]) -> Checked<()> {
    let status = reply.status.as_u16();
    let wanted_codes = codes.join(" or ");
    if !statuses.contains(&status) {
        let wanted: Vec<String> = statuses.iter().map(u16::to_string).collect();
        fail!(
            "{}, expected {} with {wanted_codes}",
            reply.describe(),
            wanted.join(" or ")
        );
    }
    let got = envelope_codes(reply)?;
    if !got.iter().any(|c| codes.contains(&c.as_str())) {
        fail!("{}, expected error code {wanted_codes}", reply.describe());
    }
    Ok(())
}

/// Checks an error reply's status, and its code only when the body is JSON.
///
/// For checks whose point is the status (a deleted thing is gone), where a registry that
/// sends no JSON body is within the spec.
pub(crate) fn expect_status_and_code(reply: &Reply, status: u16, code: &str) -> Checked<()> {
    reply.expect(status)?;
    if serde_json::from_slice::<Value>(&reply.body).is_err() {
        return Ok(());
    }
    expect_error(reply, &[status], code)
}

/// The codes of a 4xx reply's envelope, failing when JSON is not in the spec's format and
/// skipping when the body is not JSON at all.
pub(crate) fn envelope_codes(reply: &Reply) -> Checked<Vec<String>> {
    let status = reply.status.as_u16();
    let Ok(value) = serde_json::from_slice::<Value>(&reply.body) else {
        skip!(
            "{} with a body that is not JSON (4xx bodies MAY be in any format), \
             so the error code cannot be checked",
            reply.describe()
        );
    };
    let Some(codes) = error_codes(&reply.body) else {
        fail!(
            "{} with JSON that is not {{\"errors\":[{{\"code\":..}}]}}: {value}",
            reply.what()
        );
    };
    if codes.is_empty() {
        fail!(
            "{} with an empty errors list (status {status})",
            reply.what()
        );
    }
    if let Some(bad) = codes
        .iter()
        .find(|c| c.is_empty() || !c.chars().all(is_code_char))
    {
        fail!(
            "{} with error code {bad:?}, not uppercase letters and underscores",
            reply.what()
        );
    }
    Ok(codes)
}

/// Whether `c` may appear in an error code.
fn is_code_char(c: char) -> bool {
    c.is_ascii_uppercase() || c == '_'
}

/// The target of a `Link: <url>; rel="next"` header (RFC 5988), when there is one.
pub(crate) fn next_link(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(parse_next)
}

/// Parses one link-value, keeping it when its relation is `next`.
fn parse_next(link: &str) -> Option<String> {
    let link = link.trim();
    let rest = link.strip_prefix('<')?;
    let (target, params) = rest.split_once('>')?;
    let is_next = params.split(';').any(|p| {
        let p = p.trim();
        p.strip_prefix("rel=")
            .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
            .unwrap_or(false)
    });
    is_next.then(|| target.to_owned())
}

/// Parses an upload `Range` value `0-<end>` into the last byte offset.
///
/// Spec: "Range: 0-<end-of-range>". `None` when the value has another shape.
pub(crate) fn range_end(value: &str) -> Option<u64> {
    let (start, end) = value.split_once('-')?;
    if start != "0" {
        return None;
    }
    end.parse().ok()
}

/// The media type of a `Content-Type` value, without parameters.
pub(crate) fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_several() {
        let parsed: Vec<_> = r#"</v2/a/tags/list?n=2&last=b>; rel="next""#
            .split(',')
            .filter_map(parse_next)
            .collect();
        assert_eq!(parsed, ["/v2/a/tags/list?n=2&last=b"]);
        assert_eq!(parse_next(r#"<http://x/prev>; rel="prev""#), None);
        assert_eq!(
            parse_next("<http://x/n>; rel=next"),
            Some("http://x/n".to_owned())
        );
    }

    #[test]
    fn range_needs_a_zero_start() {
        assert_eq!(range_end("0-41"), Some(41));
        assert_eq!(range_end("bytes=0-41"), None);
        assert_eq!(range_end("3-41"), None);
    }

    #[test]
    fn error_codes_read_the_envelope() {
        let body = br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"x"}]}"#;
        assert_eq!(error_codes(body), Some(vec!["BLOB_UNKNOWN".to_owned()]));
        assert_eq!(error_codes(b"not json"), None);
    }

    #[test]
    fn essence_drops_parameters() {
        assert_eq!(
            essence("application/json; charset=utf-8"),
            "application/json"
        );
    }
}
