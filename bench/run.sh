#!/usr/bin/env bash
# make bench: wb against PyTorch on the same U-Net, and against the machine's SGEMM limit, in one
# run. For each case (width 16 and 32, 1 and 2 threads) wb and PyTorch alternate, each timed as
# REPS repetitions of STEPS training steps after warm-up; the table gives medians and the spread
# (min-max) of samples/s, so machine noise shows. Rows are appended to bench/results.csv.
#
#   BENCH_REPS=7 BENCH_STEPS=30 make bench
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BT=$BUILD/bench/bench_train
WB=$BUILD/wb
PY=/usr/bin/python3
REPS=${BENCH_REPS:-7}
STEPS=${BENCH_STEPS:-30}
CSV=bench/results.csv
[ -x "$BT" ] || { echo "missing $BT (make bench builds it)"; exit 1; }
if ! $PY -c 'import torch' 2> /dev/null; then
  echo "PyTorch is missing: run 'make bench-deps' (Debian's python3-torch)"; exit 1
fi

# median and spread of a JSON list of numbers
stats() { $PY -c 'import json,sys,statistics as s; v=json.loads(sys.argv[1]); print("%.0f %.0f %.0f" % (s.median(v), min(v), max(v)))' "$1"; }
field() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); x=d
for k in sys.argv[2].split("."): x=x[k]
print(json.dumps(x))' "$1" "$2"; }

date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
# the results file itself does not make the code dirty
dirty=$(git status --porcelain --untracked-files=no -- . ":(exclude)$CSV" 2> /dev/null | grep -q . && echo 1 || echo 0)
compiler=$(cc --version | head -n 1)
torch_version=$($PY -c 'import torch; print(torch.__version__)')
[ -f "$CSV" ] || echo "date,commit,dirty,compiler,gemm,torch,case,width,threads,batch,wb_median,wb_min,wb_max,torch_median,torch_min,torch_max,ratio,wb_gflops,sgemm_gflops,share_of_sgemm,wb_rss_mb,torch_rss_mb" > "$CSV"

echo "wb $commit vs PyTorch $torch_version: training steps of the U-Net (depth 2, 16x16x3, batch 64,"
echo "MSE + 0.6 * Laplacian K8 reflect101, Adam), $REPS repetitions of $STEPS steps after warm-up;"
echo "samples/s as median [min-max]; 'vs best': against PyTorch's better thread count so far at that"
echo "width; GFLOP/s counts 2*M*N*K per GEMM (forward, weight and input gradient, no input gradient"
echo "for the first layer); share: of one 2048^3 SGEMM's GFLOP/s at the same thread count."
echo
printf '%-6s %-7s %-22s %-22s %-6s %-9s %-8s %-9s %-7s %s\n' width threads "wb samples/s" "PyTorch samples/s" ratio "vs best" "wb GF/s" "SGEMM GF/s" share "parts of wb's step (%)"
declare -A torch_best
for threads in 1 2; do
  sg=$(field "$($BT --sgemm 2048 --threads "$threads")" gflops)
  for width in 16 32; do
    w=$($BT --width "$width" --threads "$threads" --reps "$REPS" --steps "$STEPS")
    p=$($PY bench/torch_unet.py --width "$width" --threads "$threads" --reps "$REPS" --steps "$STEPS")
    read -r wmed wmin wmax <<< "$(stats "$(field "$w" samples_per_s)")"
    read -r pmed pmin pmax <<< "$(stats "$(field "$p" samples_per_s)")"
    flops=$(field "$w" flops_per_sample)
    gf=$(awk -v s="$wmed" -v f="$flops" 'BEGIN { printf "%.1f", s * f / 1e9 }')
    share=$(awk -v g="$gf" -v s="$sg" 'BEGIN { printf "%.0f%%", 100 * g / s }')
    ratio=$(awk -v a="$wmed" -v b="$pmed" 'BEGIN { printf "%.2f", a / b }')
    # PyTorch's better thread count so far (it can be slower on 2 threads than on 1)
    best=${torch_best[$width]:-0}
    [ "$pmed" -gt "$best" ] && best=$pmed
    torch_best[$width]=$best
    vsbest=$(awk -v a="$wmed" -v b="$best" 'BEGIN { printf "%.2f", a / b }')
    parts=$($PY -c 'import json,sys; d=json.loads(sys.argv[1])["seconds"]; t=sum(d.values())
print(" ".join("%s %.0f" % (k, 100 * v / t) for k, v in d.items()))' "$w")
    printf '%-6s %-7s %-22s %-22s %-6s %-9s %-8s %-9s %-7s %s\n' "$width" "$threads" "$wmed [$wmin-$wmax]" \
      "$pmed [$pmin-$pmax]" "${ratio}x" "${vsbest}x" "$gf" "$sg" "$share" "$parts"
    echo "$date,$commit,$dirty,\"$compiler\",$(field "$w" gemm),$torch_version,train,$width,$threads,64,$wmed,$wmin,$wmax,$pmed,$pmin,$pmax,$ratio,$gf,$sg,${share%\%},$(field "$w" peak_rss_mb),$(field "$p" peak_rss_mb)" >> "$CSV"
  done
done

echo
echo "Sweep throughput: experiments/smoke.ini (10 runs), wall time, fresh database each time."
for jobs in 1 2; do
  tmp=$(mktemp -d)
  t0=$EPOCHREALTIME
  "$WB" sweep experiments/smoke.ini --db "$tmp/s.db" --jobs "$jobs" --quiet > /dev/null
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  rm -rf "$tmp"
  echo "  --jobs $jobs: $secs s"
  echo "$date,$commit,$dirty,\"$compiler\",,$torch_version,smoke_sweep_seconds,,$jobs,,$secs,,,,,,,,,,," >> "$CSV"
done
echo
rss_wb=$(field "$($BT --width 16 --threads 1 --reps 1 --steps 5)" peak_rss_mb)
rss_pt=$(field "$($PY bench/torch_unet.py --width 16 --threads 1 --reps 1 --steps 5)" peak_rss_mb)
printf 'Peak memory (RSS) of one training process at width 16, 1 thread: wb %.0f MB, PyTorch %.0f MB.\n' "$rss_wb" "$rss_pt"
echo "Rows appended to $CSV. Timings on a shared or virtual machine vary: compare ratios from one run."
