/* store/runs.c: runs: their status names, adding one with its params and grid link, resetting
 * one, and reading one back (by id, or by a prefix of its config hash). */
#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"

#define COLUMN_PARAMETER(key, column, type) ", :" #column
#define COLUMN_ENTRY(key, column, type) {key, ":" #column, type},

typedef struct config_column {
    const char *key;            /* "loss.laplacian_weight" */
    const char *parameter;      /* ":laplacian_weight", its parameter in add_run_sql */
    enum column_type type;
} config_column;

static const config_column config_columns[] = {CONFIG_COLUMNS(COLUMN_ENTRY)};

static const char add_run_sql[] =
    "INSERT INTO runs (sweep_id, config_hash, config_id, config_json, seed, folder, data_source,"
    " train_n, val_n, test_n, role, trajectory_id, fork_epoch" CONFIG_COLUMNS(COLUMN_NAME) ")"
    " VALUES (:sweep_id, :config_hash, :config_id, :config_json, :seed, :folder, :data_source,"
    " :train_n, :val_n, :test_n, :role, :trajectory_id, :fork_epoch"
    CONFIG_COLUMNS(COLUMN_PARAMETER) ")";


static const char *const status_names[STORE_NSTATUS] = {
    [STORE_QUEUED] = STATUS_QUEUED,     [STORE_RUNNING] = STATUS_RUNNING,
    [STORE_FINISHED] = STATUS_FINISHED, [STORE_FAILED] = STATUS_FAILED,
    [STORE_DIVERGED] = STATUS_DIVERGED, [STORE_INTERRUPTED] = STATUS_INTERRUPTED,
};

const char *store_status_name(enum store_status st)
{
    if ((unsigned)st >= sizeof status_names / sizeof status_names[0])
        return "unknown";
    return status_names[st];
}

int store_status_parse(const char *name, enum store_status *st)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (name && strcmp(name, status_names[i]) == 0) {
            *st = (enum store_status)i;
            return 0;
        }
    return -1;
}

static int is_hash(const char *text)
{
    if (!text || strlen(text) != 64)
        return 0;
    for (const char *c = text; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

/* Binds one configuration value to its typed column, converting it as the column's type says. */
static int bind_config_value(store *s, sqlite3_stmt *st, const config_column *col,
                             const char *value, const char *hash, char *err, size_t errlen)
{
    int index = sqlite3_bind_parameter_index(st, col->parameter), rc;
    char *end;
    if (!value)
        return sqlite3_bind_null(st, index) == SQLITE_OK ? 0 : -1;
    switch (col->type) {
    case COLUMN_TEXT:
        rc = sqlite3_bind_text(st, index, value, -1, SQLITE_TRANSIENT);
        break;
    case COLUMN_BOOLEAN:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            return fail(err, errlen, "%s: run %.12s: %s = '%s' is not true or false", s->path,
                        hash, col->key, value);
        rc = sqlite3_bind_int(st, index, strcmp(value, "true") == 0);
        break;
    case COLUMN_INTEGER: {
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (errno || end == value || *end)
            return fail(err, errlen, "%s: run %.12s: %s = '%s' is not an integer", s->path, hash,
                        col->key, value);
        rc = sqlite3_bind_int64(st, index, n);
        break;
    }
    default: {
        errno = 0;
        double x = strtod(value, &end);
        if (errno == ERANGE || end == value || *end)
            return fail(err, errlen, "%s: run %.12s: %s = '%s' is not a number", s->path, hash,
                        col->key, value);
        rc = sqlite3_bind_double(st, index, x);
    }
    }
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, "adding a run", err, errlen);
}

static const config_column *find_config_column(const char *key)
{
    for (size_t i = 0; i < sizeof config_columns / sizeof config_columns[0]; i++)
        if (strcmp(config_columns[i].key, key) == 0)
            return &config_columns[i];
    return NULL;
}

/* Binds a named parameter; NULL text, or an integer that is not known, stays NULL. */
static int bind_named_text(sqlite3_stmt *st, const char *name, const char *value)
{
    if (!value)
        return SQLITE_OK;
    return sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), value, -1,
                             SQLITE_TRANSIENT);
}

static int bind_named_int64(sqlite3_stmt *st, const char *name, int64_t value, int known)
{
    return known ? sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), value)
                 : SQLITE_OK;
}

static int insert_run_row(store *s, int64_t sweep_id, const store_run_spec *spec,
                          int64_t *run_id, char *err, size_t errlen)
{
    char folder[PATH_CAP];
    store_run_folder_rel(s, spec->config_hash, folder, sizeof folder);
    sqlite3_stmt *st;
    if (prepare(s, &st, "adding a run", err, errlen, add_run_sql, "") < 0)
        return -1;
    /* Named parameters, because the configuration columns follow in a list built at compile
     * time; each is bound by the name its column has. Split sizes of 0 are unknown: NULL. */
    if (bind_named_int64(st, ":sweep_id", sweep_id, 1) ||
        bind_named_text(st, ":config_hash", spec->config_hash) ||
        bind_named_text(st, ":config_id", spec->config_id) ||
        bind_named_text(st, ":config_json", spec->config_json) ||
        bind_named_int64(st, ":seed", spec->seed, 1) || bind_named_text(st, ":folder", folder) ||
        bind_named_text(st, ":data_source", spec->data_source) ||
        bind_named_int64(st, ":train_n", spec->train_n, spec->train_n > 0) ||
        bind_named_int64(st, ":val_n", spec->val_n, spec->val_n > 0) ||
        bind_named_int64(st, ":test_n", spec->test_n, spec->test_n > 0) ||
        bind_named_text(st, ":role", spec->trajectory ? "trajectory" : "run") ||
        bind_named_int64(st, ":trajectory_id", spec->trajectory_id, spec->trajectory_id > 0) ||
        bind_named_int64(st, ":fork_epoch", spec->fork_epoch, spec->trajectory_id > 0)) {
        db_fail(s, sqlite3_errcode(s->db), "adding a run", err, errlen);
        sqlite3_finalize(st);
        return -1;
    }
    for (size_t i = 0; i < spec->nparams; i++) {
        const config_column *col = find_config_column(spec->params[i].key);
        if (col && bind_config_value(s, st, col, spec->params[i].value, spec->config_hash, err,
                                     errlen) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    if (step_reset(s, st, "adding a run", err, errlen) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int insert_params(store *s, int64_t run_id, const store_run_spec *spec, char *err,
                         size_t errlen)
{
    const char *doing = "adding a run's params";
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "INSERT INTO params (run_id, key, value) VALUES (?1, ?2, ?3)", "") < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spec->nparams; i++) {
        const store_param *p = &spec->params[i];
        if (!p->key) {
            rc = fail(err, errlen, "%s: %s: param %zu has no key", s->path, doing, i);
            break;
        }
        rc = step_with(s, st, doing, err, errlen, "itt", run_id, p->key, p->value);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Links a run to a sweep at grid_index. Linking it again at the same index changes nothing; the
 * same run at two indexes means the grid repeats a configuration. */
static int link_run(store *s, int64_t sweep_id, int64_t run_id, const char *hash, int grid_index,
                    char *err, size_t errlen)
{
    int64_t taken;
    int found = query_int64(s, &taken, "linking a run to its sweep", err, errlen,
                            "SELECT run_id FROM sweep_runs WHERE sweep_id = ?1 AND grid_index = ?2",
                            "in", sweep_id, grid_index);
    if (found < 0)
        return -1;
    if (found && taken == run_id)
        return 0;
    if (found)
        return fail(err, errlen,
                    "%s: grid index %d of sweep %lld already holds run %lld (unlink the sweep's "
                    "runs before adding a new grid)",
                    s->path, grid_index, (long long)sweep_id, (long long)taken);
    int64_t index;
    found = query_int64(s, &index, "linking a run to its sweep", err, errlen,
                        "SELECT grid_index FROM sweep_runs WHERE sweep_id = ?1 AND run_id = ?2",
                        "ii", sweep_id, run_id);
    if (found < 0)
        return -1;
    if (found)
        return fail(err, errlen,
                    "%s: run %.12s is already at grid index %lld of sweep %lld, not %d: the grid "
                    "repeats a configuration",
                    s->path, hash, (long long)index, (long long)sweep_id, grid_index);
    return exec_sql(s, NULL, "linking a run to its sweep", err, errlen,
                    "INSERT INTO sweep_runs (sweep_id, run_id, grid_index) VALUES (?1, ?2, ?3)",
                    "iin", sweep_id, run_id, grid_index);
}

int store_add_run(store *s, int64_t sweep_id, const store_run_spec *spec, int64_t *run_id,
                  int *created, char *err, size_t errlen)
{
    const char *doing = "adding a run";
    if (created)
        *created = 0;
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    if (!is_hash(spec->config_hash) || !is_hash(spec->config_id))
        return fail(err, errlen, "%s: %s: config_hash and config_id must be 64 lowercase hex",
                    s->path, doing);
    if (spec->grid_index < 0 && !spec->trajectory)
        return fail(err, errlen, "%s: %s: negative grid index %d", s->path, doing,
                    spec->grid_index);
    if (spec->trajectory_id > 0 && spec->fork_epoch < 0)
        return fail(err, errlen, "%s: %s: a branch needs a fork epoch", s->path, doing);
    if (tx_begin(s, doing, err, errlen) < 0)
        return -1;
    int64_t id;
    int found = query_int64(s, &id, doing, err, errlen, "SELECT id FROM sweeps WHERE id = ?1",
                            "i", sweep_id);
    if (found == 0)
        fail(err, errlen, "%s: %s: no sweep %lld", s->path, doing, (long long)sweep_id);
    if (found <= 0)
        return tx_abort(s);
    found = query_int64(s, &id, doing, err, errlen, "SELECT id FROM runs WHERE config_hash = ?1",
                        "t", spec->config_hash);
    if (found < 0)
        return tx_abort(s);
    if (!found && (insert_run_row(s, sweep_id, spec, &id, err, errlen) < 0 ||
                   insert_params(s, id, spec, err, errlen) < 0))
        return tx_abort(s);
    /* A wsd run registered before it had a trajectory (trained alone, or by an older sweep)
     * takes one while it has logged nothing. */
    if (found && spec->trajectory_id > 0 &&
        exec_sql(s, NULL, doing, err, errlen,
                 "UPDATE runs SET trajectory_id = ?2, fork_epoch = ?3 WHERE id = ?1"
                 " AND trajectory_id IS NULL AND epochs_done < 0 AND role = 'run'",
                 "iin", id, spec->trajectory_id, spec->fork_epoch) < 0)
        return tx_abort(s);
    if ((!spec->trajectory &&
         link_run(s, sweep_id, id, spec->config_hash, spec->grid_index, err, errlen) < 0) ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    *run_id = id;
    if (created)
        *created = !found;
    return 0;
}

int store_extend_trajectory(store *s, int64_t trajectory_id, int epochs, char *err,
                            size_t errlen)
{
    const char *doing = "extending a trajectory";
    int changed;
    if (refuse_readonly(s, doing, err, errlen) < 0 ||
        exec_sql(s, &changed, doing, err, errlen,
                 "UPDATE runs SET epochs = max(coalesce(epochs, 0), ?2),"
                 " status = CASE WHEN status = '" STATUS_FINISHED "' AND epochs_done < ?2"
                 " THEN '" STATUS_INTERRUPTED "' ELSE status END,"
                 " error = CASE WHEN status = '" STATUS_FINISHED "' AND epochs_done < ?2"
                 " THEN 'extended to ' || ?2 || ' epochs' ELSE error END"
                 " WHERE id = ?1 AND role = 'trajectory'",
                 "in", trajectory_id, epochs) < 0)
        return -1;
    if (!changed)
        return fail(err, errlen, "%s: %s: no trajectory %lld", s->path, doing,
                    (long long)trajectory_id);
    return 0;
}

int store_set_run_model(store *s, int64_t run_id, int64_t param_count, char *err, size_t errlen)
{
    const char *doing = "recording the parameter count";
    int changed;
    if (refuse_readonly(s, doing, err, errlen) < 0 ||
        exec_sql(s, &changed, doing, err, errlen,
                 "UPDATE runs SET param_count = ?2 WHERE id = ?1", "ii", run_id, param_count) < 0)
        return -1;
    if (!changed)
        return fail(err, errlen, "%s: %s: no run %lld", s->path, doing, (long long)run_id);
    return 0;
}
int store_reset_run(store *s, int64_t run_id, char *err, size_t errlen)
{
    const char *doing = "resetting a run";
    if (refuse_readonly(s, doing, err, errlen) < 0)
        return -1;
    /* A running run whose owner is gone is reset like any other: mark such runs first. */
    if (store_mark_stale(s, NULL, err, errlen) < 0 || tx_begin(s, doing, err, errlen) < 0)
        return -1;
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen, "SELECT status, pid, host FROM runs WHERE id = ?1",
                "i", run_id) < 0)
        return tx_abort(s);
    int rc = sqlite3_step(st), refused = 0;
    if (rc == SQLITE_DONE) {
        refused = fail(err, errlen, "%s: %s: no run %lld", s->path, doing, (long long)run_id);
    } else if (rc != SQLITE_ROW) {
        refused = db_fail(s, rc, doing, err, errlen);
    } else if (sqlite3_column_text(st, 0) &&
               strcmp((const char *)sqlite3_column_text(st, 0), STATUS_RUNNING) == 0) {
        char host[HOST_CAP];
        copy_column_text(st, 2, host, sizeof host);
        refused = fail(err, errlen,
                       "%s: %s: run %lld is running (process %lld on %s); stop it first",
                       s->path, doing, (long long)run_id, (long long)sqlite3_column_int64(st, 1),
                       host);
    }
    sqlite3_finalize(st);
    if (refused < 0)
        return tx_abort(s);
    if (exec_sql(s, NULL, doing, err, errlen, "DELETE FROM metrics WHERE run_id = ?1", "i",
                 run_id) < 0 ||
        exec_sql(s, NULL, doing, err, errlen, "DELETE FROM checkpoints WHERE run_id = ?1", "i",
                 run_id) < 0 ||
        exec_sql(s, NULL, doing, err, errlen, "DELETE FROM file_hashes WHERE run_id = ?1", "i",
                 run_id) < 0 ||
        exec_sql(s, NULL, doing, err, errlen,
                 "UPDATE runs SET status = '" STATUS_QUEUED "', epochs_done = -1,"
                 " started_at = NULL, finished_at = NULL, heartbeat_at = NULL, pid = NULL,"
                 " host = NULL, threads = NULL, gemm_library = NULL, compiler = NULL,"
                 " wb_version = NULL, error = NULL, param_count = NULL WHERE id = ?1",
                 "i", run_id) < 0 ||
        tx_commit(s, doing, err, errlen) < 0)
        return tx_abort(s);
    return 0;
}

/* ---- reading runs ------------------------------------------------------------------------- */

/* store_get_run's query, with the budget columns of SCHEMA_TRAJECTORIES or stand-ins for an
 * older file (a reader does not migrate it). */
#define GET_RUN_SQL(budget_columns)                                                              \
    "SELECT r.id, r.sweep_id, r.config_hash, r.config_id, r.seed, r.status,"                     \
    " r.epochs_done, r.threads, r.folder, r.error,"                                              \
    " (SELECT grid_index FROM sweep_runs WHERE sweep_id = r.sweep_id"                            \
    "  AND run_id = r.id),"                                                                      \
    " b.epoch, b.value, r.pid, r.host, " RUN_AGE_SQL("r.") ", r.epochs, " budget_columns         \
    " FROM runs r LEFT JOIN (SELECT epoch, value FROM metrics WHERE run_id = ?1"                 \
    "  AND split = ?2 AND name = ?3 AND " FINITE_SQL("value")                                    \
    "  ORDER BY value * ?4, epoch ASC LIMIT 1) b ON 1"                                           \
    " WHERE r.id = ?1"

int store_get_run(store *s, int64_t run_id, store_run_info *info, char *err, size_t errlen)
{
    const char *doing = "reading a run";
    /* The best epoch: the best finite validation value of the selection metric, ties to the
     * earlier epoch (ascending order of the value times -1 when higher is better). */
    const metric_def *selection = metric_def_of(METRIC_SELECTION);
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                s->schema_version >= SCHEMA_TRAJECTORIES
                    ? GET_RUN_SQL("r.role = 'trajectory', r.trajectory_id, r.fork_epoch")
                    : GET_RUN_SQL("0, NULL, NULL"),
                "ittn", run_id, metric_split_name(METRIC_VAL), selection->name,
                selection->direction == METRIC_HIGHER_IS_BETTER ? -1 : 1) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            fail(err, errlen, "%s: no run %lld", s->path, (long long)run_id);
        else
            db_fail(s, rc, doing, err, errlen);
        sqlite3_finalize(st);
        return -1;
    }
    memset(info, 0, sizeof *info);
    info->id = sqlite3_column_int64(st, 0);
    info->sweep_id = sqlite3_column_int64(st, 1);
    copy_column_text(st, 2, info->config_hash, sizeof info->config_hash);
    copy_column_text(st, 3, info->config_id, sizeof info->config_id);
    info->seed = sqlite3_column_int64(st, 4);
    /* The schema admits no other status; a damaged row counts as failed, not as queued. */
    if (store_status_parse((const char *)sqlite3_column_text(st, 5), &info->status) != 0)
        info->status = STORE_FAILED;
    info->epochs_done = sqlite3_column_int(st, 6);
    info->threads = sqlite3_column_int(st, 7);
    char folder[PATH_CAP];
    copy_column_text(st, 8, folder, sizeof folder);
    store_resolve_path(s, folder, info->folder, sizeof info->folder);
    copy_column_text(st, 9, info->error, sizeof info->error);
    info->grid_index = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
    info->best_epoch = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 11);
    info->best_value = sqlite3_column_double(st, 12);
    info->epochs = sqlite3_column_int(st, 16);
    info->is_trajectory = sqlite3_column_int(st, 17);
    info->trajectory_id = sqlite3_column_int64(st, 18);
    info->fork_epoch = sqlite3_column_type(st, 19) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 19);
    if (info->status == STORE_RUNNING &&
        run_is_stale(s, sqlite3_column_int64(st, 13), (const char *)sqlite3_column_text(st, 14),
                     sqlite3_column_double(st, 15), info->error, sizeof info->error))
        info->status = STORE_INTERRUPTED;
    sqlite3_finalize(st);
    return 0;
}

int store_best_until(store *s, int64_t run_id, int epoch, int *best_epoch, double *best_value,
                     char *err, size_t errlen)
{
    const char *doing = "reading a run's best epoch";
    const metric_def *selection = metric_def_of(METRIC_SELECTION);
    sqlite3_stmt *st;
    *best_epoch = -1;
    *best_value = 0;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT epoch, value FROM metrics WHERE run_id = ?1 AND split = ?2 AND name = ?3"
                " AND epoch <= ?5 AND " FINITE_SQL("value") " ORDER BY value * ?4, epoch ASC"
                " LIMIT 1",
                "ittnn", run_id, metric_split_name(METRIC_VAL), selection->name,
                selection->direction == METRIC_HIGHER_IS_BETTER ? -1 : 1, epoch) < 0)
        return -1;
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *best_epoch = sqlite3_column_int(st, 0);
        *best_value = sqlite3_column_double(st, 1);
    } else if (rc != SQLITE_DONE) {
        db_fail(s, rc, doing, err, errlen);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_fork_epochs(store *s, int64_t trajectory_id, int *epochs, size_t max, size_t *n,
                      char *err, size_t errlen)
{
    const char *doing = "reading a trajectory's fork epochs";
    sqlite3_stmt *st;
    *n = 0;
    if (s->schema_version < SCHEMA_TRAJECTORIES)
        return 0;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT DISTINCT fork_epoch FROM runs WHERE trajectory_id = ?1"
                " AND fork_epoch IS NOT NULL ORDER BY 1",
                "i", trajectory_id) < 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n < max)
            epochs[*n] = sqlite3_column_int(st, 0);
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        db_fail(s, rc, doing, err, errlen);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_lookup_run(store *s, const char *id_or_prefix, int64_t *run_id, char *err,
                     size_t errlen)
{
    const char *doing = "finding a run";
    size_t n = strlen(id_or_prefix), digits = strspn(id_or_prefix, "0123456789");
    size_t hex = strspn(id_or_prefix, "0123456789abcdefABCDEF");
    if (n == 0 || hex != n || n > 64)
        return fail(err, errlen, "%s: '%s' is neither a run id nor a prefix of a config hash",
                    s->path, id_or_prefix);
    /* All digits: an id when such a run exists, else a hash prefix (hashes have digits too). */
    if (digits == n && n <= 18) {
        int found = query_int64(s, run_id, doing, err, errlen, "SELECT id FROM runs WHERE id = ?1",
                                "i", (int64_t)strtoll(id_or_prefix, NULL, 10));
        if (found != 0)
            return found < 0 ? -1 : 0;
    }
    char prefix[65];
    for (size_t i = 0; i <= n; i++)
        prefix[i] = (char)(id_or_prefix[i] >= 'A' && id_or_prefix[i] <= 'F'
                               ? id_or_prefix[i] - 'A' + 'a'
                               : id_or_prefix[i]);
    /* Hashes are lowercase hex, so those starting with the prefix sort between it and the prefix
     * followed by 'g': an index range, not a scan. */
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT id, config_hash FROM runs WHERE config_hash >= ?1"
                " AND config_hash < ?1 || 'g' ORDER BY config_hash LIMIT 3",
                "t", prefix) < 0)
        return -1;
    int count = 0, rc;
    char matches[3][13] = {{0}};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == 0)
            *run_id = sqlite3_column_int64(st, 0);
        copy_column_text(st, 1, matches[count], sizeof matches[count]);
        count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, doing, err, errlen);
    if (count == 0)
        return fail(err, errlen, "%s: no run has id or hash prefix '%s'", s->path, id_or_prefix);
    if (count > 1)
        return fail(err, errlen,
                    "%s: hash prefix '%s' is ambiguous: it matches %s, %s%s; give more characters",
                    s->path, id_or_prefix, matches[0], matches[1], count > 2 ? " and more" : "");
    return 0;
}
