/* tests/test_regress_config.c: numbers the configuration accepted and the store then refused.
 *
 * The bug: a subnormal value (lr = 1e-320, laplacian_weight = 1e-320, min_std = 4.9e-324) passed
 * validation, being > 0 or >= 0, but strtod sets ERANGE when it reads one back, so registering
 * the grid failed with "'9.9998886718268301e-321' is not a number" after the database had been
 * created: exit 1 instead of the configuration error (exit 2) it is. Hexadecimal numbers
 * (lr = 0x10) were read as decimal ones. Now both are configuration errors, and every number the
 * configuration accepts reaches the store. */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "support/tempdir.h"
#include "wb/config.h"
#include "wb/sched.h"

/* Parses "[section]\nkey = value\n" and expects an error containing `want`. */
static void expect_refused(const char *section, const char *key, const char *value,
                           const char *want)
{
    char text[256], err[1024] = "";
    snprintf(text, sizeof text, "[%s]\n%s = %s\n", section, key, value);
    config *c = NULL;
    const int rc = config_parse_string(text, "edge", &c, err, sizeof err);
    config_free(c);
    if (rc != -1)
        fail_msg("%s.%s = %s was accepted", section, key, value);
    if (!strstr(err, want) || !strstr(err, key) || !strstr(err, "edge:2"))
        fail_msg("%s.%s = %s: message '%s' lacks '%s', the key or the line", section, key, value,
                 err, want);
}

static void test_subnormal_and_hex_refused(void **state)
{
    (void)state;
    expect_refused("train", "lr", "1e-320", "too close to 0");
    expect_refused("loss", "laplacian_weight", "1e-320", "too close to 0");
    expect_refused("data", "min_std", "4.9e-324", "too close to 0");
    expect_refused("data", "noise_sigma", "2e-310", "too close to 0");
    expect_refused("train", "momentum", "-1e-310", "too close to 0");
    expect_refused("train", "lr", "0x10", "not a decimal number");
    expect_refused("loss", "laplacian_weight", "0x1p-3", "not a decimal number");
    expect_refused("train", "lr", "1e-400", "too small");
    expect_refused("train", "lr", "1e400", "too large");
}

/* The extremes the configuration accepts all reach the store (typed columns included). */
static void test_extremes_reach_the_store(void **state)
{
    tempdir_fixture *f = *state;
    static const char text[] =
        "[sweep]\nseeds = 0, 9223372036854775807\n"
        "[data]\nseed = 9223372036854775807\nmin_std = 2.2250738585072014e-308\n"
        "noise_sigma = 10\ntrain_patches = 1\nval_patches = 1\ntest_patches = 1\n"
        "[train]\nlr = 2.2250738585072014e-308, 1000000\nmomentum = 0.99999999999999989\n"
        "epochs = 100000\n"
        "[loss]\nlaplacian_weight = 1000000\n";
    char err[1024] = "", db[4096];
    config *c = NULL;
    config_grid *g = NULL;
    if (config_parse_string(text, "extremes", &c, err, sizeof err) != 0 ||
        config_expand(c, &g, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(g->nruns, 4);
    store *s;
    assert_int_equal(store_open(tempdir_join(db, f->dir, "x.db"), STORE_OPEN_CREATE, &s, err,
                                sizeof err), 0);
    const sched_register reg = { "extremes.ini", config_ini_text(c), 0, 0, 0, 0 };
    int64_t sweep_id;
    if (sched_register_grid(s, g, &reg, &sweep_id, err, sizeof err) != 0)
        fail_msg("registering: %s", err);
    store_close(s);
    config_grid_free(g);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subnormal_and_hex_refused),
        cmocka_unit_test_setup_teardown(test_extremes_reach_the_store, tempdir_setup,
                                        tempdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
