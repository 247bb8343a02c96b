#!/usr/bin/env bash
# Hostile strings and numeric edge cases (issue 7, items 7 and 8).
# Quotes, backticks, $(...), system("..."), <script> and '; DROP TABLE runs; -- as sweep names,
# in a data folder's name, in a database's path and in --set: stored and shown verbatim, executed
# nowhere (each payload that a shell, SQLite or a C library could run would create a marker file;
# none may appear). Numbers that make no setting: exit 2, one line naming the file, line and key,
# no database written. (Report output, HTML and gnuplot, is the report module's tests'.)
. tests/cli_lib.sh

M=$T/m   # the markers' folder: it must stay empty
mkdir "$M"
payloads=(
  "q\"uotes\" and 'single' quotes"
  "\`touch $M/backtick\`"
  "\$(touch $M/dollar)"
  "system(\"touch $M/system\")"
  "<script>alert(1)</script>"
  "x'; DROP TABLE runs; --"
  "\"; DROP TABLE sweeps; SELECT \"&lt;|\$HOME|%s%n|\\\\"
)
# One tiny configuration: 1 run of 1 epoch, trained by the first sweep, shared by the others.
tiny() {   # OUT NAME [SOURCE]
  printf '[sweep]\nname = %s\nseeds = 1\n[data]\nsource = %s\ntrain_patches = 64\nval_patches = 16\ntest_patches = 16\n[model]\ndepth = 1\nbase_channels = 4\n[train]\nepochs = 1\nthreads = 1\n' \
    "$2" "${3:-builtin}" > "$1"
}

# ---- sweep names ------------------------------------------------------------------------------
db=$T/h.db
i=0
for p in "${payloads[@]}"; do
  i=$((i + 1))
  tiny "$T/h$i.ini" "$p"
  "$WB" sweep "$T/h$i.ini" --db "$db" > "$T/h$i.out" 2> "$T/h$i.err"; rc=$?
  eq "sweep named $p: exit 0" "$rc" 0
  eq "  its summary names it verbatim" "$(head -n1 "$T/h$i.out")" "$p: 1 runs: 1 finished"
done
eq "the database stores every name verbatim" "$(sq "$db" "SELECT name FROM sweeps ORDER BY id")" "$(printf '%s\n' "${payloads[@]}")"
sq "$db" "SELECT writefile('$T/stored.ini', ini_text) FROM sweeps WHERE id = 6" > /dev/null
check "the INI text is stored byte for byte" cmp -s "$T/stored.ini" "$T/h6.ini"
eq "the runs and sweeps tables survive" "$(sq "$db" "SELECT count(*) FROM sweeps") $(sq "$db" "SELECT count(*) FROM runs")" "7 1"
eq "integrity_check" "$(sq "$db" "PRAGMA integrity_check")" ok
i=0
for p in "${payloads[@]}"; do
  i=$((i + 1))
  "$WB" ls --db "$db" --sweep "$p" > "$T/ls$i.txt" 2>&1; rc=$?
  eq "wb ls --sweep <$p>: exit 0, one run" "$rc $(grep -c finished "$T/ls$i.txt")" "0 1"
  check "  and prints the name verbatim" grep -qF -- "$p" "$T/ls$i.txt"
  # wb query with the name as an SQL literal (quotes doubled), as CSV and as a table.
  lit=${p//\'/\'\'}
  eq "wb query finds <$p> by value" \
     "$("$WB" query --db "$db" --csv "SELECT name FROM sweeps WHERE name = '$lit'" | tail -n +2 | tr -d '\r')" \
     "$(printf '%s' "$p" | sed 's/"/""/g; s/^/"/; s/$/"/; /^"[^",]*"$/ s/"//g')"
done
"$WB" query --db "$db" "SELECT name FROM sweeps ORDER BY id" > "$T/q.txt"
for p in "${payloads[@]}"; do check "wb query's table shows <$p>" grep -qF -- "$p" "$T/q.txt"; done
"$WB" show 1 --db "$db" > "$T/show.txt"; rc=$?
eq "wb show: exit 0" "$rc" 0
for p in "${payloads[@]}"; do check "wb show lists sweep <$p>" grep -qF -- "$p" "$T/show.txt"; done

# wb report (HTML, Markdown, gnuplot scripts run by gnuplot) and wb compare on every one of them
# (the report module's tests check the escaping itself; here: nothing runs, nothing breaks).
i=0
for p in "${payloads[@]}"; do
  i=$((i + 1))
  "$WB" report --db "$db" --sweep "$p" --out "$T/rep$i" > /dev/null 2> "$T/rep$i.err"; rc=$?
  eq "wb report on <$p>: exit 0" "$rc" 0
  "$WB" compare --db "$db" --sweep "$p" > "$T/cmp$i.txt" 2>&1; rc=$?
  eq "wb compare on <$p>: exit 0" "$rc" 0
done
check "the HTML report shows <script> as text" grep -qF "&lt;script&gt;alert(1)&lt;/script&gt;" "$T/rep5/index.html"
check "  and never as a tag" bash -c "! grep -qF '<script>alert(1)' '$T/rep5/index.html'"
"$WB" report --db "$db" --sweep "${payloads[2]}" > /dev/null 2>&1; rc=$?
eq "wb report's default folder for a \$(...) name: exit 0" "$rc" 0
eq "  a folder beside the database, its name made safe" "$(cd "$T" && ls -d report-* | grep -c '^report-[A-Za-z0-9._-]*$')" 1

# ---- a data folder, a database path and --set values ----------------------------------------
src="$T/src \"q\" 'x' \$(touch $M/src1) \`touch $M/src2\` <b>x</b>'; DROP TABLE runs; --"
mkdir -p "$src"
cp data/photos/astronaut.png data/photos/chelsea.png "$src/"
hdb="$T/db \$(touch $M/db1) \`touch $M/db2\` 'x'; DROP TABLE runs; --\".db"
tiny "$T/src.ini" "from a hostile folder" "png:$src"
"$WB" sweep "$T/src.ini" --db "$hdb" > /dev/null 2> "$T/src.err"; rc=$?
eq "png:<hostile folder> into <hostile db path>: exit 0" "$rc" 0
eq "  data.source stored verbatim" "$(sq "$hdb" "SELECT value FROM params WHERE key = 'data.source'")" "png:$src"
check "  the run folder is beside the database" test -f "$hdb.runs/$(sq "$hdb" "SELECT substr(config_hash, 1, 12) FROM runs")/best.safetensors"
"$WB" show 1 --db "$hdb" > "$T/show2.txt"
check "  wb show prints data.source verbatim" grep -qF -- "png:$src" "$T/show2.txt"
"$WB" run "$T/h1.ini" --db "$hdb" --set "data.source=png:$src" --set "train.epochs=2" > /dev/null 2>&1; rc=$?
eq "wb run --set data.source=png:<hostile>: exit 0" "$rc" 0
"$WB" merge "$T/merged.db" "$db" "$hdb" > /dev/null 2> "$T/merge.err"; rc=$?
eq "wb merge from <hostile db path>: exit 0" "$rc" 0
eq "  every sweep merged, names verbatim" "$(sq "$T/merged.db" "SELECT name FROM sweeps ORDER BY name")" \
   "$({ sq "$db" "SELECT name FROM sweeps"; sq "$hdb" "SELECT name FROM sweeps"; } | LC_ALL=C sort)"
"$WB" sweep "$T/src.ini" --db "$hdb" --dry-run > /dev/null; rc=$?
eq "a dry run of it: exit 0" "$rc" 0

# ---- nothing was executed --------------------------------------------------------------------
eq "no payload ran: the markers' folder is empty" "$(ls -A "$M")" ""
eq "no marker anywhere under the scratch folder" "$(find "$T" -name 'backtick' -o -name 'dollar' -o -name 'system' -o -name 'src[12]' -o -name 'db[12]' | grep -v "^$src" | grep -v "^$hdb" | head -n3)" ""
eq "every table is still there" "$(sq "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name)")" \
   "checkpoints file_hashes metrics params run_notes runs stage_plans sweep_runs sweeps"

# ---- numbers that make no setting: exit 2, FILE:LINE, the key, no database ------------------
# (NaN, Inf, negative, huge, zero-sized splits, zero batch: tests/cli_config.sh.)
num_error() {   # NAME SECTION KEY VALUE PATTERN
  local f=$T/num-$1.ini
  printf '[sweep]\nseeds = 1\n[%s]\n%s = %s\n' "$2" "$3" "$4" > "$f"
  "$WB" sweep "$f" --db "$T/num-$1.db" --quiet > /dev/null 2> "$T/num-$1.err"; local rc=$?
  eq "$3 = $4: exit 2, one line" "$rc $(wc -l < "$T/num-$1.err")" "2 1"
  check "  FILE:LINE, the key and why: $(cat "$T/num-$1.err")" grep -qE -- "num-$1.ini:4: \[$2\] $3 = .*$5" "$T/num-$1.err"
  check "  no database written" test ! -e "$T/num-$1.db"
}
num_error subnormal_lr train lr 1e-320 "too close to 0"
num_error subnormal_lambda loss laplacian_weight 4.9e-324 "too close to 0"
num_error hex_lr train lr 0x10 "not a decimal number"
num_error underflow_lr train lr 1e-400 "too small"
num_error overflow_lambda loss laplacian_weight 1e309 "too large"
num_error int_overflow train epochs 2147483648 "too large"
num_error int_huge data seed 99999999999999999999 "too large"
num_error float_epochs train epochs 1.5 "not an integer"
num_error exp_epochs train epochs 1e3 "not an integer"
num_error threads train threads 100000 "too large"
num_error batch_huge train batch_size 1000000000 "too large"
num_error patches_huge data train_patches 100000000 "too large"
num_error patch_odd data patch 15 "odd"
num_error momentum_one train momentum 1 "too large"
num_error blur_zero data blur_sigma 0 "too small"
num_error neg_zero train lr -0 "too small"
num_error empty train lr "" "empty"
num_error inf_word data noise_sigma infinity "infinity"
num_error nan_word train momentum -nan "NaN"
# Documented behaviour, not an error: a batch larger than the training set is one partial batch
# per epoch (tests/cli_config.sh trains it); min_std that no patch meets is a data error (exit 2).
printf '[sweep]\nseeds = 1\n[data]\nmin_std = 0.9\ntrain_patches = 64\n' > "$T/flat.ini"
"$WB" sweep "$T/flat.ini" --db "$T/flat.db" --quiet > /dev/null 2> "$T/flat.err"; rc=$?
eq "min_std no patch meets: exit 2, one line" "$rc $(wc -l < "$T/flat.err")" "2 1"
check "  says which setting: $(cut -c1-100 "$T/flat.err")" grep -q "data.min_std = 0.9" "$T/flat.err"
finish
