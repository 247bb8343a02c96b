/* model/conv_direct.c: direct 3x3 convolution kernels with AVX-512. See conv_direct.h.
 *
 * The file is compiled for the baseline ISA; only the kernels carry target("avx512f") and run
 * after conv_direct_usable has asked the CPU, so the same binary runs (on the im2col path) where
 * AVX-512 is missing, under valgrind among others. */
#include "model/conv_direct.h"

#include <immintrin.h>
#include <stdint.h>

#include "model/simd.h"

/* Register blocking. Forward: R_MAX x CO_MAX accumulators (simd.h), R_MAX registers for the input
 * vectors, the broadcast weight taken from memory by the FMA. Weight gradient: WG_CO output
 * channels x 9 taps = 27 accumulators for one input channel,
 * WG_CO gradient vectors and one input vector. */
#define WG_CO 3

int conv_direct_usable(int h, int w)
{
    const int hw = h * w;
    return hw % 16 == 0 && hw <= CONV_DIRECT_MAX_HW && __builtin_cpu_supports("avx512f");
}

void conv_direct_pack(float *wp, const float *w, int cout, int cin, int flip, int part, int parts)
{
    const int co0 = (int)((long)cout * part / parts), co1 = (int)((long)cout * (part + 1) / parts);
    for (int co = co0; co < co1; co++)
        for (int ci = 0; ci < cin; ci++)
            #pragma GCC unroll 9
            for (int t = 0; t < 9; t++) {
                const float v = w[((size_t)co * cin + ci) * 9 + t];
                if (flip)
                    wp[((size_t)co * 9 + 8 - t) * cin + ci] = v;
                else
                    wp[((size_t)ci * 9 + t) * cout + co] = v;
            }
}

/* The zero padding of an h x w image: mk[v*9 + t] says which lanes of vector v of an image
 * (positions 16v..16v+15) have their tap t inside the image; off[t] is the tap's offset in a
 * channel row. */
typedef struct borders {
    int phases;
    ptrdiff_t off[9];
    uint16_t mk[9 * (CONV_DIRECT_MAX_HW / 16)];
} borders;

static void border_masks(borders *b, int h, int w)
{
    const int phases = h * w / 16;
    uint16_t *mk = b->mk;
    ptrdiff_t *off = b->off;
    b->phases = phases;
    #pragma GCC unroll 9
    for (int t = 0; t < 9; t++) {
        const int dy = t / 3 - 1, dx = t % 3 - 1;
        off[t] = (ptrdiff_t)dy * w + dx;
        for (int v = 0; v < phases; v++) {
            uint16_t m = 0;
            for (int l = 0; l < 16; l++) {
                const int p = 16 * v + l, y = p / w + dy, x = p % w + dx;
                if (y >= 0 && y < h && x >= 0 && x < w)
                    m |= (uint16_t)(1u << l);
            }
            mk[v * 9 + t] = m;
        }
    }
}

/* Tap t's offset in a channel row: a constant when the kernel is built for one image width W
 * (the loads then address with immediate displacements, leaving registers to the loop), else
 * the table's. */
SIMD_KERNEL ptrdiff_t tap_off(const ptrdiff_t *off, int t, const int W)
{
    return W ? (ptrdiff_t)(t / 3 - 1) * W + (t % 3 - 1) : off[t];
}

/* R vectors starting at position j (phase ph0 of the image) x CO output channels from co0. R and
 * CO are constants at every call, so the accumulators live in registers. */
SIMD_KERNEL void apply_block(float *out, const float *x, size_t plane, const float *wp, int cin,
                             int cout, int co0, size_t j, const uint16_t *mk, int phases, int ph0,
                             const ptrdiff_t *off, int accumulate, const float *bias, int relu,
                             const int R, const int CO, const int W)
{
    __m512 acc[R_MAX][CO_MAX];
    __mmask16 m[9][R_MAX];
    #pragma GCC unroll 9
    for (int r = 0; r < R; r++) {
        const int ph = (ph0 + r) % phases;
        #pragma GCC unroll 9
        for (int t = 0; t < 9; t++)
            m[t][r] = mk[ph * 9 + t];
    }
    #pragma GCC unroll 9
    for (int c = 0; c < CO; c++)
        #pragma GCC unroll 9
        for (int r = 0; r < R; r++)
            acc[r][c] = accumulate ? _mm512_loadu_ps(out + (size_t)(co0 + c) * plane + j + 16 * r)
                                   : _mm512_setzero_ps();
    for (int ci = 0; ci < cin; ci++) {
        const float *src = x + (size_t)ci * plane + j;
        const float *wc = wp + (size_t)ci * 9 * cout + co0;
        #pragma GCC unroll 9
        for (int t = 0; t < 9; t++) {
            __m512 xv[R_MAX];
            #pragma GCC unroll 9
            for (int r = 0; r < R; r++)
                xv[r] = _mm512_maskz_loadu_ps(m[t][r], src + 16 * r + tap_off(off, t, W));
            #pragma GCC unroll 9
            for (int c = 0; c < CO; c++) {
                const __m512 wb = _mm512_set1_ps(wc[(size_t)t * cout + c]);
                #pragma GCC unroll 9
                for (int r = 0; r < R; r++)
                    acc[r][c] = _mm512_fmadd_ps(xv[r], wb, acc[r][c]);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    #pragma GCC unroll 9
    for (int c = 0; c < CO; c++) {
        float *dst = out + (size_t)(co0 + c) * plane + j;
        const __m512 b = _mm512_set1_ps(bias ? bias[co0 + c] : 0.0f);
        #pragma GCC unroll 9
        for (int r = 0; r < R; r++) {
            __m512 v = acc[r][c];
            if (bias)
                v = _mm512_add_ps(v, b);
            /* max(0, v) returns v when v is NaN (the second operand wins), and keeps -0 */
            if (relu)
                v = _mm512_max_ps(zero, v);
            _mm512_storeu_ps(dst + 16 * r, v);
        }
    }
}

/* All output channels of R vectors, in blocks of 8, 4, 2 and 1 channels. */
SIMD_KERNEL void apply_vectors(float *out, const float *x, size_t plane, const float *wp, int cin,
                               int cout, size_t j, const uint16_t *mk, int phases, int ph0,
                               const ptrdiff_t *off, int accumulate, const float *bias, int relu,
                               const int R, const int W)
{
#define APPLY_BLOCK(co0, width)                                                                    \
    apply_block(out, x, plane, wp, cin, cout, co0, j, mk, phases, ph0, off, accumulate, bias,     \
                relu, R, width, W)
    CHANNEL_BLOCKS(cout, APPLY_BLOCK);
#undef APPLY_BLOCK
}

/* The whole chunk for one image width W (0: any width). */
SIMD_KERNEL void apply_chunk(float *out, const float *x, size_t plane, const float *wp, int cin,
                             int cout, const borders *bd, size_t cols, int accumulate,
                             const float *bias, int relu, const int W)
{
    const size_t nvec = cols / 16;
    const int phases = bd->phases;
    size_t v = 0;
    /* vectors outermost: the block's input rows stay in L1 across the channel blocks */
    for (; v + R_MAX <= nvec; v += R_MAX)
        apply_vectors(out, x, plane, wp, cin, cout, 16 * v, bd->mk, phases, (int)(v % phases),
                      bd->off, accumulate, bias, relu, R_MAX, W);
    for (; v < nvec; v++)
        apply_vectors(out, x, plane, wp, cin, cout, 16 * v, bd->mk, phases, (int)(v % phases),
                      bd->off, accumulate, bias, relu, 1, W);
}

AVX512 void conv_direct_apply(float *out, const float *x, size_t plane, const float *wp, int cin,
                              int cout, int h, int w, size_t cols, int accumulate,
                              const float *bias, int relu)
{
    borders bd;
    border_masks(&bd, h, w);
    switch (w) {
    case 16:
        apply_chunk(out, x, plane, wp, cin, cout, &bd, cols, accumulate, bias, relu, 16);
        break;
    case 8:
        apply_chunk(out, x, plane, wp, cin, cout, &bd, cols, accumulate, bias, relu, 8);
        break;
    case 4:
        apply_chunk(out, x, plane, wp, cin, cout, &bd, cols, accumulate, bias, relu, 4);
        break;
    default:
        apply_chunk(out, x, plane, wp, cin, cout, &bd, cols, accumulate, bias, relu, 0);
    }
}

/* One vector v of the weight gradient's sums: a[c][t] += g[co0 + c][v] * tap t of x[v]. */
SIMD_KERNEL void wgrad_vector(__m512 a[WG_CO][9], const float *g, const float *xs, size_t plane,
                              int co0, size_t v, const __mmask16 m[9], const ptrdiff_t *off,
                              const int CO, const int W)
{
    __m512 gv[WG_CO];
    #pragma GCC unroll 9
    for (int c = 0; c < CO; c++)
        gv[c] = _mm512_loadu_ps(g + (size_t)(co0 + c) * plane + 16 * v);
    #pragma GCC unroll 9
    for (int t = 0; t < 9; t++) {
        const __m512 xv = _mm512_maskz_loadu_ps(m[t], xs + 16 * v + tap_off(off, t, W));
        #pragma GCC unroll 9
        for (int c = 0; c < CO; c++)
            a[c][t] = _mm512_fmadd_ps(gv[c], xv, a[c][t]);
    }
}

/* CO output channels from co0 against input channel ci, all nine taps, over nvec vectors. For
 * 16- and 8-wide images the vectors off the image's first and last rows have the same masks
 * every time (only the left and right columns are outside), and a 4x4 image has one set: held
 * as constants, since loading nine masks per vector from the table held the loop at 94-99
 * GFLOP/s (106-109 without). */
SIMD_KERNEL void wgrad_block(float *acc, const float *g, const float *x, size_t plane, int cin,
                             int co0, int ci, size_t nvec, const borders *bd, const int CO,
                             const int W)
{
    __m512 a[WG_CO][9];
    #pragma GCC unroll 9
    for (int c = 0; c < CO; c++)
        #pragma GCC unroll 9
        for (int t = 0; t < 9; t++)
            a[c][t] = _mm512_setzero_ps();
    const float *xs = x + (size_t)ci * plane;
    const int phases = bd->phases;
    const __mmask16 left = W == 16 ? 0xFFFE : 0xFEFE, right = W == 16 ? 0x7FFF : 0x7F7F;
    const __mmask16 inner[9] = { left, 0xFFFF, right, left, 0xFFFF, right, left, 0xFFFF, right };
    /* a 4x4 image is one vector: its nine masks never change (top row, bottom row, left and
     * right column off as the tap needs) */
    const __mmask16 img4[9] = { 0xEEE0, 0xFFF0, 0x7770, 0xEEEE, 0xFFFF,
                                0x7777, 0x0EEE, 0x0FFF, 0x0777 };
    int ph = 0;
    for (size_t v = 0; v < nvec; v++) {
        if (W == 4) {
            wgrad_vector(a, g, xs, plane, co0, v, img4, bd->off, CO, W);
        } else if ((W == 16 || W == 8) && ph > 0 && ph < phases - 1) {
            wgrad_vector(a, g, xs, plane, co0, v, inner, bd->off, CO, W);
        } else {
            __mmask16 m[9];
            #pragma GCC unroll 9
            for (int t = 0; t < 9; t++)
                m[t] = bd->mk[ph * 9 + t];
            wgrad_vector(a, g, xs, plane, co0, v, m, bd->off, CO, W);
        }
        if (++ph == phases)
            ph = 0;
    }
    #pragma GCC unroll 9
    for (int c = 0; c < CO; c++)
        #pragma GCC unroll 9
        for (int t = 0; t < 9; t++)
            acc[((size_t)(co0 + c) * cin + ci) * 9 + t] += _mm512_reduce_add_ps(a[c][t]);
}

SIMD_KERNEL void wgrad_chunk(float *acc, const float *g, const float *x, size_t plane, int cin,
                             int cout, const borders *bd, size_t cols, const int W)
{
    const size_t nvec = cols / 16;
    int co0 = 0;
    for (; co0 + WG_CO <= cout; co0 += WG_CO)
        for (int ci = 0; ci < cin; ci++)
            wgrad_block(acc, g, x, plane, cin, co0, ci, nvec, bd, WG_CO, W);
    if (cout - co0 == 2)
        for (int ci = 0; ci < cin; ci++)
            wgrad_block(acc, g, x, plane, cin, co0, ci, nvec, bd, 2, W);
    else if (cout - co0 == 1)
        for (int ci = 0; ci < cin; ci++)
            wgrad_block(acc, g, x, plane, cin, co0, ci, nvec, bd, 1, W);
}

AVX512 void conv_direct_wgrad(float *acc, const float *g, const float *x, size_t plane, int cin,
                              int cout, int h, int w, size_t cols)
{
    borders bd;
    border_masks(&bd, h, w);
    switch (w) {
    case 16: wgrad_chunk(acc, g, x, plane, cin, cout, &bd, cols, 16); break;
    case 8: wgrad_chunk(acc, g, x, plane, cin, cout, &bd, cols, 8); break;
    case 4: wgrad_chunk(acc, g, x, plane, cin, cout, &bd, cols, 4); break;
    default: wgrad_chunk(acc, g, x, plane, cin, cout, &bd, cols, 0);
    }
}
