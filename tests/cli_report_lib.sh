#!/usr/bin/env bash
# tests/cli_report_lib.sh: checks shared by the report CLI tests (sourced by them): PNG and SVG
# validity, a PNG's size, and an RFC 4180 CSV reader. Run on its own (as tests/run.sh does with
# every tests/cli_*.sh), it tests these checks themselves, on files that must pass and files that
# must fail, so a check that can never fail would be noticed.
# Sourced or run, it first sets up what each report test starts with: strict mode, $WB, a scratch
# folder $tmp (/tmp/wb-<script name>-XXXXXX) removed at exit, and a `fail` that ends the script.

set -euo pipefail
WB=${WB:?set WB to the wb binary}
tmp=$(mktemp -d "/tmp/wb-$(basename "$0" .sh | tr _ -)-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

CHARTS="effect learning_curves lambda_response loss_components tradeoff"

# check_png FILE MIN_BYTES: the PNG signature, an IHDR chunk first, and a plausible size.
check_png() {
  local magic
  magic=$(head -c 16 "$1" | od -An -tx1 | tr -d ' \n')
  [ "$magic" = "89504e470d0a1a0a0000000d49484452" ] || fail "$1 is not a PNG ($magic)"
  [ "$(wc -c <"$1")" -ge "$2" ] || fail "$1 is only $(wc -c <"$1") bytes"
}

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (big-endian at bytes 16 and 20).
png_size() {
  od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", (($1*256+$2)*256+$3)*256+$4,
                                                      (($5*256+$6)*256+$7)*256+$8 }'
}

# check_svg FILE: starts as XML or SVG and parses as XML (xmllint), or at least ends with </svg>.
check_svg() {
  local head
  head=$(head -c 5 "$1")
  [ "$head" = "<?xml" ] || [ "${head:0:4}" = "<svg" ] || fail "$1 does not start as SVG: $head"
  if command -v xmllint >/dev/null; then
    xmllint --noout "$1" 2>/dev/null || fail "$1 is not well-formed XML"
  else
    tail -c 200 "$1" | grep -q '</svg>' || fail "$1 does not end with </svg>"
  fi
}

# csv_check FILE COLUMNS ROWS: every record has COLUMNS fields (quoted fields may hold commas,
# doubled quotes and newlines; a quote may only open a field), and there are ROWS records after
# the header.
csv_check() {
  local text c i fields=1 quoted=0 start=1 records=0 LC_ALL=C.UTF-8
  text=$(cat "$1"; echo x)
  text=${text%x}
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    if ((quoted)); then
      if [ "$c" = '"' ]; then
        if [ "${text:i+1:1}" = '"' ]; then ((i++)) || true; else quoted=0; fi
      fi
      continue
    fi
    case $c in
      '"') ((start)) || fail "$1: a quote inside an unquoted field (record $((records + 1)))"
           quoted=1; start=0 ;;
      ',') fields=$((fields + 1)); start=1 ;;
      $'\r') ;;
      $'\n') [ "$fields" -eq "$2" ] || fail "$1: record $((records + 1)) has $fields fields, not $2"
             records=$((records + 1)); fields=1; start=1 ;;
      *) start=0 ;;
    esac
  done
  ((quoted)) && fail "$1: a quoted field is not closed"
  [ "$fields" -eq 1 ] && ((start)) || fail "$1: the last record does not end with a newline"
  [ $((records - 1)) -eq "$3" ] || fail "$1: $((records - 1)) rows, expected $3"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Each check must fail on a bad file: run it in a subshell whose `fail` exits 1.
  must_fail() { (fail() { exit 1; }; "$@") && { echo "FAIL: accepted: $*" >&2; exit 1; } || true; }

  printf 'a,b,c\n1,"x, ""y""",3\n2,"multi\nline",4\n' >"$tmp/good.csv"
  csv_check "$tmp/good.csv" 3 2
  must_fail csv_check "$tmp/good.csv" 3 3
  must_fail csv_check "$tmp/good.csv" 4 2
  printf 'a,b\n1,x"y\n' >"$tmp/quote.csv"
  must_fail csv_check "$tmp/quote.csv" 2 1
  printf 'a,b\n1,"open\n' >"$tmp/open.csv"
  must_fail csv_check "$tmp/open.csv" 2 1
  printf 'a,b\n1,2' >"$tmp/nonl.csv"
  must_fail csv_check "$tmp/nonl.csv" 2 1

  printf 'not a png at all, but long enough\n' >"$tmp/x.png"
  must_fail check_png "$tmp/x.png" 1
  printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x04\xa0\x00\x00\x04\x1c\x08\x02' >"$tmp/h.png"
  check_png "$tmp/h.png" 10
  must_fail check_png "$tmp/h.png" 1000
  [ "$(png_size "$tmp/h.png")" = "1184x1052" ] || fail "png_size: $(png_size "$tmp/h.png")"

  printf '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\n' >"$tmp/ok.svg"
  check_svg "$tmp/ok.svg"
  printf '<?xml version="1.0"?>\n<svg><text>a < b</text></svg>\n' >"$tmp/bad.svg"
  if command -v xmllint >/dev/null; then must_fail check_svg "$tmp/bad.svg"; fi
  printf 'GIF89a' >"$tmp/gif.svg"
  must_fail check_svg "$tmp/gif.svg"
  echo "# report: the report tests' checks reject what they must"
fi
