//! The permessage-deflate extension of one connection: a compressor and a
//! decompressor, created on first use, that turn messages into DEFLATE
//! blocks and back (RFC 7692 §6, §7.2).

use bytes::{Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::{DeflateConfig, DeflateParams, MAX_WINDOW_BITS, TAIL, clamp_window};
use crate::error::Error;
use crate::extension::Extension;
use crate::header::bits::RSV1;
use crate::message::MessageKind;
use crate::role::Role;

/// zlib's smallest window for raw DEFLATE (see the module docs about 8).
pub(super) const ZLIB_MIN_WINDOW_BITS: u8 = 9;

/// Largest piece of output produced per inflate call: the output buffer
/// grows by at most this much beyond what the message already holds.
const INFLATE_CHUNK: usize = 64 << 10;

/// Estimated heap of a zlib-rs decompressor: a 32 KiB window (always 15
/// bits) plus about 10 KiB of state and code tables.
const INFLATE_MEMORY: usize = (32 << 10) + (10 << 10);

/// Estimated heap of a zlib-rs compressor besides its window: the 128 KiB
/// hash table, 112 KiB of pending and symbol buffers (`memLevel` 8) and
/// about 6 KiB of state and trees.
const DEFLATE_FIXED_MEMORY: usize = (128 << 10) + (112 << 10) + (6 << 10);

/// The permessage-deflate extension of one connection, as agreed (RFC 7692
/// §6, §7): install it with
/// [`Connection::set_extension`](crate::Connection::set_extension).
///
/// Received messages with RSV1 are inflated (with the window and context
/// takeover the peer agreed to); sent messages of at least
/// [`DeflateConfig::min_size`] bytes are deflated.
pub struct PerMessageDeflate {
    params: DeflateParams,
    level: Compression,
    min_size: usize,
    /// Our compressor's window (8..=15 as negotiated).
    send_window_bits: u8,
    /// §7.1.1: reset the compressor after every message.
    send_no_context_takeover: bool,
    /// The peer's window (8..=15 as negotiated).
    receive_window_bits: u8,
    /// §7.1.1: the peer resets its compressor after every message, so we
    /// may reset our decompressor too.
    receive_no_context_takeover: bool,
    /// Free (rather than reset) the state of a direction without context
    /// takeover after each message ([`DeflateConfig::free_after_message`]).
    free_after_message: bool,
    compressor: Option<Compress>,
    decompressor: Option<Decompress>,
    /// The peer's DEFLATE stream ended (a block with BFINAL set) inside
    /// the current message: the rest of the message is ignored and the
    /// decompressor starts afresh with the next one.
    stream_ended: bool,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("params", &self.params)
            .field("level", &self.level.level())
            .field("min_size", &self.min_size)
            .field("memory_usage", &self.memory_usage())
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    /// The extension for `role` with the agreed `params` (the answer a
    /// server sent, RFC 7692 §7.1) and this end's `config` (level,
    /// `min_size`, and its own stricter window and takeover choices).
    ///
    /// [`negotiate`](super::negotiate) and [`client_accept`](super::client_accept) call this; use it directly when
    /// the parameters come from elsewhere.
    pub fn new(role: Role, params: &DeflateParams, config: &DeflateConfig) -> Self {
        let server_bits = clamp_window(params.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS));
        let client_bits = clamp_window(params.client_max_window_bits.unwrap_or(MAX_WINDOW_BITS));
        let (send_window_bits, send_nct, receive_window_bits, receive_nct) = match role {
            Role::Server => (
                server_bits.min(clamp_window(config.server_max_window_bits)),
                params.server_no_context_takeover || config.server_no_context_takeover,
                client_bits,
                params.client_no_context_takeover,
            ),
            Role::Client => (
                client_bits.min(clamp_window(config.client_max_window_bits)),
                params.client_no_context_takeover || config.client_no_context_takeover,
                server_bits,
                params.server_no_context_takeover,
            ),
        };
        Self {
            params: *params,
            level: Compression::new(config.level.min(9)),
            min_size: config.min_size,
            send_window_bits,
            send_no_context_takeover: send_nct,
            receive_window_bits,
            receive_no_context_takeover: receive_nct,
            free_after_message: config.free_after_message,
            compressor: None,
            decompressor: None,
            stream_ended: false,
        }
    }

    /// The agreed parameters (RFC 7692 §7.1).
    pub const fn params(&self) -> &DeflateParams {
        &self.params
    }

    /// Estimated heap held now by the compressor and decompressor (each is
    /// created on first use), in bytes. See the [module docs](super).
    pub fn memory_usage(&self) -> usize {
        let deflate = self
            .compressor
            .as_ref()
            .map_or(0, |_| self.deflate_memory());
        let inflate = self.decompressor.as_ref().map_or(0, |_| INFLATE_MEMORY);
        deflate + inflate
    }

    /// Estimated heap once both directions have been used: the bound of
    /// [`PerMessageDeflate::memory_usage`], in bytes.
    pub fn max_memory_usage(&self) -> usize {
        self.deflate_memory() + INFLATE_MEMORY
    }

    /// Window (2·2^bits) and chain links (2·2^bits) plus the fixed part.
    fn deflate_memory(&self) -> usize {
        let bits = self.send_window_bits.max(ZLIB_MIN_WINDOW_BITS);
        (4 << bits) + DEFLATE_FIXED_MEMORY
    }

    // ANCHOR: compress
    /// Deflates one message (RFC 7692 §7.2.1); `None`: send it as it is.
    fn compress(&mut self, payload: &[u8]) -> Option<Bytes> {
        let (level, bits) = (self.level, self.send_window_bits.max(ZLIB_MIN_WINDOW_BITS));
        let no_takeover = self.send_no_context_takeover;
        let compressor = self
            .compressor
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        let out = deflate_sync(compressor, payload, no_takeover);
        if no_takeover && self.free_after_message {
            self.compressor = None;
        } else if no_takeover || out.is_none() {
            // RFC 7692 §7.1.1.1/§7.1.1.2: without context takeover the
            // endpoint "MUST start compressing each new message with an
            // empty LZ77 sliding window"; after a failure, start afresh.
            compressor.reset();
        }
        let mut out = out?;
        // RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff)
        // from the tail end."
        out.truncate(out.len() - TAIL.len());
        if no_takeover && out.len() >= payload.len() {
            // Not worth it, and nothing ties the peer's window to it.
            return None;
        }
        if out.capacity() > 2 * out.len() + 4096 {
            // A well-compressed large message: do not keep the slack queued.
            out.shrink_to_fit();
        }
        Some(Bytes::from(out))
    }
    // ANCHOR_END: compress

    /// Inflates `input` into `out` without letting `out` grow past `limit`
    /// bytes; sets `stream_ended` at a BFINAL block.
    fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut BytesMut,
        limit: usize,
        max: usize,
    ) -> Result<(), Error> {
        let bits = self.receive_window_bits.max(ZLIB_MIN_WINDOW_BITS);
        let decompressor = self
            .decompressor
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        loop {
            // One byte beyond the limit tells "exactly at the limit" from
            // "over it" without inflating further.
            let room = input
                .len()
                .saturating_mul(4)
                .clamp(1024, INFLATE_CHUNK)
                .min(limit.saturating_sub(out.len()).saturating_add(1));
            let start = out.len();
            out.resize(start + room, 0);
            let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
            let status = decompressor.decompress(input, &mut out[start..], FlushDecompress::None);
            let produced = usize::try_from(decompressor.total_out() - out_before).unwrap_or(room);
            out.truncate(start + produced.min(room));
            let consumed =
                usize::try_from(decompressor.total_in() - in_before).unwrap_or(usize::MAX);
            input = input.get(consumed..).unwrap_or_default();
            let status = status.map_err(|_| Error::InvalidCompressedData)?;
            if out.len() > limit {
                return Err(Error::MessageTooLarge { max });
            }
            if status == Status::StreamEnd {
                self.stream_ended = true;
                return Ok(());
            }
            // Done when the input is used up and the output was not filled
            // (nothing is left pending), or when no progress is possible.
            if (input.is_empty() && produced < room) || (consumed == 0 && produced == 0) {
                return Ok(());
            }
        }
    }
}

/// Room for a sync flush that zlib will not run out of: the pending block
/// holds at most 16 K symbols (`memLevel` 8), so its stored or coded form
/// stays within the bytes it covers plus block headers, and under 96 KiB.
fn flush_room(payload_len: usize) -> usize {
    (payload_len + payload_len / 1024 + 64).min(128 << 10)
}

/// Compresses `payload` and ends with a sync flush; the output ends with
/// [`TAIL`]. `None` on a (never expected) zlib error, or, when `give_up` is
/// set, as soon as the output is as long as the input.
///
/// All input is fed first and the flush done last with [`flush_room`]
/// spare bytes: zlib repeats the flush marker if it runs out of output
/// space during a sync flush.
// ANCHOR: deflate_sync
pub(super) fn deflate_sync(
    compressor: &mut Compress,
    payload: &[u8],
    give_up: bool,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(payload.len() / 2 + 64);
    let mut input = payload;
    while !input.is_empty() {
        if out.capacity() - out.len() < 64 {
            if give_up && out.len() >= payload.len() {
                return None;
            }
            out.reserve(out.capacity());
        }
        let (before, written) = (compressor.total_in(), out.len());
        // RFC 7692 §7.2.1: "Compress all the octets of the payload of the
        // message using DEFLATE."
        compressor
            .compress_vec(input, &mut out, FlushCompress::None)
            .ok()?;
        let consumed = usize::try_from(compressor.total_in() - before).ok()?;
        if consumed == 0 && out.len() == written {
            return None; // no progress with room to spare: never expected
        }
        input = input.get(consumed..)?;
    }
    // §7.2.1: "If the resulting data does not end with an empty DEFLATE
    // block with no compression ..., append an empty DEFLATE block with no
    // compression to the tail end" — which is what a sync flush emits.
    loop {
        out.reserve(flush_room(payload.len()));
        compressor
            .compress_vec(&[], &mut out, FlushCompress::Sync)
            .ok()?;
        // zlib: the flush is complete when output space is left.
        if out.len() < out.capacity() {
            break;
        }
    }
    out.ends_with(&TAIL).then_some(out)
}
// ANCHOR_END: deflate_sync

// ANCHOR: extension_impl
impl Extension for PerMessageDeflate {
    /// RFC 7692 §6: "This extension uses the RSV1 bit".
    fn rsv_bits(&self) -> u8 {
        RSV1
    }

    /// RFC 7692 §7.2.2: inflates the frames of a compressed message in
    /// order, then the 4-octet tail after the last one.
    fn decode_frame(
        &mut self,
        _rsv: u8,
        payload: &[u8],
        fin: bool,
        out: &mut BytesMut,
        max_out: usize,
    ) -> Result<(), Error> {
        let limit = out.len().saturating_add(max_out);
        if !self.stream_ended {
            self.inflate(payload, out, limit, max_out)?;
        }
        if fin {
            // RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to
            // the tail end of the payload of the message."
            if !self.stream_ended {
                self.inflate(&TAIL, out, limit, max_out)?;
            }
            // §7.2.3.4: a block with BFINAL set ends the DEFLATE stream;
            // §7.1.1: without context takeover the peer starts every
            // message with an empty window.
            if self.receive_no_context_takeover && self.free_after_message {
                self.decompressor = None;
                self.stream_ended = false;
            } else if self.stream_ended || self.receive_no_context_takeover {
                if let Some(d) = &mut self.decompressor {
                    d.reset(false);
                }
                self.stream_ended = false;
            }
        }
        Ok(())
    }

    /// RFC 7692 §6.1: compresses messages of at least `min_size` bytes and
    /// sets RSV1; smaller ones (and those that do not shrink, without
    /// context takeover) go out unchanged.
    fn encode_message(&mut self, _kind: MessageKind, payload: &Bytes) -> Option<(Bytes, u8)> {
        if payload.is_empty() || payload.len() < self.min_size {
            return None;
        }
        self.compress(payload).map(|data| (data, RSV1))
    }

    /// RFC 7692 §7.1.1.1: without context takeover every message we send
    /// starts from an empty window, so a payload deflated elsewhere that
    /// way (a [`Deflated`](super::Deflated)) with a window no larger than
    /// ours is exactly as valid as our own output.
    fn shared_deflate_window(&self) -> Option<u8> {
        self.send_no_context_takeover
            .then_some(self.send_window_bits)
    }
}
// ANCHOR_END: extension_impl

#[cfg(test)]
mod tests;
