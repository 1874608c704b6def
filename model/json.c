/* Strict JSON reader: recursive descent bounded by the depth limit. Values of the containers still open
 * wait on one stack (and their keys on another); when a container closes, its children are copied into
 * the arena as one contiguous array and popped, so the tree costs one arena plus two reusable stacks. */
#include "rtj_json.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hard cap on the caller's depth limit: the parser recurses once per level. */
#define JSON_MAX_DEPTH_CAP 1024
#define ARENA_BLOCK ((size_t)64 << 10)

typedef struct arena_block {
    struct arena_block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
} arena_block;

/* rtj_json_free receives the root and finds its arena by subtracting the root's offset. */
typedef struct json_doc {
    arena_block *blocks;
    rtj_json root;
} json_doc;

typedef struct parser {
    const unsigned char *s;
    size_t len, pos, max_depth;
    json_doc *doc;
    rtj_json *vals; /* children of the open containers */
    size_t nvals, capvals;
    rtj_json_key *keys; /* keys of the open objects, with their byte offsets for messages */
    size_t *keypos;
    size_t nkeys, capkeys, capkeypos;
    char *err;
    size_t errlen;
} parser;

/* Writes the message and returns -1, so that error paths read `return fail(...)`. */
static int fail(parser *p, size_t at, const char *fmt, ...)
{
    if (!p->err || p->errlen == 0)
        return -1;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->len; i++)
        col = p->s[i] == '\n' ? (line++, 1) : col + 1;
    char reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "line %zu, column %zu (byte %zu): %s", line, col, at, reason);
    return -1;
}

static int fail_oom(parser *p)
{
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "out of memory");
    return -1;
}

/* A byte for a message: quoted if printable ASCII, else hex, so messages stay one printable line. */
static const char *byte_desc(unsigned char c, char buf[8])
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", c);
    return buf;
}

static void *arena_alloc(parser *p, size_t n)
{
    const size_t a = alignof(max_align_t);
    if (n > SIZE_MAX - a - sizeof(arena_block))
        return NULL;
    n = (n + a - 1) / a * a;
    arena_block *head = p->doc->blocks;
    if (head && head->size - head->used >= n) {
        void *r = head->data + head->used;
        head->used += n;
        return r;
    }
    size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    arena_block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = n;
    /* An oversized request gets its own block, linked behind the head so the head's free space is
     * still used by the small allocations that follow. */
    if (head && n > ARENA_BLOCK) {
        b->next = head->next;
        head->next = b;
    } else {
        b->next = head;
        p->doc->blocks = b;
    }
    return b->data;
}

/* Grows *buf (of elem-byte items) to hold need items; 0 or -1 on overflow / out of memory. */
static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return -1;
        c *= 2;
    }
    void *n = realloc(*buf, c * elem);
    if (!n)
        return -1;
    *buf = n;
    *cap = c;
    return 0;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i] | 0x20; /* ASCII lower case; maps no non-hex byte onto a hex digit */
        if (s[i] >= '0' && s[i] <= '9')
            v = v << 4 | (s[i] - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (c - 'a' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at s[0, n), or 0 (Unicode Table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return k;
}

static size_t utf8_put(unsigned cp, char *o)
{
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        o[i] = (char)(0x80 | (cp & 0x3F));
    o[0] = (char)(n == 1 ? cp : ((0xFF00u >> n) & 0xFF) | cp); /* lead byte: 0xC0, 0xE0 or 0xF0 */
    return n;
}

/* The string at p->pos (a '"'), decoded into the arena. Escapes only shrink text (\uXXXX: 6 bytes to
 * at most 3; a pair: 12 to 4), so the raw length bounds the decoded one. */
static int parse_string(parser *p, const char **out, size_t *outlen)
{
    const unsigned char *s = p->s;
    size_t start = p->pos + 1, end = start;
    while (end < p->len && s[end] != '"')
        end += s[end] == '\\' ? 2 : 1;
    if (end >= p->len)
        return fail(p, p->pos, "unterminated string");
    char *o = arena_alloc(p, end - start + 1);
    if (!o)
        return fail_oom(p);
    size_t n = 0, i = start;
    while (i < end) {
        unsigned char c = s[i];
        if (c < 0x20)
            return fail(p, i, "control character 0x%02X in string (must be escaped)", c);
        if (c >= 0x80) {
            size_t k = utf8_seq(s + i, end - i);
            if (!k)
                return fail(p, i, "invalid UTF-8 byte 0x%02X in string", c);
            memcpy(o + n, s + i, k);
            n += k;
            i += k;
            continue;
        }
        if (c != '\\') {
            o[n++] = (char)c;
            i++;
            continue;
        }
        unsigned char e = s[i + 1]; /* i + 1 < end: the scan above stepped over escapes in pairs */
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            o[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            i += 2;
            continue;
        }
        if (e != 'u')
            return fail(p, i,
                        e >= 0x20 && e < 0x7f ? "invalid escape '\\%c'" : "invalid escape: '\\' then 0x%02X",
                        e);
        unsigned cp, lo;
        if (end - i < 6 || hex4(s + i + 2, &cp))
            return fail(p, i, "invalid \\u escape: expected 4 hex digits");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(p, i, "unpaired low surrogate \\u%04X", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' || hex4(s + i + 8, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return fail(p, i, "unpaired high surrogate \\u%04X", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        n += utf8_put(cp, o + n);
        i += 6;
    }
    o[n] = '\0';
    *out = o;
    *outlen = n;
    p->pos = end + 1;
    return 0;
}

/* RFC 8259 number grammar, then the value: the exact int64 when written as an integer, and the nearest
 * double from strtod. strtod reads the decimal point of the current locale, so it gets the digits with
 * the point removed and the exponent adjusted ("12.5e3" -> "125e2"): digits and 'e' mean the same in
 * every locale. */
static int parse_number(parser *p, rtj_json *v)
{
    const unsigned char *s = p->s;
    size_t i = p->pos, len = p->len;
    bool neg = false;
    char bd[8];
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    size_t int_start = i;
    if (i >= len)
        return fail(p, i, "unexpected end of input in number");
    if (s[i] < '0' || s[i] > '9')
        return fail(p, i, "expected a digit, found %s", byte_desc(s[i], bd));
    if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
        return fail(p, i, "leading zero in number");
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
        if (frac_end == frac_start)
            return fail(p, i, "expected a digit after the decimal point");
    }
    bool has_exp = false;
    int64_t exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        has_exp = true;
        bool eneg = false;
        if (++i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t es = i;
        /* Saturate: beyond 10^9 the double is 0 or inf whatever the mantissa (at most 100 MiB). */
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp < 1000000000)
                exp = exp * 10 + (s[i] - '0');
        if (i == es)
            return fail(p, i, "expected a digit in the exponent");
        if (eneg)
            exp = -exp;
    }
    size_t nfrac = frac_end - frac_start;
    v->type = RTJ_JSON_NUMBER;
    v->is_integer = false;
    v->integer = 0;
    if (frac_end == frac_start && !has_exp) {
        uint64_t m = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        bool fits = true;
        for (size_t k = int_start; k < int_end && fits; k++) {
            unsigned d = s[k] - '0';
            if (m > (limit - d) / 10)
                fits = false;
            else
                m = m * 10 + d;
        }
        if (fits) {
            v->is_integer = true;
            v->integer = neg ? (m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m) : (int64_t)m;
        }
    }
    /* '-', the digits, 'e', a sign, up to 20 exponent digits, NUL */
    size_t need = 1 + (int_end - int_start) + nfrac + 24;
    char small[128], *buf = need <= sizeof small ? small : malloc(need);
    if (!buf)
        return fail_oom(p);
    size_t n = 0;
    if (neg)
        buf[n++] = '-';
    memcpy(buf + n, s + int_start, int_end - int_start);
    n += int_end - int_start;
    memcpy(buf + n, s + frac_start, nfrac);
    n += nfrac;
    snprintf(buf + n, need - n, "e%lld", (long long)(exp - (int64_t)nfrac));
    int saved = errno;
    double d = strtod(buf, NULL);
    errno = saved;
    if (buf != small)
        free(buf);
    if (isinf(d))
        return fail(p, p->pos, "number out of the range of a double");
    v->number = d;
    p->pos = i;
    return 0;
}

static int parse_value(parser *p, size_t depth, rtj_json *v);

static int push_value(parser *p, const rtj_json *v)
{
    if (grow((void **)&p->vals, &p->capvals, p->nvals + 1, sizeof *p->vals))
        return fail_oom(p);
    p->vals[p->nvals++] = *v;
    return 0;
}

/* Moves the top n children from the stack into the arena. */
static int pop_items(parser *p, size_t mark, rtj_json *v)
{
    size_t n = p->nvals - mark;
    v->count = n;
    v->items = NULL;
    if (n) {
        v->items = arena_alloc(p, n * sizeof *v->items);
        if (!v->items)
            return fail_oom(p);
        memcpy(v->items, p->vals + mark, n * sizeof *v->items);
    }
    p->nvals = mark;
    return 0;
}

/* At ',' or a closing bracket after a value: 1 = another member follows, 0 = closed, -1 = error. */
static int after_member(parser *p, unsigned char close, const char *what)
{
    skip_ws(p);
    char bd[8];
    if (p->pos >= p->len)
        return fail(p, p->pos, "unexpected end of input in %s", what);
    unsigned char c = p->s[p->pos];
    if (c == close) {
        p->pos++;
        return 0;
    }
    if (c != ',')
        return fail(p, p->pos, "expected ',' or '%c' in %s, found %s", close, what, byte_desc(c, bd));
    size_t comma = p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close)
        return fail(p, comma, "trailing comma in %s", what);
    return 1;
}

static int key_cmp(const void *a, const void *b)
{
    const rtj_json_key *x = *(const rtj_json_key *const *)a, *y = *(const rtj_json_key *const *)b;
    int c = memcmp(x->str, y->str, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A key for a message: at most 60 bytes, control bytes shown as '?'. */
static void key_desc(const rtj_json_key *k, char out[64])
{
    size_t n = k->len < 60 ? k->len : 60;
    while (n > 0 && n < k->len && ((unsigned char)k->str[n] & 0xC0) == 0x80)
        n--; /* cut between UTF-8 sequences */
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)k->str[i] < 0x20 ? '?' : k->str[i];
    strcpy(out + n, k->len > 60 ? "..." : "");
}

/* Copies the object's keys to the arena, sorts pointers to them and rejects a repeated key. */
static int close_object(parser *p, size_t kmark, rtj_json *v)
{
    size_t n = p->nkeys - kmark;
    if (n) {
        rtj_json_key *keys = arena_alloc(p, n * sizeof *keys);
        const rtj_json_key **sorted = arena_alloc(p, n * sizeof *sorted);
        if (!keys || !sorted)
            return fail_oom(p);
        memcpy(keys, p->keys + kmark, n * sizeof *keys);
        for (size_t i = 0; i < n; i++)
            sorted[i] = &keys[i];
        qsort(sorted, n, sizeof *sorted, key_cmp);
        for (size_t i = 1; i < n; i++) {
            if (key_cmp(&sorted[i - 1], &sorted[i]) == 0) {
                size_t a = (size_t)(sorted[i - 1] - keys), b = (size_t)(sorted[i] - keys);
                char kd[64];
                key_desc(sorted[i], kd);
                return fail(p, p->keypos[kmark + (a > b ? a : b)], "duplicate key \"%s\"", kd);
            }
        }
        v->keys = keys;
        v->sorted = sorted;
    }
    p->nkeys = kmark;
    return 0;
}

/* The array or object at p->pos; depth counts it. Children go on the stacks, then into the arena. */
static int parse_container(parser *p, size_t depth, rtj_json *v)
{
    bool obj = p->s[p->pos] == '{';
    unsigned char close = obj ? '}' : ']';
    const char *what = obj ? "object" : "array";
    size_t mark = p->nvals, kmark = p->nkeys;
    char bd[8];
    v->type = obj ? RTJ_JSON_OBJECT : RTJ_JSON_ARRAY;
    p->pos++;
    skip_ws(p);
    int more = 1;
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        more = 0;
    }
    while (more == 1) {
        if (obj) {
            skip_ws(p);
            if (p->pos >= p->len)
                return fail(p, p->pos, "unexpected end of input in object");
            if (p->s[p->pos] != '"')
                return fail(p, p->pos, "expected a string key, found %s", byte_desc(p->s[p->pos], bd));
            rtj_json_key k;
            size_t kpos = p->pos;
            if (parse_string(p, &k.str, &k.len))
                return -1;
            if (grow((void **)&p->keys, &p->capkeys, p->nkeys + 1, sizeof *p->keys) ||
                grow((void **)&p->keypos, &p->capkeypos, p->nkeys + 1, sizeof *p->keypos))
                return fail_oom(p);
            p->keys[p->nkeys] = k;
            p->keypos[p->nkeys++] = kpos;
            skip_ws(p);
            if (p->pos >= p->len)
                return fail(p, p->pos, "unexpected end of input in object");
            if (p->s[p->pos] != ':')
                return fail(p, p->pos, "expected ':' after an object key");
            p->pos++;
        }
        rtj_json item;
        if (parse_value(p, depth, &item) || push_value(p, &item))
            return -1;
        more = after_member(p, close, what);
    }
    if (more < 0)
        return -1;
    return (obj && close_object(p, kmark, v)) || pop_items(p, mark, v) ? -1 : 0;
}

static int parse_literal(parser *p, const char *word, rtj_json *v)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, p->pos, "invalid literal (expected '%s')", word);
    p->pos += n;
    if (word[0] == 'n') {
        v->type = RTJ_JSON_NULL;
    } else {
        v->type = RTJ_JSON_BOOL;
        v->boolean = word[0] == 't';
    }
    return 0;
}

/* depth = containers already open around this value. */
static int parse_value(parser *p, size_t depth, rtj_json *v)
{
    memset(v, 0, sizeof *v);
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, p->pos, "unexpected end of input, expected a value");
    unsigned char c = p->s[p->pos];
    char bd[8];
    if ((c == '[' || c == '{') && depth >= p->max_depth)
        return fail(p, p->pos, "nesting deeper than %zu levels", p->max_depth);
    const size_t start = p->pos;
    int rc;
    switch (c) {
    case '[':
    case '{':
        rc = parse_container(p, depth + 1, v);
        break;
    case '"':
        v->type = RTJ_JSON_STRING;
        rc = parse_string(p, &v->string, &v->length);
        break;
    case 't':
        rc = parse_literal(p, "true", v);
        break;
    case 'f':
        rc = parse_literal(p, "false", v);
        break;
    case 'n':
        rc = parse_literal(p, "null", v);
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            rc = parse_number(p, v);
            break;
        }
        if (p->pos == 0 && p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
            fail(p, 0, "byte order mark not allowed");
        else
            fail(p, p->pos, "unexpected %s, expected a value", byte_desc(c, bd));
        return -1;
    }
    v->offset = start;
    v->end = p->pos;
    return rc;
}

int rtj_json_parse_ex(const char *text, size_t len, const rtj_json_limits *limits, rtj_json **out, char *err,
                      size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    *out = NULL;
    size_t max_depth = limits && limits->max_depth ? limits->max_depth : RTJ_JSON_DEFAULT_DEPTH;
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : RTJ_JSON_DEFAULT_BYTES;
    if (max_depth > JSON_MAX_DEPTH_CAP)
        max_depth = JSON_MAX_DEPTH_CAP;
    if (!text && len) {
        if (err && errlen)
            snprintf(err, errlen, "no text");
        return -1;
    }
    if (len > max_bytes) {
        if (err && errlen)
            snprintf(err, errlen, "JSON text of %zu bytes exceeds the limit of %zu", len, max_bytes);
        return -1;
    }
    parser p = {
        .s = (const unsigned char *)text, .len = len, .max_depth = max_depth, .err = err, .errlen = errlen};
    p.doc = calloc(1, sizeof *p.doc);
    if (!p.doc)
        return fail_oom(&p);
    int rc = parse_value(&p, 0, &p.doc->root);
    if (rc == 0) {
        skip_ws(&p);
        if (p.pos < p.len) {
            fail(&p, p.pos, "unexpected data after the JSON value");
            rc = -1;
        }
    }
    free(p.vals);
    free(p.keys);
    free(p.keypos);
    if (rc) {
        rtj_json_free(&p.doc->root);
        return -1;
    }
    *out = &p.doc->root;
    return 0;
}

int rtj_json_parse(const char *text, size_t len, rtj_json **out, char *err, size_t errlen)
{
    return rtj_json_parse_ex(text, len, NULL, out, err, errlen);
}

void rtj_json_free(rtj_json *root)
{
    if (!root)
        return;
    json_doc *d = (json_doc *)(void *)((char *)root - offsetof(json_doc, root));
    for (arena_block *b = d->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(d);
}

const char *rtj_json_type_name(rtj_json_type type)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "?";
}

const rtj_json *rtj_json_get_n(const rtj_json *object, const char *key, size_t key_len)
{
    if (!object || object->type != RTJ_JSON_OBJECT || !key || object->count == 0)
        return NULL;
    rtj_json_key want = {key, key_len};
    const rtj_json_key *pw = &want;
    const rtj_json_key **hit = bsearch(&pw, object->sorted, object->count, sizeof *object->sorted, key_cmp);
    return hit ? &object->items[*hit - object->keys] : NULL;
}

const rtj_json *rtj_json_get(const rtj_json *object, const char *key)
{
    return key ? rtj_json_get_n(object, key, strlen(key)) : NULL;
}
