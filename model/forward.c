/* The forward pass of one sequence with early exit, and the per-thread context that holds its scratch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "pool.h"

rtj_status rtj_linear_init(const rtj_model *m, rtj_linear *l, size_t n, size_t k, const float *w,
                           const float *bias)
{
    memset(l, 0, sizeof *l);
    l->is_q8 = m->dtype == RTJ_DTYPE_INT8;
    int rc = l->is_q8 ? rtj_q8_pack_w(n, k, w, k, bias, &l->q8) : rtj_f32_pack_w(m->kt, n, k, w, k, 0, bias, &l->f32);
    return rc == 0 ? RTJ_OK : RTJ_ERR_NOMEM;
}

void rtj_linear_free(rtj_linear *l)
{
    if (l->borrowed)
        return;
    if (l->is_q8)
        rtj_q8_packed_w_free(&l->q8);
    else
        rtj_f32_packed_w_free(&l->f32);
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
        j.ldq = rtj_q8_row_stride(l->q8.k);
        uint8_t *qa = c->q8_scratch;
        float *sa = (float *)(qa + m * j.ldq);
        int32_t *za = (int32_t *)(sa + m);
        rtj_q8_quantize_rows(m, l->q8.k, x, ldx, kt->q8_act_max, qa, j.ldq, sa, za);
        j.qa = qa, j.a_scale = sa, j.a_zero = za;
    } else {
        n = l->f32.n;
        nr = l->f32.nr;
    }
    const size_t panels = (n + nr - 1) / nr, threads = (size_t)rtj_pool_threads(c->pool);
    const size_t tasks = panels < threads ? panels : threads;
    j.chunk = (panels + tasks - 1) / tasks * nr;
    rtj_pool_run(c->pool, (n + j.chunk - 1) / j.chunk, linear_task, &j);
}

/* Attention, one head a task, each worker with its own scratch. */
typedef struct attention_job {
    rtj_context *c;
    size_t n, d, ld;
} attention_job;

static void attention_task(void *arg, size_t head, size_t worker)
{
    const attention_job *j = arg;
    rtj_context *c = j->c;
    const size_t h = (size_t)c->model->cfg.hidden, off = head * j->d;
    rtj_f32_attention_head(c->model->kt, j->n, j->d, c->qkv + off, j->ld, c->qkv + h + off, j->ld,
                           c->qkv + 2 * h + off, j->ld, NULL, c->attn + off, h,
                           c->attn_scratch + worker * c->attn_scratch_len);
}

rtj_status rtj_context_new(const rtj_model *model, rtj_context **out)
{
    if (!model || !out)
        return RTJ_ERR_ARG;
    *out = NULL;
    const rtj_config *cfg = &model->cfg;
    rtj_context *c = calloc(1, sizeof *c);
    if (!c)
        return RTJ_ERR_NOMEM;
    c->model = model;
    const size_t n = (size_t)cfg->max_positions, h = (size_t)cfg->hidden, ff = (size_t)cfg->intermediate;
    const size_t ne = (size_t)cfg->num_exits, nl = (size_t)cfg->num_labels;
    const size_t kmax = ff > h ? ff : h;
    c->max_tokens = n;
    c->h = rtj_alloc(n * h * sizeof(float));
    c->h1 = rtj_alloc(n * h * sizeof(float));
    c->qkv = rtj_alloc(n * 3 * h * sizeof(float));
    c->attn = rtj_alloc(n * h * sizeof(float));
    c->ffn = rtj_alloc(n * ff * sizeof(float));
    c->pool = rtj_pool_new(model->threads);
    /* Rounded to a cache line so that workers' scratch areas never share one. */
    c->attn_scratch_len = (rtj_f32_attention_scratch(model->kt, n, h / (size_t)cfg->heads) + 15) / 16 * 16;
    c->attn_scratch = rtj_alloc((size_t)model->threads * c->attn_scratch_len * sizeof(float));
    c->q8_scratch = rtj_alloc(rtj_q8_gemm_scratch(n, kmax));
    c->pooled = rtj_alloc((size_t)cfg->layers * h * sizeof(float));
    c->exit_x = rtj_alloc(h * sizeof(float));
    c->logits = rtj_alloc(ne * nl * sizeof(float));
    c->probs = rtj_alloc(ne * nl * sizeof(float));
    c->exit_out = calloc(ne, sizeof *c->exit_out);
    rtj_tok_output_init(&c->tok_out);
    if (!c->pool || !c->h || !c->h1 || !c->qkv || !c->attn || !c->ffn || !c->attn_scratch || !c->q8_scratch ||
        !c->pooled || !c->exit_x || !c->logits || !c->probs || !c->exit_out) {
        rtj_context_free(c);
        return RTJ_ERR_NOMEM;
    }
    *out = c;
    return RTJ_OK;
}

void rtj_context_free(rtj_context *c)
{
    if (!c)
        return;
    rtj_free(c->h), rtj_free(c->h1), rtj_free(c->qkv), rtj_free(c->attn), rtj_free(c->ffn);
    rtj_free(c->attn_scratch), rtj_free(c->q8_scratch), rtj_free(c->pooled), rtj_free(c->exit_x);
    rtj_free(c->logits), rtj_free(c->probs), free(c->exit_out);
    rtj_tok_output_free(&c->tok_out);
    rtj_pool_free(c->pool);
    free(c);
}

/* One post-LayerNorm encoder layer over h [n, hidden], in place. */
static void encoder_layer(rtj_context *c, const rtj_layer_weights *w, size_t n)
{
    const rtj_model *m = c->model;
    const rtj_kernels *kt = m->kt;
    const size_t h = (size_t)m->cfg.hidden, heads = (size_t)m->cfg.heads, ff = (size_t)m->cfg.intermediate;
    linear(c, &w->qkv, n, c->h, h, RTJ_EPI_NONE, NULL, 0, c->qkv, 3 * h);
    attention_job aj = {c, n, h / heads, 3 * h};
    rtj_pool_run(c->pool, heads, attention_task, &aj);
    linear(c, &w->attn_out, n, c->attn, h, RTJ_EPI_RESIDUAL, c->h, h, c->h1, h);
    kt->f32_layernorm(n, h, c->h1, h, NULL, 0, w->ln1_g, w->ln1_b, m->cfg.eps, c->h1, h);
    linear(c, &w->ffn_in, n, c->h1, h, RTJ_EPI_GELU, NULL, 0, c->ffn, ff);
    linear(c, &w->ffn_out, n, c->ffn, ff, RTJ_EPI_RESIDUAL, c->h1, h, c->h, h);
    kt->f32_layernorm(n, h, c->h, h, NULL, 0, w->ln2_g, w->ln2_b, m->cfg.eps, c->h, h);
}

/* logits = (W x + b) / T for one exit, then its softmax; returns the max probability. */
static float exit_head(rtj_context *c, size_t k)
{
    const rtj_model *m = c->model;
    const rtj_exit_head *e = &m->exits[k];
    const size_t h = (size_t)m->cfg.hidden, nl = (size_t)m->cfg.num_labels;
    const float *x = c->pooled + (size_t)e->layer * h;
    if (e->mix) {
        memset(c->exit_x, 0, h * sizeof(float));
        for (int j = 0; j <= e->layer; j++)
            for (size_t i = 0; i < h; i++)
                c->exit_x[i] += e->mix[j] * c->pooled[(size_t)j * h + i];
        x = c->exit_x;
    }
    float *logits = c->logits + k * nl, *probs = c->probs + k * nl;
    for (size_t l = 0; l < nl; l++) {
        /* num_labels x hidden is tiny: a double dot product keeps the head exact to float rounding. */
        double s = e->bias[l];
        for (size_t i = 0; i < h; i++)
            s += (double)e->weight[l * h + i] * x[i];
        logits[l] = (float)(s / e->temperature);
    }
    m->kt->f32_softmax(nl, logits, NULL, probs);
    float best = 0;
    for (size_t l = 0; l < nl; l++)
        best = probs[l] > best ? probs[l] : best;
    c->exit_out[k] = (rtj_exit_output){e->layer, logits, probs};
    return best;
}

rtj_status rtj_classify_ids(rtj_context *c, size_t n, const int32_t *ids, const int32_t *types,
                            const rtj_classify_options *opts, rtj_result *out)
{
    if (!c || !ids || !out)
        return RTJ_ERR_ARG;
    const rtj_model *m = c->model;
    const rtj_config *cfg = &m->cfg;
    const float threshold = opts ? opts->threshold : RTJ_NO_EARLY_EXIT;
    const int all_exits = opts ? opts->all_exits : 0;
    if (!(threshold == RTJ_NO_EARLY_EXIT || (threshold >= 0.0f && threshold <= 1.0f)))
        return RTJ_ERR_ARG;
    if (n == 0 || n > c->max_tokens)
        return RTJ_ERR_INPUT;
    for (size_t t = 0; t < n; t++)
        if (ids[t] < 0 || ids[t] >= cfg->vocab_size || (types && (types[t] < 0 || types[t] >= cfg->type_vocab_size)))
            return RTJ_ERR_INPUT;
    const size_t h = (size_t)cfg->hidden;
    m->kt->f32_embed(n, ids, types, 0, m->word_emb, m->pos_emb, m->type_emb, h, c->h, h);
    m->kt->f32_layernorm(n, h, c->h, h, NULL, 0, m->emb_ln_g, m->emb_ln_b, cfg->eps, c->h, h);
    /* The answer is the first exit confident enough, or the last one; with all_exits the pass goes on
     * to the last exit anyway, and the answer is still the one the threshold picks. */
    int next_exit = 0, answered = -1, layers_run = 0;
    for (int l = 0; l < m->run_layers; l++) {
        encoder_layer(c, &m->layer[l], n);
        layers_run = l + 1;
        if (m->pool_needed[l]) {
            /* The pooler reads the [CLS] row only: one row, M = 1. */
            float *pooled = c->pooled + (size_t)l * h;
            rtj_f32_gemm(m->kt, 1, c->h, h, &m->pooler.f32, 1.0f, RTJ_EPI_NONE, NULL, 0, pooled, h);
            m->kt->f32_tanh(h, pooled, pooled);
        }
        for (; next_exit < cfg->num_exits && m->exits[next_exit].layer == l; next_exit++) {
            const float conf = exit_head(c, (size_t)next_exit);
            /* Threshold 1 means full depth, as in the paper: an FP32 softmax can round to exactly 1. */
            const int confident = threshold != RTJ_NO_EARLY_EXIT && threshold < 1.0f && conf >= threshold;
            if (answered < 0 && (confident || next_exit == cfg->num_exits - 1))
                answered = next_exit;
        }
        if (answered >= 0 && !all_exits)
            break;
    }
    const size_t nl = (size_t)cfg->num_labels;
    const float *probs = c->probs + (size_t)answered * nl;
    int best = 0;
    for (size_t l = 1; l < nl; l++)
        best = probs[l] > probs[best] ? (int)l : best;
    memset(out, 0, sizeof *out);
    out->label_id = best;
    out->label = cfg->labels[best];
    out->probs = probs;
    out->num_labels = cfg->num_labels;
    out->exit_index = answered;
    out->exit_layer = m->exits[answered].layer;
    out->layers_run = layers_run;
    out->tokens = (int)n;
    if (all_exits) {
        out->num_exits = cfg->num_exits;
        out->exits = c->exit_out;
    }
    return RTJ_OK;
}

rtj_status rtj_classify(rtj_context *c, const char *text, const char *text_pair, const rtj_classify_options *opts,
                        rtj_result *out)
{
    if (!c || !text || !out)
        return RTJ_ERR_ARG;
    const size_t len_a = strlen(text), len_b = text_pair ? strlen(text_pair) : 0;
    rtj_tok_status ts = rtj_tokenize(c->model->tok, text, len_a, text_pair, len_b, c->max_tokens, &c->tok_out);
    if (ts != RTJ_TOK_OK)
        return ts == RTJ_TOK_ERR_NOMEM ? RTJ_ERR_NOMEM : RTJ_ERR_INPUT;
    rtj_status s = rtj_classify_ids(c, c->tok_out.n, c->tok_out.ids, c->tok_out.type_ids, opts, out);
    if (s == RTJ_OK)
        out->truncated = (int)(c->tok_out.truncated_a + c->tok_out.truncated_b);
    return s;
}
