//! Answers `401 Unauthorized` challenges, so the runner works against registries that
//! require a login.
//!
//! Two schemes are understood. `Basic`: the credentials are sent with every later request.
//! `Bearer realm=..,service=..,scope=..` (the token flow Docker clients use): a token is
//! fetched from the realm with the credentials as Basic auth, or anonymously without any.
//! Scopes from every challenge are collected and one token is asked for all of them, so a
//! single token serves every repository of the run.

use std::collections::BTreeSet;
use std::sync::Mutex;

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Url};
use serde::Deserialize;

use crate::suite::{fail, Checked};

/// A user name and password.
#[derive(Clone)]
pub(crate) struct Credentials {
    /// User name.
    pub(crate) username: String,
    /// Password or access token.
    pub(crate) password: String,
}

/// Authentication state shared by every clone of a client.
pub(crate) struct Authenticator {
    /// What to log in with; `None` still allows anonymous bearer tokens.
    credentials: Option<Credentials>,
    /// What to send now; guarded because checks may run calls concurrently.
    state: Mutex<State>,
}

/// What the last challenge asked for.
#[derive(Default)]
struct State {
    /// Send Basic credentials with every request.
    basic: bool,
    /// Bearer token to send, when one was issued.
    token: Option<String>,
    /// Every scope any challenge has named.
    scopes: BTreeSet<String>,
}

/// Body of a token endpoint's answer; registries use either field name.
#[derive(Deserialize)]
struct TokenReply {
    /// Field used by the Docker token specification.
    token: Option<String>,
    /// Field used by OAuth2-style token endpoints.
    access_token: Option<String>,
}

impl Authenticator {
    /// State for a client logging in with `credentials`.
    pub(crate) fn new(credentials: Option<Credentials>) -> Self {
        Self {
            credentials,
            state: Mutex::new(State::default()),
        }
    }

    /// Adds the current credentials, if any, to a request.
    pub(crate) fn apply(&self, request: RequestBuilder) -> RequestBuilder {
        let Ok(state) = self.state.lock() else {
            return request;
        };
        if let Some(token) = &state.token {
            return request.bearer_auth(token);
        }
        match (&self.credentials, state.basic) {
            (Some(c), true) => request.basic_auth(&c.username, Some(&c.password)),
            _ => request,
        }
    }

    /// Acts on the challenge of a 401 reply; true when the request is worth sending again.
    pub(crate) async fn answer(
        &self,
        http: &reqwest::Client,
        headers: &HeaderMap,
    ) -> Checked<bool> {
        let challenges: Vec<Challenge> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(parse_challenges)
            .collect();

        if let Some(bearer) = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        {
            return self.fetch_token(http, bearer).await.map(|()| true);
        }
        let basic = challenges
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("basic"));
        if basic && self.credentials.is_some() {
            if let Ok(mut state) = self.state.lock() {
                let first_time = !state.basic;
                state.basic = true;
                return Ok(first_time);
            }
        }
        Ok(false)
    }

    /// Gets a token from the challenge's realm for every scope seen so far.
    async fn fetch_token(&self, http: &reqwest::Client, challenge: &Challenge) -> Checked<()> {
        let Some(realm) = challenge.param("realm") else {
            fail!("Bearer challenge without a realm");
        };
        let mut url = match Url::parse(realm) {
            Ok(url) => url,
            Err(e) => fail!("Bearer realm {realm:?} is not a URL: {e}"),
        };

        let scopes = match self.state.lock() {
            Ok(mut state) => {
                let new = challenge
                    .param("scope")
                    .unwrap_or_default()
                    .split_whitespace();
                state.scopes.extend(new.map(str::to_owned));
                state.scopes.clone()
            }
            Err(_) => fail!("authentication state poisoned by an earlier panic"),
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = challenge.param("service") {
                query.append_pair("service", service);
            }
            for scope in &scopes {
                query.append_pair("scope", scope);
            }
        }

        let mut request = http.get(url);
        if let Some(c) = &self.credentials {
            request = request.basic_auth(&c.username, Some(&c.password));
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => fail!("token request to {realm} failed: {e}"),
        };
        if !response.status().is_success() {
            fail!(
                "token endpoint {realm} answered {}",
                response.status().as_u16()
            );
        }
        let reply: TokenReply = match response.json().await {
            Ok(reply) => reply,
            Err(e) => fail!("token endpoint {realm} answered unreadable JSON: {e}"),
        };
        let Some(token) = reply.token.or(reply.access_token) else {
            fail!("token endpoint {realm} answered without token or access_token");
        };
        if let Ok(mut state) = self.state.lock() {
            state.token = Some(token);
        }
        Ok(())
    }
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, PartialEq, Eq)]
struct Challenge {
    /// Auth scheme, e.g. `Bearer`.
    scheme: String,
    /// Auth parameters in order, names lowercased.
    params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name`.
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a `WWW-Authenticate` value (RFC 7235): challenges of a scheme followed by
/// comma-separated `name=value` or `name="quoted, value"` parameters.
fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut rest = header.trim_start();
    while !rest.is_empty() {
        let end = rest.find(|c: char| c == '=' || c == ',' || c.is_whitespace());
        let (token, after) = rest.split_at(end.unwrap_or(rest.len()));
        let after = after.trim_start();

        if let Some(value_part) = after.strip_prefix('=').filter(|_| !token.is_empty()) {
            let (value, remainder) = read_value(value_part.trim_start());
            if let Some(current) = challenges.last_mut() {
                current.params.push((token.to_ascii_lowercase(), value));
            }
            rest = remainder;
        } else if !token.is_empty() {
            challenges.push(Challenge {
                scheme: token.to_owned(),
                params: Vec::new(),
            });
            rest = after;
        } else {
            rest = after;
        }
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    }
    challenges
}

/// Reads a parameter value, quoted or not; returns it and what follows.
fn read_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(text.len());
        return (text[..end].to_owned(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &quoted[i + 1..]),
            _ => value.push(c),
        }
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_with_commas_inside_quotes() {
        let header = r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#;
        let parsed = parse_challenges(header);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].scheme, "Bearer");
        assert_eq!(parsed[0].param("realm"), Some("https://auth.example/token"));
        assert_eq!(parsed[0].param("service"), Some("reg"));
        assert_eq!(parsed[0].param("scope"), Some("repository:a/b:pull,push"));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let parsed = parse_challenges(r#"Basic realm="r", Bearer realm="https://t/x",service=s"#);
        let schemes: Vec<&str> = parsed.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer"]);
        assert_eq!(parsed[1].param("service"), Some("s"));
    }

    #[test]
    fn escaped_quotes_are_unescaped() {
        let parsed = parse_challenges(r#"Basic realm="say \"hi\"""#);
        assert_eq!(parsed[0].param("realm"), Some(r#"say "hi""#));
    }
}
