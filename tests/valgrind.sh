#!/usr/bin/env bash
# tests/valgrind.sh WB (make check-valgrind): a micro sweep under valgrind, coordinator and
# workers alike (--trace-children), then a resumed run, wb run, ls, show, query, merge, compare,
# report (gnuplot itself is not traced) and two configuration errors, each process checked: no
# memory error, 0 bytes definitely and indirectly lost. WB is a build without -march=native
# (valgrind knows no AVX-512) and with CBLAS (build-valgrind/wb: see the Makefile).
# Prints the totals; exit 1 when anything leaked or erred.
set -u
WB=${1:-build-valgrind/wb}
WB=$(cd "$(dirname "$WB")" && pwd)/$(basename "$WB")
cd "$(dirname "$0")/.." || exit 2
T=$(mktemp -d /tmp/wb-valgrind-XXXXXX)
trap 'rm -rf "$T"' EXIT
logs=$T/logs
mkdir "$logs"
# Suppressions: none. Thread stacks of OpenMP's pool and oneDNN's caches are "possibly lost" or
# "still reachable", which are reported but not counted as leaks.
vg() {
  valgrind --trace-children=yes --trace-children-skip='*gnuplot*' --child-silent-after-fork=yes \
    --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --log-file="$logs/%q{VG_STEP}.%p.log" "$WB" "$@"
}
step() {   # NAME EXPECTED_STATUS ARGS...
  local name=$1 want=$2 rc t0=$SECONDS
  shift 2
  VG_STEP=$name vg "$@" > "$T/$name.out" 2> "$T/$name.err"; rc=$?
  printf '%-14s exit %-3s (expected %s) %4d s\n' "$name" "$rc" "$want" $((SECONDS - t0))
  [ "$rc" = "$want" ] || { echo "  $name: unexpected exit status"; tail -n 5 "$T/$name.err"; failed=1; }
}
export VG_STEP
failed=0

cp experiments/micro.ini "$T/micro.ini"
step sweep 0 sweep "$T/micro.ini" --db "$T/v.db" --jobs 2
# A resumed run: run 1 as if stopped after epoch 1 (last.prev.safetensors holds epoch 1).
sqlite3 "$T/v.db" "UPDATE runs SET status = 'interrupted', epochs_done = 1 WHERE id = 1;
                   DELETE FROM metrics WHERE run_id = 1 AND epoch > 1;
                   UPDATE checkpoints SET epoch = 1 WHERE run_id = 1 AND kind = 'last'"
step resume 0 sweep "$T/micro.ini" --db "$T/v.db" --quiet
[ "$(sqlite3 "$T/v.db" "SELECT status || epochs_done FROM runs WHERE id = 1")" = finished2 ] ||
  { echo "  resume: run 1 did not finish"; failed=1; }
step run 0 run "$T/micro.ini" --db "$T/r.db" --set sweep.seeds=1 --set loss.laplacian_weight=0.6 --set loss.kernel=4 --quiet
step ls 0 ls --db "$T/v.db"
step show 0 show 2 --db "$T/v.db"
step query 0 query "SELECT * FROM summary" --db "$T/v.db" --csv
step merge 0 merge "$T/m.db" "$T/v.db" "$T/r.db"
step compare 0 compare --db "$T/v.db" --csv
step report 0 report --db "$T/v.db" --out "$T/report"
step config_error 2 sweep "$T/nonexistent.ini"
printf '[train]\nlr = nan\n' > "$T/bad.ini"
step bad_value 2 sweep "$T/bad.ini"

# Every process's log: errors, definitely and indirectly lost bytes.
definite=0 indirect=0 errors=0 procs=0
for f in "$logs"/*.log; do
  procs=$((procs + 1))
  d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -n1)
  i=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -n1)
  e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d , | tail -n1)
  definite=$((definite + ${d:-0})); indirect=$((indirect + ${i:-0})); errors=$((errors + ${e:-0}))
  if [ "${d:-0}" != 0 ] || [ "${i:-0}" != 0 ] || [ "${e:-0}" != 0 ] || grep -q "Invalid \|uninitialised\|Mismatched" "$f"; then
    echo "--- $(basename "$f")"; head -n 60 "$f"; failed=1
  fi
done
echo "valgrind: $procs processes: $definite bytes definitely lost, $indirect bytes indirectly lost, $errors errors"
[ "$procs" -ge 14 ] || { echo "valgrind: expected a log per process (the workers too)"; failed=1; }
exit $failed
