/* tests/fuzz/fuzz_safetensors.c: the safetensors reader (safetensors_parse), on any bytes. Every
 * tensor of a parsed file must be findable by name and its data readable to its last element
 * (ASan checks the reads); every metadata value readable. See fuzz_ini.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/safetensors.h"

int wb_fuzz_safetensors(const uint8_t *data, size_t size)
{
    st_file f;
    char err[512];
    if (safetensors_parse(data, size, "fuzz.safetensors", &f, err, sizeof err) == 0) {
        float sum = 0;
        for (size_t i = 0; i < f.nt; i++) {
            const st_tensor *t = &f.tensors[i];
            if (safetensors_find(&f, t->name) == NULL)
                abort();
            size_t n = 1;
            for (int d = 0; d < t->ndim; d++)
                n *= (size_t)t->shape[d];
            for (size_t k = 0; k < n; k++)
                sum += t->data[k] * 0.0f;
        }
        for (size_t i = 0; i < f.nmeta; i++)
            if (safetensors_meta(&f, f.meta[i].key) == NULL || strlen(f.meta[i].value) > size)
                abort();
        (void)sum;
        safetensors_free(&f);
    }
    return 0;
}

WB_FUZZ_ENTRY(wb_fuzz_safetensors)
