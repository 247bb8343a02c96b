/* wb query "SQL": read-only SQL on the database, as an aligned table or CSV.
 *
 * Three locks keep it read-only: every statement is checked with sqlite3_stmt_readonly before
 * any runs, the connection is opened read-only with PRAGMA query_only, and an authorizer refuses
 * ATTACH and DETACH (which SQLite counts as read-only: they change the connection, not a file,
 * but would let a query create or reach another database). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"

static const char usage[] =
    "usage: wb query \"SQL\" [--db PATH] [--csv]\n\n"
    "Runs read-only SQL (SELECT, WITH, read-only PRAGMAs) on the database and prints each result\n"
    "as an aligned table, or as CSV with --csv. Statements that would write are refused with\n"
    "exit status 2 and nothing is run. Tables: sweeps, runs, sweep_runs, params, metrics,\n"
    "checkpoints; views: epochs, final, summary (see README.md for examples). Rows are read as\n"
    "stored: a run whose process died or whose heartbeat stopped stays `running` here until a\n"
    "command that writes (wb sweep) records it `interrupted`; wb ls and wb show say so at once.\n\n"
    "  --db PATH   database (default results/wb.db)\n"
    "  --csv       CSV (RFC 4180) instead of aligned columns\n";

static int deny_attach(void *ctx, int action, const char *a, const char *b, const char *c,
                       const char *d)
{
    (void)ctx, (void)a, (void)b, (void)c, (void)d;
    return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

#define MAX_STATEMENTS 64

int cmd_query(int argc, char **argv)
{
    const char *db = CONFIG_DEFAULT_DATABASE;
    int csv = 0;
    const cmd_option opts[] = { { .name = "db", .text = &db }, { .name = "csv", .flag = &csv },
                                { 0 } };
    char err[1024];
    store *s;
    int status = cmd_parse("query", usage, argc, argv, opts, 1);
    if (status >= 0 ||
        (status = cmd_open_store("query", db, STORE_OPEN_READONLY, &s)) != WB_EXIT_OK)
        return status;
    const char *sql = argv[optind];
    sqlite3 *h = store_handle(s);
    sqlite3_exec(h, "PRAGMA query_only = 1", NULL, NULL, NULL);
    sqlite3_set_authorizer(h, deny_attach, NULL);

    sqlite3_stmt *st[MAX_STATEMENTS];
    int n = 0;
    for (const char *tail = sql; status == WB_EXIT_OK && *tail;) {
        sqlite3_stmt *one = NULL;
        const char *start = tail;
        if (sqlite3_prepare_v2(h, tail, -1, &one, &tail) != SQLITE_OK) {
            wb_error("query", "%s", sqlite3_errmsg(h));
            status = WB_EXIT_USAGE;
        } else if (!one) {
            break;   /* only whitespace or comments left */
        } else if (!sqlite3_stmt_readonly(one)) {
            wb_error("query", "refusing a statement that writes (wb query is read-only): %.*s",
                     (int)(tail - start), start);
            sqlite3_finalize(one);
            status = WB_EXIT_USAGE;
        } else if (n == MAX_STATEMENTS) {
            wb_error("query", "more than %d statements", MAX_STATEMENTS);
            sqlite3_finalize(one);
            status = WB_EXIT_USAGE;
        } else {
            st[n++] = one;
        }
    }
    for (int i = 0; status == WB_EXIT_OK && i < n; i++) {
        table *t = table_from_statement(st[i], csv, err, sizeof err);
        if (!t) {
            wb_error("query", "%s", err);
            status = WB_EXIT_USAGE;
            break;
        }
        if (i > 0)
            putchar('\n');
        table_print(t, stdout, csv);
        table_free(t);
    }
    for (int i = 0; i < n; i++)
        sqlite3_finalize(st[i]);
    store_close(s);
    return status;
}
