//! A frame in the members' queues: the encoded event, and the same event
//! deflated once for every member that negotiated permessage-deflate
//! without context takeover on the server's side.
//!
//! RFC 7692 §7.1.1.1: once the server has answered with
//! `server_no_context_takeover`, each message it sends starts with an
//! empty LZ77 window, so what it sends a member does not depend on what it
//! sent that member before. One compression of a room message is then a
//! valid payload for every such member whose window is at least the one it
//! was made with. The first writer that needs a window's compression makes
//! it (with its thread's [`SharedDeflate`]) and every other member's writer
//! sends the same bytes; a member without deflate gets the plain frame,
//! and a member whose connection takes context over (the chat's `own`
//! mode) compresses for itself.
//!
//! ```text
//!  fan_out ─► Frame { text, deflated[8..=15]: made on first need }
//!                 │ (one Arc per message, cloned into every queue)
//!  writer:  shared_deflate_window() = Some(bits) ─► deflated(bits) ─► RSV1
//!                                   = None       ─► text (own encoding)
//! ```

use std::cell::RefCell;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};

use tokio::io::{AsyncRead, AsyncWrite};
use ws_tokio::ws_frame::deflate::{
    DeflateConfig, Deflated, MAX_WINDOW_BITS, MIN_WINDOW_BITS, SharedDeflate,
};
use ws_tokio::ws_frame::{MessageKind, SharedSend};
use ws_tokio::{Error, Utf8Bytes, WebSocketWriter};

use crate::metrics::Metrics;

/// Window sizes a member may have negotiated (RFC 7692 §7.1.2.1: 8..=15).
const WINDOWS: usize = (MAX_WINDOW_BITS - MIN_WINDOW_BITS + 1) as usize;

thread_local! {
    /// This thread's compressor for shared frames: its zlib state (about
    /// 380 KiB for a 15-bit window) is paid once per thread, not once per
    /// member.
    static DEFLATE: RefCell<SharedDeflate> =
        RefCell::new(SharedDeflate::new(&DeflateConfig::default()));
}

/// One frame for any number of members' queues; cloning shares it.
#[derive(Clone, Debug)]
pub(crate) struct Frame(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    text: Utf8Bytes,
    /// The compression for each window (index: bits − 8), made on first
    /// need; `None` inside: not worth compressing, sent as it is.
    deflated: [OnceLock<Option<Deflated>>; WINDOWS],
}

impl From<Utf8Bytes> for Frame {
    fn from(text: Utf8Bytes) -> Self {
        Self(Arc::new(Inner {
            text,
            deflated: Default::default(),
        }))
    }
}

impl Frame {
    /// The encoded event.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        self.0.text.as_str()
    }

    /// Its length in bytes, uncompressed (what the queue's byte bound and
    /// the `bytes_out` counter count).
    pub(crate) fn len(&self) -> usize {
        self.0.text.len()
    }

    /// The frame deflated for a member whose window is `bits`, made now if
    /// no member needed it before (counted in `chat_deflate_compressions`).
    fn deflated(&self, bits: u8, metrics: &Metrics) -> Option<&Deflated> {
        let bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        let slot = &self.0.deflated[usize::from(bits - MIN_WINDOW_BITS)];
        slot.get_or_init(|| {
            metrics.chat_deflate_compressions.fetch_add(1, Relaxed);
            DEFLATE.with_borrow_mut(|deflate| deflate.compress(self.0.text.as_bytes(), bits))
        })
        .as_ref()
    }

    /// Queues this frame on `writer` (without writing): the shared
    /// compression when the member's connection can take it (counted in
    /// `chat_deflate_shared`), else the plain text, which the connection
    /// compresses itself if it negotiated context takeover.
    pub(crate) fn start_send<S>(
        &self,
        writer: &mut WebSocketWriter<S>,
        metrics: &Metrics,
    ) -> Result<(), Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let deflated = writer
            .shared_deflate_window()
            .and_then(|bits| self.deflated(bits, metrics));
        let data = self.0.text.clone().into_bytes();
        if writer.start_send_shared(MessageKind::Text, data, deflated)? == SharedSend::Deflated {
            metrics.chat_deflate_shared.fetch_add(1, Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7692_7_1_1_1_each_window_is_compressed_once_however_many_ask() {
        let metrics = Metrics::default();
        let text = r#"{"type":"message","room":"r","from":"ann","text":"hello, hello, hello, hello","ts":1,"seq":1}"#;
        let frame = Frame::from(Utf8Bytes::from(text));
        let copies: Vec<Frame> = (0..10).map(|_| frame.clone()).collect();
        let first = copies[0].deflated(15, &metrics).cloned().unwrap();
        for copy in &copies {
            assert_eq!(copy.deflated(15, &metrics), Some(&first));
        }
        assert_eq!(metrics.chat_deflate_compressions.load(Relaxed), 1);
        let small = frame.deflated(10, &metrics).unwrap();
        assert_eq!(small.window_bits(), 10);
        assert_eq!(metrics.chat_deflate_compressions.load(Relaxed), 2);
    }
}
