/* store/schema.c: the embedded schema and the forward migrations that bring a database from the
 * version it has (PRAGMA user_version) to the version this binary writes. */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>

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
 * inline or another embedded file) and raises STORE_SCHEMA_VERSION; existing steps never change. */
static const store_migration schema_migrations[] = {
    {1, store_schema_v1_sql},
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
