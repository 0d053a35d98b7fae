#!/usr/bin/env bash
# Runs the Autobahn|Testsuite against our server (/echo of ws-server) and our client
# (crates/tokio/examples/autobahn_client.rs), then compares every case's result with the
# committed expectations in conformance/expected-{server,client}.json.
#
#   scripts/autobahn.sh [server|client|hyper|all|server-uring]      default: all
#
# all: the server and client roles (sections 1-13), at the same time.
#
# hyper: the hyper example (crates/examples, hyper_server: ws-tokio's `hyper` feature inside a
# hyper server), its /echo judged against the same expectations as ws-server's
# (docs/conformance.md has its full run).
#
# server-uring: the server role against `ws-server --io-uring` (a build with the io-uring
# feature), compared with the same expectations as the default transport. It first checks
# that the kernel gives the server a ring, and skips (exit 0, saying why) when it does not.
#
# Environment:
#   AUTOBAHN_CASES      case patterns (default "*")
#   AUTOBAHN_EXCLUDE    patterns to skip (default: none; e.g. "12.*,13.*" skips permessage-deflate
#                       for a run of well under a minute)
#   AUTOBAHN_UPDATE=1   write the observed results as the new expectations instead of comparing
#   AUTOBAHN_OUT_BASE   where reports go (default target/autobahn)
#   AUTOBAHN_TOOL       wstest (default): the real Autobahn|Testsuite, the referee of the
#                       expectations; or ws-check: our rebuild of it (crates/check), for the
#                       server-side modes only, judged by the same expectations. CI uses it for
#                       the hyper example and the io_uring transport, where a run of sections
#                       1-10 takes seconds instead of a minute (docs/conformance.md, "ws-check
#                       against Autobahn", shows the two tools agree on ws-server)
#   AUTOBAHN_PROFILE    release (default) or debug: which build of the targets (and of ws-check)
#                       to run; debug reuses what `cargo test` built, for CI
#
# Exit status: 0 when every selected case ran, none FAILED, and each case's behavior and close
# behavior equal the expected ones (so OK -> NON-STRICT is a regression too).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=${1:-all}
cases=${AUTOBAHN_CASES:-*}
tool=${AUTOBAHN_TOOL:-wstest}
profile=${AUTOBAHN_PROFILE:-release}
case "$profile" in
  release) bin=target/release; build=(cargo build --release) ;;
  debug) bin=target/debug; build=(cargo build) ;;
  *) echo "AUTOBAHN_PROFILE must be release or debug, not '$profile'" >&2; exit 2 ;;
esac
case "$tool" in
  wstest | ws-check) ;;
  *) echo "AUTOBAHN_TOOL must be wstest or ws-check, not '$tool'" >&2; exit 2 ;;
esac
export AUTOBAHN_EXCLUDE=${AUTOBAHN_EXCLUDE-}
out_base=${AUTOBAHN_OUT_BASE:-$root/target/autobahn}
suite=scripts/autobahn-testsuite.sh
# Prefer the shared copy when it is there (it is the one the project is judged with).
[[ -f ../shared/conformance/autobahn.sh ]] && suite=../shared/conformance/autobahn.sh

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

compare() {  # ROLE REPORT_DIR [EXPECTED_ROLE]
  python3 - "$1" "$2" "$root/conformance/expected-${3:-$1}.json" "${AUTOBAHN_UPDATE:-0}" <<'PY'
import json, os, sys
role, outdir, expected_path, update = sys.argv[1:5]
data = json.load(open(os.path.join(outdir, 'index.json')))
(agent, results), = data.items()
observed = {case: {'behavior': r['behavior'], 'behaviorClose': r['behaviorClose']}
            for case, r in results.items()}
key = lambda c: tuple(int(p) for p in c.split('.'))
observed = dict(sorted(observed.items(), key=lambda kv: key(kv[0])))
if update == '1':
    with open(expected_path, 'w') as f:
        json.dump(observed, f, indent=1)
        f.write('\n')
    print('autobahn %s: wrote %d expectations to %s' % (role, len(observed), expected_path))
    sys.exit(0)
expected = json.load(open(expected_path))
bad = []
for case in sorted(set(expected) | set(observed), key=key):
    e, o = expected.get(case), observed.get(case)
    if o is None:
        # Cases excluded on purpose in this run are not regressions.
        continue
    if e != o:
        bad.append('%s: expected %s, got %s' % (case, e, o))
sections = {}
for case, r in observed.items():
    s = sections.setdefault(case.split('.')[0], {})
    s[r['behavior']] = s.get(r['behavior'], 0) + 1
print('autobahn %s: %d cases; per section: %s' % (role, len(observed), ', '.join(
    '%s: %s' % (s, ' '.join('%s %d' % kv for kv in sorted(c.items())))
    for s, c in sorted(sections.items(), key=lambda kv: int(kv[0])))))
if bad:
    print('autobahn %s: %d cases differ from %s:' % (role, len(bad), expected_path))
    for line in bad:
        print('  ' + line)
    sys.exit(1)
print('autobahn %s: every case matches the expected results' % role)
PY
}

run_server() {  # [NAME [SERVER_ARGS...]]: ws-server (default) or the hyper example, judged as ws-server's /echo
  local name=${1:-server} port pid rc=0
  local out="$out_base/$name"
  (($#)) && shift
  port=$(free_port)
  if [[ $name == hyper ]]; then
    "$bin/hyper_server" "127.0.0.1:$port" >"$out_base/$name.stdout" 2>"$out_base/$name.stderr" &
  else
    "$bin/ws-server" --listen "127.0.0.1:$port" --log warn "$@" >"$out_base/$name.stdout" 2>"$out_base/$name.stderr" &
  fi
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$out_base/$name.stdout" 2>/dev/null && break; sleep 0.1; done
  if [[ $tool == ws-check ]]; then
    rm -rf "$out"
    local exclude=()
    [[ -n $AUTOBAHN_EXCLUDE ]] && exclude=(--exclude "$AUTOBAHN_EXCLUDE")
    echo "autobahn: ws-check -> ws://127.0.0.1:$port/echo, cases '$cases'${AUTOBAHN_EXCLUDE:+ minus '$AUTOBAHN_EXCLUDE'}, reports in $out"
    # Its per-case lines go to a log; the comparison below prints the summary.
    "$bin/ws-check" server "ws://127.0.0.1:$port/echo" --cases "$cases" "${exclude[@]}" \
      --agent "ws-$name" --out "$out" >"$out_base/$name.ws-check.log" 2>&1 || rc=$?
    tail -n 1 "$out_base/$name.ws-check.log"
  else
    AUTOBAHN_OUT="$out" AUTOBAHN_AGENT="ws-$name" bash "$suite" server "ws://127.0.0.1:$port/echo" "$cases" || rc=$?
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -f "$out/index.json" ]] || return 1
  # Judged by ws-server's expectations, which only ws-server's own run may rewrite.
  if [[ $name != server ]]; then
    AUTOBAHN_UPDATE=0 compare "$name" "$out" server || rc=1
  else
    compare "$name" "$out" server || rc=1
  fi
  return "$rc"
}

run_client() {
  local port out="$out_base/client" rc=0
  port=$(free_port)
  AUTOBAHN_OUT="$out" AUTOBAHN_CLIENT_CMD="$root/$bin/examples/autobahn_client \$AUTOBAHN_URL" \
    bash "$suite" client "$port" "$cases" || rc=$?
  [[ -f "$out/index.json" ]] || return 1
  compare client "$out" || rc=1
  return "$rc"
}

mkdir -p "$out_base"
if [[ $tool == ws-check && $mode != server && $mode != hyper && $mode != server-uring ]]; then
  echo "AUTOBAHN_TOOL=ws-check runs the server-side modes (server, hyper, server-uring), not '$mode'" >&2
  exit 2
fi
if [[ $mode == hyper ]]; then
  :
elif [[ $profile == release ]]; then
  # The release build of the bench scripts: after the bench smoke it builds nothing.
  crates/bench/build.sh
elif [[ $mode != client ]]; then
  # ws-server with its io_uring transport on Linux (the feature changes nothing else).
  features=()
  [[ $(uname -s) == Linux ]] && features=(--features io-uring)
  "${build[@]}" -p ws-server --bin ws-server "${features[@]}"
fi
[[ $mode == client || $mode == all ]] && "${build[@]}" -p ws-tokio --example autobahn_client
[[ $mode == hyper ]] && "${build[@]}" -p ws-examples --bin hyper_server
[[ $tool == ws-check ]] && "${build[@]}" -p ws-check --bin ws-check
if [[ $mode == server-uring ]]; then
  # A kernel without io_uring (kernel.io_uring_disabled, a seccomp filter) is not a failure
  # of ours: the server refuses to start with exit status 6 and the reason.
  # (`timeout` ends the probe server after its first line, or after 2 s.)
  probe=$(timeout 2 "$bin/ws-server" --io-uring --listen 127.0.0.1:0 --log error 2>&1 | head -n 1 || true)
  if [[ $probe != listening* ]]; then
    echo "autobahn server-uring: skipped, ws-server --io-uring cannot start here: $probe"
    exit 0
  fi
fi
status=0
case "$mode" in
  server-uring) run_server server-uring --io-uring --threads 1 || status=1 ;;
  server) run_server || status=1 ;;
  client) run_client || status=1 ;;
  hyper) run_server hyper || status=1 ;;
  all)
    # The two roles run at once: wstest is single-threaded Python, so on two
    # cores this halves the wall time (sections 12-13 take ~10 min per role).
    run_server > >(sed -u 's/^/[server] /') 2>&1 &
    server_pid=$!
    run_client > >(sed -u 's/^/[client] /') 2>&1 || status=1
    wait "$server_pid" || status=1
    ;;
  *) echo "usage: $0 [server|client|hyper|all|server-uring]" >&2; exit 2 ;;
esac
exit "$status"
