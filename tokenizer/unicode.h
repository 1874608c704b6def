/* Character data and UTF-8 for the tokenizer: table lookup, strict decoding, encoding and the normalizing
 * steps BertTokenizer takes (the uncased mapping, NFD, canonical reordering, NFC composition). */
#ifndef RTJ_TOKENIZER_UNICODE_H
#define RTJ_TOKENIZER_UNICODE_H

#include <stddef.h>
#include <stdint.h>

#include "unicode_tables.h"

static inline const rtj_uc_record *rtj_uc_get(uint32_t cp)
{
    uint32_t block = rtj_uc_stage1[cp >> RTJ_UC_SHIFT];
    return &rtj_uc_records[rtj_uc_stage2[(block << RTJ_UC_SHIFT) | (cp & ((1u << RTJ_UC_SHIFT) - 1))]];
}

/* Hangul syllables decompose arithmetically (Unicode 15.0, section 3.12), which spares the tables 11,172
 * entries. */
enum { RTJ_HANGUL_S = 0xAC00, RTJ_HANGUL_L = 0x1100, RTJ_HANGUL_V = 0x1161, RTJ_HANGUL_T = 0x11A7,
       RTJ_HANGUL_VCOUNT = 21, RTJ_HANGUL_TCOUNT = 28, RTJ_HANGUL_NCOUNT = 588, RTJ_HANGUL_SCOUNT = 11172 };

static inline int rtj_is_hangul_syllable(uint32_t cp)
{
    return cp - RTJ_HANGUL_S < RTJ_HANGUL_SCOUNT;
}

/* Decodes one well-formed UTF-8 sequence (Unicode Table 3-7: no overlongs, no surrogates, nothing above
 * U+10FFFF) from the n > 0 bytes at p. Returns its length, or 0 when p[0] does not begin one; never reads
 * past p + n. */
static inline size_t rtj_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint32_t b0 = p[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 < 0xC2 || b0 > 0xF4)
        return 0;
    if (b0 < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((b0 & 0x1F) << 6) | (p[1] & 0x3Fu);
        return 2;
    }
    /* The second byte's range is what excludes overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4). */
    uint32_t lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
    uint32_t hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
    if (n < 2 || p[1] < lo || p[1] > hi)
        return 0;
    if (b0 < 0xF0) {
        if (n < 3 || (p[2] & 0xC0) != 0x80)
            return 0;
        *cp = ((b0 & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        return 3;
    }
    if (n < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return 0;
    *cp = ((b0 & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    return 4;
}

/* Writes cp (a scalar value) as UTF-8; returns the byte count (1-4). */
static inline size_t rtj_utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Is the whole buffer well-formed UTF-8? */
int rtj_utf8_valid(const uint8_t *p, size_t n);

/* A code point with the input bytes [start, end) it came from. */
typedef struct rtj_uc_char {
    uint32_t cp, start, end;
} rtj_uc_char;

/* Appends the mapping of c to out (room for 4 more entries needed): in uncased mode NFD(lower(c)) less
 * nonspacing marks, else the full canonical decomposition. Each piece keeps c's bytes. Returns the count
 * written (0 when the mapping is empty: c was a nonspacing mark stripped as an accent). */
size_t rtj_uc_map(const rtj_uc_char *c, int uncased, rtj_uc_char *out);

/* Canonical ordering: stable sort by combining class of every run of non-starters. */
void rtj_uc_reorder(rtj_uc_char *s, size_t n);

/* Canonical composition of a decomposed, reordered sequence, in place (NFC = this after NFD). A composite
 * spans the bytes of everything it was made of. Returns the new length. */
size_t rtj_uc_compose(rtj_uc_char *s, size_t n);

#endif
