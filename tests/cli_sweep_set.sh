#!/usr/bin/env bash
# A sweep without writing a file (issue 22): `wb sweep FILE --set key=a,b,c` makes an axis, as the
# same comma list in the file would (the same runs, the same config hashes), and the sweep's
# record keeps the file's text with the overrides in it, as INI (its workers parse it again).
# wb run's --set still takes one value.
source tests/cli_lib.sh

cd "$T" || exit 1
cp "$WB_TEST_ROOT/experiments/micro.ini" m.ini
# The file as the --set options would edit it.
sed -e 's/^laplacian_weight *=.*/laplacian_weight = 0, 0.3, 1/' -e 's/^kernel *=.*/kernel = 8/' \
  -e 's/^epochs *=.*/epochs = 1/' m.ini > edited.ini
sets=(--set loss.laplacian_weight=0,0.3,1 --set loss.kernel=8 --set train.epochs=1)

"$WB" sweep m.ini "${sets[@]}" --db s.db --dry-run > set.dry 2>&1; rc=$?
eq "wb sweep --set with a list: exit 0" "$rc" 0
"$WB" sweep edited.ini --db s.db --dry-run > file.dry 2>&1
eq "  the grid the edited file gives, hash for hash" \
  "$(awk '/^ +[0-9]+  [0-9a-f]{12}/ { print $2 }' set.dry | tr '\n' ' ')" \
  "$(awk '/^ +[0-9]+  [0-9a-f]{12}/ { print $2 }' file.dry | tr '\n' ' ')"
eq "  6 runs: λ 0 (one baseline per seed), 0.3 and 1 with kernel 8, two seeds" \
  "$(grep -cE '^ +[0-9]+  [0-9a-f]{12}' set.dry)" 6
check "  λ is the axis" grep -q "axes: loss.laplacian_weight" set.dry

"$WB" sweep m.ini "${sets[@]}" --db s.db --quiet > /dev/null 2>&1; rc=$?
eq "the sweep trains: exit 0" "$rc" 0
eq "  its 6 runs finished" "$(sq s.db "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
ini=$(sq s.db "SELECT ini_text FROM sweeps WHERE name = 'micro'")
check "the record keeps the file's text, the replaced lines commented out" \
  grep -q "^; laplacian_weight = 0, 0.6 *; replaced by --set below" <<< "$ini"
eq "  and the overrides after it, as INI" "$(sed -n '/^; wb sweep --set overrides/,$p' <<< "$ini" | tail -n +2)" \
  "$(printf '[loss]\nlaplacian_weight = 0,0.3,1\n[loss]\nkernel = 8\n[train]\nepochs = 1')"
eq "  its axes" "$(sq s.db "SELECT axes FROM sweeps WHERE name = 'micro'")" "loss.laplacian_weight"
"$WB" sweep edited.ini --db s.db > again.out 2>&1
check "the edited file finds those runs done" grep -q "micro: 6 runs: 6 finished" again.out

"$WB" sweep m.ini --set loss.lossweight=0,1 --db s.db --dry-run > /dev/null 2> name.err; rc=$?
eq "--set of a mistyped key: exit 2" "$rc" 2
check "  the message names the --set and the likeliest key" \
  grep -q -- "--set:1: .*did you mean 'laplacian_weight'" name.err
"$WB" sweep m.ini --set loss.laplacian_weight=0,x --db s.db --dry-run > /dev/null 2> bad.err; rc=$?
eq "a bad item in a --set list: exit 2" "$rc" 2
"$WB" run m.ini --set loss.laplacian_weight=0,0.3 --db s.db > /dev/null 2> run.err; rc=$?
eq "wb run --set with a list: exit 2" "$rc" 2
check "  and says where lists go" grep -q "a list makes a sweep (wb sweep FILE --set)" run.err
finish
