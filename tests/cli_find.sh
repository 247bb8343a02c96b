#!/usr/bin/env bash
# Issue 16: the right database (--db > INI > WB_DB > results/wb.db), one-offs leave the default
# sweep alone, suggestions for commands and options, and finding runs: ls filters, CSV and JSON,
# show --json, diff, dry-run marks, tag, note, rm.
. tests/cli_lib.sh

cd "$T"
mkdir -p experiments
micro_ini_here() { (cd "$WB_TEST_ROOT" && micro_ini "$@"); }
micro_ini_here "$T/experiments/m.ini" "database=results/m.db"
db=$T/results/m.db

# ---- dry run before and after: the database is never created, then finished runs are marked
"$WB" sweep experiments/m.ini --dry-run > dry0.txt; eq "dry run exit 0" "$?" 0
check "dry run creates no database" test ! -e "$db"
"$WB" sweep experiments/m.ini --quiet > /dev/null || fail "the sweep failed"
"$WB" sweep experiments/m.ini --dry-run > dry1.txt
eq "dry run marks the 6 finished runs" "$(grep -c '\[finished\]' dry1.txt)" 6
eq "dry run without a database marks none" "$(grep -c '\[' dry0.txt)" 0

# ---- which database
eq "ls with the INI as argument reads its database" "$("$WB" ls experiments/m.ini | grep -c finished)" 6
eq "ls --ini" "$("$WB" ls --ini experiments/m.ini | grep -c finished)" 6
eq "WB_DB" "$(WB_DB=results/m.db "$WB" ls | grep -c finished)" 6
WB_DB=results/none.db "$WB" ls --ini experiments/m.ini > /dev/null; eq "INI beats WB_DB" "$?" 0
WB_DB=results/m.db "$WB" ls --db results/none.db > /dev/null 2> e.txt; eq "--db beats WB_DB" "$?" 2
check "  and names it" grep -q "results/none.db" e.txt
"$WB" ls > /dev/null 2> e.txt; eq "the default results/wb.db is missing: exit 2" "$?" 2
check "  and says where wb looks" grep -q 'WB_DB' e.txt
eq "show --ini" "$("$WB" show 1 --ini experiments/m.ini | head -n 1)" "run 1"
check "compare takes the INI" "$WB" compare experiments/m.ini > /dev/null
"$WB" report notes.txt > /dev/null 2> e.txt; eq "report with an argument that is not an INI: exit 2" "$?" 2
check "  and says what an INI argument is" grep -q "unexpected argument 'notes.txt' (an INI file ends in .ini)" e.txt
"$WB" ls experiments/m.ini experiments/m.ini > /dev/null 2> e.txt; eq "ls with two INI arguments: exit 2" "$?" 2
"$WB" sweep experiments/m.ini --quiet > sweep.out
check "the sweep's hint names the --db" grep -q "wb ls --db results/m.db" sweep.out

# ---- a one-off does not take the default sweep
"$WB" run experiments/m.ini --set sweep.seeds=1 --set loss.laplacian_weight=0.3 --set loss.kernel=8 --quiet > /dev/null ||
  fail "wb run failed"
check "the one-off is recorded as run:micro" grep -q 'run:micro' <("$WB" ls --db "$db")
eq "compare's default is the grid, not the one-off" \
   "$("$WB" compare --db "$db" | head -n 1 | cut -d: -f1)" "sweep micro"
"$WB" run experiments/m.ini --set sweep.seeds=1 --set loss.laplacian_weight=0.3 > /dev/null 2> e.txt
eq "wb run on a file with an axis: exit 2" "$?" 2
check "  names the axis, not seeds" grep -q 'axes: loss.kernel);' e.txt
"$WB" run experiments/m.ini --set loss.laplacian_weight=0.3 --set loss.kernel=8 > /dev/null 2> e.txt
check "  two seeds are said as such" grep -q '(2 seeds)' e.txt

# ---- suggestions and errors first
for typo in sweeep:sweep comapre:compare lss:ls; do
  "$WB" "${typo%%:*}" > /dev/null 2> e.txt; rc=$?
  eq "wb ${typo%%:*}: exit 2 and did you mean" "$rc $(head -n 1 e.txt)" \
     "2 wb: unknown command '${typo%%:*}'; did you mean '${typo#*:}'?"
done
"$WB" ls --sweeps x --db "$db" > /dev/null 2> e.txt
eq "unknown option suggests the nearest" "$(head -n 1 e.txt)" "wb ls: unknown option --sweeps; did you mean --sweep?"
"$WB" ls --db "$db" --sweep > /dev/null 2> e.txt
eq "a missing value is said" "$(head -n 1 e.txt)" "wb ls: the value of --sweep is missing (--sweep VALUE)"
"$WB" data exprt experiments/m.ini --out x > /dev/null 2> e.txt
eq "wb data exprt names the error first" "$(head -n 1 e.txt)" "wb data: unknown action 'exprt'; did you mean 'export'? (export or show)"
eq "wb help sweep is wb sweep --help" "$("$WB" help sweep)" "$("$WB" sweep --help)"

# ---- ls filters and formats
eq "--status finished" "$("$WB" ls --db "$db" --status finished --csv | tail -n +2 | wc -l)" 7
eq "--where kernel=8 (bare key)" "$("$WB" ls --db "$db" --sweep micro --where kernel=8 --csv | tail -n +2 | wc -l)" 2
eq "--where numbers compare as numbers" \
   "$("$WB" ls --db "$db" --where loss.laplacian_weight=0.29999999999999999 --csv | tail -n +2 | wc -l)" 1
eq "--where two keys" "$("$WB" ls --db "$db" --sweep micro --where loss.kernel=4 --where seed=2 --csv | tail -n +2 | wc -l)" 1
"$WB" ls --db "$db" --where kernal=8 > /dev/null 2> e.txt; eq "--where with an unknown key: exit 2" "$?" 2
check "  with the nearest key" grep -q "did you mean 'loss.kernel'" e.txt
# shellcheck disable=SC2046
"$WB" ls --db "$db" $(printf -- '--where seed=1 %.0s' $(seq 33)) > /dev/null 2> e.txt
eq "33 --where options: exit 2" "$?" 2
check "  and says how many it takes" grep -q "at most 32 --where options" e.txt
"$WB" ls --db "$db" --status finishd > /dev/null 2> e.txt; eq "--status typo: exit 2" "$?" 2
check "  with the nearest status" grep -q "did you mean 'finished'" e.txt
"$WB" ls --db "$db" --json > ls.json
eq "--json: one object per listed run" "$(jq length ls.json)" 7
eq "--json: numbers are numbers" "$(jq -r '.[0].id | type' ls.json)" number
csv_psnr=$("$WB" ls --db "$db" --csv | awk -F, 'NR == 2 { print $8 }')
eq "CSV PSNR (pooled) at 17 digits equals the database's" "$csv_psnr" \
   "$("$WB" query "SELECT value FROM metrics WHERE run_id = 1 AND split = 'test' AND name = 'psnr_pooled' ORDER BY epoch DESC LIMIT 1" --db "$db" --csv | tail -n 1 | tr -d '\r')"

# ---- show --json, diff
"$WB" show 3 --db "$db" --json > show.json || fail "show --json failed"
eq "show --json: the run's id and hash" "$(jq -r '.id, .config_hash' show.json | tr '\n' ' ')" \
   "3 $(sq "$db" "SELECT config_hash FROM runs WHERE id = 3") "
eq "show --json: every metric row" "$(jq '.metrics | length' show.json)" "$(sq "$db" "SELECT count(*) FROM metrics WHERE run_id = 3")"
eq "show --json: a configuration value" "$(jq -r '.configuration["loss.kernel"]' show.json)" 4
"$WB" diff 3 5 --db "$db" > diff.txt || fail "wb diff failed"
eq "diff: the differing key" "$(awk '/^loss.kernel/ { print $2, $3 }' diff.txt)" "4 8"
check "diff: no key that is the same" bash -c "! grep -q '^train.lr' diff.txt"
eq "diff: a row per epoch 0..2 of validation PSNR" \
   "$(awk '/^validation PSNR/ { on = 1; next } /^$/ { on = 0 } on && /^ *[0-9]+  / { n++ } END { print n }' diff.txt)" 3
"$WB" diff 1 2 --db "$db" --csv --metric val.psnr > diff.csv
eq "diff --csv: B - A is B's value minus A's" \
   "$(awk -F, 'NR > 3 && $1 == 2 { printf "%.10f", $3 - $2 - $4 }' diff.csv | tr -d '-')" "0.0000000000"

# ---- tags, notes, rm
"$WB" tag 3 promising --db "$db" > /dev/null || fail "wb tag failed"
"$WB" tag 3 promising --db "$db" > /dev/null || fail "a second wb tag failed"
"$WB" note 3 "kernel 4 looks better here" --db "$db" > /dev/null || fail "wb note failed"
check "ls shows the tag and the note count" grep -q "promising (1 note)" <("$WB" ls --db "$db")
check "show shows the note" grep -q "note *kernel 4 looks better here" <("$WB" show 3 --db "$db")
eq "show --json: tags once" "$("$WB" show 3 --db "$db" --json | jq -c .tags)" '["promising"]'
"$WB" tag 3 promising --remove --db "$db" > /dev/null || fail "tag --remove failed"
eq "the tag is gone" "$(sq "$db" "SELECT count(*) FROM run_notes WHERE kind = 'tag'")" 0
folder=$T/results/m.db.runs/$(sq "$db" "SELECT substr(config_hash, 1, 12) FROM runs WHERE id = 3")
check "run 3's folder exists" test -d "$folder"
echo n | "$WB" rm 3 --db "$db" > rm.txt; eq "rm answered no: exit 1" "$?" 1
check "  lists the run's sweep" grep -q "^run 3 (.*), in sweep micro$" rm.txt
check "  removes nothing" test -d "$folder"
one_off=$(sq "$db" "SELECT r.id FROM runs r JOIN sweep_runs l ON l.run_id = r.id JOIN sweeps s ON s.id = l.sweep_id WHERE s.name = 'run:micro'")
"$WB" rm 3 --db "$db" --yes > rm.txt || fail "rm --yes failed"
eq "rm: the run's rows are gone" "$(sq "$db" "SELECT (SELECT count(*) FROM runs WHERE id = 3) + (SELECT count(*) FROM metrics WHERE run_id = 3) + (SELECT count(*) FROM run_notes WHERE run_id = 3) + (SELECT count(*) FROM sweep_runs WHERE run_id = 3)")" 0
check "rm: and its folder" test ! -e "$folder"
sq "$db" "UPDATE runs SET status = 'running', pid = $$, host = '$(hostname)', heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = $one_off"
"$WB" rm "$one_off" --db "$db" --yes > /dev/null 2> e.txt; eq "rm refuses a running run" "$?" 1
check "  saying so" grep -q "is running" e.txt
eq "  and keeps it" "$(sq "$db" "SELECT count(*) FROM runs WHERE id = $one_off")" 1
finish
