/* tests/test_stats.c: analysis/stats.h against values computed independently of it.
 *
 * Provenance of the reference numbers (computed once, offline, never at test time, with Debian's
 * /usr/bin/python3: mpmath 1.2.1, SciPy 1.10.1), printed with repr() (17 digits):
 *   - Every t-distribution number (quantiles, p-values, the quantiles inside the intervals) is
 *     mpmath at 50 digits: the CDF as the regularized incomplete beta function, quantiles by
 *     findroot on it (the script is at the end of this file). The inputs are the tests' doubles
 *     (paired differences formed by double subtraction, as the code does), then exact arithmetic.
 *   - Why not scipy.stats.t.ppf: in SciPy 1.10 it (cephes stdtrit) is off in the 9th to 10th
 *     digit, e.g. t.ppf(0.05, 4) = -2.1318467813362907 while the closed form for df = 4,
 *     -2 sqrt(q - 1) with q = cos(acos(sqrt(a)) / 3) / sqrt(a), a = 4 p (1 - p), gives
 *     -2.131846786326651 as mpmath does. The df = 1 and df = 2 quantiles also equal their closed
 *     forms, tan(pi (p - 1/2)) and (2p - 1) / sqrt(2 p (1 - p)), and the 0.975 ones round to the
 *     printed tables' 12.706, 4.303, 2.776, 2.262, 2.045.
 *   - Cross-checks within 2e-15 relative: scipy.stats.ttest_rel(treatment, baseline) t and p;
 *     scipy.stats.ttest_ind(a, b, equal_var=False) t and p; NumPy's mean and std(ddof=1).
 *   - Holm: the adjusted values are worked by hand in the comments (and were checked against a
 *     NumPy transcription of statsmodels' multipletests method='holm': sort, multiply by m - j,
 *     running maximum, clip at 1).
 *   - Everything of issues 12 and 13 (noncentral t, power, minimum detectable effect, seeds
 *     needed, TOST, d_z, the bootstraps, the probability of improvement, the blocked analysis of
 *     variance) is checked against tests/fixtures/stats_reference.h, written by
 *     tests/fixtures/make_stats_reference.py (`make stats-reference`; SciPy 1.10.1, statsmodels
 *     0.13.5, mpmath 1.2.1), which names every library call in the header it writes. The tests
 *     print their measured accuracy as "# report:" lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/stats.h"
#include "fixtures/stats_reference.h"

#define REL_TOL 1e-10

static void assert_close_rel(double actual, double expected, double rel_tol, const char *what)
{
    double scale = fabs(expected) > 0 ? fabs(expected) : 1.0;
    if (!(fabs(actual - expected) <= rel_tol * scale))
        fail_msg("%s: got %.17g, expected %.17g (relative error %.3g, tolerance %.3g)", what,
                 actual, expected, fabs(actual - expected) / scale, rel_tol);
}

#define assert_close(actual, expected) assert_close_rel((actual), (expected), REL_TOL, #actual)

/* ---- t distribution -------------------------------------------------------------------- */

static void t_quantiles_match_reference(void **state)
{
    (void)state;
    static const struct {
        double df, q975, q05, q995;
    } ref[] = {
        {1, 12.706204736174705, -6.313751514675043, 63.65674116287158},
        {2, 4.302652729749464, -2.9199855803537256, 9.924843200918293},
        {4, 2.7764451051977943, -2.1318467863266504, 4.604094871349993},
        {9, 2.2621571627982053, -1.8331129326562372, 3.2498355415921263},
        {29, 2.0452296421327043, -1.6991270265334977, 2.7563859036706053},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "t quantile 0.975, df %g", ref[i].df);
        assert_close_rel(stats_t_quantile(0.975, ref[i].df), ref[i].q975, REL_TOL, what);
        snprintf(what, sizeof what, "t quantile 0.05, df %g", ref[i].df);
        assert_close_rel(stats_t_quantile(0.05, ref[i].df), ref[i].q05, REL_TOL, what);
        snprintf(what, sizeof what, "t quantile 0.995, df %g", ref[i].df);
        assert_close_rel(stats_t_quantile(0.995, ref[i].df), ref[i].q995, REL_TOL, what);
    }
    /* Welch's df is fractional. */
    assert_close(stats_t_quantile(0.975, 7.3), 2.345066736547704);
}

static void t_quantile_rejects_bad_arguments(void **state)
{
    (void)state;
    assert_true(isnan(stats_t_quantile(0.0, 5)));
    assert_true(isnan(stats_t_quantile(1.0, 5)));
    assert_true(isnan(stats_t_quantile(NAN, 5)));
    assert_true(isnan(stats_t_quantile(0.975, 0)));
    assert_true(isnan(stats_t_quantile(0.975, NAN)));
    assert_true(isnan(stats_t_quantile(0.975, INFINITY)));
}

static void two_sided_p_is_accurate_in_the_tail(void **state)
{
    (void)state;
    /* 1 - P(T < 20) would keep only about 8 correct digits here, and none at all below 1e-16. */
    assert_close(stats_t_two_sided_p(20, 9), 9.079521299916545e-09);
    assert_close(stats_t_two_sided_p(-20, 9), 9.079521299916545e-09);
    assert_close(stats_t_two_sided_p(1e3, 4), 5.999960000209999e-12);
    assert_close(stats_t_two_sided_p(0, 4), 1.0);
    assert_true(stats_t_two_sided_p(INFINITY, 4) == 0.0);
    assert_true(stats_t_two_sided_p(-INFINITY, 4) == 0.0);
    assert_true(isnan(stats_t_two_sided_p(NAN, 4)));
    assert_true(isnan(stats_t_two_sided_p(2, 0)));
}

/* ---- summary --------------------------------------------------------------------------- */

static const double five_psnr[] = {30.1, 30.4, 29.8, 30.6, 30.2};

static void summary_matches_reference(void **state)
{
    (void)state;
    char err[128] = "";
    stats_summary s;
    assert_int_equal(stats_summarize(five_psnr, 5, 0.05, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.has_spread, 1);
    assert_close(s.mean, 30.22);
    assert_close(s.sd, 0.3033150177620619);
    assert_close(s.se, 0.1356465996625053);
    assert_close(s.ci_low, 29.843384662330312);
    assert_close(s.ci_high, 30.59661533766969);
    assert_close(s.level, 0.95);

    assert_int_equal(stats_summarize(five_psnr, 5, 0.10, &s, err, sizeof err), 0);
    assert_close(s.ci_low, 29.93082223243335);
    assert_close(s.ci_high, 30.50917776756665);
}

/* The textbook formula with the tabulated t(0.975, 4) = 2.776 (3 decimals: the tolerance is the
 * table's rounding), so a 1.96 in the code could not pass. */
static void summary_interval_uses_student_t(void **state)
{
    (void)state;
    stats_summary s;
    assert_int_equal(stats_summarize(five_psnr, 5, 0.05, &s, NULL, 0), 0);
    double half = 2.776 * s.sd / sqrt(5.0);
    assert_close_rel(s.ci_high - s.mean, half, 2e-4, "half-width vs tabulated t");
    assert_close_rel(s.mean - s.ci_low, half, 2e-4, "half-width vs tabulated t");
}

static void summary_of_one_value_has_no_spread(void **state)
{
    (void)state;
    stats_summary s;
    double one = 29.5;
    assert_int_equal(stats_summarize(&one, 1, 0.05, &s, NULL, 0), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.has_spread, 0);
    assert_true(s.mean == 29.5);
    assert_true(isnan(s.sd) && isnan(s.se) && isnan(s.ci_low) && isnan(s.ci_high));
}

static void summary_of_equal_values_has_zero_width(void **state)
{
    (void)state;
    /* 0.1 is inexact in binary: a sum-then-divide mean would not return it exactly. */
    const double same[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    stats_summary s;
    assert_int_equal(stats_summarize(same, 7, 0.05, &s, NULL, 0), 0);
    assert_int_equal(s.has_spread, 1);
    assert_true(s.mean == 0.1);
    assert_true(s.sd == 0.0 && s.se == 0.0);
    assert_true(s.ci_low == 0.1 && s.ci_high == 0.1);
}

static void summary_refuses_bad_input(void **state)
{
    (void)state;
    char err[128] = "";
    stats_summary s;
    const double diverged[] = {30.1, 30.4, NAN, 30.6};
    assert_int_equal(stats_summarize(diverged, 4, 0.05, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "x[2]"));
    const double blew_up[] = {30.1, INFINITY};
    assert_int_equal(stats_summarize(blew_up, 2, 0.05, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "x[1]"));
    assert_int_equal(stats_summarize(five_psnr, 0, 0.05, &s, err, sizeof err), -1);
    assert_int_equal(stats_summarize(five_psnr, 5, 0.0, &s, err, sizeof err), -1);
    assert_int_equal(stats_summarize(five_psnr, 5, 1.0, &s, err, sizeof err), -1);
    assert_int_equal(stats_summarize(five_psnr, 5, NAN, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "alpha"));
    /* A tiny buffer is truncated, not overrun (ASan would see it). */
    char tiny[4];
    assert_int_equal(stats_summarize(diverged, 4, 0.05, &s, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), 3);
}

/* ---- paired test ----------------------------------------------------------------------- */

static void paired_test_matches_reference(void **state)
{
    (void)state;
    const double treatment[] = {30.31, 30.52, 29.95, 30.71, 30.44, 30.18};
    const double baseline[] = {30.20, 30.41, 29.90, 30.55, 30.30, 30.12};
    char err[128] = "";
    stats_paired r;
    assert_int_equal(stats_paired_t(treatment, baseline, 6, 0.05, &r, err, sizeof err), 0);
    assert_int_equal(r.has_test, 1);
    assert_int_equal(r.degenerate, 0);
    assert_int_equal(r.diff.n, 6);
    /* The differences carry the rounding of 30.xx - 30.yy (about 1e-15 absolute), so their mean
     * 0.105 is known to about 1e-14 relative: the tolerance stays 1e-10. */
    assert_close(r.diff.mean, 0.10499999999999983);
    assert_close(r.diff.sd, 0.04324349662087949);
    assert_close(r.t, 5.947632432388683);
    assert_close(r.df, 5);
    assert_close(r.p, 0.0019199337996953243);
    assert_close(r.diff.ci_low, 0.05961873345232731);
    assert_close(r.diff.ci_high, 0.15038126654767237);

    /* Swapping the arms flips the sign and nothing else. */
    stats_paired s;
    assert_int_equal(stats_paired_t(baseline, treatment, 6, 0.05, &s, err, sizeof err), 0);
    assert_close(s.t, -5.947632432388683);
    assert_close(s.p, 0.0019199337996953243);
}

static void paired_test_keeps_tiny_p_values(void **state)
{
    (void)state;
    const double treatment[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    const double effect[] = {5.01, 5.02, 4.99, 5.00, 4.98, 5.03, 5.00, 4.97, 5.01, 4.99};
    double baseline[10];
    for (int i = 0; i < 10; i++)
        baseline[i] = treatment[i] - effect[i];  /* as the reference script built it */
    stats_paired r;
    assert_int_equal(stats_paired_t(treatment, baseline, 10, 0.05, &r, NULL, 0), 0);
    assert_close(r.t, 866.0254037844418);
    assert_close(r.p, 1.858120292419191e-23);
}

static void paired_test_with_one_pair_has_no_test(void **state)
{
    (void)state;
    const double treatment = 30.5, baseline = 30.25;
    stats_paired r;
    assert_int_equal(stats_paired_t(&treatment, &baseline, 1, 0.05, &r, NULL, 0), 0);
    assert_int_equal(r.has_test, 0);
    assert_int_equal(r.degenerate, 0);
    assert_true(r.diff.mean == 0.25);
    assert_int_equal(r.diff.has_spread, 0);
    assert_true(isnan(r.t) && isnan(r.df) && isnan(r.p) && isnan(r.diff.ci_low));
}

static void paired_test_with_constant_difference_is_degenerate(void **state)
{
    (void)state;
    const double baseline[] = {1.0, 2.0, 3.0, 4.0};
    const double better[] = {1.5, 2.5, 3.5, 4.5};   /* exactly +0.5 each */
    const double worse[] = {0.5, 1.5, 2.5, 3.5};    /* exactly -0.5 each */
    stats_paired r;
    assert_int_equal(stats_paired_t(better, baseline, 4, 0.05, &r, NULL, 0), 0);
    assert_int_equal(r.has_test, 1);
    assert_int_equal(r.degenerate, 1);
    assert_true(r.diff.mean == 0.5 && r.diff.sd == 0.0);
    assert_true(isinf(r.t) && r.t > 0);
    assert_true(r.p == 0.0);
    assert_true(r.df == 3.0);
    assert_true(r.diff.ci_low == 0.5 && r.diff.ci_high == 0.5);

    assert_int_equal(stats_paired_t(worse, baseline, 4, 0.05, &r, NULL, 0), 0);
    assert_int_equal(r.degenerate, 1);
    assert_true(isinf(r.t) && r.t < 0);
    assert_true(r.p == 0.0);
}

static void paired_test_with_no_difference_is_degenerate(void **state)
{
    (void)state;
    stats_paired r;
    assert_int_equal(stats_paired_t(five_psnr, five_psnr, 5, 0.05, &r, NULL, 0), 0);
    assert_int_equal(r.has_test, 1);
    assert_int_equal(r.degenerate, 1);
    assert_true(r.diff.mean == 0.0 && r.diff.sd == 0.0);
    assert_true(r.t == 0.0 && r.p == 1.0);
    assert_true(r.diff.ci_low == 0.0 && r.diff.ci_high == 0.0);
}

static void paired_test_refuses_bad_input(void **state)
{
    (void)state;
    const double good[] = {30.1, 30.2, 30.3};
    const double diverged[] = {30.0, NAN, 30.2};
    const double overflow_a[] = {1e308, 1.0}, overflow_b[] = {-1e308, 2.0};
    char err[128] = "";
    stats_paired r;
    assert_int_equal(stats_paired_t(good, diverged, 3, 0.05, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "baseline[1]"));
    assert_int_equal(stats_paired_t(diverged, good, 3, 0.05, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "treatment[1]"));
    assert_int_equal(stats_paired_t(overflow_a, overflow_b, 2, 0.05, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "overflow"));
    assert_int_equal(stats_paired_t(good, good, 0, 0.05, &r, err, sizeof err), -1);
    assert_int_equal(stats_paired_t(good, good, 3, 1.5, &r, err, sizeof err), -1);
}

/* ---- Welch ----------------------------------------------------------------------------- */

static void welch_matches_reference(void **state)
{
    (void)state;
    const double a[] = {0.0123, 0.0131, 0.0119, 0.0127};
    const double b[] = {0.0135, 0.0142, 0.0129, 0.0151, 0.0138, 0.0147, 0.0133};
    char err[128] = "";
    stats_welch w;
    assert_int_equal(stats_welch_t(a, 4, b, 7, 0.05, &w, err, sizeof err), 0);
    assert_int_equal(w.has_test, 1);
    assert_int_equal(w.degenerate, 0);
    assert_int_equal(w.a.n, 4);
    assert_int_equal(w.b.n, 7);
    assert_close(w.mean_diff, -0.0014285714285714284);
    assert_close(w.se, 0.00039322493606094725);
    assert_close(w.t, -3.632962453708707);
    assert_close(w.df, 8.628500585501119);
    assert_close(w.p, 0.005858934216864501);
    assert_close(w.ci_low, -0.002323980526205087);
    assert_close(w.ci_high, -0.0005331623309377696);
}

static void welch_with_one_constant_sample_is_ordinary(void **state)
{
    (void)state;
    const double constant[] = {0.5, 0.5, 0.5};
    const double varying[] = {0.1, 0.4, 0.2, 0.3};
    stats_welch w;
    assert_int_equal(stats_welch_t(constant, 3, varying, 4, 0.05, &w, NULL, 0), 0);
    assert_int_equal(w.degenerate, 0);
    assert_close(w.df, 3);  /* only the varying sample contributes: n_b - 1 */
    assert_close(w.t, 3.8729833462074166);  /* = sqrt(15) */
    assert_close(w.p, 0.030466291662170995);
}

static void welch_degenerate_cases(void **state)
{
    (void)state;
    const double one = 1.0, twos[] = {2.0, 2.0}, threes[] = {3.0, 3.0, 3.0};
    const double varying[] = {1.0, 2.0, 4.0};
    stats_welch w;

    assert_int_equal(stats_welch_t(&one, 1, varying, 3, 0.05, &w, NULL, 0), 0);
    assert_int_equal(w.has_test, 0);
    assert_int_equal(w.degenerate, 0);
    assert_true(w.a.mean == 1.0);
    assert_close(w.b.mean, 7.0 / 3.0);
    assert_close(w.mean_diff, 1.0 - 7.0 / 3.0);
    assert_true(isnan(w.t) && isnan(w.p) && isnan(w.df) && isnan(w.se) && isnan(w.ci_low));

    assert_int_equal(stats_welch_t(twos, 2, threes, 3, 0.05, &w, NULL, 0), 0);
    assert_int_equal(w.has_test, 1);
    assert_int_equal(w.degenerate, 1);
    assert_true(w.se == 0.0 && isnan(w.df));
    assert_true(isinf(w.t) && w.t < 0 && w.p == 0.0);
    assert_true(w.ci_low == -1.0 && w.ci_high == -1.0);

    assert_int_equal(stats_welch_t(threes, 3, threes, 2, 0.05, &w, NULL, 0), 0);
    assert_int_equal(w.degenerate, 1);
    assert_true(w.t == 0.0 && w.p == 1.0);
    assert_true(w.ci_low == 0.0 && w.ci_high == 0.0);
}

static void welch_refuses_bad_input(void **state)
{
    (void)state;
    const double good[] = {1.0, 2.0}, diverged[] = {1.0, -INFINITY};
    char err[128] = "";
    stats_welch w;
    assert_int_equal(stats_welch_t(good, 2, diverged, 2, 0.05, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "b[1]"));
    assert_int_equal(stats_welch_t(diverged, 2, good, 2, 0.05, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "a[1]"));
    assert_int_equal(stats_welch_t(good, 0, good, 2, 0.05, &w, err, sizeof err), -1);
    assert_int_equal(stats_welch_t(good, 2, good, 2, -0.05, &w, err, sizeof err), -1);
}

/* ---- Holm ------------------------------------------------------------------------------ */

static void assert_holm(const double *p, size_t m, const double *expected, size_t expected_k)
{
    double adjusted[16];
    size_t k = 999;
    char err[128] = "";
    assert_true(m <= 16);
    assert_int_equal(stats_holm(p, m, adjusted, &k, err, sizeof err), 0);
    assert_int_equal(k, expected_k);
    for (size_t i = 0; i < m; i++) {
        char what[32];
        snprintf(what, sizeof what, "adjusted[%zu]", i);
        if (isnan(expected[i]))
            assert_true(isnan(adjusted[i]));
        else
            assert_close_rel(adjusted[i], expected[i], 1e-12, what);
    }
}

static void holm_unsorted_with_ties_and_monotonicity(void **state)
{
    (void)state;
    /* m = 6. Sorted: 0.01 (#1), 0.01 (#3), 0.02 (#5), 0.03 (#2), 0.04 (#0), 0.5 (#4).
     * Scaled by 6, 5, 4, 3, 2, 1: 0.06, 0.05, 0.08, 0.09, 0.08, 0.5.
     * Running maximum: 0.06, 0.06 (tie raised to its twin), 0.08, 0.09, 0.09 (raised: the
     * monotonicity step), 0.5. Back in input order: */
    const double p[] = {0.04, 0.01, 0.03, 0.01, 0.5, 0.02};
    const double expected[] = {0.09, 0.06, 0.09, 0.06, 0.5, 0.08};
    assert_holm(p, 6, expected, 6);
}

static void holm_caps_at_one(void **state)
{
    (void)state;
    /* m = 4. Sorted 0.01, 0.4, 0.6, 0.9 scaled by 4, 3, 2, 1: 0.04, 1.2, 1.2, 0.9;
     * running maximum 0.04, 1.2, 1.2, 1.2; capped at 1. */
    const double p[] = {0.4, 0.6, 0.9, 0.01};
    const double expected[] = {1.0, 1.0, 1.0, 0.04};
    assert_holm(p, 4, expected, 4);
}

static void holm_skips_unavailable_p_values(void **state)
{
    (void)state;
    /* Two comparisons without a test: the family is m = 3, not 5.
     * Sorted 0.01, 0.03, 0.04 scaled by 3, 2, 1: 0.03, 0.06, 0.04 -> running maximum 0.03, 0.06,
     * 0.06. (Counting the NaNs, m = 5, would give 0.05 for the first.) */
    const double p[] = {0.01, NAN, 0.04, NAN, 0.03};
    const double expected[] = {0.03, NAN, 0.06, NAN, 0.06};
    assert_holm(p, 5, expected, 3);
}

static void holm_edge_cases(void **state)
{
    (void)state;
    const double single[] = {0.03};     /* a family of one is not adjusted */
    assert_holm(single, 1, single, 1);
    const double none[] = {NAN, NAN};
    assert_holm(none, 2, none, 0);
    assert_int_equal(stats_holm(NULL, 0, NULL, NULL, NULL, 0), 0);
    const double bounds[] = {0.0, 1.0};  /* 2 * 0 = 0; 1 * 1 = 1 */
    assert_holm(bounds, 2, bounds, 2);

    /* In place. */
    double p[] = {0.04, 0.01, 0.03, 0.01, 0.5, 0.02};
    assert_int_equal(stats_holm(p, 6, p, NULL, NULL, 0), 0);
    assert_close_rel(p[0], 0.09, 1e-12, "in-place p[0]");
    assert_close_rel(p[3], 0.06, 1e-12, "in-place p[3]");
}

static void holm_refuses_non_probabilities(void **state)
{
    (void)state;
    double adjusted[2];
    char err[128] = "";
    const double negative[] = {0.01, -0.2}, large[] = {1.5, 0.2}, infinite[] = {0.1, INFINITY};
    assert_int_equal(stats_holm(negative, 2, adjusted, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "p[1]"));
    assert_int_equal(stats_holm(large, 2, adjusted, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "p[0]"));
    assert_int_equal(stats_holm(infinite, 2, adjusted, NULL, err, sizeof err), -1);
}

/* ---- verdict --------------------------------------------------------------------------- */

static void classify_by_direction_and_level(void **state)
{
    (void)state;
    /* PSNR up, significant: helps; MSE up, significant: hurts. */
    assert_int_equal(stats_classify(0.12, 0.04, 0.05, STATS_HIGHER_IS_BETTER), STATS_HELPS);
    assert_int_equal(stats_classify(-0.12, 0.04, 0.05, STATS_HIGHER_IS_BETTER), STATS_HURTS);
    assert_int_equal(stats_classify(1e-4, 0.04, 0.05, STATS_LOWER_IS_BETTER), STATS_HURTS);
    assert_int_equal(stats_classify(-1e-4, 0.04, 0.05, STATS_LOWER_IS_BETTER), STATS_HELPS);
    /* p exactly alpha rejects (statsmodels' rule); just above does not. */
    assert_int_equal(stats_classify(0.12, 0.05, 0.05, STATS_HIGHER_IS_BETTER), STATS_HELPS);
    assert_int_equal(stats_classify(0.12, 0.0500001, 0.05, STATS_HIGHER_IS_BETTER),
                     STATS_INDISTINGUISHABLE);
    assert_int_equal(stats_classify(-0.5, 1.0, 0.05, STATS_LOWER_IS_BETTER),
                     STATS_INDISTINGUISHABLE);
    assert_int_equal(stats_classify(0.0, 0.0, 0.05, STATS_HIGHER_IS_BETTER),
                     STATS_INDISTINGUISHABLE);
    assert_int_equal(stats_classify(0.12, NAN, 0.05, STATS_HIGHER_IS_BETTER), STATS_NO_TEST);
    assert_int_equal(stats_classify(NAN, 0.01, 0.05, STATS_HIGHER_IS_BETTER), STATS_NO_TEST);
    assert_string_equal(stats_verdict_name(STATS_HELPS), "helps");
    assert_string_equal(stats_verdict_name(STATS_NO_TEST), "no test");
}

static void metric_directions(void **state)
{
    (void)state;
    enum stats_direction d;
    char err[160] = "";
    assert_int_equal(stats_metric_direction("test.psnr", &d, err, sizeof err), 0);
    assert_int_equal(d, STATS_HIGHER_IS_BETTER);
    assert_int_equal(stats_metric_direction("ssim", &d, err, sizeof err), 0);
    assert_int_equal(d, STATS_HIGHER_IS_BETTER);
    assert_int_equal(stats_metric_direction("val.lap8_mse", &d, err, sizeof err), 0);
    assert_int_equal(d, STATS_LOWER_IS_BETTER);
    assert_int_equal(stats_metric_direction("mse", &d, err, sizeof err), 0);
    assert_int_equal(d, STATS_LOWER_IS_BETTER);
    assert_int_equal(stats_metric_direction("test.psnrx", &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "psnrx"));
}

/* The whole chain on the brief's example: a paired test per configuration, Holm across them, a
 * verdict each. */
static void paired_holm_verdict_chain(void **state)
{
    (void)state;
    const double baseline[] = {30.20, 30.41, 29.90, 30.55, 30.30, 30.12};
    const double helps[] = {30.31, 30.52, 29.95, 30.71, 30.44, 30.18};  /* p = 0.00192 */
    const double noise[] = {30.25, 30.36, 29.93, 30.52, 30.33, 30.10};
    stats_paired r[2];
    assert_int_equal(stats_paired_t(helps, baseline, 6, 0.05, &r[0], NULL, 0), 0);
    assert_int_equal(stats_paired_t(noise, baseline, 6, 0.05, &r[1], NULL, 0), 0);
    double p[3] = {r[0].p, r[1].p, NAN}, adjusted[3];
    size_t k;
    assert_int_equal(stats_holm(p, 3, adjusted, &k, NULL, 0), 0);
    assert_int_equal(k, 2);
    assert_true(adjusted[0] <= 2 * r[0].p);
    assert_int_equal(stats_classify(r[0].diff.mean, adjusted[0], 0.05, STATS_HIGHER_IS_BETTER),
                     STATS_HELPS);
    assert_int_equal(stats_classify(r[1].diff.mean, adjusted[1], 0.05, STATS_HIGHER_IS_BETTER),
                     STATS_INDISTINGUISHABLE);
    assert_int_equal(stats_classify(0.1, adjusted[2], 0.05, STATS_HIGHER_IS_BETTER),
                     STATS_NO_TEST);
}

/* ==== against the generated fixture (tests/fixtures/make_stats_reference.py) ================ */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close_abs(double actual, double expected, double abs_tol, const char *what)
{
    if (!(fabs(actual - expected) <= abs_tol))
        fail_msg("%s: got %.17g, expected %.17g (absolute error %.3g, tolerance %.3g)", what,
                 actual, expected, fabs(actual - expected), abs_tol);
}

/* NaN matches NaN; anything else within the relative tolerance. */
static void assert_close_or_nan(double actual, double expected, double rel_tol, const char *what)
{
    if (isnan(expected)) {
        if (!isnan(actual))
            fail_msg("%s: got %.17g, expected NaN", what, actual);
        return;
    }
    assert_close_rel(actual, expected, rel_tol, what);
}

/* ---- noncentral t ---------------------------------------------------------------------- */

/* Measured 2e-14 (stats.h); the tolerance leaves room for another libm, not for a wrong digit
 * that matters to a power calculation. */
#define NCT_ABS_TOL 1e-12

static void nct_matches_scipy(void **state)
{
    (void)state;
    double worst_cdf = 0, worst_sf = 0;
    for (size_t i = 0; i < COUNT(nct_reference); i++) {
        const nct_ref *r = &nct_reference[i];
        double cdf = stats_nct_cdf(r->t, r->df, r->ncp), sf = stats_nct_sf(r->t, r->df, r->ncp);
        char what[128];
        snprintf(what, sizeof what, "nct cdf(t %g, df %g, ncp %g)", r->t, r->df, r->ncp);
        assert_close_abs(cdf, r->cdf, NCT_ABS_TOL, what);
        snprintf(what, sizeof what, "nct sf(t %g, df %g, ncp %g)", r->t, r->df, r->ncp);
        assert_close_abs(sf, r->sf, NCT_ABS_TOL, what);
        worst_cdf = fmax(worst_cdf, fabs(cdf - r->cdf));
        worst_sf = fmax(worst_sf, fabs(sf - r->sf));
    }
    printf("# report: noncentral t vs scipy.stats.nct over %zu points: max |cdf error| %.2g, "
           "max |sf error| %.2g\n", COUNT(nct_reference), worst_cdf, worst_sf);
}

static void nct_small_tails_match_mpmath(void **state)
{
    (void)state;
    double worst = 0;
    for (size_t i = 0; i < COUNT(nct_tail_reference); i++) {
        const nct_tail_ref *r = &nct_tail_reference[i];
        double got = r->upper ? stats_nct_sf(r->t, r->df, r->ncp)
                              : stats_nct_cdf(r->t, r->df, r->ncp);
        char what[128];
        snprintf(what, sizeof what, "nct %s(t %g, df %g, ncp %g)", r->upper ? "sf" : "cdf", r->t,
                 r->df, r->ncp);
        assert_close_rel(got, r->value, 1e-9, what);
        worst = fmax(worst, fabs(got - r->value) / r->value);
    }
    printf("# report: noncentral t small tails (1e-7 .. 1e-160) vs mpmath: max relative error "
           "%.2g\n", worst);
}

static void nct_edge_cases(void **state)
{
    (void)state;
    /* ncp = 0 is the central t. */
    assert_close(stats_nct_cdf(-2.1318467863266504, 4, 0), 0.05);
    assert_close(stats_nct_sf(2.7764451051977943, 4, 0), 0.025);
    /* t = 0: P(Z + ncp <= 0) = Phi(-ncp), whatever df. */
    assert_close(stats_nct_cdf(0, 7, 1.5), 0.066807201268858057);
    assert_close(stats_nct_sf(0, 7, 1.5), 0.93319279873114191);
    /* Reflection: T(ncp) = -T(-ncp). */
    assert_close(stats_nct_cdf(1.3, 6, 2.2), stats_nct_sf(-1.3, 6, -2.2));
    /* The tails add up to one. */
    for (double t = -5; t <= 5; t += 2.5)
        assert_close_abs(stats_nct_cdf(t, 3, 1) + stats_nct_sf(t, 3, 1), 1.0, 1e-14, "cdf + sf");
    assert_true(stats_nct_cdf(-INFINITY, 5, 1) == 0.0 && stats_nct_cdf(INFINITY, 5, 1) == 1.0);
    assert_true(stats_nct_sf(-INFINITY, 5, 1) == 1.0 && stats_nct_sf(INFINITY, 5, 1) == 0.0);
    /* Large df: close to the normal, Phi(t - ncp) (error of order 1/df). */
    assert_close_abs(stats_nct_cdf(2.0, 9999, 1.0), 0.84134474606854293, 1e-4, "df 9999");
    assert_true(isnan(stats_nct_cdf(NAN, 5, 1)));
    assert_true(isnan(stats_nct_cdf(1, NAN, 1)));
    assert_true(isnan(stats_nct_cdf(1, 5, NAN)));
    assert_true(isnan(stats_nct_cdf(1, 0.5, 1)));      /* df < 1: outside the domain */
    assert_true(isnan(stats_nct_sf(1, INFINITY, 1)));
    assert_true(isnan(stats_nct_sf(1, 5, INFINITY)));
}

/* ---- power ----------------------------------------------------------------------------- */

/* statsmodels' power takes its critical value from SciPy's t.isf, which is off in the 9th to
 * 10th digit (see the note at the top); the exact reference replaces only that value (by mpmath)
 * and is met to 1e-12. */
static void power_matches_statsmodels(void **state)
{
    (void)state;
    double worst = 0, worst_sm = 0;
    for (size_t i = 0; i < COUNT(power_reference); i++) {
        const power_ref *r = &power_reference[i];
        double got = stats_paired_power(r->effect_size, r->n, r->alpha);
        char what[128];
        snprintf(what, sizeof what, "power(d %g, n %g, alpha %g)", r->effect_size, r->n,
                 r->alpha);
        assert_close_abs(got, r->power, 1e-12, what);
        assert_close_abs(got, r->power_statsmodels, 1e-8, what);
        worst = fmax(worst, fabs(got - r->power));
        worst_sm = fmax(worst_sm, fabs(got - r->power_statsmodels));
    }
    printf("# report: paired power over %zu cases: max |error| %.2g against the exact critical "
           "value, %.2g against statsmodels TTestPower\n", COUNT(power_reference), worst,
           worst_sm);
}

static void power_edge_cases(void **state)
{
    (void)state;
    assert_close(stats_paired_power(0.0, 7, 0.05), 0.05);
    assert_close(stats_paired_power(0.6, 7, 0.05), stats_paired_power(-0.6, 7, 0.05));
    assert_true(isnan(stats_paired_power(1.0, 1, 0.05)));
    assert_true(isnan(stats_paired_power(1.0, NAN, 0.05)));
    assert_true(isnan(stats_paired_power(1.0, 5, 0.0)));
    assert_true(isnan(stats_paired_power(1.0, 5, 1.0)));
    assert_true(isnan(stats_paired_power(INFINITY, 5, 0.05)));
    assert_true(isnan(stats_paired_power(NAN, 5, 0.05)));
}

static void detectable_effect_matches_reference(void **state)
{
    (void)state;
    double worst = 0, worst_sm = 0;
    char err[128] = "";
    for (size_t i = 0; i < COUNT(mde_reference); i++) {
        const mde_ref *r = &mde_reference[i];
        stats_detectable m;
        assert_int_equal(stats_min_detectable_effect(r->n, 0.25, r->alpha, r->power, &m, err,
                                                     sizeof err), 0);
        char what[128];
        snprintf(what, sizeof what, "MDE d_z(n %zu, alpha %g, power %g)", r->n, r->alpha,
                 r->power);
        assert_close_rel(m.effect_size, r->effect_size, 1e-11, what);
        assert_close_rel(m.effect_size, r->effect_size_statsmodels, 1e-8, what);
        assert_close_rel(m.effect, 0.25 * r->effect_size, 1e-11, what);
        assert_int_equal(m.n, r->n);
        worst = fmax(worst, fabs(m.effect_size - r->effect_size) / r->effect_size);
        worst_sm = fmax(worst_sm, fabs(m.effect_size - r->effect_size_statsmodels) /
                                      r->effect_size);
    }
    printf("# report: minimum detectable d_z over %zu cases: max relative error %.2g against "
           "the exact power's root, %.2g against statsmodels' power's root\n",
           COUNT(mde_reference), worst, worst_sm);
}

static void detectable_effect_edge_cases(void **state)
{
    (void)state;
    char err[128] = "";
    stats_detectable m;
    /* One seed: nothing to compute, and no failure. */
    assert_int_equal(stats_min_detectable_effect(1, 0.3, 0.05, 0.8, &m, err, sizeof err), 0);
    assert_true(isnan(m.effect_size) && isnan(m.effect));
    /* No spread observed: d_z exists, the effect in units does not. */
    assert_int_equal(stats_min_detectable_effect(5, 0.0, 0.05, 0.8, &m, err, sizeof err), 0);
    assert_true(isfinite(m.effect_size) && isnan(m.effect));
    assert_int_equal(stats_min_detectable_effect(5, NAN, 0.05, 0.8, &m, err, sizeof err), 0);
    assert_true(isnan(m.effect));
    /* The target power is reached there. */
    assert_int_equal(stats_min_detectable_effect(6, 1.0, 0.05, 0.8, &m, err, sizeof err), 0);
    assert_close_rel(stats_paired_power(m.effect_size, 6, 0.05), 0.8, 1e-12, "power at MDE");
    assert_int_equal(stats_min_detectable_effect(5, 1.0, 0.05, 0.05, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "power"));
    assert_int_equal(stats_min_detectable_effect(5, 1.0, 0.05, 1.0, &m, err, sizeof err), -1);
    assert_int_equal(stats_min_detectable_effect(5, 1.0, 1.5, 0.8, &m, err, sizeof err), -1);
    assert_int_equal(stats_min_detectable_effect(5, -1.0, 0.05, 0.8, &m, err, sizeof err), -1);
    assert_int_equal(stats_min_detectable_effect(5, INFINITY, 0.05, 0.8, &m, err, sizeof err),
                     -1);
}

static void seeds_needed_match_reference(void **state)
{
    (void)state;
    char err[128] = "";
    for (size_t i = 0; i < COUNT(seeds_reference); i++) {
        const seeds_ref *r = &seeds_reference[i];
        stats_seeds s;
        assert_int_equal(stats_seeds_needed(r->delta, r->sd, r->alpha, r->power, STATS_SEEDS_CAP,
                                            &s, err, sizeof err), 0);
        char what[128];
        snprintf(what, sizeof what, "seeds(delta %g, sd %g): power", r->delta, r->sd);
        assert_int_equal(s.cap, STATS_SEEDS_CAP);
        if (r->found) {
            assert_int_equal(s.status, STATS_SEEDS_FOUND);
            assert_true(s.seeds == (double)r->seeds);
        } else {
            assert_int_equal(s.status, STATS_SEEDS_OVER_CAP);
            assert_true(isnan(s.seeds));
        }
        assert_close_abs(s.power, r->power_at, 1e-12, what);
    }
}

static void seeds_needed_edge_cases(void **state)
{
    (void)state;
    char err[128] = "";
    stats_seeds s;
    assert_int_equal(stats_seeds_needed(0.2, 0.0, 0.05, 0.8, 100, &s, err, sizeof err), 0);
    assert_int_equal(s.status, STATS_SEEDS_NO_SD);
    assert_true(isnan(s.seeds) && isnan(s.power));
    assert_int_equal(stats_seeds_needed(0.2, NAN, 0.05, 0.8, 100, &s, err, sizeof err), 0);
    assert_int_equal(s.status, STATS_SEEDS_NO_SD);
    /* A small cap is hit (158 seeds needed), and its power reported. */
    assert_int_equal(stats_seeds_needed(0.2, 0.89, 0.05, 0.8, 100, &s, err, sizeof err), 0);
    assert_int_equal(s.status, STATS_SEEDS_OVER_CAP);
    assert_close_abs(s.power, stats_paired_power(0.2 / 0.89, 100, 0.05), 1e-15, "power at cap");
    assert_int_equal(stats_seeds_needed(0.2, 0.89, 0.05, 0.8, 158, &s, err, sizeof err), 0);
    assert_true(s.status == STATS_SEEDS_FOUND && s.seeds == 158);
    /* A huge effect needs the minimum, 2. */
    assert_int_equal(stats_seeds_needed(5.0, 0.01, 0.05, 0.8, 2, &s, err, sizeof err), 0);
    assert_true(s.status == STATS_SEEDS_FOUND && s.seeds == 2);
    assert_int_equal(stats_seeds_needed(0.0, 1.0, 0.05, 0.8, 100, &s, err, sizeof err), -1);
    assert_int_equal(stats_seeds_needed(NAN, 1.0, 0.05, 0.8, 100, &s, err, sizeof err), -1);
    assert_int_equal(stats_seeds_needed(0.2, -1.0, 0.05, 0.8, 100, &s, err, sizeof err), -1);
    assert_int_equal(stats_seeds_needed(0.2, 1.0, 0.05, 0.8, 1, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "cap"));
    assert_int_equal(stats_seeds_needed(0.2, 1.0, 0.05, 0.01, 100, &s, err, sizeof err), -1);
}

/* ---- equivalence and d_z --------------------------------------------------------------- */

static void tost_and_dz_match_statsmodels(void **state)
{
    (void)state;
    char err[128] = "";
    double worst = 0, worst_sm = 0;
    for (size_t i = 0; i < COUNT(tost_reference); i++) {
        const tost_ref *r = &tost_reference[i];
        stats_paired paired;
        stats_tost e;
        assert_int_equal(stats_paired_t(r->treatment, r->baseline, r->n, 0.05, &paired, err,
                                        sizeof err), 0);
        assert_int_equal(stats_tost_paired(&paired.diff, r->delta, 0.05, &e, err, sizeof err), 0);
        assert_int_equal(e.has_test, 1);
        assert_int_equal(e.degenerate, 0);
        assert_close(e.delta, r->delta);
        assert_close(e.level, 0.90);
        /* Exact to the last digits; statsmodels to its t quantile's accuracy. */
        assert_close_rel(e.p_lower, r->p_lower, 1e-11, "p_lower");
        assert_close_rel(e.p_upper, r->p_upper, 1e-11, "p_upper");
        assert_close_rel(e.p, r->p, 1e-11, "p");
        assert_close_rel(e.ci_low, r->ci_low, 1e-12, "ci_low");
        assert_close_rel(e.ci_high, r->ci_high, 1e-12, "ci_high");
        assert_close_rel(e.t_lower, r->sm_t_lower, 1e-12, "t_lower");
        assert_close_rel(e.t_upper, r->sm_t_upper, 1e-12, "t_upper");
        assert_close_rel(e.p_lower, r->sm_p_lower, 1e-9, "statsmodels p_lower");
        assert_close_rel(e.p_upper, r->sm_p_upper, 1e-9, "statsmodels p_upper");
        assert_close_rel(e.p, r->sm_p, 1e-9, "statsmodels p");
        assert_close_rel(e.ci_low, r->sm_ci_low, 1e-8, "statsmodels ci_low");
        assert_close_rel(e.ci_high, r->sm_ci_high, 1e-8, "statsmodels ci_high");
        worst = fmax(worst, fmax(fabs(e.p - r->p) / r->p,
                                 fabs(e.ci_low - r->ci_low) / fabs(r->ci_low)));
        worst_sm = fmax(worst_sm, fmax(fabs(e.p - r->sm_p) / r->sm_p,
                                       fabs(e.ci_low - r->sm_ci_low) / fabs(r->sm_ci_low)));
        /* The interval lies inside the margin exactly when p <= alpha. */
        assert_int_equal(e.p <= 0.05, e.ci_low > -r->delta && e.ci_high < r->delta);
        assert_close_rel(stats_effect_dz(&paired.diff), r->dz, 1e-12, "d_z");
        assert_close_rel(stats_effect_dz(&paired.diff) * sqrt((double)r->n), paired.t, 1e-12,
                         "d_z sqrt(n) = t");
    }
    printf("# report: TOST over %zu data sets: max relative error of p and the interval %.2g "
           "(exact), %.2g (statsmodels ttost_paired, tconfint_mean)\n", COUNT(tost_reference),
           worst, worst_sm);
}

static void tost_degenerate_and_bad_input(void **state)
{
    (void)state;
    char err[128] = "";
    stats_tost e;
    /* Constant differences inside the margin: equivalent with p = 0. */
    stats_summary d = { .n = 4, .mean = 0.1, .sd = 0.0, .se = 0.0, .has_spread = 1 };
    assert_int_equal(stats_tost_paired(&d, 0.2, 0.05, &e, err, sizeof err), 0);
    assert_true(e.degenerate && e.has_test);
    assert_true(isinf(e.t_lower) && e.t_lower > 0 && isinf(e.t_upper) && e.t_upper < 0);
    assert_true(e.p == 0.0 && e.ci_low == 0.1 && e.ci_high == 0.1);
    /* Outside: p = 1. */
    d.mean = -0.3;
    assert_int_equal(stats_tost_paired(&d, 0.2, 0.05, &e, err, sizeof err), 0);
    assert_true(e.p_lower == 1.0 && e.p_upper == 0.0 && e.p == 1.0);
    /* On the margin: t = 0, p = 1/2. */
    d.mean = 0.2;
    assert_int_equal(stats_tost_paired(&d, 0.2, 0.05, &e, err, sizeof err), 0);
    assert_true(e.t_upper == 0.0 && e.p == 0.5);
    /* One pair: no test. */
    stats_summary one = { .n = 1, .mean = 0.1, .sd = NAN, .se = NAN };
    assert_int_equal(stats_tost_paired(&one, 0.2, 0.05, &e, err, sizeof err), 0);
    assert_int_equal(e.has_test, 0);
    assert_true(isnan(e.p) && isnan(e.ci_low) && isnan(e.t_lower));
    assert_true(isnan(stats_effect_dz(&one)));
    /* d_z with no spread follows stats_paired_t: +-infinity, or 0 for a zero mean. */
    d.mean = -0.3;
    assert_true(isinf(stats_effect_dz(&d)) && stats_effect_dz(&d) < 0);
    d.mean = 0.0;
    assert_true(stats_effect_dz(&d) == 0.0);
    assert_int_equal(stats_tost_paired(&d, 0.0, 0.05, &e, err, sizeof err), -1);
    assert_non_null(strstr(err, "margin"));
    assert_int_equal(stats_tost_paired(&d, -0.2, 0.05, &e, err, sizeof err), -1);
    assert_int_equal(stats_tost_paired(&d, INFINITY, 0.05, &e, err, sizeof err), -1);
    assert_int_equal(stats_tost_paired(&d, 0.2, 0.5, &e, err, sizeof err), -1);
    assert_int_equal(stats_tost_paired(&d, 0.2, 0.0, &e, err, sizeof err), -1);
    stats_summary none = { .n = 0, .mean = NAN };
    assert_int_equal(stats_tost_paired(&none, 0.2, 0.05, &e, err, sizeof err), -1);
}

/* ---- the verdict ----------------------------------------------------------------------- */

static stats_evidence evidence(double mean, double p_diff, double p_equiv)
{
    stats_seeds seeds = { .status = STATS_SEEDS_FOUND, .seeds = 23, .power = 0.81,
                          .cap = STATS_SEEDS_CAP };
    return (stats_evidence){ .mean_diff = mean, .p_difference = p_diff,
                             .p_equivalence = p_equiv, .alpha = 0.05,
                             .direction = STATS_HIGHER_IS_BETTER, .converged = 1,
                             .seeds = seeds };
}

static void decide_follows_its_rules_in_order(void **state)
{
    (void)state;
    stats_evidence e = evidence(0.3, 0.001, 0.6);
    stats_decision d = stats_decide(&e);
    assert_int_equal(d.verdict, STATS_HELPS);
    assert_true(isnan(d.seeds_to_decide) && !d.trivial_difference && d.rule != NULL);
    e.direction = STATS_LOWER_IS_BETTER;
    assert_int_equal(stats_decide(&e).verdict, STATS_HURTS);
    e = evidence(-0.3, 0.001, 0.6);
    assert_int_equal(stats_decide(&e).verdict, STATS_HURTS);
    /* Rule 1 before everything: not converged, even when the tests are decisive. */
    e.converged = 0;
    assert_int_equal(stats_decide(&e).verdict, STATS_NOT_CONVERGED);
    e = evidence(NAN, NAN, NAN);
    e.converged = 0;
    assert_int_equal(stats_decide(&e).verdict, STATS_NOT_CONVERGED);
    /* Rule 2: no test. */
    e = evidence(0.1, NAN, NAN);
    assert_int_equal(stats_decide(&e).verdict, STATS_NO_TEST);
    e = evidence(NAN, 0.01, 0.01);
    assert_int_equal(stats_decide(&e).verdict, STATS_NO_TEST);
    e = evidence(0.1, 0.01, 0.01);
    e.alpha = NAN;
    assert_int_equal(stats_decide(&e).verdict, STATS_NO_TEST);
    /* Rule 3: equivalent; with a significant difference too, equivalent and trivial. */
    e = evidence(0.02, 0.4, 0.01);
    d = stats_decide(&e);
    assert_true(d.verdict == STATS_EQUIVALENT && !d.trivial_difference);
    e = evidence(0.05, 0.01, 0.02);
    d = stats_decide(&e);
    assert_true(d.verdict == STATS_EQUIVALENT && d.trivial_difference);
    assert_true(isnan(d.seeds_to_decide));
    /* p exactly alpha decides (statsmodels' reject rule); just above does not. */
    e = evidence(0.05, 0.3, 0.05);
    assert_int_equal(stats_decide(&e).verdict, STATS_EQUIVALENT);
    e = evidence(0.05, 0.05, 0.0500001);
    assert_int_equal(stats_decide(&e).verdict, STATS_HELPS);
    /* Rule 5: no margin, no difference: the old "indistinguishable". */
    e = evidence(0.05, 0.3, NAN);
    assert_int_equal(stats_decide(&e).verdict, STATS_INDISTINGUISHABLE);
    /* Rule 6: undecided, with the seeds that would decide. */
    e = evidence(0.05, 0.3, 0.2);
    d = stats_decide(&e);
    assert_int_equal(d.verdict, STATS_UNDECIDED);
    assert_true(d.seeds_to_decide == 23 && !d.seeds_over_cap);
    e.seeds.status = STATS_SEEDS_OVER_CAP;
    e.seeds.seeds = NAN;
    d = stats_decide(&e);
    assert_true(d.verdict == STATS_UNDECIDED && isnan(d.seeds_to_decide) && d.seeds_over_cap);
    e.seeds.status = STATS_SEEDS_NO_SD;
    d = stats_decide(&e);
    assert_true(d.verdict == STATS_UNDECIDED && isnan(d.seeds_to_decide) && !d.seeds_over_cap);
    /* A zero mean with a "significant" p never helps or hurts. */
    e = evidence(0.0, 0.01, 0.3);
    assert_int_equal(stats_decide(&e).verdict, STATS_UNDECIDED);
    assert_string_equal(stats_verdict_name(STATS_EQUIVALENT), "equivalent");
    assert_string_equal(stats_verdict_name(STATS_UNDECIDED), "undecided");
    assert_string_equal(stats_verdict_name(STATS_NOT_CONVERGED), "not converged");
}

/* The whole chain of issue 12 on one comparison: paired test, Holm, TOST, seeds, verdict. */
static void decision_chain(void **state)
{
    (void)state;
    const double baseline[] = {31.70, 31.52, 31.93, 31.61, 31.80};
    const double small[] = {31.72, 31.55, 31.91, 31.66, 31.81};     /* +0.018 dB, sd 0.027 */
    const double noisy[] = {31.90, 31.30, 32.20, 31.50, 31.85};     /* +0.036 dB, sd 0.21 */
    stats_paired r[2];
    stats_tost e[2];
    stats_seeds s[2];
    assert_int_equal(stats_paired_t(small, baseline, 5, 0.05, &r[0], NULL, 0), 0);
    assert_int_equal(stats_paired_t(noisy, baseline, 5, 0.05, &r[1], NULL, 0), 0);
    double p[2] = {r[0].p, r[1].p}, adjusted[2];
    assert_int_equal(stats_holm(p, 2, adjusted, NULL, NULL, 0), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(stats_tost_paired(&r[i].diff, 0.2, 0.05, &e[i], NULL, 0), 0);
        assert_int_equal(stats_seeds_needed(0.2, r[i].diff.sd, 0.05, 0.8, STATS_SEEDS_CAP, &s[i],
                                            NULL, 0), 0);
    }
    stats_evidence ev = { r[0].diff.mean, adjusted[0], e[0].p, 0.05, STATS_HIGHER_IS_BETTER, 1,
                          s[0] };
    assert_int_equal(stats_decide(&ev).verdict, STATS_EQUIVALENT);
    ev = (stats_evidence){ r[1].diff.mean, adjusted[1], e[1].p, 0.05, STATS_HIGHER_IS_BETTER, 1,
                           s[1] };
    stats_decision d = stats_decide(&ev);
    assert_int_equal(d.verdict, STATS_UNDECIDED);
    assert_true(d.seeds_to_decide > 5 && d.seeds_to_decide < 20);
}

/* ---- bootstrap ------------------------------------------------------------------------- */

#define BOOT_SEED 20261201ul

/* A bootstrap limit inside the Monte Carlo band of the exact one (the band's ends are printed to
 * 12 digits, hence the slack). */
static void assert_in_band(double value, double min, double max, const char *what, size_t i)
{
    if (!(value >= min - 1e-9 && value <= max + 1e-9))
        fail_msg("%s %zu: %.17g outside [%.17g, %.17g]", what, i, value, min, max);
}

static void bootstrap_matches_exact_distribution(void **state)
{
    (void)state;
    char err[128] = "";
    double worst_low = 0, worst_high = 0;
    for (size_t i = 0; i < COUNT(bootstrap_reference); i++) {
        const bootstrap_ref *r = &bootstrap_reference[i];
        stats_bootstrap b;
        assert_int_equal(stats_bootstrap_paired(r->treatment, r->baseline, r->n,
                                                REF_BOOTSTRAP_RESAMPLES, BOOT_SEED, 0.05, &b, err,
                                                sizeof err), 0);
        assert_int_equal(b.n, r->n);
        assert_int_equal(b.resamples, REF_BOOTSTRAP_RESAMPLES);
        assert_true(b.seed == BOOT_SEED);
        assert_int_equal(b.too_few, r->n < STATS_BOOTSTRAP_MIN_N);
        assert_close(b.level, 0.95);
        assert_close_rel(b.estimate, r->estimate, 1e-12, "estimate");
        /* Inside the Monte Carlo band of the exact percentile limits. */
        assert_in_band(b.ci_low, r->low_min, r->low_max, "bootstrap low", i);
        assert_in_band(b.ci_high, r->high_min, r->high_max, "bootstrap high", i);
        /* The bootstrap SE against the exact bootstrap distribution's sd. */
        assert_close_abs(b.se, r->sd, r->sd_tol, "bootstrap se");
        worst_low = fmax(worst_low, fabs(b.ci_low - r->low) / r->sd);
        worst_high = fmax(worst_high, fabs(b.ci_high - r->high) / r->sd);
    }
    printf("# report: paired bootstrap (B = %d) vs its exact distribution (all n^n resamples): "
           "max |limit - exact limit| %.2g (low), %.2g (high) bootstrap SEs, all inside the Monte "
           "Carlo band\n", REF_BOOTSTRAP_RESAMPLES, worst_low, worst_high);
}

static void bootstrap_is_deterministic_and_depends_on_its_seed(void **state)
{
    (void)state;
    const double baseline[] = {31.7, 31.5, 31.9, 31.6, 31.8, 31.4, 31.75, 31.65};
    const double treatment[] = {31.9, 31.55, 32.2, 31.5, 31.85, 31.62, 31.7, 31.9};
    stats_bootstrap a, b, c;
    assert_int_equal(stats_bootstrap_paired(treatment, baseline, 8, 2000, 7, 0.05, &a, NULL, 0),
                     0);
    assert_int_equal(stats_bootstrap_paired(treatment, baseline, 8, 2000, 7, 0.05, &b, NULL, 0),
                     0);
    assert_int_equal(stats_bootstrap_paired(treatment, baseline, 8, 2000, 8, 0.05, &c, NULL, 0),
                     0);
    assert_true(a.ci_low == b.ci_low && a.ci_high == b.ci_high && a.se == b.se);
    assert_true(a.ci_low != c.ci_low || a.ci_high != c.ci_high);
    assert_int_equal(a.too_few, 0);
    assert_true(a.ci_low < a.estimate && a.estimate < a.ci_high);
    /* GSL's MT19937 takes seed 0 as its default seed 4357. */
    assert_int_equal(stats_bootstrap_paired(treatment, baseline, 8, 500, 0, 0.05, &a, NULL, 0), 0);
    assert_int_equal(stats_bootstrap_paired(treatment, baseline, 8, 500, 4357, 0.05, &b, NULL, 0),
                     0);
    assert_true(a.ci_low == b.ci_low && a.ci_high == b.ci_high);
}

static void bootstrap_edge_cases(void **state)
{
    (void)state;
    char err[128] = "";
    stats_bootstrap b;
    const double one_t[] = {30.5}, one_b[] = {30.2};
    assert_int_equal(stats_bootstrap_paired(one_t, one_b, 1, 100, 1, 0.05, &b, err, sizeof err),
                     0);
    assert_true(b.too_few && b.se == 0.0);
    assert_close(b.ci_low, 30.5 - 30.2);
    assert_close(b.ci_high, 30.5 - 30.2);
    const double t[] = {1, 2, NAN}, base[] = {0, 0, 0};
    assert_int_equal(stats_bootstrap_paired(t, base, 3, 100, 1, 0.05, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "treatment[2]"));
    assert_int_equal(stats_bootstrap_paired(t, base, 0, 100, 1, 0.05, &b, err, sizeof err), -1);
    assert_int_equal(stats_bootstrap_paired(t, base, 2, 1, 1, 0.05, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "resamples"));
    assert_int_equal(stats_bootstrap_paired(t, base, 2, 100, 1, 1.0, &b, err, sizeof err), -1);
    const double huge[] = {DBL_MAX, 0}, minus[] = {-DBL_MAX, 0};
    assert_int_equal(stats_bootstrap_paired(huge, minus, 2, 100, 1, 0.05, &b, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "overflows"));
}

/* ---- probability of improvement -------------------------------------------------------- */

static void improvement_matches_reference(void **state)
{
    (void)state;
    char err[128] = "";
    double worst = 0;
    size_t banded = 0;
    for (size_t i = 0; i < COUNT(improvement_reference); i++) {
        const improvement_ref *r = &improvement_reference[i];
        enum stats_direction dir = r->lower_is_better ? STATS_LOWER_IS_BETTER
                                                      : STATS_HIGHER_IS_BETTER;
        stats_improvement pi;
        assert_int_equal(stats_probability_of_improvement(r->x, r->n_x, r->y, r->n_y, dir,
                                                          REF_BOOTSTRAP_RESAMPLES, BOOT_SEED,
                                                          0.05, &pi, err, sizeof err), 0);
        assert_true(pi.p == r->p);  /* k / (2 n m) either way */
        assert_true(pi.n_x == r->n_x && pi.n_y == r->n_y && pi.resamples == REF_BOOTSTRAP_RESAMPLES);
        assert_close(pi.level, 0.95);
        if (isnan(r->low))
            continue;
        banded++;
        worst = fmax(worst, fmax(fabs(pi.ci_low - r->low), fabs(pi.ci_high - r->high)));
        assert_in_band(pi.ci_low, r->low_min, r->low_max, "improvement low", i);
        assert_in_band(pi.ci_high, r->high_min, r->high_max, "improvement high", i);
    }
    printf("# report: probability of improvement equals scipy's Mann-Whitney U / (n m) in %zu "
           "cases; bootstrap limits (B = %d) vs the exact distribution in %zu: max |difference| "
           "%.2g, all inside the Monte Carlo band\n", COUNT(improvement_reference),
           REF_BOOTSTRAP_RESAMPLES, banded, worst);
}

static void improvement_direction_and_edges(void **state)
{
    (void)state;
    char err[128] = "";
    const double x[] = {0.3, 0.1, 0.2, 0.2}, y[] = {0.2, 0.25, 0.05};
    stats_improvement up, down, again;
    assert_int_equal(stats_probability_of_improvement(x, 4, y, 3, STATS_HIGHER_IS_BETTER, 300, 3,
                                                      0.05, &up, err, sizeof err), 0);
    assert_int_equal(stats_probability_of_improvement(x, 4, y, 3, STATS_LOWER_IS_BETTER, 300, 3,
                                                      0.05, &down, err, sizeof err), 0);
    /* 12 pairs: x wins 6 (0.3 thrice, 0.2 over 0.05 twice, 0.1 over 0.05), ties 2 -> 7/12. */
    assert_close(up.p, 7.0 / 12.0);
    assert_close(up.p + down.p, 1.0);
    assert_true(up.ci_low <= up.p && up.p <= up.ci_high);
    assert_int_equal(stats_probability_of_improvement(x, 4, y, 3, STATS_HIGHER_IS_BETTER, 300, 3,
                                                      0.05, &again, err, sizeof err), 0);
    assert_true(up.ci_low == again.ci_low && up.ci_high == again.ci_high);
    assert_int_equal(stats_probability_of_improvement(x, 0, y, 3, STATS_HIGHER_IS_BETTER, 300, 3,
                                                      0.05, &up, err, sizeof err), -1);
    assert_int_equal(stats_probability_of_improvement(x, 4, y, 3, STATS_HIGHER_IS_BETTER, 1, 3,
                                                      0.05, &up, err, sizeof err), -1);
    const double bad[] = {0.1, INFINITY};
    assert_int_equal(stats_probability_of_improvement(x, 4, bad, 2, STATS_HIGHER_IS_BETTER, 300,
                                                      3, 0.05, &up, err, sizeof err), -1);
    assert_non_null(strstr(err, "y[1]"));
}

/* ---- analysis of variance -------------------------------------------------------------- */

static void anova_matches_statsmodels(void **state)
{
    (void)state;
    static const char *const names[] = {"A", "B", "A:B", "block"};
    char err[128] = "";
    double worst = 0;
    for (size_t i = 0; i < COUNT(anova_reference); i++) {
        const anova_ref *r = &anova_reference[i];
        stats_anova a;
        size_t cells[16];
        assert_int_equal(stats_anova_two_way_blocked(r->y, r->a, r->b, r->s, r->n, r->na, r->nb,
                                                     r->ns, cells, &a, err, sizeof err), 0);
        assert_int_equal(a.n, r->n);
        assert_int_equal(a.exact_fit, 0);
        size_t observed = 0, empty = 0;
        for (size_t c = 0; c < r->na * r->nb; c++) {
            observed += cells[c];
            empty += cells[c] == 0;
        }
        assert_int_equal(observed, r->n);
        assert_int_equal(a.empty_cells, empty);
        assert_int_equal(a.empty_cells > 0, !r->row[STATS_ANOVA_AB].estimable);
        char what[160];
        snprintf(what, sizeof what, "%s: residual", r->name);
        assert_close_rel(a.ss_residual, r->ss_residual, 1e-9, what);
        assert_true(a.df_residual == r->df_residual);
        for (int t = 0; t < STATS_ANOVA_TERMS; t++) {
            const anova_row_ref *want = &r->row[t];
            const stats_anova_row *got = &a.term[t];
            snprintf(what, sizeof what, "%s: %s", r->name, names[t]);
            assert_int_equal(got->estimable, want->estimable);
            assert_close_or_nan(got->df, want->df, 0, what);
            assert_close_or_nan(got->ss, want->ss, 1e-9, what);
            assert_close_or_nan(got->f, want->f, 1e-9, what);
            assert_close_or_nan(got->p, want->p, 1e-9, what);
            assert_close_or_nan(got->partial_eta2, want->partial_eta2, 1e-9, what);
            if (want->estimable)
                worst = fmax(worst, fmax(fabs(got->ss - want->ss) / want->ss,
                                         fabs(got->p - want->p) / want->p));
        }
    }
    printf("# report: two-way blocked ANOVA vs statsmodels anova_lm(typ=2) on %zu designs: max "
           "relative error of SS and p %.2g\n", COUNT(anova_reference), worst);
}

static void anova_degenerate_designs(void **state)
{
    (void)state;
    char err[128] = "";
    stats_anova a;
    /* 2 x 2 cells, 3 blocks, y exactly additive: an exact fit, F and p NaN, SS kept. */
    size_t A[12], B[12], S[12];
    double y[12];
    for (size_t i = 0; i < 12; i++) {
        A[i] = i / 6;
        B[i] = (i / 3) % 2;
        S[i] = i % 3;
        y[i] = 0.5 * (double)A[i] - 0.25 * (double)B[i] + 0.125 * (double)S[i];
    }
    assert_int_equal(stats_anova_two_way_blocked(y, A, B, S, 12, 2, 2, 3, NULL, &a, err,
                                                 sizeof err), 0);
    assert_int_equal(a.exact_fit, 1);
    assert_true(a.ss_residual == 0.0 && a.df_residual == 6);
    assert_close_rel(a.term[STATS_ANOVA_A].ss, 0.75, 1e-12, "SS A");    /* 12 (0.25)^2 */
    assert_close_rel(a.term[STATS_ANOVA_B].ss, 0.1875, 1e-12, "SS B");  /* 12 (0.125)^2 */
    assert_true(isnan(a.term[STATS_ANOVA_A].f) && isnan(a.term[STATS_ANOVA_A].p));
    assert_close(a.term[STATS_ANOVA_A].partial_eta2, 1.0);

    /* All values equal: nothing to explain. */
    for (size_t i = 0; i < 12; i++)
        y[i] = 0.3;
    assert_int_equal(stats_anova_two_way_blocked(y, A, B, S, 12, 2, 2, 3, NULL, &a, err,
                                                 sizeof err), 0);
    assert_true(a.exact_fit && a.ss_total == 0.0);
    assert_true(a.term[STATS_ANOVA_B].ss == 0.0 && isnan(a.term[STATS_ANOVA_B].partial_eta2));

    /* One kernel: B and A:B have no degrees of freedom. One block: no block effect. */
    size_t zero[12] = {0};
    for (size_t i = 0; i < 12; i++)
        y[i] = (double)(i * i % 7) * 0.01;
    assert_int_equal(stats_anova_two_way_blocked(y, A, zero, S, 12, 2, 1, 3, NULL, &a, err,
                                                 sizeof err), 0);
    assert_int_equal(a.term[STATS_ANOVA_B].estimable, 0);
    assert_int_equal(a.term[STATS_ANOVA_AB].estimable, 0);
    assert_true(isnan(a.term[STATS_ANOVA_B].ss) && isnan(a.term[STATS_ANOVA_B].p));
    assert_int_equal(a.term[STATS_ANOVA_A].estimable, 1);
    assert_true(a.term[STATS_ANOVA_A].df == 1 && a.df_residual == 12 - 4);
    assert_int_equal(stats_anova_two_way_blocked(y, A, B, zero, 12, 2, 2, 1, NULL, &a, err,
                                                 sizeof err), 0);
    assert_int_equal(a.term[STATS_ANOVA_BLOCK].estimable, 0);
    assert_true(a.term[STATS_ANOVA_AB].df == 1 && a.df_residual == 8);

    /* Each observation its own block: no residual left. */
    size_t own[4] = {0, 1, 2, 3}, a4[4] = {0, 0, 1, 1}, b4[4] = {0, 1, 0, 1};
    assert_int_equal(stats_anova_two_way_blocked(y, a4, b4, own, 4, 2, 2, 4, NULL, &a, err,
                                                 sizeof err), 0);
    assert_true(a.df_residual == 0 && isnan(a.term[STATS_ANOVA_A].f));

    /* Bad input. */
    size_t out_of_range[12];
    memcpy(out_of_range, A, sizeof A);
    out_of_range[5] = 2;
    assert_int_equal(stats_anova_two_way_blocked(y, out_of_range, B, S, 12, 2, 2, 3, NULL, &a,
                                                 err, sizeof err), -1);
    assert_non_null(strstr(err, "factor A[5]"));
    assert_int_equal(stats_anova_two_way_blocked(y, A, B, S, 12, 3, 2, 3, NULL, &a, err,
                                                 sizeof err), -1);
    assert_non_null(strstr(err, "level 2 of factor A"));
    assert_int_equal(stats_anova_two_way_blocked(y, A, B, S, 0, 2, 2, 3, NULL, &a, err,
                                                 sizeof err), -1);
    y[3] = NAN;
    assert_int_equal(stats_anova_two_way_blocked(y, A, B, S, 12, 2, 2, 3, NULL, &a, err,
                                                 sizeof err), -1);
    assert_non_null(strstr(err, "y[3]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_quantiles_match_reference),
        cmocka_unit_test(t_quantile_rejects_bad_arguments),
        cmocka_unit_test(two_sided_p_is_accurate_in_the_tail),
        cmocka_unit_test(summary_matches_reference),
        cmocka_unit_test(summary_interval_uses_student_t),
        cmocka_unit_test(summary_of_one_value_has_no_spread),
        cmocka_unit_test(summary_of_equal_values_has_zero_width),
        cmocka_unit_test(summary_refuses_bad_input),
        cmocka_unit_test(paired_test_matches_reference),
        cmocka_unit_test(paired_test_keeps_tiny_p_values),
        cmocka_unit_test(paired_test_with_one_pair_has_no_test),
        cmocka_unit_test(paired_test_with_constant_difference_is_degenerate),
        cmocka_unit_test(paired_test_with_no_difference_is_degenerate),
        cmocka_unit_test(paired_test_refuses_bad_input),
        cmocka_unit_test(welch_matches_reference),
        cmocka_unit_test(welch_with_one_constant_sample_is_ordinary),
        cmocka_unit_test(welch_degenerate_cases),
        cmocka_unit_test(welch_refuses_bad_input),
        cmocka_unit_test(holm_unsorted_with_ties_and_monotonicity),
        cmocka_unit_test(holm_caps_at_one),
        cmocka_unit_test(holm_skips_unavailable_p_values),
        cmocka_unit_test(holm_edge_cases),
        cmocka_unit_test(holm_refuses_non_probabilities),
        cmocka_unit_test(classify_by_direction_and_level),
        cmocka_unit_test(metric_directions),
        cmocka_unit_test(paired_holm_verdict_chain),
        cmocka_unit_test(nct_matches_scipy),
        cmocka_unit_test(nct_small_tails_match_mpmath),
        cmocka_unit_test(nct_edge_cases),
        cmocka_unit_test(power_matches_statsmodels),
        cmocka_unit_test(power_edge_cases),
        cmocka_unit_test(detectable_effect_matches_reference),
        cmocka_unit_test(detectable_effect_edge_cases),
        cmocka_unit_test(seeds_needed_match_reference),
        cmocka_unit_test(seeds_needed_edge_cases),
        cmocka_unit_test(tost_and_dz_match_statsmodels),
        cmocka_unit_test(tost_degenerate_and_bad_input),
        cmocka_unit_test(decide_follows_its_rules_in_order),
        cmocka_unit_test(decision_chain),
        cmocka_unit_test(bootstrap_matches_exact_distribution),
        cmocka_unit_test(bootstrap_is_deterministic_and_depends_on_its_seed),
        cmocka_unit_test(bootstrap_edge_cases),
        cmocka_unit_test(improvement_matches_reference),
        cmocka_unit_test(improvement_direction_and_edges),
        cmocka_unit_test(anova_matches_statsmodels),
        cmocka_unit_test(anova_degenerate_designs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The reference script (mpmath; run with /usr/bin/python3):
 *
 *   import mpmath as mp
 *   mp.mp.dps = 50
 *   def upper2(t, df):   # 2 P(T >= |t|)
 *       t, df = mp.mpf(t), mp.mpf(df)
 *       return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True)
 *   def cdf(t, df):
 *       return upper2(t, df) / 2 if t < 0 else 1 - upper2(t, df) / 2
 *   def ppf(p, df):
 *       p = mp.mpf(p)
 *       return mp.findroot(lambda x: cdf(x, df) - p, 1 if p > 0.5 else -1, tol=mp.mpf(10) ** -45)
 *   def summary(x, alpha):   # x: mpf of the test's doubles, mp.mpf(float_value)
 *       n = len(x); m = sum(x) / n; sd = mp.sqrt(sum((v - m) ** 2 for v in x) / (n - 1))
 *       se = sd / mp.sqrt(n); q = ppf(1 - mp.mpf(alpha) / 2, n - 1)
 *       return m, sd, se, m - q * se, m + q * se
 *   # paired: d = [mp.mpf(a - b) for a, b in zip(treatment, baseline)]; t = mean / se;
 *   #   p = upper2(t, n - 1), interval from summary(d, "0.05").
 *   # Welch: va = sd_a^2 / n_a, vb = sd_b^2 / n_b, se = sqrt(va + vb),
 *   #   df = (va + vb)^2 / (va^2 / (n_a - 1) + vb^2 / (n_b - 1)), t = (m_a - m_b) / se,
 *   #   p = upper2(t, df), interval (m_a - m_b) -/+ ppf(0.975, df) se.
 *   # printed with repr(float(value)).
 */
