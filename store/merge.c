/* store/merge.c: another database's sweeps, runs, rows and run folders copied into this one. */
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A failure to read the merge's input, said about the input rather than about out. */
static int input_fail(store *out, const char *in_path, char *err, size_t errlen)
{
    return fail(err, errlen, "cannot merge %s: %s", in_path,
                (sqlite3_extended_errcode(out->db) & 0xff) == SQLITE_NOTADB
                    ? "not an SQLite database"
                    : sqlite3_errmsg(out->db));
}

/* The input must be a wb database of exactly this binary's version: an older one is migrated by
 * a command that writes it (the merge only reads it), a newer one is not understood. */
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
                    "cannot merge %s: schema version %lld is older than %d; run `wb sweep "
                    "FILE.ini --db %s` or `wb merge %s OTHER.db` to migrate it first",
                    in_path, (long long)version, STORE_SCHEMA_VERSION, in_path, in_path);
    return 0;
}

typedef struct merge_run {
    int64_t in_id, out_id;      /* out_id 0: not in out */
    int in_finished;
    int out_kept;               /* finished in out (final), or running there (a live worker's) */
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
                "SELECT i.id, i.status = '" STATUS_FINISHED "', i.config_hash, i.folder, o.id,"
                " o.status IN ('" STATUS_FINISHED "', '" STATUS_RUNNING "')"
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
        r->out_kept = sqlite3_column_int(st, 5);
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
        int replace = r->out_id && r->in_finished && !r->out_kept;
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
