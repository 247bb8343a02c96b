/* model/optim.h: Adam and SGD with PyTorch's semantics (torch.optim, 1.13, no weight decay).
 * Adam: bias correction, eps added outside the square root. SGD: dampening 0, nesterov off, the
 * first step's momentum buffer is the gradient itself. */
#ifndef WB_MODEL_OPTIM_H
#define WB_MODEL_OPTIM_H

#include <stddef.h>

enum optimizer_kind { OPT_ADAM, OPT_SGD };

typedef struct optimizer {
    enum optimizer_kind kind;
    double lr, momentum;            /* momentum: SGD only */
    double beta1, beta2, eps;       /* Adam: 0.9, 0.999, 1e-8 */
    long step;                      /* steps taken */
    float *m, *v;                   /* moments (Adam: m, v; SGD: m is the momentum buffer) */
    size_t n;
} optimizer;

void optim_init(optimizer *o, enum optimizer_kind kind, double lr, double momentum, float *m,
                float *v, size_t n);
/* One step over n parameters; zeroes nothing. */
void optim_step(optimizer *o, float *params, const float *grads);

/* Learning-rate schedules with the semantics of torch.optim.lr_scheduler (1.13), stepped once
 * per optimizer step (scheduler.step() after every optimizer.step()):
 *   constant: lr throughout; with warm-up, LinearLR(start_factor = LR_WARMUP_START_FACTOR,
 *             total_iters = warmup_steps) alone.
 *   cosine:   CosineAnnealingLR(T_max = total_steps - warmup_steps, eta_min = lr_min), after the
 *             warm-up (if any) through SequentialLR([LinearLR, CosineAnnealingLR],
 *             milestones = [warmup_steps]).
 * With k the number of updates already taken (0 for the first), the rate update k uses is
 *   k < W:  lr * (f + (1 - f) * k / W)                              (W = warmup_steps, f below)
 *   k >= W: lr_min + (lr - lr_min) * (1 + cos(pi * (k - W) / T)) / 2  (T = total_steps - W)
 * the closed form of PyTorch's recursive update; they agree to about 1e-15 relative (the fixture
 * tests/fixtures/lr_schedule_torch.txt). The last update uses k = total_steps - 1, a rate just
 * above lr_min, as in PyTorch. Being a function of k alone, a resumed run continues bitwise. */
#define LR_WARMUP_START_FACTOR 0.01

enum lr_schedule_kind { LR_CONSTANT, LR_COSINE };

typedef struct lr_schedule {
    enum lr_schedule_kind kind;
    double lr, lr_min;
    long warmup_steps;      /* 0: none */
    long total_steps;       /* updates in the whole run */
} lr_schedule;

/* The rate of update k (0-based). */
double lr_schedule_at(const lr_schedule *s, long k);

#endif
