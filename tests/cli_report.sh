#!/usr/bin/env bash
# tests/cli_report.sh: wb report and wb compare on a real micro sweep (3 configurations x 2 seeds).
# Checks: index.html, report.md, every chart ($CHARTS) as valid PNG and SVG, grid.png; gnuplot
# exits 0 on every script when re-run in the report folder; the page holds the verdicts and charts
# and nothing from the network; wb compare prints the table with the best marked, and --csv parses
# with one row per configuration; exit statuses for bad usage, a missing database or sweep, and a
# missing gnuplot. Run from the repository top with WB set to the binary.
set -euo pipefail
WB=${WB:?set WB to the wb binary}
tmp=$(mktemp -d /tmp/wb-cli-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

. "$(dirname "$0")/cli_report_lib.sh"

"$WB" sweep experiments/micro.ini --db "$tmp/m.db" --quiet
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
# 8 patches of 16 px at 8x with 4 px gaps: 8 * 128 + 7 * 4 = 1052 rows; 9 columns.
[ "$(png_size "$dir/grid.png")" = "1184x1052" ] || fail "grid.png is $(png_size "$dir/grid.png")"

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
for want in '<h2 id="verdict">Verdict</h2>' 'λ = 0.6 with kernel 4 changes test PSNR by' \
            'λ = 0.6 with kernel 8 changes test PSNR by' 'after Holm: ' \
            '<strong>Helps</strong>' '<strong>Hurts</strong>' \
            '<strong>Indistinguishable from the baseline</strong>' 'All 6 runs finished.' \
            '<tr class="best">' '<img src="grid.png"' 'Laplacian of the target' \
            '<pre>; A few seconds' "$gemm" 'Student' 'Holm' ; do
  grep -qF -- "$want" "$html" || fail "index.html lacks: $want"
done
for c in $CHARTS; do
  grep -qF "<a href=\"$c.svg\"><img src=\"$c.png\"" "$html" || fail "index.html lacks chart $c"
done
! grep -qi '<script' "$html" || fail "index.html has a script"
! grep -qE '(src|href)="(https?:)?//' "$html" || fail "index.html refers to the network"
# The same verdicts in both files (Markdown escapes its brackets).
grep -oE 'λ = [^<]* after Holm: [a-z]+\.' "$html" >"$tmp/v.html"
grep -oE 'λ = .* after Holm: [a-z]+\.' "$md" | sed 's/\\//g' >"$tmp/v.md"
[ "$(wc -l <"$tmp/v.html")" -eq 2 ] || fail "expected 2 verdicts in index.html"
diff "$tmp/v.html" "$tmp/v.md" >/dev/null || fail "verdicts differ between index.html and report.md"
grep -qF '![Learning curves](learning_curves.png)' "$md" || fail "report.md lacks a chart"

# ---- wb compare ---------------------------------------------------------------------------
"$WB" compare --db "$tmp/m.db" >"$tmp/cmp" || fail "wb compare exited $?"
grep -qE '^\*  λ = ' "$tmp/cmp" || fail "wb compare marks no best configuration: $(cat "$tmp/cmp")"
grep -q 'indistinguishable\|helps\|hurts' "$tmp/cmp" || fail "wb compare has no verdict"
"$WB" compare --db "$tmp/m.db" --csv >"$tmp/cmp.csv" || fail "wb compare --csv exited $?"
configs=$("$WB" query "SELECT count(DISTINCT config_id) FROM runs" --db "$tmp/m.db" --csv |
          tail -n 1 | tr -d "\r")
csv_check "$tmp/cmp.csv" 20 "$((configs + 1))"   # and the input's row (one data set)
grep -q '^input,input (no network),,,,,[0-9]*,[0-9]*,[0-9.e-]*,.*,reference,0' "$tmp/cmp.csv" ||
  fail "CSV has no input row: $(cat "$tmp/cmp.csv")"
grep -q '^   input (no network) .* reference$' "$tmp/cmp" || fail "wb compare has no input row"
header="config,label,laplacian_weight,kernel,border,kernel_norm,n,runs,mean,sd,ci_low,ci_high"
header+=",pairs,diff_mean,diff_ci_low,diff_ci_high,p,p_holm,verdict,best"
[ "$(head -n 1 "$tmp/cmp.csv" | tr -d '\r')" = "$header" ] ||
  fail "unexpected CSV header: $(head -n 1 "$tmp/cmp.csv")"
grep -qF '"λ = 0.6, kernel = 4",0.59999999999999998,4,reflect101,none,2,2,' "$tmp/cmp.csv" ||
  fail "CSV row of λ = 0.6, kernel 4 not as expected: $(cat "$tmp/cmp.csv")"
[ "$(awk -F, 'NR > 1 { s += $NF } END { print s }' "$tmp/cmp.csv")" = 1 ] || fail "not one best row"
"$WB" compare --db "$tmp/m.db" --metric val.ssim --at best --csv >"$tmp/cmp2.csv" ||
  fail "compare --metric val.ssim --at best exited $?"
csv_check "$tmp/cmp2.csv" 20 "$((configs + 1))"

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
