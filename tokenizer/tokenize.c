/* BertTokenizer on bytes: special tokens, cleaning, CJK spacing, whitespace split, lowercasing and accent
 * stripping (or NFC when cased), punctuation split, WordPiece, then [CLS]/[SEP] and truncation.
 *
 * Text is cut into segments (runs between whitespace, special tokens and CJK ideographs: the units that
 * Hugging Face's whitespace_tokenize yields). A segment of ASCII is tokenized as it is read; a segment with
 * anything else is read again into code points and normalized as a whole, since canonical reordering and
 * composition look across characters. Both feed words (segments cut at punctuation) to WordPiece. */
#include <stdlib.h>

#include "tok_internal.h"
#include "unicode.h"

/* BertTokenizer's max_input_chars_per_word: a longer word is [UNK] whole, so the word buffer never needs
 * more than this many characters of 4 bytes. */
#define MAX_WORD_CHARS 100
#define WORD_BYTES (4 * MAX_WORD_CHARS)

/* Where the bytes of the current word came from. */
enum word_map {
    WORD_CONTIG, /* ASCII read in one piece: byte k came from input byte wmin + k (ws, we unused) */
    WORD_ASCEND, /* ws, we ascend (ASCII with dropped controls inside): a piece spans its ends' bytes */
    WORD_ANY,    /* ws, we in any order (reordering and composition move characters) */
};

struct rtj_tok_scratch {
    uint8_t w[WORD_BYTES + 8];               /* the current word, normalized, as UTF-8 (8 to read past) */
    uint32_t ws[WORD_BYTES], we[WORD_BYTES]; /* input bytes [ws, we) each of its bytes came from */
    size_t wlen, wchars;                     /* bytes stored, characters seen (may exceed what is stored) */
    uint32_t wmin, wmax;                     /* input bytes of the whole word */
    enum word_map wmap;
    rtj_uc_char *seg, *map;                  /* a non-ASCII segment, then its normalized form */
    size_t seg_n, seg_cap, map_cap;
};

typedef struct run {
    const rtj_tokenizer *tk;
    const rtj_vocab *v;
    rtj_tok_output *out;
    struct rtj_tok_scratch *s;
    int uncased;
    int never_split; /* BasicTokenizer's never_split can still apply (see special_segment) */
} run;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return -1;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int out_reserve(rtj_tok_output *o, size_t need)
{
    if (need <= o->capacity)
        return 0;
    size_t c = o->capacity ? o->capacity : 256;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sizeof(rtj_tok_span))
            return -1;
        c *= 2;
    }
    int32_t *ids = realloc(o->ids, c * sizeof *ids);
    if (!ids)
        return -1;
    o->ids = ids;
    int32_t *types = realloc(o->type_ids, c * sizeof *types);
    if (!types)
        return -1;
    o->type_ids = types;
    rtj_tok_span *offs = realloc(o->offsets, c * sizeof *offs);
    if (!offs)
        return -1;
    o->offsets = offs;
    o->capacity = c;
    return 0;
}

static inline int emit(run *r, int32_t id, size_t start, size_t end)
{
    rtj_tok_output *o = r->out;
    if (o->n == o->capacity && out_reserve(o, o->n + 1))
        return -1;
    o->ids[o->n] = id;
    o->offsets[o->n] = (rtj_tok_span){start, end};
    o->n++;
    return 0;
}

/* "[CLS]" etc. at p, as Hugging Face's added-token trie finds them in the raw text: its id and length. */
static size_t match_special(const run *r, const uint8_t *p, size_t n, int32_t *id)
{
    if (n < 5)
        return 0;
    for (int k = 0; k < 5; k++) {
        size_t len = k == RTJ_TOKEN_MASK ? 6 : 5;
        if (n >= len && memcmp(p, rtj_special_names[k], len) == 0) {
            *id = r->v->special[k];
            return len;
        }
    }
    return 0;
}

/* ---- Words and WordPiece ------------------------------------------------------------------------------ */
/* Appends the run of ASCII letters and digits at t[i], lowercased when uncased; returns its end. A word
 * over 100 characters is [UNK]: past that it is only counted. */
static inline size_t word_append_ascii(struct rtj_tok_scratch *s, const uint8_t *t, size_t i, size_t n,
                                       int uncased)
{
    const uint8_t *cls = rtj_uc_byte_class;
    if (s->wchars == 0) {
        s->wmin = (uint32_t)i;
        s->wmap = WORD_CONTIG;
    } else if (s->wmap == WORD_CONTIG && s->wmin + s->wchars != i) {
        for (size_t k = 0; k < s->wlen; k++) { /* a dropped control left a gap: map bytes one by one */
            s->ws[k] = s->wmin + (uint32_t)k;
            s->we[k] = s->wmin + (uint32_t)k + 1;
        }
        s->wmap = WORD_ASCEND;
    }
    size_t room = s->wchars < MAX_WORD_CHARS ? MAX_WORD_CHARS - s->wchars : 0;
    size_t lim = n - i > room ? i + room : n, q = i, o = s->wlen;
    uint8_t lower = uncased ? 32 : 0, b;
    while (q < lim && cls[b = t[q]] == 0) {
        s->w[o++] = (uint8_t)(b + ((uint8_t)(b - 'A') < 26 ? lower : 0));
        q++;
    }
    if (s->wmap != WORD_CONTIG)
        for (size_t k = s->wlen; k < o; k++) {
            s->ws[k] = (uint32_t)(i + k - s->wlen);
            s->we[k] = s->ws[k] + 1;
        }
    if (q == lim)
        while (q < n && cls[t[q]] == 0)
            q++;
    s->wlen = o;
    s->wchars += q - i;
    s->wmax = (uint32_t)q;
    return q;
}

static void word_push(struct rtj_tok_scratch *s, const rtj_uc_char *c)
{
    if (s->wchars == 0) {
        s->wmin = c->start;
        s->wmax = c->end;
        s->wmap = WORD_ANY;
    }
    s->wmin = c->start < s->wmin ? c->start : s->wmin;
    s->wmax = c->end > s->wmax ? c->end : s->wmax;
    if (s->wchars++ < MAX_WORD_CHARS) {
        size_t k = rtj_utf8_encode(c->cp, s->w + s->wlen);
        for (size_t i = 0; i < k; i++) {
            s->ws[s->wlen + i] = c->start;
            s->we[s->wlen + i] = c->end;
        }
        s->wlen += k;
    }
}

/* WordpieceTokenizer.tokenize on the current word: greedy longest match first, "##" on every piece after
 * the first; a word of over 100 characters, or one that some position cannot continue, is one [UNK]. */
static int word_flush(run *r)
{
    struct rtj_tok_scratch *s = r->s;
    const rtj_vocab *v = r->v;
    if (s->wchars == 0)
        return 0;
    size_t len = s->wlen, n0 = r->out->n, start = 0;
    int bad = s->wchars > MAX_WORD_CHARS;
    if (!bad && len <= v->full.max_key) {
        /* Most words are in the vocabulary whole: one probe, no filter (it would pass). */
        uint64_t head;
        memcpy(&head, s->w, 8);
        int32_t id = rtj_vocab_find(v, &v->full, 0, s->w, len, len < 8 ? rtj_keep_bytes(head, len) : head, 0);
        if (id >= 0) {
            s->wlen = s->wchars = 0;
            return emit(r, id, s->wmin, s->wmax);
        }
    }
    while (!bad && start < len) {
        const rtj_vocab_table *t = start ? &v->cont : &v->full;
        size_t end = len - start > t->max_key ? start + t->max_key : len;
        int32_t id = -1;
        for (; end > start; end--) {
            if (end < len && (s->w[end] & 0xC0) == 0x80)
                continue; /* not a character boundary */
            /* The word buffer has 8 bytes to spare after its end: read the head whole, then mask it. */
            uint64_t head;
            memcpy(&head, s->w + start, 8);
            if (end - start < 8)
                head = rtj_keep_bytes(head, end - start);
            id = rtj_vocab_find(v, t, start ? 2 : 0, s->w + start, end - start, head, 1);
            if (id >= 0)
                break;
        }
        if (id < 0) {
            bad = 1;
            break;
        }
        uint32_t lo, hi;
        if (s->wmap == WORD_CONTIG) {
            lo = s->wmin + (uint32_t)start;
            hi = s->wmin + (uint32_t)end;
        } else {
            lo = s->ws[start];
            hi = s->we[end - 1];
            for (size_t i = start; s->wmap == WORD_ANY && i < end; i++) {
                lo = s->ws[i] < lo ? s->ws[i] : lo;
                hi = s->we[i] > hi ? s->we[i] : hi;
            }
        }
        if (emit(r, id, lo, hi))
            return -1;
        start = end;
    }
    if (bad) {
        r->out->n = n0;
        if (emit(r, v->special[RTJ_TOKEN_UNK], s->wmin, s->wmax))
            return -1;
    }
    s->wlen = s->wchars = 0;
    return 0;
}

/* ---- Segments outside ASCII ------------------------------------------------------------------------- */
static int seg_push(struct rtj_tok_scratch *s, uint32_t cp, size_t start, size_t end)
{
    if (s->seg_n == s->seg_cap && grow((void **)&s->seg, &s->seg_cap, s->seg_n + 1, sizeof *s->seg))
        return -1;
    s->seg[s->seg_n++] = (rtj_uc_char){cp, (uint32_t)start, (uint32_t)end};
    return 0;
}

/* Cased mode only: BasicTokenizer leaves a whitespace token that equals a special token whole. Such a
 * token can only appear here when cleaning or NFC made it (the raw text would have matched as a special
 * token already); in uncased mode the text is lowercased before, so "[CLS]" cannot appear at all. */
static int special_segment(const run *r, const rtj_uc_char *m, size_t n, int32_t *id)
{
    for (int k = 0; k < 5; k++) {
        size_t len = strlen(rtj_special_names[k]), i = 0;
        while (i < n && i < len && m[i].cp == (uint8_t)rtj_special_names[k][i])
            i++;
        if (i == n && n == len) {
            *id = r->v->special[k];
            return 1;
        }
    }
    return 0;
}

/* Normalizes the collected segment, then cuts it into words at punctuation. */
static int seg_flush(run *r)
{
    struct rtj_tok_scratch *s = r->s;
    size_t n = s->seg_n, m = 0;
    s->seg_n = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (m + 4 > s->map_cap && grow((void **)&s->map, &s->map_cap, m + 4, sizeof *s->map))
            return -1;
        m += rtj_uc_map(&s->seg[i], r->uncased, s->map + m);
    }
    /* Uncased, dropping Mn before reordering gives what NFD then dropping gives: a stable sort keeps the
     * order of what remains. Uncased also needs no NFC: NFD follows and undoes it. */
    rtj_uc_reorder(s->map, m);
    if (!r->uncased)
        m = rtj_uc_compose(s->map, m);
    int32_t id;
    if (r->never_split && special_segment(r, s->map, m, &id)) {
        uint32_t lo = s->map[0].start, hi = s->map[0].end;
        for (size_t i = 1; i < m; i++) {
            lo = s->map[i].start < lo ? s->map[i].start : lo;
            hi = s->map[i].end > hi ? s->map[i].end : hi;
        }
        return emit(r, id, lo, hi);
    }
    for (size_t i = 0; i < m; i++) {
        if (rtj_uc_get(s->map[i].cp)->flags & RTJ_UC_PUNCT) {
            if (word_flush(r))
                return -1;
            word_push(s, &s->map[i]);
            if (word_flush(r))
                return -1;
        } else {
            word_push(s, &s->map[i]);
        }
    }
    return word_flush(r);
}

/* Collects the segment that starts at *pos into code points (dropping what cleaning drops) up to its end:
 * whitespace, a special token, a CJK ideograph or the end of the text. */
static int seg_collect(run *r, const uint8_t *t, size_t n, size_t *pos)
{
    size_t i = *pos;
    while (i < n) {
        uint8_t b = t[i];
        if (b < 0x80) {
            uint8_t f = rtj_uc_byte_class[b];
            int32_t id;
            if ((f & RTJ_UC_WS) || (b == '[' && match_special(r, t + i, n - i, &id)))
                break;
            if (!(f & RTJ_UC_DROP) && seg_push(r->s, b, i, i + 1))
                return -1;
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = rtj_utf8_decode(t + i, n - i, &cp);
        if (k == 0) { /* U+FFFD, which cleaning drops */
            i++;
            continue;
        }
        unsigned f = rtj_uc_get(cp)->flags;
        if (f & (RTJ_UC_WS | RTJ_UC_CJK))
            break;
        if (!(f & RTJ_UC_DROP) && seg_push(r->s, cp, i, i + k))
            return -1;
        i += k;
    }
    *pos = i;
    return 0;
}

/* At a segment's end (i < n): steps over whitespace, emits a special token, or tokenizes a CJK ideograph
 * as a word of its own. Returns where the next segment starts, or 0 on failure (never a valid answer:
 * every boundary is at least one byte long and i < n). */
static size_t boundary(run *r, const uint8_t *t, size_t n, size_t i)
{
    int32_t id;
    size_t k;
    if (t[i] < 0x80) {
        if (t[i] == '[' && (k = match_special(r, t + i, n - i, &id)) != 0)
            return emit(r, id, i, i + k) ? 0 : i + k;
        return i + 1; /* whitespace */
    }
    uint32_t cp = 0;
    k = rtj_utf8_decode(t + i, n - i, &cp); /* seg_collect decoded it: it is well-formed */
    if (k == 0)
        return i + 1;
    if (rtj_uc_get(cp)->flags & RTJ_UC_CJK) {
        if (seg_push(r->s, cp, i, i + k) || seg_flush(r))
            return 0;
    }
    return i + k;
}

static int tokenize_text(run *r, const uint8_t *t, size_t n)
{
    const uint8_t *cls = rtj_uc_byte_class;
    struct rtj_tok_scratch *s = r->s;
    size_t i = 0;
    while (i < n) {
        size_t seg_start = i, n0 = r->out->n;
        for (;;) {
            if (i < n && cls[t[i]] == 0) /* letters and digits */
                i = word_append_ascii(s, t, i, n, r->uncased);
            if (i == n)
                break;
            uint8_t b = t[i], f = cls[b];
            if (f & RTJ_UC_NONASCII)
                goto unicode;
            if (f & RTJ_UC_WS)
                break;
            if (f & RTJ_UC_DROP) {
                if (r->never_split)
                    goto unicode; /* cleaning may make a special token: let special_segment see it */
                i++;
                continue;
            }
            int32_t id;
            if (b == '[' && match_special(r, t + i, n - i, &id))
                break;
            if (word_flush(r) || emit(r, r->tk->ascii_punct_id[b], i, i + 1))
                return -1;
            i++;
        }
        if (word_flush(r))
            return -1;
        goto next;
    unicode:
        /* Undo this segment's ASCII start and read it again as code points. */
        r->out->n = n0;
        s->wlen = s->wchars = 0;
        i = seg_start;
        if (seg_collect(r, t, n, &i) || seg_flush(r))
            return -1;
    next:
        if (i < n && (i = boundary(r, t, n, i)) == 0)
            return -1;
    }
    return 0;
}

/* ---- The API ------------------------------------------------------------------------------------------ */
rtj_tok_status rtj_tokenizer_new(const rtj_vocab *vocab, const rtj_tokenizer_options *opts, rtj_tokenizer **out)
{
    if (!out)
        return RTJ_TOK_ERR_ARG;
    *out = NULL;
    if (!vocab)
        return RTJ_TOK_ERR_ARG;
    rtj_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return RTJ_TOK_ERR_NOMEM;
    t->vocab = vocab;
    t->opts = opts ? *opts : RTJ_TOKENIZER_OPTIONS_DEFAULT;
    t->opts.do_lower_case = t->opts.do_lower_case != 0;
    for (int c = 0; c < 128; c++) {
        char ch = (char)c;
        int32_t id = rtj_vocab_lookup(vocab, &ch, 1);
        t->ascii_punct_id[c] = id >= 0 ? id : vocab->special[RTJ_TOKEN_UNK];
    }
    *out = t;
    return RTJ_TOK_OK;
}

void rtj_tokenizer_free(rtj_tokenizer *tok)
{
    free(tok);
}

const rtj_vocab *rtj_tokenizer_vocab(const rtj_tokenizer *tok)
{
    return tok ? tok->vocab : NULL;
}

void rtj_tok_output_init(rtj_tok_output *out)
{
    if (out)
        memset(out, 0, sizeof *out);
}

void rtj_tok_output_free(rtj_tok_output *out)
{
    if (!out)
        return;
    free(out->ids);
    free(out->type_ids);
    free(out->offsets);
    if (out->scratch) {
        free(out->scratch->seg);
        free(out->scratch->map);
        free(out->scratch);
    }
    memset(out, 0, sizeof *out);
}

/* Hugging Face's longest_first: drop one piece at a time from the longer side, from b on a tie. */
static void longest_first(size_t na, size_t nb, size_t remove, size_t *ka, size_t *kb)
{
    if (na > nb) {
        size_t d = remove < na - nb ? remove : na - nb;
        na -= d;
        remove -= d;
    } else if (nb > na) {
        size_t d = remove < nb - na ? remove : nb - na;
        nb -= d;
        remove -= d;
    }
    /* Now equal, or nothing left to remove: b loses first, then a, in turn. */
    *kb = nb - (remove + 1) / 2;
    *ka = na - remove / 2;
}

rtj_tok_status rtj_tokenize(const rtj_tokenizer *tok, const char *text_a, size_t len_a, const char *text_b,
                            size_t len_b, size_t max_len, rtj_tok_output *out)
{
    if (!tok || !out || (!text_a && len_a) || (max_len && max_len < 3))
        return RTJ_TOK_ERR_ARG;
    if ((uint64_t)len_a >= UINT32_MAX || (uint64_t)len_b >= UINT32_MAX)
        return RTJ_TOK_ERR_TOO_LONG; /* the spans inside are 32-bit */
    if (!out->scratch && !(out->scratch = calloc(1, sizeof *out->scratch)))
        return RTJ_TOK_ERR_NOMEM;
    const rtj_vocab *v = tok->vocab;
    run r = {tok, v, out, out->scratch, tok->opts.do_lower_case, !tok->opts.do_lower_case};
    r.s->wlen = r.s->wchars = r.s->seg_n = 0;
    out->n = out->n_a = out->n_b = out->truncated_a = out->truncated_b = 0;
    int32_t cls = v->special[RTJ_TOKEN_CLS], sep = v->special[RTJ_TOKEN_SEP];
    int pair = text_b != NULL;

    size_t na = 0, nb = 0;
    if (emit(&r, cls, 0, 0) || tokenize_text(&r, (const uint8_t *)text_a, len_a))
        goto nomem;
    na = out->n - 1;
    if (emit(&r, sep, 0, 0))
        goto nomem;
    if (pair) {
        if (tokenize_text(&r, (const uint8_t *)text_b, len_b))
            goto nomem;
        nb = out->n - na - 2;
        if (emit(&r, sep, 0, 0))
            goto nomem;
    }

    size_t ka = na, kb = nb, total = out->n;
    if (max_len && total > max_len) {
        if (pair)
            longest_first(na, nb, total - max_len, &ka, &kb);
        else
            ka = max_len - 2;
        out->ids[ka + 1] = sep;
        out->offsets[ka + 1] = (rtj_tok_span){0, 0};
        if (pair) {
            memmove(out->ids + ka + 2, out->ids + na + 2, kb * sizeof *out->ids);
            memmove(out->offsets + ka + 2, out->offsets + na + 2, kb * sizeof *out->offsets);
            out->ids[ka + kb + 2] = sep;
            out->offsets[ka + kb + 2] = (rtj_tok_span){0, 0};
        }
        out->n = ka + 2 + (pair ? kb + 1 : 0);
    }
    for (size_t i = 0; i < out->n; i++)
        out->type_ids[i] = i > ka + 1;
    out->n_a = ka;
    out->n_b = kb;
    out->truncated_a = na - ka;
    out->truncated_b = nb - kb;
    return RTJ_TOK_OK;
nomem:
    out->n = 0;
    return RTJ_TOK_ERR_NOMEM;
}
