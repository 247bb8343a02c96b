/* store/stages.c: the second stages of seeds of a sweep (wb sweep --until-decided): recorded once
 * per configuration, read back by the registration (its runs belong to the sweep) and the
 * analysis (Stein's test uses the first stage's sd). */
#include "store/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int store_add_stage_plans(store *s, int64_t sweep_id, const store_stage_plan *plans, size_t n,
                          char *err, size_t errlen)
{
    const char *doing = "recording a second stage of seeds";
    if (refuse_readonly(s, doing, err, errlen) < 0 || tx_begin(s, doing, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const store_stage_plan *p = &plans[i];
        int64_t taken;
        const int found = query_int64(s, &taken, doing, err, errlen,
                                      "SELECT 1 FROM stage_plans WHERE sweep_id = ?1"
                                      " AND config_id = ?2", "it", sweep_id, p->config_id);
        if (found < 0)
            return tx_abort(s);
        if (found) {
            fail(err, errlen, "%s: %s: configuration %.12s of sweep %lld has its second stage "
                 "already (one per configuration: more would be repeated looks)", s->path, doing,
                 p->config_id, (long long)sweep_id);
            return tx_abort(s);
        }
        sqlite3_stmt *st;
        if (prepare(s, &st, doing, err, errlen,
                    "INSERT INTO stage_plans (sweep_id, config_id, seeds, stage1_n, stage1_sd,"
                    " planned_n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    "itt", sweep_id, p->config_id, p->seeds) < 0)
            return tx_abort(s);
        if (p->stage1_n >= 2) {
            sqlite3_bind_int(st, 4, p->stage1_n);
            sqlite3_bind_double(st, 5, p->stage1_sd);
            sqlite3_bind_int(st, 6, p->planned_n);
        }
        const int rc = step_reset(s, st, doing, err, errlen);
        sqlite3_finalize(st);
        if (rc < 0)
            return tx_abort(s);
    }
    if (tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

int store_read_stage_plans(store *s, int64_t sweep_id, store_stage_plan **plans, size_t *n,
                           char *err, size_t errlen)
{
    const char *doing = "reading the second stages of seeds";
    *plans = NULL;
    *n = 0;
    if (s->schema_version < SCHEMA_STAGE_PLANS)
        return 0;
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT config_id, seeds, stage1_n, stage1_sd, planned_n FROM stage_plans"
                " WHERE sweep_id = ?1 ORDER BY created_at, config_id", "i", sweep_id) < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            store_stage_plan *grown = realloc(*plans, cap * sizeof *grown);
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            *plans = grown;
        }
        store_stage_plan *p = &(*plans)[*n];
        memset(p, 0, sizeof *p);
        copy_column_text(st, 0, p->config_id, sizeof p->config_id);
        const char *seeds = (const char *)sqlite3_column_text(st, 1);
        p->seeds = strdup(seeds ? seeds : "");
        if (!p->seeds) {
            rc = SQLITE_NOMEM;
            break;
        }
        p->stage1_n = sqlite3_column_int(st, 2);
        p->stage1_sd = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN
                                                                 : sqlite3_column_double(st, 3);
        p->planned_n = sqlite3_column_int(st, 4);
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(s, rc, doing, err, errlen);
        sqlite3_finalize(st);
        store_stage_plans_free(*plans, *n);
        *plans = NULL;
        *n = 0;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

void store_stage_plans_free(store_stage_plan *plans, size_t n)
{
    for (size_t i = 0; plans && i < n; i++)
        free(plans[i].seeds);
    free(plans);
}
