/* store/epochs.c: one epoch of a run in one transaction: its checkpoint rows, its metric rows,
 * epochs_done and the heartbeat. */
#include "store/internal.h"

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
        rc = step_with(s, st, doing, err, errlen, "itnt", run_id, ck[i].kind, ck[i].epoch,
                       ck[i].path);
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
                "INSERT INTO metrics (run_id, epoch, split, name, value)"
                " VALUES (?1, ?2, ?3, ?4, ?5)",
                "") < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nm; i++) {
        if (!m[i].split || !m[i].name) {
            rc = fail(err, errlen, "%s: %s: metric %zu has no split or name", s->path, doing, i);
            break;
        }
        /* A NaN value binds as NULL. */
        rc = step_with(s, st, doing, err, errlen, "inttd", run_id, epoch, m[i].split,
                       m[i].name, m[i].value);
        if (rc != 0 && sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
            fail(err, errlen,
                 "%s: %s: run %lld epoch %d has %s.%s twice: metric rows are never replaced",
                 s->path, doing, (long long)run_id, epoch, m[i].split, m[i].name);
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
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            db_fail(s, rc, doing, err, errlen);
        else if (rc == SQLITE_ROW)
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
