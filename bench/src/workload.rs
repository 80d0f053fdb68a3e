//! The catalogue of workloads: names, what each one measures, and `--only` selection.
//!
//! Setup lives in [`crate::setup`] and the timed operation in [`crate::plan`]; this module
//! only says which workloads exist. A "request" in the results is one operation as
//! described here: a whole blob push counts once, however many HTTP requests it takes.

use std::fmt;

/// How a push workload sends its blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushKind {
    /// POST then one PUT `?digest=` with every byte.
    Monolithic,
    /// POST, PATCHes with `Content-Range`, then an empty PUT `?digest=`.
    Chunked,
}

/// One benchmark workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `GET /v2/`.
    Ping,
    /// `HEAD` of a manifest by tag.
    ManifestHeadTag,
    /// `GET` of a manifest by tag.
    ManifestGetTag,
    /// `HEAD` of a manifest by digest.
    ManifestHeadDigest,
    /// `GET` of a manifest by digest.
    ManifestGetDigest,
    /// `GET` of a blob of this many MiB.
    BlobGet(u64),
    /// `GET` with `Range` of 1 MiB at a varying offset in a 64 MiB blob.
    BlobGetRange,
    /// A push of a fresh blob of this many MiB.
    Push(PushKind, u64),
    /// Three pulls (manifest by tag, then its 1 MiB layer) for each push (1 MiB layer,
    /// then a manifest under a new tag).
    Mixed,
    /// The full tag list of a repository with many tags, following `Link` pages.
    TagsList,
    /// The referrers list of a subject with many referrers, following `Link` pages.
    Referrers,
    /// One page of 10 referrers from the middle of a subject's list: what a client
    /// paging through a long list pays per request.
    ReferrersPage,
}

/// Every workload, in the order they run.
pub const ALL: [Workload; 18] = [
    Workload::Ping,
    Workload::ManifestHeadTag,
    Workload::ManifestGetTag,
    Workload::ManifestHeadDigest,
    Workload::ManifestGetDigest,
    Workload::BlobGet(1),
    Workload::BlobGet(64),
    Workload::BlobGetRange,
    Workload::Push(PushKind::Monolithic, 1),
    Workload::Push(PushKind::Monolithic, 10),
    Workload::Push(PushKind::Monolithic, 100),
    Workload::Push(PushKind::Chunked, 1),
    Workload::Push(PushKind::Chunked, 10),
    Workload::Push(PushKind::Chunked, 100),
    Workload::Mixed,
    Workload::TagsList,
    Workload::Referrers,
    Workload::ReferrersPage,
];

impl Workload {
    /// The name used by `--only` and in reports.
    pub fn name(self) -> String {
        match self {
            Self::Ping => "ping".into(),
            Self::ManifestHeadTag => "manifest-head-tag".into(),
            Self::ManifestGetTag => "manifest-get-tag".into(),
            Self::ManifestHeadDigest => "manifest-head-digest".into(),
            Self::ManifestGetDigest => "manifest-get-digest".into(),
            Self::BlobGet(mib) => format!("blob-get-{mib}m"),
            Self::BlobGetRange => "blob-get-range".into(),
            Self::Push(PushKind::Monolithic, mib) => format!("push-mono-{mib}m"),
            Self::Push(PushKind::Chunked, mib) => format!("push-chunked-{mib}m"),
            Self::Mixed => "mixed".into(),
            Self::TagsList => "tags-list".into(),
            Self::Referrers => "referrers".into(),
            Self::ReferrersPage => "referrers-page".into(),
        }
    }

    /// One line on what is timed.
    pub fn describe(self) -> String {
        match self {
            Self::Ping => "GET /v2/".into(),
            Self::ManifestHeadTag => "HEAD /v2/<name>/manifests/<tag>".into(),
            Self::ManifestGetTag => "GET /v2/<name>/manifests/<tag>".into(),
            Self::ManifestHeadDigest => "HEAD /v2/<name>/manifests/<digest>".into(),
            Self::ManifestGetDigest => "GET /v2/<name>/manifests/<digest>".into(),
            Self::BlobGet(mib) => format!("GET of a {mib} MiB blob"),
            Self::BlobGetRange => "GET with Range: 1 MiB at varying offsets of 64 MiB".into(),
            Self::Push(PushKind::Monolithic, mib) => {
                format!("push of a new {mib} MiB blob: POST, PUT ?digest=")
            }
            Self::Push(PushKind::Chunked, mib) => {
                format!("push of a new {mib} MiB blob: POST, PATCH with Content-Range, PUT")
            }
            Self::Mixed => "3 image pulls (manifest + 1 MiB layer) per image push".into(),
            Self::TagsList => "GET /v2/<name>/tags/list of a repository with --tags tags".into(),
            Self::Referrers => {
                "GET /v2/<name>/referrers/<digest> of a subject with --referrers referrers".into()
            }
            Self::ReferrersPage => {
                "GET of one page of 10 referrers from the middle of --referrers referrers".into()
            }
        }
    }

    /// Whether the workload needs content that only its own setup can push; such
    /// workloads are skipped on a target where `--no-setup` applies. The others read the
    /// `--repo` and `--tag` given there, or need no content at all.
    pub fn needs_own_content(self) -> bool {
        matches!(self, Self::BlobGet(_) | Self::BlobGetRange | Self::Mixed)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The workloads that `--only` selects, in [`ALL`] order. An entry selects the workload
/// of that name and every workload whose name continues it after a `-`, so `push` picks
/// all pushes and `manifest-get` both manifest GETs. An empty list selects everything.
pub fn select(only: &[String]) -> Result<Vec<Workload>, String> {
    if only.is_empty() {
        return Ok(ALL.to_vec());
    }
    let matches = |entry: &str, w: Workload| {
        let name = w.name();
        name == entry || name.starts_with(&format!("{entry}-"))
    };
    if let Some(unknown) = only.iter().find(|e| !ALL.iter().any(|w| matches(e, *w))) {
        let names: Vec<String> = ALL.iter().map(|w| w.name()).collect();
        return Err(format!(
            "no workload is called {unknown:?}; choose among {}",
            names.join(", ")
        ));
    }
    let chosen = ALL.iter().filter(|w| only.iter().any(|e| matches(e, **w)));
    Ok(chosen.copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(only: &[&str]) -> Result<Vec<String>, String> {
        let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
        select(&only).map(|ws| ws.into_iter().map(Workload::name).collect())
    }

    #[test]
    fn an_empty_selection_runs_everything() {
        assert_eq!(names(&[]).map(|n| n.len()), Ok(ALL.len()));
    }

    #[test]
    fn prefixes_select_groups_in_catalogue_order() {
        assert_eq!(
            names(&["referrers", "push-mono"]),
            Ok(vec![
                "push-mono-1m".to_string(),
                "push-mono-10m".to_string(),
                "push-mono-100m".to_string(),
                "referrers".to_string(),
                "referrers-page".to_string(),
            ])
        );
    }

    #[test]
    fn a_prefix_must_end_at_a_dash() {
        assert!(names(&["pin"]).is_err());
        assert_eq!(names(&["ping"]), Ok(vec!["ping".to_string()]));
    }

    #[test]
    fn an_exact_name_selects_only_itself() {
        assert_eq!(names(&["blob-get-1m"]), Ok(vec!["blob-get-1m".to_string()]));
    }

    #[test]
    fn names_are_unique() {
        let mut all: Vec<String> = ALL.iter().map(|w| w.name()).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), ALL.len());
    }
}
