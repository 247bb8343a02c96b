/* plots/charts.c: data files and gnuplot scripts of the report's charts; see charts.h. */
#include "plots/charts.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/budget.h"
#include "analysis/label.h"
#include "base/fileio.h"
#include "plots/escape.h"
#include "plots/gnuplot.h"

/* The series drawn here. PSNR is the primary metric, pooled over the split's pixels, under its one
 * name; the mean of per-patch PSNRs is not drawn. */
#define TEST_PSNR ANALYSIS_SERIES(METRIC_TEST, METRIC_PSNR_POOLED)
#define TEST_SSIM ANALYSIS_SERIES(METRIC_TEST, METRIC_SSIM)
#define TEST_LAP4 ANALYSIS_SERIES(METRIC_TEST, METRIC_LAP4_MSE)
#define TEST_LAP8 ANALYSIS_SERIES(METRIC_TEST, METRIC_LAP8_MSE)
#define VAL_PSNR_POOLED ANALYSIS_SERIES(METRIC_VAL, METRIC_PSNR_POOLED)
#define VAL_SSIM ANALYSIS_SERIES(METRIC_VAL, METRIC_SSIM)
#define TRAIN_LOSS_PIXEL ANALYSIS_SERIES(METRIC_TRAIN, METRIC_LOSS_PIXEL)
#define TRAIN_LOSS_LAP ANALYSIS_SERIES(METRIC_TRAIN, METRIC_LOSS_LAP)

#define CHART_WIDTH 800
#define TITLE_NAME_CHARS 48     /* of the sweep name in a chart title; the page has it whole */

typedef struct chart_info {
    const char *name, *title;
} chart_info;

static const chart_info chart_table[CHART_COUNT] = {
    [CHART_BUDGET] = { "budget", "Effect over the training budget" },
    [CHART_EFFECT] = { "effect", "Effect against the baseline" },
    [CHART_LEARNING_CURVES] = { "learning_curves", "Learning curves" },
    [CHART_LAMBDA_RESPONSE] = { "lambda_response", "Response to the Laplacian weight λ" },
    [CHART_LOSS_COMPONENTS] = { "loss_components", "Loss components during training" },
    [CHART_TRADEOFF] = { "tradeoff", "Trade-off: PSNR against Laplacian error, run by run" },
};

const char *chart_name(enum chart_kind kind)
{
    return kind < CHART_COUNT ? chart_table[kind].name : "?";
}

const char *chart_title(enum chart_kind kind)
{
    return kind < CHART_COUNT ? chart_table[kind].title : "?";
}

int chart_applies(const analysis *a, enum chart_kind kind)
{
    return kind != CHART_BUDGET || a->nbudgets >= 2;
}

/* ---- what the charts share ------------------------------------------------------------- */

/* A colour per distinct λ, the same in every chart and in wb serve (serve/assets/app.js): λ = 0
 * black; up to six others the colour-blind-safe colours of Okabe and Ito in λ order (without
 * their yellow, faint on white), which no two λ share and every common colour vision tells
 * apart; more λ than that along viridis from dark blue to green (its pale yellow end is hard to
 * see on white). */
const char *const chart_lambda_palette[CHART_LAMBDA_PALETTE] = { "#0072b2", "#e69f00", "#009e73",
                                                                 "#cc79a7", "#d55e00",
                                                                 "#56b4e9" };

static void lambda_colour(const analysis *a, double lambda, char out[8])
{
    if (lambda == 0) {
        snprintf(out, 8, "#000000");
        return;
    }
    size_t count = 0, rank = 0;
    for (size_t i = 0; i < a->nconfigs; i++) {
        double l = a->configs[i].lambda;
        int first = 1;
        for (size_t j = 0; j < i; j++)
            if (a->configs[j].lambda == l)
                first = 0;
        if (l == 0 || !first)
            continue;
        rank += l < lambda;
        count++;
    }
    if (count <= CHART_LAMBDA_PALETTE) {
        snprintf(out, 8, "%s", chart_lambda_palette[rank < count ? rank : 0]);
        return;
    }
    static const double stops[5][3] = { { 0x44, 0x01, 0x54 }, { 0x3b, 0x52, 0x8b },
                                        { 0x21, 0x91, 0x8c }, { 0x5e, 0xc9, 0x62 },
                                        { 0xfd, 0xe7, 0x25 } };
    double t = count > 1 ? 0.85 * (double)rank / (double)(count - 1) : 0.45;
    double pos = t * 4;
    int k = pos >= 4 ? 3 : (int)pos;
    double f = pos - k;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(stops[k][c] + f * (stops[k + 1][c] - stops[k][c]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* A colour and point type per panel (kernel), colour-blind safe (Okabe and Ito). */
static const char *panel_colour(size_t panel)
{
    static const char *const colours[] = { "#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                           "#e69f00", "#56b4e9" };
    return colours[panel % (sizeof colours / sizeof colours[0])];
}

static int panel_point(size_t panel)
{
    static const int points[] = { 7, 9, 5, 11, 13, 15 };
    return points[panel % (sizeof points / sizeof points[0])];
}

/* Text in a data file's comment line: control characters (a newline would end the comment)
 * become spaces. */
static void comment_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

/* The sweep name cut to n characters (UTF-8 aware) with "…" when cut. */
static void short_name(const char *name, size_t n, char *out, size_t outlen)
{
    size_t chars = 0, i = 0;
    for (; name[i]; i++) {
        if (((unsigned char)name[i] & 0xc0) != 0x80 && chars++ == n)
            break;
    }
    snprintf(out, outlen, "%.*s%s", (int)i, name, name[i] ? "…" : "");
}

/* What a panel is called in legends: its axis values, or "mean over seeds" when λ is the only
 * axis (there is one panel, nothing to tell apart). */
static const char *panel_name(const analysis *a, size_t panel)
{
    const char *label = a->panels[panel].label;
    return *label ? label : "mean over seeds";
}

static void write_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.10g", v);
    else
        fputs(" NaN", f);
}

/* Mean and t interval of a series at one epoch over a configuration's finished runs; x has room
 * for the configuration's runs. */
static size_t epoch_summary(const analysis *a, const analysis_config *c, int series, int epoch,
                            double *x, double *mean, double *lo, double *hi)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        double v = analysis_run_value(r, series, epoch);
        if (r->status == STORE_FINISHED && isfinite(v))
            x[n++] = v;
    }
    stats_summary s;
    *mean = *lo = *hi = NAN;
    if (n == 0 || stats_summarize(x, n, a->alpha, &s, NULL, 0) != 0)
        return 0;
    *mean = s.mean;
    if (s.has_spread) {
        *lo = s.ci_low;
        *hi = s.ci_high;
    }
    return n;
}

static int max_epoch(const analysis *a)
{
    int e = 0;
    for (size_t i = 0; i < a->nruns; i++)
        if (a->runs[i].nepochs - 1 > e)
            e = a->runs[i].nepochs - 1;
    return e;
}

/* Per-epoch data: one block per (panel, configuration of the panel), in that order, each
 * "epoch mean lo hi [mean lo hi ...] n". Returns -1 when memory runs out. */
static int write_epoch_data(FILE *f, const analysis *a, const int *series, int nseries)
{
    double *x = malloc((a->nruns ? a->nruns : 1) * sizeof *x);
    if (!x)
        return -1;
    fputs("# wb report: per-epoch means over each configuration's finished runs, with the\n"
          "# bounds of the 95% Student-t interval (NaN with fewer than two runs).\n"
          "# columns: epoch",
          f);
    for (int s = 0; s < nseries; s++) {
        const analysis_text n = analysis_series_name(series[s]);
        fprintf(f, " %s_mean %s_lo %s_hi", n.text, n.text, n.text);
    }
    fputs(" n\n", f);
    size_t block = 0;
    int last = max_epoch(a);
    for (size_t p = 0; p < a->npanels; p++) {
        for (size_t k = 0; k < a->panels[p].nconfigs; k++) {
            const analysis_config *c = &a->configs[a->panels[p].configs[k]];
            fprintf(f, "\n\n# block %zu: ", block++);
            comment_text(f, panel_name(a, p));
            fputs(" | ", f);
            comment_text(f, c->label);
            fputc('\n', f);
            for (int e = 0; e <= last; e++) {
                size_t n = 0;
                fprintf(f, "%d", e);
                for (int s = 0; s < nseries; s++) {
                    double mean, lo, hi;
                    size_t ns = epoch_summary(a, c, series[s], e, x, &mean, &lo, &hi);
                    n = ns > n ? ns : n;
                    write_number(f, mean);
                    write_number(f, lo);
                    write_number(f, hi);
                }
                fprintf(f, " %zu\n", n);
            }
        }
    }
    free(x);
    return 0;
}

/* The start of every script: encoding, missing values, and the loop that draws the same plot
 * once as PNG and once as SVG. */
static void script_begin(FILE *f, const char *name, int height, const char *what)
{
    fprintf(f, "# %s.gp: %s\n", name, what);
    fprintf(f, "# Written by wb report. Edit and redraw both files with: gnuplot %s.gp\n", name);
    fprintf(f, "# (run it in this folder: the data file %s.dat is named relatively).\n", name);
    fputs("set encoding utf8\nset datafile missing 'NaN'\n", f);
    fprintf(f, "do for [fmt in 'png svg'] {\n"
               "if (fmt eq 'png') {\n"
               "    set terminal pngcairo size %d,%d noenhanced font 'Sans,11' linewidth 1.3\n"
               "} else {\n"
               "    set terminal svg size %d,%d noenhanced font 'Sans,11' linewidth 1.3 "
               "background '#ffffff'\n"
               "}\n"
               "set output '%s.'.fmt\n", CHART_WIDTH, height, CHART_WIDTH, height, name);
    fputs("set grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n", f);
}

static void script_end(FILE *f)
{
    fputs("unset multiplot\nset output\n}\n", f);
}

/* The layout and the figure's title; `layout_extra` (may be "") adds margins and spacing. */
static void multiplot_title(FILE *f, const analysis *a, int rows, int cols, const char *what,
                            const char *layout_extra)
{
    char name[256];
    short_name(a->name, TITLE_NAME_CHARS, name, sizeof name);
    fprintf(f, "set multiplot layout %d,%d%s title ", rows, cols, layout_extra);
    escape_format(f, escape_gnuplot, "%s: %s", name, what);
    fputs(" font ',13'\n", f);
}

/* A panel without anything to draw: gnuplot refuses to autoscale over no points, and a reader
 * should see why it is empty. */
static void empty_plot(FILE *f)
{
    fputs("unset key\nset yrange [0:1]\n"
          "set label 1 'no finished run to show' at graph 0.5, 0.5 center\n"
          "plot NaN notitle\nunset label 1\n", f);
}

/* How many finished runs of the configuration have a value of the series (at some epoch): one
 * gives a line, two or more a band as well. */
static size_t runs_with_values(const analysis *a, const analysis_config *c, int series)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        int any = 0;
        for (int e = 0; r->status == STORE_FINISHED && e < r->nepochs && !any; e++)
            any = isfinite(analysis_run_value(r, series, e));
        n += any;
    }
    return n;
}

/* A per-epoch chart: rows of panels (one per kernel), two columns of series. */
typedef struct epoch_chart {
    const char *name;           /* file stem */
    int series[2];              /* per column; the data file holds them in this order */
    const char *titles[2];
    int skip_baseline_col;      /* the column where the baseline has nothing to show, or -1 */
    int first_epoch;            /* the view starts here */
    int losses;                 /* never negative: the view stops at 0, or is logarithmic where
                                 * the values span more than a factor of 20 */
    const char *ylabel[2], *ylabel_log[2];  /* per column */
    const char *key;
} epoch_chart;

typedef struct view {
    double lo, hi;              /* NaN: let gnuplot choose */
    int log;
} view;

static double to_view(double v, int log)
{
    return log ? log10(v) : v;
}

static double from_view(double v, int log)
{
    return log ? pow(10, v) : v;
}

/* The y range of one panel. Means decide it; a band may widen it by up to 3/4 of the means' own
 * range on each side and is cut beyond that: with two or three seeds t is large (12.7 for two)
 * and uncut bands would flatten every curve into one line. */
static view epoch_view(const analysis *a, const epoch_chart *ec, size_t panel, int col, double *x)
{
    const analysis_panel *p = &a->panels[panel];
    double mmin = INFINITY, mmax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
    int last = max_epoch(a);
    for (size_t k = 0; k < p->nconfigs; k++) {
        const analysis_config *c = &a->configs[p->configs[k]];
        if (col == ec->skip_baseline_col && c->is_baseline)
            continue;
        for (int e = ec->first_epoch; e <= last; e++) {
            double mean, lo, hi;
            if (epoch_summary(a, c, ec->series[col], e, x, &mean, &lo, &hi) == 0)
                continue;
            mmin = fmin(mmin, mean);
            mmax = fmax(mmax, mean);
            if (isfinite(lo)) {
                bmin = fmin(bmin, lo);
                bmax = fmax(bmax, hi);
            }
        }
    }
    view v = { NAN, NAN, 0 };
    if (!isfinite(mmin))
        return v;
    v.log = ec->losses && mmin > 0 && mmax / mmin >= 20;
    double tmin = to_view(mmin, v.log), tmax = to_view(mmax, v.log);
    double range = tmax - tmin;
    double pad = range > 0 ? 0.75 * range : v.log ? 0.1 : fmax(0.05 * fabs(tmin), 1e-3);
    double lo = tmin - pad, hi = tmax + pad;
    if (isfinite(bmin) && (!v.log || bmin > 0))
        lo = fmax(lo, fmin(to_view(bmin, v.log), tmin));
    if (isfinite(bmax))
        hi = fmin(hi, fmax(to_view(bmax, v.log), tmax));
    double margin = 0.05 * (hi - lo > 0 ? hi - lo : 1);
    if (ec->losses && !v.log && lo - margin < 0)
        lo = margin;
    v.lo = from_view(lo - margin, v.log);
    v.hi = from_view(hi + margin, v.log);
    return v;
}

/* The plot elements of one configuration: its band (cut to the view) and its mean. */
static void plot_epoch_series(FILE *f, const analysis *a, const char *file, size_t block,
                              const analysis_config *c, int col, int band, const view *v,
                              int with_title, int *first)
{
    char colour[8];
    lambda_colour(a, c->lambda, colour);
    fprintf(f, "%s'%s' index %zu ", *first ? "plot " : "     ", file, block);
    if (band) {
        fprintf(f, "using 1:($%d < %.10g ? %.10g : $%d):($%d > %.10g ? %.10g : $%d) ", col + 1,
                v->lo, v->lo, col + 1, col + 2, v->hi, v->hi, col + 2);
        fprintf(f, "with filledcurves lc rgb '%s' fs transparent solid 0.15 noborder notitle, "
                   "\\\n     '' index %zu ", colour, block);
    }
    fprintf(f, "using 1:%d with linespoints lc rgb '%s' lw %s pt 7 ps 0.5 dt %d ", col, colour,
            c->is_baseline ? "3" : "2", c->is_baseline ? 2 : 1);
    if (with_title) {
        fputs("title ", f);
        /* The panel's title names the other axes; the legend needs only λ and its effective
         * weight. */
        char lambda[128];
        label_lambda(c->lambda, c->effective_weight, lambda, sizeof lambda);
        const long best = a->best[ANALYSIS_LAST][ANALYSIS_PRIMARY_SERIES];
        escape_format(f, escape_gnuplot, "%s%s", lambda,
                      c->is_baseline                       ? " (baseline)"
                      : best >= 0 && &a->configs[best] == c ? " (best)"
                                                           : "");
    } else {
        fputs("notitle", f);
    }
    *first = 0;
}

/* The script of a per-epoch chart after its header: one row of two panels per kernel. */
static int write_epoch_panels(FILE *f, const analysis *a, const epoch_chart *ec)
{
    double *x = malloc((a->nruns ? a->nruns : 1) * sizeof *x);
    if (!x)
        return -1;
    char file[64];
    snprintf(file, sizeof file, "%s.dat", ec->name);
    int last = max_epoch(a);
    fprintf(f, "set xlabel 'epoch'\nset xrange [%d:%d]\n", ec->first_epoch,
            last > ec->first_epoch ? last : ec->first_epoch + 1);
    if (last <= 20)
        fputs("set xtics 1\n", f);
    size_t block = 0;
    for (size_t pi = 0; pi < a->npanels; pi++) {
        const analysis_panel *p = &a->panels[pi];
        for (int col = 0; col < 2; col++) {
            view v = epoch_view(a, ec, pi, col, x);
            fputs("set title ", f);
            escape_format(f, escape_gnuplot, "%s%s%s", ec->titles[col],
                          *p->label ? ", " : "", p->label);
            fprintf(f, "\n%s logscale y\nset ylabel '%s'\n", v.log ? "set" : "unset",
                    v.log ? ec->ylabel_log[col] : ec->ylabel[col]);
            /* The legend once per row: the right panel has the same lines. */
            if (col == 0)
                fprintf(f, "set key %s font ',9' opaque box lc rgb '#cccccc' samplen 2\n",
                        ec->key);
            else
                fputs("unset key\n", f);
            if (isfinite(v.lo))
                fprintf(f, "set yrange [%.10g:%.10g]\n", v.lo, v.hi);
            else
                fputs("set autoscale y\n", f);
            int first = 1;
            /* The others first, the baselines last: drawn on top, never hidden. Bands only for
             * the baseline and the best configuration (by mean final test primary metric):
             * with six or more translucent bands a panel turns into one muddy area. */
            const long best = a->best[ANALYSIS_LAST][ANALYSIS_PRIMARY_SERIES];
            for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < p->nconfigs && isfinite(v.lo); k++) {
                    const analysis_config *c = &a->configs[p->configs[k]];
                    if (c->is_baseline != pass ||
                        (col == ec->skip_baseline_col && c->is_baseline) ||
                        runs_with_values(a, c, ec->series[col]) == 0)
                        continue;
                    if (!first)
                        fputs(", \\\n", f);
                    int band = runs_with_values(a, c, ec->series[col]) >= 2 &&
                               (c->is_baseline || (long)p->configs[k] == best);
                    plot_epoch_series(f, a, file, block + k, c, 2 + 3 * col, band, &v, col == 0,
                                      &first);
                }
            if (first)
                empty_plot(f);
            else
                fputc('\n', f);
        }
        block += p->nconfigs;
    }
    free(x);
    return 0;
}

static int write_epoch_chart(FILE *dat, FILE *gp, const analysis *a, const epoch_chart *ec,
                             const char *what, const char *title)
{
    if (write_epoch_data(dat, a, ec->series, 2) != 0)
        return -1;
    script_begin(gp, ec->name, 90 + 290 * (int)a->npanels, what);
    multiplot_title(gp, a, (int)a->npanels, 2, title, "");
    if (write_epoch_panels(gp, a, ec) != 0)
        return -1;
    script_end(gp);
    return 0;
}

/* ---- 0. the effect against the baseline ------------------------------------------------ */

/* The three effects: the primary metric, the Laplacian error of the configuration's own kernel
 * (TEST_OWN_LAP: column chosen per configuration), SSIM. */
#define TEST_OWN_LAP (-1)
static const int effect_series[] = { ANALYSIS_PRIMARY_SERIES, TEST_OWN_LAP, TEST_SSIM };
#define NEFFECT 3

static int own_laplacian_series(const analysis_config *c)
{
    return c->kernel && strcmp(c->kernel, "4") == 0 ? TEST_LAP4 : TEST_LAP8;
}

/* A multiplicative sideways shift per panel on the log axis, so that the kernels' bars at one
 * weight do not hide each other. */
static double log_dodge(const analysis *a, size_t panel)
{
    return a->npanels > 1 ? pow(10, 0.025 * ((double)panel - (double)(a->npanels - 1) / 2)) : 1;
}

static int write_effect(FILE *dat, FILE *gp, const analysis *a)
{
    fputs("# wb report: the paired difference against the baseline (configuration - baseline,\n"
          "# same seed), mean over the seed pairs and its 95% Student-t interval (NaN with fewer\n"
          "# than two pairs), at the last epoch, per configuration with λ > 0. One block per\n"
          "# panel (kernel). The Laplacian error is that of the configuration's own kernel.\n"
          "# columns: effective_weight lambda primary_diff primary_lo primary_hi own_lap_diff\n"
          "#          own_lap_lo own_lap_hi ssim_diff ssim_lo ssim_hi pairs\n", dat);
    double wmin = INFINITY, wmax = -INFINITY;
    for (size_t p = 0; p < a->npanels; p++) {
        fprintf(dat, "\n\n# block %zu: ", p);
        comment_text(dat, panel_name(a, p));
        fputc('\n', dat);
        int any = 0;
        for (size_t k = 0; k < a->panels[p].nconfigs; k++) {
            const analysis_config *c = &a->configs[a->panels[p].configs[k]];
            if (c->is_baseline || !(c->effective_weight > 0))
                continue;
            fprintf(dat, "%.10g %.10g", c->effective_weight, c->lambda);
            size_t pairs = 0;
            for (int s = 0; s < NEFFECT; s++) {
                int series = effect_series[s] == TEST_OWN_LAP ? own_laplacian_series(c)
                                                              : effect_series[s];
                const analysis_stat *st = &c->stat[ANALYSIS_LAST][series];
                const stats_summary *d = &st->paired.diff;
                write_number(dat, st->npairs > 0 ? d->mean : NAN);
                write_number(dat, st->npairs > 1 && d->has_spread ? d->ci_low : NAN);
                write_number(dat, st->npairs > 1 && d->has_spread ? d->ci_high : NAN);
                pairs = st->npairs > pairs ? st->npairs : pairs;
            }
            fprintf(dat, " %zu\n", pairs);
            wmin = fmin(wmin, c->effective_weight);
            wmax = fmax(wmax, c->effective_weight);
            any = 1;
        }
        if (!any)
            fputs("NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN 0\n", dat);
    }

    script_begin(gp, "effect", 960,
                 "paired difference against the baseline over the effective weight");
    multiplot_title(gp, a, NEFFECT, 1, "effect against the baseline (paired, 95% t)",
                    " margins 0.12, 0.97, 0.13, 0.93 spacing 0, 0.075");
    if (!isfinite(wmin)) {
        wmin = 0.1;
        wmax = 10;
    }
    fprintf(gp, "set logscale x\nset xrange [%.10g:%.10g]\nset bars 0.6\nunset key\n",
            wmin / 2, wmax * 2);
    static const char *const titles[NEFFECT] = {
        "test PSNR (dB): configuration − baseline, higher is better",
        "test Laplacian error of its own kernel: configuration − baseline, lower is better",
        "test SSIM: configuration − baseline, higher is better",
    };
    static const enum metric_id metrics[NEFFECT] = { ANALYSIS_PRIMARY_METRIC, METRIC_LAP8_MSE,
                                                     METRIC_SSIM };
    for (int s = 0; s < NEFFECT; s++) {
        int col = 3 + 3 * s;
        /* The equivalence band ±δ where the metric has a margin (the Laplacian errors of the two
         * kernels differ in scale: their margin, if any, is the K8 one's). */
        double delta = a->margin[metrics[s]];
        /* The view: the means, zero and the band decide it; a bar may widen it by 3/4 of that
         * range on each side and is cut beyond (with three seeds t is 4.3 and whole bars would
         * flatten the means into the zero line). */
        double lo = fmin(0, -delta), hi = fmax(0, delta), blo = INFINITY, bhi = -INFINITY;
        for (size_t ci = 0; ci < a->nconfigs; ci++) {
            const analysis_config *c = &a->configs[ci];
            if (c->is_baseline || !(c->effective_weight > 0))
                continue;
            int series = effect_series[s] == TEST_OWN_LAP ? own_laplacian_series(c)
                                                          : effect_series[s];
            const analysis_stat *st = &c->stat[ANALYSIS_LAST][series];
            if (st->npairs == 0 || !isfinite(st->paired.diff.mean))
                continue;
            lo = fmin(lo, st->paired.diff.mean);
            hi = fmax(hi, st->paired.diff.mean);
            if (st->npairs > 1 && st->paired.diff.has_spread) {
                blo = fmin(blo, st->paired.diff.ci_low);
                bhi = fmax(bhi, st->paired.diff.ci_high);
            }
        }
        double range = hi - lo > 0 ? hi - lo : 1e-3;
        double vlo = isfinite(blo) ? fmax(fmin(blo, lo), lo - 0.75 * range) : lo;
        double vhi = isfinite(bhi) ? fmin(fmax(bhi, hi), hi + 0.75 * range) : hi;
        double pad = 0.05 * (vhi - vlo > 0 ? vhi - vlo : 1e-3);
        fprintf(gp, "set title '%s'\nset ylabel 'difference'\nset yrange [%.10g:%.10g]\n",
                titles[s], vlo - pad, vhi + pad);
        if (s == NEFFECT - 1)
            fputs("set xlabel 'effective weight λ·Σk² of the normalised stencil (log scale)'\n"
                  "set format x '%g'\n", gp);
        else
            fputs("unset xlabel\nset format x ''\n", gp);
        fputs("unset object 1\n", gp);
        if (delta > 0)
            fprintf(gp, "set object 1 rect from graph 0, first %.10g to graph 1, first %.10g "
                        "behind fc rgb '#dcefd9' fs solid 1.0 noborder clip\n", -delta, delta);
        fputs("plot 0 with lines lc rgb '#000000' lw 1.5 notitle", gp);
        if (delta > 0)
            fprintf(gp, ", %.10g with lines lc rgb '#9cc795' dt 3 notitle, %.10g with lines "
                        "lc rgb '#9cc795' dt 3 notitle", delta, -delta);
        for (size_t p = 0; p < a->npanels; p++) {
            double dx = log_dodge(a, p);
            const char *colour = panel_colour(p);
            fprintf(gp, ", \\\n     'effect.dat' index %zu using ($1*%.6g):%d:%d:%d with "
                        "yerrorbars lc rgb '%s' pt %d ps 0.9 notitle, \\\n     '' index %zu "
                        "using ($1*%.6g):%d with lines lc rgb '%s' lw 2 notitle",
                    p, dx, col, col + 1, col + 2, colour, panel_point(p), p, dx, col, colour);
        }
        fputc('\n', gp);
    }
    fputs("unset object 1\n", gp);
    /* The legend, across the bottom strip of the figure. */
    fputs("unset logscale x\nset lmargin at screen 0.02\nset rmargin at screen 0.98\n"
          "set bmargin at screen 0\nset tmargin at screen 0.05\nunset border\nunset tics\n"
          "unset xlabel\nunset ylabel\nunset title\nunset grid\nset xrange [0:1]\n"
          "set yrange [0:1]\nset key center center horizontal font ',10' samplen 3 box "
          "lc rgb '#cccccc'\nplot NaN with lines lc rgb '#000000' lw 1.5 title 'no difference'",
          gp);
    fprintf(gp, ", NaN with boxes fc rgb '#dcefd9' fs solid 1.0 noborder title "
                "'equivalent within ±δ (δ = %g dB for PSNR)'",
            a->margin[ANALYSIS_PRIMARY_METRIC]);
    for (size_t p = 0; p < a->npanels; p++) {
        fprintf(gp, ", NaN with linespoints lc rgb '%s' pt %d lw 2 title ", panel_colour(p),
                panel_point(p));
        escape_gnuplot(gp, panel_name(a, p));
    }
    fputc('\n', gp);
    script_end(gp);
    return 0;
}

/* ---- the effect over the training budget ---------------------------------------------- */

/* A dash type per panel (kernel) of the families, for the budget chart, whose colours are λ's. */
static int panel_dash(size_t panel)
{
    static const int dashes[] = { 1, 2, 4, 5, 3 };
    return dashes[panel % (sizeof dashes / sizeof dashes[0])];
}

static int write_budget(FILE *dat, FILE *gp, const analysis *a)
{
    fputs("# wb report: the paired difference against the baseline of the same budget\n"
          "# (configuration - baseline, same seed) of the test primary metric at the last epoch,\n"
          "# mean over the seed pairs and its 95% Student-t interval (NaN with fewer than two\n"
          "# pairs), per configuration with λ > 0 (one block each) and budget.\n"
          "# columns: epochs diff lo hi pairs\n", dat);
    const int series = ANALYSIS_PRIMARY_SERIES;
    const double delta = a->margin[ANALYSIS_PRIMARY_METRIC];
    double lo = fmin(0, -delta), hi = fmax(0, delta);
    size_t blocks = 0;
    for (size_t f = 0; f < a->nfamilies; f++) {
        const analysis_family *fam = &a->families[f];
        if (fam->is_baseline)
            continue;
        fprintf(dat, "\n\n# block %zu: ", blocks++);
        comment_text(dat, fam->label);
        fputc('\n', dat);
        for (size_t b = 0; b < a->nbudgets; b++) {
            if (fam->configs[b] == SIZE_MAX)
                continue;
            const analysis_stat *st = &a->configs[fam->configs[b]].stat[ANALYSIS_LAST][series];
            const stats_summary *d = &st->paired.diff;
            const int spread = st->npairs > 1 && d->has_spread;
            fprintf(dat, "%d", a->budgets[b]);
            write_number(dat, st->npairs ? d->mean : NAN);
            write_number(dat, spread ? d->ci_low : NAN);
            write_number(dat, spread ? d->ci_high : NAN);
            fprintf(dat, " %zu\n", st->npairs);
            if (st->npairs && isfinite(d->mean)) {
                lo = fmin(lo, spread ? fmax(d->ci_low, d->mean - 4 * delta) : d->mean);
                hi = fmax(hi, spread ? fmin(d->ci_high, d->mean + 4 * delta) : d->mean);
            }
        }
    }
    if (blocks == 0)
        fputs("\n\n# block 0: nothing to compare\nNaN NaN NaN NaN 0\n", dat);
    const int legend_rows = (int)(blocks + 2) / 3 + 1;
    script_begin(gp, "budget", 460 + 22 * legend_rows,
                 "paired difference against the baseline over the training budget");
    char name[256];
    short_name(a->name, TITLE_NAME_CHARS, name, sizeof name);
    fputs("set title ", gp);
    escape_format(gp, escape_gnuplot, "%s: effect over the training budget (paired, 95%% t)",
                  name);
    fputs(" font ',13'\n", gp);
    const double pad = 0.05 * (hi - lo > 0 ? hi - lo : 1e-3);
    const int first = a->nbudgets ? a->budgets[0] : 1, last = a->nbudgets ? a->budgets[a->nbudgets - 1] : 2;
    fprintf(gp, "set logscale x 2\nset xrange [%.10g:%.10g]\nset yrange [%.10g:%.10g]\n"
                "set xlabel 'training budget (epochs, log scale)'\n"
                "set ylabel 'test PSNR: configuration − baseline (dB)'\n"
                "set bars 0.6\nset xtics (",
            first / 1.3, last * 1.3, lo - pad, hi + pad);
    for (size_t b = 0; b < a->nbudgets; b++)
        fprintf(gp, "%s'%d' %d", b ? ", " : "", a->budgets[b], a->budgets[b]);
    fprintf(gp, ")\nset key outside below center horizontal maxcols 3 font ',10' samplen 3\n"
                "set object 1 rect from graph 0, first %.10g to graph 1, first %.10g behind "
                "fc rgb '#dcefd9' fs solid 1.0 noborder clip\n", -delta, delta);
    fputs("plot 0 with lines lc rgb '#000000' lw 1.5 title 'no difference'", gp);
    fprintf(gp, ", NaN with boxes fc rgb '#dcefd9' fs solid 1.0 noborder title "
                "'equivalent within ±%g dB'", delta);
    size_t block = 0;
    for (size_t f = 0; f < a->nfamilies; f++) {
        const analysis_family *fam = &a->families[f];
        if (fam->is_baseline)
            continue;
        size_t any = SIZE_MAX;
        for (size_t b = 0; any == SIZE_MAX && b < a->nbudgets; b++)
            any = fam->configs[b];
        const analysis_config *c = &a->configs[any];
        char colour[8];
        lambda_colour(a, c->lambda, colour);
        /* sideways by the family's panel (its kernel), so that the bars of one λ and two kernels
         * do not hide each other: a few percent of a factor of two on the log2 axis */
        const double dx = a->nfamily_panels > 1
            ? pow(2, 0.08 * ((double)fam->panel - (double)(a->nfamily_panels - 1) / 2)) : 1;
        fprintf(gp, ", \\\n     'budget.dat' index %zu using ($1*%.6g):2:3:4 with yerrorbars "
                    "lc rgb '%s' pt %d ps 0.9 notitle, \\\n     '' index %zu using ($1*%.6g):2 "
                    "with lines lc rgb '%s' dt %d lw 2 title ",
                block, dx, colour, panel_point(fam->panel), block, dx, colour,
                panel_dash(fam->panel));
        escape_gnuplot(gp, fam->label);
        block++;
    }
    fputc('\n', gp);
    fputs("unset object 1\n", gp);
    script_end(gp);
    return 0;
}

/* ---- 1. learning curves ---------------------------------------------------------------- */

static int write_learning_curves(FILE *dat, FILE *gp, const analysis *a)
{
    /* Epoch 0 (the initial weights) is far below the rest and would flatten the curves. */
    /* The validation split, the one read every epoch: the test split is read at the last and
     * the best epoch only (model/train.h). */
    const epoch_chart ec = { "learning_curves", { VAL_PSNR_POOLED, VAL_SSIM },
                             { "validation PSNR", "validation SSIM" }, -1,
                             max_epoch(a) >= 3 ? 1 : 0, 0, { "PSNR (dB)", "SSIM" },
                             { "PSNR (dB)", "SSIM" }, "bottom right" };
    return write_epoch_chart(dat, gp, a, &ec,
                             "validation PSNR and SSIM per epoch, mean over seeds, 95% t bands",
                             "validation PSNR and SSIM per epoch (mean of finished seeds, "
                             "shaded: 95% t-interval)");
}

/* ---- 3. loss components ---------------------------------------------------------------- */

static int write_loss_components(FILE *dat, FILE *gp, const analysis *a)
{
    const epoch_chart ec = { "loss_components", { TRAIN_LOSS_PIXEL, TRAIN_LOSS_LAP },
                             { "pixel part", "Laplacian part (unweighted)" }, 1, 1, 1,
                             { "loss", "loss" }, { "loss (log scale)", "loss (log scale)" },
                             "top right" };
    return write_epoch_chart(dat, gp, a, &ec,
                             "train loss parts per epoch, mean over seeds, 95% t bands",
                             "train loss parts per epoch (mean of finished seeds, 95% t band)");
}

/* ---- 2. λ response --------------------------------------------------------------------- */

static const int response_series[] = { TEST_PSNR, TEST_SSIM, TEST_LAP4, TEST_LAP8 };
#define NRESPONSE 4

static double max_lambda(const analysis *a)
{
    double m = 0;
    for (size_t i = 0; i < a->nconfigs; i++)
        m = a->configs[i].lambda > m ? a->configs[i].lambda : m;
    return m;
}

/* " (eff. = 72 λ)": how a panel's λ maps to its effective weight (one kernel and normalisation
 * per panel); "" for a panel of baselines. */
static void panel_strength(const analysis *a, size_t panel, char *text, size_t len)
{
    text[0] = '\0';
    for (size_t k = 0; k < a->panels[panel].nconfigs && !text[0]; k++) {
        const analysis_config *c = &a->configs[a->panels[panel].configs[k]];
        if (c->is_baseline)
            continue;
        char gain[40];
        if (isfinite(c->gain))
            format_significant(c->gain, 3, gain, sizeof gain);
        else
            snprintf(gain, sizeof gain, "?");
        snprintf(text, len, " (eff. = %s λ)", gain);
    }
}

static int write_lambda_response(FILE *dat, FILE *gp, const analysis *a)
{
    fputs("# wb report: final test metrics (last epoch) per configuration: mean over finished\n"
          "# runs and the 95% Student-t interval (NaN with fewer than two runs). One block per\n"
          "# panel (kernel), its baseline (λ = 0) first.\n# columns: lambda", dat);
    for (int s = 0; s < NRESPONSE; s++) {
        const analysis_text n = analysis_series_name(response_series[s]);
        fprintf(dat, " %s_mean %s_lo %s_hi", n.text, n.text, n.text);
    }
    fputs(" n effective_weight\n", dat);
    for (size_t p = 0; p < a->npanels; p++) {
        fprintf(dat, "\n\n# block %zu: ", p);
        comment_text(dat, panel_name(a, p));
        fputc('\n', dat);
        for (size_t k = 0; k < a->panels[p].nconfigs; k++) {
            const analysis_config *c = &a->configs[a->panels[p].configs[k]];
            fprintf(dat, "%.10g", c->lambda);
            for (int s = 0; s < NRESPONSE; s++) {
                const analysis_stat *st = &c->stat[ANALYSIS_LAST][response_series[s]];
                int spread = st->n > 0 && st->summary.has_spread;
                write_number(dat, st->n > 0 ? st->summary.mean : NAN);
                write_number(dat, spread ? st->summary.ci_low : NAN);
                write_number(dat, spread ? st->summary.ci_high : NAN);
            }
            fprintf(dat, " %zu", c->stat[ANALYSIS_LAST][TEST_PSNR].n);
            write_number(dat, c->effective_weight);
            fputc('\n', dat);
        }
    }

    script_begin(gp, "lambda_response", 760,
                 "final test metrics against λ, one line per kernel, 95% t error bars");
    /* One legend for the NRESPONSE panels (2 x 2), below them, so it covers no point. */
    multiplot_title(gp, a, 2, 2, "final test metrics against λ (mean of seeds, 95% t bars)",
                    " margins 0.115, 0.97, 0.16, 0.9 spacing 0.13, 0.16");
    /* λ on a log axis: a grid like 0.01, 0.1, 1, 10 crowds into one spot on a linear one. The
     * baselines (λ = 0) are the dashed lines across. */
    double lmax = max_lambda(a), lmin = lmax;
    for (size_t i = 0; i < a->nconfigs; i++)
        if (a->configs[i].lambda > 0 && a->configs[i].lambda < lmin)
            lmin = a->configs[i].lambda;
    if (!(lmax > 0))
        lmin = 0.1, lmax = 10;
    fprintf(gp, "set xlabel 'Laplacian weight λ (log scale)'\nset logscale x\n"
                "set format x '%%g'\nset xrange [%.10g:%.10g]\n",
            lmin / 2, lmax * 2);
    fputs("set bars 0.6\n", gp);
    size_t nbaselines = 0;
    for (size_t i = 0; i < a->nconfigs; i++)
        nbaselines +=
            a->configs[i].is_baseline && a->configs[i].stat[ANALYSIS_LAST][TEST_PSNR].n > 0;
    static const char *const titles[NRESPONSE] = {
        "test PSNR, higher is better", "test SSIM, higher is better",
        "test lap4_mse (K4), lower is better", "test lap8_mse (K8), lower is better"
    };
    static const char *const ylabels[NRESPONSE] = { "test PSNR (dB)", "SSIM", "lap4_mse",
                                                     "lap8_mse" };
    for (int s = 0; s < NRESPONSE; s++) {
        int col = 2 + 3 * s;
        fprintf(gp, "set title '%s'\nset ylabel '%s'\nset autoscale y\nunset key\n", titles[s],
                ylabels[s]);
        int first = 1;
        /* The baselines as dashed horizontal lines across the whole λ range. */
        for (size_t i = 0; i < a->nconfigs; i++) {
            const analysis_config *c = &a->configs[i];
            const analysis_stat *st = &c->stat[ANALYSIS_LAST][response_series[s]];
            if (!c->is_baseline || st->n == 0)
                continue;
            fprintf(gp, "%s%.10g with lines lc rgb '#000000' dt 2 lw 1.5 notitle",
                    first ? "plot " : ", \\\n     ", st->summary.mean);
            first = 0;
        }

        for (size_t p = 0; p < a->npanels; p++) {
            size_t most = 0;    /* seeds of the configuration with the most, in this panel */
            for (size_t k = 0; k < a->panels[p].nconfigs; k++) {
                size_t n = a->configs[a->panels[p].configs[k]].stat[ANALYSIS_LAST]
                                                                   [response_series[s]].n;
                most = n > most ? n : most;
            }
            if (most == 0)
                continue;
            double dx = log_dodge(a, p);
            const char *colour = panel_colour(p);
            fprintf(gp, "%s'lambda_response.dat' index %zu ", first ? "plot " : ", \\\n     ",
                    p);
            if (most >= 2)
                fprintf(gp, "using ($1 > 0 ? $1*%.6g : NaN):%d:%d:%d with yerrorbars lc rgb '%s' "
                            "pt %d ps 0.9 notitle, \\\n     '' index %zu ", dx, col, col + 1,
                        col + 2, colour, panel_point(p), p);
            else
                fprintf(gp, "using ($1 > 0 ? $1*%.6g : NaN):%d with points lc rgb '%s' pt %d "
                            "ps 0.9 notitle, \\\n     '' index %zu ", dx, col, colour,
                        panel_point(p), p);
            fprintf(gp, "using ($1 > 0 ? $1*%.6g : NaN):%d with lines lc rgb '%s' lw 2 notitle",
                    dx, col, colour);
            first = 0;
        }
        if (first)
            empty_plot(gp);
        else
            fputc('\n', gp);
    }
    /* The legend: a plot of nothing across the bottom strip, whose key has the figure's whole
     * width (a key inside a panel would have a panel's width and cover points). */
    fputs("unset logscale x\n"
          "set lmargin at screen 0.02\nset rmargin at screen 0.98\nset bmargin at screen 0\n"
          "set tmargin at screen 0.07\nunset border\nunset tics\nunset xlabel\nunset ylabel\n"
          "unset title\nunset grid\nset xrange [0:1]\nset yrange [0:1]\n"
          "set key center center horizontal font ',10' samplen 3 box lc rgb '#cccccc'\n"
          "plot ", gp);
    int first = 1;
    for (size_t i = 0; i < a->nconfigs; i++) {
        const analysis_config *c = &a->configs[i];
        if (!c->is_baseline || c->stat[ANALYSIS_LAST][TEST_PSNR].n == 0)
            continue;
        fprintf(gp, "%sNaN with lines lc rgb '#000000' dt 2 lw 1.5 title ", first ? "" : ", ");
        if (nbaselines > 1)
            escape_format(gp, escape_gnuplot, "baseline %s", c->label);
        else
            fputs("'baseline (λ = 0)'", gp);
        first = 0;
    }
    for (size_t p = 0; p < a->npanels; p++) {
        size_t n = 0;
        for (size_t k = 0; k < a->panels[p].nconfigs; k++)
            n += a->configs[a->panels[p].configs[k]].stat[ANALYSIS_LAST][TEST_PSNR].n;
        if (n == 0)
            continue;
        fprintf(gp, "%sNaN with linespoints lc rgb '%s' pt %d lw 2 title ", first ? "" : ", ",
                panel_colour(p), panel_point(p));
        char strength[64];
        panel_strength(a, p, strength, sizeof strength);
        escape_format(gp, escape_gnuplot, "%s%s", panel_name(a, p), strength);
        first = 0;
    }
    fputs(first ? "NaN notitle\n" : "\n", gp);
    script_end(gp);
    return 0;
}

/* ---- 4. trade-off ---------------------------------------------------------------------- */

static int write_tradeoff(FILE *dat, FILE *gp, const analysis *a)
{
    fputs("# wb report: each finished run at its last epoch.\n"
          "# columns: test.lap8_mse test.psnr seed run_id\n", dat);
    size_t nblocks = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        fprintf(dat, "\n\n# block %zu: ", nblocks++);
        comment_text(dat, c->label);
        fputc('\n', dat);
        int any = 0;
        for (size_t i = 0; i < c->nruns; i++) {
            const analysis_run *r = &a->runs[c->runs[i]];
            double x = analysis_run_final(r, TEST_LAP8, ANALYSIS_LAST);
            double y = analysis_run_final(r, TEST_PSNR, ANALYSIS_LAST);
            if (!isfinite(x) || !isfinite(y))
                continue;
            fprintf(dat, "%.10g %.10g %lld %lld\n", x, y, (long long)r->seed, (long long)r->id);
            any = 1;
        }
        if (!any)   /* an empty block would end the file's indexing early for gnuplot */
            fputs("NaN NaN 0 0\n", dat);
    }

    script_begin(gp, "tradeoff", 640,
                 "each run's test PSNR against its test Laplacian error, coloured by λ");
    multiplot_title(gp, a, 1, 1, "test PSNR against Laplacian error, one point per finished run",
                    "");
    fputs("set xlabel 'test lap8_mse (K8 Laplacian MSE, lower is better)'\n"
          "set ylabel 'test PSNR (dB), higher is better'\n"
          /* The legend under the plot: at its right it took 40 % of the width. */
          "set key outside below center horizontal Left reverse font ',9' samplen 1 width 2\n"
          "set title ''\n",
          gp);
    int first = 1;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->stat[ANALYSIS_LAST][TEST_PSNR].n == 0 ||
            c->stat[ANALYSIS_LAST][TEST_LAP8].n == 0)
            continue;
        char colour[8];
        lambda_colour(a, c->lambda, colour);
        fprintf(gp, "%s'tradeoff.dat' index %zu using 1:2 with points lc rgb '%s' pt %d ps 1.4 "
                    "title ", first ? "plot " : ", \\\n     ", ci, colour,
                c->is_baseline ? 6 : panel_point(c->panel));
        escape_gnuplot(gp, c->label);
        first = 0;
    }
    if (first)
        empty_plot(gp);
    else
        fputc('\n', gp);
    script_end(gp);
    return 0;
}

/* ---- writing and drawing --------------------------------------------------------------- */

typedef int (*chart_writer)(FILE *dat, FILE *gp, const analysis *a);

static int write_chart(const analysis *a, const char *dir, enum chart_kind kind,
                       chart_writer writer, char *err, size_t errlen)
{
    char dat_path[4096], gp_path[4096];
    snprintf(dat_path, sizeof dat_path, "%s/%s.dat", dir, chart_name(kind));
    snprintf(gp_path, sizeof gp_path, "%s/%s.gp", dir, chart_name(kind));
    atomic_file dat, gp;
    if (atomic_file_open(&dat, dat_path, err, errlen) != 0)
        return -1;
    if (atomic_file_open(&gp, gp_path, err, errlen) != 0) {
        atomic_file_abort(&dat);
        return -1;
    }
    if (writer(dat.f, gp.f, a) != 0) {
        snprintf(err, errlen, "%s: out of memory", dat_path);
        atomic_file_abort(&dat);
        atomic_file_abort(&gp);
        return -1;
    }
    if (atomic_file_commit(&dat, err, errlen) != 0) {
        atomic_file_abort(&gp);
        return -1;
    }
    return atomic_file_commit(&gp, err, errlen);
}

int charts_write(const analysis *a, const char *dir, char *err, size_t errlen)
{
    static const chart_writer writers[CHART_COUNT] = {
        [CHART_BUDGET] = write_budget,
        [CHART_EFFECT] = write_effect,
        [CHART_LEARNING_CURVES] = write_learning_curves,
        [CHART_LAMBDA_RESPONSE] = write_lambda_response,
        [CHART_LOSS_COMPONENTS] = write_loss_components,
        [CHART_TRADEOFF] = write_tradeoff,
    };
    for (int k = 0; k < CHART_COUNT; k++)
        if (write_chart(a, dir, (enum chart_kind)k, writers[k], err, errlen) != 0)
            return -1;
    return 0;
}

int charts_draw(const char *dir, chart_result results[CHART_COUNT], int *gnuplot_missing,
                char *err, size_t errlen)
{
    char log_path[4096];
    snprintf(log_path, sizeof log_path, "%s/gnuplot.log", dir);
    int rc = 0, missing = 0;
    if (gnuplot_missing)
        *gnuplot_missing = 0;
    FILE *log = fopen(log_path, "w");
    if (!log) {
        snprintf(err, errlen, "%s: cannot be written", log_path);
        return -1;
    }
    fclose(log);
    for (int k = 0; k < CHART_COUNT; k++) {
        chart_result *r = &results[k];
        r->drawn = 0;
        r->error[0] = '\0';
        if (missing) {
            snprintf(r->error, sizeof r->error, "gnuplot not found on PATH");
            continue;
        }
        char script[256];
        snprintf(script, sizeof script, "%s.gp", chart_name((enum chart_kind)k));
        if (gnuplot_run(dir, script, log_path, &missing, r->error, sizeof r->error) == 0) {
            r->drawn = 1;
            continue;
        }
        if (rc == 0)
            snprintf(err, errlen, "%s", r->error);
        rc = -1;
    }
    if (gnuplot_missing)
        *gnuplot_missing = missing;
    return rc;
}

/* ---- captions -------------------------------------------------------------------------- */

void chart_caption(const analysis *a, enum chart_kind kind, char *out, size_t outlen)
{
    int last = max_epoch(a);
    static const char band_note[] =
        "A band that reaches beyond the curves by more than three quarters of their own spread "
        "(as it does with two or three seeds, where t is large) is cut at the panel's edge; the "
        "data file holds its full extent.";
    switch (kind) {
    case CHART_BUDGET: {
        char margin[40];
        format_shortest(a->margin[ANALYSIS_PRIMARY_METRIC], margin, sizeof margin);
        snprintf(out, outlen, "How the effect moves with the training budget: for each "
                 "configuration with λ > 0, the paired difference of test PSNR against "
                 "the λ = 0 baseline trained for the same budget (configuration − baseline, the "
                 "same seed), mean over the seed pairs with its 95%% paired Student-t interval, "
                 "over the budget in epochs on a log2 axis; colour by λ, line style and marker "
                 "by kernel (shifted sideways a little so the bars do not overlap). The green "
                 "band is the equivalence margin ±%s dB. A verdict is settled when it is the same "
                 "at the largest budget and at the largest budget of at most half of it, and the "
                 "two differences agree within half the margin: a line that is flat at its right "
                 "end.", margin);
        break;
    }
    case CHART_EFFECT: {
        char margin[40];
        format_shortest(a->margin[ANALYSIS_PRIMARY_METRIC], margin, sizeof margin);
        snprintf(out, outlen, "The answer as a picture: for each configuration with λ > 0, the "
                 "paired difference against its λ = 0 baseline (configuration − baseline, the "
                 "same seed), mean over the seed pairs with its 95%% paired Student-t interval, "
                 "at the last epoch, over the effective weight λ·Σk² on a log axis (comparable "
                 "across kernels and normalisations, where λ is not), one line per kernel "
                 "(shifted sideways a little so the bars do not overlap). Top: test PSNR (dB), "
                 "the primary metric (here and in every chart PSNR is 10·log10(1/MSE) with the "
                 "MSE over every pixel of the split; the mean of per-patch PSNRs, reported only "
                 "under that name, is not drawn); the green band is the equivalence margin ±%s dB: a "
                 "configuration whose interval lies inside it makes no difference that matters. "
                 "Middle: the test Laplacian error of the configuration's own kernel (K4 or K8 "
                 "MSE of the Laplacian of the error), lower is better. Bottom: test SSIM. An "
                 "interval that does not cross the zero line is a difference before Holm's "
                 "adjustment; the verdicts adjust for the number of configurations.", margin);
        break;
    }
    case CHART_LEARNING_CURVES:
        snprintf(out, outlen, "Validation PSNR in dB (left) and validation SSIM (right) "
                 "after each epoch (the test split is read at the last and the best epoch only, "
                 "so it has no curve), "
                 "one line per λ (λ = 0, the baseline, black, thick and dashed, drawn over the "
                 "others), one row of panels per kernel. Lines are means over the finished seeds "
                 "of each configuration; only the baseline and the best configuration (by mean "
                 "final test PSNR, marked 'best' in the legend) have their 95%% "
                 "Student-t band shaded, so that many configurations stay readable; the data "
                 "file holds every band. %s%s", band_note, last >= 3 ? " Epoch 0, the initial weights, is "
                 "left out of the view so that the differences between the curves stay "
                 "visible; it is in the data file." : "");
        break;
    case CHART_LAMBDA_RESPONSE:
        snprintf(out, outlen, "Test metrics at the last epoch against the Laplacian weight λ, "
                 "one line per kernel: PSNR (dB) and SSIM, higher is better; the Laplacian "
                 "errors lap4_mse and lap8_mse (mean squared K4 or K8 Laplacian of the error, "
                 "reflect101 borders, unnormalised kernels, whatever kernel the run trained "
                 "with), lower is better. Points are means over finished seeds, error bars "
                 "95%% Student-t intervals of the values themselves (none with one seed): they "
                 "include the spread between seeds that the paired comparison removes, so read "
                 "differences from the effect chart. The dashed line is the λ = 0 baseline's mean. "
                 "λ is on a log axis; points of different kernels are shifted sideways a little "
                 "so their bars do not overlap.");
        break;
    case CHART_LOSS_COMPONENTS:
        snprintf(out, outlen, "The two parts of the training loss, as running means over each "
                 "epoch's steps: the pixel loss (left) and the Laplacian term before its weight "
                 "(right; the loss adds λ times it, and the λ = 0 baseline does not compute it), "
                 "one row of panels per kernel, on a log scale where a panel's values span more "
                 "than a factor of 20. Lines are means over finished seeds with 95%% t bands. %s",
                 band_note);
        break;
    case CHART_TRADEOFF:
        snprintf(out, outlen, "Every finished run at its last epoch: test PSNR (up is better) "
                 "against test lap8_mse, the K8 Laplacian error (left is better), coloured by "
                 "λ (black: the baseline, open circles), one marker shape per kernel. Runs of "
                 "one configuration differ only in their seed.");
        break;
    default:
        snprintf(out, outlen, "?");
    }
}
