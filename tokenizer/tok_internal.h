/* What the tokenizer's files share: the vocabulary's layout and its hash lookup. */
#ifndef RTJ_TOKENIZER_INTERNAL_H
#define RTJ_TOKENIZER_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "rtj_tokenizer.h"

/* Open addressing with linear probing, at most half full. A slot keeps the high half of the 64-bit hash
 * so that a probe rarely has to compare the token's bytes; id < 0 marks an empty slot. */
typedef struct rtj_vocab_slot {
    uint32_t tag;
    int32_t id;
} rtj_vocab_slot;

typedef struct rtj_vocab_table {
    rtj_vocab_slot *slots;
    size_t mask;
    size_t max_key; /* longest key in bytes: WordPiece never tries a longer piece */
} rtj_vocab_table;

struct rtj_vocab {
    char *text;          /* every token, NUL-terminated */
    size_t *tok_off;     /* id -> offset into text */
    uint32_t *tok_len;
    size_t n;
    rtj_vocab_table full; /* whole tokens: words, first pieces, rtj_vocab_lookup */
    rtj_vocab_table cont; /* tokens "##x" keyed by x: the pieces after the first */
    int32_t special[5];   /* enum rtj_special_token -> id */
};

struct rtj_tokenizer {
    const rtj_vocab *vocab;
    rtj_tokenizer_options opts;
    int32_t ascii_punct_id[128]; /* the id of each ASCII punctuation character as a word, or [UNK] */
};

/* A multiply-xorshift hash over 8-byte words: fast on the short keys WordPiece looks up, and good enough
 * for a table kept at most half full. The value depends on the CPU's byte order, which is fine for a
 * table that lives in memory only. */
static inline uint64_t rtj_tok_hash(const uint8_t *p, size_t n)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = (uint64_t)n * k;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++)
            w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

/* The id of key in table t (suffix_skip: bytes of the stored token before the key, 2 for "##"), or -1. */
static inline int32_t rtj_vocab_find(const rtj_vocab *v, const rtj_vocab_table *t, size_t suffix_skip,
                                     const uint8_t *key, size_t len)
{
    if (len > t->max_key)
        return -1;
    uint64_t h = rtj_tok_hash(key, len);
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        const rtj_vocab_slot *s = &t->slots[i];
        if (s->id < 0)
            return -1;
        if (s->tag == tag && v->tok_len[s->id] == len + suffix_skip &&
            memcmp(v->text + v->tok_off[s->id] + suffix_skip, key, len) == 0)
            return s->id;
    }
}

#endif
