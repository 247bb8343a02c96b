#!/usr/bin/env bash
# tests/cli_report_hostile.sh: a sweep named with backquotes, quotes, $(...), system("...") and
# <script> is reported as text and runs nothing. Each of the name's commands would create a
# MARKER file in the folder it runs in (wb's folder, gnuplot's: the report folder) or in /tmp; the
# test runs a real micro sweep under that name, the report, gnuplot again by hand and wb compare,
# then checks that no marker appeared and that the page shows the name escaped.
# cli_report_lib.sh sets -euo pipefail, checks $WB, makes $tmp and defines fail.
. "$(dirname "$0")/cli_report_lib.sh"

top=$PWD
markers() {   # every MARKER file where the name's commands could have run
  find "$tmp" "$top" /tmp -maxdepth 3 -name 'MARKER*' 2>/dev/null | sort
}
before=$(markers)

name='a`touch MARKER`b'"'"'c"d $(touch MARKER2) system("touch MARKER3") <script>alert(1)</script>'
{
  printf '[sweep]\nname = %s\nseeds = 1, 2\n' "$name"
  # The rest of micro.ini, after its [sweep] section.
  awk '/^\[/ { section = $0 } section != "[sweep]"' "$top/experiments/micro.ini"
} >"$tmp/hostile.ini"
grep -qF "$name" "$tmp/hostile.ini" || fail "the INI does not hold the name"

mkdir "$tmp/cwd"
cd "$tmp/cwd"
"$WB" sweep "$tmp/hostile.ini" --db "$tmp/h.db" --quiet >/dev/null || fail "the sweep exited $?"
stored=$("$WB" query "SELECT name FROM sweeps" --db "$tmp/h.db" --csv | tail -n 1 | tr -d '\r')
[ "$stored" = "\"${name//\"/\"\"}\"" ] || fail "the sweep's name was changed on the way in: $stored"

"$WB" report --db "$tmp/h.db" >"$tmp/out" 2>"$tmp/err" || fail "wb report exited $?: $(cat "$tmp/err")"
"$WB" report --db "$tmp/h.db" --sweep "$name" --out "$tmp/by-name" >/dev/null 2>&1 ||
  fail "wb report --sweep NAME exited $?"
"$WB" compare --db "$tmp/h.db" --sweep "$name" >/dev/null || fail "wb compare exited $?"
"$WB" compare --db "$tmp/h.db" --csv >/dev/null || fail "wb compare --csv exited $?"

dirs=("$tmp"/report-*)
[ "${#dirs[@]}" -eq 1 ] && [ -d "${dirs[0]}" ] || fail "expected one report folder: ${dirs[*]}"
dir=${dirs[0]}
case "$(basename "$dir")" in
  *[!A-Za-z0-9._-]*) fail "the report folder's name holds unsafe characters: $dir" ;;
esac
for c in $CHARTS; do
  check_png "$dir/$c.png" 10000
  check_svg "$dir/$c.svg"
  # The name (cut to 48 characters in titles) stands in the script only inside a single-quoted
  # literals, its ' as a double-quoted run of quotes joined by '.'.
  grep -qF "title 'a\`touch MARKER\`b'.\"'\".'c\"d \$(touch MARKER2) system(\"" "$dir/$c.gp" ||
    fail "$c.gp does not hold the name as a single-quoted literal"
  (cd "$dir" && gnuplot "$c.gp") >"$tmp/gp.log" 2>&1 || fail "gnuplot $c.gp exited $?: $(cat "$tmp/gp.log")"
done
cd "$top"

html="$dir/index.html"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$html" || fail "index.html does not show the name escaped"
grep -qF 'a`touch MARKER`b&#39;c&quot;d $(touch MARKER2) system(&quot;touch MARKER3&quot;)' "$html" ||
  fail "index.html does not show the whole name"
! grep -qi '<script' "$html" || fail "index.html holds a <script> tag"
! grep -qi '<script' "$tmp/by-name/index.html" || fail "the report by name holds a <script> tag"
grep -qF 'a\`touch MARKER\`b'"'"'c"d \$(touch MARKER2) system("touch MARKER3") \<script\>alert(1)\</script\>' "$dir/report.md" ||
  fail "report.md does not escape the name"
# The SVGs carry the name as text: still well-formed XML (checked above) and no live tag.
! grep -q '<script>' "$dir/learning_curves.svg" || fail "an SVG holds a <script> tag"

after=$(markers)
[ "$before" = "$after" ] || fail "a command in the sweep's name ran: $(comm -13 <(echo "$before") <(echo "$after"))"
echo "# report: hostile sweep name reported as text; no MARKER file created"
