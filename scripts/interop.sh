#!/usr/bin/env bash
# Interoperability with two independent WebSocket implementations, permessage-deflate
# (RFC 7692) on: Python `websockets` and Node `ws`, each as client against our ws-server
# /echo and as echo server for our ws-client --deflate, and ws-client ending by itself
# when either server closes or drops the connection while its stdin stays open. See
# docs/interop.md.
#
#   scripts/interop.sh
#
# Installs the pinned peers (tests/interop/requirements.txt into target/interop-venv,
# tests/interop/package-lock.json with `npm ci` into target/interop-node), builds ws-server
# and ws-client (debug), and listens on 127.0.0.1 only (port 0: the programs print the
# port they got). Prints one PASS/FAIL line per check and `N passed, M failed`; exit
# status 0 only when nothing failed. Logs of the servers go to target/interop/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
src=tests/interop
venv=$root/target/interop-venv
node_dir=$root/target/interop-node
logs=$root/target/interop
mkdir -p "$logs"
start=$SECONDS

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

passed=0
failed=0
fail() {  # NAME WHY
  echo "FAIL $1: $2"
  failed=$((failed + 1))
}

# --- setup -------------------------------------------------------------------------------

echo "# building ws-server and ws-client (debug)"
cargo build --quiet -p ws-server -p ws-client
server_bin=$root/target/debug/ws-server
client_bin=$root/target/debug/ws-client

# Reinstalls only when the pinned versions changed (the copy is the stamp).
if ! cmp -s "$src/requirements.txt" "$venv/requirements.txt"; then
  echo "# installing $(grep -v '^#' "$src/requirements.txt" | tr '\n' ' ')into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$src/requirements.txt"
  cp "$src/requirements.txt" "$venv/requirements.txt"
fi
python=$venv/bin/python

have_node=1
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  have_node=0
  fail "node setup" "node and npm are needed (Debian: apt-get install nodejs npm)"
else
  mkdir -p "$node_dir"
  if ! cmp -s "$src/package-lock.json" "$node_dir/package-lock.json" \
    || [[ ! -d "$node_dir/node_modules/ws" ]]; then
    echo "# npm ci in $node_dir"
    cp "$src/package.json" "$src/package-lock.json" "$node_dir/"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # The scripts run from beside node_modules, so that `require('ws')` finds it.
  cp "$src"/*.js "$node_dir/"
fi

# --- helpers -----------------------------------------------------------------------------

# start NAME COMMAND...: runs a server in the background, waits for its `listening on`
# line and sets $port to the port it printed.
start() {
  local name=$1 out="$logs/$1.stdout"
  shift
  "$@" >"$out" 2>"$logs/$name.stderr" &
  pids+=($!)
  port=
  for _ in $(seq 150); do
    port=$(grep -m1 -o 'listening on [^ ]*' "$out" 2>/dev/null | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  fail "$name start" "no 'listening on' line (see $logs/$name.stderr)"
  return 1
}

stop_last() {
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
}

# run NAME COMMAND...: runs a check program, passes its lines through and counts them.
# A program that fails without a FAIL line of its own counts as one failure.
run() {
  local name=$1 out="$logs/$1.out" rc=0 p f
  shift
  "$@" >"$out" 2>&1 || rc=$?
  cat "$out"
  p=$(grep -c '^PASS ' "$out" || true)
  f=$(grep -c '^FAIL ' "$out" || true)
  passed=$((passed + p))
  failed=$((failed + f))
  if [[ $rc -ne 0 && $f -eq 0 ]]; then
    fail "$name" "exited with status $rc (output above)"
  elif [[ $rc -eq 0 && $p -eq 0 ]]; then
    fail "$name" "ran no check"
  fi
}

# --- peers as clients against our server ------------------------------------------------

if start ws-server "$server_bin" --listen 127.0.0.1:0 --log warn; then
  url="ws://127.0.0.1:$port/echo"
  run python-client "$python" "$src/py_client.py" "$url"
  [[ $have_node == 1 ]] && run node-client node "$node_dir/node_client.js" "$url"
  stop_last
fi

if start ws-server-no-deflate "$server_bin" --listen 127.0.0.1:0 --log warn --no-deflate; then
  url="ws://127.0.0.1:$port/echo"
  run python-client-declined "$python" "$src/py_client.py" "$url" --expect-declined
  [[ $have_node == 1 ]] && run node-client-declined node "$node_dir/node_client.js" "$url" --expect-declined
  stop_last
fi

# --- our client against the peers as servers --------------------------------------------

# What each variant's answer must contain besides `permessage-deflate` (the Python
# library's default imposes 12-bit windows; Node's adds nothing).
answer_params() {  # PEER VARIANT
  case $2 in
    no_context_takeover) echo server_no_context_takeover client_no_context_takeover ;;
    window_bits_10) echo server_max_window_bits=10 client_max_window_bits=10 ;;
    window_bits_8) echo server_max_window_bits=9 client_max_window_bits=8 ;;
    default) [[ $1 == python ]] && echo server_max_window_bits=12 client_max_window_bits=12 ;;
  esac
}

for variant in default no_context_takeover window_bits_10 window_bits_8; do
  if start "python-server-$variant" "$python" "$src/py_server.py" "$variant"; then
    # shellcheck disable=SC2046 # one word per parameter
    run "our-client-python-$variant" "$python" "$src/our_client.py" "$client_bin" \
      "ws://127.0.0.1:$port/" "python-server $variant" $(answer_params python "$variant")
    stop_last
  fi
  if [[ $have_node == 1 ]] && start "node-server-$variant" node "$node_dir/node_server.js" "$variant"; then
    # shellcheck disable=SC2046
    run "our-client-node-$variant" "$python" "$src/our_client.py" "$client_bin" \
      "ws://127.0.0.1:$port/" "node-server $variant" $(answer_params node "$variant")
    stop_last
  fi
done

# --- our client ends by itself when the peer ends, stdin kept open -----------------------

if start python-server-stdin-open "$python" "$src/py_server.py" default; then
  run our-client-python-stdin-open "$python" "$src/stdin_open.py" "$client_bin" \
    "ws://127.0.0.1:$port/" python-server
  stop_last
fi
if [[ $have_node == 1 ]] && start node-server-stdin-open node "$node_dir/node_server.js" default; then
  run our-client-node-stdin-open "$python" "$src/stdin_open.py" "$client_bin" \
    "ws://127.0.0.1:$port/" node-server
  stop_last
fi

echo "# interop took $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
