//! Command line and environment, in two stages: the raw flags clap parses ([`Args`]) and
//! the validated settings the run uses ([`Settings`]).
//!
//! The environment variables are those of the official OCI conformance suite:
//! `OCI_ROOT_URL`, `OCI_NAMESPACE`, `OCI_USERNAME`, `OCI_PASSWORD`, and the workflow
//! switches `OCI_TEST_PULL`, `OCI_TEST_PUSH`, `OCI_TEST_CONTENT_DISCOVERY`,
//! `OCI_TEST_CONTENT_MANAGEMENT` (set to `1`).

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};

use crate::client::Credentials;
use crate::groups::Group;

/// Checks an OCI registry against the distribution-spec (v1.1), the referrers API and the
/// ORAS artifact API, over HTTP only.
#[derive(Debug, Parser)]
#[command(name = "cairn-conformance", version)]
pub(crate) struct Args {
    /// Root URL of the registry, e.g. http://127.0.0.1:5000.
    #[arg(long, env = "OCI_ROOT_URL")]
    pub(crate) url: Option<String>,

    /// Repository namespace; each run pushes to <namespace>/<run id>-<group>.
    #[arg(long, env = "OCI_NAMESPACE", default_value = "conformance")]
    pub(crate) namespace: String,

    /// Run only these groups (comma separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub(crate) only: Vec<Group>,

    /// User name for Basic auth and token requests.
    #[arg(long, env = "OCI_USERNAME")]
    pub(crate) username: Option<String>,

    /// Password for Basic auth and token requests.
    #[arg(long, env = "OCI_PASSWORD", hide_env_values = true)]
    pub(crate) password: Option<String>,

    /// Write a JUnit XML report to this file.
    #[arg(long)]
    pub(crate) junit: Option<PathBuf>,

    /// Write a JSON report to this file.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,

    /// Seconds one HTTP request may take, body included.
    #[arg(long, default_value_t = 300)]
    pub(crate) timeout: u64,

    /// Print every check with the spec sentence it tests, and exit.
    #[arg(long)]
    pub(crate) list: bool,

    /// Run the pull group (as the official suite's switch).
    #[arg(long, env = "OCI_TEST_PULL", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub(crate) test_pull: bool,

    /// Run the push and manifests groups (as the official suite's switch).
    #[arg(long, env = "OCI_TEST_PUSH", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub(crate) test_push: bool,

    /// Run the discovery and referrers groups (as the official suite's switch).
    #[arg(long, env = "OCI_TEST_CONTENT_DISCOVERY", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub(crate) test_content_discovery: bool,

    /// Run the management group (as the official suite's switch).
    #[arg(long, env = "OCI_TEST_CONTENT_MANAGEMENT", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub(crate) test_content_management: bool,
}

/// Validated settings of a run.
#[derive(Clone)]
pub(crate) struct Settings {
    /// Root URL of the registry.
    pub(crate) url: String,
    /// Repository namespace, valid under the spec's name grammar.
    pub(crate) namespace: String,
    /// Groups to run, in run order.
    pub(crate) groups: Vec<Group>,
    /// Login, when given.
    pub(crate) credentials: Option<Credentials>,
    /// JUnit report path.
    pub(crate) junit: Option<PathBuf>,
    /// JSON report path.
    pub(crate) json: Option<PathBuf>,
    /// Per-request time limit.
    pub(crate) timeout: Duration,
}

impl Settings {
    /// Validates `args`.
    pub(crate) fn from_args(args: Args) -> Result<Self, String> {
        let url = args
            .url
            .clone()
            .ok_or("--url (or OCI_ROOT_URL) is required")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("--url {url:?} must start with http:// or https://"));
        }
        if !valid_name(&args.namespace) {
            return Err(format!(
                "--namespace {:?} is not a repository name \
                 ([a-z0-9]+((.|_|__|-+)[a-z0-9]+)* components joined by /)",
                args.namespace
            ));
        }
        let credentials = match (args.username.clone(), args.password.clone()) {
            (Some(username), Some(password)) => Some(Credentials { username, password }),
            (None, None) => None,
            _ => return Err("--username and --password go together".to_owned()),
        };
        Ok(Self {
            url,
            namespace: args.namespace.clone(),
            groups: selected_groups(&args),
            credentials,
            junit: args.junit,
            json: args.json,
            timeout: Duration::from_secs(args.timeout.max(1)),
        })
    }
}

/// `--only` when given; else the groups the `OCI_TEST_*` switches name, with errors (as
/// the official suite always checks error codes); else every group.
fn selected_groups(args: &Args) -> Vec<Group> {
    let mut groups: Vec<Group> = if !args.only.is_empty() {
        args.only.clone()
    } else {
        let switches = [
            (args.test_pull, &[Group::Pull][..]),
            (args.test_push, &[Group::Push, Group::Manifests][..]),
            (
                args.test_content_discovery,
                &[Group::Discovery, Group::Referrers][..],
            ),
            (args.test_content_management, &[Group::Management][..]),
        ];
        let chosen: Vec<Group> = switches
            .iter()
            .filter(|(on, _)| *on)
            .flat_map(|(_, g)| g.iter().copied())
            .collect();
        if chosen.is_empty() {
            Group::ALL.to_vec()
        } else {
            [chosen, vec![Group::Errors]].concat()
        }
    };
    groups.sort();
    groups.dedup();
    groups
}

/// Whether `name` matches the spec's repository name grammar:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
pub(crate) fn valid_name(name: &str) -> bool {
    name.split('/').all(valid_component)
}

/// Whether one path component matches `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`: runs of
/// lowercase letters and digits joined by one separator each.
fn valid_component(component: &str) -> bool {
    let is_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut rest = component;
    loop {
        let run = rest.find(|c: char| !is_alnum(c)).unwrap_or(rest.len());
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        let separator_len = rest.find(is_alnum).unwrap_or(rest.len());
        let separator = &rest[..separator_len];
        let allowed = matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-');
        if !allowed {
            return false;
        }
        rest = &rest[separator_len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_spec_grammar() {
        for good in [
            "a",
            "conformance",
            "my-org/repo",
            "a__b",
            "a---b",
            "a.b_c/d0",
        ] {
            assert!(valid_name(good), "{good} should be valid");
        }
        for bad in [
            "", "A", "-a", "a-", "a/", "/a", "a._b", "a___b", "a//b", "a b",
        ] {
            assert!(!valid_name(bad), "{bad} should be invalid");
        }
    }

    #[test]
    fn switches_select_groups_plus_errors() {
        let mut args = Args::parse_from(["cairn-conformance"]);
        assert_eq!(selected_groups(&args), Group::ALL.to_vec());
        args.test_pull = true;
        assert_eq!(selected_groups(&args), vec![Group::Pull, Group::Errors]);
        args.only = vec![Group::Oras];
        assert_eq!(selected_groups(&args), vec![Group::Oras]);
    }
}
