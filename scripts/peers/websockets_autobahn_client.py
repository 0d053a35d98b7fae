"""Python `websockets` as an Autobahn fuzzing-server client, for the
comparison of ws-check with Autobahn (scripts/check-vs-autobahn.sh).

    python websockets_autobahn_client.py ws://127.0.0.1:PORT [AGENT]

Asks for the case count, runs every case (echoing each message until the
server closes), then asks for the reports, as every Autobahn client does.
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException


async def run(base, agent):
    async with connect(base + "/getCaseCount") as ws:
        count = int(await ws.recv())
    for case in range(1, count + 1):
        url = "%s/runCase?case=%d&agent=%s" % (base, case, agent)
        try:
            async with connect(url, max_size=None, max_queue=None,
                               compression="deflate", ping_interval=None) as ws:
                async for message in ws:
                    await ws.send(message)
        except (WebSocketException, OSError):
            pass
    async with connect("%s/updateReports?agent=%s" % (base, agent)) as ws:
        try:
            await ws.recv()
        except WebSocketException:
            pass


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1].rstrip("/"), sys.argv[2] if len(sys.argv) > 2 else "websockets"))
