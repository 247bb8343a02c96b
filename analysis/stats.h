/* analysis/stats.h: statistics across seeds for the report (docs/DESIGN.md, "Data flow": analysis with
 * GSL).
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
#ifndef WB_ANALYSIS_STATS_H
#define WB_ANALYSIS_STATS_H

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
    STATS_INDISTINGUISHABLE,    /* adjusted p > alpha (stats_classify; stats_decide without a
                                   margin) */
    STATS_HELPS,                /* adjusted p <= alpha and the difference goes the better way */
    STATS_HURTS,                /* adjusted p <= alpha and the difference goes the worse way */
    /* The verdicts of stats_decide (below), which also uses an equivalence margin +-delta: */
    STATS_EQUIVALENT,           /* the 1 - 2 alpha interval lies inside +-delta (TOST p <= alpha) */
    STATS_UNDECIDED,            /* neither different nor equivalent: more seeds would decide */
    STATS_NOT_CONVERGED         /* the caller says the runs had not converged: no verdict */
};

/* The verdict on a comparison (treatment - baseline = mean_diff) whose p-value, already adjusted
 * for multiple comparisons, is p_adjusted. Significant means p_adjusted <= alpha, the rule of
 * statsmodels' `reject`. A significant comparison with mean_diff == 0 cannot arise from the tests
 * above (p = 1) and is reported indistinguishable. */
enum stats_verdict stats_classify(double mean_diff, double p_adjusted, double alpha,
                                  enum stats_direction direction);

/* "no test", "indistinguishable", "helps", "hurts", "equivalent", "undecided", "not converged".
 * (The margin is the caller's to print: "equivalent within ±0.2 dB".) */
const char *stats_verdict_name(enum stats_verdict v);

/* The direction of a metric of the metric table (model/metrics.h), named with or without its
 * split ("psnr", "test.psnr"): psnr and ssim are better higher; mse, lap4_mse, lap8_mse and the
 * losses lower. Fails for a name the table does not have. */
int stats_metric_direction(const char *metric, enum stats_direction *out, char *err,
                           size_t errlen);

/* ==== Decisions: power, equivalence, and the verdict that uses them (issue 12) ============== */

/* ---- noncentral t distribution --------------------------------------------------------- */

/* T = (Z + ncp) / sqrt(V / df) with Z standard normal and V chi-square with df degrees of freedom,
 * independent. GSL has no noncentral t, so its CDF is the integral over the chi variable
 * S = sqrt(V / df), whose density is f(s) = 2 (df/2)^(df/2) / Gamma(df/2) s^(df-1) e^(-df s^2/2):
 *     P(T <= t) = integral_0^inf Phi(t s - ncp) f(s) ds,
 *     P(T >  t) = integral_0^inf Phi(ncp - t s) f(s) ds     (the upper tail, integrated directly),
 * with Phi the standard normal CDF (GSL's, accurate in both tails). The integral runs over
 * [0, s_max], beyond which a Chernoff bound leaves less than e^-745 of the chi mass (below the
 * smallest double). The range is cut at the chi mode -+ 1, 2, 4, 8 of its standard deviations, at
 * the normal's step s = ncp / t -+ 1, 3, 8 of its width 1/|t|, and at the integrand's own peak
 * -+ 1, 2, 4, 8 of its width (the root of the log-integrand's slope by bisection; both factors
 * are log-concave), which is where a small tail's mass lies, far from both. Then QUADPACK's
 * global strategy with 61-point Gauss-Kronrod (gsl_integration_qk61): bisect the piece with the
 * largest error estimate until the estimates sum to 1e-13 of the result (at most 400 pieces). No
 * GSL call on this path reports through GSL's error handler, so it never aborts. ncp = 0 uses
 * GSL's central t. The density is evaluated as
 *     log f = log 2 + log(x)/2 - log(2 pi)/2 - log Gamma*(x) - x (u - log(1 + u)) - log s,
 * x = df/2, u = s^2 - 1 (Gamma* is GSL's gammastar; log1p near s = 1, the logs expanded near 0),
 * which keeps its accuracy for df in the thousands.
 *
 * Accuracy, measured by tests/test_stats.c on the fixture of tests/fixtures/make_stats_reference.py:
 *   - against scipy.stats.nct.cdf and .sf (SciPy 1.10, Boost's series) on 3130 points, df 1..200
 *     (and fractional), ncp -40..40, t -60..60, both tails: largest absolute difference 1.3e-14
 *     (mpmath puts SciPy itself within 1.3e-15 of the exact value on 185 of those points);
 *   - small tails, 1e-7 down to 4e-160, against mpmath at 40 digits (SciPy is no reference there:
 *     its series gives 6e-242 for a probability of 4e-160): largest relative difference 1.9e-14.
 *
 * Domain: df >= 1 and finite (df < 1 puts an integrable singularity at s = 0 that this integration
 * does not resolve: NaN), ncp finite, t any value (+-infinity give 0 and 1). NaN for NaN input. */
double stats_nct_cdf(double t, double df, double ncp);
double stats_nct_sf(double t, double df, double ncp);

/* ---- power of the paired t-test -------------------------------------------------------- */

/* Target power of the power calculations below, the usual 80 %. */
#define STATS_POWER_DEFAULT 0.8
/* The largest number of seeds stats_seeds_needed looks at. */
#define STATS_SEEDS_CAP 10000

/* Power of the two-sided one-sample (paired) t-test with n pairs at level alpha when the true
 * mean difference is effect_size standard deviations of the differences (Cohen's d_z):
 *     power = P(T' > c) + P(T' < -c),   T' ~ nct(df = n - 1, ncp = effect_size sqrt(n)),
 *     c = t(1 - alpha/2, n - 1),
 * equal to statsmodels' TTestPower().power(effect_size, nobs=n, alpha, alternative='two-sided')
 * (Cohen 1988, ch. 2). Symmetric in effect_size; alpha at effect_size 0. n may be fractional.
 * NaN unless n >= 2, alpha in (0, 1) and effect_size is finite.
 * Accuracy (286 cases, n 2..1000, alpha 0.05 and 0.01): within 1.5e-9 of statsmodels, whose
 * critical value comes from SciPy's t.isf (cephes stdtrit, off in the 9th to 10th digit); within
 * 1.2e-15 of the same formula with an exact (mpmath) critical value. */
double stats_paired_power(double effect_size, double n, double alpha);

typedef struct stats_detectable {
    size_t n;
    double effect_size;     /* the smallest d_z > 0 with power(d_z, n) = target; NaN when n < 2 */
    double effect;          /* effect_size * sd: in the metric's units; NaN when n < 2 or sd is
                               NaN or 0 (no spread was observed: the power model has nothing to
                               scale; see stats_paired.degenerate) */
    double power, alpha;    /* the target and level it was computed for */
} stats_detectable;

/* The minimum detectable effect of the two-sided paired t-test with the n seeds at hand: the
 * |mean difference| that would be detected with probability `power` at level alpha, given the
 * observed paired sd (the sd of the differences, stats_paired.diff.sd). Solved for d_z by Brent's
 * method (gsl_root_fsolver_brent) to a relative 1e-13, then multiplied by sd. Power increases with
 * |d_z|, so the root is unique. With power 0.8 and alpha 0.05: d_z = 0.996 for 10 seeds, 1.68 for
 * 5, 2.13 for 4, 3.26 for 3 and 11.5 for 2. Accuracy (48 cases, n 2..200, three targets): d_z
 * within 3e-15 (relative) of the root of the exact power, 1.6e-9 of the root of statsmodels'.
 * Fails when alpha is not in (0, 1), power is not in (alpha, 1), or sd is negative or infinite;
 * n < 2 and sd NaN (one seed) or 0 succeed with NaN as described above. */
int stats_min_detectable_effect(size_t n, double sd, double alpha, double power,
                                stats_detectable *out, char *err, size_t errlen);

enum stats_seeds_status {
    STATS_SEEDS_FOUND,          /* seeds is the answer */
    STATS_SEEDS_OVER_CAP,       /* even `cap` seeds have less power: "more than cap seeds" */
    STATS_SEEDS_NO_SD           /* sd is NaN (one seed) or 0 (no spread): not computable */
};

typedef struct stats_seeds {
    enum stats_seeds_status status;
    double seeds;           /* the smallest n >= 2 with power >= target; NaN unless FOUND */
    double power;           /* the power at `seeds` (FOUND) or at the cap (OVER_CAP); else NaN */
    size_t cap;
} stats_seeds;

/* The seeds (pairs) a paired two-sided t-test at level alpha needs to detect a true mean
 * difference of delta with probability `power`, when the differences have standard deviation sd:
 * the smallest integer n in [2, cap] with stats_paired_power(delta / sd, n, alpha) >= power
 * (noncentral t, df = n - 1, ncp = delta sqrt(n) / sd). Power increases with n; the search
 * doubles n and then bisects. Only |delta| / sd matters: sd = delta needs 10 seeds; delta = 0.1 and
 * sd = 0.15 dB (issue 12's converged design) 20; delta = 0.2 and sd = 0.89 dB (its unconverged
 * baseline) 158; delta = 0.05 and sd = 2 more than 10000. Agrees with a scan of statsmodels'
 * power over n = 2..10000 in all 11 fixture cases (none within 1e-7 of the target power).
 * Fails when delta is 0 or not finite, alpha is not in (0, 1), power not in (alpha, 1), sd is
 * negative or infinite, or cap < 2. */
int stats_seeds_needed(double delta, double sd, double alpha, double power, size_t cap,
                       stats_seeds *out, char *err, size_t errlen);

/* ---- equivalence: two one-sided tests (TOST) ------------------------------------------- */

typedef struct stats_tost {
    double delta;           /* the margin: equivalence means |true mean difference| < delta */
    double t_lower;         /* (mean + delta) / se: tests H0 mean <= -delta against mean > -delta */
    double t_upper;         /* (mean - delta) / se: tests H0 mean >= +delta against mean < +delta */
    double p_lower;         /* P(T >= t_lower), df = n - 1 */
    double p_upper;         /* P(T <= t_upper) */
    double p;               /* max(p_lower, p_upper): equivalent at alpha when p <= alpha */
    double ci_low, ci_high; /* mean -/+ t(1 - alpha, n - 1) se: the 1 - 2 alpha interval (90 % at
                               alpha 0.05); p <= alpha exactly when it lies inside +-delta */
    double level;           /* 1 - 2 alpha */
    int has_test;           /* 1 when n >= 2 */
    int degenerate;         /* 1 when sd = 0, see below */
} stats_tost;

/* Schuirmann's two one-sided tests (1987) of the paired differences summarised in diff (the
 * `diff` of stats_paired: n, mean, sd) against the margin +-delta, each at level alpha; the same as
 * statsmodels' ttost_paired(treatment, baseline, -delta, delta) and, for the interval,
 * DescrStatsW(d).tconfint_mean(alpha=2 alpha). Holm's adjustment is not applied (each comparison
 * is its own intersection-union test; see the decision below).
 * Cases: n < 2 -> has_test = 0, everything but delta and level NaN. sd = 0 -> degenerate = 1,
 * se = 0: t = (mean -+ delta) / 0 is +-infinity (p 0 or 1), and exactly 0 (p = 1/2) when the mean
 * sits on a margin; the interval is [mean, mean].
 * Accuracy (10 data sets, n 2..12): p, the one-sided p and the interval within 1.8e-15 (relative) of
 * 50-digit values, 4.7e-9 of statsmodels (SciPy's t quantile again).
 * Fails when delta is not finite and > 0, alpha is not in (0, 1/2), or diff has a non-finite mean
 * or n == 0. */
int stats_tost_paired(const stats_summary *diff, double delta, double alpha, stats_tost *out,
                      char *err, size_t errlen);

/* ---- standardised effect --------------------------------------------------------------- */

/* The standardised paired effect d_z = mean(d) / sd(d) of the differences summarised in diff
 * (Cohen 1988; Lakens 2013, "d_z"), so that t = d_z sqrt(n). NaN when n < 2; with sd = 0 the
 * degenerate convention of stats_paired_t: +-infinity, or 0 when the mean is 0. */
double stats_effect_dz(const stats_summary *diff);

/* ---- the verdict ----------------------------------------------------------------------- */

typedef struct stats_evidence {
    double mean_diff;           /* treatment - baseline, mean over the pairs */
    double p_difference;        /* the paired t-test's two-sided p, Holm-adjusted over the family */
    double p_equivalence;       /* stats_tost.p against +-delta; NaN when the metric has no margin */
    double alpha;               /* the level of both tests, e.g. STATS_ALPHA_DEFAULT */
    enum stats_direction direction;
    int converged;              /* the caller's judgement of the runs (config and baseline) */
    stats_seeds seeds;          /* stats_seeds_needed(delta, paired sd, ...) */
} stats_evidence;

typedef struct stats_decision {
    enum stats_verdict verdict;
    int trivial_difference;     /* 1 when the difference test was significant too, but the effect
                                   lies within +-delta (Lakens's "different and equivalent") */
    double seeds_to_decide;     /* UNDECIDED only: seeds.seeds when FOUND, else NaN */
    int seeds_over_cap;         /* UNDECIDED only: seeds.status == OVER_CAP ("more than cap") */
    const char *rule;           /* the rule that decided, one English clause for footnotes */
} stats_decision;

/* The verdict on one configuration against its paired baseline. Rules, first match wins:
 *   1. !converged                          -> NOT_CONVERGED: the runs had not finished learning, so
 *      their difference measures the training budget as much as the loss; no claim is made.
 *   2. mean_diff or p_difference NaN, or alpha not in (0, 1) -> NO_TEST (one seed, no pairs).
 *   3. p_equivalence <= alpha               -> EQUIVALENT (within +-delta), and when also
 *      p_difference <= alpha and mean_diff != 0, trivial_difference = 1. This is the fourth outcome
 *      of Lakens (2017, "Equivalence tests: a practical primer", SPPS 8:355; also Lakens, Scheel
 *      and Isager 2018): statistically different from zero yet smaller than the smallest effect
 *      of interest, a trivial effect. Equivalence wins because delta was fixed
 *      before the sweep as the size below which a difference does not matter, so calling a
 *      difference inside it "helps" would contradict the margin; the flag keeps the fact that it
 *      is real (the report can say "equivalent within ±0.2 dB; a real but trivial +0.05 dB").
 *   4. p_difference <= alpha and mean_diff != 0 -> HELPS or HURTS by the direction (as
 *      stats_classify: significant means p <= alpha).
 *   5. p_equivalence NaN (no margin)        -> INDISTINGUISHABLE, the old verdict: no test rejected
 *      and no equivalence was asked for.
 *   6. otherwise                           -> UNDECIDED: neither test decided; seeds_to_decide
 *      says how many seeds would give 80 % power to detect delta (or seeds_over_cap).
 * Notes: mean_diff = 0 with p_difference <= alpha cannot come from stats_paired_t (p = 1) and is
 * never HELPS or HURTS. The TOST p-values are not Holm-adjusted: each configuration's equivalence
 * is its own intersection-union test (Berger 1982), sound per comparison; a claim that every
 * configuration is equivalent at once needs no adjustment either, but a claim that "some" are
 * would. The seeds-needed estimate is for the difference test; TOST with a true difference of 0
 * needs a similar number ((z_0.95 + z_0.9)^2 against (z_0.975 + z_0.8)^2, 8.6 against 7.8
 * (sd/delta)^2 in the normal approximation). */
stats_decision stats_decide(const stats_evidence *e);

/* ==== Statistics that do not lean on normality (issue 13) ================================== */

/* ---- paired bootstrap ------------------------------------------------------------------ */

#define STATS_BOOTSTRAP_RESAMPLES 10000
/* Below this many pairs a bootstrap cannot help: with n = 4 there are only 35 distinct resamples
 * of the mean, the percentile interval is too narrow by the factor sqrt((n - 1) / n) and its
 * coverage falls well below its level. The caller must say so beside the interval. */
#define STATS_BOOTSTRAP_MIN_N 5

typedef struct stats_bootstrap {
    size_t n;               /* pairs */
    size_t resamples;
    unsigned long seed;
    double estimate;        /* the mean difference of the data */
    double se;              /* sd (divisor B - 1) of the B resample means: the bootstrap SE */
    double ci_low, ci_high; /* alpha/2 and 1 - alpha/2 quantiles of the resample means */
    double level;           /* 1 - alpha */
    int too_few;            /* n < STATS_BOOTSTRAP_MIN_N: computed, but report that a bootstrap
                               cannot help with so few seeds */
} stats_bootstrap;

/* Percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13) of the mean paired difference
 * treatment[i] - baseline[i]: B = resamples times, draw n pairs with replacement (uniformly, by
 * gsl_rng_uniform_int from GSL's MT19937 seeded with gsl_rng_set(seed), in order: resample 0's n
 * indices first) and take the mean; the interval is the alpha/2 and 1 - alpha/2 quantiles of the B
 * means with linear interpolation between order statistics (GSL's quantile_from_sorted_data,
 * NumPy's default). Deterministic: the same data, B and seed give the same bits; seed 0 means
 * GSL's default seed 4357. Percentile rather than BCa: with 3 to 10 seeds BCa's acceleration and
 * bias corrections are themselves estimated from those few values (a jackknife of n), which adds
 * noise rather than accuracy, and rliable (Agarwal et al. 2021) uses the percentile method too.
 * The Monte Carlo error of the limits is about sqrt(p (1 - p) / B) / density, i.e. a small
 * fraction of the bootstrap SE at B = 10000: against the exact bootstrap distribution (all n^n
 * resamples, n = 4, 5, 6) the limits were within 0.11 of its SE, inside the Monte Carlo band.
 * Also with n = 1 (interval [d, d], se 0, too_few).
 * Fails when n == 0, resamples < 2, alpha is not in (0, 1), a value is not finite, or memory runs
 * out. */
int stats_bootstrap_paired(const double *treatment, const double *baseline, size_t n,
                           size_t resamples, unsigned long seed, double alpha,
                           stats_bootstrap *out, char *err, size_t errlen);

/* ---- probability of improvement -------------------------------------------------------- */

typedef struct stats_improvement {
    size_t n_x, n_y;
    double p;               /* P(X better than Y) + P(X = Y) / 2 over all n_x n_y pairs */
    double ci_low, ci_high; /* percentile interval of the stratified bootstrap */
    double level;           /* 1 - alpha */
    size_t resamples;
    unsigned long seed;
} stats_improvement;

/* The probability of improvement of configuration X over Y as rliable defines it (Agarwal et al.
 * 2021, "Deep RL at the edge of the statistical precipice"; rliable.metrics, for one task): the
 * Mann-Whitney U of X against Y divided by n_x n_y, ties counting 1/2:
 *     p = (1 / (n_x n_y)) sum_i sum_j [x_i better than y_j] + [x_i == y_j] / 2,
 * which is scipy.stats.mannwhitneyu(x, y).statistic / (n_x n_y) for HIGHER_IS_BETTER ("better"
 * is ">") and 1 minus it for LOWER_IS_BETTER ("better" is "<"). It compares the two sets of
 * seeds unpaired, as rliable does. 0.5 means no tendency either way.
 * Interval: rliable's stratified (independent-samples) bootstrap with its default percentile
 * method, as rliable's get_interval_estimates does it: each of B resamples draws n_x
 * values of x and then n_y values of y with replacement (gsl_rng_uniform_int from MT19937 seeded
 * with `seed`), computes p, and the interval is the alpha/2 and 1 - alpha/2 quantiles of the B
 * values (interpolated as in stats_bootstrap_paired). With 3 seeds a side there are 100 distinct
 * resample pairs (multisets) and the interval is coarse; a bootstrap of fewer than
 * STATS_BOOTSTRAP_MIN_N seeds cannot help, as above. rliable draws 50000 resamples by default;
 * STATS_BOOTSTRAP_RESAMPLES is enough for two decimals. p equals SciPy's to the bit (9 cases,
 * ties, both directions); the limits fell on the exact bootstrap distribution's own quantiles
 * (within 3e-13) in the 8 cases small enough to enumerate.
 * Fails when a sample is empty, resamples < 2, alpha is not in (0, 1), a value is not finite, or
 * memory runs out. */
int stats_probability_of_improvement(const double *x, size_t n_x, const double *y, size_t n_y,
                                     enum stats_direction direction, size_t resamples,
                                     unsigned long seed, double alpha, stats_improvement *out,
                                     char *err, size_t errlen);

/* ---- two-way analysis of variance in randomised complete blocks ------------------------ */

enum stats_anova_term {
    STATS_ANOVA_A,          /* first factor (the effective weight) */
    STATS_ANOVA_B,          /* second factor (the kernel) */
    STATS_ANOVA_AB,         /* their interaction */
    STATS_ANOVA_BLOCK,      /* blocks (the seeds) */
    STATS_ANOVA_TERMS
};

typedef struct stats_anova_row {
    double ss;              /* Type II sum of squares */
    double df;              /* its degrees of freedom (a rank difference, see below) */
    double f;               /* (ss / df) / (ss_residual / df_residual) */
    double p;               /* P(F(df, df_residual) > f) */
    double partial_eta2;    /* ss / (ss + ss_residual) */
    int estimable;          /* 0: df = 0 (e.g. one level) or, for AB, an empty cell; all NaN */
} stats_anova_row;

typedef struct stats_anova {
    stats_anova_row term[STATS_ANOVA_TERMS];
    double ss_residual, df_residual;
    double ss_total;        /* sum of (y - mean y)^2 */
    size_t n;
    size_t empty_cells;     /* (a, b) cells without any observation */
    int exact_fit;          /* the residual is zero (within 1e-24 of ss_total): no F tests */
} stats_anova;

/* Two-way analysis of variance with blocks of the n observations y[i] at level a[i] of factor A
 * (0..na-1), b[i] of factor B (0..nb-1) and block[i] (0..nblocks-1): the randomised complete
 * block design y ~ A + B + A:B + block, in statsmodels' words
 *     anova_lm(ols('y ~ C(a) * C(b) + C(block)', data).fit(), typ=2).
 * For wb: y is a configuration's paired difference (lambda > 0 only) at one seed, A its effective
 * weight, B its kernel, the block its seed; "does the kernel matter, and does it interact with the
 * weight" is the B and A:B rows.
 * Type II sums of squares by model comparison (each term adjusted for every term that does not
 * contain it; Langsrud 2003; Fox, "Applied regression analysis", 2016), each model
 * fitted by least squares (gsl_multifit_linear_tsvd, dummy coding, rank by the singular values at a
 * relative 1e-10), RSS(.) its residual sum of squares:
 *     SS(A) = RSS(B + S) - RSS(A + B + S),          SS(B) = RSS(A + S) - RSS(A + B + S),
 *     SS(A:B) = RSS(A + B + S) - RSS(full),          SS(S) = RSS(A + B + A:B) - RSS(full),
 * df of each = the difference of the two models' ranks, residual = RSS(full) on n - rank(full).
 * F = (SS/df) / (RSS/df_res), p from GSL's F distribution, partial eta^2 = SS / (SS + RSS)
 * (Cohen 1973). With balanced data these are the textbook sums of squares. Accuracy: SS, F, p
 * and partial eta^2 within 2.2e-14 (relative) of statsmodels on balanced, unbalanced (seeds
 * missing from cells, 3 x 3) and empty-cell designs.
 * Unbalanced data (a seed missing in some cells, cells with different counts) need nothing more:
 * least squares and the rank-based df handle them, as in statsmodels. An empty cell leaves the
 * interaction only partly estimable, and its test would then compare something other than "no
 * interaction" (R's car::Anova refuses such a model; statsmodels 0.13 gives the interaction all
 * (na - 1)(nb - 1) df and no B row): then
 * empty_cells > 0, the A:B row is not estimable (NaN) and the model is additive, A + B + S, whose
 * residual is the denominator of the other F tests, and SS(S) = RSS(A + B) - RSS(A + B + S); the
 * caller names the empty cells from cell_counts. A term whose df comes out 0 (one level, or A and B
 * confounded) is not estimable. With df_residual = 0 or an exact fit, F and p are NaN (SS, df and
 * partial eta^2 stay).
 * cell_counts, when not NULL, receives the na x nb observation counts (cell (i, j) at i nb + j).
 * Fails when n == 0, a level is out of range, some level of a factor or block has no observation,
 * a value is not finite, or memory runs out. */
int stats_anova_two_way_blocked(const double *y, const size_t *a, const size_t *b,
                                const size_t *block, size_t n, size_t na, size_t nb,
                                size_t nblocks, size_t *cell_counts, stats_anova *out,
                                char *err, size_t errlen);

#endif
