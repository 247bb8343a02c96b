/* analysis/analysis.c: a sweep from the store, grouped and compared; the contract is in analysis.h. */
#include "analysis/analysis.h"
#include "analysis/budget.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"
#include "base/err.h"
#include "store/read.h"

/* ---- series ---------------------------------------------------------------------------- */

static int series_valid(int series)
{
    return series >= 0 && series < ANALYSIS_NSERIES &&
           metric_in_split(analysis_series_metric(series), analysis_series_split(series));
}

enum metric_split analysis_series_split(int series)
{
    return (enum metric_split)(series / METRIC_COUNT);
}

enum metric_id analysis_series_metric(int series)
{
    return (enum metric_id)(series % METRIC_COUNT);
}

int analysis_series_compared(int series)
{
    if (!series_valid(series))
        return 0;
    const enum metric_split split = analysis_series_split(series);
    return (split == METRIC_VAL || split == METRIC_TEST) &&
           metric_def_of(analysis_series_metric(series))->source == METRIC_FROM_IMAGES;
}

analysis_text analysis_series_name(int series)
{
    analysis_text t = { "?" };
    if (series_valid(series))
        snprintf(t.text, sizeof t.text, "%s.%s", metric_split_name(analysis_series_split(series)),
                 metric_def_of(analysis_series_metric(series))->name);
    return t;
}

analysis_text analysis_series_title(int series)
{
    analysis_text t = { "?" };
    if (series_valid(series))
        snprintf(t.text, sizeof t.text, "%s %s",
                 metric_split_title(analysis_series_split(series)),
                 metric_def_of(analysis_series_metric(series))->title);
    return t;
}

const char *analysis_series_unit(int series)
{
    return series_valid(series) ? metric_def_of(analysis_series_metric(series))->unit : "";
}

int analysis_series_find(const char *name)
{
    const char *dot = strchr(name, '.');
    if (!dot)
        return -1;
    char split[32];
    snprintf(split, sizeof split, "%.*s", (int)(dot - name), name);
    const int s = metric_split_find(split), m = metric_find(dot + 1);
    const int series = s < 0 || m < 0 ? -1 : ANALYSIS_SERIES(s, m);
    return series_valid(series) ? series : -1;
}

int analysis_input_series(int series)
{
    if (!series_valid(series))
        return -1;
    const int input = metric_split_input(analysis_series_split(series));
    const int in = input < 0 ? -1 : ANALYSIS_SERIES(input, analysis_series_metric(series));
    return series_valid(in) ? in : -1;
}

enum stats_direction analysis_series_direction(int series)
{
    return series_valid(series) &&
                   metric_def_of(analysis_series_metric(series))->direction ==
                       METRIC_HIGHER_IS_BETTER
               ? STATS_HIGHER_IS_BETTER
               : STATS_LOWER_IS_BETTER;
}

const char *analysis_at_name(enum analysis_at at)
{
    return at == ANALYSIS_BEST ? "best" : "last";
}

analysis_text analysis_at_title(enum analysis_at at)
{
    analysis_text t = { "the last epoch" };
    if (at == ANALYSIS_BEST)
        snprintf(t.text, sizeof t.text, "the best epoch by %.100s",
                 analysis_series_title(ANALYSIS_SERIES(METRIC_VAL, METRIC_SELECTION)).text);
    return t;
}

/* ---- runs ------------------------------------------------------------------------------ */

double analysis_run_value(const analysis_run *r, int series, int epoch)
{
    if (series < 0 || series >= ANALYSIS_NSERIES || epoch < 0 || epoch >= r->nepochs ||
        !r->values)
        return NAN;
    return r->values[(size_t)series * r->nepochs + epoch];
}

double analysis_run_final(const analysis_run *r, int series, enum analysis_at at)
{
    if (r->status != STORE_FINISHED)
        return NAN;
    if (metric_split_is_input(analysis_series_split(series)))
        return analysis_run_value(r, series, 0);
    return analysis_run_value(r, series, at == ANALYSIS_BEST ? r->best_epoch : r->epochs_done);
}

/* Whether the finished run ends worse than its input on ANALYSIS_INPUT_METRIC of test. */
static int ends_below_input(const analysis_run *r)
{
    const int series = ANALYSIS_SERIES(METRIC_TEST, ANALYSIS_INPUT_METRIC);
    const double last = analysis_run_final(r, series, ANALYSIS_LAST);
    const double input = analysis_run_final(r, analysis_input_series(series), ANALYSIS_LAST);
    return isfinite(last) && isfinite(input) && metric_better(ANALYSIS_INPUT_METRIC, input, last);
}

/* ---- loading --------------------------------------------------------------------------- */

/* What loading keeps per configuration until the analysis is built. */
typedef struct config_scratch {
    char *baseline_key;     /* sorted "key=value" lines of the params a baseline must share */
    char *family_key;       /* the same of every param but the budget (analysis/budget.h) */
    size_t first_run;       /* its first run in grid order */
    const struct run_key *first;    /* that run's key */
} config_scratch;

/* The sweep's record; its strings move into the analysis. */
static int load_sweep(store *s, analysis *a, char *err, size_t errlen)
{
    store_sweep_record w;
    if (store_read_sweep(s, a->sweep_id, &w, err, errlen) != 0)
        return -1;
    a->name = w.name;
    a->ini_text = w.ini_text;
    a->ini_path = w.ini_path;
    a->axes = w.axes;
    a->created_at = w.created_at;
    a->updated_at = w.updated_at;
    a->host = w.host;
    a->wb_version = w.wb_version;
    a->git_commit = w.git_commit;
    a->git_dirty = w.git_dirty;
    return 0;
}

double analysis_quarter_rise(const double *values, int last, int *quarter)
{
    const int q = last >= 1 ? (last + 3) / 4 : 0;
    *quarter = q;
    if (q < 1)
        return NAN;
    double *x = malloc(2 * ((size_t)q + 1) * sizeof *x), *y = x ? x + q + 1 : NULL;
    int whole = x != NULL;
    for (int k = 0; whole && k <= q; k++) {
        x[k] = k;
        y[k] = values[last - q + k];
        whole = isfinite(y[k]);
    }
    double c0, c1 = NAN, cov00, cov01, cov11, sumsq;
    if (whole)
        gsl_fit_linear(x, 1, y, 1, (size_t)q + 1, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    free(x);
    return isfinite(c1) ? c1 * q : NAN;   /* NaN also without memory: unknown */
}

/* Whether a finished run had stopped learning (analysis.h, analysis_run). */
static void judge_convergence(analysis_run *r)
{
    r->last_quarter_gain = NAN;
    r->quarter_epochs = 0;
    r->converged = -1;
    if (r->status != STORE_FINISHED || r->epochs_done < 1 || r->epochs_done >= r->nepochs ||
        !r->values)
        return;
    int q;
    const int series = ANALYSIS_SERIES(METRIC_VAL, ANALYSIS_PRIMARY_METRIC);
    const double rise = analysis_quarter_rise(&r->values[(size_t)series * r->nepochs],
                                              r->epochs_done, &q);
    if (!isfinite(rise))
        return;
    r->last_quarter_gain = rise;
    r->quarter_epochs = q;
    r->converged = rise <= ANALYSIS_CONVERGED_GAIN;
}

/* The metric rows of one run into its series; the best epoch from them. */
static int load_metrics(store *s, analysis_run *r, char *err, size_t errlen)
{
    r->nepochs = (r->epochs > r->epochs_done ? r->epochs : r->epochs_done) + 1;
    if (r->nepochs < 1)
        r->nepochs = 1;
    r->values = malloc(sizeof(double) * ANALYSIS_NSERIES * r->nepochs);
    if (!r->values)
        return fail(err, errlen, "out of memory reading the metrics of run %lld",
                    (long long)r->id);
    for (size_t i = 0; i < (size_t)ANALYSIS_NSERIES * r->nepochs; i++)
        r->values[i] = NAN;
    store_metric_value *m;
    size_t n;
    if (store_read_metrics(s, r->id, &m, &n, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", m[i].split, m[i].name);
        int series = analysis_series_find(name);
        if (series < 0 || m[i].epoch < 0 || m[i].epoch >= r->nepochs)
            continue;   /* a metric this binary does not know */
        r->values[(size_t)series * r->nepochs + m[i].epoch] = m[i].value;
    }
    store_metric_values_free(m, n);
    r->best_epoch = -1;
    double best = NAN;
    for (int e = 0; e < r->nepochs; e++) {
        double v = analysis_run_value(r, ANALYSIS_SERIES(METRIC_VAL, METRIC_SELECTION), e);
        if (isfinite(v) && (r->best_epoch < 0 || metric_better(METRIC_SELECTION, v, best))) {
            best = v;
            r->best_epoch = e;
        }
    }
    judge_convergence(r);
    return 0;
}

/* What grouping needs of each run and analysis_run does not keep: its config_id, its params (by
 * key), and from them λ and the Laplacian settings (which point into the params). */
typedef struct run_key {
    size_t run;
    char config_id[65];
    store_param *params;
    size_t nparams;
    double lambda;
    const char *kernel, *border, *kernel_norm;
} run_key;

/* The value of a param (NULL when absent or when it does not apply). */
static const char *param_value(const run_key *k, const char *key)
{
    for (size_t i = 0; i < k->nparams; i++)
        if (strcmp(k->params[i].key, key) == 0)
            return k->params[i].value;
    return NULL;
}

static void free_keys(run_key *keys, size_t n)
{
    for (size_t i = 0; keys && i < n; i++)
        store_params_free(keys[i].params, keys[i].nparams);
    free(keys);
}

/* One run of the sweep's record into the analysis, with its metrics and its key. */
static int load_run(store *s, const store_run_record *rec, analysis_run *r, run_key *k,
                    char *err, size_t errlen)
{
    char resolved[4096];
    store_resolve_path(s, rec->folder ? rec->folder : "", resolved, sizeof resolved);
    r->id = rec->id;
    r->seed = rec->seed;
    r->grid_index = rec->grid_index;
    r->status = rec->status;
    r->epochs = rec->epochs;
    r->epochs_done = rec->epochs_done;
    memcpy(r->config_hash, rec->config_hash, sizeof r->config_hash);
    r->threads = rec->threads > 0 ? (int)rec->threads : 0;
    r->folder = strdup(resolved);
    int found, oom = !r->folder;
    if (store_file_hash_of(s, rec->id, -1, "preview.npy", r->preview_sha256, &found, err,
                           errlen) != 0)
        return -1;
    if (rec->error)
        oom |= !(r->error = strdup(rec->error));
    if (rec->host)
        oom |= !(r->host = strdup(rec->host));
    if (rec->gemm_library)
        oom |= !(r->gemm_library = strdup(rec->gemm_library));
    if (rec->compiler)
        oom |= !(r->compiler = strdup(rec->compiler));
    if (oom)
        return fail(err, errlen, "out of memory reading the runs");
    memcpy(k->config_id, rec->config_id, sizeof k->config_id);
    if (store_read_params(s, r->id, &k->params, &k->nparams, err, errlen) != 0)
        return -1;
    const char *lambda = param_value(k, "loss.laplacian_weight");
    k->lambda = lambda ? strtod(lambda, NULL) : 0;
    k->kernel = param_value(k, "loss.kernel");
    k->border = param_value(k, "loss.border");
    k->kernel_norm = param_value(k, "loss.kernel_norm");
    if (load_metrics(s, r, err, errlen) != 0)
        return -1;
    r->below_input = ends_below_input(r);
    return 0;
}

/* analysis.task from one run's params (its key k): the parts the run recorded, a key the sweep
 * varies as "varied". */
static char *describe_task(const analysis *a, const run_key *k)
{
    char buf[1024] = "";
    size_t used = 0;
#define VALUE(key) (a->axes && strstr(a->axes, key) ? "varied" : param_value(k, key))
#define ADD(...)                                                                                 \
    do {                                                                                          \
        int w_ = snprintf(buf + used, sizeof buf - used, __VA_ARGS__);                            \
        used += w_ > 0 && (size_t)w_ < sizeof buf - used ? (size_t)w_ : 0;                        \
    } while (0)
    const char *task = VALUE("data.task");
    ADD("%s", task ? task : "an unrecorded task");
    const char *sigma_key = task && strcmp(task, "denoise") == 0  ? "data.noise_sigma"
                            : task && strcmp(task, "deblur") == 0 ? "data.blur_sigma"
                                                                  : NULL;
    const char *sigma = sigma_key ? VALUE(sigma_key) : NULL;
    if (sigma) {
        char v[40];
        if (strcmp(sigma, "varied") == 0)
            snprintf(v, sizeof v, "varied");
        else
            format_shortest(strtod(sigma, NULL), v, sizeof v);
        ADD(" (%s σ %s)", strcmp(sigma_key, "data.noise_sigma") == 0 ? "noise" : "blur", v);
    }
    const char *patch = VALUE("data.patch");
    if (patch)
        ADD(", %sx%s patches", patch, patch);
    const char *train = VALUE("data.train_patches"), *test = VALUE("data.test_patches");
    if (train && test)
        ADD(" (%s train, %s test)", train, test);
    const char *depth = VALUE("model.depth"), *channels = VALUE("model.base_channels");
    if (depth && channels)
        ADD(", a depth-%s U-Net with %s channels", depth, channels);
    else if (depth)
        ADD(", a depth-%s U-Net", depth);
    const char *epochs = VALUE("train.epochs");
    if (epochs)
        ADD(", %s epochs", epochs);
#undef ADD
#undef VALUE
    return strdup(buf);
}

static int load_runs(store *s, analysis *a, run_key **keys_out, char *err, size_t errlen)
{
    store_run_record *recs;
    size_t n;
    *keys_out = NULL;
    if (store_read_sweep_runs(s, a->sweep_id, &recs, &n, err, errlen) != 0)
        return -1;
    if (n == 0) {
        store_run_records_free(recs, n);
        return fail(err, errlen, "sweep '%s' has no runs", a->name);
    }
    a->runs = calloc(n, sizeof *a->runs);
    run_key *keys = calloc(n, sizeof *keys);
    *keys_out = keys;
    int rc = a->runs && keys ? 0 : fail(err, errlen, "out of memory reading the runs");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        keys[i].run = i;
        a->nruns++;
        rc = load_run(s, &recs[i], &a->runs[i], &keys[i], err, errlen);
        a->nbelow_input += rc == 0 && a->runs[i].below_input;
        /* ISO 8601 times in UTC compare as strings. */
        const char *fin = recs[i].finished_at;
        if (rc == 0 && fin && (!a->last_finished_at || strcmp(fin, a->last_finished_at) > 0)) {
            free(a->last_finished_at);
            if (!(a->last_finished_at = strdup(fin)))
                rc = fail(err, errlen, "out of memory reading the runs");
        }
    }
    if (rc == 0 && !(a->task = describe_task(a, &keys[0])))
        rc = fail(err, errlen, "out of memory reading the runs");
    const char *pixel = rc == 0 ? param_value(&keys[0], "loss.pixel") : NULL;
    if (pixel && !(a->pixel_loss = strdup(pixel)))
        rc = fail(err, errlen, "out of memory reading the runs");
    a->pixel_varies = a->axes && strstr(a->axes, "loss.pixel") != NULL;
    store_run_records_free(recs, n);
    return rc;
}

static int compare_run_keys(const void *pa, const void *pb)
{
    const run_key *x = pa, *y = pb;
    int c = strcmp(x->config_id, y->config_id);
    return c ? c : (x->run > y->run) - (x->run < y->run);
}

/* Laplacian settings and the thread count do not have to match between a configuration and its
 * baseline; everything else does. */
static int baseline_may_differ(const char *key)
{
    static const char *const keys[] = { "loss.laplacian_weight", "loss.kernel", "loss.border",
                                         "loss.kernel_norm", "train.threads" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return strncmp(key, "sweep.", 6) == 0;
}

/* A configuration's params (those of its first run): its baseline key, its effective weight, and
 * its labels (analysis/label.h). */
static int describe_config(const analysis *a, const run_key *first, analysis_config *c,
                           config_scratch *cs, char *err, size_t errlen)
{
    char *key_text = NULL, *family_text = NULL;
    size_t key_len = 0, family_len = 0;
    FILE *kf = open_memstream(&key_text, &key_len);
    FILE *ff = open_memstream(&family_text, &family_len);
    int ok = kf != NULL && ff != NULL;
    for (size_t p = 0; ok && p < first->nparams; p++) {
        const char *key = first->params[p].key, *value = first->params[p].value;
        if (!baseline_may_differ(key))
            fprintf(kf, "%s%c%s\n", key, value ? '=' : '!', value ? value : "");
        if (strcmp(key, ANALYSIS_BUDGET_KEY) == 0)
            c->epochs = value ? atoi(value) : 0;
        else if (strcmp(key, "train.threads") != 0 && strncmp(key, "sweep.", 6) != 0)
            fprintf(ff, "%s%c%s\n", key, value ? '=' : '!', value ? value : "");
    }
    ok = ok && !ferror(kf) && !ferror(ff);
    ok &= !kf || fclose(kf) == 0;
    ok &= !ff || fclose(ff) == 0;
    cs->baseline_key = key_text;
    cs->family_key = family_text;

    c->gain = c->is_baseline ? NAN : label_lap_gain(c->kernel, c->kernel_norm);
    c->effective_weight = label_effective_weight(c->lambda, c->kernel, c->kernel_norm);
    char label[1024], panel[1024];
    label_of_params(a->axes, first->params, first->nparams, label, sizeof label, panel,
                    sizeof panel);
    c->label = strdup(label);
    c->panel_label = strdup(panel);
    if (!ok || !key_text || !family_text || !c->label || !c->panel_label)
        return fail(err, errlen, "out of memory describing the configurations");
    return 0;
}

static int compare_configs(const analysis_config *x, const config_scratch *xs,
                           const analysis_config *y, const config_scratch *ys)
{
    if (x->lambda != y->lambda)
        return x->lambda < y->lambda ? -1 : 1;
    if (!x->kernel != !y->kernel)
        return x->kernel ? 1 : -1;
    int c = x->kernel ? strcmp(x->kernel, y->kernel) : 0;
    if (c)
        return c;
    return (xs->first_run > ys->first_run) - (xs->first_run < ys->first_run);
}

/* Insertion sort of the configurations (and their scratch alongside): few elements, and a
 * stable order with two parallel arrays is simplest this way. */
static void sort_configs(analysis_config *c, config_scratch *cs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && compare_configs(&c[j], &cs[j], &c[j - 1], &cs[j - 1]) < 0;
             j--) {
            analysis_config t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
            config_scratch ts = cs[j];
            cs[j] = cs[j - 1];
            cs[j - 1] = ts;
        }
    }
}

static int compare_seeds_of(const analysis *a, size_t x, size_t y)
{
    const analysis_run *rx = &a->runs[x], *ry = &a->runs[y];
    if (rx->seed != ry->seed)
        return rx->seed < ry->seed ? -1 : 1;
    return (rx->grid_index > ry->grid_index) - (rx->grid_index < ry->grid_index);
}

/* Groups the runs by config_id into configurations, sorted, each with its runs by seed. */
static int build_configs(analysis *a, run_key *keys, char *err, size_t errlen)
{
    config_scratch *cs = calloc(a->nruns, sizeof *cs);
    int rc = -1;
    if (!cs || !(a->configs = calloc(a->nruns, sizeof *a->configs))) {
        fail(err, errlen, "out of memory grouping the runs");
        goto done;
    }
    qsort(keys, a->nruns, sizeof *keys, compare_run_keys);
    for (size_t i = 0, end; i < a->nruns; i = end) {
        for (end = i + 1; end < a->nruns && strcmp(keys[end].config_id, keys[i].config_id) == 0;
             end++)
            ;
        analysis_config *c = &a->configs[a->nconfigs];
        /* The first run in grid order: keys sort by run within a configuration. */
        cs[a->nconfigs].first_run = keys[i].run;
        cs[a->nconfigs++].first = &keys[i];
        memcpy(c->config_id, keys[i].config_id, sizeof c->config_id);
        c->lambda = keys[i].lambda;
        c->is_baseline = keys[i].lambda == 0;
        int oom = (keys[i].kernel && !(c->kernel = strdup(keys[i].kernel))) |
                  (keys[i].border && !(c->border = strdup(keys[i].border))) |
                  (keys[i].kernel_norm && !(c->kernel_norm = strdup(keys[i].kernel_norm)));
        c->runs = malloc((end - i) * sizeof *c->runs);
        if (oom || !c->runs) {
            fail(err, errlen, "out of memory grouping the runs");
            goto done;
        }
        for (size_t k = i; k < end; k++)
            c->runs[c->nruns++] = keys[k].run;
    }
    for (size_t c = 0; c < a->nconfigs; c++)
        if (describe_config(a, cs[c].first, &a->configs[c], &cs[c], err, errlen) != 0)
            goto done;
    sort_configs(a->configs, cs, a->nconfigs);
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        analysis_config *c = &a->configs[ci];
        /* Runs by seed: pairs line up and tables read in seed order. */
        for (size_t i = 1; i < c->nruns; i++)
            for (size_t j = i; j > 0 && compare_seeds_of(a, c->runs[j], c->runs[j - 1]) < 0; j--) {
                size_t t = c->runs[j];
                c->runs[j] = c->runs[j - 1];
                c->runs[j - 1] = t;
            }
        c->converged = 1;
        for (size_t i = 0; i < c->nruns; i++) {
            a->runs[c->runs[i]].config = ci;
            c->nfinished += a->runs[c->runs[i]].status == STORE_FINISHED;
            c->converged &= a->runs[c->runs[i]].converged != 0;
        }
        c->baseline = -1;
        for (size_t b = 0; b < a->nconfigs && c->baseline < 0; b++)
            if (a->configs[b].is_baseline && strcmp(cs[b].baseline_key, cs[ci].baseline_key) == 0)
                c->baseline = (long)b;
    }
    const char **family_keys = malloc((a->nconfigs ? a->nconfigs : 1) * sizeof *family_keys);
    if (!family_keys) {
        fail(err, errlen, "out of memory grouping the runs");
        goto done;
    }
    for (size_t ci = 0; ci < a->nconfigs; ci++)
        family_keys[ci] = cs[ci].family_key;
    rc = analysis_group_budgets(a, family_keys, err, errlen);
    free(family_keys);
done:
    for (size_t i = 0; cs && i < a->nruns; i++) {
        free(cs[i].baseline_key);
        free(cs[i].family_key);
    }
    free(cs);
    return rc;
}

/* ---- panels ---------------------------------------------------------------------------- */

static int panel_add(analysis_panel *p, size_t config)
{
    for (size_t i = 0; i < p->nconfigs; i++)
        if (p->configs[i] == config)
            return 0;
    p->configs[p->nconfigs++] = config;
    return 1;
}

static analysis_panel *panel_for(analysis *a, const char *label, int *oom)
{
    for (size_t i = 0; i < a->npanels; i++)
        if (strcmp(a->panels[i].label, label) == 0)
            return &a->panels[i];
    analysis_panel *p = &a->panels[a->npanels];
    p->label = strdup(label);
    p->configs = malloc(a->nconfigs * sizeof *p->configs);
    if (!p->label || !p->configs) {
        free(p->label);
        free(p->configs);
        *oom = 1;
        return NULL;
    }
    p->nconfigs = 0;
    a->npanels++;
    return p;
}

/* One panel per set of axis values but λ; each holds the baselines of its configurations first
 * (so they are drawn underneath), then the configurations by λ. A baseline no configuration
 * points to gets a panel of its own. */
static int build_panels(analysis *a, char *err, size_t errlen)
{
    int oom = 0;
    a->panels = calloc(a->nconfigs, sizeof *a->panels);
    if (!a->panels)
        return fail(err, errlen, "out of memory");
    for (size_t ci = 0; ci < a->nconfigs && !oom; ci++) {
        analysis_config *c = &a->configs[ci];
        if (c->is_baseline)
            continue;
        analysis_panel *p = panel_for(a, c->panel_label, &oom);
        if (p)
            c->panel = (size_t)(p - a->panels);
    }
    for (size_t pi = 0; pi < a->npanels; pi++) {
        analysis_panel *p = &a->panels[pi];
        for (size_t ci = 0; ci < a->nconfigs; ci++) {
            const analysis_config *c = &a->configs[ci];
            if (!c->is_baseline && c->panel == pi && c->baseline >= 0)
                panel_add(p, (size_t)c->baseline);
        }
        for (size_t ci = 0; ci < a->nconfigs; ci++)
            if (!a->configs[ci].is_baseline && a->configs[ci].panel == pi)
                panel_add(p, ci);
    }
    for (size_t ci = 0; ci < a->nconfigs && !oom; ci++) {
        analysis_config *c = &a->configs[ci];
        if (!c->is_baseline)
            continue;
        size_t first = a->npanels;
        for (size_t pi = 0; pi < a->npanels && first == a->npanels; pi++)
            for (size_t k = 0; k < a->panels[pi].nconfigs; k++)
                if (a->panels[pi].configs[k] == ci)
                    first = pi;
        if (first == a->npanels) {
            analysis_panel *p = panel_for(a, c->panel_label, &oom);
            if (p)
                panel_add(p, ci);
            first = p ? (size_t)(p - a->panels) : 0;
        }
        c->panel = first;
    }
    return oom ? fail(err, errlen, "out of memory") : 0;
}

/* ---- statistics ------------------------------------------------------------------------ */

/* The run of `config` with this seed, or -1. */
static long run_with_seed(const analysis *a, const analysis_config *c, int64_t seed)
{
    for (size_t i = 0; i < c->nruns; i++)
        if (a->runs[c->runs[i]].seed == seed)
            return (long)c->runs[i];
    return -1;
}

size_t analysis_paired_values(const analysis *a, size_t config, int series, enum analysis_at at,
                              double *x, double *bx, int64_t *seeds)
{
    const analysis_config *c = &a->configs[config];
    if (c->is_baseline || c->baseline < 0)
        return 0;
    const analysis_config *b = &a->configs[c->baseline];
    size_t n = 0;
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        double v = analysis_run_final(r, series, at);
        long bi = run_with_seed(a, b, r->seed);
        double bv = bi >= 0 ? analysis_run_final(&a->runs[bi], series, at) : NAN;
        if (isfinite(v) && isfinite(bv)) {
            x[n] = v;
            bx[n] = bv;
            if (seeds)
                seeds[n] = r->seed;
            n++;
        }
    }
    return n;
}

/* A configuration whose seeds came in two stages (its plan has a first stage, and the pairs go
 * beyond it) is tested as Stein's design says (analysis/stein.h): the mean over all its pairs,
 * the first stage's sd and degrees of freedom. The first stage's pairs are the first n1 in seed
 * order: the second stage's seeds follow the file's. x and bx: the pairs, as
 * analysis_paired_values wrote them; x is overwritten with the differences. */
static int two_stage(const analysis *a, size_t ci, int series, analysis_stat *st, double *x,
                     const double *bx, char *err, size_t errlen)
{
    st->two_stage = 0;
    const store_stage_plan *plan = NULL;
    for (size_t i = 0; i < a->nplans && !plan; i++)
        if (strcmp(a->plans[i].config_id, a->configs[ci].config_id) == 0)
            plan = &a->plans[i];
    if (!plan || plan->stage1_n < 2 || st->npairs <= (size_t)plan->stage1_n)
        return 0;
    for (size_t i = 0; i < st->npairs; i++)
        x[i] -= bx[i];
    if (stats_stein_test(x, st->npairs, (size_t)plan->stage1_n, plan->stage1_sd,
                         a->margin[analysis_series_metric(series)], a->alpha, &st->stein, err,
                         errlen) != 0)
        return -1;
    st->two_stage = 1;
    stats_paired *pd = &st->paired;
    pd->diff.mean = st->stein.mean;
    pd->diff.se = st->stein.se;
    pd->diff.ci_low = st->stein.ci_low;
    pd->diff.ci_high = st->stein.ci_high;
    pd->t = st->stein.t;
    pd->df = st->stein.df;
    pd->p = st->stein.p;
    return 0;
}

static int compute_stat(analysis *a, size_t ci, int series, enum analysis_at at, double *x,
                        double *bx, char *err, size_t errlen)
{
    analysis_config *c = &a->configs[ci];
    analysis_stat *st = &c->stat[at][series];
    st->p_holm = NAN;
    st->verdict = STATS_NO_TEST;
    size_t n = 0, npairs = 0;
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        double v = analysis_run_final(r, series, at);
        if (!isfinite(v))
            continue;
        x[n++] = v;
    }
    st->n = n;
    if (n > 0 && stats_summarize(x, n, a->alpha, &st->summary, err, errlen) != 0)
        return -1;
    if (c->is_baseline || c->baseline < 0)
        return 0;
    npairs = analysis_paired_values(a, ci, series, at, x, bx, NULL);
    st->npairs = npairs;
    if (npairs > 0 && stats_paired_t(x, bx, npairs, a->alpha, &st->paired, err, errlen) != 0)
        return -1;
    return two_stage(a, ci, series, st, x, bx, err, errlen);
}

/* ---- decisions ------------------------------------------------------------------------- */

/* The minimum detectable effect of n pairs with paired sd `sd`. Its d_z depends on n alone and
 * costs a root-finding over the noncentral t, so it is found once per n (dz_by_n[n], NaN until
 * then) and scaled by each configuration's sd. */
static int detectable(const analysis *a, double *dz_by_n, size_t n, double sd,
                      stats_detectable *out, char *err, size_t errlen)
{
    if (isnan(dz_by_n[n])) {
        stats_detectable unit;
        if (stats_min_detectable_effect(n, 1.0, a->alpha, STATS_POWER_DEFAULT, &unit, err,
                                        errlen) != 0)
            return -1;
        dz_by_n[n] = unit.effect_size;
    }
    *out = (stats_detectable){ .n = n, .effect_size = dz_by_n[n],
                               .effect = isfinite(sd) && sd > 0 ? dz_by_n[n] * sd : NAN,
                               .power = STATS_POWER_DEFAULT, .alpha = a->alpha };
    return 0;
}

/* The decision on one configuration's series at an epoch choice (analysis.h, analysis_stat), from
 * its paired test, Holm's p and the series' margin. */
static int decide(analysis *a, size_t ci, int series, enum analysis_at at, double *dz_by_n,
                  char *err, size_t errlen)
{
    analysis_config *c = &a->configs[ci];
    analysis_stat *st = &c->stat[at][series];
    const double margin = a->margin[analysis_series_metric(series)];
    st->margin = margin;
    st->tost = (stats_tost){ .delta = margin, .t_lower = NAN, .t_upper = NAN, .p_lower = NAN,
                             .p_upper = NAN, .p = NAN, .ci_low = NAN, .ci_high = NAN,
                             .level = 1 - 2 * a->alpha };
    st->mde = (stats_detectable){ .effect_size = NAN, .effect = NAN,
                                  .power = STATS_POWER_DEFAULT, .alpha = a->alpha };
    st->seeds = (stats_seeds){ .status = STATS_SEEDS_NO_SD, .seeds = NAN, .power = NAN,
                               .cap = STATS_SEEDS_CAP };
    st->decision = (stats_decision){ .verdict = STATS_NO_TEST, .seeds_to_decide = NAN,
                                     .rule = "not compared" };
    st->verdict = STATS_NO_TEST;
    if (c->is_baseline || c->baseline < 0 || st->npairs == 0)
        return 0;
    const stats_paired *pd = &st->paired;
    if (pd->has_test) {
        if (detectable(a, dz_by_n, st->npairs, pd->diff.sd, &st->mde, err, errlen) != 0)
            return -1;
        if (margin > 0 &&
            (stats_tost_paired(&pd->diff, margin, a->alpha, &st->tost, err, errlen) != 0 ||
             stats_seeds_needed(margin, pd->diff.sd, a->alpha, STATS_POWER_DEFAULT,
                                STATS_SEEDS_CAP, &st->seeds, err, errlen) != 0))
            return -1;
        if (st->two_stage)  /* Stein's se and degrees of freedom, at this margin */
            stats_stein_tost(&st->stein, margin, a->alpha, &st->tost);
    }
    const stats_evidence e = {
        .mean_diff = pd->diff.mean, .p_difference = st->p_holm,
        .p_equivalence = st->tost.has_test ? st->tost.p : NAN, .alpha = a->alpha,
        .direction = analysis_series_direction(series),
        .converged = a->nbudgets >= 2 || (c->converged && a->configs[c->baseline].converged),
        .seeds = st->seeds,
    };
    st->decision = stats_decide(&e);
    st->verdict = st->decision.verdict;
    return 0;
}

/* A d_z cache for decide: one slot per possible number of pairs, NaN. */
static double *new_dz_cache(const analysis *a)
{
    double *dz = malloc((a->nruns + 1) * sizeof *dz);
    for (size_t i = 0; dz && i <= a->nruns; i++)
        dz[i] = NAN;
    return dz;
}

int analysis_set_margins(analysis *a, const double margin[METRIC_COUNT], const int *from_ini,
                         char *err, size_t errlen)
{
    for (int m = 0; m < METRIC_COUNT; m++)
        if (!(isfinite(margin[m]) && margin[m] >= 0))
            return fail(err, errlen, "the equivalence margin of %s must be a number >= 0, not %g",
                        metric_def_of((enum metric_id)m)->name, margin[m]);
    double *dz = new_dz_cache(a);
    if (!dz)
        return fail(err, errlen, "out of memory");
    for (int m = 0; m < METRIC_COUNT; m++) {
        a->margin[m] = margin[m];
        a->margin_from_ini[m] = from_ini ? from_ini[m] != 0 : 0;
    }
    int rc = 0;
    for (int at = 0; rc == 0 && at < ANALYSIS_NAT; at++)
        for (int m = 0; rc == 0 && m < ANALYSIS_NSERIES; m++)
            for (size_t ci = 0; rc == 0 && analysis_series_compared(m) && ci < a->nconfigs; ci++)
                rc = decide(a, ci, m, (enum analysis_at)at, dz, err, errlen);
    free(dz);
    return rc;
}

/* Holm's adjustment of p (one per configuration, NaN where none) in place: over all the
 * configurations, or with two or more budgets over those of each budget (a claim is made per
 * budget). *family: the largest family's size. */
static int holm_by_budget(const analysis *a, double *p, size_t *family, char *why, size_t whylen)
{
    if (a->nbudgets < 2)
        return stats_holm(p, a->nconfigs, p, family, why, whylen);
    double *sub = malloc(a->nconfigs * sizeof *sub);
    size_t *at = malloc(a->nconfigs * sizeof *at);
    int rc = sub && at ? 0 : -1;
    if (rc != 0)
        snprintf(why, whylen, "out of memory");
    *family = 0;
    for (size_t b = 0; rc == 0 && b < a->nbudgets; b++) {
        size_t n = 0, size;
        for (size_t ci = 0; ci < a->nconfigs; ci++)
            if (a->configs[ci].epochs == a->budgets[b]) {
                at[n] = ci;
                sub[n++] = p[ci];
            }
        rc = stats_holm(sub, n, sub, &size, why, whylen);
        for (size_t k = 0; rc == 0 && k < n; k++)
            p[at[k]] = sub[k];
        if (size > *family)
            *family = size;
    }
    free(sub);
    free(at);
    return rc;
}

static int compute_statistics(analysis *a, char *err, size_t errlen)
{
    double *x = malloc(a->nruns * sizeof *x), *bx = malloc(a->nruns * sizeof *bx);
    double *p = malloc(a->nconfigs * sizeof *p);
    double *dz = new_dz_cache(a);
    int rc = -1;
    if (!x || !bx || !p || !dz) {
        fail(err, errlen, "out of memory computing the statistics");
        goto done;
    }
    for (int at = 0; at < ANALYSIS_NAT; at++) {
        for (int m = 0; m < ANALYSIS_NSERIES; m++) {
            a->best[at][m] = -1;
            if (!analysis_series_compared(m))
                continue;
            char why[256];
            for (size_t ci = 0; ci < a->nconfigs; ci++) {
                if (compute_stat(a, ci, m, (enum analysis_at)at, x, bx, why, sizeof why) != 0) {
                    fail(err, errlen, "%s, %s: %s", a->configs[ci].label,
                         analysis_series_name(m).text, why);
                    goto done;
                }
                const analysis_stat *st = &a->configs[ci].stat[at][m];
                p[ci] = st->npairs > 0 && st->paired.has_test ? st->paired.p : NAN;
            }
            if (holm_by_budget(a, p, &a->holm_family[at][m], why, sizeof why) != 0) {
                fail(err, errlen, "Holm adjustment of %s: %s", analysis_series_name(m).text,
                     why);
                goto done;
            }
            enum stats_direction dir = analysis_series_direction(m);
            for (size_t ci = 0; ci < a->nconfigs; ci++) {
                analysis_stat *st = &a->configs[ci].stat[at][m];
                st->p_holm = p[ci];
                if (decide(a, ci, m, (enum analysis_at)at, dz, why, sizeof why) != 0) {
                    fail(err, errlen, "%s, %s: %s", a->configs[ci].label,
                         analysis_series_name(m).text, why);
                    goto done;
                }
                if (st->n == 0)
                    continue;
                long b = a->best[at][m];
                double mean = st->summary.mean;
                double best = b >= 0 ? a->configs[b].stat[at][m].summary.mean : NAN;
                if (b < 0 || (dir == STATS_HIGHER_IS_BETTER ? mean > best : mean < best))
                    a->best[at][m] = (long)ci;
            }
        }
    }
    rc = 0;
done:
    free(x);
    free(bx);
    free(p);
    free(dz);
    return rc;
}

/* Each configuration's summary of the input series over its finished runs: the "do nothing"
 * reference beside its statistics (no test: the input is the same for every seed). */
static int compute_inputs(analysis *a, char *err, size_t errlen)
{
    double *x = malloc((a->nruns ? a->nruns : 1) * sizeof *x);
    if (!x)
        return fail(err, errlen, "out of memory computing the statistics");
    int rc = 0;
    for (size_t ci = 0; rc == 0 && ci < a->nconfigs; ci++) {
        analysis_config *c = &a->configs[ci];
        for (int m = 0; rc == 0 && m < ANALYSIS_NSERIES; m++) {
            if (!series_valid(m) || !metric_split_is_input(analysis_series_split(m)))
                continue;
            size_t n = 0;
            for (size_t i = 0; i < c->nruns; i++) {
                const double v = analysis_run_final(&a->runs[c->runs[i]], m, ANALYSIS_LAST);
                if (isfinite(v))
                    x[n++] = v;
            }
            for (int at = 0; at < ANALYSIS_NAT; at++) {
                analysis_stat *st = &c->stat[at][m];
                st->n = n;
                st->p_holm = NAN;
                st->verdict = STATS_NO_TEST;
                char why[256];
                if (n > 0 && stats_summarize(x, n, a->alpha, &st->summary, why, sizeof why) != 0)
                    rc = fail(err, errlen, "%s, %s: %s", c->label, analysis_series_name(m).text,
                              why);
            }
        }
    }
    free(x);
    return rc;
}

int analysis_load(store *s, int64_t sweep_id, double alpha, analysis **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    /* Below 1/2: the equivalence test's interval is at 1 - 2 alpha. */
    if (!(alpha > 0 && alpha < 0.5))
        return fail(err, errlen, "alpha must be in (0, 0.5), not %g", alpha);
    analysis *a = calloc(1, sizeof *a);
    if (!a)
        return fail(err, errlen, "out of memory");
    a->sweep_id = sweep_id;
    a->alpha = alpha;
    a->git_dirty = -1;
    for (int m = 0; m < METRIC_COUNT; m++)
        a->margin[m] = metric_def_of((enum metric_id)m)->delta;
    a->db_path = strdup(store_path(s));
    if (!a->db_path) {
        analysis_free(a);
        return fail(err, errlen, "out of memory");
    }
    run_key *keys = NULL;
    int rc = load_sweep(s, a, err, errlen) == 0 &&
             store_read_stage_plans(s, sweep_id, &a->plans, &a->nplans, err, errlen) == 0 &&
             load_runs(s, a, &keys, err, errlen) == 0 &&
             build_configs(a, keys, err, errlen) == 0 && build_panels(a, err, errlen) == 0 &&
             compute_statistics(a, err, errlen) == 0 && compute_inputs(a, err, errlen) == 0
             ? 0 : -1;
    free_keys(keys, a->nruns);
    if (rc != 0) {
        analysis_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

int analysis_open(store *s, const char *sweep_name, double alpha, analysis **out,
                  int *usage_error, char *err, size_t errlen)
{
    int missing = 0;
    *out = NULL;
    int64_t id;
    int rc = store_pick_sweep(s, sweep_name, &id, &missing, err, errlen) == 0 &&
             analysis_load(s, id, alpha, out, err, errlen) == 0 ? 0 : -1;
    if (usage_error)
        *usage_error = missing;
    return rc;
}

void analysis_free(analysis *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nruns; i++) {
        analysis_run *r = &a->runs[i];
        free(r->error);
        free(r->folder);
        free(r->host);
        free(r->gemm_library);
        free(r->compiler);
        free(r->values);
    }
    for (size_t i = 0; i < a->nconfigs; i++) {
        analysis_config *c = &a->configs[i];
        free(c->kernel);
        free(c->border);
        free(c->kernel_norm);
        free(c->label);
        free(c->panel_label);
        free(c->runs);
    }
    for (size_t i = 0; i < a->npanels; i++) {
        free(a->panels[i].label);
        free(a->panels[i].configs);
    }
    free(a->runs);
    free(a->configs);
    free(a->panels);
    analysis_free_budgets(a);
    store_stage_plans_free(a->plans, a->nplans);
    free(a->name);
    free(a->ini_text);
    free(a->ini_path);
    free(a->axes);
    free(a->created_at);
    free(a->updated_at);
    free(a->task);
    free(a->pixel_loss);
    free(a->last_finished_at);
    free(a->host);
    free(a->wb_version);
    free(a->git_commit);
    free(a->db_path);
    free(a);
}

/* ---- sentences ------------------------------------------------------------------------- */

void analysis_seeds_note(const analysis *a, size_t config, int series, enum analysis_at at,
                         char *out, size_t outlen)
{
    const analysis_config *c = &a->configs[config];
    const analysis_stat *st = &c->stat[at][series];
    snprintf(out, outlen, "n = %zu of %zu seed%s", st->n, c->nruns, c->nruns == 1 ? "" : "s");
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        if (r->status == STORE_FINISHED) {
            if (!isfinite(analysis_run_final(r, series, at)))
                text_append(out, outlen, "; seed %lld finished without a %s at %s", (long long)r->seed,
                       analysis_series_name(series).text, analysis_at_title(at).text);
            continue;
        }
        text_append(out, outlen, "; seed %lld %s", (long long)r->seed, store_status_name(r->status));
        if (r->status != STORE_QUEUED)
            text_append(out, outlen, " after %d of %d epochs", r->epochs_done < 0 ? 0 : r->epochs_done,
                   r->epochs);
        if (r->error && *r->error)
            text_append(out, outlen, " (%s)", r->error);
    }
}

int analysis_decimals(double scale, double fallback)
{
    double s = fabs(scale);
    int d;
    if (isfinite(s) && s > 0)
        d = 1 - (int)floor(log10(s));
    else if (isfinite(fallback) && fallback != 0)
        d = 3 - (int)floor(log10(fabs(fallback)));
    else
        d = 2;
    return d < 2 ? 2 : d > 6 ? 6 : d;
}

size_t analysis_input_configs(const analysis *a, int series, size_t *configs)
{
    const int in = analysis_input_series(series);
    size_t n = 0;
    for (size_t ci = 0; in >= 0 && ci < a->nconfigs; ci++) {
        const analysis_stat *st = &a->configs[ci].stat[ANALYSIS_LAST][in];
        int seen = st->n == 0;
        for (size_t k = 0; k < n && !seen; k++)
            seen = a->configs[configs[k]].stat[ANALYSIS_LAST][in].summary.mean ==
                   st->summary.mean;
        if (!seen)
            configs[n++] = ci;
    }
    return n;
}

void analysis_input_label(const analysis *a, size_t config, size_t n, char *out, size_t outlen)
{
    if (n == 1)
        snprintf(out, outlen, "input (no network)");
    else
        snprintf(out, outlen, "input (no network), as %s", a->configs[config].label);
}

void analysis_run_label(const analysis *a, size_t run, char *out, size_t outlen)
{
    const analysis_run *r = &a->runs[run];
    snprintf(out, outlen, "run %lld (%s, seed %lld)", (long long)r->id,
             a->configs[r->config].label, (long long)r->seed);
}

void analysis_below_input_line(const analysis *a, size_t run, char *out, size_t outlen)
{
    const analysis_run *r = &a->runs[run];
    const int series = ANALYSIS_SERIES(METRIC_TEST, ANALYSIS_INPUT_METRIC);
    const char *unit = analysis_series_unit(series);
    char label[1024];
    analysis_run_label(a, run, label, sizeof label);
    snprintf(out, outlen, "%s ends below its input: %s %.2f%s%s at the last epoch, the input's "
             "%.2f%s%s", label, analysis_series_title(series).text,
             analysis_run_final(r, series, ANALYSIS_LAST), *unit ? " " : "", unit,
             analysis_run_final(r, analysis_input_series(series), ANALYSIS_LAST),
             *unit ? " " : "", unit);
}

void analysis_below_input_sentence(const analysis *a, char *out, size_t outlen)
{
    const analysis_text metric =
        analysis_series_title(ANALYSIS_SERIES(METRIC_TEST, ANALYSIS_INPUT_METRIC));
    if (a->nbelow_input == 0) {
        snprintf(out, outlen, "No run ends below its input (the degraded test images scored "
                 "against their targets, %s at the last epoch).", metric.text);
        return;
    }
    snprintf(out, outlen, "%zu run%s end%s below %s input (%s at the last epoch worse than the "
             "degraded test images' own: the network made them worse than doing nothing): ",
             a->nbelow_input, a->nbelow_input == 1 ? "" : "s", a->nbelow_input == 1 ? "s" : "",
             a->nbelow_input == 1 ? "its" : "their", metric.text);
    const char *sep = "";
    for (size_t i = 0; i < a->nruns; i++) {
        if (!a->runs[i].below_input)
            continue;
        char label[1024];
        analysis_run_label(a, i, label, sizeof label);
        text_append(out, outlen, "%s%s", sep, label);
        sep = ", ";
    }
    text_append(out, outlen, ".");
}

void analysis_format_p(double p, char *out, size_t outlen)
{
    if (isnan(p))
        snprintf(out, outlen, "p not available");
    else if (p < 1e-4)
        snprintf(out, outlen, "p < 0.0001");
    else if (p >= 0.9995)
        snprintf(out, outlen, "p = 1");
    else
        snprintf(out, outlen, "p = %.2g", p);
}

/* " Counted: n = 1 of 2 seeds; seed 2 diverged ..." when some run of the configuration (or of
 * its baseline) gave no value. */
static void append_missing(const analysis *a, size_t config, int series, enum analysis_at at,
                           const char *who, char *out, size_t outlen)
{
    const analysis_config *c = &a->configs[config];
    if (c->stat[at][series].n == c->nruns)
        return;
    char note[1024];
    analysis_seeds_note(a, config, series, at, note, sizeof note);
    text_append(out, outlen, " %s: %s; a run without a final metric cannot count.", who, note);
}

/* "validation pooled PSNR still rose by more than 0.05 dB over the last quarter of the epochs, 9 to 12
 * (seed 2 +0.31 dB; the baseline's seed 1 +0.12 dB, seed 3 +0.08 dB)": the configuration and its
 * baseline share train.epochs, so one span serves both. */
static void append_not_converged(const analysis *a, size_t config, char *out, size_t outlen)
{
    const analysis_config *c = &a->configs[config];
    const int series = ANALYSIS_SERIES(METRIC_VAL, ANALYSIS_PRIMARY_METRIC);
    const char *unit = analysis_series_unit(series);
    const char *space = *unit ? " " : "";
    char limit[40];
    format_shortest(ANALYSIS_CONVERGED_GAIN, limit, sizeof limit);
    text_append(out, outlen, "%s still rose by more than %s%s%s over the last quarter of the epochs",
           analysis_series_title(series).text, limit, space, unit);
    const char *open = "";
    for (int side = 0; side < 2; side++) {
        const analysis_config *k = side == 0 ? c : &a->configs[c->baseline];
        const char *sep = side == 0 ? "" : "; the baseline's ";
        for (size_t i = 0; i < k->nruns; i++) {
            const analysis_run *r = &a->runs[k->runs[i]];
            if (r->converged != 0)
                continue;
            if (!*open) {
                text_append(out, outlen, ", %d to %d (", r->epochs_done - r->quarter_epochs,
                       r->epochs_done);
                open = ")";
                sep = side == 0 ? "" : "the baseline's ";
            }
            text_append(out, outlen, "%sseed %lld %+.2f%s%s", sep, (long long)r->seed,
                   r->last_quarter_gain, space, unit);
            sep = ", ";
        }
    }
    text_append(out, outlen, "%s", open);
}

void analysis_verdict_sentence(const analysis *a, size_t config, int series, enum analysis_at at,
                               char *out, size_t outlen)
{
    const analysis_config *c = &a->configs[config];
    const analysis_stat *st = &c->stat[at][series];
    const char *unit = analysis_series_unit(series);
    const char *space = *unit ? " " : "";
    const analysis_text title = analysis_series_title(series);
    const char *metric = title.text;
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (c->is_baseline) {
        text_append(out, outlen, "%s is the baseline.", c->label);
    } else if (c->baseline < 0) {
        text_append(out, outlen, "%s has no λ = 0 configuration with the same other settings in "
               "this sweep, so it is not compared.", c->label);
    } else if (st->npairs == 0) {
        text_append(out, outlen, "%s cannot be compared: no seed finished both here and in the "
               "baseline.", c->label);
    } else {
        const stats_paired *pd = &st->paired;
        const stats_decision *dc = &st->decision;
        double half = pd->has_test ? (pd->diff.ci_high - pd->diff.ci_low) / 2 : NAN;
        int d = analysis_decimals(half, pd->diff.mean);
        char margin[40], p[64];
        format_shortest(st->margin, margin, sizeof margin);
        analysis_format_p(st->p_holm, p, sizeof p);
        text_append(out, outlen, "%s: ", c->label);
        if (dc->verdict == STATS_NOT_CONVERGED) {
            text_append(out, outlen, "not converged: ");
            append_not_converged(a, config, out, outlen);
            text_append(out, outlen, ", so the difference (%s %+.*f%s%s", metric, d, pd->diff.mean,
                   space, unit);
            if (pd->has_test)
                text_append(out, outlen, ", 95 %% interval [%+.*f, %+.*f], %s after Holm", d,
                       pd->diff.ci_low, d, pd->diff.ci_high, p);
            text_append(out, outlen, ") measures the training budget as much as the loss: no verdict "
                   "until the runs are trained longer.");
        } else if (!pd->has_test) {
            text_append(out, outlen, "%s %+.*f%s%s against the baseline from one seed pair: no "
                   "interval and no test can be given with one seed.", metric, d, pd->diff.mean,
                   space, unit);
        } else {
            if (dc->verdict == STATS_EQUIVALENT)
                text_append(out, outlen, "equivalent to the baseline within ±%s%s%s: %s %+.*f%s%s, "
                       "90 %% interval [%+.*f, %+.*f]", margin, space, unit, metric, d,
                       pd->diff.mean, space, unit, d, st->tost.ci_low, d, st->tost.ci_high);
            else
                text_append(out, outlen, "%s: %s %+.*f%s%s, 95 %% interval [%+.*f, %+.*f], %s after "
                       "Holm", stats_verdict_name(dc->verdict), metric, d, pd->diff.mean, space,
                       unit, d, pd->diff.ci_low, d, pd->diff.ci_high, p);
            if (dc->verdict == STATS_UNDECIDED)
                text_append(out, outlen, "; its 90 %% interval [%+.*f, %+.*f] is not within ±%s%s%s",
                       d, st->tost.ci_low, d, st->tost.ci_high, margin, space, unit);
            text_append(out, outlen, "; paired sd %.*f%s%s over %zu seeds; ", d, pd->diff.sd, space,
                   unit, st->npairs);
            if (isfinite(st->mde.effect))
                text_append(out, outlen, "the smallest effect %zu seeds detect with %.0f %% power is "
                       "%.*f%s%s", st->npairs, 100 * st->mde.power, d, st->mde.effect, space,
                       unit);
            else
                text_append(out, outlen, "without spread between the seeds no smallest detectable "
                       "effect can be given");
            if (st->two_stage)
                text_append(out, outlen, "; Stein's two-stage test: the seeds beyond the first "
                            "%zu were fixed from their paired sd %.*f%s%s, and the interval and p "
                            "use it, with %.0f degrees of freedom (one test, no repeated looks)",
                            st->stein.n1, d, st->stein.s1, space, unit, st->stein.df);
            else if (dc->verdict == STATS_UNDECIDED && isfinite(dc->seeds_to_decide))
                text_append(out, outlen, "; about %.0f seeds would decide", dc->seeds_to_decide);
            else if (dc->verdict == STATS_UNDECIDED && dc->seeds_over_cap)
                text_append(out, outlen, "; more than %zu seeds would be needed to decide",
                       st->seeds.cap);
            text_append(out, outlen, ".");
            if (dc->verdict == STATS_EQUIVALENT && dc->trivial_difference)
                text_append(out, outlen, " The difference is real (%s after Holm) but smaller than "
                       "the margin: a trivial effect.", p);
            if (dc->verdict == STATS_INDISTINGUISHABLE)
                text_append(out, outlen, " %s has no equivalence margin, so no equivalence is "
                       "claimed either.", metric);
            if (pd->degenerate)
                text_append(out, outlen, " Every seed pair gave the same difference, so the interval "
                       "has no width: a statement about these runs rather than strong evidence.");
        }
    }
    append_missing(a, config, series, at, "Counted", out, outlen);
    if (!c->is_baseline && c->baseline >= 0)
        append_missing(a, (size_t)c->baseline, series, at, "Baseline", out, outlen);
}

void analysis_verdict_cell(const analysis *a, size_t config, int series, enum analysis_at at,
                           char *out, size_t outlen)
{
    const analysis_config *c = &a->configs[config];
    const analysis_stat *st = &c->stat[at][series];
    const stats_decision *dc = &st->decision;
    char margin[40];
    format_shortest(st->margin, margin, sizeof margin);
    if (c->is_baseline)
        snprintf(out, outlen, "baseline");
    else if (c->baseline < 0)
        snprintf(out, outlen, "no baseline");
    else if (st->npairs == 0)
        snprintf(out, outlen, "no pairs");
    else if (dc->verdict == STATS_NO_TEST && st->npairs == 1)
        snprintf(out, outlen, "no test (1 seed)");
    else if (dc->verdict == STATS_EQUIVALENT)
        snprintf(out, outlen, "equivalent (±%s)", margin);
    else if (dc->verdict == STATS_UNDECIDED && isfinite(dc->seeds_to_decide))
        snprintf(out, outlen, "undecided (~%.0f seeds)", dc->seeds_to_decide);
    else if (dc->verdict == STATS_UNDECIDED && dc->seeds_over_cap)
        snprintf(out, outlen, "undecided (>%zu seeds)", st->seeds.cap);
    else
        snprintf(out, outlen, "%s", stats_verdict_name(dc->verdict));
}
