#!/usr/bin/env bash
# Tests own their files (issue 22): README's order, `make sweep` then `make test`, must pass, so no
# test may read what a user's run left in the repository (results/, a database, WB_DB). tests/run.sh
# runs each test in a folder of its own; this test checks that it does, from inside one.
. tests/cli_lib.sh

root=$(cd "${WB_TEST_ROOT:?tests/run.sh sets WB_TEST_ROOT}" && pwd -P)
here=$(pwd -P)
check "the test runs outside the repository's folder" test "$here" != "$root"
check "its folder holds no results/" test ! -e results
check "WB_DB is not set" test -z "${WB_DB+set}"
for entry in "$here"/*.db "$here"/*.db.runs bin build; do
  check "no ${entry##*/} in the test's folder" test ! -e "$entry"
done
check "the repository's files are there (tests/cli_lib.sh)" test -f tests/cli_lib.sh
check "the repository's files are there (experiments/smoke.ini)" test -f experiments/smoke.ini
# What a user's `make sweep` leaves is out of sight: wb's default database does not exist here.
"$WB" ls > /dev/null 2> "$T/ls.err"; eq "wb ls finds no default database here" "$?" 2
check "  and says it is missing" grep -q "results/wb.db" "$T/ls.err"
finish
