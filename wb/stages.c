/* wb/stages.c: the second stage of seeds (wb/stages.h). */
#include "wb/stages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/budget.h"
#include "analysis/label.h"
#include "analysis/stein.h"

void stage_plan_free(stage_plan *p)
{
    store_stage_plans_free(p->plans, p->nplans);
    free(p->text);
    memset(p, 0, sizeof *p);
}

static int has_plan(const analysis *a, const char *config_id)
{
    for (size_t i = 0; i < a->nplans; i++)
        if (strcmp(a->plans[i].config_id, config_id) == 0)
            return 1;
    return 0;
}

/* The measured seconds of an epoch in the sweep: training and validation, mean over every
 * epoch its runs logged; NaN when none did. */
static double seconds_per_epoch(const analysis *a)
{
    const int train = ANALYSIS_SERIES(METRIC_TRAIN, METRIC_SECONDS);
    const int val = ANALYSIS_SERIES(METRIC_VAL, METRIC_SECONDS);
    double sum = 0;
    long n = 0;
    for (size_t i = 0; i < a->nruns; i++)
        for (int e = 1; e < a->runs[i].nepochs; e++) {
            const double t = analysis_run_value(&a->runs[i], train, e);
            const double v = analysis_run_value(&a->runs[i], val, e);
            if (isfinite(t) && isfinite(v)) {
                sum += t + v;
                n++;
            }
        }
    return n ? sum / (double)n : NAN;
}

/* The epochs one more seed of family f costs: its runs in the grid (any seed), each budget's
 * decay plus, once, the trajectory as far as its latest fork; without trajectories each run's
 * epochs. */
static long epochs_per_seed(const analysis *a, size_t f, const config_grid *g)
{
    long decays = 0, furthest = 0;
    for (size_t b = 0; b < a->nbudgets; b++) {
        const size_t c = a->families[f].configs[b];
        if (c == SIZE_MAX)
            continue;
        for (size_t i = 0; i < g->nruns; i++) {
            const config_run *r = &g->runs[i];
            if (strcmp(r->config_id, a->configs[c].config_id) != 0)
                continue;
            if (r->trajectory_hash[0]) {
                decays += r->options.train.epochs - r->fork_epoch;
                furthest = r->fork_epoch > furthest ? r->fork_epoch : furthest;
            } else {
                decays += r->options.train.epochs;
            }
            break;
        }
    }
    return decays + furthest;
}

typedef struct family_need {
    size_t family;
    size_t config;          /* at the largest budget with a test */
    size_t n1, want, n;     /* first-stage pairs, Stein's N, N within the cap */
    int capped;
} family_need;

/* The needs of every undecided family under a cap; the baselines' needs follow (the most any of
 * their families needs). Returns how many families need seeds. */
static size_t needs_under(const analysis *a, size_t cap, family_need *need, size_t *base_extra,
                          char *err, size_t errlen, int *failed)
{
    const int series = ANALYSIS_PRIMARY_SERIES;
    const double margin = a->margin[ANALYSIS_PRIMARY_METRIC];
    size_t k = 0;
    *failed = 0;
    for (size_t f = 0; f < a->nfamilies; f++)
        base_extra[f] = 0;
    for (size_t f = 0; f < a->nfamilies; f++) {
        if (a->families[f].is_baseline)
            continue;
        const size_t c = analysis_family_largest(a, f, series, ANALYSIS_LAST);
        if (c == SIZE_MAX)
            continue;
        const analysis_stat *st = &a->configs[c].stat[ANALYSIS_LAST][series];
        int planned = 0;
        for (size_t b = 0; b < a->nbudgets; b++)
            if (a->families[f].configs[b] != SIZE_MAX &&
                has_plan(a, a->configs[a->families[f].configs[b]].config_id))
                planned = 1;
        if (planned || st->verdict != STATS_UNDECIDED || !(st->paired.diff.sd > 0) ||
            a->configs[c].baseline < 0)
            continue;
        family_need *nd = &need[k];
        nd->family = f;
        nd->config = c;
        nd->n1 = st->npairs;
        if (stats_stein_size(nd->n1, st->paired.diff.sd, margin, a->alpha, STATS_POWER_DEFAULT,
                             100000, &nd->want, &nd->capped, err, errlen) != 0) {
            *failed = 1;
            return 0;
        }
        nd->n = nd->want < cap ? nd->want : cap;
        nd->capped = nd->want > nd->n;
        if (nd->n <= nd->n1)
            continue;
        const size_t bf = a->configs[a->configs[c].baseline].family;
        if (nd->n - nd->n1 > base_extra[bf])
            base_extra[bf] = nd->n - nd->n1;
        k++;
    }
    return k;
}

/* "4-8" or "4" */
static void seed_range(int64_t first, size_t count, char *out, size_t outlen)
{
    if (count == 1)
        snprintf(out, outlen, "%lld", (long long)first);
    else
        snprintf(out, outlen, "%lld-%lld", (long long)first, (long long)(first + count - 1));
}

static char *seed_list(int64_t first, size_t count)
{
    size_t len = count * 21 + 1, used = 0;
    char *s = malloc(len);
    for (size_t i = 0; s && i < count; i++)
        used += (size_t)snprintf(s + used, len - used, "%s%lld", i ? "," : "",
                                 (long long)(first + (int64_t)i));
    if (s && count == 0)
        s[0] = '\0';
    return s;
}

int stage_plan_make(const analysis *a, const config_grid *g, const stage_limits *limits,
                    stage_plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int64_t max_seed = 0;
    for (size_t i = 0; i < a->nruns; i++)
        max_seed = a->runs[i].seed > max_seed ? a->runs[i].seed : max_seed;
    family_need *need = calloc(a->nfamilies + 1, sizeof *need);
    size_t *base_extra = calloc(a->nfamilies + 1, sizeof *base_extra);
    if (!need || !base_extra) {
        free(need);
        free(base_extra);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->seconds_per_epoch = seconds_per_epoch(a);
    size_t cap = limits->max_seeds, k;
    int failed;
    for (;;) {
        k = needs_under(a, cap, need, base_extra, err, errlen, &failed);
        if (failed) {
            free(need);
            free(base_extra);
            return -1;
        }
        out->epochs = 0;
        out->runs = 0;
        for (size_t f = 0; f < a->nfamilies; f++) {
            size_t extra = base_extra[f];
            for (size_t i = 0; i < k; i++)
                if (need[i].family == f)
                    extra = need[i].n - need[i].n1;
            size_t budgets = 0;
            for (size_t b = 0; b < a->nbudgets; b++)
                budgets += a->families[f].configs[b] != SIZE_MAX;
            out->epochs += (long)extra * epochs_per_seed(a, f, g);
            out->runs += extra * budgets;
        }
        const int jobs = limits->jobs > 0 ? limits->jobs : 1;
        out->seconds = isfinite(out->seconds_per_epoch)
                           ? (double)out->epochs * out->seconds_per_epoch / jobs
                           : NAN;
        if (!(limits->seconds > 0) || !(out->seconds > limits->seconds) || k == 0)
            break;
        /* Over the time: the most any configuration gets goes down by one seed. */
        size_t most = 0;
        for (size_t i = 0; i < k; i++)
            most = need[i].n > most ? need[i].n : most;
        cap = most - 1;
        out->limited_by_time = 1;
    }
    out->seeds_cap = cap;
    out->configurations = k;

    /* The plans: every budget's configuration of each family that gets seeds, with its own first
     * stage; the baselines with their seeds only. */
    size_t room = 0;
    for (size_t f = 0; f < a->nfamilies; f++)
        room += a->nbudgets;
    out->plans = calloc(room + 1, sizeof *out->plans);
    char *text = NULL;
    size_t text_len = 0;
    FILE *t = open_memstream(&text, &text_len);
    int oom = !out->plans || !t;
    const char *unit = analysis_series_unit(ANALYSIS_PRIMARY_SERIES);
    for (size_t f = 0; !oom && f < a->nfamilies; f++) {
        const family_need *nd = NULL;
        for (size_t i = 0; i < k; i++)
            if (need[i].family == f)
                nd = &need[i];
        const size_t extra = nd ? nd->n - nd->n1 : base_extra[f];
        if (extra == 0)
            continue;
        char range[64];
        seed_range(max_seed + 1, extra, range, sizeof range);
        if (nd) {
            const analysis_stat *st = &a->configs[nd->config].stat[ANALYSIS_LAST]
                                                                  [ANALYSIS_PRIMARY_SERIES];
            fprintf(t, "  %s: undecided at %d epochs with %zu seed pairs, paired sd %.3g%s%s: "
                       "Stein's N = %zu%s; seeds %s (%zu more)\n",
                    a->families[f].label, a->configs[nd->config].epochs, nd->n1,
                    st->paired.diff.sd, *unit ? " " : "", unit, nd->want,
                    nd->capped ? " (capped)" : "", range, extra);
        } else {
            fprintf(t, "  %s (the baseline of those): seeds %s (%zu more)\n", a->families[f].label,
                    range, extra);
        }
        for (size_t b = 0; b < a->nbudgets; b++) {
            const size_t c = a->families[f].configs[b];
            if (c == SIZE_MAX)
                continue;
            store_stage_plan *p = &out->plans[out->nplans++];
            snprintf(p->config_id, sizeof p->config_id, "%s", a->configs[c].config_id);
            p->seeds = seed_list(max_seed + 1, extra);
            p->stage1_sd = NAN;
            const analysis_stat *st = &a->configs[c].stat[ANALYSIS_LAST][ANALYSIS_PRIMARY_SERIES];
            if (nd && st->npairs >= 2 && st->paired.diff.sd > 0) {
                p->stage1_n = (int)st->npairs;
                p->stage1_sd = st->paired.diff.sd;
                p->planned_n = (int)nd->want;
            }
            oom |= !p->seeds;
        }
    }
    if (t)
        fclose(t);
    out->text = text;
    free(need);
    free(base_extra);
    if (oom) {
        stage_plan_free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}
