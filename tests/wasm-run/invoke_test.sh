#!/usr/bin/env bash
# wasm-run --invoke on a component (invoke.wat): stdout, stderr and exit status of each case.
# Usage: invoke_test.sh WASM_RUN COMPONENT IMPORTING_COMPONENT
set -u
run=$1
comp=$2
importing=$3
failures=0

# expect RC STDOUT STDERR_SUBSTRING -- ARGS...: runs wasm-run ARGS and checks all three.
expect() {
  local want_rc=$1 want_out=$2 want_err=$3
  shift 4
  local out err rc
  err=$(mktemp)
  out=$("$run" "$@" 2>"$err")
  rc=$?
  local err_text
  err_text=$(cat "$err")
  rm -f "$err"
  if [[ $rc != "$want_rc" || "$out" != "$want_out" || "$err_text" != *"$want_err"* ]]; then
    echo "FAIL: wasm-run $*"
    echo "  exit $rc (want $want_rc)"
    echo "  stdout: $out"
    echo "  (want:  $want_out)"
    echo "  stderr: $err_text"
    echo "  (want it to contain: $want_err)"
    failures=$((failures + 1))
  fi
}

expect 0 "42" "" -- --invoke add --arg 40 --arg 2 "$comp"
expect 0 "4294967295" "" -- --invoke add --arg 4294967290 --arg 5 "$comp"
expect 0 "3" "" -- --invoke add "$comp" 1 2
expect 0 "\"h\\\"i\\n\"" "" -- --invoke 'lokust:wasm-run-test/ops#echo' --arg '"h\"i\n"' "$comp"
expect 0 $'"z\u00fcrich"' "" -- --invoke 'lokust:wasm-run-test/ops#echo' --arg '"z\u{fc}rich"' "$comp"
expect 0 "10" "" -- --invoke 'lokust:wasm-run-test/ops#sum' --arg '[1, 2, -3, 10]' "$comp"
expect 0 "0" "" -- --invoke 'lokust:wasm-run-test/ops#sum' --arg '[]' "$comp"
expect 1 "" "trap: " -- --invoke fail "$comp"
expect 2 "" "argument 0 (a): at 0: expected u32, found \`x\`" -- --invoke add --arg x --arg 1 "$comp"
expect 2 "" "argument 1 (b): at 0: expected u32, found \`4294967296\`" -- \
  --invoke add --arg 1 --arg 4294967296 "$comp"
expect 2 "" "argument 0 (xs): at 6: expected \`,\` or \`]\` in list<s32>" -- \
  --invoke 'lokust:wasm-run-test/ops#sum' --arg '[1, 2 3]' "$comp"
expect 2 "" "expects 2 arguments" -- --invoke add --arg 1 "$comp"
expect 2 "" "nope" -- --invoke nope "$comp"
expect 2 "" "nope" -- --invoke 'lokust:wasm-run-test/ops#nope' "$comp"
expect 2 "" "imports instance \`lokust:wasm-run-test/missing\`, but the linker does not define it" \
  -- --invoke g "$importing"

help=$("$run" --help)
if [[ $? != 0 || "$help" != *"--arg"* || "$help" != *"session-ops#create-session"* ]]; then
  echo "FAIL: --help does not document --invoke on a component with an example"
  failures=$((failures + 1))
fi

if ((failures)); then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
