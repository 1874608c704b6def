/* The .rtj model file: everything a deployment needs in one file that is mapped, not read.
 *
 * Layout (little-endian):
 *   header (128 bytes)   magic "RTJMODEL", version, dtype, file size, where the rest lies, FP32 packing
 *                        (NR, KC), an FNV-1a 64 checksum of every byte before the data and (version
 *                        2) a checksum of the data (rtj_sum.c)
 *   metadata             config.json's keys as JSON (labels, exits and temperatures included)
 *   vocabulary           vocab.txt as it was
 *   tensor table         128-byte entries: name, kind, rows n and columns k, offset and size
 *   data                 each tensor 64-byte aligned, already in the kernels' layout
 * Version 1 had the first checksum only: FNV-1a at a byte per multiply was too slow for the weights.
 * Version 2 adds a word-at-a-time checksum over every byte from data_offset to the end, checked at every
 * load (what that costs: README, "The .rtj file"); version 1 files still load, their weights unchecked.
 * Every tensor's place and size are checked against the table and the file, and every FP32 value
 * (weights, biases, scales) must be finite: the writer refuses to write a non-finite one and the reader
 * to load one.
 * INT8 weights are stored in the layout every ISA reads. FP32 linear weights are stored packed for the
 * tile of the machine that wrote the file (NR, KC in the header): a machine whose kernels use another
 * tile repacks them once at load (a copy); one with the same tile uses them in place. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

#include "file_io.h"
#include "rtj_file.h"

/* ---- writing --------------------------------------------------------------------------------------- */

/* Tensors to write: collected first so that the table can precede the data. */
typedef struct out_tensor {
    file_entry e;
    const void *data;
} out_tensor;

typedef struct writer {
    out_tensor *t;
    size_t count, cap;
    int nomem;
} writer;

static void add(writer *w, const char *name, enum entry_kind kind, size_t n, size_t k, const void *data, size_t bytes)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        out_tensor *t = realloc(w->t, cap * sizeof *t);
        if (!t) {
            w->nomem = 1;
            return;
        }
        w->t = t, w->cap = cap;
    }
    out_tensor *o = &w->t[w->count++];
    memset(o, 0, sizeof *o);
    snprintf(o->e.name, sizeof o->e.name, "%s", name);
    o->e.kind = kind, o->e.n = n, o->e.k = k, o->e.bytes = bytes;
    o->data = data;
}

static void add_linear(writer *w, const char *name, const rtj_linear *l)
{
    char nm[80];
    if (l->is_q8) {
        const rtj_q8_packed_w *q = &l->q8;
        snprintf(nm, sizeof nm, "%s.q", name), add(w, nm, KIND_I8_PACKED, q->n, q->k, q->data, q->n_pad * q->k_pad);
        snprintf(nm, sizeof nm, "%s.s", name), add(w, nm, KIND_F32, q->n_pad, 0, q->w_scale, q->n_pad * 4);
        snprintf(nm, sizeof nm, "%s.sum", name), add(w, nm, KIND_I32, q->n_pad, 0, q->w_sum, q->n_pad * 4);
        snprintf(nm, sizeof nm, "%s.b", name), add(w, nm, KIND_F32, q->n_pad, 0, q->bias, q->n_pad * 4);
    } else {
        const rtj_f32_packed_w *f = &l->f32;
        snprintf(nm, sizeof nm, "%s.w", name), add(w, nm, KIND_F32_PACKED, f->n, f->k, f->data, f->n_pad * f->k * 4);
        snprintf(nm, sizeof nm, "%s.b", name), add(w, nm, KIND_F32, f->n_pad, 0, f->bias, f->n_pad * 4);
    }
}

/* config.json's keys, from the parsed config: what rtj_config_parse reads back. */
static char *meta_json(const rtj_model *m, size_t *len)
{
    const rtj_config *c = &m->cfg;
    size_t cap = 4096 + (size_t)c->num_labels * 64 + (size_t)c->num_exits * 48;
    for (int i = 0; i < c->num_labels; i++)
        cap += 6 * strlen(c->labels[i]);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t n = (size_t)snprintf(s, cap,
        "{\"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, \"intermediate_size\": %d, "
        "\"vocab_size\": %d, \"max_position_embeddings\": %d, \"type_vocab_size\": %d, \"layer_norm_eps\": %.9g, "
        "\"hidden_act\": \"gelu\", \"do_lower_case\": %s, \"num_labels\": %d, \"id2label\": {",
        c->hidden, c->layers, c->heads, c->intermediate, c->vocab_size, c->max_positions, c->type_vocab_size,
        (double)c->eps, c->do_lower_case ? "true" : "false", c->num_labels);
    for (int i = 0; i < c->num_labels; i++) {
        n += (size_t)snprintf(s + n, cap - n, "%s\"%d\": \"", i ? ", " : "", i);
        for (const unsigned char *p = (const unsigned char *)c->labels[i]; *p; p++)
            n += (size_t)(*p == '"' || *p == '\\' ? snprintf(s + n, cap - n, "\\%c", *p)
                          : *p < 0x20 ? snprintf(s + n, cap - n, "\\u%04x", *p)
                                      : snprintf(s + n, cap - n, "%c", *p));
        n += (size_t)snprintf(s + n, cap - n, "\"");
    }
    n += (size_t)snprintf(s + n, cap - n, "}, \"exit_layers\": [");
    for (int k = 0; k < c->num_exits; k++)
        n += (size_t)snprintf(s + n, cap - n, "%s%d", k ? ", " : "", c->exit_layers[k]);
    n += (size_t)snprintf(s + n, cap - n, "], \"exit_temperatures\": [");
    for (int k = 0; k < c->num_exits; k++)
        n += (size_t)snprintf(s + n, cap - n, "%s%.9g", k ? ", " : "", (double)c->exit_temps[k]);
    n += (size_t)snprintf(s + n, cap - n, "]}");
    *len = n;
    return s;
}

static size_t align_up(size_t x) { return (x + RTJ_FILE_ALIGN - 1) / RTJ_FILE_ALIGN * RTJ_FILE_ALIGN; }

rtj_status rtj_model_save(const rtj_model *m, const char *path, rtj_error *err)
{
    if (!m || !path)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_model_save: model or path is NULL");
    const rtj_config *c = &m->cfg;
    const size_t h = (size_t)c->hidden, nl = (size_t)c->num_labels;
    writer w = {0};
    char nm[80];
    if (m->word_q) {
        add(&w, "emb.word.q", KIND_I8, (size_t)c->vocab_size, h, m->word_q, (size_t)c->vocab_size * h);
        add(&w, "emb.word.s", KIND_F32, (size_t)c->vocab_size, 0, m->word_scale, (size_t)c->vocab_size * 4);
    } else {
        add(&w, "emb.word", KIND_F32, (size_t)c->vocab_size, h, m->word_emb, (size_t)c->vocab_size * h * 4);
    }
    add(&w, "emb.pos", KIND_F32, (size_t)c->max_positions, h, m->pos_emb, (size_t)c->max_positions * h * 4);
    add(&w, "emb.type", KIND_F32, (size_t)c->type_vocab_size, h, m->type_emb, (size_t)c->type_vocab_size * h * 4);
    add(&w, "emb.ln.g", KIND_F32, h, 0, m->emb_ln_g, h * 4);
    add(&w, "emb.ln.b", KIND_F32, h, 0, m->emb_ln_b, h * 4);
    for (int i = 0; i < m->run_layers; i++) {
        const rtj_layer_weights *l = &m->layer[i];
        snprintf(nm, sizeof nm, "L%d.qkv", i), add_linear(&w, nm, &l->qkv);
        snprintf(nm, sizeof nm, "L%d.attn_out", i), add_linear(&w, nm, &l->attn_out);
        snprintf(nm, sizeof nm, "L%d.ffn_in", i), add_linear(&w, nm, &l->ffn_in);
        snprintf(nm, sizeof nm, "L%d.ffn_out", i), add_linear(&w, nm, &l->ffn_out);
        snprintf(nm, sizeof nm, "L%d.ln1.g", i), add(&w, nm, KIND_F32, h, 0, l->ln1_g, h * 4);
        snprintf(nm, sizeof nm, "L%d.ln1.b", i), add(&w, nm, KIND_F32, h, 0, l->ln1_b, h * 4);
        snprintf(nm, sizeof nm, "L%d.ln2.g", i), add(&w, nm, KIND_F32, h, 0, l->ln2_g, h * 4);
        snprintf(nm, sizeof nm, "L%d.ln2.b", i), add(&w, nm, KIND_F32, h, 0, l->ln2_b, h * 4);
    }
    add_linear(&w, "pooler", &m->pooler);
    for (int k = 0; k < c->num_exits; k++) {
        const rtj_exit_head *e = &m->exits[k];
        snprintf(nm, sizeof nm, "exit%d.w", k), add(&w, nm, KIND_F32, nl, h, e->weight, nl * h * 4);
        snprintf(nm, sizeof nm, "exit%d.b", k), add(&w, nm, KIND_F32, nl, 0, e->bias, nl * 4);
        if (e->mix)
            snprintf(nm, sizeof nm, "exit%d.mix", k), add(&w, nm, KIND_F32, (size_t)e->layer + 1, 0, e->mix,
                                                          ((size_t)e->layer + 1) * 4);
    }
    if (w.nomem) {
        free(w.t);
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < w.count; i++) {
        const file_entry *e = &w.t[i].e;
        if (e->kind != KIND_F32 && e->kind != KIND_F32_PACKED)
            continue;
        const float *x = w.t[i].data;
        const size_t nf = (size_t)e->bytes / sizeof(float), bad = rtj_first_nonfinite(x, nf);
        if (bad < nf) {
            rtj_status s = rtj_fail(err, RTJ_ERR_TENSOR, "%s: not written: tensor '%s' holds %s at element %zu "
                                    "(weights must be finite)", path, e->name, rtj_nonfinite_name(x[bad]), bad);
            free(w.t);
            return s;
        }
    }
    size_t meta_len = 0;
    char *meta = meta_json(m, &meta_len);
    if (!meta) {
        free(w.t);
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    }
    file_header hd;
    memset(&hd, 0, sizeof hd);
    memcpy(hd.magic, RTJ_FILE_MAGIC, 8);
    hd.version = RTJ_FILE_VERSION;
    hd.dtype = (uint32_t)m->dtype;
    hd.f32_nr = (uint32_t)m->kt->f32_gemm_nr;
    hd.f32_kc = (uint32_t)m->kt->f32_gemm_kc;
    hd.meta_offset = sizeof hd;
    hd.meta_size = meta_len;
    hd.vocab_offset = hd.meta_offset + meta_len;
    hd.vocab_size = m->vocab_len;
    hd.table_offset = align_up(hd.vocab_offset + hd.vocab_size);
    hd.table_count = w.count;
    hd.data_offset = align_up(hd.table_offset + w.count * sizeof(file_entry));
    size_t off = hd.data_offset;
    for (size_t i = 0; i < w.count; i++) {
        w.t[i].e.offset = off;
        off = align_up(off + w.t[i].e.bytes);
    }
    hd.file_size = off;
    static const char zeros[RTJ_FILE_ALIGN];
    rtj_data_sum ds;
    rtj_data_sum_init(&ds);
    for (size_t i = 0; i < w.count; i++) {
        rtj_data_sum_update(&ds, w.t[i].data, w.t[i].e.bytes);
        rtj_data_sum_update(&ds, zeros, align_up(w.t[i].e.bytes) - w.t[i].e.bytes);
    }
    hd.data_checksum = rtj_data_sum_final(&ds);
    /* The checksum: header (checksum 0, data_checksum set), metadata, vocabulary, padding, table, padding:
     * [0, data_offset). */
    uint64_t sum = fnv1a(FNV_OFFSET, &hd, sizeof hd);
    sum = fnv1a(sum, meta, meta_len);
    sum = fnv1a(sum, m->vocab_text, m->vocab_len);
    sum = fnv1a(sum, zeros, hd.table_offset - (hd.vocab_offset + hd.vocab_size));
    for (size_t i = 0; i < w.count; i++)
        sum = fnv1a(sum, &w.t[i].e, sizeof(file_entry));
    sum = fnv1a(sum, zeros, hd.data_offset - (hd.table_offset + w.count * sizeof(file_entry)));
    hd.checksum = sum;

    rtj_atomic_file af;
    rtj_status s = RTJ_OK;
    /* A model file is data anyone may read, like what cp would make. */
    if (rtj_atomic_open(&af, path, 0644) != 0) {
        s = rtj_fail(err, errno == ENOMEM ? RTJ_ERR_NOMEM : RTJ_ERR_IO,
                     "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    } else {
        rtj_atomic_write(&af, &hd, sizeof hd);
        rtj_atomic_write(&af, meta, meta_len);
        rtj_atomic_write(&af, m->vocab_text, m->vocab_len);
        rtj_atomic_write(&af, zeros, hd.table_offset - (hd.vocab_offset + hd.vocab_size));
        for (size_t i = 0; i < w.count; i++)
            rtj_atomic_write(&af, &w.t[i].e, sizeof(file_entry));
        rtj_atomic_write(&af, zeros, hd.data_offset - (hd.table_offset + w.count * sizeof(file_entry)));
        for (size_t i = 0; i < w.count; i++) {
            rtj_atomic_write(&af, w.t[i].data, w.t[i].e.bytes);
            rtj_atomic_write(&af, zeros, align_up(w.t[i].e.bytes) - w.t[i].e.bytes);
        }
        if (rtj_atomic_commit(&af) != 0)
            s = rtj_fail(err, RTJ_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    free(w.t), free(meta);
    return s;
}
