/* base/err.h: how library code reports an error: one line into the caller's buffer, then -1.
 * Only wb/ decides what the user sees and the exit status; every layer below it hands its
 * message up through an (err, errlen) pair, written by this one function.
 *
 * Included by .c files and private headers (store/internal.h), never by a module's contract:
 * cmocka, which the tests use, defines a fail() macro of its own. */
#ifndef WB_BASE_ERR_H
#define WB_BASE_ERR_H

#include <stddef.h>

/* Writes the formatted message into err (when err is not NULL and errlen > 0; cut to fit) and
 * returns -1, so that `return fail(err, errlen, "...", ...);` ends a failing function. */
int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
