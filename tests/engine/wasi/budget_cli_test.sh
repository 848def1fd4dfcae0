#!/usr/bin/env bash
# wasm-run's --fuel and --timeout-ms stop a command component that never ends: exit 1 and the
# trap on stderr, what it printed before kept.
# usage: budget_cli_test.sh WASM_RUN WASI_CLI_COMPONENT
set -u
wasm_run=$1 component=$2
fail=0
check() {  # check NAME EXPECTED_TRAP ARGS...
  local name=$1 trap=$2; shift 2
  local out err code
  err=$(mktemp)
  out=$(timeout 60 "$wasm_run" "$@" "$component" spin 2>"$err")
  code=$?
  if [[ $code != 1 || $out != spinning || $(cat "$err") != "trap: $trap" ]]; then
    echo "FAIL $name: exit $code, stdout '$out', stderr '$(cat "$err")'"
    fail=1
  else
    echo "ok   $name: exit 1, trap: $trap"
  fi
  rm -f "$err"
}
check fuel "fuel exhausted" --fuel 5000000
check timeout "deadline exceeded" --timeout-ms 50
exit $fail
