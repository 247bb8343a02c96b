/* tests/fuzz/fuzz_png.c: the PNG reader (image_decode_png), on any bytes. A decoded image must
 * hold h*w*3 values in [0, 1]. See fuzz_ini.c for how it is built and replayed.
 *
 * libpng rejects a chunk whose CRC is wrong before our code sees it, so random mutations would
 * almost never reach a header with another size, depth or colour type: the harness decodes the
 * input as it is, then once more with every chunk's CRC recomputed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "data/image.h"

static void decode(const uint8_t *data, size_t size)
{
    float *rgb = NULL;
    int h = 0, w = 0;
    char err[512];
    if (image_decode_png(data, size, "fuzz.png", &rgb, &h, &w, err, sizeof err) == 0) {
        if (h <= 0 || w <= 0 || (long)h * w > IMAGE_MAX_PIXELS)
            abort();
        for (size_t i = 0; i < (size_t)h * (size_t)w * 3; i++)
            if (!(rgb[i] >= 0 && rgb[i] <= 1))
                abort();
    }
    free(rgb);
}

/* Rewrites the CRC of every whole chunk after the 8-byte signature. */
static void fix_crcs(uint8_t *b, size_t size)
{
    size_t at = 8;
    while (at + 12 <= size) {
        const size_t len = (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 |
                           b[at + 3];
        if (len > size - at - 12)
            break;
        const uint32_t crc = wb_fuzz_png_crc(b + at + 4, len + 4);
        uint8_t *c = b + at + 8 + len;
        c[0] = (uint8_t)(crc >> 24);
        c[1] = (uint8_t)(crc >> 16);
        c[2] = (uint8_t)(crc >> 8);
        c[3] = (uint8_t)crc;
        at += len + 12;
    }
}

int wb_fuzz_png(const uint8_t *data, size_t size)
{
    decode(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (copy) {
        memcpy(copy, data, size);
        fix_crcs(copy, size);
        if (size < 8 || memcmp(copy, data, size) != 0)
            decode(copy, size);
        free(copy);
    }
    return 0;
}

WB_FUZZ_ENTRY(wb_fuzz_png)
