/* Tiled whole-image inference (model/tile.c) against one forward pass over the whole padded
 * image, on random networks of depths 1-3 and images of odd sizes and aspects (a 1-pixel row, a
 * thin strip, several tiles each way, two images whose tiles share a batch): equal within 1e-5
 * of the largest output magnitude (random networks reach 9; a trained one stays near [0, 1]), the
 * rest being the convolutions' summation order, which depends on the image size.
 * A margin one pooling step short of tile_margin_aligned must differ, so the margin is needed and
 * the comparison can fail. The padding is written out here again, independently of tile.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/tile.h"
#include "model/unet.h"

static void test_margins(void **state)
{
    (void)state;
    /* Depth 2: enc0 +2, pool to 2; enc1 +4 = 6, pool to 8; mid +8 = 16; dec1 +4; dec0 +2. */
    assert_int_equal(tile_margin(1), 8);
    assert_int_equal(tile_margin(2), 22);
    assert_int_equal(tile_margin(3), 46);
    assert_int_equal(tile_margin_aligned(1), 8);
    assert_int_equal(tile_margin_aligned(2), 24);
    assert_int_equal(tile_margin_aligned(3), 48);
}

static void test_plan_refuses(void **state)
{
    (void)state;
    tile_plan p;
    char err[256];
    assert_int_equal(tile_plan_make(&p, 2, 100, 100, 48, 24, err, sizeof err), -1);  /* 2 * 24 */
    assert_int_equal(tile_plan_make(&p, 2, 100, 100, 64, 22, err, sizeof err), -1);  /* not /4 */
    assert_int_equal(tile_plan_make(&p, 2, 100, 100, 66, 24, err, sizeof err), -1);
    assert_int_equal(tile_plan_make(&p, 2, 0, 100, 64, 24, err, sizeof err), -1);
    assert_int_equal(tile_plan_make(&p, 2, 203, 150, 64, 24, err, sizeof err), 0);
    assert_int_equal(p.pad_height, 204);
    assert_int_equal(p.pad_width, 152);
    assert_int_equal(p.rows, 10);   /* origins 0, 16, ..., 128, then the last at 204 - 64 = 140 */
    assert_int_equal(p.cols, 7);    /* 0, 16, ..., 80, then 88 */
}

static int reflect(int i, int n)
{
    while (i < 0 || i >= n)
        i = n == 1 ? 0 : i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

static float *uniform(size_t count, unsigned *state)
{
    float *a = malloc(sizeof(float) * count);
    for (size_t i = 0; i < count; i++) {
        *state = *state * 1664525u + 1013904223u;
        a[i] = (float)(*state >> 8) / (float)(1u << 24);
    }
    return a;
}

/* The untiled result: each image padded by reflection at its bottom and right, one forward pass
 * of a network of the padded size, cropped. */
static void whole(const model_options *m, uint64_t seed, const float *x, float *y, size_t n,
                  int h, int w)
{
    const int grid = 1 << m->depth, ph = (h + grid - 1) / grid * grid,
              pw = (w + grid - 1) / grid * grid;
    unet *u;
    char err[256];
    assert_int_equal(unet_create_forward(&u, m, ph, pw, 1, 2, err, sizeof err), 0);
    unet_init(u, seed);
    float *in = malloc(sizeof(float) * 3 * ph * pw);
    for (size_t s = 0; s < n; s++) {
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < ph; r++)
                for (int q = 0; q < pw; q++)
                    in[((size_t)c * ph + r) * pw + q] =
                        x[((s * h + reflect(r, h)) * w + reflect(q, w)) * 3 + c];
        const float *out = unet_forward(u, in, 1);
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                    y[((s * h + r) * w + q) * 3 + c] = out[((size_t)c * ph + r) * pw + q];
    }
    free(in);
    unet_free(u);
}

/* Largest |tiled - whole| for n images of h x w, tiles of `tile` with `margin`, `batch` tiles a
 * pass; *scale: the largest |output|, at least 1. */
static double tiled_difference(const model_options *m, size_t n, int h, int w, int tile,
                               int margin, int batch, int *tiles, double *scale)
{
    const uint64_t seed = 11 + (uint64_t)h * 7 + (uint64_t)w;
    unsigned state = (unsigned)seed;
    const size_t count = n * (size_t)h * w * 3;
    float *x = uniform(count, &state), *ref = malloc(sizeof(float) * count),
          *got = malloc(sizeof(float) * count);
    for (size_t i = 0; i < count; i++)
        got[i] = NAN;   /* a pixel no tile writes stays NaN and fails the comparison */
    whole(m, seed, x, ref, n, h, w);

    tile_plan p;
    unet *u;
    char err[256];
    assert_int_equal(tile_plan_make(&p, m->depth, h, w, tile, margin, err, sizeof err), 0);
    assert_int_equal(unet_create_forward(&u, m, p.tile_height, p.tile_width, batch, 2, err,
                                         sizeof err), 0);
    unet_init(u, seed);
    assert_int_equal(tile_predict(u, &p, x, got, n, err, sizeof err), 0);
    double worst = 0, largest = 0;
    for (size_t i = 0; i < count; i++) {
        worst = isnan(got[i]) ? INFINITY : fmax(worst, fabs((double)got[i] - ref[i]));
        largest = fmax(largest, fabs((double)ref[i]));
    }
    *scale = fmax(1.0, largest);
    *tiles = p.rows * p.cols;
    unet_free(u);
    free(x);
    free(ref);
    free(got);
    return worst;
}

typedef struct tile_case {
    int depth, residual;
    size_t n;
    int h, w, tile, batch;
} tile_case;

static void test_tiled_equals_whole(void **state)
{
    (void)state;
    static const tile_case cases[] = {
        { 1, 0, 1, 37, 53, 32, 3 },    /* margin 8, step 16 */
        { 2, 0, 1, 203, 150, 64, 4 },
        { 2, 1, 2, 61, 130, 64, 3 },   /* two images, batches across them; residual */
        { 2, 0, 1, 1, 97, 64, 2 },     /* one row, padded by reflection to 4 */
        { 2, 0, 1, 300, 5, 64, 1 },    /* a thin strip: tiles of 64 x 8 */
        { 2, 0, 3, 16, 16, 128, 64 },  /* patches: one tile each, as training saw them */
        { 3, 0, 1, 150, 203, 112, 2 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const tile_case *c = &cases[k];
        const model_options m = { c->depth, 8, c->residual };
        int tiles;
        double scale;
        const double d = tiled_difference(&m, c->n, c->h, c->w, c->tile,
                                          tile_margin_aligned(c->depth), c->batch, &tiles, &scale);
        printf("depth %d, %zu image(s) of %dx%d, %d tiles of at most %d: max |tiled - whole| "
               "= %.3g (largest |output| %.3g)\n", c->depth, c->n, c->h, c->w, tiles, c->tile, d,
               scale);
        assert_true(d <= 1e-5 * scale);
    }
}

/* One pooling step less margin than tile_margin_aligned changes the result: the margin is
 * needed, and the comparison above can fail. */
static void test_short_margin_differs(void **state)
{
    (void)state;
    for (int depth = 1; depth <= 3; depth++) {
        const model_options m = { depth, 8, 0 };
        const int margin = tile_margin_aligned(depth) - (1 << depth),
                  tile = 8 * (1 << depth) + 2 * margin;
        int tiles;
        double scale;
        const double d = tiled_difference(&m, 1, 2 * tile + 5, 2 * tile + 9, tile, margin, 2,
                                          &tiles, &scale);
        printf("depth %d, margin %d (short by %d): max |tiled - whole| = %.3g\n", depth, margin,
               1 << depth, d);
        assert_true(d > 1e-4 * scale);
    }
}

/* A forward-only network computes bit for bit what a training network of the same size does
 * (wb predict on a run's patches reproduces the logged metrics), in a smaller arena with no
 * gradients or moments. */
static void test_forward_only_network(void **state)
{
    (void)state;
    const model_options m = { 2, 8, 1 };
    unet *train, *fwd;
    char err[256];
    assert_int_equal(unet_create(&train, &m, 16, 5, 2, err, sizeof err), 0);
    assert_int_equal(unet_create_forward(&fwd, &m, 16, 16, 5, 2, err, sizeof err), 0);
    unet_init(train, 3);
    unet_init(fwd, 3);
    unsigned seed = 5;
    float *x = uniform(3 * 5 * 16 * 16, &seed);
    const size_t count = 3 * 5 * 16 * 16;
    float *a = malloc(sizeof(float) * count);
    memcpy(a, unet_forward(train, x, 5), sizeof(float) * count);
    assert_memory_equal(a, unet_forward(fwd, x, 5), sizeof(float) * count);
    assert_null(unet_grads(fwd));
    assert_null(unet_moment(fwd, 0));
    assert_non_null(unet_grads(train));
    printf("arena: %.2f MB forward-only, %.2f MB for training\n", unet_arena_bytes(fwd) / 1e6,
           unet_arena_bytes(train) / 1e6);
    /* At least the gradients and the two moments less (and the activations' gradients). */
    assert_true(unet_arena_bytes(fwd) + 3 * sizeof(float) * unet_param_count(fwd) <
                unet_arena_bytes(train));
    unet_zero_grads(fwd);   /* nothing to zero, and no crash */
    free(a);
    free(x);
    unet_free(train);
    unet_free(fwd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_margins),
        cmocka_unit_test(test_plan_refuses),
        cmocka_unit_test(test_tiled_equals_whole),
        cmocka_unit_test(test_short_margin_differs),
        cmocka_unit_test(test_forward_only_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
