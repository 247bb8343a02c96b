/* Learning-rate schedules against PyTorch's own schedulers: tests/fixtures/lr_schedule_torch.txt
 * (made by tests/golden/make_lr_schedule.py with torch 1.13) holds the rate of every update of
 * several cases; lr_schedule_at must give each to within 1e-12 of its value. The closed form and
 * PyTorch's recursive update differ by rounding only (about 1e-15 relative). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/optim.h"

#define FIXTURE "tests/fixtures/lr_schedule_torch.txt"
#define TOLERANCE 1e-12     /* relative to the case's lr */

static void test_schedules_match_torch(void **state)
{
    (void)state;
    char path[4096], line[256];
    const char *root = getenv("WB_TEST_ROOT");
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", FIXTURE);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int cases = 0;
    long checked = 0;
    lr_schedule s = { 0 };
    long k = 0, total = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char kind[32], shape[32] = "";
        double factor;
        long decay = 0;
        const int fields = sscanf(line, "case %31s %lf %lf %ld %ld %lf %ld %31s", kind, &s.lr,
                                  &s.lr_min, &s.warmup_steps, &s.total_steps, &factor, &decay,
                                  shape);
        if (fields >= 6) {
            assert_true(strcmp(kind, "cosine") == 0 || strcmp(kind, "constant") == 0 ||
                        (strcmp(kind, "wsd") == 0 && fields == 8));
            s.kind = strcmp(kind, "cosine") == 0 ? LR_COSINE
                   : strcmp(kind, "wsd") == 0    ? LR_WSD
                                                 : LR_CONSTANT;
            s.decay_steps = decay;
            assert_true(fields < 8 || strcmp(shape, "linear") == 0 || strcmp(shape, "1-sqrt") == 0);
            s.decay_shape = strcmp(shape, "1-sqrt") == 0 ? LR_DECAY_SQRT : LR_DECAY_LINEAR;
            assert_true(factor == LR_WARMUP_START_FACTOR);
            if (cases > 0)
                assert_int_equal(k, total);   /* the previous case had every update */
            total = s.total_steps;
            cases++;
            k = 0;
            continue;
        }
        const double torch = strtod(line, NULL), wb = lr_schedule_at(&s, k);
        const double rel = fabs(wb - torch) / s.lr;
        if (rel > worst)
            worst = rel;
        if (!(rel <= TOLERANCE))
            fail_msg("case %d (%s), update %ld: wb %.17g, torch %.17g", cases,
                     s.kind == LR_COSINE ? "cosine" : s.kind == LR_WSD ? "wsd" : "constant", k,
                     wb, torch);
        k++;
        checked++;
    }
    fclose(f);
    assert_int_equal(k, total);
    printf("%d cases, %ld updates, worst |wb - torch| / lr = %.3g\n", cases, checked, worst);
    assert_int_equal(cases, 12);
    assert_true(checked > 1000);
}

/* The shape of the schedule in words: the warm-up starts at 1 % of lr and reaches lr at the
 * milestone; the cosine ends just above lr_min; constant stays at lr. */
static void test_schedule_shape(void **state)
{
    (void)state;
    lr_schedule s = { LR_COSINE, 1e-3, 1e-5, 10, 110 };
    assert_true(lr_schedule_at(&s, 0) == 1e-3 * LR_WARMUP_START_FACTOR);
    assert_true(lr_schedule_at(&s, 10) == 1e-3);
    assert_true(lr_schedule_at(&s, 109) > 1e-5 && lr_schedule_at(&s, 109) < 1.1e-5);
    for (long k = 11; k < 110; k++)
        assert_true(lr_schedule_at(&s, k) < lr_schedule_at(&s, k - 1));
    lr_schedule c = { LR_CONSTANT, 1e-3, 0, 0, 50 };
    for (long k = 0; k < 50; k++)
        assert_true(lr_schedule_at(&c, k) == 1e-3);
}

/* wsd in words: the warm-up, then lr exactly until the decay's first update, then strictly
 * falling (1-sqrt below linear at every point: it drops faster first) to just above lr_min; a
 * decay of 0 updates is a trajectory's stable phase, lr forever; a decay that starts inside the
 * warm-up multiplies with it; the decay in whole epochs rounds up, reading fraction * epochs to
 * 1e-9. */
static void test_wsd_shape(void **state)
{
    (void)state;
    lr_schedule lin = { LR_WSD, 1e-3, 1e-5, 10, 110, 20, LR_DECAY_LINEAR };
    lr_schedule sq = lin;
    sq.decay_shape = LR_DECAY_SQRT;
    assert_true(lr_schedule_at(&lin, 0) == 1e-3 * LR_WARMUP_START_FACTOR);
    for (long k = 10; k <= 90; k++)
        assert_true(lr_schedule_at(&lin, k) == 1e-3 && lr_schedule_at(&sq, k) == 1e-3);
    for (long k = 91; k < 110; k++) {
        assert_true(lr_schedule_at(&lin, k) < lr_schedule_at(&lin, k - 1));
        assert_true(lr_schedule_at(&sq, k) < lr_schedule_at(&lin, k));
    }
    assert_true(lr_schedule_at(&lin, 109) > 1e-5 && lr_schedule_at(&lin, 109) < 1e-4);
    /* the closed form at one point of each shape: t = 10 / 20 */
    assert_true(fabs(lr_schedule_at(&lin, 100) - (1e-5 + (1e-3 - 1e-5) * 0.5)) < 1e-18);
    assert_true(fabs(lr_schedule_at(&sq, 100) - (1e-5 + (1e-3 - 1e-5) * (1 - sqrt(0.5)))) < 1e-18);
    lr_schedule stable = { LR_WSD, 1e-3, 1e-5, 10, 110, 0, LR_DECAY_LINEAR };
    for (long k = 10; k < 1000; k++)
        assert_true(lr_schedule_at(&stable, k) == 1e-3);
    lr_schedule overlap = { LR_WSD, 1e-3, 0, 10, 12, 8, LR_DECAY_LINEAR };
    const double warm = LR_WARMUP_START_FACTOR + (1 - LR_WARMUP_START_FACTOR) * 5 / 10.0;
    assert_true(fabs(lr_schedule_at(&overlap, 5) - 1e-3 * (1 - 1 / 8.0) * warm) < 1e-18);
    assert_int_equal(lr_wsd_decay_epochs(30, 0.1), 3);
    assert_int_equal(lr_wsd_decay_epochs(14, 0.2), 3);
    assert_int_equal(lr_wsd_decay_epochs(16, 0.2), 4);
    assert_int_equal(lr_wsd_decay_epochs(128, 0.2), 26);
    assert_int_equal(lr_wsd_decay_epochs(2, 0.2), 1);
    assert_int_equal(lr_wsd_decay_epochs(5, 1.0), 5);
    assert_int_equal(lr_wsd_decay_epochs(5, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedules_match_torch),
        cmocka_unit_test(test_schedule_shape),
        cmocka_unit_test(test_wsd_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
