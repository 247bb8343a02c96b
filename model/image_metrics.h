/* model/image_metrics.h: quality measures of one image against its target, in double on HWC
 * images with 3 channels and data range 1, as scikit-image 0.19 and OpenCV compute them (the
 * reference values in tests/test_model_metrics.c come from those libraries). model/metrics.c
 * builds the metric table's image metrics from them. */
#ifndef WB_MODEL_IMAGE_METRICS_H
#define WB_MODEL_IMAGE_METRICS_H

#include <stddef.h>

#include "model/loss.h"

enum ssim_variant {
    SSIM_SKIMAGE,   /* skimage default: 7x7 uniform window, sample covariance, valid windows */
    SSIM_WANG2004   /* 11x11 Gaussian, sigma 1.5, population covariance, valid windows */
};

/* 10 log10(1 / MSE), data range 1; an exact match gives +inf, as skimage's
 * peak_signal_noise_ratio does. */
double metric_psnr(const float *a, const float *b, int h, int w);
double metric_ssim(const float *a, const float *b, int h, int w, enum ssim_variant v);
/* mean((L(a) - L(b))^2) over one image with the unnormalised K4 or K8 and the given border. */
double metric_lap_mse(const float *a, const float *b, int h, int w, enum lap_kernel kernel,
                      enum lap_border border);
/* The same from the error a - b, given in double (HWC): L is linear, L(a) - L(b) = L(a - b). */
double metric_lap_mse_of_error(const double *error, int h, int w, enum lap_kernel kernel,
                               enum lap_border border);

#endif
