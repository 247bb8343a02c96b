/* `wb data export` of the default configuration (issue 3, acceptance 1 and 2), checked on the
 * exported files themselves: counts and shapes as asked, float32, targets in [0, 1], no textured
 * 8x8 window of a val or test target inside any train target; two exports byte-identical, and
 * another data.seed changes the patches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <getopt.h>

#include "data/npy.h"
#include "support/leakcheck.h"
#include "support/tempdir.h"
#include "wb/cmd.h"

static void write_ini(const char *path, const char *extra)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* The defaults of docs/DESIGN.md: builtin, denoise, patch 16, 8192 / 1024 / 2048 patches. */
    fprintf(f, "[data]\n%s", extra);
    fclose(f);
}

static void export_to(const char *ini, const char *dir)
{
    char *argv[] = { "data", "export", (char *)ini, "--out", (char *)dir, NULL };
    optind = 0;   /* getopt_long restarts */
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cmd_data(5, argv);
    fclose(stdout);
    stdout = saved;
    assert_int_equal(rc, 0);
}

static npy_array load(const char *dir, const char *name)
{
    char path[4200], err[512];
    npy_array a;
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (npy_read(path, &a, err, sizeof err) != 0)
        fail_msg("%s", err);
    return a;
}

static void test_default_export(void **state)
{
    tempdir_fixture *t = *state;
    char ini[4096], out[4096], out2[4096], ini3[4096], out3[4096];
    tempdir_join(ini, t->dir, "default.ini");
    tempdir_join(out, t->dir, "a");
    write_ini(ini, "");
    export_to(ini, out);

    const char *names[6] = { "train_x", "train_y", "val_x", "val_y", "test_x", "test_y" };
    const size_t counts[6] = { 8192, 8192, 1024, 1024, 2048, 2048 };
    npy_array a[6];
    for (int k = 0; k < 6; k++) {
        a[k] = load(out, names[k]);
        assert_int_equal(a[k].dtype, NPY_F32);
        assert_int_equal(a[k].ndim, 4);
        assert_int_equal(a[k].shape[0], counts[k]);
        assert_int_equal(a[k].shape[1], 16);
        assert_int_equal(a[k].shape[2], 16);
        assert_int_equal(a[k].shape[3], 3);
        if (k % 2 == 1) {   /* targets */
            const float *v = a[k].data;
            for (size_t i = 0; i < npy_count(&a[k]); i++)
                assert_true(v[i] >= 0.0f && v[i] <= 1.0f);
        }
    }
    for (int probe = 3; probe <= 5; probe += 2) {
        leakcheck_result r;
        assert_int_equal(leakcheck_windows(a[1].data, 8192, a[probe].data, counts[probe], 16, 16, 8,
                                           0.004, &r), 0);
        printf("# report: %s vs train_y: %zu textured 8x8 windows looked up, %zu flat, %zu leaks\n",
               names[probe], r.windows, r.flat, r.leaks);
        /* every window of every probe patch was seen, and most have texture */
        assert_int_equal(r.windows + r.flat, counts[probe] * 9 * 9);
        assert_true(r.windows > r.flat);
        assert_int_equal(r.leaks, 0);
    }
    for (int k = 0; k < 6; k++)
        npy_free(&a[k]);

    /* Again: byte-identical files. Another data.seed: other patches. */
    tempdir_join(out2, t->dir, "b");
    export_to(ini, out2);
    tempdir_join(ini3, t->dir, "seed.ini");
    tempdir_join(out3, t->dir, "c");
    write_ini(ini3, "seed = 99\n");
    export_to(ini3, out3);
    for (int k = 0; k < 6; k++) {
        char p1[4200], p2[4200], p3[4200];
        snprintf(p1, sizeof p1, "%s/%s.npy", out, names[k]);
        snprintf(p2, sizeof p2, "%s/%s.npy", out2, names[k]);
        snprintf(p3, sizeof p3, "%s/%s.npy", out3, names[k]);
        assert_true(tempdir_same_file(p1, p2));
        assert_false(tempdir_same_file(p1, p3));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_export, tempdir_setup, tempdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
