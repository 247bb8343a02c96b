/* serve/preview.c: preview.npy to PNG (preview.h). */
#include "serve/preview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "data/image.h"
#include "data/npy.h"

int preview_png(const char *dir, const char *rel, const char *sha256, const char *scratch_dir,
                unsigned char **png, size_t *len, char *err, size_t errlen)
{
    npy_array a;
    unsigned char *bytes;
    size_t nbytes;
    char have[65], npy_path[8200];
    *png = NULL;
    *len = 0;
    snprintf(npy_path, sizeof npy_path, "%s/%s", dir, rel);
    if (file_read_beneath(dir, rel, PREVIEW_MAX_BYTES, &bytes, &nbytes, err, errlen) != 0)
        return -1;
    file_sha256_bytes(bytes, nbytes, have);
    if (sha256[0] && strcmp(have, sha256) != 0) {
        snprintf(err, errlen, "%s: damaged: its SHA-256 is not the one its epoch recorded", npy_path);
        free(bytes);
        return -1;
    }
    const int parsed = npy_parse(bytes, nbytes, npy_path, &a, err, errlen);
    free(bytes);
    if (parsed != 0)
        return -1;
    const size_t n = a.ndim == 5 ? a.shape[1] : 0, h = n ? a.shape[2] : 0, w = n ? a.shape[3] : 0;
    if (a.dtype != NPY_F32 || a.ndim != 5 || a.shape[0] != 3 || a.shape[4] != 3 || n == 0 ||
        h == 0 || w == 0 || h > 256 || w > 256 || n > 4096) {
        snprintf(err, errlen, "%s: not a preview (float32 (3, n, p, p, 3))", npy_path);
        npy_free(&a);
        return -1;
    }
    /* Tiles in row-major order: band b holds patches b*C .. b*C+C-1, its rows input, target,
     * prediction; the last band's missing patches stay black. */
    const size_t cols = n < PREVIEW_COLUMNS ? n : PREVIEW_COLUMNS;
    const size_t bands = (n + cols - 1) / cols, rows = 3 * bands, tile = h * w * 3;
    float *tiles = calloc(rows * cols * tile, sizeof *tiles);
    if (!tiles) {
        snprintf(err, errlen, "out of memory drawing the preview");
        npy_free(&a);
        return -1;
    }
    const float *x = a.data;
    for (size_t b = 0; b < bands; b++)
        for (size_t kind = 0; kind < 3; kind++)
            for (size_t c = 0; c < cols && b * cols + c < n; c++)
                memcpy(tiles + ((3 * b + kind) * cols + c) * tile,
                       x + (kind * n + b * cols + c) * tile, tile * sizeof *tiles);
    npy_free(&a);
    const int scale = (int)(w >= PREVIEW_TILE_PIXELS ? 1 : PREVIEW_TILE_PIXELS / w);
    char path[4200];
    snprintf(path, sizeof path, "%s/preview.png", scratch_dir);
    int rc = image_write_grid(path, tiles, (int)rows, (int)cols, (int)h, (int)w, scale, 2, err,
                              errlen);
    free(tiles);
    if (rc == 0)
        rc = file_read_all(path, png, len, err, errlen);
    unlink(path);
    return rc;
}
