/* base/text.h: two things every layer that writes for people needs: a bounded appender and the
 * shortest decimal of a double. No allocation, no state. */
#ifndef WB_BASE_TEXT_H
#define WB_BASE_TEXT_H

#include <stddef.h>

/* The shortest decimal that strtod reads back as exactly v (bit for bit, so -0 stays "-0"):
 * the first precision p = 1, 2, ..., 17 whose %.{p}g does, written without an exponent when
 * %g would use one for an integer below 1e16 ("100000", not "1e+05"), so the forms are Python's
 * repr's: "0.1", "0.3", "1e-05", "5e-324", "1e+300", "-0", "0.30000000000000004". "nan", "inf",
 * "-inf" for the others. Returns what snprintf returns. */
int format_shortest(double v, char *out, size_t outlen);

/* Appends printf output to the text in out (room for outlen bytes), keeping it terminated: a text
 * too long is cut, never overflows. The one bounded appender of the sentences, labels and
 * messages built for people. */
void text_append(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
