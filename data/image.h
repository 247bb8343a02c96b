/* data/image.h: PNG in and out through libpng.
 * Reading accepts 8- and 16-bit gray, gray+alpha, RGB, RGBA and palette images (and 1-, 2- and
 * 4-bit gray and palette) and returns RGB (alpha dropped, not composited; tRNS ignored), HWC
 * float32 in [0, 1], malloc'ed: values map linearly (v / 255 or v / 65535), no gamma conversion.
 * Images of more than IMAGE_MAX_PIXELS pixels are refused. Returns 0 or -1 with err set. */
#ifndef WB_DATA_IMAGE_H
#define WB_DATA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* 32 Mpixels (5792x5792): bounds the memory a decode can claim (12 bytes a pixel as float). */
#define IMAGE_MAX_PIXELS (1L << 25)

/* Decodes a PNG held in memory (embedded photos, fuzzing); `name` is used in messages. */
int image_decode_png(const void *buf, size_t len, const char *name, float **rgb, int *h, int *w,
                     char *err, size_t errlen);
int image_read_png(const char *path, float **rgb, int *h, int *w, char *err, size_t errlen);

/* Writes 8-bit RGB (HWC), whole or not at all (base/fileio.h's atomic_file). */
int image_write_png(const char *path, const uint8_t *rgb, int h, int w, char *err, size_t errlen);

/* Writes rows x cols tiles as one 8-bit RGB PNG (via image_write_png). Tile t (row-major tile
 * order) is the h x w RGB float image (HWC) at tiles + t*h*w*3; values are clamped to [0, 1]. Each
 * pixel becomes a scale x scale block (nearest neighbour) and tiles are separated by `gap` pixels
 * of mid gray (128), with no border around the grid. */
int image_write_grid(const char *path, const float *tiles, int rows, int cols, int h, int w,
                     int scale, int gap, char *err, size_t errlen);

/* Float [0, 1] HWC to 8-bit, rounding and clamping (NaN becomes 0). */
void image_to_u8(const float *rgb, uint8_t *out, size_t n_values);

/* Index i of a row or column of n pixels reflected at both ends without repeating the edge
 * (reflect101: -1 -> 1, n -> n - 2), at any distance outside; n = 1 gives 0. */
int image_reflect101(int i, int n);

#endif
