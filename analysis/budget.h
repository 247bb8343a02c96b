/* analysis/budget.h: the effect of a loss term over the training budget (issue 21).
 *
 * A practitioner trains for a fixed budget, and the effect of a Laplacian term changes with it
 * (on the lossweights design λ = 10 with K4 cost 0.32 dB at 14 epochs and 0.10 dB at 128). A
 * sweep whose train.epochs is an axis (with wsd, budgets of one trajectory: docs/DESIGN.md,
 * "Budgets") is read budget by budget: each configuration at each budget is compared with the
 * baseline at the same budget (its own verdict, Holm over the configurations of that budget), and
 * the configurations that differ in their budget alone form a family, whose effect is followed
 * over the budgets.
 *
 * Settled (analysis_settle): a verdict holds across budgets when the verdict at the largest
 * budget N is a decision (helps, hurts or equivalent within ±δ), the budget P compared with it,
 * the largest budget of at most N/2 (the one before N when the budgets double), has the same
 * verdict, and the two paired differences agree within δ/2: |Δ_N − Δ_P| ≤ δ/2 (point estimates,
 * each the mean over its seed pairs). Otherwise the verdict is "not settled at N epochs", with
 * the reason. Whether the runs' validation PSNR still rose (analysis_quarter_rise) stays a
 * per-run diagnostic: what a comparison needs is that the difference stopped moving, not each
 * run. */
#ifndef WB_ANALYSIS_BUDGET_H
#define WB_ANALYSIS_BUDGET_H

#include <stddef.h>

#include "analysis/analysis.h"
#include "analysis/keytable.h"

/* The key a budget is. */
#define ANALYSIS_BUDGET_KEY "train.epochs"

/* The configurations that differ only in their budget: one configuration per budget of the
 * sweep, or none (SIZE_MAX) where the sweep lacks it. */
typedef struct analysis_family {
    char *label;            /* the configurations' label without the budget */
    int is_baseline;
    size_t *configs;        /* [nbudgets] of the analysis: index into a->configs, or SIZE_MAX */
    size_t panel;           /* families that share every axis but λ and the budget share it (one
                             * kernel: the budget chart's line style); < a->nfamily_panels; 0 for
                             * the baseline, which has no line */
} analysis_family;

/* Sets a->budgets and a->families from the configurations (their epochs, and family_keys[c]:
 * the sorted params of configuration c but the budget), each family in the order of its first
 * configuration. Called by analysis_load. */
int analysis_group_budgets(analysis *a, const char *const *family_keys, char *err,
                           size_t errlen);
void analysis_free_budgets(analysis *a);

/* Why a verdict is settled or not. */
enum analysis_settled_why {
    SETTLED,                /* the same decision at N and P, the differences within δ/2 */
    SETTLED_NO_VERDICT,     /* nothing decided at N (undecided, no test, indistinguishable) */
    SETTLED_NO_HALF,        /* no budget of at most N/2 to compare N with */
    SETTLED_VERDICT_MOVED,  /* P's verdict is another */
    SETTLED_DIFF_MOVED,     /* |Δ_N − Δ_P| > δ/2 */
    SETTLED_NO_MARGIN,      /* the metric has no margin δ (nothing to settle within) */
};

typedef struct analysis_settling {
    int settled;
    enum analysis_settled_why why;
    size_t largest, half;   /* indices into the arrays given; half SIZE_MAX when none */
    double moved;           /* |Δ_N − Δ_P|, NaN without P */
} analysis_settling;

/* The rule above over one family's budgets: epochs[i] ascending, verdicts[i] and diffs[i] (the
 * paired mean) at each, n of them (those with a test: the caller leaves out budgets without
 * pairs); margin δ. N is the last. */
analysis_settling analysis_settle(const int *epochs, const enum stats_verdict *verdicts,
                                  const double *diffs, size_t n, double margin);

/* The same for family f of the analysis, on a series at an epoch choice, over the budgets at
 * which its configuration has two or more seed pairs with its baseline. */
analysis_settling analysis_family_settling(const analysis *a, size_t f, int series,
                                           enum analysis_at at);

/* The configuration of family f at the largest budget where it has a test (two or more pairs),
 * else SIZE_MAX. */
size_t analysis_family_largest(const analysis *a, size_t f, int series, enum analysis_at at);

/* "settled (hurts at 64 epochs too, 0.04 dB apart)", "not settled at 128 epochs (hurts at 64
 * epochs)", "not settled at 16 epochs (the difference moved by 0.15 dB from 8 epochs, more than
 * δ/2 = 0.1)", "not settled at 16 epochs (nothing decided there)", "not settled at 8 epochs (no
 * budget of at most 4 epochs to compare with)". */
void analysis_settling_text(const analysis *a, size_t f, int series, enum analysis_at at,
                            char *out, size_t outlen);

/* The effect over the budgets in words, the family's label first:
 *   "λ = 10 (eff. 10), kernel 4: test pooled PSNR -0.32 dB at 16 epochs, -0.22 at 64, -0.10 at
 *    128 (shrinking); hurts at 128 epochs, not settled at 128 epochs (the difference moved by
 *    0.12 dB from 64 epochs, more than δ/2 = 0.1)."
 * Shrinking or growing when |Δ| at the largest budget differs from |Δ| at the smallest by more
 * than δ/2, "changes sign" when the signs differ with both beyond δ/2, else steady. */
void analysis_budget_sentence(const analysis *a, size_t f, int series, enum analysis_at at,
                              char *out, size_t outlen);

/* The answer of a sweep of budgets in a few sentences (answer_headline gives it for such a
 * sweep), e.g.
 *   "On denoise (...): over budgets of 8 to 128 epochs, 3 seeds each. Settled at 128 epochs:
 *    equivalent to the baseline within ±0.2 dB: λ = 0.01 (eff. 0.01), kernel 4; ...; hurts:
 *    λ = 10 (eff. 10), kernel 4 (-0.10 dB). Not settled: λ = 1 (eff. 1), kernel 8 (...)."
 * from the settled verdicts of `series` at `at`, each family at its own largest budget. */
/* The answer in a few plain words, for the first screen: the budgets and seeds; what helps and
 * what hurts (the largest decided effect, where, and at the largest budget); that the others stay
 * within the margin wherever the seeds decide; how many verdicts settled. About 40 words. */
void analysis_budget_brief(const analysis *a, int series, enum analysis_at at, char *out,
                           size_t outlen);
void analysis_budget_answer(const analysis *a, int series, enum analysis_at at, char *out,
                            size_t outlen);

/* The effect over the budget as a table (analysis/keytable.h's struct and forms): one row per
 * compared family and budget, budgets ascending, the families in the analysis's order:
 *   aligned: configuration (the family's label), epochs, pairs, Δ (the paired mean difference in
 *            the series' unit, signed), 95 % interval, verdict (at that budget), settled (on the
 *            row of the largest budget with a test: "settled" or "not settled (...)").
 *   CSV:     configuration, epochs, pairs, diff, diff_ci95_low, diff_ci95_high, diff_ci90_low,
 *            diff_ci90_high, p_holm, verdict, settled (1, 0; empty on the other rows),
 *            settled_reason (analysis_settling_text), exact (17 significant digits, empty where there is no value).
 * Returns 0, or -1 when memory runs out. */
int analysis_budget_table(const analysis *a, int series, enum analysis_at at, int csv,
                          keytable *t);

#endif
