/* base/text.c: see text.h. */
#include "base/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int format_shortest(double v, char *out, size_t outlen)
{
    if (isnan(v))
        return snprintf(out, outlen, "nan");
    if (isinf(v))
        return snprintf(out, outlen, v < 0 ? "-inf" : "inf");
    char text[40];
    int precision = 17;
    for (int p = 1; p <= 17; p++) {
        snprintf(text, sizeof text, "%.*g", p, v);
        const double back = strtod(text, NULL);
        if (memcmp(&back, &v, sizeof v) == 0) {
            precision = p;
            break;
        }
    }
    /* %g writes an exponent when the decimal exponent reaches the precision: 100000 would be
     * "1e+05". Such a value is an integer (its p digits end before the decimal point), so below
     * 1e16 it is written out, as Python's repr does. */
    snprintf(text, sizeof text, "%.*e", precision - 1, v);
    const int exponent = atoi(strchr(text, 'e') + 1);
    if (exponent >= precision && exponent < 16)
        return snprintf(out, outlen, "%.0f", v);
    return snprintf(out, outlen, "%.*g", precision, v);
}

void text_append(char *out, size_t outlen, const char *fmt, ...)
{
    size_t used = strnlen(out, outlen);
    if (used + 1 >= outlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + used, outlen - used, fmt, ap);
    va_end(ap);
}
