#!/usr/bin/env bash
# Room fill times and fan-out: ws-server --threads 1 on core 0, ws-bench
# fanout on core 1, one fresh server per run, one JSON line per run
# (docs/benchmarks.md, "The fan-out load generator, and filling a room").
#
#   crates/bench/fill.sh                       # fills of 1000, 2000, 5000, 10 000 members
#   MEMBERS="1000" crates/bench/fill.sh --senders 50 --rate 20 --warmup 1 --duration 3
#   SERVER_ARGS="--presence-batch-above 0" crates/bench/fill.sh   # a join/leave per member at every size
#
# Arguments go to `ws-bench fanout`; the defaults measure a fill only.
set -euo pipefail
cd "$(dirname "$0")/../.."
# 10 000 members need as many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
crates/bench/build.sh --quiet
bin="${CARGO_TARGET_DIR:-target}/release"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--senders 1 --rate 1 --warmup 0 --duration 1)
for members in ${MEMBERS:-1000 2000 5000 10000}; do
    out=$(mktemp)
    taskset -c 0 "$bin/ws-server" --listen 127.0.0.1:0 --threads 1 --log warn \
        --max-connections 20000 ${SERVER_ARGS:-} >"$out" &
    server=$!
    until grep -q 'listening on' "$out"; do sleep 0.1; done
    addr=$(grep -o 'http://[^ ]*' "$out" | head -1)
    taskset -c 1 "$bin/ws-bench" fanout --url "ws://${addr#http://}" \
        --members "$members" --server-pid "$server" --json "${args[@]}" || true
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -f "$out"
done
