//! Validated names: [`RepositoryName`], [`Tag`], [`Reference`] and [`UploadId`].
//!
//! The grammars are those of the distribution-spec, "Pulling manifests":
//!
//! ```text
//! name       ::= component ("/" component)*
//! component  ::= [a-z0-9]+ (separator [a-z0-9]+)*
//! separator  ::= "." | "_" | "__" | "-"+
//! tag        ::= [a-zA-Z0-9_] [a-zA-Z0-9._-]{0,127}
//! reference  ::= tag | digest
//! ```
//!
//! A name has any number of components; its total length is capped at 255 bytes, the
//! bound the spec sets for a host name plus repository name.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

/// The longest repository name accepted.
pub const MAX_NAME_LEN: usize = 255;

/// The longest tag accepted.
pub const MAX_TAG_LEN: usize = 128;

/// Why a string is not a valid name, tag or reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Not a repository name.
    #[error("invalid repository name {0:?}")]
    Name(String),
    /// Not a tag.
    #[error("invalid tag {0:?}")]
    Tag(String),
    /// Looks like a digest but is not a valid one.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// Not an upload session id.
    #[error("invalid upload id {0:?}")]
    UploadId(String),
}

/// A repository name such as `library/alpine` or `team/app/signatures`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryName(String);

fn is_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }

    // Between alphanumeric runs: one '.', one or two '_', or any number of '-'.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let valid = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !valid {
            return false;
        }
    }
    true
}

impl RepositoryName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RepositoryName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_NAME_LEN || !s.split('/').all(is_component) {
            return Err(NameError::Name(s.to_owned()));
        }
        Ok(RepositoryName(s.to_owned()))
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RepositoryName({})", self.0)
    }
}

/// A tag such as `latest`, `v1.2.3` or `sha256-<hex>` (the referrers tag schema).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tag under which the referrers tag schema lists the referrers of `subject`:
    /// `<algorithm>-<hex>`, truncated to the tag length limit.
    pub fn referrers_fallback(subject: &Digest) -> Tag {
        let mut text = format!("{}-{}", subject.algorithm().as_str(), subject.hex());
        text.truncate(MAX_TAG_LEN);
        Tag(text)
    }
}

impl FromStr for Tag {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let head_ok = bytes
            .first()
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_');
        let rest_ok = bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !head_ok || !rest_ok || s.len() > MAX_TAG_LEN {
            return Err(NameError::Tag(s.to_owned()));
        }
        Ok(Tag(s.to_owned()))
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({})", self.0)
    }
}

/// What a manifest URL names: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// A mutable tag.
    Tag(Tag),
    /// An immutable content digest.
    Digest(Digest),
}

impl FromStr for Reference {
    type Err = NameError;

    /// A reference with a `:` can only be a digest; anything else must be a tag.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains(':') {
            Ok(Reference::Digest(s.parse()?))
        } else {
            Ok(Reference::Tag(s.parse()?))
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(tag) => tag.fmt(f),
            Reference::Digest(digest) => digest.fmt(f),
        }
    }
}

/// The id of an upload session: 32 lowercase hex characters, chosen by cairn.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId(String);

impl UploadId {
    /// A new random id.
    pub fn generate() -> UploadId {
        UploadId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UploadId {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(NameError::UploadId(s.to_owned()));
        }
        Ok(UploadId(s.to_owned()))
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UploadId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_of_any_depth() {
        for good in [
            "a",
            "library/alpine",
            "a/b/c/d/e/f/g/h/i/j",
            "my-app__x/v1.2_3",
            "a--b",
            "0",
        ] {
            assert!(good.parse::<RepositoryName>().is_ok(), "{good:?}");
        }
    }

    #[test]
    fn rejects_names_outside_the_grammar() {
        let too_long = "a".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "",
            "A",
            "/a",
            "a/",
            "a//b",
            "a..b",
            "a___b",
            "-a",
            "a-",
            "a.-b",
            "a b",
            too_long.as_str(),
        ] {
            assert!(bad.parse::<RepositoryName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn validates_tags() {
        assert!("latest".parse::<Tag>().is_ok());
        assert!("_v1.0-rc.1".parse::<Tag>().is_ok());
        assert!("A".repeat(MAX_TAG_LEN).parse::<Tag>().is_ok());
        for bad in ["", ".x", "-x", "a/b", "a:b", &"a".repeat(MAX_TAG_LEN + 1)] {
            assert!(bad.parse::<Tag>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn references_split_on_the_colon() {
        let digest = Digest::sha256_of(b"x");
        assert_eq!(
            digest.as_str().parse::<Reference>(),
            Ok(Reference::Digest(digest.clone()))
        );
        assert!(matches!("v1".parse::<Reference>(), Ok(Reference::Tag(_))));
        assert!("sha256:nothex".parse::<Reference>().is_err());
    }

    #[test]
    fn fallback_tag_follows_the_tag_schema() {
        let digest = Digest::sha256_of(b"x");
        let tag = Tag::referrers_fallback(&digest);
        assert_eq!(tag.as_str(), format!("sha256-{}", digest.hex()));
        assert!(tag.as_str().parse::<Tag>().is_ok());
    }

    #[test]
    fn upload_ids_round_trip() {
        let id = UploadId::generate();
        assert_eq!(id.as_str().parse::<UploadId>(), Ok(id.clone()));
        assert!("../etc/passwd".parse::<UploadId>().is_err());
    }
}
