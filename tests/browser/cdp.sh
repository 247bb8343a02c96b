# tests/browser/cdp.sh: headless Chromium driven through the DevTools protocol over a pipe
# (--remote-debugging-pipe: JSON messages ending in NUL on its descriptors 3 and 4), from bash
# and jq alone. Sourced by tests/browser/run.sh, which sets $T (a scratch folder).
#
#   cdp_start [FLAGS...]      launch Chromium with a fresh profile (and FLAGS); its first tab is
#                             about:blank (Debian's start page is a search engine's)
#   cdp METHOD PARAMS         send a command to the browser; prints its result (JSON)
#   tab_open URL              open a tab at URL and attach to it (the tab the calls below use)
#   js EXPRESSION             evaluate in the tab; prints the value (JSON, -c)
#   wait_for EXPRESSION SECS  wait until EXPRESSION is true in the tab (in real time); 0 or 1
#   screenshot FILE [HEIGHT]  a PNG of the tab, 1280 pixels wide (HEIGHT: the page's, or given)
#   cdp_stop

CDP_N=0
CDP_SESSION=

cdp_start() {
  mkfifo "$T/cdp.in" "$T/cdp.out"
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-default-apps \
    --disable-extensions --hide-scrollbars --user-data-dir="$T/profile" \
    --remote-debugging-pipe "$@" about:blank 3< "$T/cdp.in" 4> "$T/cdp.out" \
    2> "$T/chromium.log" &
  CDP_PID=$!
  exec 7> "$T/cdp.in" 8< "$T/cdp.out"
}

cdp_stop() {
  exec 7>&- 8<&-
  kill "$CDP_PID" 2> /dev/null
  wait "$CDP_PID" 2> /dev/null
  # Its renderer and zygote outlive it for a moment, still writing into the profile.
  pkill -f -- "--user-data-dir=$T/profile" 2> /dev/null || true
}

# cdp METHOD PARAMS [SESSION]: the result of one command (events that come first are skipped).
cdp() {
  CDP_N=$((CDP_N + 1))
  jq -cnj --argjson id "$CDP_N" --arg m "$1" --argjson p "$2" --arg s "${3:-}" \
    '{id: $id, method: $m, params: $p} + (if $s == "" then {} else {sessionId: $s} end)' >&7
  printf '\0' >&7
  local reply
  while IFS= read -r -d '' -t 60 reply <&8; do
    if [ "$(jq -r '.id // empty' <<< "$reply")" = "$CDP_N" ]; then
      jq -c '.result // {error: .error}' <<< "$reply"
      return 0
    fi
  done
  echo '{"error":"no reply from Chromium"}'
  return 1
}

tab_open() {
  local target
  target=$(cdp Target.createTarget "$(jq -cn --arg u "$1" '{url: $u}')" | jq -r .targetId)
  CDP_SESSION=$(cdp Target.attachToTarget "{\"targetId\":\"$target\",\"flatten\":true}" |
    jq -r .sessionId)
  cdp Emulation.setDeviceMetricsOverride \
    '{"width":1280,"height":900,"deviceScaleFactor":1,"mobile":false}' "$CDP_SESSION" > /dev/null
}

navigate() {
  cdp Page.navigate "$(jq -cn --arg u "$1" '{url: $u}')" "$CDP_SESSION" > /dev/null
}

js() {
  cdp Runtime.evaluate "$(jq -cn --arg e "$1" '{expression: $e, returnByValue: true}')" \
    "$CDP_SESSION" | jq -c '.result.value'
}

wait_for() {
  local end=$((SECONDS + $2))
  while [ "$SECONDS" -le "$end" ]; do
    [ "$(js "Boolean($1)")" = true ] && return 0
    sleep 0.25
  done
  return 1
}

screenshot() {
  local height=${2:-$(js 'document.documentElement.scrollHeight')}
  cdp Emulation.setDeviceMetricsOverride \
    "{\"width\":1280,\"height\":$height,\"deviceScaleFactor\":1,\"mobile\":false}" \
    "$CDP_SESSION" > /dev/null
  sleep 0.5     # the charts redraw for the new size
  cdp Page.captureScreenshot '{"format":"png"}' "$CDP_SESSION" | jq -r .data | base64 -d > "$1"
  cdp Emulation.setDeviceMetricsOverride \
    '{"width":1280,"height":900,"deviceScaleFactor":1,"mobile":false}' "$CDP_SESSION" > /dev/null
}
