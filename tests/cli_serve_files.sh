#!/usr/bin/env bash
# The files wb serve reads from a results folder (issue 24, finding 2): a preview whose bytes
# differ from the SHA-256 its epoch recorded is refused (it was served as an image, status 200,
# where `wb report` leaves it out), and no file is served through a symbolic link: a preview.npy
# that links to another file (even one with the right bytes), a run folder that is a link, a
# report folder `report-NAME` that links outside the results folder, a report file that is a link.
source tests/cli_lib.sh

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

mkdir "$T/r" "$T/elsewhere"
micro_ini "$T/m.ini" "epochs=1"
"$WB" sweep "$T/m.ini" --db "$T/r/m.db" --quiet > /dev/null || fail "the micro sweep"
"$WB" serve --db "$T/r/m.db" --port 0 > "$T/serve.out" 2> "$T/serve.err" &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$T/serve.out" ] && break; sleep 0.1; done
URL=$(head -n1 "$T/serve.out")
[ -n "$URL" ] || { fail "wb serve printed no URL: $(cat "$T/serve.err")"; finish; exit 1; }
get() { curl -s -m 10 -o "$T/body" -w '%{http_code}' "$URL$1"; }
folder() { echo "$T/r/$(sq "$T/r/m.db" "SELECT folder FROM runs WHERE id = $1")"; }
f1=$(folder 1) f2=$(folder 2) f3=$(folder 3) f4=$(folder 4)

eq "run 1's preview: 200" "$(get api/run/1/preview.png)" 200
check "  a PNG" bash -c "head -c 8 '$T/body' | od -An -c | grep -q 'P   N   G'"
eq "  the run says it has one" "$(get api/run/1 > /dev/null; jq -r .preview "$T/body")" true

# --- altered bytes: the same size, one byte of the last patch changed ------------------------
size=$(stat -c %s "$f1/preview.npy")
printf '\x3f' | dd of="$f1/preview.npy" bs=1 seek=$((size - 2)) conv=notrunc status=none
eq "run 1's preview with one byte altered: not served (500)" "$(get api/run/1/preview.png)" 500
check "  the error says it is damaged" grep -q "preview.npy: damaged: its SHA-256 is not the one its epoch recorded" "$T/body"

# --- links ------------------------------------------------------------------------------------
# preview.npy linking to a file with exactly its recorded bytes, outside the results folder
cp "$f2/preview.npy" "$T/elsewhere/copy.npy"
rm "$f2/preview.npy" && ln -s "$T/elsewhere/copy.npy" "$f2/preview.npy"
eq "a preview.npy that links to its own bytes elsewhere: not served" "$(get api/run/2/preview.png)" 404
eq "  the run says it has none" "$(get api/run/2 > /dev/null; jq -r .preview "$T/body")" false
# preview.npy linking to another run's preview (no hash recorded: a file trusted as it is)
sq "$T/r/m.db" "DELETE FROM file_hashes WHERE run_id = 3 AND name = 'preview.npy'"
rm "$f3/preview.npy" && ln -s "$f4/preview.npy" "$f3/preview.npy"
eq "a preview.npy that links to another run's: not served" "$(get api/run/3/preview.png)" 404
# a run folder that is a link
mv "$f4" "$T/elsewhere/run4"
ln -s "$T/elsewhere/run4" "$f4"
eq "a run folder that is a link: its preview not served" "$(get api/run/4/preview.png)" 404
eq "  (the file behind the link is intact: run 5's, not linked, is served)" \
  "$(get api/run/5/preview.png)" 200

# a report folder linking outside the results folder
mkdir "$T/elsewhere/report"
echo "<p>not a report</p>" > "$T/elsewhere/report/index.html"
ln -s "$T/elsewhere/report" "$T/r/report-micro"
eq "report-micro linking outside: its index.html not served" "$(get sweep/1/report/)" 404
check "  and not its bytes" bash -c "! grep -q 'not a report' '$T/body'"
rm "$T/r/report-micro"
mkdir "$T/r/report-micro"
echo "<p>the report</p>" > "$T/r/report-micro/index.html"
eq "a report folder of its own: index.html served" "$(get sweep/1/report/)" 200
echo "secret" > "$T/elsewhere/secret.md"
ln -s "$T/elsewhere/secret.md" "$T/r/report-micro/report.md"
eq "a report file that is a link: not served" "$(get sweep/1/report/report.md)" 404
finish
