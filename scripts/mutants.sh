#!/usr/bin/env bash
# Mutation testing with cargo-mutants: does each crate's test suite notice
# when its code is wrong? A separate command, not part of .ci/run (a whole
# run takes hours on 2 cores). Results go in docs/testing.md.
#
#   scripts/mutants.sh [CRATE] [FILE...]
#
#   CRATE   ws-frame (default), ws-handshake or ws-tokio
#   FILE    only these source files (e.g. crates/frame/src/close.rs);
#           default: every file of the crate
#
# Each mutant is tested with the tests of the crate itself and of the
# conformance crate (tests/), which is where most protocol rules are checked.
# Output: target/mutants/CRATE/mutants.out (caught.txt, missed.txt, timeout.txt,
# unviable.txt); the last line printed is the summary to record.
set -euo pipefail
cd "$(dirname "$0")/.."
crate=${1:-ws-frame}
shift || true
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked --version 27.1.0
files=()
for f in "$@"; do files+=(-f "$f"); done
out=target/mutants/$crate
mkdir -p "$out"
cargo mutants -p "$crate" "${files[@]}" --test-package "$crate" --test-package ws-conformance \
  -o "$out" --timeout-multiplier 3 || true   # exits non-zero when a mutant survives
echo "missed mutants (each needs a test, or a line in docs/testing.md saying why it is equivalent):"
cat "$out/mutants.out/missed.txt" 2>/dev/null || true
