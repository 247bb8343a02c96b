/* store/sweeps.c: sweep records: creating or updating one, finding one, its grid links, and its
 * runs counted by status. */
#include "store/internal.h"

#include <string.h>

/* The sweep a command given no --sweep means: the one created or re-run last that is not a
 * one-off ("run:NAME", wb run's record), else the latest one-off. A single wb run must not take
 * the default from the grid it was tried beside (it has no baseline to compare with). */
static const char latest_sweep_sql[] =
    "SELECT id, name FROM sweeps ORDER BY name GLOB 'run:*', updated_at DESC, id DESC LIMIT 1";

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

int store_pick_sweep(store *s, const char *name, int64_t *sweep_id, int *missing, char *err,
                     size_t errlen)
{
    int found = name ? query_int64(s, sweep_id, "finding a sweep", err, errlen,
                                   "SELECT id FROM sweeps WHERE name = ?1", "t", name)
                     : query_int64(s, sweep_id, "finding the latest sweep", err, errlen,
                                   latest_sweep_sql, "");
    if (missing)
        *missing = found == 0;
    if (found == 0)
        return name ? fail(err, errlen, "%s: no sweep named '%s'", s->path, name)
                    : fail(err, errlen, "%s: no sweep yet", s->path);
    return found < 0 ? -1 : 0;
}

int store_find_sweep(store *s, const char *name, int64_t *sweep_id, char *err, size_t errlen)
{
    return store_pick_sweep(s, name, sweep_id, NULL, err, errlen);
}

int store_latest_sweep(store *s, int64_t *sweep_id, char *name, size_t namelen, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, "finding the latest sweep", err, errlen, latest_sweep_sql, "") < 0)
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

int store_sweep_slot(store *s, int64_t sweep_id, const char *config_hash, int *grid_index,
                     char *err, size_t errlen)
{
    int64_t index = 0;
    if (query_int64(s, &index, "finding a run's grid index", err, errlen,
                    "SELECT coalesce((SELECT l.grid_index FROM sweep_runs l JOIN runs r"
                    " ON r.id = l.run_id WHERE l.sweep_id = ?1 AND r.config_hash = ?2),"
                    " (SELECT count(*) FROM sweep_runs WHERE sweep_id = ?1))",
                    "it", sweep_id, config_hash) < 0)
        return -1;
    *grid_index = (int)index;
    return 0;
}

int store_count_by_status(store *s, int64_t sweep_id, store_status_count counts[STORE_NSTATUS],
                          size_t *n, char *err, size_t errlen)
{
    const char *doing = "counting a sweep's runs";
    sqlite3_stmt *st;
    *n = 0;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT r.status, count(*) FROM runs r JOIN sweep_runs l ON l.run_id = r.id"
                " WHERE l.sweep_id = ?1 GROUP BY r.status ORDER BY r.status",
                "i", sweep_id) < 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < STORE_NSTATUS) {
        store_status_count *c = &counts[*n];
        if (store_status_parse((const char *)sqlite3_column_text(st, 0), &c->status) != 0)
            continue;
        c->runs = sqlite3_column_int(st, 1);
        (*n)++;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        db_fail(s, rc, doing, err, errlen);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}
