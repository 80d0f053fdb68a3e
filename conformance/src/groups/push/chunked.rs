//! Push, chunked and streamed uploads: PATCH with `Content-Range`, an out-of-order chunk,
//! the upload status GET, closing with or without a final chunk, and a PATCH streamed
//! without `Content-Range` or `Content-Length`.
//!
//! Spec: distribution-spec, Push / "Pushing a blob in chunks". The blob is three chunks;
//! a chunk is 10 bytes, or the registry's `OCI-Chunk-Min-Length` when that is larger.

use bytes::Bytes;
use futures_util::stream;

use super::verify_blob;
use crate::client::{Client, Reply};
use crate::fixtures::{self, Blob};
use crate::protocol::range_end;
use crate::steps::OCTET_STREAM;
use crate::suite::{fail, Checked, Spec, Suite};

static FIRST: Spec = Spec {
    id: "push.chunked.first-chunk",
    says: "PATCH <location> with Content-Range 0-<end> (first chunk MUST begin with 0) MUST \
           answer 202 Accepted with Location and Range: 0-<end-of-range>",
};
static OUT_OF_ORDER: Spec = Spec {
    id: "push.chunked.out-of-order",
    says: "chunks MUST be uploaded in order; if a chunk is uploaded out of order, the registry \
           MUST respond with a 416 Requested Range Not Satisfiable code; a GET then shows the \
           valid offset (204, Range: 0-<end-of-range> of the last chunk taken)",
};
static STATUS: Spec = Spec {
    id: "push.chunked.status",
    says: "GET <location> of an active upload MUST answer 204 No Content with Location and \
           Range: 0-<end-of-range>",
};
static NEXT: Spec = Spec {
    id: "push.chunked.next-chunk",
    says: "a chunk whose first byte is the last chunk's <end-of-range> plus one MUST answer 202 \
           with Location and Range: 0-<end-of-range>",
};
static FINAL_ON_PUT: Spec = Spec {
    id: "push.chunked.final-chunk-on-put",
    says: "the final chunk MAY be uploaded in the closing PUT, which MUST include the digest of \
           the whole blob and MUST answer 201 Created with a Location",
};
static CLOSE_EMPTY: Spec = Spec {
    id: "push.chunked.close-without-body",
    says: "after the final chunk was sent by PATCH, the session MUST be closed with a PUT \
           <location>?digest=<digest> (no body), answering 201 Created",
};
static STREAMED: Spec = Spec {
    id: "push.streamed",
    says: "a PATCH with the blob in its body and no Content-Range yields 202 Accepted; the PUT \
           <location>?digest=<digest> then answers 201 Created",
};

/// Checks of this file, in run order.
pub(super) const CHECKS: &[&Spec] = &[
    &FIRST,
    &OUT_OF_ORDER,
    &STATUS,
    &NEXT,
    &FINAL_ON_PUT,
    &CLOSE_EMPTY,
    &STREAMED,
];

/// An upload session in progress and the blob it carries.
struct Session {
    /// Where the next request goes; updated from each reply's `Location`.
    location: String,
    /// The whole blob, three chunks long.
    blob: Blob,
    /// Chunk length.
    chunk: usize,
}

impl Session {
    /// Bytes of chunk `index` (0, 1 or 2).
    fn chunk_bytes(&self, index: usize) -> Bytes {
        self.blob
            .bytes
            .slice(index * self.chunk..(index + 1) * self.chunk)
    }

    /// `Content-Range` of chunk `index`.
    fn chunk_range(&self, index: usize) -> String {
        format!("{}-{}", index * self.chunk, (index + 1) * self.chunk - 1)
    }
}

/// Runs the chunked checks against `repo`.
pub(super) async fn run(suite: &mut Suite, repo: &str) {
    let client = suite.client.clone();

    let mut session = suite.run(&FIRST, first_chunk(&client, repo)).await;
    suite.run(&OUT_OF_ORDER, out_of_order(&client, repo)).await;
    let moved = match suite.gate(&STATUS, &FIRST, session.as_ref()) {
        Some(s) => suite.run(&STATUS, status(&client, s)).await,
        None => None,
    };
    relocate(&mut session, moved);

    let moved = match suite.gate(&NEXT, &FIRST, session.as_ref()) {
        Some(s) => suite.run(&NEXT, next_chunk(&client, s)).await,
        None => None,
    };
    let ready = moved.is_some();
    relocate(&mut session, moved);
    let session = session.filter(|_| ready);
    if let Some(s) = suite.gate(&FINAL_ON_PUT, &NEXT, session.as_ref()) {
        suite
            .run(&FINAL_ON_PUT, final_chunk_on_put(&client, repo, s))
            .await;
    }

    suite
        .run(&CLOSE_EMPTY, close_without_body(&client, repo))
        .await;
    suite.run(&STREAMED, streamed(&client, repo)).await;
}

/// Moves the session to the newest `Location`, when a step gave one.
fn relocate(session: &mut Option<Session>, location: Option<String>) {
    if let (Some(session), Some(location)) = (session.as_mut(), location) {
        session.location = location;
    }
}

/// Opens a session (POST with `Content-Length: 0`) and sizes the chunks.
async fn open(client: &Client, repo: &str) -> Checked<Session> {
    let reply = client
        .post(&format!("/v2/{repo}/blobs/uploads/"))
        .body(&b""[..])
        .send()
        .await?;
    reply.expect(202)?;
    let location = reply.require_header("location")?.to_owned();
    let minimum = reply
        .header("oci-chunk-min-length")
        .and_then(|v| v.parse().ok());
    let chunk = minimum.unwrap_or(10).max(10);

    let seed = format!("chunked {}\n", fixtures::token());
    let content: Vec<u8> = seed.bytes().cycle().take(3 * chunk).collect();
    Ok(Session {
        location,
        blob: Blob::new(content),
        chunk,
    })
}

/// PATCHes chunk `index` and returns the reply.
async fn patch_chunk(client: &Client, session: &Session, index: usize) -> Checked<Reply> {
    client
        .patch(&session.location)
        .header("content-type", OCTET_STREAM)
        .header("content-range", session.chunk_range(index))
        .body(session.chunk_bytes(index))
        .send()
        .await
}

/// Requires `Range: 0-<end>` on a reply.
fn expect_range(reply: &Reply, end: usize) -> Checked<()> {
    let range = reply.require_header("range")?;
    if range_end(range) != Some(end as u64) {
        fail!(
            "{} answered Range: {range}, expected Range: 0-{end}",
            reply.what()
        );
    }
    Ok(())
}

async fn first_chunk(client: &Client, repo: &str) -> Checked<Session> {
    let mut session = open(client, repo).await?;
    let reply = patch_chunk(client, &session, 0).await?;
    reply.expect(202)?;
    session.location = reply.require_header("location")?.to_owned();
    expect_range(&reply, session.chunk - 1)?;
    Ok(session)
}

async fn out_of_order(client: &Client, repo: &str) -> Checked<()> {
    let mut session = open(client, repo).await?;
    let reply = patch_chunk(client, &session, 0).await?;
    reply.expect(202)?;
    session.location = reply.require_header("location")?.to_owned();

    let skipped_ahead = patch_chunk(client, &session, 2).await?;
    if skipped_ahead.status.as_u16() != 416 {
        let _ = client.delete(&session.location).send().await;
        fail!(
            "{}, expected 416 for a chunk starting past the end",
            skipped_ahead.describe()
        );
    }
    let reply = client.get(&session.location).send().await?;
    let _ = client.delete(&session.location).send().await;
    reply.expect(204)?;
    expect_range(&reply, session.chunk - 1)
}

async fn status(client: &Client, session: &Session) -> Checked<String> {
    let reply = client.get(&session.location).send().await?;
    reply.expect(204)?;
    expect_range(&reply, session.chunk - 1)?;
    Ok(reply.require_header("location")?.to_owned())
}

async fn next_chunk(client: &Client, session: &Session) -> Checked<String> {
    let reply = patch_chunk(client, session, 1).await?;
    reply.expect(202)?;
    expect_range(&reply, 2 * session.chunk - 1)?;
    Ok(reply.require_header("location")?.to_owned())
}

async fn final_chunk_on_put(client: &Client, repo: &str, session: &Session) -> Checked<()> {
    let reply = client
        .put(&session.location)
        .query("digest", &session.blob.digest)
        .header("content-type", OCTET_STREAM)
        .header("content-range", session.chunk_range(2))
        .body(session.chunk_bytes(2))
        .send()
        .await?;
    reply.expect(201)?;
    reply.require_header("location")?;
    verify_blob(client, repo, &session.blob).await
}

async fn close_without_body(client: &Client, repo: &str) -> Checked<()> {
    let mut session = open(client, repo).await?;
    for index in 0..3 {
        let reply = patch_chunk(client, &session, index).await?;
        reply.expect(202)?;
        session.location = reply.require_header("location")?.to_owned();
    }
    let reply = client
        .put(&session.location)
        .query("digest", &session.blob.digest)
        .body(&b""[..])
        .send()
        .await?;
    reply.expect(201)?;
    reply.require_header("location")?;
    verify_blob(client, repo, &session.blob).await
}

async fn streamed(client: &Client, repo: &str) -> Checked<()> {
    let session = open(client, repo).await?;
    let pieces: Vec<Bytes> = (0..3).map(|i| session.chunk_bytes(i)).collect();
    let source = std::sync::Arc::new(move || {
        let pieces = pieces.clone().into_iter().map(Ok::<Bytes, std::io::Error>);
        reqwest::Body::wrap_stream(stream::iter(pieces))
    });

    let reply = client
        .patch(&session.location)
        .header("content-type", OCTET_STREAM)
        .stream(source, None)
        .send()
        .await?;
    reply.expect(202)?;
    let location = reply.require_header("location")?.to_owned();

    let reply = client
        .put(&location)
        .query("digest", &session.blob.digest)
        .body(&b""[..])
        .send()
        .await?;
    reply.expect(201)?;
    verify_blob(client, repo, &session.blob).await
}
