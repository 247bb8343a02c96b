/* Stein's two-stage design (analysis/stein.h) against SciPy (tests/fixtures/stein_reference.h,
 * made by tests/fixtures/make_stein_reference.py, which also checks by simulation that the
 * test's level holds: 0.0498 for alpha 0.05): the second stage's size from the first stage's
 * paired sd, and the one test over all seeds with the first stage's sd and degrees of freedom. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "analysis/stein.h"
#include "fixtures/stein_reference.h"

static void close_to(double got, double want, const char *what, size_t i)
{
    /* GSL's t quantile (stats_t_quantile) is good to about 1e-11 at 2 degrees of freedom */
    const double tol = 1e-10 * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol))
        fail_msg("case %zu, %s: %.17g, SciPy %.17g", i, what, got, want);
}

static void test_sizes(void **state)
{
    (void)state;
    char err[256];
    for (size_t i = 0; i < sizeof stein_sizes / sizeof stein_sizes[0]; i++) {
        size_t n;
        int capped;
        assert_int_equal(stats_stein_size(stein_sizes[i].n1, stein_sizes[i].s1,
                                          stein_sizes[i].delta, stein_sizes[i].alpha,
                                          stein_sizes[i].power, 10000, &n, &capped, err,
                                          sizeof err), 0);
        if (n != stein_sizes[i].n || capped)
            fail_msg("case %zu: N %zu (capped %d), SciPy %zu", i, n, capped, stein_sizes[i].n);
    }
    /* The cap: 45 seeds asked, 20 allowed; never below the first stage. */
    size_t n;
    int capped;
    assert_int_equal(stats_stein_size(3, 0.25, 0.2, 0.05, 0.8, 20, &n, &capped, err, sizeof err),
                     0);
    assert_int_equal(n, 20);
    assert_int_equal(capped, 1);
    assert_int_equal(stats_stein_size(6, 0.25, 0.2, 0.05, 0.8, 4, &n, &capped, err, sizeof err),
                     0);
    assert_int_equal(n, 6);
    assert_int_equal(stats_stein_size(1, 0.1, 0.2, 0.05, 0.8, 100, &n, &capped, err, sizeof err),
                     -1);
    assert_int_equal(stats_stein_size(3, 0, 0.2, 0.05, 0.8, 100, &n, &capped, err, sizeof err),
                     -1);
}

static void test_tests(void **state)
{
    (void)state;
    char err[256];
    for (size_t i = 0; i < sizeof stein_tests / sizeof stein_tests[0]; i++) {
        const __typeof__(stein_tests[0]) *c = &stein_tests[i];
        stats_stein s;
        assert_int_equal(stats_stein_test(c->d, c->n, c->n1, c->s1, c->delta, c->alpha, &s, err,
                                          sizeof err), 0);
        close_to(s.mean, c->mean, "mean", i);
        close_to(s.se, c->se, "se", i);
        close_to(s.t, c->t, "t", i);
        close_to(s.p, c->p, "p", i);
        close_to(s.ci_low, c->ci_low, "ci_low", i);
        close_to(s.ci_high, c->ci_high, "ci_high", i);
        close_to(s.tost.p, c->tost_p, "tost p", i);
        close_to(s.tost.ci_low, c->tost_low, "tost ci_low", i);
        close_to(s.tost.ci_high, c->tost_high, "tost ci_high", i);
        assert_true(s.df == (double)(c->n1 - 1));
    }
    stats_stein s;
    const double d[3] = { 0.1, 0.2, NAN };
    assert_int_equal(stats_stein_test(d, 3, 2, 0.1, 0.2, 0.05, &s, err, sizeof err), -1);
    assert_int_equal(stats_stein_test(d, 1, 2, 0.1, 0.2, 0.05, &s, err, sizeof err), -1);
    assert_int_equal(stats_stein_test(d, 2, 2, 0.1, 0, 0.05, &s, err, sizeof err), 0);
    assert_int_equal(s.tost.has_test, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_tests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
