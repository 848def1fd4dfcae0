#!/usr/bin/env bash
# wasm-run's --fuel and --timeout-ms stop a command component that never ends, computing,
# sleeping or waiting for stdin: exit 1 and the trap on stderr, what it printed before kept.
# usage: budget_cli_test.sh WASM_RUN WASI_CLI_COMPONENT
set -u
wasm_run=$1 component=$2
fail=0
check() {  # check NAME EXPECTED_TRAP EXPECTED_STDOUT COMMAND ARGS... (wasm-run's options)
  local name=$1 trap=$2 expect=$3 cmd=$4; shift 4
  local out err code
  err=$(mktemp)
  # stdin: a pipe nobody writes to until the writer ends, long after the budget.
  out=$( (sleep 30 2>/dev/null &) | timeout 60 "$wasm_run" "$@" "$component" $cmd 2>"$err")
  code=$?
  if [[ $code != 1 || $out != "$expect" || $(cat "$err") != "trap: $trap" ]]; then
    echo "FAIL $name: exit $code, stdout '$out', stderr '$(cat "$err")'"
    fail=1
  else
    echo "ok   $name: exit 1, trap: $trap"
  fi
  rm -f "$err"
}
check fuel "fuel exhausted" spinning spin --fuel 5000000
check timeout "deadline exceeded" spinning spin --timeout-ms 50
# The timeout holds while the guest sleeps or waits for input in the host.
check "timeout, asleep" "deadline exceeded" sleeping "sleep 600000" --timeout-ms 50
check "timeout, reading stdin" "deadline exceeded" "" cat --timeout-ms 50
exit $fail
