/* model/gemm.c: row-major SGEMM through oneDNN or CBLAS. */
#include "model/gemm.h"

#include <stdio.h>

#include "model/conv_direct.h"

/* Which 3x3 kernels this CPU runs (layers.c's choice), recorded with the GEMM library since both
 * decide a run's bits. */
static const char *conv_kernels(void)
{
    return conv_direct_usable(16, 16) ? "3x3: Winograd/direct AVX-512" : "3x3: im2col";
}

#if defined(WB_GEMM_DNNL)
#include <dnnl.h>

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc)
{
    /* dnnl_sgemm is row-major and, inside an OpenMP parallel region, single-threaded. */
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char *compute_backend(void)
{
    static char name[96];   /* written once with the same text; read-only afterwards */
    if (!name[0]) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(name, sizeof name, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch,
                 conv_kernels());
    }
    return name;
}

#elif defined(WB_GEMM_CBLAS)
#include <gsl/gsl_cblas.h>

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
                K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char *compute_backend(void)
{
    static char name[96];   /* written once with the same text; read-only afterwards */
    if (!name[0])
        snprintf(name, sizeof name, "CBLAS (%s)", conv_kernels());
    return name;
}
#else
#error "define WB_GEMM_DNNL or WB_GEMM_CBLAS"
#endif
