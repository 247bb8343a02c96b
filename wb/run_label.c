/* wb/run_label.c: see run_label.h. */
#include "wb/run_label.h"

#include "analysis/label.h"

#define MAX_AXES 64

void run_label(double lambda, double effective_weight, const char *const *keys,
               const char *const *values, size_t naxes, uint64_t seed, char *out, size_t outlen)
{
    label_axis axes[MAX_AXES];
    naxes = naxes < MAX_AXES ? naxes : MAX_AXES;
    for (size_t a = 0; a < naxes; a++)
        axes[a] = (label_axis){keys[a], values[a]};
    label_run(lambda, effective_weight, axes, naxes, seed, out, outlen);
}

void run_label_value(const char *value, char *out, size_t outlen)
{
    label_value(value, out, outlen);
}
