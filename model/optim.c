/* model/optim.c: torch.optim.Adam and torch.optim.SGD (1.13, single-tensor path), step for step.
 * Parameters, gradients and moments are flat arrays in the network's arena, so a step is one
 * elementwise loop. */
#include "model/optim.h"

#include <math.h>

void optim_init(optimizer *o, enum optimizer_kind kind, double lr, double momentum, float *m,
                float *v, size_t n)
{
    o->kind = kind;
    o->lr = lr;
    o->momentum = momentum;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->step = 0;
    o->m = m;
    o->v = v;
    o->n = n;
}

static void adam_step(optimizer *o, float *p, const float *g)
{
    o->step++;
    /* As torch: bias corrections in double, then m / (sqrt(v) / sqrt(bc2) + eps) scaled by
     * lr / bc1, eps outside the square root. */
    const double bc1 = 1.0 - pow(o->beta1, (double)o->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)o->step);
    const float step_size = (float)(o->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
    const float a1 = (float)(1.0 - o->beta1), a2 = (float)(1.0 - o->beta2);
    float *m = o->m, *v = o->v;
    const long n = (long)o->n;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        m[i] = m[i] * b1 + g[i] * a1;
        v[i] = v[i] * b2 + a2 * g[i] * g[i];
        const float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] += -step_size * (m[i] / denom);
    }
}

static void sgd_step(optimizer *o, float *p, const float *g)
{
    const float lr = (float)o->lr, mom = (float)o->momentum;
    float *buf = o->m;
    const long n = (long)o->n;
    const int first = o->step == 0;
    o->step++;
    if (o->momentum == 0.0) {
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++)
            p[i] += -lr * g[i];
        return;
    }
    /* dampening 0; the first step's buffer is a copy of the gradient. */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        buf[i] = first ? g[i] : buf[i] * mom + g[i];
        p[i] += -lr * buf[i];
    }
}

void optim_step(optimizer *o, float *params, const float *grads)
{
    if (o->kind == OPT_ADAM)
        adam_step(o, params, grads);
    else
        sgd_step(o, params, grads);
}

double lr_schedule_at(const lr_schedule *s, long k)
{
    const long w = s->warmup_steps > 0 ? s->warmup_steps : 0;
    const double warm = k < w ? LR_WARMUP_START_FACTOR +
                                    (1.0 - LR_WARMUP_START_FACTOR) * (double)k / (double)w
                              : 1.0;
    if (s->kind == LR_WSD) {
        const long start = s->total_steps - s->decay_steps;
        if (s->decay_steps <= 0 || k < start)
            return s->lr * warm;
        const double t = (double)(k - start) / (double)s->decay_steps;
        const double g = s->decay_shape == LR_DECAY_SQRT ? sqrt(t) : t;
        const double rate = s->lr_min + (s->lr - s->lr_min) * (1.0 - g);
        return k < w ? rate * warm : rate;
    }
    if (k < w)
        return s->lr * warm;
    if (s->kind == LR_CONSTANT)
        return s->lr;
    const long t_max = s->total_steps - w;
    if (t_max <= 0)
        return s->lr;
    return s->lr_min + (s->lr - s->lr_min) * (1.0 + cos(M_PI * (double)(k - w) / (double)t_max)) / 2.0;
}

int lr_wsd_decay_epochs(int epochs, double fraction)
{
    if (!(fraction > 0) || epochs <= 0)
        return 0;
    const double d = ceil(fraction * epochs - 1e-9);
    return d < 1 ? 1 : d > epochs ? epochs : (int)d;
}
