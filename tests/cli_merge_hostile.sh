#!/usr/bin/env bash
# wb merge trusts nothing in its input (issue 15, items 2 and 8): a shard whose config_hash walks
# out of the output folder (../../pwned/...), whose run folder or checkpoint path points
# elsewhere, whose run folder holds a link to a file elsewhere, whose tables are not wb's or whose
# values are not as wb writes them is refused whole, with a message naming it and what was wrong:
# nothing is written outside the output folder, nothing foreign is copied in, the output is left
# as it was. Two inputs with the same run but other results: the difference is said, the first
# result is kept.
. tests/cli_lib.sh

"$WB" sweep experiments/micro.ini --db "$T/good/s0.db" --shard 0/2 --quiet > /dev/null || fail "sweep a shard"
mkdir -p "$T/secret" "$T/out" "$T/log"
echo "not for the merged database" > "$T/secret/id_rsa"
first=$(sq "$T/good/s0.db" "SELECT config_hash FROM runs ORDER BY id LIMIT 1")
# A copy of the good shard in its own folder: shard NAME
shard() { rm -rf "$T/$1"; mkdir -p "$T/$1"; cp -r "$T/good/s0.db" "$T/good/s0.db.runs" "$T/$1/"; }
# Everything under $T but the output folder and the shards, to see that nothing appears there.
outside() { (cd "$T" && find . -path ./out -prune -o -path './bad_*' -prune -o -path ./good -prune -o -path ./log -prune -o -print | sort); }
before_outside=$(outside)

# refused NAME PATTERN: merging $T/NAME/s0.db into $T/out/m.db is refused and changes nothing.
refused() {
  local before
  before=$(sq "$T/out/m.db" "SELECT count(*) FROM runs" 2> /dev/null)
  "$WB" merge "$T/out/m.db" "$T/$1/s0.db" > "$T/log/merge.out" 2> "$T/log/merge.err"
  eq "$1: exit status 1" "$?" 1
  check "$1: the message names the shard and says '$2'" grep -qE -- "cannot merge $T/$1/s0.db: .*$2" "$T/log/merge.err"
  eq "$1: one line" "$(wc -l < "$T/log/merge.err")" 1
  eq "$1: no run merged" "$(sq "$T/out/m.db" "SELECT count(*) FROM runs")" "${before:-0}"
  eq "$1: nothing written outside the output folder" "$(outside)" "$before_outside"
  check "$1: no foreign file copied in" test -z "$(grep -rl "not for the merged" "$T/out" 2> /dev/null)"
}

sq_w() { sqlite3 -batch "$1" "PRAGMA journal_mode = DELETE; $2" > /dev/null; }
# The output: a wb database without runs (merging a missing input creates it, then fails).
"$WB" merge "$T/out/m.db" "$T/out/none.db" > /dev/null 2>&1

# 1. A hash that walks out of the output folder, its folder pointing at the real files.
shard bad_hash
sq_w "$T/bad_hash/s0.db" "UPDATE runs SET config_hash = '../../pwned/' || substr(config_hash, 13) WHERE config_hash = '$first'"
refused bad_hash "run 1: its config_hash '../../pwned/.*' is not 64 lowercase hex digits"
check "bad_hash: no pwned folder" test ! -e "$T/pwned"
# 2. A run folder stored elsewhere.
shard bad_folder
sq_w "$T/bad_folder/s0.db" "UPDATE runs SET folder = '../secret' WHERE config_hash = '$first'"
refused bad_folder "run 1: its folder '../secret' is not 's0.db.runs/${first:0:12}', the folder its hash gives"
# 3. A checkpoint path elsewhere.
shard bad_checkpoint
sq_w "$T/bad_checkpoint/s0.db" "UPDATE checkpoints SET path = '../secret/id_rsa' WHERE kind = 'best' AND run_id = 1"
refused bad_checkpoint "run 1: its 'best' checkpoint '../secret/id_rsa' is not a file of its folder"
# 4. A checkpoint file that is a link to a file elsewhere, and a run folder that is a link.
shard bad_link
ln -sf "$T/secret/id_rsa" "$T/bad_link/s0.db.runs/${first:0:12}/best.safetensors"
refused bad_link "run ${first:0:12}: its best checkpoint .*best.safetensors is not a regular file"
shard bad_dirlink
rm -rf "$T/bad_dirlink/s0.db.runs/${first:0:12}"
ln -s "$T/secret" "$T/bad_dirlink/s0.db.runs/${first:0:12}"
refused bad_dirlink "its run folder $T/bad_dirlink/s0.db.runs/${first:0:12} is a symbolic link"
# 5. A view instead of a table, a metric that is text, a sweep name with a terminal escape.
shard bad_view
sq_w "$T/bad_view/s0.db" "DROP TABLE params; CREATE VIEW params AS SELECT 1 AS run_id, 'k' AS key, 'v' AS value"
refused bad_view "params is a view, not a table"
shard bad_value
sq_w "$T/bad_value/s0.db" "UPDATE metrics SET value = 'high' WHERE run_id = 1 AND name = 'psnr' AND split = 'test'"
refused bad_value "a metric of run 1: epoch .* 'high' is not an integer epoch and a number"
shard bad_name
sq_w "$T/bad_name/s0.db" "UPDATE sweeps SET name = 'micro' || char(27) || '[2J'"
refused bad_name "sweep 1: its name 'micro\?\[2J' holds control characters"
# 6. A damaged file.
shard bad_page
printf '\0\0' | dd of="$T/bad_page/s0.db" bs=1 seek=$(( ($(sq "$T/good/s0.db" "SELECT rootpage FROM sqlite_schema WHERE name = 'runs'") - 1) * 4096 + 3 )) conv=notrunc status=none
refused bad_page "is damaged \(integrity_check: "

# The good shard merges, its files copied.
"$WB" merge "$T/out/m.db" "$T/good/s0.db" > "$T/log/merge.out" 2> "$T/log/merge.err"
eq "the good shard merges" "$?" 0
eq "  its 3 runs" "$(sq "$T/out/m.db" "SELECT count(*) FROM runs")" 3
eq "  and their files" "$(ls "$T/out/m.db.runs/${first:0:12}" | wc -l)" "$(ls "$T/good/s0.db.runs/${first:0:12}" | wc -l)"
eq "  nothing written outside the output folder" "$(outside)" "$before_outside"

# Two inputs with the same run but other results: said, with the metrics; the first kept.
shard other
sq_w "$T/other/s0.db" "UPDATE metrics SET value = value + 0.5 WHERE run_id = 1 AND name = 'psnr'"
changed=$(sq "$T/other/s0.db" "SELECT count(*) FROM metrics WHERE run_id = 1 AND name = 'psnr'")
kept=$(metrics_dump "$T/out/m.db")
"$WB" merge "$T/out/m.db" "$T/other/s0.db" > "$T/log/merge.out" 2> "$T/log/merge.err"
eq "a shard with other results for a run: exit status 0" "$?" 0
check "  the summary counts it" grep -q "3 already there (1 with other results, $T/out/m.db's kept)" "$T/log/merge.out"
check "  a warning names the run and the metrics that differ" \
  grep -q "warning: run ${first:0:12} (run 1 of $T/out/m.db) is finished in both with other results: $changed values differ (test_input.psnr, val.psnr, val_input.psnr, test.psnr; largest difference 0.5)" "$T/log/merge.err"
eq "  the first results are kept" "$(metrics_dump "$T/out/m.db")" "$kept"
# The same shard again (timings aside, bitwise equal): no warning.
"$WB" merge "$T/out/m.db" "$T/good/s0.db" > "$T/log/merge.out" 2> "$T/log/merge.err"
eq "the same results again: no warning" "$(cat "$T/log/merge.err")" ""
finish
