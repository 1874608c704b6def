/* Portable GEMM micro-kernel, 4x8 tile: the scalar ISA's kernel and the fallback on CPUs with no SIMD
 * path built in. Plain C; the compiler may use the baseline vector unit (SSE2 on x86-64). */
#include "../../kernels/kernel_list.h"

#define MR 4
#define NR 8

void rtj_f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
                                      const float *w, float *c, size_t ldc, int accumulate,
                                      const rtj_f32_epi *epi)
{
    float acc[MR][NR] = {{0}};
    for (size_t k = 0; k < kc; k++)
        for (size_t i = 0; i < mr; i++) {
            const float ai = a[i * lda + k];
            for (size_t j = 0; j < NR; j++)
                acc[i][j] += ai * w[k * NR + j];
        }
    for (size_t i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        for (size_t j = 0; j < nr; j++) {
            float y = accumulate ? ci[j] + acc[i][j] : acc[i][j];
            if (epi) {
                y = epi->alpha * y + (epi->bias ? epi->bias[j] : 0.0f);
                if (epi->op == RTJ_EPI_RESIDUAL)
                    y += epi->res[i * epi->ldres + j];
            }
            ci[j] = y;
        }
        if (epi && epi->op == RTJ_EPI_GELU)
            rtj_f32_gelu__scalar(nr, ci, ci);
    }
}
