#!/usr/bin/env bash
# make test-slurm: a real one-node SLURM (tests/local-slurm.sh, as root), a job array of two
# shards of experiments/micro.ini, merged, compared bit for bit with an unsharded sweep.
set -u
WB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
. tests/cli_lib.sh
if [ "$(id -u)" != 0 ]; then echo "test-slurm needs root (it starts slurmctld and slurmd)"; exit 1; fi
trap 'bash tests/local-slurm.sh stop > /dev/null 2>&1; rm -rf "$T"' EXIT
bash tests/local-slurm.sh start || { echo "could not start SLURM"; exit 1; }
chmod 755 "$T"

micro_ini "$T/micro.ini" "database=$T/slurm.db"
cat > "$T/job.sh" <<JOB
#!/bin/bash
exec "$WB" sweep "$T/micro.ini" --quiet
JOB
chmod +x "$T/job.sh"
sbatch --wait --array=0-1 --chdir="$T" --output="$T/task-%a.out" "$T/job.sh" > "$T/sbatch.txt"
rc=$?
cat "$T"/task-*.out 2> /dev/null
eq "the job array succeeded" "$rc" 0
check "shard 0 of 2 written by SLURM task 0" test -s "$T/slurm.shard-0-of-2.db"
check "shard 1 of 2 written by SLURM task 1" test -s "$T/slurm.shard-1-of-2.db"
"$WB" merge "$T/merged.db" "$T/slurm.shard-0-of-2.db" "$T/slurm.shard-1-of-2.db" || fail "merge"
"$WB" sweep experiments/micro.ini --db "$T/all.db" --quiet > /dev/null || fail "unsharded sweep"
eq "6 runs merged" "$(sq "$T/merged.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
eq "the merged SLURM shards equal an unsharded sweep, bitwise" "$(metrics_dump "$T/merged.db")" "$(metrics_dump "$T/all.db")"
finish
