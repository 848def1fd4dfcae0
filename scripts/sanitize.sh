#!/usr/bin/env bash
# The host's and the engine's embedding tests under AddressSanitizer, UndefinedBehaviorSanitizer
# and LeakSanitizer (a Debug build in build/asan): memory errors, undefined behaviour and leaks
# in the code that runs untrusted guests. Run by scripts/test.sh; `make sanitize` runs it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/asan
targets=(lokust_engine_core_tests lokust_component_instance_tests lokust_component_resource_tests
         lokust_wasi_core_tests lokust_wasi_linker_tests host_agents_tests host_store_tests host_session_vm_tests host_session_vm_limits_tests
         host_session_vm_hostile_tests host_service_tests host_service_spec_tests
         session_host_cli_tests embed_host_example)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOKUST_CUDA=OFF \
    -DLOKUST_BUILD_BENCH=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
    >/dev/null
fi
echo "sanitize: building ${#targets[@]} targets in $build"
cmake --build "$build" --target "${targets[@]}" >"$build.log" 2>&1 || { tail -40 "$build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for t in "${targets[@]}"; do
  log="$build/$t.log"
  if [ "$t" = embed_host_example ]; then
    rm -rf "$build/embed-run"
    "$build/bin/$t" "$build/embed-run/a" "$build/embed-run/b" >"$log" 2>&1 && ok=1 || ok=0
  else
    "$build/bin/$t" >"$log" 2>&1 && ok=1 || ok=0
  fi
  if ((ok)); then
    echo "sanitize: $t: ok"
  else
    echo "sanitize: $t: FAILED"
    grep -E "ERROR: |runtime error|FAILED|SUMMARY" "$log" | head -20
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "sanitize: failed: ${failed[*]} (logs in $build/)"
  exit 1
fi
echo "sanitize: all ${#targets[@]} clean"
