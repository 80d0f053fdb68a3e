//! Content digests: the validated [`Digest`] type and the incremental [`DigestHasher`].
//!
//! The grammar is the one of the OCI image-spec, `descriptor.md`:
//!
//! ```text
//! digest     ::= algorithm ":" encoded
//! algorithm  ::= component (separator component)*
//! component  ::= [a-z0-9]+
//! separator  ::= [+._-]
//! encoded    ::= [a-zA-Z0-9=_-]+
//! ```
//!
//! Only the registered algorithms `sha256` (64 lowercase hex) and `sha512` (128 lowercase
//! hex) can be stored; any other well-formed algorithm parses into an
//! [`DigestError::Unsupported`] so callers can tell "malformed" from "not supported".

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

/// A hash algorithm cairn can verify content with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, the default of every OCI client.
    Sha256,
    /// SHA-512, allowed by the image-spec and used by a few clients.
    Sha512,
}

impl Algorithm {
    /// The name used in digests and in the blob directory layout.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex encoding of a hash of this algorithm.
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// Why a string is not a digest cairn can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The string does not follow the digest grammar.
    #[error("malformed digest {0:?}")]
    Malformed(String),
    /// The string is a well-formed digest of an algorithm cairn does not implement.
    #[error("unsupported digest algorithm in {0:?}")]
    Unsupported(String),
}

/// A validated content digest such as `sha256:2c26b4...`.
///
/// The string form is kept whole, so formatting and key building never allocate.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    text: String,
}

impl Digest {
    /// The algorithm part.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex-encoded hash, without the algorithm prefix.
    pub fn hex(&self) -> &str {
        &self.text[self.algorithm.as_str().len() + 1..]
    }

    /// The full `algorithm:hex` text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The SHA-256 digest of `data`.
    pub fn sha256_of(data: &[u8]) -> Digest {
        let mut hasher = DigestHasher::new(Algorithm::Sha256);
        hasher.update(data);
        hasher.finish()
    }

    /// The digest of `data` computed with `algorithm`.
    pub fn compute(algorithm: Algorithm, data: &[u8]) -> Digest {
        let mut hasher = DigestHasher::new(algorithm);
        hasher.update(data);
        hasher.finish()
    }
}

fn is_algorithm_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_well_formed(s: &str) -> Option<(&str, &str)> {
    let (algorithm, encoded) = s.split_once(':')?;
    let components_ok = algorithm
        .split(['+', '.', '_', '-'])
        .all(is_algorithm_component);
    let encoded_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    (components_ok && encoded_ok).then_some((algorithm, encoded))
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((algorithm, encoded)) = is_well_formed(s) else {
            return Err(DigestError::Malformed(s.to_owned()));
        };
        let algorithm = match algorithm {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(DigestError::Unsupported(s.to_owned())),
        };

        // Registered algorithms pin the encoding to lowercase hex of a fixed length.
        let hex_ok = encoded.len() == algorithm.hex_len()
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok {
            return Err(DigestError::Malformed(s.to_owned()));
        }
        Ok(Digest {
            algorithm,
            text: s.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.text)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An incremental hasher for either algorithm, fed while bytes arrive.
#[derive(Clone)]
pub enum DigestHasher {
    /// SHA-256 state.
    Sha256(Sha256),
    /// SHA-512 state.
    Sha512(Sha512),
}

impl DigestHasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => DigestHasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => DigestHasher::Sha512(Sha512::new()),
        }
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            DigestHasher::Sha256(_) => Algorithm::Sha256,
            DigestHasher::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// Feeds `data` into the hash.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            DigestHasher::Sha256(h) => h.update(data),
            DigestHasher::Sha512(h) => h.update(data),
        }
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        let algorithm = self.algorithm();
        let hex = match self {
            DigestHasher::Sha256(h) => hex::encode(h.finalize()),
            DigestHasher::Sha512(h) => hex::encode(h.finalize()),
        };
        Digest {
            algorithm,
            text: format!("{}:{hex}", algorithm.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_and_prints_sha256() {
        let digest: Digest = EMPTY_SHA256.parse().expect("valid digest");
        assert_eq!(digest.algorithm(), Algorithm::Sha256);
        assert_eq!(digest.to_string(), EMPTY_SHA256);
        assert_eq!(digest.hex().len(), 64);
        assert_eq!(Digest::sha256_of(b""), digest);
    }

    #[test]
    fn sha512_has_its_own_length() {
        let digest = Digest::compute(Algorithm::Sha512, b"abc");
        assert_eq!(digest.hex().len(), 128);
        assert_eq!(digest.as_str().parse::<Digest>(), Ok(digest.clone()));
    }

    #[test]
    fn rejects_malformed_digests() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            ":abc",
            "sha256:XYZ",
            "SHA256:e3b0",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/x",
        ] {
            assert!(
                matches!(bad.parse::<Digest>(), Err(DigestError::Malformed(_))),
                "{bad:?} should be malformed"
            );
        }
    }

    #[test]
    fn tells_unsupported_from_malformed() {
        assert!(matches!(
            "md5:d41d8cd98f00b204e9800998ecf8427e".parse::<Digest>(),
            Err(DigestError::Unsupported(_))
        ));
        assert!(matches!(
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8".parse::<Digest>(),
            Err(DigestError::Unsupported(_))
        ));
    }
}
