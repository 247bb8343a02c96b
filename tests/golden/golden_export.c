/* Writes wb's initial weights for the golden case and a random batch, for make_golden.py:
 *   golden_export OUT_DIR  ->  OUT_DIR/init.safetensors, OUT_DIR/batch.safetensors */
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

#include "golden/golden.h"
#include "model/safetensors.h"
#include "model/unet.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: golden_export OUT_DIR\n");
        return 2;
    }
    char err[512], path[4096];
    model_options m = { GOLDEN_DEPTH, GOLDEN_WIDTH, 0 };
    unet *u;
    if (unet_create(&u, &m, GOLDEN_PATCH, GOLDEN_BATCH, 1, err, sizeof err) != 0) {
        fprintf(stderr, "golden_export: %s\n", err);
        return 1;
    }
    unet_init(u, GOLDEN_SEED);
    snprintf(path, sizeof path, "%s/init.safetensors", argv[1]);
    if (unet_save_weights(u, path, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "golden_export: %s\n", err);
        return 1;
    }
    const size_t count = (size_t)GOLDEN_BATCH * GOLDEN_PATCH * GOLDEN_PATCH * 3;
    float *x = malloc(sizeof(float) * count), *y = malloc(sizeof(float) * count);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, GOLDEN_SEED + 1);
    for (size_t i = 0; i < count; i++) {
        y[i] = (float)gsl_rng_uniform(r);
        x[i] = y[i] + (float)(0.2 * (gsl_rng_uniform(r) - 0.5));
    }
    gsl_rng_free(r);
    const int64_t shape[4] = { GOLDEN_BATCH, GOLDEN_PATCH, GOLDEN_PATCH, 3 };
    st_tensor t[2] = { { "x", 4, { shape[0], shape[1], shape[2], shape[3] }, x },
                       { "y", 4, { shape[0], shape[1], shape[2], shape[3] }, y } };
    snprintf(path, sizeof path, "%s/batch.safetensors", argv[1]);
    int rc = safetensors_write(path, t, 2, NULL, 0, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "golden_export: %s\n", err);
    free(x);
    free(y);
    unet_free(u);
    return rc ? 1 : 0;
}
