/* wb show RUN: one run in full: identity, environment, status, configuration, checkpoints and
 * its metrics per epoch. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"

static const char usage[] =
    "usage: wb show RUN [--db PATH]\n\n"
    "RUN is a run's integer id or a unique prefix of its config hash (as wb ls prints them).\n\n"
    "  --db PATH   database (default results/wb.db)\n";

/* Prints a one-row query as "column: value" lines; returns -1 on an SQL error. */
static int fields(sqlite3 *h, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const unsigned char *v = sqlite3_column_text(st, c);
            printf("  %-12s %s\n", sqlite3_column_name(st, c), v ? (const char *)v : "");
        }
    sqlite3_finalize(st);
    return 0;
}

/* Prints one query's rows as a table under a heading; returns -1 on an SQL error. */
static int section(sqlite3 *h, const char *title, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st;
    char err[512];
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    table *t = table_from_statement(st, 0, err, sizeof err);
    sqlite3_finalize(st);
    if (!t)
        return -1;
    printf("\n%s:\n", title);
    table_print(t, stdout, 0);
    table_free(t);
    return 0;
}

int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = { { "db", required_argument, 0, 'd' },
                                          { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    const char *db = CONFIG_DEFAULT_DATABASE;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'h': return cmd_usage(usage, WB_EXIT_OK);
        default: return cmd_bad_option("show", usage, argv);
        }
    }
    if (optind != argc - 1)
        return cmd_usage(usage, WB_EXIT_USAGE);
    char err[1024];
    store *s;
    int64_t run_id;
    int status = cmd_open_store("show", db, STORE_OPEN_READONLY, &s);
    if (status != WB_EXIT_OK)
        return status;
    if (store_lookup_run(s, argv[optind], &run_id, err, sizeof err) != 0) {
        wb_error("show", "%s", err);
        store_close(s);
        return WB_EXIT_USAGE;
    }
    sqlite3 *h = store_handle(s);
    int rc = 0;
    printf("run %lld\n", (long long)run_id);
    rc |= fields(h, "SELECT config_hash, config_id, status, epochs_done || ' of ' || epochs AS "
                    "epochs_done, error, seed, created_at AS created, started_at AS started, "
                    "finished_at AS finished, heartbeat_at AS heartbeat, host, pid, threads, "
                    "gemm_library AS gemm, compiler, wb_version, param_count AS parameters, "
                    "data_source || ' (' || train_n || '/' || val_n || '/' || test_n || "
                    "' patches)' AS data, folder FROM runs WHERE id = ?1", run_id);
    const char *sql = "SELECT s.name AS sweep, l.grid_index FROM sweep_runs l JOIN sweeps s ON "
                      "s.id = l.sweep_id WHERE l.run_id = ?1 ORDER BY s.name";
    rc |= section(h, "sweeps", sql, run_id);
    rc |= section(h, "configuration",
                  "SELECT key, value FROM params WHERE run_id = ?1 ORDER BY key", run_id);
    rc |= section(h, "checkpoints",
                  "SELECT kind, epoch, path FROM checkpoints WHERE run_id = ?1 ORDER BY "
                  "CASE kind WHEN 'init' THEN 0 WHEN 'best' THEN 1 ELSE 2 END", run_id);
    rc |= section(h, "epochs",
                  "SELECT epoch, split, loss, loss_pixel, loss_lap, mse, psnr, ssim, lap4_mse, "
                  "lap8_mse, seconds, samples_per_s FROM epochs WHERE run_id = ?1 ORDER BY epoch, "
                  "CASE split WHEN 'train' THEN 0 WHEN 'val' THEN 1 ELSE 2 END", run_id);
    if (rc != 0)
        wb_error("show", "%s: %s", db, sqlite3_errmsg(h));
    store_close(s);
    return rc ? WB_EXIT_FAILURE : WB_EXIT_OK;
}
