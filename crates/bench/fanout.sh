#!/usr/bin/env bash
# The fan-out comparison (issue 16): builds ws-server, ws-bench and the Rust peer
# broadcast servers in release, installs the Python (`websockets`, pinned in
# crates/bench/peers/requirements.txt) and Node (`ws`, package-lock.json) peers
# into target/bench-peers/, then runs `ws-bench fanout-compare`: every server
# started once on core 0, every load a separate `ws-bench fanout` on core 1,
# servers interleaved, medians of the repeats.
#
#   crates/bench/fanout.sh                                  # every setup (docs/benchmarks.md)
#   crates/bench/fanout.sh --setups small --repeats 1 --duration 1 --strict   # the CI smoke test
#
# Every argument goes to `ws-bench fanout-compare` (see `ws-bench fanout-compare --help`).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
peers=$root/crates/bench/peers
dir=$target/bench-peers
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
crates/bench/build.sh --quiet
mkdir -p "$dir"

# Reinstalls only when the pinned versions changed (the copy is the stamp).
if command -v python3 >/dev/null; then
  if ! cmp -s "$peers/requirements.txt" "$dir/venv/requirements.txt"; then
    rm -rf "$dir/venv"
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$peers/requirements.txt"
    cp "$peers/requirements.txt" "$dir/venv/requirements.txt"
  fi
  cp "$peers/broadcast.py" "$dir/"
fi
if command -v npm >/dev/null; then
  if ! cmp -s "$peers/package-lock.json" "$dir/package-lock.json" || [[ ! -d "$dir/node_modules/ws" ]]; then
    cp "$peers/package.json" "$peers/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # Run from beside node_modules, so that `require('ws')` finds it.
  cp "$peers/broadcast.js" "$dir/"
fi
exec "$target/release/ws-bench" fanout-compare --peer-dir "$dir" "$@"
