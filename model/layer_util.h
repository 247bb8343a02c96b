/* model/layer_util.h: helpers of model/layers.c, kept apart so a second convolution algorithm
 * can share them: chunk planning, profiling, the elementwise parts fused into a chunk, and the
 * gradient reduction. Internal to model/ (static inline), not part of its contract. */
#ifndef WB_MODEL_LAYER_UTIL_H
#define WB_MODEL_LAYER_UTIL_H

#include <omp.h>
#include <stddef.h>
#include <string.h>

#include "model/layers.h"

/* How many chunks to split n samples into: as few as keep per_sample * chunk within `cap`, then
 * rounded up to a multiple of the thread count so no thread idles (never more than n). Chunk c
 * covers samples [c*n/nch, (c+1)*n/nch). */
static inline int plan_chunks(int n, size_t per_sample, size_t cap, int threads)
{
    size_t ns = per_sample ? cap / per_sample : (size_t)n;
    if (ns < 1)
        ns = 1;
    int nch = (int)(((size_t)n + ns - 1) / ns);
    nch = ((nch + threads - 1) / threads) * threads;
    return nch > n ? n : nch;
}

static inline int chunk_begin(int c, int n, int nch)
{
    return (int)((long)c * n / nch);
}

static inline int threads_used(int nch, int threads)
{
    return nch < threads ? nch : threads;
}

/* Enough for the planned chunk (`target` floats) and never less than one sample. */
static inline size_t chunk_scratch_floats(size_t per_sample, size_t target, int max_n)
{
    const size_t need = per_sample > target ? per_sample : target;
    const size_t all = per_sample * (size_t)max_n;
    return all < need ? all : need;
}

/* Profiling: thread 0 times the parts of its chunks. */
static inline double prof_now(const layer_scratch *s)
{
    return s->prof && omp_get_thread_num() == 0 ? omp_get_wtime() : 0.0;
}

/* Adds the time since *t0 to one part of the profile and restarts the clock. */
#define PROF_ADD(s, part, t0)                                                                      \
    do {                                                                                           \
        if ((s)->prof && omp_get_thread_num() == 0) {                                              \
            double now_ = omp_get_wtime();                                                         \
            (s)->prof->part += now_ - *(t0);                                                       \
            *(t0) = now_;                                                                          \
        }                                                                                          \
    } while (0)

/* y = y + bias, then ReLU. `v < 0 ? 0 : v` lets NaN through, as PyTorch's relu does, so a
 * diverging run shows NaN in its loss instead of being silently clamped. */
static inline void bias_act(float *y, size_t plane, const float *bias, int cout, size_t cols,
                            int relu)
{
    for (int co = 0; co < cout; co++) {
        float *row = y + (size_t)co * plane;
        const float b = bias[co];
        if (relu) {
            for (size_t j = 0; j < cols; j++) {
                float v = row[j] + b;
                row[j] = v < 0.0f ? 0.0f : v;
            }
        } else {
            for (size_t j = 0; j < cols; j++)
                row[j] += b;
        }
    }
}

/* dy *= (y > 0) when relu, and dbias_acc[co] += sum of the chunk's dy. The sum runs in 16
 * independent float lanes (one vector; a single serial double accumulator made this loop
 * scalar and latency-bound: 85 % of the backward pass's own time), added up in double per
 * chunk. */
#define ACT_LANES 16

/* dbias_acc[co] += sum of a chunk's dy (cols values of each channel row), in ACT_LANES lanes. */
static inline void bias_grad(const float *dy, size_t plane, int cout, size_t cols, float *dbias_acc)
{
    for (int co = 0; co < cout; co++) {
        const float *g = dy + (size_t)co * plane;
        float lane[ACT_LANES] = { 0 };
        size_t j = 0;
        for (; j + ACT_LANES <= cols; j += ACT_LANES)
            for (int k = 0; k < ACT_LANES; k++)
                lane[k] += g[j + k];
        for (; j < cols; j++)
            lane[0] += g[j];
        double sum = 0.0;
        for (int k = 0; k < ACT_LANES; k++)
            sum += lane[k];
        dbias_acc[co] += (float)sum;
    }
}

static inline void act_backward(float *dy, const float *y, size_t plane, int cout, size_t cols,
                                int relu, float *dbias_acc)
{
    if (!relu) {
        bias_grad(dy, plane, cout, cols, dbias_acc);
        return;
    }
    for (int co = 0; co < cout; co++) {
        float *g = dy + (size_t)co * plane;
        const float *yr = y + (size_t)co * plane;
        float lane[ACT_LANES] = { 0 };
        size_t j = 0;
        for (; j + ACT_LANES <= cols; j += ACT_LANES)
            for (int k = 0; k < ACT_LANES; k++) {
                const float v = yr[j + k] > 0.0f ? g[j + k] : 0.0f;
                g[j + k] = v;
                lane[k] += v;
            }
        for (; j < cols; j++) {
            g[j] = yr[j] > 0.0f ? g[j] : 0.0f;
            lane[0] += g[j];
        }
        double sum = 0.0;
        for (int k = 0; k < ACT_LANES; k++)
            sum += lane[k];
        dbias_acc[co] += (float)sum;
    }
}

/* This thread's slice of the per-thread scratch (im2col, Winograd blocks, transposes). Called
 * inside the parallel region. */
static inline float *thread_col(const layer_scratch *s)
{
    return s->col + (size_t)omp_get_thread_num() * s->col_floats;
}

/* This thread's gradient accumulator, zeroed when the thread has chunks to add into it. Called
 * inside the parallel region. */
static inline float *thread_accumulator(const layer_scratch *s, int used_threads, size_t count)
{
    const int t = omp_get_thread_num();
    float *acc = s->acc + (size_t)t * s->acc_floats;
    if (t < used_threads)
        memset(acc, 0, sizeof(float) * count);
    return acc;
}

/* Sums the used threads' accumulators into thread 0's, in thread order: deterministic for a
 * thread count. */
static inline void sum_accumulators(const layer_scratch *s, int used_threads, size_t count)
{
    float *acc0 = s->acc;
    for (int t = 1; t < used_threads; t++) {
        const float *acc = s->acc + (size_t)t * s->acc_floats;
        for (size_t i = 0; i < count; i++)
            acc0[i] += acc[i];
    }
}

#endif
