#!/usr/bin/env bash
# The peer comparison: builds ws-server, ws-bench and the peer echo servers in
# release, then runs `ws-bench compare` (servers pinned to core 0, the load
# generator to core 1, runs interleaved, medians of the repeats).
#
#   crates/bench/run.sh                        # the full table (how long: docs/benchmarks.md)
#   crates/bench/run.sh --payloads 1KiB --conns 10 --repeats 1 --duration 1 --idle-conns 100
#   crates/bench/run.sh --servers ours-uring,tokio-tungstenite,fastwebsockets,tokio-websockets
#
# Every argument goes to `ws-bench compare` (see `ws-bench compare --help`).
set -euo pipefail
cd "$(dirname "$0")/../.."
# 10 000 idle connections need as many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
crates/bench/build.sh --quiet
exec "${CARGO_TARGET_DIR:-target}/release/ws-bench" compare "$@"
