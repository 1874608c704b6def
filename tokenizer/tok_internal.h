/* What the tokenizer's files share: the vocabulary's layout and its hash lookup. */
#ifndef RTJ_TOKENIZER_INTERNAL_H
#define RTJ_TOKENIZER_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "rtj_tokenizer.h"

/* Open addressing with linear probing, at most half full. A slot holds the key's first 8 bytes and its
 * length beside 24 bits of hash, so that a probe for a key of up to 8 bytes (most of them) touches one
 * cache line and no token text; id < 0 marks an empty slot. */
typedef struct rtj_vocab_slot {
    uint64_t head; /* the first 8 bytes of the key, zero-padded */
    uint32_t tag;  /* hash bits 40-63 above the key's length mod 256 */
    int32_t id;
} rtj_vocab_slot;

/* Most lookups WordPiece makes fail (it tries the longest piece first), and a failed probe into a table of
 * 1 MB is a cache miss: a Bloom filter of 16 bits a key (64 KB for BERT's vocabulary, two bits a key, 1%
 * false positives) answers most of them from the cache. */
typedef struct rtj_vocab_table {
    rtj_vocab_slot *slots;
    size_t mask;
    uint64_t *bloom;
    size_t bloom_mask; /* in bits */
    size_t max_key;    /* longest key in bytes: WordPiece never tries a longer piece */
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

/* By enum rtj_special_token. */
extern const char rtj_special_names[5][7];

struct rtj_tokenizer {
    const rtj_vocab *vocab;
    rtj_tokenizer_options opts;
    int32_t ascii_punct_id[128]; /* the id of each ASCII punctuation character as a word, or [UNK] */
};

/* w with only its first n < 8 bytes (in memory order) kept. */
static inline uint64_t rtj_keep_bytes(uint64_t w, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return n ? w & ~(~0ull >> (8 * n)) : 0;
#else
    return w & ((1ull << (8 * n)) - 1);
#endif
}

/* A multiply-xorshift hash over 8-byte words, the last one zero-padded: fast on the short keys WordPiece
 * looks up, and good enough for a table kept at most half full. It depends on the CPU's byte order, which
 * is fine for a table that lives in memory only. head is the key's first word. */
static inline uint64_t rtj_tok_hash(const uint8_t *p, size_t n, uint64_t head)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = ((uint64_t)n * k ^ head) * k;
    h ^= h >> 29;
    for (size_t i = 8; i < n; i += 8) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i < 8 ? n - i : 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

static inline uint32_t rtj_tok_tag(uint64_t h, size_t len)
{
    return (uint32_t)(h >> 40) << 8 | (uint32_t)(len & 0xFF);
}

/* The filter's two bits come from hash bits that neither the slot index (the low bits) nor each other use. */
static inline int rtj_bloom_has(const rtj_vocab_table *t, uint64_t h)
{
    size_t b1 = (size_t)(h >> 18) & t->bloom_mask, b2 = (size_t)(h >> 41) & t->bloom_mask;
    return (t->bloom[b1 >> 6] >> (b1 & 63) & 1) && (t->bloom[b2 >> 6] >> (b2 & 63) & 1);
}

/* The id of key in table t (skip: bytes of the stored token before the key, 2 for "##"), or -1. head is
 * the key's first 8 bytes, zero-padded. bloom: ask the filter first (for keys that are likely absent). */
static inline int32_t rtj_vocab_find(const rtj_vocab *v, const rtj_vocab_table *t, size_t skip,
                                     const uint8_t *key, size_t len, uint64_t head, int bloom)
{
    if (len > t->max_key)
        return -1;
    uint64_t h = rtj_tok_hash(key, len, head);
    if (bloom && !rtj_bloom_has(t, h))
        return -1;
    uint32_t tag = rtj_tok_tag(h, len);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        const rtj_vocab_slot *s = &t->slots[i];
        if (s->id < 0)
            return -1;
        if (s->tag == tag && s->head == head &&
            (len <= 8 || (v->tok_len[s->id] == len + skip &&
                          memcmp(v->text + v->tok_off[s->id] + skip + 8, key + 8, len - 8) == 0)))
            return s->id;
    }
}

/* The first 8 bytes of a key, zero-padded, read safely from a buffer that ends with it. */
static inline uint64_t rtj_key_head(const uint8_t *key, size_t len)
{
    uint64_t w = 0;
    memcpy(&w, key, len < 8 ? len : 8);
    return w;
}

#endif
