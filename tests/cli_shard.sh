#!/usr/bin/env bash
# Shards (issue 4, acceptance 4): shards 0/2 and 1/2, merged twice, equal an unsharded sweep bit
# for bit (timings aside); a SLURM job array's environment picks the shard; wb merge is
# idempotent and copies the run folders.
. tests/cli_lib.sh

"$WB" sweep experiments/micro.ini --db "$T/all.db" --quiet > /dev/null || fail "unsharded sweep"
"$WB" sweep experiments/micro.ini --db "$T/s0.db" --shard 0/2 --quiet > /dev/null || fail "shard 0/2"
"$WB" sweep experiments/micro.ini --db "$T/s1.db" --shard 1/2 --quiet > /dev/null || fail "shard 1/2"
eq "shard 0/2 holds only its runs (grid indices 0, 2, 4)" \
   "$(sq "$T/s0.db" "SELECT group_concat(grid_index) FROM (SELECT grid_index FROM sweep_runs ORDER BY 1)")" "0,2,4"
eq "shard 1/2 holds grid indices 1, 3, 5" \
   "$(sq "$T/s1.db" "SELECT group_concat(grid_index) FROM (SELECT grid_index FROM sweep_runs ORDER BY 1)")" "1,3,5"
"$WB" merge "$T/merged.db" "$T/s0.db" "$T/s1.db" > "$T/merge1.txt" || fail "merge"
"$WB" merge "$T/merged.db" "$T/s0.db" "$T/s1.db" > "$T/merge2.txt" || fail "merge again"
check "the second merge adds nothing" grep -q "0 runs added, 0 replaced, 3 already there" "$T/merge2.txt"
eq "merged: 6 runs" "$(sq "$T/merged.db" "SELECT count(*) FROM runs")" 6
eq "merged metrics equal the unsharded sweep's, bitwise" "$(metrics_dump "$T/merged.db")" "$(metrics_dump "$T/all.db")"
eq "merged grid indices" "$(sq "$T/merged.db" "SELECT group_concat(grid_index) FROM (SELECT grid_index FROM sweep_runs ORDER BY 1)")" "0,1,2,3,4,5"
missing=0
while read -r path; do [ -s "$T/$path" ] || missing=$((missing + 1)); done < <(sq "$T/merged.db" "SELECT path FROM checkpoints")
eq "every merged checkpoint path names a file" "$missing" 0
eq "merged integrity" "$(sq "$T/merged.db" "PRAGMA integrity_check")" ok

# Under a SLURM array the shard comes from the environment, in <db stem>.shard-K-of-N.db.
micro_ini "$T/env.ini" "database=$T/env.db"
SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=6 SLURM_ARRAY_TASK_COUNT=2 \
  "$WB" sweep "$T/env.ini" --quiet > /dev/null || fail "sweep under a SLURM array environment"
check "SLURM task 7 of 6..7 writes env.shard-1-of-2.db" test -f "$T/env.shard-1-of-2.db"
eq "  with grid indices 1, 3, 5" \
   "$(sq "$T/env.shard-1-of-2.db" "SELECT group_concat(grid_index) FROM (SELECT grid_index FROM sweep_runs ORDER BY 1)")" "1,3,5"
"$WB" sweep experiments/micro.ini --shard 2/2 --dry-run > /dev/null 2>&1
eq "--shard 2/2 is a usage error" "$?" 2
# A file name that starts with '-' (issue 15, item 9): the message names it, not OUT.
(cd "$T" && "$WB" merge out.db -x.db > /dev/null 2> "$T/dash.err"); eq "merge OUT -x.db: usage error" "$?" 2
eq "  blames -x.db, not OUT" "$(head -n1 "$T/dash.err")" \
   "wb merge: unknown option -x in '-x.db' (a file name that starts with '-' is written ./-x.db)"
"$WB" ls --db 2> "$T/dash.err" > /dev/null; eq "ls --db without a value" "$(head -n1 "$T/dash.err")" "wb ls: the value of --db is missing (--db VALUE)"
finish
