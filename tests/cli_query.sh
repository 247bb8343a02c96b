#!/usr/bin/env bash
# wb query is read-only (issue 4, acceptance 7): DELETE, DROP, UPDATE, INSERT, ATTACH and PRAGMA
# writes exit with status 2 and the database is unchanged; reads work, as a table and as CSV.
# It is bounded (issue 15, item 6): an endless query stops at --timeout or at SIGINT, rows stream
# in constant memory with --csv and --json, the aligned table stops at 10000 rows, and functions
# with side effects (fts3_tokenizer, load_extension), settings (PRAGMA trusted_schema = 1) and
# unsafe functions in a database's own views are refused. Printing is bounded too (issue 24): the
# aligned table cuts long values, --timeout and SIGINT stop the printing, and temporary storage is
# memory under the limit.
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

# --- bounds (issue 15, item 6) -------------------------------------------------------------------
endless="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
timeout 60 "$WB" query --db "$db" --timeout 1 "$endless SELECT count(*) FROM c" > "$T/out.txt" 2> "$T/err.txt"
eq "an endless CTE stops at --timeout 1: exit status 1" "$?" 1
eq "  with one line saying so" "$(cat "$T/err.txt")" \
   "wb query: stopped after 1 s (--timeout; give a longer one, or 0 for none)"
# SIGINT: the query stops at the signal (exit 130), not at a timeout.
# watchdog PID: kills the process after 60 s, should it ignore what the test sends it
watchdog() { ( sleep 60; kill -KILL "$1" 2> /dev/null ) > /dev/null 2>&1 & }
"$WB" query --db "$db" --timeout 0 "$endless SELECT count(*) FROM c" > /dev/null 2> "$T/err.txt" &
pid=$!
watchdog "$pid"
sleep 1
kill -INT "$pid"
wait "$pid"
eq "SIGINT stops an endless query: exit status 130" "$?" 130
eq "  with one line saying so" "$(cat "$T/err.txt")" "wb query: stopped by SIGINT"
# Streaming a 10M-row CTE as CSV: memory stays flat (it grew by 110 MB/s when rows were
# gathered first). VmHWM is the peak resident size so far.
rows="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10000000)"
ASAN_OPTIONS=quarantine_size_mb=0 "$WB" query --db "$db" --csv --timeout 3 \
  "$rows SELECT x, x * 0.5 AS half, printf('row %d', x) AS label FROM c" > "$T/rows.csv" 2> /dev/null &
pid=$!
watchdog "$pid"
sleep 1
early=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
sleep 1.5
late=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
wait "$pid"
eq "  the streamed query stops at its --timeout: exit status 1" "$?" 1
streamed=$(wc -l < "$T/rows.csv")
check "  rows streamed out as they came ($streamed in 3 s)" test "$streamed" -gt 1000
check "  peak memory grew by less than 16 MB from 1 s to 2.5 s (${early:-?} -> ${late:-?} KB)" \
  test -n "$early" -a -n "$late" -a $(( ${late:-0} - ${early:-0} )) -lt 16384
echo "# report: wb query --csv streaming 10M rows: peak RSS ${early:-?} KB at 1 s, ${late:-?} KB at 2.5 s, $streamed rows in 3 s"
eq "  CSV rows are whole lines" "$(head -n 3 "$T/rows.csv" | tr -d '\r')" "x,half,label
1,0.5,row 1
2,1,row 2"
# The aligned table stops at 10000 rows and says how to get all of them.
"$WB" query --db "$db" "$rows SELECT x FROM c" > "$T/out.txt" 2> "$T/err.txt"
eq "an aligned table of more than 10000 rows: exit status 1" "$?" 1
eq "  prints 10000 rows and the header" "$(wc -l < "$T/out.txt")" 10002
check "  says to use --csv or --json" grep -q "more than 10000 rows.*--csv or --json" "$T/err.txt"
# Printing is bounded too (issue 24, finding 4): 20 values of 60 MB in the aligned table took
# 64 s and 1.36 GB, past --timeout (the table was printed after the query's clock stopped) and
# past SIGINT (exit 0 six seconds later); a sort spilled to temporary files and filled a tmpfs.
big="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20)
     SELECT x, printf('%.*c', 60000000, 'x') AS v FROM c"
# (Under AddressSanitizer its quarantine keeps freed blocks: 424 MB here with the default 256 MB
# quarantine. The bound is on wb's memory, so the quarantine is off for this measurement.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
  /usr/bin/time -f %M -o "$T/rss" timeout 120 "$WB" query --db "$db" --timeout 0 "$big" \
  > "$T/big.txt" 2> "$T/big.err"
eq "20 values of 60 MB in the aligned table: exit status 0" "$?" 0
eq "  20 rows and the header" "$(wc -l < "$T/big.txt")" 22
check "  each value shown cut: no line longer than 1100 bytes" \
  awk 'length($0) > 1100 { exit 1 }' "$T/big.txt"
check "  ending in …" grep -q "^ *1  x*…$" "$T/big.txt"
check "  with a note saying so" \
  grep -q "^wb query: 20 values longer than 1000 bytes are shown cut (…): --csv or --json print them whole$" "$T/big.err"
rss=$(cat "$T/rss")
check "  peak memory under 400 MB ($((rss / 1024)) MB; 1.36 GB before)" test "$rss" -lt 409600
echo "# report: wb query aligned table of 20 values of 60 MB: peak RSS $((rss / 1024)) MB"
timeout 120 "$WB" query --db "$db" --timeout 1 "$big" > /dev/null 2> "$T/err.txt"
eq "  with --timeout 1: exit status 1" "$?" 1
eq "  with one line saying so" "$(grep -v 'shown cut' "$T/err.txt")" \
   "wb query: stopped after 1 s (--timeout; give a longer one, or 0 for none)"
# --csv into a reader that waits 3 s: the output stops at the next row after --timeout (the
# progress handler alone never came: 20 rows are a few hundred steps).
set -o pipefail
timeout 120 "$WB" query --db "$db" --csv --timeout 1 "$big" 2> "$T/err.txt" | { sleep 3; cat > /dev/null; }
eq "--csv into a slow reader with --timeout 1: exit status 1" "$?" 1
set +o pipefail
"$WB" query --db "$db" --timeout 0 "$big" > /dev/null 2> "$T/err.txt" &
pid=$!
watchdog "$pid"
sleep 1
kill -INT "$pid"
wait "$pid"
eq "SIGINT while the table is made: exit status 130" "$?" 130
eq "  with one line saying so" "$(grep -v 'shown cut' "$T/err.txt")" "wb query: stopped by SIGINT"
# Temporary storage is memory, under the 512 MB limit: a sort of 600 MB fails with a clear error
# instead of filling a disk.
eq "temporary storage in memory (PRAGMA temp_store = 2)" \
  "$("$WB" query --db "$db" --csv "PRAGMA temp_store" | tail -n1 | tr -d '\r')" 2
sort="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 600)
      SELECT printf('%.*c', 1000000, 'x') AS v FROM c ORDER BY random()"
mkdir -p "$T/tmp"
TMPDIR=$T/tmp SQLITE_TMPDIR=$T/tmp timeout 120 "$WB" query --db "$db" --csv "$sort" \
  > /dev/null 2> "$T/err.txt"
eq "a sort of 600 MB: exit status 1" "$?" 1
check "  out of memory, temporary storage included" \
  grep -q "out of memory: the query needs more than 512 MB (its sorts and temporary tables included" "$T/err.txt"
# JSON: an array of objects; several statements, an array of arrays.
eq "--json" "$("$WB" query --db "$db" --json "SELECT count(*) AS n, 'a\"b' AS t FROM runs")" '[
  {"n": 6, "t": "a\"b"}
]'
eq "--json, two statements" "$("$WB" query --db "$db" --json "SELECT 1 AS a; SELECT 2 AS b WHERE 0")" '[[
  {"a": 1}
],
[]]'
# Functions with side effects, settings and unsafe views are refused before anything runs.
for sql in "SELECT fts3_tokenizer('simple')" "SELECT load_extension('/tmp/x.so')" \
           "PRAGMA trusted_schema = 1" "PRAGMA cache_size = -1000000" \
           "SELECT 1; SELECT fts3_tokenizer('simple', x'00')"; do
  "$WB" query --db "$db" "$sql" > "$T/out.txt" 2> "$T/err.txt"
  eq "refused: $sql" "$?" 2
  check "  says why" grep -q "is refused" "$T/err.txt"
  eq "  and prints nothing" "$(wc -c < "$T/out.txt")" 0
done
cp "$db" "$T/evil.db"
sqlite3 "$T/evil.db" "CREATE VIEW evil AS SELECT fts3_tokenizer('simple') AS pointer"
"$WB" query --db "$T/evil.db" "SELECT * FROM evil" > "$T/out.txt" 2> "$T/err.txt"
eq "a database's own view may not call fts3_tokenizer (no trusted schema): exit status 2" "$?" 2
check "  says so" grep -q "unsafe use of fts3_tokenizer" "$T/err.txt"
finish
