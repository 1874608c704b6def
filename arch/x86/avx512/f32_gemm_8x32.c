/* AVX-512 GEMM micro-kernel, 8x32 tile (contract: kernels/rtj_kernels.h).
 *
 * Register budget (32 zmm): 8 rows x 2 zmm of accumulators = 16, 2 for the k-th row of the W panel,
 * 1 for the broadcast A value: 19 live, so nothing spills and the compiler has room to overlap the
 * next k step's loads. Zen 4 retires one zmm FMA per cycle at 4 cycles latency: 16 independent chains
 * hide the latency 4 times over. Per k: 2 W loads + 8 broadcasts (loads) for 16 FMAs, well under the
 * 2-3 loads per cycle the L1 sustains. A wider N tile (8x48) measured no faster and pads 312 and 1024
 * columns worse; a taller one (12x32, 14x32) gains nothing at M = 8, the BERT batch of one request.
 *
 * The body is one always-inline function instantiated for each mr (1..8) through a switch: a short
 * tile computes only its rows, which matters most at M = 1 (memory bound: the W panel streams once, so
 * 8 rows of FMAs would make it compute bound at 1/8 of the useful rate). Rows past mr are never read
 * nor stored. Accumulators are named variables, not an array: GCC 12 spills arrays of vectors. */
#include <immintrin.h>

#include "../../../kernels/kernel_list.h"

#define MR 8
#define NR 32

#if defined(__GNUC__)
#define RTJ_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define RTJ_ALWAYS_INLINE static inline
#endif

/* Prefetch distance into the W panel, in floats (k steps * NR): far enough ahead to cover an L2 (or,
 * at M <= 8, L3) miss, near enough to stay inside the panel or the next one, which follows it. */
#define W_PREFETCH (16 * NR)

/* One k step: row r of the tile gets a[r][k] * W[k, 0:32]. */
#define ROW_FMA(r, k)                                                                                   \
    if (MRC > r) {                                                                                      \
        const __m512 va = _mm512_set1_ps(a##r[k]);                                                      \
        c##r##0 = _mm512_fmadd_ps(va, w0, c##r##0);                                                     \
        c##r##1 = _mm512_fmadd_ps(va, w1, c##r##1);                                                     \
    }
#define K_STEP(k, wo)                                                                                   \
    {                                                                                                   \
        const __m512 w0 = _mm512_loadu_ps(w + (wo)), w1 = _mm512_loadu_ps(w + (wo) + 16);              \
        ROW_FMA(0, k) ROW_FMA(1, k) ROW_FMA(2, k) ROW_FMA(3, k)                                         \
        ROW_FMA(4, k) ROW_FMA(5, k) ROW_FMA(6, k) ROW_FMA(7, k)                                         \
    }

/* Epilogue of row r: optional C reload, alpha/bias/residual, masked store of the nr valid columns. */
#define ROW_STORE(r)                                                                                    \
    if (MRC > r) {                                                                                      \
        float *cr = c + (r) * ldc;                                                                      \
        __m512 y0 = c##r##0, y1 = c##r##1;                                                              \
        if (accumulate) {                                                                               \
            y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, cr));                                      \
            y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, cr + 16));                                 \
        }                                                                                               \
        if (epi) {                                                                                      \
            y0 = _mm512_fmadd_ps(valpha, y0, vb0);                                                      \
            y1 = _mm512_fmadd_ps(valpha, y1, vb1);                                                      \
            if (res) {                                                                                  \
                const float *rr = res + (r) * ldres;                                                    \
                y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, rr));                                  \
                y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, rr + 16));                             \
            }                                                                                           \
        }                                                                                               \
        _mm512_mask_storeu_ps(cr, m0, y0);                                                              \
        _mm512_mask_storeu_ps(cr + 16, m1, y1);                                                         \
    }

RTJ_ALWAYS_INLINE void tile(const size_t MRC, size_t nr, size_t kc, const float *a, size_t lda,
                            const float *w, float *c, size_t ldc, int accumulate, const rtj_f32_epi *epi)
{
    /* Row pointers for rows < MRC only; the others are dead code in this instantiation. */
    const float *a0 = a, *a1 = a, *a2 = a, *a3 = a, *a4 = a, *a5 = a, *a6 = a, *a7 = a;
    if (MRC > 1) a1 = a0 + lda;
    if (MRC > 2) a2 = a1 + lda;
    if (MRC > 3) a3 = a2 + lda;
    if (MRC > 4) a4 = a3 + lda;
    if (MRC > 5) a5 = a4 + lda;
    if (MRC > 6) a6 = a5 + lda;
    if (MRC > 7) a7 = a6 + lda;

    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;

    /* k unrolled by 4: the loop counter and pointer updates amortise over 64 FMAs. The A pointers
     * advance with k so every broadcast is a fixed-offset load. */
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        _mm_prefetch((const char *)(w + W_PREFETCH), _MM_HINT_T0);
        _mm_prefetch((const char *)(w + W_PREFETCH + 64), _MM_HINT_T0);
        K_STEP(0, 0)
        K_STEP(1, NR)
        K_STEP(2, 2 * NR)
        K_STEP(3, 3 * NR)
        w += 4 * NR;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4; a6 += 4; a7 += 4;
    }
    for (; k > 0; k--) {
        K_STEP(0, 0)
        w += NR;
        a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1; a6 += 1; a7 += 1;
    }

    /* nr tail: lanes past nr are neither loaded (masked loads do not fault) nor stored. */
    const uint32_t valid = nr >= NR ? 0xFFFFFFFFu : (1u << nr) - 1u;
    const __mmask16 m0 = (__mmask16)valid, m1 = (__mmask16)(valid >> 16);
    __m512 valpha = _mm512_setzero_ps(), vb0 = valpha, vb1 = valpha;
    const float *res = NULL;
    size_t ldres = 0;
    if (epi) {
        valpha = _mm512_set1_ps(epi->alpha);
        if (epi->bias) { /* padded to NR: full loads are in bounds */
            vb0 = _mm512_loadu_ps(epi->bias);
            vb1 = _mm512_loadu_ps(epi->bias + 16);
        }
        if (epi->op == RTJ_EPI_RESIDUAL) {
            res = epi->res;
            ldres = epi->ldres;
        }
    }
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
    ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
    /* GELU on the stored rows (the accumulators are dead by now, so the calls spill nothing). It is a
     * few dozen operations per 16 outputs against K FMAs each: not worth inlining. */
    if (epi && epi->op == RTJ_EPI_GELU)
        for (size_t r = 0; r < MRC; r++)
            rtj_f32_gelu__avx512(nr, c + r * ldc, c + r * ldc);
}

void rtj_f32_gemm_ukernel_8x32__avx512(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
                                       const float *w, float *c, size_t ldc, int accumulate,
                                       const rtj_f32_epi *epi)
{
    switch (mr) {
    case 1: tile(1, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 2: tile(2, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 3: tile(3, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 4: tile(4, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 5: tile(5, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 6: tile(6, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    case 7: tile(7, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    default: tile(MR, nr, kc, a, lda, w, c, ldc, accumulate, epi); break;
    }
}
