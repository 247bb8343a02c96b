/* tests/test_lap_kernels.c: the kernel table (model/lap_kernels.h), row by row: its names, its
 * stencils and divisors against OpenCV (tests/fixtures/lap_reference.txt, made by
 * tests/fixtures/make_lap_reference.py), which every per-channel row must have for every border;
 * the normalisations; the white-noise gain as stated and as measured; the keras-recipe negative
 * control. Every test walks the table, so a new row is checked without a new test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/image_metrics.h"
#include "model/lap_kernels.h"
#include "model/loss.h"
#include "support/reference_pair.h"

#define N REFERENCE_SIDE
#define FIXTURE "tests/fixtures/lap_reference.txt"

static const char *const border_names[] = { "reflect101", "replicate", "zero" };
enum { NBORDERS = 3 };

/* Names are unique and found again; each stencil is a Laplacian: its values sum to 0 (a constant
 * has none) and its centre is its only negative value. A per-channel row states the sum of its
 * squared stencil values as its gain. */
static void test_table_rows(void **state)
{
    (void)state;
    for (int k = 0; k < LAP_KERNEL_COUNT; k++) {
        const lap_kernel_def *d = lap_kernel_def_of(k);
        assert_string_equal(lap_kernel_name(k), d->name);
        assert_int_equal(lap_kernel_find(d->name), k);
        assert_true(d->label && *d->label && d->divisor > 0 && d->gain > 0);
        double sum = 0, sq = 0;
        for (int t = 0; t < 9; t++) {
            sum += d->taps[t];
            sq += (d->taps[t] / d->divisor) * (d->taps[t] / d->divisor);
            assert_true(t == 4 ? d->taps[t] < 0 : d->taps[t] >= 0);
        }
        assert_true(sum == 0);
        if (!d->mixes_channels)
            assert_true(sq == d->gain);
    }
    assert_null(lap_kernel_name(LAP_KERNEL_COUNT));
    assert_int_equal(lap_kernel_find("16"), -1);
    assert_int_equal(lap_kernel_find(NULL), -1);
    for (int n = 0; n < LAP_NORM_COUNT; n++)
        assert_int_equal(lap_norm_find(lap_norm_name(n)), n);
    assert_null(lap_norm_name(LAP_NORM_COUNT));
    assert_int_equal(lap_norm_find("l2"), -1);
    char text[256];
    lap_kernel_taps_text(LAP_K8, text, sizeof text);
    assert_string_equal(text, "[[1, 1, 1], [1, −8, 1], [1, 1, 1]]");
    lap_kernel_taps_text(LAP_ISO, text, sizeof text);
    assert_string_equal(text, "[[1, 2, 1], [2, −12, 2], [1, 2, 1]] / 4");
}

/* One line of the fixture: kernel, border, mse, then L(x) in HWC order. */
typedef struct reference_row {
    char kernel[32], border[32];
    double mse, map[N * N * 3];
} reference_row;

static int read_row(FILE *f, reference_row *r)
{
    int ch;
    while ((ch = fgetc(f)) == '#' || ch == '\n')   /* comment lines, line ends */
        if (ch == '#')
            while ((ch = fgetc(f)) != '\n' && ch != EOF)
                ;
    if (ch == EOF)
        return 0;
    ungetc(ch, f);
    if (fscanf(f, "%31s %31s %lf", r->kernel, r->border, &r->mse) != 3)
        fail_msg("%s: a line without kernel, border and mse", FIXTURE);
    for (int i = 0; i < N * N * 3; i++)
        if (fscanf(f, "%lf", &r->map[i]) != 1)
            fail_msg("%s: kernel %s %s: fewer than %d values", FIXTURE, r->kernel, r->border,
                     N * N * 3);
    return 1;
}

/* Every per-channel row of the table, with every border, against OpenCV: its Laplacian error
 * (metric_lap_mse) and every value of its map of x (lap_stencil, stencil3x3_forward). A row
 * without references fails, as does a reference of a kernel the table does not have. */
static void test_kernels_against_opencv(void **state)
{
    (void)state;
    float x[N * N * 3], y[N * N * 3];
    double plane[N * N], lap[N * N], k[9];
    reference_pair(x, y);
    FILE *f = fopen(FIXTURE, "r");
    if (!f)
        fail_msg("cannot open %s", FIXTURE);
    int seen[LAP_KERNEL_COUNT][NBORDERS] = { { 0 } };
    static reference_row r;
    while (read_row(f, &r)) {
        const int kernel = lap_kernel_find(r.kernel);
        int border = -1;
        for (int b = 0; b < NBORDERS; b++)
            if (strcmp(r.border, border_names[b]) == 0)
                border = b;
        if (kernel < 0 || border < 0 || lap_kernel_def_of(kernel)->mixes_channels)
            fail_msg("%s: kernel %s, border %s: not a per-channel kernel and border of the table",
                     FIXTURE, r.kernel, r.border);
        seen[kernel][border]++;
        char what[96];
        snprintf(what, sizeof what, "kernel %s %s mse", r.kernel, r.border);
        reference_near(metric_lap_mse(x, y, N, N, kernel, border), r.mse, 1e-12, what);
        lap_stencil(kernel, LAP_NORM_NONE, k);
        double worst = 0;
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < N * N; p++)
                plane[p] = x[p * 3 + c];
            stencil3x3_forward(k, border, plane, lap, N, N);
            for (int p = 0; p < N * N; p++)
                worst = fmax(worst, fabs(lap[p] - r.map[p * 3 + c]));
        }
        snprintf(what, sizeof what, "kernel %s %s: largest |diff| of L(x)", r.kernel, r.border);
        reference_near(worst, 0, 1e-12, what);
    }
    fclose(f);
    for (int kernel = 0; kernel < LAP_KERNEL_COUNT; kernel++)
        for (int b = 0; b < NBORDERS && !lap_kernel_def_of(kernel)->mixes_channels; b++)
            if (seen[kernel][b] != 1)
                fail_msg("kernel %s, border %s: %d reference lines in %s (make_lap_reference.py "
                         "makes them)", lap_kernel_name(kernel), border_names[b],
                         seen[kernel][b], FIXTURE);
}

/* l1 scales every stencil's absolute values to sum 1, energy its squares (for the keras recipe:
 * its L); none leaves taps / divisor. */
static void test_kernel_norm(void **state)
{
    (void)state;
    for (int kernel = 0; kernel < LAP_KERNEL_COUNT; kernel++) {
        const lap_kernel_def *d = lap_kernel_def_of(kernel);
        double raw[9], l1[9], energy[9], s1 = 0, s2 = 0;
        lap_stencil(kernel, LAP_NORM_NONE, raw);
        lap_stencil(kernel, LAP_NORM_L1, l1);
        lap_stencil(kernel, LAP_NORM_ENERGY, energy);
        for (int t = 0; t < 9; t++) {
            assert_true(raw[t] == d->taps[t] / d->divisor);
            s1 += fabs(l1[t]);
            s2 += energy[t] * energy[t];
        }
        assert_true(fabs(s1 - 1) < 1e-15);
        if (!d->mixes_channels)
            assert_true(fabs(s2 - 1) < 1e-15);
        assert_true(energy[4] == raw[4] / sqrt(d->gain));
    }
}

/* The white-noise gain of every kernel and normalisation as lap_white_noise_gain states it (the
 * row's gain, over the square of what the normalisation divides by; 1 with energy) and as
 * measured: the mean square of K*e over the mean square of e for uniform noise e, away from the
 * borders (within 3 %: the sampling error of 3 x 248 x 248 correlated values is about 1.5 %). The
 * keras recipe's gain is the one that needs its channel mixing counted. */
static void test_white_noise_gain(void **state)
{
    (void)state;
    const int h = 256, w = 256;
    const size_t hw = (size_t)h * w;
    float *img = malloc(sizeof(float) * 3 * hw);
    double *map = malloc(sizeof(double) * 3 * hw);
    double *scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * hw);
    uint64_t x = 88172645463325252ull;
    double in2 = 0;
    for (size_t i = 0; i < 3 * hw; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;   /* xorshift64 */
        img[i] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
        in2 += (double)img[i] * img[i];
    }
    in2 /= 3.0 * hw;
    for (int kernel = 0; kernel < LAP_KERNEL_COUNT; kernel++)
        for (int norm = 0; norm < LAP_NORM_COUNT; norm++) {
            const double div = lap_norm_divisor(kernel, norm);
            const double gain = lap_white_noise_gain(kernel, norm);
            assert_true(gain == lap_kernel_def_of(kernel)->gain / (div * div));
            if (norm == LAP_NORM_ENERGY)
                assert_true(fabs(gain - 1) < 1e-15);
            loss_options o = { PIXEL_MSE, 0.5, kernel, BORDER_REFLECT101, norm };
            assert_true(loss_effective_weight(&o) == 0.5 * gain);
            lap_map(&o, img, map, scratch, 1, h, w);
            double out2 = 0;
            size_t m = 0;
            for (int c = 0; c < 3; c++)
                for (int r = 4; r < h - 4; r++)
                    for (int q = 4; q < w - 4; q++, m++)
                        out2 += map[c * hw + (size_t)r * w + q] * map[c * hw + (size_t)r * w + q];
            const double measured = out2 / (double)m / in2;
            printf("kernel %s, kernel_norm %s: gain %.5g, measured %.5g\n", lap_kernel_name(kernel),
                   lap_norm_name(norm), gain, measured);
            assert_true(fabs(measured / gain - 1) < 0.03);
        }
    loss_options off = { PIXEL_MSE, 0, LAP_K8, BORDER_REFLECT101, LAP_NORM_NONE };
    assert_true(loss_effective_weight(&off) == 0);
    free(img);
    free(map);
    free(scratch);
}

/* The popular Keras recipe builds np.asarray([[[[1,1,1],[1,-8,1],[1,1,1]]]*3]*3), which Conv2D
 * reads as (kh, kw, in, out): a channel-mixing box sum, not a Laplacian. On a constant 0.5 image
 * a Laplacian is 0 inside; the recipe gives 4.5 * (column sums of L) = (13.5, -27, 13.5). Every
 * per-channel kernel of the table gives 0 everywhere with reflect101 and replicate borders, and
 * inside with zero borders. */
static void test_keras_recipe_is_not_a_laplacian(void **state)
{
    (void)state;
    const int n = 2, h = 8, w = 8;
    const size_t hw = (size_t)h * w, count = (size_t)3 * n * hw;
    float *img = malloc(sizeof(float) * count);
    double *map = malloc(sizeof(double) * count);
    double *scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * hw);
    for (size_t i = 0; i < count; i++)
        img[i] = 0.5f;
    const double want[3] = { 13.5, -27, 13.5 };
    loss_options keras = { PIXEL_MSE, 1.0, LAP_KERAS_RECIPE, BORDER_ZERO, 0 };
    lap_map(&keras, img, map, scratch, n, h, w);
    for (int c = 0; c < 3; c++)
        for (int s = 0; s < n; s++)
            for (int i = 1; i < h - 1; i++)
                for (int j = 1; j < w - 1; j++)
                    assert_true(map[(size_t)c * n * hw + (size_t)s * hw + i * w + j] == want[c]);
    assert_true(map[0] == 0.5 * 4 * 3);
    printf("keras-recipe interior on 0.5: (%g, %g, %g)\n", map[1 * w + 1],
           map[(size_t)n * hw + w + 1], map[(size_t)2 * n * hw + w + 1]);
    for (int k = 0; k < LAP_KERNEL_COUNT; k++)
        for (int b = 0; b < NBORDERS && !lap_kernel_def_of(k)->mixes_channels; b++) {
            loss_options lap = { PIXEL_MSE, 1.0, k, (enum lap_border)b, 0 };
            lap_map(&lap, img, map, scratch, n, h, w);
            for (size_t c = 0; c < 3; c++)
                for (int i = 1; i < h - 1; i++)
                    for (int j = 1; j < w - 1; j++)
                        assert_true(map[c * n * hw + i * w + j] == 0.0);
            if (b != BORDER_ZERO)
                assert_true(map[0] == 0.0);
        }
    free(img);
    free(map);
    free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_kernels_against_opencv),
        cmocka_unit_test(test_kernel_norm),
        cmocka_unit_test(test_white_noise_gain),
        cmocka_unit_test(test_keras_recipe_is_not_a_laplacian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
