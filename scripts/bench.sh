#!/usr/bin/env bash
# Benchmarks (make bench): medians and ratios against peers run in the same command.
# The machine is shared and noisy: read ratios, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
status=0
echo "==> core engine vs wasm-interp vs V8 (bench/core)"
node bench/core/run.mjs --runs "${BENCH_RUNS:-5}" --json build/bench/core-results.json || status=$?
echo "==> component: instantiate the session VM component from a compiled Component (bench/engine/component; target: median < 100 us)"
build/bin/component_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
  --benchmark_out=build/bench/component-results.json --benchmark_out_format=json || status=$?
echo "==> session VM round trips: our engine vs jco/Node.js, same component (bench/component; target: >= 3x jco's throughput)"
node bench/component/run.mjs --rounds "${BENCH_RUNS:-5}" --instantiate build/bench/component-results.json \
  --json build/bench/session-vm-results.json || status=$?
echo "==> session host: whole sessions through host/service (bench/host)"
build/bin/host_bench --json build/bench/host-results.json || status=$?
exit $status
