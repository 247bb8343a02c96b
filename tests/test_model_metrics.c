/* The metric table and its pass over a split; metrics against scikit-image 0.19.3 (values
 * computed in float64 with Debian 12's python3-skimage, shared/reference/metrics-16x16.txt,
 * copied here), and a safetensors round trip. The Laplacian kernels against OpenCV are
 * tests/test_lap_kernels.c's. */
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
#include "support/reference_pair.h"
#include "support/tempdir.h"

#define N REFERENCE_SIDE

static void test_psnr_and_ssim(void **state)
{
    (void)state;
    float x[N * N * 3], y[N * N * 3];
    reference_pair(x, y);
    reference_near(metric_psnr(x, y, N, N), 38.205521555279, 1e-6, "psnr");
    reference_near(metric_ssim(x, y, N, N, SSIM_SKIMAGE), 0.996430702959, 1e-6, "ssim skimage default");
    reference_near(metric_ssim(x, y, N, N, SSIM_WANG2004), 0.993723434898, 1e-6, "ssim Wang 2004");
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
    reference_near(one[METRIC_MSE], mse, 1e-12, "split mse");
    reference_near(one[METRIC_PSNR], psnr, 1e-12, "split psnr (mean over patches)");
    reference_near(one[METRIC_PSNR_POOLED], 10 * log10(1 / mse), 1e-12, "split psnr_pooled");
    assert_true(one[METRIC_PSNR_POOLED] < one[METRIC_PSNR]);   /* Jensen: -log is convex */
    reference_near(one[METRIC_SSIM], ssim, 1e-12, "split ssim");
    reference_near(one[METRIC_LAP4_MSE], lap4, 1e-12, "split lap4_mse");
    reference_near(one[METRIC_LAP8_MSE], lap8, 1e-12, "split lap8_mse");
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
    reference_near(v[METRIC_DC_SHARE], 1, 1e-15, "constant error: dc_share");
    metrics_compute(x + P * P * 3, y + P * P * 3, 1, P, P, v);
    reference_near(v[METRIC_DC_SHARE], 0, 1e-15, "error of mean zero: dc_share");
    metrics_compute(y, y, 1, P, P, v);
    reference_near(v[METRIC_DC_SHARE], 0, 0, "no error: dc_share");
    /* Both: patch 0's error is all mean colour, patch 1's has none; the share is of the sums. */
    double dc = 0, all = 0;
    for (int k = 0; k < P * P * 3; k++) {
        const double e0 = x[k] - 0.5, e1 = x[P * P * 3 + k] - 0.5;
        dc += e0 * e0;              /* patch 0's error is its mean */
        all += e0 * e0 + e1 * e1;
    }
    metrics_compute(x, y, 2, P, P, v);
    reference_near(v[METRIC_DC_SHARE], dc / all, 1e-15, "two patches: the ratio of the sums");
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
    reference_near(v[METRIC_PSNR], 58.92261606915535, 1e-12, "exact patch: psnr");
    reference_near(v[METRIC_PSNR], cap, 1e-12, "  = 10 log10(12 255^2)");
    reference_near(v[METRIC_PSNR_POOLED], cap, 1e-12, "exact patch: psnr_pooled");
    for (int k = 0; k < N * N * 3; k++)   /* 1/1000 of a step off: below the floor too */
        x[N * N * 3 + k] += (float)(0.001 / 255);
    metrics_compute(x + N * N * 3, y + N * N * 3, 1, N, N, v);
    reference_near(v[METRIC_PSNR], cap, 1e-12, "patch within quantisation noise: psnr");
    metrics_compute(x, y, 2, N, N, v);   /* the reference pair and the (almost) exact one */
    reference_near(v[METRIC_PSNR], (metric_psnr(x, y, N, N) + cap) / 2, 1e-12,
                "mean of a patch above the floor and one at it");
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
        cmocka_unit_test(test_safetensors_round_trip),
        cmocka_unit_test(test_safetensors_rejects_garbage),
        cmocka_unit_test(test_safetensors_many_tensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
