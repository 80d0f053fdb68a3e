//! Content digests as the image-spec writes them: `algorithm ":" encoded`, with lowercase
//! hex. Only sha256 (which every registry MUST support) and sha512 (which it MAY) are
//! needed here.

use sha2::{Digest as _, Sha256, Sha512};

/// The `sha256:<hex>` digest of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The `sha512:<hex>` digest of `bytes`.
pub(crate) fn sha512(bytes: &[u8]) -> String {
    format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
}

/// A sha256 digest computed piece by piece, for content too big to hold.
#[derive(Default)]
pub(crate) struct Sha256Stream {
    /// Hash state so far.
    hasher: Sha256,
    /// Bytes seen so far.
    length: u64,
}

impl Sha256Stream {
    /// Feeds the next piece.
    pub(crate) fn update(&mut self, piece: &[u8]) {
        self.hasher.update(piece);
        self.length += piece.len() as u64;
    }

    /// The digest and length of everything fed.
    pub(crate) fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", hex::encode(self.hasher.finalize())),
            self.length,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_json_has_the_well_known_digest() {
        let known = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        assert_eq!(sha256(b"{}"), known);
    }

    #[test]
    fn streamed_digest_equals_whole_digest() {
        let mut stream = Sha256Stream::default();
        stream.update(b"hello ");
        stream.update(b"world");
        assert_eq!(stream.finish(), (sha256(b"hello world"), 11));
    }
}
