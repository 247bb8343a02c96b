/* model/conv_winograd.c: F(2x2, 3x3) Winograd convolution with AVX-512. See conv_winograd.h.
 *
 * Tiles are vectorised 16 at a time: a "tile vector" covers 64 output pixels (four rows of a
 * 16-wide image, a whole 8x8 image, or four whole 4x4 images). Its input window (the rows it
 * reads, with the row above and below for 16-wide images) is loaded whole, and each of the 16
 * elements d[i][j] of the 16 tiles is gathered from the window with lane permutes; tables built
 * per call say which. A chunk is processed in blocks of tile vectors whose transformed input V
 * and products M stay in L2. Like conv_direct.c, the file is built for the baseline ISA and only
 * the kernels carry target("avx512f"). */
#include "model/conv_winograd.h"

#include <immintrin.h>
#include <stdint.h>

#include "model/simd.h"

/* V and M of one block together, in floats (512 kB: half of this machine's L2 per core). */
#define BLOCK_FLOATS (128u * 1024u)
/* Window of a tile vector: six rows of 16 (the four it covers, one above, one below), or the
 * four vectors of an 8x8 image or of four 4x4 images. */
#define NWIN_MAX 6

typedef struct tile_maps {
    int win0;   /* the window's offset from the tile vector: the row above, for 16-wide images */
    /* input: lanes 0-7 of d[i][j] from window vectors (a, a+1), lanes 8-15 from (b, b+1), with
     * a and b from window_pair; 16-wide: lanes 0-7 from a alone, 8-15 from b, one permute */
    __mmask16 k[16];                /* lanes whose tap is inside the image */
    int32_t ilo[16][16], ihi[16][16];
    /* output: vector m of the 64 pixels takes lane l from Y[a][b], b in iout's bit 4 (a: see
     * output_tiles) */
    int32_t iout[4][16];
} tile_maps;

int conv_winograd_usable(int h, int w, int cin)
{
    return cin >= WINOGRAD_MIN_CIN &&
           ((w == 16 && h % 4 == 0) || (w == 8 && h == 8) || (w == 4 && h == 4)) &&
           __builtin_cpu_supports("avx512f");
}

size_t conv_winograd_weight_floats(int cin, int cout)
{
    return (size_t)16 * cin * cout;
}

size_t conv_winograd_min_scratch(int cin, int cout)
{
    return (size_t)16 * 16 * (cin + cout);
}

/* Packing runs twice per layer and step (forward, input gradient): vectorised over 16 output
 * channels, with the weights gathered, since a scalar loop with 16 scattered stores per channel
 * pair took 3-4 % of a training step. */
AVX512 void conv_winograd_pack(float *u, const float *w, int cout, int cin, int flip, int part,
                               int parts)
{
    const int nin = flip ? cout : cin, nout = flip ? cin : cout;
    const int in0 = (int)((long)nin * part / parts), in1 = (int)((long)nin * (part + 1) / parts);
    const size_t xs = (size_t)nin * nout;
    /* w's offset of (in, o): flip ? (in*cin + o)*9 : (o*cin + in)*9 */
    const int step = flip ? 9 : cin * 9;
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512 half = _mm512_set1_ps(0.5f);
    for (int in = in0; in < in1; in++)
        for (int o0 = 0; o0 < nout; o0 += 16) {
            const int n = nout - o0 < 16 ? nout - o0 : 16;
            const __mmask16 m = (__mmask16)((1u << n) - 1u);
            const int base = flip ? (in * cin + o0) * 9 : (o0 * cin + in) * 9;
            const __m512i steps = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(step));
            const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(base), steps);
            __m512 g[3][3], gg[4][3];
            for (int t = 0; t < 9; t++) {
                const __m512i at = _mm512_add_epi32(idx, _mm512_set1_epi32(flip ? 8 - t : t));
                g[t / 3][t % 3] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, at, w, 4);
            }
            for (int c = 0; c < 3; c++) {   /* G g */
                gg[0][c] = g[0][c];
                const __m512 s01 = _mm512_add_ps(g[0][c], g[1][c]);
                const __m512 d01 = _mm512_sub_ps(g[0][c], g[1][c]);
                gg[1][c] = _mm512_mul_ps(half, _mm512_add_ps(s01, g[2][c]));
                gg[2][c] = _mm512_mul_ps(half, _mm512_add_ps(d01, g[2][c]));
                gg[3][c] = g[2][c];
            }
            float *dst = u + (size_t)in * nout + o0;
            for (int r = 0; r < 4; r++) {   /* (G g) G^T */
                const __m512 s01 = _mm512_add_ps(gg[r][0], gg[r][1]);
                const __m512 d01 = _mm512_sub_ps(gg[r][0], gg[r][1]);
                _mm512_mask_storeu_ps(dst + (4 * r + 0) * xs, m, gg[r][0]);
                _mm512_mask_storeu_ps(dst + (4 * r + 1) * xs, m,
                                      _mm512_mul_ps(half, _mm512_add_ps(s01, gg[r][2])));
                _mm512_mask_storeu_ps(dst + (4 * r + 2) * xs, m,
                                      _mm512_mul_ps(half, _mm512_add_ps(d01, gg[r][2])));
                _mm512_mask_storeu_ps(dst + (4 * r + 3) * xs, m, gg[r][2]);
            }
        }
}

/* Where tap (i, j) of the tile in lane l reads: the pixel's offset from the tile vector's first
 * pixel, its row and column within its image, and the image's size. A 16-wide tile vector is
 * two rows of 8 tiles, an 8x8 one the 16 tiles of one image, a 4x4 one four images of 4. */
static int lane_pixel(int w, int l, int i, int j, int *row, int *col)
{
    int img = 0, ty, tx;
    if (w == 4) {
        img = l / 4;
        ty = (l % 4) / 2;
        tx = l % 2;
    } else {
        ty = l / (w / 2);
        tx = l % (w / 2);
    }
    *row = 2 * ty + i - 1;
    *col = 2 * tx + j - 1;
    return img * 16 + *row * w + *col;
}

/* The window vector that lanes 0-7 (hi = 0) or 8-15 (hi = 1) of row i of the tiles read from,
 * the first of a pair (or alone, for 16-wide images: one image row each). Constants, so the
 * kernels index the window in registers. */
static inline int window_pair(int w, int i, int hi)
{
    if (w == 16)
        return hi ? i + 2 : i;
    /* 8x8: rows 2ty + i - 1, so ty 0-1 in vectors 0-1 (1-2 for i = 3), ty 2-3 in 1-2 or 2-3 */
    if (w == 8)
        return hi ? (i == 0 ? 1 : 2) : (i == 3 ? 1 : 0);
    return hi ? 2 : 0;   /* 4x4: images 0-1 and 2-3 */
}

static void build_maps(tile_maps *tm, int w)
{
    tm->win0 = w == 16 ? -16 : 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            const int e = 4 * i + j;
            int vec[16], lane[16], valid[16];
            __mmask16 k = 0;
            for (int l = 0; l < 16; l++) {
                int row, col;
                const int f = lane_pixel(w, l, i, j, &row, &col) - tm->win0;
                /* rows outside a 16-wide image come as zero vectors of the window (see the
                 * loads); 8x8 and 4x4 windows are whole images */
                valid[l] = col >= 0 && col < w && (w == 16 || (row >= 0 && row < w));
                vec[l] = valid[l] ? f / 16 : 0;
                lane[l] = valid[l] ? f % 16 : 0;
                if (valid[l])
                    k |= (__mmask16)(1u << l);
            }
            const int a = window_pair(w, i, 0), b = window_pair(w, i, 1);
            tm->k[e] = k;
            if (w == 16) {   /* one permute of (a, b) */
                for (int l = 0; l < 16; l++)
                    tm->ilo[e][l] = (l < 8 ? 0 : 16) + lane[l];
            } else {
                for (int l = 0; l < 16; l++) {
                    tm->ilo[e][l] = l < 8 && valid[l] ? (vec[l] - a) * 16 + lane[l] : 0;
                    tm->ihi[e][l] = l >= 8 && valid[l] ? (vec[l] - b) * 16 + lane[l] : 0;
                }
            }
        }
    /* output vector m holds pixels 16m..16m+15 of the tile vector: find the tile of each */
    for (int m = 0; m < 4; m++) {
        for (int l = 0; l < 16; l++)
            for (int src = 0; src < 16; src++) {
                int row, col;
                const int f = lane_pixel(w, src, 1, 1, &row, &col);   /* the tile's (0, 0) */
                const int d = 16 * m + l - f, a = d / w, b = d % w;
                if (d >= 0 && a < 2 && b < 2)
                    tm->iout[m][l] = b * 16 + src;
            }
    }
}

/* V[(xi*cin + ci)*ld + 16*b + lane] for the tile vectors tv0 .. tv0 + nbb - 1 of a chunk. */
SIMD_KERNEL void input_tiles(float *V, size_t ld, const float *x, size_t plane, int cin,
                             size_t cols, size_t tv0, int nbb, int hw, const tile_maps *tm,
                             const int W)
{
    const int NWIN = W == 16 ? 6 : 4;
    /* a tile vector is 64 consecutive pixels of a channel row; 16-wide images have several */
    const int per_image = hw > 64 ? hw / 64 : 1, image = hw > 64 ? hw : 64;
    for (int bl = 0; bl < nbb; bl++) {
        const size_t tv = tv0 + bl;
        const int k = (int)(tv % per_image);
        const ptrdiff_t base = (ptrdiff_t)(tv * 64) + tm->win0;
        __mmask16 wm[NWIN_MAX];
#pragma GCC unroll 6
        for (int m = 0; m < NWIN; m++) {
            const int rel = tm->win0 + 16 * m, pix = k * 64 + rel;
            /* rows outside the image, and (4x4) images past the chunk's end, read as zeros */
            wm[m] = pix >= 0 && pix < image && (ptrdiff_t)(tv * 64) + rel < (ptrdiff_t)cols
                        ? 0xFFFF : 0;
        }
        for (int ci = 0; ci < cin; ci++) {
            const float *src = x + (size_t)ci * plane + base;
            __m512 win[NWIN_MAX], d[4][4];
#pragma GCC unroll 6
            for (int m = 0; m < NWIN; m++)
                win[m] = _mm512_maskz_loadu_ps(wm[m], src + 16 * m);
#pragma GCC unroll 16
            for (int e = 0; e < 16; e++) {
                const __m512i ilo = _mm512_loadu_si512(tm->ilo[e]);
                const int a = window_pair(W, e / 4, 0), b = window_pair(W, e / 4, 1);
                if (W == 16) {
                    d[e / 4][e % 4] = _mm512_maskz_permutex2var_ps(tm->k[e], win[a], ilo, win[b]);
                } else {
                    const __m512i ihi = _mm512_loadu_si512(tm->ihi[e]);
                    const __m512 lo = _mm512_permutex2var_ps(win[a], ilo, win[a + 1]);
                    const __m512 hi = _mm512_permutex2var_ps(win[b], ihi, win[b + 1]);
                    d[e / 4][e % 4] = _mm512_maskz_mov_ps(tm->k[e],
                                                          _mm512_mask_blend_ps(0xFF00, lo, hi));
                }
            }
            __m512 t[4][4];
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {   /* d B, along each row */
                t[i][0] = _mm512_sub_ps(d[i][0], d[i][2]);
                t[i][1] = _mm512_add_ps(d[i][1], d[i][2]);
                t[i][2] = _mm512_sub_ps(d[i][2], d[i][1]);
                t[i][3] = _mm512_sub_ps(d[i][1], d[i][3]);
            }
            float *dst = V + (size_t)ci * ld + 16 * (size_t)bl;
            const size_t xs = (size_t)cin * ld;   /* from one xi to the next */
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {   /* B^T (d B), along each column */
                _mm512_storeu_ps(dst + (0 * 4 + j) * xs, _mm512_sub_ps(t[0][j], t[2][j]));
                _mm512_storeu_ps(dst + (1 * 4 + j) * xs, _mm512_add_ps(t[1][j], t[2][j]));
                _mm512_storeu_ps(dst + (2 * 4 + j) * xs, _mm512_sub_ps(t[2][j], t[1][j]));
                _mm512_storeu_ps(dst + (3 * 4 + j) * xs, _mm512_sub_ps(t[1][j], t[3][j]));
            }
        }
    }
}

/* M[(xi*cout + co)*ld + j ..] = sum_ci u[(xi*cin + ci)*cout + co] V[(xi*cin + ci)*ld + j ..] for
 * R tile vectors from j and CO channels from co0. */
SIMD_KERNEL void product_block(float *M, const float *V, size_t ld, const float *u, int cin,
                               int cout, int xi, int co0, size_t j, const int R, const int CO)
{
    __m512 acc[R_MAX][CO_MAX];
#pragma GCC unroll 8
    for (int c = 0; c < CO; c++)
#pragma GCC unroll 3
        for (int r = 0; r < R; r++)
            acc[r][c] = _mm512_setzero_ps();
    const float *vp = V + (size_t)xi * cin * ld + j;
    const float *up = u + (size_t)xi * cin * cout + co0;
    for (int ci = 0; ci < cin; ci++) {
        __m512 xv[R_MAX];
#pragma GCC unroll 3
        for (int r = 0; r < R; r++)
            xv[r] = _mm512_loadu_ps(vp + (size_t)ci * ld + 16 * r);
#pragma GCC unroll 8
        for (int c = 0; c < CO; c++) {
            const __m512 wb = _mm512_set1_ps(up[(size_t)ci * cout + c]);
#pragma GCC unroll 3
            for (int r = 0; r < R; r++)
                acc[r][c] = _mm512_fmadd_ps(xv[r], wb, acc[r][c]);
        }
    }
    float *mp = M + ((size_t)xi * cout + co0) * ld + j;
#pragma GCC unroll 8
    for (int c = 0; c < CO; c++)
#pragma GCC unroll 3
        for (int r = 0; r < R; r++)
            _mm512_storeu_ps(mp + (size_t)c * ld + 16 * r, acc[r][c]);
}

SIMD_KERNEL void product_vectors(float *M, const float *V, size_t ld, const float *u, int cin,
                                 int cout, int xi, size_t j, const int R)
{
#define PRODUCT_BLOCK(co0, width) product_block(M, V, ld, u, cin, cout, xi, co0, j, R, width)
    CHANNEL_BLOCKS(cout, PRODUCT_BLOCK);
#undef PRODUCT_BLOCK
}

/* Y = A^T M A of each tile, written to its 2x2 pixels: out = (accumulate ? out : 0) + Y, then
 * bias and ReLU as conv_direct_apply. */
SIMD_KERNEL void output_tiles(float *out, size_t plane, const float *M, size_t ld, int cout,
                              size_t cols, size_t tv0, int nbb, const tile_maps *tm, int accumulate,
                              const float *bias, int relu, const int W)
{
    const __m512 zero = _mm512_setzero_ps();
    for (int bl = 0; bl < nbb; bl++) {
        const size_t pix = (tv0 + bl) * 64;
        for (int co = 0; co < cout; co++) {
            const float *mp = M + (size_t)co * ld + 16 * (size_t)bl;
            const size_t xs = (size_t)cout * ld;
            __m512 m[4][4], p[2][4], y[2][2];
#pragma GCC unroll 16
            for (int e = 0; e < 16; e++)
                m[e / 4][e % 4] = _mm512_loadu_ps(mp + e * xs);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {   /* A^T M */
                p[0][j] = _mm512_add_ps(_mm512_add_ps(m[0][j], m[1][j]), m[2][j]);
                p[1][j] = _mm512_sub_ps(_mm512_sub_ps(m[1][j], m[2][j]), m[3][j]);
            }
#pragma GCC unroll 2
            for (int a = 0; a < 2; a++) {   /* (A^T M) A */
                y[a][0] = _mm512_add_ps(_mm512_add_ps(p[a][0], p[a][1]), p[a][2]);
                y[a][1] = _mm512_sub_ps(_mm512_sub_ps(p[a][1], p[a][2]), p[a][3]);
            }
            float *dst = out + (size_t)co * plane + pix;
            const __m512 bv = _mm512_set1_ps(bias ? bias[co] : 0.0f);
#pragma GCC unroll 4
            for (int v = 0; v < 4; v++) {
                /* a 4x4 chunk can end inside a tile vector */
                if (W == 4 && pix + 16 * v >= cols)
                    continue;
                const __m512i idx = _mm512_loadu_si512(tm->iout[v]);
                /* lanes from the tiles' second output row: constants for each width */
                const __mmask16 ar = W == 16 ? (v % 2 ? 0xFFFF : 0) : W == 8 ? 0xFF00 : 0xF0F0;
                __m512 z;
                if (ar == 0)
                    z = _mm512_permutex2var_ps(y[0][0], idx, y[0][1]);
                else if (ar == 0xFFFF)
                    z = _mm512_permutex2var_ps(y[1][0], idx, y[1][1]);
                else
                    z = _mm512_mask_blend_ps(ar, _mm512_permutex2var_ps(y[0][0], idx, y[0][1]),
                                             _mm512_permutex2var_ps(y[1][0], idx, y[1][1]));
                if (accumulate)
                    z = _mm512_add_ps(_mm512_loadu_ps(dst + 16 * v), z);
                if (bias)
                    z = _mm512_add_ps(z, bv);
                if (relu)
                    z = _mm512_max_ps(zero, z);   /* NaN kept, as conv_direct_apply */
                _mm512_storeu_ps(dst + 16 * v, z);
            }
        }
    }
}

AVX512 void conv_winograd_apply(float *out, const float *x, size_t plane, const float *u, int cin,
                                int cout, int h, int w, size_t cols, int accumulate,
                                const float *bias, int relu, float *scratch,
                                size_t scratch_floats)
{
    tile_maps tm;
    build_maps(&tm, w);
    const int hw = h * w;
    const size_t ntv = (cols + 63) / 64, per_tv = conv_winograd_min_scratch(cin, cout);
    const size_t cap = scratch_floats < BLOCK_FLOATS ? scratch_floats : BLOCK_FLOATS;
    size_t nb = cap / per_tv;
    if (nb >= R_MAX)   /* whole register blocks: a remainder vector runs at a lower rate */
        nb -= nb % R_MAX;
    if (nb < 1)
        nb = 1;
    for (size_t tv0 = 0; tv0 < ntv; tv0 += nb) {
        const int nbb = (int)(ntv - tv0 < nb ? ntv - tv0 : nb);
        const size_t ld = (size_t)nbb * 16;
        float *V = scratch, *M = scratch + (size_t)16 * cin * ld;
        if (w == 16)
            input_tiles(V, ld, x, plane, cin, cols, tv0, nbb, hw, &tm, 16);
        else if (w == 8)
            input_tiles(V, ld, x, plane, cin, cols, tv0, nbb, hw, &tm, 8);
        else
            input_tiles(V, ld, x, plane, cin, cols, tv0, nbb, hw, &tm, 4);
        for (int xi = 0; xi < 16; xi++) {
            int v = 0;
            for (; v + R_MAX <= nbb; v += R_MAX)
                product_vectors(M, V, ld, u, cin, cout, xi, 16 * (size_t)v, R_MAX);
            for (; v < nbb; v++)
                product_vectors(M, V, ld, u, cin, cout, xi, 16 * (size_t)v, 1);
        }
        if (w == 16)
            output_tiles(out, plane, M, ld, cout, cols, tv0, nbb, &tm, accumulate, bias, relu, 16);
        else if (w == 8)
            output_tiles(out, plane, M, ld, cout, cols, tv0, nbb, &tm, accumulate, bias, relu, 8);
        else
            output_tiles(out, plane, M, ld, cout, cols, tv0, nbb, &tm, accumulate, bias, relu, 4);
    }
}
