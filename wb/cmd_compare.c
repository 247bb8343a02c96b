/* wb compare: the key table of a sweep on the terminal: per configuration, n, mean, sd and the
 * 95% t-interval of one metric, and the paired difference against the λ = 0 baseline with its
 * interval, p-value, Holm-adjusted p-value and verdict (plots/analysis.h computes all of it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/analysis.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"

static const char usage[] =
    "usage: wb compare [--db PATH] [--sweep NAME] [--metric test.psnr] [--at last|best] [--csv]\n"
    "\n"
    "Prints one row per configuration of a sweep: n (finished seeds with the metric, of all),\n"
    "mean, standard deviation and 95% Student-t interval of the metric; the paired difference\n"
    "against the λ = 0 configuration with the same other settings (same seed = same initial\n"
    "weights, data and order), its 95% interval, the paired t-test's p-value, the p-value after\n"
    "Holm's adjustment over all configurations compared, and the verdict at α = 0.05: helps,\n"
    "hurts, indistinguishable, or no test (one seed). '*' marks the best mean (highest PSNR\n"
    "or SSIM, lowest errors). The row 'input (no network)' scores the degraded input itself\n"
    "against the target: what doing nothing gives. Runs that did not finish are listed below\n"
    "the table, and a warning names every run whose test pooled PSNR at the last epoch ends\n"
    "below its input's (on stderr with --csv).\n\n"
    "  --db PATH        database (default " CONFIG_DEFAULT_DATABASE ")\n"
    "  --sweep NAME     the sweep (default: the one run most recently)\n"
    "  --metric M       SPLIT.NAME: SPLIT val or test, NAME an image metric of the metric\n"
    "                   table (psnr, ssim, mse, ...; a wrong name lists them); default test.psnr\n"
    "  --at last|best   the last epoch (default) or each run's best epoch (lowest validation\n"
    "                   MSE, ties to the earlier)\n"
    "  --csv            CSV (RFC 4180), one header row and one row per configuration, numbers\n"
    "                   with 17 significant digits, empty where there is no value\n";

/* A number for the aligned table with the given decimals, "-" when it is not one. */
static void cell(char *out, size_t len, double v, int decimals)
{
    if (isfinite(v))
        snprintf(out, len, "%.*f", decimals, v);
    else
        snprintf(out, len, "-");
}

/* A number for CSV: exact, empty when it is not one. */
static void csv_cell(char *out, size_t len, double v)
{
    if (isfinite(v))
        snprintf(out, len, "%.17g", v);
    else
        out[0] = '\0';
}

static const char *verdict_text(const analysis_config *c, const analysis_stat *st)
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

static table *csv_table(const analysis *a, int m, enum analysis_at at)
{
    static const char *const headers[] = {
        "config", "label", "laplacian_weight", "kernel", "border", "kernel_norm", "n", "runs",
        "mean", "sd", "ci_low", "ci_high", "pairs", "diff_mean", "diff_ci_low", "diff_ci_high",
        "p", "p_holm", "verdict", "best"
    };
    enum { NCOLS = sizeof headers / sizeof headers[0] };
    table *t = table_new(NCOLS, headers);
    for (size_t ci = 0; t && ci < a->nconfigs; ci++) {
        const row r = row_of(a, ci, m, at);
        char buf[NCOLS][64];
        snprintf(buf[0], 64, "%.12s", r.c->config_id);
        csv_cell(buf[2], 64, r.c->lambda);
        snprintf(buf[6], 64, "%zu", r.st->n);
        snprintf(buf[7], 64, "%zu", r.c->nruns);
        csv_cell(buf[8], 64, r.has ? r.s->mean : NAN);
        csv_cell(buf[9], 64, r.has ? r.s->sd : NAN);
        csv_cell(buf[10], 64, r.has ? r.s->ci_low : NAN);
        csv_cell(buf[11], 64, r.has ? r.s->ci_high : NAN);
        snprintf(buf[12], 64, "%zu", r.st->npairs);
        csv_cell(buf[13], 64, r.pairs ? r.pd->diff.mean : NAN);
        csv_cell(buf[14], 64, r.pairs ? r.pd->diff.ci_low : NAN);
        csv_cell(buf[15], 64, r.pairs ? r.pd->diff.ci_high : NAN);
        csv_cell(buf[16], 64, r.tested ? r.pd->p : NAN);
        csv_cell(buf[17], 64, r.tested ? r.st->p_holm : NAN);
        snprintf(buf[19], 64, "%d", a->best[at][m] == (long)ci);
        const char *cells[NCOLS] = { buf[0], r.c->label, buf[2], r.c->kernel, r.c->border,
                                     r.c->kernel_norm, buf[6], buf[7], buf[8], buf[9], buf[10],
                                     buf[11], buf[12], buf[13], buf[14], buf[15], buf[16],
                                     buf[17], verdict_text(r.c, r.st), buf[19] };
        if (table_add(t, cells) != 0) {
            table_free(t);
            return NULL;
        }
    }
    /* The "do nothing" reference: config "input", verdict "reference", no comparison. */
    size_t *rows = malloc((a->nconfigs ? a->nconfigs : 1) * sizeof *rows);
    const size_t nin = rows ? analysis_input_configs(a, m, rows) : 0;
    for (size_t k = 0; t && k < nin; k++) {
        const analysis_stat *st = &a->configs[rows[k]].stat[at][analysis_input_series(m)];
        char label[1024], buf[6][64];
        analysis_input_label(a, rows[k], nin, label, sizeof label);
        snprintf(buf[0], 64, "%zu", st->n);
        csv_cell(buf[1], 64, st->summary.mean);
        csv_cell(buf[2], 64, st->summary.sd);
        csv_cell(buf[3], 64, st->summary.has_spread ? st->summary.ci_low : NAN);
        csv_cell(buf[4], 64, st->summary.has_spread ? st->summary.ci_high : NAN);
        const char *cells[NCOLS] = { "input", label, "", "", "", "", buf[0], buf[0], buf[1],
                                     buf[2], buf[3], buf[4], "0", "", "", "", "", "",
                                     "reference", "0" };
        if (table_add(t, cells) != 0) {
            table_free(t);
            t = NULL;
        }
    }
    free(rows);
    return t;
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

static table *aligned_table(const analysis *a, int m, enum analysis_at at)
{
    static const char *const headers[] = { "", "configuration", "n", "mean", "sd", "95% CI",
                                           "diff", "diff 95% CI", "pairs", "p", "p Holm",
                                           "verdict" };
    enum { NCOLS = sizeof headers / sizeof headers[0] };
    int d, dd;
    column_decimals(a, m, at, &d, &dd);
    table *t = table_new(NCOLS, headers);
    for (size_t ci = 0; t && ci < a->nconfigs; ci++) {
        const row r = row_of(a, ci, m, at);
        char buf[NCOLS][96];
        snprintf(buf[2], 96, "%zu/%zu", r.st->n, r.c->nruns);
        cell(buf[3], 96, r.has ? r.s->mean : NAN, d);
        cell(buf[4], 96, r.has ? r.s->sd : NAN, d);
        if (r.has && r.s->has_spread)
            snprintf(buf[5], 96, "[%.*f, %.*f]", d, r.s->ci_low, d, r.s->ci_high);
        else
            snprintf(buf[5], 96, r.has ? "no interval (1 seed)" : "-");
        if (r.pairs)
            snprintf(buf[6], 96, "%+.*f", dd, r.pd->diff.mean);
        else
            snprintf(buf[6], 96, "-");
        if (r.tested)
            snprintf(buf[7], 96, "[%+.*f, %+.*f]", dd, r.pd->diff.ci_low, dd, r.pd->diff.ci_high);
        else
            snprintf(buf[7], 96, r.pairs ? "no interval (1 pair)" : "-");
        snprintf(buf[8], 96, r.c->is_baseline ? "-" : "%zu", r.st->npairs);
        char p[32];
        analysis_format_p(r.tested ? r.pd->p : NAN, p, sizeof p);
        snprintf(buf[9], 96, "%s", r.tested ? p + 2 + (p[2] == '=' ? 2 : 0) : "-");
        analysis_format_p(r.tested ? r.st->p_holm : NAN, p, sizeof p);
        snprintf(buf[10], 96, "%s", r.tested ? p + 2 + (p[2] == '=' ? 2 : 0) : "-");
        const char *verdict = r.tested || !r.pairs ? verdict_text(r.c, r.st) : "no test (1 seed)";
        const char *cells[NCOLS] = { a->best[at][m] == (long)ci ? "*" : "", r.c->label, buf[2],
                                     buf[3], buf[4], buf[5], buf[6], buf[7], buf[8], buf[9],
                                     buf[10], verdict };
        if (table_add(t, cells) != 0) {
            table_free(t);
            return NULL;
        }
    }
    size_t *rows = malloc((a->nconfigs ? a->nconfigs : 1) * sizeof *rows);
    const size_t nin = rows ? analysis_input_configs(a, m, rows) : 0;
    for (size_t k = 0; t && k < nin; k++) {
        const analysis_stat *st = &a->configs[rows[k]].stat[at][analysis_input_series(m)];
        char label[1024], n[32], mean[96];
        analysis_input_label(a, rows[k], nin, label, sizeof label);
        snprintf(n, sizeof n, "%zu/%zu", st->n, a->configs[rows[k]].nruns);
        cell(mean, sizeof mean, st->summary.mean, d);
        const char *cells[NCOLS] = { "", label, n, mean, "-", "-", "-", "-", "-", "-", "-",
                                     "reference" };
        if (table_add(t, cells) != 0) {
            table_free(t);
            t = NULL;
        }
    }
    free(rows);
    return t;
}

/* A warning line per run that ends below its input. */
static void print_below_input(const analysis *a, FILE *f)
{
    for (size_t i = 0; i < a->nruns; i++) {
        if (!a->runs[i].below_input)
            continue;
        char line[2048];
        analysis_below_input_line(a, i, line, sizeof line);
        fprintf(f, "warning: %s\n", line);
    }
}

/* Below the aligned table: what the numbers are, and every run that gave none. */
static void print_notes(const analysis *a, int m, enum analysis_at at)
{
    printf("\n* best mean %s. n: finished seeds with a value / all seeds. diff: mean over seeds "
           "of (configuration - baseline), same seed.\n", analysis_series_name(m).text);
    printf("Intervals: 95%% Student-t. p: paired t-test, two-sided; p Holm: adjusted over %zu "
           "comparison%s; verdict at alpha = %g after Holm.\n", a->holm_family[at][m],
           a->holm_family[at][m] == 1 ? "" : "s", a->alpha);
    if (a->holm_family[at][m] == 0)
        printf("No test: no configuration with λ > 0 has two seeds finished both in it and in "
               "its baseline.\n");
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->stat[at][m].n == c->nruns)
            continue;
        char note[2048];
        analysis_seeds_note(a, ci, m, at, note, sizeof note);
        printf("not counted in %s: %s\n", c->label, note);
    }
}

int cmd_compare(int argc, char **argv)
{
    const char *db = CONFIG_DEFAULT_DATABASE, *sweep = NULL, *metric = "test.psnr";
    const char *at_name = "last";
    int csv = 0;
    const cmd_option opts[] = { { .name = "db", .text = &db }, { .name = "sweep", .text = &sweep },
                                { .name = "metric", .text = &metric },
                                { .name = "at", .text = &at_name }, { .name = "csv", .flag = &csv },
                                { 0 } };
    int status = cmd_parse("compare", usage, argc, argv, opts, 0);
    if (status >= 0)
        return status;
    int m = analysis_series_find(metric);
    if (!analysis_series_compared(m)) {
        char names[1024] = "";
        for (int k = 0; k < METRIC_COUNT; k++)
            if (analysis_series_compared(ANALYSIS_SERIES(METRIC_TEST, k)))
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         *names ? ", " : "", metric_def_of((enum metric_id)k)->name);
        wb_error("compare", "--metric '%s' is not a val or test metric: use SPLIT.NAME with "
                 "SPLIT val or test and NAME one of %s", metric, names);
        return WB_EXIT_USAGE;
    }
    enum analysis_at at;
    if (strcmp(at_name, "last") == 0)
        at = ANALYSIS_LAST;
    else if (strcmp(at_name, "best") == 0)
        at = ANALYSIS_BEST;
    else {
        wb_error("compare", "--at must be last or best, not '%s'", at_name);
        return WB_EXIT_USAGE;
    }

    analysis *a;
    status = cmd_open_analysis("compare", db, sweep, &a);
    if (status != WB_EXIT_OK)
        return status;
    table *t = csv ? csv_table(a, m, at) : aligned_table(a, m, at);
    if (!t) {
        wb_error("compare", "out of memory");
        status = WB_EXIT_FAILURE;
    } else {
        if (!csv)
            printf("sweep %s: %s at %s\n\n", a->name, analysis_series_name(m).text,
                   analysis_at_title(at).text);
        table_print(t, stdout, csv);
        if (!csv)
            print_notes(a, m, at);
        print_below_input(a, csv ? stderr : stdout);
        table_free(t);
    }
    analysis_free(a);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        wb_error("compare", "writing to stdout failed");
        status = WB_EXIT_FAILURE;
    }
    return status;
}
