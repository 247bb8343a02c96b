#!/usr/bin/env bash
# tests/cli_report.sh: wb report and wb compare on a real micro sweep (3 configurations x 2 seeds).
# Checks: index.html, report.md, every chart ($CHARTS) as valid PNG and SVG, grid.png; gnuplot
# exits 0 on every script when re-run in the report folder; the page holds the verdicts and charts
# and nothing from the network; wb compare prints the table with the best marked, and --csv parses
# with one row per configuration; exit statuses for bad usage, a missing database or sweep, and a
# missing gnuplot. Run from the repository top with WB set to the binary.
# cli_report_lib.sh sets -euo pipefail, checks $WB, makes $tmp and defines fail.
. "$(dirname "$0")/cli_report_lib.sh"

"$WB" sweep experiments/micro.ini --db "$tmp/m.db" >/dev/null 2>"$tmp/progress"
"$WB" report --db "$tmp/m.db" >"$tmp/out" 2>"$tmp/err" || fail "wb report exited $?: $(cat "$tmp/err")"
dir="$tmp/report-micro"
grep -qx "$dir/index.html" "$tmp/out" || fail "wb report did not print where the page is"

# ---- files --------------------------------------------------------------------------------
for f in index.html report.md grid.png gnuplot.log; do
  [ -f "$dir/$f" ] || fail "missing $f"
done
for c in $CHARTS; do
  for ext in gp dat png svg; do [ -f "$dir/$c.$ext" ] || fail "missing $c.$ext"; done
  check_png "$dir/$c.png" 20000
  check_svg "$dir/$c.svg"
done
check_png "$dir/grid.png" 5000
# The tiles: the 8 most detailed of the 32 preview patches, 16x16 at 5x (the largest whole
# enlargement within the report's 1060 pixels), 4-pixel gaps; input, target, the baseline, best
# and worst (the largest effective weight is the worst here), 3 error maps, 4 Laplacian maps:
# 12 columns of 80 pixels, 12 * 80 + 11 * 4 = 1004 wide, 8 * 80 + 7 * 4 = 668 high.
[ "$(png_size "$dir/grid_tiles.png")" = "1004x668" ] ||
  fail "grid_tiles.png is $(png_size "$dir/grid_tiles.png")"
# grid.png: the same tiles under a 62-pixel strip of group and column titles that gnuplot drew.
[ "$(png_size "$dir/grid.png")" = "1004x730" ] || fail "grid.png is $(png_size "$dir/grid.png")"
for head in "'images'" "'input'" "'target'" "'baseline'" "'best'" "'worst'" "'λ=0.6 K4'" "'λ=0'"; do
  grep -qF "$head at first" "$dir/grid.gp" || fail "grid.gp lacks the column title $head"
done
# The maps' scales, said above them.
grep -qE "'error \|prediction − target\|, white ≥ [0-9.]+' at first" "$dir/grid.gp" ||
  fail "grid.gp does not say the error maps' scale"
grep -qE "'Laplacian maps, white \+[0-9.]+, black −[0-9.]+' at first" "$dir/grid.gp" ||
  fail "grid.gp does not say the Laplacian maps' scale"

# ---- gnuplot exits 0 on every script, run the way a user would ------------------------------
for c in $CHARTS; do
  rm -f "$dir/$c.png" "$dir/$c.svg"
  (cd "$dir" && gnuplot "$c.gp") >"$tmp/gp.log" 2>&1 || fail "gnuplot $c.gp exited $?: $(cat "$tmp/gp.log")"
  [ ! -s "$tmp/gp.log" ] || fail "gnuplot $c.gp said: $(cat "$tmp/gp.log")"
  check_png "$dir/$c.png" 20000
  check_svg "$dir/$c.svg"
done

# ---- the page -----------------------------------------------------------------------------
html="$dir/index.html" md="$dir/report.md"
# The environment names the GEMM library and 3x3 kernels the runs recorded (oneDNN, or CBLAS in
# GEMM=cblas builds).
gemm=$("$WB" query "SELECT DISTINCT gemm_library FROM runs" --db "$tmp/m.db" --csv | tail -n 1 | tr -d '\r')
for want in '<h2 id="verdict">Verdict</h2>' 'λ = 0.6 (eff. 12), kernel 4: not converged: ' \
            'λ = 0.6 (eff. 43.2), kernel 8: not converged: ' 'after Holm' \
            '<strong>Helps</strong>' '<strong>Hurts</strong>' \
            '<strong>Equivalent to the baseline within ±0.2 dB</strong>' \
            '<strong>Undecided (more seeds would decide)</strong>' \
            '<strong>Not converged (no verdict)</strong>' 'All 6 runs finished.' \
            '<tr class="best">' 'Laplacian of the target' '<h2 id="answer">The answer</h2>' \
            '<p class="answer">On denoise (noise σ 0.1), 16x16 patches' \
            '<h2 id="robust">Beyond the t-test</h2>' '<h2 id="takehome">The loss to take home</h2>' \
            'It was not executed: TensorFlow is not available' \
            '<pre>; A few seconds' "$gemm" 'Student' 'Holm' 'δ = 0.2 dB' ; do
  grep -qF -- "$want" "$html" || fail "index.html lacks: $want"
done
# One file to mail: every image is inline, a data URI holding the very bytes of the PNG beside it
# (the folder keeps the PNG, SVG, .dat and .gp files for editing); no src names a file.
inline_png() {   # the base64 of the data URI after the prefix $1, decoded
  grep -oF "$1data:image/png;base64," "$html" >/dev/null || return 1
  sed -n "s|.*$1data:image/png;base64,\([A-Za-z0-9+/=]*\)\".*|\1|p" "$html" | head -n 1 | base64 -d
}
for c in $CHARTS; do
  inline_png "<a href=\"$c.svg\"><img src=\"" >"$tmp/inline.png" || fail "index.html lacks chart $c inline"
  cmp -s "$tmp/inline.png" "$dir/$c.png" || fail "the inline $c differs from $c.png"
done
inline_png '<a href="grid.png"><img class="pixelated natural" src="' >"$tmp/inline.png" ||
  fail "index.html lacks the grid inline"
cmp -s "$tmp/inline.png" "$dir/grid.png" || fail "the inline grid differs from grid.png"
! grep -qE 'src="[^d]' "$html" || fail "index.html refers to an image file: it would break when copied alone"
# The answer leads: it comes before the key table, which comes before the verdicts.
answer_at=$(grep -bo '<h2 id="answer">' "$html" | cut -d: -f1)
key_at=$(grep -bo '<h2 id="key-table">' "$html" | cut -d: -f1)
verdict_at=$(grep -bo '<h2 id="verdict">' "$html" | cut -d: -f1)
[ "$answer_at" -lt "$key_at" ] && [ "$key_at" -lt "$verdict_at" ] ||
  fail "the page does not open with the answer, then the key table"
# The report ends with the loss to take home, as PyTorch and TensorFlow code.
tail -c 3000 "$html" | grep -qF 'def wb_loss(pred, target):' || fail "index.html does not end with the loss"
grep -qF '```python' "$md" || fail "report.md lacks the loss as code"
# wb compare opens with the same answer.
# (its paragraph, wrapped to 100 columns, read back as one line)
"$WB" compare --db "$tmp/m.db" | awk 'NR > 2 && /^$/ { exit } NR > 2' | paste -sd' ' >"$tmp/compare_answer"
grep -oE '<p class="answer">[^<]*' "$html" | sed -e 's/<p class="answer">//' -e "s/&#39;/'/g" \
  -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' >"$tmp/page_answer"
diff "$tmp/compare_answer" "$tmp/page_answer" >/dev/null ||
  fail "wb compare and the report answer differently: $(cat "$tmp/compare_answer")"
! grep -qi '<script' "$html" || fail "index.html has a script"
! grep -qE '(src|href)="(https?:)?//' "$html" || fail "index.html refers to the network"
# The same verdict sentences in both files (HTML escapes quotes, Markdown its brackets).
grep -oE '<li>λ = [^<]*</li>' "$html" | sed -e 's/<[^>]*>//g' -e "s/&#39;/'/g" >"$tmp/v.html"
grep -E '^- λ = ' "$md" | sed -e 's/^- //' -e 's/\\//g' >"$tmp/v.md"
[ "$(wc -l <"$tmp/v.html")" -eq 2 ] || fail "expected 2 verdicts in index.html"
diff "$tmp/v.html" "$tmp/v.md" >/dev/null || fail "verdicts differ between index.html and report.md"
grep -qF '![Learning curves](learning_curves.png)' "$md" || fail "report.md lacks a chart"

# ---- wb compare ---------------------------------------------------------------------------
"$WB" compare --db "$tmp/m.db" >"$tmp/cmp" || fail "wb compare exited $?"
grep -qE '^\*  λ = ' "$tmp/cmp" || fail "wb compare marks no best configuration: $(cat "$tmp/cmp")"
grep -q 'not converged\|equivalent\|undecided\|helps\|hurts' "$tmp/cmp" || fail "wb compare has no verdict"
grep -q '^λ = 0.6 (eff. 12), kernel 4: not converged: ' "$tmp/cmp" ||
  fail "wb compare has no verdict sentence: $(cat "$tmp/cmp")"
"$WB" compare --db "$tmp/m.db" --csv >"$tmp/cmp.csv" || fail "wb compare --csv exited $?"
configs=$("$WB" query "SELECT count(DISTINCT config_id) FROM runs" --db "$tmp/m.db" --csv |
          tail -n 1 | tr -d "\r")
csv_check "$tmp/cmp.csv" 29 "$((configs + 1))"   # and the input's row (one data set)
grep -q '^input,input (no network),,,,,[0-9]*,[0-9]*,[0-9.e-]*,.*,reference,0' "$tmp/cmp.csv" ||
  fail "CSV has no input row: $(cat "$tmp/cmp.csv")"
grep -q '^   input (no network) .* reference$' "$tmp/cmp" || fail "wb compare has no input row"
header="config,label,laplacian_weight,kernel,border,kernel_norm,n,runs,mean,sd,ci_low,ci_high"
header+=",pairs,diff_mean,diff_ci_low,diff_ci_high,p,p_holm,verdict,best,effective_weight,margin"
header+=",paired_sd,mde,seeds_needed,diff_ci90_low,diff_ci90_high,p_equivalence,converged"
[ "$(head -n 1 "$tmp/cmp.csv" | tr -d '\r')" = "$header" ] ||
  fail "unexpected CSV header: $(head -n 1 "$tmp/cmp.csv")"
grep -qF '"λ = 0.6 (eff. 12), kernel 4",0.59999999999999998,4,reflect101,none,2,2,' "$tmp/cmp.csv" ||
  fail "CSV row of λ = 0.6, kernel 4 not as expected: $(cat "$tmp/cmp.csv")"
[ "$(awk -F, 'NR > 1 { s += $(NF - 9) } END { print s }' "$tmp/cmp.csv")" = 1 ] || fail "not one best row"
"$WB" compare --db "$tmp/m.db" --metric val.ssim --at best --csv >"$tmp/cmp2.csv" ||
  fail "compare --metric val.ssim --at best exited $?"
csv_check "$tmp/cmp2.csv" 29 "$((configs + 1))"

# ---- one label everywhere ------------------------------------------------------------------
label='λ = 0.6 (eff. 12), kernel 4'
run=$("$WB" query "SELECT id FROM runs WHERE laplacian_weight = 0.6 AND kernel = '4' AND seed = 1" \
      --db "$tmp/m.db" --csv | tail -n 1 | tr -d '\r')
"$WB" ls --db "$tmp/m.db" >"$tmp/ls"
"$WB" show "$run" --db "$tmp/m.db" >"$tmp/show"
grep -qF "run 3/6, $label, seed 1: starting" "$tmp/progress" || fail "progress: $(head -n 3 "$tmp/progress")"
grep -qF "run 3/6, $label, seed 1, epoch 2/2: loss" "$tmp/progress" || fail "progress lacks the label"
for f in ls show cmp cmp.csv; do
  grep -qF "$label" "$tmp/$f" || fail "wb $f lacks the label '$label': $(cat "$tmp/$f")"
done
grep -E '^micro +[0-9]+ ' "$tmp/show" | grep -qF "$label" || fail "wb show's sweeps table lacks the label"
grep -qE "^loss.laplacian_weight +0.6\$" "$tmp/show" || fail "wb show prints λ with 17 digits"
# wb show's diagnostics (issue 12): the best epoch is the store's, the rise is the line's.
best=$("$WB" query "SELECT best_epoch FROM final WHERE run_id = $run" --db "$tmp/m.db" --csv |
       tail -n 1 | tr -d '\r')
grep -qE "^  best epoch: $best \(the epoch of the lowest validation MSE" "$tmp/show" ||
  fail "wb show's best epoch is not the store's ($best): $(grep 'best epoch' "$tmp/show")"
grep -qE "^  last-quarter rise: [-+][0-9.]+ dB.* \(validation PSNR over epochs 1-2" "$tmp/show" ||
  fail "wb show lacks the last-quarter rise: $(grep -A7 '^diagnostics' "$tmp/show")"
for d in "best to last" "epoch 0" dc_share; do
  grep -q "^  $d: " "$tmp/show" || fail "wb show lacks the diagnostic '$d'"
done
grep -qF "<td>$label</td>" "$html" || fail "index.html lacks the label"
grep -qF "| $label |" "$md" || fail "report.md lacks the label"

# ---- [report]: how results are judged, not what a run computes ----------------------------
cp experiments/micro.ini "$tmp/judged.ini"
printf '\n[report]\nmargin.psnr_pooled = 0.5 ; wider than the metric table'"'"'s 0.2 dB\n' >>"$tmp/judged.ini"
"$WB" sweep experiments/micro.ini --dry-run >"$tmp/dry.plain"
"$WB" sweep "$tmp/judged.ini" --dry-run >"$tmp/dry.judged"
diff "$tmp/dry.plain" "$tmp/dry.judged" >/dev/null || fail "[report] moved a hash: $(diff "$tmp/dry.plain" "$tmp/dry.judged")"
before=$("$WB" query "SELECT count(*) FROM metrics" --db "$tmp/m.db" --csv | tail -n 1 | tr -d '\r')
"$WB" sweep "$tmp/judged.ini" --db "$tmp/m.db" --quiet >/dev/null || fail "the judged sweep exited $?"
after=$("$WB" query "SELECT count(*) FROM metrics" --db "$tmp/m.db" --csv | tail -n 1 | tr -d '\r')
[ "$before" = "$after" ] || fail "[report] retrained runs ($before -> $after metric rows)"
[ "$("$WB" query "SELECT count(*) FROM params WHERE key LIKE '%margin%'" --db "$tmp/m.db" --csv |
     tail -n 1 | tr -d '\r')" = 0 ] || fail "[report] reached the params"
"$WB" compare --db "$tmp/m.db" >"$tmp/cmp.judged" || fail "wb compare exited $?"
grep -qF "δ = 0.5 dB for psnr_pooled (from the sweep's [report] section" "$tmp/cmp.judged" ||
  fail "wb compare ignores [report]: $(cat "$tmp/cmp.judged")"
grep -q 'equivalent (±0.5)\|undecided\|not converged\|helps\|hurts' "$tmp/cmp.judged" || fail "no verdict"
printf '[report]\nmargin.psnr = 0.1, 0.2\n' >"$tmp/bad.ini"
set +e; "$WB" sweep "$tmp/bad.ini" --dry-run >/dev/null 2>"$tmp/bad.err"; rc=$?; set -e
[ "$rc" = 2 ] || fail "a list in [report] exited $rc"
grep -qF 'bad.ini:2: [report] margin.psnr = 0.1, 0.2: one value' "$tmp/bad.err" ||
  fail "no message for a list in [report]: $(cat "$tmp/bad.err")"

# ---- exit statuses -------------------------------------------------------------------------
expect_status() {   # expect_status N command...
  local want=$1; shift
  set +e; "$@" >"$tmp/o" 2>"$tmp/e"; local got=$?; set -e
  [ "$got" -eq "$want" ] || fail "$* exited $got, expected $want: $(cat "$tmp/e")"
}
expect_status 0 "$WB" report --help
grep -q '^usage: wb report' "$tmp/o" || fail "report --help not on stdout"
expect_status 0 "$WB" compare --help
expect_status 2 "$WB" report --db "$tmp/none.db"
expect_status 2 "$WB" compare --db "$tmp/none.db"
expect_status 2 "$WB" report --db "$tmp/m.db" --sweep nosuch
grep -q "no sweep named 'nosuch'" "$tmp/e" || fail "no message for a missing sweep"
expect_status 2 "$WB" compare --db "$tmp/m.db" --sweep nosuch
expect_status 2 "$WB" compare --db "$tmp/m.db" --metric train.loss
expect_status 2 "$WB" compare --db "$tmp/m.db" --at middle
expect_status 2 "$WB" report --db "$tmp/m.db" --bogus
expect_status 2 "$WB" report --db "$tmp/m.db" extra

# gnuplot missing from PATH: exit 1, a clear message, and the page says what is missing.
expect_status 1 env PATH="$tmp/empty" "$WB" report --db "$tmp/m.db" --out "$tmp/nognuplot"
grep -q 'gnuplot not found on PATH' "$tmp/e" || fail "no message for a missing gnuplot: $(cat "$tmp/e")"
grep -q 'Not drawn: gnuplot not found on PATH' "$tmp/nognuplot/index.html" || fail "page does not say the charts are missing"
[ -f "$tmp/nognuplot/learning_curves.gp" ] || fail "scripts not written without gnuplot"
ncharts=$(wc -w <<<"$CHARTS")
echo "# report: $(wc -c <"$html") bytes of HTML, $ncharts charts, grid $(png_size "$dir/grid.png")"
