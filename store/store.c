/* store/store.c: the connection: opening (checks, pragmas, the schema, the immutable fallback of
 * read-only folders), closing, transactions, and the paths of run folders. */
#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/proc.h"

/* ---- transactions ------------------------------------------------------------------------- */

int tx_begin(store *s, const char *doing, char *err, size_t errlen)
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

void tx_rollback(store *s)
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

int tx_commit(store *s, const char *doing, char *err, size_t errlen)
{
    const char *sql = s->tx_depth == 1 ? "COMMIT" : "RELEASE store_tx";
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, doing, err, errlen);
    s->tx_depth--;
    return 0;
}

int tx_abort(store *s)
{
    tx_rollback(s);
    return -1;
}

int refuse_readonly(const store *s, const char *doing, char *err, size_t errlen)
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

void join_path(const char *dir, const char *rel, char *out, size_t outlen)
{
    size_t n = strlen(dir);
    if (rel[0] == '/' || strcmp(dir, ".") == 0)
        snprintf(out, outlen, "%s", rel);
    else
        snprintf(out, outlen, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", rel);
}

int split_path(const char *path, char dir[PATH_CAP], char name[NAME_CAP])
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

int file_uri(const char *path, const char *query, char *out, size_t outlen)
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

int store_is_immutable(const store *s)
{
    return s->immutable;
}

void store_close(store *s)
{
    if (!s)
        return;
    tx_rollback(s);
    sqlite3_close(s->db);
    free(s);
}

/* Checks what the file system can tell before SQLite tries: a missing file or folder, or a folder
 * where the file should be, gets a message that says so instead of "unable to open database
 * file". The database and the journal, WAL and shared-memory files SQLite opens beside it must be
 * regular files: SQLite opens them without O_NONBLOCK, and a FIFO put in their place would make it
 * wait for a writer forever (a `wb serve` whose database was replaced by one hung every request
 * and could not be stopped); a device (database = /dev/null) would get a journal beside it. The
 * database is opened O_NONBLOCK and checked with fstat (file_open_regular); the others, which
 * need not exist, are checked with stat. */
static int check_path(const store *s, enum store_open_mode mode, char *err, size_t errlen)
{
    struct stat sb;
    static const char *const companions[] = { "-journal", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
        char other[PATH_CAP + 16];
        snprintf(other, sizeof other, "%s%s", s->path, companions[i]);
        if (stat(other, &sb) == 0 && !S_ISREG(sb.st_mode))
            return fail(err, errlen, "%s: cannot open the database: %s is not a regular file",
                        s->path, other), STORE_NOT_DATABASE;
    }
    if (stat(s->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fail(err, errlen, "%s is a folder, not a database", s->path);
            return STORE_NOT_DATABASE;
        }
        char why[PATH_CAP + 64];
        const int fd = file_open_regular(s->path, 0, &sb, why, sizeof why);
        if (fd < 0) {
            fail(err, errlen, "cannot open the database %s", why);
            return S_ISREG(sb.st_mode) ? -1 : STORE_NOT_DATABASE;
        }
        close(fd);
        return 0;
    }
    if (errno != ENOENT)
        return fail(err, errlen, "cannot open %s: %s", s->path, strerror(errno));
    if (mode != STORE_OPEN_CREATE) {
        fail(err, errlen, "no database at %s", s->path);
        return STORE_NOT_DATABASE;
    }
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
        return (s->open_errcode & 0xff) == SQLITE_NOTADB ? STORE_NOT_DATABASE : -1;
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (v == 0 && tables > 0)
        return fail(err, errlen,
                    "%s is an SQLite database but not a wb database (it has tables and no wb "
                    "schema version)",
                    s->path), STORE_NOT_DATABASE;
    if (v > STORE_SCHEMA_VERSION)
        return fail(err, errlen,
                    "%s has schema version %lld, newer than this wb understands (%d): use a newer "
                    "wb",
                    s->path, (long long)v, STORE_SCHEMA_VERSION), STORE_NOT_DATABASE;
    /* A reader never migrates: the commands that write do. */
    if (s->mode == STORE_OPEN_READONLY && v == 0)
        return fail(err, errlen,
                    "%s is an empty database (schema version 0): run `wb sweep FILE.ini --db %s` "
                    "or `wb merge %s IN.db` to make it a wb database",
                    s->path, s->path, s->path), STORE_NOT_DATABASE;
    if (s->mode == STORE_OPEN_READONLY && v < STORE_SCHEMA_READABLE)
        return fail(err, errlen,
                    "%s has schema version %lld, older than this wb reads (%d): run `wb sweep "
                    "FILE.ini --db %s` or `wb merge %s IN.db` to migrate it",
                    s->path, (long long)v, STORE_SCHEMA_READABLE, s->path, s->path),
               STORE_NOT_DATABASE;
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

/* A database is data, never code: a file that is not ours (a merge's input, a foreign database
 * given to a reader) must not make this process run anything. Defensive mode refuses what can
 * corrupt a file on purpose (writable_schema, sqlite_dbpage writes); without a trusted schema a
 * view or trigger in the file cannot call a function with side effects; the two-argument
 * fts3_tokenizer (enabled in Debian's build, it takes a pointer) and extension loading are off.
 * cell_size_check makes a damaged page fail when it is read instead of being half used. */
static int configure_connection(store *s, char *err, size_t errlen)
{
    sqlite3_extended_result_codes(s->db, 1);
    if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL) != SQLITE_OK ||
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL) != SQLITE_OK ||
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, (int *)NULL) !=
            SQLITE_OK ||
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL) !=
            SQLITE_OK)
        return fail(err, errlen, "%s: cannot configure the connection: %s", s->path,
                    sqlite3_errmsg(s->db));
    s->busy_ms = busy_timeout_ms();
    sqlite3_busy_timeout(s->db, s->busy_ms);
    if (exec_sql(s, NULL, "enabling foreign keys", err, errlen, "PRAGMA foreign_keys = ON", "") < 0 ||
        exec_sql(s, NULL, "enabling cell size checks", err, errlen, "PRAGMA cell_size_check = ON",
                 "") < 0)
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

/* Whether the folder is on a file system mounted read-only. */
static int on_readonly_mount(const char *dir)
{
    struct statvfs v;
    return statvfs(dir, &v) == 0 && (v.f_flag & ST_RDONLY);
}

/* Whether the database has a -wal file that holds something (transactions not yet in the file). */
static int wal_has_frames(const store *s)
{
    char wal[PATH_CAP + 8];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    return stat(wal, &sb) == 0 && sb.st_size > 0;
}

/* A reader of a database on a read-only file system, or in a folder this process cannot write,
 * cannot open it the usual way when it has no -shm file: SQLite can make neither that file nor
 * its lock, and fails ("unable to open database file" on a read-only mount,
 * SQLITE_READONLY_CANTINIT or SQLITE_READONLY_DIRECTORY in a folder without write permission).
 * Without a -wal file, or with an empty one, the database file holds every committed
 * transaction, and no writer can come along without creating those files in that folder, which
 * it cannot: the file is read as immutable (SQLite's immutable=1: no locks, no journal, no
 * change expected; s->immutable says so, and the command says it once). With a -wal file that
 * holds transactions they would be missed: refuse. */
static int open_immutable(store *s, char *err, size_t errlen)
{
    if (wal_has_frames(s))
        return fail(err, errlen,
                    "%s: cannot read it: its folder is read-only and it has a -wal file but no "
                    "-shm file (open it once with write access to the folder to checkpoint it)",
                    s->path);
    char uri[3 * PATH_CAP + 32];
    if (file_uri(s->path, "immutable=1", uri, sizeof uri) < 0)
        return fail(err, errlen, "%s: path too long to open read-only", s->path);
    sqlite3_close(s->db);
    s->db = NULL;
    const int rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "opening read-only", err, errlen);
    s->immutable = on_readonly_mount(s->dir) ? STORE_IMMUTABLE_MOUNT : STORE_IMMUTABLE_FOLDER;
    return 0;
}

/* The one place the views made in code reach a database: a writer (after migrating) writes them
 * into the file, a reader lays them over it as TEMP views. */
static int install_views(store *s, char *err, size_t errlen)
{
    size_t nviews;
    store_view *views;
    char why[512];
    int rc = store_generated_views(&views, &nviews, why, sizeof why);
    if (rc == 0)
        rc = store_install_views(s->db, views, nviews, s->mode == STORE_OPEN_READONLY, why,
                                 sizeof why);
    store_views_free(views, nviews);
    return rc < 0 ? fail(err, errlen, "%s: %s", s->path, why) : 0;
}

/* Whether the file is whole (store/verify.h) against the schema of the version it has, both read
 * in one read transaction: a writer may migrate the file between check_schema and the check, and
 * its new tables must not be compared with the old version's (two sweeps starting together). */
static int verify_snapshot(store *s, int *version, char *err, size_t errlen)
{
    if (exec_sql(s, NULL, "reading the schema", err, errlen, "BEGIN", "") < 0)
        return -1;
    int64_t v = 0;
    int result = query_int64(s, &v, "reading the schema version", err, errlen,
                             "PRAGMA user_version", "");
    if (result >= 0) {   /* PRAGMA user_version always has its row */
        *version = (int)v;
        result = verify_database(s, "main", s->path, *version, err, errlen);
    }
    sqlite3_exec(s->db, result < 0 ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    return result;
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
    proc_hostname(s->host, sizeof s->host);
    const int path_ok = check_path(s, mode, err, errlen);
    if (path_ok < 0) {
        free(s);
        return path_ok;
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
    int version = 0, result = -1;
    /* On a read-only mount, straight to immutable when that is safe (see open_immutable). */
    const int readonly_mount = mode == STORE_OPEN_READONLY && on_readonly_mount(s->dir);
    if (readonly_mount && !wal_has_frames(s) && open_immutable(s, err, errlen) < 0)
        goto fail;
    int schema = configure_connection(s, err, errlen);
    if (schema == 0)
        schema = check_schema(s, &version, err, errlen);
    if (schema < 0) {
        const int code = s->open_errcode;
        if (schema == -1 && mode == STORE_OPEN_READONLY && !s->immutable &&
            (code == SQLITE_READONLY_CANTINIT || code == SQLITE_READONLY_DIRECTORY ||
             (readonly_mount && (code & 0xff) == SQLITE_CANTOPEN))) {
            schema = open_immutable(s, err, errlen);
            if (schema == 0)
                schema = configure_connection(s, err, errlen);
            if (schema == 0)
                schema = check_schema(s, &version, err, errlen);
        }
        if (schema < 0) {
            result = (s->open_errcode & 0xff) == SQLITE_CORRUPT ? STORE_DAMAGED : schema;
            goto fail;
        }
    }
    /* Before anything is read from it, or written to it. */
    const int whole = verify_snapshot(s, &version, err, errlen);
    if (whole < 0) {
        result = whole;
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
    if (install_views(s, err, errlen) < 0 ||
        (mode != STORE_OPEN_READONLY && store_mark_stale(s, NULL, err, errlen) < 0))
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return result;
}
