#!/usr/bin/env bash
# Failed and diverged runs are not retried unless --retry-failed (docs/DESIGN.md); a sweep with a
# failed run exits 1, and --retry-failed trains it again to the numbers it would have had.
. tests/cli_lib.sh

db=$T/r.db
"$WB" sweep experiments/micro.ini --db "$db" --quiet > /dev/null || fail "first sweep"
ref=$(metrics_dump "$db")
sq "$db" "UPDATE runs SET status = 'failed', error = 'disk on fire (test)' WHERE id = 2;
          UPDATE runs SET status = 'diverged', error = 'loss became NaN (test)' WHERE id = 5"
"$WB" sweep experiments/micro.ini --db "$db" --quiet > "$T/again.txt"; rc=$?
eq "a failed run makes the sweep exit 1" "$rc" 1
eq "  and is not retried" "$(sq "$db" "SELECT status FROM runs WHERE id = 2")" failed
eq "  nor is the diverged one" "$(sq "$db" "SELECT status FROM runs WHERE id = 5")" diverged
check "  the summary says so" grep -q "1 failed" "$T/again.txt"
"$WB" sweep experiments/micro.ini --db "$db" --quiet --retry-failed > /dev/null; rc=$?
eq "--retry-failed: exit 0" "$rc" 0
eq "  every run finished" "$(sq "$db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
eq "  the error texts are gone" "$(sq "$db" "SELECT count(*) FROM runs WHERE error IS NOT NULL")" 0
eq "  to the same numbers, bitwise" "$(metrics_dump "$db")" "$ref"
finish
