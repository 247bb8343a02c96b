#!/usr/bin/env bash
# Data through the command line (issue 3, acceptance 6 and 7; issue 4, acceptance 8): wb run
# trains on each source; with fresh_noise = false an npy:DIR export reproduces the run bit for bit;
# wb predict on the exported test inputs reproduces the logged test PSNR; every kind of bad input
# is exit status 2 with one line naming the file and the problem.
. tests/cli_lib.sh

base() { micro_ini "$1" "epochs=1" "train_patches=128" "database=$T/$(basename "$1" .ini).db" "${@:2}"; }
one=(--set sweep.seeds=1 --set loss.laplacian_weight=0.6 --set loss.kernel=8 --quiet)

# --- the three sources -------------------------------------------------------------------------
base "$T/fixed.ini"
sed -i 's/^\[data\]/[data]\nfresh_noise = false/' "$T/fixed.ini"
"$WB" run "$T/fixed.ini" "${one[@]}" > /dev/null; eq "wb run on builtin" "$?" 0
"$WB" data export "$T/fixed.ini" --out "$T/npy" > "$T/export.txt"
check "export prints the shapes" grep -q "train_x.npy: float32 (128, 16, 16, 3)" "$T/export.txt"
# The export's first grid point is λ = 0; the data do not depend on the loss.
cp "$T/fixed.ini" "$T/fromnpy.ini"
sed -i "s|^\[data\]|[data]\nsource = npy:$T/npy|; s|^database *=.*|database = $T/fromnpy.db|" "$T/fromnpy.ini"
"$WB" run "$T/fromnpy.ini" "${one[@]}" > /dev/null; eq "wb run on npy:DIR" "$?" 0
eq "npy:DIR with fresh_noise = false reproduces the builtin run, bitwise" \
   "$(metrics_dump "$T/fromnpy.db" | cut -d'|' -f2-)" "$(metrics_dump "$T/fixed.db" | cut -d'|' -f2-)"
mkdir -p "$T/pngs"
cp data/photos/astronaut.png data/photos/coffee.png "$T/pngs/"
base "$T/png.ini"
sed -i "s|^\[data\]|[data]\nsource = png:$T/pngs|" "$T/png.ini"
"$WB" run "$T/png.ini" "${one[@]}" > /dev/null; eq "wb run on png:DIR" "$?" 0
eq "  data source recorded" "$(sq "$T/png.db" "SELECT data_source FROM runs")" "png:$T/pngs"
"$WB" data show "$T/png.ini" --out "$T/grid.png" > /dev/null; eq "wb data show" "$?" 0
eq "  writes a PNG" "$(head -c 4 "$T/grid.png" | tail -c 3)" "PNG"

# --- wb predict reproduces the logged test PSNR -------------------------------------------------
"$WB" sweep experiments/micro.ini --db "$T/m.db" --quiet > /dev/null
"$WB" data export experiments/micro.ini --out "$T/mx" > /dev/null
for kind in best last; do
  for run in 1 4; do
    logged=$(sq "$T/m.db" "SELECT m.value FROM checkpoints c JOIN metrics m ON m.run_id = c.run_id AND m.epoch = c.epoch AND m.split = 'test' AND m.name = 'psnr' WHERE c.run_id = $run AND c.kind = '$kind'")
    got=$("$WB" predict "$run" --db "$T/m.db" --checkpoint "$kind" --input "$T/mx/test_x.npy" --target "$T/mx/test_y.npy" --out "$T/y.npy" --json 2> /dev/null | jq -r .psnr)
    check "predict (run $run, $kind) reproduces the logged test PSNR $logged: $got" \
      awk -v a="$got" -v b="$logged" 'BEGIN { d = a - b; exit !(a != "" && d < 1e-9 && d > -1e-9) }'
  done
done

# --- bad input: exit status 2, one line naming the file and the problem -------------------------
# bad NAME SOURCE PATTERN
bad() {
  base "$T/$1.ini"
  sed -i "s|^\[data\]|[data]\nsource = $2|" "$T/$1.ini"
  # timeout: a source that hangs (a FIFO waited on) fails here instead of hanging the suite
  timeout 60 "$WB" run "$T/$1.ini" "${one[@]}" > /dev/null 2> "$T/$1.err"
  local rc=$?
  eq "$1: exit status 2" "$rc" 2
  eq "$1: one line" "$(wc -l < "$T/$1.err")" 1
  check "$1: message matches '$3'" grep -qE -- "$3" "$T/$1.err"
  check "$1: nothing trained" test ! -e "$T/$1.db"
}
bad missing_folder "png:$T/nowhere" "nowhere"
mkdir -p "$T/empty"; bad no_png "png:$T/empty" "empty.*(no|PNG)"
mkdir -p "$T/trunc"; head -c 3000 data/photos/chelsea.png > "$T/trunc/cut.png"
bad truncated_png "png:$T/trunc" "cut.png"
mkdir -p "$T/text"; echo "not an image" > "$T/text/fake.png"; bad not_png "png:$T/text" "fake.png"
mkdir -p "$T/tiny"
echo 'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAKUlEQVR4nA3HMQEAAAzCMIRVGGdFIXDLlyQSGxcTBIvjU6mt62cyOzcPp2MTQTYdST8AAAAASUVORK5CYII=' | base64 -d > "$T/tiny/four.png"
bad small_image "png:$T/tiny" "four.png"
# A FIFO named like a PNG (issue 15, item 7): refused at once instead of waited on forever.
mkdir -p "$T/fifo"; cp data/photos/coffee.png "$T/fifo/"; mkfifo "$T/fifo/x.png"
bad fifo_png "png:$T/fifo" "x.png: not a regular file \\(a FIFO\\)"
base "$T/fifo_export.ini"
sed -i "s|^\[data\]|[data]\nsource = png:$T/fifo|" "$T/fifo_export.ini"
timeout 60 "$WB" data export "$T/fifo_export.ini" --out "$T/fifo_out" > /dev/null 2> "$T/fifo_export.err"
eq "wb data export of a folder with a FIFO: refused (exit 2), not waited on" "$?" 2

# npy: a copy of the good export with one file replaced.
# npy FILE DICT BODY_BYTES: a version 1.0 file with that header and zero bytes of body.
npy() {
  local dict=$2 pad hlen
  pad=$(( (64 - (10 + ${#dict} + 1) % 64) % 64 ))
  hlen=$(( ${#dict} + pad + 1 ))
  { printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((hlen & 255)))\\x$(printf %02x $((hlen >> 8)))"
    printf '%s%*s\n' "$dict" "$pad" ""
    head -c "$3" /dev/zero; } > "$1"
}
badnpy() {
  rm -rf "$T/n_$1"; cp -r "$T/npy" "$T/n_$1"
  npy "$T/n_$1/$2" "$3" "$4"
  bad "$1" "npy:$T/n_$1" "$5"
}
img=$((16 * 16 * 3))
badnpy npy_dtype train_y.npy "{'descr': '<i8', 'fortran_order': False, 'shape': (128, 16, 16, 3), }" $((128 * img * 8)) "train_y.npy.*(dtype|i8)"
badnpy npy_rank val_x.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 16, 48), }" $((64 * img * 4)) "val_x.npy"
badnpy npy_shape test_y.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 8, 8, 3), }" $((64 * 8 * 8 * 3 * 4)) "test_y.npy"
badnpy npy_truncated train_x.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (128, 16, 16, 3), }" $((128 * img * 4 - 100)) "train_x.npy.*(truncated|short|bytes)"
# Inputs out of range (issue 15, item 9): 1e30 in train_x.npy is refused like a target outside
# [0, 1] (inputs may leave [0, 1] only by 1 + 8 data.noise_sigma).
rm -rf "$T/n_x_range"; cp -r "$T/npy" "$T/n_x_range"
off=$(( $(od -An -tu2 -j8 -N2 "$T/n_x_range/train_x.npy") + 10 + 4 * 100 ))
printf '\xca\xf2\x49\x71' | dd of="$T/n_x_range/train_x.npy" bs=1 seek=$off conv=notrunc status=none
bad npy_x_range "npy:$T/n_x_range" "train_x.npy: value 1e\\+30 at index 100 is outside \\[-1.8, 2.8\\]"
badnpy npy_counts test_x.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (63, 16, 16, 3), }" $((63 * img * 4)) "test_x.*(63|64)"
finish
