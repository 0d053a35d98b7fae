#!/usr/bin/env bash
# The one release build every benchmark script and scripts/autobahn.sh run: ws-server
# (with its io_uring transport on Linux, for `--servers ours-uring,...` and
# `scripts/autobahn.sh server-uring`; the feature changes nothing else) and every ws-bench
# binary (the load generators and the peer servers). Cargo unifies features over the
# packages of one invocation, so a script that built another set would rebuild ws-server;
# with this one set, the second script builds nothing.
#
#   crates/bench/build.sh [CARGO_BUILD_ARGS...]      e.g. --quiet
set -euo pipefail
cd "$(dirname "$0")/../.."
features=()
[[ $(uname -s) == Linux ]] && features=(--features ws-server/io-uring)
exec cargo build --release "$@" -p ws-server -p ws-bench --bins "${features[@]}"
