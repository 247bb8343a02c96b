#!/usr/bin/env bash
# SIGINT and SIGTERM (issue 7, acceptance 2): sent while an epoch is being trained, to `wb sweep`
# (SIGINT to the whole process group, as a terminal's Ctrl-C; SIGTERM to the coordinator alone, as
# kill or a batch scheduler would) and to `wb run`. Each time: the process exits 130 or 143 within
# 2 seconds, the run is `interrupted`, every logged epoch is whole (its checkpoint and all its
# rows, or nothing of it), and running the command again ends where an uninterrupted run ends,
# bit for bit.
. tests/cli_lib.sh

# 2 runs (one configuration, seeds 1 and 2) of 4 epochs of 4096 patches: an epoch takes long
# enough (0.3 s here, longer under sanitizers) for the signal to land inside it.
micro_ini "$T/s.ini" "epochs=4" "train_patches=4096" "laplacian_weight=0.6" "kernel=8"
"$WB" sweep "$T/s.ini" --db "$T/ref.db" --quiet > /dev/null || fail "reference sweep"
ref=$(metrics_dump "$T/ref.db")
eq "reference: 2 finished runs" "$(sq "$T/ref.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 2

# Every epoch in the database is whole: each split of each epoch has as many metrics as the split
# has anywhere in the database (every run here has λ > 0, so train's include loss_lap), epochs_done
# is the last epoch logged and the `last` checkpoint is of that epoch. Prints the problems found
# (none: nothing).
epochs_whole() {
  sq "$1" "SELECT 'run ' || run_id || ' epoch ' || epoch || ' ' || split || ': ' || count(*) || ' rows'
             FROM metrics m GROUP BY run_id, epoch, split
             HAVING count(*) <> (SELECT count(DISTINCT name) FROM metrics a WHERE a.split = m.split)
           UNION ALL
           SELECT 'run ' || r.id || ': epochs_done ' || r.epochs_done || ', last epoch logged '
                  || coalesce(max(m.epoch), -1)
             FROM runs r LEFT JOIN metrics m ON m.run_id = r.id GROUP BY r.id
             HAVING r.epochs_done <> coalesce(max(m.epoch), -1)
           UNION ALL
           SELECT 'run ' || r.id || ': ' || r.epochs_done || ' epochs done, ' ||
                  (SELECT count(DISTINCT epoch) FROM metrics m WHERE m.run_id = r.id
                   AND m.split = 'train') || ' with train rows'
             FROM runs r
             WHERE (SELECT count(DISTINCT epoch) FROM metrics m WHERE m.run_id = r.id
                    AND m.split = 'train' AND m.epoch BETWEEN 1 AND r.epochs_done)
                   <> max(r.epochs_done, 0)
           UNION ALL
           SELECT 'run ' || r.id || ': last checkpoint of epoch ' || c.epoch || ', ' ||
                  r.epochs_done || ' epochs done'
             FROM runs r JOIN checkpoints c ON c.run_id = r.id AND c.kind = 'last'
             WHERE c.epoch <> r.epochs_done" 2>&1
}

# signal_test NAME SIGNAL EXPECTED_STATUS WHOM COMMAND...: starts the command (in a new session,
# stderr to $T/NAME.err), waits for epoch 1's progress line, lets epoch 2 begin, sends SIGNAL to
# the process group (WHOM = group) or the process alone (WHOM = process) and measures the time to
# its exit.
signal_test() {
  local name=$1 sig=$2 want=$3 whom=$4 pid t0 rc dt
  shift 4
  setsid "$@" > "$T/$name.out" 2> "$T/$name.err" &
  pid=$!
  if ! wait_for_line "$T/$name.err" "epoch 1/4"; then
    fail "$name: no progress line for epoch 1"; kill -KILL -- "-$pid"; wait "$pid"; return
  fi
  sleep 0.1   # inside epoch 2
  t0=$EPOCHREALTIME
  if [ "$whom" = group ]; then kill -"$sig" -- "-$pid"; else kill -"$sig" "$pid"; fi
  wait "$pid"; rc=$?
  dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  echo "# report: $name: SIG$sig, exit $rc after $dt s"
  eq "$name: SIG$sig gives exit status $want" "$rc" "$want"
  check "$name: exits within 2 s of SIG$sig ($dt s)" awk -v d="$dt" 'BEGIN { exit !(d < 2) }'
  # Workers get the signal too (the group, or forwarded): none may outlive the coordinator.
  sleep 0.2
  check "$name: no process of the group is left" bash -c "! pgrep -g $pid > /dev/null"
}

# ---- wb sweep: SIGINT to the process group (Ctrl-C) ------------------------------------------
signal_test sweep-int INT 130 group "$WB" sweep "$T/s.ini" --db "$T/a.db"
eq "sweep-int: the run being trained is interrupted" \
   "$(sq "$T/a.db" "SELECT status || ':' || count(*) FROM runs GROUP BY status ORDER BY 1")" \
   "$(printf 'interrupted:1\nqueued:1')"
eq "sweep-int: the error says which signal" "$(sq "$T/a.db" "SELECT error FROM runs WHERE status = 'interrupted'")" "stopped by SIGINT"
eq "sweep-int: every logged epoch is whole" "$(epochs_whole "$T/a.db")" ""
eq "sweep-int: integrity_check" "$(sq "$T/a.db" "PRAGMA integrity_check")" ok
"$WB" sweep "$T/s.ini" --db "$T/a.db" --quiet > /dev/null; rc=$?
eq "sweep-int: the sweep run again exits 0" "$rc" 0
eq "sweep-int: and ends with the uninterrupted numbers, bitwise" "$(metrics_dump "$T/a.db")" "$ref"

# ---- wb sweep --jobs 2: SIGTERM to the coordinator alone, forwarded to both workers ---------
signal_test sweep-term TERM 143 process "$WB" sweep "$T/s.ini" --db "$T/b.db" --jobs 2
eq "sweep-term: both runs being trained are interrupted" \
   "$(sq "$T/b.db" "SELECT status || ':' || count(*) FROM runs GROUP BY status")" "interrupted:2"
eq "sweep-term: the error says which signal" "$(sq "$T/b.db" "SELECT DISTINCT error FROM runs")" "stopped by SIGTERM"
eq "sweep-term: every logged epoch is whole" "$(epochs_whole "$T/b.db")" ""
eq "sweep-term: integrity_check" "$(sq "$T/b.db" "PRAGMA integrity_check")" ok
"$WB" sweep "$T/s.ini" --db "$T/b.db" --quiet > /dev/null; rc=$?
eq "sweep-term: the sweep run again exits 0" "$rc" 0
eq "sweep-term: and ends with the uninterrupted numbers, bitwise" "$(metrics_dump "$T/b.db")" "$ref"

# ---- wb run: SIGINT and SIGTERM to the process ------------------------------------------------
hash1=$(sq "$T/ref.db" "SELECT config_hash FROM runs WHERE seed = 1")
ref1=$(echo "$ref" | grep "^$hash1|")
for s in INT TERM; do
  want=$([ $s = INT ] && echo 130 || echo 143)
  signal_test run-$s $s "$want" process "$WB" run "$T/s.ini" --set sweep.seeds=1 --db "$T/run-$s.db"
  eq "run-$s: the run is interrupted" "$(sq "$T/run-$s.db" "SELECT status || ' ' || error FROM runs")" "interrupted stopped by SIG$s"
  eq "run-$s: every logged epoch is whole" "$(epochs_whole "$T/run-$s.db")" ""
  eq "run-$s: integrity_check" "$(sq "$T/run-$s.db" "PRAGMA integrity_check")" ok
  "$WB" run "$T/s.ini" --set sweep.seeds=1 --db "$T/run-$s.db" --quiet > /dev/null; rc=$?
  eq "run-$s: run again, it exits 0" "$rc" 0
  eq "run-$s: and ends with the uninterrupted numbers, bitwise" "$(metrics_dump "$T/run-$s.db")" "$ref1"
done
"$WB" run "$T/s.ini" --set sweep.seeds=1 --db "$T/run-INT.db" > "$T/again.out"; rc=$?
eq "wb run of a finished run: exit 0" "$rc" 0
check "  and says it is done" grep -q "already done" "$T/again.out"

# ---- the bug this file found: signals that crashed or hung a process (6 more tries) -------
# Each SIGTERM lands inside an epoch of a fresh `wb run`; before the fix about one in three
# ended in SIGFPE, SIGABRT or a hang (test_regress_signals.c checks the mechanism).
bad=0
for i in 1 2 3 4 5 6; do
  setsid "$WB" run "$T/s.ini" --set sweep.seeds=1 --db "$T/many$i.db" > /dev/null 2> "$T/many.err" &
  pid=$!
  wait_for_line "$T/many.err" "epoch 1/4" || { kill -KILL -- "-$pid"; bad=$((bad + 1)); wait "$pid"; continue; }
  sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
  kill -TERM "$pid"
  for ((j = 0; j < 40; j++)); do kill -0 "$pid" 2> /dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2> /dev/null; then
    kill -KILL "$pid"; wait "$pid"; echo "try $i: still running 2 s after SIGTERM" >&2; bad=$((bad + 1))
  else
    wait "$pid"; rc=$?
    [ "$rc" -eq 143 ] || { echo "try $i: exit $rc" >&2; bad=$((bad + 1)); }
  fi
  rm -rf "$T/many$i.db"*
done
eq "6 more SIGTERMs inside an epoch: each exits 143 within 2 s" "$bad" 0

finish
