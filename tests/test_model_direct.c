/* The direct 3x3 kernels (model/conv_direct.c) and Winograd (model/conv_winograd.c) against the
 * im2col + GEMM path of the same layer:
 * forward (with bias and ReLU), the input gradient, the weight and bias gradients, for channel
 * counts that exercise every register block and remainder (1 to 8 output channels, the
 * gradient's blocks of 3, 2 and 1), the three image sizes of the U-Net and a non-square one,
 * uneven chunks over 2 threads, and gradients that are added into, not overwritten. Also: an
 * input channel that is zero everywhere gives exactly zero weight gradients on every path (Adam
 * turns any residue into a step of size lr), and NaN goes through the ReLU as in PyTorch. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/conv_direct.h"
#include "model/layers.h"
#include "support/layer_fixture.h"

typedef layer_fixture fixture;

static int setup(void **state)
{
    return layer_fixture_setup(state, 7);
}

static int teardown(void **state)
{
    return layer_fixture_teardown(state);
}

static float *randn(fixture *f, size_t n, double sd)
{
    return layer_fixture_randn(f, n, sd);
}

static float *copy(const float *a, size_t n)
{
    float *p = malloc(sizeof(float) * n);
    memcpy(p, a, sizeof(float) * n);
    return p;
}

/* Largest |a - b| over the largest |b|: both paths sum the same products in another order. */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

static void require_avx512(int h, int w)
{
    if (!conv_direct_usable(h, w)) {
        print_message("no AVX-512F on this CPU: the direct kernels cannot run here\n");
        skip();
    }
}

typedef struct result {
    float *y, *dx, *dw, *db, *dy;
} result;

/* One layer on one path: forward, then backward from dy0 into gradients that start at g0. */
static result run_path(fixture *f, const conv_desc *d, int n, int algo, const float *x,
                       const float *w, const float *b, const float *dy0, const float *g0)
{
    const size_t xn = (size_t)d->cin * n * d->h * d->w, yn = (size_t)d->cout * n * d->h * d->w;
    const size_t wn = (size_t)9 * d->cin * d->cout;
    result r;
    f->s.conv_algo = algo;
    r.y = malloc(sizeof(float) * yn);
    conv2d_forward(r.y, x, w, b, n, d, &f->s);
    r.dy = copy(dy0, yn);
    r.dx = copy(g0, xn);
    r.dw = copy(g0, wn);
    r.db = copy(g0, (size_t)d->cout);
    conv2d_backward(r.dx, r.dw, r.db, r.dy, r.y, x, w, n, d, 1, &f->s);
    f->s.conv_algo = LAYER_CONV_AUTO;
    return r;
}

static void free_result(result *r)
{
    free(r->y);
    free(r->dx);
    free(r->dw);
    free(r->db);
    free(r->dy);
}

static const char *algo_name(int algo)
{
    return algo == LAYER_CONV_AUTO ? "auto" : algo == LAYER_CONV_DIRECT ? "direct" : "im2col";
}

/* The layer on the direct kernels and on the automatic choice (Winograd where eligible) against
 * im2col + GEMM. */
static void compare_layer(fixture *f, int n, int cin, int cout, int h, int w, int relu)
{
    const conv_desc d = { cin, cout, h, w, 3, relu };
    const size_t xn = (size_t)cin * n * h * w, yn = (size_t)cout * n * h * w;
    const size_t wn = (size_t)9 * cin * cout;
    const size_t gn = xn > wn ? xn : wn;
    float *x = randn(f, xn, 1.0), *wt = randn(f, wn, 0.3), *b = randn(f, (size_t)cout, 0.1);
    float *dy = randn(f, yn, 1.0), *g0 = randn(f, gn, 1.0);
    result e = run_path(f, &d, n, LAYER_CONV_IM2COL, x, wt, b, dy, g0);
    const int algos[2] = { LAYER_CONV_DIRECT, LAYER_CONV_AUTO };
    for (int k = 0; k < 2; k++) {
        result a = run_path(f, &d, n, algos[k], x, wt, b, dy, g0);
        const double ry = rel_diff(a.y, e.y, yn), rx = rel_diff(a.dx, e.dx, xn);
        const double rw = rel_diff(a.dw, e.dw, wn), rb = rel_diff(a.db, e.db, (size_t)cout);
        print_message("%-6s n %d cin %2d cout %2d %2dx%-2d relu %d: y %.1e dx %.1e dw %.1e "
                      "db %.1e\n", algo_name(algos[k]), n, cin, cout, h, w, relu, ry, rx, rw, rb);
        assert_true(ry < 1e-5);
        assert_true(rx < 1e-5);
        assert_true(rw < 1e-5);
        assert_true(rb < 1e-5);
        /* the ReLU masks agree: dy, masked in place, is the same where the outputs' signs are */
        if (algos[k] == LAYER_CONV_DIRECT)
            assert_memory_equal(a.dy, e.dy, sizeof(float) * yn);
        free_result(&a);
    }
    free_result(&e);
    free(x);
    free(wt);
    free(b);
    free(dy);
    free(g0);
}

static void test_paths_agree(void **state)
{
    require_avx512(16, 16);
    fixture *f = *state;
    /* the U-Net's layers at widths 8 and 16 */
    compare_layer(f, 5, 3, 16, 16, 16, 1);
    compare_layer(f, 5, 16, 16, 16, 16, 1);
    compare_layer(f, 5, 16, 32, 8, 8, 1);
    compare_layer(f, 5, 64, 64, 4, 4, 1);
    compare_layer(f, 5, 64, 32, 8, 8, 1);
    /* every output-channel remainder of the forward blocks (8, 4, 2, 1) and of the gradient's
     * (3, 2, 1), a non-square image (4 rows of 12: a vector straddles rows), one sample */
    for (int cout = 1; cout <= 9; cout++)
        compare_layer(f, 3, 5, cout, 8, 8, cout % 2);
    compare_layer(f, 3, 7, 13, 4, 12, 0);
    compare_layer(f, 1, 2, 3, 4, 4, 1);
    compare_layer(f, 4, 11, 10, 32, 16, 0);
    /* Winograd's remainders: 16-wide images 4 rows high, 8x8 with 3 outputs, 9 -> 5 channels,
     * 4x4 images (4 in a vector of tiles: 5 samples leave one partial vector) */
    compare_layer(f, 3, 9, 5, 4, 16, 1);
    compare_layer(f, 2, 8, 3, 8, 8, 0);
    compare_layer(f, 7, 12, 9, 8, 8, 1);
    compare_layer(f, 5, 16, 7, 4, 4, 1);
    compare_layer(f, 2, 8, 8, 4, 4, 0);
    /* wider layers on each width */
    compare_layer(f, 3, 32, 32, 16, 16, 1);
    compare_layer(f, 3, 34, 36, 8, 8, 0);
    compare_layer(f, 5, 32, 48, 4, 4, 1);
}

/* An input channel that is zero everywhere, and an output channel whose gradient is zero
 * everywhere: their weight gradients are exactly 0 on every path, for a small layer and one
 * whose forward pass and input gradient run on Winograd. */
static void dead_channels(fixture *f, int n, int cin, int cout, int h, int w)
{
    const conv_desc d = { cin, cout, h, w, 3, 0 };
    const size_t plane = (size_t)n * h * w, wn = (size_t)9 * cin * cout;
    float *x = randn(f, cin * plane, 1.0), *wt = randn(f, wn, 0.3), *b = randn(f, cout, 0.1);
    float *dy = randn(f, cout * plane, 1.0);
    float *g0 = calloc(cin * plane > wn ? cin * plane : wn, sizeof(float));
    memset(x + 2 * plane, 0, sizeof(float) * plane);
    memset(dy + 1 * plane, 0, sizeof(float) * plane);
    for (int path = 0; path < 3; path++) {
        result r = run_path(f, &d, n, path, x, wt, b, dy, g0);
        for (int co = 0; co < cout; co++)
            for (int t = 0; t < 9; t++)
                assert_true(r.dw[((size_t)co * cin + 2) * 9 + t] == 0.0f);
        for (int ci = 0; ci < cin; ci++)
            for (int t = 0; t < 9; t++)
                assert_true(r.dw[((size_t)1 * cin + ci) * 9 + t] == 0.0f);
        free_result(&r);
    }
    free(x);
    free(wt);
    free(b);
    free(dy);
    free(g0);
}

static void test_dead_channel_exact_zero(void **state)
{
    require_avx512(8, 8);
    dead_channels(*state, 3, 4, 5, 8, 8);
    dead_channels(*state, 3, 32, 32, 8, 8);
}

/* NaN in the input reaches the output through bias and ReLU (not clamped to 0), on both paths. */
static void test_nan_passes_relu(void **state)
{
    require_avx512(4, 4);
    fixture *f = *state;
    const int n = 2, cin = 2, cout = 3, h = 4, w = 4;
    const conv_desc d = { cin, cout, h, w, 3, 1 };
    const size_t plane = (size_t)n * h * w;
    float *x = randn(f, cin * plane, 1.0), *wt = randn(f, 9 * cin * cout, 0.3);
    float b[3] = { -100.0f, -100.0f, -100.0f };
    float *y = malloc(sizeof(float) * cout * plane);
    x[5] = NAN;
    for (int path = 0; path < 3; path++) {
        f->s.conv_algo = path;
        conv2d_forward(y, x, wt, b, n, &d, &f->s);
        for (int co = 0; co < cout; co++) {
            assert_true(isnan(y[(size_t)co * plane + 5]));
            /* far from the NaN the large negative bias is clamped to exactly 0 */
            assert_true(y[(size_t)co * plane + plane - 1] == 0.0f);
        }
    }
    f->s.conv_algo = LAYER_CONV_AUTO;
    free(x);
    free(wt);
    free(y);
}

/* The vectorised max-pool (model/pool_simd.c) against the rule written out here: the first
 * maximum in row-major order, a NaN winning (the first NaN after the first input, else the first
 * input's NaN), on values with many ties and some NaNs, for each eligible width, with tails of
 * fewer than 16 outputs. */
static void test_maxpool_simd(void **state)
{
    fixture *f = *state;
    const int widths[3] = { 4, 8, 16 };
    for (int k = 0; k < 3; k++) {
        const int w = widths[k], h = w, c = 3, n = 5;
        const size_t xn = (size_t)c * n * h * w, yn = xn / 4;
        float *x = malloc(sizeof(float) * xn), *y = malloc(sizeof(float) * yn);
        uint8_t *idx = malloc(yn);
        for (size_t i = 0; i < xn; i++) {
            const double u = gsl_rng_uniform(f->rng);
            x[i] = u < 0.05 ? NAN : (float)gsl_rng_uniform_int(f->rng, 3);
        }
        maxpool2x2_forward(y, idx, x, n, c, h, w, &f->s);
        for (size_t o = 0; o < yn; o++) {
            const size_t pair = o / (w / 2), col = o % (w / 2);
            const float *r0 = x + pair * 2 * w + 2 * col;
            const float v[4] = { r0[0], r0[1], r0[w], r0[w + 1] };
            int bi = 0;
            for (int q = 1; q < 4; q++)
                if (isnan(v[q])) {
                    bi = q;
                    break;
                } else if (!isnan(v[bi]) && v[q] > v[bi]) {
                    bi = q;
                }
            assert_int_equal(idx[o], bi);
            assert_memory_equal(&y[o], &v[bi], sizeof(float));
        }
        free(x);
        free(y);
        free(idx);
    }
}

/* dx_add = 0 overwrites dx (here full of NaN) with what dx_add = 1 adds to zeros, on every path
 * (Winograd, direct, im2col for 3x3; GEMM for 1x1 and the transposed convolution). */
static void overwrite_equals_add(fixture *f, int algo, int ksize, int cin, int cout, int h, int w)
{
    const int n = 3, up = ksize == 2;
    const conv_desc d = { cin, cout, h, w, up ? 3 : ksize, 1 };
    const size_t xn = (size_t)cin * n * h * w, yn = (size_t)cout * n * h * w * (up ? 4 : 1);
    const size_t wn = (size_t)cin * cout * (up ? 4 : ksize * ksize);
    float *x = randn(f, xn, 1.0), *wt = randn(f, wn, 0.3), *dy0 = randn(f, yn, 1.0);
    float *y = randn(f, yn, 1.0), *dx[2], *dw = calloc(wn, sizeof(float));
    float *db = calloc((size_t)cout, sizeof(float));
    f->s.conv_algo = algo;
    for (int add = 0; add < 2; add++) {
        float *dy = copy(dy0, yn);
        dx[add] = malloc(sizeof(float) * xn);
        for (size_t i = 0; i < xn; i++)
            dx[add][i] = add ? 0.0f : NAN;
        if (up)
            upconv2x2_backward(dx[add], dw, db, dy, x, wt, n, cin, cout, h, w, add, &f->s);
        else
            conv2d_backward(dx[add], dw, db, dy, y, x, wt, n, &d, add, &f->s);
        free(dy);
    }
    f->s.conv_algo = LAYER_CONV_AUTO;
    for (size_t i = 0; i < xn; i++)
        assert_true(dx[0][i] == dx[1][i]);
    free(x);
    free(wt);
    free(dy0);
    free(y);
    free(dx[0]);
    free(dx[1]);
    free(dw);
    free(db);
}

static void test_dx_overwrite(void **state)
{
    fixture *f = *state;
    for (int algo = 0; algo < 3; algo++) {
        overwrite_equals_add(f, algo, 3, 16, 16, 16, 16);   /* Winograd where available */
        overwrite_equals_add(f, algo, 3, 3, 5, 8, 8);       /* direct */
        overwrite_equals_add(f, algo, 3, 4, 6, 6, 10);      /* im2col: 60 pixels */
    }
    overwrite_equals_add(f, LAYER_CONV_AUTO, 1, 6, 3, 4, 4);
    overwrite_equals_add(f, LAYER_CONV_AUTO, 2, 8, 4, 4, 4);   /* transposed, 4x4 -> 8x8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paths_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_channel_exact_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nan_passes_relu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maxpool_simd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dx_overwrite, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
