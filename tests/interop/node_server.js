// Node `ws` as an echo SERVER, for our `ws-client`.
//
//     node node_server.js [default|no_context_takeover|window_bits_10|window_bits_8]
//
// Listens on a free port of 127.0.0.1 and prints `listening on PORT`. Every
// text or binary message is echoed back, except the commands that
// tests/interop/our_client.py uses to look at the server's side (the same
// as py_server.py):
//
// - `!ext`: answers `offered=<request's Sec-WebSocket-Extensions>;
//   accepted=<response's>; active=<names of the extensions in use>`;
// - `!binary N`: answers N bytes (0, 1, ..., 255, 0, ...) as a binary message;
// - `!compressed`: how many messages of this connection arrived compressed;
// - `!close CODE [REASON]`: closes with that code and reason;
// - `!drop`: drops the TCP connection without a Close frame.
//
// Runs until killed.
'use strict';

const WebSocket = require('ws');

// Counts compressed messages per connection (see node_client.js).
const { PerMessageDeflate } = WebSocket;
const decompress = PerMessageDeflate.prototype.decompress;
PerMessageDeflate.prototype.decompress = function (data, fin, callback) {
  if (fin) this.interopCompressed = (this.interopCompressed || 0) + 1;
  return decompress.call(this, data, fin, callback);
};

const VARIANTS = {
  // On for the server (off by default in ws); compresses messages of 1024
  // bytes or more.
  default: true,
  no_context_takeover: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 },
  window_bits_10: { serverMaxWindowBits: 10, clientMaxWindowBits: 10, threshold: 0 },
  // The client held to 8 bits (RFC 7692 §7.1.2.2), inflated strictly.
  window_bits_8: { serverMaxWindowBits: 9, clientMaxWindowBits: 8, threshold: 0 },
};

const variant = process.argv[2] || 'default';
const wss = new WebSocket.WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: VARIANTS[variant],
  maxPayload: 16 << 20,
});

// The 101 response's header lines, per request, as ws writes them.
const answers = new WeakMap();
wss.on('headers', (headers, req) => {
  const line = headers.find((h) => h.toLowerCase().startsWith('sec-websocket-extensions:'));
  answers.set(req, line ? line.slice(line.indexOf(':') + 1).trim() : '');
});

wss.on('connection', (ws, req) => {
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text === '!ext') {
      const offered = req.headers['sec-websocket-extensions'] || '';
      ws.send(`offered=${offered}; accepted=${answers.get(req)}; active=${ws.extensions}`);
    } else if (text === '!compressed') {
      const pmd = ws._extensions['permessage-deflate'];
      ws.send(`compressed=${(pmd && pmd.interopCompressed) || 0}`);
    } else if (text !== null && text.startsWith('!close ')) {
      const [, code, ...reason] = text.split(' ');
      ws.close(Number(code), reason.join(' '));
    } else if (text === '!drop') {
      ws.terminate();
    } else if (text !== null && text.startsWith('!binary ')) {
      const n = Number(text.split(' ')[1]);
      ws.send(Buffer.alloc(n, 0).map((_, i) => i % 256), { binary: true });
    } else {
      ws.send(data, { binary: isBinary });
    }
  });
});

wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
