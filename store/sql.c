/* store/sql.c: the statement helpers every file of the store uses: errors in a person's words,
 * prepared statements with their arguments bound, and runs of them to completion. */
#include "store/internal.h"

#include <stdarg.h>
#include <stdio.h>

/* A failed SQLite call as one line: the database, what was being done, and for the errors a
 * person can act on, what happened in their words rather than SQLite's. */
int db_fail(const store *s, int rc, const char *doing, char *err, size_t errlen)
{
    const char *msg = sqlite3_errmsg(s->db);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fail(err, errlen,
                    "%s: %s: the database is locked by another process (gave up after %g s)",
                    s->path, doing, s->busy_ms / 1000.0);
    case SQLITE_READONLY:
        if (s->mode == STORE_OPEN_READONLY)
            return fail(err, errlen, "%s: %s: the database was opened read-only", s->path, doing);
        return fail(err, errlen,
                    "%s: %s: the database is read-only (no write permission on the file, its "
                    "-wal/-shm files or its folder)",
                    s->path, doing);
    case SQLITE_NOTADB:
        return fail(err, errlen, "%s is not a wb database: the file is not an SQLite database",
                    s->path);
    case SQLITE_CORRUPT:
        return fail(err, errlen, "%s: %s: the database file is corrupt (%s)", s->path, doing, msg);
    case SQLITE_FULL:
        return fail(err, errlen, "%s: %s: the disk is full", s->path, doing);
    case SQLITE_CANTOPEN:
        return fail(err, errlen, "%s: %s: cannot open the database or its -wal/-shm files (%s)",
                    s->path, doing, msg);
    default:
        return fail(err, errlen, "%s: %s: %s", s->path, doing, msg);
    }
}

/* ---- statements --------------------------------------------------------------------------- */

/* Binds the arguments that follow, described one character each by types: 'i' int64_t,
 * 'n' int, 'd' double, 't' const char * (NULL binds NULL). Parameter k is ?k. */
static int bind_args(sqlite3_stmt *st, const char *types, va_list ap)
{
    for (int i = 0; types[i]; i++) {
        int rc;
        switch (types[i]) {
        case 'i':
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
            break;
        case 'n':
            rc = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
            break;
        case 'd':
            rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double));
            break;
        case 't': {
            const char *text = va_arg(ap, const char *);
            rc = text ? sqlite3_bind_text(st, i + 1, text, -1, SQLITE_TRANSIENT)
                      : sqlite3_bind_null(st, i + 1);
            break;
        }
        default:
            rc = SQLITE_MISUSE;
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

int vprepare(store *s, sqlite3_stmt **st, const char *doing, char *err, size_t errlen,
                    const char *sql, const char *types, va_list ap)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc == SQLITE_OK)
        rc = bind_args(*st, types, ap);
    if (rc != SQLITE_OK) {
        db_fail(s, rc, doing, err, errlen);
        sqlite3_finalize(*st);
        *st = NULL;
        return -1;
    }
    return 0;
}

/* Prepares sql with the arguments bound (see bind_args). */
int prepare(store *s, sqlite3_stmt **st, const char *doing, char *err, size_t errlen,
                   const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = vprepare(s, st, doing, err, errlen, sql, types, ap);
    va_end(ap);
    return rc;
}

/* Runs a statement to completion. The first row's first column goes to *first (if not NULL; a
 * NULL reads as 0) and sqlite3_changes() to *changes (if not NULL). 1 if there was a row, 0 if
 * not, -1 on error. */
static int vrun(store *s, int64_t *first, int *changes, const char *doing, char *err,
                size_t errlen, const char *sql, const char *types, va_list ap)
{
    sqlite3_stmt *st;
    if (vprepare(s, &st, doing, err, errlen, sql, types, ap) < 0)
        return -1;
    int rc, rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (rows++ == 0 && first)
            *first = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_DONE)
        rows = db_fail(s, rc, doing, err, errlen);
    else if (changes)
        *changes = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rows < 0 ? -1 : rows > 0;
}

/* Runs a statement for its effect; *changes (may be NULL) receives sqlite3_changes(). */
int exec_sql(store *s, int *changes, const char *doing, char *err, size_t errlen,
                    const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = vrun(s, NULL, changes, doing, err, errlen, sql, types, ap);
    va_end(ap);
    return rc < 0 ? -1 : 0;
}

/* Runs a query for one integer (the first column of the first row): 1 with a row, 0 without, -1
 * on error. */
int query_int64(store *s, int64_t *value, const char *doing, char *err, size_t errlen,
                       const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = vrun(s, value, NULL, doing, err, errlen, sql, types, ap);
    va_end(ap);
    return rc;
}

/* Steps a statement prepared once and reused, then resets it for the next binding. */
int step_reset(store *s, sqlite3_stmt *st, const char *doing, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        db_fail(s, rc, doing, err, errlen);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int step_with(store *s, sqlite3_stmt *st, const char *doing, char *err, size_t errlen,
              const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    const int rc = bind_args(st, types, ap);
    va_end(ap);
    if (rc == SQLITE_OK)
        return step_reset(s, st, doing, err, errlen);
    db_fail(s, rc, doing, err, errlen);
    sqlite3_clear_bindings(st);
    return -1;
}

void copy_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", text ? (const char *)text : "");
}
