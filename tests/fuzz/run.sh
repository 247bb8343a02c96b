#!/usr/bin/env bash
# tests/fuzz/run.sh (make fuzz): builds the libFuzzer targets of tests/fuzz/ with clang
# (-fsanitize=fuzzer,address,undefined) against the project's own sources, runs each for
# FUZZ_SECONDS (default 60) from its seed corpus, and prints executions and crashes per target.
#
#   FUZZ_SECONDS=120 make fuzz          all six targets, two minutes each
#   bash tests/fuzz/run.sh png npy       only these (ini png npy safetensors db merge)
#   FUZZ_JOBS=2 ...                      libFuzzer workers per target (default 1)
#
# Work files go to build-fuzz/: the growing corpus (build-fuzz/corpus/TARGET, seeded from
# tests/fuzz/corpus/TARGET, which is left alone) and crash inputs (build-fuzz/crashes/TARGET/).
# A crash found becomes a regression: copy its input to tests/fuzz/crashes/TARGET/, fix the bug;
# tests/test_regress_fuzz.c replays every file there (and the seeds) in `make test`.
# Exit status: 0 when no target crashed, 1 otherwise, 2 when clang or libFuzzer is missing.
set -u
cd "$(dirname "$0")/../.." || exit 2
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
OUT=build-fuzz
CC=${FUZZ_CC:-clang}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ini png npy safetensors db merge)

if ! command -v "$CC" > /dev/null; then
  echo "fuzz: $CC not found (make fuzz-deps installs clang and libclang-rt-14-dev)" >&2
  exit 2
fi

CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=undefined -Wall -Wextra -I. -D_DEFAULT_SOURCE
        -D_POSIX_C_SOURCE=200809L)
# Each target compiles only the sources its entry point needs.
sources_of() {
  case $1 in
    ini) echo "wb/config.c wb/util.c base/err.c analysis/label.c model/metrics.c" \
              "model/image_metrics.c model/loss.c model/lap_kernels.c" ;;
    png) echo "data/image.c base/*.c" ;;
    npy) echo "data/npy.c base/*.c" ;;
    safetensors) echo "model/safetensors.c base/*.c" ;;
    db) echo store/*.c base/*.c analysis/analysis.c analysis/stats.c analysis/answer.c \
          analysis/keytable.c analysis/label.c model/metrics.c model/image_metrics.c model/loss.c \
          model/lap_kernels.c wb/config.c wb/cmd.c wb/cmd_ls.c wb/cmd_compare.c wb/table.c \
          wb/util.c plots/escape.c ;;
    merge) echo store/*.c base/*.c model/metrics.c model/image_metrics.c model/loss.c model/lap_kernels.c \
          tests/support/tempdir.c ;;
  esac
}
libs_of() {
  case $1 in
    ini) echo "-lcjson -linih -lnettle -lgomp -lpthread -lm" ;;
    png) echo "-lpng -lnettle -lm" ;;
    npy) echo "-lnettle -lm" ;;
    safetensors) echo "-lcjson -lnettle -lm" ;;
    db) echo "-lsqlite3 -lgsl -lgslcblas -lcjson -linih -lnettle -lgomp -lpthread -lm" ;;
    merge) echo "-lsqlite3 -lnettle -lgomp -lpthread -lm" ;;
  esac
}
# The longest input: database files are whole pages (the seeds use 512-byte pages).
max_len_of() {
  case $1 in
    db|merge) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

mkdir -p "$OUT"
declare -A execs crashes sites
for t in "${targets[@]}"; do
  src=$(sources_of "$t")
  if [ -z "$src" ]; then echo "fuzz: unknown target '$t' (ini, png, npy, safetensors, db, merge)" >&2; exit 2; fi
  bin=$OUT/fuzz_$t
  # shellcheck disable=SC2046
  if ! "$CC" "${CFLAGS[@]}" -o "$bin" "tests/fuzz/fuzz_$t.c" $src $(libs_of "$t") 2> "$OUT/build_$t.log"; then
    cat "$OUT/build_$t.log" >&2
    if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$OUT/build_$t.log"; then
      echo "fuzz: libFuzzer missing (make fuzz-deps installs libclang-rt-14-dev)" >&2
    fi
    exit 2
  fi
  mkdir -p "$OUT/corpus/$t" "$OUT/crashes/$t"
  rm -f "$OUT/crashes/$t"/*
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "fuzz: $t for ${SECONDS_EACH} s ..."
  # Fork mode: a crash, leak, timeout or out-of-memory is written to the crashes folder and the
  # fuzzing goes on, so that one bug does not hide the next.
  "$bin" "${dict[@]}" -fork="$JOBS" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" \
    -artifact_prefix="$OUT/crashes/$t/" \
    "$OUT/corpus/$t" "tests/fuzz/corpus/$t" > "$OUT/fuzz_$t.log" 2>&1
  execs[$t]=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$OUT/fuzz_$t.log" | tail -n1)
  # Distinct crashes: each saved input replayed once, its sanitizer or libFuzzer summary line.
  sites[$t]=$(find "$OUT/crashes/$t" -type f | head -n 100 | while read -r f; do
                "$bin" -rss_limit_mb=2048 -timeout=10 "$f" 2>&1 | grep -m1 '^SUMMARY:' |
                  sed -E 's/^SUMMARY: //; s# /[^ ]*/(model|data|store|wb|plots|tests)/# \1/#'
              done | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
  crashes[$t]=$(find "$OUT/crashes/$t" -type f | wc -l)
done

echo
printf '%-12s %12s %8s %8s  %s\n' target executions crashes corpus "distinct crashes (inputs in $OUT/crashes/TARGET/)"
bad=0
for t in "${targets[@]}"; do
  printf '%-12s %12s %8s %8s  %s\n' "$t" "${execs[$t]:-0}" "${crashes[$t]}" \
    "$(find "$OUT/corpus/$t" -type f | wc -l)" "${sites[$t]:--}"
  [ "${crashes[$t]}" -gt 0 ] && bad=1
  [ -n "${execs[$t]}" ] || { echo "    (no statistics: see $OUT/fuzz_$t.log)"; bad=1; }
done
exit $bad
