//! The registry API: the [`Registry`] service, which routes each request to the handler
//! of its resource and turns every outcome into a response, inside one tracing span.
//!
//! One module per resource: `blobs`, `uploads`, `manifests`, `tags` (with the catalog)
//! and `referrers` (OCI and ORAS). Handlers answer `Result<Response, RegistryError>`;
//! this module is the only place errors become responses and get logged: client errors
//! at DEBUG, server faults once at ERROR with their cause.

mod blobs;
mod manifests;
mod referrers;
mod tags;
mod uploads;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use tracing::Instrument;

use cairn_storage::Store;

use crate::error::{ErrorCode, RegistryError};
use crate::http::{self as h, Body, BoxError, HandlerResult, RequestBody};
use crate::routes::{self, Route, RouteError};

/// Request-independent settings the handlers consult.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Serve the referrers APIs and send `OCI-Subject`; off, cairn answers like a
    /// registry that predates them, so clients' fallbacks can be tested.
    pub referrers_api: bool,
    /// Largest manifest accepted, in bytes.
    pub max_manifest_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            referrers_api: true,
            max_manifest_bytes: 4 << 20,
        }
    }
}

/// The registry as a service: cheap to clone, one per connection.
#[derive(Clone)]
pub struct Registry {
    store: Store,
    settings: Arc<Settings>,
    next_request_id: Arc<AtomicU64>,
}

impl Registry {
    /// A registry serving `store` with `settings`.
    pub fn new(store: Store, settings: Settings) -> Registry {
        Registry {
            store,
            settings: Arc::new(settings),
            next_request_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Answers one request; never fails, since every error becomes a response.
    pub async fn handle(&self, request: Request<RequestBody>) -> Response<Body> {
        let started = Instant::now();
        let id = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let route = routes::parse(request.uri().path());
        let (kind, repository) = match &route {
            Ok(route) => (route.kind(), route.repository().map(|r| r.to_string())),
            Err(_) => ("invalid", None),
        };
        let span = tracing::info_span!(
            "request",
            id,
            method = %request.method(),
            route = kind,
            repository = repository.as_deref().unwrap_or(""),
        );

        async move {
            let (parts, mut body) = request.into_parts();
            let head = parts.method == Method::HEAD;
            let outcome = match route {
                Ok(route) => self.dispatch(route, parts, &mut body).await,
                Err(err) => Err(route_error(err)),
            };
            let mut response = match outcome {
                Ok(response) => response,
                Err(err) => {
                    log_error(&err);
                    drain(&mut body).await;
                    h::error_response(&err, head)
                }
            };
            response
                .headers_mut()
                .insert(h::API_VERSION, HeaderValue::from_static("registry/2.0"));
            tracing::info!(
                status = response.status().as_u16(),
                micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "request done"
            );
            response
        }
        .instrument(span)
        .await
    }

    /// Calls the handler of `route` for the request's method.
    async fn dispatch(
        &self,
        route: Route,
        parts: http::request::Parts,
        body: &mut RequestBody,
    ) -> HandlerResult {
        let query = h::query(&parts.uri);
        let method = &parts.method;
        let head = method == Method::HEAD;
        let referrers_api = self.settings.referrers_api;

        match (method, &route) {
            (&Method::GET | &Method::HEAD, Route::Base) => base(),
            (&Method::GET | &Method::HEAD, Route::Health) => base(),
            (&Method::GET, Route::Catalog) => tags::catalog(self, &query).await,
            (&Method::GET, Route::Tags(name)) => tags::list(self, name, &query).await,
            (&Method::GET | &Method::HEAD, Route::Blob(name, digest)) => {
                blobs::get(self, name, digest, &parts.headers, head).await
            }
            (&Method::DELETE, Route::Blob(name, digest)) => blobs::delete(self, name, digest).await,
            (&Method::POST, Route::Uploads(name)) => uploads::start(self, name, &query, body).await,
            (&Method::PATCH, Route::Upload(name, id)) => {
                uploads::patch(self, name, id, &parts.headers, body).await
            }
            (&Method::PUT, Route::Upload(name, id)) => {
                uploads::finish(self, name, id, &query, body).await
            }
            (&Method::GET, Route::Upload(name, id)) => uploads::status(self, name, id).await,
            (&Method::DELETE, Route::Upload(name, id)) => uploads::cancel(self, name, id).await,
            (&Method::GET | &Method::HEAD, Route::Manifest(name, reference)) => {
                manifests::get(self, name, reference, head).await
            }
            (&Method::PUT, Route::Manifest(name, reference)) => {
                manifests::put(self, name, reference, &parts.headers, body).await
            }
            (&Method::DELETE, Route::Manifest(name, reference)) => {
                manifests::delete(self, name, reference).await
            }
            (_, Route::Referrers(..) | Route::OrasReferrers(..)) if !referrers_api => {
                Err(referrers::disabled())
            }
            (&Method::GET, Route::Referrers(name, subject)) => {
                referrers::list(self, name, subject, &query).await
            }
            (&Method::GET, Route::OrasReferrers(name, subject)) => {
                referrers::list_oras(self, name, subject, &query).await
            }
            _ => Err(RegistryError::new(
                ErrorCode::Unsupported,
                format!("{method} is not supported on this resource"),
            )),
        }
    }
}

/// `GET /v2/`: 200 with an empty JSON object; the version header is added to all.
fn base() -> HandlerResult {
    h::json(StatusCode::OK, "application/json", b"{}".to_vec())
}

/// Reads and drops what is left of a refused request's body, up to a bound, so a client
/// still sending it reads the error instead of a broken connection. Past the bound the
/// connection closes, which caps the work an unwanted upload can cause.
async fn drain(body: &mut RequestBody) {
    const LIMIT: usize = 16 << 20;
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
    let read = async {
        let mut seen = 0;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(PATIENCE, read).await;
}

/// The error for a path that is not a route or carries an invalid parameter.
fn route_error(err: RouteError) -> RegistryError {
    match err {
        RouteError::NotFound => RegistryError::new(ErrorCode::Unsupported, "no such endpoint")
            .with_status(StatusCode::NOT_FOUND),
        RouteError::Name(name) => RegistryError::new(
            ErrorCode::NameInvalid,
            format!("invalid repository name {name:?}"),
        ),
        RouteError::Digest(digest) => RegistryError::new(
            ErrorCode::DigestInvalid,
            format!("invalid digest {digest:?}"),
        ),
        RouteError::Reference(reference) if reference.contains(':') => RegistryError::new(
            ErrorCode::DigestInvalid,
            format!("invalid digest {reference:?}"),
        ),
        RouteError::Reference(reference) => RegistryError::new(
            ErrorCode::ManifestInvalid,
            format!("invalid tag {reference:?}"),
        ),
        RouteError::UploadId(id) => RegistryError::new(
            ErrorCode::BlobUploadUnknown,
            format!("no upload session {id:?}"),
        ),
    }
}

/// Logs `err` once: a server fault at ERROR with its cause chain, a client error at DEBUG.
fn log_error(err: &RegistryError) {
    match err.source.as_deref() {
        Some(source) => {
            let mut chain = source.to_string();
            let mut cause = std::error::Error::source(source);
            while let Some(next) = cause {
                chain.push_str(": ");
                chain.push_str(&next.to_string());
                cause = next.source();
            }
            tracing::error!(code = err.code.as_str(), cause = %chain, "server fault");
        }
        None if err.status.is_server_error() => {
            tracing::error!(code = err.code.as_str(), message = %err.message, "server fault");
        }
        None => tracing::debug!(code = err.code.as_str(), message = %err.message, "client error"),
    }
}

impl<B> tower::Service<Request<B>> for Registry
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let registry = self.clone();
        let request = request.map(|body| body.map_err(Into::into).boxed_unsync());
        Box::pin(async move { Ok(registry.handle(request).await) })
    }
}
