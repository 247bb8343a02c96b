#!/usr/bin/env bash
# Readers never write (issue 15, item 5). ls, show, compare, report, query and predict open the
# database read-only: on a database in rollback-journal mode (as the sqlite3 shell or another tool
# may leave it) not a byte of the file changes and no -wal, -shm or -journal file appears (they
# used to switch it to WAL); a stale `running` run reads as interrupted while the file keeps it
# running until a command that writes records it (they used to mark it); a database of an older
# schema (version 0: an empty file) is refused with the command that migrates it, untouched (ls
# used to migrate it).
source tests/cli_lib.sh

micro_ini "$T/m.ini" "epochs=1"
"$WB" sweep "$T/m.ini" --db "$T/m.db" --quiet > /dev/null || fail "the micro sweep"
"$WB" data export "$T/m.ini" --out "$T/mx" > /dev/null || fail "the data export"

# Every read command once on database $1: their exit statuses; their outputs in $T/*.out.
readers() {
  local db=$1 rcs=()
  "$WB" ls --db "$db" > "$T/ls.out" 2>&1; rcs+=($?)
  "$WB" show 1 --db "$db" > "$T/show.out" 2>&1; rcs+=($?)
  "$WB" compare --db "$db" > "$T/compare.out" 2>&1; rcs+=($?)
  "$WB" report --db "$db" --out "$T/report" > "$T/report.out" 2>&1; rcs+=($?)
  "$WB" query "SELECT count(*) FROM runs" --db "$db" > "$T/query.out" 2>&1; rcs+=($?)
  "$WB" predict 1 --db "$db" --input "$T/mx/test_x.npy" --out "$T/y.npy" > "$T/predict.out" 2>&1
  rcs+=($?)
  echo "${rcs[*]}"
}
# A copy of the micro database and its run folders: copy NAME.
copy() { cp "$T/m.db" "$T/$1.db" && cp -r "$T/m.db.runs" "$T/$1.db.runs"; }
# The files next to database $1 whose names extend its own (-wal, -shm, -journal).
companions() { (cd "$(dirname "$1")" && ls | grep -F "$(basename "$1")-" | tr '\n' ' '); }

# --- a rollback-journal database: nothing written ---------------------------------------------
copy j
eq "journal mode set to delete" "$(sq "$T/j.db" "PRAGMA journal_mode = DELETE")" delete
before=$(sha256sum < "$T/j.db")
eq "rollback journal: every reader exits 0" "$(readers "$T/j.db")" "0 0 0 0 0 0"
eq "  not a byte of the database changed" "$(sha256sum < "$T/j.db")" "$before"
eq "  no -wal, -shm or -journal file appeared" "$(companions "$T/j.db")" ""
eq "  it is still in rollback-journal mode" "$(sq "$T/j.db" "PRAGMA journal_mode")" delete

# --- a WAL database (as wb writes them): the file unchanged -----------------------------------
copy w
before=$(sha256sum < "$T/w.db")
eq "WAL: every reader exits 0" "$(readers "$T/w.db")" "0 0 0 0 0 0"
eq "  not a byte of the database changed" "$(sha256sum < "$T/w.db")" "$before"

# --- stale runs: shown interrupted, left running ----------------------------------------------
copy s
(exit 0) & dead=$!
wait "$dead"
sq "$T/s.db" "UPDATE runs SET status = 'running', pid = $dead, host = '$(hostname)',
                heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1;
              UPDATE runs SET status = 'running', pid = 1, host = 'elsewhere.example',
                heartbeat_at = '2020-01-01T00:00:00Z' WHERE id = 2"
before=$(sha256sum < "$T/s.db")
eq "stale runs: every reader exits 0" "$(readers "$T/s.db")" "0 0 0 0 0 0"
# (each error under the table, as a paragraph wrapped to 100 columns: read back joined)
check "  ls shows the dead process's run interrupted, and why" \
  bash -c 'grep -Eq "^ *1 .* interrupted " "$1" && tr "\n" " " < "$1" | tr -s " " |
           grep -Eq "run 1: interrupted: its process $2 on .* is gone"' _ "$T/ls.out" "$dead"
check "  ls shows the silent host's run interrupted, and why" \
  bash -c 'grep -Eq "^ *2 .* interrupted " "$1" && tr "\n" " " < "$1" | tr -s " " |
           grep -Eq "run 2: interrupted: no heartbeat for [0-9]+ s"' _ "$T/ls.out"
check "  show says interrupted" grep -Eq "^  status +interrupted$" "$T/show.out"
check "  compare names it among the runs not counted" grep -q "seed 1 interrupted" "$T/compare.out"
check "  the report lists it" grep -q "| interrupted |" "$T/report/report.md"
eq "  the database still says running" \
  "$(sq "$T/s.db" "SELECT status FROM runs WHERE id IN (1, 2) ORDER BY id" | tr '\n' ' ')" \
  "running running "
eq "  not a byte of it changed" "$(sha256sum < "$T/s.db")" "$before"
"$WB" sweep "$T/m.ini" --db "$T/s.db" --quiet > /dev/null; rc=$?
eq "a sweep (a writer) records them and resumes them" "$rc" 0
eq "  all finished" "$(sq "$T/s.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6

# --- an older schema: refused, untouched, migrated by a writer --------------------------------
: > "$T/old.db"
eq "schema version 0 (an empty file): every reader exits 2" "$(readers "$T/old.db")" \
  "2 2 2 2 2 2"
echo "  message: $(cat "$T/ls.out")"
for r in ls show compare report query predict; do
  check "  $r names the commands that migrate it" grep -q "wb sweep FILE.ini --db .*wb merge" \
    "$T/$r.out"
done
eq "  the file stays empty" "$(stat -c %s "$T/old.db")" 0
eq "  no -wal, -shm or -journal file appeared" "$(companions "$T/old.db")" ""
"$WB" merge "$T/old.db" "$T/m.db" > /dev/null; rc=$?
eq "wb merge (a writer) migrates it" "$rc" 0
eq "  and then it reads" "$("$WB" ls --db "$T/old.db" | grep -c finished)" 6
finish
