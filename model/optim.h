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
 *   wsd:      warm-up, stable, decay (MiniCPM; Hägele et al. 2024, "Scaling Laws and
 *             Compute-Optimal Training Beyond Fixed Training Durations"): the warm-up, then lr,
 *             then over the last decay_steps updates a decay to lr_min, linear (LinearLR(1,
 *             lr_min / lr, decay_steps)) or 1-sqrt (1 - sqrt of the decay's progress). Until the
 *             decay starts the rate does not depend on total_steps, so runs of every length share
 *             one trajectory up to their decay (wb/runner.c's branches).
 * With k the number of updates already taken (0 for the first), the rate update k uses is
 *   k < W:  lr * (f + (1 - f) * k / W)                              (W = warmup_steps, f below)
 *   cosine, k >= W: lr_min + (lr - lr_min) * (1 + cos(pi * (k - W) / T)) / 2  (T = total_steps - W)
 *   wsd, k >= W:    lr before the decay, and from S = total_steps - decay_steps on
 *                   lr_min + (lr - lr_min) * (1 - g((k - S) / decay_steps)),
 *                   g(t) = t (linear) or sqrt(t) (1-sqrt)
 * the closed form of PyTorch's recursive update; they agree to about 1e-15 relative (the fixture
 * tests/fixtures/lr_schedule_torch.txt; wsd as SequentialLR([LinearLR, ConstantLR(1), LinearLR])
 * or a LambdaLR for 1-sqrt). The last update of a decaying schedule uses k = total_steps - 1, a
 * rate just above lr_min, as in PyTorch. When the decay starts inside the warm-up (a budget
 * shorter than warm-up plus decay) the two factors multiply. Being a function of k alone, a
 * resumed run continues bitwise. */
#define LR_WARMUP_START_FACTOR 0.01

enum lr_schedule_kind { LR_CONSTANT, LR_COSINE, LR_WSD };
enum lr_decay_shape { LR_DECAY_LINEAR, LR_DECAY_SQRT };

typedef struct lr_schedule {
    enum lr_schedule_kind kind;
    double lr, lr_min;
    long warmup_steps;      /* 0: none */
    long total_steps;       /* updates in the whole run */
    long decay_steps;       /* wsd: the decay's updates, the last ones; 0: no decay (a
                             * trajectory's stable phase) */
    enum lr_decay_shape decay_shape;    /* wsd */
} lr_schedule;

/* The rate of update k (0-based). */
double lr_schedule_at(const lr_schedule *s, long k);

/* wsd's decay in whole epochs: the last ceil(fraction * epochs) of them (at least 1, at most
 * all), so that it starts at an epoch's end, where a trajectory keeps its checkpoints. fraction
 * 0: no decay (0 epochs). fraction * epochs is read to 1e-9 (0.1 * 30 is 3, not 3.0000000000000004). */
int lr_wsd_decay_epochs(int epochs, double fraction);

#endif
