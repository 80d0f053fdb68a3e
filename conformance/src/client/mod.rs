//! HTTP access to the registry under test: building calls, answering authentication
//! challenges, and buffered replies with helpers that word failures for the report.
//!
//! Nothing here knows the distribution-spec beyond `Location` resolution (spec: "the
//! location MAY be absolute ... or it MAY be relative") and the error envelope used to
//! describe a reply; the groups decide what a reply must look like.

mod auth;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use auth::Authenticator;
pub(crate) use auth::Credentials;

use crate::protocol;
use crate::suite::{fail, Checked, Verdict};

/// A handle on the registry under test; cheap to clone.
#[derive(Clone)]
pub(crate) struct Client {
    /// Connection pool shared by every clone.
    http: reqwest::Client,
    /// Root URL of the registry, e.g. `http://127.0.0.1:5000/`.
    base: Url,
    /// Answers 401 challenges; `None` for a client that must stay anonymous.
    auth: Option<Arc<Authenticator>>,
}

impl Client {
    /// A client for the registry at `base`, answering challenges with `credentials`.
    pub(crate) fn new(
        base: &str,
        credentials: Option<Credentials>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let base = Url::parse(base).map_err(|e| format!("registry URL {base:?}: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("cairn-conformance/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let auth = Some(Arc::new(Authenticator::new(credentials)));
        Ok(Self { http, base, auth })
    }

    /// A clone that never authenticates, for checks of what anonymous callers see.
    pub(crate) fn anonymous(&self) -> Self {
        Self {
            auth: None,
            ..self.clone()
        }
    }

    /// Starts a call of `method` to `target`: a path, or a `Location` the registry gave.
    pub(crate) fn call(&self, method: Method, target: &str) -> Call {
        let url = self
            .base
            .join(target)
            .map_err(|e| format!("bad URL {target:?}: {e}"));
        Call {
            client: self.clone(),
            method,
            url,
            headers: Vec::new(),
            payload: Payload::Empty,
        }
    }

    /// Starts a GET.
    pub(crate) fn get(&self, target: &str) -> Call {
        self.call(Method::GET, target)
    }

    /// Starts a HEAD.
    pub(crate) fn head(&self, target: &str) -> Call {
        self.call(Method::HEAD, target)
    }

    /// Starts a PUT.
    pub(crate) fn put(&self, target: &str) -> Call {
        self.call(Method::PUT, target)
    }

    /// Starts a POST.
    pub(crate) fn post(&self, target: &str) -> Call {
        self.call(Method::POST, target)
    }

    /// Starts a PATCH.
    pub(crate) fn patch(&self, target: &str) -> Call {
        self.call(Method::PATCH, target)
    }

    /// Starts a DELETE.
    pub(crate) fn delete(&self, target: &str) -> Call {
        self.call(Method::DELETE, target)
    }
}

/// Makes a fresh body for a streamed request; called again when a challenge forces a retry.
pub(crate) type BodySource = Arc<dyn Fn() -> reqwest::Body + Send + Sync>;

/// What a call sends.
#[derive(Clone)]
enum Payload {
    /// No body.
    Empty,
    /// A body held in memory.
    Bytes(Bytes),
    /// A body produced on the fly, with its length when known.
    Stream(BodySource, Option<u64>),
}

/// A request being built; sent with [`Call::send`] or [`Call::send_streaming`].
pub(crate) struct Call {
    /// Whom to send it to, and how to authenticate.
    client: Client,
    /// HTTP method.
    method: Method,
    /// Resolved URL, or why it could not be resolved.
    url: Result<Url, String>,
    /// Extra headers, validated when sent.
    headers: Vec<(&'static str, String)>,
    /// Body.
    payload: Payload,
}

impl Call {
    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Appends a query parameter, keeping any the URL already has.
    pub(crate) fn query(mut self, key: &str, value: &str) -> Self {
        if let Ok(url) = &mut self.url {
            url.query_pairs_mut().append_pair(key, value);
        }
        self
    }

    /// Sends `body` with its exact `Content-Length`.
    pub(crate) fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.payload = Payload::Bytes(body.into());
        self
    }

    /// Streams a body made by `source`; without a length it goes out chunked.
    pub(crate) fn stream(mut self, source: BodySource, length: Option<u64>) -> Self {
        self.payload = Payload::Stream(source, length);
        self
    }

    /// Sends the call and reads the whole reply body.
    pub(crate) async fn send(self) -> Checked<Reply> {
        let method = self.method.clone();
        let response = self.send_streaming().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let url = response.url().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(&method, &url, &e))?;
        Ok(Reply {
            method,
            url,
            status,
            headers,
            body,
        })
    }

    /// Sends the call and hands back the reply with its body unread.
    ///
    /// A 401 with a challenge is answered once (Basic, or a Bearer token from the realm)
    /// and the call is sent again with a fresh body.
    pub(crate) async fn send_streaming(self) -> Checked<reqwest::Response> {
        let url = match &self.url {
            Ok(url) => url.clone(),
            Err(why) => fail!("{why}"),
        };
        let mut answered = false;
        loop {
            let request = self.build(&url)?;
            let response = request
                .send()
                .await
                .map_err(|e| transport(&self.method, &url, &e))?;
            if response.status() != StatusCode::UNAUTHORIZED || answered {
                return Ok(response);
            }
            let Some(auth) = &self.client.auth else {
                return Ok(response);
            };
            if !auth.answer(&self.client.http, response.headers()).await? {
                return Ok(response);
            }
            answered = true;
        }
    }

    /// Turns the call into a request, with whatever credentials are current.
    fn build(&self, url: &Url) -> Checked<reqwest::RequestBuilder> {
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Verdict::Fail(format!("header name {name}: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| Verdict::Fail(format!("header {name}: {e}")))?;
            headers.append(name, value);
        }

        let mut request = self.client.http.request(self.method.clone(), url.clone());
        request = match &self.payload {
            Payload::Empty => request,
            Payload::Bytes(bytes) => request.body(bytes.clone()),
            Payload::Stream(source, Some(length)) => {
                headers.insert(reqwest::header::CONTENT_LENGTH, HeaderValue::from(*length));
                request.body(source())
            }
            Payload::Stream(source, None) => request.body(source()),
        };
        request = request.headers(headers);
        if let Some(auth) = &self.client.auth {
            request = auth.apply(request);
        }
        Ok(request)
    }
}

/// Words a transport error with its whole cause chain.
fn transport(method: &Method, url: &Url, error: &reqwest::Error) -> Verdict {
    let mut text = format!("{method} {} failed: {error}", url.path());
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    Verdict::Fail(text)
}

/// Longest query string quoted in failure messages.
const MAX_QUERY_SHOWN: usize = 100;

/// A reply with its body read.
#[derive(Debug)]
pub(crate) struct Reply {
    /// Method of the request that got this reply.
    pub(crate) method: Method,
    /// Final URL of the request.
    pub(crate) url: Url,
    /// Status code.
    pub(crate) status: StatusCode,
    /// Response headers.
    pub(crate) headers: HeaderMap,
    /// The whole body.
    pub(crate) body: Bytes,
}

impl Reply {
    /// The value of header `name`, when present and text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Fails unless the status is `want`, wording the reply for the report.
    pub(crate) fn expect(&self, want: u16) -> Checked<&Self> {
        if self.status.as_u16() != want {
            fail!("{}, expected {want}", self.describe());
        }
        Ok(self)
    }

    /// A required header, or a failure naming it.
    pub(crate) fn require_header(&self, name: &str) -> Checked<&str> {
        match self.header(name) {
            Some(value) => Ok(value),
            None => fail!("{} without a {name} header", self.describe()),
        }
    }

    /// The body parsed as JSON into `T`.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Checked<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Verdict::Fail(format!(
                "{} with a body that is not the expected JSON: {e}",
                self.what()
            ))
        })
    }

    /// `METHOD /path answered STATUS`, plus the error codes or the start of the body.
    pub(crate) fn describe(&self) -> String {
        let mut text = format!("{} answered {}", self.what(), self.status.as_u16());
        if let Some(codes) = protocol::error_codes(&self.body) {
            text.push_str(&format!(" ({})", codes.join(", ")));
        }
        text
    }

    /// `METHOD /path`, with the query when there is one and it is short (upload
    /// locations can carry long opaque state).
    pub(crate) fn what(&self) -> String {
        match self.url.query() {
            Some(query) if query.len() <= MAX_QUERY_SHOWN => {
                format!("{} {}?{query}", self.method, self.url.path())
            }
            Some(_) => format!("{} {}?...", self.method, self.url.path()),
            None => format!("{} {}", self.method, self.url.path()),
        }
    }
}
