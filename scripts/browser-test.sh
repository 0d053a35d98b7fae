#!/usr/bin/env bash
# The chat page in a real browser: headless Chromium (Debian's package)
# driven by playwright-core (crates/server/tests/browser/browser.mjs) against
# the ws-server binary. Installs what is missing, builds the server (debug),
# runs the script; exits non-zero on any failure. The script starts the
# server itself on a free port (and restarts it on the same port to check
# the page's reconnect). Screenshots go to $SCREENSHOT_DIR (default /tmp).
# The last step serves the page over https:// (a test CA and certificate
# made with openssl; Chromium trusts its key by
# --ignore-certificate-errors-spki-list) and checks on the server's
# /metrics that the page's WebSocket came over HTTP/2 (RFC 8441).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed (the machine's Node.js)" >&2
  exit 1
fi

cargo build -p ws-server
bin="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/debug/ws-server"

cd crates/server/tests/browser
# playwright-core never downloads a browser; the variable makes sure.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
SERVER_BIN="$bin" CHROMIUM=/usr/bin/chromium node browser.mjs
