//! HTTP plumbing shared by the handlers: body types, response builders, and the parsing
//! of the few headers and query strings the API uses.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};

use crate::error::{ErrorCode, RegistryError};

/// Error type of request bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Body of a request as handlers see it, whatever transport delivered it.
pub type RequestBody = UnsyncBoxBody<Bytes, BoxError>;

/// Body of every response: fixed bytes or a streamed blob.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// What handlers answer.
pub type HandlerResult = Result<Response<Body>, RegistryError>;

/// The header naming the API version, sent on every response.
pub const API_VERSION: &str = "Docker-Distribution-API-Version";
/// The header carrying a content digest.
pub const CONTENT_DIGEST: &str = "Docker-Content-Digest";
/// The header carrying an upload session id.
pub const UPLOAD_UUID: &str = "Docker-Upload-UUID";
/// The header a manifest PUT with a subject answers with.
pub const OCI_SUBJECT: &str = "OCI-Subject";
/// The header saying which filters a referrers listing applied.
pub const OCI_FILTERS_APPLIED: &str = "OCI-Filters-Applied";

/// A body of fixed bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A response builder with `status`.
pub fn builder(status: StatusCode) -> http::response::Builder {
    Response::builder().status(status)
}

/// Finishes `builder` with `body`; the builder only fails on invalid headers, which
/// cairn never builds from unchecked input, but a failure still answers cleanly.
pub fn finish(builder: http::response::Builder, body: Body) -> HandlerResult {
    builder
        .body(body)
        .map_err(|err| RegistryError::new(ErrorCode::Unknown, format!("building response: {err}")))
}

/// A JSON response.
pub fn json(status: StatusCode, content_type: &str, bytes: Vec<u8>) -> HandlerResult {
    let builder = builder(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, bytes.len());
    finish(builder, full(bytes))
}

/// The response for `err`: its status, its header, and the spec's JSON envelope.
pub fn error_response(err: &RegistryError, head_only: bool) -> Response<Body> {
    let body = err.body();
    let mut response = Response::new(if head_only {
        empty()
    } else {
        full(body.clone())
    });
    *response.status_mut() = err.status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Some((name, value)) = err.header.as_deref() {
        headers.insert(name.clone(), value.clone());
    }
    response
}

/// `Range: 0-<offset - 1>`, the progress of an upload; `0-0` when nothing arrived, as
/// clients expect.
pub fn range_header(offset: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("0-{}", offset.saturating_sub(1)))
        .unwrap_or_else(|_| HeaderValue::from_static("0-0"))
}

/// A header value from text the server built itself.
pub fn header_value(text: &str) -> Result<HeaderValue, RegistryError> {
    HeaderValue::from_str(text)
        .map_err(|_| RegistryError::new(ErrorCode::Unknown, "unencodable header value"))
}

/// The query string as a multimap.
pub fn query(uri: &http::Uri) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(query) = uri.query() {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            map.entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
    }
    map
}

/// The first value of query parameter `key`.
pub fn first<'a>(query: &'a BTreeMap<String, Vec<String>>, key: &str) -> Option<&'a str> {
    query.get(key).and_then(|v| v.first()).map(String::as_str)
}

/// A header as text, if present and printable.
pub fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parses the pagination parameter `n` (absent: `default`; capped at `max`).
pub fn page_size(
    query: &BTreeMap<String, Vec<String>>,
    default: usize,
    max: usize,
) -> Result<usize, RegistryError> {
    match first(query, "n") {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map(|n| n.min(max)).map_err(|_| {
            RegistryError::new(ErrorCode::Unsupported, "n must be a number")
                .with_status(StatusCode::BAD_REQUEST)
        }),
    }
}

/// A `Link: <url>; rel="next"` value pointing at `path` with `params`.
pub fn next_link(path: &str, params: &[(&str, &str)]) -> Result<HeaderValue, RegistryError> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in params {
        query.append_pair(key, value);
    }
    header_value(&format!("<{path}?{}>; rel=\"next\"", query.finish()))
}

/// A byte range of a blob, inclusive on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
}

/// A well-formed range that lies wholly outside the blob: 416.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Parses a `Range: bytes=...` request header against a blob of `size` bytes.
///
/// Answers `Ok(None)` for a header cairn does not honour (several ranges, another
/// unit), which means "send it all", as RFC 9110 allows; [`Unsatisfiable`] when the range is
/// well-formed but lies outside the blob.
pub fn parse_range(value: &str, size: u64) -> Result<Option<ByteRange>, Unsatisfiable> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => ByteRange {
            start,
            end: end.min(size.saturating_sub(1)),
        },
        (Ok(start), Err(_)) if end.is_empty() => ByteRange {
            start,
            end: size.saturating_sub(1),
        },
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => ByteRange {
            start: size.saturating_sub(suffix),
            end: size.saturating_sub(1),
        },
        _ => return Ok(None),
    };
    if range.start >= size {
        return Err(Unsatisfiable);
    }
    Ok(Some(range))
}

/// Parses an upload `Content-Range: <start>-<end>` (with or without a `bytes ` unit).
pub fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let value = value.trim();
    let value = value.strip_prefix("bytes ").unwrap_or(value);
    let value = value.split('/').next()?;
    let (start, end) = value.split_once('-')?;
    let (start, end) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    (start <= end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(
            parse_range("bytes=0-9", 100),
            Ok(Some(ByteRange { start: 0, end: 9 }))
        );
        assert_eq!(
            parse_range("bytes=90-", 100),
            Ok(Some(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            parse_range("bytes=-10", 100),
            Ok(Some(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            parse_range("bytes=50-500", 100),
            Ok(Some(ByteRange { start: 50, end: 99 }))
        );
        assert_eq!(parse_range("bytes=100-", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=9-1", 100), Ok(None));
    }

    #[test]
    fn content_ranges_accept_both_spellings() {
        assert_eq!(parse_content_range("0-99"), Some((0, 99)));
        assert_eq!(parse_content_range("bytes 100-199/*"), Some((100, 199)));
        assert_eq!(parse_content_range("5-1"), None);
        assert_eq!(parse_content_range("x"), None);
    }

    #[test]
    fn upload_range_is_inclusive() {
        assert_eq!(range_header(10), "0-9");
        assert_eq!(range_header(0), "0-0");
    }

    #[test]
    fn next_links_encode_their_parameters() {
        let link = next_link("/v2/a/tags/list", &[("n", "2"), ("last", "v1+x")]).expect("link");
        assert_eq!(link, "</v2/a/tags/list?n=2&last=v1%2Bx>; rel=\"next\"");
    }
}
