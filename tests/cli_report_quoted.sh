#!/usr/bin/env bash
# tests/cli_report_quoted.sh: sweeps whose names start with a quote or hold doubled quotes
# ('quoted' sweep, it''s) get a whole report: gnuplot took '''quoted'' sweep' and 'it''''s' for
# syntax errors and wb report exited 1 (issue 13). Each name trains a micro sweep for real, then
# the report must exit 0 with every chart drawn and the name on the page. A third name holds a
# right-to-left override (U+202E): inside a sentence it stands in <bdi>, so it cannot reverse the
# words around it.
set -euo pipefail
WB=${WB:?set WB to the wb binary}
tmp=$(mktemp -d /tmp/wb-cli-report-quoted-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

i=0
rlo=$(printf '\u202e')   # RIGHT-TO-LEFT OVERRIDE: would reverse the rest of the sentence
for name in "'quoted' sweep" "it''s" "${rlo}bidi sweep"; do
  i=$((i + 1))
  sed -e "s/^name .*/name     = $name/" -e "s#^database .*#database = $tmp/q$i.db#" \
    "$(dirname "$0")/../experiments/micro.ini" >"$tmp/q$i.ini"
  grep -qF "name     = $name" "$tmp/q$i.ini" || fail "the INI does not hold the name $name"
  "$WB" sweep "$tmp/q$i.ini" --quiet >/dev/null || fail "the sweep of $name exited $?"
  "$WB" report --db "$tmp/q$i.db" --out "$tmp/r$i" >"$tmp/out$i" 2>&1 ||
    { cat "$tmp/out$i" "$tmp/r$i/gnuplot.log" >&2 || true; fail "wb report on '$name' exited non-zero"; }
  for chart in effect learning_curves lambda_response loss_components tradeoff; do
    [ -s "$tmp/r$i/$chart.png" ] || fail "$chart.png of '$name' was not drawn"
  done
  html_name=$(printf '%s' "$name" | sed "s/'/\&#39;/g")
  grep -qF "$html_name" "$tmp/r$i/index.html" || fail "index.html does not name '$name'"
  # Inside sentences the name is isolated, so an override in it ends with it.
  grep -qF "Sweep “<bdi>$html_name</bdi>” from the database" "$tmp/r$i/index.html" ||
    fail "index.html does not isolate the name '$name' with <bdi>"
done
echo "ok: reports of sweeps named 'quoted' sweep, it''s and one with U+202E"
