/* tests/fuzz/fuzz.h: what the fuzz targets share. Each tests/fuzz/fuzz_NAME.c defines
 * int wb_fuzz_NAME(const uint8_t *data, size_t size) and WB_FUZZ_ENTRY(wb_fuzz_NAME): libFuzzer's
 * entry point, left out when tests/test_regress_fuzz.c includes the file (WB_FUZZ_NO_MAIN) to
 * replay the corpus and former crashes in make test. */
#ifndef WB_TESTS_FUZZ_H
#define WB_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef WB_FUZZ_NO_MAIN
#define WB_FUZZ_ENTRY(fn)
#else
#define WB_FUZZ_ENTRY(fn)                                                                         \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                                \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                 \
    {                                                                                             \
        return fn(data, size);                                                                    \
    }
#endif

/* This process's scratch folder for the target `name` (libFuzzer's fork mode runs each job in a
 * process of its own), in /dev/shm when it can be written (else /tmp): made in dir on the first
 * call, when drop (which removes it) is registered to run at exit. Returns 1 when it was made
 * now, 0 when dir already holds it. */
static inline int wb_fuzz_scratch(char dir[64], const char *name, void (*drop)(void))
{
    if (dir[0])
        return 0;
    snprintf(dir, 64, "%s/wb-fuzz-%s-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             name);
    if (!mkdtemp(dir))
        abort();
    atexit(drop);
    return 1;
}

/* PNG's CRC-32 (ISO 3309, as zlib's crc32), bit by bit: no library needed. */
static inline uint32_t wb_fuzz_png_crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

#endif
