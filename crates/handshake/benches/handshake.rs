//! Costs on the server's accept path: parsing and validating a browser-sized
//! upgrade request, computing the accept key, building the 101.

#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ws_handshake::{Limits, Request, accept_key, accept_response};

/// A request as a current browser sends it.
const BROWSER_REQUEST: &[u8] = b"GET /chat/lobby?name=alice HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://localhost:8080\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n";

fn request(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Bytes(BROWSER_REQUEST.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| Request::parse(black_box(BROWSER_REQUEST), &limits));
    });
    group.bench_function("parse_validate_accept", |b| {
        b.iter(|| {
            let (request, _) = Request::parse(black_box(BROWSER_REQUEST), &limits)
                .expect("valid")
                .expect("complete");
            let upgrade = request.validate().expect("valid");
            accept_response(&upgrade, None, None, &[])
        });
    });
    group.finish();
}

fn key(c: &mut Criterion) {
    c.bench_function("accept_key", |b| {
        b.iter(|| accept_key(black_box(b"dGhlIHNhbXBsZSBub25jZQ==")));
    });
}

criterion_group!(benches, request, key);
criterion_main!(benches);
