#!/usr/bin/env bash
# Fuzz decode + validate + instantiate (+ calls) of the core engine.
#   engine/core/fuzz/run.sh SECONDS
# Builds with clang-22 (-fsanitize=fuzzer,address,undefined) in build/fuzz and runs with the
# spec tests' .wasm files (converted by wast2json) as the seed corpus. Exits non-zero on a
# crash, leak or timeout; reproducers land in build/fuzz/artifacts/.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$root/build/fuzz
spec=$root/../shared/spec-testsuite
mkdir -p "$build"
CC=clang-22 CXX=clang++-22 cmake -S "$root/engine/core/fuzz" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target fuzz_instantiate >/dev/null

seeds=$build/seeds
corpus=$build/corpus
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds.tmp"
  for f in "$spec"/*.wast; do
    wast2json "$f" -o "$seeds.tmp/$(basename "$f" .wast).json" >/dev/null 2>&1 || true
  done
  rm -f "$seeds.tmp"/*.json "$seeds.tmp"/*.wat
  mv "$seeds.tmp" "$seeds"
fi
mkdir -p "$corpus" "$build/artifacts"
echo "fuzzing for ${seconds}s with $(ls "$seeds" | wc -l) seeds"
"$build/fuzz_instantiate" "$corpus" "$seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 2>&1 | tail -25
