/* tests/support/mutate.c: see mutate.h. */
#include "mutate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

mutate_counts mutate_parse(const unsigned char *good, size_t len, size_t span, int rounds,
                           mutate_parse_fn parse)
{
    mutate_counts counts = {0, 0};
    for (size_t cut = 0; cut <= len; cut++) {
        unsigned char *b = malloc(cut ? cut : 1);
        memcpy(b, good, cut);
        counts.prefixes_accepted += parse(b, cut) == 0;
        free(b);
    }
    if (span > len)
        span = len;
    unsigned char *b = malloc(len ? len : 1);
    uint64_t s = 42;
    for (int round = 0; round < rounds && span > 0; round++) {
        memcpy(b, good, len);
        for (int k = 0; k <= round % 4; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;   /* Knuth's MMIX LCG */
            b[(s >> 33) % span] = (unsigned char)(s >> 20);
        }
        counts.mutants_accepted += parse(b, len) == 0;
    }
    free(b);
    return counts;
}
