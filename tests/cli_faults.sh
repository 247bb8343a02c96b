#!/usr/bin/env bash
# Faults a sweep left running overnight must survive (issue 7): a kill storm of SIGKILLs at random
# moments (acceptance 1), a full disk while writing the database or a checkpoint (3), a database
# locked past the busy timeout, a read-only database, a missing folder (4), and a diverging run in
# the middle of a sweep (5). After each: a clear message, the right exit status, a database that
# passes PRAGMA integrity_check, checkpoint rows that name complete files, and a sweep that
# resumes to the numbers of an uninterrupted one, bit for bit (threads are pinned by micro.ini).
. tests/cli_lib.sh

# ---- helpers ----------------------------------------------------------------------------------

# A safetensors file is complete when its size is 8 + the header length + the end of the last
# tensor's data_offsets (the header's own account of the file).
st_complete() {
  local f=$1 n end size
  [ -f "$f" ] || return 1
  size=$(stat -c %s "$f")
  [ "$size" -ge 8 ] || return 1
  n=$(od -An -tu8 -N8 "$f" | tr -d ' ')
  [ "$n" -gt 0 ] && [ $((n + 8)) -le "$size" ] || return 1
  end=$(dd if="$f" bs=1M iflag=skip_bytes,count_bytes skip=8 count="$n" 2> /dev/null |
        grep -o '"data_offsets":\[[0-9]*,[0-9]*\]' | sed 's/.*,\([0-9]*\)\]/\1/' | sort -n | tail -n1)
  [ -n "$end" ] && [ $((8 + n + end)) -eq "$size" ]
}
# Prints the checkpoint rows of a database whose file is missing or incomplete (none: empty).
bad_checkpoints() {
  local db=$1 dir p
  dir=$(dirname "$db")
  sq "$db" "SELECT path FROM checkpoints" | while IFS= read -r p; do
    st_complete "$dir/$p" || echo "$p"
  done
}
now() { echo "$EPOCHREALTIME"; }

# ---- 1. kill storm ----------------------------------------------------------------------------
# One micro sweep (6 runs x 6 epochs), killed again and again with SIGKILL at random moments:
# mostly the coordinator's whole process group (a machine that dies), sometimes one worker alone
# (the OOM killer), with 1 or 2 workers. Each round restarts the sweep until it completes; rounds
# repeat on a fresh database until at least 20 kills have landed on a live sweep.
seed=${WB_FAULTS_SEED:-$$}
RANDOM=$seed
echo "kill storm: RANDOM seed $seed (set WB_FAULTS_SEED to replay)"
micro_ini "$T/k.ini" "epochs=6" "train_patches=512"
"$WB" sweep "$T/k.ini" --db "$T/ref.db" --quiet > /dev/null || fail "reference sweep"
ref=$(metrics_dump "$T/ref.db")
eq "reference: 6 finished runs" "$(sq "$T/ref.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6

kills=0 group_kills=0 worker_kills=0 rounds=0 attempts=0 bad_integrity=0 bad_files=0 bad_rounds=0
t_storm=$SECONDS
while [ "$kills" -lt 20 ] && [ "$rounds" -lt 20 ]; do
  rounds=$((rounds + 1))
  db=$T/storm$rounds.db
  while [ "$attempts" -lt 300 ]; do
    attempts=$((attempts + 1))
    jobs=$((RANDOM % 2 + 1))
    setsid "$WB" sweep "$T/k.ini" --db "$db" --jobs "$jobs" --quiet > /dev/null 2>&1 &
    pid=$!
    target=none
    if [ "$kills" -lt 20 ]; then
      # 20 ms to 1 s: during start-up, data loading, an epoch, a checkpoint write, a commit.
      sleep "$(printf '0.%03d' $((RANDOM % 980 + 20)))"
      workers=($(pgrep -P "$pid" 2> /dev/null))
      if [ $((RANDOM % 4)) -eq 0 ] && [ ${#workers[@]} -gt 0 ]; then
        kill -KILL "${workers[RANDOM % ${#workers[@]}]}" 2> /dev/null && target=worker
      else
        kill -KILL -- "-$pid" 2> /dev/null && target=group
      fi
    fi
    wait "$pid" 2> /dev/null; rc=$?
    # A kill landed when it stopped a live sweep: the coordinator died of it (137), or reported
    # its killed worker (1). A kill that found the sweep already done (rc 0) did not land.
    if [ "$target" = group ] && [ "$rc" -eq 137 ]; then
      kills=$((kills + 1)); group_kills=$((group_kills + 1))
    elif [ "$target" = worker ] && [ "$rc" -eq 1 ]; then
      kills=$((kills + 1)); worker_kills=$((worker_kills + 1))
    fi
    [ "$(sq "$db" "PRAGMA integrity_check" 2> /dev/null)" = ok ] || bad_integrity=$((bad_integrity + 1))
    [ -z "$(bad_checkpoints "$db")" ] || bad_files=$((bad_files + 1))
    [ "$rc" -eq 0 ] && break
  done
  # The round is over when an unkilled sweep exited 0: everything must be as if nothing happened.
  st=$(sq "$db" "SELECT status || ':' || count(*) FROM runs GROUP BY status")
  dump=$(metrics_dump "$db")
  same=0
  for f in "$T"/ref.db.runs/*/last.safetensors; do
    h=$(basename "$(dirname "$f")")
    cmp -s "$f" "$T/storm$rounds.db.runs/$h/last.safetensors" && same=$((same + 1))
  done
  if [ "$rc" -ne 0 ] || [ "$st" != "finished:6" ] || [ "$dump" != "$ref" ] || [ "$same" -ne 6 ]; then
    bad_rounds=$((bad_rounds + 1))
    echo "round $rounds: exit $rc, runs $st, $same/6 final weights equal" >&2
  fi
done
echo "# report: kill storm: $kills SIGKILLs landed ($group_kills process groups, $worker_kills single workers) in $attempts starts over $rounds rounds, $((SECONDS - t_storm)) s"
check "at least 20 SIGKILLs landed on a live sweep" test "$kills" -ge 20
eq "every round ends with 6 runs finished once, metrics and weights bitwise equal to the uninterrupted sweep's" "$bad_rounds" 0
eq "integrity_check ok after every kill" "$bad_integrity" 0
eq "after every kill, every checkpoint row names a complete file" "$bad_files" 0
eq "no duplicate runs (one row per configuration)" "$(sq "$db" "SELECT count(*), count(DISTINCT config_hash) FROM runs")" "6|6"
eq "each run's epochs logged once per split (0..6 val and test, 1..6 train)" \
   "$(sq "$db" "SELECT count(*) FROM (SELECT run_id, epoch, split FROM metrics WHERE name IN ('psnr', 'loss') GROUP BY 1, 2, 3)")" 120

finish
