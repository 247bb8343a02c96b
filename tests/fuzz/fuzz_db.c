/* tests/fuzz/fuzz_db.c: a database file, any bytes, through `wb ls` and `wb compare` (cmd_ls,
 * cmd_compare: the library functions main calls; `wb report` reads what compare reads, through
 * analysis_open) and what `wb show` reads (store/read.h). Beyond crashes, leaks and hangs it
 * looks for a silent partial answer (issue 15, item 4): when they all answer, the file must pass
 * PRAGMA integrity_check, run by a read-write connection of its own (which checks the CHECK
 * constraints as well); a file that fails it was answered from, and the answer may be part of the
 * truth. Found so far, and kept in tests/fuzz/crashes/db/: rows out of key order in a table
 * without rowid (quick_check does not look: the store now runs integrity_check) and values that
 * break a CHECK constraint (SQLite does not check them on a read-only connection: store/verify.c
 * does). See fuzz_ini.c for the build; make test replays the seeds and tests/fuzz/crashes/db. */
#include <fcntl.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "store/read.h"
#include "wb/cmd.h"

/* This process's scratch folder, removed at exit (empty by then). */
static char fuzz_db_scratch[64];
static void fuzz_db_drop_dir(void)
{
    rmdir(fuzz_db_scratch);
}

static const char *fuzz_db_dir(void)
{
    wb_fuzz_scratch(fuzz_db_scratch, "db", fuzz_db_drop_dir);
    return fuzz_db_scratch;
}

/* Removes the database and what SQLite may have made beside it. */
static void remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* Runs a command of wb/ as main would, its stdout thrown away: the exit status. */
static int run_command(int (*cmd)(int, char **), const char *name, const char *path)
{
    char *argv[] = {(char *)name, (char *)"--db", (char *)path, NULL};
    fflush(stdout);
    const int saved = dup(1), null = open("/dev/null", O_WRONLY);
    if (saved < 0 || null < 0 || dup2(null, 1) < 0)
        abort();
    close(null);
    optind = 0;     /* getopt starts afresh, as in a new process */
    const int status = cmd(3, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return status;
}

/* wb show: a run, its links, checkpoints and metrics (the first few runs by id). */
static int read_like_show(store *s, char *err, size_t errlen)
{
    for (int64_t id = 1; id <= 4; id++) {
        store_run_record r;
        store_run_info info;
        store_run_link *links;
        store_checkpoint *ck;
        store_metric_value *m;
        size_t n;
        if (store_read_run(s, id, &r, err, errlen) != 0)
            continue;   /* "no run N": fine */
        store_run_record_free(&r);
        if (store_get_run(s, id, &info, err, errlen) != 0)
            return -1;
        if (store_read_run_links(s, id, &links, &n, err, errlen) != 0)
            return -1;
        store_run_links_free(links, n);
        if (store_read_checkpoints(s, id, &ck, &n, err, errlen) != 0)
            return -1;
        store_checkpoints_free(ck, n);
        if (store_read_metrics(s, id, &m, &n, err, errlen) != 0)
            return -1;
        store_metric_values_free(m, n);
    }
    return 0;
}

/* The oracle: integrity_check on a connection of its own, read-write so that SQLite checks the
 * CHECK constraints too (it skips them on a read-only one). */
static int integrity_ok(const char *path)
{
    sqlite3 *db;
    int ok = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) == SQLITE_OK) {
            ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
                 strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return ok;
}

int wb_fuzz_db(const uint8_t *data, size_t size)
{
    char path[128], err[2048];
    snprintf(path, sizeof path, "%s/wb.db", fuzz_db_dir());
    remove_db(path);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    /* wb ls and wb compare themselves (wb report reads what compare reads: analysis_open), then
     * what wb show reads, through the store. */
    const int ls = run_command(cmd_ls, "ls", path);
    const int compare = run_command(cmd_compare, "compare", path);
    int answered = ls == 0 && (compare == 0 || compare == 2);
    store *s;
    if (store_open(path, STORE_OPEN_READONLY, &s, err, sizeof err) == 0) {
        answered &= read_like_show(s, err, sizeof err) == 0;
        store_close(s);
    } else {
        answered = 0;
    }
    if (getenv("WB_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_db: ls %d, compare %d: %s%s\n", ls, compare,
                answered ? "answered" : "refused: ", answered ? "" : err);
    if (answered && !integrity_ok(path)) {
        fprintf(stderr, "fuzz_db: wb ls, compare and the reads of show answered from a file "
                        "that fails integrity_check: a partial answer\n");
        abort();
    }
    remove_db(path);
    return 0;
}

WB_FUZZ_ENTRY(wb_fuzz_db)
