"""Peer broadcast server: Python `websockets` (asyncio implementation) with its
`broadcast()`, the way its documentation's chat examples use it: a set of
connections per room, and one `broadcast(room, frame)` per message, which
writes the frame to every open connection without waiting for any.

Protocol (as `ws_bench::peer_chat` in crates/bench/src/peer_chat.rs): upgrade on
/chat/{room}?name=N (another path: 404), a `welcome` first, and every
{"type":"message","text":T} relayed to every member of the room, the sender too,
as {"type":"message","room":R,"from":N,"text":T,"ts":MS}, serialized once.

Slow consumers: broadcast() puts no limit on a connection's write buffer (the
library's documentation says so: it has no backpressure); what removes a member
that stops reading is the library's keepalive (a ping every 20 s, closed if no
pong within 20 s, the defaults). Nothing is added on top: that is the rule a user
of the library gets.

    python broadcast.py --listen 127.0.0.1:0     # prints `listening on http://ADDR`
"""

import asyncio
import json
import sys
import time
from http import HTTPStatus

from websockets.asyncio.server import broadcast, serve

ROOM_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
rooms = {}


def member_of(path):
    """(room, name) from a request target, or None if it is not /chat/{room}."""
    target, _, query = path.partition("?")
    if not target.startswith("/chat/"):
        return None
    room = target[len("/chat/"):]
    if not 1 <= len(room) <= 64 or not set(room) <= ROOM_CHARS:
        return None
    name = "guest"
    for pair in query.split("&"):
        if pair.startswith("name=") and len(pair) > 5:
            name = pair[5:]
            break
    return room, name


def process_request(connection, request):
    if member_of(request.path) is None:
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
    return None


async def handler(websocket):
    room, name = member_of(websocket.request.path)
    await websocket.send(json.dumps({"type": "welcome", "room": room, "name": name}, separators=(",", ":")))
    members = rooms.setdefault(room, set())
    members.add(websocket)
    try:
        async for frame in websocket:
            if not isinstance(frame, str):
                continue
            try:
                command = json.loads(frame)
            except ValueError:
                continue
            if not isinstance(command, dict) or command.get("type") != "message":
                continue
            text = command.get("text")
            if not isinstance(text, str):
                continue
            out = json.dumps({"type": "message", "room": room, "from": name, "text": text,
                              "ts": int(time.time() * 1000)}, separators=(",", ":"))
            broadcast(members, out)
    finally:
        members.discard(websocket)
        if not members:
            rooms.pop(room, None)


def listen_arg():
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == "--listen" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--listen="):
            return arg[len("--listen="):]
    return "127.0.0.1:0"


async def main():
    host, _, port = listen_arg().rpartition(":")
    async with serve(handler, host, int(port), process_request=process_request) as server:
        addr = server.sockets[0].getsockname()
        print(f"listening on http://{addr[0]}:{addr[1]}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
