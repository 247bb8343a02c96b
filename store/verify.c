/* store/verify.c: whether a database is whole before anything is read from it or written to it.
 *
 * A damaged page does not always make SQLite fail: a b-tree page whose cells are gone reads as an
 * empty page, and a listing then shows fewer runs, or none ("no runs yet", exit 0), with nothing
 * said. Two checks catch that before a command answers: wb's tables and indexes must be defined as
 * this binary's migration steps define them at the file's schema version (a view or another
 * definition under a table's name is not wb's data, and would run whatever SQL it holds), and
 * PRAGMA quick_check (every page and cell, NOT NULL and CHECK constraints; O(size of the file):
 * about 0.5 s for 1,500 runs of 12 epochs) or, for a merge's input, integrity_check (also every
 * index against its table, so UNIQUE holds). */
#include "store/internal.h"

#include <stdio.h>
#include <string.h>

/* How many problems of quick_check or integrity_check are read: enough to say there are more. */
#define PROBLEMS_READ 10

/* A one-line copy of text for a message: control characters as '?', cut at `max` bytes. */
static void one_line(const char *text, char *out, size_t outlen, size_t max)
{
    /* integrity_check starts its report with a line naming the schema: the problem follows. */
    if (text && strncmp(text, "*** in database ", 16) == 0 && strchr(text, '\n'))
        text = strchr(text, '\n') + 1;
    size_t n = 0;
    for (; text && text[n] && n < max && n + 4 < outlen; n++)
        out[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? '?' : text[n];
    snprintf(out + n, outlen - n, "%s", text && text[n] ? "..." : "");
}

/* wb's tables and indexes at `version`, as its migration steps make them in an empty database. */
static int expected_schema(int version, sqlite3 **mem, char *err, size_t errlen)
{
    size_t nsteps;
    const store_migration *steps = store_migrations(&nsteps);
    char why[512];
    *mem = NULL;
    if (version < 0 || (size_t)version > nsteps)
        return fail(err, errlen, "no migration steps for schema version %d", version);
    if (sqlite3_open_v2(":memory:", mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        store_migrate(*mem, steps, (size_t)version, NULL, why, sizeof why) < 0) {
        fail(err, errlen, "building the schema of version %d to compare: %s", version,
             *mem ? sqlite3_errmsg(*mem) : "out of memory");
        sqlite3_close(*mem);
        *mem = NULL;
        return -1;
    }
    return 0;
}

/* Compares the tables and indexes of `schema` ("main" or "merge_src") with wb's at `version`. */
static int check_definitions(store *s, const char *schema, const char *label, int version,
                             char *err, size_t errlen)
{
    sqlite3 *mem;
    if (expected_schema(version, &mem, err, errlen) < 0)
        return -1;
    sqlite3_stmt *want = NULL, *have = NULL;
    char sql[160];
    /* The schema's name comes from the store's own code, never from input. */
    snprintf(sql, sizeof sql,
             "SELECT type, tbl_name, sql FROM %s.sqlite_schema WHERE name = ?1", schema);
    int rc = sqlite3_prepare_v2(mem,
                                "SELECT type, name, tbl_name, sql FROM sqlite_schema"
                                " WHERE type IN ('table', 'index') ORDER BY rowid",
                                -1, &want, NULL);
    int result = 0;
    if (rc != SQLITE_OK || (rc = sqlite3_prepare_v2(s->db, sql, -1, &have, NULL)) != SQLITE_OK)
        result = rc == SQLITE_OK ? -1 : db_fail(s, rc, "reading the schema", err, errlen);
    while (result == 0 && (rc = sqlite3_step(want)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(want, 0);
        const char *name = (const char *)sqlite3_column_text(want, 1);
        const char *table = (const char *)sqlite3_column_text(want, 2);
        const char *def = (const char *)sqlite3_column_text(want, 3);
        sqlite3_reset(have);
        sqlite3_bind_text(have, 1, name, -1, SQLITE_STATIC);
        const int found = sqlite3_step(have);
        if (found != SQLITE_ROW && found != SQLITE_DONE) {
            result = db_fail(s, found, "reading the schema", err, errlen);
            break;
        }
        const char *got_type = found == SQLITE_ROW ? (const char *)sqlite3_column_text(have, 0)
                                                   : NULL;
        const char *got_table = found == SQLITE_ROW ? (const char *)sqlite3_column_text(have, 1)
                                                    : NULL;
        const char *got_def = found == SQLITE_ROW ? (const char *)sqlite3_column_text(have, 2)
                                                  : NULL;
        char shown[80];
        one_line(got_type, shown, sizeof shown, 20);
        if (!got_type)
            fail(err, errlen, "%s is damaged or not wb's: its %s %s is missing", label, type,
                 name);
        else if (strcmp(got_type, type) != 0)
            fail(err, errlen, "%s is damaged or not wb's: %s is a %s, not a %s", label, name,
                 shown, type);
        else if (!got_table || strcmp(got_table, table) != 0 ||
                 (def ? !got_def || strcmp(got_def, def) != 0 : got_def != NULL))
            fail(err, errlen, "%s is damaged or not wb's: its %s %s is not defined as wb "
                 "defines it (schema version %d)", label, type, name, version);
        else
            continue;
        result = STORE_DAMAGED;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = fail(err, errlen, "comparing the schema: %s", sqlite3_errmsg(mem));
    sqlite3_finalize(want);
    sqlite3_finalize(have);
    sqlite3_close(mem);
    return result;
}

int verify_database(store *s, const char *schema, const char *label, int version, int full,
                    char *err, size_t errlen)
{
    const int defined = check_definitions(s, schema, label, version, err, errlen);
    if (defined < 0)
        return defined;
    char sql[64], problem[256] = "";
    snprintf(sql, sizeof sql, "PRAGMA %s.%s(%d)", schema, full ? "integrity_check" : "quick_check",
             PROBLEMS_READ);
    sqlite3_stmt *st;
    int problems = 0, rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = SQLITE_ROW;
    while (rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") == 0)
            continue;
        if (problems++ == 0)
            one_line(line, problem, sizeof problem, 160);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        /* quick_check itself may meet a page it cannot read at all. */
        if ((rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
            return fail(err, errlen, "%s: checking the file: %s", label, sqlite3_errmsg(s->db));
        one_line(sqlite3_errmsg(s->db), problem, sizeof problem, 160);
        problems = problems ? problems : 1;
    }
    if (problems == 0)
        return 0;
    fail(err, errlen, "%s is damaged (%s: %s%s); sqlite3's .recover salvages what is left",
         label, full ? "integrity_check" : "quick_check", problem,
         problems >= PROBLEMS_READ ? " and more" : problems > 1 ? " and others" : "");
    return STORE_DAMAGED;
}
