/* tests/support/fakehash.c: see fakehash.h. */
#include "fakehash.h"

#include <stdint.h>
#include <stdio.h>

void fake_hash(const char *text, char out[65])
{
    uint64_t h = 1469598103934665603ull;
    for (const char *c = text; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    for (int i = 0; i < 4; i++) {
        uint64_t z = (h += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        snprintf(out + 16 * i, 17, "%016llx", (unsigned long long)(z ^ (z >> 31)));
    }
}
