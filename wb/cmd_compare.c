/* wb compare: the key table of a sweep on the terminal or as CSV (analysis/keytable.h: the same
 * cells as the report and wb serve), with the notes and the verdict sentences under it. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/answer.h"
#include "analysis/budget.h"
#include "analysis/keytable.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb compare [FILE.ini] [--db PATH | --ini FILE.ini] [--sweep NAME]\n"
    "                  [--metric " ANALYSIS_PRIMARY_NAME "] [--at last|best] [--by-budget]\n"
    "                  [--wide | --csv]\n"
    "\n"
    "Prints one row per configuration of a sweep (its label: λ, its effective weight λ·g, the\n"
    "other axes): n (finished seeds with the metric, of all), mean, sd and 95% Student-t\n"
    "interval of the metric; the paired difference against the λ = 0 configuration with the\n"
    "same other settings (same seed = same initial weights, data and order) with its 95%\n"
    "interval and the equivalence test's 90% interval (two one-sided tests at ±δ), the paired\n"
    "sd, the smallest effect the seeds detect with 80% power (MDE), the seeds that would detect\n"
    "δ, the paired t-test's p-value before and after Holm's adjustment, and the verdict:\n"
    "helps, hurts, equivalent (within ±δ), undecided (with about how many seeds would decide),\n"
    "not converged (the least-squares line through a run's validation PSNR over its last\n"
    "quarter of epochs still rose by more than 0.05 dB), indistinguishable (a metric without a\n"
    "margin), or no test (one seed). The row 'input (no network)' scores the degraded input\n"
    "itself: what doing nothing gives; the notes name each run whose test PSNR ends below it.\n"
    "PSNR is the primary metric, pooled over the split's pixels (test.psnr_pooled). δ is the\n"
    "metric table's (0.2 dB for PSNR) unless the sweep's INI file sets it in\n"
    "its [report] section (margin.psnr_pooled = 0.1), fixed before the sweep. '*' marks the\n"
    "best mean. Above the table: the answer in one to three sentences (does the term help,\n"
    "the best setting, whether the kernel matters, how sure, caveats). Under the table: what\n"
    "the numbers are, the runs that did not finish, and each verdict in a sentence.\n\n"
    "  FILE.ini         the sweep FILE.ini describes, in its database (as --ini)\n"
    CMD_DB_USAGE
    "  --sweep NAME     the sweep (default: the INI's, else the one run most recently that\n"
    "                   is not a one-off of wb run)\n"
    "  --metric M       SPLIT.NAME: SPLIT val or test, NAME an image metric of the metric\n"
    "                   table (psnr, ssim, mse, ...; a wrong name lists them); default the\n"
    "                   primary metric, " ANALYSIS_PRIMARY_NAME "\n"
    "  --at last|best   the last epoch (default) or each run's best epoch (lowest validation\n"
    "                   MSE, ties to the earlier)\n"
    "  --by-budget      the effect over the training budget (a sweep whose train.epochs is\n"
    "                   an axis): per configuration and budget the paired difference against\n"
    "                   the baseline of that budget, its 95% interval and verdict (equivalent:\n"
    "                   the 90% interval of two one-sided tests within the margin, given in\n"
    "                   each configuration's sentence), and whether\n"
    "                   the verdict has settled: the same decision at the largest budget N and\n"
    "                   at the largest budget of at most N/2, the two differences within δ/2\n"
    "  --wide           every column of the key table (the compact one fits " WB_COLUMNS_TEXT "\n"
    "                   columns: configuration, n, mean, diff with its 95% interval, p Holm,\n"
    "                   verdict), text not wrapped\n"
    "  --csv            CSV (RFC 4180), one header row and one row per configuration (per\n"
    "                   configuration and budget with --by-budget), numbers with 17\n"
    "                   significant digits, empty where there is no value\n";

/* A table of cells (analysis/keytable.h's shape) into a printable table, freeing the cells; NULL
 * when memory ran out. */
static table *printable(keytable *k)
{
    table *t = table_new(k->ncols, k->headers);
    for (size_t r = 0; t && r < k->nrows; r++)
        if (table_add(t, (const char *const *)&k->cells[r * k->ncols]) != 0) {
            table_free(t);
            t = NULL;
        }
    keytable_free(k);
    return t;
}

/* The columns of the compact table (within WB_OUTPUT_COLUMNS): the key table's by header, "diff"
 * and "diff 95% CI" joined in one cell. */
static const char *const compact[] = { "", "configuration", "n", "mean", "diff", "p Holm",
                                       "verdict" };
#define NCOMPACT (sizeof compact / sizeof compact[0])

/* The key table (analysis/keytable.h) into a printable table: every column (CSV, --wide), or the
 * compact columns. */
static table *key_table(const analysis *a, int m, enum analysis_at at, int csv, int wide)
{
    keytable k;
    if (keytable_make(a, m, at, csv ? KEYTABLE_CSV : KEYTABLE_ALIGNED, &k) != 0)
        return NULL;
    if (csv || wide)
        return printable(&k);
    table *t = NULL;
    size_t col[NCOMPACT + 1];
    for (size_t j = 0; j <= NCOMPACT; j++) {
        const char *name = j < NCOMPACT ? compact[j] : "diff 95% CI";
        for (col[j] = 0; col[j] < k.ncols && strcmp(k.headers[col[j]], name) != 0; col[j]++)
            ;
    }
    const char *headers[NCOMPACT];
    for (size_t j = 0; j < NCOMPACT; j++)
        headers[j] = strcmp(compact[j], "diff") == 0 ? "diff, 95% CI" : compact[j];
    t = table_new(NCOMPACT, headers);
    for (size_t r = 0; t && r < k.nrows; r++) {
        const char *cells[NCOMPACT];
        char diff[256];
        for (size_t j = 0; j < NCOMPACT; j++)
            cells[j] = col[j] < k.ncols ? k.cells[r * k.ncols + col[j]] : "";
        const char *d = col[4] < k.ncols ? k.cells[r * k.ncols + col[4]] : "";
        const char *ci = col[NCOMPACT] < k.ncols ? k.cells[r * k.ncols + col[NCOMPACT]] : "";
        snprintf(diff, sizeof diff, "%s%s%s", d, strcmp(ci, "-") && *ci ? " " : "",
                 strcmp(ci, "-") ? ci : "");
        cells[4] = diff;
        if (table_add(t, cells) != 0) {
            table_free(t);
            t = NULL;
        }
    }
    keytable_free(&k);
    return t;
}

/* The budget table (analysis/budget.h) into a printable table. */
static table *budget_table(const analysis *a, int m, enum analysis_at at, int csv)
{
    keytable k;
    return analysis_budget_table(a, m, at, csv, &k) == 0 ? printable(&k) : NULL;
}

/* Below the aligned table: what the numbers are, every run that gave none (and those below their
 * input: listed here once), and the verdicts; each note a paragraph wrapped to `columns`. */
static int print_notes(const analysis *a, int m, enum analysis_at at, int columns)
{
    char **lines;
    size_t n;
    if (keytable_notes(a, m, at, &lines, &n) != 0)
        return -1;
    putchar('\n');
    for (size_t i = 0; i < n; i++)
        wb_print_wrapped(stdout, lines[i], columns, 2);
    keytable_notes_free(lines, n);
    return 0;
}

/* Ends the command: stdout flushed, the analysis freed. */
static int finish(analysis *a, int status)
{
    analysis_free(a);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        wb_error("compare", "writing to stdout failed");
        status = WB_EXIT_FAILURE;
    }
    return status;
}

/* --by-budget: the table of the effect over the budgets, then each configuration's sentence. */
static int compare_by_budget(analysis *a, int m, enum analysis_at at, int csv, int wide)
{
    if (a->nbudgets < 2) {
        wb_error("compare", "sweep %s trains one budget (%d epochs): --by-budget needs a sweep "
                 "whose train.epochs is a list (with train.schedule = wsd its budgets share one "
                 "trajectory)", a->name, a->nbudgets ? a->budgets[0] : 0);
        return finish(a, WB_EXIT_USAGE);
    }
    table *t = budget_table(a, m, at, csv);
    if (!t) {
        wb_error("compare", "out of memory");
        return finish(a, WB_EXIT_FAILURE);
    }
    const int columns = wide ? 1000000 : WB_OUTPUT_COLUMNS;
    if (!csv) {
        printf("sweep %s: %s (%s) at %s, paired against the baseline of each budget\n\n",
               a->name, analysis_series_title(m).text, analysis_series_name(m).text,
               analysis_at_title(at).text);
        char brief[2048];
        analysis_budget_brief(a, m, at, brief, sizeof brief);
        wb_print_wrapped(stdout, brief, columns, 0);
        putchar('\n');
    }
    if (csv || wide)
        table_print(t, stdout, csv);
    else
        table_print_fit(t, stdout, WB_OUTPUT_COLUMNS);
    table_free(t);
    if (!csv)
        putchar('\n');
    for (size_t f = 0; !csv && f < a->nfamilies; f++) {
        char line[4096];
        if (a->families[f].is_baseline)
            continue;
        analysis_budget_sentence(a, f, m, at, line, sizeof line);
        wb_print_wrapped(stdout, line, columns, 2);
    }
    return finish(a, WB_EXIT_OK);
}

int cmd_compare(int argc, char **argv)
{
    cmd_db d = { 0 };
    const char *sweep = NULL, *metric = ANALYSIS_PRIMARY_NAME;
    const char *at_name = "last";
    int csv = 0, by_budget = 0, wide = 0;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "sweep", .text = &sweep },
                                { .name = "metric", .text = &metric },
                                { .name = "at", .text = &at_name },
                                { .name = "by-budget", .flag = &by_budget },
                                { .name = "csv", .flag = &csv }, { .name = "wide", .flag = &wide },
                                { 0 } };
    int status = cmd_parse_db("compare", usage, argc, argv, opts, CMD_INI_ARGUMENT, &d);
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
    status = cmd_open_analysis("compare", &d, sweep, &a);
    if (status != WB_EXIT_OK)
        return status;
    if (by_budget)
        return compare_by_budget(a, m, at, csv, wide);
    table *t = key_table(a, m, at, csv, wide);
    const int columns = wide ? 1000000 : WB_OUTPUT_COLUMNS;
    if (!csv && t) {
        /* The answer first (analysis/answer.h), then the table it is read from. */
        char answer[8192];
        answer_headline(a, m, at, answer, sizeof answer);
        printf("sweep %s: %s (%s) at %s\n\n", a->name, analysis_series_title(m).text,
               analysis_series_name(m).text, analysis_at_title(at).text);
        wb_print_wrapped(stdout, answer, columns, 0);
        if (a->nbudgets >= 2)
            wb_print_wrapped(stdout, "Each configuration at each budget, and whether its verdict "
                             "settled: --by-budget.", columns, 0);
        putchar('\n');
    }
    if (t && (csv || wide))
        table_print(t, stdout, csv);
    else if (t)
        table_print_fit(t, stdout, WB_OUTPUT_COLUMNS);
    if (!t || (!csv && print_notes(a, m, at, columns) != 0)) {
        wb_error("compare", "out of memory");
        status = WB_EXIT_FAILURE;
    }
    table_free(t);
    /* With CSV, a warning per run that ends below its input on stderr (the notes, which list
     * them for people, are not printed): CSV stays a table. */
    for (size_t i = 0; csv && status == WB_EXIT_OK && i < a->nruns; i++) {
        if (!a->runs[i].below_input)
            continue;
        char line[2048];
        analysis_below_input_line(a, i, line, sizeof line);
        fprintf(stderr, "warning: %s\n", line);
    }
    return finish(a, status);
}
