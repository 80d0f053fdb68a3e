//! The check groups, one module each, and the order they run in.
//!
//! | group | module | spec |
//! | --- | --- | --- |
//! | `pull` | [`pull`] | distribution-spec: Pull, Determining Support |
//! | `push` | [`push`] | distribution-spec: Push (blobs: monolithic, chunked, mount) |
//! | `manifests` | [`manifests`] | distribution-spec: Pushing Manifests; image-spec; ORAS |
//! | `discovery` | [`discovery`] | distribution-spec: Content Discovery (tags); catalog |
//! | `management` | [`management`] | distribution-spec: Content Management |
//! | `referrers` | [`referrers`] | distribution-spec 1.1: Listing Referrers, subject |
//! | `oras` | [`oras`] | ORAS artifacts-spec: artifact manifest, referrers API |
//! | `errors` | [`errors`] | distribution-spec: Error Codes |
//!
//! Each group pushes into its own repositories, named `<namespace>/<run id>-<group>`, so
//! groups do not depend on one another and can be run alone with `--only`.

mod discovery;
mod errors;
mod management;
mod manifests;
mod oras;
mod pull;
mod push;
mod referrers;

use clap::ValueEnum;

use crate::suite::{Spec, Suite};

/// A named set of checks, selectable with `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum Group {
    /// Version check, blob and manifest GET/HEAD.
    Pull,
    /// Blob uploads of every kind.
    Push,
    /// Manifest media types, headers, limits and refusals.
    Manifests,
    /// Tag listing and catalog pagination.
    Discovery,
    /// Deletion of tags, manifests and blobs.
    Management,
    /// The OCI 1.1 referrers API.
    Referrers,
    /// The ORAS artifact manifest and its referrers API.
    Oras,
    /// Error codes and their envelope.
    Errors,
}

impl Group {
    /// Every group, in run order.
    pub(crate) const ALL: [Group; 8] = [
        Group::Pull,
        Group::Push,
        Group::Manifests,
        Group::Discovery,
        Group::Management,
        Group::Referrers,
        Group::Oras,
        Group::Errors,
    ];

    /// The group's name, as `--only` takes it and check ids start.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Group::Pull => "pull",
            Group::Push => "push",
            Group::Manifests => "manifests",
            Group::Discovery => "discovery",
            Group::Management => "management",
            Group::Referrers => "referrers",
            Group::Oras => "oras",
            Group::Errors => "errors",
        }
    }

    /// Every check of the group, in run order.
    pub(crate) fn checks(self) -> Vec<&'static Spec> {
        match self {
            Group::Pull => pull::CHECKS.to_vec(),
            Group::Push => push::checks(),
            Group::Manifests => manifests::CHECKS.to_vec(),
            Group::Discovery => discovery::CHECKS.to_vec(),
            Group::Management => management::CHECKS.to_vec(),
            Group::Referrers => referrers::checks(),
            Group::Oras => oras::CHECKS.to_vec(),
            Group::Errors => errors::CHECKS.to_vec(),
        }
    }

    /// Runs the group's checks.
    pub(crate) async fn run(self, suite: &mut Suite) {
        match self {
            Group::Pull => pull::run(suite).await,
            Group::Push => push::run(suite).await,
            Group::Manifests => manifests::run(suite).await,
            Group::Discovery => discovery::run(suite).await,
            Group::Management => management::run(suite).await,
            Group::Referrers => referrers::run(suite).await,
            Group::Oras => oras::run(suite).await,
            Group::Errors => errors::run(suite).await,
        }
    }
}

/// The group a check id belongs to: the part before the first dot.
pub(crate) fn group_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn check_ids_are_unique_and_start_with_their_group() {
        let mut seen = BTreeSet::new();
        for group in Group::ALL {
            for spec in group.checks() {
                assert!(seen.insert(spec.id), "duplicate check id {}", spec.id);
                assert_eq!(
                    group_of(spec.id),
                    group.name(),
                    "{} is in {}",
                    spec.id,
                    group.name()
                );
                assert!(!spec.says.is_empty(), "{} states no spec sentence", spec.id);
            }
        }
    }

    #[test]
    fn names_match_the_value_enum() {
        for group in Group::ALL {
            let parsed = Group::from_str(group.name(), false);
            assert_eq!(parsed, Ok(group));
        }
    }
}
