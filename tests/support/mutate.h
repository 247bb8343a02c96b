/* tests/support/mutate.h: damaged copies of a valid file for parsers that must refuse bad bytes
 * without crashing. Each copy lives in a buffer of exactly its length, so the ASan build catches
 * any read past the end. */
#ifndef WB_TESTS_MUTATE_H
#define WB_TESTS_MUTATE_H

#include <stddef.h>

/* Parses bytes[0..len); returns 0 when it accepts them (and frees what it made). */
typedef int (*mutate_parse_fn)(const unsigned char *bytes, size_t len);

typedef struct mutate_counts {
    size_t prefixes_accepted;   /* of the len + 1 prefixes, the whole file included */
    size_t mutants_accepted;    /* of the `rounds` copies with changed bytes */
} mutate_counts;

/* Runs parse on every prefix of good, then on `rounds` copies in which 1 to 4 bytes among the
 * first `span` are replaced by others (a fixed pseudo-random sequence: the same every run). */
mutate_counts mutate_parse(const unsigned char *good, size_t len, size_t span, int rounds,
                           mutate_parse_fn parse);

#endif
