/* store/epochs.c: one epoch of a run in one transaction: its checkpoint rows, the hashes of its
 * files, its metric rows, epochs_done and the heartbeat; the hashes read back, and a run taken
 * back to an earlier epoch when its later files are damaged. */
#include "store/internal.h"

#include <string.h>

#include "base/fileio.h"

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

/* A few rows an epoch: each its own statement. A hash of an epoch logged again after a crash
 * (the rows were never committed, or were removed going back) replaces the old one. */
static int insert_file_hashes(store *s, int64_t run_id, int epoch, const store_file_hash *files,
                              size_t nfiles, char *err, size_t errlen)
{
    const char *doing = "recording a file's hash";
    for (size_t i = 0; i < nfiles; i++)
        if (!files[i].name || !files[i].sha256)
            return fail(err, errlen, "%s: %s: file %zu has no name or hash", s->path, doing, i);
        else if (exec_sql(s, NULL, doing, err, errlen,
                          "INSERT OR REPLACE INTO file_hashes (run_id, epoch, name, sha256)"
                          " VALUES (?1, ?2, ?3, ?4)",
                          "intt", run_id, epoch, files[i].name, files[i].sha256) < 0)
            return -1;
    return 0;
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

/* Opens the transaction of a change of runs.epochs_done to `epoch`: going forward (logging the
 * next epoch, which must be epochs_done + 1) or back (to an epoch below epochs_done), by the
 * run's owner only. 0 with the transaction open and the row changed; else the transaction is
 * rolled back and -1 or STORE_NOT_OWNER returned, err saying which rule failed. */
static int move_epochs_done(store *s, int64_t run_id, int epoch, int forward, const char *doing,
                            char *err, size_t errlen)
{
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (epoch < 0)
        return fail(err, errlen, "%s: %s: negative epoch %d", s->path, doing, epoch);
    if (tx_begin(s, doing, err, errlen) < 0)
        return -1;
    int changed;
    if (owned_update(s, run_id,
                     forward ? "UPDATE runs SET epochs_done = ?4, heartbeat_at = " NOW_SQL
                               " WHERE id = ?1" OWNER_GUARD " AND epochs_done = ?4 - 1"
                             : "UPDATE runs SET epochs_done = ?4, heartbeat_at = " NOW_SQL
                               " WHERE id = ?1" OWNER_GUARD " AND epochs_done > ?4",
                     1, epoch, doing, &changed, err, errlen) < 0)
        return tx_abort(s);
    if (changed)
        return 0;
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
    else if (rc == SQLITE_ROW && forward)
        fail(err, errlen,
             "%s: %s: run %lld has logged epochs up to %lld, so the next is %lld, not %d (a "
             "resumed run logs only the epochs after epochs_done)",
             s->path, doing, (long long)run_id, (long long)done, (long long)done + 1, epoch);
    else if (rc == SQLITE_ROW)
        fail(err, errlen, "%s: %s: run %lld has logged epochs up to %lld, none after %d",
             s->path, doing, (long long)run_id, (long long)done, epoch);
    else if (explain_not_owner(s, run_id, doing, err, errlen) == STORE_NOT_OWNER) {
        tx_rollback(s);
        return STORE_NOT_OWNER;
    }
    return tx_abort(s);
}

int store_log_epoch(store *s, int64_t run_id, int epoch, const store_metric *m, size_t nm,
                    const store_checkpoint *ck, size_t nck, const store_file_hash *files,
                    size_t nfiles, char *err, size_t errlen)
{
    const char *doing = "logging an epoch";
    const int rc = move_epochs_done(s, run_id, epoch, 1, doing, err, errlen);
    if (rc != 0)
        return rc;
    if (insert_checkpoints(s, run_id, ck, nck, err, errlen) < 0 ||
        insert_file_hashes(s, run_id, epoch, files, nfiles, err, errlen) < 0 ||
        insert_metrics(s, run_id, epoch, m, nm, err, errlen) < 0 ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

int store_fork_run(store *s, int64_t branch_id, int64_t trajectory_id, int fork_epoch,
                   const store_checkpoint *ck, size_t nck, const store_file_at *files,
                   size_t nfiles, char *err, size_t errlen)
{
    const char *doing = "starting a branch from its trajectory";
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (fork_epoch < 0)
        return fail(err, errlen, "%s: %s: negative fork epoch %d", s->path, doing, fork_epoch);
    if (tx_begin(s, doing, err, errlen) < 0)
        return -1;
    int changed;
    if (owned_update(s, branch_id,
                     "UPDATE runs SET epochs_done = ?4, heartbeat_at = " NOW_SQL
                     " WHERE id = ?1" OWNER_GUARD " AND epochs_done = -1",
                     1, fork_epoch, doing, &changed, err, errlen) < 0)
        return tx_abort(s);
    int64_t done = -1;
    if (!changed) {
        /* Owned with epochs logged already, or not owned: say which. */
        if (owned_update(s, branch_id, "UPDATE runs SET heartbeat_at = " NOW_SQL
                         " WHERE id = ?1" OWNER_GUARD, 0, 0, doing, &changed, err, errlen) < 0)
            return tx_abort(s);
        if (changed) {
            fail(err, errlen, "%s: %s: run %lld has logged epochs already", s->path, doing,
                 (long long)branch_id);
            return tx_abort(s);
        }
        const int rc = explain_not_owner(s, branch_id, doing, err, errlen);
        if (rc == STORE_NOT_OWNER)
            tx_rollback(s);
        return rc == STORE_NOT_OWNER ? rc : tx_abort(s);
    }
    if (query_int64(s, &done, doing, err, errlen,
                    "SELECT epochs_done FROM runs WHERE id = ?1 AND role = 'trajectory'", "i",
                    trajectory_id) < 0)
        return tx_abort(s);
    if (done < fork_epoch) {
        fail(err, errlen, "%s: %s: trajectory %lld has logged epochs up to %lld, not %d",
             s->path, doing, (long long)trajectory_id, (long long)done, fork_epoch);
        return tx_abort(s);
    }
    if (exec_sql(s, NULL, doing, err, errlen,
                 "INSERT INTO metrics (run_id, epoch, split, name, value)"
                 " SELECT ?1, epoch, split, name, value FROM metrics"
                 " WHERE run_id = ?2 AND epoch <= ?3",
                 "iin", branch_id, trajectory_id, fork_epoch) < 0 ||
        /* The thread count too: the branch goes on from where the trajectory's threads left
         * it, and continues with them, as the budget trained alone with them would (thread
         * counts change the summation order). */
        exec_sql(s, NULL, doing, err, errlen,
                 "UPDATE runs SET param_count = t.param_count, threads = t.threads"
                 " FROM (SELECT param_count, threads FROM runs WHERE id = ?2) AS t"
                 " WHERE id = ?1", "ii", branch_id, trajectory_id) < 0 ||
        insert_checkpoints(s, branch_id, ck, nck, err, errlen) < 0)
        return tx_abort(s);
    for (size_t i = 0; i < nfiles; i++) {
        const store_file_hash one = { files[i].name, files[i].sha256 };
        if (insert_file_hashes(s, branch_id, files[i].epoch, &one, 1, err, errlen) < 0)
            return tx_abort(s);
    }
    if (tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

int store_log_reading(store *s, int64_t run_id, int epoch, const store_metric *m, size_t nm,
                      char *err, size_t errlen)
{
    const char *doing = "logging a reading of the test split";
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (tx_begin(s, doing, err, errlen) < 0)
        return -1;
    int changed;
    int64_t done = -1;
    if (owned_update(s, run_id,
                     "UPDATE runs SET heartbeat_at = " NOW_SQL " WHERE id = ?1" OWNER_GUARD, 0, 0,
                     doing, &changed, err, errlen) < 0)
        return tx_abort(s);
    if (!changed) {
        const int rc = explain_not_owner(s, run_id, doing, err, errlen);
        if (rc == STORE_NOT_OWNER)
            tx_rollback(s);
        return rc == STORE_NOT_OWNER ? rc : tx_abort(s);
    }
    if (query_int64(s, &done, doing, err, errlen, "SELECT epochs_done FROM runs WHERE id = ?1",
                    "i", run_id) < 0)
        return tx_abort(s);
    if (done < epoch) {
        fail(err, errlen, "%s: %s: run %lld has logged epochs up to %lld, not %d", s->path, doing,
             (long long)run_id, (long long)done, epoch);
        return tx_abort(s);
    }
    /* A run stopped after its reading was committed and before it ended reads again on resume:
     * the same weights give the same values, and the first rows stay. */
    int64_t present = 0;
    for (size_t i = 0; i < nm && present == 0; i++)
        if (query_int64(s, &present, doing, err, errlen,
                        "SELECT count(*) FROM metrics WHERE run_id = ?1 AND epoch = ?2"
                        " AND split = ?3 AND name = ?4",
                        "intt", run_id, epoch, m[i].split, m[i].name) < 0)
            return tx_abort(s);
    if ((present == 0 && insert_metrics(s, run_id, epoch, m, nm, err, errlen) < 0) ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

int store_file_hash_of(store *s, int64_t run_id, int epoch, const char *name, char sha256[65],
                       int *found, char *err, size_t errlen)
{
    *found = 0;
    sha256[0] = '\0';
    if (s->schema_version < SCHEMA_FILE_HASHES)
        return 0;
    sqlite3_stmt *st;
    const char *doing = "reading a file's hash";
    if (prepare(s, &st, doing, err, errlen,
                "SELECT sha256 FROM file_hashes WHERE run_id = ?1 AND (?2 < 0 OR epoch = ?2)"
                " AND name = ?3 ORDER BY epoch DESC LIMIT 1",
                "int", run_id, epoch, name) < 0)
        return -1;
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_column_text(st, 0, sha256, 65);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        db_fail(s, rc, doing, err, errlen);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_check_file(store *s, int64_t run_id, int epoch, const char *name, const char *path,
                     enum store_file_state *state, char *err, size_t errlen)
{
    char want[65], have[65], why[512];
    int found;
    *state = STORE_FILE_DAMAGED;
    if (store_file_hash_of(s, run_id, epoch, name, want, &found, err, errlen) != 0)
        return -1;
    if (!found) {
        *state = STORE_FILE_UNHASHED;
        return 0;
    }
    if (file_sha256(path, have, why, sizeof why) != 0)
        fail(err, errlen, "%s", why);
    else if (strcmp(want, have) != 0) {
        char when[32] = "its last epoch";
        if (epoch >= 0)
            snprintf(when, sizeof when, "epoch %d", epoch);
        fail(err, errlen, "%s is damaged: its SHA-256 is not the one recorded when %s wrote it",
             path, when);
    } else
        *state = STORE_FILE_INTACT;
    return 0;
}

int store_rewind_run(store *s, int64_t run_id, int epoch, char *err, size_t errlen)
{
    const char *doing = "going back to an earlier epoch";
    const int rc = move_epochs_done(s, run_id, epoch, 0, doing, err, errlen);
    if (rc != 0)
        return rc;
    if (exec_sql(s, NULL, doing, err, errlen,
                 "DELETE FROM metrics WHERE run_id = ?1 AND epoch > ?2", "in", run_id, epoch) < 0 ||
        exec_sql(s, NULL, doing, err, errlen,
                 "DELETE FROM file_hashes WHERE run_id = ?1 AND epoch > ?2", "in", run_id,
                 epoch) < 0 ||
        exec_sql(s, NULL, doing, err, errlen,
                 "DELETE FROM checkpoints WHERE run_id = ?1 AND kind = 'best' AND epoch > ?2",
                 "in", run_id, epoch) < 0 ||
        exec_sql(s, NULL, doing, err, errlen,
                 "UPDATE checkpoints SET epoch = ?2 WHERE run_id = ?1 AND kind = 'last'"
                 " AND epoch > ?2", "in", run_id, epoch) < 0 ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}
