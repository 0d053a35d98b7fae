#!/usr/bin/env python3
"""A fixed number of echoes against a WebSocket echo server, for counting
what the server spends per echo (callgrind instructions, strace system
calls): CONNS connections, each sending MESSAGES binary messages of SIZE
bytes one at a time (one in flight per connection) and checking every echo.

    scripts/echo_count.py ws://127.0.0.1:9001/echo --conns 10 --messages 2000 --size 16

scripts/callgrind-echo.sh runs it twice (N and 2N messages) so that the
handshakes and start-up cancel out. Standard library only.
"""

import argparse
import asyncio
import base64
import os
import struct
import sys
from urllib.parse import urlparse


def frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """A masked client frame (RFC 6455 §5.2, §5.3)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = os.urandom(4)
    # Masking with a whole-payload integer XOR: fast enough for 1 MiB.
    reps = key * (n // 4 + 1)
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(reps[:n], "big")).to_bytes(n, "big")
    return head + key + masked


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    return b0, await reader.readexactly(n)


async def one(host: str, port: int, path: str, messages: int, payload: bytes) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"upgrade refused: {head!r}")
    data = frame(payload)
    for _ in range(messages):
        writer.write(data)
        b0, echoed = await read_frame(reader)
        if b0 != 0x82 or echoed != payload:
            raise SystemExit(f"wrong echo: opcode byte {b0:#x}, {len(echoed)} bytes")
    writer.write(frame(struct.pack("!H", 1000), opcode=0x8))
    await writer.drain()
    try:
        await asyncio.wait_for(read_frame(reader), 10)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        pass
    writer.close()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--conns", type=int, default=10)
    p.add_argument("--messages", type=int, default=1000, help="per connection")
    p.add_argument("--size", type=int, default=16)
    a = p.parse_args()
    u = urlparse(a.url)
    payload = bytes(i % 251 for i in range(a.size))
    await asyncio.gather(
        *(one(u.hostname, u.port, u.path or "/", a.messages, payload) for _ in range(a.conns))
    )
    print(f"{a.conns * a.messages} echoes", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
