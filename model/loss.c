/* model/loss.c: pixel losses and the Laplacian term, forward and backward, computed in double.
 *
 * The Laplacian term is linear, K*ŷ - K*y = K*(ŷ - y), so each image plane is differenced once,
 * filtered once, and its gradient is the adjoint filter applied to 2λ/N · K*(ŷ - y). With
 * reflect101 or replicate borders the adjoint is not the same stencil (border pixels are read
 * more than once), so stencil3x3_backward scatters through the same border mapping. */
#include "model/loss.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* Where tap offset d (-1, 0, 1) of pixel i lands in a line of n pixels; -1 means a zero border. */
static inline int border_index(int i, int d, int n, enum lap_border b)
{
    int j = i + d;
    if (j >= 0 && j < n)
        return j;
    switch (b) {
    case BORDER_REFLECT101:
        return j < 0 ? 1 : n - 2;
    case BORDER_REPLICATE:
        return j < 0 ? 0 : n - 1;
    default:
        return -1;
    }
}

/* The taps of the stencil at pixel (i, j) of an h x w plane, through the border mapping, in
 * row-major order: for each, the pixel it reads (at) and its place in the kernel (tap). Returns
 * how many there are (fewer than 9 with a zero border). The forward reads and the backward
 * scatters through the same list, so that the two stay each other's adjoint. */
static inline int border_taps(enum lap_border b, int i, int j, int h, int w, size_t at[9],
                              int tap[9])
{
    int n = 0;
    for (int dy = -1; dy <= 1; dy++) {
        const int y = border_index(i, dy, h, b);
        if (y < 0)
            continue;
        for (int dx = -1; dx <= 1; dx++) {
            const int x = border_index(j, dx, w, b);
            if (x >= 0) {
                at[n] = (size_t)y * w + x;
                tap[n++] = (dy + 1) * 3 + dx + 1;
            }
        }
    }
    return n;
}

static double stencil_at(const double k[9], enum lap_border b, const double *in, int i, int j,
                         int h, int w)
{
    size_t at[9];
    int tap[9];
    const int n = border_taps(b, i, j, h, w, at, tap);
    double acc = 0.0;
    for (int t = 0; t < n; t++)
        acc += k[tap[t]] * in[at[t]];
    return acc;
}

void stencil3x3_forward(const double k[9], enum lap_border b, const double *in, double *out, int h,
                        int w)
{
    for (int i = 0; i < h; i++) {
        const int border_row = i == 0 || i == h - 1;
        for (int j = 0; j < w; j++) {
            if (border_row || j == 0 || j == w - 1) {
                out[(size_t)i * w + j] = stencil_at(k, b, in, i, j, h, w);
                continue;
            }
            const double *r0 = in + (size_t)(i - 1) * w + j, *r1 = r0 + w, *r2 = r1 + w;
            out[(size_t)i * w + j] = k[0] * r0[-1] + k[1] * r0[0] + k[2] * r0[1] + k[3] * r1[-1] +
                                     k[4] * r1[0] + k[5] * r1[1] + k[6] * r2[-1] + k[7] * r2[0] +
                                     k[8] * r2[1];
        }
    }
}

void stencil3x3_backward(const double k[9], enum lap_border b, const double *restrict grad_out,
                         double *restrict grad_in, int h, int w)
{
    /* Interior sources: their nine taps land inside, so each tap is one shifted row update (the
     * compiler vectorises it; the per-pixel border lookups made this 1.7 % of a training step) */
    for (int i = 1; i < h - 1; i++)
        for (int t = 0; t < 9; t++) {
            const double kt = k[t];
            const double *src = grad_out + (size_t)i * w;
            double *dst = grad_in + (size_t)(i + t / 3 - 1) * w + (t % 3 - 1);
            for (int j = 1; j < w - 1; j++)
                dst[j] += kt * src[j];
        }
    /* Sources on the border, through the border mapping */
    for (int i = 0; i < h; i++) {
        const int border_row = i == 0 || i == h - 1;
        for (int j = 0; j < w; j += border_row || j == w - 1 ? 1 : w - 1) {
            const double g = grad_out[(size_t)i * w + j];
            size_t at[9];
            int tap[9];
            const int n = border_taps(b, i, j, h, w, at, tap);
            for (int t = 0; t < n; t++)
                grad_in[at[t]] += k[tap[t]] * g;
        }
    }
}

double loss_effective_weight(const loss_options *o)
{
    return o->lap_weight > 0 ? o->lap_weight * lap_white_noise_gain(o->kernel, o->kernel_norm) : 0.0;
}

/* ---- pixel losses ---------------------------------------------------------------------------- */

/* Sum of the per-value loss; writes d(sum)/dŷ * scale into dyhat when it is not NULL. */
static double pixel_sum(enum pixel_loss kind, const float *yhat, const float *y, float *dyhat,
                        size_t count, double scale)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        const double d = (double)yhat[i] - (double)y[i];
        double g;
        switch (kind) {
        case PIXEL_L1:
            sum += fabs(d);
            g = (d > 0) - (d < 0);   /* 0 at 0, as torch's l1_loss */
            break;
        case PIXEL_CHARBONNIER: {
            const double r = sqrt(d * d + CHARBONNIER_EPS * CHARBONNIER_EPS);
            sum += r;
            g = d / r;
            break;
        }
        default:
            sum += d * d;
            g = 2.0 * d;
            break;
        }
        if (dyhat)
            dyhat[i] = (float)(g * scale);
    }
    return sum;
}

/* ---- the Laplacian term ---------------------------------------------------------------------- */

static const double box3x3[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };

/* The Keras recipe's channel mixing over three planes of hw values: out_o = sum_i L[i][o] in_i
 * with L[i][o] = k[i*3+o]; transposed, its adjoint out_i = sum_o L[i][o] in_o. */
static void mix_channels(const double k[9], int transposed, const double *in, double *out,
                         size_t hw)
{
    for (int a = 0; a < 3; a++)
        for (size_t p = 0; p < hw; p++) {
            double v = 0.0;
            for (int b = 0; b < 3; b++)
                v += (transposed ? k[a * 3 + b] : k[b * 3 + a]) * in[b * hw + p];
            out[a * hw + p] = v;
        }
}

/* K* of one sample's three planes (in, out: 3*h*w doubles; box: 3*h*w scratch). For K4 and K8
 * each channel is filtered alone. The Keras recipe is a (3, 3, 3, 3) kernel with
 * kernel[kh][kw][i][o] = L[i][o] and zero padding: out_o = sum_i L[i][o] * box3x3(in_i). */
static void lap_sample_forward(const loss_options *o, const double k[9], const double *in,
                               double *out, double *box, int h, int w)
{
    const size_t hw = (size_t)h * w;
    const int keras = lap_kernel_def_of(o->kernel)->mixes_channels;
    for (int c = 0; c < 3; c++)
        stencil3x3_forward(keras ? box3x3 : k, keras ? BORDER_ZERO : o->border, in + c * hw,
                           (keras ? box : out) + c * hw, h, w);
    if (keras)
        mix_channels(k, 0, box, out, hw);
}

/* The adjoint: grad_in += K^T * grad_out (a zero-padded box sum is its own adjoint; gbox: 3*h*w
 * scratch). */
static void lap_sample_backward(const loss_options *o, const double k[9], const double *grad_out,
                                double *grad_in, double *gbox, int h, int w)
{
    const size_t hw = (size_t)h * w;
    const int keras = lap_kernel_def_of(o->kernel)->mixes_channels;
    if (keras)
        mix_channels(k, 1, grad_out, gbox, hw);
    for (int c = 0; c < 3; c++)
        stencil3x3_backward(keras ? box3x3 : k, keras ? BORDER_ZERO : o->border,
                            (keras ? gbox : grad_out) + c * hw, grad_in + c * hw, h, w);
}

/* Sample s's three planes of a channel-major (3, n*h*w) array, as doubles. */
static void sample_planes(const float *a, const float *b, int s, int n, size_t hw, double *out)
{
    const size_t plane = (size_t)n * hw;
    for (int c = 0; c < 3; c++) {
        const size_t at = c * plane + (size_t)s * hw;
        for (size_t p = 0; p < hw; p++)
            out[c * hw + p] = (double)a[at + p] - (b ? (double)b[at + p] : 0.0);
    }
}

void lap_map(const loss_options *o, const float *img, double *out, double *scratch, int n, int h,
             int w)
{
    const size_t hw = (size_t)h * w;
    double k[9];
    lap_stencil(o->kernel, o->kernel_norm, k);
    for (int s = 0; s < n; s++) {
        sample_planes(img, NULL, s, n, hw, scratch);
        lap_sample_forward(o, k, scratch, scratch + 3 * hw, scratch + 6 * hw, h, w);
        for (int c = 0; c < 3; c++)
            memcpy(out + (size_t)c * n * hw + (size_t)s * hw, scratch + (3 + c) * hw,
                   sizeof(double) * hw);
    }
}

/* Sum over samples [s0, s1) of (K*(ŷ - y))^2, adding scale · d(sum)/dŷ into dyhat when it is not
 * NULL. yhat, y, dyhat are channel-major (3, n*h*w). */
static double lap_sum(const loss_options *o, const float *yhat, const float *y, float *dyhat,
                      double *scratch, int s0, int s1, int n, int h, int w, double scale)
{
    const size_t hw = (size_t)h * w, plane = (size_t)n * hw;
    double *diff = scratch, *lap = scratch + 3 * hw, *tmp = scratch + 6 * hw,
           *grad = scratch + 9 * hw;
    double k[9];
    lap_stencil(o->kernel, o->kernel_norm, k);
    double sum = 0.0;
    for (int s = s0; s < s1; s++) {
        sample_planes(yhat, y, s, n, hw, diff);
        lap_sample_forward(o, k, diff, lap, tmp, h, w);
        for (size_t p = 0; p < 3 * hw; p++)
            sum += lap[p] * lap[p];
        if (!dyhat)
            continue;
        for (size_t p = 0; p < 3 * hw; p++)
            lap[p] *= 2.0 * scale;
        memset(grad, 0, sizeof(double) * 3 * hw);
        lap_sample_backward(o, k, lap, grad, tmp, h, w);
        for (int c = 0; c < 3; c++)
            for (size_t p = 0; p < hw; p++)
                dyhat[c * plane + (size_t)s * hw + p] += (float)grad[c * hw + p];
    }
    return sum;
}

#define LOSS_MAX_THREADS 256

/* Both entry points: dyhat NULL computes the value only. Each thread takes a contiguous range of
 * samples (pixel and Laplacian parts of a sample touch only its own pixels). */
static loss_value loss_eval(const loss_options *o, const float *yhat, const float *y, float *dyhat,
                            double *scratch, int threads, int n, int h, int w)
{
    const size_t hw = (size_t)h * w, plane = (size_t)n * hw, count = 3 * plane;
    const double inv = 1.0 / (double)count;
    double pix[LOSS_MAX_THREADS] = { 0 }, lap[LOSS_MAX_THREADS] = { 0 };
    if (threads > LOSS_MAX_THREADS)
        threads = LOSS_MAX_THREADS;
    if (threads > n)
        threads = n;
    if (threads < 1)
        threads = 1;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int s0 = (int)((long)t * n / nt), s1 = (int)((long)(t + 1) * n / nt);
        for (int c = 0; c < 3; c++) {
            const size_t at = c * plane + (size_t)s0 * hw, len = (size_t)(s1 - s0) * hw;
            pix[t] += pixel_sum(o->pixel, yhat + at, y + at, dyhat ? dyhat + at : NULL, len, inv);
        }
        if (o->lap_weight > 0)
            lap[t] = lap_sum(o, yhat, y, dyhat, scratch + (size_t)t * LOSS_SCRATCH_PER_PIXEL * hw,
                             s0, s1, n, h, w, o->lap_weight * inv);
    }
    loss_value v = { 0, 0, 0 };
    for (int t = 0; t < threads; t++) {
        v.pixel += pix[t];
        v.lap += lap[t];
    }
    v.pixel *= inv;
    v.lap *= inv;
    v.total = v.pixel + o->lap_weight * v.lap;
    return v;
}

loss_value loss_forward_backward(const loss_options *o, const float *yhat, const float *y,
                                 float *dyhat, double *scratch, int threads, int n, int h, int w)
{
    return loss_eval(o, yhat, y, dyhat, scratch, threads, n, h, w);
}

loss_value loss_value_of(const loss_options *o, const float *yhat, const float *y, double *scratch,
                         int threads, int n, int h, int w)
{
    return loss_eval(o, yhat, y, NULL, scratch, threads, n, h, w);
}
