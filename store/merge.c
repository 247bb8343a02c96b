/* store/merge.c: another database's sweeps, runs, rows and run folders copied into this one.
 *
 * The input is not trusted (a shard from another machine, a file someone sent): before anything
 * is written, it must be a whole wb database of this schema version (integrity_check, wb's table
 * definitions, foreign keys) whose every value has the type and shape wb writes: hashes of 64
 * lowercase hex digits, run folders and checkpoint paths the ones its hashes give. Nothing is
 * ever read from a path stored in it: the files of a run are copied from the folder its hash
 * names, into the folder the same hash names in the output; a run folder or file that is a
 * symbolic link, a FIFO or a device is refused. A shard that fails any check is refused whole,
 * with a message naming it and what was wrong.
 *
 * Files are copied before the rows that name them are committed, and no write transaction is
 * held while files are copied and synced: merging 1,500 runs into a database a sweep is using
 * made the sweep give up after its busy timeout. Runs go in batches of MERGE_BATCH, each in two
 * short transactions:
 *   1. each run is taken, as a claim takes one: a run out lacks is added (its row, params and
 *      grid links), a run out has unfinished loses its metric and checkpoint rows; both become
 *      `running` with no epoch and this process as owner. A sweep using out leaves them alone
 *      while their folders are written (without this, a sweep could add and train a run the
 *      merge was copying into the same folder);
 *   2. the files of the batch are copied (hidden temporary, fsync, rename, fsync of the folder);
 *   3. the runs' rows are written, each only while the run is still this process's.
 * A crash between 1 and 3 leaves the taken runs `running` with a dead owner: the next writer
 * records them interrupted with no epoch, so they are trained again from the start (their
 * params say what to train) or replaced by the next merge, and never resumed from a mix of two
 * trainings' files. At worst the folders hold files no row names yet (the next merge copies the
 * same bytes over them, a sweep that trains the run writes its own) and hidden temporary files,
 * which the next merge and the next claim of the run remove once their writer is gone. */
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"

/* Runs per pair of write transactions. */
#define MERGE_BATCH 16

/* ---- files --------------------------------------------------------------------------------- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* mkdir that accepts an existing folder (not a link to one); a new one is made durable in its
 * parent. */
static int make_dir(const char *path, const char *parent, char *err, size_t errlen)
{
    if (mkdir(path, 0777) == 0) {
        fsync_dir(parent);
        return 0;
    }
    struct stat sb;
    if (errno == EEXIST && lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 0;
    return fail(err, errlen, "cannot create folder %s: %s", path,
                errno == EEXIST ? "something else is in the way" : strerror(errno));
}

/* 1 when both files exist with the same bytes. */
static int same_content(const char *a, const char *b)
{
    struct stat sa, sb;
    if (lstat(a, &sa) != 0 || lstat(b, &sb) != 0 || !S_ISREG(sa.st_mode) ||
        !S_ISREG(sb.st_mode) || sa.st_size != sb.st_size)
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

/* The files a run folder holds (docs/DESIGN.md, "Identity of a run" and "The trajectory"): a
 * merge copies these and nothing else (any other name, which no run writes, is left behind: a
 * sparse 300 MB file in a shard's folder was copied whole), each no larger than the run's shapes
 * allow. */
enum run_file_kind { RUN_FILE_WEIGHTS, RUN_FILE_OPTIM, RUN_FILE_PREVIEW };

static const struct run_file {
    const char *name;           /* the whole name, or after "fork-E" for a trajectory's fork */
    int fork;
    enum run_file_kind kind;
} run_files[] = {
    { "init.safetensors", 0, RUN_FILE_WEIGHTS },
    { "last.safetensors", 0, RUN_FILE_WEIGHTS },
    { "best.safetensors", 0, RUN_FILE_WEIGHTS },
    { "last.prev.safetensors", 0, RUN_FILE_WEIGHTS },
    { "last.optim.safetensors", 0, RUN_FILE_OPTIM },
    { "last.prev.optim.safetensors", 0, RUN_FILE_OPTIM },
    { "preview.npy", 0, RUN_FILE_PREVIEW },
    { ".safetensors", 1, RUN_FILE_WEIGHTS },
    { ".best.safetensors", 1, RUN_FILE_WEIGHTS },
    { ".optim.safetensors", 1, RUN_FILE_OPTIM },
    { ".preview.npy", 1, RUN_FILE_PREVIEW },
};

/* The kind of a file a run folder may hold, or -1 for any other name. */
static int run_file_kind(const char *name)
{
    const char *rest = NULL;
    if (strncmp(name, "fork-", 5) == 0) {
        const size_t digits = strspn(name + 5, "0123456789");
        if (digits > 0 && digits < 10 && name[5] != '0')
            rest = name + 5 + digits;
    }
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++)
        if (run_files[i].fork ? rest && strcmp(rest, run_files[i].name) == 0
                              : strcmp(name, run_files[i].name) == 0)
            return (int)run_files[i].kind;
    return -1;
}

/* Room for what is not a tensor's or an array's data: a header (wb's are a few kB), an Adam
 * step. */
#define RUN_FILE_SLACK (1 << 20)

/* The largest file of a kind a run of params parameters and patch pixels a side writes: weights
 * hold the parameters, optimizer moments twice as many, a preview 3 x 32 patches of 3 floats. */
static int64_t run_file_bound(enum run_file_kind kind, int64_t params, int64_t patch)
{
    const int64_t floats = kind == RUN_FILE_WEIGHTS ? params
                           : kind == RUN_FILE_OPTIM ? 2 * params
                                                    : 3 * 32 * patch * patch * 3;
    return floats * 4 + RUN_FILE_SLACK;
}

/* The input's run folder: a folder, not a link to one. 0 when it is one, 1 when there is none
 * (a run that never started), -1 (with the message) otherwise. */
static int source_folder(const char *in_label, const char *dir, char *err, size_t errlen)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0)
        return errno == ENOENT ? 1
                               : fail(err, errlen, "cannot merge %s: cannot read %s: %s",
                                      in_label, dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return fail(err, errlen, "cannot merge %s: its run folder %s is %s; the shard is "
                    "refused, nothing was merged", in_label, dir,
                    S_ISLNK(sb.st_mode) ? "a symbolic link" : "not a folder");
    return 0;
}

/* Copies the regular files of one run folder a run writes (run_files; check_run_files checked
 * their sizes); files already there with the same bytes are left alone. *copied = 1 if at least one
 * file was written. A missing source folder (a run that never started) has nothing to copy. */
static int copy_run_folder(const char *in_label, const char *src_dir, const char *dst_root,
                           const char *dst_dir, const char *dst_parent, int *copied, char *err,
                           size_t errlen)
{
    *copied = 0;
    const int found = source_folder(in_label, src_dir, err, errlen);
    if (found != 0)
        return found > 0 ? 0 : -1;
    DIR *d = opendir(src_dir);
    if (!d)
        return fail(err, errlen, "cannot read folder %s: %s", src_dir, strerror(errno));
    int rc = make_dir(dst_root, dst_parent, err, errlen);
    if (rc == 0)
        rc = make_dir(dst_dir, dst_root, err, errlen);
    /* Temporary files of an earlier merge or run that was killed: their writers are gone. */
    if (rc == 0)
        rc = atomic_file_remove_stale(dst_dir, NULL, err, errlen);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        char src[PATH_CAP], dst[PATH_CAP];
        struct stat sb;
        if (run_file_kind(e->d_name) < 0)
            continue;   /* not a file a run writes (hidden temporary files included) */
        if ((size_t)snprintf(src, sizeof src, "%s/%s", src_dir, e->d_name) >= sizeof src ||
            (size_t)snprintf(dst, sizeof dst, "%s/%s", dst_dir, e->d_name) >= sizeof dst) {
            rc = fail(err, errlen, "path too long in %s", src_dir);
            break;
        }
        if (lstat(src, &sb) != 0 || !S_ISREG(sb.st_mode) || same_content(src, dst))
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

/* ---- checking the input -------------------------------------------------------------------- */

/* A failure to read the merge's input, said about the input rather than about out. */
static int input_fail(store *out, const char *in_path, char *err, size_t errlen)
{
    return fail(err, errlen, "cannot merge %s: %s", in_path,
                (sqlite3_extended_errcode(out->db) & 0xff) == SQLITE_NOTADB
                    ? "not an SQLite database"
                    : sqlite3_errmsg(out->db));
}

/* The input must be a wb database of exactly this binary's version (an older one is migrated by
 * a command that writes it: the merge only reads it; a newer one is not understood), whole, with
 * wb's tables. */
static int check_merge_version(store *out, const char *in_path, char *err, size_t errlen)
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
                    "cannot merge %s: schema version %lld is older than %d; run `wb sweep "
                    "FILE.ini --db %s` or `wb merge %s OTHER.db` to migrate it first",
                    in_path, (long long)version, STORE_SCHEMA_VERSION, in_path, in_path);
    if (verify_database(out, "merge_src", in_path, (int)version, why, sizeof why) != 0)
        return fail(err, errlen, "cannot merge %s: %s", in_path, why);
    return 0;
}

/* One check of what a merge needs beyond a whole database (store_open's checks, verify.c): the
 * first row sql finds is what is wrong, in two columns: where ("run 3") and what ("its folder
 * ... is not ..."). ?1 is the input's run folder prefix ("<name>.runs/"). */
typedef struct input_check {
    const char *sql;
} input_check;

static const input_check input_checks[] = {
    /* A run's folder is its hash's: one stored elsewhere is tampering, or a database renamed
     * without its folder of runs. */
    {"SELECT 'run ' || id, 'its folder ' || quote(folder) || ' is not ' || quote(?1 ||"
     " substr(config_hash, 1, 12)) || ', the folder its hash gives' FROM merge_src.runs"
     " WHERE folder IS NOT ?1 || substr(config_hash, 1, 12) LIMIT 1"},
    /* Two runs whose folders would be one: in the input, or against out's runs. */
    {"SELECT 'runs ' || min(id) || ' and ' || max(id), 'their hashes share the first 12 digits,"
     " which name their folder' FROM merge_src.runs GROUP BY substr(config_hash, 1, 12)"
     " HAVING count(*) > 1 LIMIT 1"},
    {"SELECT 'run ' || i.id, 'its hash shares the first 12 digits, which name its folder, with"
     " run ' || o.id || ' of the output, another run' FROM merge_src.runs i JOIN main.runs o"
     " ON o.config_hash >= substr(i.config_hash, 1, 12)"
     " AND o.config_hash < substr(i.config_hash, 1, 12) || 'g' AND o.config_hash <> i.config_hash"
     " LIMIT 1"},
    {"SELECT 'sweep ' || id, 'its name is ' || length(name) || ' characters long'"
     " FROM merge_src.sweeps WHERE length(name) > 1000 LIMIT 1"},
    /* A checkpoint is a file of its run's folder, named as a run names its files. */
    {"SELECT 'run ' || c.run_id, 'its ' || quote(c.kind) || ' checkpoint ' || quote(c.path) ||"
     " ' is not a file of its folder ' || quote(r.folder) FROM merge_src.checkpoints c"
     " JOIN merge_src.runs r ON r.id = c.run_id"
     " WHERE substr(c.path, 1, length(r.folder) + 1) <> r.folder || '/'"
     " OR length(c.path) = length(r.folder) + 1"
     " OR substr(c.path, length(r.folder) + 2, 1) = '.'"
     " OR substr(c.path, length(r.folder) + 2) GLOB '*[^A-Za-z0-9._-]*' LIMIT 1"},
};

/* What a message may quote of the input: one line, control characters as '?', at most max
 * bytes. */
static void quoted(const unsigned char *text, char *out, size_t outlen, size_t max)
{
    size_t n = 0;
    for (; text && text[n] && n < max && n + 4 < outlen; n++)
        out[n] = text[n] < 0x20 || text[n] == 0x7f ? '?' : (char)text[n];
    snprintf(out + n, outlen - n, "%s", text && text[n] ? "..." : "");
}

/* Sweep names are only ever text (the report makes its folder name from a name in its own way):
 * they must be what a configuration file can hold, without control characters. */
static int check_sweep_names(store *out, const char *in_path, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    char why[512];
    if (prepare(out, &st, "", why, sizeof why, "SELECT id, name FROM merge_src.sweeps", "") < 0)
        return input_fail(out, in_path, err, errlen);
    int rc = SQLITE_DONE, bad = 0;
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 1);
        const int len = sqlite3_column_bytes(st, 1);
        for (int i = 0; name && i < len && !bad; i++)
            bad = (name[i] < 0x20 && name[i] != '\t') || name[i] == 0x7f;
        if (bad) {
            char shown[128];
            quoted(name, shown, sizeof shown, 80);
            fail(err, errlen, "cannot merge %s: sweep %lld: its name '%s' holds control "
                 "characters; the shard is refused, nothing was merged",
                 in_path, (long long)sqlite3_column_int64(st, 0), shown);
        }
    }
    if (!bad && rc != SQLITE_DONE)
        bad = input_fail(out, in_path, err, errlen);
    sqlite3_finalize(st);
    return bad ? -1 : 0;
}

/* What a merge needs of its input beyond a whole database, before anything is written. */
static int check_merge_values(store *out, const char *in_path, const char *in_prefix, char *err,
                              size_t errlen)
{
    char why[512];
    for (size_t i = 0; i < sizeof input_checks / sizeof input_checks[0]; i++) {
        sqlite3_stmt *st;
        if (prepare(out, &st, "", why, sizeof why, input_checks[i].sql, "") < 0)
            return input_fail(out, in_path, err, errlen);
        if (sqlite3_bind_parameter_count(st) > 0)
            sqlite3_bind_text(st, 1, in_prefix, -1, SQLITE_TRANSIENT);
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            char where[128], what[320];
            quoted(sqlite3_column_text(st, 0), where, sizeof where, 100);
            quoted(sqlite3_column_text(st, 1), what, sizeof what, 280);
            fail(err, errlen, "cannot merge %s: %s: %s; the shard is refused, nothing was merged",
                 in_path, where, what);
        } else if (rc != SQLITE_DONE) {
            input_fail(out, in_path, err, errlen);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    /* Rows that name runs, sweeps or runs' rows that do not exist. */
    sqlite3_stmt *st;
    if (prepare(out, &st, "", why, sizeof why, "PRAGMA merge_src.foreign_key_check", "") < 0)
        return input_fail(out, in_path, err, errlen);
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        fail(err, errlen, "cannot merge %s: a row of its table %s names a %s that does not exist; "
             "the shard is refused, nothing was merged", in_path,
             (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 2));
    else if (rc != SQLITE_DONE)
        input_fail(out, in_path, err, errlen);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    return check_sweep_names(out, in_path, err, errlen);
}

/* ---- the runs ------------------------------------------------------------------------------ */

enum merge_action { MERGE_SKIP, MERGE_ADD, MERGE_REPLACE };

typedef struct merge_run {
    int64_t in_id, out_id;      /* out_id 0: not in out */
    int in_finished;
    int out_kept;               /* finished in out (final), or running there (a live worker's) */
    int out_finished;
    enum merge_action action;
    int taken;                  /* MERGE_REPLACE: reset and taken by this process in out */
    int depth, base_channels, patch;    /* the shapes that bound its files' sizes */
    char hash[65];
} merge_run;

static int list_merge_runs(store *out, merge_run **runs, size_t *nruns, char *err, size_t errlen)
{
    const char *doing = "merging: reading the input's runs";
    sqlite3_stmt *st;
    *runs = NULL;
    *nruns = 0;
    if (prepare(out, &st, doing, err, errlen,
                "SELECT i.id, i.status = '" STATUS_FINISHED "', i.config_hash, o.id,"
                " o.status IN ('" STATUS_FINISHED "', '" STATUS_RUNNING "'),"
                " o.status = '" STATUS_FINISHED "', i.depth, i.base_channels, i.patch"
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
        memset(r, 0, sizeof *r);
        r->in_id = sqlite3_column_int64(st, 0);
        r->in_finished = sqlite3_column_int(st, 1);
        copy_column_text(st, 2, r->hash, sizeof r->hash);
        r->out_id = sqlite3_column_int64(st, 3);
        r->out_kept = sqlite3_column_int(st, 4);
        r->out_finished = sqlite3_column_int(st, 5);
        r->depth = sqlite3_column_int(st, 6);
        r->base_channels = sqlite3_column_int(st, 7);
        r->patch = sqlite3_column_int(st, 8);
        r->action = !r->out_id                             ? MERGE_ADD
                    : r->in_finished && !r->out_kept ? MERGE_REPLACE
                                                           : MERGE_SKIP;
    }
    if (rc != SQLITE_DONE) {
        db_fail(out, rc, doing, err, errlen);
        sqlite3_finalize(st);
        free(*runs);
        *runs = NULL;
        *nruns = 0;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Every file of a run folder that a merge would copy is no larger than its run's shapes allow
 * (run_file_bound; opts->param_count gives the parameters). */
static int check_file_sizes(const char *in_path, const char *dir, const merge_run *r,
                            const store_merge_options *opts, char *err, size_t errlen)
{
    const int64_t params =
        opts && opts->param_count ? opts->param_count(r->depth, r->base_channels) : 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : fail(err, errlen, "cannot merge %s: cannot read %s: %s",
                                          in_path, dir, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        const int kind = run_file_kind(e->d_name);
        char path[PATH_CAP];
        struct stat sb;
        if (kind < 0 || (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        const int64_t bound = run_file_bound((enum run_file_kind)kind, params, r->patch);
        if ((int64_t)sb.st_size > bound)
            rc = fail(err, errlen, "cannot merge %s: run %.12s: %s holds %lld bytes, more than a "
                      "run of its shapes writes (%lld: %lld parameters, patch %d); the shard is "
                      "refused, nothing was merged", in_path, r->hash, path,
                      (long long)sb.st_size, (long long)bound, (long long)params, r->patch);
    }
    closedir(d);
    return rc;
}

/* The run folder of every run to copy must be a folder (not a link to one, or missing), every
 * checkpoint a regular file in it (a merged database must not name files it does not have), and
 * every file to copy within its size bound. */
static int check_run_files(store *out, const char *in_path, const char *in_dir,
                           const char *in_prefix, const merge_run *runs, size_t nruns,
                           const store_merge_options *opts, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    char why[512];
    if (prepare(out, &st, "", why, sizeof why,
                "SELECT kind, path FROM merge_src.checkpoints WHERE run_id = ?1", "") < 0)
        return input_fail(out, in_path, err, errlen);
    int result = 0;
    for (size_t i = 0; result == 0 && i < nruns; i++) {
        char dir[PATH_CAP], rel[PATH_CAP];
        if (runs[i].action == MERGE_SKIP)
            continue;
        snprintf(rel, sizeof rel, "%s%.12s", in_prefix, runs[i].hash);
        join_path(in_dir, rel, dir, sizeof dir);
        if (source_folder(in_path, dir, err, errlen) < 0 ||
            check_file_sizes(in_path, dir, &runs[i], opts, err, errlen) < 0) {
            result = -1;
            break;
        }
        sqlite3_bind_int64(st, 1, runs[i].in_id);
        int rc = SQLITE_DONE;
        while (result == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            char src[PATH_CAP];
            struct stat sb;
            /* The path was checked to be "<folder>/<plain name>", the folder the hash's. */
            join_path(in_dir, (const char *)sqlite3_column_text(st, 1), src, sizeof src);
            const int found = lstat(src, &sb) == 0;
            const char *base = strrchr(src, '/');
            if (run_file_kind(base ? base + 1 : src) < 0)
                result = fail(err, errlen,
                              "cannot merge %s: run %.12s: its %s checkpoint %s is not a file a "
                              "run writes; the shard is refused, nothing was merged",
                              in_path, runs[i].hash, (const char *)sqlite3_column_text(st, 0),
                              src);
            else if (!found || !S_ISREG(sb.st_mode))
                result = fail(err, errlen,
                              "cannot merge %s: run %.12s: its %s checkpoint %s is %s; the "
                              "shard is refused, nothing was merged",
                              in_path, runs[i].hash, (const char *)sqlite3_column_text(st, 0),
                              src, !found ? "missing" : "not a regular file");
        }
        if (result == 0 && rc != SQLITE_DONE)
            result = input_fail(out, in_path, err, errlen);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return result;
}

/* ---- conflicts: one run, two results ------------------------------------------------------- */

static int ignored(const char *name, const char *const *names)
{
    for (; names && *names; names++)
        if (strcmp(name, *names) == 0)
            return 1;
    return 0;
}

/* Adds "split.name" to the conflict's list of metrics (each once, as long as there is room). */
static void note_metric(store_merge_conflict *c, const char *split, const char *name)
{
    char item[128];
    snprintf(item, sizeof item, "%s.%s", split, name);
    const size_t used = strlen(c->metrics), n = strlen(item);
    for (const char *p = strstr(c->metrics, item); p; p = strstr(p + 1, item))
        if ((p == c->metrics || p[-2] == ',') && (p[n] == '\0' || p[n] == ','))
            return;
    if (used + n + 8 < sizeof c->metrics)
        snprintf(c->metrics + used, sizeof c->metrics - used, "%s%s", used ? ", " : "", item);
    else if (!strstr(c->metrics, ", ..."))
        snprintf(c->metrics + used, sizeof c->metrics - used, ", ...");
}

/* Compares the metric rows of a run finished in both databases (metrics named in ignore, the
 * timings, aside). Returns 1 when they differ (*c filled), 0 when they agree, -1 on error. */
static int compare_results(store *out, const merge_run *r, const char *const *ignore,
                           store_merge_conflict *c, char *err, size_t errlen)
{
    const char *doing = "merging: comparing a run's results";
    sqlite3_stmt *st;
    memset(c, 0, sizeof *c);
    snprintf(c->config_hash, sizeof c->config_hash, "%s", r->hash);
    c->out_run_id = r->out_id;
    /* Both sides' rows in one order; a value is the metric's, or NULL (a NaN) where that side has
     * the row, and the side is marked where it lacks it. */
    if (prepare(out, &st, doing, err, errlen,
                "SELECT epoch, split, name, max(side = 1), max(CASE WHEN side = 1 THEN value END),"
                " max(side = 2), max(CASE WHEN side = 2 THEN value END),"
                " max(side = 1 AND value IS NULL), max(side = 2 AND value IS NULL)"
                " FROM (SELECT 1 AS side, epoch, split, name, value FROM merge_src.metrics"
                "  WHERE run_id = ?1 UNION ALL SELECT 2, epoch, split, name, value"
                "  FROM main.metrics WHERE run_id = ?2)"
                " GROUP BY epoch, split, name ORDER BY epoch, split, name",
                "ii", r->in_id, r->out_id) < 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *split = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        if (!split || !name || ignored(name, ignore))
            continue;
        const int in_has = sqlite3_column_int(st, 3), out_has = sqlite3_column_int(st, 5);
        const int in_nan = sqlite3_column_int(st, 7), out_nan = sqlite3_column_int(st, 8);
        const double a = sqlite3_column_double(st, 4), b = sqlite3_column_double(st, 6);
        if (in_has && out_has && in_nan == out_nan && (in_nan || a == b))
            continue;
        c->values_differ++;
        if (in_has && out_has && !in_nan && !out_nan && fabs(a - b) > c->max_abs_diff)
            c->max_abs_diff = fabs(a - b);
        note_metric(c, split, name);
    }
    if (rc != SQLITE_DONE)
        db_fail(out, rc, doing, err, errlen);
    sqlite3_finalize(st);
    return rc != SQLITE_DONE ? -1 : c->values_differ > 0;
}

static int find_conflicts(store *out, const merge_run *runs, size_t nruns,
                          const store_merge_options *opts, store_merge_stats *stats, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < nruns; i++) {
        if (!runs[i].in_finished || !runs[i].out_finished)
            continue;
        store_merge_conflict c;
        const int differ = compare_results(out, &runs[i], opts ? opts->ignore_metrics : NULL, &c,
                                           err, errlen);
        if (differ < 0)
            return -1;
        if (!differ)
            continue;
        store_merge_conflict *grown = realloc(stats->conflicts,
                                              (stats->nconflicts + 1) * sizeof *grown);
        if (!grown)
            return fail(err, errlen, "out of memory comparing runs");
        stats->conflicts = grown;
        stats->conflicts[stats->nconflicts++] = c;
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------------------------- */

/* The input's grid links of the given runs (all: n == 0), for the runs out has. A link whose
 * grid index is taken in out by another run (the two databases hold different grids under one
 * sweep name) is not added: out's grid stays as it is. */
static int link_runs(store *out, const merge_run *batch, size_t n, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT INTO main.sweep_runs (sweep_id, run_id, grid_index)"
        " SELECT os.id, o.id, l.grid_index FROM merge_src.sweep_runs l"
        " JOIN merge_src.sweeps s ON s.id = l.sweep_id"
        " JOIN main.sweeps os ON os.name = s.name"
        " JOIN merge_src.runs i ON i.id = l.run_id"
        " JOIN main.runs o ON o.config_hash = i.config_hash"
        " WHERE (?1 IS NULL OR l.run_id = ?1) ON CONFLICT DO NOTHING";
    if (n == 0)
        return exec_sql(out, NULL, "merging the grid links", err, errlen, sql, "t", NULL);
    for (size_t i = 0; i < n; i++)
        if (batch[i].action != MERGE_SKIP &&
            exec_sql(out, NULL, "merging the grid links", err, errlen, sql, "i",
                     batch[i].in_id) < 0)
            return -1;
    return 0;
}

/* Takes, for this process, each run of the batch: one out lacks is added with its params and
 * grid links, one out has unfinished (not running) loses its metric and checkpoint rows; both
 * become `running`, with no epoch, this process their owner, as a claim makes them. A sweep then
 * leaves them alone while their folders are written, and a crash leaves them to be trained from
 * the start or merged again. A run that changed since it was listed (a sweep added, claimed or
 * finished it) is left alone: *lost counts those. */
static int take_runs(store *out, merge_run *batch, size_t n, int *lost, char *err, size_t errlen)
{
    const char *doing = "merging: taking the runs to copy";
    *lost = 0;
    if (tx_begin(out, doing, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        merge_run *r = &batch[i];
        char folder_rel[PATH_CAP];
        int changed = 0;
        store_run_folder_rel(out, r->hash, folder_rel, sizeof folder_rel);
        if (r->action == MERGE_ADD) {
            if (exec_sql(out, &changed, doing, err, errlen,
                         "INSERT INTO main.runs (sweep_id, folder, " RUN_COPY_COLUMNS ")"
                         " SELECT (SELECT o.id FROM main.sweeps o JOIN merge_src.sweeps i"
                         " ON i.name = o.name WHERE i.id = r.sweep_id), ?2, " RUN_COPY_COLUMNS
                         " FROM merge_src.runs r WHERE r.id = ?1"
                         " AND NOT EXISTS (SELECT 1 FROM main.runs WHERE config_hash = ?3)",
                         "itt", r->in_id, folder_rel, r->hash) < 0)
                return tx_abort(out);
            if (changed) {
                r->out_id = sqlite3_last_insert_rowid(out->db);
                if (exec_sql(out, NULL, doing, err, errlen,
                             "INSERT INTO main.params (run_id, key, value)"
                             " SELECT ?2, key, value FROM merge_src.params WHERE run_id = ?1",
                             "ii", r->in_id, r->out_id) < 0)
                    return tx_abort(out);
            }
        } else if (r->action == MERGE_REPLACE) {
            if (exec_sql(out, &changed, doing, err, errlen,
                         "DELETE FROM main.metrics WHERE run_id = ?1 AND (SELECT status"
                         " NOT IN ('" STATUS_FINISHED "', '" STATUS_RUNNING "')"
                         " FROM main.runs WHERE id = ?1)", "i", r->out_id) < 0 ||
                exec_sql(out, &changed, doing, err, errlen,
                         "DELETE FROM main.checkpoints WHERE run_id = ?1 AND (SELECT status"
                         " NOT IN ('" STATUS_FINISHED "', '" STATUS_RUNNING "')"
                         " FROM main.runs WHERE id = ?1)", "i", r->out_id) < 0 ||
                exec_sql(out, &changed, doing, err, errlen,
                         "DELETE FROM main.file_hashes WHERE run_id = ?1 AND (SELECT status"
                         " NOT IN ('" STATUS_FINISHED "', '" STATUS_RUNNING "')"
                         " FROM main.runs WHERE id = ?1)", "i", r->out_id) < 0)
                return tx_abort(out);
            changed = 1;
        } else {
            continue;
        }
        if (changed &&
            exec_sql(out, &changed, doing, err, errlen,
                     "UPDATE main.runs SET status = '" STATUS_RUNNING "', pid = ?2, host = ?3,"
                     " heartbeat_at = " NOW_SQL ", epochs_done = -1, error = NULL,"
                     " finished_at = NULL WHERE id = ?1 AND (?4 OR status NOT IN ('"
                     STATUS_FINISHED "', '" STATUS_RUNNING "'))",
                     "iitn", r->out_id, (int64_t)getpid(), out->host,
                     r->action == MERGE_ADD) < 0)
            return tx_abort(out);
        r->taken = changed;
        if (!changed) {
            r->action = MERGE_SKIP;
            (*lost)++;
        }
    }
    if (link_runs(out, batch, n, err, errlen) < 0 || tx_commit(out, doing, err, errlen) < 0)
        return tx_abort(out);
    return 0;
}

/* After a failed copy: the runs this process took end interrupted (with no epoch), as a run
 * whose checkpoint could not be written does, so that they are trained or merged again. */
static void release_runs(store *out, const merge_run *batch, size_t n, const char *why)
{
    char err[256];
    for (size_t i = 0; i < n; i++)
        if (batch[i].taken)
            exec_sql(out, NULL, "", err, sizeof err,
                     "UPDATE main.runs SET status = '" STATUS_INTERRUPTED "', error = ?4,"
                     " finished_at = " NOW_SQL " WHERE id = ?1 AND status = '" STATUS_RUNNING
                     "' AND pid = ?2 AND host = ?3",
                     "iitt", batch[i].out_id, (int64_t)getpid(), out->host, why);
}

/* Copies a run's params, metrics, checkpoints (paths moved from the input's run folder to
 * out's) and file hashes onto out_id, which has none. */
static int copy_run_rows(store *out, const merge_run *r, const char *in_prefix,
                         const char *out_prefix, char *err, size_t errlen)
{
    const char *doing = "merging a run's rows";
    return exec_sql(out, NULL, doing, err, errlen,
                    "INSERT INTO main.params (run_id, key, value)"
                    " SELECT ?2, key, value FROM merge_src.params WHERE run_id = ?1",
                    "ii", r->in_id, r->out_id) < 0 ||
                   exec_sql(out, NULL, doing, err, errlen,
                            "INSERT INTO main.metrics (run_id, epoch, split, name, value)"
                            " SELECT ?2, epoch, split, name, value FROM merge_src.metrics"
                            " WHERE run_id = ?1",
                            "ii", r->in_id, r->out_id) < 0 ||
                   exec_sql(out, NULL, doing, err, errlen,
                            "INSERT INTO main.checkpoints (run_id, kind, epoch, path)"
                            " SELECT ?2, kind, epoch, ?4 || substr(path, length(?3) + 1)"
                            " FROM merge_src.checkpoints WHERE run_id = ?1",
                            "iitt", r->in_id, r->out_id, in_prefix, out_prefix) < 0 ||
                   exec_sql(out, NULL, doing, err, errlen,
                            "INSERT INTO main.file_hashes (run_id, epoch, name, sha256)"
                            " SELECT ?2, epoch, name, sha256 FROM merge_src.file_hashes"
                            " WHERE run_id = ?1",
                            "ii", r->in_id, r->out_id) < 0
               ? -1
               : 0;
}

/* Writes the rows of a run this process took: the input's row, params, metrics and checkpoints,
 * unless the run is no longer this process's (it was found stale and claimed). *written says
 * whether it was. */
static int write_run(store *out, merge_run *r, const char *in_prefix, const char *out_prefix,
                     int *written, char *err, size_t errlen)
{
    const char *doing = "merging a run";
    char folder_rel[PATH_CAP];
    int changed = 0;
    store_run_folder_rel(out, r->hash, folder_rel, sizeof folder_rel);
    *written = 0;
    if (exec_sql(out, &changed, doing, err, errlen,
                 "UPDATE main.runs SET (" RUN_COPY_COLUMNS ") = (SELECT " RUN_COPY_COLUMNS
                 " FROM merge_src.runs WHERE id = ?1), folder = ?2 WHERE id = ?3"
                 " AND status = '" STATUS_RUNNING "' AND pid = ?4 AND host = ?5",
                 "itiit", r->in_id, folder_rel, r->out_id, (int64_t)getpid(), out->host) < 0 ||
        (changed && exec_sql(out, NULL, doing, err, errlen,
                             "DELETE FROM main.params WHERE run_id = ?1", "i", r->out_id) < 0))
        return -1;
    if (!changed)
        return 0;
    *written = 1;
    return copy_run_rows(out, r, in_prefix, out_prefix, err, errlen);
}

typedef struct merge_paths {
    const char *in_path;
    char in_dir[PATH_CAP], in_name[NAME_CAP];
    char in_prefix[NAME_CAP + 8], out_prefix[NAME_CAP + 8], out_root[PATH_CAP];
} merge_paths;

/* One batch: take the runs, copy their files, write their rows. */
static int merge_batch(store *out, const merge_paths *p, merge_run *batch, size_t n,
                       store_merge_stats *stats, char *err, size_t errlen)
{
    int lost;
    if (take_runs(out, batch, n, &lost, err, errlen) < 0)
        return -1;
    stats->runs_skipped += lost;
    for (size_t i = 0; i < n; i++) {
        merge_run *r = &batch[i];
        char src_dir[PATH_CAP], src_rel[PATH_CAP], dst_dir[PATH_CAP];
        int copied;
        if (r->action == MERGE_SKIP)
            continue;
        snprintf(src_rel, sizeof src_rel, "%s%.12s", p->in_prefix, r->hash);
        join_path(p->in_dir, src_rel, src_dir, sizeof src_dir);
        store_run_folder(out, r->hash, dst_dir, sizeof dst_dir);
        if (copy_run_folder(p->in_path, src_dir, p->out_root, dst_dir, out->dir, &copied, err,
                            errlen) < 0) {
            release_runs(out, batch, n, err);
            return -1;
        }
        stats->folders_copied += copied;
    }
    const char *doing = "merging runs";
    if (tx_begin(out, doing, err, errlen) < 0) {
        release_runs(out, batch, n, err);
        return -1;
    }
    int added = 0, replaced = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        int written;
        if (batch[i].action == MERGE_SKIP)
            continue;
        if (write_run(out, &batch[i], p->in_prefix, p->out_prefix, &written, err, errlen) < 0) {
            tx_rollback(out);
            release_runs(out, batch, n, err);
            return -1;
        }
        added += written && batch[i].action == MERGE_ADD;
        replaced += written && batch[i].action == MERGE_REPLACE;
        skipped += !written;
        if (!written)
            batch[i].action = MERGE_SKIP;
    }
    if (tx_commit(out, doing, err, errlen) < 0) {
        tx_rollback(out);
        release_runs(out, batch, n, err);
        return -1;
    }
    stats->runs_added += added;
    stats->runs_replaced += replaced;
    stats->runs_skipped += skipped;
    return 0;
}

static int merge_attached(store *out, const char *in_path, const store_merge_options *opts,
                          store_merge_stats *stats, char *err, size_t errlen)
{
    merge_paths p = {.in_path = in_path};
    if (split_path(in_path, p.in_dir, p.in_name) < 0)
        return fail(err, errlen, "cannot merge %s: it does not end in a usable file name", in_path);
    snprintf(p.in_prefix, sizeof p.in_prefix, "%s.runs/", p.in_name);
    snprintf(p.out_prefix, sizeof p.out_prefix, "%s.runs/", out->name);
    char root_rel[NAME_CAP + 8];
    snprintf(root_rel, sizeof root_rel, "%s.runs", out->name);
    join_path(out->dir, root_rel, p.out_root, sizeof p.out_root);
    if (check_merge_version(out, in_path, err, errlen) < 0 ||
        check_merge_values(out, in_path, p.in_prefix, err, errlen) < 0)
        return -1;
    merge_run *runs;
    size_t nruns;
    if (list_merge_runs(out, &runs, &nruns, err, errlen) < 0)
        return -1;
    int rc = check_run_files(out, in_path, p.in_dir, p.in_prefix, runs, nruns, opts, err,
                             errlen);
    if (rc == 0)
        rc = find_conflicts(out, runs, nruns, opts, stats, err, errlen);
    const char *doing = "merging the sweeps";
    if (rc == 0 && (tx_begin(out, doing, err, errlen) < 0 ||
                    exec_sql(out, &stats->sweeps_added, doing, err, errlen,
                             "INSERT INTO main.sweeps (name, ini_text, ini_path, axes, created_at,"
                             " updated_at, host, wb_version, git_commit, git_dirty)"
                             " SELECT name, ini_text, ini_path, axes, created_at, updated_at,"
                             " host, wb_version, git_commit, git_dirty FROM merge_src.sweeps"
                             " WHERE name NOT IN (SELECT name FROM main.sweeps) ORDER BY id",
                             "") < 0 ||
                    tx_commit(out, doing, err, errlen) < 0))
        rc = tx_abort(out);
    for (size_t i = 0; rc == 0 && i < nruns; i++)
        stats->runs_skipped += runs[i].action == MERGE_SKIP;
    for (size_t start = 0; rc == 0 && start < nruns;) {
        merge_run *batch = runs + start;
        size_t n = 0;
        /* A batch is MERGE_BATCH runs to copy (runs to skip do not count). */
        for (size_t copy = 0; start + n < nruns && copy < MERGE_BATCH; n++)
            copy += runs[start + n].action != MERGE_SKIP;
        rc = merge_batch(out, &p, batch, n, stats, err, errlen);
        start += n;
    }
    /* The links of runs out had already. */
    if (rc == 0 && link_runs(out, NULL, 0, err, errlen) < 0)
        rc = -1;
    /* Branches name their trajectory by id: out's id of the trajectory the input's names (found
     * by its hash), for every branch out has without one. */
    if (rc == 0 &&
        exec_sql(out, NULL, "merging: linking branches to their trajectories", err, errlen,
                 "UPDATE main.runs SET trajectory_id = (SELECT o.id FROM merge_src.runs ib"
                 " JOIN merge_src.runs it ON it.id = ib.trajectory_id"
                 " JOIN main.runs o ON o.config_hash = it.config_hash"
                 " WHERE ib.config_hash = main.runs.config_hash)"
                 " WHERE trajectory_id IS NULL AND config_hash IN"
                 " (SELECT config_hash FROM merge_src.runs WHERE trajectory_id IS NOT NULL)",
                 "") < 0)
        rc = -1;
    free(runs);
    return rc;
}

void store_merge_stats_free(store_merge_stats *stats)
{
    if (!stats)
        return;
    free(stats->conflicts);
    stats->conflicts = NULL;
    stats->nconflicts = 0;
}

int store_merge(store *out, const char *in_path, const store_merge_options *opts,
                store_merge_stats *stats, char *err, size_t errlen)
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
    const int rc = merge_attached(out, in_path, opts, &counts, err, errlen);
    sqlite3_exec(out->db, "DETACH DATABASE merge_src", NULL, NULL, NULL);
    counts.runs_conflicting = (int)counts.nconflicts;
    if (stats)
        *stats = counts;
    else
        store_merge_stats_free(&counts);
    return rc;
}
