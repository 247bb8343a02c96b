/* model/layers.c: convolution, transposed convolution and max-pool, chunked over whole samples.
 * See layers.h for the layout and the threading model. */
#include "model/layers.h"

#include <omp.h>
#include <string.h>

#include "model/conv_direct.h"
#include "model/conv_winograd.h"
#include "model/gemm.h"
#include "model/layer_util.h"
#include "model/pool_simd.h"

/* ---- sizes ------------------------------------------------------------------------------------ */

/* A chunk's scratch per sample: an im2col (of the input, or of the output gradient) and a
 * transposed chunk (of the input or of the output gradient). A 1x1 convolution reads its input
 * in place. */
static size_t im2col_per_sample(const conv_desc *d)
{
    const size_t hw = (size_t)d->h * d->w;
    const int c = d->cin > d->cout ? d->cin : d->cout;
    return (d->ksize == 1 ? 0 : (size_t)9 * c * hw) + (size_t)c * hw;
}

size_t conv_scratch_floats(const conv_desc *d, int max_n)
{
    return chunk_scratch_floats(im2col_per_sample(d), LAYER_CHUNK_FLOATS, max_n);
}

size_t conv_acc_floats(const conv_desc *d)
{
    return (size_t)d->ksize * d->ksize * d->cin * d->cout + d->cout;
}

size_t conv_shared_floats(const conv_desc *d)
{
    return d->ksize == 3 ? conv_winograd_weight_floats(d->cin, d->cout) : 0;
}

size_t upconv_scratch_floats(int cout, int h, int w, int max_n)
{
    return chunk_scratch_floats((size_t)cout * 4 * h * w, LAYER_CHUNK_FLOATS, max_n);
}

static int conv_chunks(int n, const conv_desc *d, int threads)
{
    return plan_chunks(n, im2col_per_sample(d), LAYER_CHUNK_FLOATS, threads);
}

/* ---- im2col / col2im for 3x3, padding 1 ---------------------------------------------------- */

/* For tap (ky, kx), column j of a chunk reads input j + (ky-1)*w + (kx-1) of the same channel:
 * one shifted copy of the whole chunk, then zeros where the tap falls outside its own image
 * (first/last column of every row, first/last row of every sample). This replaces a copy per
 * image row, which a prototype found to be the bottleneck. */
static void zero_outside(float *row, int ns, int h, int w, int ky, int kx)
{
    const int hw = h * w;
    if (kx != 1) {
        const int col = kx == 0 ? 0 : w - 1;
        for (int r = 0; r < ns * h; r++)
            row[(size_t)r * w + col] = 0.0f;
    }
    if (ky != 1) {
        const int line = ky == 0 ? 0 : h - 1;
        for (int s = 0; s < ns; s++)
            memset(row + (size_t)s * hw + (size_t)line * w, 0, sizeof(float) * w);
    }
}

/* Columns j of a chunk whose tap j + off lies inside the chunk: [j0, j1), possibly empty (a 1x1
 * image at the deepest level of a small patch has no neighbours at all). */
static void tap_range(ptrdiff_t off, size_t cols, size_t *j0, size_t *j1)
{
    const size_t lo = off < 0 ? (size_t)-off : 0;
    const size_t hi = off > 0 ? ((size_t)off < cols ? cols - (size_t)off : 0) : cols;
    *j0 = lo < cols ? lo : cols;
    *j1 = hi > *j0 ? hi : *j0;
}

static void im2col3x3(float *col, const float *x, size_t plane, int cin, int ns, int h, int w)
{
    const size_t cols = (size_t)ns * h * w;
    for (int ci = 0; ci < cin; ci++) {
        const float *src = x + (size_t)ci * plane;
        for (int t = 0; t < 9; t++) {
            const int ky = t / 3, kx = t % 3;
            const ptrdiff_t off = (ptrdiff_t)(ky - 1) * w + (kx - 1);
            float *dst = col + ((size_t)ci * 9 + t) * cols;
            size_t j0, j1;
            tap_range(off, cols, &j0, &j1);
            memset(dst, 0, sizeof(float) * j0);
            memcpy(dst + j0, src + j0 + off, sizeof(float) * (j1 - j0));
            memset(dst + j1, 0, sizeof(float) * (cols - j1));
            zero_outside(dst, ns, h, w, ky, kx);
        }
    }
}

/* Thread 0's accumulator (after sum_accumulators) into the gradients. It holds the weight
 * gradient transposed, [wcols][wrows], when `transposed` (see conv2d_backward), then nbias bias
 * gradients. */
static void add_accumulated(const layer_scratch *s, float *dweight, int wrows, int wcols,
                            int transposed, float *dbias, int nbias)
{
    const float *acc = s->acc;
    const size_t wcount = (size_t)wrows * wcols;
    if (transposed) {
        for (int r = 0; r < wrows; r++)
            for (int k = 0; k < wcols; k++)
                dweight[(size_t)r * wcols + k] += acc[(size_t)k * wrows + r];
    } else {
        for (size_t i = 0; i < wcount; i++)
            dweight[i] += acc[i];
    }
    for (int i = 0; i < nbias; i++)
        dbias[i] += acc[wcount + i];
}

/* ---- convolution ----------------------------------------------------------------------------- */

/* The AVX-512 kernels for 3x3 layers whose images they take, on a CPU that has them: Winograd
 * where use_winograd allows it, the direct kernels (conv_direct.h) for the rest; no im2col pass,
 * and products at the FMA rate. */
static int use_simd_kernels(const conv_desc *d, const layer_scratch *s)
{
    return s->conv_algo != LAYER_CONV_IM2COL && d->ksize == 3 && conv_direct_usable(d->h, d->w);
}

/* Winograd (conv_winograd.h) for a 3x3 product with nin input channels, when allowed and the
 * per-thread scratch holds a block of tiles. */
static int use_winograd(const conv_desc *d, const layer_scratch *s, int nin, int nout)
{
    return s->conv_algo == LAYER_CONV_AUTO && d->ksize == 3 &&
           conv_winograd_usable(d->h, d->w, nin) &&
           s->col_floats >= conv_winograd_min_scratch(nin, nout);
}

/* Rearranges the weights into s->shared for the Winograd or the direct kernels, each thread of
 * the enclosing parallel region taking its share (a serial pack left the other thread waiting:
 * 2 % of a 2-thread step); returns when all shares are done. */
static void pack_weights(layer_scratch *s, const float *weight, int cout, int cin, int wino,
                         int flip)
{
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    if (wino)
        conv_winograd_pack(s->shared, weight, cout, cin, flip, t, nt);
    else
        conv_direct_pack(s->shared, weight, cout, cin, flip, t, nt);
#pragma omp barrier
}

/* Forward with the AVX-512 kernels, Winograd or direct: per thread, one chunk of samples, bias
 * and ReLU applied as each block is stored. */
static void conv2d_forward_simd(float *y, const float *x, const float *weight, const float *bias,
                                  int n, const conv_desc *d, layer_scratch *s)
{
    const int cin = d->cin, cout = d->cout, h = d->h, w = d->w, relu = d->relu;
    const size_t hw = (size_t)h * w, plane = (size_t)n * hw;
    const int wino = use_winograd(d, s, cin, cout);
    const int nch = n < s->threads ? n : s->threads;
#pragma omp parallel num_threads(s->threads)
    {
        pack_weights(s, weight, cout, cin, wino, 0);
#pragma omp for schedule(static)
        for (int c = 0; c < nch; c++) {
            const int s0 = chunk_begin(c, n, nch), s1 = chunk_begin(c + 1, n, nch);
            const size_t cols = (size_t)(s1 - s0) * hw;
            double t0 = prof_now(s);
            if (wino)
                conv_winograd_apply(y + s0 * hw, x + s0 * hw, plane, s->shared, cin, cout, h, w,
                                    cols, 0, bias, relu, thread_col(s), s->col_floats);
            else
                conv_direct_apply(y + s0 * hw, x + s0 * hw, plane, s->shared, cin, cout, h, w,
                                  cols, 0, bias, relu);
            PROF_ADD(s, conv_fwd, &t0);
        }
    }
}

/* Backward with the AVX-512 kernels: per thread, one chunk of samples (the weight gradient's
 * horizontal sums are then paid once per thread, not per cache-sized chunk), the ReLU mask and
 * bias sum, the weight gradient (direct kernels), and the input gradient as a forward convolution
 * of dy with the flipped weights (Winograd, or the direct kernels where it is not allowed). */
static void conv2d_backward_simd(float *dx, float *dweight, float *dbias, float *dy,
                                   const float *y, const float *x, const float *weight, int n,
                                   const conv_desc *d, int dx_add, layer_scratch *s)
{
    const int cin = d->cin, cout = d->cout, h = d->h, w = d->w, relu = d->relu;
    const size_t hw = (size_t)h * w, plane = (size_t)n * hw;
    const size_t wcount = (size_t)9 * cin * cout;
    const int nch = n < s->threads ? n : s->threads;
    const int used = threads_used(nch, s->threads);
    const int wino = dx && use_winograd(d, s, cout, cin);
#pragma omp parallel num_threads(s->threads)
    {
        if (dx)
            pack_weights(s, weight, cout, cin, wino, 1);
        float *acc = thread_accumulator(s, used, wcount + cout);
#pragma omp for schedule(static)
        for (int c = 0; c < nch; c++) {
            const int s0 = chunk_begin(c, n, nch), s1 = chunk_begin(c + 1, n, nch);
            const size_t cols = (size_t)(s1 - s0) * hw;
            float *g = dy + s0 * hw;
            double t0 = prof_now(s);
            act_backward(g, relu ? y + s0 * hw : NULL, plane, cout, cols, relu, acc + wcount);
            PROF_ADD(s, elementwise, &t0);
            conv_direct_wgrad(acc, g, x + s0 * hw, plane, cin, cout, h, w, cols);
            PROF_ADD(s, conv_wgrad, &t0);
            if (wino) {
                conv_winograd_apply(dx + s0 * hw, g, plane, s->shared, cout, cin, h, w, cols,
                                    dx_add, NULL, 0, thread_col(s), s->col_floats);
                PROF_ADD(s, conv_dgrad, &t0);
            } else if (dx) {
                conv_direct_apply(dx + s0 * hw, g, plane, s->shared, cout, cin, h, w, cols,
                                  dx_add, NULL, 0);
                PROF_ADD(s, conv_dgrad, &t0);
            }
        }
    }
    sum_accumulators(s, used, wcount + cout);
    add_accumulated(s, dweight, cout, 9 * cin, 0, dbias, cout);
}

void conv2d_forward(float *y, const float *x, const float *weight, const float *bias, int n,
                    const conv_desc *d, layer_scratch *s)
{
    const int cin = d->cin, cout = d->cout, h = d->h, w = d->w, ksize = d->ksize, relu = d->relu;
    const size_t hw = (size_t)h * w, plane = (size_t)n * hw;
    const int K = ksize == 1 ? cin : cin * 9;
    if (use_simd_kernels(d, s)) {
        conv2d_forward_simd(y, x, weight, bias, n, d, s);
        return;
    }
    const int nch = conv_chunks(n, d, s->threads);

#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (int c = 0; c < nch; c++) {
        const int s0 = chunk_begin(c, n, nch), s1 = chunk_begin(c + 1, n, nch);
        const size_t cols = (size_t)(s1 - s0) * hw;
        double t0 = prof_now(s);
        const float *B = x + s0 * hw;
        int ldb = (int)plane;
        if (ksize == 3) {
            float *col = thread_col(s);
            im2col3x3(col, x + s0 * hw, plane, cin, s1 - s0, h, w);
            B = col;
            ldb = (int)cols;
            PROF_ADD(s, im2col, &t0);
        }
        gemm(0, 0, cout, (int)cols, K, 1.0f, weight, K, B, ldb, 0.0f, y + s0 * hw, (int)plane);
        PROF_ADD(s, conv_fwd, &t0);
        bias_act(y + s0 * hw, plane, bias, cout, cols, relu);
        PROF_ADD(s, elementwise, &t0);
    }
}

/* The kernel of the input gradient: dx = conv(dy, wf) with wf[ci][co][t] = w[co][ci][8 - t],
 * the weights transposed and turned by 180 degrees, so the input gradient is a forward
 * convolution of dy: im2col and an NN GEMM (113-116 GFLOP/s here) instead of a TN GEMM (103)
 * followed by col2im's nine scattered add passes. */
static void flip_weights(const float *w, float *wf, int cout, int cin)
{
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
            for (int t = 0; t < 9; t++)
                wf[((size_t)ci * cout + co) * 9 + t] = w[((size_t)co * cin + ci) * 9 + 8 - t];
}

/* dst[j][c] = src[c][j] for a chunk of `cols` columns of `rows` channel rows (row stride plane). */
static void transpose_chunk(float *dst, const float *src, size_t plane, int rows, size_t cols)
{
    const size_t block = 64;
    for (size_t j0 = 0; j0 < cols; j0 += block) {
        const size_t j1 = j0 + block < cols ? j0 + block : cols;
        for (int c = 0; c < rows; c++) {
            const float *in = src + (size_t)c * plane;
            for (size_t j = j0; j < j1; j++)
                dst[j * rows + c] = in[j];
        }
    }
}

/* Adds the weight gradient gathered with turned taps, acc[(co*9 + t')][ci] for t' = 8 - t, into
 * dweight[co][ci][t]; then the bias gradients that follow it. */
static void add_accumulated_turned(const layer_scratch *s, float *dweight, int cout, int cin,
                                   float *dbias)
{
    const float *acc = s->acc;
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
            for (int t = 0; t < 9; t++)
                dweight[((size_t)co * cin + ci) * 9 + t] += acc[((size_t)co * 9 + 8 - t) * cin + ci];
    for (int co = 0; co < cout; co++)
        dbias[co] += acc[(size_t)cout * 9 * cin + co];
}

/* The backward pass, per chunk, with GEMMs in the NN orientation that ran fastest here (84-116
 * GFLOP/s, where the NT forms of the weight gradient ran at 35-111):
 * - with an input gradient (3x3): one im2col, of dy, serves both products. The input gradient is
 *   a forward convolution of dy with the flipped weights, dx += wf * col(dy); the weight gradient
 *   is sum_p col(dy)[co, t'][p] x[ci][p], which is dW[co][ci][8 - t'], an NN GEMM against the
 *   chunk of x transposed (9x smaller than an im2col of x).
 * - without one (the first layer, whose x has only 3 channels): dW^T[K][cout] += col(x) dyT.
 * - 1x1: no im2col at all. */
void conv2d_backward(float *dx, float *dweight, float *dbias, float *dy, const float *y,
                     const float *x, const float *weight, int n, const conv_desc *d, int dx_add,
                     layer_scratch *s)
{
    if (use_simd_kernels(d, s)) {
        conv2d_backward_simd(dx, dweight, dbias, dy, y, x, weight, n, d, dx_add, s);
        return;
    }
    const float beta_dx = dx_add ? 1.0f : 0.0f;
    const int cin = d->cin, cout = d->cout, h = d->h, w = d->w, ksize = d->ksize, relu = d->relu;
    const size_t hw = (size_t)h * w, plane = (size_t)n * hw;
    const int K = ksize == 1 ? cin : cin * 9;
    const int nch = conv_chunks(n, d, s->threads);
    const int used = threads_used(nch, s->threads);
    const size_t wcount = (size_t)K * cout;
    const int via_dy = dx && ksize == 3;
    const float *wf = s->shared;
    if (via_dy)
        flip_weights(weight, s->shared, cout, cin);

#pragma omp parallel num_threads(s->threads)
    {
        float *acc = thread_accumulator(s, used, wcount + cout);
#pragma omp for schedule(static)
        for (int c = 0; c < nch; c++) {
            const int s0 = chunk_begin(c, n, nch), s1 = chunk_begin(c + 1, n, nch), ns = s1 - s0;
            const size_t cols = (size_t)ns * hw;
            float *g = dy + s0 * hw;
            const float *xc = x + s0 * hw;
            float *tr = thread_col(s);   /* x or dy transposed */
            double t0 = prof_now(s);
            act_backward(g, relu ? y + s0 * hw : NULL, plane, cout, cols, relu, acc + wcount);
            PROF_ADD(s, elementwise, &t0);
            if (via_dy) {
                float *col = tr + (size_t)cin * cols;
                transpose_chunk(tr, xc, plane, cin, cols);
                im2col3x3(col, g, plane, cout, ns, h, w);
                PROF_ADD(s, im2col, &t0);
                gemm(0, 0, cout * 9, cin, (int)cols, 1.0f, col, (int)cols, tr, cin, 1.0f, acc, cin);
                PROF_ADD(s, conv_wgrad, &t0);
                gemm(0, 0, cin, (int)cols, cout * 9, 1.0f, wf, cout * 9, col, (int)cols, beta_dx,
                     dx + s0 * hw, (int)plane);
                PROF_ADD(s, conv_dgrad, &t0);
                continue;
            }
            const float *a = xc;
            int lda = (int)plane;
            transpose_chunk(tr, g, plane, cout, cols);
            if (ksize == 3) {
                float *col = tr + (size_t)cout * cols;
                im2col3x3(col, xc, plane, cin, ns, h, w);
                a = col;
                lda = (int)cols;
            }
            PROF_ADD(s, im2col, &t0);
            gemm(0, 0, K, cout, (int)cols, 1.0f, a, lda, tr, cout, 1.0f, acc, cout);
            PROF_ADD(s, conv_wgrad, &t0);
            if (dx) {
                gemm(1, 0, K, (int)cols, cout, 1.0f, weight, K, g, (int)plane, beta_dx,
                     dx + s0 * hw, (int)plane);
                PROF_ADD(s, conv_dgrad, &t0);
            }
        }
    }
    sum_accumulators(s, used, wcount + cout);
    if (via_dy)
        add_accumulated_turned(s, dweight, cout, cin, dbias);
    else
        add_accumulated(s, dweight, cout, K, 1, dbias, cout);
}

/* ---- transposed convolution, k = 2, s = 2 ---------------------------------------------------- */

/* As a GEMM: z[(co, a, b)][j] = sum_ci W[ci][(co, a, b)] * x[ci][j], then output pixel
 * (2y + a, 2x + b) of channel co takes z[(co, a, b)][(y, x)] + bias[co]: the four taps never
 * overlap, so the scatter is a plain interleaving copy. */
static int upconv_chunks(int n, int cout, int h, int w, int threads)
{
    return plan_chunks(n, (size_t)cout * 4 * h * w, LAYER_CHUNK_FLOATS, threads);
}

void upconv2x2_forward(float *y, const float *x, const float *weight, const float *bias, int n,
                       int cin, int cout, int h, int w, layer_scratch *s)
{
    const size_t hw = (size_t)h * w, plane_in = (size_t)n * hw, plane_out = plane_in * 4;
    const int nch = upconv_chunks(n, cout, h, w, s->threads);

#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (int c = 0; c < nch; c++) {
        const int s0 = chunk_begin(c, n, nch), s1 = chunk_begin(c + 1, n, nch);
        const int ns = s1 - s0;
        const size_t cols = (size_t)ns * hw;
        float *z = thread_col(s);
        double t0 = prof_now(s);
        gemm(1, 0, cout * 4, (int)cols, cin, 1.0f, weight, cout * 4, x + s0 * hw, (int)plane_in,
             0.0f, z, (int)cols);
        PROF_ADD(s, conv_fwd, &t0);
        for (int co = 0; co < cout; co++) {
            const float b = bias[co];
            float *out = y + (size_t)co * plane_out + (size_t)s0 * hw * 4;
            for (int a = 0; a < 2; a++) {
                const float *z0 = z + (size_t)(co * 4 + a * 2) * cols;
                const float *z1 = z0 + cols;
                for (size_t r = 0; r < (size_t)ns * h; r++) {    /* input row r -> output row 2r+a */
                    float *o = out + (2 * r + a) * (size_t)(2 * w);
                    const float *p0 = z0 + r * w, *p1 = z1 + r * w;
                    for (int xx = 0; xx < w; xx++) {
                        o[2 * xx] = p0[xx] + b;
                        o[2 * xx + 1] = p1[xx] + b;
                    }
                }
            }
        }
        PROF_ADD(s, im2col, &t0);
    }
}

void upconv2x2_backward(float *dx, float *dweight, float *dbias, const float *dy, const float *x,
                        const float *weight, int n, int cin, int cout, int h, int w, int dx_add,
                        layer_scratch *s)
{
    const size_t hw = (size_t)h * w, plane_in = (size_t)n * hw, plane_out = plane_in * 4;
    const int nch = upconv_chunks(n, cout, h, w, s->threads);
    const int used = threads_used(nch, s->threads);
    const int M = cout * 4;
    const size_t wcount = (size_t)cin * M;

#pragma omp parallel num_threads(s->threads)
    {
        float *acc = thread_accumulator(s, used, wcount + cout);
#pragma omp for schedule(static)
        for (int c = 0; c < nch; c++) {
            const int s0 = chunk_begin(c, n, nch), s1 = chunk_begin(c + 1, n, nch);
            const int ns = s1 - s0;
            const size_t cols = (size_t)ns * hw;
            float *dz = thread_col(s);
            double t0 = prof_now(s);
            bias_grad(dy + (size_t)s0 * hw * 4, plane_out, cout, cols * 4, acc + wcount);
            for (int co = 0; co < cout; co++) {
                const float *g = dy + (size_t)co * plane_out + (size_t)s0 * hw * 4;
                for (int a = 0; a < 2; a++) {
                    float *z0 = dz + (size_t)(co * 4 + a * 2) * cols;
                    float *z1 = z0 + cols;
                    for (size_t r = 0; r < (size_t)ns * h; r++) {
                        const float *gr = g + (2 * r + a) * (size_t)(2 * w);
                        float *p0 = z0 + r * w, *p1 = z1 + r * w;
                        for (int xx = 0; xx < w; xx++) {
                            p0[xx] = gr[2 * xx];
                            p1[xx] = gr[2 * xx + 1];
                        }
                    }
                }
            }
            PROF_ADD(s, im2col, &t0);
            /* dW[ci][m] += x[ci][cols] * dz[m][cols]^T */
            gemm(0, 1, cin, M, (int)cols, 1.0f, x + s0 * hw, (int)plane_in, dz, (int)cols, 1.0f, acc,
                 M);
            PROF_ADD(s, conv_wgrad, &t0);
            gemm(0, 0, cin, (int)cols, M, 1.0f, weight, M, dz, (int)cols, dx_add ? 1.0f : 0.0f,
                 dx + s0 * hw, (int)plane_in);
            PROF_ADD(s, conv_dgrad, &t0);
        }
    }
    sum_accumulators(s, used, wcount + cout);
    add_accumulated(s, dweight, cin, M, 0, dbias, cout);
}

/* ---- max-pool 2x2 ---------------------------------------------------------------------------- */

/* Output o of the flattened tensor: row pair o / wo of the input (h is even, so row pairs run on
 * across images), column o % wo. */
static void maxpool_output(float *y, uint8_t *argmax, const float *x, size_t o, int w)
{
    const int wo = w / 2;
    const float *r0 = x + (o / wo) * 2 * w + 2 * (o % wo), *r1 = r0 + w;
    const float v[4] = { r0[0], r0[1], r1[0], r1[1] };
    float best = v[0];
    int bi = 0;
    for (int k = 1; k < 4; k++) {
        if (v[k] > best || v[k] != v[k]) {
            best = v[k];
            bi = k;
            if (v[k] != v[k])
                break;
        }
    }
    y[o] = best;
    argmax[o] = (uint8_t)bi;
}

void maxpool2x2_forward(float *y, uint8_t *argmax, const float *x, int n, int c, int h, int w,
                        layer_scratch *s)
{
    const size_t outputs = (size_t)c * n * (h / 2) * (w / 2);
    const int simd = maxpool_simd_usable(w);
    const size_t blocks = simd ? outputs / 16 : 0;
    double t0 = prof_now(s);
#pragma omp parallel num_threads(s->threads)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        if (blocks)
            maxpool_simd_forward(y, argmax, x, blocks * t / nt, blocks * (t + 1) / nt, w);
        const size_t rest = outputs - 16 * blocks;
        for (size_t o = 16 * blocks + rest * t / nt; o < 16 * blocks + rest * (t + 1) / nt; o++)
            maxpool_output(y, argmax, x, o, w);
    }
    PROF_ADD(s, pool, &t0);
}

void maxpool2x2_backward(float *dx, const float *dy, const uint8_t *argmax, int n, int c, int h,
                         int w, layer_scratch *s)
{
    const int ho = h / 2, wo = w / 2;
    const long planes = (long)c * n;
    double t0 = prof_now(s);
#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (long p = 0; p < planes; p++) {
        float *in = dx + (size_t)p * h * w;
        const float *g = dy + (size_t)p * ho * wo;
        const uint8_t *idx = argmax + (size_t)p * ho * wo;
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const int k = idx[oy * wo + ox];
                in[(size_t)(2 * oy + (k >> 1)) * w + 2 * ox + (k & 1)] += g[oy * wo + ox];
            }
    }
    PROF_ADD(s, pool, &t0);
}
