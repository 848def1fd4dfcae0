#!/usr/bin/env bash
# Benchmarks (make bench): medians and ratios against peers run in the same command.
# The machine is shared and noisy: read ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
status=0
echo "==> core engine vs wasm-interp vs V8 (bench/core)"
node bench/core/run.mjs --runs "${BENCH_RUNS:-5}" --json build/bench/core-results.json || status=$?
echo "==> session host: whole sessions through host/service (bench/host)"
build/bin/host_bench --json build/bench/host-results.json || status=$?
exit $status
