/* Context creation and growth. */
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "pool.h"

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
    c->max_tokens = (size_t)cfg->max_positions;
    c->pool = rtj_pool_new(model->threads);
    c->split_scale = 1.0;
    const size_t attn_stride =
        rtj_f32_attention_worker_layout(model->kt, c->max_tokens, (size_t)(cfg->hidden / cfg->heads), NULL, 0, NULL);
    c->attn_scratch = rtj_alloc((size_t)model->threads * attn_stride * sizeof(float));
    c->exit_x = rtj_alloc((size_t)cfg->hidden * sizeof(float));
    c->iota = rtj_alloc(c->max_tokens * sizeof(int32_t));
    for (size_t t = 0; c->iota && t < c->max_tokens; t++)
        c->iota[t] = (int32_t)t;
    rtj_status s = c->pool && c->attn_scratch && c->exit_x && c->iota ? rtj_context_reserve(c, c->max_tokens, 1)
                                                                        : RTJ_ERR_NOMEM;
    if (s != RTJ_OK) {
        rtj_context_free(c);
        return s;
    }
    *out = c;
    return RTJ_OK;
}

/* Replaces *p by a fresh aligned array of `bytes` (contents not kept: buffers are refilled per call). */
static int regrow(void *p, size_t bytes)
{
    void **pp = p;
    rtj_free(*pp);
    *pp = rtj_alloc(bytes);
    return *pp != NULL;
}

/* Same, keeping the first old_bytes (per-instance tokenizer outputs must survive). */
static int regrow_keep(void *p, size_t old_bytes, size_t bytes)
{
    void **pp = p;
    void *q = realloc(*pp, bytes);
    if (!q)
        return 0;
    memset((char *)q + old_bytes, 0, bytes - old_bytes);
    *pp = q;
    return 1;
}

rtj_status rtj_context_reserve(rtj_context *c, size_t rows, size_t instances)
{
    const rtj_config *cfg = &c->model->cfg;
    const size_t h = (size_t)cfg->hidden, ff = (size_t)cfg->intermediate, ne = (size_t)cfg->num_exits,
                 nl = (size_t)cfg->num_labels, layers = (size_t)cfg->layers;
    if (rows > c->rows_cap) {
        const size_t kmax = ff > h ? ff : h;
        if (!regrow(&c->h, rows * h * 4) || !regrow(&c->h1, rows * h * 4) || !regrow(&c->qkv, rows * 3 * h * 4) ||
            !regrow(&c->attn, rows * h * 4) || !regrow(&c->ffn, rows * ff * 4) ||
            !regrow(&c->q8_scratch, rtj_q8_quantized_act_layout(rows, kmax, NULL, NULL))) {
            c->rows_cap = 0;
            return RTJ_ERR_NOMEM;
        }
        c->rows_cap = rows;
    }
    if (instances > c->inst_cap) {
        const size_t n = instances;
        if (!regrow(&c->act, n * sizeof(size_t)) || !regrow(&c->act_off, n * sizeof(size_t)) ||
            !regrow(&c->len, n * sizeof(size_t)) || !regrow(&c->lens, n * sizeof(size_t)) ||
            !regrow(&c->answer, n * sizeof(int)) || !regrow(&c->layers_run, n * sizeof(int)) ||
            !regrow(&c->pooled, n * layers * h * 4) || !regrow(&c->cls, n * h * 4) ||
            !regrow(&c->cls_out, n * h * 4) || !regrow(&c->logits, n * ne * nl * 4) ||
            !regrow(&c->probs, n * ne * nl * 4) || !regrow(&c->exit_out, n * ne * sizeof(rtj_exit_output)) ||
            !regrow(&c->ids_ptr, n * sizeof(int32_t *)) || !regrow(&c->types_ptr, n * sizeof(int32_t *)) ||
            !regrow_keep(&c->tok, c->tok_cap * sizeof(rtj_tok_output), n * sizeof(rtj_tok_output))) {
            c->inst_cap = 0; /* some arrays may be gone: grow them all again next time */
            return RTJ_ERR_NOMEM;
        }
        c->tok_cap = n;
        c->inst_cap = n;
    }
    return RTJ_OK;
}

void rtj_context_free(rtj_context *c)
{
    if (!c)
        return;
    rtj_free(c->h), rtj_free(c->h1), rtj_free(c->qkv), rtj_free(c->attn), rtj_free(c->ffn), rtj_free(c->q8_scratch);
    rtj_free(c->attn_scratch), rtj_free(c->exit_x), rtj_free(c->iota);
    rtj_free(c->act), rtj_free(c->act_off), rtj_free(c->len), rtj_free(c->lens), rtj_free(c->answer);
    rtj_free(c->layers_run), rtj_free(c->pooled), rtj_free(c->cls), rtj_free(c->cls_out), rtj_free(c->logits);
    rtj_free(c->probs), rtj_free(c->exit_out), rtj_free(c->ids_ptr), rtj_free(c->types_ptr);
    if (c->tok) {
        for (size_t i = 0; i < c->tok_cap; i++)
            rtj_tok_output_free(&c->tok[i]);
        free(c->tok);
    }
    rtj_pool_free(c->pool);
    free(c);
}
