#!/usr/bin/env bash
# wb sweep on experiments/micro.ini: the rows, files and views a sweep must leave (issue 4,
# acceptance 1), the λ = 0 collapse, skipping finished runs, --dry-run, --force.
. tests/cli_lib.sh

db=$T/m.db
# --dry-run prints the grid, opens no database and reads no data (this source does not exist).
micro_ini "$T/dry.ini" "database=$T/dry.db"
sed -i "s|^\[data\]|[data]\nsource = png:$T/no-such-folder|" "$T/dry.ini"
"$WB" sweep "$T/dry.ini" --dry-run > "$T/dry.txt"; rc=$?
eq "dry run exit status" "$rc" 0
eq "dry run lists 6 runs" "$(grep -c '^ *[0-9]' "$T/dry.txt")" 6
check "dry run opens no database" test ! -e "$T/dry.db"
"$WB" sweep "$T/dry.ini" --quiet > /dev/null 2> "$T/dry.err"; rc=$?
eq "the same file without --dry-run: bad data is exit status 2" "$rc" 2
check "  and names the folder" grep -q "no-such-folder" "$T/dry.err"
check "  and creates no database" test ! -e "$T/dry.db"

"$WB" sweep experiments/micro.ini --db "$db" --quiet > "$T/out.txt"; rc=$?
eq "sweep exit status" "$rc" 0
eq "runs (λ = 0 collapses to one baseline per seed)" "$(sq "$db" "SELECT count(*) FROM runs")" 6
eq "baselines have NULL kernel and border" \
   "$(sq "$db" "SELECT count(*) FROM runs WHERE laplacian_weight = 0 AND kernel IS NULL AND border IS NULL")" 2
eq "all finished" "$(sq "$db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
E=2
# val every epoch; test at its readings only (issue 21): the last epoch, and the best validation
# epoch (lowest val.mse, ties to the earlier) when that is an earlier one.
readings="SELECT r.id, r.epochs AS e, (SELECT m.epoch FROM metrics m WHERE m.run_id = r.id
            AND m.split = 'val' AND m.name = 'mse' ORDER BY m.value, m.epoch LIMIT 1) AS best
          FROM runs r"
eq "val epochs 0..E, train 1..E, the inputs at 0, test at E" \
   "$(sq "$db" "SELECT group_concat(split || ':' || lo || '-' || hi, ' ') FROM (SELECT split, min(epoch) lo, max(epoch) hi FROM metrics WHERE split <> 'test' OR epoch = $E GROUP BY run_id, split) GROUP BY 'x'" | tr ' ' '\n' | sort -u | tr '\n' ' ')" \
   "test:$E-$E test_input:0-0 train:1-$E val:0-$E val_input:0-0 "
eq "test only at each run's readings: the last epoch and an earlier best one" \
   "$(sq "$db" "SELECT count(*) FROM (SELECT DISTINCT m.run_id, m.epoch FROM metrics m
                JOIN ($readings) b ON b.id = m.run_id WHERE m.split = 'test'
                AND m.epoch <> b.e AND m.epoch <> b.best)")" 0
nread=$(sq "$db" "SELECT count(*) + sum(best < e) FROM ($readings)")
for m in mse psnr ssim lap4_mse lap8_mse seconds; do
  eq "val.$m every run and epoch" "$(sq "$db" "SELECT count(*) FROM metrics WHERE split = 'val' AND name = '$m'")" $((6 * (E + 1)))
  eq "test.$m at every reading" "$(sq "$db" "SELECT count(*) FROM metrics WHERE split = 'test' AND name = '$m'")" "$nread"
done
for m in loss loss_pixel seconds samples_per_s; do
  eq "train.$m every run and epoch" "$(sq "$db" "SELECT count(*) FROM metrics WHERE split = 'train' AND name = '$m'")" $((6 * E))
done
eq "every metric of a split, every run and epoch of that split (but loss_lap)" \
   "$(sq "$db" "SELECT count(*) FROM (SELECT split, name, count(*) AS n FROM metrics
                WHERE name <> 'loss_lap' GROUP BY split, name)
              WHERE n <> (CASE WHEN split = 'train' THEN 6 * $E WHEN split = 'test' THEN $nread
                               WHEN split LIKE '%_input' THEN 6 ELSE 6 * ($E + 1) END)")" 0
eq "the inputs: val's metrics but seconds, one value for every run (one data set)" \
   "$(sq "$db" "SELECT count(DISTINCT name) || ' ' || count(DISTINCT split || name || value)
                FROM metrics WHERE split = 'val_input'")" \
   "$(sq "$db" "SELECT count(*) || ' ' || count(*) FROM metrics
                WHERE split = 'val' AND epoch = 0 AND run_id = 1 AND name <> 'seconds'")"
eq "train.loss_lap only where λ > 0" \
   "$(sq "$db" "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.name = 'loss_lap' AND r.laplacian_weight = 0")" 0
eq "train.loss_lap for λ > 0" "$(sq "$db" "SELECT count(*) FROM metrics WHERE name = 'loss_lap'")" $((4 * E))
eq "three checkpoints per run" "$(sq "$db" "SELECT count(*) FROM checkpoints")" 18
missing=0
while IFS='|' read -r path; do
  [ -s "$T/$path" ] || { echo "missing checkpoint file $path"; missing=$((missing + 1)); }
done < <(sq "$db" "SELECT path FROM checkpoints")
eq "every checkpoint file exists" "$missing" 0
previews=$(ls "$T"/m.db.runs/*/preview.npy | wc -l)
eq "a preview per run" "$previews" 6
eq "preview shape" "$(head -c 128 "$(ls "$T"/m.db.runs/*/preview.npy | head -1)" | grep -ao "'shape': ([0-9, ]*)")" "'shape': (3, 32, 16, 16, 3)"
eq "recorded environment" "$(sq "$db" "SELECT count(*) FROM runs WHERE threads = 1 AND gemm_library IS NOT NULL AND compiler IS NOT NULL AND wb_version IS NOT NULL AND host IS NOT NULL AND param_count > 0 AND train_n = 256")" 6
eq "sweep provenance" "$(sq "$db" "SELECT name, length(ini_text) > 0, git_commit IS NOT NULL, axes FROM sweeps")" "micro|1|1|loss.laplacian_weight,loss.kernel"

# The README's queries, through the views.
eq "README (a): mean final test PSNR by λ and kernel: 3 rows" \
   "$("$WB" query --db "$db" --csv "SELECT laplacian_weight, kernel, count(*) AS runs, avg(test_psnr) AS mean_psnr FROM final GROUP BY laplacian_weight, kernel ORDER BY laplacian_weight, kernel" | tail -n +2 | wc -l)" 3
eq "README (b): best epoch by val PSNR per run: 6 rows" \
   "$("$WB" query --db "$db" --csv "SELECT run_id, epoch AS best_epoch, psnr AS val_psnr FROM (SELECT run_id, epoch, psnr, row_number() OVER (PARTITION BY run_id ORDER BY psnr DESC, epoch) AS place FROM epochs WHERE split = 'val') WHERE place = 1 ORDER BY run_id" | tail -n +2 | wc -l)" 6
eq "README (c): gain over the same seed's baseline: 4 rows" \
   "$("$WB" query --db "$db" --csv "SELECT f.run_id, f.laplacian_weight, f.kernel, f.seed, f.test_psnr - b.test_psnr AS gain_db FROM final f JOIN final b ON b.laplacian_weight = 0 AND b.seed = f.seed WHERE f.laplacian_weight > 0" | tail -n +2 | wc -l)" 4
eq "summary: 3 configurations of 2 seeds" "$(sq "$db" "SELECT group_concat(n_seeds) FROM summary")" "2,2,2"

# Again: nothing to do, nothing changes.
before=$(metrics_dump "$db")
"$WB" sweep experiments/micro.ini --db "$db" --quiet > /dev/null; rc=$?
eq "second sweep exit status" "$rc" 0
eq "second sweep trains nothing" "$(metrics_dump "$db")" "$before"
eq "no duplicate runs" "$(sq "$db" "SELECT count(*) FROM runs")" 6

# --force trains everything again, to the same numbers.
"$WB" sweep experiments/micro.ini --db "$db" --quiet --force > /dev/null
eq "--force retrains to identical metrics" "$(metrics_dump "$db")" "$before"
eq "integrity" "$(sq "$db" "PRAGMA integrity_check")" ok

# wb ls and wb show read it back.
eq "wb ls lists 6 runs" "$("$WB" ls --db "$db" | grep -c finished)" 6
hash=$(sq "$db" "SELECT substr(config_hash, 1, 8) FROM runs WHERE id = 3")
check "wb show by hash prefix" bash -c "'$WB' show '$hash' --db '$db' | grep -q 'lap8_mse'"
"$WB" show 99 --db "$db" > /dev/null 2>&1; eq "wb show of a missing run" "$?" 2
finish
