/* Safetensors reader: every check runs before the caller sees a tensor, so a loader can trust shape,
 * dtype and byte range without re-deriving them. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rtj_json.h"

/* Tensors are read in place, so a big-endian host would see byte-swapped values: refuse to build. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rtj reads little-endian safetensors data in place: big-endian hosts are not supported"
#endif

static const struct {
    const char *name;
    size_t size;
} dtype_info[] = {
    [RTJ_ST_F32] = {"F32", 4},   [RTJ_ST_F16] = {"F16", 2}, [RTJ_ST_BF16] = {"BF16", 2},
    [RTJ_ST_F64] = {"F64", 8},   [RTJ_ST_I64] = {"I64", 8}, [RTJ_ST_I32] = {"I32", 4},
    [RTJ_ST_I16] = {"I16", 2},   [RTJ_ST_I8] = {"I8", 1},   [RTJ_ST_U8] = {"U8", 1},
    [RTJ_ST_BOOL] = {"BOOL", 1},
};
#define N_DTYPES (sizeof dtype_info / sizeof dtype_info[0])

const char *rtj_st_dtype_name(rtj_st_dtype dtype)
{
    return (unsigned)dtype < N_DTYPES ? dtype_info[dtype].name : "?";
}

size_t rtj_st_dtype_size(rtj_st_dtype dtype)
{
    return (unsigned)dtype < N_DTYPES ? dtype_info[dtype].size : 0;
}

/* What one open needs besides its output. */
typedef struct reader {
    rtj_safetensors *out;
    char *err;
    size_t errlen;
    const unsigned char *data; /* start of the data section */
    size_t data_size;
} reader;

static int st_fail(reader *r, rtj_st_fault fault, const char *fmt, ...)
{
    r->out->fault = fault;
    if (r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A JSON string for a message: at most 80 bytes, cut between UTF-8 sequences, control bytes as '?'. */
static const char *str_desc(const char *s, size_t len, char out[88])
{
    size_t n = len < 80 ? len : 80;
    while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    strcpy(out + n, n < len ? "..." : "");
    return out;
}

static void shape_desc(const rtj_st_tensor *t, char out[200])
{
    size_t n = 0;
    out[n++] = '[';
    out[n] = '\0';
    for (size_t i = 0; i < t->ndim && n < 200; i++)
        n += (size_t)snprintf(out + n, 200 - n, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (n < 199)
        strcpy(out + n, "]");
}

/* "a number", "an array", ...: what a value is, for a message. */
static const char *a_type(const rtj_json *v)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return names[v->type];
}

/* Reads data_offsets[i] as a uint64. */
static bool offset_at(const rtj_json *offs, size_t i, uint64_t *v)
{
    int64_t x;
    if (!rtj_json_as_int64(rtj_json_at(offs, i), &x) || x < 0)
        return false;
    *v = (uint64_t)x;
    return true;
}

/* Validates one entry {"dtype", "shape", "data_offsets"} and fills t (name set by the caller). */
static int read_entry(reader *r, const char *name, const rtj_json *e, rtj_st_tensor *t)
{
    char nd[88], buf[200];
    const rtj_st_fault F = RTJ_ST_FAULT_FORMAT;
    if (e->type != RTJ_JSON_OBJECT)
        return st_fail(r, F, "tensor \"%s\": entry is %s, not an object", name, a_type(e));

    const rtj_json *dt = rtj_json_get(e, "dtype");
    size_t dlen;
    const char *ds = rtj_json_as_string(dt, &dlen);
    if (!dt)
        return st_fail(r, F, "tensor \"%s\": missing \"dtype\"", name);
    if (!ds)
        return st_fail(r, F, "tensor \"%s\": \"dtype\" is %s, not a string", name, a_type(dt));
    size_t k = 0;
    while (k < N_DTYPES && !(strlen(dtype_info[k].name) == dlen && memcmp(dtype_info[k].name, ds, dlen) == 0))
        k++;
    if (k == N_DTYPES)
        return st_fail(r, F, "tensor \"%s\": unsupported dtype \"%s\"", name, str_desc(ds, dlen, nd));
    t->dtype = (rtj_st_dtype)k;

    const rtj_json *sh = rtj_json_get(e, "shape");
    if (!sh)
        return st_fail(r, F, "tensor \"%s\": missing \"shape\"", name);
    if (sh->type != RTJ_JSON_ARRAY)
        return st_fail(r, F, "tensor \"%s\": \"shape\" is %s, not an array", name, a_type(sh));
    t->ndim = rtj_json_count(sh);
    if (t->ndim > RTJ_ST_MAX_DIMS)
        return st_fail(r, F, "tensor \"%s\": shape has %zu dimensions (at most %d)", name, t->ndim,
                       RTJ_ST_MAX_DIMS);
    bool has_zero = false;
    for (size_t i = 0; i < t->ndim; i++) {
        const rtj_json *d = rtj_json_at(sh, i);
        if (!rtj_json_as_int64(d, &t->shape[i]))
            return st_fail(r, F, "tensor \"%s\": shape[%zu] is not an integer", name, i);
        if (t->shape[i] < 0)
            return st_fail(r, F, "tensor \"%s\": shape[%zu] = %lld is negative", name, i,
                           (long long)t->shape[i]);
        if ((uint64_t)t->shape[i] > SIZE_MAX)
            return st_fail(r, F, "tensor \"%s\": shape[%zu] is too large", name, i);
        has_zero |= t->shape[i] == 0;
    }
    /* A zero dimension makes the product 0 however large the others are. */
    t->numel = has_zero ? 0 : 1;
    for (size_t i = 0; i < t->ndim && !has_zero; i++) {
        size_t d = (size_t)t->shape[i];
        if (t->numel > SIZE_MAX / d)
            return st_fail(r, F, "tensor \"%s\": element count of shape %s overflows", name,
                           (shape_desc(t, buf), buf));
        t->numel *= d;
    }
    size_t esize = dtype_info[t->dtype].size;
    if (t->numel > SIZE_MAX / esize)
        return st_fail(r, F, "tensor \"%s\": byte size of shape %s overflows", name,
                       (shape_desc(t, buf), buf));
    t->nbytes = t->numel * esize;

    const rtj_json *offs = rtj_json_get(e, "data_offsets");
    uint64_t begin, end;
    if (!offs)
        return st_fail(r, F, "tensor \"%s\": missing \"data_offsets\"", name);
    if (offs->type != RTJ_JSON_ARRAY || offs->count != 2)
        return st_fail(r, F, "tensor \"%s\": \"data_offsets\" is not an array [begin, end]", name);
    if (!offset_at(offs, 0, &begin) || !offset_at(offs, 1, &end))
        return st_fail(r, F, "tensor \"%s\": \"data_offsets\" must hold non-negative integers", name);
    if (begin > end)
        return st_fail(r, F, "tensor \"%s\": data_offsets [%llu, %llu] end before they begin", name,
                       (unsigned long long)begin, (unsigned long long)end);
    if (end > r->data_size)
        return st_fail(r, F, "tensor \"%s\": data_offsets [%llu, %llu] past the end of the data (%zu bytes)",
                       name, (unsigned long long)begin, (unsigned long long)end, r->data_size);
    if (end - begin != t->nbytes)
        return st_fail(r, F, "tensor \"%s\": data_offsets span %llu bytes but %s %s needs %zu", name,
                       (unsigned long long)(end - begin), dtype_info[t->dtype].name,
                       (shape_desc(t, buf), buf), t->nbytes);
    t->data = r->data + begin;
    return 0;
}

static int read_metadata(reader *r, const rtj_json *m, char **strings, rtj_st_meta *meta)
{
    const rtj_st_fault F = RTJ_ST_FAULT_FORMAT;
    char kd[88];
    for (size_t i = 0; i < m->count; i++) {
        const rtj_json_key *k = rtj_json_key_at(m, i);
        size_t vlen;
        const char *v = rtj_json_as_string(rtj_json_value_at(m, i), &vlen);
        if (!v)
            return st_fail(r, F, "__metadata__ \"%s\": value is %s, not a string",
                           str_desc(k->str, k->len, kd), a_type(&m->items[i]));
        if (memchr(k->str, 0, k->len) || memchr(v, 0, vlen))
            return st_fail(r, F, "__metadata__ \"%s\": contains a NUL character",
                           str_desc(k->str, k->len, kd));
        meta[i].key = memcpy(*strings, k->str, k->len + 1);
        *strings += k->len + 1;
        meta[i].value = memcpy(*strings, v, vlen + 1);
        *strings += vlen + 1;
    }
    return 0;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const rtj_st_tensor *)a)->name, ((const rtj_st_tensor *)b)->name);
}

static int cmp_meta_key(const void *a, const void *b)
{
    return strcmp(((const rtj_st_meta *)a)->key, ((const rtj_st_meta *)b)->key);
}

/* By first byte, then last byte: the order in which overlaps show up as neighbours. */
static int cmp_tensor_span(const void *a, const void *b)
{
    const rtj_st_tensor *x = *(const rtj_st_tensor *const *)a, *y = *(const rtj_st_tensor *const *)b;
    const char *xb = x->data, *yb = y->data;
    if (xb != yb)
        return xb < yb ? -1 : 1;
    return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

/* No byte belongs to two tensors. Sorted by begin, a tensor overlaps an earlier one exactly when it
 * begins before the furthest end seen so far; empty tensors own no bytes and are skipped. */
static int check_overlaps(reader *r, const rtj_safetensors *st)
{
    const rtj_st_tensor **by_span = malloc((st->count ? st->count : 1) * sizeof *by_span);
    if (!by_span)
        return st_fail(r, RTJ_ST_FAULT_NOMEM, "out of memory");
    for (size_t i = 0; i < st->count; i++)
        by_span[i] = &st->tensors[i];
    qsort(by_span, st->count, sizeof *by_span, cmp_tensor_span);
    const rtj_st_tensor *far = NULL; /* the tensor reaching furthest so far */
    size_t far_begin = 0, far_end = 0;
    int rc = 0;
    for (size_t i = 0; i < st->count && rc == 0; i++) {
        const rtj_st_tensor *t = by_span[i];
        size_t begin = (size_t)((const unsigned char *)t->data - r->data), end = begin + t->nbytes;
        if (t->nbytes == 0)
            continue;
        if (far && begin < far_end) {
            char a[88], b[88];
            rc = st_fail(r, RTJ_ST_FAULT_FORMAT, "tensors \"%s\" [%zu, %zu) and \"%s\" [%zu, %zu) overlap",
                         str_desc(far->name, strlen(far->name), a), far_begin, far_end,
                         str_desc(t->name, strlen(t->name), b), begin, end);
        }
        if (!far || end > far_end) {
            far = t;
            far_begin = begin;
            far_end = end;
        }
    }
    free(by_span);
    return rc;
}

/* Counts the tensors and metadata entries and the bytes of their strings; rejects embedded NULs. */
static int size_header(reader *r, const rtj_json *root, size_t *ntensors, size_t *nmeta, size_t *nbytes)
{
    char nd[88];
    *ntensors = *nmeta = *nbytes = 0;
    for (size_t i = 0; i < root->count; i++) {
        const rtj_json_key *k = rtj_json_key_at(root, i);
        const rtj_json *v = rtj_json_value_at(root, i);
        if (k->len == 12 && memcmp(k->str, "__metadata__", 12) == 0) {
            if (v->type != RTJ_JSON_OBJECT)
                return st_fail(r, RTJ_ST_FAULT_FORMAT, "__metadata__ is %s, not an object of strings",
                               a_type(v));
            *nmeta = v->count;
            for (size_t j = 0; j < v->count; j++)
                *nbytes +=
                    v->keys[j].len + 1 + (v->items[j].type == RTJ_JSON_STRING ? v->items[j].length + 1 : 0);
            continue;
        }
        if (memchr(k->str, 0, k->len))
            return st_fail(r, RTJ_ST_FAULT_FORMAT, "tensor \"%s\": name contains a NUL character",
                           str_desc(k->str, k->len, nd));
        (*ntensors)++;
        *nbytes += k->len + 1;
    }
    return 0;
}

/* The header as JSON, then the tensors and metadata out of it. */
static int read_header(reader *r, const char *text, size_t len)
{
    rtj_safetensors *st = r->out;
    char jerr[240];
    rtj_json *root = NULL;
    rtj_json_limits lim = {.max_depth = RTJ_JSON_DEFAULT_DEPTH, .max_bytes = (size_t)RTJ_ST_MAX_HEADER};
    if (rtj_json_parse_ex(text, len, &lim, &root, jerr, sizeof jerr))
        return strcmp(jerr, "out of memory") == 0
                   ? st_fail(r, RTJ_ST_FAULT_NOMEM, "out of memory")
                   : st_fail(r, RTJ_ST_FAULT_FORMAT, "header is not valid JSON: %s", jerr);
    int rc = -1;
    size_t nt, nm, nbytes;
    if (root->type != RTJ_JSON_OBJECT) {
        st_fail(r, RTJ_ST_FAULT_FORMAT, "header is %s, not a JSON object", a_type(root));
        goto done;
    }
    if (size_header(r, root, &nt, &nm, &nbytes))
        goto done;
    st->tensors = calloc(nt ? nt : 1, sizeof *st->tensors);
    st->metadata = calloc(nm ? nm : 1, sizeof *st->metadata);
    st->strings = malloc(nbytes ? nbytes : 1);
    if (!st->tensors || !st->metadata || !st->strings) {
        st_fail(r, RTJ_ST_FAULT_NOMEM, "out of memory");
        goto done;
    }
    char *s = st->strings;
    for (size_t i = 0; i < root->count; i++) {
        const rtj_json_key *k = rtj_json_key_at(root, i);
        const rtj_json *v = rtj_json_value_at(root, i);
        if (k->len == 12 && memcmp(k->str, "__metadata__", 12) == 0) {
            if (read_metadata(r, v, &s, st->metadata))
                goto done;
            st->metadata_count = v->count;
            continue;
        }
        rtj_st_tensor *t = &st->tensors[st->count];
        t->name = memcpy(s, k->str, k->len + 1);
        s += k->len + 1;
        char nd[88];
        if (read_entry(r, str_desc(k->str, k->len, nd), v, t))
            goto done;
        st->count++;
    }
    /* Names are unique (the JSON rejects duplicate keys) and NUL-free, so strcmp order is a total order
     * and bsearch finds the one match. */
    qsort(st->tensors, st->count, sizeof *st->tensors, cmp_tensor_name);
    qsort(st->metadata, st->metadata_count, sizeof *st->metadata, cmp_meta_key);
    rc = check_overlaps(r, st);
done:
    rtj_json_free(root);
    return rc;
}

int rtj_st_open_memory(const void *buf, size_t size, rtj_safetensors *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    reader r = {.out = out, .err = err, .errlen = errlen};
    const uint16_t one = 1;
    if (*(const unsigned char *)&one != 1)
        return st_fail(&r, RTJ_ST_FAULT_FORMAT, "safetensors data is little-endian; this host is not");
    if (!buf && size)
        return st_fail(&r, RTJ_ST_FAULT_FORMAT, "no buffer");
    const unsigned char *b = buf;
    if (size < 8)
        return st_fail(&r, RTJ_ST_FAULT_FORMAT, "file of %zu bytes is too short for the 8-byte header length",
                       size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    if (n > RTJ_ST_MAX_HEADER)
        return st_fail(&r, RTJ_ST_FAULT_FORMAT, "header length %llu exceeds the limit of %llu bytes",
                       (unsigned long long)n, (unsigned long long)RTJ_ST_MAX_HEADER);
    if (n > size - 8)
        return st_fail(&r, RTJ_ST_FAULT_FORMAT,
                       "header length %llu exceeds the %zu bytes after it (truncated file?)",
                       (unsigned long long)n, size - 8);
    r.data = b + 8 + n;
    r.data_size = size - 8 - (size_t)n;
    if (read_header(&r, (const char *)b + 8, (size_t)n)) {
        rtj_st_fault f = out->fault;
        rtj_st_close(out);
        out->fault = f;
        return -1;
    }
    return 0;
}

static const char *errno_text(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n); /* the GNU variant returns the text */
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "errno %d", e);
    return buf;
#endif
}

static int open_file(const char *path, rtj_safetensors *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    reader r = {.out = out, .err = err, .errlen = errlen};
    char et[128];
    if (!path)
        return st_fail(&r, RTJ_ST_FAULT_IO, "no path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return st_fail(&r, RTJ_ST_FAULT_IO, "cannot open %s: %s", path, errno_text(errno, et, sizeof et));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return st_fail(&r, RTJ_ST_FAULT_IO, "cannot stat %s: %s", path, errno_text(e, et, sizeof et));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return st_fail(&r, RTJ_ST_FAULT_IO, "%s is not a regular file", path);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return st_fail(&r, RTJ_ST_FAULT_IO, "%s is too large to map", path);
    }
    size_t size = (size_t)sb.st_size;
    void *map = NULL;
    /* mmap rejects length 0; an empty file still gets its format error below. */
    if (size) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return st_fail(&r, RTJ_ST_FAULT_IO, "cannot map %s: %s", path, errno_text(e, et, sizeof et));
        }
    }
    close(fd); /* the mapping keeps the file */
    if (rtj_st_open_memory(size ? map : "", size, out, err, errlen)) {
        if (map)
            munmap(map, size);
        return -1;
    }
    out->map = map;
    out->map_size = size;
    return 0;
}

int rtj_st_open(const char *path, rtj_safetensors *out, char *err, size_t errlen, int *io_error)
{
    int rc = open_file(path, out, err, errlen);
    if (io_error)
        *io_error = rc != 0 && out && out->fault == RTJ_ST_FAULT_IO;
    return rc;
}

void rtj_st_close(rtj_safetensors *st)
{
    if (!st)
        return;
    if (st->map)
        munmap(st->map, st->map_size);
    free(st->tensors);
    free(st->metadata);
    free(st->strings);
    memset(st, 0, sizeof *st);
}

const rtj_st_tensor *rtj_st_find(const rtj_safetensors *st, const char *name)
{
    if (!st || !name || !st->count)
        return NULL;
    rtj_st_tensor key = {.name = (char *)name};
    return bsearch(&key, st->tensors, st->count, sizeof *st->tensors, cmp_tensor_name);
}

const char *rtj_st_metadata(const rtj_safetensors *st, const char *key)
{
    if (!st || !key || !st->metadata_count)
        return NULL;
    rtj_st_meta k = {.key = (char *)key};
    const rtj_st_meta *m = bsearch(&k, st->metadata, st->metadata_count, sizeof *st->metadata, cmp_meta_key);
    return m ? m->value : NULL;
}

float rtj_st_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = h >> 10 & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | man << 13; /* inf, or NaN keeping its payload and quiet bit */
    } else if (exp) {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    } else {
        /* zero or subnormal: man * 2^-24, exact in float (10 bits, scaled by a power of two) */
        float f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, sizeof bits);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

int rtj_st_to_f32(const rtj_st_tensor *t, float *out)
{
    if (!t || (!out && t->numel))
        return -1;
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case RTJ_ST_F32:
        if (t->nbytes)
            memcpy(out, p, t->nbytes);
        return 0;
    case RTJ_ST_F16:
    case RTJ_ST_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, sizeof h); /* data may be unaligned */
            if (t->dtype == RTJ_ST_F16) {
                out[i] = rtj_st_f16_to_f32(h);
            } else {
                uint32_t bits = (uint32_t)h << 16; /* bfloat16 is the top half of a float */
                memcpy(&out[i], &bits, sizeof bits);
            }
        }
        return 0;
    default:
        return -1;
    }
}
