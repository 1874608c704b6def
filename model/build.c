/* Model construction, below the loaders: what load_hf.c and rtj_file_load.c call to fill an rtj_model,
 * and the one function that frees whatever they filled. It calls only the kernels, the tokenizer and
 * error.c, so the loaders depend on it and never the other way round (api.c, on top, only dispatches to
 * the loaders). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "model.h"

rtj_status rtj_model_alloc_layers(rtj_model *m)
{
    const rtj_config *c = &m->cfg;
    m->run_layers = c->exit_layers[c->num_exits - 1] + 1;
    m->layer = calloc((size_t)m->run_layers, sizeof *m->layer);
    m->exits = calloc((size_t)c->num_exits, sizeof *m->exits);
    m->pool_needed = calloc((size_t)c->layers, 1);
    return m->layer && m->exits && m->pool_needed ? RTJ_OK : RTJ_ERR_NOMEM;
}

rtj_status rtj_model_quantize_embeddings(rtj_model *m)
{
    const size_t v = (size_t)m->cfg.vocab_size, h = (size_t)m->cfg.hidden;
    int8_t *q = rtj_alloc(v * h);
    float *sc = rtj_alloc(v * sizeof(float));
    if (!q || !sc) {
        rtj_free(q), rtj_free(sc);
        return RTJ_ERR_NOMEM;
    }
    rtj_q8_quantize_rows_symmetric(v, h, m->word_emb, h, q, h, sc);
    if (!m->map)
        rtj_free(m->word_emb);
    m->word_emb = NULL;
    m->word_q = q;
    m->word_scale = sc;
    m->word_q_owned = 1;
    return RTJ_OK;
}

rtj_status rtj_model_init_tokenizer(rtj_model *m, rtj_error *err)
{
    size_t line = 0;
    rtj_tok_status ts = rtj_vocab_load_buffer(m->vocab_text, m->vocab_len, &m->vocab, &line);
    if (ts != RTJ_TOK_OK) {
        if (ts == RTJ_TOK_ERR_NOMEM)
            return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
        if (line)
            return rtj_fail(err, RTJ_ERR_FORMAT, "vocab.txt line %zu: %s", line, rtj_tokenizer_strerror(ts));
        return rtj_fail(err, RTJ_ERR_FORMAT, "vocab.txt: %s", rtj_tokenizer_strerror(ts));
    }
    if (rtj_vocab_size(m->vocab) > (size_t)m->cfg.vocab_size)
        return rtj_fail(err, RTJ_ERR_CONFIG, "vocab.txt has %zu tokens but config.json's vocab_size is %d",
                        rtj_vocab_size(m->vocab), m->cfg.vocab_size);
    rtj_tokenizer_options to = {m->cfg.do_lower_case};
    ts = rtj_tokenizer_new(m->vocab, &to, &m->tok);
    if (ts != RTJ_TOK_OK)
        return rtj_fail(err, ts == RTJ_TOK_ERR_NOMEM ? RTJ_ERR_NOMEM : RTJ_ERR_FORMAT, "tokenizer: %s",
                        rtj_tokenizer_strerror(ts));
    return RTJ_OK;
}

/* The largest |x| of 256 floats as bits: NaN and Inf are exactly the values whose magnitude bits are at
 * least 0x7f800000. A fixed trip count and an integer max let GCC vectorise it at -O2 (about 3x the
 * speed of testing each value; this runs over every FP32 weight of a model at load). */
static uint32_t block_max_magnitude(const float *x)
{
    uint32_t mx = 0;
    for (int i = 0; i < 256; i++) {
        uint32_t b;
        memcpy(&b, &x[i], sizeof b);
        b &= 0x7fffffffu;
        mx = b > mx ? b : mx;
    }
    return mx;
}

size_t rtj_first_nonfinite(const float *x, size_t n)
{
    size_t i0 = 0;
    for (; i0 + 256 <= n; i0 += 256)
        if (block_max_magnitude(x + i0) >= 0x7f800000u)
            break;
    for (size_t i = i0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}

const char *rtj_nonfinite_name(float x)
{
    return isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
}

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

static void free_layer(rtj_layer_weights *l, int raw_owned)
{
    rtj_linear_free(&l->qkv), rtj_linear_free(&l->attn_out), rtj_linear_free(&l->ffn_in), rtj_linear_free(&l->ffn_out);
    if (raw_owned)
        rtj_free(l->ln1_g), rtj_free(l->ln1_b), rtj_free(l->ln2_g), rtj_free(l->ln2_b);
}

void rtj_model_free(rtj_model *m)
{
    if (!m)
        return;
    /* Arrays of a mapped file are not ours; packed linears say for themselves. */
    const int raw_owned = m->map == NULL;
    if (m->layer)
        for (int i = 0; i < m->run_layers; i++)
            free_layer(&m->layer[i], raw_owned);
    if (m->exits && raw_owned)
        for (int k = 0; k < m->cfg.num_exits; k++)
            rtj_free(m->exits[k].mix), rtj_free(m->exits[k].weight), rtj_free(m->exits[k].bias);
    free(m->layer), free(m->exits), free(m->pool_needed);
    rtj_linear_free(&m->pooler);
    if (raw_owned)
        rtj_free(m->word_emb), rtj_free(m->pos_emb), rtj_free(m->type_emb), rtj_free(m->emb_ln_g), rtj_free(m->emb_ln_b);
    if (m->word_q_owned)
        rtj_free(m->word_q), rtj_free(m->word_scale);
    if (m->map && m->map_owned)
        munmap(m->map, m->map_size);
    rtj_tokenizer_free(m->tok);
    rtj_vocab_free(m->vocab);
    free(m->vocab_text);
    rtj_config_free(&m->cfg);
    free(m);
}
