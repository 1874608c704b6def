/* AVX-512 GEMM micro-kernel, 8x32 tile (contract: kernels/rtj_kernels.h).
 *
 * Register budget (32 zmm): 8 rows x 2 zmm of accumulators = 16, 2 for the k-th row of the W panel,
 * 1 for the broadcast A value: 19 live, so nothing spills and the compiler has room to overlap the
 * next k step's loads. Zen 4 retires one zmm FMA per cycle at 4 cycles latency: 16 independent chains
 * hide the latency 4 times over. Per k: 2 W loads + 8 broadcasts (loads) for 16 FMAs, well under the
 * 2-3 loads per cycle the L1 sustains. Why not wider or taller: M = 8 (a batch of short requests) is
 * exactly one 8-row tile, where 12 or 14 rows would run a partial tile; 1024 and 4096 columns are
 * multiples of 32 and 312 / 1200 pad by 2.6% / 1.3%, where a 48-wide tile pads 1024 by 3.1% and 312 by
 * 7.7%. (Chosen by this budget: the development VM hides AVX-512, so this file has been checked for
 * correctness through SIMDe and for its code with objdump, but not yet timed.)
 *
 * The body is one always-inline function instantiated for each mr (1..8) through a switch: a short
 * tile computes only its rows (M = 1 runs 2 FMAs per k, not 16). Rows past mr are never read nor
 * stored. Accumulators are named variables, not an array: GCC 12 spills arrays of vectors. */
#include <immintrin.h>

#include "../../../kernels/kernel_list.h"
#include "../../ukernel_common.h"

#define MR 8
#define NR 32

/* Software prefetch of W, 8 KiB ahead (one line per 16 floats, 8 per 4 k steps): at 16 cycles per k
 * step that is ~1000 cycles, more than an L3 or DRAM miss, for when W streams from memory (M <= 8);
 * and a quarter of L1, so lines are not evicted before use. The 1-row tile does not prefetch: it is
 * latency bound at half the FMA rate, so the hardware prefetcher keeps up (on AVX2, where the same
 * tile runs at a quarter, it measured no faster with the prefetches). */
#define W_PREFETCH (64 * NR)
#define PREFETCH_LINE(l) _mm_prefetch((const char *)(w + W_PREFETCH + 16 * (l)), _MM_HINT_T0);
#define PREFETCH_W()                                                                                    \
    if (MRC > 1) {                                                                                      \
        PREFETCH_LINE(0) PREFETCH_LINE(1) PREFETCH_LINE(2) PREFETCH_LINE(3)                             \
        PREFETCH_LINE(4) PREFETCH_LINE(5) PREFETCH_LINE(6) PREFETCH_LINE(7)                             \
    }

/* One k step: row r gets a[r][k] * W[k, 0:32]. */
#define ROW_FMA(r, k)                                                                                   \
    if (MRC > r) {                                                                                      \
        const __m512 va = _mm512_set1_ps(a##r[k]);                                                      \
        c##r##0 = _mm512_fmadd_ps(va, w0, c##r##0);                                                     \
        c##r##1 = _mm512_fmadd_ps(va, w1, c##r##1);                                                     \
    }
#define K_STEP(k)                                                                                       \
    {                                                                                                   \
        const __m512 w0 = _mm512_loadu_ps(w + (k) * NR), w1 = _mm512_loadu_ps(w + (k) * NR + 16);       \
        ROW_FMA(0, k) ROW_FMA(1, k) ROW_FMA(2, k) ROW_FMA(3, k)                                         \
        ROW_FMA(4, k) ROW_FMA(5, k) ROW_FMA(6, k) ROW_FMA(7, k)                                         \
    }

/* The epilogue of one row: C reload (accumulate), alpha/bias/residual, masked store of the nr valid
 * columns (masked loads and stores neither fault on nor touch lanes past nr). alpha and bias are
 * reloaded per row (L1 hits) rather than held across the tile: fewer live registers at the end of
 * the k loop, where 16 accumulators are still live. */
RTJ_ALWAYS_INLINE void store_row(float *cr, __m512 y0, __m512 y1, size_t nr, int accumulate,
                                 const rtj_f32_epi *epi, size_t r)
{
    const uint32_t valid = nr >= NR ? 0xFFFFFFFFu : (1u << nr) - 1u;
    const __mmask16 m0 = (__mmask16)valid, m1 = (__mmask16)(valid >> 16);
    if (accumulate) {
        y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, cr));
        y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, cr + 16));
    }
    if (epi) {
        const __m512 valpha = _mm512_set1_ps(epi->alpha);
        if (epi->bias) { /* padded to NR: full loads are in bounds */
            y0 = _mm512_fmadd_ps(y0, valpha, _mm512_loadu_ps(epi->bias));
            y1 = _mm512_fmadd_ps(y1, valpha, _mm512_loadu_ps(epi->bias + 16));
        } else {
            y0 = _mm512_mul_ps(y0, valpha);
            y1 = _mm512_mul_ps(y1, valpha);
        }
        if (epi->op == RTJ_EPI_RESIDUAL) {
            const float *rr = epi->res + r * epi->ldres;
            y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, rr));
            y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, rr + 16));
        }
    }
    _mm512_mask_storeu_ps(cr, m0, y0);
    _mm512_mask_storeu_ps(cr + 16, m1, y1);
}

#define ROW_STORE(r)                                                                                    \
    if (MRC > r)                                                                                        \
        store_row(c + (r) * ldc, c##r##0, c##r##1, nr, accumulate, epi, r);

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

    /* One accumulator set for every mr, summed in k order: a row's result is then the same bits whatever
     * tile row it falls on and however many rows the tile has, which makes an instance's logits
     * independent of the batch it travels in (tests/test_batch.c). The 1-row tile therefore runs on 2
     * FMA chains, half the latency-bound rate (4 zmm chains fill the pipe, so mr >= 2 is at full rate);
     * at M = 1 the weights stream from memory anyway. */
#define SETS(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = c##r##0;
    SETS(0) SETS(1) SETS(2) SETS(3) SETS(4) SETS(5) SETS(6) SETS(7)
#undef SETS

    /* k unrolled by 4: loop overhead amortised over up to 64 FMAs; A pointers advance with k, so every
     * broadcast is a fixed-offset load. */
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        PREFETCH_W()
        K_STEP(0) K_STEP(1) K_STEP(2) K_STEP(3)
        w += 4 * NR;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4; a6 += 4; a7 += 4;
    }
    for (; k > 0; k--) {
        K_STEP(0)
        w += NR;
        a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1; a6 += 1; a7 += 1;
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
#define TILE(m) tile(m, nr, kc, a, lda, w, c, ldc, accumulate, epi)
    RTJ_UKERNEL_SWITCH_MR(mr, MR, TILE)
#undef TILE
}
