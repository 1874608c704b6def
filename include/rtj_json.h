/* A strict JSON (RFC 8259) reader: the one rtj reads config.json, safetensors headers and .rtj metadata
 * with, public so that programs around the library (rtj-run's JSON-lines data files) read JSON by the
 * same rules instead of a second parser.
 *
 * Strict means: exactly one value, surrounded only by JSON whitespace (a leading UTF-8 byte order mark
 * is rejected, as RFC 8259 lets a parser do); no trailing commas, comments, NaN/Infinity, leading zeros,
 * single quotes or unquoted keys; strings must be valid UTF-8 with no raw control characters and no
 * unpaired surrogate escapes; duplicate keys in one object are an error (which one wins is otherwise up
 * to each reader, and a checkpoint must mean the same thing to every reader); numbers that overflow a
 * double are an error. Nesting is bounded, so the recursion is too.
 *
 * The text need not be NUL-terminated and is never read past len. The parsed tree is a copy: it does
 * not point into the text. The whole tree lives in one arena freed by rtj_json_free on the root. */
#ifndef RTJ_JSON_H
#define RTJ_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtj_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RTJ_JSON_NULL,
    RTJ_JSON_BOOL,
    RTJ_JSON_NUMBER,
    RTJ_JSON_STRING,
    RTJ_JSON_ARRAY,
    RTJ_JSON_OBJECT
} rtj_json_type;

/* An object key: UTF-8 bytes, NUL-terminated, but may also contain NUL (from \u0000): use len. */
typedef struct rtj_json_key {
    const char *str;
    size_t len;
} rtj_json_key;

typedef struct rtj_json rtj_json;
/* A node. Read the member of the union that type says; the accessors below do that check. */
struct rtj_json {
    rtj_json_type type;
    size_t offset, end; /* where the value lies in the parsed text: bytes [offset, end), so that a caller
                           can edit one value of a file and keep every other byte */
    bool boolean;    /* BOOL */
    bool is_integer; /* NUMBER: written without fraction or exponent and within int64 ("-0" is 0) */
    union {
        struct {             /* NUMBER */
            double number;   /* the nearest double (strtod rounding) */
            int64_t integer; /* exact value when is_integer, else 0 */
        };
        struct {             /* STRING: UTF-8, NUL-terminated, may contain NUL: use length */
            const char *string;
            size_t length;
        };
        struct {                         /* ARRAY, OBJECT */
            size_t count;
            rtj_json *items;             /* array items, or object values, in document order */
            const rtj_json_key *keys;    /* OBJECT: keys[i] names items[i] */
            const rtj_json_key **sorted; /* OBJECT: the keys sorted by bytes, for lookup */
        };
    };
};

/* Limits of one parse. Zero fields take the defaults below. */
typedef struct rtj_json_limits {
    size_t max_depth; /* nested arrays/objects; default RTJ_JSON_DEFAULT_DEPTH, capped at 1024 */
    size_t max_bytes; /* longest accepted text; default RTJ_JSON_DEFAULT_BYTES */
} rtj_json_limits;
#define RTJ_JSON_DEFAULT_DEPTH 64
#define RTJ_JSON_DEFAULT_BYTES ((size_t)100 << 20) /* the safetensors header bound */

/* Parses text[0, len). Returns 0 and the root in *out, or -1 with *out NULL and a message in err
 * (if err and errlen > 0) of the form "line L, column C (byte B): reason"; columns count bytes from 1.
 * On allocation failure the message is "out of memory". errno is left as it was. */
RTJ_API int rtj_json_parse(const char *text, size_t len, rtj_json **out, char *err, size_t errlen);
RTJ_API int rtj_json_parse_ex(const char *text, size_t len, const rtj_json_limits *limits, rtj_json **out,
                      char *err, size_t errlen);
/* Frees a tree returned by rtj_json_parse (the root only; NULL is fine). */
RTJ_API void rtj_json_free(rtj_json *root);

RTJ_API const char *rtj_json_type_name(rtj_json_type type);

/* Object lookup, O(log n): NULL if v is NULL, not an object, or has no such key. */
RTJ_API const rtj_json *rtj_json_get(const rtj_json *object, const char *key);
RTJ_API const rtj_json *rtj_json_get_n(const rtj_json *object, const char *key, size_t key_len);

/* Items of an array or members of an object: 0 / NULL for other types or i out of range. */
static inline size_t rtj_json_count(const rtj_json *v)
{
    return v && (v->type == RTJ_JSON_ARRAY || v->type == RTJ_JSON_OBJECT) ? v->count : 0;
}
static inline const rtj_json *rtj_json_at(const rtj_json *array, size_t i)
{
    return array && array->type == RTJ_JSON_ARRAY && i < array->count ? &array->items[i] : NULL;
}
static inline const rtj_json_key *rtj_json_key_at(const rtj_json *object, size_t i)
{
    return object && object->type == RTJ_JSON_OBJECT && i < object->count ? &object->keys[i] : NULL;
}
static inline const rtj_json *rtj_json_value_at(const rtj_json *object, size_t i)
{
    return object && object->type == RTJ_JSON_OBJECT && i < object->count ? &object->items[i] : NULL;
}

/* Typed reads: true and the value in *out when v has that type (an integer: is_integer). */
static inline bool rtj_json_as_bool(const rtj_json *v, bool *out)
{
    return v && v->type == RTJ_JSON_BOOL ? (*out = v->boolean, true) : false;
}
static inline bool rtj_json_as_number(const rtj_json *v, double *out)
{
    return v && v->type == RTJ_JSON_NUMBER ? (*out = v->number, true) : false;
}
static inline bool rtj_json_as_int64(const rtj_json *v, int64_t *out)
{
    return v && v->type == RTJ_JSON_NUMBER && v->is_integer ? (*out = v->integer, true) : false;
}
/* The string's bytes (NUL-terminated) or NULL; *len (if not NULL) gets the length. */
static inline const char *rtj_json_as_string(const rtj_json *v, size_t *len)
{
    if (!v || v->type != RTJ_JSON_STRING)
        return NULL;
    if (len)
        *len = v->length;
    return v->string;
}

#ifdef __cplusplus
}
#endif
#endif
