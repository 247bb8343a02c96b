/* store/read.c: the records of store/read.h: sweeps, runs, their links, params, checkpoints and
 * metrics, read into plain structs whose strings they own. */
#include "store/read.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* ---- columns and lists ------------------------------------------------------------------- */

/* A copy of a text column, or NULL for SQL NULL; *oom is set when memory ran out. */
static char *dup_column(sqlite3_stmt *st, int col, int *oom)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    if (!text)
        return NULL;
    char *copy = strdup((const char *)text);
    if (!copy)
        *oom = 1;
    return copy;
}

/* An integer column, -1 for SQL NULL. */
static int64_t int_column(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

/* Makes room for one more element of `size` bytes in *items (holding n of cap). */
static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t more = *cap ? 2 * *cap : 16;
    void *grown = realloc(*items, more * size);
    if (!grown)
        return -1;
    *items = grown;
    *cap = more;
    return 0;
}

/* One kind of record: `row` fills an element from the current row (-1 when memory ran out),
 * `drop` frees what an element holds. */
typedef struct record_kind {
    size_t size;
    int (*row)(const store *s, sqlite3_stmt *st, void *element);
    void (*drop)(void *element);
} record_kind;

static void free_list(const record_kind *kind, void *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kind->drop((char *)items + i * kind->size);
    free(items);
}

/* Every row of sql (its arguments bound as prepare binds them) into *items, a list of n records
 * of `kind` (NULL and 0 when there are none, and on failure). */
static int read_list(store *s, const record_kind *kind, void *items, size_t *n, const char *doing,
                     char *err, size_t errlen, const char *sql, const char *types, ...)
{
    void **list = items;
    size_t cap = 0;
    int rc = SQLITE_DONE, oom = 0;
    sqlite3_stmt *st;
    *list = NULL;
    *n = 0;
    va_list ap;
    va_start(ap, types);
    int prepared = vprepare(s, &st, doing, err, errlen, sql, types, ap);
    va_end(ap);
    if (prepared < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow(list, &cap, *n, kind->size) < 0) {
            oom = 1;
            break;
        }
        char *element = (char *)*list + *n * kind->size;
        memset(element, 0, kind->size);
        (*n)++;
        if (kind->row(s, st, element) < 0) {
            oom = 1;
            break;
        }
    }
    if (oom)
        fail(err, errlen, "%s: %s: out of memory", s->path, doing);
    else if (rc != SQLITE_DONE)
        db_fail(s, rc, doing, err, errlen);
    sqlite3_finalize(st);
    if (!oom && rc == SQLITE_DONE)
        return 0;
    free_list(kind, *list, *n);
    *list = NULL;
    *n = 0;
    return -1;
}

/* The one record sql finds; "no <what> <id>" when there is none. */
static int read_one(store *s, const record_kind *kind, void *record, const char *what,
                    int64_t id, const char *doing, char *err, size_t errlen, const char *sql)
{
    void *found;
    size_t n;
    memset(record, 0, kind->size);
    if (read_list(s, kind, &found, &n, doing, err, errlen, sql, "i", id) < 0)
        return -1;
    if (n == 0)
        return fail(err, errlen, "%s: no %s %lld", s->path, what, (long long)id);
    memcpy(record, found, kind->size);
    free(found);
    return 0;
}

/* ---- sweeps ------------------------------------------------------------------------------ */

#define SWEEP_COLUMNS                                                                            \
    "SELECT id, name, ini_text, ini_path, axes, created_at, updated_at, host, wb_version,"       \
    " git_commit, git_dirty FROM sweeps"

static int sweep_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_sweep_record *w = element;
    int oom = 0;
    w->id = sqlite3_column_int64(st, 0);
    w->name = dup_column(st, 1, &oom);
    w->ini_text = dup_column(st, 2, &oom);
    w->ini_path = dup_column(st, 3, &oom);
    w->axes = dup_column(st, 4, &oom);
    w->created_at = dup_column(st, 5, &oom);
    w->updated_at = dup_column(st, 6, &oom);
    w->host = dup_column(st, 7, &oom);
    w->wb_version = dup_column(st, 8, &oom);
    w->git_commit = dup_column(st, 9, &oom);
    w->git_dirty = (int)int_column(st, 10);
    return oom ? -1 : 0;
}

void store_sweep_record_free(store_sweep_record *w)
{
    if (!w)
        return;
    free(w->name);
    free(w->ini_text);
    free(w->ini_path);
    free(w->axes);
    free(w->created_at);
    free(w->updated_at);
    free(w->host);
    free(w->wb_version);
    free(w->git_commit);
    memset(w, 0, sizeof *w);
}

static void drop_sweep(void *element)
{
    store_sweep_record_free(element);
}

static const record_kind sweep_kind = {sizeof(store_sweep_record), sweep_row, drop_sweep};

void store_sweep_records_free(store_sweep_record *sweeps, size_t n)
{
    free_list(&sweep_kind, sweeps, n);
}

int store_read_sweeps(store *s, store_sweep_record **sweeps, size_t *n, char *err, size_t errlen)
{
    return read_list(s, &sweep_kind, sweeps, n, "reading the sweeps", err, errlen,
                     SWEEP_COLUMNS " ORDER BY name", "");
}

int store_read_sweep(store *s, int64_t sweep_id, store_sweep_record *sweep, char *err,
                     size_t errlen)
{
    return read_one(s, &sweep_kind, sweep, "sweep with id", sweep_id, "reading a sweep", err,
                    errlen, SWEEP_COLUMNS " WHERE id = ?1");
}

/* ---- runs -------------------------------------------------------------------------------- */

#define RUN_COLUMNS                                                                              \
    "r.id, r.seed, r.status, r.epochs, r.epochs_done, r.config_hash, r.config_id, r.error,"     \
    " r.folder, r.created_at, r.started_at, r.finished_at, r.heartbeat_at, r.host,"             \
    " r.gemm_library, r.compiler, r.wb_version, r.data_source, r.pid, r.threads,"               \
    " r.param_count, r.train_n, r.val_n, r.test_n, " RUN_AGE_SQL("r.")
#define RUN_NCOLUMNS 25

/* A run's row. A `running` run whose owner is gone reads as interrupted, with the reason a
 * writer will record as its error: readers see what the next writer will make of it. */
static int run_row(const store *s, sqlite3_stmt *st, void *element)
{
    store_run_record *r = element;
    int oom = 0;
    r->id = sqlite3_column_int64(st, 0);
    r->seed = sqlite3_column_int64(st, 1);
    /* The schema admits no other status; a damaged row counts as failed, not as finished. */
    if (store_status_parse((const char *)sqlite3_column_text(st, 2), &r->status) != 0)
        r->status = STORE_FAILED;
    r->epochs = (int)int_column(st, 3);
    r->epochs_done = sqlite3_column_int(st, 4);
    copy_column_text(st, 5, r->config_hash, sizeof r->config_hash);
    copy_column_text(st, 6, r->config_id, sizeof r->config_id);
    r->error = dup_column(st, 7, &oom);
    r->folder = dup_column(st, 8, &oom);
    r->created_at = dup_column(st, 9, &oom);
    r->started_at = dup_column(st, 10, &oom);
    r->finished_at = dup_column(st, 11, &oom);
    r->heartbeat_at = dup_column(st, 12, &oom);
    r->host = dup_column(st, 13, &oom);
    r->gemm_library = dup_column(st, 14, &oom);
    r->compiler = dup_column(st, 15, &oom);
    r->wb_version = dup_column(st, 16, &oom);
    r->data_source = dup_column(st, 17, &oom);
    r->pid = int_column(st, 18);
    r->threads = int_column(st, 19);
    r->param_count = int_column(st, 20);
    r->train_n = int_column(st, 21);
    r->val_n = int_column(st, 22);
    r->test_n = int_column(st, 23);
    char why[512];
    if (r->status == STORE_RUNNING &&
        run_is_stale(s, r->pid > 0 ? r->pid : 0, r->host, sqlite3_column_double(st, 24), why,
                     sizeof why)) {
        r->status = STORE_INTERRUPTED;
        free(r->error);
        oom |= !(r->error = strdup(why));
    }
    r->grid_index = sqlite3_column_count(st) > RUN_NCOLUMNS ? sqlite3_column_int(st, RUN_NCOLUMNS)
                                                             : -1;
    return oom ? -1 : 0;
}

void store_run_record_free(store_run_record *r)
{
    if (!r)
        return;
    free(r->error);
    free(r->folder);
    free(r->created_at);
    free(r->started_at);
    free(r->finished_at);
    free(r->heartbeat_at);
    free(r->host);
    free(r->gemm_library);
    free(r->compiler);
    free(r->wb_version);
    free(r->data_source);
    memset(r, 0, sizeof *r);
}

static void drop_run(void *element)
{
    store_run_record_free(element);
}

static const record_kind run_kind = {sizeof(store_run_record), run_row, drop_run};

void store_run_records_free(store_run_record *runs, size_t n)
{
    free_list(&run_kind, runs, n);
}

int store_read_run(store *s, int64_t run_id, store_run_record *run, char *err, size_t errlen)
{
    return read_one(s, &run_kind, run, "run", run_id, "reading a run", err, errlen,
                    "SELECT " RUN_COLUMNS " FROM runs r WHERE r.id = ?1");
}

int store_read_sweep_runs(store *s, int64_t sweep_id, store_run_record **runs, size_t *n,
                          char *err, size_t errlen)
{
    return read_list(s, &run_kind, runs, n, "reading a sweep's runs", err, errlen,
                     "SELECT " RUN_COLUMNS ", l.grid_index FROM sweep_runs l"
                     " JOIN runs r ON r.id = l.run_id WHERE l.sweep_id = ?1 ORDER BY l.grid_index",
                     "i", sweep_id);
}

/* ---- trajectories and branches ------------------------------------------------------------- */

static int branch_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_branch *b = element;
    b->id = sqlite3_column_int64(st, 0);
    copy_column_text(st, 1, b->config_hash, sizeof b->config_hash);
    b->epochs = sqlite3_column_int(st, 2);
    b->fork_epoch = sqlite3_column_int(st, 3);
    if (store_status_parse((const char *)sqlite3_column_text(st, 4), &b->status) != 0)
        b->status = STORE_FAILED;
    return 0;
}

static void drop_branch(void *element)
{
    (void)element;
}

static const record_kind branch_kind = {sizeof(store_branch), branch_row, drop_branch};

int store_read_lineage(store *s, int64_t run_id, store_lineage *out, char *err, size_t errlen)
{
    const char *doing = "reading a run's trajectory";
    memset(out, 0, sizeof *out);
    out->fork_epoch = -1;
    if (s->schema_version < SCHEMA_TRAJECTORIES)
        return 0;
    sqlite3_stmt *st;
    if (prepare(s, &st, doing, err, errlen,
                "SELECT r.role = 'trajectory', r.trajectory_id, t.config_hash, r.fork_epoch"
                " FROM runs r LEFT JOIN runs t ON t.id = r.trajectory_id WHERE r.id = ?1",
                "i", run_id) < 0)
        return -1;
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->is_trajectory = sqlite3_column_int(st, 0);
        out->trajectory_id = sqlite3_column_int64(st, 1);
        copy_column_text(st, 2, out->trajectory_hash, sizeof out->trajectory_hash);
        out->fork_epoch = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1
                                                                   : sqlite3_column_int(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? fail(err, errlen, "%s: no run %lld", s->path,
                                        (long long)run_id)
                                 : db_fail(s, rc, doing, err, errlen);
    if (!out->is_trajectory)
        return 0;
    return read_list(s, &branch_kind, &out->branches, &out->nbranches, doing, err, errlen,
                     "SELECT id, config_hash, epochs, fork_epoch, status FROM runs"
                     " WHERE trajectory_id = ?1 ORDER BY epochs, id", "i", run_id);
}

void store_lineage_free(store_lineage *l)
{
    free_list(&branch_kind, l->branches, l->nbranches);
    l->branches = NULL;
    l->nbranches = 0;
}

/* ---- a run's links, params, checkpoints and metrics ---------------------------------------- */

static int link_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_run_link *l = element;
    int oom = 0;
    l->sweep = dup_column(st, 0, &oom);
    l->grid_index = sqlite3_column_int(st, 1);
    return oom ? -1 : 0;
}

static void drop_link(void *element)
{
    free(((store_run_link *)element)->sweep);
}

static const record_kind link_kind = {sizeof(store_run_link), link_row, drop_link};

void store_run_links_free(store_run_link *links, size_t n)
{
    free_list(&link_kind, links, n);
}

int store_read_run_links(store *s, int64_t run_id, store_run_link **links, size_t *n, char *err,
                         size_t errlen)
{
    return read_list(s, &link_kind, links, n, "reading a run's sweeps", err, errlen,
                     "SELECT s.name, l.grid_index FROM sweep_runs l"
                     " JOIN sweeps s ON s.id = l.sweep_id WHERE l.run_id = ?1 ORDER BY s.name",
                     "i", run_id);
}

/* The text columns of params, checkpoints and metrics are NOT NULL (but a param's value): a
 * NULL read here means memory ran out. */
static int param_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_param *p = element;
    int oom = 0;
    p->key = dup_column(st, 0, &oom);
    p->value = dup_column(st, 1, &oom);
    return oom || !p->key ? -1 : 0;
}

static void drop_param(void *element)
{
    store_param *p = element;
    free((char *)p->key);
    free((char *)p->value);
}

static const record_kind param_kind = {sizeof(store_param), param_row, drop_param};

void store_params_free(store_param *params, size_t n)
{
    free_list(&param_kind, params, n);
}

int store_read_params(store *s, int64_t run_id, store_param **params, size_t *n, char *err,
                      size_t errlen)
{
    return read_list(s, &param_kind, params, n, "reading a run's params", err, errlen,
                     "SELECT key, value FROM params WHERE run_id = ?1 ORDER BY key", "i", run_id);
}

static int checkpoint_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_checkpoint *c = element;
    int oom = 0;
    c->kind = dup_column(st, 0, &oom);
    c->epoch = sqlite3_column_int(st, 1);
    c->path = dup_column(st, 2, &oom);
    return oom || !c->kind || !c->path ? -1 : 0;
}

static void drop_checkpoint(void *element)
{
    store_checkpoint *c = element;
    free((char *)c->kind);
    free((char *)c->path);
}

static const record_kind checkpoint_kind = {sizeof(store_checkpoint), checkpoint_row,
                                            drop_checkpoint};

void store_checkpoints_free(store_checkpoint *checkpoints, size_t n)
{
    free_list(&checkpoint_kind, checkpoints, n);
}

int store_read_checkpoints(store *s, int64_t run_id, store_checkpoint **checkpoints, size_t *n,
                           char *err, size_t errlen)
{
    return read_list(s, &checkpoint_kind, checkpoints, n, "reading a run's checkpoints", err,
                     errlen,
                     "SELECT kind, epoch, path FROM checkpoints WHERE run_id = ?1"
                     " ORDER BY CASE kind WHEN 'init' THEN 0 WHEN 'best' THEN 1 ELSE 2 END",
                     "i", run_id);
}

static int metric_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_metric_value *m = element;
    int oom = 0;
    m->epoch = sqlite3_column_int(st, 0);
    m->split = dup_column(st, 1, &oom);
    m->name = dup_column(st, 2, &oom);
    m->value = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
    return oom || !m->split || !m->name ? -1 : 0;
}

static void drop_metric(void *element)
{
    store_metric_value *m = element;
    free((char *)m->split);
    free((char *)m->name);
}

static const record_kind metric_kind = {sizeof(store_metric_value), metric_row, drop_metric};

void store_metric_values_free(store_metric_value *values, size_t n)
{
    free_list(&metric_kind, values, n);
}

int store_read_metrics(store *s, int64_t run_id, store_metric_value **values, size_t *n,
                       char *err, size_t errlen)
{
    return read_list(s, &metric_kind, values, n, "reading a run's metrics", err, errlen,
                     "SELECT epoch, split, name, value FROM metrics WHERE run_id = ?1"
                     " ORDER BY epoch, split, name",
                     "i", run_id);
}

int store_read_metric(store *s, int64_t run_id, int epoch, const char *split, const char *name,
                      double *value, char *err, size_t errlen)
{
    store_metric_value *found;
    size_t n;
    *value = NAN;
    if (read_list(s, &metric_kind, &found, &n, "reading a metric", err, errlen,
                  "SELECT epoch, split, name, value FROM metrics WHERE run_id = ?1"
                  " AND epoch = ?2 AND split = ?3 AND name = ?4",
                  "intt", run_id, epoch, split, name) < 0)
        return -1;
    if (n > 0)
        *value = found[0].value;
    store_metric_values_free(found, n);
    return 0;
}

/* ---- tags and notes ------------------------------------------------------------------------ */

static int note_row(const store *s, sqlite3_stmt *st, void *element)
{
    (void)s;
    store_note *n = element;
    int oom = 0;
    n->kind = strcmp((const char *)sqlite3_column_text(st, 0), "tag") == 0 ? STORE_TAG
                                                                           : STORE_NOTE;
    n->text = dup_column(st, 1, &oom);
    n->created_at = dup_column(st, 2, &oom);
    return oom || !n->text ? -1 : 0;
}

static void drop_note(void *element)
{
    store_note *n = element;
    free(n->text);
    free(n->created_at);
}

static const record_kind note_kind = {sizeof(store_note), note_row, drop_note};

void store_notes_free(store_note *notes, size_t n)
{
    free_list(&note_kind, notes, n);
}

int store_read_notes(store *s, int64_t run_id, store_note **notes, size_t *n, char *err,
                     size_t errlen)
{
    /* A reader cannot migrate: a file of a version before run_notes has none to show. */
    int64_t one;
    const int has = query_int64(s, &one, "reading a run's tags and notes", err, errlen,
                                "SELECT 1 FROM sqlite_schema WHERE type = 'table'"
                                " AND name = 'run_notes'", "");
    *notes = NULL;
    *n = 0;
    if (has <= 0)
        return has;
    return read_list(s, &note_kind, notes, n, "reading a run's tags and notes", err, errlen,
                     "SELECT kind, text, created_at FROM run_notes WHERE run_id = ?1"
                     " ORDER BY kind DESC, id", "i", run_id);
}
