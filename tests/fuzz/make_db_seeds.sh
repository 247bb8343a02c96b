#!/usr/bin/env bash
# tests/fuzz/make_db_seeds.sh WB: writes the seeds of the db and merge targets
# (tests/fuzz/corpus/db/, tests/fuzz/corpus/merge/) from micro sweeps of the wb binary WB. Each is
# rewritten with 512-byte pages and a rollback journal (VACUUM), so that it is small and opens
# without -wal or -shm files; a merge seed is named s.db when it is made, as fuzz_merge.c names the
# shard (run folders are "s.db.runs/<hash>").
set -eu
WB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/wb-seeds-XXXXXX)
trap 'rm -rf "$T"' EXIT
small() {   # small DB OUT: a compact copy
  sqlite3 "$1" "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM INTO '$2'" > /dev/null
}
mkdir -p tests/fuzz/corpus/db tests/fuzz/corpus/merge "$T/all" "$T/s0" "$T/mixed" "$T/empty"

"$WB" sweep experiments/micro.ini --db "$T/all/s.db" --quiet > /dev/null
small "$T/all/s.db" tests/fuzz/corpus/db/micro_finished.db
"$WB" sweep experiments/micro.ini --db "$T/s0/s.db" --shard 0/2 --quiet > /dev/null
small "$T/s0/s.db" tests/fuzz/corpus/merge/shard_0_of_2.db
small "$T/s0/s.db" tests/fuzz/corpus/db/shard_0_of_2.db
# Every status: a finished run made failed, diverged, interrupted, running and queued.
cp "$T/all/s.db" "$T/mixed/s.db"
sqlite3 "$T/mixed/s.db" "UPDATE runs SET status = CASE id WHEN 2 THEN 'failed' WHEN 3 THEN 'diverged'
  WHEN 4 THEN 'interrupted' WHEN 5 THEN 'running' ELSE status END,
  error = CASE WHEN id BETWEEN 2 AND 5 THEN 'stopped' END;
  UPDATE runs SET status = 'queued', epochs_done = -1 WHERE id = 6;
  DELETE FROM metrics WHERE run_id = 6; DELETE FROM checkpoints WHERE run_id = 6;
  UPDATE metrics SET value = NULL WHERE run_id = 3 AND epoch = 2;"
small "$T/mixed/s.db" tests/fuzz/corpus/db/every_status.db
small "$T/mixed/s.db" tests/fuzz/corpus/merge/every_status.db
"$WB" merge "$T/empty/s.db" "$T/empty/none.db" > /dev/null 2>&1 || true
small "$T/empty/s.db" tests/fuzz/corpus/db/empty.db
small "$T/empty/s.db" tests/fuzz/corpus/merge/empty.db
ls -l tests/fuzz/corpus/db tests/fuzz/corpus/merge
