#!/usr/bin/env bash
# Budgets (issue 21): with train.schedule = wsd, the runs of a configuration that differ in their
# budget (train.epochs) share one trajectory, the stable phase, and each budget is a branch: the
# trajectory's epochs up to the budget's fork, then its own decay.
#   1. a branch equals the budget trained alone (wb run), bit for bit: every metric and file;
#   2. extending the budgets (2, 4 -> 2, 4, 8) trains nothing twice: the trajectories go on from
#      their last epoch, the new branches train their decay, the old runs stay as they were;
#   3. a sweep killed while a trajectory trains resumes to the same numbers;
#   4. shards keep a trajectory with its branches, and merged they equal the unsharded sweep;
#   5. the dry run shows the plan.
. tests/cli_lib.sh

budgets_ini() {   # budgets_ini OUT EPOCHS [key=value...]
  local out=$1 epochs=$2; shift 2
  micro_ini "$out" "epochs=$epochs" "$@"
  sed -i "s|^epochs *=.*|epochs = $epochs\nschedule = wsd\ndecay_fraction = 0.5\nlr_min = 0.0001\nwarmup_steps = 2|" "$out"
}
dump_runs() {   # every metric but the timings of the runs (not the trajectories), by hash
  sq "$1" "SELECT r.config_hash, m.epoch, m.split, m.name, printf('%.17g', m.value)
           FROM metrics m JOIN runs r ON r.id = m.run_id
           WHERE m.name NOT IN ('seconds', 'samples_per_s') AND r.role = 'run' ORDER BY 1, 2, 3, 4"
}
hashes_of() {   # the SHA-256 of every file of every run folder, by folder and name
  (cd "$1" && find . -type f ! -name 'fork-*' ! -name '.*' | sort | xargs sha256sum)
}

# ---- 1. a branch equals the budget alone ---------------------------------------------------------
budgets_ini "$T/b.ini" "2, 4"
"$WB" sweep "$T/b.ini" --db "$T/b.db" --jobs 2 > /dev/null 2> "$T/b.err"; rc=$?
eq "the wsd sweep of budgets 2 and 4 exits 0" "$rc" 0
eq "12 runs in the sweep, all finished" \
   "$(sq "$T/b.db" "SELECT count(*), sum(r.status = 'finished') FROM runs r JOIN sweep_runs l ON l.run_id = r.id")" "12|12"
eq "6 trajectories (one per configuration and seed), in no grid" \
   "$(sq "$T/b.db" "SELECT count(*), sum(id IN (SELECT run_id FROM sweep_runs)) FROM runs WHERE role = 'trajectory'")" "6|0"
eq "each trained as far as the latest fork (4 - ceil(0.5 * 4) = 2), finished" \
   "$(sq "$T/b.db" "SELECT group_concat(DISTINCT status || ':' || epochs_done) FROM runs WHERE role = 'trajectory'")" "finished:2"
eq "every run names its trajectory and its fork (budget 2: epoch 1, budget 4: epoch 2)" \
   "$(sq "$T/b.db" "SELECT group_concat(DISTINCT epochs || '@' || fork_epoch) FROM (SELECT * FROM runs WHERE role = 'run' AND trajectory_id IS NOT NULL ORDER BY epochs)")" "2@1,4@2"
eq "a trajectory never reads the test split" \
   "$(sq "$T/b.db" "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.role = 'trajectory' AND m.split = 'test'")" 0
for e in 2 4; do for l in 0 0.6; do for k in 4 8; do for seed in 1 2; do
  [ "$l" = 0 ] && [ "$k" = 8 ] && continue
  "$WB" run "$T/b.ini" --db "$T/alone.db" --quiet --set "train.epochs=$e" \
    --set "loss.laplacian_weight=$l" --set "loss.kernel=$k" --set "sweep.seeds=$seed" > /dev/null \
    || fail "wb run alone: epochs $e, λ $l, kernel $k, seed $seed"
done; done; done; done
eq "wb run trained the 12 budgets alone, without trajectories" \
   "$(sq "$T/alone.db" "SELECT count(*), sum(role = 'trajectory') FROM runs")" "12|0"
eq "every metric of every branch equals the budget trained alone, bitwise" \
   "$(dump_runs "$T/b.db")" "$(dump_runs "$T/alone.db")"
eq "and every file of every run folder (init, last, its optimizer state, best, the preview)" \
   "$(hashes_of "$T/b.db.runs" | grep -v -f <(sq "$T/b.db" "SELECT substr(config_hash, 1, 12) FROM runs WHERE role = 'trajectory'"))" \
   "$(hashes_of "$T/alone.db.runs")"

# wb show names a branch's trajectory and fork, and a trajectory's branches; wb ls lists the
# sweep's runs, not the trajectories.
t1=$(sq "$T/b.db" "SELECT min(id) FROM runs WHERE role = 'trajectory'")
b1=$(sq "$T/b.db" "SELECT id FROM runs WHERE trajectory_id = $t1 AND epochs = 4")
"$WB" show "$b1" --db "$T/b.db" > "$T/show.txt"
check "wb show of a branch names its trajectory and fork" \
  grep -q "branch of    run $t1 (.*), the stable phase to the end of epoch 2" "$T/show.txt"
"$WB" show "$t1" --db "$T/b.db" > "$T/show_t.txt"
check "wb show of a trajectory lists its budgets" \
  grep -q "trajectory   the stable phase of 2 branches (budgets 2, 4)" "$T/show_t.txt"
eq "wb show --json: the branch's role, trajectory and fork" \
   "$("$WB" show "$b1" --db "$T/b.db" --json | jq -c '[.role, .trajectory.id, .trajectory.fork_epoch]')" \
   "[\"run\",$t1,2]"
eq "wb show --json: the trajectory's branches" \
   "$("$WB" show "$t1" --db "$T/b.db" --json | jq -c '[.role, [.branches[].epochs]]')" '["trajectory",[2,4]]'
eq "wb ls lists the 12 runs of the sweep, no trajectory" \
   "$("$WB" ls --db "$T/b.db" --csv | tail -n +2 | wc -l)" 12

# ---- 2. extending the budgets trains nothing twice ------------------------------------------------
before=$(dump_runs "$T/b.db")
cp "$T/b.db" "$T/before.db"
budgets_ini "$T/b8.ini" "2, 4, 8"
"$WB" sweep "$T/b8.ini" --db "$T/b.db" --jobs 2 > /dev/null 2> "$T/b8.err"; rc=$?
eq "the extended sweep exits 0" "$rc" 0
eq "18 runs finished" "$(sq "$T/b.db" "SELECT count(*) FROM runs r JOIN sweep_runs l ON l.run_id = r.id WHERE r.status = 'finished'")" 18
# trained: each trajectory its epochs 3 and 4 (budget 8 forks at 4), each new branch 5 .. 8
eq "epochs trained: 6 trajectories x 2 stable epochs + 6 branches x 4 epochs of decay" \
   "$(grep -c ', epoch [0-9]*/[0-9]*:' "$T/b8.err")" $((6 * 2 + 6 * 4))
eq "  the stable epochs are 3 and 4 only" \
   "$(grep '(stable phase), epoch' "$T/b8.err" | sed 's/.*, epoch \([0-9]*\)\/.*/\1/' | sort -u | tr '\n' ' ')" "3 4 "
eq "  the branches' epochs are 5 to 8 only" \
   "$(grep -v 'stable phase' "$T/b8.err" | grep ', epoch [0-9]*/' | sed 's/.*, epoch \([0-9]*\)\/.*/\1/' | sort -u | tr '\n' ' ')" "5 6 7 8 "
eq "the runs trained before are as they were, every metric" \
   "$(dump_runs "$T/b.db" | grep -F -f <(sq "$T/before.db" "SELECT config_hash FROM runs WHERE role = 'run'"))" "$before"
eq "the trajectories' epochs 0 .. 2 are as they were" \
   "$(sq "$T/b.db" "SELECT r.config_hash, m.epoch, m.split, m.name, printf('%.17g', m.value) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.role = 'trajectory' AND m.epoch <= 2 AND m.name NOT IN ('seconds', 'samples_per_s') ORDER BY 1, 2, 3, 4")" \
   "$(sq "$T/before.db" "SELECT r.config_hash, m.epoch, m.split, m.name, printf('%.17g', m.value) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.role = 'trajectory' AND m.name NOT IN ('seconds', 'samples_per_s') ORDER BY 1, 2, 3, 4")"
for seed in 1 2; do
  "$WB" run "$T/b8.ini" --db "$T/alone.db" --quiet --set "train.epochs=8" \
    --set "loss.laplacian_weight=0.6" --set "loss.kernel=8" --set "sweep.seeds=$seed" > /dev/null \
    || fail "wb run alone: epochs 8, seed $seed"
done
eq "the new budget 8 equals it trained alone, bitwise" \
   "$(dump_runs "$T/b.db" | grep -F -f <(sq "$T/alone.db" "SELECT config_hash FROM runs WHERE epochs = 8"))" \
   "$(dump_runs "$T/alone.db" | grep -F -f <(sq "$T/alone.db" "SELECT config_hash FROM runs WHERE epochs = 8"))"

# The effect over the budget: one row per compared configuration and budget, each paired with
# the baseline of its budget; whether the verdict settled on the largest budget's row.
"$WB" compare "$T/b8.ini" --db "$T/b.db" --by-budget --csv > "$T/bb.csv"; rc=$?
eq "wb compare --by-budget --csv exits 0" "$rc" 0
eq "  2 configurations x 3 budgets, a header" "$(wc -l < "$T/bb.csv")" 7
eq "  its columns" "$(head -1 "$T/bb.csv" | tr -d '\r')" \
   "configuration,epochs,pairs,diff,diff_ci95_low,diff_ci95_high,diff_ci90_low,diff_ci90_high,p_holm,verdict,settled,settled_reason"
eq "  budgets 2, 4, 8 of each configuration, 2 pairs each" \
   "$(cut -d, -f3-4 "$T/bb.csv" | tail -n +2 | tr '\n' ' ')" "2,2 4,2 8,2 2,2 4,2 8,2 "
diff8=$(sq "$T/b.db" "SELECT printf('%.17g', avg(m.value - mb.value)) FROM runs r
          JOIN metrics m ON m.run_id = r.id AND m.split = 'test' AND m.name = 'psnr_pooled' AND m.epoch = 8
          JOIN runs b ON b.seed = r.seed AND b.epochs = 8 AND b.laplacian_weight = 0 AND b.role = 'run'
          JOIN metrics mb ON mb.run_id = b.id AND mb.split = 'test' AND mb.name = 'psnr_pooled' AND mb.epoch = 8
          WHERE r.epochs = 8 AND r.kernel = '4' AND r.role = 'run'")
check "  the difference at 8 epochs is the mean over the seeds of kernel 4 minus the baseline of 8 epochs" \
  awk -F, -v want="$diff8" 'NR > 1 && $3 == 8 { d = $5 - want; exit !(d < 1e-12 && d > -1e-12) }' "$T/bb.csv"
"$WB" compare "$T/b8.ini" --db "$T/b.db" --by-budget --wide > "$T/bb.txt"
# The answer in brief first (about 40 words), in compare, --by-budget and the report's answer box.
brief=$(sed -n 3p "$T/bb.txt")
check "  --by-budget opens with the brief answer: budgets, seeds, what helps or hurts, settled" \
  grep -qE "^Over 2 to 8 epochs \(2 seeds\):.* [0-9] of 2 verdicts settled" <<< "$brief"
check "  in at most 50 words" test "$(wc -w <<< "$brief")" -le 50
check "  wb compare gives it too, and points to --by-budget" \
  bash -c '"$1" compare "$2" --db "$3" --wide | sed -n 3,4p | grep -qF -- "$4"' _ "$WB" "$T/b8.ini" "$T/b.db" "settled: --by-budget."
check "  the sentence follows each configuration over its budgets" \
  grep -q "kernel 4: test PSNR [-+][0-9.]* dB at 2 epochs, [-+][0-9.]* at 4, [-+][0-9.]* at 8" "$T/bb.txt"
# The budget chart: a line style and a small sideways shift per kernel, the same at every budget
# (the panels of the other charts include the budget: 3 budgets x 2 kernels gave six styles and
# shifts of up to a third of a factor of two).
"$WB" report "$T/b8.ini" --db "$T/b.db" --out "$T/rep" > /dev/null 2>&1 || fail "wb report of the budgets"
check "the report's answer box holds the brief answer" \
  grep -qE '^Over 2 to 8 epochs \(2 seeds\):' <(sed -n '/^## The answer/,/^## /p' "$T/rep/report.md" | sed -n 3p)
eq "  the budget chart: one dash type per kernel" \
   "$(grep -o "title 'λ[^']*'" "$T/rep/budget.gp" | wc -l) lines, $(grep -o ' dt [0-9]*' "$T/rep/budget.gp" | sort -u | wc -l) dash types" "2 lines, 2 dash types"
check "  each shifted by less than a tenth of a factor of two" \
  awk '{ while (match($0, /\$1\*[0-9.]+/)) { f = substr($0, RSTART + 3, RLENGTH - 3) + 0; if (f < 0.93 || f > 1.075) bad = 1; $0 = substr($0, RSTART + RLENGTH) } } END { exit bad }' "$T/rep/budget.gp"
# Equivalence is decided by the 90 % interval of the two one-sided tests, not the 95 % interval the
# table shows: a configuration equivalent at its largest budget gives that interval in its sentence.
budgets_ini "$T/eq.ini" "2, 4" "laplacian_weight=0, 0.0000001" "kernel=4"
"$WB" sweep "$T/eq.ini" --db "$T/eq.db" --quiet > /dev/null || fail "the sweep of a negligible λ"
"$WB" compare "$T/eq.ini" --db "$T/eq.db" --by-budget --csv > "$T/eq.csv"
eq "a negligible λ is equivalent at both budgets" \
   "$(tail -n +2 "$T/eq.csv" | cut -d, -f2,10 | tr '\n' ' ')" "2,equivalent (±0.2) 4,equivalent (±0.2) "
lo=$(awk -F, '$2 == 4 { printf "%+.3f", $7 }' "$T/eq.csv"); hi=$(awk -F, '$2 == 4 { printf "%+.3f", $8 }' "$T/eq.csv")
"$WB" compare "$T/eq.ini" --db "$T/eq.db" --by-budget --wide > "$T/eq.txt"
check "  its sentence gives the 90 % interval that decided ([$lo, $hi])" \
  grep -qF "equivalent (±0.2) at 4 epochs (90 % interval [$lo, $hi])" "$T/eq.txt"
micro_ini "$T/one.ini" "epochs=2"
"$WB" sweep "$T/one.ini" --db "$T/one.db" --quiet > /dev/null
"$WB" compare "$T/one.ini" --db "$T/one.db" --by-budget > /dev/null 2> "$T/one.err"; rc=$?
eq "a sweep of one budget: --by-budget is a usage error" "$rc" 2
check "  that says why" grep -q "trains one budget (2 epochs)" "$T/one.err"
"$WB" serve --db "$T/one.db" --port 0 > "$T/serve1.out" 2> /dev/null &
serve_pid=$!
for _ in $(seq 100); do [ -s "$T/serve1.out" ] && break; sleep 0.1; done
url=$(head -n1 "$T/serve1.out")
eq "  and serve's sweep page has no budget table" "$(curl -s "${url%/}/api/sweep/1" | jq -c '.budget')" null
kill "$serve_pid" 2> /dev/null; wait "$serve_pid" 2> /dev/null

# wb serve's sweep page has the same table and sentences (null for a sweep of one budget).
"$WB" serve --db "$T/b.db" --port 0 > "$T/serve.out" 2> "$T/serve.err" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$T/serve.out" ] && break; sleep 0.1; done
url=$(head -n1 "$T/serve.out")
sweep=$(sq "$T/b.db" "SELECT id FROM sweeps WHERE name = 'micro'")
curl -s "${url%/}/api/sweep/$sweep" > "$T/api.json"
eq "serve: the budget table's rows, as wb compare --by-budget's" \
   "$(jq -r '.budget.rows[] | .[0:6] | join("|")' "$T/api.json" | wc -l)" 6
eq "  its budgets" "$(jq -c '.budget.budgets' "$T/api.json")" "[2,4,8]"
eq "  a sentence per configuration" "$(jq '.budget.sentences | length' "$T/api.json")" 2
check "  the answer" jq -e '.budget.answer | test("over budgets of 2 to 8 epochs")' "$T/api.json"
check "  the brief answer" jq -e '.budget.brief | test("^Over 2 to 8 epochs \\(2 seeds\\):.* verdicts settled")' "$T/api.json"
kill "$serve_pid" 2> /dev/null; wait "$serve_pid" 2> /dev/null

# ---- 3. killed while a trajectory trains, resumed ------------------------------------------------
budgets_ini "$T/k.ini" "2, 8" "train_patches=1024" "seeds=1" "laplacian_weight=0"
"$WB" sweep "$T/k.ini" --db "$T/kref.db" --quiet > /dev/null || fail "reference sweep"
setsid "$WB" sweep "$T/k.ini" --db "$T/k.db" > /dev/null 2> "$T/k.err" &
pid=$!
wait_for_line "$T/k.err" 'stable phase), epoch 2/4' || fail "the trajectory's epoch 2 of 4 never came"
kill -KILL -- "-$pid" 2> /dev/null
wait "$pid" 2> /dev/null
eq "killed in the stable phase between epochs 2 and 4" \
   "$(sq "$T/k.db" "SELECT epochs_done BETWEEN 2 AND 3 FROM runs WHERE role = 'trajectory'")" 1
"$WB" sweep "$T/k.ini" --db "$T/k.db" > /dev/null 2> "$T/k2.err"; rc=$?
eq "the sweep started again exits 0" "$rc" 0
check "  and resumed the trajectory" grep -q 'stable phase): resuming' "$T/k2.err"
eq "every metric equals the uninterrupted sweep's, bitwise" "$(dump_runs "$T/k.db")" "$(dump_runs "$T/kref.db")"

# A branch waiting for its trajectory is this worker's too: its heartbeat goes on while the
# stable phase trains (a bug: after 60 s of stable phase the waiting branch looked stale, another
# worker marked it interrupted, and the sweep stopped with "run ... is another process's now").
budgets_ini "$T/h.ini" "1, 12" "train_patches=1024" "seeds=1" "laplacian_weight=0"
"$WB" sweep "$T/h.ini" --db "$T/h.db" --quiet > /dev/null 2>&1 &
pid=$!
beats=$T/beats.txt
: > "$beats"
while kill -0 "$pid" 2> /dev/null; do
  sq "$T/h.db" "SELECT b.heartbeat_at FROM runs b JOIN runs t ON t.id = b.trajectory_id
                WHERE b.epochs = 12 AND b.status = 'running' AND b.epochs_done < b.fork_epoch
                  AND t.status = 'running'" 2> /dev/null >> "$beats"
  sleep 0.05
done
wait "$pid"; rc=$?
eq "the sweep of budgets 1 and 12 exits 0" "$rc" 0
check "the waiting branch's heartbeat moved while its trajectory trained ($(sort -u "$beats" | wc -l) values)" \
  test "$(sort -u "$beats" | grep -c .)" -ge 3

# ---- 4. shards and merge -------------------------------------------------------------------------
for k in 0 1; do
  "$WB" sweep "$T/b8.ini" --db "$T/s$k.db" --shard "$k/2" --quiet > /dev/null || fail "shard $k/2"
done
eq "each shard holds whole trajectories: every branch's trajectory is in its shard" \
   "$(for k in 0 1; do sq "$T/s$k.db" "SELECT count(*) FROM runs b LEFT JOIN runs t ON t.id = b.trajectory_id WHERE b.role = 'run' AND t.id IS NULL"; done | tr '\n' ' ')" "0 0 "
eq "and no trajectory is in both" \
   "$(cat <(sq "$T/s0.db" "SELECT config_hash FROM runs WHERE role = 'trajectory'") <(sq "$T/s1.db" "SELECT config_hash FROM runs WHERE role = 'trajectory'") | sort | uniq -d | wc -l)" 0
"$WB" merge "$T/m.db" "$T/s0.db" "$T/s1.db" > /dev/null || fail "merge of the shards"
eq "the merged shards equal the unsharded sweep, every metric" "$(dump_runs "$T/m.db")" "$(dump_runs "$T/b.db")"
eq "  every branch names its trajectory in the merged file" \
   "$(sq "$T/m.db" "SELECT count(*) FROM runs b JOIN runs t ON t.id = b.trajectory_id AND t.role = 'trajectory' WHERE b.role = 'run'")" 18
eq "  a branch and its trajectory pair as in the unsharded sweep" \
   "$(sq "$T/m.db" "SELECT b.config_hash || t.config_hash FROM runs b JOIN runs t ON t.id = b.trajectory_id ORDER BY 1")" \
   "$(sq "$T/b.db" "SELECT b.config_hash || t.config_hash FROM runs b JOIN runs t ON t.id = b.trajectory_id ORDER BY 1")"

# ---- 5. the plan -----------------------------------------------------------------------------
"$WB" sweep "$T/b8.ini" --db "$T/fresh.db" --dry-run > "$T/plan.txt"
check "the dry run names each run's fork" grep -q 'epochs 8, .*fork at epoch 4' "$T/plan.txt"
check "and counts the epochs to train: 6 trajectories to epoch 4, 18 decays" \
  grep -q '6 trajectories: 24 stable epochs, 18 branches: 42 epochs of decay' "$T/plan.txt"
finish
