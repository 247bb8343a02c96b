/* tests/support/layer_fixture.c: see layer_fixture.h. */
#include "layer_fixture.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>

int layer_fixture_setup(void **state, unsigned long seed)
{
    layer_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(f->rng, seed);
    f->s.threads = 2;
    f->s.col_floats = 1 << 20;
    f->s.acc_floats = 1 << 17;
    f->s.shared_floats = 1 << 17;
    f->s.col = calloc((size_t)f->s.col_floats * 2, sizeof(float));
    f->s.acc = calloc((size_t)f->s.acc_floats * 2, sizeof(float));
    f->s.shared = calloc(f->s.shared_floats, sizeof(float));
    *state = f;
    return f->rng && f->s.col && f->s.acc && f->s.shared ? 0 : -1;
}

int layer_fixture_teardown(void **state)
{
    layer_fixture *f = *state;
    gsl_rng_free(f->rng);
    free(f->s.col);
    free(f->s.acc);
    free(f->s.shared);
    free(f);
    return 0;
}

float *layer_fixture_randn(layer_fixture *f, size_t n, double sd)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; p && i < n; i++)
        p[i] = (float)gsl_ran_gaussian(f->rng, sd);
    return p;
}
