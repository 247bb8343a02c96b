/* The settled rule of analysis/budget.h against hand-made fixtures: a verdict holds across budgets
 * when the largest budget N decided (helps, hurts, equivalent), the largest budget of at most N/2
 * decided the same, and the two paired differences agree within δ/2. Values are binary fractions
 * where the rule's edge is tested, so that |Δ_N − Δ_P| = δ/2 exactly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analysis/budget.h"

typedef struct settle_case {
    const char *what;
    size_t n;
    int epochs[6];
    enum stats_verdict verdicts[6];
    double diffs[6];
    double margin;
    int settled;
    enum analysis_settled_why why;
    size_t half;        /* the index compared with the last; SIZE_MAX when none */
} settle_case;

#define H STATS_HURTS
#define E STATS_EQUIVALENT
#define P STATS_HELPS
#define U STATS_UNDECIDED

static const settle_case cases[] = {
    { "equivalent at 8 and 16, 0.05 apart", 2, { 8, 16 }, { E, E }, { 0.02, -0.03 }, 0.2, 1,
      SETTLED, 0 },
    { "hurts at 8 and 16, 0.04 apart", 2, { 8, 16 }, { H, H }, { -0.32, -0.28 }, 0.2, 1, SETTLED,
      0 },
    { "hurts at 64, equivalent at 128", 5, { 8, 16, 32, 64, 128 }, { H, H, H, H, E },
      { -0.4, -0.3, -0.25, -0.22, -0.1 }, 0.2, 0, SETTLED_VERDICT_MOVED, 3 },
    { "hurts at both, but moved by 0.15 > 0.1", 2, { 64, 128 }, { H, H }, { -0.30, -0.15 }, 0.2,
      0, SETTLED_DIFF_MOVED, 0 },
    { "moved by exactly δ/2: settled", 2, { 8, 16 }, { P, P }, { 0.5, 0.375 }, 0.25, 1, SETTLED,
      0 },
    { "moved by a little more than δ/2", 2, { 8, 16 }, { P, P }, { 0.5, 0.37 }, 0.25, 0,
      SETTLED_DIFF_MOVED, 0 },
    { "N = 16 compares with 8, not 12", 3, { 8, 12, 16 }, { H, E, E }, { -0.3, -0.1, -0.1 }, 0.2,
      0, SETTLED_VERDICT_MOVED, 0 },
    { "no budget of at most N/2", 2, { 10, 16 }, { E, E }, { 0.0, 0.0 }, 0.2, 0, SETTLED_NO_HALF,
      SIZE_MAX },
    { "one budget", 1, { 16 }, { E }, { 0.0 }, 0.2, 0, SETTLED_NO_HALF, SIZE_MAX },
    { "undecided at N", 2, { 8, 16 }, { E, U }, { 0.0, 0.1 }, 0.2, 0, SETTLED_NO_VERDICT, 0 },
    { "undecided at both: nothing settles", 2, { 8, 16 }, { U, U }, { 0.1, 0.1 }, 0.2, 0,
      SETTLED_NO_VERDICT, 0 },
    { "a metric without a margin", 2, { 8, 16 }, { H, H }, { -1, -1 }, 0, 0, SETTLED_NO_MARGIN,
      0 },
    { "helps at N/2, hurts at N", 2, { 32, 64 }, { P, H }, { 0.3, -0.3 }, 0.2, 0,
      SETTLED_VERDICT_MOVED, 0 },
    { "the last of doubling budgets settles on the one before", 4, { 4, 8, 16, 32 },
      { H, E, E, E }, { -0.5, -0.05, 0.01, 0.02 }, 0.2, 1, SETTLED, 2 },
};

static void test_settle_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const settle_case *c = &cases[i];
        const analysis_settling s = analysis_settle(c->epochs, c->verdicts, c->diffs, c->n,
                                                    c->margin);
        if (s.settled != c->settled || s.why != c->why || s.half != c->half ||
            s.largest != c->n - 1)
            fail_msg("%s: settled %d why %d half %zu largest %zu, expected %d %d %zu %zu", c->what,
                     s.settled, (int)s.why, s.half, s.largest, c->settled, (int)c->why, c->half,
                     c->n - 1);
        if (c->half != SIZE_MAX)
            assert_true(s.moved == fabs(c->diffs[c->n - 1] - c->diffs[c->half]));
        else
            assert_true(isnan(s.moved));
    }
    const analysis_settling none = analysis_settle(NULL, NULL, NULL, 0, 0.2);
    assert_int_equal(none.settled, 0);
    assert_true(none.largest == SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settle_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
