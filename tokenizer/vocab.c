/* vocab.txt: parsing (as Hugging Face's load_vocab reads it), the two hash tables, the special tokens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tok_internal.h"
#include "unicode.h"

const char rtj_special_names[5][7] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
static const rtj_tok_status special_missing[5] = {RTJ_TOK_ERR_NO_PAD, RTJ_TOK_ERR_NO_UNK, RTJ_TOK_ERR_NO_CLS,
                                                  RTJ_TOK_ERR_NO_SEP, RTJ_TOK_ERR_NO_MASK};

void rtj_vocab_free(rtj_vocab *v)
{
    if (!v)
        return;
    free(v->text);
    free(v->tok_off);
    free(v->tok_len);
    free(v->full.slots);
    free(v->cont.slots);
    free(v->full.bloom);
    free(v->cont.bloom);
    free(v);
}

static int table_alloc(rtj_vocab_table *t, size_t keys)
{
    size_t cap = 16;
    while (cap < 2 * keys)
        cap *= 2;
    t->slots = malloc(cap * sizeof *t->slots);
    if (!t->slots)
        return -1;
    for (size_t i = 0; i < cap; i++)
        t->slots[i] = (rtj_vocab_slot){0, 0, -1};
    t->mask = cap - 1;
    t->max_key = 0;
    size_t bits = 8 * cap; /* >= 16 a key */
    t->bloom = calloc(bits / 64, sizeof *t->bloom);
    if (!t->bloom)
        return -1;
    t->bloom_mask = bits - 1;
    return 0;
}

/* Inserts token id under key; a key already present takes the new id, as a Python dict assignment does. */
static void table_put(const rtj_vocab *v, rtj_vocab_table *t, size_t skip, int32_t id)
{
    const uint8_t *key = (const uint8_t *)v->text + v->tok_off[id] + skip;
    size_t len = v->tok_len[id] - skip;
    uint64_t head = rtj_key_head(key, len), h = rtj_tok_hash(key, len, head);
    uint32_t tag = rtj_tok_tag(h, len);
    size_t i = (size_t)h & t->mask;
    for (;; i = (i + 1) & t->mask) {
        rtj_vocab_slot *s = &t->slots[i];
        if (s->id < 0)
            break;
        if (s->tag == tag && v->tok_len[s->id] == v->tok_len[id] &&
            memcmp(v->text + v->tok_off[s->id], v->text + v->tok_off[id], v->tok_len[id]) == 0)
            break;
    }
    t->slots[i] = (rtj_vocab_slot){head, tag, id};
    size_t b1 = (size_t)(h >> 18) & t->bloom_mask, b2 = (size_t)(h >> 41) & t->bloom_mask;
    t->bloom[b1 >> 6] |= 1ull << (b1 & 63);
    t->bloom[b2 >> 6] |= 1ull << (b2 & 63);
    if (len > t->max_key)
        t->max_key = len;
}

static size_t line_end(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && p[i] != '\n' && p[i] != '\r')
        i++;
    return i;
}

/* The next line's start after a line that ends at i ("\r\n" is one ending). */
static size_t next_line(const uint8_t *p, size_t n, size_t i)
{
    if (i < n && p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
        return i + 2;
    return i + 1;
}

rtj_tok_status rtj_vocab_load_buffer(const void *data, size_t len, rtj_vocab **out, size_t *err_line)
{
    if (err_line)
        *err_line = 0;
    if (!out || (!data && len))
        return RTJ_TOK_ERR_ARG;
    *out = NULL;
    const uint8_t *p = data;

    /* Pass 1: count lines and check each is UTF-8 (Python would refuse to decode the file otherwise). */
    size_t lines = 0, conts = 0;
    for (size_t i = 0; i < len; i = next_line(p, len, line_end(p, len, i))) {
        size_t e = line_end(p, len, i);
        lines++;
        if (!rtj_utf8_valid(p + i, e - i)) {
            if (err_line)
                *err_line = lines;
            return RTJ_TOK_ERR_VOCAB_UTF8;
        }
        conts += e - i >= 2 && p[i] == '#' && p[i + 1] == '#';
    }
    if (lines > INT32_MAX)
        return RTJ_TOK_ERR_VOCAB_SIZE;

    rtj_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return RTJ_TOK_ERR_NOMEM;
    /* Line endings become the NULs: the text is no longer than the file, plus one for a last line with
     * no ending. */
    v->text = malloc(len + 1);
    v->tok_off = malloc((lines ? lines : 1) * sizeof *v->tok_off);
    v->tok_len = malloc((lines ? lines : 1) * sizeof *v->tok_len);
    if (!v->text || !v->tok_off || !v->tok_len || table_alloc(&v->full, lines) || table_alloc(&v->cont, conts)) {
        rtj_vocab_free(v);
        return RTJ_TOK_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t i = 0; i < len; i = next_line(p, len, line_end(p, len, i))) {
        size_t e = line_end(p, len, i);
        if (e - i > UINT32_MAX) {
            rtj_vocab_free(v);
            return RTJ_TOK_ERR_VOCAB_SIZE;
        }
        memcpy(v->text + at, p + i, e - i);
        v->text[at + (e - i)] = '\0';
        v->tok_off[v->n] = at;
        v->tok_len[v->n] = (uint32_t)(e - i);
        at += e - i + 1;
        v->n++;
    }
    for (size_t id = 0; id < v->n; id++) {
        table_put(v, &v->full, 0, (int32_t)id);
        if (v->tok_len[id] >= 2 && v->text[v->tok_off[id]] == '#' && v->text[v->tok_off[id] + 1] == '#')
            table_put(v, &v->cont, 2, (int32_t)id);
    }
    for (int s = 0; s < 5; s++) {
        v->special[s] = rtj_vocab_lookup(v, rtj_special_names[s], strlen(rtj_special_names[s]));
        if (v->special[s] < 0) {
            rtj_tok_status st = special_missing[s];
            rtj_vocab_free(v);
            return st;
        }
    }
    *out = v;
    return RTJ_TOK_OK;
}

rtj_tok_status rtj_vocab_load_file(const char *path, rtj_vocab **out, size_t *err_line)
{
    if (err_line)
        *err_line = 0;
    if (!path || !out)
        return RTJ_TOK_ERR_ARG;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return RTJ_TOK_ERR_IO;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    rtj_tok_status st = RTJ_TOK_OK;
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        uint8_t *grown = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (!buf)
        st = RTJ_TOK_ERR_NOMEM;
    else if (ferror(f))
        st = RTJ_TOK_ERR_IO;
    int saved = errno;
    fclose(f);
    errno = saved;
    if (st == RTJ_TOK_OK)
        st = rtj_vocab_load_buffer(buf, len, out, err_line);
    free(buf);
    return st;
}

size_t rtj_vocab_size(const rtj_vocab *v)
{
    return v ? v->n : 0;
}

int32_t rtj_vocab_lookup(const rtj_vocab *v, const char *token, size_t len)
{
    if (!v || (!token && len))
        return -1;
    const uint8_t *key = (const uint8_t *)(token ? token : "");
    return rtj_vocab_find(v, &v->full, 0, key, len, rtj_key_head(key, len), 0);
}

const char *rtj_vocab_token(const rtj_vocab *v, int32_t id, size_t *len)
{
    if (!v || id < 0 || (size_t)id >= v->n)
        return NULL;
    if (len)
        *len = v->tok_len[id];
    return v->text + v->tok_off[id];
}

int32_t rtj_vocab_special(const rtj_vocab *v, enum rtj_special_token which)
{
    if (!v || (unsigned)which > RTJ_TOKEN_MASK)
        return -1;
    return v->special[which];
}

const char *rtj_tokenizer_unicode_version(void)
{
    return RTJ_UC_VERSION;
}

const char *rtj_tokenizer_strerror(rtj_tok_status status)
{
    switch (status) {
    case RTJ_TOK_OK: return "success";
    case RTJ_TOK_ERR_ARG: return "invalid argument";
    case RTJ_TOK_ERR_NOMEM: return "out of memory";
    case RTJ_TOK_ERR_IO: return "cannot read the vocabulary file";
    case RTJ_TOK_ERR_VOCAB_UTF8: return "a vocabulary line is not valid UTF-8";
    case RTJ_TOK_ERR_VOCAB_SIZE: return "the vocabulary has more than INT32_MAX tokens";
    case RTJ_TOK_ERR_NO_PAD: return "the vocabulary has no [PAD] token";
    case RTJ_TOK_ERR_NO_UNK: return "the vocabulary has no [UNK] token";
    case RTJ_TOK_ERR_NO_CLS: return "the vocabulary has no [CLS] token";
    case RTJ_TOK_ERR_NO_SEP: return "the vocabulary has no [SEP] token";
    case RTJ_TOK_ERR_NO_MASK: return "the vocabulary has no [MASK] token";
    case RTJ_TOK_ERR_TOO_LONG: return "an input text is 4 GiB or longer";
    }
    return "unknown tokenizer status";
}
