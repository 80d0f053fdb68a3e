//! The HTTP client under the load: one pooled keep-alive HTTP/1.1 client per target.
//!
//! Built on hyper-util's client with a pool sized to the concurrency, `TCP_NODELAY`, and
//! response bodies drained frame by frame (a 64 MiB blob is counted, never held). This
//! module knows URLs and statuses; what the requests mean is left to [`crate::registry`].
//! Only `http://` is supported: TLS would measure the TLS stack as much as the registry.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::body::FramesBody;
use crate::error::BenchError;

/// A registry's base URL with a connection pool; cheap to clone, clones share the pool.
#[derive(Clone, Debug)]
pub struct HttpClient {
    /// The pooled client; connections are reused across requests and workers.
    inner: Client<HttpConnector, FramesBody>,
    /// Scheme and authority, without a trailing slash: `http://127.0.0.1:5000`.
    base: Arc<str>,
}

/// What is left of a response once its body has been drained.
#[derive(Debug)]
pub struct Reply {
    /// The status received.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// How many body bytes were received.
    pub body_len: u64,
}

impl Reply {
    /// A header's value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl HttpClient {
    /// A client for the registry at `base_url`, keeping up to `pool` idle connections.
    pub fn new(base_url: &str, pool: usize) -> Result<Self, BenchError> {
        let base = base_url.trim_end_matches('/');
        let invalid = |reason: &str| BenchError::Url {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = base.parse().map_err(|_| invalid("not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(invalid("only http:// URLs are supported"));
        }
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(invalid("give the registry root, without a path"));
        }

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(10)));
        let inner = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(Self {
            inner,
            base: Arc::from(base),
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The absolute URI of `path_and_query` (which starts with `/`) on this registry.
    pub fn uri(&self, path_and_query: &str) -> Result<Uri, BenchError> {
        let url = format!("{}{}", self.base, path_and_query);
        url.parse().map_err(|_| BenchError::Url {
            url,
            reason: "not a valid URI".into(),
        })
    }

    /// Resolves a `Location` or `Link` target: absolute URLs are kept, paths are joined
    /// to the base URL.
    pub fn resolve(&self, location: &str) -> Result<Uri, BenchError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            return location.parse().map_err(|_| BenchError::Url {
                url: location.to_owned(),
                reason: "not a valid URI".into(),
            });
        }
        if location.starts_with('/') {
            return self.uri(location);
        }
        Err(BenchError::Protocol(format!(
            "cannot follow the relative location {location:?}"
        )))
    }

    /// Sends `request`, drains the body, and checks that the status is one of `expect`.
    pub async fn exchange(
        &self,
        request: Request<FramesBody>,
        expect: &[StatusCode],
    ) -> Result<Reply, BenchError> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let response = self.send(request, &method, &uri).await?;
        let (parts, body) = response.into_parts();

        // Drain before judging the status, so the connection goes back to the pool.
        let body_len = drain(body)
            .await
            .map_err(|source| body_error(&method, &uri, source))?;
        check_status(parts.status, expect, &method, &uri)?;
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body_len,
        })
    }

    /// Like [`HttpClient::exchange`], but keeps up to `limit` bytes of the body.
    pub async fn exchange_collect(
        &self,
        request: Request<FramesBody>,
        expect: &[StatusCode],
        limit: usize,
    ) -> Result<(Reply, Bytes), BenchError> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let response = self.send(request, &method, &uri).await?;
        let (parts, mut body) = response.into_parts();

        let mut kept = BytesMut::new();
        let mut body_len = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|source| body_error(&method, &uri, source))?;
            if let Some(data) = frame.data_ref() {
                body_len += data.len() as u64;
                let room = limit.saturating_sub(kept.len()).min(data.len());
                kept.extend_from_slice(&data[..room]);
            }
        }
        check_status(parts.status, expect, &method, &uri)?;
        let reply = Reply {
            status: parts.status,
            headers: parts.headers,
            body_len,
        };
        Ok((reply, kept.freeze()))
    }

    /// Sends one request and waits for the response head.
    async fn send(
        &self,
        request: Request<FramesBody>,
        method: &Method,
        uri: &Uri,
    ) -> Result<http::Response<Incoming>, BenchError> {
        self.inner
            .request(request)
            .await
            .map_err(|source| BenchError::Transport {
                method: method.clone(),
                path: uri.path().to_owned(),
                source,
            })
    }
}

/// Reads a body to its end, counting bytes and keeping none.
async fn drain(mut body: Incoming) -> Result<u64, hyper::Error> {
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            len += data.len() as u64;
        }
    }
    Ok(len)
}

fn body_error(method: &Method, uri: &Uri, source: hyper::Error) -> BenchError {
    BenchError::Body {
        method: method.clone(),
        path: uri.path().to_owned(),
        source,
    }
}

fn check_status(
    status: StatusCode,
    expect: &[StatusCode],
    method: &Method,
    uri: &Uri,
) -> Result<(), BenchError> {
    if expect.contains(&status) {
        return Ok(());
    }
    Err(BenchError::Status {
        method: method.clone(),
        path: uri.path().to_owned(),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_plain_http_roots() {
        assert!(HttpClient::new("http://127.0.0.1:5000/", 4).is_ok());
        assert!(HttpClient::new("https://127.0.0.1:5000", 4).is_err());
        assert!(HttpClient::new("http://127.0.0.1:5000/v2/", 4).is_err());
        assert!(HttpClient::new("127.0.0.1:5000", 4).is_err());
    }

    #[tokio::test]
    async fn locations_resolve_against_the_base() -> Result<(), BenchError> {
        let client = HttpClient::new("http://127.0.0.1:5000/", 4)?;
        let relative = client.resolve("/v2/a/blobs/uploads/1?x=y")?;
        assert_eq!(
            relative.to_string(),
            "http://127.0.0.1:5000/v2/a/blobs/uploads/1?x=y"
        );
        let absolute = client.resolve("http://other:1/v2/a")?;
        assert_eq!(absolute.to_string(), "http://other:1/v2/a");
        assert!(client.resolve("v2/a").is_err());
        Ok(())
    }
}
