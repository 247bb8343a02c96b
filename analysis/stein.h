/* analysis/stein.h: Stein's two-stage design for seeds (Stein 1945, "A two-sample test for a
 * linear hypothesis whose power is independent of the variance", Ann. Math. Statist. 16:243),
 * as `wb sweep --until-decided` uses it (issue 21, item 7).
 *
 * Stage 1 is the seeds the INI file lists: n1 seed pairs of a configuration and its baseline, with
 * paired sd s1. The second stage's size is fixed from them alone, once:
 *     N = max(n1, ceil(((t(1 - alpha/2, n1 - 1) + t(power, n1 - 1)) s1 / delta)^2))
 * (the seeds that give the two-sided test at level alpha the power to detect delta when the true
 * sd is s1), and N - n1 seeds are added. Then one test, never a repeated look: the mean d of all
 * N differences over se = s1 / sqrt(N), with n1 - 1 degrees of freedom. Given s1, N is fixed and d
 * is normal with variance sigma^2 / N, independent of s1, so (d - mu) sqrt(N) / s1 is exactly
 * Student-t with n1 - 1 degrees of freedom under normal differences, whatever N the rule chose:
 * the level holds exactly, where testing again with the sd of all N seeds after choosing N from
 * the first ones would not. The price is the first stage's few degrees of freedom (with 3 seeds,
 * t(0.975, 2) = 4.30): N grows as (5.4 s1 / delta)^2 instead of about (2.8 s1 / delta)^2. The
 * equivalence test (TOST at ±delta) uses the same se and degrees of freedom. */
#ifndef WB_ANALYSIS_STEIN_H
#define WB_ANALYSIS_STEIN_H

#include <stddef.h>

#include "analysis/stats.h"

/* N for a first stage of n1 pairs with paired sd s1: the formula above, at least n1, at most cap
 * (*capped = 1 when the formula asked for more). Fails when n1 < 2, s1 or delta are not
 * positive and finite, alpha is not in (0, 1) or power not in (alpha, 1). */
int stats_stein_size(size_t n1, double s1, double delta, double alpha, double power, size_t cap,
                     size_t *n, int *capped, char *err, size_t errlen);

typedef struct stats_stein {
    size_t n1, n;           /* the first stage's pairs, all pairs */
    double s1;              /* the first stage's paired sd */
    double mean;            /* of all n differences */
    double se;              /* s1 / sqrt(n) */
    double df;              /* n1 - 1 */
    double t, p;            /* mean / se, two-sided p */
    double ci_low, ci_high; /* mean -/+ t(1 - alpha/2, df) se */
    stats_tost tost;        /* at ±delta with the same se and df (its 1 - 2 alpha interval) */
} stats_stein;

/* Stein's test of the n differences d (the first n1 of them the first stage, whose sd is s1 as
 * the plan recorded it) against 0, and its equivalence test at ±delta (delta 0: none, has_test
 * 0). Fails when n < n1, n1 < 2, a value is not finite, s1 is not positive, alpha not in (0, 0.5). */
int stats_stein_test(const double *d, size_t n, size_t n1, double s1, double delta, double alpha,
                     stats_stein *out, char *err, size_t errlen);

/* The equivalence test of a Stein test at another margin (a sweep's [report] section): the two
 * one-sided tests at ±delta with s's se and degrees of freedom; has_test 0 when delta is 0. */
void stats_stein_tost(const stats_stein *s, double delta, double alpha, stats_tost *out);

#endif
