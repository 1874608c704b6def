/* AVX2+FMA GEMM micro-kernel, 6x16 tile (contract: kernels/rtj_kernels.h).
 *
 * Register budget (16 ymm): 6 rows x 2 ymm of accumulators = 12, 2 for the k-th row of the W panel,
 * 1 for the broadcast A value: 15 of 16. Zen 4 issues two ymm FMAs per cycle at 4 cycles latency, so
 * it needs at least 8 independent chains: 12 leave margin. Per k: 2 W loads + 6 broadcasts for 12 FMAs
 * (6 cycles), 1.3 loads per cycle. 6x16 is the largest 16-column tile that fits: 8x16 needs 19
 * registers, and 4x24 all 16 (GCC already renames and spills around 15).
 *
 * The body is one always-inline function instantiated for each mr (1..6) through a switch: a short
 * tile computes only its rows (M = 8 is a 6-row and a 2-row tile; M = 1 one row). Rows past mr are
 * never read nor stored. Accumulators are named variables, not an array: GCC 12 spills arrays. */
#include <immintrin.h>

#include "../../../kernels/kernel_list.h"
#include "../../ukernel_common.h"
#include "../avx2_cols.h"

#define MR 6
#define NR 16

/* Software prefetch of W, 8 KiB ahead (one line per 16 floats, 4 per 4 k steps): at 6 cycles per k
 * step that is ~750 cycles, more than an L3 or DRAM miss, for when W streams from memory (M <= 8: with
 * the hardware prefetcher alone the M = 8 GEMM on 16 MiB of weights ran at 60% of the prefetched
 * speed); and only a quarter of L1, so lines are not evicted before use. The 1-row tile does not
 * prefetch: it runs at a quarter of the FMA rate (latency bound, below), the hardware prefetcher keeps
 * up with it, and it measured no faster with the prefetches. */
#define W_PREFETCH (128 * NR)
#define PREFETCH_W()                                                                                    \
    if (MRC > 1) {                                                                                      \
        _mm_prefetch((const char *)(w + W_PREFETCH), _MM_HINT_T0);                                      \
        _mm_prefetch((const char *)(w + W_PREFETCH + 16), _MM_HINT_T0);                                 \
        _mm_prefetch((const char *)(w + W_PREFETCH + 32), _MM_HINT_T0);                                 \
        _mm_prefetch((const char *)(w + W_PREFETCH + 48), _MM_HINT_T0);                                 \
    }

/* One k step: row r gets a[r][k] * W[k, 0:16]. */
#define ROW_FMA(r, k)                                                                                   \
    if (MRC > r) {                                                                                      \
        const __m256 va = _mm256_broadcast_ss(a##r + (k));                                              \
        c##r##0 = _mm256_fmadd_ps(va, w0, c##r##0);                                                     \
        c##r##1 = _mm256_fmadd_ps(va, w1, c##r##1);                                                     \
    }
#define K_STEP(k)                                                                                       \
    {                                                                                                   \
        const __m256 w0 = _mm256_loadu_ps(w + (k) * NR), w1 = _mm256_loadu_ps(w + (k) * NR + 8);        \
        ROW_FMA(0, k) ROW_FMA(1, k) ROW_FMA(2, k) ROW_FMA(3, k) ROW_FMA(4, k) ROW_FMA(5, k)             \
    }

/* The epilogue of one row: C reload (accumulate), alpha/bias/residual, store of the nr valid columns.
 * Everything but the two accumulators is loaded here, per row, not hoisted: 12 accumulators + alpha +
 * 2 bias vectors + 2 masks would not fit in 16 registers, and GCC then spills an accumulator in the
 * k loop as well. The reloads hit L1. Tail (nr < NR, the last panel only): vmaskmov, which neither
 * reads nor writes lanes past nr. */
RTJ_ALWAYS_INLINE void store_row(float *cr, __m256 y0, __m256 y1, size_t nr, int accumulate,
                                 const rtj_f32_epi *epi, size_t r)
{
    const int full = nr >= NR;
    __m256i m0 = _mm256_setzero_si256(), m1 = m0;
    if (!full)
        avx2_cols_masks(nr, &m0, &m1);
    if (accumulate) {
        y0 = _mm256_add_ps(y0, avx2_load_cols(cr, full, m0));
        y1 = _mm256_add_ps(y1, avx2_load_cols(cr + 8, full, m1));
    }
    if (epi) {
        const __m256 valpha = _mm256_set1_ps(epi->alpha);
        if (epi->bias) { /* padded to NR: full loads are in bounds */
            y0 = _mm256_fmadd_ps(y0, valpha, _mm256_loadu_ps(epi->bias));
            y1 = _mm256_fmadd_ps(y1, valpha, _mm256_loadu_ps(epi->bias + 8));
        } else {
            y0 = _mm256_mul_ps(y0, valpha);
            y1 = _mm256_mul_ps(y1, valpha);
        }
        if (epi->op == RTJ_EPI_RESIDUAL) {
            const float *rr = epi->res + r * epi->ldres;
            y0 = _mm256_add_ps(y0, avx2_load_cols(rr, full, m0));
            y1 = _mm256_add_ps(y1, avx2_load_cols(rr + 8, full, m1));
        }
    }
    avx2_store_cols(cr, y0, y1, full, m0, m1);
}

#define ROW_STORE(r)                                                                                    \
    if (MRC > r)                                                                                        \
        store_row(c + (r) * ldc, c##r##0, c##r##1, nr, accumulate, epi, r);

RTJ_ALWAYS_INLINE void tile(const size_t MRC, size_t nr, size_t kc, const float *a, size_t lda,
                            const float *w, float *c, size_t ldc, int accumulate, const rtj_f32_epi *epi)
{
    const float *a0 = a, *a1 = a, *a2 = a, *a3 = a, *a4 = a, *a5 = a;
    if (MRC > 1) a1 = a0 + lda;
    if (MRC > 2) a2 = a1 + lda;
    if (MRC > 3) a3 = a2 + lda;
    if (MRC > 4) a4 = a3 + lda;
    if (MRC > 5) a5 = a4 + lda;

    /* One accumulator set for every mr, summed in k order: a row's result is then the same bits whatever
     * tile row it falls on and however many rows the tile has, which makes an instance's logits
     * independent of the batch it travels in (tests/test_batch.c). Short tiles (mr < 4) therefore run
     * on 2 * mr FMA chains, below the latency-bound rate; at M = 1 the weights stream from memory anyway. */
#define SETS(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = c##r##0;
    SETS(0) SETS(1) SETS(2) SETS(3) SETS(4) SETS(5)
#undef SETS

    /* k unrolled by 4: loop overhead amortised over up to 48 FMAs; A pointers advance with k. */
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        PREFETCH_W()
        K_STEP(0) K_STEP(1) K_STEP(2) K_STEP(3)
        w += 4 * NR;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4;
    }
    for (; k > 0; k--) {
        K_STEP(0)
        w += NR;
        a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1;
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
#define TILE(m) tile(m, nr, kc, a, lda, w, c, ldc, accumulate, epi)
    RTJ_UKERNEL_SWITCH_MR(mr, MR, TILE)
#undef TILE
}
