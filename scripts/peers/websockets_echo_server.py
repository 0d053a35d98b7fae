"""Python `websockets` as an echo server on 127.0.0.1, for the comparison of
ws-check with Autobahn (scripts/check-vs-autobahn.sh).

    python websockets_echo_server.py PORT

Echoes every message unchanged (any path), permessage-deflate as the
library negotiates it by default, no message size limit (section 9 sends
16 MiB). Prints `listening on PORT` and runs until killed.
"""

import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except Exception:  # a protocol error ends the connection; the library has closed it
        pass


async def main(port):
    async with serve(echo, "127.0.0.1", port, max_size=None, max_queue=None,
                     compression="deflate", ping_interval=None) as server:
        print("listening on %d" % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
