/* model/metrics.h: the validation and test metrics of DESIGN.md, computed in double on HWC images
 * with 3 channels and data range 1. */
#ifndef WB_MODEL_METRICS_H
#define WB_MODEL_METRICS_H

#include <stddef.h>

#include "model/loss.h"

enum ssim_variant {
    SSIM_SKIMAGE,   /* skimage default: 7x7 uniform window, sample covariance, valid windows */
    SSIM_WANG2004   /* 11x11 Gaussian, sigma 1.5, population covariance, valid windows */
};

double metric_psnr(const float *a, const float *b, int h, int w);            /* one image */
double metric_ssim(const float *a, const float *b, int h, int w, enum ssim_variant v); /* one image */
/* mean((L(a) - L(b))^2) over one image with the unnormalised K4 or K8 and the given border. */
double metric_lap_mse(const float *a, const float *b, int h, int w, enum lap_kernel kernel,
                      enum lap_border border);

typedef struct eval_metrics {
    double mse, psnr, ssim, lap4_mse, lap8_mse;
} eval_metrics;

/* Means over n images (n, h, w, 3): mse over all values, psnr and ssim per image then averaged,
 * Laplacian errors with reflect101. */
void metrics_compute(const float *pred, const float *target, size_t n, int h, int w,
                     eval_metrics *out);

#endif
