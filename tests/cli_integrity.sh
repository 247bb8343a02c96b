#!/usr/bin/env bash
# Checkpoints carry their SHA-256 (issue 15, item 3). Every weight, optimizer and preview file an
# epoch writes is hashed and the hash committed with the epoch's rows. A sweep never trains on from
# a damaged file: it goes back to last.prev when that verifies (the later epoch's rows removed),
# else the run fails naming the file. wb predict refuses damaged weights and weights holding NaN
# or Inf. And the kill-storm bug: after resuming from last.prev, the first write no longer rotates
# the stale last.safetensors over the good last.prev.
. tests/cli_lib.sh

# One run (λ = 0, seed 1) of 5 epochs of 4096 patches: long enough epochs (0.3 s here) for a
# SIGINT sent after epoch 2's line to land inside epoch 3.
micro_ini "$T/i.ini" "seeds=1" "laplacian_weight=0" "epochs=5" "train_patches=4096"
"$WB" sweep "$T/i.ini" --db "$T/ref.db" --quiet > /dev/null || fail "reference sweep"
ref=$(metrics_dump "$T/ref.db")
h=$(sq "$T/ref.db" "SELECT substr(config_hash, 1, 12) FROM runs")
eq "reference: a hash for every file each epoch wrote" \
   "$(sq "$T/ref.db" "SELECT count(*) FROM file_hashes WHERE sha256 GLOB '[0-9a-f]*' AND length(sha256) = 64")" \
   "$(sq "$T/ref.db" "SELECT 1 + 2 * 5 + 2 * (SELECT count(*) FROM file_hashes WHERE name = 'preview.npy')")"
eq "  the hashes are the files' (last, best, preview)" \
   "$(cd "$T/ref.db.runs/$h" && sha256sum last.safetensors last.optim.safetensors best.safetensors preview.npy | cut -c1-64 | sort)" \
   "$(sq "$T/ref.db" "SELECT sha256 FROM file_hashes WHERE epoch = 5 AND name IN ('last.safetensors', 'last.optim.safetensors') UNION ALL
                      SELECT sha256 FROM (SELECT sha256 FROM file_hashes WHERE name = 'best.safetensors' ORDER BY epoch DESC LIMIT 1) UNION ALL
                      SELECT sha256 FROM (SELECT sha256 FROM file_hashes WHERE name = 'preview.npy' ORDER BY epoch DESC LIMIT 1)" | sort)"

# Writes bytes (printf escapes) at OFFSET of FILE, in place.
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# Flips exponent bits (0x40 of the high byte) of the last float of FILE: a weight becomes huge or
# tiny, the header is untouched and still parses.
flip_exponent() {
  local size b
  size=$(stat -c %s "$1")
  b=$(od -An -tu1 -j $((size - 1)) -N1 "$1" | tr -d ' ')
  poke "$1" $((size - 1)) "$(printf '\\%03o' $((b ^ 64)))"
}

# ---- a run interrupted after epoch k >= 2 (last = k, last.prev = k - 1) -----------------------
setsid "$WB" sweep "$T/i.ini" --db "$T/int.db" > /dev/null 2> "$T/int.err" &
pid=$!
wait_for_line "$T/int.err" "epoch 2/5" || fail "no progress line for epoch 2"
kill -INT -- "-$pid"; wait "$pid"
k=$(sq "$T/int.db" "SELECT epochs_done FROM runs")
eq "interrupted after epoch 2 or 3" "$(sq "$T/int.db" "SELECT status, epochs_done IN (2, 3) FROM runs")" "interrupted|1"
scenario() {    # NAME: a copy of the interrupted database and its run folder
  cp "$T/int.db" "$T/$1.db"
  cp -a "$T/int.db.runs" "$T/$1.db.runs"
  D=$T/$1.db.runs/$h
}
resumes_to_reference() {   # NAME
  local rc
  "$WB" sweep "$T/i.ini" --db "$T/$1.db" > /dev/null 2> "$T/$1.err"; rc=$?
  eq "$1: the sweep exits 0" "$rc" 0
  eq "$1: and ends with the uninterrupted numbers, bitwise" "$(metrics_dump "$T/$1.db")" "$ref"
  check "$1: and the uninterrupted final weights" cmp -s "$T/ref.db.runs/$h/last.safetensors" "$T/$1.db.runs/$h/last.safetensors"
}

# Tensor bytes of last.safetensors overwritten, header intact: back to last.prev (epoch k - 1).
scenario overwritten
size=$(stat -c %s "$D/last.safetensors")
head -c 256 /dev/urandom | dd of="$D/last.safetensors" bs=1 seek=$((size - 512)) conv=notrunc status=none
resumes_to_reference overwritten
check "overwritten: the warning names the damaged file" grep -q "last.safetensors is damaged" "$T/overwritten.err"
check "  and says the run went back to epoch $((k - 1))" grep -q "resumes from epoch $((k - 1))" "$T/overwritten.err"
echo "  warning: $(grep 'warning' "$T/overwritten.err" | head -n1)"

# Exponent bits of the optimizer state flipped: the same.
scenario flipped
flip_exponent "$D/last.optim.safetensors"
resumes_to_reference flipped
check "flipped: the warning names the optimizer file" grep -q "last.optim.safetensors is damaged" "$T/flipped.err"

# Both generations damaged: the run fails naming the file, and nothing is trained or removed.
scenario both
flip_exponent "$D/last.safetensors"
flip_exponent "$D/last.prev.safetensors"
before=$(metrics_dump "$T/both.db")
"$WB" sweep "$T/i.ini" --db "$T/both.db" > /dev/null 2> "$T/both.err"; rc=$?
eq "both: the sweep exits 1" "$rc" 1
eq "both: the run failed at epoch $k" "$(sq "$T/both.db" "SELECT status, epochs_done FROM runs")" "failed|$k"
check "both: its error names last.safetensors" grep -q "last.safetensors is damaged" <(sq "$T/both.db" "SELECT error FROM runs")
echo "  error: $(sq "$T/both.db" "SELECT error FROM runs")"
eq "both: its rows are as they were" "$(metrics_dump "$T/both.db")" "$before"

# Files from before hashes were recorded: trusted, with a warning.
scenario old
sq "$T/old.db" "DELETE FROM file_hashes"
resumes_to_reference old
check "old: a warning says the files have no recorded hash" grep -q "no SHA-256 recorded" "$T/old.err"

# ---- kill storm: resumed from last.prev, the first write must not rotate over it ------------
# As if the process died between renaming epoch 5's files into place and committing its rows:
# the database says 4, last.safetensors holds 5 and last.prev 4. The resumed epoch 5 then fails
# right after the point where it used to rotate the stale `last` over last.prev (its optimizer
# file cannot be written: a folder stands in its place), as a second kill there would stop it.
cp "$T/ref.db" "$T/storm.db"
cp -a "$T/ref.db.runs" "$T/storm.db.runs"
D=$T/storm.db.runs/$h
sq "$T/storm.db" "DELETE FROM metrics WHERE epoch = 5; DELETE FROM file_hashes WHERE epoch = 5;
                  DELETE FROM checkpoints WHERE kind = 'best' AND epoch = 5;
                  UPDATE checkpoints SET epoch = 4 WHERE kind = 'last';
                  UPDATE runs SET status = 'interrupted', epochs_done = 4"
rm "$D/last.optim.safetensors" && mkdir "$D/last.optim.safetensors"
"$WB" sweep "$T/i.ini" --db "$T/storm.db" > /dev/null 2> "$T/storm1.err"; rc=$?
eq "storm: the resumed epoch's write fails (exit 1)" "$rc" 1
eq "storm: last.prev still holds epoch 4" "$(grep -ao '"epoch":"[0-9]*"' "$D/last.prev.safetensors")" '"epoch":"4"'
rmdir "$D/last.optim.safetensors"
resumes_to_reference storm

# ---- wb predict ---------------------------------------------------------------------------------
"$WB" data export "$T/i.ini" --out "$T/x" > /dev/null
predict() {     # DB: the best checkpoint of the run on the test inputs
  "$WB" predict 1 --db "$1" --input "$T/x/test_x.npy" --out "$T/y.npy" > /dev/null 2> "$T/predict.err"
}
predict "$T/ref.db"; eq "predict: the reference's weights verify (exit 0)" "$?" 0
# A copy in a folder of its own: the database names its files by paths relative to itself.
mkdir "$T/p"
cp "$T/ref.db" "$T/p/ref.db"
cp -a "$T/ref.db.runs" "$T/p/ref.db.runs"
D=$T/p/ref.db.runs/$h
flip_exponent "$D/best.safetensors"
predict "$T/p/ref.db"; eq "predict: damaged weights are refused (exit 1)" "$?" 1
check "  naming the file" grep -q "best.safetensors is damaged" "$T/predict.err"
# NaN where a weight was, with a matching hash (as if written so): refused all the same.
cp "$T/ref.db.runs/$h/best.safetensors" "$D/best.safetensors"
size=$(stat -c %s "$D/best.safetensors")
poke "$D/best.safetensors" $((size - 4)) '\x00\x00\xc0\x7f'
best_epoch=$(sq "$T/p/ref.db" "SELECT epoch FROM checkpoints WHERE kind = 'best'")
sq "$T/p/ref.db" "UPDATE file_hashes SET sha256 = '$(sha256sum "$D/best.safetensors" | cut -c1-64)'
              WHERE name = 'best.safetensors' AND epoch = $best_epoch"
predict "$T/p/ref.db"; eq "predict: weights holding NaN are refused (exit 1)" "$?" 1
check "  saying so" grep -q "holds NaN" "$T/predict.err"
poke "$D/best.safetensors" $((size - 4)) '\x00\x00\x80\x7f'
sq "$T/p/ref.db" "DELETE FROM file_hashes"
predict "$T/p/ref.db"; eq "predict: weights holding Inf are refused, hashed or not (exit 1)" "$?" 1
check "  saying so" grep -q "holds Inf" "$T/predict.err"
check "  and warning that the file has no recorded hash" grep -q "no recorded SHA-256" "$T/predict.err"

# ---- wb report: a damaged preview is not shown --------------------------------------------------
mkdir "$T/r"
cp "$T/ref.db" "$T/r/ref.db"
cp -a "$T/ref.db.runs" "$T/r/ref.db.runs"
"$WB" report --db "$T/r/ref.db" --out "$T/r/ok" > /dev/null 2>&1; rc=$?
eq "report: exit 0" "$rc" 0
check "  with the image grid of the run's preview" test -f "$T/r/ok/grid.png"
flip_exponent "$T/r/ref.db.runs/$h/preview.npy"
"$WB" report --db "$T/r/ref.db" --out "$T/r/bad" > /dev/null 2>&1; rc=$?
eq "report: with a damaged preview, exit 0" "$rc" 0
check "  and no image grid made from it" test ! -e "$T/r/bad/grid.png"
check "  saying there is none" grep -rq "No image grid" "$T/r/bad"

# ---- wb merge carries the hashes -----------------------------------------------------------------
"$WB" merge "$T/merged.db" "$T/ref.db" > /dev/null 2>&1; rc=$?
eq "merge: exit 0" "$rc" 0
eq "merge: the merged database has the run's file hashes" \
   "$(sq "$T/merged.db" "SELECT epoch, name, sha256 FROM file_hashes ORDER BY 1, 2")" \
   "$(sq "$T/ref.db" "SELECT epoch, name, sha256 FROM file_hashes ORDER BY 1, 2")"
predict "$T/merged.db"; eq "merge: and predict verifies the merged weights (exit 0)" "$?" 0

finish
