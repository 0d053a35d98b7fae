// Peer broadcast server: Node `ws`, the way its README broadcasts: a
// WebSocketServer, and for every message a loop over the room's clients that
// calls `client.send(data)` on each open one. The room frame is serialized once
// (JSON.stringify); `ws` frames it per client.
//
// Protocol (as `ws_bench::peer_chat` in crates/bench/src/peer_chat.rs): upgrade
// on /chat/{room}?name=N (another path: 404), a `welcome` first, and every
// {"type":"message","text":T} relayed to every member of the room, the sender
// too, as {"type":"message","room":R,"from":N,"text":T,"ts":MS}.
//
// Slow consumers: `ws` buffers without limit; the usual guard, used here, reads
// `client.bufferedAmount` before sending and terminates a client holding more
// than 512 KiB (ours: 2048 frames or 512 KiB), without waiting for it.
//
//   node broadcast.js --listen 127.0.0.1:0     # prints `listening on http://ADDR`
'use strict';

const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const SLOW_BYTES = 512 * 1024;
const ROOM = /^\/chat\/([A-Za-z0-9_-]{1,64})$/;
const rooms = new Map();

function memberOf(url) {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const m = ROOM.exec(path);
  if (!m) return null;
  let name = 'guest';
  if (q >= 0) {
    for (const pair of url.slice(q + 1).split('&')) {
      if (pair.startsWith('name=') && pair.length > 5) {
        name = pair.slice(5);
        break;
      }
    }
  }
  return { room: m[1], name };
}

function listenArg() {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--listen' && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith('--listen=')) return args[i].slice('--listen='.length);
  }
  return '127.0.0.1:0';
}

const server = http.createServer((req, res) => {
  res.writeHead(404).end('not found\n');
});
const wss = new WebSocketServer({ noServer: true });

server.on('upgrade', (req, socket, head) => {
  const me = memberOf(req.url);
  if (!me) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => joined(ws, me));
});

function joined(ws, { room, name }) {
  ws._socket.setNoDelay(true);
  ws.send(JSON.stringify({ type: 'welcome', room, name }));
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
  }
  members.add(ws);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let command;
    try {
      command = JSON.parse(data);
    } catch {
      return;
    }
    if (!command || command.type !== 'message' || typeof command.text !== 'string') return;
    const out = JSON.stringify({ type: 'message', room, from: name, text: command.text, ts: Date.now() });
    for (const client of members) {
      if (client.readyState !== WebSocket.OPEN) continue;
      if (client.bufferedAmount > SLOW_BYTES) {
        client.terminate();
        continue;
      }
      client.send(out);
    }
  });
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
  });
  ws.on('error', () => {});
}

const listen = listenArg();
const colon = listen.lastIndexOf(':');
server.listen(Number(listen.slice(colon + 1)), listen.slice(0, colon), () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port}`);
});
