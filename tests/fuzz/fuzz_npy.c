/* tests/fuzz/fuzz_npy.c: the .npy reader (npy_parse), on any bytes. A parsed array's data must
 * be readable to its last element (ASan checks the reads). See fuzz_ini.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "data/npy.h"

int wb_fuzz_npy(const uint8_t *data, size_t size)
{
    npy_array a;
    char err[512];
    if (npy_parse(data, size, "fuzz.npy", &a, err, sizeof err) == 0) {
        const size_t n = npy_count(&a);
        if (n > 0 && !a.data)
            abort();
        unsigned sum = 0;
        const size_t bytes = n * (a.dtype == NPY_F32 ? 4 : 1);
        for (size_t i = 0; i < bytes; i++)
            sum += ((const unsigned char *)a.data)[i];
        (void)sum;
        npy_free(&a);
    }
    return 0;
}

WB_FUZZ_ENTRY(wb_fuzz_npy)
