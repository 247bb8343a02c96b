#!/usr/bin/env bash
# What a person reads on a terminal (issue 22): one PSNR, output that fits.
# - One PSNR: the primary metric, pooled PSNR, is "PSNR" in every line a person reads and the
#   same number everywhere (the sweep's progress, wb run, ls, show, diff, compare, predict); the
#   per-patch mean appears only as "mean of per-patch PSNR"; the report's charts draw pooled PSNR
#   and their axes say so.
# - Output that fits: ls, show, diff, compare (and every --help) within 100 columns unless --wide;
#   the runs below their input listed once; numbers with the digits that mean something (no
#   number with more than 4 decimals or 5 significant digits outside CSV and JSON); on a terminal
#   the progress bar says what it measures.
source tests/cli_lib.sh

cd "$T" || exit 1
cp "$WB_TEST_ROOT/experiments/micro.ini" m.ini
"$WB" sweep m.ini --db m.db > sweep.out 2> sweep.err || fail "the micro sweep"
sq m.db "SELECT count(*) FROM runs WHERE status = 'finished'" > /dev/null

# width FILE: the widest line, in characters (UTF-8: λ and ± are one each).
width() { perl -CSD -ne 'chomp; $m = length if length > $m; END { print $m + 0 }' "$1"; }
# long_numbers FILE: decimals a person reads with more than 5 significant digits (PSNR to 3
# decimals has at most 5; the rest have 4).
long_numbers() {
  grep -oE '[0-9]*\.[0-9]+' "$1" | awk '{ d = $0; sub(/\./, "", d); sub(/^0+/, "", d) } length(d) > 5' |
    head -n 3 | tr '\n' ' '
}

# --- one PSNR ---------------------------------------------------------------------------------
pooled=$(sq m.db "SELECT printf('%.17g', value) FROM metrics WHERE run_id = 1 AND split = 'test'
                  AND name = 'psnr_pooled' ORDER BY epoch DESC LIMIT 1")
patch=$(sq m.db "SELECT printf('%.17g', value) FROM metrics WHERE run_id = 1 AND split = 'test'
                 AND name = 'psnr' ORDER BY epoch DESC LIMIT 1")
r2=$(awk -v v="$pooled" 'BEGIN { printf "%.2f", v }')
r3=$(awk -v v="$pooled" 'BEGIN { printf "%.3f", v }')
check "pooled and per-patch PSNR differ here (a test that can tell them apart: $r3, $patch)" \
  test "$r3" != "$(awk -v v="$patch" 'BEGIN { printf "%.3f", v }')"
check "the sweep's line for run 1 gives its test PSNR, pooled ($r2 dB)" \
  grep -q "^run 1/6, λ = 0, seed 1: finished, test PSNR $r2 dB$" sweep.err
check "  and no line says psnr_pooled, psnr or nan" bash -c '! grep -Eq "psnr|nan" "$1"' _ sweep.err
"$WB" ls --db m.db > ls.out
eq "wb ls gives the same number under the same name" "$(awk '$1 == 1 { print $NF }' ls.out)" "$r3"
check "  its header says test PSNR" grep -q "test PSNR" ls.out
csv=$("$WB" ls --db m.db --csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "test_psnr_pooled") c = i } NR == 2 { print $c }')
check "wb ls --csv names it by its key, exact ($csv)" awk -v a="$csv" -v b="$pooled" 'BEGIN { exit !(a != "" && a == b + 0) }'
"$WB" run m.ini --db m.db --set sweep.seeds=1 --set loss.laplacian_weight=0 > run.out 2>&1
check "wb run of that run gives the same number" grep -q "test PSNR $r2 dB" run.out
"$WB" show 1 --db m.db > show.out
check "wb show's test row at the last epoch has it under PSNR" \
  awk -v v="$r3" '/^validation and test/ { on = 1 } on && $1 == 2 && $2 == "test" && $3 == v { found = 1 } END { exit !found }' show.out
check "  and no column of the per-patch mean unless --wide" bash -c '! grep -q "per-patch" "$1"' _ show.out
"$WB" show 1 --db m.db --wide > show-wide.out
check "  with --wide, the per-patch mean under its own name" grep -q "mean of per-patch PSNR" show-wide.out
"$WB" diff 1 3 --db m.db > diff.out
check "wb diff titles the primary metric test PSNR" grep -q "^test PSNR, dB (test.psnr_pooled):" diff.out
"$WB" compare --db m.db > compare.out
check "wb compare says test PSNR" grep -q "^sweep micro: test PSNR (test.psnr_pooled) at the last epoch" compare.out
"$WB" data export m.ini --out data > /dev/null
"$WB" predict 1 --db m.db --input data/test_x.npy --target data/test_y.npy --out y.npy > predict.out
check "wb predict --target: psnr_pooled is PSNR, psnr the mean of per-patch PSNR" \
  bash -c 'grep -Eq "^psnr_pooled +[0-9.]+ dB +PSNR$" "$1" && grep -Eq "^psnr +[0-9.]+ dB +mean of per-patch PSNR$" "$1"' _ predict.out
"$WB" predict 1 --db m.db --input data/test_x.npy --target data/test_y.npy --out y.npy --json \
  2> /dev/null > predict.json
check "  --json holds every image metric, exactly" jq -e '.psnr_pooled > 0 and .ssim > 0 and (keys | length) == 7' predict.json
"$WB" report --db m.db --out report > /dev/null 2>&1 || fail "wb report"
for chart in lambda_response tradeoff effect; do
  check "the $chart chart's axes name test PSNR, no other" \
    bash -c 'grep -q "test PSNR" "$1" && ! grep -qi "pooled PSNR\|per-patch" "$1"' _ "report/$chart.gp"
done
check "the learning curves' name validation PSNR, no other" \
  bash -c 'grep -q "validation PSNR" "$1" && ! grep -qi "pooled PSNR\|per-patch" "$1"' _ report/learning_curves.gp
check "  and draw pooled PSNR (their data's header names psnr_pooled)" \
  grep -q "psnr_pooled" report/learning_curves.dat

# --- output that fits -------------------------------------------------------------------------
"$WB" show 3 --db m.db > show3.out
"$WB" compare --db m.db --at best > compare-best.out
"$WB" compare --db m.db --wide > compare-wide.out
for f in ls.out show.out show3.out diff.out compare.out compare-best.out predict.out run.out; do
  check "${f%.out} fits 100 columns ($(width "$f"))" test "$(width "$f")" -le 100
  eq "  with the digits that mean something" "$(long_numbers "$f")" ""
done
check "compare --wide has the whole key table (wider: $(width compare-wide.out))" \
  bash -c 'grep -q "paired sd" "$1" && grep -q "seeds for δ" "$1"' _ compare-wide.out
check "compare's compact table: configuration, n, mean, diff with its interval, p Holm, verdict" \
  grep -Eq '^ +configuration +n +mean +diff, 95% CI +p Holm +verdict' compare.out
for cmd in sweep run ls show diff tag note rm query compare report serve predict data merge; do
  "$WB" "$cmd" --help > help.out
  check "wb $cmd --help fits 100 columns ($(width help.out))" test "$(width help.out)" -le 100
done
below=$(sq m.db "SELECT count(*) FROM runs r JOIN metrics m ON m.run_id = r.id AND m.split = 'test'
                 AND m.name = 'psnr_pooled' AND m.epoch = r.epochs_done
                 JOIN metrics i ON i.run_id = r.id AND i.split = 'test_input' AND i.name = 'psnr_pooled'
                 WHERE m.value < i.value")
check "runs here end below their input ($below), so compare lists them" test "$below" -gt 0
eq "  once each" "$(tr '\n' ' ' < compare.out | tr -s ' ' | grep -o 'run 3 (λ' | wc -l)" 1

# --- the progress bar says what it measures (a terminal: script gives the sweep one) -----------
sed 's/^train_patches *=.*/train_patches = 2048/' m.ini > live.ini
script -qfec "$WB sweep live.ini --db live.db" /dev/null > live.out 2>&1 || fail "the sweep on a terminal"
check "the live line names what its bar counts: the epoch's training samples" \
  grep -aEq 'epoch [0-9]+/2: samples \[[#.]{12}\] [0-9]+/2048' live.out
finish
