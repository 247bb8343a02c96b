/* tests/support/leakcheck.h: looks for val/test content inside train patches.
 *
 * Every win x win window (all channels) of every reference patch is hashed; every window of every
 * probe patch whose standard deviation exceeds min_std (flat windows, such as black borders or
 * saturated sky, repeat everywhere and prove nothing) is looked up, and a hash hit is confirmed by
 * comparing the values bit for bit. Patches are (n, h, w, 3) float arrays, as dataset.h and the
 * exported .npy files hold them. */
#ifndef WB_TESTS_LEAKCHECK_H
#define WB_TESTS_LEAKCHECK_H

#include <stddef.h>

typedef struct leakcheck_result {
    size_t windows;        /* probe windows with texture, all looked up */
    size_t flat;           /* probe windows skipped as flat */
    size_t leaks;          /* textured probe windows found in some reference patch */
    /* the first leak, when leaks > 0 */
    size_t probe_patch, ref_patch;
    int probe_row, probe_col, ref_row, ref_col;
} leakcheck_result;

/* Returns 0, or -1 when memory runs out or the sizes are invalid (win > h or w). */
int leakcheck_windows(const float *ref, size_t n_ref, const float *probe, size_t n_probe, int h, int w,
                      int win, double min_std, leakcheck_result *res);

#endif
