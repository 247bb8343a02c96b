/* bench/bench_train.c: training steps of wb's U-Net on fixed random data, timed like
 * bench/torch_unet.py times PyTorch's (same model, batch, loss, optimizer), plus one large SGEMM
 * as the machine's limit. Prints one JSON object; bench/run.sh makes the table.
 *
 *   bench_train --width 16 --threads 1 [--batch 64] [--steps 30] [--reps 7] [--warmup 5]
 *   bench_train --sgemm 2048 --threads 1 */
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gsl/gsl_rng.h>

#include "model/gemm.h"
#include "model/loss.h"
#include "model/optim.h"
#include "model/unet.h"

typedef struct bench_args {
    int width, depth, patch, batch, threads, steps, reps, warmup, sgemm;
    double lambda;
} bench_args;

static int parse(int argc, char **argv, bench_args *a)
{
    *a = (bench_args){ 16, 2, 16, 64, 1, 30, 7, 5, 0, 0.6 };
    static const struct option opts[] = {
        { "width", required_argument, 0, 'w' }, { "depth", required_argument, 0, 'd' },
        { "batch", required_argument, 0, 'b' }, { "threads", required_argument, 0, 't' },
        { "steps", required_argument, 0, 's' }, { "reps", required_argument, 0, 'r' },
        { "warmup", required_argument, 0, 'u' }, { "sgemm", required_argument, 0, 'g' },
        { 0, 0, 0, 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int v = atoi(optarg);
        switch (c) {
        case 'w': a->width = v; break;
        case 'd': a->depth = v; break;
        case 'b': a->batch = v; break;
        case 't': a->threads = v; break;
        case 's': a->steps = v; break;
        case 'r': a->reps = v; break;
        case 'u': a->warmup = v; break;
        case 'g': a->sgemm = v; break;
        default: return -1;
        }
    }
    return a->threads > 0 && a->reps > 0 && a->steps > 0 ? 0 : -1;
}

/* GFLOP/s of one n x n x n SGEMM, the best of 5 after a warm-up call. */
static double sgemm_gflops(int n)
{
    float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n),
          *C = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) {
        A[i] = (float)(i % 7) * 0.1f;
        B[i] = (float)(i % 5) * 0.1f;
    }
    gemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
    double best = INFINITY;
    for (int r = 0; r < 5; r++) {
        double t = omp_get_wtime();
        gemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
        t = omp_get_wtime() - t;
        best = t < best ? t : best;
    }
    free(A);
    free(B);
    free(C);
    return 2.0 * n * (double)n * n / best * 1e-9;
}

int main(int argc, char **argv)
{
    bench_args a;
    if (parse(argc, argv, &a) != 0) {
        fprintf(stderr, "usage: bench_train [--width W] [--threads T] [--batch B] [--steps S] "
                        "[--reps R] [--warmup U] | --sgemm N --threads T\n");
        return 2;
    }
    omp_set_num_threads(a.threads);
    if (a.sgemm) {
        printf("{\"sgemm_n\": %d, \"threads\": %d, \"gflops\": %.2f, \"library\": \"%s\"}\n",
               a.sgemm, a.threads, sgemm_gflops(a.sgemm), compute_backend());
        return 0;
    }
    char err[512];
    model_options m = { a.depth, a.width, 0 };
    unet *u;
    if (unet_create(&u, &m, a.patch, a.batch, a.threads, err, sizeof err) != 0) {
        fprintf(stderr, "bench_train: %s\n", err);
        return 1;
    }
    unet_init(u, 1);
    const int hw = a.patch * a.patch;
    const size_t count = (size_t)a.batch * hw * 3;
    float *x = malloc(sizeof(float) * count), *y = malloc(sizeof(float) * count),
          *dy = malloc(sizeof(float) * count);
    double *scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * hw * a.threads);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < count; i++) {
        x[i] = (float)gsl_rng_uniform(r);
        y[i] = (float)gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    loss_options lo = { PIXEL_MSE, a.lambda, LAP_K8, BORDER_REFLECT101, 0 };
    optimizer opt;
    optim_init(&opt, OPT_ADAM, 1e-3, 0, unet_moment(u, 0), unet_moment(u, 1), unet_param_count(u));

    double loss_s = 0, optim_s = 0;
    for (int rep = -1; rep < a.reps; rep++) {
        const int steps = rep < 0 ? a.warmup : a.steps;
        if (rep == 0) {
            unet_profile_reset(u);
            unet_profile_enable(u, 1);
            loss_s = optim_s = 0;
        }
        double t0 = omp_get_wtime();
        for (int s = 0; s < steps; s++) {
            const float *out = unet_forward(u, x, a.batch);
            double tl = omp_get_wtime();
            loss_forward_backward(&lo, out, y, dy, scratch, a.threads, a.batch, a.patch, a.patch);
            loss_s += omp_get_wtime() - tl;
            unet_zero_grads(u);
            unet_backward(u, dy, a.batch);
            double to = omp_get_wtime();
            optim_step(&opt, unet_params(u), unet_grads(u));
            optim_s += omp_get_wtime() - to;
        }
        double dt = omp_get_wtime() - t0;
        if (rep >= 0)
            printf("%s%.1f", rep == 0 ? "{\"samples_per_s\": [" : ", ", steps * a.batch / dt);
    }
    layer_profile p = unet_profile_get(u);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("], \"width\": %d, \"threads\": %d, \"batch\": %d, \"flops_per_sample\": %.0f, "
           "\"gemm\": \"%s\", \"peak_rss_mb\": %.1f, \"seconds\": {\"conv_fwd\": %.4f, "
           "\"conv_wgrad\": %.4f, \"conv_dgrad\": %.4f, \"im2col\": %.4f, \"elementwise\": %.4f, "
           "\"pool\": %.4f, \"loss\": %.4f, \"optimizer\": %.4f}}\n",
           a.width, a.threads, a.batch, unet_flops_per_sample(u), compute_backend(),
           ru.ru_maxrss / 1024.0, p.conv_fwd, p.conv_wgrad, p.conv_dgrad, p.im2col,
           p.elementwise, p.pool, loss_s, optim_s);
    unet_free(u);
    free(x);
    free(y);
    free(dy);
    free(scratch);
    return 0;
}
