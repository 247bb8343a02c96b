#!/usr/bin/env bash
# What is not a regular file is refused, never waited on (issue 24, finding 1): a FIFO or a device
# where wb reads a database (and the -wal/-journal beside it), an INI file, weights or a report
# file is named in the error at once; `wb serve` whose database is replaced by a FIFO answers every
# request with that error and serves the file again once it is back (it used to hang every route
# for good); `database = DEVICE` leaves no journal beside the device; and SIGTERM stops `wb serve`
# within a few seconds even while a request waits on another process's lock (it used to wait for
# the request: 30 s of busy timeout, or forever on a FIFO). Every command runs under `timeout`, so
# a hang fails here instead of hanging the suite.
source tests/cli_lib.sh

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

micro_ini "$T/m.ini" "epochs=1"
"$WB" sweep "$T/m.ini" --db "$T/m.db" --quiet > /dev/null || fail "the micro sweep"
"$WB" data export "$T/m.ini" --out "$T/mx" > /dev/null || fail "the data export"

# refused NAME PATTERN COMMAND...: the command fails at once (not 124, timeout's) and its stderr
# matches PATTERN.
refused() {
  local name=$1 pattern=$2; shift 2
  timeout 20 "$@" > "$T/$name.out" 2> "$T/$name.err"
  local rc=$?
  if [ $rc -eq 124 ]; then fail "$name: hung (killed after 20 s)"; return; fi
  [ $rc -ne 0 ] || { fail "$name: exit 0"; return; }
  if grep -Eq "$pattern" "$T/$name.err"; then ok "$name: refused (exit $rc): $(head -c 100 "$T/$name.err")"
  else fail "$name: exit $rc, but stderr does not match '$pattern': $(cat "$T/$name.err")"; fi
}

# --- readers and writers of a database ----------------------------------------------------------
mkfifo "$T/fifo.db"
refused "ls --db FIFO" "fifo.db: not a regular file \(a FIFO\)" "$WB" ls --db "$T/fifo.db"
refused "query --db FIFO" "fifo.db: not a regular file \(a FIFO\)" \
  "$WB" query "SELECT 1" --db "$T/fifo.db"
refused "compare --db FIFO" "fifo.db: not a regular file \(a FIFO\)" "$WB" compare --db "$T/fifo.db"
refused "sweep --db FIFO" "fifo.db: not a regular file \(a FIFO\)" \
  "$WB" sweep "$T/m.ini" --db "$T/fifo.db" --quiet
refused "merge FIFO IN" "fifo.db: not a regular file \(a FIFO\)" "$WB" merge "$T/fifo.db" "$T/m.db"

cp "$T/m.db" "$T/w.db"
mkfifo "$T/w.db-wal"
refused "ls with a FIFO as its -wal file" "w.db-wal is not a regular file" "$WB" ls --db "$T/w.db"
rm -f "$T/w.db-wal"
mkfifo "$T/w.db-journal"
refused "ls with a FIFO as its -journal file" "w.db-journal is not a regular file" \
  "$WB" ls --db "$T/w.db"

# database = a device: refused, and no journal appears beside the device.
if mknod "$T/null" c 1 3 2> /dev/null && [ -c "$T/null" ]; then
  refused "sweep --db a character device" "null: not a regular file \(a device\)" \
    "$WB" sweep "$T/m.ini" --db "$T/null" --quiet
  eq "  no journal beside the device" "$(ls "$T" | grep -c '^null-')" 0
else
  echo "SKIP: mknod of a character device is not possible here; /dev/null is checked instead"
fi
had_journal=$([ -e /dev/null-journal ] && echo yes || echo no)
refused "sweep --db dev-null" "/dev/null: not a regular file \(a device\)" \
  "$WB" sweep "$T/m.ini" --db /dev/null --quiet
if [ "$had_journal" = no ]; then
  eq "  no /dev/null-journal" "$([ -e /dev/null-journal ] && echo yes || echo no)" no
  rm -f /dev/null-journal   # what an older wb left: not this test's to keep
fi

# --- other inputs ---------------------------------------------------------------------------------
mkfifo "$T/fifo.ini"
refused "sweep FIFO.ini" "fifo.ini: not a regular file \(a FIFO\)" "$WB" sweep "$T/fifo.ini" --db "$T/x.db"
refused "ls --ini FIFO.ini" "fifo.ini: not a regular file \(a FIFO\)" "$WB" ls --ini "$T/fifo.ini"
mkfifo "$T/in.png"
refused "predict --input FIFO" "in.png: not a regular file \(a FIFO\)" \
  "$WB" predict 1 --db "$T/m.db" --input "$T/in.png" --out "$T/out.png"
mkdir "$T/p" && cp -r "$T/m.db" "$T/m.db.runs" "$T/p/"
best=$(ls "$T"/p/m.db.runs/*/best.safetensors | head -n1)
run=$(basename "$(dirname "$best")")
rm "$best" && mkfifo "$best"
refused "predict with best.safetensors a FIFO" "best.safetensors: not a regular file \(a FIFO\)" \
  "$WB" predict "$run" --db "$T/p/m.db" --input "$T/mx/test_x.npy" --out "$T/y.npy"
# Weights without a recorded hash are read without being hashed first: the reader refuses too.
sq "$T/p/m.db" "DELETE FROM file_hashes"
refused "predict with unhashed best.safetensors a FIFO" "best.safetensors: not a regular file \(a FIFO\)" \
  "$WB" predict "$run" --db "$T/p/m.db" --input "$T/mx/test_x.npy" --out "$T/y.npy"

# --- wb serve --------------------------------------------------------------------------------------
cp "$T/m.db" "$T/s.db"
# rollback-journal mode, for the lock below (a reader then waits for a writer's exclusive lock)
eq "serve: journal mode delete" "$(sq "$T/s.db" "PRAGMA journal_mode = DELETE")" delete
"$WB" serve --db "$T/s.db" --port 0 > "$T/serve.out" 2> "$T/serve.err" &
PID=$!
PIDS+=("$PID")
for _ in $(seq 100); do [ -s "$T/serve.out" ] && break; sleep 0.1; done
URL=$(head -n1 "$T/serve.out")
get() { curl -s -m 10 -o "$T/body" -w '%{http_code}' "$URL$1"; }
eq "serve: /api/state 200" "$(get api/state)" 200
mv "$T/s.db" "$T/s.saved"
mkfifo "$T/s.db"
for route in api/state api/sweep/1 api/run/1 sweep/1 api/run/1/preview.png; do
  code=$(get "$route")
  [ "$code" = 000 ] && fail "serve: /$route with the database a FIFO: no answer in 10 s" ||
    ok "serve: /$route with the database a FIFO: answered $code"
done
eq "serve: /api/state names the FIFO" "$(get api/state; jq -r .error "$T/body")" \
  "200cannot open the database $T/s.db: not a regular file (a FIFO)"
rm "$T/s.db"
mv "$T/s.saved" "$T/s.db"
sleep 1.2     # a failed open is tried again after a second
eq "serve: the database back, /api/sweep/1 200" "$(get api/sweep/1)" 200
eq "  /api/state without an error" "$(get api/state > /dev/null; jq -r .error "$T/body")" null

# a report file that is a FIFO: not found, at once
rdir=$T/report-micro
mkdir -p "$rdir" && mkfifo "$rdir/index.html"
eq "serve: a report index.html that is a FIFO: 404" "$(get sweep/1/report/)" 404
rm -rf "$rdir"

# SIGTERM while a request waits for another process's lock (rollback journal: the reader waits
# for the busy timeout, 30 s).
mkfifo "$T/lock.in"
sqlite3 "$T/s.db" < "$T/lock.in" > /dev/null 2>&1 &
PIDS+=("$!")
exec 7> "$T/lock.in"
echo "BEGIN EXCLUSIVE; UPDATE sweeps SET name = name;" >&7
sleep 0.5
sq "$T/s.db" "PRAGMA journal_mode" > /dev/null 2>&1 && fail "serve: the shell holds no lock" ||
  ok "serve: another process holds the database's exclusive lock"
curl -s -m 40 -o /dev/null "${URL}api/sweep/1?at=best" &
PIDS+=("$!")
sleep 2
kill -0 "$!" 2> /dev/null && ok "serve: a request waits for the lock" ||
  fail "serve: the request did not wait for the lock"
t0=$EPOCHREALTIME
kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2> /dev/null || break; sleep 0.1; done
dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if kill -0 "$PID" 2> /dev/null; then fail "serve: still running 10 s after SIGTERM"
else
  wait "$PID"; rc=$?
  eq "serve: SIGTERM while a request waits: exit 143" "$rc" 143
  check "  within 5 s (it took $dt s; the lock would hold the request 30 s)" \
    awk -v d="$dt" 'BEGIN { exit !(d < 5) }'
fi
exec 7>&-
finish
