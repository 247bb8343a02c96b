#!/usr/bin/env bash
# Photos in, photos out (issue 16, item 7): wb predict on a PNG of any size writes a PNG of the
# same size; --crop, --degrade, --tile; .npy inputs in float64 are converted; a PNG output of
# several images, a crop outside the image and tiles too small for the margin are exit status 2
# with one line. tests/test_model_tile.c checks that the tiles equal one pass over the image.
. tests/cli_lib.sh

micro_ini "$T/p.ini" "epochs=1" "train_patches=128" "database=$T/p.db"
"$WB" run "$T/p.ini" --set sweep.seeds=1 --set loss.laplacian_weight=0 --set model.depth=2 --quiet > /dev/null
eq "a one-epoch run at depth 2 (margin 24)" "$?" 0

# PNG width and height from the IHDR chunk.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ print $3 * 256 + $4 "x" $7 * 256 + $8 }'; }

"$WB" predict 1 --db "$T/p.db" --input data/photos/chelsea.png --out "$T/clean.png" > "$T/out.txt"
eq "a photo in, a photo out" "$?" 0
eq "  of the photo's size (451x300: neither side a multiple of 4)" "$(png_size "$T/clean.png")" "451x300"
check "  in tiles, with the network's memory" bash -c 'tr "\n" " " < "$1" | tr -s " " | grep -Eq "of 451x300 \(width x height\) in 4 tile\(s\) of 256x256 per image \(margin 24\), [0-9]+ a pass; network memory [0-9.]+ MB"' _ "$T/out.txt"

"$WB" predict 1 --db "$T/p.db" --input data/photos/coffee.png --crop 100,50,97,61 \
  --degrade "$T/noisy.png" --out "$T/c.png" > /dev/null
eq "--crop and --degrade" "$?" 0
eq "  the prediction is the crop's size" "$(png_size "$T/c.png")" "97x61"
eq "  the degraded input too" "$(png_size "$T/noisy.png")" "97x61"
"$WB" predict 1 --db "$T/p.db" --input data/photos/coffee.png --crop 100,50,97,61 --out "$T/c0.png" > /dev/null
check "  the degraded input is not the photo's crop" bash -c "! cmp -s '$T/c.png' '$T/c0.png'"

"$WB" predict 1 --db "$T/p.db" --input data/photos/coffee.png --crop 0,0,97,61 --tile 64 --out "$T/t.npy" > "$T/out.txt"
eq "--tile 64 into .npy" "$?" 0
check "  4 tiles of 64x64 (100x64 padded, steps of 16)" grep -q "in 4 tile(s) of 64x64" "$T/out.txt"
check "  float32 (1, 61, 97, 3)" grep -q "'descr': '<f4', 'fortran_order': False, 'shape': (1, 61, 97, 3)" "$T/t.npy"

# A float64 array (NumPy's default dtype), written by hand: zeros, shape (2, 5, 7, 3).
npy64() {
  local dict="{'descr': '<f8', 'fortran_order': False, 'shape': (2, 5, 7, 3), }"
  local pad=$((118 - ${#dict} - 1))
  { printf '\x93NUMPY\x01\x00\x76\x00'; printf '%s%*s\n' "$dict" "$pad" ""; head -c $((2 * 5 * 7 * 3 * 8)) /dev/zero; } > "$1"
}
npy64 "$T/x64.npy"
"$WB" predict 1 --db "$T/p.db" --input "$T/x64.npy" --out "$T/y.npy" > /dev/null
eq "float64 .npy input is converted" "$?" 0
check "  predictions float32 (2, 5, 7, 3)" grep -q "'descr': '<f4', 'fortran_order': False, 'shape': (2, 5, 7, 3)" "$T/y.npy"

# Refusals: exit status 2, one line naming the problem.
refuse() {
  local what=$1 pattern=$2; shift 2
  "$WB" predict 1 --db "$T/p.db" "$@" > /dev/null 2> "$T/err.txt"
  eq "$what: exit status 2" "$?" 2
  check "  says '$pattern'" grep -Eq "$pattern" "$T/err.txt"
  eq "  in one line" "$(wc -l < "$T/err.txt")" 1
}
refuse "two images into one PNG" "a PNG holds one image" --input "$T/x64.npy" --out "$T/two.png"
refuse "a crop outside the image" "reaches outside its 451x300" --input data/photos/chelsea.png --crop 400,0,60,10 --out "$T/x.png"
refuse "a malformed crop" "expected X,Y,W,H" --input data/photos/chelsea.png --crop 1,2,3 --out "$T/x.png"
refuse "tiles too small for the margin" "tiles of 48 pixels with a margin of 24" --input data/photos/chelsea.png --tile 48 --out "$T/x.png"
check "  and nothing written" test ! -e "$T/x.png"

finish
