// The chat page in a real browser: headless Chromium (Debian's package),
// driven through playwright-core, against the ws-server binary.
//
//   SERVER_BIN=target/debug/ws-server node browser.mjs
//
// Starts the server itself (on a free port, and again on the same port for
// the restart step), so it needs nothing else. Prints one line per step and
// a closing "N passed, N failed" line; exits non-zero on any failure.
// SCREENSHOT_DIR (default /tmp) receives ws-chat-desktop.png and
// ws-chat-phone.png.

import { execFileSync, spawn } from "node:child_process";
import { createHash, createHmac, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const SERVER_BIN = process.env.SERVER_BIN || "target/debug/ws-server";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOT_DIR || "/tmp";
// Generous: only there so that a bug fails instead of hanging.
const PATIENCE = 20_000;

// ---- the server ----
let server = null;

function startServer(listen, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(SERVER_BIN, ["--listen", listen, "--log", "warn", ...extra], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.on("error", reject);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/listening on (https?:\/\/\S+)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`ws-server exited early (${code})`)));
  });
}

// An HS256 JWT for `claims`, signed with `secret` (node's own crypto).
function hs256(secret, claims) {
  const part = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  const mac = createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${mac}`;
}

// A test CA and a certificate for `localhost` signed by it (openssl), in
// `dir`: the server's files, the CA's PEM, and the base64 SHA-256 of the
// certificate's public key, which Chromium trusts with
// --ignore-certificate-errors-spki-list (that flag, unlike
// --ignore-certificate-errors, trusts this one key and nothing else).
function testCertificate(dir) {
  const file = (name) => join(dir, name);
  const openssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "2", "-subj", "/CN=ws browser test CA");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", file("key.pem"), "-out", file("cert.csr"), "-subj", "/CN=localhost");
  writeFileSync(file("ext.cnf"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n");
  openssl("x509", "-req", "-in", file("cert.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
    "-CAcreateserial", "-out", file("cert.pem"), "-days", "2", "-extfile", file("ext.cnf"));
  return {
    cert: file("cert.pem"),
    key: file("key.pem"),
    ca: readFileSync(file("ca.pem")),
    spki: createHash("sha256")
      .update(new X509Certificate(readFileSync(file("cert.pem"))).publicKey.export({ type: "spki", format: "der" }))
      .digest("base64"),
  };
}

// `GET url` over HTTPS/1.1 trusting `ca`: the body.
function fetchTls(url, ca) {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d)).on("end", () => resolve(body));
    }).on("error", reject);
  });
}

function stopServer() {
  return new Promise((resolve) => {
    if (!server || server.child.exitCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGTERM");
  });
}

// ---- the steps ----
let passed = 0;
let failed = 0;

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    throw e;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits until the text of `selector` on `page` satisfies `test`. */
async function waitText(page, selector, test, what) {
  try {
    await page.waitForFunction(
      ([sel, src]) => {
        const node = document.querySelector(sel);
        // eslint-disable-next-line no-new-func
        return node && new Function("t", `return (${src})(t)`)(node.textContent);
      },
      [selector, test.toString()],
      { timeout: PATIENCE, polling: 50 },
    );
  } catch (e) {
    const text = await page.locator(selector).textContent().catch(() => "?");
    throw new Error(`${what}: ${selector} is ${JSON.stringify(text)}`);
  }
}

const hasLine = (page, ...parts) =>
  page.waitForFunction(
    (parts) => [...document.querySelectorAll("#messages > *")].some((li) =>
      parts.every((p) => li.textContent.includes(p))),
    parts,
    { timeout: PATIENCE, polling: 50 },
  ).catch(async () => {
    const text = await page.locator("#messages").textContent();
    throw new Error(`no line with ${JSON.stringify(parts)} in ${JSON.stringify(text)}`);
  });

const users = (page) =>
  page.$$eval("#users li", (lis) => lis.map((li) => li.dataset.name || li.textContent));

async function say(page, text, how = "enter") {
  await page.fill("#message", text);
  if (how === "enter") await page.press("#message", "Enter");
  else await page.click("#send");
  await page.waitForFunction(() => document.querySelector("#message").value === "", null, {
    timeout: PATIENCE,
  }).catch(() => {
    throw new Error("the input is not cleared after sending");
  });
}

async function state(page) {
  return page.getAttribute("#state", "data-state");
}

async function waitState(page, wanted) {
  await page.waitForFunction(
    (wanted) => document.querySelector("#state")?.dataset.state === wanted,
    wanted,
    { timeout: PATIENCE, polling: 50 },
  ).catch(async () => {
    throw new Error(`state is ${await state(page)}, not ${wanted}`);
  });
}

// ---- the run ----
const profile = mkdtempSync(join(tmpdir(), "ws-chat-chromium-"));
const certDir = mkdtempSync(join(tmpdir(), "ws-chat-cert-"));
let context = null;
try {
  const tls = testCertificate(certDir);
  server = await startServer("127.0.0.1:0");
  const base = server.url;
  console.log(`server at ${base}`);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      // The https:// step: trust the test certificate's key (and only it).
      `--ignore-certificate-errors-spki-list=${tls.spki}`,
    ],
    viewport: { width: 1100, height: 720 },
  });
  const room = `browser${process.pid}`;
  const open = async (name) => {
    const page = await context.newPage();
    page.on("pageerror", (e) => console.log(`page error (${name}): ${e}`));
    await page.goto(`${base}/?room=${room}&name=${encodeURIComponent(name)}`);
    return page;
  };

  let alice, bob, carol;

  await step("the join form is shown without a room", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    assert(await page.isVisible("#join-form"), "join form visible");
    assert(!(await page.isVisible("#messages")), "no chat yet");
    await page.fill("#room-input", `${room}form`);
    await page.fill("#name-input", "dora");
    await page.click("#join-form button[type=submit]");
    await waitText(page, "#users", (t) => t.includes("dora"), "joined through the form");
    assert(page.url().includes(`room=${room}form`), `the URL names the room: ${page.url()}`);
    await page.close();
  });

  await step("two pages join one room through /?room=&name=", async () => {
    alice = await open("alice");
    bob = await open("bob");
    await waitText(alice, "#users", (t) => t.includes("alice") && t.includes("bob"), "alice sees both");
    await waitText(bob, "#users", (t) => t.includes("alice") && t.includes("bob"), "bob sees both");
    await waitState(alice, "online");
    await hasLine(alice, "bob joined");
  });

  await step("a message sent with Enter shows on the other page", async () => {
    await say(alice, "hello from alice");
    await hasLine(bob, "alice", "hello from alice");
    await hasLine(alice, "alice", "hello from alice");
  });

  await step("a message sent with the Send button shows on the other page", async () => {
    await say(bob, "hi alice, bob here", "click");
    await hasLine(alice, "bob", "hi alice, bob here");
  });

  await step("text is shown as text, never as HTML", async () => {
    const evil = `<img src=x onerror="window.__pwned=1"><b>bold?</b>`;
    await say(alice, evil);
    await hasLine(bob, evil);
    const injected = await bob.$$eval("#messages img, #messages b", (n) => n.length);
    assert(injected === 0, "no element was created from the text");
    assert(!(await bob.evaluate(() => window.__pwned)), "no script ran");
  });

  await step("a direct message by clicking a member reaches only them", async () => {
    carol = await open("carol");
    await waitText(alice, "#users", (t) => t.includes("carol"), "alice sees carol");
    await alice.bringToFront();
    await alice.click('#users li[data-name="bob"]');
    assert(await alice.isVisible("#dm"), "the composer shows the private target");
    await say(alice, "just between us");
    await hasLine(bob, "alice", "just between us");
    await hasLine(alice, "just between us");
    await alice.click("#dm-clear");
    // carol gets the next room message but never the private one.
    await say(alice, "back to everyone");
    await hasLine(carol, "back to everyone");
    const leaked = await carol.$eval("#messages", (m) => m.textContent.includes("just between us"));
    assert(!leaked, "carol did not see the private message");
  });

  await step("a direct message with /msg", async () => {
    await say(bob, "/msg carol psst carol");
    await hasLine(carol, "bob", "psst carol");
    const direct = await carol.$$eval("#messages li.direct", (lis) => lis.length);
    assert(direct >= 1, "shown as a private message");
  });

  await step("a member leaving updates the others' lists", async () => {
    await carol.close();
    await waitText(alice, "#users", (t) => !t.includes("carol"), "carol gone from alice's list");
    await waitText(bob, "#users", (t) => !t.includes("carol"), "carol gone from bob's list");
    await hasLine(alice, "carol left");
    assert((await users(alice)).length === 2, "two members left");
  });

  await step("the browser negotiates permessage-deflate and echoes a large text (RFC 7692)", async () => {
    const result = await alice.evaluate(async (url) => {
      const ws = new WebSocket(url);
      await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error("no open")); });
      const text = JSON.stringify({ greeting: "hello, compressed world" }).repeat(40000);
      const echo = await new Promise((ok) => { ws.onmessage = (e) => ok(e.data); ws.send(text); });
      ws.close(1000);
      return { extensions: ws.extensions, same: echo === text, length: text.length };
    }, `${base.replace(/^http/, "ws")}/echo`);
    assert(result.extensions.includes("permessage-deflate"), `extensions: ${result.extensions}`);
    assert(result.same, `the ${result.length}-character text came back unchanged`);
  });

  await step("screenshots (desktop and phone)", async () => {
    await alice.screenshot({ path: join(SCREENSHOTS, "ws-chat-desktop.png") });
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/?room=${room}&name=erin`);
    await waitState(phone, "online");
    await say(bob, "welcome erin 👋 this line is long enough to wrap on a narrow phone screen, to check that it does");
    await hasLine(phone, "welcome erin");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert(!overflow, "no horizontal scrolling on a phone");
    await phone.screenshot({ path: join(SCREENSHOTS, "ws-chat-phone.png") });
    await phone.click("#people-toggle");
    await phone.screenshot({ path: join(SCREENSHOTS, "ws-chat-phone-people.png") });
    await phone.close();
  });

  await step("a page that lost its connection catches up: every message once, its own sent once", async () => {
    // Cut alice off and keep her off (no room: no retry) while bob talks
    // and she types; then let her reconnect.
    const room = await alice.evaluate(() => {
      const r = chat.room;
      chat.room = null;
      chat.ws.close();
      return r;
    });
    await alice.waitForFunction(() => chat.ws === null, null, { timeout: PATIENCE });
    const missed = ["missed one", "missed two", "missed three"];
    for (const text of missed) {
      await say(bob, text);
      await hasLine(bob, "bob", text);
    }
    await say(alice, "typed while cut off");
    await alice.evaluate((r) => { chat.room = r; connect(); }, room);
    await waitState(alice, "online");
    await hasLine(alice, "alice", "typed while cut off");
    await hasLine(bob, "alice", "typed while cut off");
    const count = (page, text) =>
      page.$$eval("#messages li.msg", (lis, t) => lis.filter((li) => li.textContent.includes(t)).length, text);
    for (const text of missed) {
      assert((await count(alice, text)) === 1, `alice shows "${text}" once`);
    }
    assert((await count(bob, "typed while cut off")) === 1, "her message was posted once");
    const lost = await alice.$eval("#messages", (m) => m.textContent.includes("could not be recovered"));
    assert(!lost, "the resume was exact: no gap notice");
  });

  await step("after a server restart the pages reconnect by themselves", async () => {
    const port = new URL(base).port;
    await stopServer();
    await waitState(alice, "offline");
    await waitState(bob, "offline");
    server = await startServer(`127.0.0.1:${port}`);
    await waitState(alice, "online");
    await waitState(bob, "online");
    await waitText(alice, "#users", (t) => t.includes("alice") && t.includes("bob"), "both back");
    await hasLine(alice, "Reconnected");
    await say(bob, "still here after the restart");
    await hasLine(alice, "bob", "still here after the restart");
  });

  await step("a message typed while offline is sent on reconnect", async () => {
    const port = new URL(base).port;
    await stopServer();
    await waitState(alice, "offline");
    await say(alice, "typed while the server was down");
    const before = await alice.$$eval("#messages li.msg", (lis) => lis.length);
    server = await startServer(`127.0.0.1:${port}`);
    // Her own copy comes from the server: proof that it was sent. (bob may
    // reconnect after it was delivered, so he need not see it.)
    await hasLine(alice, "alice", "typed while the server was down");
    assert((await alice.$$eval("#messages li.msg", (lis) => lis.length)) === before + 1, "sent once");
  });

  await step("a page joins with /?room=&token= as the token's sub", async () => {
    await stopServer();
    const secret = "browser-test-secret";
    server = await startServer("127.0.0.1:0", ["--auth-secret", secret]);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = hs256(secret, { sub: "tina", rooms: [room], exp });
    const page = await context.newPage();
    page.on("pageerror", (e) => console.log(`page error (tina): ${e}`));
    await page.goto(`${server.url}/?room=${room}&token=${token}`);
    await waitState(page, "online");
    await waitText(page, "#users", (t) => t.includes("tina"), "joined as the token's sub");
    await say(page, "signed in");
    await hasLine(page, "tina", "signed in");
    await page.close();
  });

  await step("over https:// the page's WebSocket is a stream of its HTTP/2 connection (RFC 8441)", async () => {
    await stopServer();
    server = await startServer("127.0.0.1:0", ["--tls-cert", tls.cert, "--tls-key", tls.key]);
    // The certificate names localhost, not 127.0.0.1.
    const base = server.url.replace("127.0.0.1", "localhost");
    const page = await context.newPage();
    page.on("pageerror", (e) => console.log(`page error (hana): ${e}`));
    await page.goto(`${base}/?room=${room}&name=hana`);
    await waitState(page, "online");
    await say(page, "hello over h2");
    await hasLine(page, "hana", "hello over h2");
    const nav = await page.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol);
    assert(nav === "h2", `the page came over ${nav}, not h2`);
    await page.close();
    // The server's side: the chat's WebSocket was an upgrade over HTTP/2
    // (an extended CONNECT), and none came over HTTP/1.1.
    const metrics = await fetchTls(`${base}/metrics`, tls.ca);
    const upgrades = (v) => Number((metrics.match(new RegExp(`ws_upgrades_by_http_version_total\\{version="${v}"\\} (\\d+)`)) || [])[1]);
    assert(upgrades("2") >= 1 && upgrades("1.1") === 0,
      `upgrades by HTTP version: 2 -> ${upgrades("2")}, 1.1 -> ${upgrades("1.1")}`);
  });
} catch (e) {
  if (failed === 0) {
    failed += 1;
    console.log(`FAIL setup: ${e && e.stack ? e.stack : e}`);
  }
} finally {
  if (context) await context.close().catch(() => {});
  await stopServer();
  rmSync(profile, { recursive: true, force: true });
  rmSync(certDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
