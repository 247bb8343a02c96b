/* tests/support/reference_pair.c: see reference_pair.h. */
#include "reference_pair.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

void reference_pair(float *x, float *y)
{
    const int n = REFERENCE_SIDE;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int c = 0; c < 3; c++) {
                const int v = (13 * i + 7 * j + 40 * c) % 256;
                int w = v + (i * j + 3 * c) % 11 - 5;
                w = w < 0 ? 0 : w > 255 ? 255 : w;
                x[(i * n + j) * 3 + c] = (float)(v / 255.0);
                y[(i * n + j) * 3 + c] = (float)(w / 255.0);
            }
}

void reference_near(double got, double want, double tol, const char *what)
{
    printf("%-36s wb % .12f reference % .12f\n", what, got, want);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: wb %.12f, reference %.12f (|diff| %.2e > %.0e)", what, got, want,
                 fabs(got - want), tol);
}
