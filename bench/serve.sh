#!/usr/bin/env bash
# bench/serve.sh [PAIRS]: does wb serve under load slow a sweep down? PAIRS (default 5) pairs of
# runs of bench/serve-load.ini (two runs, each on every core), alternating which comes first:
# the sweep alone, and the sweep while wb serve answers 100 clients that each poll as an open
# sweep page does, every 2 s for 60 s or for as long as the sweep runs if it runs longer
# (bench/serve_load.py: /api/state with its ETag, then the sweep's JSON when that changed). Prints per run the sweep's wall time and mean training
# samples/s, and for the served ones the load's requests, errors and latency percentiles and
# the server's CPU time; appends them to bench/serve_results.csv. A benchmark, not a test: the
# figures depend on what else the machine does.
set -euo pipefail
cd "$(dirname "$0")/.."
WB=${WB:-build/wb}
PAIRS=${1:-5}
PY=/usr/bin/python3
CSV=bench/serve_results.csv
work=$(mktemp -d /tmp/wb-bench-serve-XXXXXX)
serve_pid=
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2> /dev/null; rm -rf "$work"' EXIT
header=date,commit,pair,served,seconds,samples_per_s,load_seconds,requests,errors,p50_ms,p99_ms,max_ms,sweep_p99_ms,server_cpu_s
[ -f "$CSV" ] || echo "$header" > "$CSV"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git rev-parse --short=12 HEAD 2> /dev/null || echo unknown)

# samples/s: the mean over the sweep's trained epochs of each epoch's training samples/s
samples() { "$WB" query "SELECT avg(value) FROM metrics WHERE split = 'train' AND name = 'samples_per_s'" --db "$1" --csv | tail -n1 | tr -d '\r'; }

# one PAIR SERVED: a fresh sweep, with the server and its load when SERVED is 1
one() {
  local pair=$1 served=$2 db=$work/run-$1-$2.db load='{}' cpu=
  rm -rf "$db"*
  if [ "$served" = 1 ]; then
    "$WB" serve --db "$db" --port 0 > "$work/url" 2> /dev/null &
    serve_pid=$!
    for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
  fi
  local t0=$EPOCHREALTIME
  # the sweep's own end time: the load may outlast it
  { "$WB" sweep bench/serve-load.ini --db "$db" --quiet > /dev/null; echo "$EPOCHREALTIME" > "$work/end"; } &
  local sweep_pid=$!
  if [ "$served" = 1 ]; then
    local url
    url=$(head -n1 "$work/url")
    until curl -s "${url}api/state" | grep -q '"id":1'; do sleep 0.1; done
    load=$($PY bench/serve_load.py "$url" 1 100 2 60 "$sweep_pid")
  fi
  wait "$sweep_pid"
  local seconds
  seconds=$(awk -v a="$t0" -v b="$(cat "$work/end")" 'BEGIN { printf "%.1f", b - a }')
  if [ "$served" = 1 ]; then
    cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$serve_pid/stat")
    kill "$serve_pid"; wait "$serve_pid" 2> /dev/null || true; serve_pid=
  fi
  local sps
  sps=$(samples "$db")
  $PY - "$date" "$commit" "$pair" "$served" "$seconds" "$sps" "$load" "$cpu" >> "$CSV" <<'PYEOF'
import json, sys
date, commit, pair, served, seconds, sps, load, cpu = sys.argv[1:]
l = json.loads(load)
lat = l.get("latency_ms", {})
print(",".join(str(x) for x in [date, commit, pair, served, seconds, "%.0f" % float(sps),
      "%.1f" % l["seconds"] if l else "", l.get("requests", ""), l.get("errors", ""), "%.2f" % lat["p50"] if lat else "",
      "%.2f" % lat["p99"] if lat else "", "%.2f" % lat["max"] if lat else "",
      "%.2f" % l["sweep_latency_ms"]["p99"] if lat and l["sweep_latency_ms"]["p99"] else "", cpu]))
PYEOF
  tail -n1 "$CSV"
}

echo "$header"
for pair in $(seq "$PAIRS"); do
  if [ $((pair % 2)) = 1 ]; then one "$pair" 0; one "$pair" 1; else one "$pair" 1; one "$pair" 0; fi
done
