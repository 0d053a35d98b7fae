//! The server's HTTP/2 connection preface, watched on its way to hyper:
//! RFC 7540 §3.5 makes a SETTINGS frame the first thing a server sends, and
//! RFC 8441 §3 lets a client open a WebSocket stream only once that frame
//! said `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`. hyper reports the setting
//! only on its connection future and never says "the server's SETTINGS
//! arrived without it", so ws-client reads the answer from the bytes
//! themselves: a server without the setting is told apart at once, not by
//! a timeout. Nothing is buffered or changed; hyper reads the same bytes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

/// RFC 7540 §4.1: a frame header is 9 octets.
const HEADER: usize = 9;
/// RFC 7540 §6.5: the SETTINGS frame type.
const SETTINGS: u8 = 0x4;
/// RFC 7540 §6.5: the ACK flag.
const ACK: u8 = 0x1;
/// RFC 7540 §6.5.1: each setting is a 16-bit identifier and a 32-bit value.
const ENTRY: usize = 6;
/// RFC 8441 §3: `SETTINGS_ENABLE_CONNECT_PROTOCOL`.
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// What the server's first frame said, or why it was not a SETTINGS frame.
pub(crate) type Verdict = Result<bool, String>;

/// A sans-IO reader of the server's first frame: fed the bytes as they
/// come, it gives the value of `SETTINGS_ENABLE_CONNECT_PROTOCOL` (false
/// when absent, RFC 8441 §3: "the initial value is 0") once the whole frame
/// was seen. Memory is fixed whatever the frame's length.
#[derive(Debug, Default)]
pub(crate) struct FirstSettings {
    header: [u8; HEADER],
    header_len: usize,
    /// Payload octets still to come (known once the header is complete).
    left: usize,
    entry: [u8; ENTRY],
    entry_len: usize,
    enabled: bool,
}

impl FirstSettings {
    /// Takes the next bytes from the server; `Some` once the first frame is
    /// complete (later bytes are not looked at).
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Option<Verdict> {
        if self.header_len < HEADER {
            let take = (HEADER - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&bytes[..take]);
            self.header_len += take;
            bytes = &bytes[take..];
            if self.header_len < HEADER {
                return None;
            }
            let [l0, l1, l2, kind, flags, s0, s1, s2, s3] = self.header;
            let length = (usize::from(l0) << 16) | (usize::from(l1) << 8) | usize::from(l2);
            let stream = u32::from_be_bytes([s0, s1, s2, s3]) & 0x7fff_ffff;
            // RFC 7540 §3.5: "a potentially empty SETTINGS frame [...] MUST
            // be the first frame the server sends"; §6.5: on stream 0, a
            // multiple of 6 octets, and not an ACK (ours is not answered yet).
            if kind != SETTINGS || flags & ACK != 0 || stream != 0 || length % ENTRY != 0 {
                return Some(Err(format!(
                    "its first HTTP/2 frame is not a SETTINGS frame (type {kind:#x}, \
                     flags {flags:#x}, stream {stream}, {length} octets; RFC 7540 §3.5)"
                )));
            }
            self.left = length;
        }
        let take = self.left.min(bytes.len());
        for &byte in &bytes[..take] {
            self.entry[self.entry_len] = byte;
            self.entry_len += 1;
            if self.entry_len == ENTRY {
                let [i0, i1, v0, v1, v2, v3] = self.entry;
                if u16::from_be_bytes([i0, i1]) == ENABLE_CONNECT_PROTOCOL {
                    // RFC 8441 §3: "the value [...] MUST be 0 or 1"; the last
                    // one counts (RFC 7540 §6.5.3 processes them in order).
                    self.enabled = u32::from_be_bytes([v0, v1, v2, v3]) == 1;
                }
                self.entry_len = 0;
            }
        }
        self.left -= take;
        (self.left == 0).then_some(Ok(self.enabled))
    }
}

/// A stream that passes everything through and tells `verdict` what the
/// server's first frame said about RFC 8441, once.
pub(crate) struct Watched<S> {
    inner: S,
    reader: FirstSettings,
    verdict: Option<oneshot::Sender<Verdict>>,
}

impl<S> Watched<S> {
    /// `inner`, and the receiver of the verdict (dropped unsent if the
    /// connection ends before the first frame is complete).
    pub(crate) fn new(inner: S) -> (Self, oneshot::Receiver<Verdict>) {
        let (tx, rx) = oneshot::channel();
        let watched = Self {
            inner,
            reader: FirstSettings::default(),
            verdict: Some(tx),
        };
        (watched, rx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.verdict.is_some()
            && let Some(verdict) = this.reader.feed(&buf.filled()[before..])
            && let Some(tx) = this.verdict.take()
        {
            let _ = tx.send(verdict);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut bytes = vec![len[1], len[2], len[3], kind, flags];
        bytes.extend_from_slice(&stream.to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    fn setting(id: u16, value: u32) -> Vec<u8> {
        let mut bytes = id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&value.to_be_bytes());
        bytes
    }

    /// Fed one byte at a time, then whole: the same verdict.
    fn verdict(bytes: &[u8]) -> Option<Verdict> {
        let mut whole = FirstSettings::default();
        let at_once = whole.feed(bytes);
        let mut slow = FirstSettings::default();
        let mut one_by_one = None;
        for byte in bytes {
            if let Some(v) = slow.feed(std::slice::from_ref(byte)) {
                one_by_one = Some(v);
                break;
            }
        }
        assert_eq!(at_once, one_by_one);
        at_once
    }

    #[test]
    fn the_setting_is_found_among_others() {
        let payload = [setting(0x3, 100), setting(0x8, 1), setting(0x4, 65535)].concat();
        let mut bytes = frame(SETTINGS, 0, 0, &payload);
        // A WINDOW_UPDATE after it is not looked at.
        bytes.extend_from_slice(&frame(0x8, 0, 0, &[0, 0, 1, 0]));
        assert_eq!(verdict(&bytes), Some(Ok(true)));
    }

    #[test]
    fn absent_zero_or_withdrawn_means_not_enabled() {
        assert_eq!(verdict(&frame(SETTINGS, 0, 0, &[])), Some(Ok(false)));
        let zero = setting(0x8, 0);
        assert_eq!(verdict(&frame(SETTINGS, 0, 0, &zero)), Some(Ok(false)));
        let withdrawn = [setting(0x8, 1), setting(0x8, 0)].concat();
        assert_eq!(verdict(&frame(SETTINGS, 0, 0, &withdrawn)), Some(Ok(false)));
    }

    #[test]
    fn an_incomplete_frame_gives_no_verdict_yet() {
        let bytes = frame(SETTINGS, 0, 0, &setting(0x8, 1));
        assert_eq!(verdict(&bytes[..bytes.len() - 1]), None);
        assert_eq!(verdict(&bytes[..4]), None);
    }

    #[test]
    fn anything_but_a_settings_frame_first_is_refused() {
        for bytes in [
            frame(0x0, 0, 1, b"hi"),                  // DATA
            frame(SETTINGS, ACK, 0, &[]),             // an ACK
            frame(SETTINGS, 0, 1, &setting(0x8, 1)),  // not stream 0
            frame(SETTINGS, 0, 0, &[0, 8, 0, 0, 0]),  // not a multiple of 6
            b"HTTP/1.1 400 Bad Request\r\n".to_vec(), // not HTTP/2 at all
        ] {
            assert!(matches!(verdict(&bytes), Some(Err(_))), "{bytes:?}");
        }
    }
}
