#!/usr/bin/env bash
# Crashes and races (issue 4, acceptance 2, 3 and 5): a sweep killed with SIGKILL and started
# again ends bitwise where an uninterrupted sweep ends; two sweeps started together train each run
# once; a stale `running` row shows as interrupted and is resumed. Threads are pinned (micro.ini
# sets train.threads = 1), so every metric but the timings must match bit for bit.
. tests/cli_lib.sh

micro_ini "$T/k.ini" "epochs=5" "train_patches=512"
"$WB" sweep "$T/k.ini" --db "$T/ref.db" --quiet > /dev/null || fail "reference sweep"
ref=$(metrics_dump "$T/ref.db")
eq "reference: 6 finished runs" "$(sq "$T/ref.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6

# --- SIGKILL in the middle, several times, then to the end -------------------------------------
db=$T/k.db
kills=0
for attempt in 1 2 3 4 5 6 7 8; do
  setsid "$WB" sweep "$T/k.ini" --db "$db" --quiet > /dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 6 + 2))"
  if kill -0 "$pid" 2> /dev/null; then
    kill -KILL -- "-$pid" 2> /dev/null && kills=$((kills + 1))   # the whole process group
  fi
  wait "$pid" 2> /dev/null
  [ "$(sq "$db" "SELECT count(*) FROM runs WHERE status = 'finished'" 2> /dev/null)" = 6 ] && break
done
echo "SIGKILLs delivered: $kills"
check "at least one SIGKILL landed mid-sweep" test "$kills" -ge 1
"$WB" sweep "$T/k.ini" --db "$db" --quiet > /dev/null; rc=$?
eq "the sweep completes after the kills" "$rc" 0
eq "every run finished once" "$(sq "$db" "SELECT status || ':' || count(*) FROM runs GROUP BY status")" "finished:6"
eq "no duplicate metric rows" "$(sq "$db" "SELECT count(*) FROM (SELECT run_id, epoch, split, name FROM metrics GROUP BY 1, 2, 3, 4 HAVING count(*) > 1)")" 0
eq "integrity_check" "$(sq "$db" "PRAGMA integrity_check")" ok
eq "metrics equal the uninterrupted sweep's, bitwise" "$(metrics_dump "$db")" "$ref"
same=0
for f in "$T"/ref.db.runs/*/last.safetensors; do
  h=$(basename "$(dirname "$f")")
  cmp -s "$f" "$T/k.db.runs/$h/last.safetensors" && same=$((same + 1))
done
eq "final weights equal the uninterrupted sweep's, byte for byte" "$same" 6

# --- two sweeps started together on one file and database --------------------------------------
micro_ini "$T/c.ini" "epochs=3"
"$WB" sweep "$T/c.ini" --db "$T/c.db" > "$T/c1.out" 2> "$T/c1.err" &
p1=$!
"$WB" sweep "$T/c.ini" --db "$T/c.db" > "$T/c2.out" 2> "$T/c2.err" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
eq "both sweeps exit 0" "$r1 $r2" "0 0"
eq "each run started exactly once across both" "$(cat "$T/c1.err" "$T/c2.err" | grep -c ': starting$')" 6
eq "both report 6 finished" "$(grep -h -c '6 finished' "$T/c1.out" "$T/c2.out" | awk '{ s += $1 } END { print s }')" 2
eq "no run trained twice (one epoch-3 row per run and split)" "$(sq "$T/c.db" "SELECT count(*) FROM metrics WHERE epoch = 3 AND name = 'psnr'")" 12

# --- a stale row: a dead pid on this host, mid-run --------------------------------------------
cp "$T/ref.db" "$T/s.db"
cp -r "$T/ref.db.runs" "$T/s.db.runs"
host=$(hostname)
run=$(sq "$T/s.db" "SELECT id FROM runs ORDER BY id LIMIT 1")
# As if the process died in the window between renaming epoch 5's files into place and
# committing epoch 5's rows: the database says 4 epochs, last.safetensors holds epoch 5 and
# last.prev.safetensors epoch 4, which the resume must pick.
sq "$T/s.db" "DELETE FROM metrics WHERE run_id = $run AND epoch > 4;
              UPDATE runs SET status = 'running', epochs_done = 4, pid = 999999, host = '$host',
                              heartbeat_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = $run;
              UPDATE checkpoints SET epoch = 4 WHERE run_id = $run AND kind = 'last'"
"$WB" ls --db "$T/s.db" > "$T/ls.txt"
check "wb ls shows the dead pid's run as interrupted" grep -q "^ *$run .*interrupted" "$T/ls.txt"
# And a run of another host whose heartbeat stopped long ago.
run2=$(sq "$T/s.db" "SELECT id FROM runs ORDER BY id LIMIT 1 OFFSET 1")
sq "$T/s.db" "UPDATE runs SET status = 'running', host = 'elsewhere', pid = 1,
                              heartbeat_at = '2020-01-01T00:00:00Z' WHERE id = $run2"
eq "a heartbeat over 60 s old is interrupted" \
  "$("$WB" ls --db "$T/s.db" | grep -cE '^ *[0-9]+ +[0-9a-f]{12} +interrupted ')" 2
"$WB" sweep "$T/k.ini" --db "$T/s.db" --quiet > /dev/null; rc=$?
eq "the next sweep resumes them" "$rc" 0
eq "  all finished" "$(sq "$T/s.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
eq "  resumed from epoch 4 to the same numbers, bitwise" "$(metrics_dump "$T/s.db")" "$ref"
finish
