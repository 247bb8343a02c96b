/* wb ls: every run with its sweep, status, progress, axes and latest test PSNR. Opening the
 * database marks stale runs interrupted first, so what it shows is the truth. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"

static const char usage[] =
    "usage: wb ls [--db PATH] [--sweep NAME]\n\n"
    "Lists the runs of every sweep (or of one), in grid order: id, config hash prefix, status,\n"
    "epochs done, the sweep's axes, seed, the test PSNR of the last epoch, and errors.\n\n"
    "  --db PATH      database (default results/wb.db)\n"
    "  --sweep NAME   only this sweep\n";

/* One row per (sweep, run); the axes label is built from the run's params for the sweep's axes. */
static const char list_sql[] =
    "SELECT r.id, substr(r.config_hash, 1, 12), s.name, r.status,"
    " CASE WHEN r.epochs_done < 0 THEN '-' ELSE r.epochs_done || '/' || r.epochs END,"
    " (SELECT group_concat(replace(p.key, 'loss.laplacian_weight', 'λ') || '=' ||"
    "   coalesce(p.value, '-'), ' ') FROM params p WHERE p.run_id = r.id"
    "   AND instr(',' || s.axes || ',', ',' || p.key || ',') > 0),"
    " r.seed,"
    " (SELECT printf('%.3f', m.value) FROM metrics m WHERE m.run_id = r.id AND m.split = 'test'"
    "   AND m.name = 'psnr' AND m.epoch = r.epochs_done),"
    " r.error"
    " FROM sweep_runs l JOIN runs r ON r.id = l.run_id JOIN sweeps s ON s.id = l.sweep_id"
    " WHERE ?1 IS NULL OR s.name = ?1 ORDER BY s.name, l.grid_index";

int cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = { { "db", required_argument, 0, 'd' },
                                          { "sweep", required_argument, 0, 's' },
                                          { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    const char *db = CONFIG_DEFAULT_DATABASE, *sweep = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': sweep = optarg; break;
        case 'h': return cmd_usage(usage, WB_EXIT_OK);
        default: return cmd_bad_option("ls", usage, argv);
        }
    }
    if (optind != argc)
        return cmd_usage(usage, WB_EXIT_USAGE);
    store *s;
    int status = cmd_open_store("ls", db, STORE_OPEN_READONLY, &s);
    if (status != WB_EXIT_OK)
        return status;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_handle(s), list_sql, -1, &st, NULL) != SQLITE_OK) {
        wb_error("ls", "%s: %s", db, sqlite3_errmsg(store_handle(s)));
        store_close(s);
        return WB_EXIT_FAILURE;
    }
    if (sweep)
        sqlite3_bind_text(st, 1, sweep, -1, SQLITE_STATIC);
    static const char *const headers[] = { "id", "hash", "sweep", "status", "epochs", "axes",
                                           "seed", "test_psnr", "error" };
    table *t = table_new(9, headers);
    while (t && sqlite3_step(st) == SQLITE_ROW) {
        const char *cells[9];
        for (int k = 0; k < 9; k++)
            cells[k] = (const char *)sqlite3_column_text(st, k);
        table_add(t, cells);
    }
    sqlite3_finalize(st);
    if (!t || table_rows(t) == 0) {
        if (sweep)
            wb_error("ls", "%s: no runs in a sweep named '%s'", db, sweep);
        else
            printf("%s: no runs yet\n", db);
        status = sweep ? WB_EXIT_USAGE : WB_EXIT_OK;
    } else {
        table_print(t, stdout, 0);
    }
    table_free(t);
    store_close(s);
    return status;
}
