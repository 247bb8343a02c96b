/* model/gemm.h: the one GEMM every layer uses, row-major, backed by oneDNN (dnnl_sgemm) or CBLAS.
 *
 * Called inside an OpenMP parallel region it runs on the calling thread only (each thread owns its
 * chunk of samples); called outside one it may use every thread of the run. */
#ifndef WB_MODEL_GEMM_H
#define WB_MODEL_GEMM_H

/* C[M][N] = alpha * op(A)[M][K] * op(B)[K][N] + beta * C; ta, tb: 0 = as stored, 1 = transposed. */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc);

/* "oneDNN 2.6.3 (3x3: Winograd/direct AVX-512)", or "CBLAS (3x3: im2col)" and the like: the GEMM
 * library and the 3x3 convolution kernels this CPU runs, recorded with every run (the store's
 * column gemm_library, named before the 3x3 kernels existed) since both decide a run's bits. */
const char *compute_backend(void);

#endif
