/* analysis/stats.c: statistics across seeds; the contract and the degenerate cases are in stats.h. */
#include "analysis/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "model/metrics.h"

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

/* The verdict of a significant, non-zero difference. */
static enum stats_verdict helps_or_hurts(double mean_diff, enum stats_direction direction)
{
    int larger = mean_diff > 0;
    int better = direction == STATS_HIGHER_IS_BETTER ? larger : !larger;
    return better ? STATS_HELPS : STATS_HURTS;
}

enum stats_verdict stats_classify(double mean_diff, double p_adjusted, double alpha,
                                  enum stats_direction direction)
{
    if (isnan(mean_diff) || isnan(p_adjusted))
        return STATS_NO_TEST;
    if (!(p_adjusted <= alpha) || mean_diff == 0.0)
        return STATS_INDISTINGUISHABLE;
    return helps_or_hurts(mean_diff, direction);
}

const char *stats_verdict_name(enum stats_verdict v)
{
    switch (v) {
    case STATS_NO_TEST: return "no test";
    case STATS_INDISTINGUISHABLE: return "indistinguishable";
    case STATS_HELPS: return "helps";
    case STATS_HURTS: return "hurts";
    case STATS_EQUIVALENT: return "equivalent";
    case STATS_UNDECIDED: return "undecided";
    case STATS_NOT_CONVERGED: return "not converged";
    }
    return "unknown";
}

int stats_metric_direction(const char *metric, enum stats_direction *out, char *err,
                           size_t errlen)
{
    const char *dot = strrchr(metric, '.');
    const int m = metric_find(dot ? dot + 1 : metric);
    if (m >= 0) {
        *out = metric_def_of((enum metric_id)m)->direction == METRIC_HIGHER_IS_BETTER
                   ? STATS_HIGHER_IS_BETTER
                   : STATS_LOWER_IS_BETTER;
        return 0;
    }
    char names[1024] = "";
    for (int k = 0; k < METRIC_COUNT; k++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "",
                 metric_def_of((enum metric_id)k)->name);
    return fail(err, errlen, "unknown metric '%s': expected one of %s", metric, names);
}

/* ==== noncentral t ========================================================================= */

/* The integrand of P(T <= t) (or of P(T > t) when upper) over the chi variable s. */
typedef struct nct_integrand {
    double t, ncp;
    double half_df;         /* x = df / 2 */
    double log_norm;        /* log 2 + log(x)/2 - log(2 pi)/2 - log Gamma*(x) */
    int upper;
} nct_integrand;

/* log of the density of S = sqrt(V / df) at s > 0, written as log_norm - x (u - log(1 + u)) - log s
 * with u = s^2 - 1, without the cancellation of lgamma(df/2) against (df/2) log(df/2) (see
 * stats.h). Near s = 1 log1p keeps u - log(1 + u) accurate; away from it (near s = 0, where
 * 1 + u would lose s^2 to rounding) the same expression is expanded with log s. */
static double chi_log_density(const nct_integrand *q, double s)
{
    double u = (s - 1.0) * (s + 1.0);
    if (fabs(u) < 0.5)
        return q->log_norm - q->half_df * (u - log1p(u)) - log(s);
    return q->log_norm - q->half_df * u + (2.0 * q->half_df - 1.0) * log(s);
}

static double nct_integrand_value(double s, void *params)
{
    const nct_integrand *q = params;
    if (!(s > 0))   /* Gauss-Kronrod never samples an end point; kept for safety */
        return 0.0;
    double z = q->t * s - q->ncp;
    double phi = q->upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
    return phi == 0.0 ? 0.0 : phi * exp(chi_log_density(q, s));
}

/* One interval of the global adaptive integration below. */
typedef struct quad_piece {
    double a, b, result, error;
} quad_piece;

static void quad_piece_eval(gsl_function *f, quad_piece *p)
{
    double resabs, resasc;
    gsl_integration_qk61(f, p->a, p->b, &p->result, &p->error, &resabs, &resasc);
}

/* Global adaptive 61-point Gauss-Kronrod over the pieces [cuts[i], cuts[i+1]] (QUADPACK's QAG
 * strategy: bisect the piece with the largest error estimate until the summed estimate is within
 * rel_tol of the result or the pieces run out). qk61 reports through its arguments, never through
 * GSL's error handler, so this never aborts. */
#define QUAD_MAX_PIECES 400
static double integrate_pieces(gsl_function *f, const double *cuts, size_t ncuts, double rel_tol)
{
    quad_piece piece[QUAD_MAX_PIECES];
    size_t count = 0;
    for (size_t i = 0; i + 1 < ncuts && count < QUAD_MAX_PIECES; i++) {
        if (!(cuts[i + 1] > cuts[i]))
            continue;
        piece[count] = (quad_piece){ .a = cuts[i], .b = cuts[i + 1] };
        quad_piece_eval(f, &piece[count++]);
    }
    for (;;) {
        double result = 0.0, error = 0.0;
        size_t worst = 0;
        for (size_t i = 0; i < count; i++) {
            result += piece[i].result;
            error += piece[i].error;
            if (piece[i].error > piece[worst].error)
                worst = i;
        }
        if (count == 0 || error <= rel_tol * fabs(result) || count == QUAD_MAX_PIECES)
            return result;
        quad_piece *w = &piece[worst], *n = &piece[count++];
        double mid = 0.5 * (w->a + w->b);
        *n = (quad_piece){ .a = mid, .b = w->b };
        w->b = mid;
        quad_piece_eval(f, w);
        quad_piece_eval(f, n);
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A point beyond which the chi variable has less than e^-745 of its mass, below the smallest
 * double, so that cutting the integral there loses nothing even in a tail of 1e-300: by Chernoff,
 * P(V / df >= x) <= exp(-(df/2) (x - 1 - log x)) for x > 1, so x solves (df/2)(x - 1 - log x) = 745
 * (bisection: the left side increases for x > 1). */
static double chi_upper_limit(double df)
{
    double need = 1490.0 / df, lo = 1.0, hi = 4.0 + 2.0 * need;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid - 1.0 - log(mid) < need)
            lo = mid;
        else
            hi = mid;
    }
    return sqrt(hi);
}

/* phi(z) / Q(z), the standard normal's hazard (inverse Mills ratio), finite for every finite z:
 * directly while Q(z) is a normal number, else by its asymptotic series (relative error below
 * 1e-12 at z >= 37). Written out because GSL's gsl_sf_hazard reports underflow (for z below
 * about -38) through the error handler, which aborts. */
static double normal_hazard(double z)
{
    if (z < 37.0)
        return exp(-0.5 * z * z) / sqrt(2.0 * M_PI) / gsl_cdf_ugaussian_Q(z);
    double r = 1.0 / (z * z);
    return z * (1.0 + r * (1.0 - r * (2.0 - r * (10.0 - 74.0 * r))));
}

/* d/ds of the log of the integrand: the normal factor's t phi/Phi (sign by tail) plus the chi
 * density's (df - 1)/s - df s. Decreasing in s: both logs are concave. */
static double nct_log_slope(const nct_integrand *q, double s)
{
    double z = q->t * s - q->ncp;
    double normal = q->upper ? -q->t * normal_hazard(z) : q->t * normal_hazard(-z);
    return normal + (2.0 * q->half_df - 1.0) / s - 2.0 * q->half_df * s;
}

/* Where the integrand peaks and how wide the peak is: the root of the log slope by bisection on
 * (0, s_max), and 1/sqrt(-curvature) from a difference of slopes. Far in a tail the peak sits
 * neither at the chi mode nor at the normal's step, and an integration that does not cut there
 * can miss most of a 1e-160. */
static void nct_peak(const nct_integrand *q, double s_max, double *peak, double *width)
{
    double lo = 0.0, hi = s_max;
    if (nct_log_slope(q, hi) >= 0) {
        lo = hi;
    } else {
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
            double mid = 0.5 * (lo + hi);
            if (mid > 0 && nct_log_slope(q, mid) > 0)
                lo = mid;
            else
                hi = mid;
        }
    }
    *peak = 0.5 * (lo + hi);
    double h = 1e-4 * (*peak > 1e-3 ? *peak : 1e-3);
    double a = *peak > h ? *peak - h : *peak, b = *peak + h;
    double curvature = (nct_log_slope(q, b) - (a > 0 ? nct_log_slope(q, a) : 0.0)) / (b - a);
    *width = curvature < 0 ? 1.0 / sqrt(-curvature) : s_max;
}

#define NCT_MAX_CUTS 27
#define NCT_REL_TOL 1e-13

static double nct_tail(double t, double df, double ncp, int upper)
{
    if (isnan(t) || isnan(df) || isnan(ncp) || !(df >= 1) || !isfinite(df) || !isfinite(ncp))
        return NAN;
    if (isinf(t))
        return (t > 0) == (upper != 0) ? 0.0 : 1.0;
    if (ncp == 0.0)
        return upper ? gsl_cdf_tdist_Q(t, df) : gsl_cdf_tdist_P(t, df);

    nct_integrand q = { .t = t, .ncp = ncp, .half_df = 0.5 * df, .upper = upper };
    q.log_norm = log(2.0) + 0.5 * log(q.half_df) - 0.5 * log(2.0 * M_PI) -
                 log(gsl_sf_gammastar(q.half_df));
    gsl_function f = { nct_integrand_value, &q };

    /* Pieces: [0, s_max] cut where the integrand changes on its own scale: around the chi mode
     * (width about 1 / sqrt(2 df)), around the normal's step at s = ncp / t (width 1 / |t|), and
     * around the integrand's own peak. */
    double s_max = chi_upper_limit(df);
    double cuts[NCT_MAX_CUTS];
    size_t ncuts = 0;
    cuts[ncuts++] = 0.0;
    cuts[ncuts++] = s_max;
    static const double steps[] = { -8, -4, -2, -1, 0, 1, 2, 4, 8 };
    enum { NSTEPS = sizeof steps / sizeof steps[0] };
    double mode = sqrt((df - 1.0) / df), width = 1.0 / sqrt(2.0 * df);
    for (size_t i = 0; i < NSTEPS; i++)
        cuts[ncuts++] = mode + steps[i] * width;
    double peak, peak_width;
    nct_peak(&q, s_max, &peak, &peak_width);
    for (size_t i = 0; i < NSTEPS; i++)
        cuts[ncuts++] = peak + steps[i] * peak_width;
    if (t != 0.0) {
        static const double step_steps[] = { -8, -3, -1, 0, 1, 3, 8 };
        double step = ncp / t, step_width = 1.0 / fabs(t);
        for (size_t i = 0; i < sizeof step_steps / sizeof step_steps[0]; i++)
            cuts[ncuts++] = step + step_steps[i] * step_width;
    }
    for (size_t i = 0; i < ncuts; i++)
        cuts[i] = cuts[i] < 0.0 ? 0.0 : cuts[i] > s_max ? s_max : cuts[i];
    qsort(cuts, ncuts, sizeof cuts[0], compare_doubles);
    double total = integrate_pieces(&f, cuts, ncuts, NCT_REL_TOL);
    if (total < 0.0)
        total = 0.0;
    return total > 1.0 ? 1.0 : total;
}

double stats_nct_cdf(double t, double df, double ncp)
{
    return nct_tail(t, df, ncp, 0);
}

double stats_nct_sf(double t, double df, double ncp)
{
    return nct_tail(t, df, ncp, 1);
}

/* ==== power ================================================================================ */

double stats_paired_power(double effect_size, double n, double alpha)
{
    if (!(n >= 2) || !isfinite(n) || !(alpha > 0 && alpha < 1) || !isfinite(effect_size))
        return NAN;
    double df = n - 1.0, ncp = effect_size * sqrt(n);
    double critical = gsl_cdf_tdist_Qinv(alpha / 2.0, df);
    return stats_nct_sf(critical, df, ncp) + stats_nct_cdf(-critical, df, ncp);
}

static int check_power_target(double alpha, double power, char *err, size_t errlen)
{
    if (check_alpha(alpha, err, errlen))
        return -1;
    if (!(power > alpha && power < 1))
        return fail(err, errlen, "power must be in (alpha, 1) = (%g, 1), not %g", alpha, power);
    return 0;
}

typedef struct power_target {
    double n, alpha, power;
} power_target;

static double power_shortfall(double effect_size, void *params)
{
    const power_target *p = params;
    return stats_paired_power(effect_size, p->n, p->alpha) - p->power;
}

/* The d_z > 0 where the power reaches its target: bracketed by doubling from 1 (power rises from
 * alpha at 0 towards 1), then Brent's method. Every function value is finite for a finite d_z, so
 * GSL's solver never reaches its error handler. */
static double detectable_effect_size(double n, double alpha, double power)
{
    power_target target = { n, alpha, power };
    double lo = 0.0, hi = 1.0;
    while (power_shortfall(hi, &target) < 0.0) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e6)
            return NAN;
    }
    gsl_function f = { power_shortfall, &target };
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!solver)
        return NAN;
    double root = NAN;
    gsl_root_fsolver_set(solver, &f, lo, hi);
    for (int i = 0; i < 200; i++) {
        gsl_root_fsolver_iterate(solver);
        root = gsl_root_fsolver_root(solver);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                   gsl_root_fsolver_x_upper(solver), 0.0, 1e-13) == GSL_SUCCESS)
            break;
    }
    gsl_root_fsolver_free(solver);
    return root;
}

int stats_min_detectable_effect(size_t n, double sd, double alpha, double power,
                                stats_detectable *out, char *err, size_t errlen)
{
    if (check_power_target(alpha, power, err, errlen))
        return -1;
    if (sd < 0 || isinf(sd))
        return fail(err, errlen, "the standard deviation must be finite and >= 0, not %g", sd);
    out->n = n;
    out->power = power;
    out->alpha = alpha;
    out->effect_size = n >= 2 ? detectable_effect_size((double)n, alpha, power) : NAN;
    out->effect = sd > 0 ? out->effect_size * sd : NAN;
    return 0;
}

int stats_seeds_needed(double delta, double sd, double alpha, double power, size_t cap,
                       stats_seeds *out, char *err, size_t errlen)
{
    if (check_power_target(alpha, power, err, errlen))
        return -1;
    if (!isfinite(delta) || delta == 0.0)
        return fail(err, errlen, "the effect to detect must be finite and non-zero, not %g", delta);
    if (sd < 0 || isinf(sd))
        return fail(err, errlen, "the standard deviation must be finite and >= 0, not %g", sd);
    if (cap < 2)
        return fail(err, errlen, "the cap on seeds must be at least 2, not %zu", cap);
    out->cap = cap;
    out->seeds = out->power = NAN;
    if (!(sd > 0)) {
        out->status = STATS_SEEDS_NO_SD;
        return 0;
    }
    double d = fabs(delta) / sd;
    /* Power increases with n: double until it suffices, then bisect (lo fails, hi suffices). */
    size_t lo = 1, hi = 2;
    double power_hi;
    while ((power_hi = stats_paired_power(d, (double)hi, alpha)) < power) {
        if (hi == cap) {
            out->status = STATS_SEEDS_OVER_CAP;
            out->power = power_hi;
            return 0;
        }
        lo = hi;
        hi = hi > cap / 2 ? cap : 2 * hi;
    }
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        double power_mid = stats_paired_power(d, (double)mid, alpha);
        if (power_mid >= power) {
            hi = mid;
            power_hi = power_mid;
        } else {
            lo = mid;
        }
    }
    out->status = STATS_SEEDS_FOUND;
    out->seeds = (double)hi;
    out->power = power_hi;
    return 0;
}

/* ==== equivalence ========================================================================== */

/* A t statistic whose standard error may be zero: x / 0 is +-infinity, 0 / 0 is taken as 0. */
static double t_ratio(double x, double se)
{
    if (se > 0)
        return x / se;
    if (x == 0.0)
        return 0.0;
    return x > 0 ? INFINITY : -INFINITY;
}

/* P(T >= t) for any t, infinities included. */
static double t_upper_tail(double t, double df)
{
    if (isinf(t))
        return t > 0 ? 0.0 : 1.0;
    return gsl_cdf_tdist_Q(t, df);
}

int stats_tost_paired(const stats_summary *diff, double delta, double alpha, stats_tost *out,
                      char *err, size_t errlen)
{
    if (!(delta > 0) || !isfinite(delta))
        return fail(err, errlen, "the equivalence margin must be finite and > 0, not %g", delta);
    if (!(alpha > 0 && alpha < 0.5))
        return fail(err, errlen, "alpha of an equivalence test must be in (0, 0.5), not %g",
                    alpha);
    if (diff->n == 0 || !isfinite(diff->mean))
        return fail(err, errlen, "no finite mean difference to test");
    out->delta = delta;
    out->level = 1.0 - 2.0 * alpha;
    out->has_test = diff->n >= 2 && isfinite(diff->sd);
    out->degenerate = out->has_test && diff->sd == 0.0;
    if (!out->has_test) {
        out->t_lower = out->t_upper = out->p_lower = out->p_upper = out->p = NAN;
        out->ci_low = out->ci_high = NAN;
        return 0;
    }
    double df = (double)(diff->n - 1), se = diff->sd / sqrt((double)diff->n);
    out->t_lower = t_ratio(diff->mean + delta, se);
    out->t_upper = t_ratio(diff->mean - delta, se);
    out->p_lower = t_upper_tail(out->t_lower, df);
    out->p_upper = t_upper_tail(-out->t_upper, df);
    out->p = out->p_lower > out->p_upper ? out->p_lower : out->p_upper;
    double half = stats_t_quantile(1.0 - alpha, df) * se;
    out->ci_low = diff->mean - half;
    out->ci_high = diff->mean + half;
    return 0;
}

double stats_effect_dz(const stats_summary *diff)
{
    if (diff->n < 2 || !isfinite(diff->sd) || isnan(diff->mean))
        return NAN;
    return t_ratio(diff->mean, diff->sd);
}

/* ==== the verdict ========================================================================== */

stats_decision stats_decide(const stats_evidence *e)
{
    stats_decision d = { .verdict = STATS_NO_TEST, .seeds_to_decide = NAN };
    if (!e->converged) {
        d.verdict = STATS_NOT_CONVERGED;
        d.rule = "the runs had not converged";
        return d;
    }
    if (isnan(e->mean_diff) || isnan(e->p_difference) || !(e->alpha > 0 && e->alpha < 1)) {
        d.rule = "no test (fewer than two pairs)";
        return d;
    }
    int different = e->p_difference <= e->alpha && e->mean_diff != 0.0;
    int equivalent = e->p_equivalence <= e->alpha;   /* false for NaN */
    if (equivalent) {
        d.verdict = STATS_EQUIVALENT;
        d.trivial_difference = different;
        d.rule = different ? "different from zero but within the margin (a trivial effect)"
                           : "the equivalence test puts the difference within the margin";
        return d;
    }
    if (different) {
        d.verdict = helps_or_hurts(e->mean_diff, e->direction);
        d.rule = "the Holm-adjusted difference test is significant";
        return d;
    }
    if (isnan(e->p_equivalence)) {
        d.verdict = STATS_INDISTINGUISHABLE;
        d.rule = "no difference shown and no equivalence margin";
        return d;
    }
    d.verdict = STATS_UNDECIDED;
    d.rule = "neither a difference nor equivalence is shown";
    if (e->seeds.status == STATS_SEEDS_FOUND)
        d.seeds_to_decide = e->seeds.seeds;
    d.seeds_over_cap = e->seeds.status == STATS_SEEDS_OVER_CAP;
    return d;
}

/* ==== bootstrap ============================================================================ */

/* MT19937 draws 32 bits: gsl_rng_uniform_int cannot index a larger sample (and would report it
 * through GSL's error handler, which aborts). */
#define RESAMPLE_MAX_N 4294967295.0

static int check_resamples(size_t resamples, size_t n, char *err, size_t errlen)
{
    if (resamples < 2)
        return fail(err, errlen, "a bootstrap needs at least 2 resamples, not %zu", resamples);
    if ((double)n > RESAMPLE_MAX_N)
        return fail(err, errlen, "a bootstrap cannot resample %zu values", n);
    return 0;
}

/* The percentile interval and standard error of B bootstrap values (sorted in place). */
static void percentile_interval(double *values, size_t resamples, double alpha, double *low,
                                double *high, double *se)
{
    if (se)
        *se = gsl_stats_sd(values, 1, resamples);
    gsl_sort(values, 1, resamples);
    *low = gsl_stats_quantile_from_sorted_data(values, 1, resamples, alpha / 2.0);
    *high = gsl_stats_quantile_from_sorted_data(values, 1, resamples, 1.0 - alpha / 2.0);
}

int stats_bootstrap_paired(const double *treatment, const double *baseline, size_t n,
                           size_t resamples, unsigned long seed, double alpha,
                           stats_bootstrap *out, char *err, size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "no pairs to resample");
    if (check_alpha(alpha, err, errlen) || check_resamples(resamples, n, err, errlen) ||
        check_finite(treatment, n, "treatment", err, errlen) ||
        check_finite(baseline, n, "baseline", err, errlen))
        return -1;
    double *diff = malloc(n * sizeof *diff);
    double *means = malloc(resamples * sizeof *means);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!diff || !means || !rng) {
        free(diff);
        free(means);
        if (rng)
            gsl_rng_free(rng);
        return fail(err, errlen, "out of memory for a bootstrap of %zu resamples", resamples);
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        diff[i] = treatment[i] - baseline[i];
        if (!isfinite(diff[i]))
            rc = fail(err, errlen, "difference %zu overflows (%g - %g)", i, treatment[i],
                      baseline[i]);
    }
    if (rc == 0) {
        gsl_rng_set(rng, seed);
        for (size_t b = 0; b < resamples; b++) {
            double sum = 0.0;
            for (size_t i = 0; i < n; i++)
                sum += diff[gsl_rng_uniform_int(rng, n)];
            means[b] = sum / (double)n;
        }
        out->n = n;
        out->resamples = resamples;
        out->seed = seed;
        out->estimate = gsl_stats_mean(diff, 1, n);
        out->level = 1.0 - alpha;
        out->too_few = n < STATS_BOOTSTRAP_MIN_N;
        percentile_interval(means, resamples, alpha, &out->ci_low, &out->ci_high, &out->se);
    }
    free(diff);
    free(means);
    gsl_rng_free(rng);
    return rc;
}

/* ==== probability of improvement =========================================================== */

/* Twice the number of pairs in which x beats y, plus the ties: an exact integer. */
static double improvement_count(const double *x, const size_t *xi, size_t n_x, const double *y,
                                const size_t *yi, size_t n_y, enum stats_direction direction)
{
    double count = 0.0;
    for (size_t i = 0; i < n_x; i++) {
        double a = x[xi ? xi[i] : i];
        for (size_t j = 0; j < n_y; j++) {
            double b = y[yi ? yi[j] : j];
            int better = direction == STATS_HIGHER_IS_BETTER ? a > b : a < b;
            count += better ? 2.0 : a == b ? 1.0 : 0.0;
        }
    }
    return count;
}

int stats_probability_of_improvement(const double *x, size_t n_x, const double *y, size_t n_y,
                                     enum stats_direction direction, size_t resamples,
                                     unsigned long seed, double alpha, stats_improvement *out,
                                     char *err, size_t errlen)
{
    if (n_x == 0 || n_y == 0)
        return fail(err, errlen, "the probability of improvement needs two non-empty samples "
                    "(sizes %zu and %zu)", n_x, n_y);
    if (check_alpha(alpha, err, errlen) || check_resamples(resamples, n_x, err, errlen) ||
        check_resamples(resamples, n_y, err, errlen) || check_finite(x, n_x, "x", err, errlen) ||
        check_finite(y, n_y, "y", err, errlen))
        return -1;
    double *values = malloc(resamples * sizeof *values);
    size_t *xi = malloc(n_x * sizeof *xi), *yi = malloc(n_y * sizeof *yi);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!values || !xi || !yi || !rng) {
        free(values);
        free(xi);
        free(yi);
        if (rng)
            gsl_rng_free(rng);
        return fail(err, errlen, "out of memory for a bootstrap of %zu resamples", resamples);
    }
    double pairs2 = 2.0 * (double)n_x * (double)n_y;
    gsl_rng_set(rng, seed);
    for (size_t b = 0; b < resamples; b++) {
        for (size_t i = 0; i < n_x; i++)
            xi[i] = gsl_rng_uniform_int(rng, n_x);
        for (size_t j = 0; j < n_y; j++)
            yi[j] = gsl_rng_uniform_int(rng, n_y);
        values[b] = improvement_count(x, xi, n_x, y, yi, n_y, direction) / pairs2;
    }
    out->n_x = n_x;
    out->n_y = n_y;
    out->p = improvement_count(x, NULL, n_x, y, NULL, n_y, direction) / pairs2;
    out->level = 1.0 - alpha;
    out->resamples = resamples;
    out->seed = seed;
    percentile_interval(values, resamples, alpha, &out->ci_low, &out->ci_high, NULL);
    free(values);
    free(xi);
    free(yi);
    gsl_rng_free(rng);
    return 0;
}

/* ==== two-way analysis of variance in blocks =============================================== */

/* The terms of a model, as bits. */
enum { TERM_A = 1, TERM_B = 2, TERM_AB = 4, TERM_S = 8 };

typedef struct anova_data {
    const size_t *a, *b, *s;
    size_t n, na, nb, ns;
    size_t rows;                /* max(n, columns of the full model): GSL's SVD needs rows >= cols */
    gsl_matrix *x;
    gsl_vector *yv, *c;
    gsl_matrix *cov;
    gsl_multifit_linear_workspace *work;
} anova_data;

/* Columns of a model: intercept, then dummies (treatment coding, level 0 the reference). */
static size_t anova_columns(const anova_data *d, unsigned terms)
{
    size_t p = 1;
    if (terms & TERM_A)
        p += d->na - 1;
    if (terms & TERM_B)
        p += d->nb - 1;
    if (terms & TERM_AB)
        p += (d->na - 1) * (d->nb - 1);
    if (terms & TERM_S)
        p += d->ns - 1;
    return p;
}

/* Least squares fit of the model with these terms: its residual sum of squares and rank. The
 * design fills the top-left rows x columns corner of the full-size matrix (views of it and of c
 * and cov); padding rows past n are zero, which changes neither the fit nor the rank. */
static void anova_fit(anova_data *d, unsigned terms, double *rss, size_t *rank)
{
    size_t p = anova_columns(d, terms);
    gsl_matrix_view x = gsl_matrix_submatrix(d->x, 0, 0, d->rows, p);
    gsl_matrix_view cov = gsl_matrix_submatrix(d->cov, 0, 0, p, p);
    gsl_vector_view c = gsl_vector_subvector(d->c, 0, p);
    gsl_matrix_set_zero(&x.matrix);
    for (size_t i = 0; i < d->n; i++) {
        size_t col = 0;
        gsl_matrix_set(&x.matrix, i, col++, 1.0);
        if (terms & TERM_A) {
            if (d->a[i] > 0)
                gsl_matrix_set(&x.matrix, i, col + d->a[i] - 1, 1.0);
            col += d->na - 1;
        }
        if (terms & TERM_B) {
            if (d->b[i] > 0)
                gsl_matrix_set(&x.matrix, i, col + d->b[i] - 1, 1.0);
            col += d->nb - 1;
        }
        if (terms & TERM_AB) {
            if (d->a[i] > 0 && d->b[i] > 0)
                gsl_matrix_set(&x.matrix, i, col + (d->a[i] - 1) * (d->nb - 1) + d->b[i] - 1,
                               1.0);
            col += (d->na - 1) * (d->nb - 1);
        }
        if ((terms & TERM_S) && d->s[i] > 0)
            gsl_matrix_set(&x.matrix, i, col + d->s[i] - 1, 1.0);
    }
    /* The rank counts singular values above 1e-10 of the largest. The inputs were checked
     * (finite, rows >= columns), so GSL's error handler is never reached. */
    gsl_multifit_linear_tsvd(&x.matrix, d->yv, 1e-10, &c.vector, &cov.matrix, rss, rank, d->work);
}

static int anova_check_levels(const size_t *level, size_t n, size_t count, const char *name,
                              size_t *seen, char *err, size_t errlen)
{
    if (count == 0)
        return fail(err, errlen, "%s has no levels", name);
    memset(seen, 0, count * sizeof *seen);
    for (size_t i = 0; i < n; i++) {
        if (level[i] >= count)
            return fail(err, errlen, "%s[%zu] = %zu is not below its %zu levels", name, i,
                        level[i], count);
        seen[level[i]]++;
    }
    for (size_t l = 0; l < count; l++)
        if (seen[l] == 0)
            return fail(err, errlen, "level %zu of %s has no observation", l, name);
    return 0;
}

/* One row of the table: SS from two nested fits, F against the residual. */
static void anova_row(stats_anova_row *row, double rss_without, size_t rank_without,
                      double rss_with, size_t rank_with, const stats_anova *out)
{
    row->df = (double)rank_with - (double)rank_without;
    row->estimable = row->df > 0;
    if (!row->estimable) {
        row->ss = row->df = row->f = row->p = row->partial_eta2 = NAN;
        return;
    }
    row->ss = rss_without - rss_with;
    if (row->ss < 0)    /* rounding: nested models cannot fit worse */
        row->ss = 0;
    double denominator = row->ss + out->ss_residual;
    row->partial_eta2 = denominator > 0 ? row->ss / denominator : NAN;
    if (out->exact_fit || !(out->df_residual > 0)) {
        row->f = row->p = NAN;
        return;
    }
    row->f = (row->ss / row->df) / (out->ss_residual / out->df_residual);
    row->p = gsl_cdf_fdist_Q(row->f, row->df, out->df_residual);
}

static void anova_free(anova_data *d)
{
    if (d->x)
        gsl_matrix_free(d->x);
    if (d->cov)
        gsl_matrix_free(d->cov);
    if (d->yv)
        gsl_vector_free(d->yv);
    if (d->c)
        gsl_vector_free(d->c);
    if (d->work)
        gsl_multifit_linear_free(d->work);
}

/* Checks every level index and that every level is observed; counts the cells. */
static int anova_check_design(const size_t *a, const size_t *b, const size_t *block, size_t n,
                              size_t na, size_t nb, size_t nblocks, size_t *cells, char *err,
                              size_t errlen)
{
    size_t most = na > nb ? na : nb;
    most = most > nblocks ? most : nblocks;
    size_t *seen = malloc((most ? most : 1) * sizeof *seen);
    if (!seen)
        return fail(err, errlen, "out of memory");
    int rc = anova_check_levels(a, n, na, "factor A", seen, err, errlen) ||
             anova_check_levels(b, n, nb, "factor B", seen, err, errlen) ||
             anova_check_levels(block, n, nblocks, "block", seen, err, errlen) ? -1 : 0;
    free(seen);
    if (rc == 0)
        for (size_t i = 0; i < n; i++)
            cells[a[i] * nb + b[i]]++;
    return rc;
}

int stats_anova_two_way_blocked(const double *y, const size_t *a, const size_t *b,
                                const size_t *block, size_t n, size_t na, size_t nb,
                                size_t nblocks, size_t *cell_counts, stats_anova *out,
                                char *err, size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "no observations to analyse");
    if (check_finite(y, n, "y", err, errlen))
        return -1;
    size_t ncells = na * nb;
    size_t *cells = calloc(ncells ? ncells : 1, sizeof *cells);
    if (!cells)
        return fail(err, errlen, "out of memory");
    if (anova_check_design(a, b, block, n, na, nb, nblocks, cells, err, errlen)) {
        free(cells);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->n = n;
    for (size_t c = 0; c < ncells; c++) {
        out->empty_cells += cells[c] == 0;
        if (cell_counts)
            cell_counts[c] = cells[c];
    }
    free(cells);

    anova_data d = { .a = a, .b = b, .s = block, .n = n, .na = na, .nb = nb, .ns = nblocks };
    size_t columns = anova_columns(&d, TERM_A | TERM_B | TERM_AB | TERM_S);
    d.rows = n > columns ? n : columns;
    d.x = gsl_matrix_alloc(d.rows, columns);
    d.cov = gsl_matrix_alloc(columns, columns);
    d.yv = gsl_vector_calloc(d.rows);
    d.c = gsl_vector_alloc(columns);
    d.work = gsl_multifit_linear_alloc(d.rows, columns);
    if (!d.x || !d.cov || !d.yv || !d.c || !d.work) {
        anova_free(&d);
        return fail(err, errlen, "out of memory for a %zu x %zu design", d.rows, columns);
    }
    /* Centred: the intercept absorbs the mean, the sums of squares are unchanged, and the fits
     * do not carry the mean's magnitude into their rounding. */
    double mean = gsl_stats_mean(y, 1, n);
    for (size_t i = 0; i < n; i++) {
        double centred = y[i] - mean;
        gsl_vector_set(d.yv, i, centred);
        out->ss_total += centred * centred;
    }

    /* With an empty cell the interaction is left out (see stats.h): the residual model is
     * additive and the interaction row not estimable. */
    int interaction = out->empty_cells == 0;
    unsigned full = TERM_A | TERM_B | TERM_S | (interaction ? TERM_AB : 0);
    double rss_full, rss_add, rss_bs, rss_as, rss_ab;
    size_t rank_full, rank_add, rank_bs, rank_as, rank_ab;
    anova_fit(&d, full, &rss_full, &rank_full);
    anova_fit(&d, TERM_A | TERM_B | TERM_S, &rss_add, &rank_add);
    anova_fit(&d, TERM_B | TERM_S, &rss_bs, &rank_bs);
    anova_fit(&d, TERM_A | TERM_S, &rss_as, &rank_as);
    anova_fit(&d, full & ~(unsigned)TERM_S, &rss_ab, &rank_ab);

    out->ss_residual = rss_full;
    out->df_residual = (double)n - (double)rank_full;
    out->exact_fit = !(rss_full > 1e-24 * out->ss_total);
    if (out->exact_fit)
        out->ss_residual = 0.0;
    anova_row(&out->term[STATS_ANOVA_A], rss_bs, rank_bs, rss_add, rank_add, out);
    anova_row(&out->term[STATS_ANOVA_B], rss_as, rank_as, rss_add, rank_add, out);
    if (interaction)
        anova_row(&out->term[STATS_ANOVA_AB], rss_add, rank_add, rss_full, rank_full, out);
    else
        anova_row(&out->term[STATS_ANOVA_AB], 0.0, 0, 0.0, 0, out);
    anova_row(&out->term[STATS_ANOVA_BLOCK], rss_ab, rank_ab, rss_full, rank_full, out);
    anova_free(&d);
    return 0;
}
