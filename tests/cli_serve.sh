#!/usr/bin/env bash
# wb serve (issue 14) without a browser (tests/browser/ has the one with): the routes and their
# statuses (200, 301, 303, 304, 400, 403, 404, 405, 414), the headers every answer carries (CSP
# without inline script, nosniff, no referrer), the Host check on loopback and the token on
# another address, a hostile sweep name escaped in JSON and absent from every page, the key table
# equal to `wb compare --csv` cell for cell, a change made by another process seen at once (a new
# sweep appears, ETags change), a stale run shown interrupted and left running, the database
# unchanged byte for byte, a 1 MB URL refused, a slowloris connection closed, the preview and the
# report served, and the page's script free of every way of turning strings into markup or code.
source tests/cli_lib.sh

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# start NAME ARGS...: wb serve ARGS --port 0 in the background; its URL in $URL (base, without
# the token), its pid in $PID, its output in $T/NAME.{out,err}.
start() {
  local name=$1; shift
  "$WB" serve "$@" --port 0 > "$T/$name.out" 2> "$T/$name.err" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 100); do [ -s "$T/$name.out" ] && break; sleep 0.1; done
  FULL=$(head -n1 "$T/$name.out")
  URL=${FULL%%\?*}
  [ -n "$URL" ] || { fail "wb serve $name printed no URL: $(cat "$T/$name.err")"; return 1; }
}
# status URL [curl args]: the HTTP status of a GET.
status() { local u=$1; shift; curl -s -o /dev/null -w '%{http_code}' "$@" "$u"; }
# header URL NAME [curl args]: the value of one response header.
header() {
  local u=$1 name=$2; shift 2
  curl -s -D - -o /dev/null "$@" "$u" | tr -d '\r' | grep -i "^$name:" | head -n1 | cut -d' ' -f2-
}

# --- a database: the micro sweep, and the same grid under a hostile name ----------------------
hostile='<img src=x onerror=document.title="pwned"></script><script>alert(1)</script>&amp;'"'"
micro_ini "$T/m.ini" "epochs=2"
"$WB" sweep "$T/m.ini" --db "$T/m.db" --quiet > /dev/null || fail "the micro sweep"
awk -v n="$hostile" '/^name *=/ { print "name = " n; next } { print }' "$T/m.ini" > "$T/h.ini"
"$WB" sweep "$T/h.ini" --db "$T/m.db" --quiet > /dev/null || fail "the hostile sweep"
eq "the hostile sweep is in the database" \
  "$(sq "$T/m.db" "SELECT name FROM sweeps WHERE name <> 'micro'")" "$hostile"
hid=$(sq "$T/m.db" "SELECT id FROM sweeps WHERE name <> 'micro'")
mid=$(sq "$T/m.db" "SELECT id FROM sweeps WHERE name = 'micro'")

# --- the command line -------------------------------------------------------------------------
"$WB" serve --help > "$T/help.out"; rc=$?
eq "--help exits 0" "$rc" 0
check "--help names --db, --port and --host" grep -q -- "--host ADDR" "$T/help.out"
"$WB" serve --port 70000 2> "$T/port.err"; rc=$?
eq "--port 70000 is a usage error" "$rc" 2
"$WB" serve --bogus 2> /dev/null; rc=$?
eq "an unknown option is a usage error" "$rc" 2

start main --db "$T/m.db" || { finish; exit 1; }
check "the URL is http://127.0.0.1:PORT/ without a token on loopback" \
  grep -Eq '^http://127\.0\.0\.1:[0-9]+/$' "$T/main.out"
port=${URL##*:}; port=${port%/}
"$WB" serve --db "$T/m.db" --port "$port" > /dev/null 2> "$T/inuse.err"; rc=$?
eq "a port in use: exit 2" "$rc" 2
check "  and the message says so" grep -q "Address already in use" "$T/inuse.err"

# --- pages, assets and headers ----------------------------------------------------------------
for path in "" "sweep/$mid" "sweep/$hid" "run/1" "compare/1/2" "static/app.js" "static/app.css" \
            "static/uPlot.iife.min.js" "static/uPlot.min.css" "static/uPlot.LICENSE" \
            "static/favicon.svg" "api/state" "api/sweep/$mid" "api/run/1" "api/compare/1/2"; do
  eq "GET /$path: 200" "$(status "$URL$path")" 200
done
csp=$(header "$URL" Content-Security-Policy)
check "CSP: scripts from this server only" grep -q "script-src 'self';" <<< "$csp"
check "CSP: nothing from other origins by default" grep -q "default-src 'none'" <<< "$csp"
check "CSP: no inline script, no eval" bash -c "! grep -Eq \"unsafe-inline|unsafe-eval|\\*\" <<< \"\$1\"" _ "$csp"
for path in "" "api/state" "static/app.js" "nope"; do
  eq "/$path: X-Content-Type-Options nosniff" "$(header "$URL$path" X-Content-Type-Options)" nosniff
  eq "/$path: Referrer-Policy no-referrer" "$(header "$URL$path" Referrer-Policy)" no-referrer
  eq "/$path: the same CSP" "$(header "$URL$path" Content-Security-Policy)" "$csp"
done
eq "the page is HTML" "$(header "$URL" Content-Type)" "text/html; charset=utf-8"
eq "the script is JavaScript" "$(header "${URL}static/app.js" Content-Type)" \
  "text/javascript; charset=utf-8"
eq "the API is JSON" "$(header "${URL}api/state" Content-Type)" "application/json; charset=utf-8"
curl -s "$URL" > "$T/page.html"
grep -oE '<(script|link|img)[^>]*>' "$T/page.html" | grep -oE '(src|href)="[^"]*"' > "$T/loads"
eq "the page loads its scripts, styles and icon from /static only" \
  "$(grep -vc '"/static/' "$T/loads")" 0
eq "  five of them" "$(wc -l < "$T/loads")" 5
check "the page has no inline script" bash -c "! grep -Eq '<script>|<script [^>]*>[^<]' \"\$1\"" _ \
  "$T/page.html"
cmp -s "$T/page.html" serve/assets/app.html && ok "the page is the embedded app.html" ||
  fail "the page differs from serve/assets/app.html"
curl -s "${URL}static/uPlot.iife.min.js" | cmp -s - serve/assets/uPlot.iife.min.js &&
  ok "uPlot is served as vendored" || fail "uPlot differs from serve/assets"
eq "HEAD: 200" "$(curl -s -I -o /dev/null -w '%{http_code}' "${URL}api/state")" 200
eq "HEAD: no body" "$(curl -s -I "${URL}api/state" | tr -d '\r' | sed '1,/^$/d' | wc -c)" 0

# --- the script never turns strings into markup or code ---------------------------------------
markup_sinks='innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\b|\bFunction\(|srcdoc'
markup_sinks+='|createContextualFragment|DOMParser|javascript:'
markup_sinks+="|set(Timeout|Interval)\\( *[\"'\`]"
if grep -nE "$markup_sinks" serve/assets/app.js > "$T/sinks.out"; then
  fail "app.js turns strings into markup or code: $(head -n 3 "$T/sinks.out")"
else
  ok "app.js: no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval, Function, ..."
fi
for sink in 'x.innerHTML = y' 'setTimeout("f()", 1)' 'eval(s)' 'document.write(s)'; do
  printf '%s\n' "$sink" > "$T/sink.js"
  check "  (the check finds $sink)" grep -qE "$markup_sinks" "$T/sink.js"
done

# --- not found, wrong method, bad parameters --------------------------------------------------
for path in nope "sweep/999" "sweep/0" "sweep/01" "sweep/1/" "sweep//1" "run/999" "run/x" \
            "compare/1/999" "api/sweep/999" "api/run/999" "api/compare/1/999" "api/nope" \
            "static/app.html" "static/nope.js" "static/../m.db" "sweep/$mid/report/m.db" \
            "sweep/$mid/report/..%2F..%2Fm.db" "sweep/$mid/report/../../m.db" \
            "sweep/$mid/report/.hidden" "api/run/1/preview.npy" "m.db" "etc/passwd"; do
  eq "GET /$path: 404" "$(status "$URL$path" --path-as-is)" 404
done
eq "the 404 of a missing sweep's page is still the page" \
  "$(curl -s "${URL}sweep/999" | head -c 15)" "<!DOCTYPE html>"
eq "a missing run's JSON says why" "$(curl -s "${URL}api/run/999" | jq -r .error)" \
  "no run with id 999"
for m in POST PUT DELETE PATCH OPTIONS; do
  eq "$m /: 405" "$(status "$URL" -X "$m")" 405
done
eq "405 names the methods allowed" "$(header "$URL" Allow -X POST)" "GET, HEAD"
eq "POST with a body: 405" "$(status "${URL}api/state" --data-binary @"$T/m.ini")" 405
eq "an unknown metric: 400" "$(status "${URL}api/sweep/$mid?metric=train.loss")" 400
eq "an unknown epoch choice: 400" "$(status "${URL}api/sweep/$mid?at=first")" 400

# --- DNS rebinding: on loopback, only requests addressed to this machine ----------------------
eq "Host: evil.example: 403" "$(status "${URL}api/state" -H 'Host: evil.example')" 403
eq "Host: evil.example:PORT: 403" "$(status "${URL}api/state" -H "Host: evil.example:$port")" 403
eq "Host: localhost with another port: 403" \
  "$(status "${URL}api/state" -H "Host: localhost:$((port + 1))")" 403
eq "Host: localhost:PORT: 200" "$(status "${URL}api/state" -H "Host: localhost:$port")" 200
eq "no Host header (HTTP/1.0): 403" "$(status "${URL}api/state" -0 -H 'Host:')" 403

# --- the hostile name: escaped in JSON, round trip exact, never in HTML ------------------------
curl -s "${URL}api/sweep/$hid" > "$T/hostile.json"
eq "the sweep's JSON gives the name back exactly" "$(jq -r .sweep.name "$T/hostile.json")" "$hostile"
check "  with no < > or & left in the JSON text (\\u003c ...)" \
  bash -c "! grep -qE '<|>|&' \"\$1\"" _ "$T/hostile.json"
check "  /api/state too" bash -c "! curl -s \"\$1\" | grep -qE '<|>|&'" _ "${URL}api/state"
check "  and no page holds it" bash -c "! curl -s \"\$1\" | grep -qF '<img src=x'" _ "${URL}sweep/$hid"

# --- the key table: wb compare's cells, for every metric and epoch choice ----------------------
# jq prints the CSV cells with table_print's rule: quoted only when they hold , " CR or LF.
csv_of() {
  jq -r '(.keytable.csv_headers, .keytable.csv[]) | map(if test("[,\"\r\n]")
           then "\"" + gsub("\""; "\"\"") + "\"" else . end) | join(",")'
}
same=0
# Every series the statistics cover, as the page lists them (the metric table's val and test
# image metrics).
metrics=$(curl -s "${URL}api/sweep/$mid" | jq -r '.series[] | select(.compared) | .name')
ntables=$(( $(wc -w <<< "$metrics") * 2 ))
[ "$ntables" -ge 20 ] || fail "the page lists $ntables / 2 compared series"
for metric in $metrics; do
  for at in last best; do
    curl -s "${URL}api/sweep/$mid?metric=$metric&at=$at" | csv_of > "$T/serve.csv"
    "$WB" compare --db "$T/m.db" --sweep micro --metric "$metric" --at "$at" --csv |
      tr -d '\r' > "$T/compare.csv"
    if cmp -s "$T/serve.csv" "$T/compare.csv"; then same=$((same + 1))
    else fail "key table $metric at $at differs from wb compare --csv:
$(diff "$T/compare.csv" "$T/serve.csv" | head -n 8)"; fi
  done
done
eq "the key table equals wb compare --csv byte for byte ($ntables tables)" "$same" "$ntables"
"$WB" compare --db "$T/m.db" --sweep micro --wide > "$T/compare.txt"
curl -s "${URL}api/sweep/$mid" | jq -r '.keytable.rows[] | join("|")' > "$T/rows.txt"
nums() { grep -oE '[-+]?[0-9]+\.[0-9]+' | tr '\n' ' '; }
eq "the shown table has wb compare's numbers, in its order" \
  "$(nums < "$T/rows.txt")" "$(sed '1,4d' "$T/compare.txt" | sed '/^$/,$d' | nums)"
eq "  and its notes" "$(curl -s "${URL}api/sweep/$mid" | jq -r '.keytable.notes[]' | head -n2)" \
  "$(sed -n '/^\* best/,$p' "$T/compare.txt" | head -n2)"

# --- what the pages are given to show (issue 22; tests/browser/run.sh checks the pages) ----------
eq "a sweep's last epoch written is its runs' latest end, not its creation" \
  "$(curl -s "${URL}api/state" | jq -r ".sweeps[] | select(.id == $mid) | .written_at")" \
  "$(sq "$T/m.db" "SELECT max(r.finished_at) FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id
                    WHERE sr.sweep_id = $mid")"
curl -s "${URL}api/run/1" > "$T/run1.json"
eq "a run's columns come with the metric table's titles" \
  "$(jq -r '[.epochs.columns, (.epochs.titles | map(.title + "|" + .unit))] | transpose[]
            | select(.[0] == "val.psnr_pooled" or .[0] == "test.psnr") | .[1]' "$T/run1.json")" \
  "$(printf '%s\n' 'validation PSNR|dB' 'test mean of per-patch PSNR|dB')"

# --- conditional requests ---------------------------------------------------------------------
for path in api/state "api/sweep/$mid" api/run/1 api/compare/1/2 static/app.js ""; do
  tag=$(header "$URL$path" ETag)
  [ -n "$tag" ] || fail "/$path has no ETag"
  eq "/$path with its ETag: 304" "$(status "$URL$path" -H "If-None-Match: $tag")" 304
  eq "/$path with another ETag: 200" "$(status "$URL$path" -H 'If-None-Match: "x"')" 200
done

# --- another process's writes are seen at once ------------------------------------------------
state_tag=$(header "${URL}api/state" ETag)
sed "s|^name *=.*|name = second|; s|^epochs *=.*|epochs = 1|" "$T/m.ini" > "$T/second.ini"
"$WB" sweep "$T/second.ini" --db "$T/m.db" --quiet > /dev/null || fail "the second sweep"
eq "after another process's sweep, /api/state with the old ETag: 200" \
  "$(status "${URL}api/state" -H "If-None-Match: $state_tag")" 200
eq "  and it lists the new sweep" \
  "$(curl -s "${URL}api/state" | jq -r '[.sweeps[].name] | index("second") != null')" true
state_tag=$(header "${URL}api/state" ETag)
sq "$T/m.db" "UPDATE sweeps SET updated_at = '2030-01-01T00:00:00.000Z' WHERE name = 'second'"
eq "after an UPDATE by the sqlite3 shell: 200" \
  "$(status "${URL}api/state" -H "If-None-Match: $state_tag")" 200
state_tag=$(header "${URL}api/state" ETag)
eq "and nothing else changed: 304" "$(status "${URL}api/state" -H "If-None-Match: $state_tag")" 304

# --- a database that appears later, and one replaced ------------------------------------------
start late --db "$T/late.db" || { finish; exit 1; }
eq "no database yet: /api/state says so" "$(curl -s "${URL}api/state" | jq -r .error)" \
  "no database at $T/late.db yet"
"$WB" sweep "$T/second.ini" --db "$T/late.db" --quiet > /dev/null || fail "the late sweep"
sleep 1.1   # a failed open is retried at most once a second
eq "once a sweep made it, the sweep appears" \
  "$(curl -s "${URL}api/state" | jq -r '.sweeps[0].name')" second
mv "$T/late.db" "$T/late.old.db"
cp "$T/m.db" "$T/late.db"
eq "replaced by another database: its sweeps" \
  "$(curl -s "${URL}api/state" | jq -r '[.sweeps[].name] | index("micro") != null')" true
kill "$PID"

# --- stale runs: shown interrupted, never marked ----------------------------------------------
cp "$T/m.db" "$T/s.db"
(exit 0) & dead=$!
wait "$dead"
sq "$T/s.db" "UPDATE runs SET status = 'running', pid = $dead, host = '$(hostname)',
                heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1"
start stale --db "$T/s.db" || { finish; exit 1; }
eq "a run whose process is gone reads as interrupted" \
  "$(curl -s "${URL}api/run/1" | jq -r .run.status)" interrupted
eq "  in the sweep's runs too" "$(curl -s "${URL}api/sweep/$mid" | jq -r '.runs[0].status')" \
  interrupted
eq "  and the database still says running" \
  "$(sq "$T/s.db" "SELECT status FROM runs WHERE id = 1")" running
kill "$PID"

# --- the preview and the report ---------------------------------------------------------------
start files --db "$T/m.db" || { finish; exit 1; }
curl -s -D "$T/png.h" "${URL}api/run/1/preview.png" -o "$T/preview.png"
eq "the preview is a PNG" "$(head -c 8 "$T/preview.png" | od -An -c | tr -d ' ')" '211PNG\r\n032\n'
eq "  served as image/png" "$(tr -d '\r' < "$T/png.h" | grep -i '^content-type' | cut -d' ' -f2)" \
  image/png
eq "  1054 pixels wide (16 patches of 64 and 15 gaps of 2)" \
  "$(od -An -tu1 -j16 -N4 "$T/preview.png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')" \
  1054
eq "the sweep has no report yet: 404" "$(status "${URL}sweep/$mid/report/")" 404
eq "  and its JSON says so" "$(curl -s "${URL}api/sweep/$mid" | jq -r .report)" false
"$WB" report --db "$T/m.db" --sweep micro > /dev/null 2>&1 || fail "wb report"
eq "after wb report: /sweep/ID/report redirects" "$(status "${URL}sweep/$mid/report")" 301
eq "  to /sweep/ID/report/" "$(header "${URL}sweep/$mid/report" Location)" "/sweep/$mid/report/"
eq "  which is its index.html" "$(curl -s "${URL}sweep/$mid/report/" | sha256sum)" \
  "$(sha256sum < "$T/report-micro/index.html")"
eq "  with a CSP that allows no script at all" \
  "$(header "${URL}sweep/$mid/report/" Content-Security-Policy | grep -c "script")" 0
eq "  the JSON says it exists" "$(curl -s "${URL}api/sweep/$mid" | jq -r .report)" true
for f in report.md grid.png learning_curves.png learning_curves.svg learning_curves.gp \
         learning_curves.dat; do
  eq "  its $f: 200" "$(status "${URL}sweep/$mid/report/$f")" 200
done
echo secret > "$T/report-micro/secret.txt"
ln -sf "$T/m.db" "$T/report-micro/report.md"
eq "  a file wb report does not write: 404" "$(status "${URL}sweep/$mid/report/secret.txt")" 404
eq "  a link in place of one it writes: 404" "$(status "${URL}sweep/$mid/report/report.md")" 404
kill "$PID"

# --- limits: a 1 MB URL, a slowloris --------------------------------------------------------------
start limits --db "$T/m.db" || { finish; exit 1; }
host=${URL#http://}; host=${host%/}; port=${host##*:}
# A client that sends its request one byte a second never goes idle; it is cut off once its
# request has taken SERVE_HEADER_SECONDS (10 s), well before this loop's 40 s.
(
  trap '' PIPE
  exec 3<> "/dev/tcp/127.0.0.1/$port" || { echo "cannot connect"; exit 2; }
  printf 'GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&3
  for i in $(seq 40); do
    printf 'X' >&3 2> /dev/null || { echo "closed after $i s"; exit 0; }
    sleep 1
  done
  echo "still open after 40 s"
) > "$T/slowloris.out" 2>&1 &
slow=$!
# raw PREFIX SUFFIX: sends PREFIX, a million 'a', SUFFIX on one connection while reading the
# status line of the answer (which comes before the request has been sent whole).
raw() {
  (
    trap '' PIPE
    exec 3<> "/dev/tcp/127.0.0.1/$port" || exit 2
    { printf '%s' "$1"; head -c 1000000 /dev/zero | tr '\0' a; printf '%s' "$2"; } >&3 2> /dev/null &
    IFS= read -r -t 20 line <&3
    printf '%s' "${line%$'\r'}"
  )
}
eq "a 1 MB URL: 414" "$(raw 'GET /api/state?' $' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')" \
  "HTTP/1.1 414 URI Too Long"
eq "a 1 MB header: 431" \
  "$(raw $'GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ' $'\r\n\r\n')" \
  "HTTP/1.1 431 Request Header Fields Too Large"
eq "  and the server still answers" "$(status "${URL}api/state")" 200
wait "$slow"
check "a slowloris connection is closed: $(cat "$T/slowloris.out")" \
  grep -q "^closed after" "$T/slowloris.out"
eq "  and the server still answers" "$(status "${URL}api/state")" 200

# --- stopping -----------------------------------------------------------------------------------
kill -TERM "$PID"; wait "$PID"; rc=$?
eq "SIGTERM: exit 143" "$rc" 143
start int --db "$T/m.db" || { finish; exit 1; }
kill -INT "$PID"; wait "$PID"; rc=$?
eq "SIGINT: exit 130" "$rc" 130

# --- another address: the token -----------------------------------------------------------------
# An address of this machine that is not loopback, else every address (0.0.0.0) reached through
# 127.0.0.1: either way the server is not bound to loopback alone, and must ask for the token.
addr=$(hostname -I 2> /dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -n1)
start token --db "$T/m.db" --host "${addr:-0.0.0.0}" || { finish; exit 1; }
token=${FULL##*token=}
eq "the URL holds a 48-digit token" "$(grep -cE '\?token=[0-9a-f]{48}$' "$T/token.out")" 1
port=${URL##*:}; port=${port%/}
base=http://${addr:-127.0.0.1}:$port
eq "no token: 403" "$(status "$base/api/state")" 403
eq "  for the page too" "$(status "$base/")" 403
eq "  for the script too" "$(status "$base/static/app.js")" 403
eq "  and a 404 route is 403 first" "$(status "$base/nope")" 403
# The token with its last digit changed (a fixed '0' was the right token one time in 16).
last=${token: -1}; [ "$last" = 0 ] && other=1 || other=0
eq "a wrong token: 403" "$(status "$base/api/state?token=${token%?}$other")" 403
eq "a token one digit short: 403" "$(status "$base/api/state?token=${token%?}")" 403
eq "the token in the query: 200" "$(status "$base/api/state?token=$token")" 200
eq "the token as Authorization: 200" \
  "$(status "$base/api/state" -H "Authorization: token $token")" 200
eq "the page with the token: 303 to itself" "$(status "$base/sweep/$mid?token=$token")" 303
eq "  without the token in the address" "$(header "$base/sweep/$mid?token=$token" Location)" \
  "/sweep/$mid"
cookie=$(header "$base/?token=$token" Set-Cookie)
check "  setting an HttpOnly, SameSite=Strict cookie" \
  grep -q "^wb_token_$port=$token; Path=/; HttpOnly; SameSite=Strict" <<< "$cookie"
eq "the cookie alone: 200" "$(status "$base/api/state" -H "Cookie: ${cookie%%;*}")" 200
eq "a cookie with another value: 403" \
  "$(status "$base/api/state" -H "Cookie: wb_token_$port=x")" 403
eq "the Host check is the token's job here: any Host with the token: 200" \
  "$(status "$base/api/state?token=$token" -H 'Host: evil.example')" 200
kill "$PID"

# --- nothing is ever written: every route served, the files byte for byte as before ----------
cp "$T/m.db" "$T/ro.db" && cp -r "$T/m.db.runs" "$T/ro.db.runs"
(exit 0) & dead=$!
wait "$dead"
sq "$T/ro.db" "UPDATE runs SET status = 'running', pid = $dead, host = '$(hostname)' WHERE id = 2"
files_before=$(cd "$T" && ls -d ro.db* | tr '\n' ' ')
sums_before=$(cd "$T" && find ro.db ro.db.runs -type f | sort | xargs sha256sum)
start ro --db "$T/ro.db" || { finish; exit 1; }
for path in "" api/state "sweep/$mid" "api/sweep/$mid" "api/sweep/$mid?metric=val.ssim&at=best" \
            "api/sweep/$hid" run/1 api/run/1 api/run/2 api/run/1/preview.png api/compare/1/2 \
            "sweep/$mid/report/"; do
  curl -s -o /dev/null "$URL$path"
done
kill -INT "$PID"; wait "$PID"
# A reader of a WAL database makes its -shm and -wal files when there are none (as every reader
# of SQLite does): they appear, the -wal empty; the database itself never changes.
eq "after serving every route: the files beside the database, and an empty -wal" \
  "$(cd "$T" && ls -d ro.db* | tr '\n' ' '; stat -c %s ro.db-wal)" \
  "$(echo "$files_before" | sed 's/ro.db ro.db.runs/ro.db ro.db-shm ro.db-wal ro.db.runs/')0"
eq "  each byte for byte (SHA-256), the stale run still running" \
  "$(cd "$T" && find ro.db ro.db.runs -type f | sort | xargs sha256sum)" "$sums_before"
finish
