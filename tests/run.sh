#!/usr/bin/env bash
# Runs every unit test binary ($BUILD/tests/test_*) and every CLI test (tests/cli_*.sh), or only
# those named on the command line, and fails if any of them fails. Each test's output is kept in
# $BUILD/test-logs/ and shown when the test fails.
#
# Tests own their files (issue 22): each runs in a folder of its own, made for it and removed
# after it, that holds the repository's files (symbolic links to its top-level entries) but not
# what a user's commands leave there: no results/ (where `make sweep` puts its databases), no
# bin/ or build folders; and WB_DB is not set. So `make sweep` then `make test`, README's order,
# cannot make a test read a user's database. WB_TEST_ROOT names the repository itself.
set -u
BUILD=${BUILD:-build}
export WB=${WB:-$BUILD/wb}
WB=$(cd "$(dirname "$WB")" && pwd)/$(basename "$WB")
export WB_TEST_ROOT=$(pwd)
unset WB_DB
logs=$(pwd)/$BUILD/test-logs
mkdir -p "$logs"

# A fresh working folder for one test: the repository's entries but those a user's run writes.
test_folder() {
  local dir entry name
  dir=$(mktemp -d "${TMPDIR:-/tmp}/wb-test-XXXXXX") || return 1
  for entry in "$WB_TEST_ROOT"/* "$WB_TEST_ROOT"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=$(basename "$entry")
    case "$name" in results|bin|build|build-*|.git|*.db|*.db-wal|*.db-shm|*.db.runs) continue ;; esac
    ln -s "$entry" "$dir/$name"
  done
  printf '%s\n' "$dir"
}

tests=()
if [ $# -gt 0 ]; then
  for t in "$@"; do
    case "$t" in
      *.sh) tests+=("$WB_TEST_ROOT/$t") ;;
      *) tests+=("$WB_TEST_ROOT/$BUILD/tests/$(basename "$t" .c)") ;;
    esac
  done
else
  for t in "$BUILD"/tests/test_*; do case "$t" in *.d|*.o) ;; *) [ -x "$t" ] && tests+=("$WB_TEST_ROOT/$t") ;; esac; done
  # cli_lib.sh is the shared library of the CLI tests, not a test.
  for t in tests/cli_*.sh; do [ -f "$t" ] && [ "$t" != tests/cli_lib.sh ] && tests+=("$WB_TEST_ROOT/$t"); done
fi

failed=()
start=$SECONDS
for t in "${tests[@]}"; do
  name=$(basename "$t")
  t0=$EPOCHREALTIME
  if ! work=$(test_folder); then echo "cannot make a folder for $name" >&2; exit 1; fi
  if [[ "$t" == *.sh ]]; then (cd "$work" && bash "$t") >"$logs/$name.log" 2>&1
  else (cd "$work" && "$t") >"$logs/$name.log" 2>&1; fi
  rc=$?
  rm -rf "$work"
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
