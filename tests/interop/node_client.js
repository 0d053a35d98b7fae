// Node `ws` as a CLIENT against our `ws-server /echo`.
//
//     node node_client.js ws://127.0.0.1:PORT/echo [--expect-declined]
//
// Runs every check once per permessage-deflate variant (RFC 7692 §7.1) and
// prints one `PASS name` or `FAIL name: why` line per check;
// scripts/interop.sh counts them. Exit status 0 only if everything passed.
// `--expect-declined`: the server runs with `--no-deflate`.
'use strict';

const WebSocket = require('ws');

const TIMEOUT_MS = 60_000;
const ONE_MIB_TEXT = 'permessage-deflate interop '.repeat(40_000).slice(0, 1 << 20);
// Repeats only at distances of 300 and 5000 bytes: a compressor that ignores
// the negotiated window (8 bits: 256 bytes, 10: 1 KiB) would refer back
// further than the peer's inflater can see.
let seed = 6455;
const block = (n) =>
  Array.from({ length: n }, () => {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return 'abcdefghijklmnopqrstuvwxyz0123456789'[(seed >>> 0) % 36];
  }).join('');
const FAR_MATCHES = block(300).repeat(200) + block(5000).repeat(20);
const BINARY = Buffer.alloc(256 << 10, 0).map((_, i) => i % 256);
const MANY = 1000;

// Counts compressed messages per connection: `decompress` runs once per
// compressed frame, `fin` on the last one (RFC 7692 §6: RSV1 marks them).
const { PerMessageDeflate } = WebSocket;
const decompress = PerMessageDeflate.prototype.decompress;
PerMessageDeflate.prototype.decompress = function (data, fin, callback) {
  if (fin) this.interopCompressed = (this.interopCompressed || 0) + 1;
  return decompress.call(this, data, fin, callback);
};

// name -> [perMessageDeflate option, parameters the answer must carry]
const VARIANTS = {
  // The library's default offer (`permessage-deflate; client_max_window_bits`);
  // it compresses only messages of 1024 bytes or more.
  default: [true, []],
  threshold_0: [{ threshold: 0 }, []],
  no_context_takeover: [
    { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 },
    ['server_no_context_takeover', 'client_no_context_takeover'],
  ],
  window_bits_10: [
    { serverMaxWindowBits: 10, clientMaxWindowBits: 10, threshold: 0 },
    ['server_max_window_bits=10'],
  ],
  // §7.1.2.1 allows 8: our server must fit a 256-byte window; node's zlib
  // inflates with it strictly.
  window_bits_8: [
    { serverMaxWindowBits: 8, clientMaxWindowBits: 9, threshold: 0 },
    ['server_max_window_bits=8'],
  ],
};

const results = [];

function report(name, ok, why) {
  results.push(ok);
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}

function expect(cond, why) {
  if (!cond) throw new Error(why);
}

async function check(name, fn) {
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), TIMEOUT_MS);
      }),
    ]);
    report(name, true);
  } catch (e) {
    report(name, false, e.message);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens a connection; resolves with the socket, a `next()` that yields the
 *  next message, and the 101 response's extensions header. */
function open(url, perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate, maxPayload: 16 << 20 });
    const queue = [];
    const waiting = [];
    let header = '';
    let failure = null;
    ws.on('upgrade', (res) => {
      header = res.headers['sec-websocket-extensions'] || '';
    });
    ws.on('message', (data, isBinary) => {
      const message = { data, isBinary };
      if (waiting.length) waiting.shift().resolve(message);
      else queue.push(message);
    });
    const fail = (e) => {
      failure = e;
      while (waiting.length) waiting.shift().reject(e);
    };
    ws.on('error', (e) => {
      fail(e);
      reject(e);
    });
    ws.on('close', (code) => fail(new Error(`closed with ${code}`)));
    const next = () =>
      queue.length
        ? Promise.resolve(queue.shift())
        : failure
          ? Promise.reject(failure)
          : new Promise((res, rej) => waiting.push({ resolve: res, reject: rej }));
    ws.on('open', () => resolve({ ws, next, header: () => header }));
  });
}

async function echo(ws, next, message, binary) {
  ws.send(message, { binary });
  const got = await next();
  expect(got.isBinary === binary, `got isBinary=${got.isBinary}`);
  const data = binary ? got.data : got.data.toString();
  expect(
    binary ? Buffer.compare(data, message) === 0 : data === message,
    `echo differs (${data.length} vs ${message.length} bytes)`,
  );
}

async function runVariant(url, variant, option, params, declined) {
  const prefix = `node-client ${variant}`;
  const { ws, next, header } = await open(url, option);
  await check(`${prefix}: negotiated (${header() || 'none'})`, async () => {
    if (declined) {
      expect(header() === '', `answer has extensions ${header()}`);
      expect(ws.extensions === '', `active ${ws.extensions}`);
      return;
    }
    expect(header().includes('permessage-deflate'), `answer ${header()}`);
    for (const param of params) {
      expect(header().includes(param), `${param} missing from ${header()}`);
    }
    expect(ws.extensions === 'permessage-deflate', `active ${ws.extensions}`);
  });
  await check(`${prefix}: small text`, () => echo(ws, next, 'hello, wörld €', false));
  await check(`${prefix}: empty text`, () => echo(ws, next, '', false));
  const pmd = () => ws._extensions['permessage-deflate'];
  const before = pmd() ? pmd().interopCompressed || 0 : 0;
  await check(`${prefix}: 1 MiB compressible text`, () => echo(ws, next, ONE_MIB_TEXT, false));
  if (!declined) {
    const after = pmd().interopCompressed || 0;
    report(`${prefix}: the server compressed its echo (RSV1)`, after > before, `${after} compressed`);
  }
  await check(`${prefix}: 160 KB text, repeats 300 and 5000 bytes apart`, () =>
    echo(ws, next, FAR_MATCHES, false),
  );
  await check(`${prefix}: 256 KiB binary`, () => echo(ws, next, BINARY, true));
  await check(`${prefix}: ${MANY} messages in a row`, async () => {
    // All sent before any is read: both compressors carry their context
    // (unless no_context_takeover) across the messages.
    const messages = Array.from({ length: MANY }, (_, i) => `message ${i} ` + 'abc'.repeat(i % 50));
    for (const m of messages) ws.send(m);
    for (let i = 0; i < MANY; i++) {
      const got = (await next()).data.toString();
      expect(got === messages[i], `message ${i}: ${got.slice(0, 40)}`);
    }
  });
  await check(`${prefix}: fragmented message`, async () => {
    // One compressed message in three frames: RSV1 on the first only.
    const parts = ['frag-one '.repeat(100), 'frag-two '.repeat(100), 'frag-three '.repeat(100)];
    parts.forEach((part, i) => ws.send(part, { fin: i === parts.length - 1 }));
    const got = (await next()).data.toString();
    expect(got === parts.join(''), 'reassembled echo differs');
  });
  await check(`${prefix}: ping/pong`, () => new Promise((resolve, reject) => {
    ws.once('pong', (data) => (data.toString() === 'interop' ? resolve() : reject(new Error(`pong ${data}`))));
    ws.ping('interop');
  }));
  await check(`${prefix}: close 1000`, () => new Promise((resolve, reject) => {
    ws.once('close', (code) => (code === 1000 ? resolve() : reject(new Error(`close code ${code}`))));
    ws.close(1000);
  }));
}

async function main() {
  const url = process.argv[2];
  const declined = process.argv.slice(3).includes('--expect-declined');
  console.log(`# node ${process.version}, ws ${require('ws/package.json').version}`);
  const variants = declined ? { default: VARIANTS.default } : VARIANTS;
  for (const [variant, [option, params]] of Object.entries(variants)) {
    const name = declined ? `${variant}, server --no-deflate` : variant;
    try {
      await runVariant(url, name, option, params, declined);
    } catch (e) {
      report(`node-client ${name}: connect`, false, e.message);
    }
  }
  process.exitCode = results.every(Boolean) ? 0 : 1;
}

main();
