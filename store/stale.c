/* store/stale.c: runs marked `running` whose owner is gone: a process of this host that no longer
 * exists (or is a zombie), or a heartbeat older than STORE_STALE_SECONDS from any host. Every read
 * of a run judges it (run_is_stale); only a handle that writes records the judgement
 * (store_mark_stale). */
#include "store/internal.h"

#include "base/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stale_run {
    int64_t id, pid;
    char host[HOST_CAP];
    char heartbeat[64];
    char why[512];
} stale_run;

int run_is_stale(const store *s, int64_t pid, const char *host, double age, char *why,
                 size_t whylen)
{
    host = host ? host : "";
    if (strcmp(host, s->host) == 0 && proc_gone((long)pid))
        snprintf(why, whylen, "interrupted: its process %lld on %s is gone", (long long)pid, host);
    else if (age > STORE_STALE_SECONDS)
        snprintf(why, whylen,
                 "interrupted: no heartbeat for %.0f s (limit %d s) from process %lld on %s", age,
                 STORE_STALE_SECONDS, (long long)pid, host);
    else
        return 0;
    return 1;
}

/* Reads the running runs and picks the stale ones, without a write lock: most opens find none,
 * and they should not queue behind the workers' writes for that. */
static int find_stale(store *s, stale_run **found, size_t *nfound, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *found = NULL;
    *nfound = 0;
    if (prepare(s, &st, "looking for stale runs", err, errlen,
                "SELECT id, pid, host, heartbeat_at, " RUN_AGE_SQL("")
                " FROM runs WHERE status = '" STATUS_RUNNING "' ORDER BY id",
                "") < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        stale_run r = {.id = sqlite3_column_int64(st, 0), .pid = sqlite3_column_int64(st, 1)};
        copy_column_text(st, 2, r.host, sizeof r.host);
        copy_column_text(st, 3, r.heartbeat, sizeof r.heartbeat);
        if (!run_is_stale(s, r.pid, r.host, sqlite3_column_double(st, 4), r.why, sizeof r.why))
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
                     "UPDATE runs SET status = '" STATUS_INTERRUPTED "', error = ?2,"
                     " finished_at = " NOW_SQL " WHERE id = ?1"
                     " AND status = '" STATUS_RUNNING "' AND pid IS ?3 AND host IS ?4"
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
