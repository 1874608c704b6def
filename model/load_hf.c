/* Loading a Hugging Face checkpoint directory: config.json, model.safetensors (vocab.txt is the
 * tokenizer's). Tensor names follow HF BERT, with or without the "bert." prefix and with LayerNorm
 * parameters spelt weight/bias or gamma/beta; tensors the engine does not use are ignored.
 *
 * The weights are walked twice: first every tensor's presence, dtype and shape is checked with nothing
 * allocated, then they are read. So a header that promises a large model it does not hold fails naming
 * the missing or misshapen tensor, having allocated nothing for it; and once the checks pass, every
 * allocation is bounded by the tensors' sizes, which the safetensors reader has checked against the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_io.h"
#include "model.h"
#include "safetensors.h"

typedef struct loader {
    rtj_model *m;
    rtj_safetensors st;
    rtj_error *err;
    int check_only; /* the first walk: tensors checked, nothing allocated, nothing read */
    float *buf; /* conversion buffer, as large as the largest tensor read */
    size_t buf_len;
} loader;

/* The tensor under any accepted spelling of name, or NULL. */
static const rtj_st_tensor *find(const loader *ld, const char *name)
{
    char alt[256];
    const rtj_st_tensor *t = rtj_st_find(&ld->st, name);
    if (!t && snprintf(alt, sizeof alt, "bert.%s", name) < (int)sizeof alt)
        t = rtj_st_find(&ld->st, alt);
    const char *ln = strstr(name, "LayerNorm.");
    if (!t && ln) {
        const char *param = ln + strlen("LayerNorm.");
        const char *old = strcmp(param, "weight") == 0 ? "gamma" : strcmp(param, "bias") == 0 ? "beta" : NULL;
        if (old) {
            const int stem = (int)(param - name);
            snprintf(alt, sizeof alt, "%.*s%s", stem, name, old);
            t = rtj_st_find(&ld->st, alt);
            if (!t && snprintf(alt, sizeof alt, "bert.%.*s%s", stem, name, old) < (int)sizeof alt)
                t = rtj_st_find(&ld->st, alt);
        }
    }
    return t;
}

/* Reads tensor `name` of exactly the shape given (rows x cols; rows 0 for a vector) as float32 into a
 * fresh 64-byte aligned array (*out) or, with out NULL, into the loader's buffer (returned in *view).
 * In the checking walk only checks it (*out and *view untouched and NULL respectively). Non-finite
 * values are refused: on any failure *out is left NULL. */
static rtj_status read_tensor(loader *ld, const char *name, size_t rows, size_t cols, float **out, const float **view)
{
    const rtj_st_tensor *t = find(ld, name);
    if (!t)
        return rtj_fail(ld->err, RTJ_ERR_TENSOR, "model.safetensors: tensor '%s' is missing", name);
    const size_t want_dims = rows ? 2 : 1;
    const int shape_ok = t->ndim == want_dims && (size_t)t->shape[0] == (rows ? rows : cols) &&
                         (!rows || (size_t)t->shape[1] == cols);
    if (!shape_ok) {
        char have[96] = "";
        for (size_t d = 0; d < t->ndim && d < 4; d++)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%lld", d ? ", " : "", (long long)t->shape[d]);
        if (rows)
            return rtj_fail(ld->err, RTJ_ERR_TENSOR, "model.safetensors: tensor '%s' has shape [%s], expected [%zu, %zu]",
                            t->name, have, rows, cols);
        return rtj_fail(ld->err, RTJ_ERR_TENSOR, "model.safetensors: tensor '%s' has shape [%s], expected [%zu]", t->name,
                        have, cols);
    }
    if (t->dtype != RTJ_ST_F32 && t->dtype != RTJ_ST_F16 && t->dtype != RTJ_ST_BF16)
        return rtj_fail(ld->err, RTJ_ERR_TENSOR, "model.safetensors: tensor '%s' is %s, not F32, F16 or BF16",
                        t->name, rtj_st_dtype_name(t->dtype));
    if (ld->check_only) {
        if (view)
            *view = NULL;
        return RTJ_OK;
    }
    float *dst;
    if (out) {
        dst = rtj_alloc(t->numel * sizeof(float));
        if (!dst)
            return rtj_fail(ld->err, RTJ_ERR_NOMEM, "out of memory reading '%s'", t->name);
        *out = dst;
    } else {
        if (ld->buf_len < t->numel) {
            rtj_free(ld->buf);
            ld->buf = rtj_alloc(t->numel * sizeof(float));
            ld->buf_len = ld->buf ? t->numel : 0;
            if (!ld->buf)
                return rtj_fail(ld->err, RTJ_ERR_NOMEM, "out of memory reading '%s'", t->name);
        }
        dst = ld->buf;
        *view = dst;
    }
    rtj_status s = RTJ_OK;
    size_t bad;
    if (rtj_st_to_f32(t, dst) != 0) {
        s = rtj_fail(ld->err, RTJ_ERR_TENSOR, "model.safetensors: tensor '%s' cannot be converted", t->name);
    } else if ((bad = rtj_first_nonfinite(dst, t->numel)) < t->numel) {
        char at[48];
        if (rows)
            snprintf(at, sizeof at, "[%zu, %zu]", bad / cols, bad % cols);
        else
            snprintf(at, sizeof at, "[%zu]", bad);
        s = rtj_fail(ld->err, RTJ_ERR_TENSOR, "model.safetensors: tensor '%s' holds %s at %s: weights must be finite",
                     t->name, rtj_nonfinite_name(dst[bad]), at);
    }
    if (s != RTJ_OK && out) {
        rtj_free(*out);
        *out = NULL;
    }
    return s;
}

/* A linear layer: weight [n, k] and bias [n] under prefix. */
static rtj_status read_linear(loader *ld, const char *prefix, size_t n, size_t k, rtj_linear *l)
{
    char wn[200], bn[200];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    const float *w;
    TRY(read_tensor(ld, wn, n, k, NULL, &w));
    float *bias = NULL;
    TRY(read_tensor(ld, bn, 0, n, &bias, NULL));
    if (ld->check_only)
        return RTJ_OK;
    rtj_status s = rtj_linear_init(ld->m, l, n, k, w, bias);
    rtj_free(bias);
    return s == RTJ_OK ? s : rtj_fail(ld->err, s, "out of memory packing '%s'", prefix);
}

static rtj_status read_layer(loader *ld, int i, rtj_layer_weights *lw)
{
    const rtj_config *cfg = &ld->m->cfg;
    const size_t h = (size_t)cfg->hidden, ff = (size_t)cfg->intermediate;
    char p[160], name[200];
    snprintf(p, sizeof p, "encoder.layer.%d", i);
    /* Q, K and V are stacked into one [3h, h] weight so that one GEMM computes all three. */
    float *qkv_w = NULL, *qkv_b = NULL;
    if (!ld->check_only) {
        qkv_w = rtj_alloc(3 * h * h * sizeof(float)), qkv_b = rtj_alloc(3 * h * sizeof(float));
        if (!qkv_w || !qkv_b) {
            rtj_free(qkv_w), rtj_free(qkv_b);
            return rtj_fail(ld->err, RTJ_ERR_NOMEM, "out of memory loading layer %d", i);
        }
    }
    static const char *const qkv_names[3] = {"query", "key", "value"};
    rtj_status s = RTJ_OK;
    for (int j = 0; j < 3 && s == RTJ_OK; j++) {
        const float *v;
        snprintf(name, sizeof name, "%s.attention.self.%s.weight", p, qkv_names[j]);
        s = read_tensor(ld, name, h, h, NULL, &v);
        if (s == RTJ_OK) {
            if (qkv_w)
                memcpy(qkv_w + (size_t)j * h * h, v, h * h * sizeof(float));
            snprintf(name, sizeof name, "%s.attention.self.%s.bias", p, qkv_names[j]);
            s = read_tensor(ld, name, 0, h, NULL, &v);
            if (s == RTJ_OK && qkv_b)
                memcpy(qkv_b + (size_t)j * h, v, h * sizeof(float));
        }
    }
    if (s == RTJ_OK && qkv_w && rtj_linear_init(ld->m, &lw->qkv, 3 * h, h, qkv_w, qkv_b) != RTJ_OK)
        s = rtj_fail(ld->err, RTJ_ERR_NOMEM, "out of memory packing %s.attention.self", p);
    rtj_free(qkv_w), rtj_free(qkv_b);
    TRY(s);
    snprintf(name, sizeof name, "%s.attention.output.dense", p);
    TRY(read_linear(ld, name, h, h, &lw->attn_out));
    snprintf(name, sizeof name, "%s.intermediate.dense", p);
    TRY(read_linear(ld, name, ff, h, &lw->ffn_in));
    snprintf(name, sizeof name, "%s.output.dense", p);
    TRY(read_linear(ld, name, h, ff, &lw->ffn_out));
    snprintf(name, sizeof name, "%s.attention.output.LayerNorm.weight", p);
    TRY(read_tensor(ld, name, 0, h, &lw->ln1_g, NULL));
    snprintf(name, sizeof name, "%s.attention.output.LayerNorm.bias", p);
    TRY(read_tensor(ld, name, 0, h, &lw->ln1_b, NULL));
    snprintf(name, sizeof name, "%s.output.LayerNorm.weight", p);
    TRY(read_tensor(ld, name, 0, h, &lw->ln2_g, NULL));
    snprintf(name, sizeof name, "%s.output.LayerNorm.bias", p);
    TRY(read_tensor(ld, name, 0, h, &lw->ln2_b, NULL));
    return RTJ_OK;
}

static rtj_status read_exits(loader *ld)
{
    rtj_model *m = ld->m;
    const rtj_config *cfg = &m->cfg;
    const size_t h = (size_t)cfg->hidden, nl = (size_t)cfg->num_labels;
    for (int k = 0; k < cfg->num_exits; k++) {
        rtj_exit_head *e = &m->exits[k];
        e->layer = cfg->exit_layers[k];
        e->temperature = cfg->exit_temps[k];
        char name[160];
        if (cfg->has_exit_layers) {
            snprintf(name, sizeof name, "exits.%d.classifier.weight", k);
            TRY(read_tensor(ld, name, nl, h, &e->weight, NULL));
            snprintf(name, sizeof name, "exits.%d.classifier.bias", k);
            TRY(read_tensor(ld, name, 0, nl, &e->bias, NULL));
            snprintf(name, sizeof name, "exits.%d.mix", k);
            if (find(ld, name))
                TRY(read_tensor(ld, name, 0, (size_t)e->layer + 1, &e->mix, NULL));
        } else {
            TRY(read_tensor(ld, "classifier.weight", nl, h, &e->weight, NULL));
            TRY(read_tensor(ld, "classifier.bias", 0, nl, &e->bias, NULL));
        }
        /* The pooled [CLS] of every layer this exit reads. */
        for (int j = e->mix ? 0 : e->layer; j <= e->layer; j++)
            m->pool_needed[j] = 1;
    }
    return RTJ_OK;
}

static rtj_status load_weights(loader *ld)
{
    rtj_model *m = ld->m;
    const rtj_config *cfg = &m->cfg;
    const size_t h = (size_t)cfg->hidden;
    TRY(read_tensor(ld, "embeddings.word_embeddings.weight", (size_t)cfg->vocab_size, h, &m->word_emb, NULL));
    if (m->dtype == RTJ_DTYPE_INT8 && !ld->check_only && rtj_model_quantize_embeddings(m) != RTJ_OK)
        return rtj_fail(ld->err, RTJ_ERR_NOMEM, "out of memory quantizing the word embeddings");
    TRY(read_tensor(ld, "embeddings.position_embeddings.weight", (size_t)cfg->max_positions, h, &m->pos_emb, NULL));
    TRY(read_tensor(ld, "embeddings.token_type_embeddings.weight", (size_t)cfg->type_vocab_size, h, &m->type_emb, NULL));
    TRY(read_tensor(ld, "embeddings.LayerNorm.weight", 0, h, &m->emb_ln_g, NULL));
    TRY(read_tensor(ld, "embeddings.LayerNorm.bias", 0, h, &m->emb_ln_b, NULL));
    /* Layers above the last exit never run: they are not even read. */
    for (int i = 0; i < m->run_layers; i++)
        TRY(read_layer(ld, i, &m->layer[i]));
    const float *pw;
    float *pb = NULL;
    TRY(read_tensor(ld, "pooler.dense.weight", h, h, NULL, &pw));
    TRY(read_tensor(ld, "pooler.dense.bias", 0, h, &pb, NULL));
    if (ld->check_only)
        return read_exits(ld);
    /* The pooler stays FP32 in INT8 models: it is one row per exit, and the exits' confidence is what
     * decides where an input leaves. */
    int rc = rtj_f32_pack_w(m->kt, h, h, pw, h, 0, pb, &m->pooler.f32);
    rtj_free(pb);
    if (rc != 0)
        return rtj_fail(ld->err, RTJ_ERR_NOMEM, "out of memory packing the pooler");
    return read_exits(ld);
}

rtj_status rtj_load_hf_dir(const char *dir, rtj_model *m, rtj_error *err)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return rtj_fail(err, RTJ_ERR_ARG, "path too long: %s", dir);
    TRY(rtj_read_small_file(path, (size_t)1 << 20, &text, &len, err));
    rtj_status s = rtj_config_parse(text, len, &m->cfg, err);
    free(text);
    TRY(s);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    TRY(rtj_read_small_file(path, (size_t)64 << 20, &m->vocab_text, &m->vocab_len, err));
    TRY(rtj_model_init_tokenizer(m, err));
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    loader ld = {.m = m, .err = err};
    char msg[sizeof err->message];
    int io_error = 0;
    if (rtj_st_open(path, &ld.st, msg, sizeof msg, &io_error) != 0)
        return rtj_fail(err, io_error ? RTJ_ERR_IO : RTJ_ERR_FORMAT, "%s: %s", path, msg);
    /* The arrays per layer and exit: bounded by config.json's limits on the layer count. */
    s = rtj_model_alloc_layers(m) == RTJ_OK ? RTJ_OK : rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    if (s == RTJ_OK) {
        ld.check_only = 1;
        s = load_weights(&ld);
    }
    if (s == RTJ_OK) {
        ld.check_only = 0;
        s = load_weights(&ld);
    }
    rtj_free(ld.buf);
    rtj_st_close(&ld.st);
    return s;
}
