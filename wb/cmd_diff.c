/* wb diff A B: two runs side by side: the keys where their configurations differ, then their
 * metrics per epoch, each chosen series as A, B and B − A. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/label.h"
#include "model/metrics.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"

static const char usage[] =
    "usage: wb diff A B [--metric SPLIT.NAME ...] [--db PATH | --ini FILE.ini] [--csv]\n\n"
    "A and B are runs (ids or config hash prefixes). Prints the keys where their\n"
    "configurations differ (the seed included), then, for each metric, a table of A, B and\n"
    "B - A at every epoch either run has it (PSNR is the primary metric, pooled over the\n"
    "split's pixels).\n\n"
    CMD_DB_USAGE
    "  --metric M       SPLIT.NAME (train.loss, val.psnr_pooled, test.ssim, ...; repeatable);\n"
    "                   default\n"
    "                   train.loss, val.psnr_pooled and test.psnr_pooled\n"
    "  --csv            both tables as CSV (17 significant digits), one after the other\n";

#define MAX_SERIES 16

typedef struct diff_args {
    const char *series[MAX_SERIES];
    int nseries;
} diff_args;

static int take_metric(void *ctx, const char *arg)
{
    diff_args *a = ctx;
    const char *dot = strchr(arg, '.');
    char split[64];
    snprintf(split, sizeof split, "%.*s", dot ? (int)(dot - arg) : 0, arg);
    if (!dot || metric_split_find(split) < 0 || metric_find(dot + 1) < 0) {
        wb_error("diff", "--metric %s: expected SPLIT.NAME, SPLIT train, val or test and NAME a "
                 "metric of wb config's metric table (loss, psnr, psnr_pooled, ssim, mse, ...)",
                 arg);
        return WB_EXIT_USAGE;
    }
    if (a->nseries == MAX_SERIES) {
        wb_error("diff", "at most %d --metric options", MAX_SERIES);
        return WB_EXIT_USAGE;
    }
    a->series[a->nseries++] = arg;
    return 0;
}

typedef struct diff_run {
    int64_t id;
    store_run_record r;
    store_param *p;
    size_t np;
    store_metric_value *m;
    size_t nm;
} diff_run;

static int load(store *s, const char *name, diff_run *d, char *err, size_t errlen)
{
    if (store_lookup_run(s, name, &d->id, err, errlen) != 0)
        return 1;
    return store_read_run(s, d->id, &d->r, err, errlen) == 0 &&
           store_read_params(s, d->id, &d->p, &d->np, err, errlen) == 0 &&
           store_read_metrics(s, d->id, &d->m, &d->nm, err, errlen) == 0 ? 0 : -1;
}

static void unload(diff_run *d)
{
    if (d->r.config_hash[0])
        store_run_record_free(&d->r);
    store_params_free(d->p, d->np);
    store_metric_values_free(d->m, d->nm);
}

static const char *param_of(const diff_run *d, const char *key)
{
    for (size_t i = 0; i < d->np; i++)
        if (strcmp(d->p[i].key, key) == 0)
            return d->p[i].value;
    return NULL;
}

/* Equal as numbers when both are, else as text; NULL only equals NULL. */
static int same_value(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    char *ea, *eb;
    const double x = strtod(a, &ea), y = strtod(b, &eb);
    return *a && *b && !*ea && !*eb ? x == y : strcmp(a, b) == 0;
}

static void add_row(table **t, const char *const *cells)
{
    if (*t && table_add(*t, cells) != 0) {
        table_free(*t);
        *t = NULL;
    }
}

/* key, A's value, B's value for every key (of either run) whose values differ. */
static table *config_table(const diff_run *a, const diff_run *b, const char *ha,
                           const char *hb)
{
    const char *headers[] = { "key", ha, hb };
    table *t = table_new(3, headers);
    char va[1024], vb[1024];
    if (a->r.seed != b->r.seed) {
        snprintf(va, sizeof va, "%lld", (long long)a->r.seed);
        snprintf(vb, sizeof vb, "%lld", (long long)b->r.seed);
        const char *cells[] = { "seed", va, vb };
        add_row(&t, cells);
    }
    for (int pass = 0; pass < 2; pass++) {
        const diff_run *from = pass ? b : a, *other = pass ? a : b;
        for (size_t i = 0; t && i < from->np; i++) {
            const char *key = from->p[i].key;
            int listed = 0;
            for (size_t k = 0; pass && k < other->np; k++)
                listed |= strcmp(other->p[k].key, key) == 0;
            const char *x = param_of(a, key), *y = param_of(b, key);
            if (listed || same_value(x, y))
                continue;
            if (x)
                label_value(x, va, sizeof va);
            if (y)
                label_value(y, vb, sizeof vb);
            const char *cells[] = { key, x ? va : "(unset)", y ? vb : "(unset)" };
            add_row(&t, cells);
        }
    }
    return t;
}

/* A run's value of split.name at epoch, NaN when it has none. */
static double value_at(const diff_run *d, int epoch, const char *series)
{
    const char *dot = strchr(series, '.');
    const size_t slen = (size_t)(dot - series);
    for (size_t i = 0; i < d->nm; i++)
        if (d->m[i].epoch == epoch && strlen(d->m[i].split) == slen &&
            strncmp(d->m[i].split, series, slen) == 0 && strcmp(d->m[i].name, dot + 1) == 0)
            return d->m[i].value;
    return NAN;
}

/* A value for CSV (exact) or for people (format_metric: the metric's digits). */
static void number(double v, int exact, const char *series, char *out, size_t outlen)
{
    if (isnan(v))
        out[0] = '\0';
    else if (exact)
        snprintf(out, outlen, "%.17g", v);
    else {
        const int s = analysis_series_find(series);
        format_metric(s >= 0 ? (int)analysis_series_metric(s) : -1, v, 0, out, outlen);
    }
}

/* epoch, then per series (series[0 .. nseries-1]) A, B and B - A: for CSV one table of every
 * series and epoch (headers "val.psnr_pooled A", ...); for people one series (headers A, B,
 * B - A) and only the epochs where a run has it. */
static table *metrics_table(const diff_run *a, const diff_run *b, const char *const *series,
                            int nseries, int exact)
{
    const int ncols = 1 + 3 * nseries;
    const char *headers[1 + 3 * MAX_SERIES] = { "epoch" };
    char names[3 * MAX_SERIES][96];
    for (int k = 0; k < nseries; k++)
        for (int j = 0; j < 3; j++) {
            snprintf(names[3 * k + j], sizeof names[0], "%s%s%s", exact ? series[k] : "",
                     exact ? " " : "", j == 0 ? "A" : j == 1 ? "B" : "B-A");
            headers[1 + 3 * k + j] = names[3 * k + j];
        }
    table *t = table_new((size_t)ncols, headers);
    int last = -1;
    for (size_t i = 0; i < a->nm; i++)
        last = a->m[i].epoch > last ? a->m[i].epoch : last;
    for (size_t i = 0; i < b->nm; i++)
        last = b->m[i].epoch > last ? b->m[i].epoch : last;
    for (int e = 0; t && e <= last; e++) {
        char text[1 + 3 * MAX_SERIES][40];
        const char *cells[1 + 3 * MAX_SERIES];
        snprintf(text[0], sizeof text[0], "%d", e);
        int any = 0;
        for (int k = 0; k < nseries; k++) {
            const double x = value_at(a, e, series[k]), y = value_at(b, e, series[k]);
            number(x, exact, series[k], text[1 + 3 * k], sizeof text[0]);
            number(y, exact, series[k], text[2 + 3 * k], sizeof text[0]);
            number(y - x, exact, series[k], text[3 + 3 * k], sizeof text[0]);
            any |= !isnan(x) || !isnan(y);
        }
        if (!exact && !any)
            continue;
        for (int c = 0; c < ncols; c++)
            cells[c] = text[c];
        add_row(&t, cells);
    }
    return t;
}

int cmd_diff(int argc, char **argv)
{
    cmd_db d = { 0 };
    diff_args args = { .nseries = 0 };
    int csv = 0;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d),
                                { .name = "metric", .take = take_metric, .ctx = &args },
                                { .name = "csv", .flag = &csv }, { 0 } };
    int status = cmd_parse_db("diff", usage, argc, argv, opts, 2, &d);
    if (status >= 0)
        return status;
    if (args.nseries == 0) {
        args.series[args.nseries++] = "train.loss";
        args.series[args.nseries++] = "val.psnr_pooled";
        args.series[args.nseries++] = ANALYSIS_PRIMARY_NAME;
    }
    store *s;
    if ((status = cmd_open_db("diff", &d, &s)) != WB_EXIT_OK)
        return status;
    diff_run a = { 0 }, b = { 0 };
    char err[2048];
    int rc = load(s, argv[optind], &a, err, sizeof err);
    if (rc == 0)
        rc = load(s, argv[optind + 1], &b, err, sizeof err);
    if (rc != 0) {
        wb_error("diff", "%s", err);
        status = rc > 0 ? WB_EXIT_USAGE : WB_EXIT_FAILURE;
    } else {
        char ha[64], hb[64];
        snprintf(ha, sizeof ha, "A = run %lld", (long long)a.id);
        snprintf(hb, sizeof hb, "B = run %lld", (long long)b.id);
        table *c = config_table(&a, &b, ha, hb);
        table *m = csv ? metrics_table(&a, &b, args.series, args.nseries, 1) : NULL;
        if (!c || (csv && !m)) {
            wb_error("diff", "out of memory");
            status = WB_EXIT_FAILURE;
        } else {
            if (!csv)
                printf("configuration (keys that differ):\n");
            if (table_rows(c) > 0 || csv)
                table_print(c, stdout, csv);
            else
                printf("  none: the same configuration and seed\n");
            if (!csv)
                printf("\nmetrics per epoch (%s, %s; %s, %s):\n", ha,
                       store_status_name(a.r.status), hb, store_status_name(b.r.status));
            else
                printf("\r\n");
            if (csv)
                table_print(m, stdout, csv);
            /* For people, a table per metric under its title (the primary metric's is "PSNR"),
             * so that the lines stay narrow whatever the number of metrics. */
            for (int k = 0; !csv && status == WB_EXIT_OK && k < args.nseries; k++) {
                const int series = analysis_series_find(args.series[k]);
                const char *unit = analysis_series_unit(series);
                table *one = metrics_table(&a, &b, &args.series[k], 1, 0);
                if (!one) {
                    wb_error("diff", "out of memory");
                    status = WB_EXIT_FAILURE;
                    break;
                }
                printf("\n%s%s%s (%s):\n",
                       series >= 0 ? analysis_series_title(series).text : args.series[k],
                       *unit ? ", " : "", unit, args.series[k]);
                table_print(one, stdout, 0);
                table_free(one);
            }
        }
        table_free(c);
        table_free(m);
    }
    unload(&a);
    unload(&b);
    store_close(s);
    return status;
}
