"""Python `websockets` as an echo SERVER, for our `ws-client`.

    python py_server.py [default|no_context_takeover|window_bits_10|window_bits_8]

Listens on a free port of 127.0.0.1 and prints `listening on PORT`. Every
text or binary message is echoed back, except two commands that let a
stdin/stdout client look at the server's side:

- `!ext`: answers `offered=<request's Sec-WebSocket-Extensions>;
  accepted=<response's>; active=<names of the extensions in use>`;
- `!binary N`: answers N bytes (0, 1, ..., 255, 0, ...) as a binary message;
- `!compressed`: answers how many messages of this connection arrived
  compressed (RSV1 set, RFC 7692 §6);
- `!close CODE [REASON]`: closes the connection with that code and reason;
- `!drop`: drops the TCP connection without a Close frame.

Runs until killed.
"""

import asyncio
import sys

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Opcode

MAX_SIZE = 16 << 20

VARIANTS = {
    # The library's default: windows of 12 bits both ways, imposed on the
    # client (`server_max_window_bits=12; client_max_window_bits=12`).
    "default": {"compression": "deflate"},
    "no_context_takeover": {
        "extensions": [
            ServerPerMessageDeflateFactory(
                server_no_context_takeover=True,
                client_no_context_takeover=True,
            )
        ]
    },
    "window_bits_10": {
        "extensions": [
            ServerPerMessageDeflateFactory(
                server_max_window_bits=10,
                client_max_window_bits=10,
            )
        ]
    },
    # §7.1.2.2 lets the server hold the client to 8 bits; zlib inflates
    # with 8 strictly (it deflates with no less than 9, hence 9 here).
    "window_bits_8": {
        "extensions": [
            ServerPerMessageDeflateFactory(
                server_max_window_bits=9,
                client_max_window_bits=8,
            )
        ]
    },
}

_decode = PerMessageDeflate.decode


def counting_decode(self, frame, *, max_size=None):
    """Counts compressed messages per connection (one extension each)."""
    if frame.opcode in (Opcode.TEXT, Opcode.BINARY) and frame.rsv1:
        self.interop_compressed = getattr(self, "interop_compressed", 0) + 1
    return _decode(self, frame, max_size=max_size)


PerMessageDeflate.decode = counting_decode


async def handler(ws):
    async for message in ws:
        if message == "!ext":
            offered = ws.request.headers.get("Sec-WebSocket-Extensions", "")
            accepted = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            active = ",".join(e.name for e in ws.protocol.extensions)
            await ws.send(f"offered={offered}; accepted={accepted}; active={active}")
        elif message == "!compressed":
            count = sum(getattr(e, "interop_compressed", 0) for e in ws.protocol.extensions)
            await ws.send(f"compressed={count}")
        elif isinstance(message, str) and message.startswith("!close "):
            _, code, *reason = message.split(" ", 2)
            await ws.close(int(code), reason[0] if reason else "")
        elif message == "!drop":
            ws.transport.abort()
        elif isinstance(message, str) and message.startswith("!binary "):
            n = int(message.split()[1])
            await ws.send((bytes(range(256)) * (n // 256 + 1))[:n])
        else:
            await ws.send(message)


async def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "default"
    async with serve(handler, "127.0.0.1", 0, max_size=MAX_SIZE, **VARIANTS[variant]) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
