#!/usr/bin/env bash
# No control sequence from a database or a file reaches a terminal (issue 24, finding 5): a run's
# error and host, a sweep's name, tags and notes set to "ESC ] 0;PWNED BEL ESC [2J" (and CR, a C1
# CSI, a byte that is not UTF-8) were printed raw by `wb show` and `wb compare`. Every command
# that prints such text is fed it here; none may print ESC, BEL, CR, the C1 CSI (as UTF-8 or as a
# raw byte): each shows them escaped (\x1b, \x07, \r, \u009b, \x9b). CSV for a program (a pipe)
# stays the data; on a terminal it is escaped too. JSON escapes by itself.
source tests/cli_lib.sh

H=$'\e]0;PWNED\a\e[2J\rX\xc2\x9b31m\x9b'
shown='\x1b]0;PWNED\x07\x1b[2J\rX\u009b31m\x9b'
micro_ini "$T/m.ini" "epochs=1"
"$WB" sweep "$T/m.ini" --db "$T/m.db" --quiet > /dev/null || fail "the micro sweep"
"$WB" data export "$T/m.ini" --out "$T/mx" > /dev/null || fail "the data export"
# What a merged shard or a hand-edited database can hold.
hx=$(printf '%s' "$H" | od -An -tx1 | tr -d ' \n')
sqlite3 "$T/m.db" "UPDATE runs SET error = CAST(x'$hx' AS TEXT), host = CAST(x'$hx' AS TEXT),
                     status = 'failed' WHERE id = 1;
                   UPDATE sweeps SET name = 'micro' || CAST(x'$hx' AS TEXT)"
hex=$(printf '%s' "$H" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
eq "the hostile text is in the database" "$(sq "$T/m.db" "SELECT hex(error) FROM runs WHERE id = 1")" "$hex"
name=$(sq "$T/m.db" "SELECT name FROM sweeps")

# run NAME COMMAND...: stdout and stderr of the command in $T/NAME.out and $T/NAME.err.
run() { local n=$1; shift; "$@" > "$T/$n.out" 2> "$T/$n.err" < /dev/null; }
run tag "$WB" tag 1 "$H" --db "$T/m.db"
run note "$WB" note 1 "$H" --db "$T/m.db"
run ls "$WB" ls --db "$T/m.db"
run ls-sweep "$WB" ls --db "$T/m.db" --sweep "$name"
run show "$WB" show 1 --db "$T/m.db"
run diff "$WB" diff 1 2 --db "$T/m.db"
run compare "$WB" compare --db "$T/m.db"
run report "$WB" report --db "$T/m.db" --out "$T/report"
run query "$WB" query "SELECT s.name, r.host, r.error FROM runs r JOIN sweeps s ON s.id = r.sweep_id" --db "$T/m.db"
run predict "$WB" predict 1 --db "$T/m.db" --input "$T/mx/test_x.npy" --out "$T/y.npy"
run rm bash -c 'echo n | "$0" rm 1 --db "$1"' "$WB" "$T/m.db"
run show-missing "$WB" show "$H" --db "$T/m.db"
run compare-missing "$WB" compare --db "$T/m.db" --sweep "$H"
cp "$T/m.db" "$T/in.db"
run merge "$WB" merge "$T/out.db" "$T/in.db"
run ls-merged "$WB" ls --db "$T/out.db"
awk -v n="$H" '/^name *=/ { print "name = " n; next } { print }' "$T/m.ini" > "$T/h.ini"
run dry-run "$WB" sweep "$T/h.ini" --db "$T/m.db" --dry-run
run sweep "$WB" sweep "$T/h.ini" --db "$T/h.db"
run config "$WB" config --defaults

raw=0
for f in "$T"/*.out "$T"/*.err; do
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f\x9b]' "$f"; then
    fail "$(basename "$f") holds a raw control character: $(LC_ALL=C grep -m1 $'[\x01-\x08\x0b-\x1f\x7f\x9b]' "$f" | od -c | head -n 2 | tr -s ' ')"
    raw=$((raw + 1))
  fi
done
eq "no command printed a control character raw ($(ls "$T"/*.out "$T"/*.err | wc -l) outputs)" "$raw" 0
for f in show compare query; do
  check "$f shows the text escaped" grep -qF -- "$shown" "$T/$f.out"
done
check "show shows the host escaped" grep -qF -- "host         $shown" "$T/show.out"
check "ls shows the tag escaped" grep -qF -- "$shown" "$T/ls.out"
check "an INI name with control characters is refused, the message escaped" \
  grep -q 'name = .*expected text without control characters' "$T/dry-run.err"
check "a missing run's error names it escaped" grep -qF -- "$shown" "$T/show-missing.err"

# CSV for a program is the data; on a terminal (script gives the command one) it is escaped.
"$WB" query "SELECT error FROM runs WHERE id = 1" --db "$T/m.db" --csv > "$T/csv.out"
check "query --csv into a file keeps the bytes" grep -qF -- "$(printf '%s' "$H" | head -c 8)" "$T/csv.out"
if script -qec "$WB query 'SELECT error FROM runs WHERE id = 1' --db $T/m.db --csv" /dev/null > "$T/tty.out" 2>&1; then
  check "query --csv on a terminal is escaped" grep -qF -- '\x1b]0;PWNED' "$T/tty.out"
  check "  and holds no ESC" bash -c "! LC_ALL=C grep -q \$'\\x1b\\]' '$T/tty.out'"
else
  echo "# report: SKIPPED: script(1) cannot give the command a terminal here"
fi
"$WB" show 1 --db "$T/m.db" --json > "$T/json.out"
check "show --json escapes it as JSON does" grep -qF '\u001b]0;PWNED\u0007\u001b[2J\rX' "$T/json.out"
finish
