#!/usr/bin/env bash
# Runs ws-check and the real Autobahn|Testsuite on the same targets and
# compares them case by case (behavior and behaviorClose), with the wall time
# of each tool.
#
#   scripts/check-vs-autobahn.sh [TARGET...]          default: ws-server ws-tokio
#
# Targets (servers get both tools' fuzzing client, clients both tools'
# fuzzing server):
#   ws-server            ws-server /echo (release build)
#   ws-tokio             the ws-tokio Autobahn client (crates/tokio/examples/autobahn_client.rs)
#   websockets-server    Python `websockets` (pinned in tests/interop/requirements.txt,
#   websockets-client      installed into target/interop-venv) as echo server / as client
#   tungstenite          the tokio-tungstenite echo server of crates/bench (peer-tungstenite)
#   broken-FLAW          a deliberately broken echo server (crates/check/examples/broken_server.rs):
#                        FLAW = no-pong, echoes-rsv, no-utf8-check, wrong-close-code,
#                        drops-on-close, utf8-at-message-end, accepts-unmasked
#   broken               all seven broken servers
#
# Environment:
#   CASES     case patterns for both tools (default "*")
#   EXCLUDE   patterns to leave out (default none; "12.*,13.*" for a quick run)
#   JOBS      ws-check --jobs in server mode (default: ws-check's default)
#   OUT       where reports go (default target/check-vs-autobahn)
#   SKIP_AUTOBAHN=1  compare with the Autobahn reports of an earlier run in OUT
#
# Prints, per target, the wall time of both tools, the counts of each
# verdict from both, and every case where they differ. Exit status: 0 when
# the two tools agree on every case that both ran, 1 when a case differs,
# 2 on a setup error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cases=${CASES:-*}
exclude=${EXCLUDE:-}
out=${OUT:-$root/target/check-vs-autobahn}
suite=scripts/autobahn-testsuite.sh
[[ -f ../shared/conformance/autobahn.sh ]] && suite=../shared/conformance/autobahn.sh
mkdir -p "$out"
venv=$root/target/interop-venv

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {  # PORT
  local i
  for i in $(seq 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" \
      2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

compare() {  # LABEL AUTOBAHN_INDEX WS_CHECK_INDEX
  python3 - "$@" <<'PY'
import json, sys
label, ab_path, wc_path = sys.argv[1:4]
(_, ab), = json.load(open(ab_path)).items()
(_, wc), = json.load(open(wc_path)).items()
key = lambda c: tuple(int(p) for p in c.split('.'))
both = sorted(set(ab) & set(wc), key=key)
diff = [c for c in both if (ab[c]['behavior'], ab[c]['behaviorClose']) != (wc[c]['behavior'], wc[c]['behaviorClose'])]
def counts(results, field):
    out = {}
    for c in both:
        out[results[c][field]] = out.get(results[c][field], 0) + 1
    return ', '.join('%s %d' % kv for kv in sorted(out.items()))
print('%s: %d cases compared' % (label, len(both)))
for field in ('behavior', 'behaviorClose'):
    print('  %s  Autobahn: %s' % (field, counts(ab, field)))
    print('  %s  ws-check: %s' % (field, counts(wc, field)))
for c in diff:
    print('  %s: Autobahn %s/%s, ws-check %s/%s' % (c, ab[c]['behavior'], ab[c]['behaviorClose'], wc[c]['behavior'], wc[c]['behaviorClose']))
print('  %d differences' % len(diff))
sys.exit(1 if diff else 0)
PY
}

timed() {  # FILE CMD... : runs CMD, writes its wall time in seconds to FILE
  local file=$1 start end rc=0
  shift
  start=$(date +%s.%N)
  "$@" || rc=$?
  end=$(date +%s.%N)
  python3 -c "print('%.1f' % ($end - $start))" >"$file"
  return "$rc"
}

# Both tools against a server: NAME PATH CMD... (CMD gets the port as its last argument).
server_target() {
  local name=$1 path=$2 port pid rc=0 jobs=() excl=()
  shift 2
  port=$(free_port)
  "$@" "$port" >"$out/$name.log" 2>&1 &
  pid=$!
  wait_port "$port" || { kill "$pid"; return 2; }
  [[ -n "${JOBS:-}" ]] && jobs=(--jobs "$JOBS")
  [[ -n "$exclude" ]] && excl=(--exclude "$exclude")
  timed "$out/$name-ws-check.secs" target/release/ws-check server "ws://127.0.0.1:$port$path" \
    --cases "$cases" "${excl[@]}" "${jobs[@]}" --agent "$name" --out "$out/$name-ws-check" >/dev/null || true
  if [[ -z "${SKIP_AUTOBAHN:-}" ]]; then
    AUTOBAHN_OUT="$out/$name-autobahn" AUTOBAHN_AGENT="$name" AUTOBAHN_EXCLUDE="$exclude" \
      timed "$out/$name-autobahn.secs" bash "$suite" server "ws://127.0.0.1:$port$path" "$cases" \
      >"$out/$name-autobahn.log" 2>&1 || true
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$name: ws-check $(cat "$out/$name-ws-check.secs") s, Autobahn $(cat "$out/$name-autobahn.secs") s"
  compare "$name" "$out/$name-autobahn/index.json" "$out/$name-ws-check/index.json" || rc=1
  return "$rc"
}

# Both tools' fuzzing server against a client: NAME CMD... (CMD gets the base URL as its last argument).
client_target() {
  local name=$1 port pid rc=0 excl=()
  shift
  port=$(free_port)
  [[ -n "$exclude" ]] && excl=(--exclude "$exclude")
  target/release/ws-check client --listen "127.0.0.1:$port" --cases "$cases" "${excl[@]}" \
    --out "$out/$name-ws-check" >"$out/$name-ws-check.log" 2>&1 &
  pid=$!
  wait_port "$port" || { kill "$pid"; return 2; }
  timed "$out/$name-ws-check.secs" "$@" "ws://127.0.0.1:$port" >/dev/null 2>&1 || true
  wait "$pid" || true
  if [[ -z "${SKIP_AUTOBAHN:-}" ]]; then
    port=$(free_port)
    local cmd
    printf -v cmd '%q ' "$@"
    AUTOBAHN_OUT="$out/$name-autobahn" AUTOBAHN_EXCLUDE="$exclude" \
      AUTOBAHN_CLIENT_CMD="$cmd\$AUTOBAHN_URL" \
      timed "$out/$name-autobahn.secs" bash "$suite" client "$port" "$cases" \
      >"$out/$name-autobahn.log" 2>&1 || true
  fi
  echo "$name: ws-check $(cat "$out/$name-ws-check.secs") s, Autobahn $(cat "$out/$name-autobahn.secs") s"
  compare "$name" "$out/$name-autobahn/index.json" "$out/$name-ws-check/index.json" || rc=1
  return "$rc"
}

python_peers() {
  if ! cmp -s tests/interop/requirements.txt "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
    cp tests/interop/requirements.txt "$venv/requirements.txt"
  fi
}

# The targets run in the background (`server_target` runs them with `&`): `exec` makes the
# target the background process itself, so that `$!` is its pid and the `kill` at the end of
# each target stops it (without it, only a subshell was killed and every server stayed up).
ws_server() { exec target/release/ws-server --log warn --listen "127.0.0.1:$1"; }
tungstenite() { exec target/release/peer-tungstenite --listen "127.0.0.1:$1"; }
broken() { exec target/release/examples/broken_server "$1" "127.0.0.1:$2"; }

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(ws-server ws-tokio)
flaws="no-pong echoes-rsv no-utf8-check wrong-close-code drops-on-close utf8-at-message-end accepts-unmasked"
expanded=()
for t in "${targets[@]}"; do
  if [[ $t == broken ]]; then
    for f in $flaws; do expanded+=("broken-$f"); done
  else
    expanded+=("$t")
  fi
done

cargo build --release -p ws-server -p ws-check -p ws-tokio -p ws-bench --bins \
  --example autobahn_client --example broken_server || exit 2
status=0
for t in "${expanded[@]}"; do
  case "$t" in
    ws-server) server_target ws-server /echo ws_server || status=1 ;;
    ws-tokio) client_target ws-tokio target/release/examples/autobahn_client || status=1 ;;
    websockets-server)
      python_peers
      server_target websockets-server / "$venv/bin/python" scripts/peers/websockets_echo_server.py || status=1 ;;
    websockets-client)
      python_peers
      client_target websockets-client "$venv/bin/python" scripts/peers/websockets_autobahn_client.py || status=1 ;;
    tungstenite) server_target tungstenite / tungstenite || status=1 ;;
    broken-*) server_target "$t" / broken "${t#broken-}" || status=1 ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done
exit "$status"
