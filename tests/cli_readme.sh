#!/usr/bin/env bash
# README.md cannot rot: its ```sh and ```bash blocks run in order in a copy of the repository
# (bin/wb is the binary under test), each with `set -e`, and its ```sql blocks run against the
# database they made (results/wb.db, what `wb query` reads by default) and must return rows.
# `make sweep` runs at smoke size through WB_SWEEP_INI; `make test` is not run from inside
# itself. A block preceded by `<!-- no-doctest: reason -->` is skipped: at most three may be.
. tests/cli_lib.sh

root=${WB_TEST_ROOT:-$(pwd)}
S=$T/repo
mkdir -p "$S/bin"
(cd "$root" && git ls-files -z 2>/dev/null || find . -path ./build -prune -o -type f -print0) \
  | (cd "$root" && xargs -0 cp --parents -t "$S")
ln -s "$WB" "$S/bin/wb"

# make sweep at smoke size, into the database a plain `make sweep` fills (results/wb.db).
sed 's|^database *=.*|database = results/wb.db|' "$root/experiments/smoke.ini" > "$S/doctest-sweep.ini"
export WB_SWEEP_INI=doctest-sweep.ini WB_PREBUILT="$WB"
# OpenMP threads that sleep instead of spinning while they wait: the same results, and on a
# machine shared with other work the README's smoke sweep took 836 s instead of ~10 (one run of
# smoke.ini: 135.6 s spinning, 4.7 s passive, at a load average of 9 on 2 cores).
export OMP_WAIT_POLICY=passive
make() {
  case " $* " in
    *" test "*) echo "(doc test: make test is not run from inside itself)" ;;
    *) command make --no-print-directory "$@" ;;
  esac
}
export -f make

# The blocks, in order: one file each, named NNN.sh, NNN.sql or NNN.skip (with the reason).
mkdir -p "$T/blocks"
awk -v dir="$T/blocks" '
  /^<!-- no-doctest:/ { skip = $0; next }
  !inblock && /^```(sh|bash|sql)[ \t]*$/ {
    n++; kind = ($0 ~ /sql/) ? "sql" : "sh"
    file = sprintf("%s/%03d.%s", dir, n, skip ? "skip" : kind)
    if (skip) print skip > file
    inblock = 1; skip = ""; next
  }
  !inblock && /^```/ { other = 1; skip = ""; next }
  inblock && /^```[ \t]*$/ { inblock = 0; close(file); next }
  inblock { if (file !~ /skip$/) print > file; next }
  /[^ \t]/ { skip = "" }
' "$root/README.md"

nblocks=$(ls "$T/blocks" | wc -l)
nskip=$(ls "$T/blocks" | grep -c '\.skip$')
check "README has shell and SQL blocks to run" test "$nblocks" -ge 5
check "at most three README blocks are marked no-doctest ($nskip)" test "$nskip" -le 3
for f in "$T/blocks"/*.skip; do
  [ -e "$f" ] || continue
  grep -q 'no-doctest: [^ ]' "$f" || fail "$(basename "$f"): a no-doctest mark without a reason"
done

for f in "$T/blocks"/*; do
  name=$(basename "$f")
  case "$f" in
    *.skip) ok "block $name skipped: $(sed 's/<!-- no-doctest: //; s/ -->//' "$f")" ;;
    *.sh)
      t0=$SECONDS
      if (cd "$S" && bash -e "$f") > "$T/out" 2>&1; then ok "block $name ($((SECONDS - t0)) s): $(head -c 60 "$f" | head -n 1)"
      else fail "README block $name failed: $(cat "$f"): $(tail -n 20 "$T/out")"; fi ;;
    *.sql)
      if (cd "$S" && bin/wb query "$(cat "$f")" --csv) > "$T/out" 2>&1 && [ "$(wc -l < "$T/out")" -ge 2 ]
      then ok "block $name: $(wc -l < "$T/out") lines"
      else fail "README SQL block $name: $(cat "$f"): $(tail -n 20 "$T/out")"; fi ;;
  esac
done

# README's Python lines (```python blocks) run with the interpreter README names for them, which
# must be the one `make python-deps` checks and installs PyTorch for (the Makefile's PYTHON): the
# `python3` first on PATH, without NumPy, once failed them. They run when that interpreter has
# PyTorch and NumPy (after make python-deps), in the copy the shell blocks left results/wb.db in.
readme_python=$(grep -o 'PYTHONPATH=python [^ `]*' "$root/README.md" | sort -u)
make_python=$(sed -n 's/^PYTHON *?= *//p' "$root/Makefile")
eq "README names one interpreter for its Python lines" "$(printf '%s\n' "$readme_python" | grep -c .)" 1
eq "README's Python interpreter is the Makefile's PYTHON" "${readme_python#PYTHONPATH=python }" "$make_python"
printf '#!/bin/sh\nexit 0\n' > "$T/has-torch"
printf '#!/bin/sh\nexit 1\n' > "$T/no-torch"
chmod +x "$T/has-torch" "$T/no-torch"
check "make python-deps installs nothing when PYTHON imports torch and numpy" \
  test -z "$(cd "$S" && command make -n -s python-deps PYTHON="$T/has-torch" 2>&1)"
check "make python-deps installs PyTorch when PYTHON cannot import it" \
  grep -q 'apt-get install.*python3-torch' <(cd "$S" && command make -n -s python-deps PYTHON="$T/no-torch" 2>&1)
mkdir -p "$T/python"
awk -v dir="$T/python" '
  !inblock && /^```python[ \t]*$/ { n++; file = sprintf("%s/%03d.py", dir, n); inblock = 1; next }
  inblock && /^```[ \t]*$/ { inblock = 0; close(file); next }
  inblock { print > file }
' "$root/README.md"
npython=$(ls "$T/python" | wc -l)
check "README has Python lines" test "$npython" -ge 1
if [ -n "$make_python" ] && "$make_python" -c 'import torch, numpy' 2> /dev/null; then
  for f in "$T/python"/*.py; do
    if (cd "$S" && PYTHONPATH=python "$make_python" "$f") > "$T/out" 2>&1
    then ok "README Python block $(basename "$f"): $(tail -n 1 "$T/out")"
         echo "# report: README's Python block $(basename "$f" .py) ran with $make_python"
    else fail "README Python block $(basename "$f") failed: $(cat "$f"): $(tail -n 20 "$T/out")"; fi
  done
else
  echo "# report: README's $npython Python block(s) skipped: ${make_python:-PYTHON} cannot import torch and numpy (make python-deps installs them)"
fi

# What the blocks must have left: make sweep's database and report, the smoke sweep's.
check "make sweep made results/wb.db" test -s "$S/results/wb.db"
check "make sweep wrote its report" test -s "$S/results/report-smoke/index.html"
check "the smoke sweep made results/smoke.db" test -s "$S/results/smoke.db"
check "wb predict wrote y.npy" test -s "$S/y.npy"
finish
