#!/usr/bin/env bash
# Runs every test suite of the project after `make build`; exits non-zero if any fails.
# Each suite prints its own closing line; the last line here sums up.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
run() {  # run NAME CMD...: run one suite, remember it if it fails
  local name=$1; shift
  echo "==> $name"
  if "$@"; then echo "<== $name: ok"; else echo "<== $name: FAILED"; failed+=("$name"); fi
}

run "unit tests (ctest)" ctest --test-dir build --output-on-failure --timeout 600 -j2
run "sanitizers: ASan, UBSan and LSan on the engine's embedding and the host (build/asan)" \
  scripts/sanitize.sh
run "session VM component on Node.js (jco)" node --test tests/guest-node/
run "core engine: official spec tests" build/bin/spec-runner
run "component model: reference tests" sh -c 'node tools/component-tests/convert.mjs --out build/component-tests >/dev/null && build/bin/component-spec-runner build/component-tests'
run "core engine: fuzz decode+validate+instantiate (${FUZZ_SECONDS:-30}s)" \
  engine/core/fuzz/run.sh "${FUZZ_SECONDS:-30}"

if ((${#failed[@]})); then
  echo "test.sh: failed suites: ${failed[*]}"
  exit 1
fi
echo "test.sh: all suites passed"
