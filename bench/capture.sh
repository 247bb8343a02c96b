#!/usr/bin/env bash
# bench/capture.sh WB OUT: what a refactoring must leave bit for bit as it was (issue 23).
# Trains experiments/micro.ini and experiments/smoke.ini (2 epochs, 1 thread) with the binary WB
# in a temporary folder, then writes into OUT every test and val metric at %.17g (`wb query
# --csv`; the timing metrics, seconds and samples_per_s, are left out: they measure the machine),
# the SHA-256 of every file of every run folder, `wb config --json` and `--defaults`, and the
# `--dry-run` grid (hashes) of every experiments/*.ini. Compare two captures with cmp.
set -euo pipefail
wb=$(realpath "$1"); out=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
{
    echo "## wb config --json"; "$wb" config --json
    echo "## wb config --defaults"; "$wb" config --defaults
    for ini in "$root"/experiments/*.ini; do
        echo "## dry-run $(basename "$ini")"
        "$wb" sweep "$ini" --db "$tmp/dry.db" --dry-run 2>&1
    done
    # the configuration's messages, each on one line (exit status 2)
    bad=("[loss]\nkernal = 4" "[los]\nkernel = 4" "[loss]\nkernel = 5" "[data]\npatch = 17"
         "[data]\npatch = 20\n[model]\ndepth = 3" "[report]\nmargin.psnr = 0.1, 0.2"
         "[sweep]\nseeds = 5-1" "x = 1" "[train]\nlr = 0x10" "[report]\nmargin.psn = 1")
    for text in "${bad[@]}"; do
        printf "$text\n" >bad.ini
        echo "## bad: $text"; "$wb" sweep bad.ini --db "$tmp/dry.db" --dry-run 2>&1 || echo "status $?"
    done
    for set in loss.kernal=4 loss.kernel=4,8 report.margin.psnr=1 kernel=4 train.epochs=1-3; do
        : >empty.ini
        echo "## run --set $set"; "$wb" run empty.ini --set "$set" --db "$tmp/run.db" 2>&1 || echo "status $?"
        echo "## sweep --set $set"
        "$wb" sweep empty.ini --set "$set" --db "$tmp/dry.db" --dry-run 2>&1 || echo "status $?"
    done
    for name in micro smoke; do
        "$wb" sweep "$root/experiments/$name.ini" --db "$tmp/$name.db" --quiet \
            --set train.epochs=2 --set train.threads=1 >/dev/null 2>&1
        echo "## metrics $name"
        "$wb" query --db "$tmp/$name.db" --csv \
            "SELECT r.config_hash, m.epoch, m.split, m.name, m.value FROM metrics m
             JOIN runs r ON r.id = m.run_id WHERE m.name NOT IN ('seconds', 'samples_per_s')
             ORDER BY r.config_hash, m.epoch, m.split, m.name"
        echo "## files $name"
        (cd "$tmp/$name.db.runs" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    done
} >"$out"
