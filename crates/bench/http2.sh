#!/usr/bin/env bash
# Echo over HTTP/2 (RFC 8441) against HTTP/1.1, both over TLS so that TLS is
# not the difference: one ws-server with a test certificate (openssl), pinned
# to core 0; ws-bench on core 1; the three modes interleaved, REPEATS times,
# medians printed as a Markdown table (docs/benchmarks.md).
#
#   crates/bench/http2.sh [REPEATS] [SIZES] [CONNS]     default: 3 "1KiB 16KiB" 10
#
# Modes: wss:// over HTTP/1.1 (one TLS connection per WebSocket); HTTP/2 with
# one WebSocket per TLS connection (--streams 1); HTTP/2 with every WebSocket
# a stream of one TLS connection (--streams CONNS), as a browser does.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-3}
sizes=${2:-1KiB 16KiB}
conns=${3:-10}
warmup=${WARMUP:-0.5}
duration=${DURATION:-3}
crates/bench/build.sh --quiet
bin=${CARGO_TARGET_DIR:-target}/release
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" \
  -out "$dir/ca.pem" -days 2 -subj "/CN=ws bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" \
  -out "$dir/cert.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$dir/ext.cnf"
openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -out "$dir/cert.pem" -days 2 -extfile "$dir/ext.cnf" 2>/dev/null
# taskset execs its command, so `$!` below is the server's own pid (for --server-pid and the
# trap); a shell function run with `&` would be a subshell whose pid is not the server's.
core0=() core1=()
command -v taskset >/dev/null && core0=(taskset -c 0) core1=(taskset -c 1)
"${core0[@]}" "$bin/ws-server" --listen 127.0.0.1:0 --log warn --tls-cert "$dir/cert.pem" \
  --tls-key "$dir/key.pem" >"$dir/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'listening on' "$dir/server.out" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/server.out" | head -1)
url="wss://localhost:$port/echo"
results="$dir/results.jsonl"
for r in $(seq "$repeats"); do
  for size in $sizes; do
    for mode in h1 h2 h2-shared; do
      case $mode in
        h1) extra=() ;;
        h2) extra=(--http2 --streams 1) ;;
        h2-shared) extra=(--http2 --streams "$conns") ;;
      esac
      line=$("${core1[@]}" "$bin/ws-bench" echo --url "$url" --ca "$dir/ca.pem" --conns "$conns" \
        --size "$size" --warmup "$warmup" --duration "$duration" --server-pid "$server" \
        --json --quiet "${extra[@]}")
      echo "{\"mode\":\"$mode\",\"size\":\"$size\",\"repeat\":$r,\"report\":$line}" | tee -a "$results" >&2
    done
  done
done
python3 - "$results" "$sizes" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = {"h1": "TLS, HTTP/1.1 (a connection per WebSocket)",
         "h2": "TLS, HTTP/2, one WebSocket per connection",
         "h2-shared": "TLS, HTTP/2, every WebSocket a stream of one connection"}
print("| payload | transport | msgs/s | server CPU µs/msg | p50 µs | p99 µs | runs |")
print("|---|---|---|---|---|---|---|")
for size in sys.argv[2].split():
    for mode in ["h1", "h2", "h2-shared"]:
        rs = [r["report"] for r in rows if r["mode"] == mode and r["size"] == size]
        med = lambda k: statistics.median(r[k] for r in rs)
        spread = lambda k: "%.1f–%.1f" % (min(r[k] for r in rs), max(r[k] for r in rs))
        print("| %s | %s | %.0f | %.1f (%s) | %.0f | %.0f | %d |" % (
            size, names[mode], med("msgs_per_sec"), med("server_cpu_us_per_msg"),
            spread("server_cpu_us_per_msg"), med("p50_us"), med("p99_us"), len(rs)))
PY
