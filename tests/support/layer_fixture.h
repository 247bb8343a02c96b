/* tests/support/layer_fixture.h: what layer-level model tests share: a seeded GSL generator and
 * a layer_scratch for 2 threads with buffers large enough for the tests' small layers. */
#ifndef WB_TESTS_LAYER_FIXTURE_H
#define WB_TESTS_LAYER_FIXTURE_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "model/layers.h"

typedef struct layer_fixture {
    gsl_rng *rng;
    layer_scratch s;
} layer_fixture;

/* cmocka setup and teardown: *state becomes a layer_fixture seeded with `seed`. */
int layer_fixture_setup(void **state, unsigned long seed);
int layer_fixture_teardown(void **state);

/* n floats drawn from N(0, sd^2) (a valid pointer even for n = 0); the caller frees them. */
float *layer_fixture_randn(layer_fixture *f, size_t n, double sd);

#endif
