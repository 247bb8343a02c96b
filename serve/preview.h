/* serve/preview.h: a run's preview.npy (float32 (3, n, p, p, 3): the inputs, targets and best-epoch
 * predictions of the first n test patches) as one PNG for the run page: bands of three rows
 * (input, target, prediction) of PREVIEW_COLUMNS patches each, every pixel enlarged to a tile of
 * about 64 pixels, drawn by data/image.h's image_write_grid. */
#ifndef WB_SERVE_PREVIEW_H
#define WB_SERVE_PREVIEW_H

#include <stddef.h>

#define PREVIEW_COLUMNS 16
#define PREVIEW_TILE_PIXELS 64

/* Reads npy_path and returns the PNG's bytes (malloc'ed) in *png and *len. The PNG passes through
 * a file in `scratch_dir` (image_write_grid writes files), removed again: calls that share a
 * scratch folder must not run at the same time. Returns 0 or -1 with err set. */
int preview_png(const char *npy_path, const char *scratch_dir, unsigned char **png, size_t *len,
                char *err, size_t errlen);

#endif
