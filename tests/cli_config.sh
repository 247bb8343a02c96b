#!/usr/bin/env bash
# Configuration errors (issue 4, acceptance 6; issue 7, item 8): exit status 2 and one line
# FILE:LINE naming the key and what was expected; nothing is trained or written.
. tests/cli_lib.sh

# expect_error NAME INI_TEXT PATTERN: wb sweep on it exits 2 with one line matching PATTERN.
expect_error() {
  local name=$1 text=$2 pattern=$3 f=$T/$1.ini
  printf '%s\n' "$text" > "$f"
  "$WB" sweep "$f" --db "$T/$name.db" --quiet > "$T/$name.out" 2> "$T/$name.err"
  local rc=$?
  eq "$name: exit status 2" "$rc" 2
  eq "$name: one line on stderr" "$(wc -l < "$T/$name.err")" 1
  check "$name: message matches '$pattern'" grep -qE -- "$pattern" "$T/$name.err"
  check "$name: no database written" test ! -e "$T/$name.db"
}

expect_error unknown_key $'[loss]\nlaplacian_weight = 0.1\nlossweight = 0.3' \
  "unknown_key.ini:3:.*lossweight.*laplacian_weight"
expect_error bad_value $'[train]\nepochs = many' "bad_value.ini:2:.*epochs"
expect_error duplicate $'[loss]\nkernel = 4\nkernel = 8' "duplicate.ini:3:.*kernel.*line 2"
expect_error long_line "[sweep]
name = $(printf 'x%.0s' $(seq 1 300))" "long_line.ini:2: line longer than"
expect_error unknown_section $'[optimiser]\nlr = 1' "unknown_section.ini:1:.*optimiser"
expect_error nan $'[train]\nlr = nan' "nan.ini:2:.*lr"
expect_error inf $'[loss]\nlaplacian_weight = inf' "inf.ini:2:.*laplacian_weight"
expect_error negative $'[loss]\nlaplacian_weight = -0.1' "negative.ini:2:.*laplacian_weight"
expect_error huge $'[data]\ntrain_patches = 1e30' "huge.ini:2:.*train_patches"
expect_error zero_split $'[data]\nval_patches = 0' "zero_split.ini:2:.*val_patches"
expect_error depth_patch $'[data]\npatch = 12\n[model]\ndepth = 3' "depth_patch.ini:4:.*depth"
expect_error zero_batch $'[train]\nbatch_size = 0' "zero_batch.ini:2:.*batch_size"

# wb run --set: one value each; errors located as --set:N.
"$WB" run experiments/micro.ini --db "$T/set.db" --set sweep.seeds=1 --set "loss.kernel=4,8" \
  --quiet > /dev/null 2> "$T/set.err"
eq "a list in --set: exit status 2" "$?" 2
check "  names --set:2 and the key" grep -q -- "--set:2:.*kernel" "$T/set.err"
"$WB" run experiments/micro.ini --db "$T/set.db" --quiet > /dev/null 2> "$T/grid.err"
eq "wb run on a file with axes: exit status 2" "$?" 2
check "  says to pick one point" grep -q "describes 6 runs" "$T/grid.err"

# A batch larger than the training set: documented behaviour, one partial batch per epoch.
micro_ini "$T/bigbatch.ini" "batch_size=1000" "epochs=1"
"$WB" run "$T/bigbatch.ini" --db "$T/bb.db" --set sweep.seeds=1 --set loss.laplacian_weight=0 \
  --quiet > /dev/null; eq "a batch larger than the training set trains" "$?" 0

# wb config --defaults parses back (as a sweep file).
"$WB" config --defaults > "$T/defaults.ini"
"$WB" sweep "$T/defaults.ini" --dry-run > "$T/defaults.txt"; eq "--defaults parses as a sweep" "$?" 0
check "  one run with the default hash" grep -q "c46bd6d46729" "$T/defaults.txt"

# The frozen identity fixture, as a user sees it: the dry run prints each run's index, the first
# 12 hex digits of its config_hash and its label as tests/fixtures/lossweights-v1.hashes records
# them (tests/test_config_identity.c compares the full hashes and config ids).
"$WB" sweep tests/fixtures/lossweights-v1.ini --dry-run | grep -v ' runs, axes: ' \
  | awk '{ i = $1; h = $2; $1 = $2 = ""; sub(/^ +/, ""); print i, h, $0 }' > "$T/v1.dry"
grep -v '^#' tests/fixtures/lossweights-v1.hashes \
  | awk '{ i = $1; h = substr($2, 1, 12); $1 = $2 = $3 = ""; sub(/^ +/, ""); print i, h, $0 }' \
  > "$T/v1.want"
eq "the dry run of lossweights-v1.ini prints its recorded hashes" \
  "$(diff "$T/v1.want" "$T/v1.dry")" ""
eq "  all 33 of them" "$(wc -l < "$T/v1.dry")" 33
finish
