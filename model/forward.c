/* The forward pass over a packed batch: the token rows of every instance still in flight, stacked with no
 * padding, go through each GEMM together; attention runs per (instance, head); after each exit layer the
 * instances that are confident leave and the rest are moved together, so later layers compute only the
 * tokens still in flight. Every per-row computation (GEMM rows, LayerNorm rows, one instance's attention)
 * is independent of the other rows, so an instance's logits are the same bit for bit whatever batch it
 * travels in, wherever in it, and with any number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "pool.h"

/* Row-wise work (LayerNorm, activation quantization) split among the pool's threads by rows: each row's
 * arithmetic is the same whoever computes it. */
typedef struct rows_job {
    const rtj_kernels *kt;
    size_t rows, chunk, n;
    float *x;                  /* LayerNorm in place: x [rows, n] */
    const float *gamma, *beta;
    float eps;
    const float *qx;           /* quantization: qx [rows, n] (row stride ldx) into qa, scale, zero */
    size_t ldx, ldq;
    uint8_t *qa;
    float *scale;
    int32_t *zero;
} rows_job;

static void layernorm_task(void *arg, size_t task, size_t worker)
{
    (void)worker;
    const rows_job *j = arg;
    const size_t r0 = task * j->chunk, nr = j->rows - r0 < j->chunk ? j->rows - r0 : j->chunk;
    j->kt->f32_layernorm(nr, j->n, j->x + r0 * j->n, j->n, NULL, 0, j->gamma, j->beta, j->eps, j->x + r0 * j->n, j->n);
}

static void quantize_task(void *arg, size_t task, size_t worker)
{
    (void)worker;
    const rows_job *j = arg;
    const size_t r0 = task * j->chunk, nr = j->rows - r0 < j->chunk ? j->rows - r0 : j->chunk;
    j->kt->q8_quantize(nr, j->n, j->qx + r0 * j->ldx, j->ldx, j->kt->q8_act_max, j->qa + r0 * j->ldq, j->ldq,
                       j->scale + r0, j->zero + r0);
}

/* How many threads an operation of `work` units is worth: one per min_per_thread units, at least one,
 * at most the pool's. Each threshold is what one thread does in 10 us of that operation at its speed
 * measured by build/bench/bench_pool (fastest repeat; AMD EPYC Zen 4 with AVX-512, 2 vCPUs, 2025-12-03:
 * FP32 GEMM 17-27, INT8 GEMM 75, attention 10-13, LayerNorm 1.3-1.7 thousand units per us), ten times
 * the cost of a hand-off to a spinning worker with its operands moving between caches. On that run the
 * machine was 80% busy with others' work, so the measured crossovers (also printed) were not clean. The
 * split never changes a result, only who computes it. */
#define MIN_F32_MACS_PER_THREAD 250000.0  /* FP32 GEMM: m n k */
#define MIN_Q8_MACS_PER_THREAD 750000.0   /* INT8 GEMM: m n k */
#define MIN_ATTN_MACS_PER_THREAD 120000.0 /* attention: 2 seq^2 hidden */
#define MIN_ROW_ELEMS_PER_THREAD 15000.0  /* LayerNorm, activation quantization: rows x width */

/* Tasks per thread an operation is cut into, where it has that many: threads claim tasks as they come,
 * so when a worker is slow to start (descheduled on a busy machine) the caller takes its share instead of
 * waiting for it. */
#define TASKS_PER_THREAD 4

/* A worker that fell asleep (the pool's spin ran out during serial work, or between requests) takes a
 * futex wake-up, and on a virtual machine the wake of an idle vCPU, before it helps: an operation wakes
 * it only for WAKE_FACTOR times the work. Short inputs, whose operations are all small, then never wake
 * it, and a long input wakes it once and keeps it spinning through the pass. */
#define WAKE_FACTOR 10.0

static int threads_for(const rtj_context *c, double work, double min_per_thread)
{
    const int max = rtj_pool_threads(c->pool);
    if (max > 1 && rtj_pool_sleeping(c->pool) > 0)
        min_per_thread *= WAKE_FACTOR;
    const double t = c->split_scale > 0 ? work / (min_per_thread * c->split_scale) : max;
    return t >= max ? max : t < 1 ? 1 : (int)t;
}

/* Splits rows into one chunk per thread the work is worth and runs fn over them. */
static void run_rows(rtj_context *c, rows_job *j, rtj_task_fn fn)
{
    const size_t threads = (size_t)threads_for(c, (double)j->rows * (double)j->n, MIN_ROW_ELEMS_PER_THREAD);
    const size_t tasks = threads == 1 ? 1 : threads * TASKS_PER_THREAD;
    j->chunk = (j->rows + tasks - 1) / tasks;
    if (j->chunk == 0)
        return;
    rtj_pool_run(c->pool, (j->rows + j->chunk - 1) / j->chunk, (int)threads, fn, j);
}

static void layernorm(rtj_context *c, size_t rows, float *x, const float *gamma, const float *beta)
{
    const rtj_model *m = c->model;
    rows_job j = {.kt = m->kt, .rows = rows, .n = (size_t)m->cfg.hidden, .x = x, .gamma = gamma, .beta = beta,
                  .eps = m->cfg.eps};
    run_rows(c, &j, layernorm_task);
}

/* One linear layer, its output columns split among the pool's threads. Each column's arithmetic is the
 * same whichever thread computes it (tiles start at multiples of NR from column 0), so the result does
 * not depend on the thread count. */
typedef struct linear_job {
    const rtj_kernels *kt;
    const rtj_linear *l;
    size_t m, ldx, ldres, ldy, ldq, chunk;
    const float *x, *res;
    float *y;
    enum rtj_epi_op op;
    const uint8_t *qa;
    const float *a_scale;
    const int32_t *a_zero;
} linear_job;

static void linear_task(void *arg, size_t task, size_t worker)
{
    (void)worker;
    const linear_job *j = arg;
    const size_t col0 = task * j->chunk, col1 = col0 + j->chunk;
    if (j->l->is_q8)
        rtj_q8_gemm_quantized_cols(j->kt, j->m, j->qa, j->ldq, j->a_scale, j->a_zero, &j->l->q8, j->op, j->res,
                                   j->ldres, j->y, j->ldy, col0, col1);
    else
        rtj_f32_gemm_cols(j->kt, j->m, j->x, j->ldx, &j->l->f32, 1.0f, j->op, j->res, j->ldres, j->y, j->ldy, col0,
                          col1);
}

static void linear(rtj_context *c, const rtj_linear *l, size_t m, const float *x, size_t ldx,
                   enum rtj_epi_op op, const float *res, size_t ldres, float *y, size_t ldy)
{
    const rtj_kernels *kt = c->model->kt;
    linear_job j = {kt, l, m, ldx, ldres, ldy, 0, 0, x, res, y, op, NULL, NULL, NULL};
    size_t n, nr;
    if (l->is_q8) {
        /* Quantize the rows once, before the columns are shared out. */
        n = l->q8.n;
        nr = kt->q8_gemm_nr;
        rtj_q8_quantized_act a;
        rtj_q8_quantized_act_layout(m, l->q8.k, c->q8_scratch, &a);
        rows_job q = {.kt = kt, .rows = m, .n = l->q8.k, .qx = x, .ldx = ldx, .ldq = a.ldq, .qa = a.qa,
                      .scale = a.a_scale, .zero = a.a_zero};
        run_rows(c, &q, quantize_task);
        j.ldq = a.ldq, j.qa = a.qa, j.a_scale = a.a_scale, j.a_zero = a.a_zero;
    } else {
        n = l->f32.n;
        nr = l->f32.nr;
    }
    const double macs = (double)m * (double)n * (double)(l->is_q8 ? l->q8.k : l->f32.k);
    const size_t panels = (n + nr - 1) / nr,
                 threads = (size_t)threads_for(c, macs, l->is_q8 ? MIN_Q8_MACS_PER_THREAD : MIN_F32_MACS_PER_THREAD);
    const size_t want = threads == 1 ? 1 : threads * TASKS_PER_THREAD, tasks = panels < want ? panels : want;
    j.chunk = (panels + tasks - 1) / tasks * nr;
    rtj_pool_run(c->pool, (n + j.chunk - 1) / j.chunk, (int)threads, linear_task, &j);
}

/* Attention, one (instance, head) a task, each worker with its own scratch. */
typedef struct attention_job {
    rtj_context *c;
    size_t heads, d;
} attention_job;

static void attention_task(void *arg, size_t task, size_t worker)
{
    const attention_job *j = arg;
    rtj_context *c = j->c;
    const size_t a = task / j->heads, head = task % j->heads, inst = c->act[a];
    const size_t h = (size_t)c->model->cfg.hidden, ld = 3 * h, col = head * j->d;
    const size_t row = c->act_off[a], n = c->len[inst];
    const float *q = c->qkv + row * ld + col;
    rtj_f32_attention_worker_scratch ws;
    rtj_f32_attention_worker_layout(c->model->kt, c->max_tokens, j->d, c->attn_scratch, worker, &ws);
    rtj_f32_attention_head(c->model->kt, n, j->d, q, ld, q + h, ld, q + 2 * h, ld, NULL, c->attn + row * h + col, h,
                           ws.scratch);
}

/* One post-LayerNorm encoder layer over the rows in flight, in place in c->h. */
static void encoder_layer(rtj_context *c, const rtj_layer_weights *w, size_t nact, size_t rows)
{
    const rtj_model *m = c->model;
    const size_t h = (size_t)m->cfg.hidden, heads = (size_t)m->cfg.heads, ff = (size_t)m->cfg.intermediate;
    linear(c, &w->qkv, rows, c->h, h, RTJ_EPI_NONE, NULL, 0, c->qkv, 3 * h);
    attention_job aj = {c, heads, h / heads};
    double macs = 0;
    for (size_t a = 0; a < nact; a++)
        macs += 2.0 * (double)c->len[c->act[a]] * (double)c->len[c->act[a]] * (double)h;
    rtj_pool_run(c->pool, nact * heads, threads_for(c, macs, MIN_ATTN_MACS_PER_THREAD), attention_task, &aj);
    linear(c, &w->attn_out, rows, c->attn, h, RTJ_EPI_RESIDUAL, c->h, h, c->h1, h);
    layernorm(c, rows, c->h1, w->ln1_g, w->ln1_b);
    linear(c, &w->ffn_in, rows, c->h1, h, RTJ_EPI_GELU, NULL, 0, c->ffn, ff);
    linear(c, &w->ffn_out, rows, c->ffn, ff, RTJ_EPI_RESIDUAL, c->h1, h, c->h, h);
    layernorm(c, rows, c->h, w->ln2_g, w->ln2_b);
}

int rtj_top_label(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        best = x[i] > x[best] ? i : best;
    return best;
}

int rtj_exit_taken(float threshold, const float *probs, int num_labels)
{
    /* Threshold 1 means full depth, as in the paper: an FP32 softmax can round to exactly 1. */
    return threshold >= 0.0f && threshold < 1.0f && num_labels > 0 &&
           probs[rtj_top_label(probs, num_labels)] >= threshold;
}

/* Exit k of instance inst: logits = (W x + b) / T and their softmax; returns the probabilities. */
static const float *exit_head(rtj_context *c, size_t inst, size_t k)
{
    const rtj_model *m = c->model;
    const rtj_exit_head *e = &m->exits[k];
    const size_t h = (size_t)m->cfg.hidden, nl = (size_t)m->cfg.num_labels, ne = (size_t)m->cfg.num_exits;
    const float *pooled = c->pooled + inst * (size_t)m->cfg.layers * h;
    const float *x = pooled + (size_t)e->layer * h;
    if (e->mix) {
        memset(c->exit_x, 0, h * sizeof(float));
        for (int j = 0; j <= e->layer; j++)
            for (size_t i = 0; i < h; i++)
                c->exit_x[i] += e->mix[j] * pooled[(size_t)j * h + i];
        x = c->exit_x;
    }
    float *logits = c->logits + (inst * ne + k) * nl, *probs = c->probs + (inst * ne + k) * nl;
    for (size_t l = 0; l < nl; l++) {
        /* num_labels x hidden is tiny: a double dot product keeps the head exact to float rounding. */
        double s = e->bias[l];
        for (size_t i = 0; i < h; i++)
            s += (double)e->weight[l * h + i] * x[i];
        logits[l] = (float)(s / e->temperature);
        c->nonfinite |= !isfinite(logits[l]);
    }
    m->kt->f32_softmax(nl, logits, NULL, probs);
    c->exit_out[inst * ne + k] = (rtj_exit_output){e->layer, logits, probs};
    return probs;
}

/* The pooled [CLS] of layer l for every instance in flight: their [CLS] rows gathered, one GEMM. */
static void pool_cls(rtj_context *c, size_t nact, int l)
{
    const rtj_model *m = c->model;
    const size_t h = (size_t)m->cfg.hidden, layers = (size_t)m->cfg.layers;
    for (size_t a = 0; a < nact; a++)
        memcpy(c->cls + a * h, c->h + c->act_off[a] * h, h * sizeof(float));
    /* Through the pool like any linear layer: BERT-large's FP32 pooler is 4 MB of weights, read from
     * memory again after every layer's own weights have passed through the cache. */
    linear(c, &m->pooler, nact, c->cls, h, RTJ_EPI_NONE, NULL, 0, c->cls_out, h);
    m->kt->f32_tanh(nact * h, c->cls_out, c->cls_out);
    for (size_t a = 0; a < nact; a++)
        memcpy(c->pooled + (c->act[a] * layers + (size_t)l) * h, c->cls_out + a * h, h * sizeof(float));
}

/* out[t] = word[ids[t]] + position t + type[types[t]]. INT8 word rows are dequantized into out first and
 * the FP32 kernel then adds in place (out serves as its word table, read through ids 0..n-1). */
static void embed(rtj_context *c, size_t n, const int32_t *ids, const int32_t *types, float *out)
{
    const rtj_model *m = c->model;
    const size_t h = (size_t)m->cfg.hidden;
    if (!m->word_q) {
        m->kt->f32_embed(n, ids, types, 0, m->word_emb, m->pos_emb, m->type_emb, h, out, h);
        return;
    }
    for (size_t t = 0; t < n; t++) {
        const int8_t *q = m->word_q + (size_t)ids[t] * h;
        const float s = m->word_scale[ids[t]];
        for (size_t i = 0; i < h; i++)
            out[t * h + i] = s * (float)q[i];
    }
    m->kt->f32_embed(n, c->iota, types, 0, out, m->pos_emb, m->type_emb, h, out, h);
}

static rtj_status check_input(const rtj_model *m, size_t n, const int32_t *ids, const int32_t *types, size_t max)
{
    if (!ids || n == 0 || n > max)
        return RTJ_ERR_INPUT;
    for (size_t t = 0; t < n; t++)
        if (ids[t] < 0 || ids[t] >= m->cfg.vocab_size || (types && (types[t] < 0 || types[t] >= m->cfg.type_vocab_size)))
            return RTJ_ERR_INPUT;
    return RTJ_OK;
}

rtj_status rtj_forward_batch(rtj_context *c, size_t n, const size_t *lens, const int32_t *const *ids,
                             const int32_t *const *types, const rtj_classify_options *opts, rtj_result *out)
{
    const rtj_model *m = c->model;
    const rtj_config *cfg = &m->cfg;
    const float threshold = opts ? opts->threshold : RTJ_NO_EARLY_EXIT;
    const int all_exits = opts ? opts->all_exits : 0;
    if (!(threshold == RTJ_NO_EARLY_EXIT || (threshold >= 0.0f && threshold <= 1.0f)))
        return RTJ_ERR_ARG;
    if (n == 0)
        return RTJ_OK;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        rtj_status s = check_input(m, lens[i], ids[i], types ? types[i] : NULL, c->max_tokens);
        if (s != RTJ_OK)
            return s;
        rows += lens[i];
    }
    rtj_status s = rtj_context_reserve(c, rows, n);
    if (s != RTJ_OK)
        return s;
    const size_t h = (size_t)cfg->hidden, ne = (size_t)cfg->num_exits;
    size_t row = 0;
    c->nonfinite = 0;
    for (size_t i = 0; i < n; i++) {
        c->act[i] = i;
        c->act_off[i] = row;
        c->len[i] = lens[i];
        c->answer[i] = -1;
        embed(c, lens[i], ids[i], types ? types[i] : NULL, c->h + row * h);
        row += lens[i];
    }
    layernorm(c, rows, c->h, m->emb_ln_g, m->emb_ln_b);

    /* The answer is the first exit confident enough (rtj_exit_taken), or the last one. With all_exits
     * every instance goes on to the last exit, and its answer is still the one the threshold picks. */
    size_t nact = n, next_exit = 0;
    for (int l = 0; l < m->run_layers && nact > 0; l++) {
        encoder_layer(c, &m->layer[l], nact, rows);
        for (size_t a = 0; a < nact; a++)
            c->layers_run[c->act[a]] = l + 1;
        if (m->pool_needed[l])
            pool_cls(c, nact, l);
        if (next_exit >= ne || m->exits[next_exit].layer != l)
            continue;
        const size_t k = next_exit++;
        const int last = k == ne - 1;
        size_t keep = 0, new_rows = 0;
        for (size_t a = 0; a < nact; a++) {
            const size_t inst = c->act[a];
            const float *probs = exit_head(c, inst, k);
            if (c->answer[inst] < 0 && (last || rtj_exit_taken(threshold, probs, cfg->num_labels)))
                c->answer[inst] = (int)k;
            if (c->answer[inst] >= 0 && !all_exits)
                continue; /* leaves the batch */
            /* Stays: move its rows down to close the gap left by those that left. */
            const size_t len = c->len[inst], from = c->act_off[a];
            if (from != new_rows)
                memmove(c->h + new_rows * h, c->h + from * h, len * h * sizeof(float));
            c->act[keep] = inst;
            c->act_off[keep] = new_rows;
            keep++;
            new_rows += len;
        }
        nact = keep;
        rows = new_rows;
    }

    /* Finite weights (checked at load) can still overflow float on an input (huge weights, a long product):
     * an exit's logits are then Inf or NaN and any answer would be made up, so the call fails instead. */
    if (c->nonfinite)
        return RTJ_ERR_INPUT;
    const size_t nl = (size_t)cfg->num_labels;
    for (size_t i = 0; i < n; i++) {
        const int k = c->answer[i];
        const float *probs = c->probs + (i * ne + (size_t)k) * nl;
        const int best = rtj_top_label(probs, cfg->num_labels);
        rtj_result *r = &out[i];
        memset(r, 0, sizeof *r);
        r->label_id = best;
        r->label = cfg->labels[best];
        r->probs = probs;
        r->num_labels = cfg->num_labels;
        r->exit_index = k;
        r->exit_layer = m->exits[k].layer;
        r->layers_run = c->layers_run[i];
        r->tokens = (int)lens[i];
        if (all_exits) {
            r->num_exits = cfg->num_exits;
            r->exits = c->exit_out + i * ne;
        }
    }
    return RTJ_OK;
}

rtj_status rtj_classify_ids(rtj_context *c, size_t n, const int32_t *ids, const int32_t *types,
                            const rtj_classify_options *opts, rtj_result *out)
{
    if (!c || !ids || !out)
        return RTJ_ERR_ARG;
    return rtj_forward_batch(c, 1, &n, &ids, types ? &types : NULL, opts, out);
}

rtj_status rtj_classify_ids_batch(rtj_context *c, size_t n, const size_t *lens, const int32_t *const *ids,
                                  const int32_t *const *types, const rtj_classify_options *opts, rtj_result *out)
{
    if (!c || (n && (!lens || !ids || !out)))
        return RTJ_ERR_ARG;
    return rtj_forward_batch(c, n, lens, ids, types, opts, out);
}

rtj_status rtj_classify_batch(rtj_context *c, size_t n, const char *const *texts, const char *const *pairs,
                              const rtj_classify_options *opts, rtj_result *out)
{
    if (!c || (n && (!texts || !out)))
        return RTJ_ERR_ARG;
    rtj_status s = rtj_context_reserve(c, c->max_tokens, n);
    if (s != RTJ_OK)
        return s;
    size_t *lens = c->lens;
    for (size_t i = 0; i < n; i++) {
        const char *b = pairs ? pairs[i] : NULL;
        if (!texts[i])
            return RTJ_ERR_ARG;
        rtj_tok_status ts = rtj_tokenize(c->model->tok, texts[i], strlen(texts[i]), b, b ? strlen(b) : 0,
                                         c->max_tokens, &c->tok[i]);
        if (ts != RTJ_TOK_OK)
            return ts == RTJ_TOK_ERR_NOMEM ? RTJ_ERR_NOMEM : RTJ_ERR_INPUT;
        c->ids_ptr[i] = c->tok[i].ids;
        c->types_ptr[i] = c->tok[i].type_ids;
    }
    for (size_t i = 0; i < n; i++)
        lens[i] = c->tok[i].n;
    s = rtj_forward_batch(c, n, lens, c->ids_ptr, c->types_ptr, opts, out);
    for (size_t i = 0; s == RTJ_OK && i < n; i++)
        out[i].truncated = (int)(c->tok[i].truncated_a + c->tok[i].truncated_b);
    return s;
}

rtj_status rtj_classify(rtj_context *c, const char *text, const char *text_pair, const rtj_classify_options *opts,
                        rtj_result *out)
{
    if (!c || !text || !out)
        return RTJ_ERR_ARG;
    const char *const texts[1] = {text}, *const pairs[1] = {text_pair};
    return rtj_classify_batch(c, 1, texts, text_pair ? pairs : NULL, opts, out);
}
