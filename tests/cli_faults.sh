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
"$WB" sweep "$T/k.ini" --db "$T/ref.db" --quiet > /dev/null || { fail "reference sweep"; finish; }
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

# ---- 3. a full disk while writing a checkpoint or the database --------------------------------
# As root, a small tmpfs holds either the run folders (the checkpoints fail) or the database (its
# commits fail), nearly filled; the run folder is a symbolic link so the other part has room.
# Always, and as the only way when mounting is not allowed, RLIMIT_FSIZE makes writes fail with
# EFBIG (and wb must not die of SIGXFSZ). Each time: exit 1 naming the file and the cause; once
# space is back, integrity_check ok, every checkpoint row names a complete file, and the sweep
# resumes to the uninterrupted numbers (a run stopped by a failed write is interrupted, not
# failed: its committed epochs stand).
full_check() {   # NAME DB STATUS ERRFILE PATTERN
  local name=$1 db=$2 rc=$3 errf=$4 pattern=$5
  eq "$name: exit status 1" "$rc" 1
  check "$name: the message names the file and says '$pattern'" grep -q -- "$pattern" "$errf"
  echo "  message: $(grep 'wb sweep:' "$errf" | head -n1)"
}
full_resume() {  # NAME DB
  local name=$1 db=$2 rc
  eq "$name: integrity_check" "$(sq "$db" "PRAGMA integrity_check")" ok
  eq "$name: every checkpoint row names a complete file" "$(bad_checkpoints "$db")" ""
  eq "$name: no run failed (interrupted, resumable)" "$(sq "$db" "SELECT count(*) FROM runs WHERE status = 'failed'")" 0
  "$WB" sweep "$T/k.ini" --db "$db" --quiet > /dev/null 2> "$T/resume.err"; rc=$?
  eq "$name: with space again, the sweep resumes and exits 0" "$rc" 0
  eq "$name: and ends with the uninterrupted numbers, bitwise" "$(metrics_dump "$db")" "$ref"
}
mounted=()
cleanup_mounts() { local m; for m in "${mounted[@]}"; do umount "$m" 2> /dev/null; done; rm -rf "$T"; }
trap cleanup_mounts EXIT
small_fs() {     # DIR SIZE_KB: a tmpfs, or nothing when mounting is not allowed
  mkdir -p "$1"
  [ "$(id -u)" = 0 ] && mount -t tmpfs -o "size=${2}k" wb-faults "$1" 2> /dev/null && mounted+=("$1")
}
fill() {         # DIR FREE_KB: leaves about FREE_KB free
  local avail
  avail=$(df -k --output=avail "$1" | tail -n1)
  [ "$avail" -gt "$2" ] && head -c $(((avail - $2) * 1024)) /dev/zero > "$1/filler"
}
if small_fs "$T/fs1" 4096 && small_fs "$T/fs2" 4096; then
  # The checkpoints: about 1.2 MB free, some runs complete first.
  mkdir "$T/fs1/ck.runs" && ln -s "$T/fs1/ck.runs" "$T/ck.db.runs"
  fill "$T/fs1" 1200
  "$WB" sweep "$T/k.ini" --db "$T/ck.db" --quiet > /dev/null 2> "$T/ck.err"; rc=$?
  full_check "disk full (checkpoint)" "$T/ck.db" "$rc" "$T/ck.err" "ck.db.runs/.*: .*No space left on device"
  echo "# report: disk full (checkpoint): $(sq "$T/ck.db" "SELECT group_concat(status || ':' || n, ' ') FROM (SELECT status, count(*) n FROM runs GROUP BY 1)") when the disk filled"
  rm -f "$T/fs1/filler"
  full_resume "disk full (checkpoint)" "$T/ck.db"
  # The database: about 400 KB free for its WAL (a few runs' epochs), the run folders elsewhere.
  mkdir "$T/db.runs" && ln -s "$T/db.runs" "$T/fs2/db.db.runs"
  fill "$T/fs2" 400
  "$WB" sweep "$T/k.ini" --db "$T/fs2/db.db" --quiet > /dev/null 2> "$T/db.err"; rc=$?
  full_check "disk full (database)" "$T/fs2/db.db" "$rc" "$T/db.err" "db.db: .*the disk is full"
  rm -f "$T/fs2/filler"
  echo "# report: disk full (database): $(sq "$T/fs2/db.db" "SELECT group_concat(status || ':' || n, ' ') FROM (SELECT status, count(*) n FROM runs GROUP BY 1)") when the disk filled"
  full_resume "disk full (database)" "$T/fs2/db.db"
else
  echo "# report: disk full: no tmpfs (not root, or mounting not allowed): RLIMIT_FSIZE only"
fi
# RLIMIT_FSIZE: 200 KB stops the first preview (300 KB), 400 KB the database's WAL mid-sweep.
for kb in 200 400; do
  (ulimit -f "$kb"; exec "$WB" sweep "$T/k.ini" --db "$T/fsize$kb.db" --quiet > /dev/null 2> "$T/fsize$kb.err"); rc=$?
  [ "$kb" = 200 ] && pattern="preview.npy: write failed: File too large" || pattern="fsize$kb.db: .*error"
  full_check "RLIMIT_FSIZE $kb KB" "$T/fsize$kb.db" "$rc" "$T/fsize$kb.err" "$pattern"
  check "RLIMIT_FSIZE $kb KB: not killed by SIGXFSZ" bash -c "! grep -q 'status 153' '$T/fsize$kb.err'"
  full_resume "RLIMIT_FSIZE $kb KB" "$T/fsize$kb.db"
done

finish
