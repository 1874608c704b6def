/* AVX2+FMA GEMM micro-kernel, 6x16 tile (contract: kernels/rtj_kernels.h).
 *
 * Register budget (16 ymm): 6 rows x 2 ymm of accumulators = 12, 2 for the k-th row of the W panel,
 * 1 for the broadcast A value: 15 of 16. Zen 4 issues two ymm FMAs per cycle at 4 cycles latency, so
 * it needs at least 8 independent chains: 12 leave margin. Per k: 2 W loads + 6 broadcasts for 12 FMAs
 * (6 cycles), 1.3 loads per cycle. 6x16 is the largest tile that fits: 8x16 or 4x24 would need more
 * than 16 registers and spill.
 *
 * The body is one always-inline function instantiated for each mr (1..6) through a switch: a short
 * tile computes only its rows (M = 1 is memory bound; M = 8 is a 6-row and a 2-row tile). Rows past mr
 * are never read nor stored. Accumulators are named variables, not an array: GCC 12 spills arrays. */
#include <immintrin.h>
#include <stdint.h>

#include "../../../kernels/kernel_list.h"

#define MR 6
#define NR 16

#if defined(__GNUC__)
#define RTJ_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define RTJ_ALWAYS_INLINE static inline
#endif

/* Prefetch distance into the W panel, in floats (k steps * NR). */
#define W_PREFETCH (16 * NR)

#define ROW_FMA(r, k)                                                                                   \
    if (MRC > r) {                                                                                      \
        const __m256 va = _mm256_broadcast_ss(a##r + (k));                                              \
        c##r##0 = _mm256_fmadd_ps(va, w0, c##r##0);                                                     \
        c##r##1 = _mm256_fmadd_ps(va, w1, c##r##1);                                                     \
    }
#define K_STEP(k, wo)                                                                                   \
    {                                                                                                   \
        const __m256 w0 = _mm256_loadu_ps(w + (wo)), w1 = _mm256_loadu_ps(w + (wo) + 8);                \
        ROW_FMA(0, k) ROW_FMA(1, k) ROW_FMA(2, k) ROW_FMA(3, k) ROW_FMA(4, k) ROW_FMA(5, k)             \
    }

/* Columns [0, nr) of row r: full vectors when nr == NR, vmaskmov otherwise (the last panel only). */
#define LOAD2(p, y0, y1)                                                                                \
    if (full) {                                                                                         \
        y0 = _mm256_loadu_ps(p);                                                                        \
        y1 = _mm256_loadu_ps((p) + 8);                                                                  \
    } else {                                                                                            \
        y0 = _mm256_maskload_ps(p, m0);                                                                 \
        y1 = _mm256_maskload_ps((p) + 8, m1);                                                           \
    }

#define ROW_STORE(r)                                                                                    \
    if (MRC > r) {                                                                                      \
        float *cr = c + (r) * ldc;                                                                      \
        __m256 y0 = c##r##0, y1 = c##r##1, t0, t1;                                                      \
        if (accumulate) {                                                                               \
            LOAD2(cr, t0, t1)                                                                           \
            y0 = _mm256_add_ps(y0, t0);                                                                 \
            y1 = _mm256_add_ps(y1, t1);                                                                 \
        }                                                                                               \
        if (epi) {                                                                                      \
            y0 = _mm256_fmadd_ps(valpha, y0, vb0);                                                      \
            y1 = _mm256_fmadd_ps(valpha, y1, vb1);                                                      \
            if (res) {                                                                                  \
                LOAD2(res + (r) * ldres, t0, t1)                                                        \
                y0 = _mm256_add_ps(y0, t0);                                                             \
                y1 = _mm256_add_ps(y1, t1);                                                             \
            }                                                                                           \
        }                                                                                               \
        if (full) {                                                                                     \
            _mm256_storeu_ps(cr, y0);                                                                   \
            _mm256_storeu_ps(cr + 8, y1);                                                               \
        } else {                                                                                        \
            _mm256_maskstore_ps(cr, m0, y0);                                                            \
            _mm256_maskstore_ps(cr + 8, m1, y1);                                                        \
        }                                                                                               \
    }

RTJ_ALWAYS_INLINE void tile(const size_t MRC, size_t nr, size_t kc, const float *a, size_t lda,
                            const float *w, float *c, size_t ldc, int accumulate, const rtj_f32_epi *epi)
{
    const float *a0 = a, *a1 = a, *a2 = a, *a3 = a, *a4 = a, *a5 = a;
    if (MRC > 1) a1 = a0 + lda;
    if (MRC > 2) a2 = a1 + lda;
    if (MRC > 3) a3 = a2 + lda;
    if (MRC > 4) a4 = a3 + lda;
    if (MRC > 5) a5 = a4 + lda;

    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;

    /* k unrolled by 4: loop overhead amortised over 48 FMAs; A pointers advance with k. */
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        _mm_prefetch((const char *)(w + W_PREFETCH), _MM_HINT_T0);
        K_STEP(0, 0)
        K_STEP(1, NR)
        _mm_prefetch((const char *)(w + W_PREFETCH + 32), _MM_HINT_T0);
        K_STEP(2, 2 * NR)
        K_STEP(3, 3 * NR)
        w += 4 * NR;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4;
    }
    for (; k > 0; k--) {
        K_STEP(0, 0)
        w += NR;
        a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1;
    }

    const int full = nr >= NR;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr - 8), lane);
    __m256 valpha = _mm256_setzero_ps(), vb0 = valpha, vb1 = valpha;
    const float *res = NULL;
    size_t ldres = 0;
    if (epi) {
        valpha = _mm256_set1_ps(epi->alpha);
        if (epi->bias) { /* padded to NR: full loads are in bounds */
            vb0 = _mm256_loadu_ps(epi->bias);
            vb1 = _mm256_loadu_ps(epi->bias + 8);
        }
        if (epi->op == RTJ_EPI_RESIDUAL) {
            res = epi->res;
            ldres = epi->ldres;
        }
    }
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5)
    /* GELU on the stored rows: the accumulators are dead by now, so the calls spill nothing. */
    if (epi && epi->op == RTJ_EPI_GELU)
        for (size_t r = 0; r < MRC; r++)
            rtj_f32_gelu__avx2(nr, c + r * ldc, c + r * ldc);
}

void rtj_f32_gemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
                                     const float *w, float *c, size_t ldc, int accumulate,
                                     const rtj_f32_epi *epi)
{
    switch (mr) {
    case 1: tile(1, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 2: tile(2, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 3: tile(3, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 4: tile(4, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 5: tile(5, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    default: tile(MR, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    }
}
