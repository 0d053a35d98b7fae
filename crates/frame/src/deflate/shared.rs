//! One compression for many connections: a message deflated with an empty
//! window, valid for every connection whose compressor also starts each
//! message empty (RFC 7692 §7.1.1.1) with a window at least as large.
//!
//! A server that fans one message out to many peers (a chat room) would
//! otherwise deflate it once per peer, each with its own compressor and
//! its own 2^15-byte window. Once it has answered with
//! `server_no_context_takeover`, what it sends on a connection no longer
//! depends on what it sent there before, so the bytes of one compression
//! serve every such peer: [`SharedDeflate::compress`] makes them and
//! [`Connection::send_shared`](crate::Connection::send_shared) sends them,
//! leaving the connection's own compressor untouched (never created).

use bytes::Bytes;
use flate2::{Compress, Compression};

use super::stream::{ZLIB_MIN_WINDOW_BITS, deflate_sync};
use super::{DeflateConfig, MAX_WINDOW_BITS, MIN_WINDOW_BITS, TAIL, clamp_window};

/// Windows zlib can make (9..=15; an 8-bit window is served by 9, see the
/// module docs of [`deflate`](super)).
const WINDOWS: usize = (MAX_WINDOW_BITS - ZLIB_MIN_WINDOW_BITS + 1) as usize;

/// A message's payload deflated with an empty LZ77 window of
/// [`Deflated::window_bits`] and the 4-octet tail removed (RFC 7692
/// §7.2.1): the payload of a compressed message for any connection whose
/// server-to-peer direction has no context takeover and at least that
/// window. Cloning shares the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deflated {
    payload: Bytes,
    window_bits: u8,
}

impl Deflated {
    /// The compressed payload, as it goes on the wire after a frame header
    /// with RSV1 set (RFC 7692 §6).
    pub const fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The window it was compressed for (8..=15): every back-reference
    /// stays within `2^window_bits` bytes.
    pub const fn window_bits(&self) -> u8 {
        self.window_bits
    }
}

/// Deflates messages each with a fresh context (RFC 7692 §7.1.1.1), for
/// any number of connections: one zlib compressor per window size, created
/// on first use and reset after every message.
///
/// Its memory (about 250 KiB + 4·2^bits per window in use, see the
/// [module docs](super)) is paid once per `SharedDeflate`, not per
/// connection; keep one per thread or a small pool.
pub struct SharedDeflate {
    level: Compression,
    min_size: usize,
    compressors: [Option<Compress>; WINDOWS],
}

impl std::fmt::Debug for SharedDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedDeflate")
            .field("level", &self.level.level())
            .field("min_size", &self.min_size)
            .finish_non_exhaustive()
    }
}

impl SharedDeflate {
    /// A compressor with `config`'s level and `min_size` (its window and
    /// takeover fields do not apply: the window is chosen per message, and
    /// there is never context takeover).
    pub fn new(config: &DeflateConfig) -> Self {
        Self {
            level: Compression::new(config.level.min(9)),
            min_size: config.min_size,
            compressors: Default::default(),
        }
    }

    /// Deflates `payload` for connections whose window is `window_bits`
    /// (8..=15; values outside are clamped) or larger. `None`: send the
    /// message uncompressed (RFC 7692 §6: compression is decided per
    /// message), because it is shorter than `min_size`, empty, or would
    /// not shrink.
    pub fn compress(&mut self, payload: &[u8], window_bits: u8) -> Option<Deflated> {
        if payload.is_empty() || payload.len() < self.min_size {
            return None;
        }
        let window_bits = clamp_window(window_bits);
        let zlib_bits = window_bits.max(ZLIB_MIN_WINDOW_BITS);
        let level = self.level;
        let compressor = self.compressors[usize::from(zlib_bits - ZLIB_MIN_WINDOW_BITS)]
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, zlib_bits));
        let out = deflate_sync(compressor, payload, true);
        // RFC 7692 §7.1.1.1: with server_no_context_takeover the server
        // "MUST start compressing each new message with an empty LZ77
        // sliding window"; resetting after each one keeps that true for
        // the next, whoever it is for.
        compressor.reset();
        let mut out = out?;
        // RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff)
        // from the tail end."
        out.truncate(out.len() - TAIL.len());
        if out.len() >= payload.len() {
            return None;
        }
        out.shrink_to_fit();
        Some(Deflated {
            payload: Bytes::from(out),
            window_bits: window_bits.max(MIN_WINDOW_BITS),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::{DeflateParams, PerMessageDeflate};
    use crate::header::bits::RSV1;
    use crate::{Config, Connection, Event, Extension, MessageKind, Role, SharedSend};
    use bytes::BytesMut;

    fn chat_json(i: usize) -> String {
        format!(
            r#"{{"type":"message","room":"lobby","from":"alice","text":"hello number {i}, hello again","ts":1700000000000,"seq":{i}}}"#
        )
    }

    /// A client that agreed to `params` inflates `payload` as one message.
    fn inflate(params: &DeflateParams, payload: &[u8]) -> Vec<u8> {
        let mut client = PerMessageDeflate::new(Role::Client, params, &DeflateConfig::default());
        let mut out = BytesMut::new();
        client
            .decode_frame(RSV1, payload, true, &mut out, 1 << 20)
            .unwrap();
        out.to_vec()
    }

    #[test]
    fn rfc7692_7_1_1_1_the_same_message_compresses_to_the_same_bytes_every_time() {
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        let text = chat_json(1);
        let first = shared.compress(text.as_bytes(), 15).unwrap();
        let _other = shared.compress(chat_json(2).as_bytes(), 15).unwrap();
        let again = shared.compress(text.as_bytes(), 15).unwrap();
        assert_eq!(
            first, again,
            "nothing carried over from the message between"
        );
        assert!(!first.payload().ends_with(&TAIL));
        assert!(first.payload().len() < text.len());
    }

    #[test]
    fn rfc7692_7_1_1_1_one_compression_inflates_for_every_window_at_least_its_own() {
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        let text = chat_json(7).repeat(20);
        for bits in MIN_WINDOW_BITS..=MAX_WINDOW_BITS {
            let deflated = shared.compress(text.as_bytes(), bits).unwrap();
            assert_eq!(deflated.window_bits(), bits);
            for peer_bits in bits..=MAX_WINDOW_BITS {
                let params = DeflateParams {
                    server_no_context_takeover: true,
                    server_max_window_bits: Some(peer_bits),
                    ..DeflateParams::default()
                };
                assert_eq!(inflate(&params, deflated.payload()), text.as_bytes());
            }
        }
    }

    #[test]
    fn rfc7692_6_small_empty_and_incompressible_messages_stay_uncompressed() {
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        assert_eq!(shared.compress(b"", 15), None);
        assert_eq!(shared.compress(&[b'a'; 63], 15), None, "below min_size");
        assert!(shared.compress(&[b'a'; 64], 15).is_some());
        let mut x = 0x9e37_79b9_u32;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                // xorshift32: no repeats a DEFLATE coder could use.
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        assert_eq!(shared.compress(&noise, 15), None);
        // The compressor is usable after giving up.
        let text = chat_json(3);
        let deflated = shared.compress(text.as_bytes(), 15).unwrap();
        assert_eq!(
            inflate(&DeflateParams::default(), deflated.payload()),
            text.as_bytes()
        );
    }

    #[test]
    fn rfc7692_7_1_2_1_window_bits_are_clamped() {
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        let text = chat_json(1);
        assert_eq!(
            shared.compress(text.as_bytes(), 3).unwrap().window_bits(),
            8
        );
        assert_eq!(
            shared.compress(text.as_bytes(), 99).unwrap().window_bits(),
            15
        );
    }

    /// A server connection that agreed to `params`, and a client that did.
    fn pair(params: &DeflateParams, server_config: &DeflateConfig) -> (Connection, Connection) {
        let mut server = Connection::new(Role::Server, Config::default());
        server.set_extension(Box::new(PerMessageDeflate::new(
            Role::Server,
            params,
            server_config,
        )));
        let mut client = Connection::new(Role::Client, Config::default());
        client.set_extension(Box::new(PerMessageDeflate::new(
            Role::Client,
            params,
            &DeflateConfig::default(),
        )));
        (server, client)
    }

    /// Moves what `from` sent to `to` and returns the text messages.
    fn deliver(from: &mut Connection, to: &mut Connection) -> Vec<String> {
        while let Some(bytes) = from.poll_transmit() {
            to.receive(&bytes);
        }
        let mut texts = Vec::new();
        while let Some(event) = to.poll_event().unwrap() {
            if let Event::Text(text) = event {
                texts.push(text.as_str().to_owned());
            }
        }
        texts
    }

    #[test]
    fn rfc7692_7_1_1_1_shared_bytes_go_out_with_rsv1_and_inflate_at_the_peer() {
        let params = DeflateParams {
            server_no_context_takeover: true,
            ..DeflateParams::default()
        };
        let (mut server, mut client) = pair(&params, &DeflateConfig::default());
        assert_eq!(server.shared_deflate_window(), Some(15));
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        let texts: Vec<String> = (0..3).map(chat_json).collect();
        for text in &texts {
            let deflated = shared.compress(text.as_bytes(), 15);
            let data = Bytes::from(text.clone().into_bytes());
            let sent = server
                .send_shared(MessageKind::Text, data, deflated.as_ref())
                .unwrap();
            assert_eq!(sent, SharedSend::Deflated);
        }
        let wire = server.poll_transmit().unwrap();
        assert_eq!(wire[0] & RSV1, RSV1, "the first frame is compressed");
        client.receive(&wire);
        assert_eq!(deliver(&mut server, &mut client), texts);
        assert_eq!(
            server.shared_deflate_window(),
            Some(15),
            "the connection's own compressor was never needed"
        );
    }

    #[test]
    fn rfc7692_7_1_1_1_with_context_takeover_the_connection_compresses_itself() {
        let (mut server, mut client) = pair(&DeflateParams::default(), &DeflateConfig::default());
        assert_eq!(server.shared_deflate_window(), None);
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        let text = chat_json(1);
        let deflated = shared.compress(text.as_bytes(), 15);
        let data = Bytes::from(text.clone().into_bytes());
        let sent = server.send_shared(MessageKind::Text, data, deflated.as_ref());
        assert_eq!(sent, Ok(SharedSend::Encoded));
        assert_eq!(deliver(&mut server, &mut client), [text]);
    }

    #[test]
    fn rfc7692_7_1_2_1_a_larger_shared_window_than_the_peers_is_not_used() {
        let params = DeflateParams {
            server_no_context_takeover: true,
            server_max_window_bits: Some(10),
            ..DeflateParams::default()
        };
        let (mut server, mut client) = pair(&params, &DeflateConfig::default());
        assert_eq!(server.shared_deflate_window(), Some(10));
        let mut shared = SharedDeflate::new(&DeflateConfig::default());
        let text = chat_json(1);
        let data = Bytes::from(text.clone().into_bytes());
        let too_large = shared.compress(text.as_bytes(), 11);
        let sent = server.send_shared(MessageKind::Text, data.clone(), too_large.as_ref());
        assert_eq!(sent, Ok(SharedSend::Encoded));
        let fits = shared.compress(text.as_bytes(), 9);
        let sent = server.send_shared(MessageKind::Text, data.clone(), fits.as_ref());
        assert_eq!(sent, Ok(SharedSend::Deflated));
        let sent = server.send_shared(MessageKind::Text, data, None);
        assert_eq!(sent, Ok(SharedSend::Uncompressed));
        assert_eq!(deliver(&mut server, &mut client), [text.as_str(); 3]);
    }

    #[test]
    fn rfc7692_7_1_1_2_free_after_message_keeps_no_state_between_messages() {
        let params = DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..DeflateParams::default()
        };
        let config = DeflateConfig {
            free_after_message: true,
            ..DeflateConfig::default()
        };
        let mut server = PerMessageDeflate::new(Role::Server, &params, &config);
        let mut client = PerMessageDeflate::new(Role::Client, &params, &DeflateConfig::default());
        for i in 0..3 {
            let text = chat_json(i);
            let (payload, _) = client
                .encode_message(MessageKind::Text, &Bytes::from(text.clone().into_bytes()))
                .unwrap();
            let mut out = BytesMut::new();
            server
                .decode_frame(RSV1, &payload, true, &mut out, 1 << 20)
                .unwrap();
            assert_eq!(out, text.as_bytes());
            assert_eq!(server.memory_usage(), 0, "the decompressor is freed");
            let (payload, _) = server
                .encode_message(MessageKind::Text, &Bytes::from(text.clone().into_bytes()))
                .unwrap();
            assert_eq!(server.memory_usage(), 0, "the compressor is freed");
            let mut out = BytesMut::new();
            client
                .decode_frame(RSV1, &payload, true, &mut out, 1 << 20)
                .unwrap();
            assert_eq!(out, text.as_bytes());
        }
    }
}
