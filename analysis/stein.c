/* analysis/stein.c: Stein's two-stage design (analysis/stein.h), with GSL's t distribution. */
#include "analysis/stein.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "base/err.h"

int stats_stein_size(size_t n1, double s1, double delta, double alpha, double power, size_t cap,
                     size_t *n, int *capped, char *err, size_t errlen)
{
    *n = 0;
    *capped = 0;
    if (n1 < 2)
        return fail(err, errlen, "a first stage needs two or more seed pairs, not %zu", n1);
    if (!(s1 > 0) || !isfinite(s1) || !(delta > 0) || !isfinite(delta))
        return fail(err, errlen, "the paired sd (%g) and the margin (%g) must be positive", s1,
                    delta);
    if (!(alpha > 0 && alpha < 1) || !(power > alpha && power < 1))
        return fail(err, errlen, "alpha %g and power %g must satisfy 0 < alpha < power < 1",
                    alpha, power);
    const double df = (double)(n1 - 1);
    const double k = (stats_t_quantile(1 - alpha / 2, df) + stats_t_quantile(power, df)) *
                     s1 / delta;
    const double want = ceil(k * k);
    size_t size = want > (double)cap ? cap + 1 : (size_t)want;
    if (size < n1)
        size = n1;
    if (size > cap) {
        size = cap > n1 ? cap : n1;
        *capped = 1;
    }
    *n = size;
    return 0;
}

int stats_stein_test(const double *d, size_t n, size_t n1, double s1, double delta, double alpha,
                     stats_stein *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n1 < 2 || n < n1)
        return fail(err, errlen, "Stein's test needs n >= n1 >= 2 pairs (n %zu, n1 %zu)", n, n1);
    if (!(s1 > 0) || !isfinite(s1) || !(alpha > 0 && alpha < 0.5) || !(delta >= 0))
        return fail(err, errlen, "Stein's test: s1 %g, alpha %g, delta %g out of range", s1, alpha,
                    delta);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d[i]))
            return fail(err, errlen, "Stein's test: difference %zu is not finite", i);
        sum += d[i];
    }
    out->n1 = n1;
    out->n = n;
    out->s1 = s1;
    out->mean = sum / (double)n;
    out->se = s1 / sqrt((double)n);
    out->df = (double)(n1 - 1);
    out->t = out->mean / out->se;
    out->p = 2 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
    const double q = stats_t_quantile(1 - alpha / 2, out->df);
    out->ci_low = out->mean - q * out->se;
    out->ci_high = out->mean + q * out->se;
    stats_stein_tost(out, delta, alpha, &out->tost);
    return 0;
}

void stats_stein_tost(const stats_stein *s, double delta, double alpha, stats_tost *e)
{
    memset(e, 0, sizeof *e);
    e->delta = delta;
    e->level = 1 - 2 * alpha;
    if (!(delta > 0)) {
        e->t_lower = e->t_upper = e->p_lower = e->p_upper = e->p = e->ci_low = e->ci_high = NAN;
        return;
    }
    e->has_test = 1;
    e->t_lower = (s->mean + delta) / s->se;
    e->t_upper = (s->mean - delta) / s->se;
    e->p_lower = gsl_cdf_tdist_Q(e->t_lower, s->df);
    e->p_upper = gsl_cdf_tdist_P(e->t_upper, s->df);
    e->p = fmax(e->p_lower, e->p_upper);
    const double q1 = stats_t_quantile(1 - alpha, s->df);
    e->ci_low = s->mean - q1 * s->se;
    e->ci_high = s->mean + q1 * s->se;
}
