"""Python `websockets` as a CLIENT against our `ws-server /echo`.

    python py_client.py ws://127.0.0.1:PORT/echo [--expect-declined]

Runs every check once per permessage-deflate variant (RFC 7692 §7.1) and
prints one `PASS name` or `FAIL name: why` line per check; scripts/interop.sh
counts them. Exit status 0 only if everything passed.

`--expect-declined`: the server runs with `--no-deflate`; the client still
offers compression, and the checks expect no extension in the answer.
"""

import asyncio
import random
import sys
import traceback

import websockets
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Opcode

# Largest message either side accepts here (the library's default is 1 MiB).
MAX_SIZE = 16 << 20
ONE_MIB_TEXT = ("permessage-deflate interop " * 40_000)[: 1 << 20]
# Repeats only at distances of 300 and 5000 bytes: a compressor that
# ignores the negotiated window (8 bits: 256 bytes, 10: 1 KiB) would refer
# back further than the peer's inflater can see.
_rng = random.Random(6455)
_block = lambda n: "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))
FAR_MATCHES = _block(300) * 200 + _block(5000) * 20
BINARY = bytes(range(256)) * 1024  # 256 KiB, repetitive: compresses well
MANY = 1000

# name -> (connect() keyword arguments, parameters the answer must carry)
VARIANTS = {
    # The library's default: `permessage-deflate; client_max_window_bits`.
    "default": ({"compression": "deflate"}, []),
    "no_context_takeover": (
        {
            "extensions": [
                ClientPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                )
            ]
        },
        ["server_no_context_takeover", "client_no_context_takeover"],
    ),
    "window_bits_10": (
        {
            "extensions": [
                ClientPerMessageDeflateFactory(
                    server_max_window_bits=10,
                    client_max_window_bits=10,
                )
            ]
        },
        ["server_max_window_bits=10"],
    ),
    # §7.1.2.1 allows 8; zlib cannot deflate with 8 bits (the library
    # refuses client_max_window_bits=8) but inflates with 8 strictly, so
    # this checks that our server's output fits a 256-byte window.
    "window_bits_8": (
        {
            "extensions": [
                ClientPerMessageDeflateFactory(
                    server_max_window_bits=8,
                    client_max_window_bits=9,
                )
            ]
        },
        ["server_max_window_bits=8"],
    ),
}

results = []

# Counts received frames by their RSV1 bit, to see that the server really
# compressed (RFC 7692 §6: RSV1 marks a compressed message's first frame).
rsv1_frames = {"compressed": 0, "plain": 0}
_decode = PerMessageDeflate.decode


def counting_decode(self, frame, *, max_size=None):
    if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
        rsv1_frames["compressed" if frame.rsv1 else "plain"] += 1
    return _decode(self, frame, max_size=max_size)


PerMessageDeflate.decode = counting_decode


def report(name, ok, why=""):
    results.append(ok)
    line = f"PASS {name}" if ok else f"FAIL {name}: {why}"
    print(line, flush=True)


async def check(name, coro):
    try:
        await asyncio.wait_for(coro, timeout=60)
    except Exception as e:  # noqa: BLE001 - any failure is a FAIL line
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        report(name, False, detail)
    else:
        report(name, True)


def expect(cond, why):
    if not cond:
        raise AssertionError(why)


async def echo(ws, message):
    await ws.send(message)
    got = await ws.recv()
    expect(type(got) is type(message), f"got {type(got).__name__}")
    expect(got == message, f"echo differs ({len(got)} vs {len(message)} bytes)")


async def run_variant(url, variant, kwargs, params, declined):
    prefix = f"python-client {variant}"
    async with connect(url, max_size=MAX_SIZE, **kwargs) as ws:
        header = ws.response.headers.get("Sec-WebSocket-Extensions", "")

        async def negotiated():
            if declined:
                expect(header == "", f"answer has extensions {header!r}")
                expect(ws.protocol.extensions == [], "extension active")
                return
            expect("permessage-deflate" in header, f"answer {header!r}")
            for param in params:
                expect(param in header, f"{param} missing from {header!r}")
            names = [e.name for e in ws.protocol.extensions]
            expect(names == ["permessage-deflate"], f"active {names}")

        await check(f"{prefix}: negotiated ({header or 'none'})", negotiated())
        await check(f"{prefix}: small text", echo(ws, "hello, wörld €"))
        await check(f"{prefix}: empty text", echo(ws, ""))
        before = rsv1_frames["compressed"]
        await check(f"{prefix}: 1 MiB compressible text", echo(ws, ONE_MIB_TEXT))
        if not declined:
            report(
                f"{prefix}: the server compressed its echo (RSV1)",
                rsv1_frames["compressed"] > before,
                f"frames seen: {rsv1_frames}",
            )
        await check(f"{prefix}: 160 KB text, repeats 300 and 5000 bytes apart", echo(ws, FAR_MATCHES))
        await check(f"{prefix}: 256 KiB binary", echo(ws, BINARY))

        async def many():
            # All sent before any is read: both compressors carry their
            # context (unless no_context_takeover) across 1000 messages.
            messages = [f"message {i} " + "abc" * (i % 50) for i in range(MANY)]
            for m in messages:
                await ws.send(m)
            for i, m in enumerate(messages):
                got = await ws.recv()
                expect(got == m, f"message {i}: {got[:40]!r}")

        await check(f"{prefix}: {MANY} messages in a row", many())

        async def fragmented():
            # One compressed message in three frames: RSV1 on the first only.
            parts = ["frag-one " * 100, "frag-two " * 100, "frag-three " * 100]
            await ws.send(iter(parts))
            got = await ws.recv()
            expect(got == "".join(parts), "reassembled echo differs")

        await check(f"{prefix}: fragmented message", fragmented())

        async def ping():
            pong = await ws.ping(b"interop")
            await pong

        await check(f"{prefix}: ping/pong", ping())

        async def close():
            await ws.close()
            expect(ws.close_code == 1000, f"close code {ws.close_code}")

        await check(f"{prefix}: close 1000", close())


async def main():
    url = sys.argv[1]
    declined = "--expect-declined" in sys.argv[2:]
    print(f"# websockets {websockets.__version__}", flush=True)
    variants = {"default": VARIANTS["default"]} if declined else VARIANTS
    for variant, (kwargs, params) in variants.items():
        name = f"{variant}, server --no-deflate" if declined else variant
        try:
            await run_variant(url, name, kwargs, params, declined)
        except Exception as e:  # noqa: BLE001
            report(f"python-client {name}: connect", False, repr(e))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
