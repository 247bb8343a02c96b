/* wb query "SQL": read-only SQL on the database, as an aligned table, CSV or JSON.
 *
 * Read-only, three ways: every statement is checked with sqlite3_stmt_readonly before any runs,
 * the connection is opened read-only with PRAGMA query_only, and an authorizer refuses ATTACH and
 * DETACH (which SQLite counts as read-only: they change the connection, not a file, but would let
 * a query create or reach another database) and PRAGMAs that set something (PRAGMA trusted_schema
 * = 1 would undo the store's hardening; cache_size or mmap_size would take memory).
 * Without side effects: the authorizer also refuses every function SQLite marks direct-only
 * (load_extension, fts3_tokenizer, whose two-argument form takes a pointer: Debian builds it in)
 * and, should a build or an extension ever provide them, the sqlite3 shell's functions and tables
 * that reach files (readfile, writefile, edit, fsdir, zipfile, sqlar_*) or raw pages
 * (sqlite_dbpage, sqlite_dbdata).
 * Bounded: rows stream out as they come with --csv and --json (constant memory), the aligned table
 * prints at most QUERY_TABLE_ROWS rows in batches of QUERY_BATCH_BYTES, each value cut to
 * QUERY_CELL_BYTES (20 values of 60 MB took 1.36 GB and 64 s to print); no value may exceed
 * QUERY_MAX_VALUE_BYTES, SQLite's heap stops at QUERY_HEAP_BYTES with its temporary storage in it
 * (temp_store = MEMORY: a sort spilled to temporary files filled a 400 MB tmpfs in 3 s); and a
 * progress handler ends the query at --timeout or at SIGINT or SIGTERM (an endless recursive
 * CTE ran forever; one that returned rows grew by 110 MB/s), the same check made before each row
 * is printed (the printing ran past both: it came after the query's last step). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"
#include "wb/util.h"

#define QUERY_TABLE_ROWS 10000
#define QUERY_CELL_BYTES 1000
#define QUERY_BATCH_BYTES ((size_t)16 << 20)
#define QUERY_MAX_VALUE_BYTES (64 << 20)
#define QUERY_HEAP_BYTES ((sqlite3_int64)512 << 20)
#define QUERY_DEFAULT_TIMEOUT 60
#define MAX_STATEMENTS 64

static const char usage[] =
    "usage: wb query \"SQL\" [--db PATH | --ini FILE.ini] [--csv | --json] [--timeout SECONDS]\n\n"
    "Runs read-only SQL (SELECT, WITH, read-only PRAGMAs) on the database and prints each result\n"
    "as an aligned table (at most 10000 rows), or streamed as CSV with --csv or as a JSON array\n"
    "of objects with --json (several statements: an array of such arrays). Tables: sweeps, runs,\n"
    "sweep_runs, params, metrics, checkpoints; views: epochs, final, summary (see README.md for\n"
    "examples). Rows are read as stored: a run whose process died or whose heartbeat stopped\n"
    "stays `running` here until a command that writes (wb sweep) records it `interrupted`; wb ls\n"
    "and wb show say so at once.\n\n"
    CMD_DB_USAGE
    "  --csv               CSV (RFC 4180), reals with 17 significant digits\n"
    "  --json              JSON: an array of objects, one per row\n"
    "  --timeout SECONDS   stop the query after this long (default 60; 0: no limit)\n\n"
    "Statements that would write, PRAGMAs that set something and functions with side effects\n"
    "(load_extension, fts3_tokenizer, ...) are refused before anything runs. A value may hold at\n"
    "most 64 MB and the query at most 512 MB of memory, its sorts and temporary tables included;\n"
    "the aligned table shows the first 1000 bytes of a longer value (--csv, --json: all).\n\n"
    "Exit status: 0; 1 when the query stopped (--timeout, out of memory, a damaged database: the\n"
    "output ends where it was, a JSON array left open; an aligned table of more than 10000 rows\n"
    "prints those and stops: use --csv or --json); 2 for SQL that is wrong or refused; 130/143\n"
    "when stopped by SIGINT/SIGTERM.\n";

/* ---- the authorizer ------------------------------------------------------------------------- */

/* Functions and tables of the sqlite3 shell and its extensions that reach files, pages or the
 * process: none is in Debian's libsqlite3, but a build with them must not make wb query a way to
 * read or write files. load_extension and fts3_tokenizer are also found by their flags. */
static const char *const denied_names[] = {
    "load_extension", "fts3_tokenizer", "readfile", "writefile", "edit", "lsdir", "fsdir",
    "zipfile", "zipfile_cds", "sqlar_compress", "sqlar_uncompress", "sqlite_dbpage",
    "sqlite_dbdata", "sqlite_dbptr", "shell_module_schema", "sqlite_stmt",
};

/* PRAGMAs that take an argument and still only read. */
static const char *const reading_pragmas[] = {
    "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
};

#define MAX_DIRECT_ONLY 32

typedef struct query_guard {
    char direct_only[MAX_DIRECT_ONLY][64];  /* functions SQLite marks SQLITE_DIRECTONLY */
    int ndirect_only;
    char refused[160];      /* why the authorizer said no, for the message */
    double deadline;        /* CLOCK_MONOTONIC seconds; 0: none */
    int timed_out;
} query_guard;

static int in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcasecmp(name, list[i]) == 0)
            return 1;
    return 0;
}

static int is_direct_only(const query_guard *g, const char *name)
{
    for (int i = 0; name && i < g->ndirect_only; i++)
        if (strcasecmp(name, g->direct_only[i]) == 0)
            return 1;
    return 0;
}

static int authorize(void *ctx, int action, const char *a, const char *b, const char *c,
                     const char *d)
{
    query_guard *g = ctx;
    (void)c, (void)d;
    switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
        snprintf(g->refused, sizeof g->refused, "ATTACH and DETACH are refused (wb query reads "
                 "this database only)");
        return SQLITE_DENY;
    case SQLITE_FUNCTION:   /* b: the function's name */
        if (is_direct_only(g, b) || in_list(b, denied_names, sizeof denied_names /
                                                                sizeof denied_names[0])) {
            snprintf(g->refused, sizeof g->refused, "function %.60s is refused (it has side "
                     "effects beyond reading this database)", b);
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    case SQLITE_READ:       /* a: the table */
        if (in_list(a, denied_names, sizeof denied_names / sizeof denied_names[0])) {
            snprintf(g->refused, sizeof g->refused, "table %.60s is refused (it reaches files or "
                     "raw pages)", a);
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    case SQLITE_PRAGMA:     /* a: the pragma, b: its argument or NULL */
        if (b && !in_list(a, reading_pragmas, sizeof reading_pragmas / sizeof reading_pragmas[0])) {
            snprintf(g->refused, sizeof g->refused, "PRAGMA %.40s = %.40s is refused (it sets "
                     "something; wb query only reads)", a, b);
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    default:
        return SQLITE_OK;
    }
}

/* The functions this SQLite marks direct-only (SQLITE_DIRECTONLY, 0x80000 in
 * pragma_function_list's flags): those it will not let a view or trigger call. */
static void find_direct_only(sqlite3 *db, query_guard *g)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT name FROM pragma_function_list"
                               " WHERE flags & 0x80000", -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW && g->ndirect_only < MAX_DIRECT_ONLY)
        snprintf(g->direct_only[g->ndirect_only++], sizeof g->direct_only[0], "%s",
                 (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* ---- time and signals ------------------------------------------------------------------------ */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Called every QUERY_PROGRESS_OPS virtual machine steps (a few microseconds): a non-zero return
 * ends the statement with SQLITE_INTERRUPT. */
#define QUERY_PROGRESS_OPS 10000
static int on_progress(void *ctx)
{
    query_guard *g = ctx;
    if (wb_stop_signal)
        return 1;
    if (g->deadline > 0 && now_seconds() > g->deadline) {
        g->timed_out = 1;
        return 1;
    }
    return 0;
}

static int take_timeout(void *ctx, const char *arg)
{
    double *seconds = ctx;
    char *end;
    errno = 0;
    const double v = strtod(arg, &end);
    if (end == arg || *end || errno || !(v >= 0 && v <= 1e7)) {
        wb_error("query", "--timeout takes seconds from 0 (no limit) to 10000000, not '%s'", arg);
        return WB_EXIT_USAGE;
    }
    *seconds = v;
    return 0;
}

/* ---- running ---------------------------------------------------------------------------------- */

/* The exit status and message for a statement that stopped with rc. */
static int stopped(const query_guard *g, int rc, double timeout, const char *err)
{
    if (wb_stop_signal) {
        wb_error("query", "stopped by %s", wb_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
        return wb_exit_for_signal(wb_stop_signal);
    }
    if (g->timed_out) {
        wb_error("query", "stopped after %g s (--timeout; give a longer one, or 0 for none)",
                 timeout);
        return WB_EXIT_FAILURE;
    }
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        wb_error("query", "out of memory: the query needs more than %lld MB (its sorts and "
                 "temporary tables included: they are kept in memory)",
                 (long long)(QUERY_HEAP_BYTES >> 20));
        return WB_EXIT_FAILURE;
    case SQLITE_TOOBIG:
        wb_error("query", "%s (a value may hold at most %d MB)", err, QUERY_MAX_VALUE_BYTES >> 20);
        return WB_EXIT_FAILURE;
    case SQLITE_ERROR:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        wb_error("query", "%s", err);   /* the SQL's own error: integer overflow, bad JSON, ... */
        return WB_EXIT_USAGE;
    default:
        wb_error("query", "%s", err);
        return WB_EXIT_FAILURE;
    }
}

/* Prepares every statement of sql, refusing the whole before anything runs. */
static int prepare_all(sqlite3 *h, query_guard *g, const char *sql, sqlite3_stmt **st, int *n)
{
    *n = 0;
    for (const char *tail = sql; *tail;) {
        sqlite3_stmt *one = NULL;
        const char *start = tail;
        g->refused[0] = '\0';
        if (sqlite3_prepare_v2(h, tail, -1, &one, &tail) != SQLITE_OK) {
            wb_error("query", "%s", g->refused[0] ? g->refused : sqlite3_errmsg(h));
            return WB_EXIT_USAGE;
        }
        if (!one)
            break;   /* only whitespace or comments left */
        if (!sqlite3_stmt_readonly(one)) {
            wb_error("query", "refusing a statement that writes (wb query is read-only): %.*s",
                     (int)(tail - start), start);
            sqlite3_finalize(one);
            return WB_EXIT_USAGE;
        }
        if (*n == MAX_STATEMENTS) {
            wb_error("query", "more than %d statements", MAX_STATEMENTS);
            sqlite3_finalize(one);
            return WB_EXIT_USAGE;
        }
        st[(*n)++] = one;
    }
    return WB_EXIT_OK;
}

/* Runs the prepared statements, printing each result in the chosen form. */
static int run_all(sqlite3_stmt **st, int n, int csv, int json, query_guard *g, double timeout)
{
    char err[1024];
    const table_stream_options o = { .json = json, .max_rows = QUERY_TABLE_ROWS,
                                     .cell_bytes = QUERY_CELL_BYTES,
                                     .batch_bytes = QUERY_BATCH_BYTES, .stop = on_progress,
                                     .ctx = g };
    if (json && n > 1)
        fputs("[", stdout);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            fputs(json ? ",\n" : "\n", stdout);
        if (csv || json) {
            const int rc = table_stream(st[i], stdout, &o, err, sizeof err);
            if (rc != SQLITE_DONE)
                return stopped(g, rc, timeout, err);
            if (!json)
                continue;
            if (n == 1)
                fputc('\n', stdout);
            continue;
        }
        table_stream_result res;
        const int rc = table_stream_aligned(st[i], stdout, &o, &res, err, sizeof err);
        fflush(stdout);
        if (res.cut)
            fprintf(stderr, "wb query: %zu value%s longer than %d bytes %s shown cut (…): --csv "
                    "or --json print%s whole\n", res.cut, res.cut == 1 ? "" : "s",
                    QUERY_CELL_BYTES, res.cut == 1 ? "is" : "are", res.cut == 1 ? "s it" : " them");
        if (rc != SQLITE_DONE)
            return stopped(g, rc, timeout, err);
        if (res.more) {
            wb_error("query", "more than %d rows: the table stops there; --csv or --json "
                     "stream every row", QUERY_TABLE_ROWS);
            return WB_EXIT_FAILURE;
        }
    }
    if (json && n > 1)
        fputs("]\n", stdout);
    return WB_EXIT_OK;
}

int cmd_query(int argc, char **argv)
{
    cmd_db d = { 0 };
    int csv = 0, json = 0;
    double timeout = QUERY_DEFAULT_TIMEOUT;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "csv", .flag = &csv },
                                { .name = "json", .flag = &json },
                                { .name = "timeout", .take = take_timeout, .ctx = &timeout },
                                { 0 } };
    store *s;
    int status = cmd_parse("query", usage, argc, argv, opts, 1);
    if (status >= 0)
        return status;
    if (csv && json) {
        wb_error("query", "--csv and --json: choose one");
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    if ((status = cmd_resolve_db("query", &d)) >= 0 ||
        (status = cmd_open_db("query", &d, &s)) != WB_EXIT_OK)
        return status;
    sqlite3 *h = store_handle(s);
    query_guard *g = calloc(1, sizeof *g);
    /* Temporary storage (sorts, temporary tables and indexes) in memory, under the heap limit
     * below, not in temporary files that may fill a disk. */
    if (!g || sqlite3_exec(h, "PRAGMA query_only = 1; PRAGMA temp_store = MEMORY", NULL, NULL,
                           NULL) != SQLITE_OK) {
        wb_error("query", "%s: cannot make the connection read-only", d.path);
        free(g);
        store_close(s);
        return WB_EXIT_FAILURE;
    }
    find_direct_only(h, g);
    sqlite3_limit(h, SQLITE_LIMIT_LENGTH, QUERY_MAX_VALUE_BYTES);
    sqlite3_limit(h, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_hard_heap_limit64(QUERY_HEAP_BYTES);
    sqlite3_set_authorizer(h, authorize, g);
    /* SIGINT and SIGTERM set wb_stop_signal instead of killing the process: the progress handler
     * then ends the statement, and the output stops at a row's end. */
    wb_install_stop_handlers();
    sqlite3_progress_handler(h, QUERY_PROGRESS_OPS, on_progress, g);

    sqlite3_stmt *st[MAX_STATEMENTS];
    int n = 0;
    status = prepare_all(h, g, argv[optind], st, &n);
    if (status == WB_EXIT_OK) {
        g->deadline = timeout > 0 ? now_seconds() + timeout : 0;
        status = run_all(st, n, csv, json, g, timeout);
    }
    fflush(stdout);
    for (int i = 0; i < n; i++)
        sqlite3_finalize(st[i]);
    sqlite3_progress_handler(h, 0, NULL, NULL);
    store_close(s);
    free(g);
    return status;
}
