/* model/image_metrics.c: MSE, PSNR, SSIM and Laplacian errors of one image in double, as
 * scikit-image 0.19 and OpenCV compute them (the reference values in tests/ come from those
 * libraries). */
#include "model/image_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SSIM_K1 0.01
#define SSIM_K2 0.03

static double metric_mse(const float *a, const float *b, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        const double d = (double)a[i] - (double)b[i];
        sum += d * d;
    }
    return count ? sum / (double)count : 0.0;
}

/* Data range 1; an exact match gives +inf, as skimage's peak_signal_noise_ratio does. */
double metric_psnr(const float *a, const float *b, int h, int w)
{
    const double mse = metric_mse(a, b, (size_t)h * w * 3);
    return 10.0 * log10(1.0 / mse);
}

/* ---- SSIM ------------------------------------------------------------------------------------ */

typedef struct ssim_window {
    int size;           /* odd */
    double weights[11]; /* separable 1-D weights, summing to 1 */
    double cov_norm;    /* sample (N/(N-1)) or population (1) covariance */
} ssim_window;

/* skimage: uniform 7x7 with use_sample_covariance=True; or gaussian_weights=True, sigma 1.5,
 * truncate 3.5 (radius int(3.5*1.5 + 0.5) = 5, an 11x11 window, as scipy's gaussian_filter
 * builds it) with use_sample_covariance=False. */
static void ssim_window_of(enum ssim_variant v, ssim_window *win)
{
    if (v == SSIM_WANG2004) {
        const double sigma = 1.5;
        const int r = (int)(3.5 * sigma + 0.5);
        double sum = 0.0;
        win->size = 2 * r + 1;
        for (int i = -r; i <= r; i++) {
            win->weights[i + r] = exp(-0.5 * i * i / (sigma * sigma));
            sum += win->weights[i + r];
        }
        for (int i = 0; i < win->size; i++)
            win->weights[i] /= sum;
        win->cov_norm = 1.0;
    } else {
        win->size = 7;
        for (int i = 0; i < 7; i++)
            win->weights[i] = 1.0 / 7.0;
        win->cov_norm = 49.0 / 48.0;
    }
}

/* Weighted means of the five SSIM moments over every window that lies inside the image
 * ("valid windows": skimage crops (size-1)/2 pixels from each side of its filtered maps).
 * Separable: rows first into tmp, then columns. */
static double ssim_channel(const double *x, const double *y, int h, int w, const ssim_window *win,
                           double *tmp)
{
    const int k = win->size, oh = h - k + 1, ow = w - k + 1;
    if (oh <= 0 || ow <= 0)
        return NAN;
    double *row = tmp;  /* 5 maps of h x ow */
    for (int i = 0; i < h; i++)
        for (int j = 0; j < ow; j++) {
            double s[5] = { 0, 0, 0, 0, 0 };
            for (int t = 0; t < k; t++) {
                const double a = x[(size_t)i * w + j + t], b = y[(size_t)i * w + j + t];
                const double wt = win->weights[t];
                s[0] += wt * a;
                s[1] += wt * b;
                s[2] += wt * a * a;
                s[3] += wt * b * b;
                s[4] += wt * a * b;
            }
            for (int m = 0; m < 5; m++)
                row[((size_t)m * h + i) * ow + j] = s[m];
        }
    const double c1 = SSIM_K1 * SSIM_K1, c2 = SSIM_K2 * SSIM_K2;
    double total = 0.0;
    for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
            double s[5] = { 0, 0, 0, 0, 0 };
            for (int t = 0; t < k; t++)
                for (int m = 0; m < 5; m++)
                    s[m] += win->weights[t] * row[((size_t)m * h + i + t) * ow + j];
            const double ux = s[0], uy = s[1];
            const double vx = win->cov_norm * (s[2] - ux * ux);
            const double vy = win->cov_norm * (s[3] - uy * uy);
            const double vxy = win->cov_norm * (s[4] - ux * uy);
            total += ((2 * ux * uy + c1) * (2 * vxy + c2)) /
                     ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        }
    return total / ((double)oh * ow);
}

/* Channel c of an HWC image as a double plane. */
static void channel_plane(const float *img, int c, size_t hw, double *out)
{
    for (size_t p = 0; p < hw; p++)
        out[p] = img[p * 3 + c];
}

double metric_ssim(const float *a, const float *b, int h, int w, enum ssim_variant v)
{
    const size_t hw = (size_t)h * w;
    double *buf = malloc(sizeof(double) * hw * 7);
    if (!buf)
        return NAN;
    ssim_window win;
    ssim_window_of(v, &win);
    double sum = 0.0;
    for (int c = 0; c < 3; c++) {
        channel_plane(a, c, hw, buf);
        channel_plane(b, c, hw, buf + hw);
        sum += ssim_channel(buf, buf + hw, h, w, &win, buf + 2 * hw);
    }
    free(buf);
    return sum / 3.0;
}

/* ---- Laplacian error --------------------------------------------------------------------------- */

/* Channel by channel: the error plane (a - b, or the given error), its Laplacian, the sum of
 * squares. */
static double lap_mse(const float *a, const float *b, const double *error, int h, int w,
                      enum lap_kernel kernel, enum lap_border border)
{
    const size_t hw = (size_t)h * w;
    double *buf = malloc(sizeof(double) * hw * 2);
    if (!buf)
        return NAN;
    double k[9];
    lap_stencil(kernel, 0, k);
    double sum = 0.0;
    for (int c = 0; c < 3; c++) {
        for (size_t p = 0; p < hw; p++)
            buf[p] = error ? error[p * 3 + c] : (double)a[p * 3 + c] - (double)b[p * 3 + c];
        stencil3x3_forward(k, border, buf, buf + hw, h, w);
        for (size_t p = 0; p < hw; p++)
            sum += buf[hw + p] * buf[hw + p];
    }
    free(buf);
    return sum / (double)(hw * 3);
}

double metric_lap_mse(const float *a, const float *b, int h, int w, enum lap_kernel kernel,
                      enum lap_border border)
{
    return lap_mse(a, b, NULL, h, w, kernel, border);
}

double metric_lap_mse_of_error(const double *error, int h, int w, enum lap_kernel kernel,
                               enum lap_border border)
{
    return lap_mse(NULL, NULL, error, h, w, kernel, border);
}
