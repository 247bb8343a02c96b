#!/usr/bin/env bash
# tests/browser/run.sh WB: wb serve in a real browser (make test-browser; needs Debian's chromium,
# `make browser-deps`). Headless Chromium, driven through the DevTools protocol in real time
# (tests/browser/cdp.sh), watches a sweep named with HTML and script train for about half a
# minute:
# - the sweeps page, opened before the database exists, shows the sweep once it starts, without a
#   reload; the sweep's page updates its runs table by itself, and a reload shows it further on;
# - the hostile name stays text: the page holds it as characters, no element came of it, the
#   title is not the one its handlers would set, and no Content-Security-Policy violation or
#   script error happened;
# - with every request that would leave this machine blocked (host resolver rules and a dead
#   proxy), each page renders with all its charts and its preview image, no load failed, and
#   Chromium's network log shows that the pages asked for nothing but this server;
# - once the sweep has finished, the key table on the page has the numbers and verdicts
#   `wb compare` prints;
# - on a non-loopback --host a request without the token gets 403, and the URL with the token
#   opens the page (its cookie then carries the page's own requests).
# WB_SCREENS=DIR also saves screenshots of each page into DIR while the sweep runs.
set -u
WB=$(cd "$(dirname "${1:-build/wb}")" && pwd)/$(basename "${1:-build/wb}")
cd "$(dirname "$0")/../.."
source tests/cli_lib.sh
source tests/browser/cdp.sh
command -v chromium > /dev/null || { echo "no chromium: run make browser-deps"; exit 1; }
PIDS=()
trap 'cdp_stop 2> /dev/null; for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$T" 2> /dev/null || { sleep 1; rm -rf "$T"; }' EXIT

# serve OUT ARGS...: wb serve ARGS --port 0 in the background (stopped at exit); the URL it
# printed in $SERVED.
serve() {
  local out=$1; shift
  "$WB" serve "$@" --port 0 > "$out" 2> "$out.err" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
  SERVED=$(head -n1 "$out")
}
# Checks every page must pass: nothing failed to load or threw, no CSP violation.
clean() {
  eq "$1: no script error or failed load" "$(js 'document.body.dataset.jsErrors || 0')" '0'
  eq "$1: no Content-Security-Policy violation" \
    "$(js 'document.body.dataset.cspViolations || 0')" '0'
}

# --- a sweep with a hostile name, started after the sweeps page was opened ----------------------
hostile='<img src=x onerror="document.title='"'"'pwned'"'"'"></script><script>document.title="pwned"</script>'
awk -v n="$hostile" '/^name *=/ { print "name = " n; next }
     /^epochs *=/ { print "epochs = 40"; next } /^train_patches *=/ { print "train_patches = 1024"; next }
     { print }' experiments/micro.ini > "$T/live.ini"
grep -qF "$hostile" "$T/live.ini" || fail "the INI does not hold the hostile name"
db=$T/live.db
serve "$T/serve.out" --db "$db"
URL=$SERVED
[ -n "$URL" ] || { fail "wb serve printed no URL: $(cat "$T/serve.out.err")"; finish; exit 1; }
start=$SECONDS
cdp_start --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
  --proxy-server=http://127.0.0.1:9 --proxy-bypass-list="127.0.0.1" --log-net-log="$T/net.json"
tab_open "$URL"
check "the sweeps page waits for the database" \
  wait_for "document.getElementById('live').textContent.includes('waiting for the database')" 10
js 'window.openedOnce = true' > /dev/null
"$WB" sweep "$T/live.ini" --db "$db" --jobs 2 --quiet > "$T/sweep.out" 2>&1 &
sweep_pid=$!
PIDS+=("$sweep_pid")
check "the sweep appears on the open page (it polls every 2 s while waiting)" \
  wait_for "document.querySelector('#sweeps tr[data-sweep]')" 20
eq "  without a reload" "$(js 'window.openedOnce === true')" true
eq "  its name as text" "$(js "document.querySelector('#sweeps a.name').textContent")" \
  "$(jq -cn --arg n "$hostile" '$n')"
clean "the sweeps page"
[ -n "${WB_SCREENS:-}" ] && mkdir -p "$WB_SCREENS"

# --- the sweep's page updates itself, and a reload shows it further on ---------------------------
sid=$(js "document.querySelector('#sweeps tr[data-sweep]').dataset.sweep" | tr -d '"')
navigate "${URL}sweep/$sid"
epochs='Array.from(document.querySelectorAll("#runs-table tr[data-run]")).reduce((s, r) => s + Math.max(0, Number(r.dataset.epochsDone)), 0)'
check "the sweep page shows its runs" wait_for "document.querySelector('#runs-table tr[data-run]')" 15
check "  with a run that has trained an epoch" wait_for "$epochs > 0" 30
first=$(js "$epochs")
js 'window.openedOnce = true' > /dev/null
check "the runs table advances by itself (from $first epochs)" wait_for "$epochs > $first" 20
eq "  without a reload" "$(js 'window.openedOnce === true')" true
second=$(js "$epochs")
check "  a run shows as running" test "$(js "document.querySelectorAll('#runs-table tr[data-status=running]').length")" -gt 0
navigate "${URL}sweep/$sid"
wait_for "document.querySelector('#runs-table tr[data-run]')" 15
check "after a reload it shows more ($second, then $(js "$epochs") epochs)" wait_for "$epochs > $second" 20
[ -n "${WB_SCREENS:-}" ] && { wait_for "document.querySelectorAll('#charts canvas').length == 2" 10
  screenshot "$WB_SCREENS/sweep.png"; screenshot "$WB_SCREENS/sweep-top.png" 900; }

# --- the hostile name is text, and nothing ran ----------------------------------------------------
eq "the name is the heading's text" "$(js "document.getElementById('sweep-name').textContent")" \
  "$(jq -cn --arg n "$hostile" '$n')"
eq "  and the title's" "$(js 'document.title')" "$(jq -cn --arg n "wb · $hostile" '$n')"
eq "  no element came of it" \
  "$(js "document.querySelectorAll('img[src=x], main script, #sweep-name *').length")" 0
check "  the title is not the handlers'" test "$(js 'document.title')" != '"pwned"'
clean "the sweep page"

# --- every page renders whole ----------------------------------------------------------------------
check "the sweep page draws a chart per kernel" \
  wait_for "document.querySelectorAll('#charts canvas').length == 2" 10
js "document.getElementById('split').value = 'train'; document.getElementById('split').dispatchEvent(new Event('change'))" > /dev/null
check "  and the train loss when asked" \
  wait_for "document.querySelector('#charts .u-title').textContent.startsWith('train loss')" 5
navigate "${URL}run/1"
check "the run page draws its two charts" wait_for "document.querySelectorAll('main canvas').length == 2" 15
check "  and shows its preview image" \
  wait_for "document.querySelector('img.preview') && document.querySelector('img.preview').naturalWidth > 1000" 15
check "  and every epoch" wait_for "document.querySelectorAll('#epochs-table tbody tr').length > 1" 5
clean "the run page"
[ -n "${WB_SCREENS:-}" ] && screenshot "$WB_SCREENS/run.png"
navigate "${URL}compare/1/3"
check "the compare page draws its chart" wait_for "document.querySelectorAll('main canvas').length == 1" 15
check "  and the keys that differ" wait_for "document.querySelectorAll('#diff-table tbody tr').length > 0" 5
clean "the compare page"
[ -n "${WB_SCREENS:-}" ] && screenshot "$WB_SCREENS/compare.png"
navigate "$URL"
wait_for "document.querySelector('#sweeps tr[data-sweep]')" 10
[ -n "${WB_SCREENS:-}" ] && screenshot "$WB_SCREENS/index.png" 900

# --- the final numbers are wb compare's -------------------------------------------------------------
wait "$sweep_pid"; rc=$?
eq "the sweep finished (after $((SECONDS - start)) s)" "$rc" 0
navigate "${URL}sweep/$sid"
check "the finished sweep's page shows every run finished" \
  wait_for "document.querySelectorAll('#runs-table tr[data-status=finished]').length == 6" 15
js "Array.from(document.querySelectorAll('#keytable tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent).join(' | ')).join('\n')" |
  jq -r . > "$T/keytable.txt"
"$WB" compare --db "$db" --sweep "$hostile" --wide > "$T/compare.txt"
sed '1,4d' "$T/compare.txt" | sed '/^$/,$d' > "$T/compare.rows"
nums() { grep -oE '[-+]?[0-9]+\.[0-9]+' "$1" | tr '\n' ' '; }
verdicts() { grep -oE 'baseline|helps|hurts|indistinguishable|no test' "$1" | tr '\n' ' '; }
check "the key table shows numbers" test -n "$(nums "$T/keytable.txt")"
eq "the key table on the page has wb compare's numbers" "$(nums "$T/keytable.txt")" \
  "$(nums "$T/compare.rows")"
eq "  and its verdicts" "$(verdicts "$T/keytable.txt")" "$(verdicts "$T/compare.rows")"
clean "the finished sweep's page"

# --- what the pages show (issue 22) ----------------------------------------------------------------
xmin='document.querySelector("#charts .chart").uplot.scales.x.min'
check "the curves leave epoch 0 (the untrained network) out" wait_for "$xmin === 1" 10
js "document.querySelector('#curves input.epoch0').click()" > /dev/null
check "  and show it when asked" wait_for "$xmin === 0" 5
eq "the curves show the key table's metric, pooled PSNR" "$(js "document.getElementById('metric').value")" \
  '"psnr_pooled"'
navigate "${URL}run/3"
check "a λ > 0 run's page draws three charts" wait_for "document.querySelectorAll('main canvas').length == 3" 15
eq "  the loss parts each on a scale of its own" \
  "$(js "Array.from(document.querySelectorAll('#run-curves .chart')[2].uplot.series).map(s => s.scale).join(' ')")" \
  '"x y y2"'
navigate "${URL}compare/1/3"
check "the compare page draws its chart" wait_for "document.querySelectorAll('main canvas').length == 1" 15
eq "  of the sweep page's metric" "$(js "document.getElementById('compare-metric').value")" '"val.psnr_pooled"'
eq "  without the input splits" "$(js "document.querySelectorAll('#latest tr[data-metric*=_input]').length")" 0
check "  its values listed" test "$(js "document.querySelectorAll('#latest tr[data-metric]').length")" -gt 10
eq "  every PSNR to 3 decimals, the differences too" \
  "$(js "Array.from(document.querySelectorAll('#latest tr[data-metric*=psnr] td.num')).filter(c => c.textContent !== '–' && !/^-?[0-9]+[.][0-9]{3}\$/.test(c.textContent)).length")" 0
written=$(curl -s "${URL}api/state" | jq -r ".sweeps[] | select(.id == $sid) | .written_at")
navigate "$URL"
wait_for "document.querySelector('#sweeps tr[data-sweep]')" 10
eq "the sweeps page's last epoch written ($written)" \
  "$(js "document.querySelector('#sweeps tr[data-sweep=\"$sid\"] td:last-child').textContent === new Date('$written').toLocaleString()")" true
clean "the pages of issue 22"
cdp_stop

# Chromium's network log: every request the pages made (document and resource loads, known by
# their traffic annotations) went to this server; the browser's own attempts (updates, time) are
# not the pages', and the flags above blocked them.
grep -o '"traffic_annotation":\(101845102\|63171670\),"url":"[^"]*"' "$T/net.json" |
  cut -d'"' -f6 | sort -u > "$T/urls"
check "the network log holds the pages' requests" test "$(wc -l < "$T/urls")" -gt 5
eq "  every one to this server" "$(grep -v "^${URL}" "$T/urls" | tr '\n' ' ')" ""
check "  the script, uPlot, the API and the preview among them" \
  bash -c 'grep -q static/app.js "$1" && grep -q uPlot.iife.min.js "$1" && grep -q api/state "$1" && grep -q preview.png "$1"' _ "$T/urls"

# --- another address: the token ------------------------------------------------------------------
addr=$(hostname -I 2> /dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -n1)
serve "$T/token.out" --db "$db" --host "${addr:-0.0.0.0}"
full=$SERVED
port=${full#http://*:}; port=${port%%/*}
base=http://${addr:-127.0.0.1}:$port
rm -rf "$T/profile" "$T/cdp.in" "$T/cdp.out"
cdp_start --proxy-server=http://127.0.0.1:9 --proxy-bypass-list="127.0.0.1;${addr:-127.0.0.1}"
tab_open "$base/sweep/$sid"
check "without the token: 403" \
  wait_for "document.body && document.body.textContent.includes('403: this wb serve needs its token')" 10
navigate "$base/sweep/$sid?token=${full##*token=}"
check "with the token: the page, its data fetched with the cookie" \
  wait_for "document.getElementById('sweep-name')" 15
eq "  the address bar without the token" "$(js 'location.search')" '""'
clean "the page reached with the token"
cdp_stop
echo "# report: browser test in $((SECONDS - start)) s"
finish
