/* wb show RUN: one run in full: identity, environment, status, configuration, checkpoints and
 * its metrics per epoch. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "analysis/analysis.h"
#include "analysis/label.h"
#include "model/metrics.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb show RUN [--db PATH | --ini FILE.ini] [--wide | --json]\n\n"
    "RUN is a run's integer id or a unique prefix of its config hash (as wb ls prints them).\n"
    "Prints its fields, tags and notes, the sweeps that hold it, its configuration, checkpoints,\n"
    "every epoch's metrics, what the degraded input scores and how its training went, within\n"
    WB_COLUMNS_TEXT " columns. PSNR is the primary metric, pooled over the split's pixels.\n\n"
    CMD_DB_USAGE
    "  --wide           every column (the mean of per-patch PSNR, evaluation seconds), nothing\n"
    "                   cut or wrapped\n"
    "  --json           the same as one JSON object (numbers with 17 significant digits)\n";

/* An integer the database may not hold (-1), as text: "" when it does not. */
static const char *known(int64_t v, char *buf, size_t len)
{
    if (v < 0)
        return "";
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

/* The run's own fields, one "name value" line each. */
static void print_fields(const store_run_record *r)
{
    char epochs[64] = "", data[1024] = "", seed[24], pid[24], threads[24], params[24];
    snprintf(seed, sizeof seed, "%lld", (long long)r->seed);
    if (r->epochs >= 0)
        snprintf(epochs, sizeof epochs, "%d of %d", r->epochs_done, r->epochs);
    if (r->data_source && r->train_n >= 0 && r->val_n >= 0 && r->test_n >= 0)
        snprintf(data, sizeof data, "%s (%lld/%lld/%lld patches)", r->data_source,
                 (long long)r->train_n, (long long)r->val_n, (long long)r->test_n);
    const struct { const char *name, *value; } fields[] = {
        { "config_hash", r->config_hash }, { "config_id", r->config_id },
        { "status", store_status_name(r->status) }, { "epochs_done", epochs },
        { "error", r->error }, { "seed", seed },
        { "created", r->created_at }, { "started", r->started_at },
        { "finished", r->finished_at }, { "heartbeat", r->heartbeat_at }, { "host", r->host },
        { "pid", known(r->pid, pid, sizeof pid) },
        { "threads", known(r->threads, threads, sizeof threads) },
        { "gemm", r->gemm_library }, { "compiler", r->compiler },
        { "wb_version", r->wb_version },
        { "parameters", known(r->param_count, params, sizeof params) }, { "data", data },
        { "folder", r->folder } };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        printf("  %-12s %s\n", fields[i].name, fields[i].value ? fields[i].value : "");
}

/* Appends a row; when memory runs out the table is freed and *t becomes NULL. */
static void add_row(table **t, const char *const *cells)
{
    if (*t && table_add(*t, cells) != 0) {
        table_free(*t);
        *t = NULL;
    }
}

/* A table under a heading, fitted to the terminal's width unless wide. */
static void print_section(const char *title, const table *t, int wide)
{
    printf("\n%s:\n", title);
    if (wide)
        table_print(t, stdout, 0);
    else
        table_print_fit(t, stdout, WB_OUTPUT_COLUMNS);
}

/* The column of a metric for people: the primary metric under its one name, "PSNR"; the mean of
 * per-patch PSNRs in those words; the others by their key (README's metric table). */
static const char *column_header(enum metric_id id)
{
    return id == METRIC_PSNR_POOLED || id == METRIC_PSNR ? metric_def_of(id)->title
                                                         : metric_def_of(id)->name;
}

/* Whether a metric has a column in a table of `splits` (training, or validation and test): it is
 * logged there, and, unless wide, it is not one that only --wide shows (the mean of per-patch
 * PSNR and the evaluation's seconds, to keep within WB_OUTPUT_COLUMNS). */
static int shown_metric(enum metric_id id, unsigned splits, int wide)
{
    if (!(metric_def_of(id)->splits & splits))
        return 0;
    return wide || (id != METRIC_PSNR && !(id == METRIC_SECONDS && !(splits & METRIC_IN(METRIC_TRAIN))));
}

/* Rows of metric values, one per (epoch, split) of `splits` the run has, a column per metric
 * shown_metric keeps, values as format_metric writes them. with_epoch: the first column is the
 * epoch (else the rows are the input splits, named by the split they are the reference of). */
static table *metrics_table(const store_metric_value *m, size_t n, unsigned splits, int with_epoch,
                            int wide)
{
    const char *headers[2 + METRIC_COUNT] = { "epoch", "split" };
    enum metric_id ids[METRIC_COUNT];
    const int lead = with_epoch ? 1 + !(splits == METRIC_IN(METRIC_TRAIN)) : 1;
    if (!with_epoch)
        headers[0] = "split";
    int ncols = 0;
    for (int c = 0; c < METRIC_COUNT; c++)
        if (shown_metric((enum metric_id)c, splits, wide)) {
            ids[ncols] = (enum metric_id)c;
            headers[lead + ncols++] = column_header((enum metric_id)c);
        }
    table *t = table_new((size_t)(lead + ncols), headers);
    for (size_t first = 0, end; t && first < n; first = end) {
        for (end = first; end < n && m[end].epoch == m[first].epoch; end++)
            ;
        for (int k = 0; k < METRIC_NSPLITS; k++) {
            if (!(splits & METRIC_IN(k)))
                continue;
            const char *split = metric_split_name((enum metric_split)k);
            char text[2 + METRIC_COUNT][32];
            const char *cells[2 + METRIC_COUNT] = { text[0], split };
            int found = 0;
            if (with_epoch)
                snprintf(text[0], sizeof text[0], "%d", m[first].epoch);
            else    /* "val" for val_input: the split whose input it scores */
                for (int o = 0; o < METRIC_NSPLITS; o++)
                    if (metric_split_input((enum metric_split)o) == k)
                        cells[0] = metric_split_name((enum metric_split)o);
            for (int c = 0; c < ncols; c++)
                cells[lead + c] = "";
            for (size_t i = first; i < end; i++) {
                if (strcmp(m[i].split, split) != 0)
                    continue;
                found = 1;
                for (int c = 0; c < ncols; c++)
                    if (strcmp(m[i].name, metric_def_of(ids[c])->name) == 0 &&
                        !isnan(m[i].value)) {
                        format_metric(ids[c], m[i].value, 0, text[lead + c], sizeof text[lead + c]);
                        cells[lead + c] = text[lead + c];
                    }
            }
            if (found)
                add_row(&t, cells);
        }
    }
    return t;
}

/* The sweeps that hold the run (with its label in each: the axes are a sweep's), its
 * configuration and its checkpoints, each as a table. */
static table *links_table(const store_run_link *l, size_t n, const store_sweep_record *w,
                          size_t nw, const store_param *p, size_t np)
{
    static const char *const headers[] = { "sweep", "grid_index", "configuration" };
    table *t = table_new(3, headers);
    for (size_t i = 0; t && i < n; i++) {
        char index[24], label[2048] = "";
        snprintf(index, sizeof index, "%d", l[i].grid_index);
        for (size_t k = 0; k < nw; k++)
            if (strcmp(w[k].name, l[i].sweep) == 0)
                label_of_params(w[k].axes, p, np, label, sizeof label, NULL, 0);
        const char *cells[] = { l[i].sweep, index, label };
        add_row(&t, cells);
    }
    return t;
}

/* Values as people read them: 0.9, not the canonical text's 0.90000000000000002. */
static table *params_table(const store_param *p, size_t n)
{
    static const char *const headers[] = { "key", "value" };
    table *t = table_new(2, headers);
    for (size_t i = 0; t && i < n; i++) {
        char value[1024];
        if (p[i].value)
            label_value(p[i].value, value, sizeof value);
        const char *cells[] = { p[i].key, p[i].value ? value : NULL };
        add_row(&t, cells);
    }
    return t;
}

static table *checkpoints_table(const store_checkpoint *ck, size_t n)
{
    static const char *const headers[] = { "kind", "epoch", "path" };
    table *t = table_new(3, headers);
    for (size_t i = 0; t && i < n; i++) {
        char epoch[24];
        snprintf(epoch, sizeof epoch, "%d", ck[i].epoch);
        const char *cells[] = { ck[i].kind, epoch, ck[i].path };
        add_row(&t, cells);
    }
    return t;
}

/* ---- tags and notes ------------------------------------------------------------------------ */

/* "tags  a, b" and one "note  ..." line per note, under the run's fields. */
static int print_notes(store *s, int64_t run_id, char *err, size_t errlen)
{
    store_note *n;
    size_t nn;
    if (store_read_notes(s, run_id, &n, &nn, err, errlen) != 0)
        return -1;
    char tags[4096] = "";
    size_t used = 0;
    for (size_t i = 0; i < nn; i++)
        if (n[i].kind == STORE_TAG && used < sizeof tags)
            used += (size_t)snprintf(tags + used, sizeof tags - used, "%s%s", used ? ", " : "",
                                     n[i].text);
    if (used)
        printf("  %-12s %s\n", "tags", tags);
    for (size_t i = 0; i < nn; i++)
        if (n[i].kind == STORE_NOTE)
            printf("  %-12s %s (%s)\n", "note", n[i].text, n[i].created_at);
    store_notes_free(n, nn);
    return 0;
}

/* ---- JSON (--json) --------------------------------------------------------------------------- */

/* A value as stored: a JSON number when the text is one (the canonical %.17g reads back
 * exactly), else a string; null for NULL. */
static cJSON *json_value(const char *text)
{
    char *end;
    if (!text)
        return cJSON_CreateNull();
    const double v = strtod(text, &end);
    return *text && !*end && isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateString(text);
}

static void add_text(cJSON *o, const char *key, const char *text)
{
    cJSON_AddItemToObject(o, key, text ? cJSON_CreateString(text) : cJSON_CreateNull());
}

static void add_int(cJSON *o, const char *key, int64_t v)
{
    cJSON_AddItemToObject(o, key, v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull());
}

static cJSON *run_json(const store_run_record *r)
{
    cJSON *o = cJSON_CreateObject();
    add_int(o, "id", r->id);
    add_text(o, "config_hash", r->config_hash);
    add_text(o, "config_id", r->config_id);
    add_text(o, "status", store_status_name(r->status));
    add_int(o, "epochs", r->epochs);
    cJSON_AddItemToObject(o, "epochs_done", cJSON_CreateNumber(r->epochs_done));
    add_text(o, "error", r->error);
    cJSON_AddItemToObject(o, "seed", cJSON_CreateNumber((double)r->seed));
    const struct { const char *name, *value; } texts[] = {
        { "created", r->created_at }, { "started", r->started_at },
        { "finished", r->finished_at }, { "heartbeat", r->heartbeat_at }, { "host", r->host },
        { "gemm", r->gemm_library }, { "compiler", r->compiler },
        { "wb_version", r->wb_version }, { "data_source", r->data_source },
        { "folder", r->folder } };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        add_text(o, texts[i].name, texts[i].value);
    add_int(o, "pid", r->pid);
    add_int(o, "threads", r->threads);
    add_int(o, "parameters", r->param_count);
    add_int(o, "train_n", r->train_n);
    add_int(o, "val_n", r->val_n);
    add_int(o, "test_n", r->test_n);
    return o;
}

/* What both forms show of a run beyond its record, read in one go. */
typedef struct {
    store_run_link *links;
    store_param *params;
    store_checkpoint *ck;
    store_metric_value *m;
    size_t nlinks, nparams, nck, nm;
} run_view;

static int run_view_read(store *s, int64_t run_id, run_view *v, char *err, size_t errlen)
{
    *v = (run_view){ 0 };
    return store_read_run_links(s, run_id, &v->links, &v->nlinks, err, errlen) == 0 &&
                   store_read_params(s, run_id, &v->params, &v->nparams, err, errlen) == 0 &&
                   store_read_checkpoints(s, run_id, &v->ck, &v->nck, err, errlen) == 0 &&
                   store_read_metrics(s, run_id, &v->m, &v->nm, err, errlen) == 0
               ? 0
               : -1;
}

static void run_view_free(run_view *v)
{
    store_run_links_free(v->links, v->nlinks);
    store_params_free(v->params, v->nparams);
    store_checkpoints_free(v->ck, v->nck);
    store_metric_values_free(v->m, v->nm);
}

/* The run, its tags and notes, sweeps, configuration, checkpoints and metrics (long form: one
 * object per epoch, split and name) as one JSON object on stdout. */
static int show_json(store *s, int64_t run_id, char *err, size_t errlen)
{
    store_run_record r;
    run_view v;
    store_note *notes = NULL;
    size_t nn = 0;
    if (store_read_run(s, run_id, &r, err, errlen) != 0)
        return -1;
    int rc = run_view_read(s, run_id, &v, err, errlen) == 0 &&
             store_read_notes(s, run_id, &notes, &nn, err, errlen) == 0 ? 0 : -1;
    const store_run_link *links = v.links;
    const store_param *params = v.params;
    const store_checkpoint *ck = v.ck;
    const store_metric_value *m = v.m;
    const size_t nlinks = v.nlinks, nparams = v.nparams, nck = v.nck, nm = v.nm;
    store_lineage lineage = { 0 };
    if (rc == 0)
        rc = store_read_lineage(s, run_id, &lineage, err, errlen);
    cJSON *o = rc == 0 ? run_json(&r) : NULL;
    if (o) {
        add_text(o, "role", lineage.is_trajectory ? "trajectory" : "run");
        if (lineage.trajectory_id > 0) {
            cJSON *t = cJSON_AddObjectToObject(o, "trajectory");
            add_int(t, "id", lineage.trajectory_id);
            add_text(t, "config_hash", lineage.trajectory_hash);
            add_int(t, "fork_epoch", lineage.fork_epoch);
        }
        if (lineage.is_trajectory) {
            cJSON *bs = cJSON_AddArrayToObject(o, "branches");
            for (size_t i = 0; i < lineage.nbranches; i++) {
                cJSON *b = cJSON_CreateObject();
                add_int(b, "id", lineage.branches[i].id);
                add_text(b, "config_hash", lineage.branches[i].config_hash);
                add_int(b, "epochs", lineage.branches[i].epochs);
                add_int(b, "fork_epoch", lineage.branches[i].fork_epoch);
                add_text(b, "status", store_status_name(lineage.branches[i].status));
                cJSON_AddItemToArray(bs, b);
            }
        }
        cJSON *tags = cJSON_AddArrayToObject(o, "tags"), *nl = cJSON_AddArrayToObject(o, "notes");
        for (size_t i = 0; i < nn; i++) {
            if (notes[i].kind == STORE_TAG) {
                cJSON_AddItemToArray(tags, cJSON_CreateString(notes[i].text));
                continue;
            }
            cJSON *note = cJSON_CreateObject();
            add_text(note, "text", notes[i].text);
            add_text(note, "created", notes[i].created_at);
            cJSON_AddItemToArray(nl, note);
        }
        cJSON *sw = cJSON_AddArrayToObject(o, "sweeps");
        for (size_t i = 0; i < nlinks; i++) {
            cJSON *l = cJSON_CreateObject();
            add_text(l, "sweep", links[i].sweep);
            cJSON_AddItemToObject(l, "grid_index", cJSON_CreateNumber(links[i].grid_index));
            cJSON_AddItemToArray(sw, l);
        }
        cJSON *cfg = cJSON_AddObjectToObject(o, "configuration");
        for (size_t i = 0; i < nparams; i++)
            cJSON_AddItemToObject(cfg, params[i].key, json_value(params[i].value));
        cJSON *cks = cJSON_AddArrayToObject(o, "checkpoints");
        for (size_t i = 0; i < nck; i++) {
            cJSON *c = cJSON_CreateObject();
            add_text(c, "kind", ck[i].kind);
            cJSON_AddItemToObject(c, "epoch", cJSON_CreateNumber(ck[i].epoch));
            add_text(c, "path", ck[i].path);
            cJSON_AddItemToArray(cks, c);
        }
        cJSON *ms = cJSON_AddArrayToObject(o, "metrics");
        for (size_t i = 0; i < nm; i++) {
            cJSON *v = cJSON_CreateObject();
            cJSON_AddItemToObject(v, "epoch", cJSON_CreateNumber(m[i].epoch));
            add_text(v, "split", m[i].split);
            add_text(v, "name", m[i].name);
            cJSON_AddItemToObject(v, "value", isfinite(m[i].value) ? cJSON_CreateNumber(m[i].value)
                                                                   : cJSON_CreateNull());
            cJSON_AddItemToArray(ms, v);
        }
    }
    char *text = o ? cJSON_Print(o) : NULL;
    if (text)
        printf("%s\n", text);
    else if (rc == 0)
        rc = -1, snprintf(err, errlen, "out of memory");
    cJSON_free(text);
    cJSON_Delete(o);
    store_run_record_free(&r);
    run_view_free(&v);
    store_notes_free(notes, nn);
    store_lineage_free(&lineage);
    return rc;
}

/* values[e] = the run's metric `id` of `split` at epoch e (NaN where it has none), e = 0..last. */
static void metric_by_epoch(const store_metric_value *m, size_t n, enum metric_split split,
                            enum metric_id id, int last, double *values)
{
    for (int e = 0; e <= last; e++)
        values[e] = NAN;
    for (size_t i = 0; i < n; i++)
        if (m[i].epoch >= 0 && m[i].epoch <= last &&
            strcmp(m[i].split, metric_split_name(split)) == 0 &&
            strcmp(m[i].name, metric_def_of(id)->name) == 0)
            values[m[i].epoch] = m[i].value;
}

/* Issue 12's diagnostics of a run, how its training went, each a line with what it measures
 * (wrapped to the terminal's width unless wide). -1 when memory runs out. */
static int print_diagnostics(const store_metric_value *m, size_t n, int last, int wide)
{
    printf("\ndiagnostics:\n");
    if (last < 0) {
        printf("  (no epoch yet)\n");
        return 0;
    }
    double *v = malloc(4 * ((size_t)last + 1) * sizeof *v);
    if (!v)
        return -1;
    double *val = v, *sel = v + last + 1, *test = v + 2 * (last + 1), *dc = v + 3 * (last + 1);
    metric_by_epoch(m, n, METRIC_VAL, ANALYSIS_PRIMARY_METRIC, last, val);
    metric_by_epoch(m, n, METRIC_VAL, METRIC_SELECTION, last, sel);
    metric_by_epoch(m, n, METRIC_TEST, ANALYSIS_PRIMARY_METRIC, last, test);
    metric_by_epoch(m, n, METRIC_TEST, METRIC_DC_SHARE, last, dc);
    int best = -1;
    for (int e = 0; e <= last; e++)   /* the lowest, ties to the earlier (as the trainer) */
        if (isfinite(sel[e]) && (best < 0 || sel[e] < sel[best]))
            best = e;
    /* The primary metric under its one name (model/metrics.h's title): "validation PSNR". */
    const analysis_text val_title =
        analysis_series_title(ANALYSIS_SERIES(METRIC_VAL, ANALYSIS_PRIMARY_METRIC));
    char line[5][512], number[3][32];
    int q;
    const double rise = analysis_quarter_rise(val, last, &q);
    snprintf(line[0], sizeof line[0], "best epoch: %s%d (the epoch of the lowest validation %s, "
             "ties to the earlier: best.safetensors)", best >= 0 ? "" : "none ", best >= 0 ? best : 0,
             metric_def_of(METRIC_SELECTION)->title);
    if (isfinite(rise))
        snprintf(number[0], sizeof number[0], "%+.2f dB%s", rise,
                 rise <= ANALYSIS_CONVERGED_GAIN ? "" : ", not converged");
    else
        snprintf(number[0], sizeof number[0], "-");
    snprintf(line[1], sizeof line[1], "last-quarter rise: %s (%s over epochs %d-%d: the rise of "
             "the least-squares line; converged at most %g dB)", number[0], val_title.text,
             last - q, last, ANALYSIS_CONVERGED_GAIN);
    if (best >= 0 && isfinite(val[best]) && isfinite(val[last]))
        snprintf(number[1], sizeof number[1], "%+.2f dB", val[last] - val[best]);
    else
        snprintf(number[1], sizeof number[1], "-");
    snprintf(line[2], sizeof line[2], "best to last: %s (%s at the last epoch minus at the best)",
             number[1], val_title.text);
    format_metric(ANALYSIS_PRIMARY_METRIC, test[0], 1, number[2], sizeof number[2]);
    snprintf(line[3], sizeof line[3], "epoch 0: validation %.2f dB, test %s dB (the untrained "
             "network's PSNR; a residual one starts as the identity: the input's)", val[0],
             number[2]);
    format_metric(METRIC_DC_SHARE, dc[last], 1, number[0], sizeof number[0]);
    snprintf(line[4], sizeof line[4], "%s: %s (test, last epoch: the %s)",
             metric_def_of(METRIC_DC_SHARE)->name, number[0], metric_def_of(METRIC_DC_SHARE)->title);
    for (int k = 0; k < 5; k++) {
        fputs("  ", stdout);
        wb_print_wrapped(stdout, line[k], wide ? 100000 : WB_OUTPUT_COLUMNS - 2, 4);
    }
    free(v);
    return 0;
}

/* A trajectory's or a branch's place (docs/DESIGN.md, "Budgets"), one line. */
static int print_lineage(store *s, int64_t run_id, char *err, size_t errlen)
{
    store_lineage l;
    if (store_read_lineage(s, run_id, &l, err, errlen) != 0)
        return -1;
    if (l.is_trajectory) {
        printf("  %-12s the stable phase of %zu branches (budgets", "trajectory", l.nbranches);
        for (size_t i = 0; i < l.nbranches; i++)
            printf("%s%d", i ? ", " : " ", l.branches[i].epochs);
        printf("), in no sweep's grid\n");
    } else if (l.trajectory_id > 0) {
        printf("  %-12s run %lld (%.12s), the stable phase to the end of epoch %d, where this "
               "budget's decay starts\n", "branch of", (long long)l.trajectory_id,
               l.trajectory_hash, l.fork_epoch);
    }
    store_lineage_free(&l);
    return 0;
}

/* Reads and prints the run; -1 with err set when a read fails. */
static int show_run(store *s, int64_t run_id, int wide, char *err, size_t errlen)
{
    store_run_record r;
    run_view v = { 0 };
    store_sweep_record *sweeps = NULL;
    size_t nsweeps = 0;
    if (store_read_run(s, run_id, &r, err, errlen) != 0)
        return -1;
    printf("run %lld\n", (long long)run_id);
    print_fields(&r);
    const int last = r.epochs_done;
    store_run_record_free(&r);
    if (print_lineage(s, run_id, err, errlen) != 0 || print_notes(s, run_id, err, errlen) != 0)
        return -1;
    enum { NTABLES = 6 };
    table *t[NTABLES] = { NULL };
    static const char *const titles[NTABLES] = {
        "sweeps", "configuration", "checkpoints", "training, per epoch",
        "validation and test, per epoch (PSNR in dB; test read at the last and the best epoch)",
        "input (no network): the degraded input against the target, what doing nothing scores" };
    int rc = run_view_read(s, run_id, &v, err, errlen) == 0 &&
             store_read_sweeps(s, &sweeps, &nsweeps, err, errlen) == 0 ? 0 : -1;
    if (rc == 0) {
        t[0] = links_table(v.links, v.nlinks, sweeps, nsweeps, v.params, v.nparams);
        t[1] = params_table(v.params, v.nparams);
        t[2] = checkpoints_table(v.ck, v.nck);
        t[3] = metrics_table(v.m, v.nm, METRIC_IN(METRIC_TRAIN), 1, wide);
        t[4] = metrics_table(v.m, v.nm, METRIC_IN(METRIC_VAL) | METRIC_IN(METRIC_TEST), 1, wide);
        t[5] = metrics_table(v.m, v.nm, METRIC_IN(METRIC_VAL_INPUT) | METRIC_IN(METRIC_TEST_INPUT),
                             0, wide);
    }
    for (int i = 0; rc == 0 && i < NTABLES; i++) {
        if (t[i]) {
            print_section(titles[i], t[i], wide);
            continue;
        }
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0 && print_diagnostics(v.m, v.nm, last, wide) != 0)
        rc = -1, snprintf(err, errlen, "out of memory");
    for (int i = 0; i < NTABLES; i++)
        table_free(t[i]);
    run_view_free(&v);
    store_sweep_records_free(sweeps, nsweeps);
    return rc;
}

int cmd_show(int argc, char **argv)
{
    cmd_db d = { 0 };
    int json = 0, wide = 0;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "json", .flag = &json },
                                { .name = "wide", .flag = &wide }, { 0 } };
    char err[1024];
    store *s;
    int64_t run_id;
    int status;
    if ((status = cmd_parse_db("show", usage, argc, argv, opts, 1, &d)) >= 0 ||
        (status = cmd_open_db("show", &d, &s)) != WB_EXIT_OK)
        return status;
    if (store_lookup_run(s, argv[optind], &run_id, err, sizeof err) != 0)
        status = WB_EXIT_USAGE;
    else if ((json ? show_json(s, run_id, err, sizeof err)
                   : show_run(s, run_id, wide, err, sizeof err)) != 0)
        status = WB_EXIT_FAILURE;
    if (status != WB_EXIT_OK)
        wb_error("show", "%s", err);
    store_close(s);
    return status;
}
