/* tests/test_stats.c: plots/stats.h against values computed independently of it.
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
 *   - Holm: statsmodels is not installed, so the adjusted values are worked by hand in the
 *     comments (and were checked against a NumPy transcription of statsmodels' multipletests
 *     method='holm': sort, multiply by m - j, running maximum, clip at 1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plots/stats.h"

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
