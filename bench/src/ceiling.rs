//! The ceiling server: the fastest answer hyper can give on this machine, to compare a
//! registry's small-response throughput against.
//!
//! Every request, whatever its method and path, gets status 200 and the same 1 KiB body:
//! a valid OCI image manifest (padded by an annotation) with its `Content-Type` and
//! `Docker-Content-Digest`. So with setup off for it (`--no-setup`, or `--no-setup=b`
//! when it is the `--vs` side) the ping, manifest (by tag and by digest), tag-list and
//! referrers workloads of `cairn-bench` run against it unchanged. Request
//! bodies are read and dropped so connections stay reusable. Uploads are not
//! emulated: push workloads fail against it, by design.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::content::{sha256_digest, OCI_MANIFEST};

/// Size of every response body.
pub const BODY_LEN: usize = 1024;

/// The fixed answer: body bytes and digest header.
#[derive(Clone)]
pub struct Answer {
    /// The 1 KiB manifest.
    body: Bytes,
    /// `sha256:<hex>` of `body`, as a header value.
    digest: HeaderValue,
}

impl Answer {
    /// Builds the 1 KiB manifest and its digest.
    pub fn new() -> Self {
        let body = ceiling_body();
        let digest = HeaderValue::from_str(&sha256_digest(&body))
            .unwrap_or_else(|_| HeaderValue::from_static("sha256:invalid"));
        Self { body, digest }
    }

    /// The response body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl Default for Answer {
    fn default() -> Self {
        Self::new()
    }
}

/// An OCI image manifest of exactly [`BODY_LEN`] bytes.
pub fn ceiling_body() -> Bytes {
    let empty = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    let make = |pad: &str| {
        format!(
            concat!(
                r#"{{"schemaVersion":2,"mediaType":"{mt}","#,
                r#""config":{{"mediaType":"application/vnd.oci.empty.v1+json","#,
                r#""digest":"{d}","size":2}},"layers":[],"#,
                r#""annotations":{{"dev.cairn.bench.padding":"{pad}"}}}}"#
            ),
            mt = OCI_MANIFEST,
            d = empty,
            pad = pad
        )
    };
    let unpadded = make("").len();
    let pad = "x".repeat(BODY_LEN.saturating_sub(unpadded));
    Bytes::from(make(&pad))
}

/// Serves connections from `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, shutdown: impl std::future::Future<Output = ()>) {
    let answer = Answer::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or a reset during accept: the next accept may work.
            continue;
        };
        // Responses are small; waiting for more data to coalesce them would add latency.
        let _ = stream.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| respond(req, answer.clone()));
            // A client closing mid-request is its business, not a server fault.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Drains the request body and answers 200 with the fixed manifest.
async fn respond(
    request: Request<Incoming>,
    answer: Answer,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut body = request.into_body();
    while let Some(Ok(_)) = body.frame().await {}

    let mut response = Response::new(Full::new(answer.body.clone()));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(OCI_MANIFEST));
    headers.insert("docker-content-digest", answer.digest.clone());
    Ok(response)
}

/// Binds `addr`; the ceiling binary prints the address it got.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_one_kibibyte_of_valid_manifest_json() {
        let body = ceiling_body();
        assert_eq!(body.len(), BODY_LEN);
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(doc["mediaType"], OCI_MANIFEST);
        assert_eq!(doc["schemaVersion"], 2);
    }

    #[test]
    fn the_empty_config_digest_is_that_of_an_empty_object() {
        let doc: serde_json::Value = serde_json::from_slice(&ceiling_body()).unwrap_or_default();
        assert_eq!(
            doc["config"]["digest"].as_str(),
            Some(sha256_digest(b"{}").as_str())
        );
    }
}
