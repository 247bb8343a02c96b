/* tests/test_label.c: analysis/label.h, the numbers and configuration labels people read: the
 * shortest round-trip decimal on values that trip the usual formats, the white-noise gain by
 * name, and the label's one format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"
#include "model/loss.h"
#include "wb/config.h"

static void assert_shortest(double v, const char *expected)
{
    char out[64];
    format_shortest(v, out, sizeof out);
    if (strcmp(out, expected) != 0)
        fail_msg("format_shortest(%.17g) = '%s', expected '%s'", v, out, expected);
    if (isfinite(v)) {
        const double back = strtod(out, NULL);
        if (memcmp(&back, &v, sizeof v) != 0)
            fail_msg("'%s' does not read back as %.17g", out, v);
    }
}

static void shortest_round_trip(void **state)
{
    (void)state;
    assert_shortest(0.1, "0.1");
    assert_shortest(0.3, "0.3");
    assert_shortest(0.05, "0.05");
    assert_shortest(0.6, "0.6");
    assert_shortest(0.9, "0.9");
    assert_shortest(1e-5, "1e-05");
    assert_shortest(5e-324, "5e-324");          /* the smallest subnormal */
    assert_shortest(DBL_MIN, "2.2250738585072014e-308");
    assert_shortest(DBL_MAX, "1.7976931348623157e+308");
    assert_shortest(1e300, "1e+300");
    assert_shortest(-0.0, "-0");
    assert_shortest(0.0, "0");
    assert_shortest(0.1 + 0.2, "0.30000000000000004");
    assert_shortest(1.0, "1");
    assert_shortest(100000.0, "100000");         /* not %g's 1e+05 */
    assert_shortest(1e15, "1000000000000000");
    assert_shortest(1e16, "1e+16");
    assert_shortest(123456789.0, "123456789");
    assert_shortest(-2.5, "-2.5");
    assert_shortest(0.001, "0.001");
    assert_shortest(0.0001, "0.0001");
    assert_shortest(1.0 / 3.0, "0.3333333333333333");
    assert_shortest(NAN, "nan");
    assert_shortest(INFINITY, "inf");
    assert_shortest(-INFINITY, "-inf");
    /* Every double of a sample reads back, whatever its digits. */
    double x = 1.0;
    for (int i = 0; i < 2000; i++) {
        x = x * 1.37 + 1e-3 * i;
        if (x > 1e200)
            x = 1e-200 * (i + 1);
        char out[64];
        format_shortest(x, out, sizeof out);
        const double back = strtod(out, NULL);
        if (memcmp(&back, &x, sizeof x) != 0)
            fail_msg("'%s' does not read back as %.17g", out, x);
    }
    char out[64];
    format_significant(0.1 * 72, 3, out, sizeof out);
    assert_string_equal(out, "7.2");
    format_significant(0.05 * 20.0 / 64.0, 3, out, sizeof out);
    assert_string_equal(out, "0.0156");
    format_significant(1234.5, 3, out, sizeof out);
    assert_string_equal(out, "1230");
    /* A small buffer: cut, terminated. */
    char tiny[4];
    format_shortest(0.1 + 0.2, tiny, sizeof tiny);
    assert_string_equal(tiny, "0.3");
}

/* The gain by the names the store holds is the kernel table's (model/lap_kernels.h); a name the
 * table does not know has none. */
static void gain_of_names(void **state)
{
    (void)state;
    assert_true(label_lap_gain("8", NULL) == 72);
    assert_true(isnan(label_lap_gain("16", "none")));
    assert_true(isnan(label_lap_gain("8", "l2")));
    assert_true(isnan(label_lap_gain(NULL, NULL)));
    assert_true(label_effective_weight(0, NULL, NULL) == 0);
}

static void one_label_format(void **state)
{
    (void)state;
    char out[512];
    const label_axis axes[] = {
        { "loss.laplacian_weight", "0.10000000000000001" }, { "loss.kernel", "8" },
        { "loss.border", "zero" }, { "train.lr", "0.0030000000000000001" },
        { "data.seed", "9223372036854775807" }, { "train.momentum", NULL },
    };
    label_configuration(0.1, 0.1 * 72, axes, 6, out, sizeof out);
    assert_string_equal(out, "λ = 0.1 (eff. 7.2), kernel 8, border zero, lr 0.003, "
                             "data.seed 9223372036854775807");
    label_run(0.1, 0.1 * 72, axes, 2, 3, out, sizeof out);
    assert_string_equal(out, "λ = 0.1 (eff. 7.2), kernel 8, seed 3");
    label_configuration(0, 0, axes + 1, 0, out, sizeof out);
    assert_string_equal(out, "λ = 0");
    label_configuration(0.05, 0.05 * 20.0 / 64.0, NULL, 0, out, sizeof out);
    assert_string_equal(out, "λ = 0.05 (eff. 0.0156)");
    label_lambda(0.3, NAN, out, sizeof out);
    assert_string_equal(out, "λ = 0.3 (eff. ?)");
    label_axes(axes, 3, out, sizeof out);
    assert_string_equal(out, "kernel 8, border zero");
    label_axes(axes, 1, out, sizeof out);
    assert_string_equal(out, "");
    label_value("0.90000000000000002", out, sizeof out);
    assert_string_equal(out, "0.9");
    label_value("keras-recipe", out, sizeof out);
    assert_string_equal(out, "keras-recipe");
    label_value("1e-05", out, sizeof out);
    assert_string_equal(out, "1e-05");
    /* A long label is cut, never overflows. */
    char small[12];
    label_configuration(0.1, 7.2, axes, 6, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* From a run's params as the store holds them and a sweep's axes: what wb ls, wb show and the
 * analysis print. */
static void label_from_params(void **state)
{
    (void)state;
    const store_param params[] = {
        { "loss.border", "reflect101" },   { "loss.kernel", "4" },
        { "loss.kernel_norm", "l1" },      { "loss.laplacian_weight", "0.050000000000000003" },
        { "train.lr", "0.0030000000000000001" }, { "train.momentum", "0.90000000000000002" },
    };
    char label[256], panel[256];
    label_of_params("loss.laplacian_weight,loss.kernel,train.lr", params, 6, label, sizeof label,
                    panel, sizeof panel);
    assert_string_equal(label, "λ = 0.05 (eff. 0.0156), kernel 4, lr 0.003");
    assert_string_equal(panel, "kernel 4, lr 0.003");
    const store_param baseline[] = {
        { "loss.border", NULL }, { "loss.kernel", NULL }, { "loss.kernel_norm", NULL },
        { "loss.laplacian_weight", "0" }, { "train.lr", "0.01" },
    };
    label_of_params("loss.laplacian_weight,loss.kernel,train.lr", baseline, 5, label,
                    sizeof label, NULL, 0);
    assert_string_equal(label, "λ = 0, lr 0.01");
    label_of_params(NULL, params, 6, label, sizeof label, panel, sizeof panel);
    assert_string_equal(label, "λ = 0.05 (eff. 0.0156)");
    assert_string_equal(panel, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shortest_round_trip),
        cmocka_unit_test(gain_of_names),
        cmocka_unit_test(one_label_format),
        cmocka_unit_test(label_from_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
