/* data/image.h: PNG in and out through libpng.
 * Reading accepts 8- and 16-bit gray, gray+alpha, RGB, RGBA and palette images and returns RGB
 * (alpha dropped, not composited), HWC float32 in [0, 1]. Returns 0 or -1 with err set. */
#ifndef WB_DATA_IMAGE_H
#define WB_DATA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Decodes a PNG held in memory (embedded photos, fuzzing); `name` is used in messages. */
int image_decode_png(const void *buf, size_t len, const char *name, float **rgb, int *h, int *w,
                     char *err, size_t errlen);
int image_read_png(const char *path, float **rgb, int *h, int *w, char *err, size_t errlen);

/* Writes 8-bit RGB (HWC) via a temporary file renamed into place. */
int image_write_png(const char *path, const uint8_t *rgb, int h, int w, char *err, size_t errlen);

/* Float [0, 1] HWC to 8-bit, rounding and clamping. */
void image_to_u8(const float *rgb, uint8_t *out, size_t n_values);

#endif
