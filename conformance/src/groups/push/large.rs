//! Push, a 64 MiB blob: uploaded with POST then one streamed PUT, and read back streamed.
//!
//! The content is a deterministic pseudo-random pattern made piece by piece, so the runner
//! never holds the blob: one pass computes the digest, the upload makes the pieces again,
//! and the download is hashed as it arrives. Registries that buffer whole uploads in
//! memory, or cap request bodies, fail here.

use bytes::Bytes;
use futures_util::stream;

use crate::client::Client;
use crate::digest::Sha256Stream;
use crate::steps::{self, OCTET_STREAM};
use crate::suite::{ensure, fail, Checked, Spec, Suite};

static LARGE: Spec = Spec {
    id: "push.large-blob",
    says: "a 64 MiB blob pushed with POST then PUT <location>?digest=<digest> (Content-Length: \
           <length>, body streamed) answers 201 Created and GET serves the same bytes",
};

/// Checks of this file.
pub(super) const CHECKS: &[&Spec] = &[&LARGE];

/// Size of one generated piece.
const PIECE: usize = 1 << 20;
/// Number of pieces: 64 MiB in all.
const PIECES: u64 = 64;

/// Runs the large-blob check against `repo`.
pub(super) async fn run(suite: &mut Suite, repo: &str) {
    let client = suite.client.clone();
    suite.run(&LARGE, large(&client, repo)).await;
}

/// Piece `index` of the pattern for `seed`: xorshift64 output, eight bytes per step.
fn piece(seed: u64, index: u64) -> Bytes {
    let mut state = (seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1;
    let mut bytes = Vec::with_capacity(PIECE);
    while bytes.len() < PIECE {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    Bytes::from(bytes)
}

async fn large(client: &Client, repo: &str) -> Checked<()> {
    let seed = uuid::Uuid::new_v4().as_u64_pair().0;
    let mut hasher = Sha256Stream::default();
    for index in 0..PIECES {
        hasher.update(&piece(seed, index));
    }
    let (digest, length) = hasher.finish();

    let location = steps::start_upload(client, repo).await?;
    let source = std::sync::Arc::new(move || {
        let pieces = (0..PIECES).map(move |i| Ok::<Bytes, std::io::Error>(piece(seed, i)));
        reqwest::Body::wrap_stream(stream::iter(pieces))
    });
    let reply = client
        .put(&location)
        .query("digest", &digest)
        .header("content-type", OCTET_STREAM)
        .stream(source, Some(length))
        .send()
        .await?;
    reply.expect(201)?;

    let head = client
        .head(&format!("/v2/{repo}/blobs/{digest}"))
        .send()
        .await?;
    head.expect(200)?;
    let size = head
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    ensure!(
        size == Some(length),
        "HEAD answered Content-Length {size:?}, expected {length}"
    );

    let mut response = client
        .get(&format!("/v2/{repo}/blobs/{digest}"))
        .send_streaming()
        .await?;
    if response.status().as_u16() != 200 {
        fail!(
            "GET of the 64 MiB blob answered {}, expected 200",
            response.status().as_u16()
        );
    }
    let mut received = Sha256Stream::default();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.update(&chunk),
            Ok(None) => break,
            Err(e) => fail!("reading the 64 MiB blob failed: {e}"),
        }
    }
    let (got, got_length) = received.finish();
    ensure!(
        got == digest && got_length == length,
        "GET served {got_length} bytes with digest {got}, expected {length} bytes with {digest}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_deterministic_and_distinct() {
        assert_eq!(piece(7, 3), piece(7, 3));
        assert_ne!(piece(7, 3), piece(7, 4));
        assert_eq!(piece(1, 0).len(), PIECE);
    }
}
