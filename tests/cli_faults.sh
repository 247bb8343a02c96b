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
# 6 runs: val 0..6, train 1..6, the inputs at 0, test at 6 and at an earlier best epoch
readings=$(sq "$db" "SELECT count(*) + sum(best < 6) FROM (SELECT (SELECT m.epoch FROM metrics m
           WHERE m.run_id = r.id AND m.split = 'val' AND m.name = 'mse' ORDER BY m.value, m.epoch
           LIMIT 1) AS best FROM runs r)")
eq "each run's epochs logged once per split (0..6 val, 1..6 train, the inputs at 0, test at its readings)" \
   "$(sq "$db" "SELECT count(*) FROM (SELECT run_id, epoch, split FROM metrics WHERE name IN ('psnr', 'loss') GROUP BY 1, 2, 3)")" \
   $((6 * (7 + 6 + 2) + readings))

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
# RLIMIT_FSIZE: 284 KB stops the first preview (288 KB; the database and its WAL, between 260 and
# 280 KB by then since schema version 7, fit), 400 KB the database's WAL mid-sweep.
for kb in 284 400; do
  (ulimit -f "$kb"; exec "$WB" sweep "$T/k.ini" --db "$T/fsize$kb.db" --quiet > /dev/null 2> "$T/fsize$kb.err"); rc=$?
  [ "$kb" = 284 ] && pattern="preview.npy: write failed: File too large" || pattern="fsize$kb.db: .*error"
  full_check "RLIMIT_FSIZE $kb KB" "$T/fsize$kb.db" "$rc" "$T/fsize$kb.err" "$pattern"
  check "RLIMIT_FSIZE $kb KB: not killed by SIGXFSZ" bash -c "! grep -q 'status 153' '$T/fsize$kb.err'"
  full_resume "RLIMIT_FSIZE $kb KB" "$T/fsize$kb.db"
done

# ---- 4. a locked database, a read-only database, a missing folder ------------------------------
# WB_BUSY_TIMEOUT_MS (store/store.h) shortens the 30 s busy timeout so that the test waits 1 s.
export WB_BUSY_TIMEOUT_MS=1000
# lock_db DB SECONDS: another process takes the write lock and keeps it; returns once it holds it.
lock_db() {
  rm -f "$T/lock.out"
  { printf '.timeout 10000\nBEGIN IMMEDIATE;\nINSERT INTO sweeps (name) VALUES (%s);\nSELECT %s;\n' \
      "'holder'" "'locked'"; sleep "$2"; echo 'ROLLBACK;'; } | sqlite3 -batch "$1" > "$T/lock.out" &
  locker=$!
  local i
  for ((i = 0; i < 200; i++)); do grep -q locked "$T/lock.out" 2> /dev/null && return 0; sleep 0.05; done
  fail "the other process could not lock $1"
}
# A finished database, locked before the sweep starts: registering the grid waits 1 s, gives up.
cp "$T/ref.db" "$T/lk.db"
lock_db "$T/lk.db" 4
t0=$EPOCHREALTIME
"$WB" sweep "$T/k.ini" --db "$T/lk.db" --force --quiet > /dev/null 2> "$T/lk.err"; rc=$?
dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
wait "$locker"
echo "  message after $dt s: $(cat "$T/lk.err")"
eq "locked (before training): exit status 1" "$rc" 1
check "locked (before training): one line saying who is in the way and how long it waited" \
  grep -q "lk.db: .*locked by another process (gave up after 1 s)" "$T/lk.err"
eq "locked (before training): a one-line message" "$(wc -l < "$T/lk.err")" 1
check "locked (before training): it waited the busy timeout, not more ($dt s)" awk -v d="$dt" 'BEGIN { exit !(d >= 1 && d < 3.5) }'
eq "locked (before training): integrity_check" "$(sq "$T/lk.db" "PRAGMA integrity_check")" ok
eq "locked (before training): nothing lost (--force reset nothing)" "$(metrics_dump "$T/lk.db")" "$ref"

# A lock taken in the middle of a sweep, held 3 s: the epoch's commit gives up after 1 s, the run
# is interrupted (or left running by a dead process), the sweep exits 1; run again, it ends with
# the uninterrupted numbers.
setsid "$WB" sweep "$T/k.ini" --db "$T/lm.db" > /dev/null 2> "$T/lm.err" &
pid=$!
for ((i = 0; i < 400; i++)); do grep -q "epoch 3/6" "$T/lm.err" && break; sleep 0.02; done
lock_db "$T/lm.db" 3
wait "$pid"; rc=$?
wait "$locker"
echo "  message: $(grep 'wb sweep:' "$T/lm.err" | head -n1)"
eq "locked (mid-sweep): exit status 1" "$rc" 1
check "locked (mid-sweep): the message says the database is locked" grep -q "lm.db: .*locked by another process" "$T/lm.err"
eq "locked (mid-sweep): integrity_check" "$(sq "$T/lm.db" "PRAGMA integrity_check")" ok
eq "locked (mid-sweep): every checkpoint row names a complete file" "$(bad_checkpoints "$T/lm.db")" ""
"$WB" sweep "$T/k.ini" --db "$T/lm.db" --quiet > /dev/null; rc=$?
eq "locked (mid-sweep): run again, exit 0" "$rc" 0
eq "locked (mid-sweep): and the uninterrupted numbers, bitwise" "$(metrics_dump "$T/lm.db")" "$ref"
unset WB_BUSY_TIMEOUT_MS

# A read-only database: its file and its folder not writable by the user (root is not refused
# anything, so as root the commands run as nobody). Reading works (the database has no -wal or
# -shm file: it is read as immutable); training says why it cannot, and changes nothing.
as_user() { "$@"; }
ro_ok=1
if [ "$(id -u)" = 0 ]; then
  chmod 755 "$T"
  if runuser -u nobody -- "$WB" --version > /dev/null 2>&1; then
    as_user() { runuser -u nobody -- "$@"; }
  else
    ro_ok=0; echo "# report: read-only database: skipped (nobody cannot run $WB)"
  fi
fi
if [ "$ro_ok" = 1 ]; then
  mkdir "$T/ro" && cp -r "$T/ref.db" "$T/ref.db.runs" "$T/ro/" && cp "$T/k.ini" "$T/ro/k.ini"
  chmod -R a-w "$T/ro"
  as_user "$WB" ls --db "$T/ro/ref.db" > "$T/ro.ls" 2> "$T/ro.err"; rc=$?
  eq "read-only: wb ls reads it (exit 0)" "$rc" 0
  eq "read-only: and lists its 6 runs" "$(grep -c finished "$T/ro.ls")" 6
  as_user "$WB" query "SELECT count(*) FROM metrics" --db "$T/ro/ref.db" --csv > "$T/ro.q" 2>> "$T/ro.err"; rc=$?
  eq "read-only: wb query reads it" "$rc $(tail -n1 "$T/ro.q" | tr -d '\r')" "0 $(sq "$T/ref.db" "SELECT count(*) FROM metrics")"
  as_user "$WB" show 1 --db "$T/ro/ref.db" > /dev/null 2>> "$T/ro.err"; rc=$?
  eq "read-only: wb show reads it" "$rc" 0
  as_user "$WB" sweep "$T/ro/k.ini" --db "$T/ro/ref.db" --force --quiet > /dev/null 2> "$T/ro.sweep"; rc=$?
  echo "  message: $(cat "$T/ro.sweep")"
  eq "read-only: wb sweep exits 1" "$rc" 1
  check "read-only: and says the database is read-only" grep -q "ro/ref.db is read-only" "$T/ro.sweep"
  eq "read-only: nothing changed" "$(metrics_dump "$T/ro/ref.db")" "$ref"
  eq "read-only: no -wal or -shm file left behind" "$(ls "$T/ro")" "$(printf 'k.ini\nref.db\nref.db.runs')"
  chmod -R u+w "$T/ro"
fi

# Missing folders: a read command names the database it did not find; a sweep whose database
# folder cannot be created says which and why. Usage errors are 2, failed writes 1.
"$WB" ls --db "$T/nowhere/x.db" > /dev/null 2> "$T/m.err"; rc=$?
eq "missing folder: wb ls exits 2" "$rc" 2
eq "missing folder: wb ls says so" "$(cat "$T/m.err")" "wb ls: no database at $T/nowhere/x.db"
"$WB" query "SELECT 1" --db "$T/nowhere/x.db" > /dev/null 2> "$T/m.err"; rc=$?
eq "missing folder: wb query exits 2, one line" "$rc $(wc -l < "$T/m.err")" "2 1"
touch "$T/afile"
"$WB" sweep "$T/k.ini" --db "$T/afile/x.db" --quiet > /dev/null 2> "$T/m.err"; rc=$?
eq "folder under a file: wb sweep exits 1" "$rc" 1
eq "folder under a file: wb sweep says which and why" "$(cat "$T/m.err")" \
   "wb sweep: cannot create the folder of the database $T/afile/x.db: $T/afile is not a folder"
"$WB" sweep "$T/k.ini" --db "$T/new/deeper/x.db" --dry-run > /dev/null; rc=$?
check "a dry run creates no folder" test ! -e "$T/new"
# A run folder that cannot be made (a file where DB.runs/ goes): a failed write, not the run's
# fault, so the run ends interrupted (resumable) and the next sweep, the file gone, finishes it.
micro_ini "$T/one.ini" "seeds=1" "laplacian_weight=0" "epochs=1"
mkdir -p "$T/rf" && touch "$T/rf/x.db.runs"
"$WB" sweep "$T/one.ini" --db "$T/rf/x.db" --quiet > /dev/null 2> "$T/rf.err"; rc=$?
eq "run folder under a file: wb sweep exits 1" "$rc" 1
eq "  the run ends interrupted, not failed" "$(sq "$T/rf/x.db" "SELECT status FROM runs")" interrupted
check "  and says why" grep -q "x.db.runs" "$T/rf.err"
rm "$T/rf/x.db.runs"
"$WB" sweep "$T/one.ini" --db "$T/rf/x.db" --quiet > /dev/null 2>&1; rc=$?
eq "  the next sweep finishes it (exit 0, no --retry-failed)" "$rc $(sq "$T/rf/x.db" "SELECT status FROM runs")" "0 finished"

# ---- 5. a run that diverges, in the middle of a sweep ---------------------------------------
# SGD at learning rate 10 (a U-Net of depth 2, 16 channels: the loss is NaN within epoch 1), then
# the same at 0.01: the first run ends `diverged` at its epoch, the sweep goes on to the second
# and exits 0 (every run finished or diverged).
cat > "$T/dv.ini" << 'EOF'
[sweep]
name  = diverge
seeds = 1
[data]
train_patches = 256
val_patches   = 64
test_patches  = 64
[model]
depth         = 2
base_channels = 16
[train]
epochs     = 3
batch_size = 32
threads    = 1
optimizer  = sgd
lr         = 10, 0.01
EOF
"$WB" sweep "$T/dv.ini" --db "$T/dv.db" > "$T/dv.out" 2> "$T/dv.err"; rc=$?
eq "diverged: the sweep exits 0" "$rc" 0
check "diverged: its summary counts 1 diverged, 1 finished" grep -q "2 runs: 1 diverged, 1 finished" "$T/dv.out"
eq "diverged: lr 10 diverged in epoch 1 (epochs_done 0), the error says where" \
   "$(sq "$T/dv.db" "SELECT status, epochs_done, error LIKE 'the loss became % at epoch 1, step %' FROM runs WHERE lr = 10")" "diverged|0|1"
echo "  error: $(sq "$T/dv.db" "SELECT error FROM runs WHERE lr = 10")"
eq "diverged: nothing of the diverged epoch is logged" "$(sq "$T/dv.db" "SELECT max(epoch) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.lr = 10")" 0
eq "diverged: the sweep went on: lr 0.01 finished its 3 epochs" "$(sq "$T/dv.db" "SELECT status, epochs_done FROM runs WHERE lr = 0.01")" "finished|3"
check "diverged: the progress says so (lr 10, not 1e+01)" grep -q "λ = 0, lr 10, seed 1: diverged: the loss became" "$T/dv.err"
"$WB" ls --db "$T/dv.db" > "$T/dv.ls"
check "diverged: wb ls shows it, its error under the table" \
  bash -c 'grep -Eq "^ *([0-9]+) .* diverged " "$1" && grep -q "^run [0-9]*: the loss became" "$1"' _ "$T/dv.ls"
before=$(sq "$T/dv.db" "SELECT count(*) FROM metrics")
"$WB" sweep "$T/dv.ini" --db "$T/dv.db" --quiet > /dev/null; rc=$?
eq "diverged: run again, it is not retried (exit 0, no new rows)" "$rc $(sq "$T/dv.db" "SELECT count(*) FROM metrics")" "0 $before"
was=$(sq "$T/dv.db" "SELECT status || ' ' || epochs_done || ' ' || error FROM runs WHERE lr = 10")
"$WB" sweep "$T/dv.ini" --db "$T/dv.db" --retry-failed --quiet > /dev/null; rc=$?
eq "diverged: --retry-failed trains it again, to the same end" \
   "$rc $(sq "$T/dv.db" "SELECT status || ' ' || epochs_done || ' ' || error FROM runs WHERE lr = 10")" "0 $was"
"$WB" run "$T/dv.ini" --set train.lr=10 --db "$T/dvrun.db" > "$T/dvrun.out" 2> /dev/null; rc=$?
eq "diverged: wb run exits 0 and says diverged" "$rc $(grep -c ': diverged' "$T/dvrun.out")" "0 1"

finish
