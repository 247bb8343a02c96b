#!/usr/bin/env bash
# wb query is read-only (issue 4, acceptance 7): DELETE, DROP, UPDATE, INSERT, ATTACH and PRAGMA
# writes exit with status 2 and the database is unchanged; reads work, as a table and as CSV.
. tests/cli_lib.sh

db=$T/q.db
"$WB" sweep experiments/micro.ini --db "$db" --quiet > /dev/null || fail "sweep"
before=$(sqlite3 "$db" .dump | sha256sum)
version=$(sq "$db" "PRAGMA user_version")
for sql in "DELETE FROM runs" "DROP TABLE metrics" "UPDATE runs SET status = 'failed'" \
           "INSERT INTO sweeps (name) VALUES ('x')" "ATTACH DATABASE '$T/evil.db' AS evil" \
           "PRAGMA user_version = 99" "PRAGMA journal_mode = DELETE" \
           "SELECT 1; DELETE FROM metrics" "CREATE TABLE t (x)" "VACUUM"; do
  "$WB" query --db "$db" "$sql" > /dev/null 2> "$T/err.txt"
  eq "refused: $sql" "$?" 2
done
eq "the database is unchanged" "$(sqlite3 "$db" .dump | sha256sum)" "$before"
check "ATTACH created no file" test ! -e "$T/evil.db"
eq "user_version unchanged" "$(sq "$db" "PRAGMA user_version")" "$version"
eq "a read works" "$("$WB" query --db "$db" --csv "SELECT count(*) AS n FROM runs" | tail -1 | tr -d '\r')" 6
eq "PRAGMA reads work" "$("$WB" query --db "$db" --csv "PRAGMA table_info(runs)" | grep -c laplacian_weight)" 1
"$WB" query --db "$db" "SELEC nonsense" > /dev/null 2>&1; eq "a syntax error is exit status 2" "$?" 2
"$WB" query --db "$T/none.db" "SELECT 1" > /dev/null 2>&1; eq "a missing database is exit status 2" "$?" 2
check "and is not created" test ! -e "$T/none.db"
hostile="x'; DROP TABLE runs; --"
eq "hostile text is just a value" "$("$WB" query --db "$db" --csv "SELECT '$(printf '%s' "$hostile" | sed "s/'/''/g")' AS v" | tail -1 | tr -d '\r')" "$hostile"
eq "runs survive" "$(sq "$db" "SELECT count(*) FROM runs")" 6
finish
