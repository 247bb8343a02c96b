/* tests/support/leakcheck.h: looks for val/test content inside train patches.
 *
 * Every win x win window (all channels) of every reference patch is hashed; every window of every
 * probe patch whose texture (leakcheck_texture) exceeds min_texture is looked up, and a hash hit is
 * confirmed by comparing the values bit for bit. Near-flat windows repeat by coincidence and prove
 * nothing: in the builtin photos, dark 8x8 windows of the retina's border that differ from one
 * colour by a single gray level in a few pixels recur bit for bit across bands (texture below
 * 0.004); with 8-bit sources a threshold of 0.004 (about one gray level) skips them. Patches are (n, h, w, 3) float arrays, as dataset.h and the
 * exported .npy files hold them. */
#ifndef WB_TESTS_LEAKCHECK_H
#define WB_TESTS_LEAKCHECK_H

#include <stddef.h>

typedef struct leakcheck_result {
    size_t windows;        /* probe windows with texture, all looked up */
    size_t flat;           /* probe windows skipped as flat (no texture) */
    size_t leaks;          /* textured probe windows found in some reference patch */
    /* the first leak, when leaks > 0 */
    size_t probe_patch, ref_patch;
    int probe_row, probe_col, ref_row, ref_col;
} leakcheck_result;

/* The texture of the win x win window at (row, col) of a patch w pixels wide: the largest of the
 * three channels' standard deviations over the window's pixels. A window of one flat colour has
 * none, however different its channels are. */
double leakcheck_texture(const float *patch, int w, int row, int col, int win);

/* Returns 0, or -1 when memory runs out or the sizes are invalid (win > h or w). */
int leakcheck_windows(const float *ref, size_t n_ref, const float *probe, size_t n_probe, int h, int w,
                      int win, double min_texture, leakcheck_result *res);

#endif
