/* analysis/keytable.c: the key table's cells (the contract is in keytable.h). The CSV form keeps
 * the exact numbers and the columns of the first version first, the decision's after them. */
#include "analysis/keytable.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"

#define CSV_NCOLS 29
#define ALIGNED_NCOLS 16
#define MAX_NCOLS 29

static const char *const csv_headers[CSV_NCOLS] = {
    "config", "label", "laplacian_weight", "kernel", "border", "kernel_norm", "n", "runs",
    "mean", "sd", "ci_low", "ci_high", "pairs", "diff_mean", "diff_ci_low", "diff_ci_high",
    "p", "p_holm", "verdict", "best",
    /* the decision (issue 12) */
    "effective_weight", "margin", "paired_sd", "mde", "seeds_needed", "diff_ci90_low",
    "diff_ci90_high", "p_equivalence", "converged"
};

static const char *const aligned_headers[ALIGNED_NCOLS] = {
    "", "configuration", "n", "mean", "sd", "95% CI", "diff", "diff 95% CI", "diff 90% CI",
    "pairs", "paired sd", "MDE", "seeds for δ", "p", "p Holm", "verdict"
};

#define CELL 96

/* A number with the given decimals, "-" when it is not one. */
static void cell(char *out, double v, int decimals)
{
    if (isfinite(v))
        snprintf(out, CELL, "%.*f", decimals, v);
    else
        snprintf(out, CELL, "-");
}

/* A number for CSV: exact, empty when it is not one. */
static void csv_cell(char *out, double v)
{
    if (isfinite(v))
        snprintf(out, CELL, "%.17g", v);
    else
        out[0] = '\0';
}

/* The CSV verdict: one word (or two), whatever the table cell adds. */
static const char *verdict_word(const analysis_config *c, const analysis_stat *st)
{
    if (c->is_baseline)
        return "baseline";
    if (c->baseline < 0)
        return "no baseline";
    if (st->npairs == 0)
        return "no pairs";
    return stats_verdict_name(st->verdict);
}

/* One configuration's statistic of a metric at an epoch choice, and which parts of it exist. */
typedef struct row {
    const analysis_config *c;
    const analysis_stat *st;
    const stats_summary *s;
    const stats_paired *pd;
    int has, pairs, tested;     /* a value, seed pairs with the baseline, a test */
} row;

static row row_of(const analysis *a, size_t ci, int m, enum analysis_at at)
{
    const analysis_config *c = &a->configs[ci];
    const analysis_stat *st = &c->stat[at][m];
    row r = { c, st, &st->summary, &st->paired, st->n > 0, st->npairs > 0, 0 };
    r.tested = r.pairs && r.pd->has_test;
    return r;
}

/* The configuration's runs and its baseline's converged (analysis_config.converged). */
static int comparison_converged(const analysis *a, const analysis_config *c)
{
    return c->converged && (c->baseline < 0 || a->configs[c->baseline].converged);
}

/* The cells of one row: numbers are written into buf, texts point into the analysis. */
static void csv_row(const analysis *a, size_t ci, int m, enum analysis_at at,
                    char buf[CSV_NCOLS][CELL], const char *cells[CSV_NCOLS])
{
    const row r = row_of(a, ci, m, at);
    const analysis_stat *st = r.st;
    for (size_t c = 0; c < CSV_NCOLS; c++)
        cells[c] = buf[c];
    snprintf(buf[0], CELL, "%.12s", r.c->config_id);
    cells[1] = r.c->label;
    csv_cell(buf[2], r.c->lambda);
    cells[3] = r.c->kernel ? r.c->kernel : "";
    cells[4] = r.c->border ? r.c->border : "";
    cells[5] = r.c->kernel_norm ? r.c->kernel_norm : "";
    snprintf(buf[6], CELL, "%zu", st->n);
    snprintf(buf[7], CELL, "%zu", r.c->nruns);
    csv_cell(buf[8], r.has ? r.s->mean : NAN);
    csv_cell(buf[9], r.has ? r.s->sd : NAN);
    csv_cell(buf[10], r.has ? r.s->ci_low : NAN);
    csv_cell(buf[11], r.has ? r.s->ci_high : NAN);
    snprintf(buf[12], CELL, "%zu", st->npairs);
    csv_cell(buf[13], r.pairs ? r.pd->diff.mean : NAN);
    csv_cell(buf[14], r.pairs ? r.pd->diff.ci_low : NAN);
    csv_cell(buf[15], r.pairs ? r.pd->diff.ci_high : NAN);
    csv_cell(buf[16], r.tested ? r.pd->p : NAN);
    csv_cell(buf[17], r.tested ? st->p_holm : NAN);
    cells[18] = verdict_word(r.c, st);
    snprintf(buf[19], CELL, "%d", a->best[at][m] == (long)ci);
    csv_cell(buf[20], r.c->effective_weight);
    csv_cell(buf[21], a->margin[analysis_series_metric(m)]);
    csv_cell(buf[22], r.tested ? r.pd->diff.sd : NAN);
    csv_cell(buf[23], r.tested ? st->mde.effect : NAN);
    csv_cell(buf[24], r.tested && st->seeds.status == STATS_SEEDS_FOUND ? st->seeds.seeds : NAN);
    csv_cell(buf[25], r.tested ? st->tost.ci_low : NAN);
    csv_cell(buf[26], r.tested ? st->tost.ci_high : NAN);
    csv_cell(buf[27], r.tested ? st->tost.p : NAN);
    snprintf(buf[28], CELL, "%d", r.c->is_baseline ? r.c->converged
                                                   : comparison_converged(a, r.c));
}

/* Decimals for a column: enough for the most precise row, so the column lines up. */
static void column_decimals(const analysis *a, int m, enum analysis_at at, int *mean_d,
                            int *diff_d)
{
    *mean_d = *diff_d = 2;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_stat *st = &a->configs[ci].stat[at][m];
        const stats_paired *pd = &st->paired;
        if (st->n > 0) {
            int d = analysis_decimals(st->summary.has_spread ? st->summary.sd : NAN,
                                      st->summary.mean);
            *mean_d = d > *mean_d ? d : *mean_d;
        }
        if (st->npairs > 0) {
            int d = analysis_decimals(pd->has_test ? (pd->diff.ci_high - pd->diff.ci_low) / 2
                                                   : NAN, pd->diff.mean);
            *diff_d = d > *diff_d ? d : *diff_d;
        }
    }
}

/* A p-value as its number alone: "0.043", "< 0.0001"; "-" without a test. */
static void p_cell(char *out, int tested, double p)
{
    char text[32];
    analysis_format_p(tested ? p : NAN, text, sizeof text);
    snprintf(out, CELL, "%s", tested ? text + 2 + (text[2] == '=' ? 2 : 0) : "-");
}

/* "[-0.09, +0.03]", "-" when the bounds are not numbers. */
static void interval_cell(char *out, double low, double high, int decimals)
{
    if (isfinite(low) && isfinite(high))
        snprintf(out, CELL, "[%+.*f, %+.*f]", decimals, low, decimals, high);
    else
        snprintf(out, CELL, "-");
}

static void aligned_row(const analysis *a, size_t ci, int m, enum analysis_at at, int d, int dd,
                        char buf[ALIGNED_NCOLS][CELL], const char *cells[ALIGNED_NCOLS])
{
    const row r = row_of(a, ci, m, at);
    const analysis_stat *st = r.st;
    for (size_t c = 0; c < ALIGNED_NCOLS; c++)
        cells[c] = buf[c];
    cells[0] = a->best[at][m] == (long)ci ? "*" : "";
    cells[1] = r.c->label;
    snprintf(buf[2], CELL, "%zu/%zu", st->n, r.c->nruns);
    cell(buf[3], r.has ? r.s->mean : NAN, d);
    cell(buf[4], r.has ? r.s->sd : NAN, d);
    if (r.has && r.s->has_spread)
        snprintf(buf[5], CELL, "[%.*f, %.*f]", d, r.s->ci_low, d, r.s->ci_high);
    else
        snprintf(buf[5], CELL, r.has ? "no interval (1 seed)" : "-");
    if (r.pairs)
        snprintf(buf[6], CELL, "%+.*f", dd, r.pd->diff.mean);
    else
        snprintf(buf[6], CELL, "-");
    if (r.tested)
        interval_cell(buf[7], r.pd->diff.ci_low, r.pd->diff.ci_high, dd);
    else
        snprintf(buf[7], CELL, r.pairs ? "no interval (1 pair)" : "-");
    interval_cell(buf[8], r.tested ? st->tost.ci_low : NAN, st->tost.ci_high, dd);
    snprintf(buf[9], CELL, r.c->is_baseline ? "-" : "%zu", st->npairs);
    cell(buf[10], r.tested ? r.pd->diff.sd : NAN, dd);
    cell(buf[11], r.tested ? st->mde.effect : NAN, dd);
    if (r.tested && st->seeds.status == STATS_SEEDS_FOUND)
        snprintf(buf[12], CELL, "%.0f", st->seeds.seeds);
    else if (r.tested && st->seeds.status == STATS_SEEDS_OVER_CAP)
        snprintf(buf[12], CELL, ">%zu", st->seeds.cap);
    else
        snprintf(buf[12], CELL, "-");
    p_cell(buf[13], r.tested, r.pd->p);
    p_cell(buf[14], r.tested, st->p_holm);
    analysis_verdict_cell(a, ci, m, at, buf[15], CELL);
}

/* The degraded input scored against the target: config "input", verdict "reference", no
 * comparison (a row of the configuration `ci`, whose data it shares). */
static void input_row(const analysis *a, size_t ci, size_t ninput, int m, enum analysis_at at,
                      int csv, int d, char buf[MAX_NCOLS][CELL], const char *cells[MAX_NCOLS])
{
    const analysis_config *c = &a->configs[ci];
    const analysis_stat *st = &c->stat[at][analysis_input_series(m)];
    const stats_summary *s = &st->summary;
    const size_t ncols = csv ? CSV_NCOLS : ALIGNED_NCOLS;
    for (size_t k = 0; k < ncols; k++) {
        buf[k][0] = '\0';
        if (!csv)
            snprintf(buf[k], CELL, "-");
        cells[k] = buf[k];
    }
    analysis_input_label(a, ci, ninput, buf[1], CELL);
    if (csv) {
        snprintf(buf[0], CELL, "input");
        snprintf(buf[6], CELL, "%zu", st->n);
        snprintf(buf[7], CELL, "%zu", c->nruns);
        csv_cell(buf[8], st->n ? s->mean : NAN);
        csv_cell(buf[9], st->n ? s->sd : NAN);
        csv_cell(buf[10], st->n && s->has_spread ? s->ci_low : NAN);
        csv_cell(buf[11], st->n && s->has_spread ? s->ci_high : NAN);
        snprintf(buf[12], CELL, "0");
        snprintf(buf[18], CELL, "reference");
        snprintf(buf[19], CELL, "0");
    } else {
        buf[0][0] = '\0';
        snprintf(buf[2], CELL, "%zu/%zu", st->n, c->nruns);
        cell(buf[3], st->n ? s->mean : NAN, d);
        snprintf(buf[ALIGNED_NCOLS - 1], CELL, "reference");
    }
}

void keytable_free(keytable *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
    t->best_row = -1;
}

int keytable_make(const analysis *a, int series, enum analysis_at at, enum keytable_form form,
                  keytable *t)
{
    const int csv = form == KEYTABLE_CSV;
    memset(t, 0, sizeof *t);
    t->best_row = a->best[at][series];
    t->ncols = csv ? CSV_NCOLS : ALIGNED_NCOLS;
    t->headers = csv ? csv_headers : aligned_headers;
    /* The "do nothing" reference rows under the configurations, one per distinct data set. */
    size_t *inputs = malloc((a->nconfigs + 1) * sizeof *inputs);
    const size_t ninput = inputs ? analysis_input_configs(a, series, inputs) : 0;
    t->cells = inputs ? calloc((a->nconfigs + ninput) * t->ncols + 1, sizeof *t->cells) : NULL;
    if (!t->cells) {
        free(inputs);
        return -1;
    }
    int d = 2, dd = 2;
    if (!csv)
        column_decimals(a, series, at, &d, &dd);
    for (size_t ci = 0; ci < a->nconfigs + ninput; ci++) {
        char buf[MAX_NCOLS][CELL];
        const char *cells[MAX_NCOLS];
        if (ci >= a->nconfigs)
            input_row(a, inputs[ci - a->nconfigs], ninput, series, at, csv, d, buf, cells);
        else if (csv)
            csv_row(a, ci, series, at, buf, cells);
        else
            aligned_row(a, ci, series, at, d, dd, buf, cells);
        t->nrows++;
        for (size_t c = 0; c < t->ncols; c++)
            if (!(t->cells[ci * t->ncols + c] = strdup(cells[c]))) {
                free(inputs);
                keytable_free(t);
                return -1;
            }
    }
    free(inputs);
    return 0;
}

/* ---- notes ------------------------------------------------------------------------------ */

typedef struct lines {
    char **items;
    size_t n;
    int oom;
} lines;

__attribute__((format(printf, 2, 3))) static void add_line(lines *l, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char **grown = l->oom ? NULL : realloc(l->items, (l->n + 1) * sizeof *grown);
    char *copy = grown ? strdup(text) : NULL;
    if (grown)
        l->items = grown;
    if (!copy) {
        l->oom = 1;
        return;
    }
    l->items[l->n++] = copy;
}

/* What the numbers are: the columns, the margin and where it comes from, the verdict rules. */
static void explain(lines *l, const analysis *a, int series, enum analysis_at at)
{
    const size_t family = a->holm_family[at][series];
    const enum metric_id metric = analysis_series_metric(series);
    const char *name = metric_def_of(metric)->name;
    const char *unit = analysis_series_unit(series);
    const char *space = *unit ? " " : "";
    char margin[40], limit[40];
    format_shortest(a->margin[metric], margin, sizeof margin);
    format_shortest(ANALYSIS_CONVERGED_GAIN, limit, sizeof limit);
    add_line(l, "* best mean %s. n: finished seeds with a value / all seeds. diff: mean over "
             "seeds of (configuration - baseline), same seed.", analysis_series_name(series).text);
    add_line(l, "Intervals: 95%% Student-t. p: paired t-test, two-sided; p Holm: adjusted over "
             "%zu comparison%s; tests at alpha = %g after Holm.", family,
             family == 1 ? "" : "s", a->alpha);
    add_line(l, "paired sd: sd over seeds of the differences. MDE: the smallest difference the "
             "pairs at hand detect with %.0f%% power (paired t-test, two-sided alpha = %g, "
             "noncentral t).", 100 * STATS_POWER_DEFAULT, a->alpha);
    if (a->margin[metric] > 0)
        add_line(l, "Equivalence margin δ = %s%s%s for %s (%s, fixed before the sweep). "
                 "diff 90%% CI: the equivalence test's interval (two one-sided tests at ±δ, "
                 "alpha = %g each). seeds for δ: the seeds that detect δ with %.0f%% power.",
                 margin, space, unit, name,
                 a->margin_from_ini[metric] ? "from the sweep's [report] section"
                                            : "the metric table's",
                 a->alpha, 100 * STATS_POWER_DEFAULT);
    else
        add_line(l, "%s has no equivalence margin (the metric table's is 0; [report] "
                 "margin.%s sets one): its verdicts are helps, hurts or indistinguishable.",
                 name, name);
    add_line(l, "Verdicts: not converged when a finished run of the configuration or of its "
             "baseline still gained more than %s%s%s of %s over its last quarter of epochs "
             "(the rise of the least-squares line through them); "
             "else equivalent when the 90%% interval lies within ±δ; else helps or hurts when "
             "p Holm <= alpha; else undecided, with about how many seeds would decide.", limit,
             space, unit,
             analysis_series_title(ANALYSIS_SERIES(METRIC_VAL, ANALYSIS_PRIMARY_METRIC)).text);
    if (family == 0)
        add_line(l, "No test: no configuration with λ > 0 has two seeds finished both in it "
                 "and in its baseline.");
    if (analysis_input_series(series) >= 0) {
        char below[8192];
        analysis_below_input_sentence(a, below, sizeof below);
        add_line(l, "The row 'input (no network)' scores the degraded images themselves against "
                 "their targets: what doing nothing gives. %s", below);
    }
}

enum { NOTES_EXPLAIN = 1, NOTES_NOT_COUNTED = 2, NOTES_VERDICTS = 4 };

static int notes(const analysis *a, int series, enum analysis_at at, unsigned parts, char ***out,
                 size_t *n)
{
    lines l = { NULL, 0, 0 };
    if (parts & NOTES_EXPLAIN)
        explain(&l, a, series, at);
    for (size_t ci = 0; (parts & NOTES_NOT_COUNTED) && ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->stat[at][series].n == c->nruns)
            continue;
        char note[2048];
        analysis_seeds_note(a, ci, series, at, note, sizeof note);
        add_line(&l, "not counted in %s: %s", c->label, note);
    }
    for (size_t ci = 0; (parts & NOTES_VERDICTS) && ci < a->nconfigs; ci++) {
        if (a->configs[ci].is_baseline)
            continue;
        char sentence[4096];
        analysis_verdict_sentence(a, ci, series, at, sentence, sizeof sentence);
        add_line(&l, "%s", sentence);
    }
    if (l.oom) {
        keytable_notes_free(l.items, l.n);
        *out = NULL;
        *n = 0;
        return -1;
    }
    *out = l.items;
    *n = l.n;
    return 0;
}

int keytable_notes(const analysis *a, int series, enum analysis_at at, char ***out, size_t *n)
{
    return notes(a, series, at, NOTES_EXPLAIN | NOTES_NOT_COUNTED | NOTES_VERDICTS, out, n);
}

int keytable_explanations(const analysis *a, int series, enum analysis_at at, char ***out,
                          size_t *n)
{
    return notes(a, series, at, NOTES_EXPLAIN, out, n);
}

void keytable_notes_free(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}
