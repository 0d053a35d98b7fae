//! Benchmarks of the hot paths: header decoding, masking (against memcpy),
//! UTF-8 validation, decoding a stream of masked frames through a server
//! `Connection`, and permessage-deflate (compressing and inflating text).
//!
//! `cargo bench -p ws-frame --bench frame -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use ws_frame::Utf8Validator;
use ws_frame::apply_mask;
use ws_frame::deflate::{DeflateConfig, DeflateParams, PerMessageDeflate};
use ws_frame::{Config, Connection, Extension, Header, MessageKind, Role};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const SIZES: [(&str, usize); 3] = [("16B", 16), ("1KiB", 1024), ("1MiB", 1 << 20)];

fn header_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("header_decode");
    let cases: [(&str, &[u8]); 3] = [
        ("7bit", &[0x81, 0x05]),
        (
            "16bit_masked",
            &[0x82, 0xfe, 0x01, 0x00, 0x37, 0xfa, 0x21, 0x3d],
        ),
        (
            "64bit_masked",
            &[0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0x37, 0xfa, 0x21, 0x3d],
        ),
    ];
    for (name, bytes) in cases {
        group.bench_function(name, |b| b.iter(|| Header::parse(black_box(bytes))));
    }
    group.finish();
}

/// RFC 6455 §5.3 one byte at a time: the baseline `apply_mask` is measured
/// against.
fn apply_mask_by_definition(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(offset + i) % 4];
    }
}

fn mask(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for (name, len) in SIZES {
        let mut buf = vec![0x5a_u8; len];
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::new("apply_mask", name), |b| {
            b.iter(|| apply_mask(black_box(&mut buf), KEY, 0));
        });
        group.bench_function(BenchmarkId::new("apply_mask_reference", name), |b| {
            b.iter(|| apply_mask_by_definition(black_box(&mut buf), KEY, 0));
        });
    }
    // The yardstick: copying the same 1 MiB.
    let src = vec![0x5a_u8; 1 << 20];
    let mut dst = vec![0_u8; 1 << 20];
    group.throughput(Throughput::Bytes(1 << 20));
    group.bench_function(BenchmarkId::new("memcpy", "1MiB"), |b| {
        b.iter(|| black_box(&mut dst).copy_from_slice(black_box(&src)));
    });
    group.finish();
}

fn utf8(c: &mut Criterion) {
    // Mixed text: ASCII with two-, three- and four-byte characters.
    let unit = "WebSocket κόσμε €100 𝄞 — plain ASCII to make it realistic. ";
    let text = unit.repeat((1 << 20) / unit.len());
    let bytes = text.as_bytes();
    let mut group = c.benchmark_group("utf8_1MiB");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("Utf8Validator::feed", |b| {
        b.iter(|| {
            let mut v = Utf8Validator::default();
            v.feed(black_box(bytes)).unwrap();
            v.finish().unwrap();
        });
    });
    group.bench_function("std::str::from_utf8", |b| {
        b.iter(|| std::str::from_utf8(black_box(bytes)).unwrap().len())
    });
    group.finish();
}

/// About 1 MiB of masked binary frames of `payload` bytes each.
fn masked_stream(payload: usize) -> Vec<u8> {
    let frames = ((1 << 20) / payload).max(1);
    let mut wire = Vec::with_capacity(frames * (payload + 14));
    for _ in 0..frames {
        let header = Header {
            fin: true,
            rsv: 0,
            opcode: ws_frame::OpCode::Binary,
            mask: Some(KEY),
            payload_len: payload as u64,
        };
        let mut buf = [0; Header::MAX_LEN];
        let n = header.encode(&mut buf);
        wire.extend_from_slice(&buf[..n]);
        let start = wire.len();
        wire.resize(start + payload, 0x5a);
        apply_mask(&mut wire[start..], KEY, 0);
    }
    wire
}

fn connection_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("server_decode_masked");
    for (name, payload) in [("16B", 16), ("1KiB", 1024), ("64KiB", 64 << 10)] {
        let wire = masked_stream(payload);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut conn = Connection::new(Role::Server, Config::default());
                let mut received = 0;
                // Reads of 64 KiB, as from a socket.
                for chunk in wire.chunks(64 << 10) {
                    conn.receive(chunk);
                    while let Some(event) = conn.poll_event().unwrap() {
                        received += 1;
                        black_box(event);
                    }
                }
                received
            });
        });
    }
    group.finish();
}

/// JSON-like text of `len` bytes, as a chat or telemetry feed sends.
fn json_text(len: usize) -> Bytes {
    let mut text = String::with_capacity(len + 64);
    let mut i = 0u32;
    while text.len() < len {
        text += &format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"text\":\"hello κόσμε\",\"ok\":true}},",
            i % 17
        );
        i = i.wrapping_mul(31).wrapping_add(7) % 10_007;
    }
    text.truncate(len);
    Bytes::from(text)
}

/// permessage-deflate with context takeover (the default): a server
/// compresses a message, a client inflates it.
fn deflate(c: &mut Criterion) {
    let mut group = c.benchmark_group("deflate");
    let params = DeflateParams::default();
    let config = DeflateConfig::default();
    for (name, len) in [("1KiB", 1 << 10), ("64KiB", 64 << 10)] {
        let text = json_text(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::new("compress", name), |b| {
            let mut server = PerMessageDeflate::new(Role::Server, &params, &config);
            b.iter(|| server.encode_message(MessageKind::Text, black_box(&text)));
        });
        group.bench_function(BenchmarkId::new("compress+decompress", name), |b| {
            let mut server = PerMessageDeflate::new(Role::Server, &params, &config);
            let mut client = PerMessageDeflate::new(Role::Client, &params, &config);
            let mut out = BytesMut::with_capacity(len);
            b.iter(|| {
                let (wire, rsv) = server
                    .encode_message(MessageKind::Text, black_box(&text))
                    .unwrap();
                out.clear();
                client
                    .decode_frame(rsv, &wire, true, &mut out, usize::MAX)
                    .unwrap();
                assert_eq!(out.len(), len);
            });
        });
    }
    group.finish();
}

/// Every group, with the command-line options applied (what
/// `criterion_group!` would generate, but documented).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    header_decode(&mut c);
    mask(&mut c);
    utf8(&mut c);
    connection_decode(&mut c);
    deflate(&mut c);
}

criterion_main!(benches);
