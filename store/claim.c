/* store/claim.c: owning a run: claiming it (one process of any number trying at once wins), its
 * heartbeats, and its end; every write of an owner is guarded by the owner it recorded. */
#include "store/internal.h"

#include <stdio.h>
#include <string.h>

#include "base/fileio.h"

static const char claim_sql[] =
    "UPDATE runs SET status = '" STATUS_RUNNING "', pid = ?2, host = ?3,"
    " threads = coalesce(threads, nullif(?4, 0)), gemm_library = ?5, compiler = ?6,"
    " wb_version = ?7,"
    " started_at = coalesce(started_at, " NOW_SQL "), heartbeat_at = " NOW_SQL ","
    " finished_at = NULL, error = NULL"
    " WHERE id = ?1 AND status IN " CLAIMABLE_SQL;

/* The hidden temporary files a writer of the run's folder left when it was killed (a checkpoint
 * half written, a merge's copy): gone with their writers, they are removed when the run is
 * claimed. Best effort: a folder that cannot be read fails the run's first write anyway. */
static void remove_stale_temporaries(store *s, int64_t run_id)
{
    char hash[65], folder[PATH_CAP], why[256];
    sqlite3_stmt *st;
    if (prepare(s, &st, "", why, sizeof why, "SELECT config_hash FROM runs WHERE id = ?1", "i",
                run_id) < 0)
        return;
    hash[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW)
        copy_column_text(st, 0, hash, sizeof hash);
    sqlite3_finalize(st);
    if (strlen(hash) != 64 || strchr(hash, '/'))
        return;
    store_run_folder(s, hash, folder, sizeof folder);
    atomic_file_remove_stale(folder, NULL, why, sizeof why);
}

/* The handle's record of its claim of run_id (run_id 0: a free one), or NULL. */
static struct store_claim *claim_slot(store *s, int64_t run_id)
{
    for (int i = 0; i < STORE_CLAIMS; i++)
        if (s->claims[i].run_id == run_id)
            return &s->claims[i];
    return NULL;
}

/* The run is no longer this handle's: it ended, or was given back. */
static void forget_claim(store *s, int64_t run_id)
{
    struct store_claim *c = claim_slot(s, run_id);
    if (c && run_id != 0)
        c->run_id = 0;
}

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
        struct store_claim *c = claim_slot(s, run_id);
        if (!c)
            c = claim_slot(s, 0);
        if (!c)
            c = &s->claims[0];  /* only a caller holding more runs than it may lands here */
        c->run_id = run_id;
        c->pid = ci->pid;
        snprintf(c->host, sizeof c->host, "%s", host);
        remove_stale_temporaries(s, run_id);
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
            "SELECT l.run_id FROM sweep_runs l JOIN runs r ON r.id = l.run_id"
            " WHERE l.sweep_id = ?1 AND r.status IN " CLAIMABLE_SQL
            " AND (?3 = 0 OR " SHARD_INDEX_SQL " % ?3 = ?2)"
            " AND NOT EXISTS (SELECT 1 FROM runs t WHERE t.id = r.trajectory_id"
            "  AND r.epochs_done < r.fork_epoch AND t.status = '" STATUS_RUNNING "'"
            "  AND t.epochs_done < r.fork_epoch)"
            " ORDER BY l.grid_index LIMIT 1",
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

/* ---- the owner guard ----------------------------------------------------------------------- */

void bind_owner(const store *s, sqlite3_stmt *st, int64_t run_id)
{
    sqlite3_bind_int64(st, 1, run_id);
    for (int i = 0; i < STORE_CLAIMS; i++)
        if (run_id != 0 && s->claims[i].run_id == run_id) {
            sqlite3_bind_int64(st, 2, s->claims[i].pid);
            sqlite3_bind_text(st, 3, s->claims[i].host, -1, SQLITE_TRANSIENT);
        }
}

int explain_not_owner(store *s, int64_t run_id, const char *doing, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT status, pid, host FROM runs WHERE id = ?1", "i", run_id) < 0)
        return -1;
    int rc = sqlite3_step(st), result = -1;
    if (rc == SQLITE_DONE) {
        fail(err, errlen, "%s: %s: no run %lld", s->path, doing, (long long)run_id);
    } else if (rc != SQLITE_ROW) {
        db_fail(s, rc, doing, err, errlen);
    } else {
        char status[32], host[HOST_CAP];
        copy_column_text(st, 0, status, sizeof status);
        copy_column_text(st, 2, host, sizeof host);
        result = STORE_NOT_OWNER;
        if (strcmp(status, STATUS_RUNNING) != 0)
            fail(err, errlen, "%s: %s: run %lld is %s, not running (marked stale or ended?)",
                 s->path, doing, (long long)run_id, status);
        else
            fail(err, errlen,
                 "%s: %s: run %lld is now owned by process %lld on %s (it was marked stale and "
                 "claimed again): this process must stop it",
                 s->path, doing, (long long)run_id, (long long)sqlite3_column_int64(st, 1), host);
    }
    sqlite3_finalize(st);
    return result;
}

int owned_update(store *s, int64_t run_id, const char *sql, int has_arg, int64_t arg,
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
int store_release_run(store *s, int64_t run_id, char *err, size_t errlen)
{
    const char *doing = "giving a run back";
    int changed;
    if (refuse_readonly(s, doing, err, errlen) < 0 ||
        owned_update(s, run_id,
                     "UPDATE runs SET status = CASE WHEN epochs_done < 0 THEN '" STATUS_QUEUED
                     "' ELSE '" STATUS_INTERRUPTED "' END, pid = NULL, heartbeat_at = NULL"
                     " WHERE id = ?1" OWNER_GUARD,
                     0, 0, doing, &changed, err, errlen) < 0)
        return -1;
    if (!changed)
        return explain_not_owner(s, run_id, doing, err, errlen);
    forget_claim(s, run_id);
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
    forget_claim(s, run_id);
    return 0;
}


/* ---- the work left ------------------------------------------------------------------------- */

int store_sweep_todo(store *s, int64_t sweep_id, int *runs, long *epochs, char *err,
                     size_t errlen)
{
    const char *doing = "counting the runs left to train";
    sqlite3_stmt *st;
    /* A branch still to fork trains its decay only, and its trajectory the stable epochs up to
     * the latest fork its waiting branches need, once for all of them. */
    if (prepare(s, &st, doing, err, errlen,
                "SELECT count(*), coalesce(sum(r.epochs - max(r.epochs_done,"
                " coalesce(r.fork_epoch, 0), 0)), 0)"
                " + (SELECT coalesce(sum(x.need - max(t.epochs_done, 0)), 0) FROM"
                "   (SELECT r.trajectory_id AS tid, max(r.fork_epoch) AS need FROM runs r"
                "    JOIN sweep_runs l ON l.run_id = r.id WHERE l.sweep_id = ?1"
                "    AND r.status IN " CLAIMABLE_SQL " AND r.epochs_done < r.fork_epoch"
                "    GROUP BY r.trajectory_id) x JOIN runs t ON t.id = x.tid"
                "   WHERE t.epochs_done < x.need)"
                " FROM runs r JOIN sweep_runs l ON l.run_id = r.id WHERE l.sweep_id = ?1"
                " AND r.status IN " CLAIMABLE_SQL,
                "i", sweep_id) < 0)
        return -1;
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *runs = sqlite3_column_int(st, 0);
        *epochs = (long)sqlite3_column_int64(st, 1);
    } else {
        db_fail(s, rc, doing, err, errlen);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int store_sweep_running(store *s, int64_t sweep_id, int shard_k, int shard_n, int *running,
                        char *err, size_t errlen)
{
    int64_t count = 0;
    if (query_int64(s, &count, "counting the running runs", err, errlen,
                    "SELECT count(*) FROM runs r JOIN sweep_runs l ON l.run_id = r.id"
                    " WHERE l.sweep_id = ?1 AND r.status = '" STATUS_RUNNING "'"
                    " AND (?3 = 0 OR " SHARD_INDEX_SQL " % ?3 = ?2)",
                    "inn", sweep_id, shard_k, shard_n) < 0)
        return -1;
    *running = (int)count;
    return 0;
}
