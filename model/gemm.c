/* model/gemm.c: row-major SGEMM through oneDNN or CBLAS. */
#include "model/gemm.h"

#if defined(WB_GEMM_DNNL)
#include <dnnl.h>
#include <stdio.h>

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc)
{
    /* dnnl_sgemm is row-major and, inside an OpenMP parallel region, single-threaded. */
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char *gemm_library(void)
{
    static char name[64];   /* written once with the same text; read-only afterwards */
    if (!name[0]) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(name, sizeof name, "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
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

const char *gemm_library(void)
{
    return "CBLAS";
}
#else
#error "define WB_GEMM_DNNL or WB_GEMM_CBLAS"
#endif
