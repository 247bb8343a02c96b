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
#include <string.h>

#include "analysis/analysis.h"
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

/* ---- the brief answer, on a hand-made analysis: a baseline and one configuration over two
 * budgets (8 and 16 epochs), 3 seed pairs each ---- */

typedef struct brief_case {
    const char *what;
    enum stats_verdict verdicts[2];
    double diffs[2];
    const char *want;
} brief_case;

static const brief_case briefs[] = {
    { "hurts at 8, equivalent at 16", { H, E }, { -0.41, -0.09 },
      "Over 8 to 16 epochs (3 seeds): no configuration helps at any budget. λ = 10 hurts at 8 "
      "epochs (-0.41 dB), -0.09 dB at 16. 0 of 1 verdicts settled; the rest need more seeds or a "
      "larger budget." },
    { "undecided at both: nothing is said to be within the margin", { U, U }, { 0.3, -0.2 },
      "Over 8 to 16 epochs (3 seeds): no configuration helps at any budget. The configuration is "
      "undecided at every budget. 0 of 1 verdicts settled; the rest need more seeds or a larger "
      "budget." },
    { "equivalent at both, settled", { E, E }, { 0.02, 0.03 },
      "Over 8 to 16 epochs (3 seeds): no configuration helps at any budget. Every configuration "
      "stays within ±0.2 dB of the baseline wherever the seeds decide (1 of 1 equivalent at 16 "
      "epochs). 1 of 1 verdicts settled." },
    { "helps at 16 only", { U, P }, { 0.1, 0.3 },
      "Over 8 to 16 epochs (3 seeds): λ = 10 helps at 16 epochs (+0.30 dB). 0 of 1 verdicts "
      "settled; the rest need more seeds or a larger budget." },
};

static void test_brief_fixtures(void **state)
{
    (void)state;
    const int series = ANALYSIS_PRIMARY_SERIES;
    for (size_t i = 0; i < sizeof briefs / sizeof briefs[0]; i++) {
        const brief_case *bc = &briefs[i];
        analysis a;
        memset(&a, 0, sizeof a);
        analysis_config configs[4];
        memset(configs, 0, sizeof configs);
        int budgets[2] = { 8, 16 };
        size_t base_configs[2] = { 0, 1 }, lap_configs[2] = { 2, 3 };
        analysis_family families[2] = {
            { .label = "λ = 0", .is_baseline = 1, .configs = base_configs },
            { .label = "λ = 10", .configs = lap_configs },
        };
        a.configs = configs;
        a.nconfigs = 4;
        a.budgets = budgets;
        a.nbudgets = 2;
        a.families = families;
        a.nfamilies = 2;
        a.margin[ANALYSIS_PRIMARY_METRIC] = 0.2;
        for (size_t c = 0; c < 4; c++) {
            configs[c].epochs = budgets[c % 2];
            configs[c].is_baseline = c < 2;
            configs[c].baseline = (long)(c % 2);
            configs[c].family = c / 2;
            analysis_stat *st = &configs[c].stat[ANALYSIS_LAST][series];
            st->npairs = 3;
            st->paired.has_test = c >= 2;
            st->paired.diff.mean = c >= 2 ? bc->diffs[c - 2] : 0;
            st->verdict = c >= 2 ? bc->verdicts[c - 2] : STATS_NO_TEST;
        }
        char out[1024];
        analysis_budget_brief(&a, series, ANALYSIS_LAST, out, sizeof out);
        if (strcmp(out, bc->want) != 0)
            fail_msg("%s:\n got  %s\n want %s", bc->what, out, bc->want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settle_fixtures),
        cmocka_unit_test(test_brief_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
