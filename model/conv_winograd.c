/* model/conv_winograd.c: F(2x2, 3x3) Winograd convolution with AVX-512. See conv_winograd.h.
 *
 * Tiles are vectorised 16 at a time: a "tile vector" covers 64 output pixels of one image (four
 * rows of a 16-wide image, or a whole 8x8 image). Its input window (the rows it reads, with the
 * row above and below for 16-wide images) is loaded whole, and each of the 16 elements d[i][j]
 * of the 16 tiles is gathered from the window with lane permutes; tables built per call say
 * which. A chunk is processed in blocks of tile vectors whose transformed input V and products M
 * stay in L2. Like conv_direct.c, the file is built for the baseline ISA and only the kernels
 * carry target("avx512f"). */
#include "model/conv_winograd.h"

#include <immintrin.h>
#include <stdint.h>

#define KERNEL static inline __attribute__((always_inline, target("avx512f")))
#define AVX512 __attribute__((target("avx512f")))

/* Products: R_MAX tile vectors x CO_MAX output channels of accumulators, as conv_direct.c. */
#define R_MAX 3
#define CO_MAX 8
/* V and M of one block together, in floats (512 kB: half of this machine's L2 per core). */
#define BLOCK_FLOATS (128u * 1024u)
/* Window of a tile vector: six rows of 16 (the four it covers, one above, one below) or the
 * four vectors of an 8x8 image. */
#define NWIN_MAX 6

typedef struct tile_maps {
    int nwin, win0;                 /* window vectors; first one's offset from the tile vector */
    /* input: lanes 0-7 of d[i][j] from window vectors (a, a+1), lanes 8-15 from (b, b+1);
     * single: lanes 0-7 from a alone and 8-15 from b alone, one permute of (a, b) */
    int a[16], b[16], single[16];
    __mmask16 k[16];                /* lanes whose tap is inside the image */
    int32_t ilo[16][16], ihi[16][16];
    /* output: vector m of the 64 pixels, lanes 0-7 from Y[alo[m]][0..1], 8-15 from Y[ahi[m]] */
    int alo[4], ahi[4];
    int32_t iout[4][16];
} tile_maps;

int conv_winograd_usable(int h, int w, int cin)
{
    return cin >= WINOGRAD_MIN_CIN && ((w == 16 && h % 4 == 0) || (w == 8 && h == 8)) &&
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

void conv_winograd_pack(float *u, const float *w, int cout, int cin, int flip)
{
    const int nin = flip ? cout : cin, nout = flip ? cin : cout;
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++) {
            const float *k = w + ((size_t)co * cin + ci) * 9;
            float g[3][3], gg[4][3], U[4][4];
            for (int t = 0; t < 9; t++)
                g[t / 3][t % 3] = flip ? k[8 - t] : k[t];
            for (int c = 0; c < 3; c++) {   /* G g */
                gg[0][c] = g[0][c];
                gg[1][c] = 0.5f * (g[0][c] + g[1][c] + g[2][c]);
                gg[2][c] = 0.5f * (g[0][c] - g[1][c] + g[2][c]);
                gg[3][c] = g[2][c];
            }
            for (int r = 0; r < 4; r++) {   /* (G g) G^T */
                U[r][0] = gg[r][0];
                U[r][1] = 0.5f * (gg[r][0] + gg[r][1] + gg[r][2]);
                U[r][2] = 0.5f * (gg[r][0] - gg[r][1] + gg[r][2]);
                U[r][3] = gg[r][2];
            }
            const int in = flip ? co : ci, o = flip ? ci : co;
            for (int xi = 0; xi < 16; xi++)
                u[((size_t)xi * nin + in) * nout + o] = U[xi / 4][xi % 4];
        }
}

/* Tile (ty, tx) of lane l within a tile vector, and the pixel (row, column) relative to the
 * tile vector's first pixel. */
static void lane_tile(int w, int l, int *ty, int *tx)
{
    const int per_row = w / 2;
    *ty = l / per_row;
    *tx = l % per_row;
}

/* The smallest window vector of the valid lanes in [l0, l0 + 8), and whether they all use it. */
static int pair_start(const int *vec, const int *valid, int l0, int nwin, int *only)
{
    int lo = nwin, hi = -1;
    for (int l = l0; l < l0 + 8; l++)
        if (valid[l]) {
            lo = vec[l] < lo ? vec[l] : lo;
            hi = vec[l] > hi ? vec[l] : hi;
        }
    if (hi < 0)
        lo = hi = 0;
    *only = lo == hi;
    return lo;
}

static void build_maps(tile_maps *tm, int w)
{
    tm->nwin = w == 16 ? 6 : 4;
    tm->win0 = w == 16 ? -16 : 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            const int e = 4 * i + j;
            int vec[16], lane[16], valid[16];
            __mmask16 k = 0;
            for (int l = 0; l < 16; l++) {
                int ty, tx;
                lane_tile(w, l, &ty, &tx);
                const int row = 2 * ty + i - 1, col = 2 * tx + j - 1;
                /* rows outside a 16-wide image's window come as zero vectors (see the loads);
                 * an 8x8 image's window is the image itself */
                valid[l] = col >= 0 && col < w && (w == 16 || (row >= 0 && row < 8));
                const int f = row * w + col - tm->win0;
                vec[l] = valid[l] ? f / 16 : 0;
                lane[l] = valid[l] ? f % 16 : 0;
                if (valid[l])
                    k |= (__mmask16)(1u << l);
            }
            int only_lo, only_hi;
            int a = pair_start(vec, valid, 0, tm->nwin, &only_lo);
            int b = pair_start(vec, valid, 8, tm->nwin, &only_hi);
            tm->single[e] = only_lo && only_hi;
            tm->k[e] = k;
            if (tm->single[e]) {
                for (int l = 0; l < 16; l++)
                    tm->ilo[e][l] = (l < 8 ? 0 : 16) + lane[l];
            } else {
                a = a > tm->nwin - 2 ? tm->nwin - 2 : a;
                b = b > tm->nwin - 2 ? tm->nwin - 2 : b;
                for (int l = 0; l < 16; l++) {
                    tm->ilo[e][l] = valid[l] && l < 8 ? (vec[l] - a) * 16 + lane[l] : 0;
                    tm->ihi[e][l] = valid[l] && l >= 8 ? (vec[l] - b) * 16 + lane[l] : 0;
                }
            }
            tm->a[e] = a;
            tm->b[e] = b;
        }
    /* output vector m holds pixels 16m..16m+15 of the tile vector */
    for (int m = 0; m < 4; m++)
        for (int l = 0; l < 16; l++) {
            const int f = 16 * m + l, row = f / w, col = f % w;
            const int src = (row / 2) * (w / 2) + col / 2;   /* lane of the tile */
            tm->iout[m][l] = (col % 2) * 16 + src;
            if (l == 0)
                tm->alo[m] = row % 2;
            if (l == 8)
                tm->ahi[m] = row % 2;
        }
}

/* V[(xi*cin + ci)*ld + 16*b + lane] for the tile vectors tv0 .. tv0 + nbb - 1 of a chunk. */
KERNEL void input_tiles(float *V, size_t ld, const float *x, size_t plane, int cin, size_t tv0,
                        int nbb, int hw, const tile_maps *tm, const int NWIN)
{
    const int per_image = hw / 64;
    for (int bl = 0; bl < nbb; bl++) {
        const size_t tv = tv0 + bl;
        const size_t s = tv / per_image;
        const int k = (int)(tv % per_image);
        const ptrdiff_t base = (ptrdiff_t)(s * hw) + k * 64 + tm->win0;
        __mmask16 wm[NWIN_MAX];
#pragma GCC unroll 6
        for (int m = 0; m < NWIN; m++) {
            const int pix = k * 64 + tm->win0 + 16 * m;
            wm[m] = pix >= 0 && pix < hw ? 0xFFFF : 0;
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
                const int a = tm->a[e], b = tm->b[e];
                if (tm->single[e]) {
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
KERNEL void product_block(float *M, const float *V, size_t ld, const float *u, int cin, int cout,
                          int xi, int co0, size_t j, const int R, const int CO)
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

KERNEL void product_vectors(float *M, const float *V, size_t ld, const float *u, int cin,
                            int cout, int xi, size_t j, const int R)
{
    int co0 = 0;
    for (; co0 + 8 <= cout; co0 += 8)
        product_block(M, V, ld, u, cin, cout, xi, co0, j, R, 8);
    if (co0 + 4 <= cout) {
        product_block(M, V, ld, u, cin, cout, xi, co0, j, R, 4);
        co0 += 4;
    }
    if (co0 + 2 <= cout) {
        product_block(M, V, ld, u, cin, cout, xi, co0, j, R, 2);
        co0 += 2;
    }
    if (co0 < cout)
        product_block(M, V, ld, u, cin, cout, xi, co0, j, R, 1);
}

/* Y = A^T M A of each tile, written to its 2x2 pixels: out = (accumulate ? out : 0) + Y, then
 * bias and ReLU as conv_direct_apply. */
KERNEL void output_tiles(float *out, size_t plane, const float *M, size_t ld, int cout,
                         size_t tv0, int nbb, int hw, const tile_maps *tm, int accumulate,
                         const float *bias, int relu)
{
    const int per_image = hw / 64;
    const __m512 zero = _mm512_setzero_ps();
    for (int bl = 0; bl < nbb; bl++) {
        const size_t tv = tv0 + bl;
        const size_t pix = (tv / per_image) * hw + (tv % per_image) * 64;
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
                const __m512i idx = _mm512_loadu_si512(tm->iout[v]);
                const int alo = tm->alo[v], ahi = tm->ahi[v];
                __m512 z = _mm512_permutex2var_ps(y[alo][0], idx, y[alo][1]);
                if (ahi != alo)
                    z = _mm512_mask_blend_ps(0xFF00, z,
                                             _mm512_permutex2var_ps(y[ahi][0], idx, y[ahi][1]));
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
    const size_t ntv = cols / 64, per_tv = conv_winograd_min_scratch(cin, cout);
    const size_t cap = scratch_floats < BLOCK_FLOATS ? scratch_floats : BLOCK_FLOATS;
    size_t nb = cap / per_tv;
    if (nb < 1)
        nb = 1;
    for (size_t tv0 = 0; tv0 < ntv; tv0 += nb) {
        const int nbb = (int)(ntv - tv0 < nb ? ntv - tv0 : nb);
        const size_t ld = (size_t)nbb * 16;
        float *V = scratch, *M = scratch + (size_t)16 * cin * ld;
        if (w == 16)
            input_tiles(V, ld, x, plane, cin, tv0, nbb, hw, &tm, 6);
        else
            input_tiles(V, ld, x, plane, cin, tv0, nbb, hw, &tm, 4);
        for (int xi = 0; xi < 16; xi++) {
            int v = 0;
            for (; v + R_MAX <= nbb; v += R_MAX)
                product_vectors(M, V, ld, u, cin, cout, xi, 16 * (size_t)v, R_MAX);
            for (; v < nbb; v++)
                product_vectors(M, V, ld, u, cin, cout, xi, 16 * (size_t)v, 1);
        }
        output_tiles(out, plane, M, ld, cout, tv0, nbb, hw, &tm, accumulate, bias, relu);
    }
}
