#!/usr/bin/env bash
# Runs every unit test binary ($BUILD/tests/test_*) and every CLI test (tests/cli_*.sh), or only
# those named on the command line, and fails if any of them fails. Each test's output is kept in
# $BUILD/test-logs/ and shown when the test fails.
set -u
BUILD=${BUILD:-build}
export WB=${WB:-$BUILD/wb}
WB=$(cd "$(dirname "$WB")" && pwd)/$(basename "$WB")
export WB_TEST_ROOT=$(pwd)
logs=$BUILD/test-logs
mkdir -p "$logs"

tests=()
if [ $# -gt 0 ]; then
  for t in "$@"; do
    case "$t" in
      *.sh) tests+=("$t") ;;
      *) tests+=("$BUILD/tests/$(basename "$t" .c)") ;;
    esac
  done
else
  for t in "$BUILD"/tests/test_*; do case "$t" in *.d|*.o) ;; *) [ -x "$t" ] && tests+=("$t") ;; esac; done
  # cli_lib.sh is the shared library of the CLI tests, not a test.
  for t in tests/cli_*.sh; do [ -f "$t" ] && [ "$t" != tests/cli_lib.sh ] && tests+=("$t"); done
fi

failed=()
start=$SECONDS
for t in "${tests[@]}"; do
  name=$(basename "$t")
  t0=$EPOCHREALTIME
  if [[ "$t" == *.sh ]]; then bash "$t" >"$logs/$name.log" 2>&1; else "$t" >"$logs/$name.log" 2>&1; fi
  rc=$?
  dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  if [ $rc -eq 0 ]; then
    printf 'PASS %-34s %6ss\n' "$name" "$dt"
    grep -h '^# report:' "$logs/$name.log" | sed 's/^/     /'
  else
    printf 'FAIL %-34s %6ss (exit %d)\n' "$name" "$dt" "$rc"
    tail -n 60 "$logs/$name.log" | sed 's/^/     | /'
    # kept past the next run, which overwrites $name.log: a rare failure stays diagnosable
    cp "$logs/$name.log" "$logs/failed-$(date -u +%Y%m%dT%H%M%SZ)-$name.log"
    failed+=("$name")
  fi
done
echo "${#tests[@]} tests, ${#failed[@]} failed, $((SECONDS - start)) s"
[ ${#failed[@]} -eq 0 ]
