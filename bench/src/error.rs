//! The one error type of the benchmark: what went wrong with a request or a setup step.
//!
//! Errors during a timed run are counted, not fatal; the first message of each round is
//! kept for the report. During setup the first error skips the workload on that target.

use std::time::Duration;

use http::{Method, StatusCode};

/// A failed request, an unexpected answer, or a bad URL.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The request could not be sent or its answer not received.
    #[error("{method} {path}: {}", chain(source))]
    Transport {
        /// Method of the failed request.
        method: Method,
        /// Path of the failed request, without its query.
        path: String,
        /// What the client reported.
        source: hyper_util::client::legacy::Error,
    },
    /// The response body broke off.
    #[error("{method} {path}: reading the body: {source}")]
    Body {
        /// Method of the request.
        method: Method,
        /// Path of the request, without its query.
        path: String,
        /// What hyper reported.
        source: hyper::Error,
    },
    /// The registry answered with a status the workflow does not accept.
    #[error("{method} {path} answered {status}")]
    Status {
        /// Method of the request.
        method: Method,
        /// Path of the request, without its query.
        path: String,
        /// The status received.
        status: StatusCode,
    },
    /// The registry answered, but not as the distribution spec says.
    #[error("{0}")]
    Protocol(String),
    /// A URL given on the command line or by the registry is unusable.
    #[error("invalid URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// One timed operation took longer than the per-operation limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// Formats an error with its causes, `outer: inner: innermost`, since the HTTP client's
/// own message ("client error (Connect)") hides the reason in its sources.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_name_the_request_and_the_status() {
        let error = BenchError::Status {
            method: Method::GET,
            path: "/v2/a/referrers/sha256:00".into(),
            status: StatusCode::NOT_FOUND,
        };
        assert_eq!(
            error.to_string(),
            "GET /v2/a/referrers/sha256:00 answered 404 Not Found"
        );
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (Connect)")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chain_joins_the_sources() {
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(chain(&error), "client error (Connect): connection refused");
    }
}
