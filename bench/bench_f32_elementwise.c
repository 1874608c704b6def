/* bench_f32_elementwise: the row and elementwise kernels of each ISA table (softmax, layernorm, GELU, tanh,
 * embedding gather-sum) and one head of attention, at BERT-large and TinyBERT sizes, one thread.
 *
 * GB/s counts the compulsory traffic: every array whose size grows with the rows is counted once per
 * element read plus once per element written; row-invariant vectors (softmax's mask, layernorm's gamma
 * and beta) are counted once per call. Inputs stay in cache across calls (warm), as they do in a layer:
 * these kernels run on activations the previous GEMM just wrote. Attention also gives GFLOP/s
 * (4 * seq^2 * head_dim: Q*K^T and P*V) and the fraction of the measured FP32 peak. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define VOCAB 30522 /* BERT's WordPiece vocabulary: the word table the gather reads from */
#define MAX_POS 512
#define TOKENS 128

static double g_peak;

/* ---- Output ------------------------------------------------------------------------------------------- */
static void print_header(void)
{
    if (!bench_opt.json)
        printf("%-6s %-26s %-28s %10s %8s %8s %6s %5s\n", "isa", "kernel", "shape", "us/call", "GB/s",
               "GFLOP/s", "peak%", "other");
}

/* One measurement: m x n (rows x row length; attention: seq x seq, k = head_dim), the bytes counted and,
 * for attention, the FLOPs (0 otherwise). variant: "" or e.g. "residual". */
static void emit(const char *family, const rtj_kernels *kt, const char *variant, size_t m, size_t n, size_t k,
                 double bytes, double flop, const bench_result *r)
{
    char kernel[64], shape[64];
    /* The symbol measured, as kernels/kernel_list.h names it; attention is the driver over the table's
     * GEMM micro-kernel and softmax, so it has no ISA suffix of its own (the isa field says which). */
    if (strcmp(family, "f32_attention") == 0)
        snprintf(kernel, sizeof kernel, "rtj_f32_attention_head");
    else
        snprintf(kernel, sizeof kernel, "rtj_%s__%s", family, kt->name);
    const double gbps = bytes / r->sec * 1e-9, gf = flop > 0 ? flop / r->sec * 1e-9 : NAN;
    const double frac = flop > 0 && g_peak > 0 ? gf / g_peak : NAN;
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, family);
        bench_rec_str(&rec, "kernel", kernel);
        bench_rec_str(&rec, "isa", kt->name);
        if (*variant)
            bench_rec_str(&rec, "variant", variant);
        bench_rec_int(&rec, "m", (long long)m);
        bench_rec_int(&rec, "n", (long long)n);
        bench_rec_int(&rec, "k", (long long)k);
        bench_rec_int(&rec, "threads", 1);
        bench_rec_num(&rec, "us", r->sec * 1e6);
        bench_rec_num(&rec, "bytes", bytes);
        bench_rec_num(&rec, "gbps", gbps);
        if (flop > 0) {
            bench_rec_num(&rec, "gflops", gf);
            bench_rec_num(&rec, "frac_peak", frac);
            bench_rec_num(&rec, "peak_gflops", g_peak);
        }
        bench_rec_num(&rec, "other_load", r->other_load);
        bench_rec_end(&rec);
        return;
    }
    if (k)
        snprintf(shape, sizeof shape, "seq %zu, head_dim %zu", m, k);
    else
        snprintf(shape, sizeof shape, "%zu x %zu%s%s", m, n, *variant ? " " : "", variant);
    char gfs[16] = "-", fr[16] = "-", ol[16] = "-";
    if (flop > 0) {
        snprintf(gfs, sizeof gfs, "%.1f", gf);
        snprintf(fr, sizeof fr, "%.1f", 100.0 * frac);
    }
    if (r->other_load >= 0)
        snprintf(ol, sizeof ol, "%.2f", r->other_load);
    printf("%-6s %-26s %-28s %10.2f %8.1f %8s %6s %5s\n", kt->name, kernel, shape, r->sec * 1e6, gbps, gfs,
           fr, ol);
    fflush(stdout);
}

/* ---- Softmax: rows of attention scores --------------------------------------------------------------- */
typedef struct softmax_ctx {
    const rtj_kernels *kt;
    size_t rows, n;
    const float *x, *mask;
    float *y;
} softmax_ctx;

static void run_softmax(void *p)
{
    softmax_ctx *s = p;
    for (size_t i = 0; i < s->rows; i++)
        s->kt->f32_softmax(s->n, s->x + i * s->n, s->mask, s->y + i * s->n);
}

/* BERT's additive mask: 0 for tokens, -10000 for the padding at the end (here the last eighth). */
static float *make_mask(size_t n)
{
    float *mask = bench_xalloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        mask[i] = i < n - n / 8 ? 0.0f : -10000.0f;
    return mask;
}

static void bench_softmax(const rtj_kernels *kt, size_t n)
{
    /* A query block's scores: 128 rows of n keys (seq 128: the whole head; seq 512: two QBLOCKs). */
    const size_t rows = 128;
    float *x = bench_alloc_filled(rows * n, 11, -8.0f, 8.0f), *mask = make_mask(n);
    float *y = bench_xalloc(rows * n * sizeof(float));
    softmax_ctx s = {kt, rows, n, x, mask, y};
    bench_result r;
    bench_time(run_softmax, &s, &r);
    bench_consume(y, rows * n);
    emit("f32_softmax", kt, "masked", rows, n, 0, (2.0 * rows * n + n) * sizeof(float), 0, &r);
    rtj_free(x);
    rtj_free(mask);
    rtj_free(y);
}

/* ---- LayerNorm: 128 tokens at hidden 1024 / 312, with the residual add fused or not ------------------ */
typedef struct layernorm_ctx {
    const rtj_kernels *kt;
    size_t rows, n;
    const float *x, *res, *gamma, *beta;
    float *y;
} layernorm_ctx;

static void run_layernorm(void *p)
{
    layernorm_ctx *s = p;
    s->kt->f32_layernorm(s->rows, s->n, s->x, s->n, s->res, s->n, s->gamma, s->beta, 1e-12f, s->y, s->n);
}

static void bench_layernorm(const rtj_kernels *kt, size_t n, int residual)
{
    const size_t rows = TOKENS;
    float *x = bench_alloc_filled(rows * n, 21, -2.0f, 2.0f);
    float *res = residual ? bench_alloc_filled(rows * n, 22, -1.0f, 1.0f) : NULL;
    float *gamma = bench_alloc_filled(n, 23, 0.5f, 1.5f), *beta = bench_alloc_filled(n, 24, -0.5f, 0.5f);
    float *y = bench_xalloc(rows * n * sizeof(float));
    layernorm_ctx s = {kt, rows, n, x, res, gamma, beta, y};
    bench_result r;
    bench_time(run_layernorm, &s, &r);
    bench_consume(y, rows * n);
    emit("f32_layernorm", kt, residual ? "residual" : "plain", rows, n, 0,
         ((residual ? 3.0 : 2.0) * rows * n + 2.0 * n) * sizeof(float), 0, &r);
    rtj_free(x);
    rtj_free(res);
    rtj_free(gamma);
    rtj_free(beta);
    rtj_free(y);
}

/* ---- GELU and tanh: 1M floats (4 MB in, 4 MB out: past L2) and the 128 x 4096 FFN tile ---------------- */
typedef struct unary_ctx {
    rtj_f32_unary_fn fn;
    size_t n;
    const float *x;
    float *y;
} unary_ctx;

static void run_unary(void *p)
{
    unary_ctx *s = p;
    s->fn(s->n, s->x, s->y);
}

static void bench_unary(const char *family, const rtj_kernels *kt, rtj_f32_unary_fn fn, size_t m, size_t n)
{
    /* [-6, 6] covers every branch: the saturated tails and the polynomial's middle. Out of place, so each
     * call sees the same inputs (in place, repeated GELU would drift towards zero and denormals). */
    float *x = bench_alloc_filled(m * n, 31, -6.0f, 6.0f);
    float *y = bench_xalloc(m * n * sizeof(float));
    unary_ctx s = {fn, m * n, x, y};
    bench_result r;
    bench_time(run_unary, &s, &r);
    bench_consume(y, m * n);
    emit(family, kt, "", m, n, 0, 2.0 * m * n * sizeof(float), 0, &r);
    rtj_free(x);
    rtj_free(y);
}

/* ---- Embedding gather-sum: 128 tokens from the full BERT vocabulary ---------------------------------- */
typedef struct embed_ctx {
    const rtj_kernels *kt;
    size_t hidden;
    const int32_t *ids, *types;
    const float *word, *pos, *type;
    float *out;
} embed_ctx;

static void run_embed(void *p)
{
    embed_ctx *s = p;
    s->kt->f32_embed(TOKENS, s->ids, s->types, 0, s->word, s->pos, s->type, s->hidden, s->out, s->hidden);
}

static void bench_embed(const rtj_kernels *kt, size_t hidden)
{
    /* The whole table is allocated (125 MB at hidden 1024) so rows lie where a model's would, but the same
     * 128 ids are reused: after the first call their rows are cached, as in a sentence that repeats. */
    float *word = bench_alloc_filled((size_t)VOCAB * hidden, 41, -0.1f, 0.1f);
    float *pos = bench_alloc_filled((size_t)MAX_POS * hidden, 42, -0.1f, 0.1f);
    float *type = bench_alloc_filled(2 * hidden, 43, -0.1f, 0.1f);
    float *out = bench_xalloc(TOKENS * hidden * sizeof(float));
    int32_t ids[TOKENS], types[TOKENS];
    uint32_t s = 12345;
    for (size_t t = 0; t < TOKENS; t++) {
        s = s * 1664525u + 1013904223u;
        ids[t] = (int32_t)((s >> 8) % VOCAB);
        types[t] = t < TOKENS / 2 ? 0 : 1;
    }
    embed_ctx e = {kt, hidden, ids, types, word, pos, type, out};
    bench_result r;
    bench_time(run_embed, &e, &r);
    bench_consume(out, TOKENS * hidden);
    /* per token: three rows read, one written */
    emit("f32_embed", kt, "", TOKENS, hidden, 0, 4.0 * TOKENS * hidden * sizeof(float), 0, &r);
    rtj_free(word);
    rtj_free(pos);
    rtj_free(type);
    rtj_free(out);
}

/* ---- Attention, one head ------------------------------------------------------------------------------ */
typedef struct attn_ctx {
    const rtj_kernels *kt;
    size_t seq, d, ld;
    const float *q, *k, *v, *mask;
    float *out, *scratch;
} attn_ctx;

static void run_attention(void *p)
{
    attn_ctx *s = p;
    rtj_f32_attention_head(s->kt, s->seq, s->d, s->q, s->ld, s->k, s->ld, s->v, s->ld, s->mask, s->out,
                           s->ld, s->scratch);
}

static void bench_attention(const rtj_kernels *kt, size_t seq, size_t d)
{
    /* Q, K, V as the projections leave them: all heads side by side, row stride = hidden (16 heads of 64
     * in BERT-large, 12 of 26 in TinyBERT); head 0 is measured. */
    const size_t ld = d == 26 ? 312 : 16 * d;
    float *q = bench_alloc_filled(seq * ld, 51, -1.0f, 1.0f), *k = bench_alloc_filled(seq * ld, 52, -1.0f, 1.0f);
    float *v = bench_alloc_filled(seq * ld, 53, -1.0f, 1.0f), *mask = make_mask(seq);
    float *out = bench_xalloc(seq * ld * sizeof(float));
    float *scratch = bench_xalloc(rtj_f32_attention_scratch(kt, seq, d) * sizeof(float));
    attn_ctx a = {kt, seq, d, ld, q, k, v, mask, out, scratch};
    bench_result r;
    bench_time(run_attention, &a, &r);
    for (size_t i = 0; i < seq; i++)
        bench_consume(out + i * ld, d);
    emit("f32_attention", kt, "", seq, seq, d, (4.0 * seq * d + seq) * sizeof(float),
         4.0 * (double)seq * (double)seq * (double)d, &r);
    rtj_free(q);
    rtj_free(k);
    rtj_free(v);
    rtj_free(mask);
    rtj_free(out);
    rtj_free(scratch);
}

int main(int argc, char **argv)
{
    const int rc = bench_init(argc, argv,
                              "FP32 row and elementwise kernels (softmax, layernorm, gelu, tanh, embedding "
                              "gather-sum) and one attention head,\nat BERT-large and TinyBERT sizes, every ISA.");
    if (rc >= 0)
        return rc;
    const rtj_kernels *tables[RTJ_ISA_COUNT];
    const int nt = bench_tables(tables, RTJ_ISA_COUNT);
    if (nt < 0)
        return 2;
    if (nt == 0)
        return 0;
    bench_report_machine("f32 elementwise kernels and one attention head", 0, &g_peak, NULL);
    print_header();

    const int quick = bench_opt.quick;
    static const size_t softmax_n[] = {128, 512}, ln_n[] = {1024, 312}, hidden[] = {1024, 312};
    static const size_t attn[][2] = {{128, 64}, {512, 64}, {128, 26}, {512, 26}};
    /* --quick: the first size of each family */
    const size_t ns = quick ? 1 : 2, na = quick ? 1 : 4;
    for (int t = 0; t < nt; t++) {
        const rtj_kernels *kt = tables[t];
        for (size_t i = 0; i < ns; i++)
            bench_softmax(kt, softmax_n[i]);
        for (size_t i = 0; i < ns; i++)
            for (int res = 0; res < 2; res++)
                bench_layernorm(kt, ln_n[i], res);
        bench_unary("f32_gelu", kt, kt->f32_gelu, 1, (size_t)1 << 20);
        if (!quick)
            bench_unary("f32_gelu", kt, kt->f32_gelu, 128, 4096);
        bench_unary("f32_tanh", kt, kt->f32_tanh, 1, (size_t)1 << 20);
        if (!quick)
            bench_unary("f32_tanh", kt, kt->f32_tanh, 128, 4096);
        for (size_t i = 0; i < ns; i++)
            bench_embed(kt, hidden[i]);
        for (size_t i = 0; i < na; i++)
            bench_attention(kt, attn[i][0], attn[i][1]);
    }
    return 0;
}
