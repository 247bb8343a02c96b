#!/usr/bin/env bash
# A damaged database gives no partial answers (issue 15, item 4): with bytes overwritten on a page
# of metrics or runs, or a b-tree page's cell count zeroed (the page then reads as empty, so
# SQLite itself reports nothing), ls, show, compare and report print nothing on stdout and end
# with exit status 1 and one line naming the database as damaged. Pages are found with the dbstat
# virtual table (the sqlite3 shell's), else from sqlite_schema.rootpage.
. tests/cli_lib.sh

good=$T/good.db
"$WB" sweep experiments/micro.ini --db "$good" --quiet > /dev/null || fail "sweep"
page_size=$(sq "$good" "PRAGMA page_size")
# The first leaf page of a table (its root when dbstat is missing).
page_of() {
  local p
  p=$(sq "$good" "SELECT pageno FROM dbstat WHERE name = '$1' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1" 2> /dev/null)
  [ -n "$p" ] || p=$(sq "$good" "SELECT rootpage FROM sqlite_schema WHERE name = '$1'")
  echo "$p"
}
# 4096 bytes of fixed garbage: a permutation of 0..255, sixteen times.
garbage() {
  local fmt="" i
  for i in $(seq 0 255); do fmt+=$(printf '\\%03o' $(( (i * 167 + 13) % 256 ))); done
  for i in $(seq 1 $(( page_size / 256 ))); do printf "$fmt"; done
}
# overwrite NAME PAGE: a copy of the good database with that page overwritten
overwrite() {
  cp "$good" "$T/$1.db"
  garbage | dd of="$T/$1.db" bs="$page_size" seek=$(( $2 - 1 )) count=1 conv=notrunc status=none
}
# empty NAME PAGE: a copy with the page's cell count (bytes 3-4 of a b-tree page header) zeroed
empty() {
  cp "$good" "$T/$1.db"
  printf '\0\0' | dd of="$T/$1.db" bs=1 seek=$(( ($2 - 1) * page_size + 3 )) conv=notrunc status=none
}
overwrite metrics_page "$(page_of metrics)"
overwrite runs_page "$(page_of runs)"
empty sweeps_empty "$(page_of sweeps)"
empty runs_empty "$(page_of runs)"
empty metrics_empty "$(page_of metrics)"
empty params_empty "$(page_of params)"

# Every reader on the good copy answers.
for cmd in "ls" "show 1" "show 4" "compare"; do
  # shellcheck disable=SC2086
  "$WB" $cmd --db "$good" > /dev/null 2>&1; eq "$cmd on the whole database" "$?" 0
done
"$WB" report --db "$good" --out "$T/report-good" > /dev/null 2>&1; eq "report on the whole database" "$?" 0

for name in metrics_page runs_page sweeps_empty runs_empty metrics_empty params_empty; do
  db=$T/$name.db
  for cmd in "ls" "show 1" "show 4" "compare" "report"; do
    extra=()
    [ "$cmd" = report ] && extra=(--out "$T/report-$name")
    # shellcheck disable=SC2086
    "$WB" $cmd --db "$db" "${extra[@]}" > "$T/out.txt" 2> "$T/err.txt"
    rc=$?
    eq "$name: $cmd: exit status 1" "$rc" 1
    eq "$name: $cmd: nothing on stdout" "$(wc -c < "$T/out.txt")" 0
    eq "$name: $cmd: one line" "$(wc -l < "$T/err.txt")" 1
    check "$name: $cmd: names the database as damaged" grep -q "^wb ${cmd%% *}: $db is damaged" "$T/err.txt"
  done
done
check "no report folder was made from a damaged database" \
  test -z "$(find "$T" -maxdepth 1 -name 'report-*' ! -name report-good)"
cat "$T/err.txt"

# wb query and predict refuse it too (exit 1): the damage is said before any SQL runs.
"$WB" query --db "$T/runs_empty.db" "SELECT count(*) FROM runs" > "$T/out.txt" 2> "$T/err.txt"
eq "query on a damaged database: exit status 1" "$?" 1
check "  and says so" grep -q "is damaged" "$T/err.txt"
# A writer refuses it as well, before writing anything to it.
before=$(sha256sum < "$T/metrics_empty.db")
"$WB" sweep experiments/micro.ini --db "$T/metrics_empty.db" --quiet > /dev/null 2> "$T/err.txt"
eq "sweep on a damaged database: exit status 1" "$?" 1
check "  and says so" grep -q "is damaged" "$T/err.txt"
eq "  the file is unchanged" "$(sha256sum < "$T/metrics_empty.db")" "$before"
finish
