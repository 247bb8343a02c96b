/* The metric table and its pass over a split; metrics and Laplacian maps against scikit-image
 * 0.19.3 and OpenCV 4.6 (values computed in float64 with Debian 12's python3-skimage and
 * python3-opencv, copied here), the keras-recipe negative control, and a safetensors round
 * trip. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <omp.h>

#include "model/image_metrics.h"
#include "model/loss.h"
#include "model/metrics.h"
#include "model/safetensors.h"
#include "model/unet.h"
#include "support/tempdir.h"

#define N 16

/* The reference pair, HWC 16x16x3:
 *   x[i,j,c] = ((13i + 7j + 40c) mod 256) / 255
 *   y[i,j,c] = clip(((13i + 7j + 40c) mod 256) + ((i*j + 3c) mod 11) - 5, 0, 255) / 255 */
static void reference_pair(float *x, float *y)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            for (int c = 0; c < 3; c++) {
                const int v = (13 * i + 7 * j + 40 * c) % 256;
                int w = v + (i * j + 3 * c) % 11 - 5;
                w = w < 0 ? 0 : w > 255 ? 255 : w;
                x[(i * N + j) * 3 + c] = (float)(v / 255.0);
                y[(i * N + j) * 3 + c] = (float)(w / 255.0);
            }
}

static void assert_near(double got, double want, double tol, const char *what)
{
    printf("%-36s wb % .12f reference % .12f\n", what, got, want);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: wb %.12f, reference %.12f (|diff| %.2e > %.0e)", what, got, want,
                 fabs(got - want), tol);
}

static void test_psnr_and_ssim(void **state)
{
    (void)state;
    float x[N * N * 3], y[N * N * 3];
    reference_pair(x, y);
    assert_near(metric_psnr(x, y, N, N), 38.205521555279, 1e-6, "psnr");
    assert_near(metric_ssim(x, y, N, N, SSIM_SKIMAGE), 0.996430702959, 1e-6, "ssim skimage default");
    assert_near(metric_ssim(x, y, N, N, SSIM_WANG2004), 0.993723434898, 1e-6, "ssim Wang 2004");
}

/* Every row of the metric table is complete: a unique plain name, splits, a title and a
 * definition; an image metric has its function and a trainer's metric none. */
static void test_metric_table_rows(void **state)
{
    (void)state;
    for (int m = 0; m < METRIC_COUNT; m++) {
        const metric_def *d = metric_def_of((enum metric_id)m);
        assert_non_null(d);
        assert_non_null(d->name);
        assert_true(strspn(d->name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(d->name));
        assert_int_equal(metric_find(d->name), m);
        assert_true(d->splits != 0 && d->splits < METRIC_IN(METRIC_NSPLITS));
        assert_true(d->title && *d->title && d->definition && *d->definition && d->unit);
        assert_true(d->delta >= 0);
        assert_int_equal(d->image != NULL, d->source == METRIC_FROM_IMAGES);
        if (d->source == METRIC_FROM_IMAGES)
            assert_false(metric_in_split((enum metric_id)m, METRIC_TRAIN));
    }
    assert_null(metric_def_of(METRIC_COUNT));
    assert_int_equal(metric_find("no such metric"), -1);
    for (int s = 0; s < METRIC_NSPLITS; s++)
        assert_int_equal(metric_split_find(metric_split_name((enum metric_split)s)), s);
    assert_true(metric_better(METRIC_PSNR, 2, 1) && metric_better(METRIC_MSE, 1, 2));
    assert_false(metric_better(METRIC_MSE, 1, 1));
}

/* metrics_compute over a split: the means of the per-image primitives (skimage's definitions,
 * checked above), the same bits for any thread count. */
static void test_metrics_compute_split(void **state)
{
    (void)state;
    enum { NIMG = 5 };
    float x[NIMG * N * N * 3], y[NIMG * N * N * 3];
    for (int i = 0; i < NIMG; i++) {
        reference_pair(x + i * N * N * 3, y + i * N * N * 3);
        for (int k = 0; k < N * N * 3; k++)   /* each image its own error */
            x[i * N * N * 3 + k] += (float)(0.01 * i * ((k % 7) - 3));
    }
    double psnr = 0, ssim = 0, mse = 0, lap4 = 0, lap8 = 0;
    for (int i = 0; i < NIMG; i++) {
        const float *a = x + i * N * N * 3, *b = y + i * N * N * 3;
        double sq = 0;
        for (int k = 0; k < N * N * 3; k++)
            sq += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
        mse += sq / (N * N * 3) / NIMG;
        psnr += metric_psnr(a, b, N, N) / NIMG;
        ssim += metric_ssim(a, b, N, N, SSIM_SKIMAGE) / NIMG;
        lap4 += metric_lap_mse(a, b, N, N, LAP_K4, BORDER_REFLECT101) / NIMG;
        lap8 += metric_lap_mse(a, b, N, N, LAP_K8, BORDER_REFLECT101) / NIMG;
    }
    double one[METRIC_COUNT], two[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++)
        one[m] = two[m] = -1;
    omp_set_num_threads(1);
    metrics_compute(x, y, NIMG, N, N, one);
    omp_set_num_threads(2);
    metrics_compute(x, y, NIMG, N, N, two);
    assert_memory_equal(one, two, sizeof one);
    assert_near(one[METRIC_MSE], mse, 1e-12, "split mse");
    assert_near(one[METRIC_PSNR], psnr, 1e-12, "split psnr (mean over patches)");
    assert_near(one[METRIC_PSNR_POOLED], 10 * log10(1 / mse), 1e-12, "split psnr_pooled");
    assert_true(one[METRIC_PSNR_POOLED] < one[METRIC_PSNR]);   /* Jensen: -log is convex */
    assert_near(one[METRIC_SSIM], ssim, 1e-12, "split ssim");
    assert_near(one[METRIC_LAP4_MSE], lap4, 1e-12, "split lap4_mse");
    assert_near(one[METRIC_LAP8_MSE], lap8, 1e-12, "split lap8_mse");
    assert_true(one[METRIC_LOSS] == -1 && one[METRIC_SECONDS] == -1);   /* left as they were */
    assert_true(one[METRIC_DC_SHARE] > 0 && one[METRIC_DC_SHARE] < 1);
}

/* README's metric table defines every metric of the table, each in a row of its own
 * ("| `psnr` |"), and names no metric the table lacks: a new row here needs its definition
 * there. */
static void test_readme_defines_every_metric(void **state)
{
    (void)state;
    FILE *f = fopen("README.md", "r");
    assert_non_null(f);
    static char text[1 << 18];
    const size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *section = strstr(text, "\n## Metrics\n");
    assert_non_null(section);
    const char *end = strstr(section + 1, "\n## ");
    size_t rows = 0;
    for (const char *line = section; line && (!end || line < end); line = strchr(line + 1, '\n'))
        rows += strncmp(line, "\n| `", 4) == 0;
    for (int m = 0; m < METRIC_COUNT; m++) {
        char row[96];
        snprintf(row, sizeof row, "\n| `%s` |", metric_def_of((enum metric_id)m)->name);
        const char *at = strstr(section, row);
        if (!at || (end && at > end))
            fail_msg("README.md's metric table has no row for %s", row + 3);
    }
    assert_int_equal(rows, METRIC_COUNT);
}

/* dc_share: the squared error of each patch's per-channel mean over the whole squared error,
 * pooled over the split: 1 for errors constant per channel, 0 for errors of mean zero in every
 * channel, and the ratio of the sums over a split of both (not the mean of the ratios). */
static void test_dc_share(void **state)
{
    (void)state;
    enum { P = 4 };   /* 4x4 patches */
    float y[2 * P * P * 3], x[2 * P * P * 3];
    for (int k = 0; k < 2 * P * P * 3; k++)
        y[k] = 0.5f;
    for (int k = 0; k < P * P * 3; k++) {
        x[k] = 0.5f + 0.125f * (float)(k % 3 + 1);                   /* patch 0: a colour cast */
        x[P * P * 3 + k] = 0.5f + ((k / 3) % 2 ? 0.25f : -0.25f);    /* patch 1: mean zero */
    }
    double v[METRIC_COUNT];
    metrics_compute(x, y, 1, P, P, v);
    assert_near(v[METRIC_DC_SHARE], 1, 1e-15, "constant error: dc_share");
    metrics_compute(x + P * P * 3, y + P * P * 3, 1, P, P, v);
    assert_near(v[METRIC_DC_SHARE], 0, 1e-15, "error of mean zero: dc_share");
    metrics_compute(y, y, 1, P, P, v);
    assert_near(v[METRIC_DC_SHARE], 0, 0, "no error: dc_share");
    /* Both: patch 0's error is all mean colour, patch 1's has none; the share is of the sums. */
    double dc = 0, all = 0;
    for (int k = 0; k < P * P * 3; k++) {
        const double e0 = x[k] - 0.5, e1 = x[P * P * 3 + k] - 0.5;
        dc += e0 * e0;              /* patch 0's error is its mean */
        all += e0 * e0 + e1 * e1;
    }
    metrics_compute(x, y, 2, P, P, v);
    assert_near(v[METRIC_DC_SHARE], dc / all, 1e-15, "two patches: the ratio of the sums");
}

/* No metric is ever infinite: an exact patch has the PSNR of 8-bit quantisation noise,
 * 10·log10(12·255^2) = 58.92 dB, per patch and pooled, and one that is off by less than that
 * noise the same; a patch further off keeps skimage's value. */
static void test_exact_patches_are_finite(void **state)
{
    (void)state;
    float x[2 * N * N * 3], y[2 * N * N * 3];
    reference_pair(x, y);
    memcpy(x + N * N * 3, y, sizeof(float) * N * N * 3);   /* image 1: exact */
    memcpy(y + N * N * 3, y, sizeof(float) * N * N * 3);
    double v[METRIC_COUNT];
    const double cap = 10 * log10(12.0 * 255 * 255);
    metrics_compute(x + N * N * 3, y + N * N * 3, 1, N, N, v);
    for (int m = 0; m < METRIC_COUNT; m++)
        if (metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES)
            assert_true(isfinite(v[m]));
    assert_near(v[METRIC_PSNR], 58.92261606915535, 1e-12, "exact patch: psnr");
    assert_near(v[METRIC_PSNR], cap, 1e-12, "  = 10 log10(12 255^2)");
    assert_near(v[METRIC_PSNR_POOLED], cap, 1e-12, "exact patch: psnr_pooled");
    for (int k = 0; k < N * N * 3; k++)   /* 1/1000 of a step off: below the floor too */
        x[N * N * 3 + k] += (float)(0.001 / 255);
    metrics_compute(x + N * N * 3, y + N * N * 3, 1, N, N, v);
    assert_near(v[METRIC_PSNR], cap, 1e-12, "patch within quantisation noise: psnr");
    metrics_compute(x, y, 2, N, N, v);   /* the reference pair and the (almost) exact one */
    assert_near(v[METRIC_PSNR], (metric_psnr(x, y, N, N) + cap) / 2, 1e-12,
                "mean of a patch above the floor and one at it");
}

typedef struct lap_reference {
    enum lap_kernel kernel;
    enum lap_border border;
    const char *name;
    double mse;                 /* mean((L(x) - L(y))^2) */
    double at00[3], at15_3[3];  /* L(x)[0,0,:] and L(x)[15,3,:] */
} lap_reference;

/* cv2.filter2D(img, CV_64F, K, borderType=B) per channel; K4 with reflect101 equals
 * cv2.Laplacian(img, CV_64F, ksize=1). */
static const lap_reference lap_refs[] = {
    { LAP_K4, BORDER_REFLECT101, "K4 reflect101", 0.002853109381,
      { 0.156862745098, 0.156862745098, 0.156862745098 },
      { -0.101960784314, 2.909803921569, -0.101960784314 } },
    { LAP_K4, BORDER_REPLICATE, "K4 replicate", 0.002518542548,
      { 0.078431372549, 0.078431372549, 0.078431372549 },
      { -0.050980392157, 1.956862745098, -0.050980392157 } },
    { LAP_K4, BORDER_ZERO, "K4 zero", 0.002734685377,
      { 0.078431372549, -0.235294117647, -0.549019607843 },
      { -0.898039215686, 1.956862745098, -0.207843137255 } },
    { LAP_K8, BORDER_REFLECT101, "K8 reflect101", 0.010688857651,
      { 0.470588235294, 0.470588235294, 0.470588235294 },
      { -0.305882352941, 6.721568627451, -0.305882352941 } },
    { LAP_K8, BORDER_REPLICATE, "K8 replicate", 0.009898957132,
      { 0.235294117647, 0.235294117647, 0.235294117647 },
      { -0.152941176471, 4.866666666667, -0.152941176471 } },
    { LAP_K8, BORDER_ZERO, "K8 zero", 0.010375957164,
      { 0.156862745098, -0.627450980392, -1.411764705882 },
      { -2.694117647059, 3.862745098039, -0.623529411765 } },
};

static void test_laplacian_maps(void **state)
{
    (void)state;
    float x[N * N * 3], y[N * N * 3];
    double plane[N * N], lap[N * N], k[9];
    reference_pair(x, y);
    for (size_t r = 0; r < sizeof lap_refs / sizeof lap_refs[0]; r++) {
        const lap_reference *ref = &lap_refs[r];
        char what[64];
        snprintf(what, sizeof what, "%s mse", ref->name);
        assert_near(metric_lap_mse(x, y, N, N, ref->kernel, ref->border), ref->mse, 1e-6, what);
        lap_stencil(ref->kernel, 0, k);
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < N * N; p++)
                plane[p] = x[p * 3 + c];
            stencil3x3_forward(k, ref->border, plane, lap, N, N);
            snprintf(what, sizeof what, "%s L(x)[0,0,%d]", ref->name, c);
            assert_near(lap[0], ref->at00[c], 1e-6, what);
            snprintf(what, sizeof what, "%s L(x)[15,3,%d]", ref->name, c);
            assert_near(lap[15 * N + 3], ref->at15_3[c], 1e-6, what);
        }
    }
}

/* The popular Keras recipe builds np.asarray([[[[1,1,1],[1,-8,1],[1,1,1]]]*3]*3), which Conv2D
 * reads as (kh, kw, in, out): a channel-mixing box sum, not a Laplacian. On a constant 0.5 image
 * a Laplacian is 0 inside; the recipe gives 4.5 * (column sums of L) = (13.5, -27, 13.5). */
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
    assert_near(map[0], 0.5 * 4 * 3, 0, "keras-recipe corner, channel 0");
    printf("keras-recipe interior on 0.5: (%g, %g, %g)\n", map[1 * w + 1],
           map[(size_t)n * hw + w + 1], map[(size_t)2 * n * hw + w + 1]);
    /* A true Laplacian of a constant is 0 everywhere with reflect101 and replicate borders, and
     * inside with zero borders. */
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 3; b++) {
            loss_options lap = { PIXEL_MSE, 1.0, k ? LAP_K8 : LAP_K4, (enum lap_border)b, 0 };
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

static void test_kernel_norm(void **state)
{
    (void)state;
    double k4[9], k4n[9], k8[9], k8n[9];
    lap_stencil(LAP_K4, LAP_NORM_NONE, k4);
    lap_stencil(LAP_K4, LAP_NORM_L1, k4n);
    lap_stencil(LAP_K8, LAP_NORM_NONE, k8);
    lap_stencil(LAP_K8, LAP_NORM_L1, k8n);
    double s4 = 0, s8 = 0;
    for (int t = 0; t < 9; t++) {
        assert_true(k4n[t] == k4[t] / 8);
        assert_true(k8n[t] == k8[t] / 16);
        s4 += fabs(k4n[t]);
        s8 += fabs(k8n[t]);
    }
    assert_true(s4 == 1.0 && s8 == 1.0);
    /* energy: the squared taps sum to 1 */
    double e4[9], e8[9], q4 = 0, q8 = 0;
    lap_stencil(LAP_K4, LAP_NORM_ENERGY, e4);
    lap_stencil(LAP_K8, LAP_NORM_ENERGY, e8);
    for (int t = 0; t < 9; t++) {
        assert_true(e4[t] == k4[t] / sqrt(20.0));
        q4 += e4[t] * e4[t];
        q8 += e8[t] * e8[t];
    }
    assert_true(fabs(q4 - 1) < 1e-15 && fabs(q8 - 1) < 1e-15);
}

/* The white-noise gain each kernel and normalisation is documented with, exactly, and as measured:
 * the mean square of K*e over the mean square of e for uniform noise e, away from the borders
 * (within 3 %: the sampling error of 3 x 248 x 248 correlated values is about 1.5 %). The keras recipe's gain (216) is the
 * one that needs its channel mixing counted. */
static void test_white_noise_gain(void **state)
{
    (void)state;
    const struct { enum lap_kernel k; enum lap_norm n; double gain; } cases[] = {
        { LAP_K4, LAP_NORM_NONE, 20 }, { LAP_K8, LAP_NORM_NONE, 72 },
        { LAP_KERAS_RECIPE, LAP_NORM_NONE, 216 }, { LAP_K4, LAP_NORM_L1, 20.0 / 64 },
        { LAP_K8, LAP_NORM_L1, 72.0 / 256 }, { LAP_KERAS_RECIPE, LAP_NORM_L1, 216.0 / 256 },
        { LAP_K4, LAP_NORM_ENERGY, 1 }, { LAP_K8, LAP_NORM_ENERGY, 1 },
        { LAP_KERAS_RECIPE, LAP_NORM_ENERGY, 1 } };
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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(fabs(lap_white_noise_gain(cases[i].k, cases[i].n) - cases[i].gain) <
                    1e-12 * cases[i].gain);
        loss_options o = { PIXEL_MSE, 0.5, cases[i].k, BORDER_REFLECT101, cases[i].n };
        assert_true(fabs(loss_effective_weight(&o) - 0.5 * cases[i].gain) < 1e-12 * cases[i].gain);
        lap_map(&o, img, map, scratch, 1, h, w);
        double out2 = 0;
        size_t m = 0;
        for (int c = 0; c < 3; c++)
            for (int r = 4; r < h - 4; r++)
                for (int q = 4; q < w - 4; q++, m++)
                    out2 += map[c * hw + (size_t)r * w + q] * map[c * hw + (size_t)r * w + q];
        const double measured = out2 / (double)m / in2;
        printf("kernel %d norm %d: gain %.5g, measured %.5g\n", cases[i].k, cases[i].n,
               cases[i].gain, measured);
        assert_true(fabs(measured / cases[i].gain - 1) < 0.03);
    }
    loss_options off = { PIXEL_MSE, 0, LAP_K8, BORDER_REFLECT101, LAP_NORM_NONE };
    assert_true(loss_effective_weight(&off) == 0);
    free(img);
    free(map);
    free(scratch);
}

/* Weights survive a round trip bit for bit; the header is JSON with docs/DESIGN.md's metadata. */
static void test_safetensors_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/wb-st-XXXXXX", path[256], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    model_options m = { 2, 4, 0 };
    unet *u, *v;
    assert_int_equal(unet_create(&u, &m, 16, 2, 1, err, sizeof err), 0);
    assert_int_equal(unet_create(&v, &m, 16, 2, 1, err, sizeof err), 0);
    unet_init(u, 99);
    const st_meta meta[] = { { "config", "{\"model\":{\"depth\":2}}" }, { "config_hash", "ab12" },
                             { "epoch", "3" }, { "seed", "99" }, { "wb_version", "0.1.0" } };
    assert_int_equal(unet_save_weights(u, path, meta, 5, err, sizeof err), 0);
    assert_int_equal(unet_load_weights(v, path, err, sizeof err), 0);
    assert_memory_equal(unet_params(u), unet_params(v), sizeof(float) * unet_param_count(u));

    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    assert_int_equal(fread(len8, 1, 8, f), 8);
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)len8[k] << (8 * k);
    assert_int_equal(hlen % 8, 0);
    char *json = calloc(hlen + 1, 1);
    assert_int_equal(fread(json, 1, hlen, f), hlen);
    fclose(f);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    const char *keys[] = { "config", "config_hash", "epoch", "seed", "wb_version" };
    for (int k = 0; k < 5; k++)
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(md, keys[k])));
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "enc0.conv1.weight");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "dtype")->valuestring, "F32");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape");
    const int want[4] = { 4, 3, 3, 3 };
    for (int k = 0; k < 4; k++)
        assert_int_equal(cJSON_GetArrayItem(shape, k)->valueint, want[k]);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(root, "up0.weight"));
    cJSON_Delete(root);
    free(json);

    /* A weight file of another architecture is refused with the tensor's name. */
    model_options other = { 2, 8, 0 };
    unet *o;
    assert_int_equal(unet_create(&o, &other, 16, 2, 1, err, sizeof err), 0);
    assert_int_equal(unet_load_weights(o, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "enc0.conv1.weight"));
    unet_free(o);

    /* Written through base/fileio.h's atomic_file: no temporary file beside it, and one that
     * cannot be put in place (a folder in the way) leaves none either. */
    char names[256], blocked[300];
    assert_string_equal(tempdir_list(dir, names, sizeof names), "w.safetensors");
    snprintf(blocked, sizeof blocked, "%s/blocked", dir);
    assert_int_equal(mkdir(blocked, 0777), 0);
    snprintf(path, sizeof path, "%s/blocked/kept", dir);
    assert_int_equal(tempdir_write_file(path, "kept", 4), 0);
    assert_int_equal(unet_save_weights(u, blocked, meta, 5, err, sizeof err), -1);
    assert_non_null(strstr(err, "blocked: cannot rename"));
    assert_string_equal(tempdir_list(dir, names, sizeof names), "blocked w.safetensors");
    unet_free(u);
    unet_free(v);
    tempdir_remove(dir);
}

/* Malformed files are refused with a message, never read out of bounds. */
static void test_safetensors_rejects_garbage(void **state)
{
    (void)state;
    char err[512];
    st_file f;
    const char *bad_json = "\x08\0\0\0\0\0\0\0{\"a\":1}x";
    assert_int_equal(safetensors_parse(bad_json, 17, "t", &f, err, sizeof err), -1);
    unsigned char huge[16] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    assert_int_equal(safetensors_parse(huge, sizeof huge, "t", &f, err, sizeof err), -1);
    const char *past_end = "\x48\0\0\0\0\0\0\0"
                           "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
                           "                  ";
    assert_int_equal(safetensors_parse(past_end, 8 + 0x48, "t", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "data_offsets"));
}

/* A file of n one-float tensors t0, t1, ..., the last `dup` of them named as
 * the first; malloc'ed, its length in *len. */
static unsigned char *many_tensors(size_t n, size_t dup, size_t *len)
{
    size_t cap = 64 + n * 96, at = 8;
    unsigned char *b = malloc(cap + 4 * n);
    assert_non_null(b);
    at += (size_t)snprintf((char *)b + at, cap - at, "{");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf((char *)b + at, cap - at,
                               "%s\"t%zu\":{\"dtype\":\"F32\",\"shape\":[1],"
                               "\"data_offsets\":[%zu,%zu]}",
                               i ? "," : "", i + dup >= n ? 0 : i, 4 * i, 4 * i + 4);
    at += (size_t)snprintf((char *)b + at, cap - at, "}");
    const uint64_t hlen = at - 8;
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)(hlen >> (8 * k));
    for (size_t i = 0; i < n; i++) {
        const float v = (float)i;
        memcpy(b + at + 4 * i, &v, 4);
    }
    *len = at + 4 * n;
    return b;
}

/* Issue 24, finding 6: the header was parsed in time quadratic in its tensors (a crafted file of
 * 80,000 took 84 s); the count is now checked first (at most ST_MAX_TENSORS) and repeated names
 * found by one sort. */
static void test_safetensors_many_tensors(void **state)
{
    (void)state;
    char err[512];
    st_file f;
    size_t len;
    unsigned char *b = many_tensors(ST_MAX_TENSORS, 0, &len);
    assert_int_equal(safetensors_parse(b, len, "t", &f, err, sizeof err), 0);
    assert_int_equal(f.nt, ST_MAX_TENSORS);
    const st_tensor *t = safetensors_find(&f, "t4095");
    assert_non_null(t);
    assert_true(t->data[0] == 4095.0f);
    safetensors_free(&f);
    free(b);
    b = many_tensors(ST_MAX_TENSORS + 1, 0, &len);
    assert_int_equal(safetensors_parse(b, len, "t", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "4097 tensors and 0 metadata entries (at most 4096 each)"));
    free(b);
    b = many_tensors(1000, 1, &len);   /* the last named as the first */
    assert_int_equal(safetensors_parse(b, len, "t", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "a tensor name appears twice"));
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_table_rows),
        cmocka_unit_test(test_metrics_compute_split),
        cmocka_unit_test(test_exact_patches_are_finite),
        cmocka_unit_test(test_dc_share),
        cmocka_unit_test(test_readme_defines_every_metric),
        cmocka_unit_test(test_psnr_and_ssim),
        cmocka_unit_test(test_laplacian_maps),
        cmocka_unit_test(test_keras_recipe_is_not_a_laplacian),
        cmocka_unit_test(test_kernel_norm),
        cmocka_unit_test(test_white_noise_gain),
        cmocka_unit_test(test_safetensors_round_trip),
        cmocka_unit_test(test_safetensors_rejects_garbage),
        cmocka_unit_test(test_safetensors_many_tensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
