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

#endif
