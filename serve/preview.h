/* serve/preview.h: a run's preview.npy (float32 (3, n, p, p, 3): the inputs, targets and best-epoch
 * predictions of the first n test patches) as one PNG for the run page: bands of three rows
 * (input, target, prediction) of PREVIEW_COLUMNS patches each, every pixel enlarged to a tile of
 * about 64 pixels, drawn by data/image.h's image_write_grid. */
#ifndef WB_SERVE_PREVIEW_H
#define WB_SERVE_PREVIEW_H

#include <stddef.h>

#define PREVIEW_COLUMNS 16
#define PREVIEW_TILE_PIXELS 64

/* The largest preview.npy read: 3 x 4096 patches of 256 x 256 pixels would be 9 GB; a run's preview
 * is 32 patches (295 KB at 16 x 16 pixels, 18.9 MB at the largest patch, 64). */
#define PREVIEW_MAX_BYTES (64L * 1024 * 1024)

/* Reads the preview dir/rel (no symbolic link below dir: base/fileio.h's file_open_beneath),
 * checks its bytes against sha256 (64 hex digits, the one its epoch recorded; "" when none was:
 * a file from before wb recorded hashes, trusted) before decoding them, and returns the PNG's
 * bytes (malloc'ed) in *png and *len. The PNG passes through a file in `scratch_dir`
 * (image_write_grid writes files), removed again: calls that share a scratch folder must not run
 * at the same time. Returns 0 or -1 with err set (a preview whose bytes differ from its record
 * is refused by name, as `wb report` leaves it out). */
int preview_png(const char *dir, const char *rel, const char *sha256, const char *scratch_dir,
                unsigned char **png, size_t *len, char *err, size_t errlen);

#endif
