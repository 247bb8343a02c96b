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
        char kind[32];
        double factor;
        if (sscanf(line, "case %31s %lf %lf %ld %ld %lf", kind, &s.lr, &s.lr_min, &s.warmup_steps,
                   &s.total_steps, &factor) == 6) {
            assert_true(strcmp(kind, "cosine") == 0 || strcmp(kind, "constant") == 0);
            s.kind = strcmp(kind, "cosine") == 0 ? LR_COSINE : LR_CONSTANT;
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
                     s.kind == LR_COSINE ? "cosine" : "constant", k, wb, torch);
        k++;
        checked++;
    }
    fclose(f);
    assert_int_equal(k, total);
    printf("%d cases, %ld updates, worst |wb - torch| / lr = %.3g\n", cases, checked, worst);
    assert_int_equal(cases, 7);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedules_match_torch),
        cmocka_unit_test(test_schedule_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
