/* Reading an .rtj file (format: rtj_file.c): map it, check the header, checksums and table, and point the
 * model's weights into the mapping. Every offset and size is checked before it is used, and every FP32
 * array is checked to be finite before the model uses it. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "rtj_file.h"

typedef struct reader {
    rtj_model *m;
    const unsigned char *base;
    const file_header *hd;
    const file_entry *table;
    rtj_error *err;
    const char *path;
} reader;

#define BAD(...) rtj_fail(r->err, RTJ_ERR_FORMAT, __VA_ARGS__)

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* [off, off + len) lies within [lo, hi). */
static int within(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
    return off >= lo && off <= hi && len <= hi - off;
}

static const file_entry *entry(const reader *r, const char *name)
{
    for (uint64_t i = 0; i < r->hd->table_count; i++)
        if (strcmp(r->table[i].name, name) == 0)
            return &r->table[i];
    return NULL;
}

/* The data of tensor name, checked for kind, rows, columns and byte size. */
static rtj_status get(const reader *r, const char *name, uint32_t kind, size_t n, size_t k, size_t bytes,
                      const void **out)
{
    const file_entry *e = entry(r, name);
    if (!e)
        return rtj_fail(r->err, RTJ_ERR_TENSOR, "%s: tensor '%s' is missing", r->path, name);
    if (e->kind != kind || e->n != n || e->k != k || e->bytes != bytes)
        return rtj_fail(r->err, RTJ_ERR_TENSOR, "%s: tensor '%s' has kind %u and shape [%llu, %llu] (%llu bytes), "
                        "expected kind %u [%zu, %zu] (%zu bytes)", r->path, name, e->kind, (unsigned long long)e->n,
                        (unsigned long long)e->k, (unsigned long long)e->bytes, kind, n, k, bytes);
    *out = r->base + e->offset;
    if (kind == KIND_F32 || kind == KIND_F32_PACKED) {
        const float *x = *out;
        const size_t nf = bytes / sizeof(float), bad = rtj_first_nonfinite(x, nf);
        if (bad < nf)
            return rtj_fail(r->err, RTJ_ERR_TENSOR, "%s: tensor '%s' holds %s at element %zu: weights must be finite",
                            r->path, name, rtj_nonfinite_name(x[bad]), bad);
    }
    return RTJ_OK;
}

static rtj_status get_f32(const reader *r, const char *name, size_t n, size_t k, float **out)
{
    const void *p;
    TRY(get(r, name, KIND_F32, n, k, n * (k ? k : 1) * sizeof(float), &p));
    *out = (float *)p; /* read-only mapping; the model never writes its weights */
    return RTJ_OK;
}

/* A linear layer: in place when the file's packing is what the kernels read; otherwise unpacked and
 * packed again (for another tile, or quantized when an FP32 file is loaded as INT8). */
static rtj_status get_linear(const reader *r, const char *name, size_t n, size_t k, int force_f32, rtj_linear *l)
{
    char nm[96];
    rtj_model *m = r->m;
    memset(l, 0, sizeof *l);
    if (r->hd->dtype == RTJ_DTYPE_INT8 && !force_f32) {
        const size_t n_pad = round_up(n, RTJ_Q8_PANEL), k_pad = round_up(k, 4);
        const void *q, *sc, *sum, *b;
        snprintf(nm, sizeof nm, "%s.q", name); TRY(get(r, nm, KIND_I8_PACKED, n, k, n_pad * k_pad, &q));
        snprintf(nm, sizeof nm, "%s.s", name); TRY(get(r, nm, KIND_F32, n_pad, 0, n_pad * 4, &sc));
        snprintf(nm, sizeof nm, "%s.sum", name); TRY(get(r, nm, KIND_I32, n_pad, 0, n_pad * 4, &sum));
        snprintf(nm, sizeof nm, "%s.b", name); TRY(get(r, nm, KIND_F32, n_pad, 0, n_pad * 4, &b));
        l->is_q8 = 1;
        l->borrowed = 1;
        l->q8 = (rtj_q8_packed_w){n, k, n_pad, k_pad, (int8_t *)q, (float *)sc, (int32_t *)sum, (float *)b};
        return RTJ_OK;
    }
    const size_t nr = r->hd->f32_nr, kc = r->hd->f32_kc, n_pad = round_up(n, nr);
    const void *w, *b;
    snprintf(nm, sizeof nm, "%s.w", name); TRY(get(r, nm, KIND_F32_PACKED, n, k, n_pad * k * 4, &w));
    snprintf(nm, sizeof nm, "%s.b", name); TRY(get(r, nm, KIND_F32, n_pad, 0, n_pad * 4, &b));
    const rtj_f32_packed_w file_w = {n, k, n_pad, nr, kc, (float *)w, (float *)b};
    const int want_q8 = m->dtype == RTJ_DTYPE_INT8 && !force_f32;
    if (!want_q8 && nr == m->kt->f32_gemm_nr && kc == m->kt->f32_gemm_kc) {
        l->f32 = file_w;
        l->borrowed = 1;
        return RTJ_OK;
    }
    float *plain = rtj_alloc(n * k * sizeof(float));
    if (!plain)
        return rtj_fail(r->err, RTJ_ERR_NOMEM, "out of memory repacking '%s'", name);
    rtj_f32_unpack_w(&file_w, plain);
    int rc = want_q8 ? rtj_q8_pack_w(n, k, plain, k, file_w.bias, &l->q8)
                     : rtj_f32_pack_w(m->kt, n, k, plain, k, 0, file_w.bias, &l->f32);
    l->is_q8 = want_q8;
    rtj_free(plain);
    return rc == 0 ? RTJ_OK : rtj_fail(r->err, RTJ_ERR_NOMEM, "out of memory repacking '%s'", name);
}

static rtj_status check_header(reader *r, size_t size)
{
    const file_header *hd = r->hd;
    if (size < sizeof *hd || memcmp(hd->magic, RTJ_FILE_MAGIC, 8) != 0)
        return BAD("%s: not an .rtj model file (bad magic)", r->path);
    if (hd->version < RTJ_FILE_VERSION_MIN || hd->version > RTJ_FILE_VERSION)
        return BAD("%s: .rtj version %u, this build reads versions %u to %u", r->path, hd->version,
                   RTJ_FILE_VERSION_MIN, RTJ_FILE_VERSION);
    if (hd->file_size != size)
        return BAD("%s: the header says %llu bytes but the file has %zu (truncated?)", r->path,
                   (unsigned long long)hd->file_size, size);
    if (hd->dtype > RTJ_DTYPE_INT8 || hd->f32_nr == 0 || hd->f32_kc == 0 || hd->f32_nr > 1024 ||
        hd->table_count > 1000000 || hd->data_offset % RTJ_FILE_ALIGN != 0 ||
        !within(hd->meta_offset, hd->meta_size, sizeof *hd, hd->data_offset) ||
        !within(hd->vocab_offset, hd->vocab_size, sizeof *hd, hd->data_offset) ||
        !within(hd->table_offset, hd->table_count * sizeof(file_entry), sizeof *hd, hd->data_offset) ||
        hd->table_offset % 8 != 0 || hd->data_offset > size)
        return BAD("%s: the header's fields are out of range", r->path);
    /* The checksum was computed with its own field zero. */
    file_header copy = *hd;
    copy.checksum = 0;
    uint64_t sum = fnv1a(FNV_OFFSET, &copy, sizeof copy);
    sum = fnv1a(sum, r->base + sizeof copy, hd->data_offset - sizeof copy);
    if (sum != hd->checksum)
        return BAD("%s: header checksum mismatch (the file is corrupt)", r->path);
    r->table = (const file_entry *)(r->base + hd->table_offset);
    for (uint64_t i = 0; i < hd->table_count; i++) {
        const file_entry *e = &r->table[i];
        if (!memchr(e->name, '\0', sizeof e->name))
            return BAD("%s: tensor table entry %llu has no name", r->path, (unsigned long long)i);
        if (e->offset % RTJ_FILE_ALIGN != 0 || !within(e->offset, e->bytes, hd->data_offset, size))
            return BAD("%s: tensor '%s' lies outside the file's data", r->path, e->name);
        /* Overlaps: written in order, so each tensor must start at or after the previous one's end. */
        if (i > 0 && e->offset < r->table[i - 1].offset + r->table[i - 1].bytes)
            return BAD("%s: tensor '%s' overlaps the one before it", r->path, e->name);
    }
    if (hd->version >= 2) {
        if (rtj_data_checksum(r->base + hd->data_offset, size - hd->data_offset, r->m->threads) != hd->data_checksum)
            return BAD("%s: weight data checksum mismatch (the file is corrupt)", r->path);
    }
    return RTJ_OK;
}

static rtj_status read_model(reader *r)
{
    rtj_model *m = r->m;
    const file_header *hd = r->hd;
    if (hd->dtype == RTJ_DTYPE_INT8 && m->dtype == RTJ_DTYPE_FP32)
        return rtj_fail(r->err, RTJ_ERR_ARG, "%s holds INT8 weights: load it as INT8 (the FP32 weights are not in it)",
                        r->path);
    TRY(rtj_config_parse((const char *)r->base + hd->meta_offset, hd->meta_size, &m->cfg, r->err));
    m->vocab_text = malloc(hd->vocab_size + 1);
    if (!m->vocab_text)
        return rtj_fail(r->err, RTJ_ERR_NOMEM, "out of memory");
    memcpy(m->vocab_text, r->base + hd->vocab_offset, hd->vocab_size);
    m->vocab_len = hd->vocab_size;
    TRY(rtj_model_init_tokenizer(m, r->err));
    const rtj_config *c = &m->cfg;
    const size_t h = (size_t)c->hidden, nl = (size_t)c->num_labels, ff = (size_t)c->intermediate;
    if (entry(r, "emb.word.q")) {
        const void *q;
        TRY(get(r, "emb.word.q", KIND_I8, (size_t)c->vocab_size, h, (size_t)c->vocab_size * h, &q));
        TRY(get_f32(r, "emb.word.s", (size_t)c->vocab_size, 0, &m->word_scale));
        m->word_q = (int8_t *)q;
        if (m->dtype == RTJ_DTYPE_FP32)
            return rtj_fail(r->err, RTJ_ERR_ARG, "%s holds INT8 word embeddings: load it as INT8", r->path);
    } else {
        TRY(get_f32(r, "emb.word", (size_t)c->vocab_size, h, &m->word_emb));
        if (m->dtype == RTJ_DTYPE_INT8 && rtj_model_quantize_embeddings(m) != RTJ_OK)
            return rtj_fail(r->err, RTJ_ERR_NOMEM, "out of memory quantizing the word embeddings");
    }
    TRY(get_f32(r, "emb.pos", (size_t)c->max_positions, h, &m->pos_emb));
    TRY(get_f32(r, "emb.type", (size_t)c->type_vocab_size, h, &m->type_emb));
    TRY(get_f32(r, "emb.ln.g", h, 0, &m->emb_ln_g));
    TRY(get_f32(r, "emb.ln.b", h, 0, &m->emb_ln_b));
    if (rtj_model_alloc_layers(m) != RTJ_OK)
        return rtj_fail(r->err, RTJ_ERR_NOMEM, "out of memory");
    char nm[96];
    for (int i = 0; i < m->run_layers; i++) {
        rtj_layer_weights *l = &m->layer[i];
        snprintf(nm, sizeof nm, "L%d.qkv", i); TRY(get_linear(r, nm, 3 * h, h, 0, &l->qkv));
        snprintf(nm, sizeof nm, "L%d.attn_out", i); TRY(get_linear(r, nm, h, h, 0, &l->attn_out));
        snprintf(nm, sizeof nm, "L%d.ffn_in", i); TRY(get_linear(r, nm, ff, h, 0, &l->ffn_in));
        snprintf(nm, sizeof nm, "L%d.ffn_out", i); TRY(get_linear(r, nm, h, ff, 0, &l->ffn_out));
        snprintf(nm, sizeof nm, "L%d.ln1.g", i); TRY(get_f32(r, nm, h, 0, &l->ln1_g));
        snprintf(nm, sizeof nm, "L%d.ln1.b", i); TRY(get_f32(r, nm, h, 0, &l->ln1_b));
        snprintf(nm, sizeof nm, "L%d.ln2.g", i); TRY(get_f32(r, nm, h, 0, &l->ln2_g));
        snprintf(nm, sizeof nm, "L%d.ln2.b", i); TRY(get_f32(r, nm, h, 0, &l->ln2_b));
    }
    TRY(get_linear(r, "pooler", h, h, 1, &m->pooler));
    for (int k = 0; k < c->num_exits; k++) {
        rtj_exit_head *e = &m->exits[k];
        e->layer = c->exit_layers[k];
        e->temperature = c->exit_temps[k];
        snprintf(nm, sizeof nm, "exit%d.w", k); TRY(get_f32(r, nm, nl, h, &e->weight));
        snprintf(nm, sizeof nm, "exit%d.b", k); TRY(get_f32(r, nm, nl, 0, &e->bias));
        snprintf(nm, sizeof nm, "exit%d.mix", k);
        if (entry(r, nm))
            TRY(get_f32(r, nm, (size_t)e->layer + 1, 0, &e->mix));
        for (int j = e->mix ? 0 : e->layer; j <= e->layer; j++)
            m->pool_needed[j] = 1;
    }
    return RTJ_OK;
}

rtj_status rtj_model_file_dtype(const char *path, rtj_dtype *out)
{
    if (!path || !out)
        return RTJ_ERR_ARG;
    /* Magic, version, dtype: the header's first 16 bytes (rtj_file.h). */
    unsigned char h[offsetof(file_header, dtype) + sizeof(uint32_t)];
    FILE *f = fopen(path, "rb");
    if (!f)
        return RTJ_ERR_IO;
    const size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n != sizeof h || memcmp(h, RTJ_FILE_MAGIC, 8) != 0)
        return RTJ_ERR_FORMAT;
    const unsigned char *d = h + offsetof(file_header, dtype);
    const uint32_t dtype = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    *out = dtype == RTJ_DTYPE_INT8 ? RTJ_DTYPE_INT8 : RTJ_DTYPE_FP32;
    return RTJ_OK;
}

rtj_status rtj_load_rtj_buffer(const void *base, size_t size, const char *name, rtj_model *m, rtj_error *err)
{
    if (!base || (uintptr_t)base % RTJ_FILE_ALIGN != 0)
        return rtj_fail(err, RTJ_ERR_ARG, "%s: the buffer must be %d-byte aligned", name, RTJ_FILE_ALIGN);
    m->map = (void *)base;
    m->map_size = size;
    reader r = {m, base, base, NULL, err, name};
    rtj_status s = check_header(&r, size);
    return s != RTJ_OK ? s : read_model(&r);
}

rtj_status rtj_load_rtj_file(const char *path, rtj_model *m, rtj_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rtj_fail(err, RTJ_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size <= 0) {
        close(fd);
        return rtj_fail(err, sb.st_size == 0 ? RTJ_ERR_FORMAT : RTJ_ERR_IO, "%s: empty or unreadable file", path);
    }
    const size_t size = (size_t)sb.st_size;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return rtj_fail(err, RTJ_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    m->map_owned = 1;
    return rtj_load_rtj_buffer(p, size, path, m, err);
}
