/* tests/support/leakcheck.c: see leakcheck.h. */
#include "leakcheck.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct window_ref {
    uint64_t hash;
    uint32_t patch;
    uint16_t row, col;
} window_ref;

static uint64_t window_hash(const float *patch, int w, int row, int col, int win)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (int r = 0; r < win; r++) {
        const float *p = patch + ((size_t)(row + r) * w + col) * 3;
        for (int i = 0; i < win * 3; i++) {
            uint32_t bits;
            memcpy(&bits, &p[i], sizeof bits);
            hash = (hash ^ bits) * 0x100000001b3ULL;
            hash ^= hash >> 29;
        }
    }
    return hash;
}

static int same_window(const float *a, int a_row, int a_col, const float *b, int b_row, int b_col,
                       int w, int win)
{
    for (int r = 0; r < win; r++)
        if (memcmp(a + ((size_t)(a_row + r) * w + a_col) * 3, b + ((size_t)(b_row + r) * w + b_col) * 3,
                   sizeof(float) * (size_t)win * 3) != 0)
            return 0;
    return 1;
}

double leakcheck_texture(const float *patch, int w, int row, int col, int win)
{
    double largest = 0.0, n = (double)win * win;
    for (int ch = 0; ch < 3; ch++) {
        double sum = 0.0, sum2 = 0.0;
        for (int r = 0; r < win; r++) {
            const float *p = patch + ((size_t)(row + r) * w + col) * 3 + ch;
            for (int c = 0; c < win; c++) {
                sum += p[c * 3];
                sum2 += (double)p[c * 3] * p[c * 3];
            }
        }
        double mean = sum / n, var = sum2 / n - mean * mean;
        if (var > largest * largest)
            largest = sqrt(var);
    }
    return largest;
}

static int by_hash(const void *a, const void *b)
{
    uint64_t x = ((const window_ref *)a)->hash, y = ((const window_ref *)b)->hash;
    return x < y ? -1 : x > y;
}

int leakcheck_windows(const float *ref, size_t n_ref, const float *probe, size_t n_probe, int h, int w,
                      int win, double min_texture, leakcheck_result *res)
{
    memset(res, 0, sizeof *res);
    if (win < 1 || win > h || win > w || h > 65535 || w > 65535 || n_ref > UINT32_MAX)
        return -1;
    size_t per_patch = (size_t)(h - win + 1) * (size_t)(w - win + 1);
    size_t patch_values = (size_t)h * w * 3, n_windows = n_ref * per_patch;
    window_ref *table = malloc(sizeof *table * (n_windows ? n_windows : 1));
    if (!table)
        return -1;
    size_t k = 0;
    for (size_t p = 0; p < n_ref; p++)
        for (int r = 0; r + win <= h; r++)
            for (int c = 0; c + win <= w; c++)
                table[k++] = (window_ref){window_hash(ref + p * patch_values, w, r, c, win), (uint32_t)p,
                                          (uint16_t)r, (uint16_t)c};
    qsort(table, n_windows, sizeof *table, by_hash);

    for (size_t p = 0; p < n_probe; p++) {
        const float *patch = probe + p * patch_values;
        for (int r = 0; r + win <= h; r++)
            for (int c = 0; c + win <= w; c++) {
                if (!(leakcheck_texture(patch, w, r, c, win) > min_texture)) {
                    res->flat++;
                    continue;
                }
                res->windows++;
                uint64_t hash = window_hash(patch, w, r, c, win);
                size_t lo = 0, hi = n_windows;   /* first entry with table hash >= hash */
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (table[mid].hash < hash)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (size_t i = lo; i < n_windows && table[i].hash == hash; i++) {
                    const window_ref *t = &table[i];
                    if (!same_window(patch, r, c, ref + t->patch * patch_values, t->row, t->col, w, win))
                        continue;
                    if (res->leaks++ == 0) {
                        res->probe_patch = p;
                        res->ref_patch = t->patch;
                        res->probe_row = r;
                        res->probe_col = c;
                        res->ref_row = t->row;
                        res->ref_col = t->col;
                    }
                    break;
                }
            }
    }
    free(table);
    return 0;
}
