/* plots/stats.h: statistics across seeds for the report (DESIGN.md, "Data flow": analysis with GSL).
 *
 * Pure functions on arrays of doubles: no SQLite, no I/O, no global state. A function whose input
 * can be bad returns 0 on success and -1 on failure with a one-line message in err (err may be
 * NULL when errlen is 0); on failure *out is left unspecified.
 *
 * Intervals and tests use Student's t distribution (never the normal 1.96), so that three seeds
 * give the wide interval they deserve. A quantity that cannot be computed from the data (a standard
 * deviation from one seed, a test without degrees of freedom) is NaN and its flag says so, so the
 * report can write "no interval with one seed" instead of a number.
 *
 * Non-finite inputs (NaN or infinite values, from a diverged run) are refused with -1 and a message
 * naming the first offending index: the caller lists such runs instead of dropping them silently. */
#ifndef WB_PLOTS_STATS_H
#define WB_PLOTS_STATS_H

#include <stddef.h>

/* The usual significance level: 95% intervals, tests at 5%. */
#define STATS_ALPHA_DEFAULT 0.05

/* Quantile of Student's t distribution with df degrees of freedom: the x with P(T <= x) = p.
 * df may be fractional (Welch). NaN unless 0 < p < 1 and df > 0 is finite. */
double stats_t_quantile(double p, double df);

/* Two-sided p-value of a t statistic: 2 P(T >= |t|), computed from the upper tail so that it keeps
 * its relative accuracy when it is tiny (1 - P(T < |t|) would round to 0 long before). 0 for an
 * infinite t; NaN for a NaN t or a df that is not positive and finite. */
double stats_t_two_sided_p(double t, double df);

/* ---- one sample ------------------------------------------------------------------------ */

typedef struct stats_summary {
    size_t n;
    double mean;
    double sd;              /* sample standard deviation (divisor n - 1); NaN when n < 2 */
    double se;              /* sd / sqrt(n); NaN when n < 2 */
    double ci_low, ci_high; /* mean -/+ t(1 - alpha/2, n - 1) * se; NaN when n < 2 */
    double level;           /* the interval's coverage, 1 - alpha */
    int has_spread;         /* 1 when n >= 2: sd, se and the interval are numbers */
} stats_summary;

/* Summary of x[0..n-1] with a (1 - alpha) confidence interval for the mean.
 * Fails when n == 0, alpha is not in (0, 1), or a value is not finite. With n == 1 it succeeds with
 * the mean alone (has_spread = 0). Values that are all equal give sd = 0 and a zero-width
 * interval. */
int stats_summarize(const double *x, size_t n, double alpha, stats_summary *out, char *err,
                    size_t errlen);

/* ---- paired comparison against a baseline ---------------------------------------------- */

typedef struct stats_paired {
    stats_summary diff;     /* of the differences treatment[i] - baseline[i], with their CI */
    double t;               /* mean / se of the differences; NaN when !has_test, see degenerate */
    double df;              /* n - 1; NaN when !has_test */
    double p;               /* two-sided; NaN when !has_test */
    int has_test;           /* 1 when n >= 2 */
    int degenerate;         /* 1 when the differences have sd = 0 (all the same), see below */
} stats_paired;

/* Paired t-test of treatment against baseline, the arrays aligned by the caller: treatment[i] and
 * baseline[i] are the same seed (same initial weights, data and order). Matching seeds and listing
 * the unmatched ones is the caller's business; this function only sees n aligned pairs.
 * A positive diff.mean means the treatment's values are larger.
 *
 * Cases:
 *   n == 0, a non-finite value, alpha not in (0, 1)  -> -1.
 *   n == 1        -> has_test = 0: the single difference as diff.mean, everything else NaN.
 *   every difference equal and non-zero  -> degenerate = 1, sd = 0, t = +-infinity, p = 0, the
 *                    interval [mean, mean]: the data show no spread at all, which is a statement
 *                    about the data (e.g. a deterministic effect) rather than strong evidence.
 *   every difference zero  -> degenerate = 1, sd = 0, t = 0, p = 1, the interval [0, 0].
 * Equality is exact: differences that differ in the last bit are not degenerate and give a large
 * but finite t (and a tiny p, computed accurately). */
int stats_paired_t(const double *treatment, const double *baseline, size_t n, double alpha,
                   stats_paired *out, char *err, size_t errlen);

/* ---- unpaired comparison (Welch) ------------------------------------------------------- */

typedef struct stats_welch {
    stats_summary a, b;     /* each sample's own summary, at the same level */
    double mean_diff;       /* a.mean - b.mean */
    double se;              /* sqrt(sd_a^2 / n_a + sd_b^2 / n_b); NaN when !has_test */
    double ci_low, ci_high; /* mean_diff -/+ t(1 - alpha/2, df) * se; NaN when !has_test */
    double t;               /* mean_diff / se; NaN when !has_test, see degenerate */
    double df;              /* Welch-Satterthwaite; NaN when !has_test or both sd are 0 */
    double p;               /* two-sided; NaN when !has_test */
    int has_test;           /* 1 when both samples have n >= 2 */
    int degenerate;         /* 1 when both samples have sd = 0 */
} stats_welch;

/* Welch's unpaired t-test of a against b (unequal variances), for configurations whose seeds do
 * not pair. Cases:
 *   n_a == 0 or n_b == 0, a non-finite value, alpha not in (0, 1)  -> -1.
 *   n_a < 2 or n_b < 2  -> has_test = 0: both summaries and mean_diff, the rest NaN.
 *   both sd zero and the means different  -> degenerate = 1, se = 0, t = +-infinity, p = 0,
 *                    df NaN (0/0), the interval [mean_diff, mean_diff].
 *   both sd zero and the means equal  -> degenerate = 1, t = 0, p = 1, df NaN, the interval [0, 0].
 * One sd zero and the other not is an ordinary case (df = n - 1 of the sample that varies). */
int stats_welch_t(const double *a, size_t n_a, const double *b, size_t n_b, double alpha,
                  stats_welch *out, char *err, size_t errlen);

/* ---- multiple comparisons -------------------------------------------------------------- */

/* Holm's step-down adjustment of the m p-values p[0..m-1] into adjusted[0..m-1], in the input's
 * order. NaN entries (comparisons without a test) are skipped: they stay NaN in adjusted and do not
 * count in the family size. With the k valid p-values sorted ascending, p(1) <= ... <= p(k):
 *   adjusted(i) = min(1, max over j <= i of (k - j + 1) p(j)),
 * which is monotone in p and equals statsmodels' multipletests(method='holm'). Tied p-values get
 * equal adjusted values. adjusted may be the same array as p. *family_size (may be NULL) receives k.
 * Fails when a non-NaN entry is outside [0, 1] or infinite, or memory runs out. */
int stats_holm(const double *p, size_t m, double *adjusted, size_t *family_size, char *err,
               size_t errlen);

/* ---- verdict --------------------------------------------------------------------------- */

enum stats_direction {
    STATS_HIGHER_IS_BETTER,     /* psnr, ssim */
    STATS_LOWER_IS_BETTER       /* mse, lap4_mse, lap8_mse, losses */
};

enum stats_verdict {
    STATS_NO_TEST,              /* p or the mean difference is NaN (e.g. one seed): no verdict */
    STATS_INDISTINGUISHABLE,    /* adjusted p > alpha */
    STATS_HELPS,                /* adjusted p <= alpha and the difference goes the better way */
    STATS_HURTS                 /* adjusted p <= alpha and the difference goes the worse way */
};

/* The verdict on a comparison (treatment - baseline = mean_diff) whose p-value, already adjusted
 * for multiple comparisons, is p_adjusted. Significant means p_adjusted <= alpha, the rule of
 * statsmodels' `reject`. A significant comparison with mean_diff == 0 cannot arise from the tests
 * above (p = 1) and is reported indistinguishable. */
enum stats_verdict stats_classify(double mean_diff, double p_adjusted, double alpha,
                                  enum stats_direction direction);

/* "no test", "indistinguishable", "helps", "hurts". */
const char *stats_verdict_name(enum stats_verdict v);

/* The direction of a metric of DESIGN.md's "Metrics", named with or without its split
 * ("psnr", "test.psnr"): psnr and ssim are better higher; mse, lap4_mse, lap8_mse, loss, loss_pixel,
 * loss_lap and seconds are better lower. Fails for any other name. */
int stats_metric_direction(const char *metric, enum stats_direction *out, char *err,
                           size_t errlen);

#endif
