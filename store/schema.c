/* store/schema.c: the embedded schema and the forward migrations that bring a database from the
 * version it has (PRAGMA user_version) to the version this binary writes. */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* store/schema.sql, embedded at build time (the path is relative to the repository top, where make
 * runs) and NUL-terminated so that it can be handed to sqlite3_exec as it is. The label is local to
 * this object: only the migration table below refers to it. */
__asm__(".pushsection .rodata\n"
        "store_schema_v1_sql:\n"
        ".incbin \"store/schema.sql\"\n"
        ".byte 0\n"
        ".popsection\n");
extern const char store_schema_v1_sql[];

/* steps[i] takes a database from version i to version i + 1. A new version appends a step (its SQL
 * inline or another embedded file) and raises STORE_SCHEMA_VERSION; existing steps never change.
 *
 * Version 2: epochs, final and summary leave the fixed schema; they are generated from the metric
 * table (store/views.c) and installed after the migrations by store_open.
 * Version 3: metrics.split admits val_input and test_input, the degraded input scored against the
 * target (model/metrics.h). SQLite cannot change a CHECK in place: the table is rebuilt (a new
 * one, the rows copied, the old one dropped, the new one renamed), after the generated views that
 * read it are dropped (store_open installs them again). No table refers to metrics, so the foreign
 * keys need no pause.
 * Version 4: file_hashes, the SHA-256 of every file an epoch wrote into the run's folder, checked
 * before a checkpoint is trained on, predicted with or shown (issue 15). Self-contained: a table
 * of its own, nothing else changes.

 * Version 5: run_notes holds the tags and notes people attach to runs (wb tag, wb note), as many
 * as they like, removed with their run. A tag or note given twice is kept once. */
#define DROP_GENERATED_VIEWS                                                                     \
    "DROP VIEW IF EXISTS epochs; DROP VIEW IF EXISTS final; DROP VIEW IF EXISTS summary;\n"

static const store_migration schema_migrations[] = {
    {1, store_schema_v1_sql},
    {2, DROP_GENERATED_VIEWS},
    {3, DROP_GENERATED_VIEWS
        "CREATE TABLE metrics_v3 (\n"
        "    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
        "    epoch   INTEGER NOT NULL CHECK (epoch >= 0),\n"
        "    split   TEXT NOT NULL\n"
        "            CHECK (split IN ('train', 'val', 'test', 'val_input', 'test_input')),\n"
        "    name    TEXT NOT NULL,\n"
        "    value   REAL,\n"
        "    PRIMARY KEY (run_id, epoch, split, name)\n"
        ") WITHOUT ROWID;\n"
        "INSERT INTO metrics_v3 (run_id, epoch, split, name, value)\n"
        "    SELECT run_id, epoch, split, name, value FROM metrics;\n"
        "DROP TABLE metrics;\n"
        "ALTER TABLE metrics_v3 RENAME TO metrics;\n"},
    {4, "CREATE TABLE file_hashes (\n"
        "    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
        "    epoch   INTEGER NOT NULL CHECK (epoch >= 0),\n"
        "    name    TEXT NOT NULL CHECK (name IN ('init.safetensors', 'last.safetensors',\n"
        "                 'last.optim.safetensors', 'best.safetensors', 'preview.npy')),\n"
        "    sha256  TEXT NOT NULL CHECK (length(sha256) = 64),\n"
        "    PRIMARY KEY (run_id, epoch, name)\n"
        ") WITHOUT ROWID;\n"},
    {5, "CREATE TABLE run_notes (\n"
        "    id          INTEGER PRIMARY KEY,\n"
        "    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
        "    kind        TEXT NOT NULL CHECK (kind IN ('tag', 'note')),\n"
        "    text        TEXT NOT NULL CHECK (text <> ''),\n"
        "    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
        "    UNIQUE (run_id, kind, text)\n"
        ");\n"},
    /* Budgets (issue 21): a wsd run of some budget is a branch of a trajectory, the stable
     * phase its budgets share, itself a row of runs (role 'trajectory', in no sweep's grid):
     * trajectory_id names it, fork_epoch is the epoch at whose end the branch's decay starts. A
     * branch keeps its own copy of the trajectory's epochs, so deleting the trajectory leaves it
     * whole. */
    {6, "ALTER TABLE runs ADD COLUMN role TEXT NOT NULL DEFAULT 'run'\n"
        "    CHECK (role IN ('run', 'trajectory'));\n"
        "ALTER TABLE runs ADD COLUMN trajectory_id INTEGER REFERENCES runs (id) ON DELETE SET NULL;\n"
        "ALTER TABLE runs ADD COLUMN fork_epoch INTEGER CHECK (fork_epoch >= 0);\n"
        "CREATE INDEX runs_by_trajectory ON runs (trajectory_id);\n"},
    /* Two-stage designs (issue 21, wb sweep --until-decided): per sweep and configuration, the
     * second stage's seeds, fixed once from the first stage (its pairs and paired sd; NULL for a
     * baseline, which is not tested), and the size Stein's rule asked for. The sweep is its INI
     * file's grid and these runs. */
    {7, "CREATE TABLE stage_plans (\n"
        "    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,\n"
        "    config_id   TEXT NOT NULL CHECK (length(config_id) = 64),\n"
        "    seeds       TEXT NOT NULL CHECK (seeds <> ''),\n"
        "    stage1_n    INTEGER CHECK (stage1_n >= 2),\n"
        "    stage1_sd   REAL CHECK (stage1_sd > 0),\n"
        "    planned_n   INTEGER CHECK (planned_n >= 2),\n"
        "    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
        "    PRIMARY KEY (sweep_id, config_id)\n"
        ") WITHOUT ROWID;\n"},
};

_Static_assert(sizeof schema_migrations / sizeof schema_migrations[0] == STORE_SCHEMA_VERSION,
               "one migration step per schema version");

const store_migration *store_migrations(size_t *nsteps)
{
    *nsteps = sizeof schema_migrations / sizeof schema_migrations[0];
    return schema_migrations;
}

static int read_user_version(sqlite3 *db, int *version, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
}

/* One step in its own IMMEDIATE transaction. The version is read again inside it: another process
 * may have applied the step while this one waited for the lock, and then there is nothing to do. */
static int apply_step(sqlite3 *db, const store_migration *step, int *applied, char *err,
                      size_t errlen)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot start upgrading the schema to version %d: %s", step->version,
                 sqlite3_errmsg(db));
        return -1;
    }
    int version;
    if (read_user_version(db, &version, err, errlen) < 0)
        goto fail;
    if (version >= step->version) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return 0;
    }
    if (version != step->version - 1) {
        snprintf(err, errlen, "schema version %d cannot be upgraded by the step to version %d",
                 version, step->version);
        goto fail;
    }
    char *msg = NULL;
    if (sqlite3_exec(db, step->sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "upgrading the schema to version %d failed: %s", step->version,
                 msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        goto fail;
    }
    /* PRAGMA takes no bound parameters; the number comes from the table above, not from input. */
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", step->version);
    if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot record schema version %d: %s", step->version,
                 sqlite3_errmsg(db));
        goto fail;
    }
    (*applied)++;
    return 0;
fail:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int store_migrate(sqlite3 *db, const store_migration *steps, size_t nsteps, int *applied,
                  char *err, size_t errlen)
{
    int count = 0;
    if (applied)
        *applied = 0;
    int target = nsteps ? steps[nsteps - 1].version : 0;
    int version;
    if (read_user_version(db, &version, err, errlen) < 0)
        return -1;
    if (version > target) {
        snprintf(err, errlen,
                 "the database has schema version %d, newer than this wb understands (%d): "
                 "use a newer wb",
                 version, target);
        return -1;
    }
    for (size_t i = 0; i < nsteps; i++) {
        if (steps[i].version != (int)i + 1) {
            snprintf(err, errlen, "migration step %zu is numbered %d, not %zu", i, steps[i].version,
                     i + 1);
            return -1;
        }
        if (steps[i].version <= version)
            continue;
        if (apply_step(db, &steps[i], &count, err, errlen) < 0)
            return -1;
    }
    if (applied)
        *applied = count;
    return 0;
}

/* ---- views made in code --------------------------------------------------------------------- */

/* Whether the file's view v is defined as this binary defines it: 1 yes, 0 no (or it has none),
 * -1 on error. */
static int view_current(sqlite3 *db, const store_view *v)
{
    /* SQLite keeps the CREATE statement as written, less TEMP and a schema name. */
    char *create = sqlite3_mprintf("CREATE VIEW \"%w\" AS %s", v->name, v->select);
    sqlite3_stmt *st = NULL;
    int rc = create ? sqlite3_prepare_v2(db, "SELECT sql FROM main.sqlite_schema"
                                             " WHERE type = 'view' AND name = ?1", -1, &st, NULL)
                    : SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    const int current = rc == SQLITE_ROW && sqlite3_column_text(st, 0) &&
                        strcmp((const char *)sqlite3_column_text(st, 0), create) == 0;
    sqlite3_finalize(st);
    sqlite3_free(create);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? current : -1;
}

/* (Re)creates view v: in the file, or as a TEMP view of this connection that hides the file's. */
static int create_view(sqlite3 *db, const store_view *v, int temp)
{
    char *sql = sqlite3_mprintf("DROP VIEW IF EXISTS %s.\"%w\"; CREATE %sVIEW \"%w\" AS %s",
                                temp ? "temp" : "main", v->name, temp ? "TEMP " : "", v->name,
                                v->select);
    const int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

int store_install_views(sqlite3 *db, const store_view *views, size_t nviews, int temp, char *err,
                        size_t errlen)
{
    /* Names and SELECTs come from this binary's table, never from input. The first pass only
     * reads, so that a writer whose file is current takes no write lock. */
    int stale = 0;
    for (size_t i = 0; i < nviews; i++) {
        const int current = view_current(db, &views[i]);
        if (current < 0) {
            snprintf(err, errlen, "reading view %s: %s", views[i].name, sqlite3_errmsg(db));
            return -1;
        }
        stale += !current;
    }
    if (stale == 0)
        return 0;
    if (!temp && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "installing views: %s", sqlite3_errmsg(db));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nviews; i++)
        if (view_current(db, &views[i]) != 1 && create_view(db, &views[i], temp) != 0) {
            snprintf(err, errlen, "installing view %s: %s", views[i].name, sqlite3_errmsg(db));
            rc = -1;
        }
    if (!temp && rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "installing views: %s", sqlite3_errmsg(db));
        rc = -1;
    }
    if (!temp && rc != 0 && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
