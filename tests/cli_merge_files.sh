#!/usr/bin/env bash
# What merge copies from a shard's run folders, and what a crafted weights file costs (issue 24,
# findings 6 and 9): merge copies only the files a run writes (a sparse 300 MB file of another
# name in a 388 KB shard folder became 301 MB), each no larger than its run's shapes allow (a
# sparse 300 MB preview.npy, a best.safetensors of 80,000 tensors with a matching hash are
# refused); and reading a safetensors header is no longer quadratic: wb predict on those 80,000
# tensors refuses them at once (it took 84 s), before looking at any.
source tests/cli_lib.sh

"$WB" sweep experiments/micro.ini --db "$T/good/s0.db" --shard 0/2 --quiet > /dev/null || fail "sweep a shard"
first=$(sq "$T/good/s0.db" "SELECT config_hash FROM runs ORDER BY id LIMIT 1")
h12=${first:0:12}
shard() { rm -rf "$T/$1"; mkdir -p "$T/$1"; cp -r "$T/good/s0.db" "$T/good/s0.db.runs" "$T/$1/"; }
kb() { du -sk "$1" | cut -f1; }

# --- files no run writes are left behind ----------------------------------------------------------
shard sparse
truncate -s 300M "$T/sparse/s0.db.runs/$h12/extra.bin"
truncate -s 300M "$T/sparse/s0.db.runs/$h12/best.safetensors.orig"
check "the shard's folder is small on disk ($(kb "$T/sparse/s0.db.runs") KB)" test "$(kb "$T/sparse/s0.db.runs")" -lt 4096
"$WB" merge "$T/out1/m.db" "$T/sparse/s0.db" > "$T/merge1.out" 2> "$T/merge1.err"
eq "a shard with files of other names merges (exit 0)" "$?" 0
check "  the run's own files are copied" test -s "$T/out1/m.db.runs/$h12/best.safetensors"
eq "  the others are not" "$(ls "$T/out1/m.db.runs/$h12" | grep -c 'extra.bin\|orig')" 0
check "  the merged folder is small ($(kb "$T/out1/m.db.runs") KB; 301 MB before)" test "$(kb "$T/out1/m.db.runs")" -lt 4096
eq "  every run there" "$(sq "$T/out1/m.db" "SELECT count(*) FROM runs")" "$(sq "$T/good/s0.db" "SELECT count(*) FROM runs")"

# refused NAME PATTERN: merging $T/NAME/s0.db into a fresh output is refused, naming what.
refused() {
  "$WB" merge "$T/out-$1/m.db" "$T/$1/s0.db" > "$T/$1.out" 2> "$T/$1.err"
  eq "$1: exit status 1" "$?" 1
  check "$1: says '$2'" grep -qE -- "$2" "$T/$1.err"
  eq "$1: no run merged" "$(sq "$T/out-$1/m.db" "SELECT count(*) FROM runs" 2> /dev/null)" 0
  eq "$1: no file copied" "$(find "$T/out-$1" -type f -path '*runs*' | wc -l)" 0
}
shard big_preview
truncate -s 300M "$T/big_preview/s0.db.runs/$h12/preview.npy"
refused big_preview "run $h12: .*preview.npy holds 314572800 bytes, more than a run of its shapes writes \\(1343488: [0-9]+ parameters, patch 16\\)"

# --- a crafted weights file: 80,000 tensors, hash recorded ----------------------------------------
# make_tensors OUT N: a safetensors file of N one-float tensors.
make_tensors() {
  local out=$1 n=$2 len
  awk -v n="$n" 'BEGIN { printf "{"; for (i = 0; i < n; i++)
    printf "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}", (i ? "," : ""), i, 4 * i, 4 * i + 4
    printf "}" }' > "$T/header.json"
  len=$(stat -c %s "$T/header.json")
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((len & 255)) $((len >> 8 & 255)) \
    $((len >> 16 & 255)) $((len >> 24 & 255)))" > "$out"
  cat "$T/header.json" >> "$out"
  head -c $((4 * n)) /dev/zero >> "$out"
}
shard crafted
best=$T/crafted/s0.db.runs/$h12/best.safetensors
make_tensors "$best" 80000
sum=$(sha256sum < "$best" | cut -c1-64)
sqlite3 "$T/crafted/s0.db" "PRAGMA journal_mode = DELETE; UPDATE file_hashes SET sha256 = '$sum'
  WHERE name = 'best.safetensors' AND run_id = (SELECT id FROM runs WHERE config_hash = '$first')" > /dev/null
refused crafted "run $h12: .*best.safetensors holds [0-9]+ bytes, more than a run of its shapes writes"
"$WB" data export experiments/micro.ini --out "$T/mx" > /dev/null || fail "the data export"
timeout 60 "$WB" predict "$h12" --db "$T/crafted/s0.db" --input "$T/mx/test_x.npy" --out "$T/y.npy" \
  > /dev/null 2> "$T/predict.err"
rc=$?
[ $rc -eq 124 ] && fail "predict on 80,000 tensors: still parsing after 60 s" ||
  eq "predict on 80,000 tensors: refused (exit 1)" "$rc" 1
check "  by their count, before looking at them" \
  grep -q "best.safetensors: not a valid safetensors file: 80000 tensors and 0 metadata entries (at most 4096 each)" "$T/predict.err"
finish
