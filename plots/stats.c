/* plots/stats.c: statistics across seeds; the contract and the degenerate cases are in stats.h. */
#include "plots/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int check_alpha(double alpha, char *err, size_t errlen)
{
    if (!(alpha > 0 && alpha < 1))
        return fail(err, errlen, "alpha must be in (0, 1), not %g", alpha);
    return 0;
}

/* A diverged run shows up as NaN or infinity; naming it lets the caller list the run. */
static int check_finite(const double *x, size_t n, const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return fail(err, errlen, "%s[%zu] is not finite (%g)", name, i, x[i]);
    return 0;
}

double stats_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0) || !isfinite(df))
        return NAN;
    return gsl_cdf_tdist_Pinv(p, df);
}

double stats_t_two_sided_p(double t, double df)
{
    if (isnan(t) || !(df > 0) || !isfinite(df))
        return NAN;
    if (isinf(t))
        return 0.0;
    double p = 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
    return p > 1.0 ? 1.0 : p;
}

/* Half-width factor of a two-sided (1 - alpha) interval. */
static double t_critical(double alpha, double df)
{
    return stats_t_quantile(1.0 - alpha / 2.0, df);
}

/* Fills a summary from n >= 1 finite values. */
static void summarize_finite(const double *x, size_t n, double alpha, stats_summary *out)
{
    out->n = n;
    out->level = 1.0 - alpha;
    out->mean = gsl_stats_mean(x, 1, n);
    if (n < 2) {
        out->sd = out->se = out->ci_low = out->ci_high = NAN;
        out->has_spread = 0;
        return;
    }
    out->has_spread = 1;
    out->sd = gsl_stats_sd_m(x, 1, n, out->mean);
    out->se = out->sd / sqrt((double)n);
    double half = t_critical(alpha, (double)(n - 1)) * out->se;
    out->ci_low = out->mean - half;
    out->ci_high = out->mean + half;
}

int stats_summarize(const double *x, size_t n, double alpha, stats_summary *out, char *err,
                    size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "no values to summarize");
    if (check_alpha(alpha, err, errlen) || check_finite(x, n, "x", err, errlen))
        return -1;
    summarize_finite(x, n, alpha, out);
    return 0;
}

/* t and p of a test whose standard error is zero: no spread at all, so the statistic is infinite
 * (a difference) or 0/0, defined here as no difference. */
static void degenerate_test(double mean_diff, double *t, double *p)
{
    if (mean_diff == 0.0) {
        *t = 0.0;
        *p = 1.0;
    } else {
        *t = mean_diff > 0 ? INFINITY : -INFINITY;
        *p = 0.0;
    }
}

int stats_paired_t(const double *treatment, const double *baseline, size_t n, double alpha,
                   stats_paired *out, char *err, size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "no pairs to compare");
    if (check_alpha(alpha, err, errlen) || check_finite(treatment, n, "treatment", err, errlen) ||
        check_finite(baseline, n, "baseline", err, errlen))
        return -1;
    double *diff = malloc(n * sizeof *diff);
    if (!diff)
        return fail(err, errlen, "out of memory for %zu differences", n);
    for (size_t i = 0; i < n; i++) {
        diff[i] = treatment[i] - baseline[i];
        /* Two finite values can still differ by more than DBL_MAX. */
        if (!isfinite(diff[i])) {
            free(diff);
            return fail(err, errlen, "difference %zu overflows (%g - %g)", i, treatment[i],
                        baseline[i]);
        }
    }
    summarize_finite(diff, n, alpha, &out->diff);
    free(diff);

    out->has_test = n >= 2;
    /* GSL's running mean is exact for equal values, so equal differences give sd == 0 exactly. */
    out->degenerate = out->has_test && out->diff.sd == 0.0;
    if (!out->has_test) {
        out->t = out->df = out->p = NAN;
        return 0;
    }
    out->df = (double)(n - 1);
    if (out->degenerate) {
        degenerate_test(out->diff.mean, &out->t, &out->p);
        return 0;
    }
    out->t = out->diff.mean / out->diff.se;
    out->p = stats_t_two_sided_p(out->t, out->df);
    return 0;
}

int stats_welch_t(const double *a, size_t n_a, const double *b, size_t n_b, double alpha,
                  stats_welch *out, char *err, size_t errlen)
{
    if (n_a == 0 || n_b == 0)
        return fail(err, errlen, "Welch's test needs two non-empty samples (sizes %zu and %zu)",
                    n_a, n_b);
    if (check_alpha(alpha, err, errlen) || check_finite(a, n_a, "a", err, errlen) ||
        check_finite(b, n_b, "b", err, errlen))
        return -1;
    summarize_finite(a, n_a, alpha, &out->a);
    summarize_finite(b, n_b, alpha, &out->b);
    out->mean_diff = out->a.mean - out->b.mean;
    out->has_test = n_a >= 2 && n_b >= 2;
    out->degenerate = 0;
    if (!out->has_test) {
        out->se = out->ci_low = out->ci_high = out->t = out->df = out->p = NAN;
        return 0;
    }
    double va = out->a.sd * out->a.sd / (double)n_a; /* squared standard errors */
    double vb = out->b.sd * out->b.sd / (double)n_b;
    out->se = sqrt(va + vb);
    if (out->se == 0.0) {
        out->degenerate = 1;
        out->df = NAN;
        out->ci_low = out->ci_high = out->mean_diff;
        degenerate_test(out->mean_diff, &out->t, &out->p);
        return 0;
    }
    out->df = (va + vb) * (va + vb) /
              (va * va / (double)(n_a - 1) + vb * vb / (double)(n_b - 1));
    double half = t_critical(alpha, out->df) * out->se;
    out->ci_low = out->mean_diff - half;
    out->ci_high = out->mean_diff + half;
    out->t = out->mean_diff / out->se;
    out->p = stats_t_two_sided_p(out->t, out->df);
    return 0;
}

typedef struct ranked_p {
    double p;
    size_t index;   /* position in the caller's array */
} ranked_p;

/* Ascending p; ties by position, so the order (not the result, see stats.h) is deterministic. */
static int compare_ranked_p(const void *a, const void *b)
{
    const ranked_p *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int stats_holm(const double *p, size_t m, double *adjusted, size_t *family_size, char *err,
               size_t errlen)
{
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (isnan(p[i]))
            continue;
        if (!(p[i] >= 0 && p[i] <= 1))
            return fail(err, errlen, "p[%zu] = %g is not a probability", i, p[i]);
        k++;
    }
    ranked_p *ranked = malloc((k ? k : 1) * sizeof *ranked);
    if (!ranked)
        return fail(err, errlen, "out of memory for %zu p-values", k);
    /* Copied before any write, so adjusted may alias p. */
    for (size_t i = 0, j = 0; i < m; i++)
        if (!isnan(p[i]))
            ranked[j++] = (ranked_p){p[i], i};
    qsort(ranked, k, sizeof *ranked, compare_ranked_p);
    for (size_t i = 0; i < m; i++)
        adjusted[i] = NAN;
    double running_max = 0.0;
    for (size_t j = 0; j < k; j++) {
        double scaled = (double)(k - j) * ranked[j].p;
        if (scaled > running_max)
            running_max = scaled;
        adjusted[ranked[j].index] = running_max < 1.0 ? running_max : 1.0;
    }
    free(ranked);
    if (family_size)
        *family_size = k;
    return 0;
}

enum stats_verdict stats_classify(double mean_diff, double p_adjusted, double alpha,
                                  enum stats_direction direction)
{
    if (isnan(mean_diff) || isnan(p_adjusted))
        return STATS_NO_TEST;
    if (!(p_adjusted <= alpha) || mean_diff == 0.0)
        return STATS_INDISTINGUISHABLE;
    int larger = mean_diff > 0;
    int better = direction == STATS_HIGHER_IS_BETTER ? larger : !larger;
    return better ? STATS_HELPS : STATS_HURTS;
}

const char *stats_verdict_name(enum stats_verdict v)
{
    switch (v) {
    case STATS_NO_TEST: return "no test";
    case STATS_INDISTINGUISHABLE: return "indistinguishable";
    case STATS_HELPS: return "helps";
    case STATS_HURTS: return "hurts";
    }
    return "unknown";
}

int stats_metric_direction(const char *metric, enum stats_direction *out, char *err,
                           size_t errlen)
{
    static const struct {
        const char *name;
        enum stats_direction direction;
    } metrics[] = {
        {"psnr", STATS_HIGHER_IS_BETTER},     {"ssim", STATS_HIGHER_IS_BETTER},
        {"mse", STATS_LOWER_IS_BETTER},       {"lap4_mse", STATS_LOWER_IS_BETTER},
        {"lap8_mse", STATS_LOWER_IS_BETTER},  {"loss", STATS_LOWER_IS_BETTER},
        {"loss_pixel", STATS_LOWER_IS_BETTER}, {"loss_lap", STATS_LOWER_IS_BETTER},
        {"seconds", STATS_LOWER_IS_BETTER},
    };
    const char *dot = strrchr(metric, '.');
    const char *name = dot ? dot + 1 : metric;
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
        if (strcmp(name, metrics[i].name) == 0) {
            *out = metrics[i].direction;
            return 0;
        }
    }
    return fail(err, errlen, "unknown metric '%s': expected psnr, ssim, mse, lap4_mse, lap8_mse, "
                "loss, loss_pixel, loss_lap or seconds", metric);
}
