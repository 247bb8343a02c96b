/* analysis/answer.h: the answer to a sweep's question in words, and the statistics that do not lean
 * on normality (issue 13). Both the report (plots/report.h) and `wb compare` (through
 * analysis/keytable.h's notes) open with answer_headline, so the two say the same thing.
 *
 * Every number comes from analysis/analysis.h (the paired t, the decisions) or from analysis/stats.h
 * (bootstrap, probability of improvement, d_z, the two-way analysis of variance); nothing here
 * computes a statistic of its own. */
#ifndef WB_ANALYSIS_ANSWER_H
#define WB_ANALYSIS_ANSWER_H

#include <stddef.h>

#include "analysis/analysis.h"

/* The seed of every bootstrap of the report: fixed, so the same database gives the same
 * intervals, bit for bit. */
#define ANSWER_BOOTSTRAP_SEED 20261201UL

/* One configuration against its paired baseline, without the normal model. */
typedef struct answer_robust {
    size_t npairs;              /* seeds with a value here and in the baseline */
    int has_bootstrap;          /* npairs >= 1 */
    stats_bootstrap bootstrap;  /* of the mean paired difference, STATS_BOOTSTRAP_RESAMPLES
                                   resamples; bootstrap.too_few below STATS_BOOTSTRAP_MIN_N */
    int has_improvement;        /* both sides have a finished run */
    stats_improvement improvement;  /* P(this config's seed beats a baseline seed), rliable's,
                                       over all finished seeds of both (unpaired) */
    double dz;                  /* mean / sd of the paired differences; NaN below 2 pairs */
} answer_robust;

/* The statistics above for a configuration with a baseline (else has_* are 0 and dz NaN).
 * Returns 0, or -1 with err set (memory). */
int answer_robust_of(const analysis *a, size_t config, int series, enum analysis_at at,
                     answer_robust *out, char *err, size_t errlen);

#define ANSWER_MAX_LEVELS 32

/* Does the kernel matter, and does it interact with the weight: the two-way analysis of
 * variance of the paired differences (λ > 0 only) over effective weight (A) and kernel (B), seeds
 * as blocks, Type II sums of squares (stats_anova_two_way_blocked). When no effective weight
 * occurs with two kernels (kernel_norm none gives K8 3.6 times K4's gain, so λ·gain never
 * crosses), A is λ instead, the sweep's own axis, and the kernel row then holds the kernels'
 * different strengths too; a_is_lambda says so. */
typedef struct answer_anova {
    int done;                   /* 0: not computed; `why` says why */
    char why[512];
    stats_anova anova;
    size_t na, nb, nblocks, n;
    int a_is_lambda;            /* 1: A is λ, since no effective weight occurs with two kernels
                                   (unnormalised kernels give each its own); 0: A is λ·gain */
    double weights[ANSWER_MAX_LEVELS];      /* A's levels, ascending */
    char kernels[ANSWER_MAX_LEVELS][32];    /* B's levels, as the store spells them */
    char empty[1024];           /* the empty cells, "eff. 10 with kernel 8; ..." ("" if none) */
} answer_anova;

/* Fills out for the series at the epoch choice. Not done (a reason in why) when the sweep varies
 * keys other than λ and the kernel (normalisation and border must be the same throughout), when
 * fewer than two weights or two kernels have paired differences, or when a level has no
 * observation left. Returns 0, or -1 with err set (memory, or a failure of the statistic). */
int answer_anova_of(const analysis *a, int series, enum analysis_at at, answer_anova *out,
                    char *err, size_t errlen);

/* The answer in one to three sentences, e.g.
 *   "On denoise (σ = 0.1), 16x16 patches, a depth-1 U-Net with 8 channels: the Laplacian term
 *    helps test pooled PSNR at 2 of 8 settings and hurts at none; the best, λ = 0.1 (eff. 0.1),
 *    kernel 4, gains +0.35 dB (95 % interval [+0.12, +0.58], p = 0.01 after Holm). The kernel
 *    does not detectably matter (F = 0.4, p = 0.55, partial η² = 0.04; interaction p = 0.7).
 *    3 seeds per setting, Holm over 8 comparisons, the smallest effect they detect with 80 %
 *    power is about 0.41 dB; caveat: 2 runs end below their input."
 * generated from the verdicts of `series` at `at` (analysis.h), the ANOVA above and the
 * caveats (configurations not converged, runs below the input). Different results give
 * different sentences. */
void answer_headline(const analysis *a, int series, enum analysis_at at, char *out,
                     size_t outlen);

#endif
