/* Portable INT8 GEMM micro-kernel, 4x16 (one weight panel): exact int32 sums of u8 x s8 products. */
#include "../../kernels/kernel_list.h"

#define MR 4

void rtj_q8_gemm_ukernel_4x16__scalar(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                      const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                      const rtj_q8_epi *epi)
{
    (void)panel_stride; /* NR = one panel */
    int32_t acc[MR][RTJ_Q8_PANEL] = {{0}};
    for (size_t g = 0; g < k_pad / 4; g++) {
        const int8_t *wg = w + g * RTJ_Q8_PANEL * 4;
        for (size_t i = 0; i < mr; i++) {
            const uint8_t *ai = a + i * lda + 4 * g;
            for (size_t j = 0; j < RTJ_Q8_PANEL; j++)
                acc[i][j] += ai[0] * wg[4 * j] + ai[1] * wg[4 * j + 1] + ai[2] * wg[4 * j + 2] +
                             ai[3] * wg[4 * j + 3];
        }
    }
    for (size_t i = 0; i < mr; i++) {
        if (!epi) {
            int32_t *ci = (int32_t *)c + i * ldc;
            for (size_t j = 0; j < nr; j++)
                ci[j] = acc[i][j];
            continue;
        }
        float *ci = (float *)c + i * ldc;
        for (size_t j = 0; j < nr; j++) {
            const int32_t v = acc[i][j] - epi->a_zero[i] * epi->w_sum[j];
            float y = epi->a_scale[i] * epi->w_scale[j] * (float)v + (epi->bias ? epi->bias[j] : 0.0f);
            if (epi->op == RTJ_EPI_RESIDUAL)
                y += epi->res[i * epi->ldres + j];
            ci[j] = y;
        }
        if (epi->op == RTJ_EPI_GELU)
            rtj_f32_gelu__scalar(nr, ci, ci);
    }
}
