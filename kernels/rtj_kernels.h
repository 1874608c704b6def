/* rtj kernel interface: one fixed C signature per kernel family, the dispatch table that holds one ISA's
 * kernels, and the ISA-independent drivers (blocked GEMM, batched GEMM, attention) built on them.
 * Internal to the library: the public API lives in include/rtj.h. */
#ifndef RTJ_KERNELS_H
#define RTJ_KERNELS_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

#include "../arch/cpu.h"

/* ---- GEMM micro-kernel ---------------------------------------------------------------------------
 * Computes one register tile of C[mr, nr] from mr rows of A (row-major, row stride lda, kc values each)
 * and one packed weight panel (kc x NR floats: for each k, NR consecutive output columns; columns past
 * the weight's N are zero). 1 <= mr <= MR, 1 <= nr <= NR; only the mr x nr tile of C is touched.
 *   accumulate = 0:  acc = A*W          accumulate = 1:  acc = C + A*W
 * epi == NULL: C = acc (a K block that is not the last). Otherwise the last K block's epilogue:
 *   y = alpha * acc + bias[j]           (bias: NR floats, padded; NULL = no bias)
 *   op GELU:      C = gelu(y)           op RESIDUAL:  C = y + res[i * ldres + j]
 * The epilogue sees the full sum, so it is applied exactly once, after the last K block. */
enum rtj_epi_op { RTJ_EPI_NONE = 0, RTJ_EPI_GELU = 1, RTJ_EPI_RESIDUAL = 2 };

typedef struct rtj_f32_epi {
    float alpha;
    const float *bias;
    enum rtj_epi_op op;
    const float *res; /* tile's (0,0) of the residual, for RTJ_EPI_RESIDUAL */
    size_t ldres;
} rtj_f32_epi;

typedef void (*rtj_f32_gemm_ukernel_fn)(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
                                        const float *w, float *c, size_t ldc, int accumulate,
                                        const rtj_f32_epi *epi);

/* ---- Elementwise and row kernels (each has a __ref in double, see kernels/ref.h) ------------------ */
/* y = softmax(x + mask) over n values; mask is additive (NULL = none); y may alias x. */
typedef void (*rtj_f32_softmax_fn)(size_t n, const float *x, const float *mask, float *y);
/* y = LayerNorm(x + res) * gamma + beta over each of rows rows of n values; res may be NULL; eps > 0.
 * y may alias x (not res). */
typedef void (*rtj_f32_layernorm_fn)(size_t rows, size_t n, const float *x, size_t ldx, const float *res,
                                     size_t ldres, const float *gamma, const float *beta, float eps,
                                     float *y, size_t ldy);
/* y = f(x) elementwise; y may alias x. */
typedef void (*rtj_f32_unary_fn)(size_t n, const float *x, float *y);
/* out[t, :] = word[ids[t], :] + pos[pos0 + t, :] + type[types[t], :] for t < seq (types NULL = type 0).
 * Ids are trusted here: the caller validates them against the table sizes. */
typedef void (*rtj_f32_embed_fn)(size_t seq, const int32_t *ids, const int32_t *types, size_t pos0,
                                 const float *word, const float *pos, const float *type, size_t hidden,
                                 float *out, size_t ldo);

/* ---- INT8 GEMM micro-kernel ----------------------------------------------------------------------
 * Weights are symmetric per output channel: w[j][k] = w_scale[j] * q, q in [-127, 127], packed once in a
 * layout that every ISA's kernel reads (so a model file needs one copy): panels of RTJ_Q8_PANEL = 16
 * columns; within a panel, for each group of 4 k, 16 x 4 bytes, the 4 consecutive k of column 0, then of
 * column 1, ... (one 32-bit lane = 4 k of one column: the operand of vpdpbusd and sdot). k is padded to
 * k_pad (a multiple of 4) and n to n_pad (a multiple of 16) with zero weights.
 * Activations are asymmetric u8 per row: x[i][k] = a_scale[i] * (q - a_zero[i]), q in [0, q8_act_max].
 * A tile: acc[i][j] = sum_k qa[i][k] * qw[k][j] (exact int32), over k_pad values, reading the panels
 * starting at w, panel_stride bytes apart. n_pad is only a multiple of 16, so of a tile of nr < NR columns
 * only ceil(nr / 16) panels and ceil(nr / 16) * 16 epilogue values (w_scale, w_sum, bias) exist. epi == NULL stores acc as int32 into (int32_t *)c (the exact
 * check); otherwise
 *     y = a_scale[i] * w_scale[j] * (acc - a_zero[i] * w_sum[j]) + bias[j]   (w_sum[j] = sum_k qw[k][j])
 * then GELU or + res as for FP32, stored as float. */
#define RTJ_Q8_PANEL 16

typedef struct rtj_q8_epi {
    const float *a_scale;   /* mr values */
    const int32_t *a_zero;  /* mr values */
    const float *w_scale;   /* ceil(nr / 16) * 16 values (padded) */
    const int32_t *w_sum;   /* same */
    const float *bias;      /* same, or NULL */
    enum rtj_epi_op op;
    const float *res;
    size_t ldres;
} rtj_q8_epi;

typedef void (*rtj_q8_gemm_ukernel_fn)(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                       const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                       const rtj_q8_epi *epi);

/* Per-row activation quantization (see rtj_q8_quantize_rows). */
typedef void (*rtj_q8_quantize_fn)(size_t m, size_t k, const float *x, size_t ldx, int qmax, uint8_t *q,
                                   size_t ldq, float *scale, int32_t *zero);

/* ---- The dispatch table: one ISA's kernels and the tile sizes that go with them -------------------- */
typedef struct rtj_kernels {
    enum rtj_isa isa;
    const char *name;               /* "avx512", ... */
    rtj_f32_gemm_ukernel_fn f32_gemm_ukernel;
    const char *f32_gemm_ukernel_name; /* e.g. "f32_gemm_ukernel_8x32__avx512" */
    size_t f32_gemm_mr, f32_gemm_nr; /* register tile */
    size_t f32_gemm_kc;              /* K block: the W panel slice kc x NR stays in L1/L2 */
    size_t f32_gemm_mc;              /* M block: the A slice mc x kc stays in L2 */
    rtj_q8_gemm_ukernel_fn q8_gemm_ukernel;
    const char *q8_gemm_ukernel_name;
    size_t q8_gemm_mr, q8_gemm_nr;   /* nr: a multiple of RTJ_Q8_PANEL */
    int q8_act_max;                  /* 255, or 127 where u8 x s8 pair sums would saturate int16 */
    rtj_q8_quantize_fn q8_quantize;  /* rtj_q8_quantize_rows, vectorised: the same bits */
    rtj_f32_softmax_fn f32_softmax;
    rtj_f32_layernorm_fn f32_layernorm;
    rtj_f32_unary_fn f32_gelu;
    rtj_f32_unary_fn f32_tanh;
    rtj_f32_embed_fn f32_embed;
} rtj_kernels;

/* Pure: the best table the given CPU can run, or, with force != RTJ_ISA_AUTO, that ISA's table.
 * Returns 0, or -1 when the CPU cannot run the forced ISA or it was not built in (out untouched). */
int rtj_kernels_select(const rtj_cpu_info *cpu, enum rtj_isa force, rtj_kernels *out);
/* The table of this process: CPU read and RTJ_ISA applied once (pthread_once). NULL when RTJ_ISA names
 * an ISA this CPU cannot run or an unknown value; rtj_kernels_error() then says why. */
const rtj_kernels *rtj_kernels_get(void);
const char *rtj_kernels_error(void);
/* The table of one ISA if this CPU can run it, else NULL: how tests and benchmarks walk every ISA. */
const rtj_kernels *rtj_kernels_for_isa(enum rtj_isa isa);
/* This CPU as read once (the same read the table came from). */
const rtj_cpu_info *rtj_cpu_get(void);

/* ---- The kernel lists (kernels/kernel_list.h) as data: walked by tests, benchmarks and the self-test -- */
typedef struct rtj_kernel_entry {
    const char *name;         /* the function's name */
    enum rtj_kernel_set set;  /* what the CPU must offer */
    enum rtj_isa isa;         /* the table it belongs to */
    size_t mr, nr;            /* register tile (GEMMs; 0 for row kernels) */
} rtj_kernel_entry;
enum rtj_kernel_family { RTJ_FAMILY_F32_ROWS = 0, RTJ_FAMILY_F32_GEMM, RTJ_FAMILY_Q8_GEMM, RTJ_FAMILY_COUNT };
/* The family's kernels built into this library, in preference order; *count set. */
const rtj_kernel_entry *rtj_kernel_list(enum rtj_kernel_family family, size_t *count);
const char *rtj_kernel_family_name(enum rtj_kernel_family family);
/* The table of a listed kernel's ISA with that kernel in it (for row kernels: the ISA's table itself), if
 * this CPU runs the kernel's set: how tests and benchmarks run every listed kernel, not only the one dispatch
 * prefers (the AVX2 INT8 kernel on a VNNI CPU, plain NEON INT8 on a dotprod CPU). 0, or -1 (out untouched). */
int rtj_kernels_with(enum rtj_kernel_family family, size_t index, rtj_kernels *out);
/* The same, found by function (tests name kernels by their functions). */
int rtj_kernels_with_f32_gemm(rtj_f32_gemm_ukernel_fn fn, rtj_kernels *out);
int rtj_kernels_with_q8_gemm(rtj_q8_gemm_ukernel_fn fn, rtj_kernels *out);

/* ---- Packed weights and the blocked GEMM driver -------------------------------------------------- */
/* W [n, k] row-major as Hugging Face stores Linear weights ([out, in]), packed for one table's NR and KC:
 * for each K block kb (kc_b = min(KC, k - k0)), for each panel p of NR columns: kc_b x NR floats at
 * data + k0 * n_pad + p * kc_b * NR. bias is padded to n_pad with zeros (all zero if none given). */
typedef struct rtj_f32_packed_w {
    size_t n, k, n_pad, nr, kc;
    float *data;
    float *bias;
} rtj_f32_packed_w;

/* Pack W (row stride ldw) and bias (NULL = zero). w_is_kn = 1 reads W as [k, n] (ldw = its row stride)
 * instead: how attention packs V. Returns 0, or -1 when out of memory. */
int rtj_f32_pack_w(const rtj_kernels *kt, size_t n, size_t k, const float *w, size_t ldw, int w_is_kn,
                   const float *bias, rtj_f32_packed_w *out);
void rtj_f32_packed_w_free(rtj_f32_packed_w *w);
/* The inverse of packing: W [n, k] row-major again (a model file packed for another ISA's tile). */
void rtj_f32_unpack_w(const rtj_f32_packed_w *w, float *out);
/* Bytes rtj_f32_pack_w_into needs: for scratch-packed operands (attention's K and V) that must not
 * allocate on every call. */
size_t rtj_f32_packed_size(const rtj_kernels *kt, size_t n, size_t k);
void rtj_f32_pack_w_into(const rtj_kernels *kt, size_t n, size_t k, const float *w, size_t ldw,
                         int w_is_kn, float *data);

/* C[m, n] = epilogue(A[m, k] * W^T) over output columns [col0, col1) (both multiples of NR, or col1 = n):
 * the unit of work a thread takes. op RTJ_EPI_RESIDUAL reads res[m, n] (row stride ldres), which must not
 * alias C when k > KC. alpha scales the product before the bias. */
void rtj_f32_gemm_cols(const rtj_kernels *kt, size_t m, const float *a, size_t lda,
                       const rtj_f32_packed_w *w, float alpha, enum rtj_epi_op op, const float *res,
                       size_t ldres, float *c, size_t ldc, size_t col0, size_t col1);
/* All columns. */
void rtj_f32_gemm(const rtj_kernels *kt, size_t m, const float *a, size_t lda, const rtj_f32_packed_w *w,
                  float alpha, enum rtj_epi_op op, const float *res, size_t ldres, float *c, size_t ldc);
/* Same GEMM with data already packed by rtj_f32_pack_w_into (no bias): used for scratch operands. */
void rtj_f32_gemm_packed_data(const rtj_kernels *kt, size_t m, size_t n, size_t k, const float *a,
                              size_t lda, const float *wdata, float alpha, float *c, size_t ldc);

/* ---- Batched strided GEMM (attention's per-head products) ---------------------------------------- */
/* For b < batch: C_b[m, n] = alpha * A_b[m, k] * op(B_b), A_b = a + b*stride_a (row stride lda),
 * B_b = bm + b*stride_b, read as [n, k] (b_is_kn = 0: Q*K^T) or [k, n] (b_is_kn = 1: P*V), row stride ldb;
 * C_b = c + b*stride_c (row stride ldc). scratch: rtj_f32_gemm_batched_scratch floats. */
size_t rtj_f32_gemm_batched_scratch(const rtj_kernels *kt, size_t n, size_t k);
void rtj_f32_gemm_batched(const rtj_kernels *kt, size_t batch, size_t m, size_t n, size_t k, float alpha,
                          const float *a, size_t lda, size_t stride_a, const float *bm, size_t ldb,
                          size_t stride_b, int b_is_kn, float *c, size_t ldc, size_t stride_c,
                          float *scratch);

/* ---- Attention for one sequence ------------------------------------------------------------------- */
/* out[:, h*d:(h+1)*d] = softmax(Q_h K_h^T / sqrt(d) + mask) V_h for each head h < heads, where Q_h is
 * columns h*d.. of q (row stride ldq; seq rows), likewise K, V; mask: seq additive values (NULL = none).
 * Query rows are taken RTJ_ATTN_QBLOCK at a time so the scores block stays in L2 at seq 512.
 * scratch: rtj_f32_attention_scratch floats. attention_head does one head: the unit a thread takes. */
#define RTJ_ATTN_QBLOCK 64
size_t rtj_f32_attention_scratch(const rtj_kernels *kt, size_t seq, size_t head_dim);
/* How attention_head uses its scratch for one head of seq tokens: K packed as the GEMM's weight panels
 * ([n = seq, k = d]), V packed ([k = seq, n = d]), then the scores of one query block (QBLOCK x seq
 * rounded up to NR). */
typedef struct rtj_f32_attention_head_scratch {
    float *k_packed, *v_packed, *scores;
} rtj_f32_attention_head_scratch;
/* Floats the head scratch takes (what rtj_f32_attention_scratch returns); with out not NULL, also its
 * parts laid out from scratch on into *out. */
size_t rtj_f32_attention_head_layout(const rtj_kernels *kt, size_t seq, size_t head_dim, float *scratch,
                                     rtj_f32_attention_head_scratch *out);
/* One thread's area when threads take heads in parallel, for sequences up to max_seq: the head scratch,
 * rounded up to a 64-byte line so that areas laid side by side never share one. */
typedef struct rtj_f32_attention_worker_scratch {
    float *scratch; /* rtj_f32_attention_scratch(kt, max_seq, head_dim) floats: attention_head's */
} rtj_f32_attention_worker_scratch;
/* Floats one thread's area takes (the stride between threads' areas); with out not NULL, also the area
 * of thread `worker` in the array of areas at base, into *out. */
size_t rtj_f32_attention_worker_layout(const rtj_kernels *kt, size_t max_seq, size_t head_dim, float *base,
                                       size_t worker, rtj_f32_attention_worker_scratch *out);
void rtj_f32_attention_head(const rtj_kernels *kt, size_t seq, size_t head_dim, const float *q, size_t ldq,
                            const float *k, size_t ldk, const float *v, size_t ldv, const float *mask,
                            float *out, size_t ldo, float *scratch);
void rtj_f32_attention(const rtj_kernels *kt, size_t seq, size_t heads, size_t head_dim, const float *q,
                       size_t ldq, const float *k, size_t ldk, const float *v, size_t ldv,
                       const float *mask, float *out, size_t ldo, float *scratch);

/* ---- INT8 weights and the INT8 GEMM driver ------------------------------------------------------- */
typedef struct rtj_q8_packed_w {
    size_t n, k, n_pad, k_pad;
    int8_t *data;     /* n_pad / 16 panels of k_pad * 16 bytes */
    float *w_scale;   /* n_pad, 0 past n */
    int32_t *w_sum;   /* n_pad */
    float *bias;      /* n_pad, zeros where none given */
} rtj_q8_packed_w;

/* Quantize W [n, k] (row stride ldw; HF [out, in]) per output channel and pack it. The layout does not
 * depend on the ISA. Returns 0, or -1 when out of memory. */
int rtj_q8_pack_w(size_t n, size_t k, const float *w, size_t ldw, const float *bias, rtj_q8_packed_w *out);
void rtj_q8_packed_w_free(rtj_q8_packed_w *w);
/* The quantized weights back in [n, k] (HF layout), n * k bytes: what the exact references read. */
void rtj_q8_unpack_w(const rtj_q8_packed_w *w, int8_t *out);
/* The micro-kernel's int32 accumulators for C[m, n] = qa[m, k_pad] * W, tile by tile as the driver takes
 * them, no epilogue (epi NULL): what the exact tests and the self-test compare with int64 sums. Only the
 * m x n elements of acc (row stride ldc) are written. */
void rtj_q8_gemm_exact(const rtj_kernels *kt, size_t m, const uint8_t *qa, size_t ldq, const rtj_q8_packed_w *w,
                       int32_t *acc, size_t ldc);
/* Symmetric INT8 quantization of m rows of k floats, one scale a row: scale[i] = amax_i / 127 and
 * q = round(x / scale) in [-127, 127] (an all-zero row: scale 0, q 0). The rule of rtj_q8_pack_w's weight
 * channels, and of the INT8 models' word-embedding rows. */
void rtj_q8_quantize_rows_symmetric(size_t m, size_t k, const float *x, size_t ldx, int8_t *q, size_t ldq,
                                    float *scale);
/* Per-row asymmetric quantization of x [m, k] into q [m, ldq] (the portable reference of the table's
 * q8_quantize) (ldq >= k rounded up to 4; padding filled
 * with the zero point) with q in [0, qmax]; the range always includes 0 so that 0 is exact. Any float
 * input is safe: a row that rtj_q8_act_row_ok turns down is stored as zeros. */
/* Whether a row is quantized normally: all of it finite, and its scale s = range / qmax neither
 * overflowed (a range wider than FLT_MAX) nor so small that 1 / s does (a range below about qmax * 2^-128).
 * Any other row is stored as q = 0 with scale 1 and zero point 0, so NaN, Inf, or a range float cannot
 * scale never reach the conversion to integers (undefined in C, and different on every ISA), and every
 * ISA gives the reference's bits. Shared by the reference and the vectorised template. */
static inline int rtj_q8_act_row_ok(int finite, float s)
{
    return finite && s <= FLT_MAX && (s == 0.0f || 1.0f / s <= FLT_MAX);
}
void rtj_q8_quantize_rows(size_t m, size_t k, const float *x, size_t ldx, int qmax, uint8_t *q, size_t ldq,
                          float *scale, int32_t *zero);
/* Row stride of quantized activations: k rounded up to a 64-byte line, so rows start on one. */
size_t rtj_q8_row_stride(size_t k);
/* Bytes of scratch rtj_q8_gemm needs for m rows of k (rtj_q8_quantized_act_layout's size). */
size_t rtj_q8_gemm_scratch(size_t m, size_t k);
/* X [m, k] quantized for the INT8 GEMM, in one scratch buffer: the u8 rows (row stride ldq =
 * rtj_q8_row_stride(k), so rows start on a cache line), then each row's scale and zero point. */
typedef struct rtj_q8_quantized_act {
    uint8_t *qa;
    size_t ldq;
    float *a_scale;  /* m */
    int32_t *a_zero; /* m */
} rtj_q8_quantized_act;
/* Bytes the buffer takes for m rows of k (with a 64-byte line of slack at the end, as always); with out
 * not NULL, also its parts laid out in buf (64-byte aligned) into *out. A buffer sized for (m, k) holds
 * the layout of any (m' <= m, k' <= k). */
size_t rtj_q8_quantized_act_layout(size_t m, size_t k, void *buf, rtj_q8_quantized_act *out);
/* C[m, n] = epilogue(dequant(quant(X) * W^T)) over columns [col0, col1) (col0 a multiple of the table's
 * q8_gemm_nr) with X already quantized
 * (rtj_q8_quantize_rows with the table's q8_act_max): the unit of work a thread takes. */
void rtj_q8_gemm_quantized_cols(const rtj_kernels *kt, size_t m, const uint8_t *qa, size_t ldq,
                                const float *a_scale, const int32_t *a_zero, const rtj_q8_packed_w *w,
                                enum rtj_epi_op op, const float *res, size_t ldres, float *c, size_t ldc,
                                size_t col0, size_t col1);
/* Quantize X [m, k] into scratch and run all columns. */
void rtj_q8_gemm(const rtj_kernels *kt, size_t m, const float *x, size_t ldx, const rtj_q8_packed_w *w,
                 enum rtj_epi_op op, const float *res, size_t ldres, float *c, size_t ldc, void *scratch);

/* 64-byte aligned allocation (cache line, one zmm); free with rtj_free. NULL on failure or size 0. */
void *rtj_alloc(size_t bytes);
void rtj_free(void *p);

#endif
