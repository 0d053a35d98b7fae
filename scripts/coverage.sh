#!/usr/bin/env bash
# Line and branch coverage of ws-handshake and ws-frame by their tests and by
# the conformance crate (tests/), with cargo-llvm-cov. A separate command, not
# part of .ci/run. Results go in docs/testing.md.
#
#   scripts/coverage.sh            summary table per file
#   scripts/coverage.sh --html     also target/llvm-cov/html/index.html
#   scripts/coverage.sh --text     also every uncovered line, in target/llvm-cov/uncovered.txt
#
# Why cargo-llvm-cov: it is rustc's own instrumentation (-C instrument-coverage),
# so regions and branches are the compiler's, not guessed from debug info.
# Branch coverage is still unstable in rustc (-Z coverage-options=branch), so
# the instrumented build uses the nightly toolchain (also LLVM 22); the tools
# that read the profiles are LLVM 22's, from scripts/llvm-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-llvm-cov >/dev/null || cargo install cargo-llvm-cov --locked --version 0.9.1
bin=$(scripts/llvm-tools.sh)
export LLVM_COV=$bin/llvm-cov LLVM_PROFDATA=$bin/llvm-profdata
# Only the two sans-IO crates' own sources are counted: tests, benches and
# examples are the measuring stick, not what is measured.
ignore='(tests/|benches/|examples/|crates/(tokio|server|client|bench|check|axum|examples)/)'
cargo +nightly llvm-cov clean --workspace
cargo +nightly llvm-cov --no-report --branch -p ws-frame -p ws-handshake -p ws-conformance
cargo +nightly llvm-cov report --branch --ignore-filename-regex "$ignore" --summary-only
for arg in "$@"; do
  case $arg in
    --html) cargo +nightly llvm-cov report --branch --ignore-filename-regex "$ignore" --html ;;
    --text)
      mkdir -p target/llvm-cov
      # --text annotates every source line; keep only the file names, the
      # lines never run and the branches with a side never taken.
      cargo +nightly llvm-cov report --branch --ignore-filename-regex "$ignore" --text |
        awk '/^\/.*:$/ { file = $0; next }
             /^ *[0-9]+\| *0\|/ || (/Branch \(/ && /: 0\]/) {
               if (file != shown) { print file; shown = file }
               print }' >target/llvm-cov/uncovered.txt
      echo "uncovered lines: target/llvm-cov/uncovered.txt" ;;
    *) echo "coverage.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
