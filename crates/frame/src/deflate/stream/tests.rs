//! Tests of the permessage-deflate codec: the RFC 7692 §7.2.3 examples
//! both ways, context takeover, size limits and DEFLATE bombs, and the
//! 8-bit window (checked with a small DEFLATE reader that reports match
//! distances).

use super::*;
use crate::{Config, Connection, Event};

/// A codec with both directions agreed as given, compressing everything.
fn codec(role: Role, params: DeflateParams) -> PerMessageDeflate {
    let config = DeflateConfig {
        min_size: 0,
        ..DeflateConfig::default()
    };
    PerMessageDeflate::new(role, &params, &config)
}

fn encode(ext: &mut PerMessageDeflate, data: &[u8]) -> Option<Vec<u8>> {
    let (payload, rsv) = ext.encode_message(MessageKind::Text, &Bytes::copy_from_slice(data))?;
    assert_eq!(rsv, RSV1);
    Some(payload.to_vec())
}

/// Decodes one message from its frames' payloads.
fn decode(ext: &mut PerMessageDeflate, frames: &[&[u8]]) -> Result<Vec<u8>, Error> {
    let mut out = BytesMut::new();
    for (i, frame) in frames.iter().enumerate() {
        ext.decode_frame(RSV1, frame, i + 1 == frames.len(), &mut out, 1 << 20)?;
    }
    Ok(out.to_vec())
}

const HELLO: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[test]
fn rfc7692_7_2_3_1_hello_compressed() {
    let mut server = codec(Role::Server, DeflateParams::default());
    assert_eq!(encode(&mut server, b"Hello").unwrap(), HELLO);
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(decode(&mut client, &[HELLO]).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_2_3_1_fragmented_hello() {
    // "0x41 0x03 0xf2 0x48 0xcd" then "0x80 0x04 0xc9 0xc9 0x07 0x00".
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(
        decode(&mut client, &[&HELLO[..3], &HELLO[3..]]).unwrap(),
        b"Hello"
    );
    // Any split, including empty frames, gives the same message.
    for cut in 0..=HELLO.len() {
        let mut client = codec(Role::Client, DeflateParams::default());
        let frames = [&HELLO[..cut], &[][..], &HELLO[cut..]];
        assert_eq!(decode(&mut client, &frames).unwrap(), b"Hello");
    }
}

#[test]
fn rfc7692_7_2_3_2_sharing_the_lz77_window() {
    let second: &[u8] = &[0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut server = codec(Role::Server, DeflateParams::default());
    assert_eq!(encode(&mut server, b"Hello").unwrap(), HELLO);
    assert_eq!(encode(&mut server, b"Hello").unwrap(), second);
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(decode(&mut client, &[HELLO]).unwrap(), b"Hello");
    assert_eq!(decode(&mut client, &[second]).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_1_1_no_context_takeover_repeats_the_first_encoding() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    // Without takeover "Hello" does not shrink: it goes out as it is.
    let mut server = codec(Role::Server, params);
    assert_eq!(encode(&mut server, b"Hello"), None);
    let text = b"Hello, Hello, Hello, Hello, Hello, Hello!";
    let first = encode(&mut server, text).unwrap();
    assert!(first.len() < text.len());
    assert_eq!(encode(&mut server, text).unwrap(), first);
    // The client resets its decompressor after every message.
    let mut client = codec(Role::Client, params);
    assert!(client.receive_no_context_takeover);
    assert_eq!(decode(&mut client, &[&first]).unwrap(), text);
    assert_eq!(decode(&mut client, &[&first]).unwrap(), text);
}

#[test]
fn rfc7692_7_2_3_3_stored_block() {
    let stored: &[u8] = &[
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(decode(&mut client, &[stored]).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_2_3_4_bfinal_block_then_more_messages() {
    let bfinal: &[u8] = &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(decode(&mut client, &[bfinal]).unwrap(), b"Hello");
    // The stream ended: the next message starts a new one.
    assert_eq!(decode(&mut client, &[bfinal]).unwrap(), b"Hello");
    assert_eq!(decode(&mut client, &[HELLO]).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_2_3_5_two_deflate_blocks_in_one_message() {
    let two: &[u8] = &[
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(decode(&mut client, &[two]).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_2_3_1_frames_through_a_connection() {
    let mut server = Connection::new(Role::Server, Config::default());
    server.set_extension(Box::new(codec(Role::Server, DeflateParams::default())));
    server.send_text("Hello").unwrap();
    // RSV1 set on a single text frame: 0xc1.
    let wire = server.poll_transmit().unwrap();
    assert_eq!(&wire[..], [&[0xc1, 0x07][..], HELLO].concat());

    let mut client = Connection::new(Role::Client, Config::default());
    client.set_extension(Box::new(codec(Role::Client, DeflateParams::default())));
    client.receive(&wire);
    // §7.2.3.1's fragmented form: RSV1 on the first frame only.
    client.receive(&[
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ]);
    for _ in 0..2 {
        let Some(Event::Text(text)) = client.poll_event().unwrap() else {
            panic!()
        };
        assert_eq!(text, "Hello");
    }
}

#[test]
fn rfc7692_6_small_messages_go_uncompressed() {
    let mut ext = PerMessageDeflate::new(
        Role::Server,
        &DeflateParams::default(),
        &DeflateConfig::default(),
    );
    let small = Bytes::from_static(&[b'a'; 63]);
    assert_eq!(ext.encode_message(MessageKind::Binary, &small), None);
    assert_eq!(ext.encode_message(MessageKind::Binary, &Bytes::new()), None);
    let big = Bytes::from_static(&[b'a'; 64]);
    let (data, rsv) = ext.encode_message(MessageKind::Binary, &big).unwrap();
    assert_eq!(rsv, RSV1);
    assert!(data.len() < 10);
}

#[test]
fn incompressible_data_without_takeover_goes_uncompressed() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let mut server = codec(Role::Server, params);
    let mut state = 0x1234_5678_u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    assert_eq!(encode(&mut server, &noise), None);
    // With takeover the peer's window must see it: compressed anyway.
    let mut server = codec(Role::Server, DeflateParams::default());
    let data = encode(&mut server, &noise).unwrap();
    let mut client = codec(Role::Client, DeflateParams::default());
    assert_eq!(decode(&mut client, &[&data]).unwrap(), noise);
}

#[test]
fn invalid_deflate_data_is_a_protocol_error() {
    let mut client = codec(Role::Client, DeflateParams::default());
    // BTYPE 11 is reserved.
    let error = decode(&mut client, &[&[0xff, 0xff]]).unwrap_err();
    assert!(matches!(error, Error::InvalidCompressedData), "{error}");
    assert_eq!(error.close_code().0, 1002);
    // A stored block whose NLEN is not the complement of LEN.
    let mut client = codec(Role::Client, DeflateParams::default());
    assert!(decode(&mut client, &[&[0x00, 0x05, 0x00, 0x00, 0x00]]).is_err());
}

/// Writes bits LSB first, as DEFLATE does (RFC 1951 §3.1.1).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    used: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        for i in 0..count {
            if self.used.is_multiple_of(8) {
                self.out.push(0);
            }
            let last = self.out.last_mut().unwrap();
            *last |= u8::from(value >> i & 1 == 1) << (self.used % 8);
            self.used += 1;
        }
    }

    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put(code >> i & 1, 1);
        }
    }
}

/// The start of a DEFLATE bomb: a dynamic block whose length code 285
/// (258 bytes) and distance code 0 (distance 1) are one bit each, then
/// one literal zero. Every further zero byte inflates to 4 · 258 = 1032
/// zero bytes.
fn bomb_header() -> Bits {
    let mut bits = Bits::default();
    bits.put(0, 1); // BFINAL
    bits.put(2, 2); // BTYPE = dynamic Huffman
    bits.put(29, 5); // HLIT: 286 literal/length codes
    bits.put(0, 5); // HDIST: 1 distance code
    bits.put(14, 4); // HCLEN: 18 code length codes
    // Code length code lengths in RFC 1951 order 16, 17, 18, 0, 8, 7,
    // 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1: symbol 18 gets 1 bit,
    // symbols 1 and 2 get 2 bits; canonical codes 18 → 0, 1 → 10, 2 → 11.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        bits.put(len, 3);
    }
    let zeros = |b: &mut Bits, n: u32| {
        b.code(0, 1);
        b.put(n - 11, 7);
    };
    bits.code(0b11, 2); // literal 0: length 2
    zeros(&mut bits, 138);
    zeros(&mut bits, 117); // literals 1..=255 unused
    bits.code(0b11, 2); // end of block: length 2
    zeros(&mut bits, 28); // lengths 257..=284 unused
    bits.code(0b10, 2); // length code 285: length 1
    bits.code(0b10, 2); // distance code 0: length 1
    // Canonical literal/length codes: 285 → 0, 0 → 10, 256 → 11.
    bits.code(0b10, 2); // one literal zero
    bits
}

/// A bomb of `len` bytes that never ends its block.
fn bomb(len: usize) -> Vec<u8> {
    let mut out = bomb_header().out;
    out.resize(len, 0);
    out
}

#[test]
fn bomb_inflates_to_zeros() {
    let mut bits = bomb_header();
    for _ in 0..100 {
        bits.put(0, 2); // (285, distance 1)
    }
    bits.code(0b11, 2); // end of block
    bits.put(0, 3); // an empty stored block; its LEN and NLEN are the tail
    let payload = bits.out;
    let mut client = codec(Role::Client, DeflateParams::default());
    let out = decode(&mut client, &[&payload]).unwrap();
    assert_eq!(out, vec![0; 1 + 100 * 258]);
}

#[test]
fn zip_bomb_is_stopped_at_the_limit() {
    // 1 MiB that would inflate to more than 1 GiB.
    let payload = bomb(1 << 20);
    for limit in [0, 1, 1000, 1 << 20] {
        let mut client = codec(Role::Client, DeflateParams::default());
        let mut out = BytesMut::new();
        let error = client
            .decode_frame(RSV1, &payload, true, &mut out, limit)
            .unwrap_err();
        assert_eq!(error, Error::MessageTooLarge { max: limit });
        // Never more than one byte beyond the limit was produced.
        assert_eq!(out.len(), limit + 1);
        assert!(
            out.capacity() <= 2 * (limit + INFLATE_CHUNK),
            "{}",
            out.capacity()
        );
    }
    // The same bomb cut into frames, the limit applying to the message.
    let mut client = codec(Role::Client, DeflateParams::default());
    let mut out = BytesMut::new();
    let frames: Vec<&[u8]> = payload.chunks(4096).collect();
    let error = frames
        .iter()
        .enumerate()
        .try_for_each(|(i, frame)| {
            let max = (1 << 20) - out.len();
            client.decode_frame(RSV1, frame, i + 1 == frames.len(), &mut out, max)
        })
        .unwrap_err();
    assert!(matches!(error, Error::MessageTooLarge { .. }));
    assert_eq!(out.len(), (1 << 20) + 1);
}

#[test]
fn zip_bomb_closes_the_connection_with_1009() {
    let config = Config {
        max_message_size: 1 << 20,
        ..Config::default()
    };
    let mut server = Connection::new(Role::Server, config);
    server.set_extension(Box::new(codec(Role::Server, DeflateParams::default())));
    let payload = bomb(64 << 10);
    let header = crate::Header {
        fin: true,
        rsv: RSV1,
        opcode: crate::OpCode::Binary,
        mask: Some([0; 4]),
        payload_len: payload.len() as u64,
    };
    let mut buf = [0; crate::Header::MAX_LEN];
    let n = header.encode(&mut buf);
    server.receive(&buf[..n]);
    server.receive(&payload);
    assert_eq!(
        server.poll_event(),
        Err(Error::MessageTooLarge { max: 1 << 20 })
    );
    let close = server.poll_transmit().unwrap();
    assert_eq!(&close[..], [0x88, 0x02, 0x03, 0xf1]);
}

#[test]
fn inflating_exactly_to_the_limit_is_allowed() {
    let data = vec![b'x'; 10_000];
    let mut server = codec(Role::Server, DeflateParams::default());
    let compressed = encode(&mut server, &data).unwrap();
    let mut client = codec(Role::Client, DeflateParams::default());
    let mut out = BytesMut::new();
    client
        .decode_frame(RSV1, &compressed, true, &mut out, 10_000)
        .unwrap();
    assert_eq!(out, data);
    let mut client = codec(Role::Client, DeflateParams::default());
    let mut out = BytesMut::new();
    let error = client.decode_frame(RSV1, &compressed, true, &mut out, 9_999);
    assert_eq!(error, Err(Error::MessageTooLarge { max: 9_999 }));
}

/// Text that compresses but has matches at every distance.
fn sample(len: usize, seed: u32) -> Vec<u8> {
    let words = [
        "alpha ",
        "beta ",
        "gamma ",
        "delta ",
        "{\"id\":",
        "42,",
        "\"name\":\"x\"}",
        "\n",
    ];
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        if state.is_multiple_of(7) {
            out.push(state.to_le_bytes()[1]);
        } else {
            out.extend_from_slice(words[(state % 8) as usize].as_bytes());
        }
    }
    out.truncate(len);
    out
}

/// Reads bits LSB first (RFC 1951 §3.1.1).
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bits(&mut self, n: usize) -> Option<usize> {
        let mut value = 0;
        for i in 0..n {
            let byte = self.data.get(self.pos / 8)?;
            value |= usize::from(byte >> (self.pos % 8) & 1) << i;
            self.pos += 1;
        }
        Some(value)
    }

    /// One symbol of the canonical code with these lengths (§3.2.2),
    /// read one bit at a time.
    fn symbol(&mut self, lengths: &[u8]) -> Option<usize> {
        let (mut code, mut first) = (0, 0);
        for len in 1..=15 {
            code |= self.bits(1)?;
            let mut symbols = (0..lengths.len()).filter(|&s| usize::from(lengths[s]) == len);
            let count = symbols.clone().count();
            if code - first < count {
                return symbols.nth(code - first);
            }
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// Reads a DEFLATE stream (RFC 1951 §3.2) without inflating it and
/// returns the largest match distance, or `None` if it is malformed.
/// (zlib-rs inflates with a 32 KiB window whatever it is told, so no
/// inflater can check an 8-bit window for us.)
fn max_distance(data: &[u8]) -> Option<usize> {
    let mut r = BitReader { data, pos: 0 };
    let mut max = 0;
    while r.pos / 8 < data.len() {
        let _final = r.bits(1)?;
        let (lit, dist): (Vec<u8>, Vec<u8>) = match r.bits(2)? {
            0 => {
                r.pos = r.pos.next_multiple_of(8);
                let len = r.bits(16)?;
                r.bits(16)?;
                r.pos += 8 * len;
                continue;
            }
            1 => {
                let lit = (0..288).map(|s| match s {
                    0..=143 => 8,
                    144..=255 => 9,
                    256..=279 => 7,
                    _ => 8,
                });
                (lit.collect(), vec![5; 30])
            }
            2 => {
                let (hlit, hdist, hclen) = (r.bits(5)? + 257, r.bits(5)? + 1, r.bits(4)? + 4);
                let mut cl = [0u8; 19];
                for &s in &[
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ][..hclen]
                {
                    cl[s] = u8::try_from(r.bits(3)?).ok()?;
                }
                let mut lengths = Vec::new();
                while lengths.len() < hlit + hdist {
                    match r.symbol(&cl)? {
                        16 => {
                            let last = *lengths.last()?;
                            lengths.extend(std::iter::repeat_n(last, 3 + r.bits(2)?));
                        }
                        17 => lengths.extend(std::iter::repeat_n(0, 3 + r.bits(3)?)),
                        18 => lengths.extend(std::iter::repeat_n(0, 11 + r.bits(7)?)),
                        len => lengths.push(u8::try_from(len).ok()?),
                    }
                }
                let dist = lengths.split_off(hlit);
                (lengths, dist)
            }
            _ => return None,
        };
        loop {
            match r.symbol(&lit)? {
                0..=255 => {}
                256 => break,
                length => {
                    if (265..285).contains(&length) {
                        r.bits((length - 261) / 4)?;
                    }
                    let code = r.symbol(&dist)?;
                    let distance = if code < 4 {
                        code + 1
                    } else {
                        let extra = code / 2 - 1;
                        ((2 + (code & 1)) << extra) + 1 + r.bits(extra)?
                    };
                    max = max.max(distance);
                }
            }
        }
    }
    Some(max)
}

#[test]
fn max_distance_reads_the_rfc_examples() {
    assert_eq!(max_distance(&[HELLO, &TAIL[..]].concat()), Some(0));
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff];
    assert_eq!(
        max_distance(&[HELLO, &TAIL[..], &second[..]].concat()),
        Some(5)
    );
}

#[test]
fn rfc7692_7_1_2_1_eight_bit_window_output_fits_a_256_byte_window() {
    // We compress with zlib's 9-bit window when 8 is agreed; the
    // stream, across messages with context takeover, never refers
    // further back than 256 bytes.
    let params = DeflateParams {
        server_max_window_bits: Some(8),
        ..DeflateParams::default()
    };
    let mut server = codec(Role::Server, params);
    assert_eq!(server.send_window_bits, 8);
    let mut stream = Vec::new();
    for seed in 1..40 {
        stream.extend(encode(&mut server, &sample(3000, seed)).unwrap());
        stream.extend_from_slice(&TAIL);
    }
    let max = max_distance(&stream).unwrap();
    assert!((200..=256).contains(&max), "{max}");
    // The 8-bit peer's messages we inflate with a 9-bit window.
    let mut client = codec(Role::Client, params);
    assert_eq!(client.receive_window_bits, 8);
    let data = sample(5000, 7);
    let mut server = codec(Role::Server, params);
    let wire = encode(&mut server, &data).unwrap();
    assert_eq!(decode(&mut client, &[&wire]).unwrap(), data);
}

#[test]
fn zlib_window_9_refers_at_most_250_bytes_back() {
    // What the 8-bit choice rests on: zlib keeps 262 bytes of its
    // window for look-ahead, so with 9 bits no match is further back
    // than 512 − 262 = 250 bytes; with 15 bits the same input has
    // matches beyond 256 (so the check has teeth).
    let mut data = sample(2000, 3);
    data.extend_from_within(..300);
    for (bits, expected) in [(9, 200..=250), (15, 257..=32768)] {
        let params = DeflateParams {
            server_max_window_bits: Some(bits),
            ..DeflateParams::default()
        };
        let mut server = codec(Role::Server, params);
        let mut wire = encode(&mut server, &data).unwrap();
        wire.extend_from_slice(&TAIL);
        let max = max_distance(&wire).unwrap();
        assert!(expected.contains(&max), "{bits}: {max}");
    }
}

#[test]
fn memory_is_allocated_on_first_use_and_bounded() {
    let mut ext = codec(Role::Server, DeflateParams::default());
    assert_eq!(ext.memory_usage(), 0);
    encode(&mut ext, &sample(1000, 1)).unwrap();
    let after_send = ext.memory_usage();
    assert!(after_send > 128 << 10, "{after_send}");
    decode(&mut ext, &[HELLO]).unwrap();
    assert_eq!(ext.memory_usage(), ext.max_memory_usage());
    assert!(ext.max_memory_usage() < 512 << 10);
    // A smaller window costs less.
    let small = codec(
        Role::Server,
        DeflateParams {
            server_max_window_bits: Some(9),
            ..DeflateParams::default()
        },
    );
    assert!(small.max_memory_usage() < ext.max_memory_usage());
}

#[test]
fn window_bits_follow_the_role() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: false,
        server_max_window_bits: Some(10),
        client_max_window_bits: Some(12),
    };
    let server = codec(Role::Server, params);
    assert_eq!(
        (server.send_window_bits, server.send_no_context_takeover),
        (10, true)
    );
    assert_eq!(
        (
            server.receive_window_bits,
            server.receive_no_context_takeover
        ),
        (12, false)
    );
    let client = codec(Role::Client, params);
    assert_eq!(
        (client.send_window_bits, client.send_no_context_takeover),
        (12, false)
    );
    assert_eq!(
        (
            client.receive_window_bits,
            client.receive_no_context_takeover
        ),
        (10, true)
    );
    // The client's own config can only make it stricter.
    let config = DeflateConfig {
        client_max_window_bits: 9,
        client_no_context_takeover: true,
        ..DeflateConfig::default()
    };
    let client = PerMessageDeflate::new(Role::Client, &params, &config);
    assert_eq!(
        (client.send_window_bits, client.send_no_context_takeover),
        (9, true)
    );
}
