#!/usr/bin/env python3
"""Chat members with and without permessage-deflate: server memory per idle
member and server CPU per delivery (docs/benchmarks.md, "Compression in
chat rooms").

Members are Python `websockets` clients, which offer permessage-deflate
exactly as browsers do (`permessage-deflate; client_max_window_bits`);
`--plain` makes them offer nothing. Each member joins the room and sends one
message (so the server has inflated something from every member), then:

1. memory: the server's RSS growth over the joined, idle members, divided
   by their number (VmRSS from /proc/PID/status);
2. load: `--senders` members send `--rate` messages/s each for
   `--duration` s; every member counts the room messages it receives; the
   server's CPU (utime + stime from /proc/PID/stat) over the window,
   divided by the deliveries.

Prints one JSON object. Usage:

    chat_deflate_bench.py --url ws://127.0.0.1:8080 --pid PID --members 500
"""

import argparse
import asyncio
import json
import os
import time

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

TICK = os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / TICK


def text_of(i):
    return f"member {i} says something about the weather, the match and lunch"


async def member(url, i, plain, ready, go, stop, counts):
    extensions = None if plain else [ClientPerMessageDeflateFactory(client_max_window_bits=True)]
    async with websockets.connect(
        f"{url}/chat/bench?name=m{i}", extensions=extensions, compression=None if plain else "deflate",
        max_queue=None, ping_interval=None,
    ) as ws:
        counts["agreed"] += ws.protocol.extensions != []
        await ws.recv()  # welcome
        await ws.send(json.dumps({"type": "message", "text": text_of(i)}))
        ready.set_result(None) if not ready.done() else None
        async for raw in ws:
            if stop.is_set():
                break
            if go.is_set() and raw.startswith('{"type":"message"'):
                counts["deliveries"] += 1


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--members", type=int, default=500)
    p.add_argument("--senders", type=int, default=2)
    p.add_argument("--rate", type=float, default=10)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--plain", action="store_true")
    a = p.parse_args()

    before = rss_kib(a.pid)
    go, stop = asyncio.Event(), asyncio.Event()
    counts = {"deliveries": 0, "agreed": 0}
    tasks, readies = [], []
    for i in range(a.members):
        ready = asyncio.get_running_loop().create_future()
        readies.append(ready)
        tasks.append(asyncio.create_task(member(a.url, i, a.plain, ready, go, stop, counts)))
        if i % 50 == 49:
            await asyncio.gather(*readies[-50:])
    await asyncio.gather(*readies)
    await asyncio.sleep(2)  # every join and first message delivered
    idle = rss_kib(a.pid)

    senders = []
    for i in range(a.senders):
        s = await websockets.connect(
            f"{a.url}/chat/bench?name=s{i}", compression=None, ping_interval=None)
        await s.recv()
        senders.append(s)
    await asyncio.sleep(0.5)
    go.set()
    cpu0, t0 = cpu_seconds(a.pid), time.monotonic()
    n = 0
    while time.monotonic() - t0 < a.duration:
        for i, s in enumerate(senders):
            await s.send(json.dumps({"type": "message", "text": text_of(n * a.senders + i)}))
        n += 1
        await asyncio.sleep(max(0.0, t0 + n / a.rate - time.monotonic()))
    await asyncio.sleep(1)  # the last deliveries arrive
    cpu1 = cpu_seconds(a.pid)
    go.clear()
    stop.set()
    sent = n * a.senders
    for s in senders:
        await s.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({
        "members": a.members,
        "deflate_agreed": counts["agreed"],
        "rss_before_kib": before,
        "rss_idle_kib": idle,
        "kib_per_idle_member": (idle - before) / a.members,
        "sent": sent,
        "deliveries": counts["deliveries"],
        "expected_deliveries": sent * a.members,
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_us_per_delivery": (cpu1 - cpu0) * 1e6 / max(1, counts["deliveries"]),
    }))


asyncio.run(main())
