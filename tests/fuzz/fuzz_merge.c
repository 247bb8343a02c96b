/* tests/fuzz/fuzz_merge.c: a shard database, any bytes, merged by store_merge into a fresh output
 * (issue 15, item 2). The shard sits in <root>/a/b/in/ with a run folder for each of its runs
 * whose checkpoints name files (made here, so that a merge can succeed); the output in
 * <root>/a/b/out/. Whatever the bytes:
 *   - nothing appears outside the output folder (<root>, <root>/a and <root>/a/b hold what they
 *     held: a hash such as ../../x would write there);
 *   - a refused or failed merge leaves the output without a sweep or a run (refused whole);
 *   - a merge that succeeds leaves an output that passes integrity_check, whose every run folder
 *     and checkpoint path is the one its hash gives, and whose every file is a copy of the
 *     shard's file of the same run and name (nothing foreign copied in).
 * See fuzz_ini.c for the build; make test replays the seeds and tests/fuzz/crashes/merge. */
#include <dirent.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "store/store.h"
#include "tests/support/tempdir.h"

static char merge_root[64];

static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char child[1024];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void drop_root(void)
{
    remove_tree(merge_root);
}

/* The names in dir, sorted, joined by spaces. */
static void names_in(const char *dir, char *out, size_t len)
{
    char names[64][256];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", names[i]);
}

static void write_bytes(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
}

/* A bound on the harness's own reading of a hostile file. */
static int stop_reading(void *ctx)
{
    return ++*(long *)ctx > 200000;
}

/* Makes the files the shard's checkpoints name ("s.db.runs/<12 hex>/<name>"), so that merges
 * of whole-looking shards can succeed. Reads the shard as data only. */
static void make_shard_files(const char *in_dir, const char *db_path)
{
    sqlite3 *db;
    long steps = 0;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_progress_handler(db, 1000, stop_reading, &steps);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT path FROM checkpoints LIMIT 64", -1, &st, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *p = (const char *)sqlite3_column_text(st, 0);
            const char *name = p && strlen(p) > 23 ? p + 22 : NULL;
            if (!p || strncmp(p, "s.db.runs/", 10) != 0 || strspn(p + 10, "0123456789abcdef") != 12 ||
                p[22] != '/' || !name || name[1] == '\0' || name[1] == '.' || strchr(name + 1, '/') ||
                strspn(name + 1, "abcdefghijklmnopqrstuvwxyz.") != strlen(name + 1))
                continue;
            char dir[512], file[600];
            snprintf(dir, sizeof dir, "%s/s.db.runs", in_dir);
            mkdir(dir, 0777);
            snprintf(dir, sizeof dir, "%s/%.22s", in_dir, p);
            mkdir(dir, 0777);
            snprintf(file, sizeof file, "%s/%s", in_dir, p);
            write_bytes(file, p, strlen(p));
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static int count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Every file of the output's run folders is the shard's file of the same run and name. */
static void check_files_are_copies(const char *base)
{
    char runs[512];
    snprintf(runs, sizeof runs, "%s/out/o.db.runs", base);
    DIR *d = opendir(runs);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char run[768];
        snprintf(run, sizeof run, "%s/%s", runs, e->d_name);
        DIR *r = opendir(run);
        if (!r) {
            fprintf(stderr, "fuzz_merge: %s is not a folder\n", run);
            abort();
        }
        struct dirent *g;
        while ((g = readdir(r))) {
            if (strcmp(g->d_name, ".") == 0 || strcmp(g->d_name, "..") == 0)
                continue;
            char got[1024], src[1024];
            snprintf(got, sizeof got, "%s/%s", run, g->d_name);
            snprintf(src, sizeof src, "%s/in/s.db.runs/%s/%s", base, e->d_name, g->d_name);
            if (g->d_name[0] == '.' || !tempdir_same_file(got, src)) {
                fprintf(stderr, "fuzz_merge: %s is not a copy of %s\n", got, src);
                abort();
            }
        }
        closedir(r);
    }
    if (d)
        closedir(d);
}

int wb_fuzz_merge(const uint8_t *data, size_t size)
{
    char a[128], base[160], in_dir[192], out_dir[192], in_path[256], out_path[256], err[2048];
    char tmpl[128], listing[4096];
    if (wb_fuzz_scratch(merge_root, "merge", drop_root)) {
        /* An empty output made once, copied for every input. */
        snprintf(tmpl, sizeof tmpl, "%s/template.db", merge_root);
        store *t;
        if (store_open(tmpl, STORE_OPEN_CREATE, &t, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_merge: %s\n", err);
            abort();
        }
        store_close(t);
    }
    snprintf(tmpl, sizeof tmpl, "%s/template.db", merge_root);
    snprintf(a, sizeof a, "%s/a", merge_root);
    snprintf(base, sizeof base, "%s/b", a);
    snprintf(in_dir, sizeof in_dir, "%s/in", base);
    snprintf(out_dir, sizeof out_dir, "%s/out", base);
    remove_tree(a);
    if (mkdir(a, 0777) != 0 || mkdir(base, 0777) != 0 || mkdir(in_dir, 0777) != 0 ||
        mkdir(out_dir, 0777) != 0)
        abort();
    snprintf(in_path, sizeof in_path, "%s/s.db", in_dir);
    snprintf(out_path, sizeof out_path, "%s/o.db", out_dir);
    write_bytes(in_path, data, size);
    make_shard_files(in_dir, in_path);
    {
        FILE *f = fopen(tmpl, "rb");
        static unsigned char buf[1 << 20];
        const size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        write_bytes(out_path, buf, n);
    }

    store *out;
    if (store_open(out_path, STORE_OPEN_EXISTING, &out, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_merge: %s\n", err);
        abort();
    }
    store_merge_stats stats;
    const int rc = store_merge(out, in_path, NULL, &stats, err, sizeof err);
    if (getenv("WB_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_merge: %s: %d runs added, %d skipped%s%s\n", rc ? "refused" : "merged",
                stats.runs_added, stats.runs_skipped, rc ? ": " : "", rc ? err : "");
    store_merge_stats_free(&stats);
    store_close(out);

    /* Nothing outside the output folder. */
    names_in(merge_root, listing, sizeof listing);
    if (strcmp(listing, "a template.db") != 0 && strcmp(listing, "a template.db template.db-shm "
                                                              "template.db-wal") != 0) {
        fprintf(stderr, "fuzz_merge: %s holds %s\n", merge_root, listing);
        abort();
    }
    names_in(a, listing, sizeof listing);
    if (strcmp(listing, "b") != 0) {
        fprintf(stderr, "fuzz_merge: %s holds %s\n", a, listing);
        abort();
    }
    names_in(base, listing, sizeof listing);
    if (strcmp(listing, "in out") != 0) {
        fprintf(stderr, "fuzz_merge: %s holds %s\n", base, listing);
        abort();
    }
    sqlite3 *db;
    if (sqlite3_open_v2(out_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        abort();
    if (rc != 0) {
        if (count_rows(db, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM sweeps)") !=
            0) {
            fprintf(stderr, "fuzz_merge: a failed merge left rows: %s\n", err);
            abort();
        }
    } else {
        static const char *const must_be_zero[] = {
            "SELECT count(*) FROM runs WHERE length(config_hash) <> 64"
            " OR config_hash GLOB '*[^0-9a-f]*' OR folder <> 'o.db.runs/' || substr(config_hash, 1, 12)",
            "SELECT count(*) FROM checkpoints c JOIN runs r ON r.id = c.run_id"
            " WHERE substr(c.path, 1, length(r.folder) + 1) <> r.folder || '/'"
            " OR instr(substr(c.path, length(r.folder) + 2), '/') > 0",
            "SELECT count(*) FROM pragma_foreign_key_check",
            "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'",
        };
        for (size_t i = 0; i < sizeof must_be_zero / sizeof must_be_zero[0]; i++)
            if (count_rows(db, must_be_zero[i]) != 0) {
                fprintf(stderr, "fuzz_merge: the merged output fails: %s\n", must_be_zero[i]);
                abort();
            }
        check_files_are_copies(base);
    }
    sqlite3_close(db);
    remove_tree(a);
    return 0;
}

WB_FUZZ_ENTRY(wb_fuzz_merge)
