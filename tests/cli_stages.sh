#!/usr/bin/env bash
# wb sweep --until-decided (issue 21, item 7): after the file's seeds, the undecided
# configurations and their baselines get the seeds Stein's two-stage rule fixes from the first
# stage's paired sd (analysis/stein.h), recorded before they train and tested once with the first
# stage's sd and degrees of freedom; the plan is printed first (--dry-run: only that, nothing
# written); the limits cap it; a configuration gets one second stage only; the runs stay in the
# sweep when it is run again.
. tests/cli_lib.sh

# Two budgets with wsd (a sweep of budgets judges no convergence: undecided is undecided).
micro_ini "$T/s.ini" "seeds=1, 2, 3" "laplacian_weight=0, 0.6" "epochs=1, 2"
sed -i 's|^epochs *=.*|epochs = 1, 2\nschedule = wsd\ndecay_fraction = 0.5\nlr_min = 0.0001|' "$T/s.ini"
"$WB" sweep "$T/s.ini" --db "$T/s.db" --quiet > /dev/null || fail "the first stage"
eq "first stage: 18 runs" "$(sq "$T/s.db" "SELECT count(*) FROM sweep_runs")" 18

"$WB" sweep "$T/s.ini" --db "$T/s.db" --until-decided --max-seeds 6 --dry-run > "$T/plan.txt"; rc=$?
eq "--until-decided --dry-run exits 0" "$rc" 0
check "  it prints the plan, Stein's design" grep -q "Stein's two-stage design" "$T/plan.txt"
check "  with the seeds a configuration gets" grep -q 'kernel [48]: undecided at 2 epochs with 3 seed pairs, paired sd .*: Stein.s N = [0-9]*.*; seeds 4-6 (3 more)' "$T/plan.txt"
check "  the baseline gets them too" grep -q 'λ = 0 (the baseline of those): seeds 4-6 (3 more)' "$T/plan.txt"
check "  and the cost" grep -q 'runs to train, [0-9]* epochs, about' "$T/plan.txt"
eq "  a dry run records nothing" "$(sq "$T/s.db" "SELECT count(*) FROM stage_plans")" 0
eq "  and adds no run" "$(sq "$T/s.db" "SELECT count(*) FROM runs WHERE role = 'run'")" 18

undecided=$(grep -c ': undecided at' "$T/plan.txt")
"$WB" sweep "$T/s.ini" --db "$T/s.db" --until-decided --max-seeds 6 > "$T/run.txt" 2> /dev/null; rc=$?
eq "--until-decided exits 0" "$rc" 0
# a configuration's both budgets get the seeds (one trajectory each), the baseline's too
eq "the plan is recorded: both budgets of each undecided configuration and of the baseline" \
   "$(sq "$T/s.db" "SELECT count(*) FROM stage_plans")" $((2 * (undecided + 1)))
eq "  with its first stage (3 pairs) for the tested ones" \
   "$(sq "$T/s.db" "SELECT count(*) FROM stage_plans WHERE stage1_n = 3 AND stage1_sd > 0")" $((2 * undecided))
eq "  and seeds 4, 5, 6" "$(sq "$T/s.db" "SELECT DISTINCT seeds FROM stage_plans")" "4,5,6"
eq "the second stage's runs trained, in the sweep after its grid" \
   "$(sq "$T/s.db" "SELECT count(*), min(l.grid_index), sum(r.status = 'finished') FROM sweep_runs l JOIN runs r ON r.id = l.run_id WHERE r.seed > 3")" \
   "$((6 * (undecided + 1)))|18|$((6 * (undecided + 1)))"

# Stein's test: the mean of all 6 pairs, the first stage's sd over sqrt(6), t(0.975, 2).
"$WB" compare "$T/s.ini" --db "$T/s.db" --csv > "$T/c.csv"
k4=$(sq "$T/s.db" "SELECT config_id FROM runs r JOIN stage_plans p USING (config_id) WHERE r.epochs = 2 AND p.stage1_n = 3 ORDER BY r.kernel LIMIT 1")
kernel=$(sq "$T/s.db" "SELECT kernel FROM runs WHERE config_id = '$k4' LIMIT 1")
s1=$(sq "$T/s.db" "SELECT printf('%.17g', stage1_sd) FROM stage_plans WHERE config_id = '$k4'")
if [ -n "$s1" ]; then
  pairs=$(sq "$T/s.db" "SELECT printf('%.17g', m.value - mb.value) FROM runs r
            JOIN metrics m ON m.run_id = r.id AND m.split = 'test' AND m.name = 'psnr_pooled' AND m.epoch = 2
            JOIN runs b ON b.seed = r.seed AND b.laplacian_weight = 0 AND b.epochs = 2 AND b.role = 'run'
            JOIN metrics mb ON mb.run_id = b.id AND mb.split = 'test' AND mb.name = 'psnr_pooled' AND mb.epoch = 2
            WHERE r.config_id = '$k4' ORDER BY r.seed")
  first_sd=$(printf '%s\n' "$pairs" | head -3 | awk '{ x[NR] = $1; s += $1 } END { m = s / 3; for (i = 1; i <= 3; i++) v += (x[i] - m)^2; printf "%.12g", sqrt(v / 2) }')
  check "  the plan's sd is the first stage's paired sd" awk -v a="$s1" -v b="$first_sd" 'BEGIN { exit !((a - b)^2 < 1e-20) }'
  want=$(printf '%s\n' "$pairs" | awk -v s1="$s1" '{ s += $1; n++ } END { m = s / n; h = 4.302652729911275 * s1 / sqrt(n); printf "%.12g %.12g %.12g", m, m - h, m + h }')
  got=$(sqlite3 -batch -noheader :memory: ".import --csv $T/c.csv k" \
          "SELECT printf('%.17g %.17g %.17g', diff_mean, diff_ci_low, diff_ci_high) FROM k
           WHERE label LIKE '%epochs 2, kernel $kernel'")
  check "  compare's difference and 95 % interval are Stein's (got '$got', want '$want')" \
    awk -v g="$got" -v w="$want" 'BEGIN { split(g, a, " "); split(w, b, " "); for (i = 1; i <= 3; i++) if ((a[i] - b[i])^2 > 1e-18) exit 1 }'
  "$WB" compare "$T/s.ini" --db "$T/s.db" --wide > "$T/c.txt"
  check "  and its sentence says the test is Stein's" grep -q "Stein's two-stage test: the seeds beyond the first 3" "$T/c.txt"
else
  fail "no configuration was undecided: the test needs another data set ($(cat "$T/plan.txt"))"
fi

"$WB" sweep "$T/s.ini" --db "$T/s.db" --until-decided --max-seeds 9 > "$T/again.txt" 2> /dev/null
check "a second --until-decided adds nothing to a configuration with a second stage" \
  grep -q "nothing to add" "$T/again.txt"
eq "  no plan added" "$(sq "$T/s.db" "SELECT count(*) FROM stage_plans")" $((2 * (undecided + 1)))
"$WB" sweep "$T/s.ini" --db "$T/s.db" --quiet > /dev/null
eq "the plain sweep keeps the second stage's runs in the sweep" \
   "$(sq "$T/s.db" "SELECT count(*) FROM sweep_runs")" $((18 + 6 * (undecided + 1)))

# The limits: --time far below the cost leaves the plan empty or smaller.
cp "$T/s.db" "$T/t.db"; sq "$T/t.db" "DELETE FROM stage_plans"
"$WB" sweep "$T/s.ini" --db "$T/t.db" --until-decided --max-seeds 6 --time 0.001s --dry-run > "$T/short.txt"
check "--time below the cost of one seed: nothing added" grep -q "nothing to add" "$T/short.txt"
"$WB" sweep "$T/s.ini" --until-decided --time soon > /dev/null 2> "$T/bad.err"; rc=$?
eq "a bad --time is a usage error" "$rc" 2
"$WB" sweep "$T/s.ini" --until-decided --shard 0/2 > /dev/null 2> "$T/bad.err"; rc=$?
eq "--until-decided on a shard is a usage error" "$rc" 2
finish
