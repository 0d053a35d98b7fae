#!/usr/bin/env python3
"""Byte-level captures for the book: a raw-socket WebSocket client.

Talks to a running ws-server (`/echo`) with nothing but `socket`, prints
every byte it sends (>>) and receives (<<) as a hex dump, and annotates the
frames. The listings in docs/src/ were made with:

    cargo run --release -p ws-server -- --listen 127.0.0.1:9001 &
    python3 docs/tools/capture.py 127.0.0.1:9001 [scenario ...]

Scenarios: http and session (chapter 1), handshake-errors (2), lengths (3),
unmasked (4), fragments (5), bad-utf8 (5), closing (6), deflate (7).
Default: all.
The client uses the RFC 6455 sample key and the §5.7 masking key, so the
captures are reproducible byte for byte.
"""

import socket
import struct
import sys
import time
import zlib

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3 sample nonce
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])  # RFC 6455 §5.7 masking key

BASE_HEADERS = (
    "Upgrade: websocket",
    "Connection: Upgrade",
    f"Sec-WebSocket-Key: {KEY}",
    "Sec-WebSocket-Version: 13",
)

OPCODES = {0: "cont", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def hexdump(prefix, data, limit=None):
    shown = data if limit is None else data[:limit]
    for off in range(0, len(shown), 16):
        chunk = shown[off:off + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        print(f"{prefix} {off:04x}  {hexes:<47}  {text}")
    if limit is not None and len(data) > limit:
        print(f"{prefix}       ... {len(data) - limit} more bytes")


def http_text(prefix, data):
    head, sep, body = data.partition(b"\r\n\r\n")
    for line in (head + sep).split(b"\r\n")[:-1]:
        print(f"{prefix} {line.decode('latin-1')}\\r\\n")
    for line in body.decode("latin-1").splitlines():
        print(f"{prefix} {line}")


def frame(opcode, payload, fin=True, mask=MASK, rsv=0):
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    masked = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes([b0, masked | n])
    elif n < 65536:
        head = bytes([b0, masked | 126]) + struct.pack("!H", n)
    else:
        head = bytes([b0, masked | 127]) + struct.pack("!Q", n)
    if mask is None:
        return head + payload
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


INFLATER = {"server": None}  # the server's compression context (permessage-deflate)


def describe(data):
    """Splits received bytes into frames and describes each header."""
    out = []
    i = 0
    while i + 2 <= len(data):
        b0, b1 = data[i], data[i + 1]
        n = b1 & 0x7F
        j = i + 2
        if n == 126:
            n = struct.unpack("!H", data[j:j + 2])[0]
            j += 2
        elif n == 127:
            n = struct.unpack("!Q", data[j:j + 8])[0]
            j += 8
        if b1 & 0x80:
            j += 4
        payload = data[j:j + n]
        opcode = b0 & 15
        what = f"FIN={b0 >> 7} RSV={(b0 >> 4) & 7} opcode={opcode:#x} ({OPCODES.get(opcode, '?')}) MASK={b1 >> 7} len={n}"
        if b0 & 0x40 and opcode in (1, 2) and INFLATER["server"] is not None:
            # RFC 7692 §7.2.2: append 00 00 ff ff, then inflate.
            text = INFLATER["server"].decompress(payload + b"\x00\x00\xff\xff")
            what += f" inflates to {len(text)} bytes: {text[:32].decode('utf-8', 'replace')!r}..."
        elif opcode == 8 and n >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            what += f" code={code} reason={payload[2:].decode('utf-8', 'replace')!r}"
        elif opcode in (1, 9, 10) and n <= 40:
            what += f" payload={payload.decode('utf-8', 'replace')!r}"
        out.append(what)
        i = j + n
    return out


class Conn:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)))
        self.s.settimeout(2)
        self.addr = addr

    def send(self, data, note=None, limit=None):
        if note:
            print(f"   # {note}")
        hexdump(">>", data, limit)
        self.s.sendall(data)

    def recv(self, note=None, wait=0.3, limit=None):
        time.sleep(wait)
        data = b""
        self.s.settimeout(0.3)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    data += b""
                    break
                data += chunk
        except socket.timeout:
            pass
        if note:
            print(f"   # {note}")
        return data

    def eof(self):
        self.s.settimeout(2)
        try:
            return self.s.recv(1) == b""
        except (socket.timeout, ConnectionResetError):
            return False

    def request(self, headers=None, path="/echo"):
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.addr}"]
        lines += headers if headers is not None else [
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {KEY}",
            "Sec-WebSocket-Version: 13",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def handshake(self, show=True, extra=()):
        req = self.request(list(BASE_HEADERS) + list(extra)) if extra else self.request()
        if show:
            print("   # the opening handshake (client request)")
            http_text(">>", req)
        self.s.sendall(req)
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += self.s.recv(4096)
        if show:
            print("   # the server's answer")
            http_text("<<", resp)
        return resp

    def exchange(self, data, note, limit=None):
        self.send(data, note, limit)
        got = self.recv()
        hexdump("<<", got, limit)
        for d in describe(got):
            print(f"   #   {d}")
        return got


def http(addr):
    c = Conn(addr)
    req = (f"GET /healthz HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n\r\n").encode()
    print(f"   # one plain HTTP request/response, as a polling client would repeat it ({len(req)} bytes out)")
    http_text(">>", req)
    c.s.sendall(req)
    resp = c.recv(wait=0.2)
    print(f"   # {len(resp)} bytes back")
    http_text("<<", resp)


def session(addr):
    c = Conn(addr)
    c.handshake()
    print()
    c.exchange(frame(1, b"Hello"), "a masked text frame 'Hello' (RFC 6455 §5.7 key 37 fa 21 3d)")
    print()
    c.exchange(frame(9, b"hi"), "a masked Ping 'hi'")
    print()
    c.exchange(frame(8, struct.pack("!H", 1000) + b"bye"), "a masked Close 1000 'bye'")
    print(f"   # then the server closes TCP: EOF={c.eof()}")


def handshake_errors(addr):
    base = [
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 13",
    ]
    cases = [
        ("Sec-WebSocket-Version: 8", [h if not h.startswith("Sec-WebSocket-Version") else "Sec-WebSocket-Version: 8" for h in base]),
        ("no Sec-WebSocket-Key", [h for h in base if not h.startswith("Sec-WebSocket-Key")]),
        ("a key of 15 bytes", [h if not h.startswith("Sec-WebSocket-Key") else "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA" for h in base]),
        ("no Connection: Upgrade", [h for h in base if not h.startswith("Connection")]),
    ]
    for name, headers in cases:
        c = Conn(addr)
        req = c.request(headers)
        print(f"   # {name}")
        c.s.sendall(req)
        resp = c.recv(wait=0.2)
        http_text("<<", resp)
        print()


def lengths(addr):
    c = Conn(addr)
    c.handshake(show=False)
    for n in (5, 126, 65536):
        payload = bytes(i % 256 for i in range(n))
        data = frame(2, payload)
        print(f"   # a masked binary frame of {n} bytes: header {data[:2 + (2 if n >= 126 else 0) + (6 if n >= 65536 else 0) + 4].hex(' ')}")
        c.s.sendall(data)
        time.sleep(0.3)
        got = c.recv(wait=0.2)
        head = got[:2 + (2 if n >= 126 else 0) + (6 if n >= 65536 else 0)]
        print(f"   # the echo: {len(got)} bytes, header {head.hex(' ')}")
        hexdump("<<", got, limit=32)
        print()


def unmasked(addr):
    c = Conn(addr)
    c.handshake(show=False)
    c.exchange(frame(1, b"Hello", mask=None), "an UNMASKED text frame from a client (§5.1)")
    print(f"   # then the server closes TCP: EOF={c.eof()}")


def fragments(addr):
    c = Conn(addr)
    c.handshake(show=False)
    euro = "€".encode()  # e2 82 ac
    c.send(frame(1, b"Hel", fin=False), "text, FIN=0: 'Hel'")
    c.send(frame(9, b"!"), "a Ping between the fragments (§5.4 allows it)")
    c.send(frame(0, b"lo " + euro[:1], fin=False), "continuation, FIN=0: 'lo ' and the first byte of the euro sign")
    c.exchange(frame(0, euro[1:], fin=True), "continuation, FIN=1: the last two bytes of the euro sign")


def bad_utf8(addr):
    c = Conn(addr)
    c.handshake(show=False)
    c.send(frame(1, b"caf\xc3", fin=False), "text, FIN=0: 'caf' and a lead byte c3 (fine so far)")
    got = c.recv(wait=0.2)
    print(f"   # nothing comes back yet: {len(got)} bytes")
    whole = frame(0, b"\x28" + b"x" * 999, fin=True)
    c.exchange(whole[:12], "a final continuation announcing 1000 bytes; only 4 of them are sent: 28 cannot follow c3")
    print(f"   # then the server closes TCP: EOF={c.eof()}")


def closing(addr):
    c = Conn(addr)
    c.handshake(show=False)
    c.exchange(frame(8, b""), "a Close without a body")
    print(f"   # then the server closes TCP: EOF={c.eof()}")
    print()
    c = Conn(addr)
    c.handshake(show=False)
    c.exchange(frame(8, struct.pack("!H", 1005)), "a Close with code 1005, which may never be sent (§7.4.1)")
    print()
    c = Conn(addr)
    c.handshake(show=False)
    c.exchange(frame(8, b"\x03"), "a Close with a 1-byte body (§5.5.1)")


def deflate(addr):
    c = Conn(addr)
    c.handshake(extra=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
    print()
    INFLATER["server"] = zlib.decompressobj(-15)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)

    def compressed(text):
        out = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]

    hello = compressed(b"Hello")
    c.exchange(frame(1, hello, rsv=0x40), f"'Hello' compressed (RFC 7692 §7.2.3.1: {hello.hex(' ')}), RSV1 set")
    print()
    again = compressed(b"Hello")
    c.exchange(frame(1, again, rsv=0x40), f"'Hello' again, with context takeover: {again.hex(' ')}")
    print()
    chat = b'{"type":"message","text":"' + b"hello, room! " * 8 + b'"}'
    body = compressed(chat)
    c.exchange(frame(1, body, rsv=0x40), f"a {len(chat)}-byte JSON message compressed to {len(body)} bytes")


SCENARIOS = {
    "http": http,
    "session": session,
    "handshake-errors": handshake_errors,
    "lengths": lengths,
    "unmasked": unmasked,
    "fragments": fragments,
    "bad-utf8": bad_utf8,
    "closing": closing,
    "deflate": deflate,
}

if __name__ == "__main__":
    addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9001"
    for name in sys.argv[2:] or SCENARIOS:
        print(f"== {name}")
        SCENARIOS[name](addr)
        print()
