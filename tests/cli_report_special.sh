#!/usr/bin/env bash
# tests/cli_report_special.sh: a report on a sweep with one seed, diverged runs and a failed run
# completes (exit 0, every chart drawn) and says so: "no interval" with one seed, the runs that
# did not finish listed with their status and error, and the verdicts naming them (two epochs
# are too few to converge: the verdicts say so; tests/test_report.c has the one-seed sentence). The sweep
# trains for real: SGD with lr = 1e6 diverges within two epochs (checked, not assumed); the failed
# run is made by marking a finished one, as a crash would leave it.
# cli_report_lib.sh sets -euo pipefail, checks $WB, makes $tmp and defines fail.
. "$(dirname "$0")/cli_report_lib.sh"

cat >"$tmp/special.ini" <<'EOF'
; one seed; lr = 1e6 diverges, lr = 0.01 trains
[sweep]
name  = special
seeds = 1
[data]
task          = denoise
train_patches = 128
val_patches   = 32
test_patches  = 32
[model]
depth         = 1
base_channels = 4
[train]
epochs     = 2
batch_size = 32
threads    = 1
optimizer  = sgd
lr         = 0.01, 1000000
[loss]
laplacian_weight = 0, 0.6
kernel           = 4, 8
EOF
db="$tmp/s.db"
"$WB" sweep "$tmp/special.ini" --db "$db" --quiet >/dev/null || fail "the sweep exited $?"

count() { "$WB" query "$1" --db "$db" --csv | tail -n 1 | tr -d '\r'; }
diverged=$(count "SELECT count(*) FROM runs WHERE status = 'diverged'")
[ "$diverged" -ge 1 ] || fail "no run diverged: the test needs one (lr = 1e6 with SGD)"
[ "$(count "SELECT count(*) FROM runs WHERE status = 'finished' AND lr < 1")" -eq 3 ] ||
  fail "the lr = 0.01 runs did not all finish"

# A failed run, as a crash leaves it: status and error, its metrics still there.
sql="UPDATE runs SET status = 'failed', error = 'killed by the test: out of <memory> | \`x\`'
     WHERE laplacian_weight > 0 AND kernel = '8' AND lr < 1"
if command -v sqlite3 >/dev/null; then
  sqlite3 "$db" "$sql"
else
  python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$db" "$sql"
fi
[ "$(count "SELECT count(*) FROM runs WHERE status = 'failed'")" -eq 1 ] || fail "no failed run"

"$WB" report --db "$db" >"$tmp/out" 2>"$tmp/err" || fail "wb report exited $?: $(cat "$tmp/err")"
dir="$tmp/report-special"
for c in $CHARTS; do
  check_png "$dir/$c.png" 10000
  check_svg "$dir/$c.svg"
  (cd "$dir" && gnuplot "$c.gp") >"$tmp/gp.log" 2>&1 || fail "gnuplot $c.gp exited $?: $(cat "$tmp/gp.log")"
done
check_png "$dir/grid.png" 2000

html="$dir/index.html" md="$dir/report.md"
for want in 'no interval with one seed' \
            'not converged: validation PSNR still rose by more than 0.05 dB' \
            '<td>diverged</td>' '<td>failed</td>' \
            'killed by the test: out of &lt;memory&gt; | `x`' \
            "$((diverged + 1)) of 6 runs did not finish" '1 failed' "$diverged diverged" \
            'seed 1 diverged after' 'seed 1 failed after 2 of 2 epochs' \
            'a run without a final metric cannot count' 'cannot be compared' ; do
  grep -qF -- "$want" "$html" || fail "index.html lacks: $want"
done
[ "$(grep -c 'no finished run to show' "$dir/learning_curves.gp")" -ge 1 ] ||
  fail "the learning curves do not mark the panels whose runs all diverged"
grep -qF 'out of \<memory\> \| \`x\`' "$md" || fail "report.md does not escape the error text"
grep -qF 'no interval with one seed' "$md" || fail "report.md lacks the one-seed note"

"$WB" compare --db "$db" --wide >"$tmp/cmp" || fail "wb compare exited $?"
grep -q 'no interval (1 seed)' "$tmp/cmp" || fail "compare does not say there is no interval"
grep -q 'not counted in .*seed 1 diverged' "$tmp/cmp" || fail "compare does not list the diverged runs"
grep -q 'not counted in .*seed 1 failed' "$tmp/cmp" || fail "compare does not list the failed run"
"$WB" compare --db "$db" --csv >"$tmp/cmp.csv"
csv_check "$tmp/cmp.csv" 29 7   # 6 configurations and the input's row
echo "# report: one seed, $diverged diverged and 1 failed run reported"
