/* wb against PyTorch 1.13 on the golden case (tests/golden/): from wb's own initial weights and a
 * fixed batch, the output, the loss and its parts, every parameter gradient, and the parameters
 * after 3 Adam steps must match PyTorch's within 1e-4 of each tensor's largest magnitude.
 * The fixture was made by `make golden`; this test needs no Python. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "golden/golden.h"
#include "model/loss.h"
#include "model/optim.h"
#include "model/safetensors.h"
#include "model/unet.h"

#define TOLERANCE 1e-4

typedef struct golden {
    st_file fx;
    unet *u;
    float *x, *y, *dy;
    double *scratch;
    loss_options lo;
    double worst;           /* the worst relative error seen by the current test */
    char worst_name[96];
} golden;

static const float *fixture_tensor(const golden *g, const char *prefix, const char *name,
                                   size_t count)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    const st_tensor *t = safetensors_find(&g->fx, key);
    if (!t)
        fail_msg("the fixture has no tensor %s", key);
    size_t c = 1;
    for (int k = 0; k < t->ndim; k++)
        c *= (size_t)t->shape[k];
    assert_int_equal(c, count);
    return t->data;
}

/* max |a - b| / max |b| over one tensor, recorded when it is the worst so far. */
static void compare(golden *g, const char *name, const float *got, const float *want, size_t n)
{
    double maxdiff = 0, maxref = 0;
    for (size_t i = 0; i < n; i++) {
        maxdiff = fmax(maxdiff, fabs((double)got[i] - want[i]));
        maxref = fmax(maxref, fabs((double)want[i]));
    }
    const double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    if (rel > g->worst || !g->worst_name[0]) {
        g->worst = rel;
        snprintf(g->worst_name, sizeof g->worst_name, "%s", name);
    }
    if (!(rel <= TOLERANCE))
        fail_msg("%s: max |wb - torch| = %.3e, %.3e of its largest magnitude %.3e (limit %.0e)",
                 name, maxdiff, rel, maxref, TOLERANCE);
}

static int setup(void **state)
{
    golden *g = calloc(1, sizeof *g);
    char err[512], path[4096];
    const char *root = getenv("WB_TEST_ROOT");
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", GOLDEN_FIXTURE);
    if (safetensors_read(path, &g->fx, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(g);
        return -1;
    }
    model_options m = { GOLDEN_DEPTH, GOLDEN_WIDTH, 0 };
    if (unet_create(&g->u, &m, GOLDEN_PATCH, GOLDEN_BATCH, 2, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    const size_t count = (size_t)GOLDEN_BATCH * GOLDEN_PATCH * GOLDEN_PATCH * 3;
    g->x = malloc(sizeof(float) * count);
    g->y = malloc(sizeof(float) * count);
    g->dy = malloc(sizeof(float) * count);
    g->scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * GOLDEN_PATCH * GOLDEN_PATCH);
    const int hw = GOLDEN_PATCH * GOLDEN_PATCH;
    nhwc_to_cm(fixture_tensor(g, "", "input", count), g->x, GOLDEN_BATCH, hw, 3);
    nhwc_to_cm(fixture_tensor(g, "", "target", count), g->y, GOLDEN_BATCH, hw, 3);
    g->lo = (loss_options){ PIXEL_MSE, GOLDEN_LAMBDA, LAP_K8, BORDER_REFLECT101, 0 };
    unet_init(g->u, GOLDEN_SEED);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    golden *g = *state;
    safetensors_free(&g->fx);
    unet_free(g->u);
    free(g->x);
    free(g->y);
    free(g->dy);
    free(g->scratch);
    free(g);
    return 0;
}

static void report(const golden *g, const char *what)
{
    printf("# report: golden %s: worst %.2e of the tensor's largest magnitude (%s)\n", what,
           g->worst, g->worst_name);
}

/* Drawing the initial weights again gives the fixture's, bit for bit. */
static void test_init_is_reproducible(void **state)
{
    golden *g = *state;
    for (size_t i = 0; i < unet_tensor_count(g->u); i++) {
        const unet_tensor *t = unet_tensor_at(g->u, i);
        const float *want = fixture_tensor(g, "init.", t->name, t->count);
        assert_memory_equal(unet_params(g->u) + t->offset, want, sizeof(float) * t->count);
    }
}

static loss_value step_forward_backward(golden *g)
{
    const float *out = unet_forward(g->u, g->x, GOLDEN_BATCH);
    loss_value lv = loss_forward_backward(&g->lo, out, g->y, g->dy, g->scratch, 1, GOLDEN_BATCH,
                                          GOLDEN_PATCH, GOLDEN_PATCH);
    unet_zero_grads(g->u);
    unet_backward(g->u, g->dy, GOLDEN_BATCH);
    return lv;
}

static void test_output_loss_and_gradients(void **state)
{
    golden *g = *state;
    const int hw = GOLDEN_PATCH * GOLDEN_PATCH;
    const size_t count = (size_t)GOLDEN_BATCH * hw * 3;
    float *nhwc = malloc(sizeof(float) * count);
    cm_to_nhwc(unet_forward(g->u, g->x, GOLDEN_BATCH), nhwc, GOLDEN_BATCH, hw, 3);
    compare(g, "output", nhwc, fixture_tensor(g, "", "output", count), count);
    free(nhwc);

    loss_value lv = step_forward_backward(g);
    const float got[3] = { (float)lv.total, (float)lv.pixel, (float)lv.lap };
    const float *want = fixture_tensor(g, "", "loss", 3);
    const char *names[3] = { "loss", "loss_pixel", "loss_lap" };
    for (int k = 0; k < 3; k++)
        compare(g, names[k], &got[k], &want[k], 1);
    printf("loss: wb %.9g torch %.9g\n", lv.total, want[0]);
    for (size_t i = 0; i < unet_tensor_count(g->u); i++) {
        const unet_tensor *t = unet_tensor_at(g->u, i);
        char name[96];
        snprintf(name, sizeof name, "grad %s", t->name);
        compare(g, name, unet_grads(g->u) + t->offset, fixture_tensor(g, "grad.", t->name, t->count),
                t->count);
    }
    report(g, "output, loss and gradients");
}

static void test_three_adam_steps(void **state)
{
    golden *g = *state;
    optimizer opt;
    optim_init(&opt, OPT_ADAM, GOLDEN_LR, 0.0, unet_moment(g->u, 0), unet_moment(g->u, 1),
               unet_param_count(g->u));
    for (int s = 0; s < GOLDEN_STEPS; s++) {
        step_forward_backward(g);
        optim_step(&opt, unet_params(g->u), unet_grads(g->u));
    }
    for (size_t i = 0; i < unet_tensor_count(g->u); i++) {
        const unet_tensor *t = unet_tensor_at(g->u, i);
        char name[96];
        snprintf(name, sizeof name, "after %d Adam steps %s", GOLDEN_STEPS, t->name);
        compare(g, name, unet_params(g->u) + t->offset,
                fixture_tensor(g, "adam3.", t->name, t->count), t->count);
    }
    report(g, "parameters after 3 Adam steps");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_is_reproducible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_loss_and_gradients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_adam_steps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
