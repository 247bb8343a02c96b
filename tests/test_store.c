/* tests/test_store.c: the SQLite store: schema and migrations, the views and the README queries,
 * claiming, stale detection, epochs, reset, lookup, hostile strings, read-only and bad files, and
 * merge. Every test works in its own folder under /tmp (mkdtemp), removed afterwards. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/check_ok.h"
#include "support/fakehash.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fileio.h"
#include "model/metrics.h"
#include "store/read.h"
#include "store/store.h"

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct fixture {
    char dir[64];
    char db[128];
    store *s;
} fixture;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wb-test-store-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/wb.db", f->dir);
    char err[512];
    if (store_open(f->db, STORE_OPEN_CREATE, &f->s, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * (1 + fabs(b));
}


/* A resolved configuration as wb/ would pass it: every key, λ and kernel varying. */
typedef struct spec_buf {
    char hash[65], id[65], seed_text[24];
    store_param params[32];
    store_run_spec spec;
} spec_buf;

static void build_spec(spec_buf *b, const char *lambda, const char *kernel, int64_t seed,
                       int grid_index)
{
    static const store_param fixed[] = {
        {"data.source", "builtin"},      {"data.task", "denoise"},
        {"data.patch", "16"},            {"data.train_patches", "64"},
        {"data.val_patches", "16"},      {"data.test_patches", "32"},
        {"data.seed", "1234"},           {"data.min_std", "0"},
        {"data.noise_sigma", "0.10000000000000001"},
        {"data.fresh_noise", "true"},    {"data.clip", "false"},
        {"data.blur_sigma", "1"},        {"data.sr_upsample", "bilinear"},
        {"model.depth", "2"},            {"model.base_channels", "16"},
        {"model.residual", "false"},     {"train.epochs", "2"},
        {"train.batch_size", "64"},      {"train.optimizer", "adam"},
        {"train.lr", "0.001"},           {"train.momentum", "0.90000000000000002"},
        {"train.threads", "0"},          {"loss.pixel", "mse"},
        {"loss.kernel_norm", "none"},
    };
    size_t n = sizeof fixed / sizeof fixed[0];
    memset(b, 0, sizeof *b);
    memcpy(b->params, fixed, sizeof fixed);
    snprintf(b->seed_text, sizeof b->seed_text, "%lld", (long long)seed);
    b->params[n++] = (store_param){"loss.laplacian_weight", lambda};
    b->params[n++] = (store_param){"loss.kernel", kernel};
    b->params[n++] = (store_param){"loss.border", kernel ? "reflect101" : NULL};
    b->params[n++] = (store_param){"seed", b->seed_text};
    char text[128];
    snprintf(text, sizeof text, "%s/%s", lambda, kernel ? kernel : "-");
    fake_hash(text, b->id);
    snprintf(text, sizeof text, "%s/%s/%lld", lambda, kernel ? kernel : "-", (long long)seed);
    fake_hash(text, b->hash);
    b->spec = (store_run_spec){
        .config_hash = b->hash, .config_id = b->id, .seed = seed, .grid_index = grid_index,
        .config_json = "{\"loss\": {}}", .params = b->params, .nparams = n,
        .data_source = "builtin: 5 photos", .train_n = 64, .val_n = 16, .test_n = 32,
    };
}

static int64_t add_sweep(store *s, const char *name)
{
    store_sweep_info info = {.name = name, .ini_text = "[sweep]\n", .ini_path = "x.ini",
                             .axes = "loss.laplacian_weight,loss.kernel", .host = NULL,
                             .wb_version = "0.1.0", .git_commit = "abc", .git_dirty = 1};
    int64_t id = 0;
    CHECK_OK(store_upsert_sweep(s, &info, &id, ERR));
    return id;
}

static int64_t add_run(store *s, int64_t sweep, const char *lambda, const char *kernel,
                       int64_t seed, int grid_index)
{
    spec_buf b;
    build_spec(&b, lambda, kernel, seed, grid_index);
    int64_t id = 0;
    int created = -1;
    CHECK_OK(store_add_run(s, sweep, &b.spec, &id, &created, ERR));
    assert_int_equal(created, 1);
    return id;
}

static store_claim_info claim_info(int64_t pid, const char *host)
{
    return (store_claim_info){.pid = pid, .host = host, .threads = 4, .gemm_library = "test",
                              .compiler = "cc", .wb_version = "0.1.0"};
}

static void claim(store *s, int64_t run)
{
    store_claim_info ci = claim_info(getpid(), NULL);
    int claimed = 0;
    CHECK_OK(store_claim_run(s, run, &ci, &claimed, ERR));
    assert_int_equal(claimed, 1);
}

/* The rows of a query as text, "a|b\n" per row, numbers with %.6g and NULL as "NULL", so that a
 * whole result can be compared with one expected string. */
static char *query_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    size_t cap = 4096, used = 0;
    char *out = malloc(cap);
    out[0] = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            char cell[4096];
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL:
                snprintf(cell, sizeof cell, "NULL");
                break;
            case SQLITE_INTEGER:
                snprintf(cell, sizeof cell, "%lld", (long long)sqlite3_column_int64(st, c));
                break;
            case SQLITE_FLOAT:
                snprintf(cell, sizeof cell, "%.6g", sqlite3_column_double(st, c));
                break;
            default:
                snprintf(cell, sizeof cell, "%s", (const char *)sqlite3_column_text(st, c));
            }
            size_t need = used + strlen(cell) + 2;
            if (need >= cap)
                out = realloc(out, cap = 2 * need);
            used += (size_t)sprintf(out + used, "%s%s", c ? "|" : "", cell);
        }
        out[used++] = '\n';
        out[used] = 0;
    }
    if (rc != SQLITE_DONE)
        fail_msg("step %s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

static void assert_rows(sqlite3 *db, const char *sql, const char *expected)
{
    char *got = query_rows(db, sql);
    const int same = strcmp(got, expected) == 0;
    if (!same)
        fprintf(stderr, "query: %s\nexpected:\n%sgot:\n%s", sql, expected, got);
    free(got);
    if (!same)
        fail();
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
    sqlite3_finalize(st);
    return v;
}

static void exec_raw(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, msg);
        sqlite3_free(msg);
        fail();
    }
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not contain '%s'", text, part);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    static char buf[4096]; /* tests only: one file at a time */
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* ---- schema and migrations ---------------------------------------------------------------- */

static void test_schema_created_once(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_rows(db, "PRAGMA journal_mode", "wal\n");
    assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_int(db, "PRAGMA synchronous"), 2); /* FULL */
    assert_rows(db,
                "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name",
                "checkpoints\nepochs\nfile_hashes\nfinal\nmetrics\nparams\nrun_notes\nruns\nstage_plans\nsummary\nsweep_runs\nsweeps\n");
    /* schema_version counts every schema change: reopening a current database applies
     * nothing. */
    int64_t cookie = query_int(db, "PRAGMA schema_version");
    store_close(f->s);
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
    assert_int_equal(query_int(store_handle(f->s), "PRAGMA schema_version"), cookie);
    assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);

    size_t nsteps;
    const store_migration *steps = store_migrations(&nsteps);
    int applied = -1;
    CHECK_OK(store_migrate(store_handle(f->s), steps, nsteps, &applied, ERR));
    assert_int_equal(applied, 0);
    assert_int_equal(nsteps, STORE_SCHEMA_VERSION);
    assert_non_null(strstr(steps[0].sql, "CREATE TABLE runs"));
}

/* The migration mechanism with steps of its own: a database is upgraded one step at a time from
 * the version it has, a failing step leaves it as it was, and a newer database is refused. */
static void test_migrations_step_by_step(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    const store_migration steps[] = {
        {1, "CREATE TABLE a (x INTEGER);"},
        {2, "ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES (1, 'two');"},
        {3, "CREATE VIEW b AS SELECT y FROM a;"},
    };
    char err[512];
    int applied = -1;
    assert_int_equal(store_migrate(db, steps, 2, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 2);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(store_migrate(db, steps, 3, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 1);
    assert_rows(db, "SELECT * FROM b", "two\n");
    assert_int_equal(store_migrate(db, steps, 3, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 0);

    /* A binary that knows only up to version 2 refuses this database. */
    assert_int_equal(store_migrate(db, steps, 2, &applied, err, sizeof err), -1);
    assert_contains(err, "schema version 3, newer than this wb understands (2)");

    /* A failing step rolls back: version and tables stay. */
    const store_migration broken[] = {
        steps[0], steps[1], steps[2], {4, "CREATE TABLE c (z); THIS IS NOT SQL;"}};
    assert_int_equal(store_migrate(db, broken, 4, &applied, err, sizeof err), -1);
    assert_contains(err, "version 4");
    assert_int_equal(query_int(db, "PRAGMA user_version"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0);
    sqlite3_close(db);
}

static void test_newer_database_refused(void **state)
{
    fixture *f = *state;
    char newer[64], expected[128];
    snprintf(newer, sizeof newer, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    snprintf(expected, sizeof expected, "schema version %d, newer than this wb understands (%d)",
             STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
    exec_raw(store_handle(f->s), newer);
    store_close(f->s);
    f->s = NULL;
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(f->db, STORE_OPEN_EXISTING, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_null(s);
    assert_contains(err, expected);
    assert_int_equal(store_open(f->db, STORE_OPEN_READONLY, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_contains(err, "newer");
}

/* A whole file, malloc'ed. */
static char *read_whole(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char *bytes = malloc(1 << 20);
    assert_non_null(bytes);
    *len = fread(bytes, 1, 1 << 20, in);
    fclose(in);
    return bytes;
}

/* The page number of a table's root, read without the store. */
static int root_page(const char *path, const char *table)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const int page = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return page;
}

/* A damaged file (issue 15, item 4) is refused by every mode of store_open with STORE_DAMAGED and
 * a message naming it, before anything is read from it or written to it: a b-tree page whose cell
 * count is zeroed reads as an empty page (SQLite reports nothing: a listing would show fewer runs,
 * or none), and a view in place of one of wb's tables would run its SQL on every read. An index of
 * the user's own is no damage. */
static void test_damaged_database_refused(void **state)
{
    fixture *f = *state;
    spec_buf r;
    build_spec(&r, "0.1", "4", 1, 0);
    int64_t id;
    CHECK_OK(store_add_run(f->s, add_sweep(f->s, "s"), &r.spec, &id, NULL, ERR));
    exec_raw(store_handle(f->s), "PRAGMA wal_checkpoint(TRUNCATE)");
    store_close(f->s);
    f->s = NULL;
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/damaged.db", f->dir);
    size_t len;
    char *bytes = read_whole(f->db, &len);
    const int page = root_page(f->db, "sweeps");
    bytes[(size_t)(page - 1) * 4096 + 3] = 0;   /* cell count, bytes 3-4 of the page header */
    bytes[(size_t)(page - 1) * 4096 + 4] = 0;
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(bytes, 1, len, out), len);
    fclose(out);
    store *s = NULL;
    for (int mode = STORE_OPEN_CREATE; mode <= STORE_OPEN_READONLY; mode++) {
        assert_int_equal(store_open(path, (enum store_open_mode)mode, &s, err, sizeof err),
                         STORE_DAMAGED);
        assert_null(s);
        assert_contains(err, path);
        assert_contains(err, "is damaged (integrity_check: ");
    }
    size_t after_len;
    char *after = read_whole(path, &after_len);
    assert_int_equal(after_len, len);
    assert_memory_equal(after, bytes, len);   /* nothing written, not even the WAL switch */
    free(after);
    free(bytes);

    /* A view under a table's name; a table defined otherwise; an index of one's own. */
    static const struct {
        const char *sql, *error;
    } tamper[] = {
        {"DROP TABLE params; CREATE VIEW params AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
         " SELECT i + 1 FROM n) SELECT i AS run_id, '' AS key, '' AS value FROM n",
         "is damaged or not wb's: params is a view, not a table"},
        {"DROP TABLE checkpoints; CREATE TABLE checkpoints (run_id, kind, epoch, path)",
         "is damaged or not wb's: its table checkpoints is not defined as wb defines it"},
        {"DROP INDEX runs_by_status", "is damaged or not wb's: its index runs_by_status is missing"},
        {"CREATE INDEX mine ON metrics (name)", NULL},
        /* Values wb never writes: SQLite does not check CHECK constraints on a read-only
         * connection, so a damaged split ('tesu') hid a metric from every reader (fuzzing). */
        {"PRAGMA ignore_check_constraints = ON; INSERT INTO metrics VALUES (1, 0, 'tesu', 'psnr', 1)",
         "is damaged: a metric of run 1: epoch 0, 'tesu'.'psnr' = 1.0 is not an integer epoch and a"
         " number"},
        {"PRAGMA ignore_check_constraints = ON; UPDATE runs SET status = 'done'",
         "is damaged: run 1: its status 'done' is not one of wb's"},
        {"UPDATE runs SET seed = 'one'", "is damaged: run 1: its column seed holds a value of the "
                                         "wrong type"},
    };
    for (size_t i = 0; i < sizeof tamper / sizeof tamper[0]; i++) {
        snprintf(path, sizeof path, "%s/tampered%zu.db", f->dir, i);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
        char *copy = sqlite3_mprintf("VACUUM INTO '%q'", path);
        exec_raw(db, copy);
        sqlite3_free(copy);
        sqlite3_close(db);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        exec_raw(db, tamper[i].sql);
        sqlite3_close(db);
        const int rc = store_open(path, STORE_OPEN_READONLY, &s, err, sizeof err);
        if (!tamper[i].error) {
            assert_int_equal(rc, 0);
            store_close(s);
            continue;
        }
        assert_int_equal(rc, STORE_DAMAGED);
        assert_contains(err, tamper[i].error);
    }
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
}

static void test_bad_files(void **state)
{
    fixture *f = *state;
    char path[256], err[512];
    store *s = NULL;

    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    write_file(path, "these are notes, not a database; they are long enough to fill a header of "
                     "one hundred bytes and then some more text to be sure of it.\n");
    assert_int_equal(store_open(path, STORE_OPEN_EXISTING, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_contains(err, "is not a wb database: the file is not an SQLite database");
    assert_contains(err, path);
    assert_string_equal(read_file(path) + 0, "these are notes, not a database; they are long "
                                             "enough to fill a header of one hundred bytes and "
                                             "then some more text to be sure of it.\n");

    snprintf(path, sizeof path, "%s/other.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_raw(db, "CREATE TABLE people (name TEXT)");
    sqlite3_close(db);
    assert_int_equal(store_open(path, STORE_OPEN_CREATE, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_contains(err, "not a wb database");

    snprintf(path, sizeof path, "%s/missing/wb.db", f->dir);
    assert_int_equal(store_open(path, STORE_OPEN_CREATE, &s, err, sizeof err), -1);
    assert_contains(err, "does not exist");
    assert_contains(err, "/missing");

    snprintf(path, sizeof path, "%s/absent.db", f->dir);
    assert_int_equal(store_open(path, STORE_OPEN_EXISTING, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_contains(err, "no database at");
    assert_int_equal(store_open(f->dir, STORE_OPEN_EXISTING, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_contains(err, "is a folder");
    assert_null(s);
}

static void test_readonly(void **state)
{
    fixture *f = *state;
    int64_t sweep = add_sweep(f->s, "ro");
    int64_t run = add_run(f->s, sweep, "0", NULL, 1, 0);
    store_close(f->s);
    CHECK_OK(store_open(f->db, STORE_OPEN_READONLY, &f->s, ERR));
    int64_t id;
    CHECK_OK(store_find_sweep(f->s, "ro", &id, ERR));
    assert_int_equal(id, sweep);
    store_run_info info;
    CHECK_OK(store_get_run(f->s, run, &info, ERR));
    assert_int_equal(info.status, STORE_QUEUED);

    char err[512];
    store_sweep_info sw = {.name = "new"};
    assert_int_equal(store_upsert_sweep(f->s, &sw, &id, err, sizeof err), -1);
    assert_contains(err, "opened read-only");
    store_claim_info ci = claim_info(getpid(), NULL);
    int claimed = 1;
    assert_int_equal(store_claim_run(f->s, run, &ci, &claimed, err, sizeof err), -1);
    assert_int_equal(claimed, 0);
    assert_int_equal(store_mark_stale(f->s, NULL, err, sizeof err), -1);
    /* Not even raw SQL through the handle can write. */
    assert_int_not_equal(sqlite3_exec(store_handle(f->s), "DELETE FROM runs", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(query_int(store_handle(f->s), "SELECT count(*) FROM runs"), 1);

    /* A file without write permission is refused for writing, with a message that says so
     * (root can write anyway, so this part needs an ordinary user). */
    if (geteuid() != 0) {
        store_close(f->s);
        f->s = NULL;
        assert_int_equal(chmod(f->db, 0444), 0);
        store *s = NULL;
        assert_int_equal(store_open(f->db, STORE_OPEN_EXISTING, &s, err, sizeof err), -1);
        assert_contains(err, "read-only");
        chmod(f->db, 0644);
    }
}

/* A write that waits past the busy timeout says who is in the way. The test shortens the timeout
 * through the handle; the store's own is STORE_BUSY_TIMEOUT_MS. */
static void test_locked_message(void **state)
{
    fixture *f = *state;
    store *holder;
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &holder, ERR));
    CHECK_OK(store_begin(holder, ERR));
    add_sweep(holder, "holding the write lock");
    sqlite3_busy_timeout(store_handle(f->s), 50);
    char err[512];
    int64_t id;
    store_sweep_info info = {.name = "blocked"};
    assert_int_equal(store_upsert_sweep(f->s, &info, &id, err, sizeof err), -1);
    assert_contains(err, "locked by another process");
    assert_contains(err, f->db);
    assert_int_equal(store_begin(f->s, err, sizeof err), -1);
    assert_contains(err, "locked by another process");
    /* Readers are not blocked by a writer (WAL). */
    assert_int_equal(store_find_sweep(f->s, "holding the write lock", &id, err, sizeof err), -1);
    assert_contains(err, "no sweep named");
    CHECK_OK(store_commit(holder, ERR));
    CHECK_OK(store_find_sweep(f->s, "holding the write lock", &id, ERR));
    CHECK_OK(store_upsert_sweep(f->s, &info, &id, ERR));
    store_close(holder);
}

static void test_sweeps(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t a = add_sweep(f->s, "a"), b, again, found;
    usleep(5000); /* times have millisecond resolution */
    b = add_sweep(f->s, "b");
    char name[8], err[512];
    CHECK_OK(store_latest_sweep(f->s, &found, name, sizeof name, ERR));
    assert_int_equal(found, b);
    assert_string_equal(name, "b");
    /* Running sweep a again updates it (same id) and makes it the latest. */
    usleep(5000);
    store_sweep_info info = {.name = "a", .ini_text = "[sweep]\nseeds = 1, 2\n", .axes = "sweep.seeds",
                             .wb_version = "0.2.0", .git_commit = "def", .git_dirty = 0};
    CHECK_OK(store_upsert_sweep(f->s, &info, &again, ERR));
    assert_int_equal(again, a);
    CHECK_OK(store_latest_sweep(f->s, &found, name, sizeof name, ERR));
    assert_int_equal(found, a);
    assert_rows(db,
                "SELECT name, ini_text, axes, wb_version, git_commit, git_dirty, host IS NOT NULL,"
                " updated_at > created_at FROM sweeps WHERE id = 1",
                "a|[sweep]\nseeds = 1, 2\n|sweep.seeds|0.2.0|def|0|1|1\n");
    assert_int_equal(query_int(db, "SELECT count(*) FROM sweeps"), 2);
    CHECK_OK(store_find_sweep(f->s, "b", &found, ERR));
    assert_int_equal(found, b);
    assert_int_equal(store_find_sweep(f->s, "c", &found, err, sizeof err), -1);
    assert_contains(err, "no sweep named 'c'");
    char tiny[1];
    assert_int_equal(store_latest_sweep(f->s, &found, tiny, sizeof tiny, err, sizeof err), -1);
    assert_contains(err, "too long");
    info.name = "";
    assert_int_equal(store_upsert_sweep(f->s, &info, &again, err, sizeof err), -1);
    assert_contains(err, "no name");
}

/* Paths stored relative to the database come back usable from the current folder. */
static void test_paths(void **state)
{
    fixture *f = *state;
    const char *hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char out[512], expected[512], cwd[512];
    store_run_folder(f->s, hash, out, sizeof out);
    snprintf(expected, sizeof expected, "%s/wb.db.runs/0123456789ab", f->dir);
    assert_string_equal(out, expected);
    store_resolve_path(f->s, "wb.db.runs/0123456789ab/best.safetensors", out, sizeof out);
    snprintf(expected, sizeof expected, "%s/wb.db.runs/0123456789ab/best.safetensors", f->dir);
    assert_string_equal(out, expected);
    store_resolve_path(f->s, "/elsewhere/best.safetensors", out, sizeof out);
    assert_string_equal(out, "/elsewhere/best.safetensors");
    assert_string_equal(store_path(f->s), f->db);

    /* A database named without a folder: paths stay relative to the current folder. */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    store *s;
    CHECK_OK(store_open("here.db", STORE_OPEN_CREATE, &s, ERR));
    store_run_folder(s, hash, out, sizeof out);
    assert_string_equal(out, "here.db.runs/0123456789ab");
    store_run_folder_rel(s, hash, out, sizeof out);
    assert_string_equal(out, "here.db.runs/0123456789ab");
    store_close(s);
    assert_int_equal(chdir(cwd), 0);
}

/* ---- runs: adding, typed columns, transactions -------------------------------------------- */

static void test_add_run_typed_columns(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "typed");
    spec_buf b;
    build_spec(&b, "0", NULL, 3, 0);
    int64_t id = 0, again = 0;
    int created = -1;
    CHECK_OK(store_add_run(f->s, sweep, &b.spec, &id, &created, ERR));
    assert_int_equal(created, 1);
    /* The same configuration again: the same run, not a new one. */
    CHECK_OK(store_add_run(f->s, sweep, &b.spec, &again, &created, ERR));
    assert_int_equal(created, 0);
    assert_int_equal(again, id);

    assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE lr = 0.001 AND noise_sigma = 0.1"
                                   " AND momentum = 0.9 AND fresh_noise = 1 AND clip = 0"
                                   " AND residual = 0 AND patch = 16 AND data_seed = 1234"
                                   " AND laplacian_weight = 0 AND kernel IS NULL AND border IS NULL"
                                   " AND kernel_norm = 'none' AND seed = 3 AND source = 'builtin'"
                                   " AND task = 'denoise' AND sr_upsample = 'bilinear'"
                                   " AND depth = 2 AND base_channels = 16 AND epochs = 2"
                                   " AND batch_size = 64 AND optimizer = 'adam' AND pixel = 'mse'"
                                   " AND train_patches = 64 AND val_patches = 16"
                                   " AND test_patches = 32 AND min_std = 0 AND blur_sigma = 1"
                                   " AND typeof(lr) = 'real' AND typeof(patch) = 'integer'"
                                   " AND status = 'queued' AND epochs_done = -1"
                                   " AND threads IS NULL AND train_n = 64 AND test_n = 32"),
                     1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM params"), 28);
    assert_rows(db, "SELECT key, value FROM params WHERE key IN ('loss.kernel', 'train.threads')"
                    " ORDER BY key",
                "loss.kernel|NULL\ntrain.threads|0\n");

    store_run_info info;
    CHECK_OK(store_get_run(f->s, id, &info, ERR));
    char expected[512], rel[256];
    snprintf(expected, sizeof expected, "%s/wb.db.runs/%.12s", f->dir, b.hash);
    assert_string_equal(info.folder, expected);
    store_run_folder_rel(f->s, b.hash, rel, sizeof rel);
    snprintf(expected, sizeof expected, "wb.db.runs/%.12s", b.hash);
    assert_string_equal(rel, expected);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE folder LIKE 'wb.db.runs/%'"), 1);
    assert_string_equal(info.config_hash, b.hash);
    assert_int_equal(info.seed, 3);
    assert_int_equal(info.epochs_done, -1);
    assert_int_equal(info.threads, 0);
    assert_int_equal(info.best_epoch, -1);
    assert_int_equal(info.grid_index, 0);
    CHECK_OK(store_set_run_model(f->s, id, 123456, ERR));
    assert_int_equal(query_int(db, "SELECT param_count FROM runs"), 123456);

    char err[512];
    assert_int_equal(store_set_run_model(f->s, id + 100, 1, err, sizeof err), -1);
    assert_contains(err, "no run");
    /* The same run at another grid index: the grid repeats a configuration. */
    b.spec.grid_index = 5;
    assert_int_equal(store_add_run(f->s, sweep, &b.spec, &again, &created, err, sizeof err), -1);
    assert_contains(err, "repeats a configuration");
    /* Another run at a taken index, until the sweep's links are dropped. */
    spec_buf other;
    build_spec(&other, "0", NULL, 4, 0);
    assert_int_equal(store_add_run(f->s, sweep, &other.spec, &again, &created, err, sizeof err),
                     -1);
    assert_contains(err, "grid index 0");
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 1);
    CHECK_OK(store_unlink_sweep_runs(f->s, sweep, ERR));
    CHECK_OK(store_add_run(f->s, sweep, &other.spec, &again, &created, ERR));
    assert_int_equal(created, 1);

    /* A value its column cannot hold is refused, and nothing of the run is written. */
    build_spec(&other, "0", NULL, 5, 1);
    other.params[2].value = "16px";
    assert_int_equal(store_add_run(f->s, sweep, &other.spec, &again, &created, err, sizeof err),
                     -1);
    assert_contains(err, "data.patch = '16px' is not an integer");
    other.params[2].value = "16";
    other.params[9].value = "yes";
    assert_int_equal(store_add_run(f->s, sweep, &other.spec, &again, &created, err, sizeof err),
                     -1);
    assert_contains(err, "data.fresh_noise = 'yes' is not true or false");
    other.params[9].value = "true";
    other.params[19].value = "0.001x";
    assert_int_equal(store_add_run(f->s, sweep, &other.spec, &again, &created, err, sizeof err),
                     -1);
    assert_contains(err, "train.lr = '0.001x' is not a number");
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM params"), 56);
    other.spec.config_hash = "ABC";
    assert_int_equal(store_add_run(f->s, sweep, &other.spec, &again, &created, err, sizeof err),
                     -1);
    assert_contains(err, "64 lowercase hex");
    assert_int_equal(store_add_run(f->s, sweep + 9, &b.spec, &again, &created, err, sizeof err),
                     -1);
    assert_contains(err, "no sweep");
}

/* store_begin groups calls; a call that fails inside it undoes only itself (a savepoint). */
static void test_transactions(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "tx");
    CHECK_OK(store_begin(f->s, ERR));
    add_run(f->s, sweep, "0", NULL, 1, 0);
    add_run(f->s, sweep, "0", NULL, 2, 1);
    store_rollback(f->s);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 0);

    CHECK_OK(store_begin(f->s, ERR));
    add_run(f->s, sweep, "0", NULL, 1, 0);
    spec_buf bad;
    build_spec(&bad, "0", NULL, 2, 1);
    bad.params[2].value = "sixteen";
    int64_t id;
    char err[512];
    assert_int_equal(store_add_run(f->s, sweep, &bad.spec, &id, NULL, err, sizeof err), -1);
    CHECK_OK(store_commit(f->s, ERR));
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sweep_runs"), 1);
    assert_int_equal(store_commit(f->s, err, sizeof err), -1);
    assert_contains(err, "no transaction");
}

/* ---- epochs and the views ------------------------------------------------------------------ */

enum { CK_INIT = 1, CK_LAST = 2, CK_BEST = 4 };

/* Logs one epoch with the given val and test PSNR (other metrics fixed) and checkpoint rows whose
 * paths point into the run's folder. */
static int log_simple(store *s, int64_t run, int epoch, double val_psnr, double test_psnr,
                      int kinds, char *err, size_t errlen)
{
    store_run_info info;
    if (store_get_run(s, run, &info, err, errlen) < 0)
        return -1;
    char folder[256], paths[3][320];
    store_run_folder_rel(s, info.config_hash, folder, sizeof folder);
    store_checkpoint ck[3];
    store_file_hash fh[3];
    char hex[3][65];
    size_t nck = 0;
    const char *names[3] = {"init", "last", "best"};
    const char *files[3] = {"init.safetensors", "last.safetensors", "best.safetensors"};
    for (int k = 0; k < 3; k++)
        if (kinds & (1 << k)) {
            snprintf(paths[nck], sizeof paths[nck], "%s/%s.safetensors", folder, names[k]);
            ck[nck] = (store_checkpoint){names[k], epoch, paths[nck]};
            snprintf(hex[nck], sizeof hex[nck], "%064x", epoch * 16 + k);
            fh[nck] = (store_file_hash){files[k], hex[nck]};
            nck++;
        }
    store_metric m[] = {{"val", "psnr", val_psnr}, {"test", "psnr", test_psnr}};
    return store_log_epoch(s, run, epoch, m, 2, ck, nck, fh, nck, err, errlen);
}

typedef struct run_plan {
    const char *lambda, *kernel;
    int64_t seed;
    double val_psnr[3], test_psnr[3];
    double test_ssim, test_mse, test_lap4, test_lap8; /* at the last epoch */
} run_plan;

/* Two configurations (the λ = 0 baseline and λ = 0.1 with K8) x two seeds, epochs 0..2. Run 2 has
 * a val PSNR tie (epochs 1 and 2: the best is 1); run 4 is best at epoch 0. */
static const run_plan plans[4] = {
    {"0", NULL, 1, {10, 15, 14}, {11, 16, 20}, 0.5, 0.01, 0.2, 0.4},
    {"0", NULL, 2, {10, 14, 14}, {11, 17, 22}, 0.7, 0.03, 0.4, 0.8},
    {"0.10000000000000001", "8", 1, {10, 13, 18}, {11, 14, 23}, 0.8, 0.004, 0.1, 0.2},
    {"0.10000000000000001", "8", 2, {12, 11, 11}, {13, 12, 26}, 0.9, 0.006, 0.3, 0.3},
};

static void log_plan_epoch(store *s, int64_t run, const run_plan *p, int e)
{
    store_metric m[20];
    size_t n = 0;
    int last = e == 2;
    if (e > 0) {
        m[n++] = (store_metric){"train", "loss", 1.0 / (e + 1)};
        m[n++] = (store_metric){"train", "loss_pixel", 0.8 / (e + 1)};
        if (p->kernel) /* absent when λ = 0 */
            m[n++] = (store_metric){"train", "loss_lap", 0.2 / (e + 1)};
        m[n++] = (store_metric){"train", "seconds", 1.5};
        m[n++] = (store_metric){"train", "samples_per_s", 1000.0 * e};
    }
    m[n++] = (store_metric){"val", "psnr", p->val_psnr[e]};
    /* val MSE as the PSNR says (data range 1), so the best epoch is the same by either */
    m[n++] = (store_metric){"val", "mse", pow(10, -p->val_psnr[e] / 10)};
    m[n++] = (store_metric){"val", "ssim", 0.3 + 0.1 * e};
    m[n++] = (store_metric){"val", "lap4_mse", 1};
    m[n++] = (store_metric){"val", "lap8_mse", 2};
    m[n++] = (store_metric){"test", "psnr", p->test_psnr[e]};
    m[n++] = (store_metric){"test", "ssim", last ? p->test_ssim : 0.1};
    m[n++] = (store_metric){"test", "mse", last ? p->test_mse : 0.5};
    m[n++] = (store_metric){"test", "lap4_mse", last ? p->test_lap4 : 9};
    m[n++] = (store_metric){"test", "lap8_mse", last ? p->test_lap8 : 9};
    store_checkpoint ck[2] = {{e == 0 ? "init" : "last", e, "x.safetensors"},
                              {"best", e, "y.safetensors"}};
    CHECK_OK(store_log_epoch(s, run, e, m, n, ck, 2, NULL, 0, ERR));
}

static void test_views_and_readme_queries(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "views"), runs[4];
    for (int i = 0; i < 4; i++) {
        runs[i] = add_run(f->s, sweep, plans[i].lambda, plans[i].kernel, plans[i].seed, i);
        claim(f->s, runs[i]);
        for (int e = 0; e < 3; e++)
            log_plan_epoch(f->s, runs[i], &plans[i], e);
        if (i < 3)
            CHECK_OK(store_finish_run(f->s, runs[i], STORE_FINISHED, NULL, ERR));
    }
    /* final holds finished runs only. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM final"), 3);
    CHECK_OK(store_finish_run(f->s, runs[3], STORE_FINISHED, NULL, ERR));
    assert_int_equal(runs[0], 1);

    assert_int_equal(query_int(db, "SELECT count(*) FROM epochs"), 4 * (3 + 3 + 2));
    assert_rows(db,
                "SELECT run_id, epoch, split, loss, loss_pixel, loss_lap, seconds, samples_per_s,"
                " mse, psnr, ssim, lap4_mse, lap8_mse FROM epochs"
                " WHERE run_id IN (1, 3) AND epoch = 1 ORDER BY run_id, split",
                "1|1|test|NULL|NULL|NULL|NULL|NULL|0.5|16|0.1|9|9\n"
                "1|1|train|0.5|0.4|NULL|1.5|1000|NULL|NULL|NULL|NULL|NULL\n"
                "1|1|val|NULL|NULL|NULL|NULL|NULL|0.0316228|15|0.4|1|2\n"
                "3|1|test|NULL|NULL|NULL|NULL|NULL|0.5|14|0.1|9|9\n"
                "3|1|train|0.5|0.4|0.1|1.5|1000|NULL|NULL|NULL|NULL|NULL\n"
                "3|1|val|NULL|NULL|NULL|NULL|NULL|0.0501187|13|0.4|1|2\n");

    assert_rows(db,
                "SELECT run_id, seed, laplacian_weight, kernel, border, kernel_norm, pixel, task,"
                " lr, optimizer, base_channels, depth, epochs, epoch, val_psnr, test_psnr,"
                " test_ssim, test_mse, test_lap4_mse, test_lap8_mse, best_epoch, best_val_psnr,"
                " best_test_psnr FROM final ORDER BY run_id",
                "1|1|0|NULL|NULL|none|mse|denoise|0.001|adam|16|2|2|2|14|20|0.5|0.01|0.2|0.4|1|15|16\n"
                "2|2|0|NULL|NULL|none|mse|denoise|0.001|adam|16|2|2|2|14|22|0.7|0.03|0.4|0.8|1|14|17\n"
                "3|1|0.1|8|reflect101|none|mse|denoise|0.001|adam|16|2|2|2|18|23|0.8|0.004|0.1|0.2|2|18|23\n"
                "4|2|0.1|8|reflect101|none|mse|denoise|0.001|adam|16|2|2|2|11|26|0.9|0.006|0.3|0.3|0|12|13\n");
    assert_int_equal(query_int(db, "SELECT count(DISTINCT config_hash) + count(DISTINCT config_id)"
                                   " FROM final"),
                     4 + 2);

    /* Means and sample standard deviations (n - 1): e.g. psnr 20, 22 -> 21 and sqrt(2). */
    assert_rows(db,
                "SELECT laplacian_weight, kernel, border, n_seeds, test_psnr_mean, test_psnr_sd,"
                " test_ssim_mean, test_ssim_sd, test_mse_mean, test_mse_sd, test_lap4_mse_mean,"
                " test_lap4_mse_sd, test_lap8_mse_mean, test_lap8_mse_sd, epochs, lr"
                " FROM summary ORDER BY laplacian_weight",
                "0|NULL|NULL|2|21|1.41421|0.6|0.141421|0.02|0.0141421|0.3|0.141421|0.6|0.282843|2|0.001\n"
                "0.1|8|reflect101|2|24.5|2.12132|0.85|0.0707107|0.005|0.00141421|0.2|0.141421|0.25|0.0707107|2|0.001\n");
    double sd = 0;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT test_psnr_sd FROM summary WHERE kernel = '8'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sd = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    assert_true(near(sd, sqrt(4.5)));

    /* The README's queries, as published. (a) Mean final test PSNR by λ and kernel. */
    assert_rows(db,
                "SELECT laplacian_weight, kernel, count(*) AS runs, avg(test_psnr) AS mean_psnr\n"
                "FROM final\n"
                "GROUP BY laplacian_weight, kernel\n"
                "ORDER BY laplacian_weight, kernel;",
                "0|NULL|2|21\n0.1|8|2|24.5\n");
    /* (b) The best epoch of each run by validation PSNR (ties to the earlier epoch). */
    assert_rows(db,
                "SELECT run_id, epoch AS best_epoch, psnr AS val_psnr\n"
                "FROM (SELECT run_id, epoch, psnr,\n"
                "             row_number() OVER (PARTITION BY run_id\n"
                "                                ORDER BY psnr DESC, epoch) AS place\n"
                "      FROM epochs WHERE split = 'val')\n"
                "WHERE place = 1\n"
                "ORDER BY run_id;",
                "1|1|15\n2|1|14\n3|2|18\n4|0|12\n");
    /* (c) Each configuration's gain in final test PSNR over the λ = 0 run of the same seed (and
     * the same everything else that a sweep may vary). */
    assert_rows(db,
                "SELECT f.run_id, f.laplacian_weight, f.kernel, f.seed,\n"
                "       f.test_psnr - b.test_psnr AS gain_db\n"
                "FROM final f\n"
                "JOIN final b ON b.laplacian_weight = 0 AND b.seed = f.seed\n"
                "            AND b.task = f.task AND b.pixel = f.pixel AND b.lr = f.lr\n"
                "            AND b.optimizer = f.optimizer AND b.depth = f.depth\n"
                "            AND b.base_channels = f.base_channels AND b.epochs = f.epochs\n"
                "WHERE f.laplacian_weight > 0\n"
                "ORDER BY f.laplacian_weight, f.kernel, f.seed;",
                "3|0.1|8|1|3\n4|0.1|8|2|4\n");
}

/* ---- claiming ----------------------------------------------------------------------------- */

static void test_claim_two_connections(void **state)
{
    fixture *f = *state;
    enum { NRUNS = 9 };
    int64_t sweep = add_sweep(f->s, "claims"), ids[NRUNS];
    for (int i = 0; i < NRUNS; i++)
        ids[i] = add_run(f->s, sweep, "0.5", "4", i + 1, i);
    store *other;
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &other, ERR));

    /* Sharding first, on its own sweep: K = 1 of N = 3 takes grid indexes 1, 4, 7 in order. */
    int64_t shard_sweep = add_sweep(f->s, "shard");
    for (int i = 0; i < 6; i++)
        add_run(f->s, shard_sweep, "0.7", "8", i + 1, i);
    store_claim_info ci = claim_info(getpid(), NULL);
    int64_t got[3];
    for (int i = 0; i < 3; i++)
        CHECK_OK(store_claim_next(other, shard_sweep, 1, 3, &ci, &got[i], ERR));
    assert_int_equal(got[0], NRUNS + 2);
    assert_int_equal(got[1], NRUNS + 5);
    assert_int_equal(got[2], 0);
    char err[512];
    assert_int_equal(store_claim_next(other, shard_sweep, 3, 3, &ci, &got[0], err, sizeof err),
                     -1);
    assert_contains(err, "bad shard 3/3");

    /* Two connections take turns until neither finds anything: each run is claimed once, in grid
     * order, each by the connection that got it. */
    int claims[NRUNS] = {0}, done[2] = {0};
    store *handles[2] = {f->s, other};
    int64_t pids[2] = {getpid(), getppid()};
    int64_t expect_next = ids[0];
    while (!done[0] || !done[1]) {
        for (int h = 0; h < 2; h++) {
            if (done[h])
                continue;
            store_claim_info hci = claim_info(pids[h], NULL);
            int64_t run;
            CHECK_OK(store_claim_next(handles[h], sweep, 0, 0, &hci, &run, ERR));
            if (run == 0) {
                done[h] = 1;
                continue;
            }
            assert_int_equal(run, expect_next++);
            claims[run - ids[0]]++;
            char sql[128];
            snprintf(sql, sizeof sql, "SELECT pid FROM runs WHERE id = %lld", (long long)run);
            assert_int_equal(query_int(store_handle(f->s), sql), pids[h]);
        }
    }
    for (int i = 0; i < NRUNS; i++)
        assert_int_equal(claims[i], 1);
    assert_int_equal(query_int(store_handle(f->s),
                               "SELECT count(*) FROM runs WHERE status = 'running'"
                               " AND started_at IS NOT NULL AND heartbeat_at IS NOT NULL"
                               " AND threads = 4 AND gemm_library = 'test'"),
                     NRUNS + 2);
    /* A claimed run cannot be claimed again; a missing one is an error. */
    int claimed = -1;
    CHECK_OK(store_claim_run(other, ids[0], &ci, &claimed, ERR));
    assert_int_equal(claimed, 0);
    assert_int_equal(store_claim_run(other, 999, &ci, &claimed, err, sizeof err), -1);
    assert_contains(err, "no run 999");
    store_close(other);
}

/* Processes claim from one sweep at the same moment: every run is taken exactly once. All open the
 * database before any claims: an open marks the runs of exited processes stale (by design), so a
 * worker that opened after another had claimed its share and exited took those runs again (60
 * claims for 30 runs, once, under a load average of 9.5). */
static void test_claim_concurrent_processes(void **state)
{
    fixture *f = *state;
    enum { NRUNS = 30, NWORKERS = 3 };
    int64_t sweep = add_sweep(f->s, "race");
    for (int i = 0; i < NRUNS; i++)
        add_run(f->s, sweep, "0.25", "4", i + 1, i);
    store_close(f->s); /* no connection crosses fork() */
    f->s = NULL;
    int go[2], results[2], opened[2], claim[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(results), 0);
    assert_int_equal(pipe(opened), 0);
    assert_int_equal(pipe(claim), 0);
    pid_t workers[NWORKERS];
    for (int w = 0; w < NWORKERS; w++) {
        workers[w] = fork();
        assert_true(workers[w] >= 0);
        if (workers[w] == 0) {
            char c, err[512];
            close(go[1]);
            close(results[0]);
            close(opened[0]);
            close(claim[1]);
            if (read(go[0], &c, 1) != 1)
                _exit(2);
            store *s;
            if (store_open(f->db, STORE_OPEN_EXISTING, &s, err, sizeof err) < 0)
                _exit(3);
            if (write(opened[1], &c, 1) != 1 || read(claim[0], &c, 1) != 1)
                _exit(6);
            store_claim_info ci = claim_info(getpid(), NULL);
            int64_t run;
            int status = 0;
            while (store_claim_next(s, sweep, 0, 0, &ci, &run, err, sizeof err) == 0 && run)
                if (write(results[1], &run, sizeof run) != sizeof run)
                    status = 4;
            if (run != 0)
                status = 5;
            store_close(s);
            _exit(status);
        }
    }
    close(go[0]);
    close(results[1]);
    close(opened[1]);
    close(claim[0]);
    char start[NWORKERS] = {0};
    assert_int_equal(write(go[1], start, NWORKERS), NWORKERS);
    close(go[1]);
    for (int w = 0; w < NWORKERS; w++) {   /* every worker has opened the database */
        char c;
        assert_int_equal(read(opened[0], &c, 1), 1);
    }
    close(opened[0]);
    assert_int_equal(write(claim[1], start, NWORKERS), NWORKERS);
    close(claim[1]);
    int claims[NRUNS + 1] = {0}, total = 0;
    int64_t run;
    while (read(results[0], &run, sizeof run) == sizeof run) {
        assert_true(run >= 1 && run <= NRUNS);
        claims[run]++;
        total++;
    }
    close(results[0]);
    for (int w = 0; w < NWORKERS; w++) {
        int status;
        assert_int_equal(waitpid(workers[w], &status, 0), workers[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(total, NRUNS);
    for (int i = 1; i <= NRUNS; i++)
        assert_int_equal(claims[i], 1);
    /* The workers exited owning their runs: opening the database marks them interrupted. */
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
    assert_int_equal(query_int(store_handle(f->s),
                               "SELECT count(*) FROM runs WHERE status = 'interrupted'"
                               " AND error LIKE '%is gone%'"),
                     NRUNS);
}

/* ---- stale runs --------------------------------------------------------------------------- */

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

static void test_stale_runs(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "stale"), runs[5];
    for (int i = 0; i < 5; i++)
        runs[i] = add_run(f->s, sweep, "0.5", "8", i + 1, i);
    pid_t dead = dead_pid();
    const struct {
        int64_t pid;
        const char *host;
    } owners[5] = {
        {dead, NULL},                     /* this host, process gone: interrupted */
        {1, "elsewhere.example"},         /* another host, heartbeat made old below: interrupted */
        {getpid(), NULL},                 /* this host, alive: stays */
        {dead, "elsewhere.example"},      /* another host's pid is not ours to check: stays */
        {getpid(), "elsewhere.example"},  /* stays until its heartbeat ages */
    };
    for (int i = 0; i < 5; i++) {
        store_claim_info ci = claim_info(owners[i].pid, owners[i].host);
        int claimed;
        CHECK_OK(store_claim_run(f->s, runs[i], &ci, &claimed, ERR));
        assert_int_equal(claimed, 1);
    }
    exec_raw(db, "UPDATE runs SET heartbeat_at = '2000-01-01T00:00:00Z' WHERE id = 2");
    exec_raw(db, "UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-50 seconds')"
                 " WHERE id = 5");
    int marked = -1;
    CHECK_OK(store_mark_stale(f->s, &marked, ERR));
    assert_int_equal(marked, 2);
    assert_rows(db, "SELECT id, status FROM runs ORDER BY id",
                "1|interrupted\n2|interrupted\n3|running\n4|running\n5|running\n");
    store_run_info info;
    CHECK_OK(store_get_run(f->s, runs[0], &info, ERR));
    assert_contains(info.error, "is gone");
    CHECK_OK(store_get_run(f->s, runs[1], &info, ERR));
    assert_contains(info.error, "no heartbeat");
    assert_contains(info.error, "elsewhere.example");
    CHECK_OK(store_mark_stale(f->s, &marked, ERR));
    assert_int_equal(marked, 0);

    /* Opening the database does the same: run 5's heartbeat is now 61 s old. */
    exec_raw(db, "UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-61 seconds')"
                 " WHERE id = 5");
    store_close(f->s);
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
    db = store_handle(f->s);
    assert_rows(db, "SELECT id, status FROM runs WHERE id >= 3 ORDER BY id",
                "3|running\n4|running\n5|interrupted\n");

    /* An interrupted run is claimed again; its first start and thread count are kept. */
    char *before = query_rows(db, "SELECT started_at FROM runs WHERE id = 1");
    store_claim_info ci = claim_info(getpid(), NULL);
    ci.threads = 16;
    int claimed;
    CHECK_OK(store_claim_run(f->s, runs[0], &ci, &claimed, ERR));
    assert_int_equal(claimed, 1);
    assert_rows(db, "SELECT started_at FROM runs WHERE id = 1", before);
    free(before);
    CHECK_OK(store_get_run(f->s, runs[0], &info, ERR));
    assert_int_equal(info.threads, 4);
    assert_int_equal(info.status, STORE_RUNNING);
    assert_string_equal(info.error, "");
}

/* ---- epochs: who may log, and what ------------------------------------------------------- */

static void test_log_epoch_rules(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "log");
    int64_t run = add_run(f->s, sweep, "0.5", "8", 1, 0);
    char err[512];

    assert_int_equal(log_simple(f->s, run, 0, 10, 11, CK_INIT, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "is queued, not running");
    assert_int_equal(log_simple(f->s, run, 3, 10, 11, CK_INIT, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "is queued, not running");
    assert_int_equal(store_heartbeat(f->s, run, err, sizeof err), STORE_NOT_OWNER);

    claim(f->s, run);
    CHECK_OK(log_simple(f->s, run, 0, 10, 11, CK_INIT | CK_LAST | CK_BEST, ERR));
    /* Epochs follow each other: a gap or a repeat is refused. */
    assert_int_equal(log_simple(f->s, run, 2, 10, 11, CK_LAST, err, sizeof err), -1);
    assert_contains(err, "next is 1, not 2");
    assert_int_equal(log_simple(f->s, run, 0, 10, 11, CK_LAST, err, sizeof err), -1);
    assert_contains(err, "next is 1, not 0");

    /* A metric twice in one epoch: an error, and nothing of that epoch is written. */
    store_metric twice[] = {{"val", "psnr", 12}, {"test", "psnr", 13}, {"val", "psnr", 14}};
    store_checkpoint last = {"last", 1, "wb.db.runs/x/last.safetensors"};
    assert_int_equal(store_log_epoch(f->s, run, 1, twice, 3, &last, 1, NULL, 0, err, sizeof err), -1);
    assert_contains(err, "val.psnr twice");
    assert_rows(db, "SELECT epochs_done FROM runs", "0\n");
    assert_rows(db, "SELECT kind, epoch FROM checkpoints ORDER BY kind",
                "best|0\ninit|0\nlast|0\n");
    assert_int_equal(query_int(db, "SELECT count(*) FROM metrics WHERE epoch = 1"), 0);

    /* A checkpoint row per kind is replaced by the newer epoch; NaN is stored as NULL. */
    store_metric nan_loss[] = {{"train", "loss", NAN},
                               {"val", metric_def_of(METRIC_SELECTION)->name, 12}};
    CHECK_OK(store_log_epoch(f->s, run, 1, nan_loss, 2, &last, 1, NULL, 0, ERR));
    assert_rows(db, "SELECT kind, epoch, path FROM checkpoints WHERE kind = 'last'",
                "last|1|wb.db.runs/x/last.safetensors\n");
    assert_rows(db, "SELECT loss FROM epochs WHERE split = 'train'", "NULL\n");
    CHECK_OK(store_heartbeat(f->s, run, ERR));
    store_run_info info;
    CHECK_OK(store_get_run(f->s, run, &info, ERR));
    assert_int_equal(info.epochs_done, 1);
    assert_int_equal(info.best_epoch, 1);
    assert_true(near(info.best_value, 12));

    /* The run is marked stale and claimed by another process: this handle must not write. */
    exec_raw(db, "UPDATE runs SET status = 'interrupted'");
    assert_int_equal(log_simple(f->s, run, 2, 10, 11, CK_LAST, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "is interrupted, not running");
    store *thief;
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &thief, ERR));
    store_claim_info ci = claim_info(getppid(), NULL);
    int claimed;
    CHECK_OK(store_claim_run(thief, run, &ci, &claimed, ERR));
    assert_int_equal(claimed, 1);
    assert_int_equal(log_simple(f->s, run, 2, 10, 11, CK_LAST, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "now owned by process");
    assert_int_equal(store_heartbeat(f->s, run, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "now owned by process");
    assert_int_equal(store_finish_run(f->s, run, STORE_FINISHED, NULL, err, sizeof err), STORE_NOT_OWNER);
    CHECK_OK(log_simple(thief, run, 2, 10, 11, CK_LAST, ERR));
    assert_int_equal(store_finish_run(thief, run, STORE_RUNNING, NULL, err, sizeof err), -1);
    assert_contains(err, "not an end status");
    CHECK_OK(store_finish_run(thief, run, STORE_DIVERGED, "loss is NaN", ERR));
    assert_int_equal(log_simple(thief, run, 3, 10, 11, CK_LAST, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "is diverged, not running");
    assert_rows(db, "SELECT status, error, finished_at IS NOT NULL, epochs_done FROM runs",
                "diverged|loss is NaN|1|2\n");
    store_close(thief);
}

/* Going back one epoch when the later files are damaged: the later epochs' rows and hashes go in
 * one transaction, the checkpoint rows follow, and only the owner may do it. Hashes read back, and
 * a hash wb would not write makes the file damaged. */
static void test_file_hashes_and_rewind(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "rewind");
    int64_t run = add_run(f->s, sweep, "0.5", "8", 1, 0);
    char err[512], hex[65], want[65];
    int found;
    claim(f->s, run);
    CHECK_OK(log_simple(f->s, run, 0, 10, 11, CK_INIT | CK_LAST | CK_BEST, ERR));
    CHECK_OK(log_simple(f->s, run, 1, 12, 11, CK_LAST | CK_BEST, ERR));
    CHECK_OK(log_simple(f->s, run, 2, 11, 11, CK_LAST, ERR));
    CHECK_OK(log_simple(f->s, run, 3, 13, 11, CK_LAST | CK_BEST, ERR));
    CHECK_OK(store_file_hash_of(f->s, run, 2, "last.safetensors", hex, &found, ERR));
    snprintf(want, sizeof want, "%064x", 2 * 16 + 1);
    assert_int_equal(found, 1);
    assert_string_equal(hex, want);
    CHECK_OK(store_file_hash_of(f->s, run, 2, "best.safetensors", hex, &found, ERR));
    assert_int_equal(found, 0);
    assert_string_equal(hex, "");

    assert_int_equal(store_rewind_run(f->s, run, 3, err, sizeof err), -1);
    assert_contains(err, "none after 3");
    CHECK_OK(store_rewind_run(f->s, run, 2, ERR));
    assert_rows(db, "SELECT epochs_done, status FROM runs", "2|running\n");
    assert_rows(db, "SELECT kind, epoch FROM checkpoints ORDER BY kind",
                "init|0\nlast|2\n");
    assert_int_equal(query_int(db, "SELECT count(*) FROM metrics WHERE epoch > 2"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM file_hashes WHERE epoch > 2"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM file_hashes"), 6);
    /* Epoch 3 is logged again after it. */
    CHECK_OK(log_simple(f->s, run, 3, 13, 11, CK_LAST | CK_BEST, ERR));

    /* Another owner: nothing changes. */
    exec_raw(db, "UPDATE runs SET pid = pid + 1");
    assert_int_equal(store_rewind_run(f->s, run, 1, err, sizeof err), STORE_NOT_OWNER);
    assert_contains(err, "now owned by process");
    assert_rows(db, "SELECT epochs_done FROM runs", "3\n");

    /* A hash of another shape is not wb's: the file is damaged. */
    exec_raw(db, "UPDATE file_hashes SET sha256 = 'ABCDEF' || substr(sha256, 7) "
                 "WHERE epoch = 0 AND name = 'init.safetensors'");
    store_close(f->s);
    f->s = NULL;
    store *r;
    assert_int_equal(store_open(f->db, STORE_OPEN_READONLY, &r, err, sizeof err), STORE_DAMAGED);
    assert_contains(err, "is not an epoch, a file of wb's and a SHA-256");
}

static void test_reset(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    int64_t sweep = add_sweep(f->s, "reset");
    int64_t run = add_run(f->s, sweep, "0.5", "8", 1, 0);
    claim(f->s, run);
    CHECK_OK(log_simple(f->s, run, 0, 10, 11, CK_INIT | CK_BEST, ERR));
    CHECK_OK(log_simple(f->s, run, 1, 12, 13, CK_LAST, ERR));
    char err[512];
    /* Its owner (this process) is alive: refused. */
    assert_int_equal(store_reset_run(f->s, run, err, sizeof err), -1);
    assert_contains(err, "is running");
    CHECK_OK(store_finish_run(f->s, run, STORE_FAILED, "out of memory", ERR));
    CHECK_OK(store_set_run_model(f->s, run, 99, ERR));
    CHECK_OK(store_reset_run(f->s, run, ERR));
    assert_rows(db,
                "SELECT status, epochs_done, started_at, finished_at, heartbeat_at, pid, host,"
                " threads, error, param_count FROM runs",
                "queued|-1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n");
    assert_int_equal(query_int(db, "SELECT count(*) FROM metrics"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM checkpoints"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM params"), 28);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sweep_runs"), 1);

    /* A running run whose process is gone is reset like any other. */
    store_claim_info ci = claim_info(dead_pid(), NULL);
    int claimed;
    CHECK_OK(store_claim_run(f->s, run, &ci, &claimed, ERR));
    assert_int_equal(claimed, 1);
    CHECK_OK(store_reset_run(f->s, run, ERR));
    assert_rows(db, "SELECT status FROM runs", "queued\n");
    assert_int_equal(store_reset_run(f->s, 42, err, sizeof err), -1);
    assert_contains(err, "no run 42");
}

/* ---- lookup ------------------------------------------------------------------------------- */

static void test_lookup(void **state)
{
    fixture *f = *state;
    int64_t sweep = add_sweep(f->s, "lookup"), ids[3];
    spec_buf b;
    const char *prefixes[3] = {"abc1", "abc2", "123456"};
    for (int i = 0; i < 3; i++) {
        build_spec(&b, "0.5", "4", i + 1, i);
        memcpy(b.hash, prefixes[i], strlen(prefixes[i]));
        CHECK_OK(store_add_run(f->s, sweep, &b.spec, &ids[i], NULL, ERR));
    }
    int64_t id = 0;
    char text[32], err[512];
    snprintf(text, sizeof text, "%lld", (long long)ids[1]);
    CHECK_OK(store_lookup_run(f->s, text, &id, ERR));
    assert_int_equal(id, ids[1]);
    CHECK_OK(store_lookup_run(f->s, "abc1", &id, ERR));
    assert_int_equal(id, ids[0]);
    CHECK_OK(store_lookup_run(f->s, "ABC2", &id, ERR));
    assert_int_equal(id, ids[1]);
    /* Digits that are no run's id are a hash prefix. */
    CHECK_OK(store_lookup_run(f->s, "12345", &id, ERR));
    assert_int_equal(id, ids[2]);
    assert_int_equal(store_lookup_run(f->s, "abc", &id, err, sizeof err), -1);
    assert_contains(err, "ambiguous");
    assert_contains(err, "abc1");
    assert_contains(err, "abc2");
    assert_int_equal(store_lookup_run(f->s, "0000000000", &id, err, sizeof err), -1);
    assert_contains(err, "no run has id or hash prefix '0000000000'");
    assert_int_equal(store_lookup_run(f->s, "xyz", &id, err, sizeof err), -1);
    assert_contains(err, "neither a run id nor a prefix");
    assert_int_equal(store_lookup_run(f->s, "", &id, err, sizeof err), -1);
}

/* Tags and notes: kept once, in order, removed with their run; a running run is not removed;
 * a database from before run_notes reads as having none. */
static void test_notes_and_remove(void **state)
{
    fixture *f = *state;
    int64_t sweep = add_sweep(f->s, "notes");
    int64_t a = add_run(f->s, sweep, "0.5", "4", 1, 0), b = add_run(f->s, sweep, "0.5", "8", 1, 1);
    int added = -1, removed = -1, refused = -1;
    char err[512];
    CHECK_OK(store_add_note(f->s, a, STORE_TAG, "good", &added, ERR));
    assert_int_equal(added, 1);
    CHECK_OK(store_add_note(f->s, a, STORE_TAG, "good", &added, ERR));
    assert_int_equal(added, 0);
    CHECK_OK(store_add_note(f->s, a, STORE_NOTE, "first", NULL, ERR));
    CHECK_OK(store_add_note(f->s, a, STORE_TAG, "second tag", NULL, ERR));
    assert_int_equal(store_add_note(f->s, a, STORE_TAG, "", NULL, err, sizeof err), -1);
    store_note *n;
    size_t nn;
    CHECK_OK(store_read_notes(f->s, a, &n, &nn, ERR));
    assert_int_equal(nn, 3);
    assert_int_equal(n[0].kind, STORE_TAG);
    assert_string_equal(n[0].text, "good");
    assert_string_equal(n[1].text, "second tag");
    assert_int_equal(n[2].kind, STORE_NOTE);
    assert_string_equal(n[2].text, "first");
    store_notes_free(n, nn);
    CHECK_OK(store_remove_note(f->s, a, STORE_TAG, "good", &removed, ERR));
    assert_int_equal(removed, 1);
    CHECK_OK(store_remove_note(f->s, a, STORE_TAG, "good", &removed, ERR));
    assert_int_equal(removed, 0);

    claim(f->s, b);
    assert_int_equal(store_remove_run(f->s, b, &refused, err, sizeof err), -1);
    assert_int_equal(refused, 1);
    assert_contains(err, "is running");
    CHECK_OK(store_remove_run(f->s, a, &refused, ERR));
    assert_int_equal(refused, 0);
    sqlite3 *db = store_handle(f->s);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_notes"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM params WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sweep_runs"), 1);
    assert_int_equal(store_remove_run(f->s, a, &refused, err, sizeof err), -1);
    assert_int_equal(refused, 0);
    assert_contains(err, "no run");

    /* A reader of a file made before run_notes (no table) sees no notes, not an error. */
    assert_int_equal(sqlite3_exec(db, "DROP TABLE run_notes", NULL, NULL, NULL), SQLITE_OK);
    CHECK_OK(store_read_notes(f->s, b, &n, &nn, ERR));
    assert_int_equal(nn, 0);
}

/* ---- hostile strings ---------------------------------------------------------------------- */

static void test_hostile_strings(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    const char *name = "'; DROP TABLE runs; --";
    const char *ini = "[sweep]\nname = Robert'); DROP TABLE sweeps;--\n; `rm -rf /` \"quoted\"\n"
                      "<script>alert('x')</script> %s %n\n";
    const char *source = "png:/tmp/it's `here` <script>alert(\"1\")</script>";
    store_sweep_info info = {.name = name, .ini_text = ini, .ini_path = "a'b.ini",
                             .axes = "loss.kernel,`x`", .git_commit = "'"};
    int64_t sweep, found;
    CHECK_OK(store_upsert_sweep(f->s, &info, &sweep, ERR));
    spec_buf b;
    build_spec(&b, "0", NULL, 1, 0);
    b.params[0].value = source;
    b.params[b.spec.nparams++] = (store_param){"x.'; DELETE FROM params; --", "<b>\"'</b>"};
    b.spec.config_json = "{\"note\": \"'; DROP TABLE runs; --\"}";
    int64_t run;
    CHECK_OK(store_add_run(f->s, sweep, &b.spec, &run, NULL, ERR));

    CHECK_OK(store_find_sweep(f->s, name, &found, ERR));
    assert_int_equal(found, sweep);
    char latest[128];
    CHECK_OK(store_latest_sweep(f->s, &found, latest, sizeof latest, ERR));
    assert_string_equal(latest, name);
    char expected[512];
    snprintf(expected, sizeof expected, "%s|a'b.ini|loss.kernel,`x`|'\n", name);
    assert_rows(db, "SELECT name, ini_path, axes, git_commit FROM sweeps", expected);
    snprintf(expected, sizeof expected, "%s\n", ini);
    assert_rows(db, "SELECT ini_text FROM sweeps", expected);
    snprintf(expected, sizeof expected, "%s|%s\n", source, source);
    assert_rows(db,
                "SELECT p.value, r.source FROM params p JOIN runs r ON r.id = p.run_id"
                " WHERE p.key = 'data.source'",
                expected);
    assert_rows(db, "SELECT key, value FROM params WHERE key LIKE 'x.%'",
                "x.'; DELETE FROM params; --|<b>\"'</b>\n");
    assert_rows(db, "SELECT config_json FROM runs", "{\"note\": \"'; DROP TABLE runs; --\"}\n");
    assert_int_equal(query_int(db, "SELECT count(*) FROM params"), 29);

    /* The run's end, with a hostile error text. */
    claim(f->s, run);
    CHECK_OK(store_finish_run(f->s, run, STORE_FAILED, name, ERR));
    snprintf(expected, sizeof expected, "%s\n", name);
    assert_rows(db, "SELECT error FROM runs", expected);
    char err[512];
    assert_int_equal(store_find_sweep(f->s, "x' OR '1'='1", &found, err, sizeof err), -1);
    assert_contains(err, "no sweep named 'x' OR '1'='1'");
}

/* ---- merge -------------------------------------------------------------------------------- */

/* Every row of every table, in a fixed order: two equal dumps mean nothing changed. */
static char *dump_tables(sqlite3 *db)
{
    static const char *const queries[] = {
        "SELECT * FROM sweeps ORDER BY id",
        "SELECT * FROM runs ORDER BY id",
        "SELECT * FROM sweep_runs ORDER BY sweep_id, grid_index",
        "SELECT * FROM params ORDER BY run_id, key",
        "SELECT * FROM metrics ORDER BY run_id, epoch, split, name",
        "SELECT * FROM checkpoints ORDER BY run_id, kind",
    };
    size_t used = 0;
    char *all = calloc(1, 1);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *rows = query_rows(db, queries[i]);
        all = realloc(all, used + strlen(rows) + 4); /* "--\n" and the NUL */
        used += (size_t)sprintf(all + used, "%s--\n", rows);
        free(rows);
    }
    return all;
}

static void make_folder(store *s, const char *hash, char *folder, size_t len)
{
    char parent[512];
    store_run_folder(s, hash, folder, len);
    snprintf(parent, sizeof parent, "%s", folder);
    *strrchr(parent, '/') = 0;
    mkdir(parent, 0777);
    assert_int_equal(mkdir(folder, 0777), 0);
}

static void write_in_folder(const char *folder, const char *name, const char *text)
{
    char path[640];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    write_file(path, text);
}

static char *read_in_folder(const char *folder, const char *name)
{
    char path[640];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return read_file(path);
}

static ino_t inode_in_folder(const char *folder, const char *name)
{
    char path[640];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return stat(path, &sb) == 0 ? sb.st_ino : 0;
}

/* Builds the input of test_merge: a shard with sweeps "lossweights" (r1 finished with files,
 * r2 queued, r3 finished) and "other" (r3 again). */
static void build_merge_input(const char *in_path, spec_buf r[3])
{
    store *in;
    char folder[512];
    CHECK_OK(store_open(in_path, STORE_OPEN_CREATE, &in, ERR));
    int64_t sweep = add_sweep(in, "lossweights"), other = add_sweep(in, "other"), ids[3];
    for (int i = 0; i < 3; i++)
        CHECK_OK(store_add_run(in, sweep, &r[i].spec, &ids[i], NULL, ERR));
    r[2].spec.grid_index = 0;
    CHECK_OK(store_add_run(in, other, &r[2].spec, &ids[2], NULL, ERR));
    r[2].spec.grid_index = 2;
    claim(in, ids[0]);
    CHECK_OK(log_simple(in, ids[0], 0, 10, 11, CK_INIT | CK_LAST | CK_BEST, ERR));
    CHECK_OK(log_simple(in, ids[0], 1, 20, 21, CK_LAST | CK_BEST, ERR));
    CHECK_OK(store_finish_run(in, ids[0], STORE_FINISHED, NULL, ERR));
    make_folder(in, r[0].hash, folder, sizeof folder);
    write_in_folder(folder, "init.safetensors", "r1 init");
    write_in_folder(folder, "last.safetensors", "r1 last");
    write_in_folder(folder, "best.safetensors", "r1 best");
    write_in_folder(folder, ".last.safetensors.tmp", "half written");
    claim(in, ids[2]);
    CHECK_OK(log_simple(in, ids[2], 0, 29, 30, CK_INIT, ERR));
    CHECK_OK(store_finish_run(in, ids[2], STORE_FINISHED, NULL, ERR));
    make_folder(in, r[2].hash, folder, sizeof folder);
    write_in_folder(folder, "init.safetensors", "r3 init");
    char expected[256];
    snprintf(expected, sizeof expected, "%s.runs/%.12s/init.safetensors\n",
             strrchr(in_path, '/') + 1, r[0].hash);
    assert_rows(store_handle(in), "SELECT path FROM checkpoints WHERE run_id = 1 AND kind = 'init'",
                expected);
    store_close(in);
}

static void test_merge(void **state)
{
    fixture *f = *state;
    sqlite3 *out = store_handle(f->s);
    char in_path[256], folder[512], err[512], expected[1024];
    /* The input's name has what a file: URI must escape, and a quote. */
    snprintf(in_path, sizeof in_path, "%s/shard'1 ?#%%.db", f->dir);
    spec_buf r[4];
    build_spec(&r[0], "0.1", "4", 1, 0);
    build_spec(&r[1], "0.1", "4", 2, 1);
    build_spec(&r[2], "0.1", "8", 1, 2);
    build_spec(&r[3], "0.3", "8", 1, 3);
    build_merge_input(in_path, r);

    /* The output: r1 interrupted after epoch 0 (with a file of its own), r3 finished with other
     * numbers, r4 only here. */
    int64_t sweep = add_sweep(f->s, "lossweights"), ids[4] = {0};
    for (int i = 0; i < 4; i++)
        if (i != 1)
            CHECK_OK(store_add_run(f->s, sweep, &r[i].spec, &ids[i], NULL, ERR));
    claim(f->s, ids[0]);
    CHECK_OK(log_simple(f->s, ids[0], 0, 4, 5, CK_INIT, ERR));
    CHECK_OK(store_finish_run(f->s, ids[0], STORE_INTERRUPTED, "stopped", ERR));
    make_folder(f->s, r[0].hash, folder, sizeof folder);
    write_in_folder(folder, "init.safetensors", "out's own r1 init");
    write_in_folder(folder, "last.optim.safetensors", "out's optimizer state");
    claim(f->s, ids[2]);
    CHECK_OK(log_simple(f->s, ids[2], 0, 30, 31, CK_INIT, ERR));
    CHECK_OK(store_finish_run(f->s, ids[2], STORE_FINISHED, NULL, ERR));

    store_merge_stats stats;
    CHECK_OK(store_merge(f->s, in_path, NULL, &stats, ERR));
    assert_int_equal(stats.sweeps_added, 1);
    assert_int_equal(stats.runs_added, 1);
    assert_int_equal(stats.runs_replaced, 1);
    assert_int_equal(stats.runs_skipped, 1);
    assert_int_equal(stats.folders_copied, 1);
    /* r3, finished in both with other numbers: out's kept, the difference said (issue 15, 8). */
    assert_int_equal(stats.runs_conflicting, 1);
    assert_int_equal(stats.nconflicts, 1);
    assert_string_equal(stats.conflicts[0].config_hash, r[2].hash);
    assert_int_equal(stats.conflicts[0].out_run_id, ids[2]);
    assert_int_equal(stats.conflicts[0].values_differ, 2);
    assert_string_equal(stats.conflicts[0].metrics, "test.psnr, val.psnr");
    assert_true(stats.conflicts[0].max_abs_diff == 1.0);
    store_merge_stats_free(&stats);

    /* r1 replaced in place (same id), with the input's rows and paths moved to wb.db.runs/. */
    assert_rows(out, "SELECT id, status, epochs_done, error FROM runs WHERE id = 1",
                "1|finished|1|NULL\n");
    assert_rows(out, "SELECT epoch, split, psnr FROM epochs WHERE run_id = 1 ORDER BY epoch, split",
                "0|test|11\n0|val|10\n1|test|21\n1|val|20\n");
    snprintf(expected, sizeof expected,
             "best|1|wb.db.runs/%1$.12s/best.safetensors\n"
             "init|0|wb.db.runs/%1$.12s/init.safetensors\n"
             "last|1|wb.db.runs/%1$.12s/last.safetensors\n",
             r[0].hash);
    assert_rows(out, "SELECT kind, epoch, path FROM checkpoints WHERE run_id = 1 ORDER BY kind",
                expected);
    assert_string_equal(read_in_folder(folder, "init.safetensors"), "r1 init");
    assert_string_equal(read_in_folder(folder, "last.safetensors"), "r1 last");
    assert_string_equal(read_in_folder(folder, "best.safetensors"), "r1 best");
    assert_string_equal(read_in_folder(folder, "last.optim.safetensors"), "out's optimizer state");
    assert_null(read_in_folder(folder, ".last.safetensors.tmp"));
    /* r2 added (id 4) with its params, linked at its grid index; r3 (id 2) kept as out had it. */
    snprintf(expected, sizeof expected, "4|queued|wb.db.runs/%.12s|1|28\n", r[1].hash);
    assert_rows(out,
                "SELECT r.id, r.status, r.folder, r.sweep_id,"
                " (SELECT count(*) FROM params WHERE run_id = r.id) FROM runs r WHERE r.id = 4",
                expected);
    assert_rows(out, "SELECT psnr FROM epochs WHERE run_id = 2 AND split = 'test'", "31\n");
    assert_rows(out,
                "SELECT s.name, l.grid_index, l.run_id FROM sweep_runs l"
                " JOIN sweeps s ON s.id = l.sweep_id ORDER BY s.name, l.grid_index",
                "lossweights|0|1\nlossweights|1|4\nlossweights|2|2\nlossweights|3|3\nother|0|2\n");

    /* Again: nothing changes, not even a time. */
    char *before = dump_tables(out);
    CHECK_OK(store_merge(f->s, in_path, NULL, &stats, ERR));
    assert_int_equal(stats.sweeps_added + stats.runs_added + stats.runs_replaced, 0);
    assert_int_equal(stats.runs_skipped, 3);
    assert_int_equal(stats.folders_copied, 0);
    assert_int_equal(stats.runs_conflicting, 1);
    store_merge_stats_free(&stats);
    /* The metrics named to be ignored (the timings) are not compared. */
    static const char *const psnr_only[] = {"psnr", NULL};
    const store_merge_options ignore_psnr = {.ignore_metrics = psnr_only};
    CHECK_OK(store_merge(f->s, in_path, &ignore_psnr, &stats, ERR));
    assert_int_equal(stats.runs_conflicting, 0);
    assert_null(stats.conflicts);
    char *after = dump_tables(out);
    assert_string_equal(after, before);
    free(before);
    free(after);

    /* Into itself, under any spelling of its path. */
    assert_int_equal(store_merge(f->s, f->db, NULL, &stats, err, sizeof err), -1);
    assert_contains(err, "into itself");
    char spelled[256];
    snprintf(spelled, sizeof spelled, "%s/./wb.db", f->dir);
    assert_int_equal(store_merge(f->s, spelled, NULL, &stats, err, sizeof err), -1);
    assert_contains(err, "into itself");
}

/* The usual input: <dir>/shard.db, build_merge_input's three runs. */
static void shard_of_three(const fixture *f, char *in_path, size_t len, spec_buf r[3])
{
    snprintf(in_path, len, "%s/shard.db", f->dir);
    build_spec(&r[0], "0.1", "4", 1, 0);
    build_spec(&r[1], "0.1", "4", 2, 1);
    build_spec(&r[2], "0.1", "8", 1, 2);
    build_merge_input(in_path, r);
}

/* Merging into a fresh database whose run folder already has some files: an identical file is
 * left as it is (same inode), a different one replaced. Bad inputs are refused. */
static void test_merge_files_and_bad_inputs(void **state)
{
    fixture *f = *state;
    char in_path[256], folder[512], err[512];
    spec_buf r[3];
    shard_of_three(f, in_path, sizeof in_path, r);
    make_folder(f->s, r[0].hash, folder, sizeof folder);
    write_in_folder(folder, "init.safetensors", "r1 init");
    write_in_folder(folder, "last.safetensors", "older bytes");
    ino_t init_inode = inode_in_folder(folder, "init.safetensors");
    ino_t last_inode = inode_in_folder(folder, "last.safetensors");

    store_merge_stats stats;
    CHECK_OK(store_merge(f->s, in_path, NULL, &stats, ERR));
    assert_int_equal(stats.sweeps_added, 2);
    assert_int_equal(stats.runs_added, 3);
    assert_int_equal(stats.folders_copied, 2);
    assert_true(inode_in_folder(folder, "init.safetensors") == init_inode);
    assert_true(inode_in_folder(folder, "last.safetensors") != last_inode);
    assert_string_equal(read_in_folder(folder, "last.safetensors"), "r1 last");
    assert_string_equal(read_in_folder(folder, "best.safetensors"), "r1 best");
    assert_rows(store_handle(f->s), "SELECT count(*), sum(status = 'finished') FROM runs", "3|2\n");

    char path[256];
    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    write_file(path, "not a database at all, just some words that fill a page header and more "
                     "words after them so that the file is long enough for a header.\n");
    assert_int_equal(store_merge(f->s, path, NULL, &stats, err, sizeof err), -1);
    assert_contains(err, "not an SQLite database");
    assert_contains(err, path);
    snprintf(path, sizeof path, "%s/absent.db", f->dir);
    assert_int_equal(store_merge(f->s, path, NULL, &stats, err, sizeof err), -1);
    assert_contains(err, "no such database");
    snprintf(path, sizeof path, "%s/empty.db", f->dir);
    write_file(path, "");
    assert_int_equal(store_merge(f->s, path, NULL, &stats, err, sizeof err), -1);
    assert_contains(err, "not a wb database");
    /* The failed merges left the attachment and the transaction closed. */
    CHECK_OK(store_merge(f->s, in_path, NULL, &stats, ERR));
    assert_int_equal(stats.runs_skipped, 3);
}

/* Files under a folder, as "path size" lines in a fixed order: equal when nothing was written. */
static char files_seen[65536];
static size_t files_seen_len;
static int note_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_F && files_seen_len + 600 < sizeof files_seen)
        files_seen_len += (size_t)snprintf(files_seen + files_seen_len,
                                           sizeof files_seen - files_seen_len, "%s %lld\n", path,
                                           (long long)sb->st_size);
    return 0;
}

static char *files_under(const char *dir)
{
    files_seen_len = 0;
    files_seen[0] = '\0';
    nftw(dir, note_file, 16, FTW_PHYS);
    return strdup(files_seen);
}

/* What the trace below watches: out's folder of runs, its files when the last write transaction
 * began, and what it found. */
typedef struct tx_watch {
    char runs_dir[256];
    char *at_begin;
    int transactions, files_written_inside;
    char *at_start;         /* for the crash: the files when the merge started */
    int crash_after_copy;
} tx_watch;

/* SQLITE_TRACE_STMT: at every BEGIN IMMEDIATE and COMMIT of the store's write transactions. */
static int watch_transactions(unsigned type, void *ctx, void *stmt, void *sql_text)
{
    tx_watch *w = ctx;
    (void)type, (void)stmt;
    const char *sql = sql_text;
    if (strncmp(sql, "BEGIN IMMEDIATE", 15) == 0) {
        free(w->at_begin);
        w->at_begin = files_under(w->runs_dir);
        w->transactions++;
        if (w->crash_after_copy && strcmp(w->at_begin, w->at_start) != 0)
            raise(SIGKILL);     /* files copied, their rows not committed */
    } else if (strcmp(sql, "COMMIT") == 0 && w->at_begin) {
        char *now = files_under(w->runs_dir);
        w->files_written_inside += strcmp(now, w->at_begin) != 0;
        free(now);
        free(w->at_begin);
        w->at_begin = NULL;
    }
    return 0;
}

/* Merge copies files with no write transaction open (issue 15, item 8: it held one while it copied
 * and synced 125 runs' files, 1.9-3.2 s, and a sweep using the database gave up): every file of
 * the merged run folders is written between transactions, none between a BEGIN and its COMMIT. */
static void test_merge_copies_outside_transactions(void **state)
{
    fixture *f = *state;
    char in_path[256];
    spec_buf r[3];
    shard_of_three(f, in_path, sizeof in_path, r);
    tx_watch w = {0};
    snprintf(w.runs_dir, sizeof w.runs_dir, "%s/wb.db.runs", f->dir);
    sqlite3_trace_v2(store_handle(f->s), SQLITE_TRACE_STMT, watch_transactions, &w);
    store_merge_stats stats;
    CHECK_OK(store_merge(f->s, in_path, NULL, &stats, ERR));
    sqlite3_trace_v2(store_handle(f->s), 0, NULL, NULL);
    free(w.at_begin);
    assert_int_equal(stats.runs_added, 3);
    assert_int_equal(stats.folders_copied, 2);
    assert_true(w.transactions >= 2);   /* the sweeps, then the runs' rows */
    assert_int_equal(w.files_written_inside, 0);
    char *files = files_under(w.runs_dir);
    assert_non_null(strstr(files, "best.safetensors"));
    free(files);
}

/* A merge killed after it copied a batch's files and before it committed their rows (issue 15,
 * item 8) leaves a consistent database: the runs it took (the one it was replacing, the two it
 * was adding, with their params) are interrupted with no epoch, to be trained again from the
 * start or merged again, never resumed from a mix of two trainings' files; the next merge
 * finishes the job. A temporary file a killed writer left in a run folder is removed by the next
 * merge (issue 15, item 9). */
static void test_merge_crash_between_copy_and_commit(void **state)
{
    fixture *f = *state;
    char in_path[256], folder[512];
    spec_buf r[3];
    shard_of_three(f, in_path, sizeof in_path, r);
    int64_t sweep = add_sweep(f->s, "lossweights"), id;
    CHECK_OK(store_add_run(f->s, sweep, &r[0].spec, &id, NULL, ERR));
    claim(f->s, id);
    CHECK_OK(log_simple(f->s, id, 0, 4, 5, CK_INIT, ERR));
    CHECK_OK(store_finish_run(f->s, id, STORE_INTERRUPTED, "stopped", ERR));
    make_folder(f->s, r[0].hash, folder, sizeof folder);
    write_in_folder(folder, "init.safetensors", "out's own r1 init");
    store_close(f->s); /* no connection crosses fork() */
    f->s = NULL;

    /* A writer killed in the middle of a file: its hidden temporary file stays. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char path[600];
        snprintf(path, sizeof path, "%s/last.safetensors", folder);
        atomic_file a;
        char err[256];
        _exit(atomic_file_open(&a, path, err, sizeof err) == 0 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *listing = files_under(folder);
    assert_non_null(strstr(listing, "/.last.safetensors.tmp."));
    free(listing);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        store *s;
        char err[1024];
        if (store_open(f->db, STORE_OPEN_EXISTING, &s, err, sizeof err) != 0)
            _exit(2);
        tx_watch w = {.crash_after_copy = 1};
        snprintf(w.runs_dir, sizeof w.runs_dir, "%s/wb.db.runs", f->dir);
        w.at_start = files_under(w.runs_dir);
        sqlite3_trace_v2(store_handle(s), SQLITE_TRACE_STMT, watch_transactions, &w);
        store_merge_stats stats;
        store_merge(s, in_path, NULL, &stats, err, sizeof err);
        _exit(3);   /* not reached: killed after the copy */
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* The next writer finds the runs taken by a dead process: interrupted, from scratch. */
    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
    sqlite3 *out = store_handle(f->s);
    assert_rows(out, "SELECT r.id, status, epochs_done, (SELECT count(*) FROM metrics m"
                " WHERE m.run_id = r.id), (SELECT count(*) FROM checkpoints c WHERE c.run_id = r.id),"
                " (SELECT count(*) FROM params p WHERE p.run_id = r.id) > 0 FROM runs r ORDER BY r.id",
                "1|interrupted|-1|0|0|1\n2|interrupted|-1|0|0|1\n3|interrupted|-1|0|0|1\n");
    assert_rows(out, "PRAGMA integrity_check", "ok\n");
    assert_string_equal(read_in_folder(folder, "init.safetensors"), "r1 init");
    listing = files_under(folder);
    assert_null(strstr(listing, "/.last.safetensors.tmp."));    /* the killed writer's: gone */
    free(listing);

    /* The next merge finishes: r1 and r3, finished in the input, replaced; r2, queued there, is
     * left to train. */
    store_merge_stats stats;
    CHECK_OK(store_merge(f->s, in_path, NULL, &stats, ERR));
    assert_int_equal(stats.runs_replaced, 2);
    assert_int_equal(stats.runs_added, 0);
    assert_rows(out, "SELECT id, status, epochs_done FROM runs ORDER BY id",
                "1|finished|1\n2|interrupted|-1\n3|finished|0\n");
    assert_rows(out, "SELECT count(*) FROM checkpoints WHERE run_id = 1", "3\n");
    assert_rows(out, "SELECT count(*) FROM sweep_runs", "4\n");
}

/* Claiming a run removes the hidden temporary files its folder holds from writers that are gone
 * (a checkpoint half written when its worker was killed), not those of live processes. */
static void test_claim_removes_stale_temporaries(void **state)
{
    fixture *f = *state;
    spec_buf r;
    build_spec(&r, "0.1", "4", 1, 0);
    int64_t id;
    char folder[512], path[600], err[256];
    CHECK_OK(store_add_run(f->s, add_sweep(f->s, "s"), &r.spec, &id, NULL, ERR));
    make_folder(f->s, r.hash, folder, sizeof folder);
    snprintf(path, sizeof path, "%s/last.safetensors", folder);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        atomic_file a;
        _exit(atomic_file_open(&a, path, err, sizeof err) == 0 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    atomic_file live;
    assert_int_equal(atomic_file_open(&live, path, err, sizeof err), 0);
    char *before = files_under(folder);
    assert_int_equal(strstr(strstr(before, "/.last") + 1, "/.last") != NULL, 1);  /* two */
    free(before);
    claim(f->s, id);
    char *after = files_under(folder);
    assert_non_null(strstr(after, live.tmp_path));
    assert_null(strstr(strstr(after, "/.last") + 1, "/.last"));                 /* one */
    free(after);
    atomic_file_abort(&live);
}

/* ---- records for readers (store/read.h) ------------------------------------------------- */

static void test_read_records(void **state)
{
    fixture *f = *state;
    int64_t b = add_sweep(f->s, "b-sweep"), a = add_sweep(f->s, "a-sweep");
    int64_t base = add_run(f->s, b, "0", NULL, 1, 1), lap = add_run(f->s, b, "0.5", "8", 1, 0);
    spec_buf sb;
    build_spec(&sb, "0.5", "8", 1, 3);
    int64_t again;
    CHECK_OK(store_add_run(f->s, a, &sb.spec, &again, NULL, ERR));
    assert_int_equal(again, lap);
    claim(f->s, lap);
    CHECK_OK(log_simple(f->s, lap, 0, NAN, 11, 7, ERR));

    store_sweep_record *w;
    size_t n;
    CHECK_OK(store_read_sweeps(f->s, &w, &n, ERR));
    assert_int_equal(n, 2);
    assert_string_equal(w[0].name, "a-sweep");   /* by name */
    assert_int_equal(w[1].id, b);
    assert_string_equal(w[1].axes, "loss.laplacian_weight,loss.kernel");
    assert_string_equal(w[1].wb_version, "0.1.0");
    assert_int_equal(w[1].git_dirty, 1);
    store_sweep_records_free(w, n);

    store_run_record *r;
    CHECK_OK(store_read_sweep_runs(f->s, b, &r, &n, ERR));
    assert_int_equal(n, 2);
    assert_int_equal(r[0].id, lap);              /* grid order */
    assert_int_equal(r[0].grid_index, 0);
    assert_int_equal(r[0].status, STORE_RUNNING);
    assert_int_equal(r[0].epochs, 2);
    assert_int_equal(r[0].epochs_done, 0);
    assert_int_equal(r[0].pid, getpid());
    assert_int_equal(r[0].threads, 4);
    assert_int_equal(r[0].train_n, 64);
    assert_string_equal(r[0].data_source, "builtin: 5 photos");
    char folder[256];
    store_run_folder_rel(f->s, r[0].config_hash, folder, sizeof folder);
    assert_string_equal(r[0].folder, folder);
    assert_int_equal(r[1].id, base);
    assert_int_equal(r[1].status, STORE_QUEUED);
    assert_int_equal(r[1].epochs_done, -1);
    assert_int_equal(r[1].pid, -1);              /* unknown: NULL */
    assert_int_equal(r[1].threads, -1);
    assert_null(r[1].started_at);
    assert_null(r[1].error);
    store_run_records_free(r, n);

    store_run_link *l;
    CHECK_OK(store_read_run_links(f->s, lap, &l, &n, ERR));
    assert_int_equal(n, 2);
    assert_string_equal(l[0].sweep, "a-sweep");
    assert_int_equal(l[0].grid_index, 3);
    assert_string_equal(l[1].sweep, "b-sweep");
    assert_int_equal(l[1].grid_index, 0);
    store_run_links_free(l, n);

    store_param *p;
    CHECK_OK(store_read_params(f->s, base, &p, &n, ERR));
    assert_int_equal(n, sb.spec.nparams);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(p[i - 1].key, p[i].key) < 0);   /* by key */
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].key, "loss.kernel") == 0)
            assert_null(p[i].value);                        /* does not apply at λ = 0 */
    store_params_free(p, n);

    store_checkpoint *ck;
    CHECK_OK(store_read_checkpoints(f->s, lap, &ck, &n, ERR));
    assert_int_equal(n, 3);
    assert_string_equal(ck[0].kind, "init");
    assert_string_equal(ck[1].kind, "best");
    assert_string_equal(ck[2].kind, "last");
    store_checkpoints_free(ck, n);

    store_metric_value *m;
    CHECK_OK(store_read_metrics(f->s, lap, &m, &n, ERR));
    assert_int_equal(n, 2);
    assert_string_equal(m[0].split, "test");     /* by epoch, split, name */
    assert_true(near(m[0].value, 11));
    assert_string_equal(m[1].split, "val");
    assert_true(isnan(m[1].value));              /* a NaN was logged */
    store_metric_values_free(m, n);
    double v;
    CHECK_OK(store_read_metric(f->s, lap, 0, "test", "psnr", &v, ERR));
    assert_true(near(v, 11));
    CHECK_OK(store_read_metric(f->s, lap, 1, "test", "psnr", &v, ERR));
    assert_true(isnan(v));                       /* no such row */

    char err[512];
    store_run_record one;
    assert_int_equal(store_read_run(f->s, 999, &one, err, sizeof err), -1);
    assert_contains(err, "no run 999");
    CHECK_OK(store_read_run(f->s, base, &one, ERR));
    assert_int_equal(one.grid_index, -1);         /* not read through a sweep */
    store_run_record_free(&one);
    int64_t id;
    int missing = -1;
    assert_int_equal(store_pick_sweep(f->s, "c-sweep", &id, &missing, err, sizeof err), -1);
    assert_int_equal(missing, 1);
    CHECK_OK(store_pick_sweep(f->s, NULL, &id, &missing, ERR));
    assert_int_equal(id, a);                     /* the latest */
}

/* ---- readers never write (issue 15, item 5) ----------------------------------------------- */

static void sha256_file(const char *path, char out[65])
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, 65, p));
    pclose(p);
}

/* A stale run reads as interrupted to every reader (store_get_run, store_read_run, a sweep's
 * records) and stays `running` in the file; the next writer records it. */
static void test_reader_sees_stale(void **state)
{
    fixture *f = *state;
    int64_t sweep = add_sweep(f->s, "stale");
    int64_t gone = add_run(f->s, sweep, "0.5", "8", 1, 0);
    int64_t quiet = add_run(f->s, sweep, "0.5", "8", 2, 1);
    int64_t alive = add_run(f->s, sweep, "0.5", "8", 3, 2);
    store_claim_info ci = claim_info(dead_pid(), NULL);
    int claimed;
    CHECK_OK(store_claim_run(f->s, gone, &ci, &claimed, ERR));
    ci = claim_info(1, "elsewhere.example");
    CHECK_OK(store_claim_run(f->s, quiet, &ci, &claimed, ERR));
    claim(f->s, alive);
    exec_raw(store_handle(f->s),
             "UPDATE runs SET heartbeat_at = '2000-01-01T00:00:00Z' WHERE id = 2");
    store_close(f->s);
    char before[65], after[65];
    sha256_file(f->db, before);

    CHECK_OK(store_open(f->db, STORE_OPEN_READONLY, &f->s, ERR));
    store_run_info info;
    CHECK_OK(store_get_run(f->s, gone, &info, ERR));
    assert_int_equal(info.status, STORE_INTERRUPTED);
    assert_contains(info.error, "is gone");
    CHECK_OK(store_get_run(f->s, quiet, &info, ERR));
    assert_int_equal(info.status, STORE_INTERRUPTED);
    assert_contains(info.error, "no heartbeat");
    CHECK_OK(store_get_run(f->s, alive, &info, ERR));
    assert_int_equal(info.status, STORE_RUNNING);
    store_run_record *r;
    size_t n;
    CHECK_OK(store_read_sweep_runs(f->s, sweep, &r, &n, ERR));
    assert_int_equal(r[0].status, STORE_INTERRUPTED);
    assert_contains(r[0].error, "is gone");
    assert_int_equal(r[1].status, STORE_INTERRUPTED);
    assert_contains(r[1].error, "elsewhere.example");
    assert_int_equal(r[2].status, STORE_RUNNING);
    store_run_records_free(r, n);
    store_run_record one;
    CHECK_OK(store_read_run(f->s, gone, &one, ERR));
    assert_int_equal(one.status, STORE_INTERRUPTED);
    store_run_record_free(&one);
    assert_rows(store_handle(f->s), "SELECT status FROM runs ORDER BY id",
                "running\nrunning\nrunning\n");
    store_close(f->s);
    sha256_file(f->db, after);
    assert_string_equal(after, before);

    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
    assert_rows(store_handle(f->s), "SELECT status FROM runs ORDER BY id",
                "interrupted\ninterrupted\nrunning\n");
}

/* A reader of a schema older than it reads is refused with the commands that migrate it, and the
 * file is left as it was; a writer migrates it. */
static void test_reader_refuses_old_schema(void **state)
{
    fixture *f = *state;
    char path[256], err[1024];
    struct stat sb;
    store *s = NULL;
    snprintf(path, sizeof path, "%s/old.db", f->dir);
    write_file(path, "");
    assert_int_equal(store_open(path, STORE_OPEN_READONLY, &s, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_null(s);
    assert_contains(err, "schema version 0");
    assert_contains(err, "wb sweep FILE.ini --db");
    assert_contains(err, "wb merge");
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    CHECK_OK(store_open(path, STORE_OPEN_EXISTING, &s, ERR));
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_close(s);
    CHECK_OK(store_open(path, STORE_OPEN_READONLY, &s, ERR));
    store_close(s);
}

/* The views made in code: a writer puts them in the file once (again only when they change), a
 * reader lays them over the file as TEMP views and writes nothing. */
static void test_views_made_in_code(void **state)
{
    fixture *f = *state;
    sqlite3 *db = store_handle(f->s);
    const store_view v1[] = {{"answer", "SELECT 42 AS x"}}, v2[] = {{"answer", "SELECT 43 AS x"}};
    CHECK_OK(store_install_views(db, v1, 1, 0, ERR));
    assert_rows(db, "SELECT x FROM answer", "42\n");
    const int64_t cookie = query_int(db, "PRAGMA schema_version");
    CHECK_OK(store_install_views(db, v1, 1, 0, ERR));
    assert_int_equal(query_int(db, "PRAGMA schema_version"), cookie);   /* current: untouched */
    store_close(f->s);
    char before[65], after[65];
    sha256_file(f->db, before);

    CHECK_OK(store_open(f->db, STORE_OPEN_READONLY, &f->s, ERR));
    db = store_handle(f->s);
    CHECK_OK(store_install_views(db, v2, 1, 1, ERR));
    assert_rows(db, "SELECT x FROM answer", "43\n");
    CHECK_OK(store_install_views(db, v2, 1, 1, ERR));                   /* again: replaced */
    assert_rows(db, "SELECT x FROM answer", "43\n");
    assert_rows(db, "SELECT x FROM main.answer", "42\n");
    store_close(f->s);
    sha256_file(f->db, after);
    assert_string_equal(after, before);

    CHECK_OK(store_open(f->db, STORE_OPEN_EXISTING, &f->s, ERR));
    db = store_handle(f->s);
    CHECK_OK(store_install_views(db, v2, 1, 0, ERR));
    assert_rows(db, "SELECT x FROM answer", "43\n");
}

/* The column names of a query, comma-separated. */
static void column_names(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < sqlite3_column_count(st); i++)
        snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "",
                 sqlite3_column_name(st, i));
    sqlite3_finalize(st);
}

/* A database of this binary's first `version` schema steps, as an older wb left it, at
 * <dir>/v<version>.db (its path into path); the open connection. */
static sqlite3 *old_database(const fixture *f, int version, char *path, size_t len)
{
    char err[512];
    size_t nsteps;
    int applied;
    sqlite3 *db;
    snprintf(path, len, "%s/v%d.db", f->dir, version);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (store_migrate(db, store_migrations(&nsteps), (size_t)version, &applied, err, sizeof err))
        fail_msg("%s", err);
    return db;
}

/* Version 3 rebuilds metrics so that its split admits the inputs: a version-2 file's rows are
 * kept, val_input and test_input are taken, any other split is still refused, and the views are
 * there again. */
static void test_migration_to_inputs(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    f->s = NULL;
    char path[4200];
    sqlite3 *db = old_database(f, 2, path, sizeof path);
    exec_raw(db, "INSERT INTO runs (id, config_hash, config_id, folder, seed) VALUES (1,"
                 " printf('%064d', 1), printf('%064d', 2), 'x', 1);"
                 "INSERT INTO metrics VALUES (1, 0, 'val', 'psnr', 12.5),"
                 " (1, 1, 'train', 'loss', 0.25);");
    assert_int_not_equal(sqlite3_exec(db, "INSERT INTO metrics VALUES"
                                          " (1, 0, 'val_input', 'psnr', 9)", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    store *s;
    CHECK_OK(store_open(path, STORE_OPEN_EXISTING, &s, ERR));
    db = store_handle(s);
    assert_rows(db, "SELECT run_id, epoch, split, name, value FROM metrics ORDER BY epoch",
                "1|0|val|psnr|12.5\n1|1|train|loss|0.25\n");
    exec_raw(db, "INSERT INTO metrics VALUES (1, 0, 'val_input', 'psnr', 9),"
                 " (1, 0, 'test_input', 'psnr', 10)");
    assert_int_not_equal(sqlite3_exec(db, "INSERT INTO metrics VALUES (1, 0, 'other', 'psnr', 1)",
                                      NULL, NULL, NULL), SQLITE_OK);
    assert_rows(db, "SELECT split, psnr FROM epochs WHERE epoch = 0 ORDER BY split",
                "test_input|10\nval|12.5\nval_input|9\n");
    assert_rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'metrics_v3'", "0\n");
    store_close(s);
}

/* Whether the file (main) defines view v as v says, whatever its length. */
static int view_is(sqlite3 *db, const store_view *v)
{
    char *expected = sqlite3_mprintf("CREATE VIEW \"%w\" AS %s", v->name, v->select);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql = ?2 FROM main.sqlite_schema"
                                            " WHERE type = 'view' AND name = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, expected, -1, SQLITE_STATIC);
    const int same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    sqlite3_free(expected);
    return same;
}

/* The views generated from the metric table: a column of epochs per metric, of final per image
 * metric of val and test (at the last and the best epoch), of summary per test image metric (mean
 * and sd), in the table's order; a writer's file holds them as generated, and a database made by
 * the first schema version gets them: in the file by a writer, as TEMP views by a reader. */
static void test_views_from_the_metric_table(void **state)
{
    fixture *f = *state;
    char want[4096] = "run_id,epoch,split", got[4096], col[256];
    for (int m = 0; m < METRIC_COUNT; m++)
        snprintf(want + strlen(want), sizeof want - strlen(want), ",%s",
                 metric_def_of((enum metric_id)m)->name);
    column_names(store_handle(f->s), "SELECT * FROM epochs", got, sizeof got);
    assert_string_equal(got, want);
    column_names(store_handle(f->s), "SELECT * FROM final", got, sizeof got);
    column_names(store_handle(f->s), "SELECT * FROM summary", want, sizeof want);
    for (int m = 0; m < METRIC_COUNT; m++) {
        const metric_def *d = metric_def_of((enum metric_id)m);
        const char *forms[] = { "val_%s,", "test_%s,", "best_val_%s", "best_test_%s" };
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
            snprintf(col, sizeof col, forms[k], d->name);
            assert_int_equal(strstr(got, col) != NULL, d->source == METRIC_FROM_IMAGES);
        }
        snprintf(col, sizeof col, "test_%s_mean,test_%s_sd", d->name, d->name);
        assert_int_equal(strstr(want, col) != NULL, d->source == METRIC_FROM_IMAGES);
    }
    store_view *views;
    size_t nviews;
    CHECK_OK(store_generated_views(&views, &nviews, ERR));
    assert_int_equal(nviews, 3);
    for (size_t i = 0; i < nviews; i++)
        assert_true(view_is(store_handle(f->s), &views[i]));
    store_close(f->s);
    f->s = NULL;

    /* A database of the first version (schema.sql alone): a reader lays the generated views
     * over its own and writes nothing; a writer migrates it and puts them in the file. */
    char path[4200], before[65], after[65];
    sqlite3_close(old_database(f, 1, path, sizeof path));
    sha256_file(path, before);
    store *r;
    CHECK_OK(store_open(path, STORE_OPEN_READONLY, &r, ERR));
    assert_int_equal(store_schema_version(r), 1);
    column_names(store_handle(r), "SELECT * FROM epochs", got, sizeof got);
    assert_non_null(strstr(got, ",lr,"));   /* not a column of version 1's epochs */
    store_close(r);
    sha256_file(path, after);
    assert_string_equal(after, before);
    CHECK_OK(store_open(path, STORE_OPEN_EXISTING, &r, ERR));
    assert_int_equal(store_schema_version(r), STORE_SCHEMA_VERSION);
    for (size_t i = 0; i < nviews; i++)
        assert_true(view_is(store_handle(r), &views[i]));
    store_close(r);
    store_views_free(views, nviews);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_created_once, setup, teardown),
        cmocka_unit_test(test_migrations_step_by_step),
        cmocka_unit_test_setup_teardown(test_newer_database_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_database_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweeps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_run_typed_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views_and_readme_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_two_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_concurrent_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_epoch_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_hashes_and_rewind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notes_and_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_files_and_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_copies_outside_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_crash_between_copy_and_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_claim_removes_stale_temporaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_sees_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_refuses_old_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views_made_in_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views_from_the_metric_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_to_inputs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
