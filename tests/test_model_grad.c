/* Finite-difference gradient checks for every layer, every pixel loss, the Laplacian term for each
 * kernel and border, and the whole U-Net with its loss.
 *
 * Each check is directional: for a random direction v, the central difference
 * (L(p + eps v) - L(p - eps v)) / (2 eps) must match <dL/dp, v> from the backward pass. Layers are
 * checked through L = <r, layer(x)> with a random r, which is linear in every parameter of a
 * convolution, so the difference is exact up to float rounding. Through ReLU and max-pool the
 * directions are small enough that crossing a kink is rare and shows only as a tiny error, which
 * the tolerance absorbs; a broken backward is off by O(1). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/layers.h"
#include "support/layer_fixture.h"
#include "model/loss.h"
#include "model/unet.h"

typedef layer_fixture fixture;

#define SEED 42

static int setup(void **state)
{
    return layer_fixture_setup(state, SEED);
}

static int teardown(void **state)
{
    return layer_fixture_teardown(state);
}

static float *randn(fixture *f, size_t n, double sd)
{
    return layer_fixture_randn(f, n, sd);
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Compares a directional derivative with its central difference; prints both. For a direction
 * v ~ N(0, I) the derivative <g, v> is typically as large as |g|, so the error is measured
 * against that too: a direction nearly orthogonal to g must not turn rounding into a failure. */
static void check_close_scaled(const char *what, double analytic, double numeric, double gnorm,
                               double tol)
{
    const double scale = fmax(fmax(fabs(analytic), fabs(numeric)), gnorm);
    const double rel = scale > 0 ? fabs(analytic - numeric) / scale : 0;
    printf("%-44s analytic % .6e numeric % .6e rel %.1e\n", what, analytic, numeric, rel);
    if (!(rel <= tol))
        fail_msg("%s: analytic %.8e vs numeric %.8e (relative error %.2e > %.1e)", what, analytic,
                 numeric, rel, tol);
}

static double norm2(const float *g, size_t n)
{
    return sqrt(dot(g, g, n));
}

static void check_close(const char *what, double analytic, double numeric, double tol)
{
    check_close_scaled(what, analytic, numeric, 0.0, tol);
}

/* ---- layers ----------------------------------------------------------------------------------- */

typedef struct layer_case {
    int kind;           /* 0 conv, 1 upconv, 2 maxpool */
    int n, cin, cout, h, w, ksize, relu;
} layer_case;

static conv_desc desc_of(const layer_case *c)
{
    return (conv_desc){ c->cin, c->cout, c->h, c->w, c->ksize, c->relu };
}

static void layer_forward(const layer_case *c, fixture *f, float *y, const float *x,
                          const float *w, const float *b, uint8_t *idx)
{
    const conv_desc d = desc_of(c);
    if (c->kind == 0)
        conv2d_forward(y, x, w, b, c->n, &d, &f->s);
    else if (c->kind == 1)
        upconv2x2_forward(y, x, w, b, c->n, c->cin, c->cout, c->h, c->w, &f->s);
    else
        maxpool2x2_forward(y, idx, x, c->n, c->cin, c->h, c->w, &f->s);
}

/* Which ReLUs are active or which pool inputs won: equal signatures at p + eps v and p - eps v
 * mean the segment crosses no kink. */
static uint64_t layer_signature(const layer_case *c, const float *y, const uint8_t *idx, size_t yn)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < yn; i++) {
        const unsigned v = c->kind == 2 ? idx[i] : c->relu ? y[i] > 0 : 0;
        h = (h ^ v) * 1099511628211ull;
    }
    return h;
}

#define MAX_DIRECTIONS 50

/* L = <r, layer(x)>; checks dL/dx, dL/dw and dL/db along random directions that cross no
 * kink. */
static void check_layer(fixture *f, const layer_case *c, const char *name)
{
    const size_t xn = (size_t)c->cin * c->n * c->h * c->w;
    const size_t yn = c->kind == 0 ? (size_t)c->cout * c->n * c->h * c->w
                    : c->kind == 1 ? (size_t)c->cout * c->n * c->h * c->w * 4
                                   : xn / 4;
    const size_t wn = c->kind == 0 ? (size_t)c->cout * c->cin * c->ksize * c->ksize
                    : c->kind == 1 ? (size_t)c->cin * c->cout * 4 : 0;
    const size_t bn = c->kind == 2 ? 0 : (size_t)c->cout;
    float *x = randn(f, xn, 1.0), *w = randn(f, wn, 0.3), *b = randn(f, bn, 0.1);
    float *r = randn(f, yn, 1.0), *y = calloc(yn, sizeof(float));
    float *dx = calloc(xn, sizeof(float)), *dw = calloc(wn + 1, sizeof(float)),
          *db = calloc(bn + 1, sizeof(float)), *dy = malloc(sizeof(float) * yn);
    uint8_t *idx = calloc(yn, 1);

    layer_forward(c, f, y, x, w, b, idx);
    memcpy(dy, r, sizeof(float) * yn);
    const conv_desc d = desc_of(c);
    if (c->kind == 0)
        conv2d_backward(dx, dw, db, dy, y, x, w, c->n, &d, 1, &f->s);
    else if (c->kind == 1)
        upconv2x2_backward(dx, dw, db, dy, x, w, c->n, c->cin, c->cout, c->h, c->w, 1, &f->s);
    else
        maxpool2x2_backward(dx, dy, idx, c->n, c->cin, c->h, c->w, &f->s);

    /* Step sizes small enough that a kink-free direction is found within a few tries. */
    struct { float *p, *g; size_t n; const char *what; double eps; } params[] = {
        { x, dx, xn, "x", 1e-3 }, { w, dw, wn, "weight", 2e-4 }, { b, db, bn, "bias", 1e-3 } };
    float *yp = malloc(sizeof(float) * yn), *ym = malloc(sizeof(float) * yn);
    uint8_t *idx2 = calloc(yn, 1);
    const uint64_t base = layer_signature(c, y, idx, yn);
    for (int k = 0; k < 3; k++) {
        if (params[k].n == 0)
            continue;
        float *orig = malloc(sizeof(float) * params[k].n);
        memcpy(orig, params[k].p, sizeof(float) * params[k].n);
        const double eps = params[k].eps;
        int tries = 0;
        for (;; tries++) {
            assert_true(tries < MAX_DIRECTIONS);
            float *v = randn(f, params[k].n, 1.0);
            for (size_t i = 0; i < params[k].n; i++)
                params[k].p[i] = orig[i] + (float)(eps * v[i]);
            layer_forward(c, f, yp, x, w, b, idx2);
            const uint64_t sp = layer_signature(c, yp, idx2, yn);
            for (size_t i = 0; i < params[k].n; i++)
                params[k].p[i] = orig[i] - (float)(eps * v[i]);
            layer_forward(c, f, ym, x, w, b, idx2);
            const uint64_t sm = layer_signature(c, ym, idx2, yn);
            memcpy(params[k].p, orig, sizeof(float) * params[k].n);
            if (sp != base || sm != base) {
                free(v);
                continue;
            }
            const double numeric = (dot(r, yp, yn) - dot(r, ym, yn)) / (2 * eps);
            char label[96];
            snprintf(label, sizeof label, "%s d/d%s", name, params[k].what);
            check_close(label, dot(params[k].g, v, params[k].n), numeric, 2e-3);
            free(v);
            break;
        }
        free(orig);
    }
    free(idx2);
    free(yp);
    free(ym);
    free(x);
    free(w);
    free(b);
    free(r);
    free(y);
    free(dx);
    free(dw);
    free(db);
    free(dy);
    free(idx);
}

/* A case for each layer, each drawn from the fixture's seed. */
static const struct {
    layer_case c;
    const char *name;
} layer_cases[] = {
    { { 0, 5, 3, 4, 8, 8, 3, 1 }, "conv3x3+relu" },   /* n = 5 over 2 threads: uneven chunks */
    { { 0, 3, 4, 2, 6, 10, 3, 0 }, "conv3x3" },
    { { 0, 4, 6, 3, 4, 4, 1, 0 }, "conv1x1" },
    { { 1, 3, 6, 4, 4, 4, 2, 0 }, "upconv2x2" },
    { { 2, 3, 5, 5, 8, 8, 2, 0 }, "maxpool2x2" },
};

static void test_layers(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof layer_cases / sizeof layer_cases[0]; i++) {
        gsl_rng_set(f->rng, SEED);
        check_layer(f, &layer_cases[i].c, layer_cases[i].name);
    }
}

/* The conv3x3 layers on the other paths: 6x10 images are not a multiple of 16 pixels, so the
 * "conv3x3" case above runs on im2col; 4x12 images run on the direct kernels where the CPU has
 * them, 8x8 with 9 -> 8 and 32 -> 32 channels on Winograd (forward and input gradient), and the
 * 8x8 "conv3x3+relu" case is repeated with im2col. */
static void test_conv3x3_other_path(void **state)
{
    fixture *f = *state;
    layer_case lin = { 0, 3, 4, 2, 4, 12, 3, 0 };
    check_layer(f, &lin, "conv3x3 (4x12)");
    layer_case wino = { 0, 2, 9, 8, 8, 8, 3, 0 };
    check_layer(f, &wino, "conv3x3 (9 -> 8: Winograd)");
    layer_case wide = { 0, 2, 32, 32, 8, 8, 3, 0 };
    check_layer(f, &wide, "conv3x3 (32 -> 32: Winograd)");
    layer_case relu = { 0, 5, 3, 4, 8, 8, 3, 1 };
    f->s.conv_algo = LAYER_CONV_IM2COL;
    check_layer(f, &relu, "conv3x3+relu (im2col)");
    f->s.conv_algo = LAYER_CONV_AUTO;
}

/* The first max wins ties, as in PyTorch, and the gradient goes to it alone. */
static void test_maxpool_ties(void **state)
{
    fixture *f = *state;
    float x[16] = { 1, 1, 0, 2, 1, 1, 2, 2, 3, 0, 5, 5, 0, 3, 5, 5 };
    float y[4], dy[4] = { 1, 2, 3, 4 }, dx[16] = { 0 };
    uint8_t idx[4];
    maxpool2x2_forward(y, idx, x, 1, 1, 4, 4, &f->s);
    maxpool2x2_backward(dx, dy, idx, 1, 1, 4, 4, &f->s);
    const float want_y[4] = { 1, 2, 3, 5 };
    const float want_dx[16] = { 1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0 };
    for (int i = 0; i < 4; i++)
        assert_true(y[i] == want_y[i]);
    for (int i = 0; i < 16; i++)
        assert_true(dx[i] == want_dx[i]);
}

/* ---- losses ----------------------------------------------------------------------------------- */

/* Signs of ŷ - y: the L1 loss's kinks (the other losses are smooth). */
static uint64_t l1_signature(const loss_options *o, const float *yhat, const float *y, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; o->pixel == PIXEL_L1 && i < n; i++)
        h = (h ^ (uint64_t)(yhat[i] > y[i])) * 1099511628211ull;
    return h;
}

/* ŷ - y of either sign and at least 0.05 in magnitude: away from L1's kink and from the
 * Charbonnier loss's 1e-3-wide bend, where a finite difference measures curvature instead. */
static float *offset_from(fixture *f, const float *y, size_t n)
{
    float *p = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) {
        const double d = 0.05 + 0.45 * gsl_rng_uniform(f->rng);
        p[i] = y[i] + (float)(gsl_rng_uniform(f->rng) < 0.5 ? -d : d);
    }
    return p;
}

static void check_loss(fixture *f, const loss_options *o, const char *name)
{
    const int n = 3, h = 8, w = 8;
    const size_t count = (size_t)3 * n * h * w;
    float *y = randn(f, count, 0.3), *yhat = offset_from(f, y, count), *g = malloc(sizeof(float) * count);
    float *p = malloc(sizeof(float) * count);
    double *scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * h * w);
    loss_forward_backward(o, yhat, y, g, scratch, 1, n, h, w);
    const uint64_t base = l1_signature(o, yhat, y, count);
    const double eps = 1e-2;   /* |ŷ - y| >= 0.05: no kink within reach */
    for (int tries = 0;; tries++) {
        assert_true(tries < MAX_DIRECTIONS);
        float *v = randn(f, count, 1.0);
        for (size_t i = 0; i < count; i++)
            p[i] = yhat[i] + (float)(eps * v[i]);
        const double lp = loss_value_of(o, p, y, scratch, 1, n, h, w).total;
        const uint64_t sp = l1_signature(o, p, y, count);
        for (size_t i = 0; i < count; i++)
            p[i] = yhat[i] - (float)(eps * v[i]);
        const double lm = loss_value_of(o, p, y, scratch, 1, n, h, w).total;
        const uint64_t sm = l1_signature(o, p, y, count);
        if (sp == base && sm == base)
            check_close(name, dot(g, v, count), (lp - lm) / (2 * eps), 1e-3);
        free(v);
        if (sp == base && sm == base)
            break;
    }
    free(yhat);
    free(y);
    free(g);
    free(p);
    free(scratch);
}

static void test_pixel_losses(void **state)
{
    const char *names[] = { "mse", "l1", "charbonnier" };
    for (int k = 0; k < 3; k++) {
        loss_options o = { (enum pixel_loss)k, 0, LAP_K8, BORDER_REFLECT101, 0 };
        check_loss(*state, &o, names[k]);
    }
}

static void test_laplacian_terms(void **state)
{
    /* every kernel of the kernel table; one that mixes channels has zero borders only */
    const char *bn[] = { "reflect101", "replicate", "zero" };
    for (int k = 0; k < LAP_KERNEL_COUNT; k++)
        for (int b = 0; b < 3; b++)
            for (int norm = 0; norm < 2; norm++) {
                if (lap_kernel_def_of(k)->mixes_channels && b != BORDER_ZERO)
                    continue;
                loss_options o = { PIXEL_MSE, 0.7, (enum lap_kernel)k, (enum lap_border)b, norm };
                char name[64];
                snprintf(name, sizeof name, "mse+0.7*lap %s %s%s", lap_kernel_def_of(k)->label,
                         bn[b], norm ? " l1" : "");
                check_loss(*state, &o, name);
            }
}

/* ---- the whole network ------------------------------------------------------------------------- */

/* The loss at the current parameters, and the kink signature of the network and loss there. */
static double net_loss(unet *u, const loss_options *o, const float *x, const float *y, int n,
                       int patch, double *scratch, uint64_t *signature)
{
    const float *out = unet_forward(u, x, n);
    *signature = unet_kink_signature(u) ^ l1_signature(o, out, y, (size_t)3 * n * patch * patch);
    return loss_value_of(o, out, y, scratch, 1, n, patch, patch).total;
}

/* One directional check per parameter tensor, so a wrong gradient names its layer. */
static void check_unet(fixture *f, int depth, int width, int residual, const loss_options *o)
{
    const int n = 3, patch = 8;
    model_options m = { depth, width, residual };
    unet *u;
    char err[256];
    assert_int_equal(unet_create(&u, &m, patch, n, 2, err, sizeof err), 0);
    unet_init(u, 7);
    const size_t count = (size_t)3 * n * patch * patch;
    float *x = randn(f, count, 0.5), *y = randn(f, count, 0.5), *dy = malloc(sizeof(float) * count);
    double *scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * patch * patch);
    uint64_t base;
    net_loss(u, o, x, y, n, patch, scratch, &base);
    loss_forward_backward(o, unet_forward(u, x, n), y, dy, scratch, 1, n, patch, patch);
    unet_zero_grads(u);
    unet_backward(u, dy, n);
    float *p = unet_params(u), *g = unet_grads(u);
    for (size_t t = 0; t < unet_tensor_count(u); t++) {
        const unet_tensor *ut = unet_tensor_at(u, t);
        float *orig = malloc(sizeof(float) * ut->count);
        memcpy(orig, p + ut->offset, sizeof(float) * ut->count);
        /* Between kinks the output is linear in one tensor and the loss at most quadratic in
         * the output, so the central difference is exact but for rounding, which shrinks as the
         * step grows: take the largest step (halving from 1 % of the tensor's scale) whose
         * segment crosses no kink. */
        const double scale = ut->init_std > 0 ? ut->init_std : 0.1;
        int done = 0;
        for (int tries = 0; !done; tries++) {
            assert_true(tries < MAX_DIRECTIONS);
            float *v = randn(f, ut->count, 1.0);
            double an = 0;
            for (size_t i = 0; i < ut->count; i++)
                an += (double)g[ut->offset + i] * v[i];
            for (double eps = 1e-2 * scale; !done && eps > 1e-6 * scale; eps /= 2) {
                uint64_t sp, sm;
                for (size_t i = 0; i < ut->count; i++)
                    p[ut->offset + i] = orig[i] + (float)(eps * v[i]);
                const double lp = net_loss(u, o, x, y, n, patch, scratch, &sp);
                for (size_t i = 0; i < ut->count; i++)
                    p[ut->offset + i] = orig[i] - (float)(eps * v[i]);
                const double lm = net_loss(u, o, x, y, n, patch, scratch, &sm);
                memcpy(p + ut->offset, orig, sizeof(float) * ut->count);
                if (sp != base || sm != base)
                    continue;
                char label[96];
                snprintf(label, sizeof label, "unet d%d w%d%s %s (eps %.0e)", depth, width,
                         residual ? " res" : "", ut->name, eps / scale);
                check_close_scaled(label, an, (lp - lm) / (2 * eps),
                                   norm2(g + ut->offset, ut->count), 5e-3);
                done = 1;
            }
            free(v);
        }
        free(orig);
    }
    unet_free(u);
    free(x);
    free(y);
    free(dy);
    free(scratch);
}

static void test_unet_depths(void **state)
{
    loss_options o = { PIXEL_MSE, 0.6, LAP_K8, BORDER_REFLECT101, 0 };
    for (int d = 1; d <= 3; d++)
        check_unet(*state, d, 3, 0, &o);
    check_unet(*state, 2, 4, 1, &o);
}

static void test_unet_losses(void **state)
{
    loss_options o1 = { PIXEL_L1, 0.3, LAP_K4, BORDER_REPLICATE, 1 };
    check_unet(*state, 2, 3, 0, &o1);
    /* Charbonnier is checked alone (test_pixel_losses): inside a network some ŷ - y fall in its
     * 1e-3-wide bend, where a central difference measures curvature. */
    loss_options o2 = { PIXEL_MSE, 1.0, LAP_KERAS_RECIPE, BORDER_ZERO, 0 };
    check_unet(*state, 1, 3, 0, &o2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv3x3_other_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maxpool_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pixel_losses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_laplacian_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unet_depths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unet_losses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
