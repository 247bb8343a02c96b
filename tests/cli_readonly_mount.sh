#!/usr/bin/env bash
# A database on a read-only mount (issue 24, finding 3): every read command works (ls, show, diff,
# compare, report with --out elsewhere, query, predict, serve), each saying once on stderr that
# it reads the file as immutable; they all failed with "unable to open database file" (ls and
# query with exit status 2, as if the usage were wrong). Exit statuses say what happened: a
# database that cannot be opened is 1, a path that names no database 2. A database whose -wal
# holds transactions is read with them when its -shm is there, refused (1) when it is not.
# Two kinds of mount: a tmpfs remounted read-only, and a read-only bind mount. The test needs
# to mount (root with CAP_SYS_ADMIN); where it cannot, it says SKIPPED and checks nothing.
source tests/cli_lib.sh

MOUNTS=()
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[i]}" 2> /dev/null || umount -l "${MOUNTS[i]}"; done
  rm -rf "$T"
}
trap cleanup EXIT

mkdir "$T/src" "$T/tmpfs" "$T/bind"
if ! mount -t tmpfs -o size=64m wbtest "$T/tmpfs" 2> "$T/mount.err"; then
  echo "# report: SKIPPED: cannot mount a tmpfs here ($(head -c 200 "$T/mount.err")): read-only mounts not checked"
  exit 0
fi
MOUNTS+=("$T/tmpfs")

micro_ini "$T/m.ini" "epochs=1"
"$WB" sweep "$T/m.ini" --db "$T/src/m.db" --quiet > /dev/null || fail "the micro sweep"
"$WB" data export "$T/m.ini" --out "$T/mx" > /dev/null || fail "the data export"
eq "no -wal or -shm after the sweep" "$(ls "$T/src" | grep -c -- '-wal\|-shm')" 0
"$WB" ls --db "$T/src/m.db" > "$T/ls.expected" 2> /dev/null
"$WB" query "SELECT count(*) FROM metrics" --db "$T/src/m.db" --csv > "$T/query.expected"

# A copy with transactions in its -wal: a writer holds the database open (no checkpoint) while
# its three files are copied.
mkdir "$T/walsrc"
cp "$T/src/m.db" "$T/walsrc/m.db"
mkfifo "$T/writer.in"
sqlite3 "$T/walsrc/m.db" < "$T/writer.in" > "$T/writer.out" 2>&1 &
PIDS+=("$!")
exec 7> "$T/writer.in"
echo "PRAGMA wal_autocheckpoint = 0; UPDATE runs SET error = 'from the wal' WHERE id = 1; SELECT 'written';" >&7
for _ in $(seq 100); do grep -q written "$T/writer.out" && break; sleep 0.1; done
cp "$T/walsrc/m.db" "$T/walsrc/m.db-wal" "$T/walsrc/m.db-shm" "$T/tmpfs/" 2> /dev/null
exec 7>&-
check "the -wal copied holds transactions" test -s "$T/tmpfs/m.db-wal"
mkdir "$T/tmpfs/noshm"
cp "$T/tmpfs/m.db" "$T/tmpfs/m.db-wal" "$T/tmpfs/noshm/"
mkdir "$T/tmpfs/plain"
cp -r "$T/src/m.db" "$T/src/m.db.runs" "$T/tmpfs/plain/"

mount -o remount,ro "$T/tmpfs" || fail "remount read-only"
mount --bind "$T/src" "$T/bind" && MOUNTS+=("$T/bind") && mount -o remount,bind,ro "$T/bind" ||
  fail "a read-only bind mount"
check "the tmpfs is read-only" bash -c "! touch '$T/tmpfs/plain/x' 2> /dev/null"
check "the bind mount is read-only" bash -c "! touch '$T/bind/x' 2> /dev/null"

# Every read command once on database $1 (name $2): exit statuses, and the notes on stderr.
readers() {
  local db=$1 name=$2 rcs=()
  "$WB" ls --db "$db" > "$T/$name.ls" 2> "$T/$name.ls.err"; rcs+=($?)
  "$WB" show 1 --db "$db" > /dev/null 2> "$T/$name.show.err"; rcs+=($?)
  "$WB" diff 1 2 --db "$db" > /dev/null 2> "$T/$name.diff.err"; rcs+=($?)
  "$WB" compare --db "$db" > /dev/null 2> "$T/$name.compare.err"; rcs+=($?)
  "$WB" report --db "$db" --out "$T/$name.report" > /dev/null 2> "$T/$name.report.err"; rcs+=($?)
  "$WB" query "SELECT count(*) FROM metrics" --db "$db" --csv > "$T/$name.query" 2> "$T/$name.query.err"
  rcs+=($?)
  "$WB" predict 1 --db "$db" --input "$T/mx/test_x.npy" --out "$T/$name.y.npy" > /dev/null \
    2> "$T/$name.predict.err"; rcs+=($?)
  echo "${rcs[*]}"
}
for mnt in tmpfs bind; do
  db=$T/$mnt/m.db
  [ "$mnt" = tmpfs ] && db=$T/tmpfs/plain/m.db
  eq "$mnt: every reader exits 0" "$(readers "$db" "$mnt")" "0 0 0 0 0 0 0"
  for cmd in ls show diff compare report query predict; do
    n=$(grep -c "note: .*m.db is read as immutable (its folder is on a read-only file system)" "$T/$mnt.$cmd.err")
    [ "$n" = 1 ] || fail "$mnt: wb $cmd says it reads immutable $n times: $(head -c 300 "$T/$mnt.$cmd.err")"
  done
  ok "$mnt: each says once that it reads the file as immutable"
  eq "$mnt: ls lists the runs" "$(cat "$T/$mnt.ls")" "$(cat "$T/ls.expected")"
  eq "$mnt: query counts the metrics" "$(cat "$T/$mnt.query")" "$(cat "$T/query.expected")"
  check "$mnt: the report was written" test -s "$T/$mnt.report/index.html"
  check "$mnt: the prediction was written" test -s "$T/$mnt.y.npy"
  "$WB" report --db "$db" > /dev/null 2> "$T/$mnt.report-in-place.err"; rc=$?
  eq "$mnt: report into the read-only folder: exit 1" "$rc" 1
  check "  and it says the file system is read-only" grep -q "Read-only file system" "$T/$mnt.report-in-place.err"
done

# --- the -wal holds transactions ----------------------------------------------------------------
"$WB" show 1 --db "$T/tmpfs/m.db" > "$T/wal.show" 2> "$T/wal.show.err"; rc=$?
eq "a -wal with its -shm: read (exit 0)" "$rc" 0
check "  with the -wal's transactions" grep -q "from the wal" "$T/wal.show"
"$WB" ls --db "$T/tmpfs/noshm/m.db" > /dev/null 2> "$T/noshm.err"; rc=$?
eq "a -wal without its -shm: exit 1 (it cannot be opened; the usage was right)" "$rc" 1
check "  and it says why" grep -q "it has a -wal file but no -shm file" "$T/noshm.err"

# --- exit statuses ---------------------------------------------------------------------------------
"$WB" ls --db "$T/tmpfs/none.db" > /dev/null 2>&1; rc=$?
eq "no database at the path: exit 2" "$rc" 2
"$WB" query "SELECT 1" --db "$T/tmpfs/none.db" > /dev/null 2>&1; rc=$?
eq "  query too" "$rc" 2
"$WB" sweep "$T/m.ini" --db "$T/tmpfs/plain/m.db" --quiet > /dev/null 2> "$T/sweep.err"; rc=$?
eq "a sweep into the read-only mount: exit 1" "$rc" 1

# --- wb serve ------------------------------------------------------------------------------------
"$WB" serve --db "$T/tmpfs/plain/m.db" --port 0 > "$T/serve.out" 2> "$T/serve.err" &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$T/serve.out" ] && break; sleep 0.1; done
URL=$(head -n1 "$T/serve.out")
get() { curl -s -m 10 -o "$T/body" -w '%{http_code}' "$URL$1"; }
eq "serve: /api/state 200" "$(get api/state)" 200
eq "  without an error" "$(jq -r .error "$T/body")" null
eq "  with the sweep" "$(jq -r '.sweeps[0].name' "$T/body")" micro
eq "serve: /api/sweep/1 200" "$(get api/sweep/1)" 200
eq "serve: /api/run/1/preview.png 200" "$(get api/run/1/preview.png)" 200
finish
