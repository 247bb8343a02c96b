# tests/cli_lib.sh: shared by the tests/cli_*.sh scripts (sourced, not run).
# $WB is the wb binary (tests/run.sh sets it); each script gets a scratch folder $T, removed at exit.
set -u
: "${WB:=build/wb}"
T=$(mktemp -d /tmp/wb-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# check DESCRIPTION COMMAND...: the command must succeed.
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
eq() {
  if [ "$2" = "$3" ]; then ok "$1 ($(printf '%s' "$2" | head -c 60 | tr '\n' ' '))"
  else fail "$1: got '$(printf '%s' "$2" | head -c 400)', expected '$(printf '%s' "$3" | head -c 400)'"; fi
}
sq() { sqlite3 -batch -noheader "$1" "$2"; }
# Every metric but the timings, with 17 significant digits, keyed by config hash (stable across
# databases, unlike ids).
metrics_dump() {
  sq "$1" "SELECT r.config_hash, m.epoch, m.split, m.name, printf('%.17g', m.value)
           FROM metrics m JOIN runs r ON r.id = m.run_id
           WHERE m.name NOT IN ('seconds', 'samples_per_s') ORDER BY 1, 2, 3, 4"
}
# A copy of experiments/micro.ini with other values: micro_ini OUT key=value...
micro_ini() {
  local out=$1; shift
  cp experiments/micro.ini "$out"
  local kv k v
  for kv in "$@"; do
    k=${kv%%=*}; v=${kv#*=}
    if grep -q "^$k *=" "$out"; then sed -i "s|^$k *=.*|$k = $v|" "$out"
    else echo "unknown key $k in micro_ini" >&2; exit 2; fi
  done
}
# Waits (at most 60 s) until file $1 holds a line matching $2.
wait_for_line() {
  local i
  for ((i = 0; i < 1200; i++)); do
    grep -q -- "$2" "$1" 2> /dev/null && return 0
    sleep 0.05
  done
  return 1
}
finish() {
  if [ "$FAILS" -ne 0 ]; then echo "$FAILS checks failed"; exit 1; fi
  echo "all checks passed"
}
