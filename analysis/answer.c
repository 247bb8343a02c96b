/* analysis/answer.c: the headline sentences and the statistics beyond the t-test; see answer.h. */
#include "analysis/answer.h"
#include "analysis/budget.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"


/* The finished values of a configuration (x: room for c->nruns). */
static size_t finished_values(const analysis *a, const analysis_config *c, int series,
                              enum analysis_at at, double *x)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nruns; i++) {
        double v = analysis_run_final(&a->runs[c->runs[i]], series, at);
        if (isfinite(v))
            x[n++] = v;
    }
    return n;
}

int answer_robust_of(const analysis *a, size_t config, int series, enum analysis_at at,
                     answer_robust *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->dz = NAN;
    const analysis_config *c = &a->configs[config];
    if (c->is_baseline || c->baseline < 0)
        return 0;
    const analysis_config *b = &a->configs[c->baseline];
    size_t room = (c->nruns > b->nruns ? c->nruns : b->nruns) + 1;
    double *x = malloc(room * sizeof *x), *bx = malloc(room * sizeof *bx);
    int rc = 0;
    if (!x || !bx) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto done;
    }
    out->npairs = analysis_paired_values(a, config, series, at, x, bx, NULL);
    if (out->npairs >= 1) {
        if (stats_bootstrap_paired(x, bx, out->npairs, STATS_BOOTSTRAP_RESAMPLES,
                                   ANSWER_BOOTSTRAP_SEED, a->alpha, &out->bootstrap, err,
                                   errlen) != 0) {
            rc = -1;
            goto done;
        }
        out->has_bootstrap = 1;
    }
    out->dz = out->npairs >= 2 ? stats_effect_dz(&c->stat[at][series].paired.diff) : NAN;
    size_t nx = finished_values(a, c, series, at, x), ny = finished_values(a, b, series, at, bx);
    if (nx > 0 && ny > 0) {
        if (stats_probability_of_improvement(x, nx, bx, ny, analysis_series_direction(series),
                                             STATS_BOOTSTRAP_RESAMPLES, ANSWER_BOOTSTRAP_SEED,
                                             a->alpha, &out->improvement, err, errlen) != 0) {
            rc = -1;
            goto done;
        }
        out->has_improvement = 1;
    }
done:
    free(x);
    free(bx);
    return rc;
}

/* ---- the analysis of variance ---------------------------------------------------------- */

/* The axes of the sweep other than λ and the kernel, joined ("" when none). */
static void other_axes(const analysis *a, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!a->axes)
        return;
    char *copy = strdup(a->axes);
    if (!copy)
        return;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "loss.laplacian_weight") == 0 || strcmp(t, "loss.kernel") == 0)
            continue;
        text_append(out, outlen, "%s%s", out[0] ? ", " : "", t);
    }
    free(copy);
}

/* Weights equal to 1e-9 (relative) are one level: λ times a normalised gain of 1 need not give
 * λ exactly. */
static size_t level_of_weight(answer_anova *o, double w)
{
    for (size_t i = 0; i < o->na; i++)
        if (fabs(o->weights[i] - w) <= 1e-9 * fmax(fabs(w), fabs(o->weights[i])))
            return i;
    return (size_t)-1;
}

static size_t level_of_kernel(answer_anova *o, const char *k)
{
    for (size_t i = 0; i < o->nb; i++)
        if (strcmp(o->kernels[i], k) == 0)
            return i;
    return (size_t)-1;
}

static int compare_doubles(const void *pa, const void *pb)
{
    double x = *(const double *)pa, y = *(const double *)pb;
    return (x > y) - (x < y);
}

int answer_anova_of(const analysis *a, int series, enum analysis_at at, answer_anova *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char others[512];
    other_axes(a, others, sizeof others);
    if (others[0]) {
        snprintf(out->why, sizeof out->why, "the sweep varies %.400s besides λ and the kernel, and "
                 "the two-way analysis needs every other setting the same", others);
        return 0;
    }
    /* The levels: every configuration compared with at least one pair. A is the effective weight
     * when some effective weight occurs with two kernels, else λ. */
    out->a_is_lambda = 1;
    for (size_t ci = 0; ci < a->nconfigs && out->a_is_lambda; ci++)
        for (size_t cj = 0; cj < a->nconfigs && out->a_is_lambda; cj++) {
            const analysis_config *x = &a->configs[ci], *y = &a->configs[cj];
            if (!x->is_baseline && !y->is_baseline && x->kernel && y->kernel &&
                strcmp(x->kernel, y->kernel) != 0 &&
                fabs(x->effective_weight - y->effective_weight) <=
                    1e-9 * fmax(x->effective_weight, y->effective_weight))
                out->a_is_lambda = 0;
        }
    size_t total = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->is_baseline || c->baseline < 0 || !c->kernel || c->stat[at][series].npairs == 0)
            continue;
        const double w = out->a_is_lambda ? c->lambda : c->effective_weight;
        if (level_of_weight(out, w) == (size_t)-1) {
            if (out->na == ANSWER_MAX_LEVELS)
                goto too_many;
            out->weights[out->na++] = w;
        }
        if (level_of_kernel(out, c->kernel) == (size_t)-1) {
            if (out->nb == ANSWER_MAX_LEVELS)
                goto too_many;
            snprintf(out->kernels[out->nb++], sizeof out->kernels[0], "%s", c->kernel);
        }
        total += c->stat[at][series].npairs;
    }
    if (out->na < 2 || out->nb < 2) {
        snprintf(out->why, sizeof out->why, "it needs at least two weights and two kernels with "
                 "paired differences; this sweep has %zu and %zu", out->na, out->nb);
        return 0;
    }
    qsort(out->weights, out->na, sizeof out->weights[0], compare_doubles);
    double *y = malloc(total * sizeof *y), *x = malloc((a->nruns + 1) * sizeof *x),
           *bx = malloc((a->nruns + 1) * sizeof *bx);
    size_t *la = malloc(total * sizeof *la), *lb = malloc(total * sizeof *lb),
           *blk = malloc(total * sizeof *blk);
    int64_t *seeds = malloc((a->nruns + 1) * sizeof *seeds),
            *block_seed = malloc((total + 1) * sizeof *block_seed);
    size_t *cells = malloc(out->na * out->nb * sizeof *cells);
    int rc = 0;
    if (!y || !x || !bx || !la || !lb || !blk || !seeds || !block_seed || !cells) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto done;
    }
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->is_baseline || c->baseline < 0 || !c->kernel || c->stat[at][series].npairs == 0)
            continue;
        size_t np = analysis_paired_values(a, ci, series, at, x, bx, seeds);
        for (size_t k = 0; k < np; k++) {
            size_t b;
            for (b = 0; b < out->nblocks && block_seed[b] != seeds[k]; b++)
                ;
            if (b == out->nblocks)
                block_seed[out->nblocks++] = seeds[k];
            y[out->n] = x[k] - bx[k];
            la[out->n] = level_of_weight(out, out->a_is_lambda ? c->lambda
                                                               : c->effective_weight);
            lb[out->n] = level_of_kernel(out, c->kernel);
            blk[out->n] = b;
            out->n++;
        }
    }
    if (stats_anova_two_way_blocked(y, la, lb, blk, out->n, out->na, out->nb, out->nblocks,
                                    cells, &out->anova, err, errlen) != 0) {
        rc = -1;
        goto done;
    }
    for (size_t i = 0; i < out->na; i++)
        for (size_t j = 0; j < out->nb; j++)
            if (cells[i * out->nb + j] == 0) {
                char w[40];
                format_significant(out->weights[i], 3, w, sizeof w);
                text_append(out->empty, sizeof out->empty, "%s%s %s with kernel %s",
                       out->empty[0] ? "; " : "", out->a_is_lambda ? "λ =" : "eff.", w,
                       out->kernels[j]);
            }
    out->done = 1;
done:
    free(y);
    free(x);
    free(bx);
    free(la);
    free(lb);
    free(blk);
    free(seeds);
    free(block_seed);
    free(cells);
    return rc;
too_many:
    snprintf(out->why, sizeof out->why, "the sweep has more than %d weights or kernels",
             ANSWER_MAX_LEVELS);
    return 0;
}

/* ---- the headline ---------------------------------------------------------------------- */

/* The configuration among those with verdict v with the largest improvement (worst = 0) or the
 * largest loss (worst = 1), or -1. */
static long best_with(const analysis *a, int series, enum analysis_at at, enum stats_verdict v,
                      int worst)
{
    long best = -1;
    double sign = analysis_series_direction(series) == STATS_HIGHER_IS_BETTER ? 1 : -1;
    sign = worst ? -sign : sign;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->is_baseline || c->stat[at][series].verdict != v)
            continue;
        double gain = sign * c->stat[at][series].paired.diff.mean;
        if (best < 0 || gain > sign * a->configs[best].stat[at][series].paired.diff.mean)
            best = (long)ci;
    }
    return best;
}

/* "λ = 0.1 (eff. 0.1), kernel 4, +0.35 dB (95 % interval [+0.12, +0.58], p = 0.01 after Holm)" */
static void effect_phrase(const analysis *a, size_t ci, int series, enum analysis_at at,
                          char *out, size_t outlen)
{
    const analysis_config *c = &a->configs[ci];
    const analysis_stat *st = &c->stat[at][series];
    const stats_summary *d = &st->paired.diff;
    const char *unit = analysis_series_unit(series);
    const char *space = *unit ? " " : "";
    int dec = analysis_decimals(d->has_spread ? (d->ci_high - d->ci_low) / 2 : NAN, d->mean);
    char p[64];
    analysis_format_p(st->p_holm, p, sizeof p);
    if (d->has_spread)
        snprintf(out, outlen, "%s, %+.*f%s%s (95 %% interval [%+.*f, %+.*f], %s after Holm)",
                 c->label, dec, d->mean, space, unit, dec, d->ci_low, dec, d->ci_high, p);
    else
        snprintf(out, outlen, "%s, %+.*f%s%s (one seed pair)", c->label, dec, d->mean, space,
                 unit);
}

void answer_headline(const analysis *a, int series, enum analysis_at at, char *out,
                     size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (a->nbudgets >= 2) {
        /* Over several budgets, the answer is how the verdicts hold across them: in brief here,
         * each configuration's movement in analysis_budget_answer. */
        analysis_budget_brief(a, series, at, out, outlen);
        return;
    }
    const analysis_text title = analysis_series_title(series);
    const char *unit = analysis_series_unit(series);
    const char *space = *unit ? " " : "";
    size_t count[STATS_NOT_CONVERGED + 1] = { 0 }, compared = 0, nbaseline = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        nbaseline += c->is_baseline;
        if (c->is_baseline || c->baseline < 0)
            continue;
        count[c->stat[at][series].verdict]++;
        compared++;
    }
    const enum metric_id metric = analysis_series_metric(series);
    char margin[40];
    format_shortest(a->margin[metric], margin, sizeof margin);

    /* 1. Task, direction, the best setting. */
    text_append(out, outlen, "On %s: ", a->task ? a->task : "this sweep's task");
    if (compared == 0) {
        text_append(out, outlen, "nothing can be compared with a λ = 0 baseline (%s).",
               nbaseline == 0 ? "the sweep has no λ = 0 run" : "no configuration with λ > 0");
        return;
    }
    char phrase[1024];
    long helps = best_with(a, series, at, STATS_HELPS, 0);
    if (helps >= 0) {
        effect_phrase(a, (size_t)helps, series, at, phrase, sizeof phrase);
        text_append(out, outlen, "the Laplacian term helps %s at %zu of %zu settings and hurts at "
               "%zu; the best is %s.", title.text, count[STATS_HELPS], compared,
               count[STATS_HURTS], phrase);
    } else if (count[STATS_EQUIVALENT] == compared) {
        text_append(out, outlen, "the Laplacian term makes no difference to %s: every one of the %zu "
               "settings is equivalent to the baseline within ±%s%s%s.", title.text, compared,
               margin, space, unit);
    } else if (count[STATS_HURTS] > 0) {
        effect_phrase(a, (size_t)best_with(a, series, at, STATS_HURTS, 1), series, at, phrase,
                      sizeof phrase);
        text_append(out, outlen, "the Laplacian term helps %s at none of %zu settings and hurts at "
               "%zu (%zu equivalent within ±%s%s%s); the worst is %s; the baseline (λ = 0) is "
               "the setting to use.", title.text, compared, count[STATS_HURTS],
               count[STATS_EQUIVALENT], margin, space, unit, phrase);
    } else {
        long best = a->best[at][series];
        text_append(out, outlen, "no setting of the Laplacian term is shown to help or hurt %s "
               "(%zu of %zu equivalent within ±%s%s%s, %zu undecided, %zu not converged)",
               title.text, count[STATS_EQUIVALENT], compared, margin, space, unit,
               count[STATS_UNDECIDED], count[STATS_NOT_CONVERGED]);
        if (best >= 0 && !a->configs[best].is_baseline && a->configs[best].baseline >= 0) {
            effect_phrase(a, (size_t)best, series, at, phrase, sizeof phrase);
            text_append(out, outlen, "; the highest mean is %s, not evidence of a difference.",
                   phrase);
        } else {
            text_append(out, outlen, "; the baseline has the best mean.");
        }
    }

    /* 2. The kernel. */
    answer_anova an;
    char err[256];
    if (answer_anova_of(a, series, at, &an, err, sizeof err) == 0 && an.done) {
        const stats_anova_row *k = &an.anova.term[STATS_ANOVA_B];
        const stats_anova_row *ab = &an.anova.term[STATS_ANOVA_AB];
        char kp[64], abp[64];
        analysis_format_p(k->p, kp, sizeof kp);
        analysis_format_p(ab->p, abp, sizeof abp);
        if (!k->estimable)
            text_append(out, outlen, " Whether the kernel matters cannot be told here: the kernel "
                   "and the weight are confounded.");
        else if (isnan(k->p))
            text_append(out, outlen, " Whether the kernel matters cannot be tested here (no "
                   "residual degrees of freedom).");
        else
            text_append(out, outlen, " The kernel %s (two-way ANOVA of the paired differences over "
                   "%s and kernel, seeds as blocks: kernel %s, partial η² %.2f; %s).",
                   k->p <= a->alpha ? "matters" : "does not detectably matter",
                   an.a_is_lambda ? "λ (the kernels' own strengths differ at each λ)"
                                  : "effective weight",
                   kp, k->partial_eta2,
                   !ab->estimable ? "interaction not estimable: empty cells"
                   : isnan(ab->p) ? "interaction untested"
                   : ab->p <= a->alpha ? "and it interacts with the weight"
                                       : "no detectable interaction with the weight");
    }

    /* 3. How sure, and the caveats. */
    size_t min_pairs = (size_t)-1, max_pairs = 0;
    double mde_sum = 0;
    size_t nmde = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->is_baseline || c->baseline < 0)
            continue;
        const analysis_stat *st = &c->stat[at][series];
        min_pairs = st->npairs < min_pairs ? st->npairs : min_pairs;
        max_pairs = st->npairs > max_pairs ? st->npairs : max_pairs;
        if (isfinite(st->mde.effect)) {
            mde_sum += st->mde.effect;
            nmde++;
        }
    }
    if (min_pairs == max_pairs)
        text_append(out, outlen, " How sure: %zu seed pair%s per setting", min_pairs,
               min_pairs == 1 ? "" : "s");
    else
        text_append(out, outlen, " How sure: %zu to %zu seed pairs per setting", min_pairs, max_pairs);
    text_append(out, outlen, ", Holm over %zu comparison%s", a->holm_family[at][series],
           a->holm_family[at][series] == 1 ? "" : "s");
    if (nmde > 0) {
        double mde = mde_sum / (double)nmde;
        int dec = analysis_decimals(mde / 10, mde);
        text_append(out, outlen, ", the smallest effect they detect with 80 %% power averages "
               "%.*f%s%s against a margin of ±%s%s%s", dec, mde, space, unit, margin, space,
               unit);
    }
    if (count[STATS_UNDECIDED] > 0)
        text_append(out, outlen, "; %zu undecided setting%s need%s more seeds",
               count[STATS_UNDECIDED], count[STATS_UNDECIDED] == 1 ? "" : "s",
               count[STATS_UNDECIDED] == 1 ? "s" : "");
    size_t finished = 0;
    for (size_t i = 0; i < a->nruns; i++)
        finished += a->runs[i].status == STORE_FINISHED;
    int caveats = 0;
    if (count[STATS_NOT_CONVERGED] > 0) {
        text_append(out, outlen, "%s%zu setting%s not converged (no verdict)", caveats++ ? ", " :
               ". Caveats: ", count[STATS_NOT_CONVERGED],
               count[STATS_NOT_CONVERGED] == 1 ? "" : "s");
    }
    if (a->nbelow_input > 0)
        text_append(out, outlen, "%s%zu run%s end%s below the degraded input (worse than doing "
               "nothing)", caveats++ ? ", " : ". Caveats: ", a->nbelow_input,
               a->nbelow_input == 1 ? "" : "s", a->nbelow_input == 1 ? "s" : "");
    if (finished < a->nruns)
        text_append(out, outlen, "%s%zu of %zu runs did not finish", caveats++ ? ", " : ". Caveats: ",
               a->nruns - finished, a->nruns);
    text_append(out, outlen, ".");
}
