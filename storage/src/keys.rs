//! The RocksDB key layout. This module is the only code that builds or splits keys.
//!
//! ```text
//! column family   key                                   value
//! ─────────────   ───────────────────────────────────   ──────────────────────────────
//! repositories    <repo>                                u64 BE: created, unix seconds
//! tags            <repo> 00 <tag>                       <digest text>
//! manifests       <repo> 00 <digest>                    u16 BE len, media type, bytes
//! referrers       <repo> 00 <subject> 00 <referrer>     descriptor JSON
//! links           <repo> 00 <digest>                    u64 BE: blob size
//! blobs           <digest>                              u64 BE size, u64 BE first seen
//! uploads         <upload id>                           session record JSON
//! ```
//!
//! `00` is a zero byte. No component can contain one (names, tags and digests are
//! printable ASCII), so a prefix ending in `00` selects exactly one repository or
//! subject, and byte order sorts tags, repositories and referrers lexically, which is
//! the order the distribution-spec asks for in listings.

use crate::digest::Digest;
use crate::name::{RepositoryName, Tag, UploadId};

/// Column family names, in the order they are opened.
pub(crate) const COLUMN_FAMILIES: [&str; 7] = [
    REPOSITORIES,
    TAGS,
    MANIFESTS,
    REFERRERS,
    LINKS,
    BLOBS,
    UPLOADS,
];

pub(crate) const REPOSITORIES: &str = "repositories";
pub(crate) const TAGS: &str = "tags";
pub(crate) const MANIFESTS: &str = "manifests";
pub(crate) const REFERRERS: &str = "referrers";
pub(crate) const LINKS: &str = "links";
pub(crate) const BLOBS: &str = "blobs";
pub(crate) const UPLOADS: &str = "uploads";

const SEP: u8 = 0;

fn join(parts: &[&[u8]]) -> Vec<u8> {
    let len = parts.iter().map(|p| p.len() + 1).sum();
    let mut key = Vec::with_capacity(len);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(SEP);
        }
        key.extend_from_slice(part);
    }
    key
}

/// `repositories` key.
pub(crate) fn repository(repo: &RepositoryName) -> Vec<u8> {
    repo.as_str().as_bytes().to_vec()
}

/// Prefix shared by every per-repository key of `repo` in `tags`, `manifests`,
/// `referrers` and `links`.
pub(crate) fn repository_prefix(repo: &RepositoryName) -> Vec<u8> {
    join(&[repo.as_str().as_bytes(), b""])
}

/// `tags` key.
pub(crate) fn tag(repo: &RepositoryName, tag: &Tag) -> Vec<u8> {
    join(&[repo.as_str().as_bytes(), tag.as_str().as_bytes()])
}

/// `manifests` key.
pub(crate) fn manifest(repo: &RepositoryName, digest: &Digest) -> Vec<u8> {
    join(&[repo.as_str().as_bytes(), digest.as_str().as_bytes()])
}

/// `links` key.
pub(crate) fn link(repo: &RepositoryName, digest: &Digest) -> Vec<u8> {
    join(&[repo.as_str().as_bytes(), digest.as_str().as_bytes()])
}

/// `referrers` key.
pub(crate) fn referrer(repo: &RepositoryName, subject: &Digest, referrer: &Digest) -> Vec<u8> {
    join(&[
        repo.as_str().as_bytes(),
        subject.as_str().as_bytes(),
        referrer.as_str().as_bytes(),
    ])
}

/// Prefix of every `referrers` key of `subject` in `repo`.
pub(crate) fn referrers_prefix(repo: &RepositoryName, subject: &Digest) -> Vec<u8> {
    join(&[repo.as_str().as_bytes(), subject.as_str().as_bytes(), b""])
}

/// `blobs` key.
pub(crate) fn blob(digest: &Digest) -> Vec<u8> {
    digest.as_str().as_bytes().to_vec()
}

/// `uploads` key.
pub(crate) fn upload(id: &UploadId) -> Vec<u8> {
    id.as_str().as_bytes().to_vec()
}

/// The last component of a key built by [`join`]: the tag of a `tags` key, the
/// referrer of a `referrers` key.
pub(crate) fn last_component(key: &[u8]) -> &[u8] {
    match key.iter().rposition(|&b| b == SEP) {
        Some(i) => &key[i + 1..],
        None => key,
    }
}

/// The key just after `key` in byte order, to resume a listing after it.
pub(crate) fn successor(mut key: Vec<u8>) -> Vec<u8> {
    key.push(SEP);
    key
}

/// Encodes a manifest value: the media type, then the exact bytes.
pub(crate) fn manifest_value(media_type: &str, bytes: &[u8]) -> Vec<u8> {
    let len = u16::try_from(media_type.len()).unwrap_or(u16::MAX);
    let mut value = Vec::with_capacity(2 + media_type.len() + bytes.len());
    value.extend_from_slice(&len.to_be_bytes());
    value.extend_from_slice(&media_type.as_bytes()[..usize::from(len)]);
    value.extend_from_slice(bytes);
    value
}

/// Splits a manifest value into media type and bytes; `None` if it is corrupt.
pub(crate) fn split_manifest_value(value: &[u8]) -> Option<(&str, &[u8])> {
    let len = usize::from(u16::from_be_bytes([*value.first()?, *value.get(1)?]));
    let media_type = std::str::from_utf8(value.get(2..2 + len)?).ok()?;
    Some((media_type, &value[2 + len..]))
}

/// Encodes a `u64` value.
pub(crate) fn u64_value(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Decodes the `u64` at the start of a value; `None` if it is too short.
pub(crate) fn read_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.get(..8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_prefix_does_not_match_longer_names() {
        let short: RepositoryName = "a".parse().expect("name");
        let long: RepositoryName = "a/b".parse().expect("name");
        let t: Tag = "v1".parse().expect("tag");
        assert!(tag(&short, &t).starts_with(&repository_prefix(&short)));
        assert!(!tag(&long, &t).starts_with(&repository_prefix(&short)));
    }

    #[test]
    fn manifest_values_round_trip() {
        let value = manifest_value("application/vnd.oci.image.manifest.v1+json", b"{}");
        assert_eq!(
            split_manifest_value(&value),
            Some(("application/vnd.oci.image.manifest.v1+json", &b"{}"[..]))
        );
        assert_eq!(split_manifest_value(&[0, 9, b'x']), None);
    }

    #[test]
    fn last_component_is_the_referrer() {
        let repo: RepositoryName = "r".parse().expect("name");
        let subject = Digest::sha256_of(b"s");
        let referrer_digest = Digest::sha256_of(b"r");
        let key = referrer(&repo, &subject, &referrer_digest);
        assert!(key.starts_with(&referrers_prefix(&repo, &subject)));
        assert_eq!(last_component(&key), referrer_digest.as_str().as_bytes());
    }
}
