#!/usr/bin/env bash
# User-space instructions per echo of an echo server, under callgrind: the
# server runs under `valgrind --tool=callgrind --separate-threads=no` twice,
# once for N and once for 2N echoes per connection (scripts/echo_count.py),
# and the difference of the totals divided by the extra echoes is the cost
# of one echo (start-up, handshakes and the close cancel out).
#
#   scripts/callgrind-echo.sh ours 16 10 2000      # SERVER SIZE CONNS N
#   scripts/callgrind-echo.sh fastwebsockets 1024 10 2000
#
# SERVER: ours (ws-server --threads 1, /echo), fastwebsockets,
# tokio_websockets or tungstenite (the peers in crates/bench/src/bin). The
# binaries are the release builds in target/release (or $BIN). Keeps the callgrind
# files in target/callgrind/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
server=$1 size=$2 conns=$3 n=$4
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}
out=${OUT:-${CARGO_TARGET_DIR:-target}/callgrind}
mkdir -p "$out"

run() { # messages-per-connection → total instructions
    local messages=$1 file="$out/$server-$size-$conns-$1.out" log port
    log=$(mktemp)
    case $server in
    ours) cmd=("$bin/ws-server" --listen 127.0.0.1:0 --threads 1) ;;
    *) cmd=("$bin/peer-${server//_/-}" --listen 127.0.0.1:0) ;;
    esac
    valgrind --tool=callgrind --separate-threads=no --callgrind-out-file="$file" \
        "${cmd[@]}" >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do
        port=$(grep -o 'listening on [a-z]*://[0-9.]*:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$log" >&2; kill "$pid"; exit 1; }
    python3 scripts/echo_count.py "ws://127.0.0.1:$port/echo" --conns "$conns" \
        --messages "$messages" --size "$size" 2>/dev/null
    # ws-server shuts down gracefully on SIGINT; the peers end on SIGTERM.
    if [ "$server" = ours ]; then kill -INT "$pid"; else kill -TERM "$pid"; fi
    wait "$pid" || true
    rm -f "$log"
    grep -m1 '^summary:' "$file" | awk '{print $2}'
}

a=$(run "$n")
b=$(run $((2 * n)))
echo "$server size=$size conns=$conns: $(( (b - a) / (n * conns) )) instructions per echo ($a for $n, $b for $((2 * n)) per connection)"
