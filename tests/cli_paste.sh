#!/usr/bin/env bash
# Commands wb suggests work when pasted (issue 22): `make install PREFIX=DIR` puts wb in DIR/bin,
# and every command wb prints for a person to run (after a sweep, by `wb run`, `wb tag`, the
# hints of ls, note and sweep --dry-run, the report, wb serve's pages) names the database it
# needs and runs, from the folder it was printed in, with wb from PATH. The database lives in a
# folder whose name has a space and a quote, which each suggestion must quote for the shell.
source tests/cli_lib.sh

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# --- make install -----------------------------------------------------------------------------
make --no-print-directory -s install PREFIX="$T/prefix" WB_PREBUILT="$WB" > "$T/install.out" 2>&1
rc=$?
eq "make install PREFIX=DIR: exit 0" "$rc" 0
check "  it puts wb in DIR/bin" test -x "$T/prefix/bin/wb"
check "  and says DIR/bin is not on PATH" grep -q "$T/prefix/bin is not on your PATH" "$T/install.out"
export PATH="$T/prefix/bin:$PATH"
eq "wb is on PATH" "$(command -v wb)" "$T/prefix/bin/wb"
check "the installed wb runs" wb --version

# --- suggestions ------------------------------------------------------------------------------
dir="$T/work/it's here"
mkdir -p "$dir"
cd "$T/work" || exit 1
db="it's here/m.db"
cp "$WB_TEST_ROOT/experiments/micro.ini" m.ini

# The wb commands in a text: "wb CMD" and its words (plain, '...' or \' pieces) up to a comma,
# semicolon, closing parenthesis or the end of the line: how wb writes a suggestion. Not
# commands: "wb CMD:" (a message's prefix, a title), usage lines, placeholders (FILE.ini).
commands() {
  grep -v '^usage:' "$1" |
    perl -ne 'print "$1\n" while /\b(wb (?:ls|show|diff|report|compare|query|sweep|run|tag|note)(?: (?:'"'"'[^'"'"']*'"'"'|\\'"'"'|[^\s,;)'"'"'])+)*)(?![\w:])/g' |
    grep -v 'FILE\.ini'
}
pasted=0
# paste FILE WHAT: runs every command FILE suggests; each must exit 0 and print something.
paste() {
  local n=0 cmd
  while IFS= read -r cmd; do
    n=$((n + 1))
    if (eval "$cmd") > "$T/paste.out" 2>&1 && [ -s "$T/paste.out" ]; then ok "$2: $cmd"
    else fail "$2: '$cmd' failed: $(tail -n 5 "$T/paste.out")"; fi
  done < <(commands "$1")
  pasted=$((pasted + n))
  check "$2 suggests a command" test "$n" -ge 1
}

wb sweep m.ini --db "$db" > sweep.out 2> /dev/null || fail "the micro sweep"
paste sweep.out "after a sweep"
wb sweep m.ini --db "$db" --dry-run > dry.out 2>&1 || fail "the dry run"
paste dry.out "a dry run"
wb run m.ini --db "$db" --set sweep.seeds=1 --set loss.laplacian_weight=0 --quiet > /dev/null 2>&1
wb run m.ini --db "$db" --set sweep.seeds=1 --set loss.laplacian_weight=0 --quiet > run.out 2>&1
paste run.out "wb run of a finished run"
wb tag 1 checked --db "$db" > tag.out 2>&1 || fail "wb tag"
paste tag.out "wb tag"
wb note 1 "no such note" --remove --db "$db" > note.out 2>&1
paste note.out "wb note --remove of a missing note"
wb ls --db "$db" --sweep nosuch > ls.out 2>&1
paste ls.out "wb ls of a sweep that is not there"

wb report --db "$db" --sweep micro --out report > /dev/null 2>&1 || fail "wb report"
# The report as a person reads it: index.html's text.
sed -e 's/<[^>]*>//g' -e "s/&#39;/'/g" -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' \
  -e 's/&amp;/\&/g' report/index.html > report.txt
paste report.txt "the report"

# wb serve's sweep page: the commands its JSON gives the page (its key table's, the report's).
"$WB" serve --db "$db" --port 0 > serve.out 2> serve.err &
PIDS+=("$!")
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.1; done
url=$(head -n 1 serve.out)
mid=$(sq "$db" "SELECT id FROM sweeps WHERE name = 'micro'")
curl -s "${url}api/sweep/$mid?metric=test.ssim&at=best" > sweep.json
jq -r '.keytable.command, .report_command' sweep.json > serve.txt
check "serve gives the key table's command with its metric and epoch" \
  grep -q -- "--metric test.ssim --at best" serve.txt
# Pasted elsewhere: serve's commands hold the database's absolute path.
cd "$T" || exit 1
paste "$T/work/serve.txt" "wb serve's sweep page, pasted in another folder"
cd "$T/work" || exit 1
check "serve's commands name the database by its absolute path" grep -q -- "--db '$T/work/it" serve.txt
rm -rf report
mkdir -p "$T/other" && cd "$T/other" || exit 1
paste "$T/work/report.txt" "the report, pasted in another folder"

echo "# report: $pasted suggested commands pasted"
finish
