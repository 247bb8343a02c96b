/* wb/config_grid.c: a configuration into its grid of resolved runs (wb/config.h): the checks
 * across keys, the Cartesian product, what a run leaves unset, the axes, labels, a second stage
 * of seeds and the trajectories of wsd runs. */
#include "wb/config_internal.h"
#include "wb/run_label.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "model/lap_kernels.h"
#include "model/loss.h"

/* ---- checks across keys ---------------------------------------------------------------------- */

/* 1 when setting a was written after setting b (the file before the --set options). */
static int set_later(const struct key_setting *a, const struct key_setting *b)
{
    return a->origin != b->origin ? a->origin > b->origin : a->line > b->line;
}

/* data.patch must be divisible by 2^model.depth, for every pair in the grid; the error is
 * reported where the later of the two was written. */
static int check_patch_depth(const config *c, char *err, size_t errlen)
{
    int ip = cfg_key_index("data.patch"), id = cfg_key_index("model.depth");
    const struct key_setting *patch = &c->settings[ip], *depth = &c->settings[id];
    for (size_t a = 0; a < patch->count; a++)
        for (size_t b = 0; b < depth->count; b++) {
            long long p = patch->values[a].i, d = depth->values[b].i;
            if (p % (1LL << d) == 0)
                continue;
            char where_patch[4096 + 32], where_depth[4096 + 32];
            cfg_describe_origin(c, patch->origin, patch->line, where_patch, sizeof where_patch);
            cfg_describe_origin(c, depth->origin, depth->line, where_depth, sizeof where_depth);
            if (set_later(patch, depth))
                fail(err, errlen,
                        "%s: [data] patch = %lld: expected a multiple of 2^model.depth = %lld "
                        "(model.depth = %lld, %s)", where_patch, p, 1LL << d, d, where_depth);
            else
                fail(err, errlen,
                        "%s: [model] depth = %lld: expected 2^depth = %lld to divide data.patch "
                        "= %lld (%s)", where_depth, d, 1LL << d, p, where_patch);
            return -1;
        }
    return 0;
}


static void run_free(config_run *r)
{
    free(r->strings_);
    free(r->label_strings_);
    free(r->params);
    free(r->axis_values);
    cJSON_free(r->json);
    memset(r, 0, sizeof *r);
}

/* Keys the resolution rules name. */
struct rule_keys {
    int seeds, lap_weight, kernel, border, schedule;
};

/* Builds one grid point (the value index of each key in pos): the resolved options, the store
 * params, the canonical text and both hashes. */
static int build_run(const config *c, const size_t *pos, const struct rule_keys *rk,
                     config_run *run)
{
    struct value v[KEY_COUNT];
    int unset[KEY_COUNT] = {0};
    for (int i = 0; i < KEY_COUNT; i++)
        v[i] = c->settings[i].values[pos[i]];
    if (v[rk->lap_weight].d == 0) {
        for (int i = 0; i < KEY_COUNT; i++)
            unset[i] = (cfg_keys[i].flags & F_LAP_TERM) != 0;
    } else if (lap_kernel_def_of(v[rk->kernel].i)->mixes_channels) {
        v[rk->border].i = BORDER_ZERO;  /* the recipe pads with zeros whatever is asked */
    }
    if (v[rk->schedule].i != LR_COSINE && v[rk->schedule].i != LR_WSD)
        for (int i = 0; i < KEY_COUNT; i++)
            unset[i] |= (cfg_keys[i].flags & F_DECAY_TERM) != 0;
    if (v[rk->schedule].i != LR_WSD)
        for (int i = 0; i < KEY_COUNT; i++)
            unset[i] |= (cfg_keys[i].flags & F_WSD_TERM) != 0;

    memset(run, 0, sizeof *run);
    for (int i = 0; i < KEY_COUNT; i++) {
        const key_def *k = &cfg_keys[i];
        struct value def;
        if (k->field == FIELD_NONE)
            continue;
        char why[256];
        if (unset[i] && cfg_parse_value(k, k->default_text, &def, why, sizeof why) == 0)
            cfg_set_option_field(k, &def, &run->options);  /* meaningless but deterministic */
        else
            cfg_set_option_field(k, &v[i], &run->options);
    }

    struct strbuf b = {0};
    size_t offsets[KEY_COUNT];
    char text[VALUE_TEXT_MAX];
    for (int i = 0; i < KEY_COUNT; i++) {
        offsets[i] = SIZE_MAX;
        if (unset[i] || (cfg_keys[i].flags & F_NO_PARAM))
            continue;
        cfg_canonical_text(&cfg_keys[i], &v[i], text, sizeof text);
        offsets[i] = cfg_sb_add(&b, text);
    }
    size_t canonical_at, trajectory_at;
    cfg_run_identity(run, &b, offsets, v[rk->seeds].i, &canonical_at, &trajectory_at);
    run->nparams = cfg_param_count();
    run->params = calloc(run->nparams, sizeof *run->params);
    if (b.oom || !run->params) {
        free(b.p);
        free(run->params);
        return -1;
    }
    run->strings_ = b.p;
    run->canonical = b.p + canonical_at;
    run->trajectory_canonical = trajectory_at == SIZE_MAX ? NULL : b.p + trajectory_at;
    size_t n = 0;
    for (int i = 0; i < KEY_COUNT; i++)
        if (!(cfg_keys[i].flags & F_NO_PARAM)) {
            run->params[n].key = cfg_keys[i].key;
            run->params[n].value = offsets[i] == SIZE_MAX ? NULL : b.p + offsets[i];
            n++;
        }
    return 0;
}

const char *config_run_value(const config_run *r, const char *key)
{
    if (strcmp(key, "seed") == 0)
        return r->canonical + strlen(r->canonical) + 1;
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    return NULL;
}

/* The label and the axis values of a run, once the grid's axes are known: the one format
 * wb/run_label.h gives, with the effective weight from the loss itself. */
static int build_label(config_grid *g, config_run *run)
{
    struct strbuf b = {0};
    size_t offsets[KEY_COUNT];
    const char *values[KEY_COUNT];
    char text[VALUE_TEXT_MAX];
    for (size_t a = 0; a < g->naxes; a++) {
        values[a] = config_run_value(run, g->axis_keys[a]);
        offsets[a] = SIZE_MAX;
        if (!values[a])
            continue;
        run_label_value(values[a], text, sizeof text);
        offsets[a] = cfg_sb_add(&b, text);
    }
    const loss_options *loss = &run->options.loss;
    char label[512];
    run_label(loss->lap_weight, loss_effective_weight(loss), g->axis_keys, values, g->naxes,
              run->options.seed, label, sizeof label);
    const size_t label_at = cfg_sb_add(&b, label);
    run->axis_values = calloc(g->naxes ? g->naxes : 1, sizeof *run->axis_values);
    if (b.oom || !run->axis_values) {
        free(b.p);
        return -1;
    }
    run->label_strings_ = b.p;
    run->label = b.p + label_at;
    for (size_t a = 0; a < g->naxes; a++)
        run->axis_values[a] = offsets[a] == SIZE_MAX ? NULL : b.p + offsets[a];
    return 0;
}

void config_grid_free(config_grid *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nruns; i++)
        run_free(&g->runs[i]);
    free(g->runs);
    free(g->axis_keys);
    free(g->axes);
    free(g->name);
    free(g->database);
    free(g);
}

const char *config_database(const config_grid *g, const char *db_flag)
{
    return db_flag ? db_flag : g->database;
}

struct hash_at {
    const char *hash;
    size_t index;
};

static int compare_hash_at(const void *a, const void *b)
{
    const struct hash_at *x = a, *y = b;
    int c = strcmp(x->hash, y->hash);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Drops the runs whose config_hash an earlier run has, keeping the order of the rest. */
static int drop_duplicates(config_grid *g)
{
    struct hash_at *sorted = malloc(g->nruns * sizeof *sorted);
    unsigned char *drop = calloc(g->nruns, 1);
    if (!sorted || !drop) {
        free(sorted);
        free(drop);
        return -1;
    }
    for (size_t i = 0; i < g->nruns; i++)
        sorted[i] = (struct hash_at){g->runs[i].config_hash, i};
    qsort(sorted, g->nruns, sizeof *sorted, compare_hash_at);
    for (size_t i = 1; i < g->nruns; i++)
        if (strcmp(sorted[i].hash, sorted[i - 1].hash) == 0)
            drop[sorted[i].index] = 1;
    size_t kept = 0;
    for (size_t i = 0; i < g->nruns; i++) {
        if (drop[i]) {
            run_free(&g->runs[i]);
            continue;
        }
        g->runs[kept] = g->runs[i];
        g->runs[kept].grid_index = (int)kept;
        kept++;
    }
    g->nruns = kept;
    free(sorted);
    free(drop);
    return 0;
}

/* The axes: the params with two different values among the runs that set them (a key unset by
 * the λ = 0 baseline, say border, is not an axis for that). */
static int find_axes(config_grid *g)
{
    size_t np = g->nruns ? g->runs[0].nparams : 0;
    struct strbuf joined = {0};
    g->axis_keys = calloc(np ? np : 1, sizeof *g->axis_keys);
    if (!g->axis_keys)
        return -1;
    for (size_t j = 0; j < np; j++) {
        const char *first = NULL;
        size_t i = 0;
        for (; i < g->nruns; i++) {
            const char *value = g->runs[i].params[j].value;
            if (!first)
                first = value;
            else if (value && strcmp(value, first) != 0)
                break;
        }
        if (i == g->nruns)
            continue;
        if (g->naxes)
            cfg_sb_cat(&joined, ",");
        cfg_sb_cat(&joined, g->runs[0].params[j].key);
        g->axis_keys[g->naxes++] = g->runs[0].params[j].key;
    }
    cfg_sb_add(&joined, "");
    if (joined.oom) {
        free(joined.p);
        return -1;
    }
    g->axes = joined.p;
    return 0;
}

int config_expand(const config *c, config_grid **out, char *err, size_t errlen)
{
    *out = NULL;
    if (check_patch_depth(c, err, errlen))
        return -1;
    struct rule_keys rk = {cfg_key_index("sweep.seeds"), cfg_key_index("loss.laplacian_weight"),
                           cfg_key_index("loss.kernel"), cfg_key_index("loss.border"),
                           cfg_key_index("train.schedule")};

    /* Nesting: keys in table order, outermost first, then the seeds innermost. */
    int order[KEY_COUNT], norder = 0;
    size_t points = 1;
    for (int i = 0; i < KEY_COUNT; i++)
        if (i != rk.seeds)
            order[norder++] = i;
    order[norder++] = rk.seeds;
    for (int j = 0; j < norder; j++) {
        size_t n = c->settings[order[j]].count;
        if (points > CONFIG_MAX_GRID / n) {
            fail(err, errlen, "%s: the grid has more than %d points; split the sweep",
                    c->source, CONFIG_MAX_GRID);
            return -1;
        }
        points *= n;
    }
    config_grid *g = calloc(1, sizeof *g);
    if (!g || !(g->runs = calloc(points, sizeof *g->runs)) ||
        !(g->name = strdup(c->settings[cfg_key_index("sweep.name")].values[0].s)) ||
        !(g->database = strdup(c->settings[cfg_key_index("sweep.database")].values[0].s)))
        goto oom;

    size_t pos[KEY_COUNT] = {0};
    for (size_t p = 0; p < points; p++) {
        if (build_run(c, pos, &rk, &g->runs[g->nruns]))
            goto oom;
        g->nruns++;
        for (int j = norder - 1; j >= 0; j--) {
            int k = order[j];
            if (++pos[k] < c->settings[k].count)
                break;
            pos[k] = 0;
        }
    }
    if (drop_duplicates(g) || find_axes(g))
        goto oom;
    for (size_t i = 0; i < g->nruns; i++)
        if (cfg_run_json(&g->runs[i]) || build_label(g, &g->runs[i]))
            goto oom;
    *out = g;
    return 0;
oom:
    config_grid_free(g);
    fail(err, errlen, "%s: out of memory", c->source);
    return -1;
}

/* ---- a second stage of seeds ------------------------------------------------------------- */

int config_expand_seeds(const config *c, const int64_t *seeds, size_t nseeds, config_grid **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (nseeds == 0)
        return fail(err, errlen, "%s: no seeds to expand", c->source);
    struct value *values = calloc(nseeds, sizeof *values);
    if (!values)
        return fail(err, errlen, "out of memory");
    for (size_t i = 0; i < nseeds; i++)
        values[i].i = seeds[i];
    /* The same configuration with another seed list: a shallow copy whose seeds setting points
     * at these values; nothing of it is freed but the values. */
    config copy = *c;
    copy.settings[cfg_key_index("sweep.seeds")].values = values;
    copy.settings[cfg_key_index("sweep.seeds")].count = nseeds;
    const int rc = config_expand(&copy, out, err, errlen);
    free(values);
    return rc;
}

/* ---- trajectories ------------------------------------------------------------------------ */

int config_trajectory(const config_grid *g, const config_run *branch, int epochs,
                      config_run *out)
{
    memset(out, 0, sizeof *out);
    if (!branch->trajectory_canonical)
        return -1;
    out->options = branch->options;
    out->options.train.epochs = epochs;
    out->options.train.decay_fraction = 0;  /* the stable phase: no decay */
    out->grid_index = -1;
    snprintf(out->config_hash, sizeof out->config_hash, "%s", branch->trajectory_hash);
    snprintf(out->config_id, sizeof out->config_id, "%s", branch->trajectory_id);
    snprintf(out->trajectory_hash, sizeof out->trajectory_hash, "%s", branch->trajectory_hash);
    snprintf(out->trajectory_id, sizeof out->trajectory_id, "%s", branch->trajectory_id);
    struct strbuf b = {0};
    const size_t canonical_at = cfg_sb_add(&b, branch->trajectory_canonical);
    size_t offsets[KEY_COUNT];
    for (size_t i = 0; i < branch->nparams; i++) {
        const key_def *k = cfg_param_key(&branch->params[i]);
        const int stable = !(k->flags & (F_BUDGET | F_DECAY_TERM | F_WSD_TERM));
        offsets[i] = stable && branch->params[i].value ? cfg_sb_add(&b, branch->params[i].value)
                                                      : SIZE_MAX;
    }
    out->nparams = branch->nparams;
    out->params = calloc(out->nparams ? out->nparams : 1, sizeof *out->params);
    if (b.oom || !out->params) {
        free(b.p);
        free(out->params);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->strings_ = b.p;
    out->canonical = b.p + canonical_at;
    out->trajectory_canonical = out->canonical;
    for (size_t i = 0; i < out->nparams; i++)
        out->params[i] = (store_param){branch->params[i].key,
                                       offsets[i] == SIZE_MAX ? NULL : b.p + offsets[i]};
    char label[600];
    if (cfg_run_json(out) != 0 || build_label((config_grid *)g, out) != 0) {
        config_run_free(out);
        return -1;
    }
    snprintf(label, sizeof label, "trajectory of %s", out->label);
    free(out->label_strings_);
    out->label_strings_ = strdup(label);
    out->label = out->label_strings_;
    if (!out->label) {
        config_run_free(out);
        return -1;
    }
    return 0;
}

void config_run_free(config_run *r)
{
    run_free(r);
}
