/* store/store.c: opening the database, sweeps, runs, claiming, epochs, stale detection and merge.
 *
 * Every value reaches SQL as a bound parameter. The only text assembled into SQL is fixed at
 * compile time: the list of configuration columns below, and the PRAGMA in schema.c.
 * Every write that takes more than one statement runs in one transaction, started with BEGIN
 * IMMEDIATE: taking the write lock up front means a reader never has to upgrade to a writer, which
 * in WAL mode fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting for busy_timeout. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The current time as the schema stores it: ISO-8601 UTC with milliseconds. Within one statement
 * SQLite gives 'now' one value, so a row's times written together agree. */
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

#define PATH_CAP 4096
#define HOST_CAP 256
#define NAME_CAP 256    /* a file name: NAME_MAX + 1 */

struct store {
    sqlite3 *db;
    enum store_open_mode mode;
    int schema_version;
    int tx_depth;               /* transactions open through tx_begin; nested ones are savepoints */
    int busy_ms;                /* busy timeout: STORE_BUSY_TIMEOUT_MS or WB_BUSY_TIMEOUT_MS */
    int open_errcode;           /* the extended code of a failed schema check, for store_open */
    char host[HOST_CAP];        /* gethostname(), for stale detection */
    /* The run this handle claimed last, and the owner it wrote: its heartbeats, epochs and end
     * must find the same owner in the row, or the run was taken from this process. */
    int64_t claim_run_id, claim_pid;
    char claim_host[HOST_CAP];
    char path[PATH_CAP];
    char dir[PATH_CAP];         /* the database's folder; "." when the path names none */
    char name[NAME_CAP];        /* the database's file name: run folders live in "<name>.runs/" */
};

/* ---- errors ------------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                       ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A failed SQLite call as one line: the database, what was being done, and for the errors a
 * person can act on, what happened in their words rather than SQLite's. */
static int db_fail(const store *s, int rc, const char *doing, char *err, size_t errlen)
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

static int vprepare(store *s, sqlite3_stmt **st, const char *doing, char *err, size_t errlen,
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
static int prepare(store *s, sqlite3_stmt **st, const char *doing, char *err, size_t errlen,
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
static int exec_sql(store *s, int *changes, const char *doing, char *err, size_t errlen,
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
static int query_int64(store *s, int64_t *value, const char *doing, char *err, size_t errlen,
                       const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = vrun(s, value, NULL, doing, err, errlen, sql, types, ap);
    va_end(ap);
    return rc;
}

/* Steps a statement prepared once and reused, then resets it for the next binding. */
static int step_reset(store *s, sqlite3_stmt *st, const char *doing, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        db_fail(s, rc, doing, err, errlen);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void copy_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", text ? (const char *)text : "");
}

/* ---- transactions ------------------------------------------------------------------------- */

static int tx_begin(store *s, const char *doing, char *err, size_t errlen)
{
    if (s->tx_depth == 0 && !sqlite3_get_autocommit(s->db))
        return fail(err, errlen, "%s: %s: a transaction opened outside the store is active",
                    s->path, doing);
    const char *sql = s->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT store_tx";
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, doing, err, errlen);
    s->tx_depth++;
    return 0;
}

static void tx_rollback(store *s)
{
    if (s->tx_depth == 0)
        return;
    if (s->tx_depth == 1)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else
        sqlite3_exec(s->db, "ROLLBACK TO store_tx; RELEASE store_tx", NULL, NULL, NULL);
    s->tx_depth--;
    /* Some errors (a full disk, I/O) make SQLite roll the whole transaction back by itself. */
    if (sqlite3_get_autocommit(s->db))
        s->tx_depth = 0;
}

/* On failure the transaction stays open: the caller rolls it back (tx_abort). */
static int tx_commit(store *s, const char *doing, char *err, size_t errlen)
{
    const char *sql = s->tx_depth == 1 ? "COMMIT" : "RELEASE store_tx";
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, doing, err, errlen);
    s->tx_depth--;
    return 0;
}

/* Rolls back and passes the failure on, for `return tx_abort(s);` after an error was written. */
static int tx_abort(store *s)
{
    tx_rollback(s);
    return -1;
}

static int refuse_readonly(const store *s, const char *doing, char *err, size_t errlen)
{
    if (s->mode != STORE_OPEN_READONLY)
        return 0;
    return fail(err, errlen, "%s: %s: the database was opened read-only", s->path, doing);
}

int store_begin(store *s, char *err, size_t errlen)
{
    if (refuse_readonly(s, "starting a transaction", err, errlen) < 0)
        return -1;
    return tx_begin(s, "starting a transaction", err, errlen);
}

int store_commit(store *s, char *err, size_t errlen)
{
    if (s->tx_depth == 0)
        return fail(err, errlen, "%s: committing: no transaction is open", s->path);
    return tx_commit(s, "committing", err, errlen) < 0 ? tx_abort(s) : 0;
}

void store_rollback(store *s)
{
    tx_rollback(s);
}

/* ---- paths -------------------------------------------------------------------------------- */

static void join_path(const char *dir, const char *rel, char *out, size_t outlen)
{
    size_t n = strlen(dir);
    if (rel[0] == '/' || strcmp(dir, ".") == 0)
        snprintf(out, outlen, "%s", rel);
    else
        snprintf(out, outlen, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", rel);
}

/* Splits path into its folder ("." when none) and file name; -1 if the name is empty or does
 * not fit (dir is as large as path's buffer). */
static int split_path(const char *path, char dir[PATH_CAP], char name[NAME_CAP])
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!slash)
        snprintf(dir, PATH_CAP, ".");
    else
        snprintf(dir, PATH_CAP, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (!*base || strlen(base) >= NAME_CAP)
        return -1;
    snprintf(name, NAME_CAP, "%s", base);
    return 0;
}

void store_run_folder_rel(const store *s, const char *config_hash, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.runs/%.12s", s->name, config_hash);
}

void store_run_folder(const store *s, const char *config_hash, char *out, size_t outlen)
{
    char rel[PATH_CAP];
    store_run_folder_rel(s, config_hash, rel, sizeof rel);
    join_path(s->dir, rel, out, outlen);
}

void store_resolve_path(const store *s, const char *stored, char *out, size_t outlen)
{
    join_path(s->dir, stored, out, outlen);
}

/* ---- opening ------------------------------------------------------------------------------ */

sqlite3 *store_handle(store *s)
{
    return s->db;
}

const char *store_path(const store *s)
{
    return s->path;
}

int store_schema_version(store *s)
{
    return s->schema_version;
}

void store_close(store *s)
{
    if (!s)
        return;
    tx_rollback(s);
    sqlite3_close(s->db);
    free(s);
}

/* Checks what stat() can tell before SQLite tries: a missing file or folder, or a folder where the
 * file should be, gets a message that says so instead of "unable to open database file". */
static int check_path(const store *s, enum store_open_mode mode, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(s->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return fail(err, errlen, "%s is a folder, not a database", s->path);
        return 0;
    }
    if (errno != ENOENT)
        return fail(err, errlen, "cannot open %s: %s", s->path, strerror(errno));
    if (mode != STORE_OPEN_CREATE)
        return fail(err, errlen, "no database at %s", s->path);
    if (stat(s->dir, &sb) != 0)
        return fail(err, errlen, "cannot create %s: folder %s: %s", s->path, s->dir,
                    errno == ENOENT ? "does not exist" : strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return fail(err, errlen, "cannot create %s: %s is not a folder", s->path, s->dir);
    if (access(s->dir, W_OK | X_OK) != 0)
        return fail(err, errlen, "cannot create %s: folder %s is not writable", s->path, s->dir);
    return 0;
}

/* The version, and whether the file is a wb database at all: version 0 is only acceptable for an
 * empty database (a new file), never for someone else's tables. */
static int check_schema(store *s, int *version, char *err, size_t errlen)
{
    int64_t v = 0, tables = 0;
    /* One read transaction for both: another process creating the schema may commit between
     * two statements, and its tables would be seen without its version (a new database taken
     * for someone else's when two sweeps start together). */
    if (exec_sql(s, NULL, "reading the schema", err, errlen, "BEGIN", "") < 0)
        return -1;
    if (query_int64(s, &v, "reading the schema version", err, errlen, "PRAGMA user_version", "") <
            0 ||
        query_int64(s, &tables, "reading the schema", err, errlen,
                    "SELECT count(*) FROM sqlite_schema", "") < 0) {
        s->open_errcode = sqlite3_extended_errcode(s->db);   /* before ROLLBACK resets it */
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (v == 0 && tables > 0)
        return fail(err, errlen,
                    "%s is an SQLite database but not a wb database (it has tables and no wb "
                    "schema version)",
                    s->path);
    if (v > STORE_SCHEMA_VERSION)
        return fail(err, errlen,
                    "%s has schema version %lld, newer than this wb understands (%d): use a newer "
                    "wb",
                    s->path, (long long)v, STORE_SCHEMA_VERSION);
    if (s->mode == STORE_OPEN_READONLY && v == 0)
        return fail(err, errlen, "%s is an empty database, not a wb database", s->path);
    if (s->mode == STORE_OPEN_READONLY && v < STORE_SCHEMA_VERSION)
        return fail(err, errlen,
                    "%s has schema version %lld and this wb needs %d: open it once read-write "
                    "(e.g. wb ls) to upgrade it",
                    s->path, (long long)v, STORE_SCHEMA_VERSION);
    *version = (int)v;
    return 0;
}

/* WB_BUSY_TIMEOUT_MS, when it is a whole number of milliseconds from 0 to one day, else the
 * default. Tests shorten the wait; a database on a slow shared file system may want it longer. */
static int busy_timeout_ms(void)
{
    const char *text = getenv("WB_BUSY_TIMEOUT_MS");
    if (text && *text) {
        char *end;
        errno = 0;
        const long v = strtol(text, &end, 10);
        if (!*end && !errno && v >= 0 && v <= 86400000L)
            return (int)v;
    }
    return STORE_BUSY_TIMEOUT_MS;
}

static int configure_connection(store *s, char *err, size_t errlen)
{
    sqlite3_extended_result_codes(s->db, 1);
    s->busy_ms = busy_timeout_ms();
    sqlite3_busy_timeout(s->db, s->busy_ms);
    if (exec_sql(s, NULL, "enabling foreign keys", err, errlen, "PRAGMA foreign_keys = ON", "") < 0)
        return -1;
    return 0;
}

/* WAL lets readers (wb ls, reports) run while workers write; synchronous FULL makes each committed
 * epoch survive a power cut, which a resumed run relies on. Set after the schema check, so that
 * a file that is not ours is refused before anything is written to it. */
static int configure_writer(store *s, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc;
    /* Changing the journal mode needs an exclusive lock, and SQLite answers SQLITE_BUSY at once,
     * without its busy handler: two processes creating one database together (two sweeps
     * started at once) made one fail. Retry for as long as the busy timeout. */
    for (int waited_ms = 0;; waited_ms += 10) {
        if (prepare(s, &st, "switching to WAL", err, errlen, "PRAGMA journal_mode = WAL", "") < 0)
            return -1;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            break;
        sqlite3_finalize(st);
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= s->busy_ms)
            return db_fail(s, rc, "switching to WAL", err, errlen);
        usleep(10000);
    }
    char mode[32];
    copy_column_text(st, 0, mode, sizeof mode);
    sqlite3_finalize(st);
    if (strcmp(mode, "wal") != 0)
        return fail(err, errlen,
                    "%s: cannot use WAL journaling (the journal mode stays '%s'); is it on a "
                    "network file system?",
                    s->path, mode);
    return exec_sql(s, NULL, "setting synchronous", err, errlen, "PRAGMA synchronous = FULL", "");
}

/* A WAL database whose folder this process cannot write, and which has no -shm file, cannot be
 * read the usual way: the readers' shared index cannot be made (SQLITE_READONLY_CANTINIT). A
 * results folder made read-only (an archive, a read-only mount, another user's files) is such a
 * case (SQLite says SQLITE_READONLY_DIRECTORY). Without a -wal file, or with an empty one, the database file holds every committed
 * transaction, and no writer can come along without creating those files in that folder: it is
 * safe to read it as immutable. With a -wal file, its transactions would be missed: refuse. */
static int reopen_immutable(store *s, char *err, size_t errlen)
{
    char wal[PATH_CAP + 8];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
        return fail(err, errlen,
                    "%s: cannot read it: its folder is read-only and it has a -wal file but no "
                    "-shm file (open it once with write access to the folder to checkpoint it)",
                    s->path);
    /* file:<path, with the URI's special characters escaped>?immutable=1 */
    char uri[3 * PATH_CAP + 32];
    size_t n = (size_t)snprintf(uri, sizeof uri, "file:");
    for (const char *c = s->path; *c && n + 4 < sizeof uri; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            n += (size_t)snprintf(uri + n, sizeof uri - n, "%%%02X", (unsigned char)*c);
        else
            uri[n++] = *c;
    }
    snprintf(uri + n, sizeof uri - n, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    const int rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "opening read-only", err, errlen);
    return 0;
}

int store_open(const char *path, enum store_open_mode mode, store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!path || !*path)
        return fail(err, errlen, "no database path given");
    if (strlen(path) >= PATH_CAP)
        return fail(err, errlen, "database path too long (%zu bytes)", strlen(path));
    store *s = calloc(1, sizeof *s);
    if (!s)
        return fail(err, errlen, "out of memory opening %s", path);
    s->mode = mode;
    snprintf(s->path, sizeof s->path, "%s", path);
    if (split_path(path, s->dir, s->name) < 0) {
        free(s);
        return fail(err, errlen, "%s does not end in a usable file name", path);
    }
    if (gethostname(s->host, sizeof s->host - 1) != 0)
        snprintf(s->host, sizeof s->host, "unknown");
    if (check_path(s, mode, err, errlen) < 0) {
        free(s);
        return -1;
    }

    /* URI names are on so that store_merge can attach its input read-only ("file:...?mode=ro");
     * the main path must then not be taken for a URI. */
    char open_path[PATH_CAP + 2];
    snprintf(open_path, sizeof open_path, "%s%s", strncmp(path, "file:", 5) == 0 ? "./" : "",
             path);
    int flags = SQLITE_OPEN_URI;
    if (mode == STORE_OPEN_READONLY)
        flags |= SQLITE_OPEN_READONLY;
    else
        flags |= SQLITE_OPEN_READWRITE | (mode == STORE_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(open_path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        db_fail(s, rc, "opening", err, errlen);
        store_close(s);
        return -1;
    }
    /* SQLite quietly falls back to read-only when the file is not writable; say so now rather
     * than at the first write. */
    if (mode != STORE_OPEN_READONLY && sqlite3_db_readonly(s->db, "main") == 1) {
        fail(err, errlen,
             "%s is read-only (no write permission): open it read-only or use a writable copy",
             path);
        store_close(s);
        return -1;
    }
    int version = 0;
    if (configure_connection(s, err, errlen) < 0 || check_schema(s, &version, err, errlen) < 0) {
        if (mode != STORE_OPEN_READONLY ||
            (s->open_errcode != SQLITE_READONLY_CANTINIT &&
             s->open_errcode != SQLITE_READONLY_DIRECTORY) ||
            reopen_immutable(s, err, errlen) < 0 || configure_connection(s, err, errlen) < 0 ||
            check_schema(s, &version, err, errlen) < 0)
            goto fail;
    }
    if (mode != STORE_OPEN_READONLY) {
        size_t nsteps;
        const store_migration *steps = store_migrations(&nsteps);
        char why[512];
        if (configure_writer(s, err, errlen) < 0)
            goto fail;
        if (store_migrate(s->db, steps, nsteps, NULL, why, sizeof why) < 0) {
            fail(err, errlen, "%s: %s", path, why);
            goto fail;
        }
        int64_t v;
        if (query_int64(s, &v, "reading the schema version", err, errlen, "PRAGMA user_version",
                        "") < 0)
            goto fail;
        version = (int)v;
    }
    s->schema_version = version;
    if (mode != STORE_OPEN_READONLY && store_mark_stale(s, NULL, err, errlen) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

/* ---- stale runs --------------------------------------------------------------------------- */

typedef struct stale_run {
    int64_t id, pid;
    char host[HOST_CAP];
    char heartbeat[64];
    char why[512];
} stale_run;

/* Whether a process of this host is gone. EPERM means it exists under another user. A zombie is
 * gone too: a worker killed with its coordinator waits as one until init reaps it, which in a
 * container may be seconds later or never, and meanwhile its run must be resumable. */
static int process_gone(int64_t pid)
{
    if (pid <= 0 || pid != (pid_t)pid)
        return 0;
    if (kill((pid_t)pid, 0) == -1)
        return errno == ESRCH;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    const size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')', since comm may hold one. */
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Reads the running runs and picks the stale ones, without a write lock: most opens find none,
 * and they should not queue behind the workers' writes for that. */
static int find_stale(store *s, stale_run **found, size_t *nfound, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *found = NULL;
    *nfound = 0;
    if (prepare(s, &st, "looking for stale runs", err, errlen,
                "SELECT id, pid, host, heartbeat_at,"
                " (julianday('now') - julianday(coalesce(heartbeat_at, started_at, created_at)))"
                " * 86400.0"
                " FROM runs WHERE status = 'running' ORDER BY id",
                "") < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        stale_run r = {.id = sqlite3_column_int64(st, 0), .pid = sqlite3_column_int64(st, 1)};
        copy_column_text(st, 2, r.host, sizeof r.host);
        copy_column_text(st, 3, r.heartbeat, sizeof r.heartbeat);
        double age = sqlite3_column_double(st, 4);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL && strcmp(r.host, s->host) == 0 &&
            process_gone(r.pid))
            snprintf(r.why, sizeof r.why, "interrupted: its process %lld on %s is gone",
                     (long long)r.pid, r.host);
        else if (age > STORE_STALE_SECONDS)
            snprintf(r.why, sizeof r.why,
                     "interrupted: no heartbeat for %.0f s (limit %d s) from process %lld on %s",
                     age, STORE_STALE_SECONDS, (long long)r.pid, r.host);
        else
            continue;
        if (*nfound == cap) {
            cap = cap ? 2 * cap : 8;
            stale_run *grown = realloc(*found, cap * sizeof *grown);
            if (!grown) {
                sqlite3_finalize(st);
                free(*found);
                *found = NULL;
                return fail(err, errlen, "out of memory looking for stale runs");
            }
            *found = grown;
        }
        (*found)[(*nfound)++] = r;
    }
    if (rc != SQLITE_DONE) {
        db_fail(s, rc, "looking for stale runs", err, errlen);
        sqlite3_finalize(st);
        free(*found);
        *found = NULL;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

int store_mark_stale(store *s, int *marked, char *err, size_t errlen)
{
    if (marked)
        *marked = 0;
    if (refuse_readonly(s, "marking stale runs", err, errlen) < 0)
        return -1;
    stale_run *found;
    size_t nfound;
    if (find_stale(s, &found, &nfound, err, errlen) < 0)
        return -1;
    if (nfound == 0)
        return 0;
    int count = 0;
    if (tx_begin(s, "marking stale runs", err, errlen) < 0)
        goto fail;
    for (size_t i = 0; i < nfound; i++) {
        /* The owner, heartbeat and status must still be those that were judged: the run may have
         * heartbeated, ended or been claimed again since. */
        int changed;
        if (exec_sql(s, &changed, "marking a stale run interrupted", err, errlen,
                     "UPDATE runs SET status = 'interrupted', error = ?2, finished_at = " NOW_SQL
                     " WHERE id = ?1 AND status = 'running' AND pid IS ?3 AND host IS ?4"
                     " AND heartbeat_at IS ?5",
                     "ititt", found[i].id, found[i].why, found[i].pid, found[i].host,
                     found[i].heartbeat[0] ? found[i].heartbeat : NULL) < 0) {
            tx_rollback(s);
            goto fail;
        }
        count += changed;
    }
    if (tx_commit(s, "marking stale runs", err, errlen) < 0) {
        tx_rollback(s);
        goto fail;
    }
    free(found);
    if (marked)
        *marked = count;
    return 0;
fail:
    free(found);
    return -1;
}

/* ---- sweeps ------------------------------------------------------------------------------- */

int store_upsert_sweep(store *s, const store_sweep_info *info, int64_t *sweep_id, char *err,
                       size_t errlen)
{
    if (refuse_readonly(s, "recording a sweep", err, errlen) < 0)
        return -1;
    if (!info->name || !*info->name)
        return fail(err, errlen, "%s: recording a sweep: the sweep has no name", s->path);
    int found = query_int64(
        s, sweep_id, "recording a sweep", err, errlen,
        "INSERT INTO sweeps (name, ini_text, ini_path, axes, host, wb_version, git_commit,"
        " git_dirty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (name) DO UPDATE SET ini_text = excluded.ini_text,"
        " ini_path = excluded.ini_path, axes = excluded.axes, host = excluded.host,"
        " wb_version = excluded.wb_version, git_commit = excluded.git_commit,"
        " git_dirty = excluded.git_dirty, updated_at = " NOW_SQL " RETURNING id",
        "tttttttn", info->name, info->ini_text, info->ini_path, info->axes,
        info->host ? info->host : s->host, info->wb_version, info->git_commit,
        info->git_dirty ? 1 : 0);
    if (found == 0)
        return fail(err, errlen, "%s: recording sweep '%s': no id returned", s->path, info->name);
    return found < 0 ? -1 : 0;
}

int store_find_sweep(store *s, const char *name, int64_t *sweep_id, char *err, size_t errlen)
{
    int found = query_int64(s, sweep_id, "finding a sweep", err, errlen,
                            "SELECT id FROM sweeps WHERE name = ?1", "t", name);
    if (found == 0)
        return fail(err, errlen, "%s: no sweep named '%s'", s->path, name);
    return found < 0 ? -1 : 0;
}

int store_latest_sweep(store *s, int64_t *sweep_id, char *name, size_t namelen, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, "finding the latest sweep", err, errlen,
                "SELECT id, name FROM sweeps ORDER BY updated_at DESC, id DESC LIMIT 1", "") < 0)
        return -1;
    int rc = sqlite3_step(st), result = 0;
    if (rc == SQLITE_ROW) {
        *sweep_id = sqlite3_column_int64(st, 0);
        const char *text = (const char *)sqlite3_column_text(st, 1);
        if ((size_t)snprintf(name, namelen, "%s", text ? text : "") >= namelen)
            result = fail(err, errlen, "%s: the latest sweep's name is too long (%zu bytes)",
                          s->path, strlen(text));
    } else if (rc == SQLITE_DONE) {
        result = fail(err, errlen, "%s: no sweep yet", s->path);
    } else {
        result = db_fail(s, rc, "finding the latest sweep", err, errlen);
    }
    sqlite3_finalize(st);
    return result;
}

int store_unlink_sweep_runs(store *s, int64_t sweep_id, char *err, size_t errlen)
{
    if (refuse_readonly(s, "unlinking a sweep's runs", err, errlen) < 0)
        return -1;
    return exec_sql(s, NULL, "unlinking a sweep's runs", err, errlen,
                    "DELETE FROM sweep_runs WHERE sweep_id = ?1", "i", sweep_id);
}

/* ---- runs --------------------------------------------------------------------------------- */

enum column_type { COLUMN_TEXT, COLUMN_INTEGER, COLUMN_REAL, COLUMN_BOOLEAN };

/* Every configuration key that has a typed column in runs (schema.sql), the column being the key
 * without its section. One list serves the INSERT of store_add_run, the conversion of values and
 * the column list of store_merge; a column missing from the schema fails the INSERT's prepare. */
#define CONFIG_COLUMNS(X)                                                                        \
    X("data.source", source, COLUMN_TEXT)                                                        \
    X("data.task", task, COLUMN_TEXT)                                                            \
    X("data.patch", patch, COLUMN_INTEGER)                                                       \
    X("data.train_patches", train_patches, COLUMN_INTEGER)                                       \
    X("data.val_patches", val_patches, COLUMN_INTEGER)                                           \
    X("data.test_patches", test_patches, COLUMN_INTEGER)                                         \
    X("data.seed", data_seed, COLUMN_INTEGER)                                                    \
    X("data.min_std", min_std, COLUMN_REAL)                                                      \
    X("data.noise_sigma", noise_sigma, COLUMN_REAL)                                              \
    X("data.fresh_noise", fresh_noise, COLUMN_BOOLEAN)                                           \
    X("data.clip", clip, COLUMN_BOOLEAN)                                                         \
    X("data.blur_sigma", blur_sigma, COLUMN_REAL)                                                \
    X("data.sr_upsample", sr_upsample, COLUMN_TEXT)                                              \
    X("model.depth", depth, COLUMN_INTEGER)                                                      \
    X("model.base_channels", base_channels, COLUMN_INTEGER)                                      \
    X("model.residual", residual, COLUMN_BOOLEAN)                                                \
    X("train.epochs", epochs, COLUMN_INTEGER)                                                    \
    X("train.batch_size", batch_size, COLUMN_INTEGER)                                            \
    X("train.optimizer", optimizer, COLUMN_TEXT)                                                 \
    X("train.lr", lr, COLUMN_REAL)                                                               \
    X("train.momentum", momentum, COLUMN_REAL)                                                   \
    X("loss.pixel", pixel, COLUMN_TEXT)                                                          \
    X("loss.laplacian_weight", laplacian_weight, COLUMN_REAL)                                    \
    X("loss.kernel", kernel, COLUMN_TEXT)                                                        \
    X("loss.border", border, COLUMN_TEXT)                                                        \
    X("loss.kernel_norm", kernel_norm, COLUMN_TEXT)

#define COLUMN_NAME(key, column, type) ", " #column
#define COLUMN_PARAMETER(key, column, type) ", :" #column
#define COLUMN_ENTRY(key, column, type) {key, ":" #column, type},

typedef struct config_column {
    const char *key;            /* "loss.laplacian_weight" */
    const char *parameter;      /* ":laplacian_weight", its parameter in add_run_sql */
    enum column_type type;
} config_column;

static const config_column config_columns[] = {CONFIG_COLUMNS(COLUMN_ENTRY)};

static const char add_run_sql[] =
    "INSERT INTO runs (sweep_id, config_hash, config_id, config_json, seed, folder, data_source,"
    " train_n, val_n, test_n" CONFIG_COLUMNS(COLUMN_NAME) ")"
    " VALUES (:sweep_id, :config_hash, :config_id, :config_json, :seed, :folder, :data_source,"
    " :train_n, :val_n, :test_n" CONFIG_COLUMNS(COLUMN_PARAMETER) ")";

/* The columns of runs that a merge copies as they are (id, sweep_id and folder are mapped). */
#define RUN_COPY_COLUMNS                                                                         \
    "config_hash, config_id, config_json, status, created_at, started_at, finished_at,"          \
    " heartbeat_at, pid, host, threads, gemm_library, compiler, wb_version, error, epochs_done," \
    " param_count, data_source, train_n, val_n, test_n, seed" CONFIG_COLUMNS(COLUMN_NAME)

static const char *const status_names[] = {
    [STORE_QUEUED] = "queued",     [STORE_RUNNING] = "running",   [STORE_FINISHED] = "finished",
    [STORE_FAILED] = "failed",     [STORE_DIVERGED] = "diverged", [STORE_INTERRUPTED] = "interrupted",
};

const char *store_status_name(enum store_status st)
{
    if ((unsigned)st >= sizeof status_names / sizeof status_names[0])
        return "unknown";
    return status_names[st];
}

int store_status_parse(const char *name, enum store_status *st)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (name && strcmp(name, status_names[i]) == 0) {
            *st = (enum store_status)i;
            return 0;
        }
    return -1;
}

static int is_hash(const char *text)
{
    if (!text || strlen(text) != 64)
        return 0;
    for (const char *c = text; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

/* Binds one configuration value to its typed column, converting it as the column's type says. */
static int bind_config_value(store *s, sqlite3_stmt *st, const config_column *col,
                             const char *value, const char *hash, char *err, size_t errlen)
{
    int index = sqlite3_bind_parameter_index(st, col->parameter), rc;
    char *end;
    if (!value)
        return sqlite3_bind_null(st, index) == SQLITE_OK ? 0 : -1;
    switch (col->type) {
    case COLUMN_TEXT:
        rc = sqlite3_bind_text(st, index, value, -1, SQLITE_TRANSIENT);
        break;
    case COLUMN_BOOLEAN:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            return fail(err, errlen, "%s: run %.12s: %s = '%s' is not true or false", s->path,
                        hash, col->key, value);
        rc = sqlite3_bind_int(st, index, strcmp(value, "true") == 0);
        break;
    case COLUMN_INTEGER: {
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (errno || end == value || *end)
            return fail(err, errlen, "%s: run %.12s: %s = '%s' is not an integer", s->path, hash,
                        col->key, value);
        rc = sqlite3_bind_int64(st, index, n);
        break;
    }
    default: {
        errno = 0;
        double x = strtod(value, &end);
        if (errno == ERANGE || end == value || *end)
            return fail(err, errlen, "%s: run %.12s: %s = '%s' is not a number", s->path, hash,
                        col->key, value);
        rc = sqlite3_bind_double(st, index, x);
    }
    }
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, "adding a run", err, errlen);
}

static const config_column *find_config_column(const char *key)
{
    for (size_t i = 0; i < sizeof config_columns / sizeof config_columns[0]; i++)
        if (strcmp(config_columns[i].key, key) == 0)
            return &config_columns[i];
    return NULL;
}

/* Binds a named parameter; NULL text, or an integer that is not known, stays NULL. */
static int bind_named_text(sqlite3_stmt *st, const char *name, const char *value)
{
    if (!value)
        return SQLITE_OK;
    return sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), value, -1,
                             SQLITE_TRANSIENT);
}

static int bind_named_int64(sqlite3_stmt *st, const char *name, int64_t value, int known)
{
    return known ? sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), value)
                 : SQLITE_OK;
}

static int insert_run_row(store *s, int64_t sweep_id, const store_run_spec *spec,
                          int64_t *run_id, char *err, size_t errlen)
{
    char folder[PATH_CAP];
    store_run_folder_rel(s, spec->config_hash, folder, sizeof folder);
    sqlite3_stmt *st;
    if (prepare(s, &st, "adding a run", err, errlen, add_run_sql, "") < 0)
        return -1;
    /* Named parameters, because the configuration columns follow in a list built at compile
     * time; each is bound by the name its column has. Split sizes of 0 are unknown: NULL. */
    if (bind_named_int64(st, ":sweep_id", sweep_id, 1) ||
        bind_named_text(st, ":config_hash", spec->config_hash) ||
        bind_named_text(st, ":config_id", spec->config_id) ||
        bind_named_text(st, ":config_json", spec->config_json) ||
        bind_named_int64(st, ":seed", spec->seed, 1) || bind_named_text(st, ":folder", folder) ||
        bind_named_text(st, ":data_source", spec->data_source) ||
        bind_named_int64(st, ":train_n", spec->train_n, spec->train_n > 0) ||
        bind_named_int64(st, ":val_n", spec->val_n, spec->val_n > 0) ||
        bind_named_int64(st, ":test_n", spec->test_n, spec->test_n > 0)) {
        db_fail(s, sqlite3_errcode(s->db), "adding a run", err, errlen);
        sqlite3_finalize(st);
        return -1;
    }
    for (size_t i = 0; i < spec->nparams; i++) {
        const config_column *col = find_config_column(spec->params[i].key);
        if (col && bind_config_value(s, st, col, spec->params[i].value, spec->config_hash, err,
                                     errlen) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    if (step_reset(s, st, "adding a run", err, errlen) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int insert_params(store *s, int64_t run_id, const store_run_spec *spec, char *err,
                         size_t errlen)
{
    const char *doing = "adding a run's params";
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "INSERT INTO params (run_id, key, value) VALUES (?1, ?2, ?3)", "") < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spec->nparams; i++) {
        const store_param *p = &spec->params[i];
        if (!p->key) {
            rc = fail(err, errlen, "%s: %s: param %zu has no key", s->path, doing, i);
            break;
        }
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, p->key, -1, SQLITE_TRANSIENT);
        if (p->value)
            sqlite3_bind_text(st, 3, p->value, -1, SQLITE_TRANSIENT);
        rc = step_reset(s, st, doing, err, errlen);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Links a run to a sweep at grid_index. Linking it again at the same index changes nothing; the
 * same run at two indexes means the grid repeats a configuration. */
static int link_run(store *s, int64_t sweep_id, int64_t run_id, const char *hash, int grid_index,
                    char *err, size_t errlen)
{
    int64_t taken;
    int found = query_int64(s, &taken, "linking a run to its sweep", err, errlen,
                            "SELECT run_id FROM sweep_runs WHERE sweep_id = ?1 AND grid_index = ?2",
                            "in", sweep_id, grid_index);
    if (found < 0)
        return -1;
    if (found && taken == run_id)
        return 0;
    if (found)
        return fail(err, errlen,
                    "%s: grid index %d of sweep %lld already holds run %lld (unlink the sweep's "
                    "runs before adding a new grid)",
                    s->path, grid_index, (long long)sweep_id, (long long)taken);
    int64_t index;
    found = query_int64(s, &index, "linking a run to its sweep", err, errlen,
                        "SELECT grid_index FROM sweep_runs WHERE sweep_id = ?1 AND run_id = ?2",
                        "ii", sweep_id, run_id);
    if (found < 0)
        return -1;
    if (found)
        return fail(err, errlen,
                    "%s: run %.12s is already at grid index %lld of sweep %lld, not %d: the grid "
                    "repeats a configuration",
                    s->path, hash, (long long)index, (long long)sweep_id, grid_index);
    return exec_sql(s, NULL, "linking a run to its sweep", err, errlen,
                    "INSERT INTO sweep_runs (sweep_id, run_id, grid_index) VALUES (?1, ?2, ?3)",
                    "iin", sweep_id, run_id, grid_index);
}

int store_add_run(store *s, int64_t sweep_id, const store_run_spec *spec, int64_t *run_id,
                  int *created, char *err, size_t errlen)
{
    const char *doing = "adding a run";
    if (created)
        *created = 0;
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (!is_hash(spec->config_hash) || !is_hash(spec->config_id))
        return fail(err, errlen, "%s: %s: config_hash and config_id must be 64 lowercase hex",
                    s->path, doing);
    if (spec->grid_index < 0)
        return fail(err, errlen, "%s: %s: negative grid index %d", s->path, doing,
                    spec->grid_index);
    if (tx_begin(s, doing, err, errlen) < 0)
        return -1;
    int64_t id;
    int found = query_int64(s, &id, doing, err, errlen, "SELECT id FROM sweeps WHERE id = ?1",
                            "i", sweep_id);
    if (found == 0)
        fail(err, errlen, "%s: %s: no sweep %lld", s->path, doing, (long long)sweep_id);
    if (found <= 0)
        return tx_abort(s);
    found = query_int64(s, &id, doing, err, errlen, "SELECT id FROM runs WHERE config_hash = ?1",
                        "t", spec->config_hash);
    if (found < 0)
        return tx_abort(s);
    if (!found && (insert_run_row(s, sweep_id, spec, &id, err, errlen) < 0 ||
                   insert_params(s, id, spec, err, errlen) < 0))
        return tx_abort(s);
    if (link_run(s, sweep_id, id, spec->config_hash, spec->grid_index, err, errlen) < 0 ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    *run_id = id;
    if (created)
        *created = !found;
    return 0;
}

int store_set_run_model(store *s, int64_t run_id, int64_t param_count, char *err, size_t errlen)
{
    const char *doing = "recording the parameter count";
    int changed;
    if (refuse_readonly(s, doing, err, errlen) < 0 ||
        exec_sql(s, &changed, doing, err, errlen,
                 "UPDATE runs SET param_count = ?2 WHERE id = ?1", "ii", run_id, param_count) < 0)
        return -1;
    if (!changed)
        return fail(err, errlen, "%s: %s: no run %lld", s->path, doing, (long long)run_id);
    return 0;
}

/* ---- claiming and owning ------------------------------------------------------------------ */

static const char claim_sql[] =
    "UPDATE runs SET status = 'running', pid = ?2, host = ?3, threads = coalesce(threads,"
    " nullif(?4, 0)), gemm_library = ?5, compiler = ?6, wb_version = ?7,"
    " started_at = coalesce(started_at, " NOW_SQL "), heartbeat_at = " NOW_SQL ","
    " finished_at = NULL, error = NULL"
    " WHERE id = ?1 AND status IN ('queued', 'interrupted')";

/* The claim itself: owned only if this UPDATE changed the row, which SQLite's write lock makes
 * true for exactly one of any number of processes trying at once. */
static int try_claim(store *s, int64_t run_id, const store_claim_info *ci, int *claimed,
                     char *err, size_t errlen)
{
    const char *host = ci->host ? ci->host : s->host;
    if (exec_sql(s, claimed, "claiming a run", err, errlen, claim_sql, "iitnttt", run_id, ci->pid,
                 host, ci->threads, ci->gemm_library, ci->compiler, ci->wb_version) < 0)
        return -1;
    if (*claimed) {
        s->claim_run_id = run_id;
        s->claim_pid = ci->pid;
        snprintf(s->claim_host, sizeof s->claim_host, "%s", host);
    }
    return 0;
}

int store_claim_run(store *s, int64_t run_id, const store_claim_info *ci, int *claimed, char *err,
                    size_t errlen)
{
    *claimed = 0;
    if (refuse_readonly(s, "claiming a run", err, errlen) < 0 ||
        try_claim(s, run_id, ci, claimed, err, errlen) < 0)
        return -1;
    if (*claimed)
        return 0;
    int64_t exists;
    int found = query_int64(s, &exists, "claiming a run", err, errlen,
                            "SELECT id FROM runs WHERE id = ?1", "i", run_id);
    if (found == 0)
        return fail(err, errlen, "%s: claiming a run: no run %lld", s->path, (long long)run_id);
    return found < 0 ? -1 : 0;
}

int store_claim_next(store *s, int64_t sweep_id, int shard_k, int shard_n,
                     const store_claim_info *ci, int64_t *run_id, char *err, size_t errlen)
{
    *run_id = 0;
    if (refuse_readonly(s, "claiming a run", err, errlen) < 0)
        return -1;
    if (shard_n < 0 || (shard_n > 0 && (shard_k < 0 || shard_k >= shard_n)))
        return fail(err, errlen, "%s: claiming a run: bad shard %d/%d", s->path, shard_k, shard_n);
    /* Each pass reads the first claimable run and tries it. A failed try means another worker
     * took that run in between, so the next pass sees a shorter list: the loop ends. */
    for (;;) {
        int64_t candidate;
        int found = query_int64(
            s, &candidate, "claiming a run", err, errlen,
            "SELECT sr.run_id FROM sweep_runs sr JOIN runs r ON r.id = sr.run_id"
            " WHERE sr.sweep_id = ?1 AND r.status IN ('queued', 'interrupted')"
            " AND (?3 = 0 OR sr.grid_index % ?3 = ?2)"
            " ORDER BY sr.grid_index LIMIT 1",
            "inn", sweep_id, shard_k, shard_n);
        if (found <= 0)
            return found;
        int claimed;
        if (try_claim(s, candidate, ci, &claimed, err, errlen) < 0)
            return -1;
        if (claimed) {
            *run_id = candidate;
            return 0;
        }
    }
}

/* The owner guard of heartbeats, epochs and ends: ?2 and ?3 are this handle's claim, or NULL when
 * this handle did not claim the run (then any process may write while it is running). */
#define OWNER_GUARD " AND status = 'running' AND (?2 IS NULL OR (pid = ?2 AND host = ?3))"

/* Binds ?1 and the owner guard for run_id, after the statement was prepared. */
static void bind_owner(const store *s, sqlite3_stmt *st, int64_t run_id)
{
    sqlite3_bind_int64(st, 1, run_id);
    if (s->claim_run_id == run_id) {
        sqlite3_bind_int64(st, 2, s->claim_pid);
        sqlite3_bind_text(st, 3, s->claim_host, -1, SQLITE_TRANSIENT);
    }
}

/* Says why an owner-guarded write changed nothing. */
static int explain_not_owner(store *s, int64_t run_id, const char *doing, char *err,
                             size_t errlen)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT status, pid, host FROM runs WHERE id = ?1", "i", run_id) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        fail(err, errlen, "%s: %s: no run %lld", s->path, doing, (long long)run_id);
    } else if (rc != SQLITE_ROW) {
        db_fail(s, rc, doing, err, errlen);
    } else {
        char status[32], host[HOST_CAP];
        copy_column_text(st, 0, status, sizeof status);
        copy_column_text(st, 2, host, sizeof host);
        if (strcmp(status, "running") != 0)
            fail(err, errlen, "%s: %s: run %lld is %s, not running (marked stale or ended?)",
                 s->path, doing, (long long)run_id, status);
        else
            fail(err, errlen,
                 "%s: %s: run %lld is now owned by process %lld on %s (it was marked stale and "
                 "claimed again): this process must stop it",
                 s->path, doing, (long long)run_id, (long long)sqlite3_column_int64(st, 1), host);
    }
    sqlite3_finalize(st);
    return -1;
}

/* Runs an owner-guarded UPDATE whose ?1 is the run, ?2 ?3 the guard and ?4 (if any) an integer. */
static int owned_update(store *s, int64_t run_id, const char *sql, int has_arg, int64_t arg,
                        const char *doing, int *changed, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen, sql, "") < 0)
        return -1;
    bind_owner(s, st, run_id);
    if (has_arg)
        sqlite3_bind_int64(st, 4, arg);
    int rc = step_reset(s, st, doing, err, errlen);
    sqlite3_finalize(st);
    if (rc < 0)
        return -1;
    *changed = sqlite3_changes(s->db);
    return 0;
}

int store_heartbeat(store *s, int64_t run_id, char *err, size_t errlen)
{
    const char *doing = "heartbeat";
    int changed;
    if (refuse_readonly(s, doing, err, errlen) < 0 ||
        owned_update(s, run_id, "UPDATE runs SET heartbeat_at = " NOW_SQL " WHERE id = ?1"
                     OWNER_GUARD, 0, 0, doing, &changed, err, errlen) < 0)
        return -1;
    return changed ? 0 : explain_not_owner(s, run_id, doing, err, errlen);
}

static int insert_checkpoints(store *s, int64_t run_id, const store_checkpoint *ck, size_t nck,
                              char *err, size_t errlen)
{
    const char *doing = "recording a checkpoint";
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "INSERT INTO checkpoints (run_id, kind, epoch, path) VALUES (?1, ?2, ?3, ?4)"
                " ON CONFLICT (run_id, kind) DO UPDATE SET epoch = excluded.epoch,"
                " path = excluded.path",
                "") < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nck; i++) {
        if (!ck[i].kind || !ck[i].path) {
            rc = fail(err, errlen, "%s: %s: checkpoint %zu has no kind or path", s->path, doing, i);
            break;
        }
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, ck[i].kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, ck[i].epoch);
        sqlite3_bind_text(st, 4, ck[i].path, -1, SQLITE_TRANSIENT);
        rc = step_reset(s, st, doing, err, errlen);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Metric rows are only inserted: a second value for the same (run, epoch, split, name) is a bug
 * in the caller, or a resumed run logging an epoch again, and must not overwrite the first. */
static int insert_metrics(store *s, int64_t run_id, int epoch, const store_metric *m, size_t nm,
                          char *err, size_t errlen)
{
    const char *doing = "logging an epoch";
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "INSERT INTO metrics (run_id, epoch, split, name, value) VALUES (?1, ?2, ?3, ?4, ?5)",
                "") < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nm; i++) {
        if (!m[i].split || !m[i].name) {
            rc = fail(err, errlen, "%s: %s: metric %zu has no split or name", s->path, doing, i);
            break;
        }
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, epoch);
        sqlite3_bind_text(st, 3, m[i].split, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, m[i].name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 5, m[i].value); /* NaN binds as NULL */
        int step = sqlite3_step(st);
        if (step == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = fail(err, errlen,
                      "%s: %s: run %lld epoch %d has %s.%s twice: metric rows are never replaced",
                      s->path, doing, (long long)run_id, epoch, m[i].split, m[i].name);
        else if (step != SQLITE_DONE)
            rc = db_fail(s, step, doing, err, errlen);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int store_log_epoch(store *s, int64_t run_id, int epoch, const store_metric *m, size_t nm,
                    const store_checkpoint *ck, size_t nck, char *err, size_t errlen)
{
    const char *doing = "logging an epoch";
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (epoch < 0)
        return fail(err, errlen, "%s: %s: negative epoch %d", s->path, doing, epoch);
    if (tx_begin(s, doing, err, errlen) < 0)
        return -1;
    int changed;
    if (owned_update(s, run_id,
                     "UPDATE runs SET epochs_done = ?4, heartbeat_at = " NOW_SQL
                     " WHERE id = ?1" OWNER_GUARD " AND epochs_done = ?4 - 1",
                     1, epoch, doing, &changed, err, errlen) < 0)
        return tx_abort(s);
    if (!changed) {
        /* Not owned (or no such run), or owned with the epoch out of order: say which. */
        sqlite3_stmt *st;
        if (prepare(s, &st, doing, err, errlen,
                    "SELECT epochs_done FROM runs WHERE id = ?1" OWNER_GUARD, "") < 0)
            return tx_abort(s);
        bind_owner(s, st, run_id);
        int rc = sqlite3_step(st);
        int64_t done = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW)
            fail(err, errlen,
                 "%s: %s: run %lld has logged epochs up to %lld, so the next is %lld, not %d (a "
                 "resumed run logs only the epochs after epochs_done)",
                 s->path, doing, (long long)run_id, (long long)done, (long long)done + 1, epoch);
        else
            explain_not_owner(s, run_id, doing, err, errlen);
        return tx_abort(s);
    }
    if (insert_checkpoints(s, run_id, ck, nck, err, errlen) < 0 ||
        insert_metrics(s, run_id, epoch, m, nm, err, errlen) < 0 ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

int store_finish_run(store *s, int64_t run_id, enum store_status st, const char *error, char *err,
                     size_t errlen)
{
    const char *doing = "ending a run";
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (st != STORE_FINISHED && st != STORE_FAILED && st != STORE_DIVERGED &&
        st != STORE_INTERRUPTED)
        return fail(err, errlen, "%s: %s: %s is not an end status", s->path, doing,
                    store_status_name(st));
    sqlite3_stmt *stmt;
    if (prepare(s, &stmt, doing, err, errlen,
                "UPDATE runs SET status = ?4, error = ?5, finished_at = " NOW_SQL
                " WHERE id = ?1" OWNER_GUARD,
                "") < 0)
        return -1;
    bind_owner(s, stmt, run_id);
    sqlite3_bind_text(stmt, 4, store_status_name(st), -1, SQLITE_STATIC);
    if (error)
        sqlite3_bind_text(stmt, 5, error, -1, SQLITE_TRANSIENT);
    int rc = step_reset(s, stmt, doing, err, errlen);
    sqlite3_finalize(stmt);
    if (rc < 0)
        return -1;
    if (!sqlite3_changes(s->db))
        return explain_not_owner(s, run_id, doing, err, errlen);
    if (s->claim_run_id == run_id)
        s->claim_run_id = 0;
    return 0;
}

int store_reset_run(store *s, int64_t run_id, char *err, size_t errlen)
{
    const char *doing = "resetting a run";
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    /* A running run whose owner is gone is reset like any other: mark such runs first. */
    if (store_mark_stale(s, NULL, err, errlen) < 0 || tx_begin(s, doing, err, errlen) < 0)
        return -1;
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen, "SELECT status, pid, host FROM runs WHERE id = ?1",
                "i", run_id) < 0)
        return tx_abort(s);
    int rc = sqlite3_step(st), refused = 0;
    if (rc == SQLITE_DONE) {
        refused = fail(err, errlen, "%s: %s: no run %lld", s->path, doing, (long long)run_id);
    } else if (rc != SQLITE_ROW) {
        refused = db_fail(s, rc, doing, err, errlen);
    } else if (strcmp((const char *)sqlite3_column_text(st, 0), "running") == 0) {
        char host[HOST_CAP];
        copy_column_text(st, 2, host, sizeof host);
        refused = fail(err, errlen,
                       "%s: %s: run %lld is running (process %lld on %s); stop it first",
                       s->path, doing, (long long)run_id, (long long)sqlite3_column_int64(st, 1),
                       host);
    }
    sqlite3_finalize(st);
    if (refused < 0)
        return tx_abort(s);
    if (exec_sql(s, NULL, doing, err, errlen, "DELETE FROM metrics WHERE run_id = ?1", "i",
                 run_id) < 0 ||
        exec_sql(s, NULL, doing, err, errlen, "DELETE FROM checkpoints WHERE run_id = ?1", "i",
                 run_id) < 0 ||
        exec_sql(s, NULL, doing, err, errlen,
                 "UPDATE runs SET status = 'queued', epochs_done = -1, started_at = NULL,"
                 " finished_at = NULL, heartbeat_at = NULL, pid = NULL, host = NULL,"
                 " threads = NULL, gemm_library = NULL, compiler = NULL, wb_version = NULL,"
                 " error = NULL, param_count = NULL WHERE id = ?1",
                 "i", run_id) < 0 ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

/* ---- reading runs ------------------------------------------------------------------------- */

int store_get_run(store *s, int64_t run_id, store_run_info *info, char *err, size_t errlen)
{
    const char *doing = "reading a run";
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT r.id, r.sweep_id, r.config_hash, r.config_id, r.seed, r.status,"
                " r.epochs_done, r.threads, r.folder, r.error,"
                " (SELECT grid_index FROM sweep_runs WHERE sweep_id = r.sweep_id"
                "  AND run_id = r.id),"
                " b.epoch, b.value"
                " FROM runs r LEFT JOIN (SELECT epoch, value FROM metrics WHERE run_id = ?1"
                "  AND split = 'val' AND name = 'psnr' AND value IS NOT NULL"
                "  ORDER BY value DESC, epoch ASC LIMIT 1) b ON 1"
                " WHERE r.id = ?1",
                "i", run_id) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            fail(err, errlen, "%s: no run %lld", s->path, (long long)run_id);
        else
            db_fail(s, rc, doing, err, errlen);
        sqlite3_finalize(st);
        return -1;
    }
    memset(info, 0, sizeof *info);
    info->id = sqlite3_column_int64(st, 0);
    info->sweep_id = sqlite3_column_int64(st, 1);
    copy_column_text(st, 2, info->config_hash, sizeof info->config_hash);
    copy_column_text(st, 3, info->config_id, sizeof info->config_id);
    info->seed = sqlite3_column_int64(st, 4);
    store_status_parse((const char *)sqlite3_column_text(st, 5), &info->status);
    info->epochs_done = sqlite3_column_int(st, 6);
    info->threads = sqlite3_column_int(st, 7);
    char folder[PATH_CAP];
    copy_column_text(st, 8, folder, sizeof folder);
    store_resolve_path(s, folder, info->folder, sizeof info->folder);
    copy_column_text(st, 9, info->error, sizeof info->error);
    info->grid_index = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
    info->best_epoch = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 11);
    info->best_val_psnr = sqlite3_column_double(st, 12);
    sqlite3_finalize(st);
    return 0;
}

int store_lookup_run(store *s, const char *id_or_prefix, int64_t *run_id, char *err,
                     size_t errlen)
{
    const char *doing = "finding a run";
    size_t n = strlen(id_or_prefix), digits = strspn(id_or_prefix, "0123456789");
    size_t hex = strspn(id_or_prefix, "0123456789abcdefABCDEF");
    if (n == 0 || hex != n || n > 64)
        return fail(err, errlen, "%s: '%s' is neither a run id nor a prefix of a config hash",
                    s->path, id_or_prefix);
    /* All digits: an id when such a run exists, else a hash prefix (hashes have digits too). */
    if (digits == n && n <= 18) {
        int found = query_int64(s, run_id, doing, err, errlen, "SELECT id FROM runs WHERE id = ?1",
                                "i", (int64_t)strtoll(id_or_prefix, NULL, 10));
        if (found != 0)
            return found < 0 ? -1 : 0;
    }
    char prefix[65];
    for (size_t i = 0; i <= n; i++)
        prefix[i] = (char)(id_or_prefix[i] >= 'A' && id_or_prefix[i] <= 'F'
                               ? id_or_prefix[i] - 'A' + 'a'
                               : id_or_prefix[i]);
    /* Hashes are lowercase hex, so those starting with the prefix sort between it and the prefix
     * followed by 'g': an index range, not a scan. */
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT id, config_hash FROM runs WHERE config_hash >= ?1"
                " AND config_hash < ?1 || 'g' ORDER BY config_hash LIMIT 3",
                "t", prefix) < 0)
        return -1;
    int count = 0, rc;
    char matches[3][13] = {{0}};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == 0)
            *run_id = sqlite3_column_int64(st, 0);
        copy_column_text(st, 1, matches[count], sizeof matches[count]);
        count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, doing, err, errlen);
    if (count == 0)
        return fail(err, errlen, "%s: no run has id or hash prefix '%s'", s->path, id_or_prefix);
    if (count > 1)
        return fail(err, errlen,
                    "%s: hash prefix '%s' is ambiguous: it matches %s, %s%s; give more characters",
                    s->path, id_or_prefix, matches[0], matches[1], count > 2 ? " and more" : "");
    return 0;
}

/* ---- merge -------------------------------------------------------------------------------- */

/* Run folders hold only the files a run writes (weights, optimizer state, preview): a flat folder
 * of regular files. Names starting with '.' are temporary files and are not copied. */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* mkdir that accepts an existing folder; a new one is made durable in its parent. */
static int make_dir(const char *path, const char *parent, char *err, size_t errlen)
{
    if (mkdir(path, 0777) == 0) {
        fsync_dir(parent);
        return 0;
    }
    struct stat sb;
    if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 0;
    return fail(err, errlen, "cannot create folder %s: %s", path, strerror(errno));
}

/* 1 when both files exist with the same bytes. */
static int same_content(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0 || sa.st_size != sb.st_size)
        return 0;
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    char ba[16384], bb[16384];
    while (same) {
        size_t na = fread(ba, 1, sizeof ba, fa), nb = fread(bb, 1, sizeof bb, fb);
        same = na == nb && memcmp(ba, bb, na) == 0;
        if (na < sizeof ba)
            break;
    }
    if (same && (ferror(fa) || ferror(fb)))
        same = 0;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies src to dir/name through a temporary file in dir, fsynced and renamed: a reader of
 * dir/name sees the old file or the whole new one, never a part. */
static int copy_file_atomic(const char *src, const char *dir, const char *name, char *err,
                            size_t errlen)
{
    char dst[PATH_CAP], tmp[PATH_CAP];
    if ((size_t)snprintf(dst, sizeof dst, "%s/%s", dir, name) >= sizeof dst ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.merge-XXXXXX", dir, name) >= sizeof tmp)
        return fail(err, errlen, "path too long copying %s", src);
    int in = open(src, O_RDONLY);
    if (in < 0)
        return fail(err, errlen, "cannot read %s: %s", src, strerror(errno));
    int out = mkstemp(tmp);
    if (out < 0) {
        int e = errno;
        close(in);
        return fail(err, errlen, "cannot create a file in %s: %s", dir, strerror(e));
    }
    struct stat sb;
    char buf[65536];
    ssize_t n;
    int rc = fstat(in, &sb) == 0 && fchmod(out, sb.st_mode & 0777) == 0 ? 0 : -1;
    while (rc == 0 && ((n = read(in, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0 && write_all(out, buf, (size_t)n) < 0)
            rc = -1;
    if (rc == 0 && n < 0)
        rc = -1;
    int e = errno;
    if (rc == 0 && fsync(out) != 0) {
        e = errno;
        rc = -1;
    }
    if (close(out) != 0 && rc == 0) {
        e = errno;
        rc = -1;
    }
    close(in);
    if (rc == 0 && rename(tmp, dst) != 0) {
        e = errno;
        rc = -1;
    }
    if (rc < 0) {
        unlink(tmp);
        return fail(err, errlen, "cannot copy %s to %s: %s", src, dst, strerror(e));
    }
    return 0;
}

/* Copies the files of one run folder; files already there with the same bytes are left alone.
 * *copied = 1 if at least one file was written. A missing source folder (a run that never
 * started) has nothing to copy. */
static int copy_run_folder(const char *src_dir, const char *dst_root, const char *dst_dir,
                           const char *dst_parent, int *copied, char *err, size_t errlen)
{
    *copied = 0;
    DIR *d = opendir(src_dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return fail(err, errlen, "cannot read folder %s: %s", src_dir, strerror(errno));
    }
    int rc = make_dir(dst_root, dst_parent, err, errlen);
    if (rc == 0)
        rc = make_dir(dst_dir, dst_root, err, errlen);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        char src[PATH_CAP], dst[PATH_CAP];
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(src, sizeof src, "%s/%s", src_dir, e->d_name) >= sizeof src ||
            (size_t)snprintf(dst, sizeof dst, "%s/%s", dst_dir, e->d_name) >= sizeof dst) {
            rc = fail(err, errlen, "path too long in %s", src_dir);
            break;
        }
        if (stat(src, &sb) != 0 || !S_ISREG(sb.st_mode) || same_content(src, dst))
            continue;
        rc = copy_file_atomic(src, dst_dir, e->d_name, err, errlen);
        if (rc == 0)
            *copied = 1;
    }
    closedir(d);
    if (rc == 0 && *copied && fsync_dir(dst_dir) != 0)
        rc = fail(err, errlen, "cannot sync folder %s: %s", dst_dir, strerror(errno));
    return rc;
}

/* A "file:" URI for ATTACH: SQLite decodes %HH in it, and '?' and '#' would end the path. */
static int file_uri(const char *path, const char *query, char *out, size_t outlen)
{
    size_t used = 0;
    int n = snprintf(out, outlen, "file:");
    used = (size_t)n;
    for (const char *c = path; *c && used + 4 < outlen; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            used += (size_t)snprintf(out + used, outlen - used, "%%%02X", (unsigned char)*c);
        else
            out[used++] = *c;
    }
    if (used + 1 + strlen(query) + 1 > outlen)
        return -1;
    snprintf(out + used, outlen - used, "?%s", query);
    return 0;
}

/* A failure to read the merge's input, said about the input rather than about out. */
static int input_fail(store *out, const char *in_path, char *err, size_t errlen)
{
    return fail(err, errlen, "cannot merge %s: %s", in_path,
                (sqlite3_extended_errcode(out->db) & 0xff) == SQLITE_NOTADB
                    ? "not an SQLite database"
                    : sqlite3_errmsg(out->db));
}

/* The input must be a wb database of exactly this binary's version: an older one is upgraded by
 * opening it read-write once (the merge reads it read-only), a newer one is not understood. */
static int check_merge_input(store *out, const char *in_path, char *err, size_t errlen)
{
    int64_t version = -1, tables = 0;
    char why[512];
    /* Errors here are about the input, not out: they get their own message. */
    if (query_int64(out, &version, "", why, sizeof why, "PRAGMA merge_src.user_version", "") < 0 ||
        query_int64(out, &tables, "", why, sizeof why,
                    "SELECT count(*) FROM merge_src.sqlite_schema", "") < 0)
        return input_fail(out, in_path, err, errlen);
    if (version == 0)
        return fail(err, errlen, "cannot merge %s: not a wb database%s", in_path,
                    tables ? "" : " (empty)");
    if (version > STORE_SCHEMA_VERSION)
        return fail(err, errlen,
                    "cannot merge %s: schema version %lld is newer than this wb understands (%d)",
                    in_path, (long long)version, STORE_SCHEMA_VERSION);
    if (version < STORE_SCHEMA_VERSION)
        return fail(err, errlen,
                    "cannot merge %s: schema version %lld is older than %d; open it once with "
                    "this wb (e.g. wb ls --db) to upgrade it",
                    in_path, (long long)version, STORE_SCHEMA_VERSION);
    return 0;
}

typedef struct merge_run {
    int64_t in_id, out_id;      /* out_id 0: not in out */
    int in_finished;
    char out_status[16];
    char hash[65];
    char in_folder[PATH_CAP];   /* as stored in the input, relative to it */
} merge_run;

static int list_merge_runs(store *out, merge_run **runs, size_t *nruns, char *err, size_t errlen)
{
    const char *doing = "merging: reading the input's runs";
    sqlite3_stmt *st;
    *runs = NULL;
    *nruns = 0;
    if (prepare(out, &st, doing, err, errlen,
                "SELECT i.id, i.status = 'finished', i.config_hash, i.folder, o.id, o.status"
                " FROM merge_src.runs i LEFT JOIN main.runs o ON o.config_hash = i.config_hash"
                " ORDER BY i.id",
                "") < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*nruns == cap) {
            cap = cap ? 2 * cap : 64;
            merge_run *grown = realloc(*runs, cap * sizeof *grown);
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            *runs = grown;
        }
        merge_run *r = &(*runs)[(*nruns)++];
        r->in_id = sqlite3_column_int64(st, 0);
        r->in_finished = sqlite3_column_int(st, 1);
        copy_column_text(st, 2, r->hash, sizeof r->hash);
        copy_column_text(st, 3, r->in_folder, sizeof r->in_folder);
        r->out_id = sqlite3_column_int64(st, 4);
        copy_column_text(st, 5, r->out_status, sizeof r->out_status);
    }
    if (rc != SQLITE_DONE) {
        db_fail(out, rc, doing, err, errlen);
        sqlite3_finalize(st);
        free(*runs);
        *runs = NULL;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Copies a run's params, metrics and checkpoints (paths moved from the input's run folders to
 * out's) onto out_id, which has none. */
static int copy_run_rows(store *out, int64_t in_id, int64_t out_id, const char *in_prefix,
                         const char *out_prefix, char *err, size_t errlen)
{
    const char *doing = "merging a run's rows";
    return exec_sql(out, NULL, doing, err, errlen,
                    "INSERT INTO main.params (run_id, key, value)"
                    " SELECT ?2, key, value FROM merge_src.params WHERE run_id = ?1",
                    "ii", in_id, out_id) < 0 ||
                   exec_sql(out, NULL, doing, err, errlen,
                            "INSERT INTO main.metrics (run_id, epoch, split, name, value)"
                            " SELECT ?2, epoch, split, name, value FROM merge_src.metrics"
                            " WHERE run_id = ?1",
                            "ii", in_id, out_id) < 0 ||
                   exec_sql(out, NULL, doing, err, errlen,
                            "INSERT INTO main.checkpoints (run_id, kind, epoch, path)"
                            " SELECT ?2, kind, epoch,"
                            " CASE WHEN substr(path, 1, length(?3)) = ?3"
                            " THEN ?4 || substr(path, length(?3) + 1) ELSE path END"
                            " FROM merge_src.checkpoints WHERE run_id = ?1",
                            "iitt", in_id, out_id, in_prefix, out_prefix) < 0
               ? -1
               : 0;
}

/* Adds (out_id 0) or replaces one run in out, its rows and its folder's files. */
static int merge_one_run(store *out, merge_run *r, const char *in_dir, const char *in_prefix,
                         const char *out_prefix, int *folder_copied, char *err, size_t errlen)
{
    const char *doing = "merging a run";
    char folder_rel[PATH_CAP];
    store_run_folder_rel(out, r->hash, folder_rel, sizeof folder_rel);
    if (r->out_id == 0) {
        if (exec_sql(out, NULL, doing, err, errlen,
                     "INSERT INTO main.runs (sweep_id, folder, " RUN_COPY_COLUMNS ")"
                     " SELECT (SELECT o.id FROM main.sweeps o JOIN merge_src.sweeps i"
                     " ON i.name = o.name WHERE i.id = r.sweep_id), ?2, " RUN_COPY_COLUMNS
                     " FROM merge_src.runs r WHERE r.id = ?1",
                     "it", r->in_id, folder_rel) < 0)
            return -1;
        r->out_id = sqlite3_last_insert_rowid(out->db);
    } else if (exec_sql(out, NULL, doing, err, errlen,
                        "UPDATE main.runs SET (" RUN_COPY_COLUMNS ") = (SELECT " RUN_COPY_COLUMNS
                        " FROM merge_src.runs WHERE id = ?1), folder = ?2 WHERE id = ?3",
                        "iti", r->in_id, folder_rel, r->out_id) < 0 ||
               exec_sql(out, NULL, doing, err, errlen, "DELETE FROM main.params WHERE run_id = ?1",
                        "i", r->out_id) < 0 ||
               exec_sql(out, NULL, doing, err, errlen,
                        "DELETE FROM main.metrics WHERE run_id = ?1", "i", r->out_id) < 0 ||
               exec_sql(out, NULL, doing, err, errlen,
                        "DELETE FROM main.checkpoints WHERE run_id = ?1", "i", r->out_id) < 0) {
        return -1;
    }
    if (copy_run_rows(out, r->in_id, r->out_id, in_prefix, out_prefix, err, errlen) < 0)
        return -1;
    char src_dir[PATH_CAP], dst_dir[PATH_CAP], dst_root[PATH_CAP], root_rel[NAME_CAP + 8];
    join_path(in_dir, r->in_folder, src_dir, sizeof src_dir);
    store_run_folder(out, r->hash, dst_dir, sizeof dst_dir);
    snprintf(root_rel, sizeof root_rel, "%s.runs", out->name);
    join_path(out->dir, root_rel, dst_root, sizeof dst_root);
    return copy_run_folder(src_dir, dst_root, dst_dir, out->dir, folder_copied, err, errlen);
}

static int merge_attached(store *out, const char *in_path, store_merge_stats *stats, char *err,
                          size_t errlen)
{
    const char *doing = "merging";
    char in_dir[PATH_CAP], in_name[NAME_CAP], in_prefix[NAME_CAP + 8], out_prefix[NAME_CAP + 8];
    if (split_path(in_path, in_dir, in_name) < 0)
        return fail(err, errlen, "cannot merge %s: it does not end in a usable file name", in_path);
    snprintf(in_prefix, sizeof in_prefix, "%s.runs/", in_name);
    snprintf(out_prefix, sizeof out_prefix, "%s.runs/", out->name);
    if (check_merge_input(out, in_path, err, errlen) < 0 || tx_begin(out, doing, err, errlen) < 0)
        return -1;
    if (exec_sql(out, &stats->sweeps_added, doing, err, errlen,
                 "INSERT INTO main.sweeps (name, ini_text, ini_path, axes, created_at, updated_at,"
                 " host, wb_version, git_commit, git_dirty)"
                 " SELECT name, ini_text, ini_path, axes, created_at, updated_at, host, wb_version,"
                 " git_commit, git_dirty FROM merge_src.sweeps"
                 " WHERE name NOT IN (SELECT name FROM main.sweeps) ORDER BY id",
                 "") < 0)
        return tx_abort(out);
    merge_run *runs;
    size_t nruns;
    if (list_merge_runs(out, &runs, &nruns, err, errlen) < 0)
        return tx_abort(out);
    for (size_t i = 0; i < nruns; i++) {
        merge_run *r = &runs[i];
        /* A run finished in out is final; one running there belongs to a live worker. */
        int replace = r->out_id && r->in_finished && strcmp(r->out_status, "finished") != 0 &&
                      strcmp(r->out_status, "running") != 0;
        if (r->out_id && !replace) {
            stats->runs_skipped++;
            continue;
        }
        int copied;
        if (merge_one_run(out, r, in_dir, in_prefix, out_prefix, &copied, err, errlen) < 0) {
            free(runs);
            return tx_abort(out);
        }
        stats->runs_added += !replace;
        stats->runs_replaced += replace;
        stats->folders_copied += copied;
    }
    free(runs);
    /* The input's grid links, for every run (added or not). A link whose grid index is taken in
     * out by another run (the two databases hold different grids under one sweep name) is not
     * added: out's grid stays as it is. */
    if (exec_sql(out, NULL, doing, err, errlen,
                 "INSERT INTO main.sweep_runs (sweep_id, run_id, grid_index)"
                 " SELECT os.id, o.id, l.grid_index FROM merge_src.sweep_runs l"
                 " JOIN merge_src.sweeps s ON s.id = l.sweep_id"
                 " JOIN main.sweeps os ON os.name = s.name"
                 " JOIN merge_src.runs i ON i.id = l.run_id"
                 " JOIN main.runs o ON o.config_hash = i.config_hash"
                 " WHERE true ON CONFLICT DO NOTHING",
                 "") < 0 ||
        tx_commit(out, doing, err, errlen) < 0)
        return tx_abort(out);
    return 0;
}

int store_merge(store *out, const char *in_path, store_merge_stats *stats, char *err,
                size_t errlen)
{
    store_merge_stats counts = {0};
    if (stats)
        *stats = counts;
    if (refuse_readonly(out, "merging", err, errlen) < 0)
        return -1;
    if (out->tx_depth > 0 || !sqlite3_get_autocommit(out->db))
        return fail(err, errlen, "%s: cannot merge inside a transaction", out->path);
    struct stat in_sb, out_sb;
    if (stat(in_path, &in_sb) != 0)
        return fail(err, errlen, "cannot merge %s: %s", in_path,
                    errno == ENOENT ? "no such database" : strerror(errno));
    if (!S_ISREG(in_sb.st_mode))
        return fail(err, errlen, "cannot merge %s: not a file", in_path);
    if (stat(out->path, &out_sb) == 0 && in_sb.st_dev == out_sb.st_dev &&
        in_sb.st_ino == out_sb.st_ino)
        return fail(err, errlen, "cannot merge %s into itself", in_path);
    char uri[3 * PATH_CAP + 16];
    if (strlen(in_path) >= PATH_CAP || file_uri(in_path, "mode=ro", uri, sizeof uri) < 0)
        return fail(err, errlen, "cannot merge %s: path too long", in_path);
    char why[512];
    if (exec_sql(out, NULL, "", why, sizeof why, "ATTACH DATABASE ?1 AS merge_src", "t", uri) < 0)
        return input_fail(out, in_path, err, errlen);
    int rc = merge_attached(out, in_path, &counts, err, errlen);
    sqlite3_exec(out->db, "DETACH DATABASE merge_src", NULL, NULL, NULL);
    if (rc == 0 && stats)
        *stats = counts;
    return rc;
}
