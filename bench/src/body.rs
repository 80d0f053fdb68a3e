//! Request bodies: a queue of shared byte frames with an exact length.
//!
//! Every request the client sends uses [`FramesBody`]: empty for GET and HEAD, a list of
//! zero-copy slices of a blob for uploads. The exact size hint lets hyper send
//! `Content-Length` instead of chunked encoding, which registries expect on uploads.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A request body made of byte frames sent in order; cloning the frames is cheap.
#[derive(Debug, Default)]
pub struct FramesBody {
    /// Frames still to send.
    frames: VecDeque<Bytes>,
    /// Bytes still to send, the sum of the lengths of `frames`.
    remaining: u64,
}

impl FramesBody {
    /// A body with no bytes.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A body sending `frames` in order.
    pub fn new(frames: VecDeque<Bytes>) -> Self {
        let remaining = frames.iter().map(|f| f.len() as u64).sum();
        Self { frames, remaining }
    }

    /// A body of one buffer.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self::new(VecDeque::from([bytes]))
    }

    /// Bytes still to send.
    pub fn len(&self) -> u64 {
        self.remaining
    }

    /// Whether nothing is left to send.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }
}

impl Body for FramesBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        match this.frames.pop_front() {
            Some(frame) => {
                this.remaining -= frame.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(frame))))
            }
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn frames_are_sent_in_order_with_an_exact_size() {
        let body = FramesBody::new(VecDeque::from([
            Bytes::from_static(b"ab"),
            Bytes::from_static(b"cde"),
        ]));
        assert_eq!(body.size_hint().exact(), Some(5));

        let collected = body.collect().await.map(|c| c.to_bytes());
        assert_eq!(collected.ok(), Some(Bytes::from_static(b"abcde")));
    }

    #[test]
    fn an_empty_body_is_at_its_end() {
        let body = FramesBody::empty();
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
    }
}
