#!/usr/bin/env bash
# Runs ws-check and the real Autobahn|Testsuite on the same targets and
# compares them case by case (behavior and behaviorClose), with the wall time
# of each tool.
#
#   scripts/check-vs-autobahn.sh [server|client|all]     default: all
#
#   server: both tools' fuzzing client against ws-server /echo (release build)
#   client: both tools' fuzzing server, driven by the ws-tokio Autobahn client
#
# Environment:
#   CASES     case patterns for both tools (default "*")
#   EXCLUDE   patterns to leave out (default none; "12.*,13.*" for a quick run)
#   JOBS      ws-check --jobs in server mode (default: ws-check's default)
#   OUT       where reports go (default target/check-vs-autobahn)
#
# Exit status: 0 when the two tools agree on every case that both ran, 1 when
# a case differs (the differences are listed), 2 on a setup error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=${1:-all}
cases=${CASES:-*}
exclude=${EXCLUDE:-}
out=${OUT:-$root/target/check-vs-autobahn}
suite=scripts/autobahn-testsuite.sh
[[ -f ../shared/conformance/autobahn.sh ]] && suite=../shared/conformance/autobahn.sh
mkdir -p "$out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

compare() {  # LABEL AUTOBAHN_INDEX WS_CHECK_INDEX
  python3 - "$@" <<'PY'
import json, sys
label, ab_path, wc_path = sys.argv[1:4]
(_, ab), = json.load(open(ab_path)).items()
(_, wc), = json.load(open(wc_path)).items()
key = lambda c: tuple(int(p) for p in c.split('.'))
both = sorted(set(ab) & set(wc), key=key)
diff = [c for c in both if (ab[c]['behavior'], ab[c]['behaviorClose']) != (wc[c]['behavior'], wc[c]['behaviorClose'])]
def counts(results):
    out = {}
    for c in both:
        out[results[c]['behavior']] = out.get(results[c]['behavior'], 0) + 1
    return ', '.join('%s %d' % kv for kv in sorted(out.items()))
print('%s: %d cases compared' % (label, len(both)))
print('  Autobahn: %s' % counts(ab))
print('  ws-check: %s' % counts(wc))
for c in diff:
    print('  %s: Autobahn %s/%s, ws-check %s/%s' % (c, ab[c]['behavior'], ab[c]['behaviorClose'], wc[c]['behavior'], wc[c]['behaviorClose']))
print('  %d differences' % len(diff))
sys.exit(1 if diff else 0)
PY
}

timed() {  # FILE CMD... : runs CMD, appends its wall time in seconds to FILE
  local file=$1 start end rc=0
  shift
  start=$(date +%s.%N)
  "$@" || rc=$?
  end=$(date +%s.%N)
  python3 -c "print('%.1f' % ($end - $start))" >"$file"
  return "$rc"
}

run_server() {
  local port pid rc=0 jobs=()
  port=$(free_port)
  target/release/ws-server --listen "127.0.0.1:$port" --log warn >"$out/ws-server.log" 2>&1 &
  pid=$!
  sleep 0.5
  [[ -n "${JOBS:-}" ]] && jobs=(--jobs "$JOBS")
  local excl=()
  [[ -n "$exclude" ]] && excl=(--exclude "$exclude")
  timed "$out/server-ws-check.secs" target/release/ws-check server "ws://127.0.0.1:$port/echo" \
    --cases "$cases" "${excl[@]}" "${jobs[@]}" --agent ws-server --out "$out/server-ws-check" >/dev/null || true
  AUTOBAHN_OUT="$out/server-autobahn" AUTOBAHN_AGENT=ws-server AUTOBAHN_EXCLUDE="$exclude" \
    timed "$out/server-autobahn.secs" bash "$suite" server "ws://127.0.0.1:$port/echo" "$cases" >/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "server: ws-check $(cat "$out/server-ws-check.secs") s, Autobahn $(cat "$out/server-autobahn.secs") s"
  compare server "$out/server-autobahn/index.json" "$out/server-ws-check/index.json" || rc=1
  return "$rc"
}

run_client() {
  local port rc=0 pid
  port=$(free_port)
  local excl=()
  [[ -n "$exclude" ]] && excl=(--exclude "$exclude")
  target/release/ws-check client --listen "127.0.0.1:$port" --cases "$cases" "${excl[@]}" \
    --out "$out/client-ws-check" >"$out/client-ws-check.log" 2>&1 &
  pid=$!
  sleep 0.5
  timed "$out/client-ws-check.secs" target/release/examples/autobahn_client "ws://127.0.0.1:$port" 2>/dev/null || true
  wait "$pid" || true
  port=$(free_port)
  AUTOBAHN_OUT="$out/client-autobahn" AUTOBAHN_EXCLUDE="$exclude" \
    AUTOBAHN_CLIENT_CMD="$root/target/release/examples/autobahn_client \$AUTOBAHN_URL" \
    timed "$out/client-autobahn.secs" bash "$suite" client "$port" "$cases" >/dev/null || true
  echo "client: ws-check $(cat "$out/client-ws-check.secs") s, Autobahn $(cat "$out/client-autobahn.secs") s"
  compare client "$out/client-autobahn/index.json" "$out/client-ws-check/index.json" || rc=1
  return "$rc"
}

cargo build --release -p ws-server -p ws-check -p ws-tokio --bins --example autobahn_client || exit 2
status=0
case "$mode" in
  server) run_server || status=1 ;;
  client) run_client || status=1 ;;
  all) run_server || status=1; run_client || status=1 ;;
  *) echo "usage: $0 [server|client|all]" >&2; exit 2 ;;
esac
exit "$status"
