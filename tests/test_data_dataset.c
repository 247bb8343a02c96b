/* tests/test_data_dataset.c: dataset_load for the builtin photos, PNG folders and .npy folders:
 * counts and shapes, leak-free splits, determinism, per-epoch train inputs, min_std, and every
 * error a user can meet (each a one-line message naming the file, never a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/image.h"
#include "data/npy.h"
#include "data/seed.h"
#include "support/leakcheck.h"
#include "support/tempdir.h"

/* Windows and patches with less texture than this (about one gray level, leakcheck.h says why)
 * can repeat by coincidence. */
#define MIN_TEXTURE 0.004

/* docs/DESIGN.md's defaults. */
static data_options default_options(void)
{
    data_options o;
    memset(&o, 0, sizeof o);
    snprintf(o.source, sizeof o.source, "builtin");
    o.task = DATA_TASK_DENOISE;
    o.patch = 16;
    o.train_patches = 8192;
    o.val_patches = 1024;
    o.test_patches = 2048;
    o.seed = 1234;
    o.min_std = 0.0;
    o.noise_sigma = 0.1;
    o.fresh_noise = 1;
    o.clip = 0;
    o.blur_sigma = 1.0;
    o.sr_upsample = DATA_UPSAMPLE_BILINEAR;
    return o;
}

/* Smaller counts for the tests that only need some patches. */
static data_options small_options(void)
{
    data_options o = default_options();
    o.train_patches = 300;
    o.val_patches = 40;
    o.test_patches = 50;
    return o;
}

/* Loads, or fails the test with the loader's message. */
static void load_or_fail(const data_options *o, dataset *ds)
{
    char err[512];
    if (dataset_load(o, ds, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static void assert_counts(const dataset *ds, size_t train, size_t val, size_t test)
{
    assert_int_equal(ds->train.n, train);
    assert_int_equal(ds->val.n, val);
    assert_int_equal(ds->test.n, test);
}

static size_t split_values(const data_split *s)
{
    return s->n * (size_t)s->h * s->w * 3;
}

static const data_split *splits(const dataset *ds, int i)
{
    return i == 0 ? &ds->train : i == 1 ? &ds->val : &ds->test;
}

/* Population standard deviation over all values, in one pass (dataset.c uses two: a second
 * opinion). */
static double patch_std(const float *p, size_t count)
{
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < count; i++) {
        sum += p[i];
        sum2 += (double)p[i] * p[i];
    }
    double mean = sum / (double)count, var = sum2 / (double)count - mean * mean;
    return var > 0.0 ? sqrt(var) : 0.0;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Number of textured patches of a split that repeat another one bit for bit: distinct positions
 * give distinct content except where the photo is flat. */
static size_t repeated_textured_patches(const data_split *s)
{
    size_t values = (size_t)s->h * s->w * 3, n = 0;
    uint64_t *hashes = malloc(sizeof *hashes * s->n);
    for (size_t p = 0; p < s->n; p++) {
        const float *patch = s->y + p * values;
        if (!(leakcheck_texture(patch, s->w, 0, 0, s->h) > MIN_TEXTURE))
            continue;
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < values; i++) {
            uint32_t bits;
            memcpy(&bits, &patch[i], 4);
            h = (h ^ bits) * 0x100000001b3ULL;
        }
        hashes[n++] = h;
    }
    qsort(hashes, n, sizeof *hashes, by_u64);
    size_t repeats = 0;
    for (size_t i = 1; i < n; i++)
        repeats += hashes[i] == hashes[i - 1];
    free(hashes);
    return repeats;
}

static void default_config_is_leak_free(void **state)
{
    (void)state;
    data_options o = default_options();
    dataset ds;
    load_or_fail(&o, &ds);
    assert_counts(&ds, 8192, 1024, 2048);
    assert_true(ds.train_x_varies);
    assert_string_equal(ds.description, "builtin: 5 photos, bands 65/15/20 %");
    for (int i = 0; i < 3; i++) {
        const data_split *s = splits(&ds, i);
        assert_int_equal(s->h, 16);
        assert_int_equal(s->w, 16);
        double noise = 0.0;
        for (size_t k = 0; k < split_values(s); k++) {
            assert_true(s->y[k] >= 0.0f && s->y[k] <= 1.0f);
            assert_true(isfinite(s->x[k]));
            noise += (double)(s->x[k] - s->y[k]) * (s->x[k] - s->y[k]);
        }
        assert_true(fabs(sqrt(noise / (double)split_values(s)) - 0.1) < 0.002);
        assert_int_equal(repeated_textured_patches(s), 0);
    }

    /* No textured 8x8 window of a val or test target appears in any train target. */
    for (int i = 1; i < 3; i++) {
        leakcheck_result r;
        assert_int_equal(leakcheck_windows(ds.train.y, ds.train.n, splits(&ds, i)->y, splits(&ds, i)->n,
                                           16, 16, 8, MIN_TEXTURE, &r), 0);
        if (r.leaks)
            fail_msg("%zu leaked windows, first: %s patch %zu (%d, %d) = train patch %zu (%d, %d)", r.leaks,
                     i == 1 ? "val" : "test", r.probe_patch, r.probe_row, r.probe_col, r.ref_patch, r.ref_row,
                     r.ref_col);
        assert_true(r.windows > r.flat);   /* most windows were really checked */
    }
    /* The check can fail: train against itself is all leaks. */
    leakcheck_result self;
    assert_int_equal(leakcheck_windows(ds.val.y, ds.val.n, ds.val.y, 4, 16, 16, 8, MIN_TEXTURE, &self), 0);
    assert_int_equal(self.leaks, self.windows);
    assert_true(self.leaks > 0);
    dataset_free(&ds);
}

static void splits_share_no_pixels_for_large_patches(void **state)
{
    (void)state;
    /* 64x64 patches still fit the val and test bands of some builtin photos. */
    data_options o = small_options();
    o.patch = 64;
    o.task = DATA_TASK_IDENTITY;
    dataset ds;
    load_or_fail(&o, &ds);
    leakcheck_result r;
    assert_int_equal(leakcheck_windows(ds.train.y, ds.train.n, ds.test.y, ds.test.n, 64, 64, 8, MIN_TEXTURE, &r), 0);
    assert_int_equal(r.leaks, 0);
    assert_false(ds.train_x_varies);
    assert_memory_equal(ds.val.x, ds.val.y, sizeof(float) * split_values(&ds.val));
    dataset_free(&ds);
}

static void loads_are_deterministic(void **state)
{
    (void)state;
    data_options o = small_options();
    dataset a, b;
    char err[512];
    assert_int_equal(dataset_load(&o, &a, err, sizeof err), 0);
    assert_int_equal(dataset_load(&o, &b, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(splits(&a, i)->y, splits(&b, i)->y, sizeof(float) * split_values(splits(&a, i)));
        assert_memory_equal(splits(&a, i)->x, splits(&b, i)->x, sizeof(float) * split_values(splits(&a, i)));
    }
    dataset_free(&b);

    /* Another data.seed: other positions (and other noise). */
    o.seed = 1235;
    assert_int_equal(dataset_load(&o, &b, err, sizeof err), 0);
    for (int i = 0; i < 3; i++)
        assert_memory_not_equal(splits(&a, i)->y, splits(&b, i)->y, sizeof(float) * split_values(splits(&a, i)));
    dataset_free(&b);

    /* More patches extend the list: the first ones stay (positions are a shuffle's prefix). */
    o.seed = 1234;
    o.train_patches = 600;
    assert_int_equal(dataset_load(&o, &b, err, sizeof err), 0);
    assert_memory_equal(a.train.y, b.train.y, sizeof(float) * split_values(&a.train));
    dataset_free(&b);
    dataset_free(&a);
}

static void train_inputs_per_epoch(void **state)
{
    (void)state;
    data_options o = small_options();
    dataset ds;
    char err[512];
    assert_int_equal(dataset_load(&o, &ds, err, sizeof err), 0);
    assert_true(ds.train_x_varies);
    size_t bytes = sizeof(float) * split_values(&ds.train);
    float *e1 = malloc(bytes), *e1b = malloc(bytes), *e2 = malloc(bytes), *other = malloc(bytes);
    dataset_train_inputs(&ds, &o, 7, 1, e1);
    dataset_train_inputs(&ds, &o, 7, 1, e1b);
    dataset_train_inputs(&ds, &o, 7, 2, e2);
    dataset_train_inputs(&ds, &o, 8, 1, other);
    assert_memory_equal(e1, e1b, bytes);
    assert_memory_not_equal(e1, e2, bytes);
    assert_memory_not_equal(e1, other, bytes);
    assert_memory_not_equal(e1, ds.train.x, bytes);
    /* The noise is the task's: targets plus N(0, 0.1). */
    double sum2 = 0.0;
    for (size_t i = 0; i < split_values(&ds.train); i++)
        sum2 += (double)(e2[i] - ds.train.y[i]) * (e2[i] - ds.train.y[i]);
    assert_true(fabs(sqrt(sum2 / (double)split_values(&ds.train)) - 0.1) < 0.005);
    /* The caller may pass train.x itself. */
    dataset_train_inputs(&ds, &o, 7, 2, ds.train.x);
    assert_memory_equal(ds.train.x, e2, bytes);
    dataset_free(&ds);

    /* fresh_noise = false: train.x is fixed and every epoch gets it. */
    o.fresh_noise = 0;
    assert_int_equal(dataset_load(&o, &ds, err, sizeof err), 0);
    assert_false(ds.train_x_varies);
    dataset_train_inputs(&ds, &o, 7, 1, e1);
    dataset_train_inputs(&ds, &o, 9, 5, e2);
    assert_memory_equal(e1, ds.train.x, bytes);
    assert_memory_equal(e2, ds.train.x, bytes);
    assert_memory_not_equal(ds.train.x, ds.train.y, bytes);
    dataset_free(&ds);

    /* A task without noise never varies, whatever fresh_noise says. */
    o.fresh_noise = 1;
    o.task = DATA_TASK_DEBLUR;
    assert_int_equal(dataset_load(&o, &ds, err, sizeof err), 0);
    assert_false(ds.train_x_varies);
    dataset_free(&ds);
    free(e1);
    free(e1b);
    free(e2);
    free(other);
}

static void min_std_skips_flat_patches(void **state)
{
    (void)state;
    data_options o = small_options();
    o.min_std = 0.05;
    dataset ds;
    char err[512];
    assert_int_equal(dataset_load(&o, &ds, err, sizeof err), 0);
    size_t values = 16 * 16 * 3;
    for (int i = 0; i < 3; i++)
        for (size_t p = 0; p < splits(&ds, i)->n; p++)
            assert_true(patch_std(splits(&ds, i)->y + p * values, values) >= 0.05);
    dataset_free(&ds);

    /* Too strict: refused, saying how many were found. */
    o.min_std = 0.45;
    assert_int_equal(dataset_load(&o, &ds, err, sizeof err), -1);
    assert_non_null(strstr(err, "builtin"));
    assert_non_null(strstr(err, "data.min_std"));
    assert_non_null(strstr(err, "only "));
}

/* ---- PNG folders ---- */

typedef tempdir_fixture fixture;

/* A textured h x w PNG (every pixel different) at dir/name. */
static void write_test_png(const char *dir, const char *name, int h, int w, int salt)
{
    uint8_t *rgb = malloc((size_t)h * w * 3);
    for (int i = 0; i < h * w * 3; i++)
        rgb[i] = (uint8_t)((unsigned)(i + salt) * 2654435761u >> 24);
    char path[4096], err[256];
    assert_int_equal(image_write_png(tempdir_join(path, dir, name), rgb, h, w, err, sizeof err), 0);
    free(rgb);
}

static data_options png_options(const fixture *f)
{
    data_options o = small_options();
    snprintf(o.source, sizeof o.source, "png:%s", f->dir);
    o.patch = 8;
    return o;
}

/* dataset_load must fail with a message containing every needle. */
static void expect_load_error(const data_options *o, const char *needle1, const char *needle2)
{
    dataset ds;
    char err[512] = "";
    assert_int_equal(dataset_load(o, &ds, err, sizeof err), -1);
    assert_null(ds.train.y);
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("message '%s' lacks '%s' or '%s'", err, needle1, needle2 ? needle2 : "");
    assert_null(strchr(err, '\n'));
}

static void png_folder_source(void **state)
{
    fixture *f = *state;
    write_test_png(f->dir, "b.png", 60, 50, 1);
    write_test_png(f->dir, "a.png", 100, 40, 2);
    assert_int_equal(tempdir_write_file(tempdir_join(f->path, f->dir, "notes.txt"), "x", 1), 0);
    data_options o = png_options(f);
    dataset ds;
    load_or_fail(&o, &ds);
    assert_counts(&ds, 300, 40, 50);
    assert_int_equal(ds.val.h, 8);
    char want[256];
    snprintf(want, sizeof want, "png:%s: 2 images, bands 65/15/20 %%", f->dir);
    assert_string_equal(ds.description, want);
    leakcheck_result r;
    for (int i = 1; i < 3; i++) {
        assert_int_equal(leakcheck_windows(ds.train.y, ds.train.n, splits(&ds, i)->y, splits(&ds, i)->n, 8, 8,
                                           8, MIN_TEXTURE, &r), 0);
        assert_int_equal(r.leaks, 0);
        assert_int_equal(repeated_textured_patches(splits(&ds, i)), 0);
    }
    dataset_free(&ds);

    /* Too many patches for the positions there are. The val bands hold (15 - 8 + 1) x (40 - 8 + 1)
     * + (9 - 8 + 1) x (50 - 8 + 1) = 264 + 86 = 350 positions: 350 patches load, 351 do not. */
    o.val_patches = 350;
    assert_int_equal(dataset_load(&o, &ds, f->err, sizeof f->err), 0);
    assert_int_equal(repeated_textured_patches(&ds.val), 0);
    dataset_free(&ds);
    o.val_patches = 351;
    expect_load_error(&o, "350 distinct", "data.val_patches");
}

/* A source naming a folder that does not exist: the message names the folder. */
static void expect_missing_folder(data_options o, const fixture *f, const char *needle)
{
    char kind[5];
    snprintf(kind, sizeof kind, "%.4s", o.source);
    snprintf(o.source, sizeof o.source, "%s%s/missing", kind, f->dir);
    expect_load_error(&o, o.source + 4, needle);
}

static void png_folder_errors(void **state)
{
    fixture *f = *state;
    data_options o = png_options(f);
    char sub[4096];
    expect_missing_folder(o, f, "cannot open folder");
    expect_load_error(&o, f->dir, "no *.png");

    /* An image smaller than the patch. */
    write_test_png(f->dir, "small.png", 7, 40, 3);
    expect_load_error(&o, "small.png", "smaller than the 8x8 patch");
    tempdir_remove(tempdir_join(sub, f->dir, "small.png"));

    /* An image whose val band is too short for the patch contributes nothing to val; if no image
     * can supply val, that is an error. Height 20: val rows 13..16, 3 rows. */
    write_test_png(f->dir, "flat.png", 20, 200, 4);
    expect_load_error(&o, "no image has a val band", "data.patch");
    write_test_png(f->dir, "tall.png", 80, 40, 5);
    dataset ds;
    assert_int_equal(dataset_load(&o, &ds, f->err, sizeof f->err), 0);
    dataset_free(&ds);

    /* A truncated PNG and a file that is not a PNG, each named. */
    FILE *fp = fopen(tempdir_join(sub, f->dir, "tall.png"), "r+b");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    assert_int_equal(truncate(sub, size / 2), 0);
    expect_load_error(&o, "tall.png", "truncated PNG");
    assert_int_equal(tempdir_write_file(sub, "hello", 5), 0);
    expect_load_error(&o, "tall.png", "not a PNG");
}

/* ---- .npy folders ---- */

static void write_patches(const char *dir, const char *name, size_t n, int p, float scale)
{
    size_t shape[4] = {n, (size_t)p, (size_t)p, 3}, count = n * (size_t)p * p * 3;
    float *v = malloc(sizeof *v * count);
    for (size_t i = 0; i < count; i++)
        v[i] = (float)((i * 7919) % 1000) / 1000.0f * scale;
    char path[4096], err[256];
    assert_int_equal(npy_write(tempdir_join(path, dir, name), NPY_F32, 4, shape, v, err, sizeof err), 0);
    free(v);
}

static data_options npy_options(const fixture *f)
{
    data_options o = small_options();
    snprintf(o.source, sizeof o.source, "npy:%s", f->dir);
    o.patch = 8;
    o.train_patches = 20;
    o.val_patches = 5;
    o.test_patches = 6;
    return o;
}

static void npy_folder_source(void **state)
{
    fixture *f = *state;
    write_patches(f->dir, "train_y.npy", 25, 8, 1.0f);
    write_patches(f->dir, "val_y.npy", 5, 8, 0.9f);
    write_patches(f->dir, "test_y.npy", 9, 8, 0.8f);
    data_options o = npy_options(f);
    dataset ds;
    load_or_fail(&o, &ds);
    assert_counts(&ds, 20, 5, 6);
    assert_true(ds.train_x_varies);
    assert_non_null(strstr(ds.description, "inputs degraded"));

    /* The first rows of each file are the targets; inputs are the task's degradation with the
     * split's seed. */
    float *y;
    size_t n;
    int h, w;
    char path[4096];
    assert_int_equal(npy_read_images(tempdir_join(path, f->dir, "test_y.npy"), &y, &n, &h, &w, f->err,
                                     sizeof f->err), 0);
    assert_memory_equal(ds.test.y, y, sizeof(float) * split_values(&ds.test));
    float *x = malloc(sizeof(float) * split_values(&ds.test));
    assert_int_equal(data_degrade(&o, y, x, 6, 8, 8, data_derive_seed(o.seed, 0, DATA_STREAM_TEST), f->err,
                                  sizeof f->err), 0);
    assert_memory_equal(ds.test.x, x, sizeof(float) * split_values(&ds.test));
    free(x);
    free(y);
    dataset_free(&ds);

    /* Given inputs are used as they are (values outside [0, 1] allowed) and never vary. */
    write_patches(f->dir, "train_x.npy", 25, 8, 1.5f);
    write_patches(f->dir, "val_x.npy", 5, 8, 1.5f);
    write_patches(f->dir, "test_x.npy", 9, 8, 1.5f);
    assert_int_equal(dataset_load(&o, &ds, f->err, sizeof f->err), 0);
    assert_false(ds.train_x_varies);
    assert_non_null(strstr(ds.description, "inputs given"));
    assert_int_equal(npy_read_inputs(tempdir_join(path, f->dir, "val_x.npy"), &x, &n, &h, &w, f->err,
                                     sizeof f->err), 0);
    assert_memory_equal(ds.val.x, x, sizeof(float) * split_values(&ds.val));
    free(x);
    dataset_free(&ds);
}

static void npy_folder_errors(void **state)
{
    fixture *f = *state;
    data_options o = npy_options(f);
    char path[4096];
    expect_missing_folder(o, f, "no such folder");
    expect_load_error(&o, "train_y.npy", "missing");

    write_patches(f->dir, "train_y.npy", 25, 8, 1.0f);
    write_patches(f->dir, "val_y.npy", 5, 8, 1.0f);
    write_patches(f->dir, "test_y.npy", 4, 8, 1.0f);
    expect_load_error(&o, "test_y.npy", "has 4 rows");
    expect_load_error(&o, "data.test_patches", "at most 4");

    write_patches(f->dir, "test_y.npy", 6, 16, 1.0f);
    expect_load_error(&o, "test_y.npy", "data.patch");

    write_patches(f->dir, "test_y.npy", 6, 8, 1.0f);
    write_patches(f->dir, "val_x.npy", 7, 8, 1.0f);
    expect_load_error(&o, "val_x.npy", "has 7 rows");
    tempdir_remove(tempdir_join(path, f->dir, "val_x.npy"));

    /* Wrong dtype (int64, built by hand), wrong rank, a truncated body. */
    static const char f8[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<i8', 'fortran_order': False, 'shape': (6, 8, 8, 3), }";
    unsigned char bytes[128 + 8];
    memset(bytes, ' ', sizeof bytes);
    memcpy(bytes, f8, sizeof f8 - 1);
    bytes[127] = '\n';
    assert_int_equal(tempdir_write_file(tempdir_join(path, f->dir, "test_y.npy"), bytes, sizeof bytes), 0);
    expect_load_error(&o, "test_y.npy", "'<i8'");
    size_t shape[2] = {6, 192};
    float zeros[6 * 192] = {0};
    assert_int_equal(npy_write(path, NPY_F32, 2, shape, zeros, f->err, sizeof f->err), 0);
    expect_load_error(&o, "test_y.npy", "(N, H, W, 3)");
    write_patches(f->dir, "test_y.npy", 6, 8, 1.0f);
    assert_int_equal(truncate(path, 1000), 0);
    expect_load_error(&o, "test_y.npy", "truncated .npy body");
    /* Targets outside [0, 1]. */
    write_patches(f->dir, "test_y.npy", 6, 8, 2.0f);
    expect_load_error(&o, "test_y.npy", "outside [0, 1]");
}

static void bad_options(void **state)
{
    (void)state;
    data_options o = small_options();
    snprintf(o.source, sizeof o.source, "jpeg:/x");
    expect_load_error(&o, "jpeg:/x", "data.source");
    o = small_options();
    o.patch = 15;
    expect_load_error(&o, "data.patch", NULL);
    o = small_options();
    o.val_patches = 0;
    expect_load_error(&o, "data.val_patches", NULL);
    o = small_options();
    o.train_patches = 100000000;   /* more positions than the photos' train bands hold */
    expect_load_error(&o, "distinct", "data.train_patches");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_config_is_leak_free),
        cmocka_unit_test(splits_share_no_pixels_for_large_patches),
        cmocka_unit_test(loads_are_deterministic),
        cmocka_unit_test(train_inputs_per_epoch),
        cmocka_unit_test(min_std_skips_flat_patches),
        cmocka_unit_test_setup_teardown(png_folder_source, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(png_folder_errors, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(npy_folder_source, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(npy_folder_errors, tempdir_setup, tempdir_teardown),
        cmocka_unit_test(bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
