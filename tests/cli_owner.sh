#!/usr/bin/env bash
# A process that loses its run must not write it (issue 15, item 1). A worker paused during an
# epoch (SIGSTOP; SLURM's `scontrol suspend` does this) until its heartbeat is stale, a second
# sweep that takes the run over and finishes it, then SIGCONT: the paused worker used to write its
# epoch's files over the finished run's before the database refused its rows, so last and best
# held an early epoch while the database said the last. Now every epoch first takes the run
# folder's lock (flock, without waiting) and checks in the database that the run is still its own,
# and only then writes. A folder locked by another process (one paused in the middle of a write)
# makes a sweep leave the run at once instead of waiting or writing.
. tests/cli_lib.sh

# One run of 3 epochs whose evaluation (2 x 8192 patches) takes far longer than its training
# (64 patches): a pause right after an epoch's line lands in the next epoch's evaluation, after
# its last heartbeat, so the next thing the paused worker does is write that epoch.
micro_ini "$T/p.ini" "seeds=1" "laplacian_weight=0" "epochs=3" "train_patches=64" \
  "val_patches=8192" "test_patches=8192"
"$WB" sweep "$T/p.ini" --db "$T/ref.db" --quiet > /dev/null || fail "reference sweep"
ref=$(metrics_dump "$T/ref.db")
h=$(sq "$T/ref.db" "SELECT substr(config_hash, 1, 12) FROM runs")
files="init.safetensors last.safetensors last.optim.safetensors best.safetensors preview.npy"

# Every file of the run folder equal to the reference's (what the database says was written).
same_files() {
  local f
  for f in $files; do cmp -s "$T/ref.db.runs/$h/$f" "$1.runs/$h/$f" || echo "$f"; done
}

# ---- a paused worker, its run taken over and finished, then continued -------------------------
setsid "$WB" sweep "$T/p.ini" --db "$T/a.db" > /dev/null 2> "$T/a.err" &
pid=$!
if wait_for_line "$T/a.err" "epoch 1/3"; then
  sleep 0.02   # inside the next epoch, before its write (the evaluation takes ~0.3 s unloaded)
  kill -STOP -- "-$pid"
  # Paused this long, its heartbeat would be over STORE_STALE_SECONDS old: say so at once.
  eq "paused: the worker is paused in epoch 2" "$(sq "$T/a.db" "SELECT epochs_done FROM runs")" 1
  sq "$T/a.db" "UPDATE runs SET heartbeat_at = '2020-01-01T00:00:00Z'"
  "$WB" sweep "$T/p.ini" --db "$T/a.db" > /dev/null 2> "$T/b.err"; rc=$?
  eq "paused: a second sweep takes the stale run over and finishes it (exit 0)" "$rc" 0
  check "  it resumed the run after the epoch the paused worker logged" bash -c "grep -q 'epoch 2/3' '$T/b.err' && ! grep -q 'epoch 1/3' '$T/b.err'"
  kill -CONT -- "-$pid"
  wait "$pid"; rc=$?
  # Its worker stops, writing nothing; the sweep's summary counts the run the other finished.
  eq "paused: continued, the first sweep ends with its one run finished (exit 0)" "$rc" 0
  check "  its worker says the run is another process's now" grep -q "another process's now" "$T/a.err"
  echo "  message: $(grep 'wb sweep:' "$T/a.err" | head -n1)"
  eq "paused: the run stays finished after 3 epochs" "$(sq "$T/a.db" "SELECT status, epochs_done FROM runs")" "finished|3"
  eq "paused: every file of the run folder is the finished run's (bitwise the reference's)" "$(same_files "$T/a.db")" ""
  eq "paused: the metrics are the reference's, bitwise" "$(metrics_dump "$T/a.db")" "$ref"
  eq "paused: no temporary file is left" "$(ls -A "$T/a.db.runs/$h" | grep '^\.' || true)" ""
else
  fail "paused: no progress line for epoch 1"
  kill -KILL -- "-$pid"
fi

# ---- the run folder locked by another process ------------------------------------------------
# The sweep must neither wait for the lock nor write: it leaves the run interrupted at once.
mkdir -p "$T/l.db.runs/$h"
setsid flock -o "$T/l.db.runs/$h" sleep 60 &
holder=$!
sleep 0.2
timeout 30 "$WB" sweep "$T/p.ini" --db "$T/l.db" > /dev/null 2> "$T/l.err"; rc=$?
eq "locked: the sweep exits 1 without waiting for the lock" "$rc" 1
check "  naming the locked folder" grep -q "$h is locked by another process" "$T/l.err"
eq "locked: the run is interrupted with no epoch" "$(sq "$T/l.db" "SELECT status, epochs_done FROM runs")" "interrupted|-1"
eq "locked: nothing was written into the folder" "$(ls -A "$T/l.db.runs/$h")" ""
kill -- "-$holder" 2> /dev/null; wait "$holder" 2> /dev/null
"$WB" sweep "$T/p.ini" --db "$T/l.db" --quiet > /dev/null; rc=$?
eq "locked: once the lock is gone, the sweep finishes the run (exit 0)" "$rc" 0
eq "locked: with the reference's metrics and files" "$(metrics_dump "$T/l.db")|$(same_files "$T/l.db")" "$ref|"

finish
