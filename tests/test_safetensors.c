/* The safetensors reader on files built in memory: valid tensors read back exactly (every F16 and BF16
 * bit pattern against a reference computed here from the bit fields), and each malformed file is a clean
 * -1 naming the fault. Buffers have their exact size, so an out-of-bounds read shows up under ASan. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../model/safetensors.h"

typedef struct {
    unsigned char *buf;
    size_t size;
} blob;

/* 8-byte little-endian header_len, then the header bytes given, then the data. */
static blob build_raw(uint64_t header_len, const char *header, size_t header_bytes, const void *data,
                      size_t data_len)
{
    blob b = {.size = 8 + header_bytes + data_len};
    b.buf = malloc(b.size);
    cr_assert(b.buf != NULL);
    for (int i = 0; i < 8; i++)
        b.buf[i] = (unsigned char)(header_len >> (8 * i));
    memcpy(b.buf + 8, header, header_bytes);
    if (data_len)
        memcpy(b.buf + 8 + header_bytes, data, data_len);
    return b;
}

static blob build(const char *header, const void *data, size_t data_len)
{
    return build_raw(strlen(header), header, strlen(header), data, data_len);
}

static void open_ok(const blob *b, rtj_safetensors *st)
{
    char err[320];
    int rc = rtj_st_open_memory(b->buf, b->size, st, err, sizeof err);
    cr_assert_eq(rc, 0, "rejected a valid file: %s", err);
    cr_assert_eq(st->fault, RTJ_ST_FAULT_NONE);
}

/* -1, a format fault, nothing left in st, and a message containing want. */
static void expect_bad_blob(const blob *b, size_t size, const char *want)
{
    rtj_safetensors st;
    char err[320] = "unset";
    int rc = rtj_st_open_memory(b->buf, size, &st, err, sizeof err);
    cr_assert_eq(rc, -1, "accepted a malformed file (want \"%s\")", want);
    cr_assert_eq(st.fault, RTJ_ST_FAULT_FORMAT, "%s", err);
    cr_assert(st.count == 0 && st.tensors == NULL && st.metadata == NULL && st.map == NULL);
    cr_assert(strstr(err, want) != NULL, "message \"%s\" lacks \"%s\"", err, want);
    rtj_st_close(&st);
}

static void expect_bad(const char *header, size_t data_len, const char *want)
{
    unsigned char *data = calloc(data_len ? data_len : 1, 1);
    cr_assert(data != NULL);
    blob b = build(header, data, data_len);
    expect_bad_blob(&b, b.size, want);
    free(b.buf);
    free(data);
}

#define TWO_F32                                                                                              \
    "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"                                    \
    "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]}}"

Test(safetensors, f32_tensors_read_back)
{
    float data[9] = {1, 2, 3, 4, 5, 6, -0.5f, 0.25f, 1e-30f};
    blob b = build(TWO_F32, data, sizeof data);
    rtj_safetensors st;
    open_ok(&b, &st);
    cr_assert_eq(st.count, 2);
    cr_assert_str_eq(st.tensors[0].name, "b", "sorted by name");
    cr_assert_null(st.map, "memory files are not ours to unmap");
    const rtj_st_tensor *w = rtj_st_find(&st, "w");
    cr_assert(w != NULL);
    cr_assert_eq(w->dtype, RTJ_ST_F32);
    cr_assert(w->ndim == 2 && w->shape[0] == 2 && w->shape[1] == 3);
    cr_assert(w->numel == 6 && w->nbytes == 24);
    cr_assert_eq(w->data, b.buf + 8 + strlen(TWO_F32), "points into the file, no copy");
    float out[6];
    cr_assert_eq(rtj_st_to_f32(w, out), 0);
    cr_assert(memcmp(out, data, sizeof out) == 0);
    const rtj_st_tensor *bias = rtj_st_find(&st, "b");
    cr_assert_eq(rtj_st_to_f32(bias, out), 0);
    cr_assert(out[0] == -0.5f && out[1] == 0.25f && out[2] == 1e-30f);
    cr_assert_null(rtj_st_find(&st, "nope"));
    cr_assert_null(rtj_st_find(&st, ""));
    cr_assert_null(rtj_st_metadata(&st, "format"));
    rtj_st_close(&st);
    rtj_st_close(&st); /* closing twice is harmless */
    free(b.buf);
}

Test(safetensors, metadata_padding_gaps_and_extra_keys)
{
    /* header padded with spaces (the reference writer aligns the data to 8 bytes), a gap before the
     * tensor, bytes after it, and an unknown entry key, which the reference reader ignores */
    const char *h = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"caf\\u00e9\"},"
                    "\"t\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16],\"extra\":[1]}}      ";
    unsigned char data[24] = {0};
    int32_t v[2] = {-7, 1 << 30};
    memcpy(data + 8, v, sizeof v);
    blob b = build(h, data, sizeof data);
    rtj_safetensors st;
    open_ok(&b, &st);
    cr_assert_eq(st.count, 1);
    cr_assert_eq(st.metadata_count, 2);
    cr_assert_str_eq(rtj_st_metadata(&st, "format"), "pt");
    cr_assert_str_eq(rtj_st_metadata(&st, "note"), "caf\xC3\xA9");
    cr_assert_null(rtj_st_metadata(&st, "nope"));
    const rtj_st_tensor *t = rtj_st_find(&st, "t");
    int32_t got[2];
    memcpy(got, t->data, sizeof got);
    cr_assert(got[0] == -7 && got[1] == 1 << 30);
    float f[2];
    cr_assert_eq(rtj_st_to_f32(t, f), -1, "I32 is not converted");
    rtj_st_close(&st);
    free(b.buf);
}

Test(safetensors, every_dtype_scalars_and_empty_tensors)
{
    const char *h = "{\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                    "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                    "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                    "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[20,22]},"
                    "\"f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[22,24]},"
                    "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[24,25]},"
                    "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[25,26]},"
                    "\"bool\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[26,27]},"
                    "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[27,29]},"
                    "\"e1\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[29,29]},"
                    "\"e2\":{\"dtype\":\"F32\",\"shape\":[5,0],\"data_offsets\":[29,29]},"
                    "\"e3\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                    "\"e4\":{\"dtype\":\"I64\",\"shape\":[4611686018427387904,4611686018427387904,0],"
                    "\"data_offsets\":[29,29]}}";
    unsigned char data[29] = {0};
    data[27] = 0x80, data[28] = 0x3F; /* bf16 1.0 */
    blob b = build(h, data, sizeof data);
    rtj_safetensors st;
    open_ok(&b, &st);
    cr_assert_eq(st.count, 13);
    static const struct {
        const char *name;
        rtj_st_dtype dtype;
        size_t size;
    } want[] = {{"f64", RTJ_ST_F64, 8}, {"i64", RTJ_ST_I64, 8},  {"i32", RTJ_ST_I32, 4},
                {"i16", RTJ_ST_I16, 2}, {"f16", RTJ_ST_F16, 2},  {"i8", RTJ_ST_I8, 1},
                {"u8", RTJ_ST_U8, 1},   {"bool", RTJ_ST_BOOL, 1}};
    float f[1];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rtj_st_tensor *t = rtj_st_find(&st, want[i].name);
        cr_assert(t && t->dtype == want[i].dtype && t->nbytes == want[i].size, "%s", want[i].name);
        cr_assert_eq(rtj_st_dtype_size(t->dtype), want[i].size);
        cr_assert_eq(rtj_st_to_f32(t, f), t->dtype == RTJ_ST_F16 ? 0 : -1, "%s", want[i].name);
    }
    const rtj_st_tensor *s = rtj_st_find(&st, "bf16");
    cr_assert(s->ndim == 0 && s->numel == 1, "a scalar has one element");
    cr_assert(rtj_st_to_f32(s, f) == 0 && f[0] == 1.0f);
    cr_assert_eq(rtj_st_find(&st, "e1")->numel, 0);
    cr_assert_eq(rtj_st_find(&st, "e4")->numel, 0, "a zero dimension wins over huge ones");
    cr_assert_eq(rtj_st_to_f32(rtj_st_find(&st, "e1"), NULL), 0, "nothing to write");
    rtj_st_close(&st);
    free(b.buf);

    blob e = build("{}", NULL, 0);
    open_ok(&e, &st);
    cr_assert_eq(st.count, 0);
    cr_assert_null(rtj_st_find(&st, "x"));
    rtj_st_close(&st);
    free(e.buf);
}

/* IEEE binary16 from its fields, the slow and obvious way. */
static float half_reference(uint16_t h)
{
    int sign = h >> 15, exp = h >> 10 & 0x1F, man = h & 0x3FF;
    float mag;
    if (exp == 0)
        mag = ldexpf((float)man, -24); /* subnormal: 0.man * 2^-14 */
    else if (exp == 31)
        mag = man ? NAN : INFINITY;
    else
        mag = ldexpf((float)(1024 + man), exp - 25); /* 1.man * 2^(exp-15) */
    return sign ? -mag : mag;
}

/* Every half and bfloat16 bit pattern, stored at an odd address (the header length is odd). */
static void check_all_16bit(rtj_st_dtype dtype)
{
    const char *name = dtype == RTJ_ST_F16 ? "F16" : "BF16";
    char h[128];
    int n = snprintf(h, sizeof h,
                     "{\"x\":{\"dtype\":\"%s\",\"shape\":[256,256],\"data_offsets\":[0,131072]}}", name);
    if (n % 2 == 0)
        h[n++] = ' ', h[n] = '\0';
    uint16_t *bits = malloc(65536 * sizeof *bits);
    float *out = malloc(65536 * sizeof *out);
    cr_assert(bits && out);
    for (uint32_t i = 0; i < 65536; i++)
        bits[i] = (uint16_t)i;
    blob b = build(h, bits, 65536 * sizeof *bits);
    rtj_safetensors st;
    open_ok(&b, &st);
    const rtj_st_tensor *t = rtj_st_find(&st, "x");
    cr_assert(((uintptr_t)t->data & 1) == 1, "the data should be misaligned for this test");
    cr_assert_eq(rtj_st_to_f32(t, out), 0);
    for (uint32_t i = 0; i < 65536; i++) {
        uint32_t got;
        memcpy(&got, &out[i], sizeof got);
        if (dtype == RTJ_ST_BF16) {
            cr_assert_eq(got, i << 16, "bf16 0x%04X", i);
            continue;
        }
        float ref = half_reference((uint16_t)i);
        if (isnan(ref)) {
            /* NaN keeps its sign and payload (quiet bit included) in the top mantissa bits */
            cr_assert(isnan(out[i]) && (got >> 31) == (i >> 15), "f16 0x%04X", i);
            cr_assert_eq(got & 0x7FFFFF, (i & 0x3FF) << 13, "f16 0x%04X payload", i);
        } else {
            uint32_t want;
            memcpy(&want, &ref, sizeof want);
            cr_assert_eq(got, want, "f16 0x%04X: got %a, want %a", i, out[i], ref);
        }
        float single = rtj_st_f16_to_f32((uint16_t)i);
        cr_assert_eq(memcmp(&got, &single, sizeof single), 0, "the scalar and tensor paths agree");
    }
    rtj_st_close(&st);
    free(b.buf);
    free(bits);
    free(out);
}

Test(safetensors, f16_all_65536_values)
{
    check_all_16bit(RTJ_ST_F16);
    /* a few by value */
    cr_assert(rtj_st_f16_to_f32(0x3C00) == 1.0f && rtj_st_f16_to_f32(0xC000) == -2.0f);
    cr_assert(rtj_st_f16_to_f32(0x7BFF) == 65504.0f && rtj_st_f16_to_f32(0x0001) == ldexpf(1, -24));
    cr_assert(rtj_st_f16_to_f32(0x0400) == ldexpf(1, -14) && rtj_st_f16_to_f32(0x03FF) == ldexpf(1023, -24));
    cr_assert(isinf(rtj_st_f16_to_f32(0xFC00)) && rtj_st_f16_to_f32(0xFC00) < 0);
    cr_assert(signbit(rtj_st_f16_to_f32(0x8000)) && rtj_st_f16_to_f32(0x8000) == 0.0f);
}

Test(safetensors, bf16_all_65536_values)
{
    check_all_16bit(RTJ_ST_BF16);
}

Test(safetensors, many_tensors_found_by_name)
{
    size_t n = 500, cap = 100 * n, len = 0;
    char *h = malloc(cap);
    cr_assert(h != NULL);
    h[len++] = '{';
    for (size_t i = 0; i < n; i++) { /* written in reverse name order */
        size_t k = n - 1 - i;
        len += (size_t)snprintf(h + len, cap - len,
                                "%s\"layer.%zu.w\":{\"dtype\":\"U8\",\"shape\":[1],"
                                "\"data_offsets\":[%zu,%zu]}",
                                i ? "," : "", k, k, k + 1);
    }
    h[len++] = '}';
    h[len] = '\0';
    unsigned char *data = malloc(n);
    cr_assert(data != NULL);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 37);
    blob b = build(h, data, n);
    rtj_safetensors st;
    open_ok(&b, &st);
    cr_assert_eq(st.count, n);
    for (size_t k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "layer.%zu.w", k);
        const rtj_st_tensor *t = rtj_st_find(&st, name);
        cr_assert(t != NULL, "%s", name);
        cr_assert_eq(*(const unsigned char *)t->data, (unsigned char)(k * 37));
    }
    rtj_st_close(&st);
    free(b.buf);
    free(data);
    free(h);
}

Test(safetensors, truncated_at_every_byte)
{
    float data[9] = {0};
    blob b = build(TWO_F32, data, sizeof data);
    size_t header_end = 8 + strlen(TWO_F32);
    for (size_t cut = 0; cut < b.size; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1);
        memcpy(copy, b.buf, cut);
        blob c = {copy, cut};
        expect_bad_blob(&c, cut,
                        cut < 8            ? "too short for the 8-byte header length"
                        : cut < header_end ? "exceeds the"
                                           : "past the end of the data");
        free(copy);
    }
    free(b.buf);
}

Test(safetensors, bad_header_length)
{
    const char *h = "{}";
    blob b = build_raw(UINT64_MAX, h, 2, NULL, 0);
    expect_bad_blob(&b, b.size, "exceeds the limit of 104857600 bytes");
    free(b.buf);
    b = build_raw((uint64_t)1 << 63, h, 2, NULL, 0);
    expect_bad_blob(&b, b.size, "exceeds the limit");
    free(b.buf);
    b = build_raw(((uint64_t)100 << 20) + 1, h, 2, NULL, 0);
    expect_bad_blob(&b, b.size, "exceeds the limit");
    free(b.buf);
    b = build_raw((uint64_t)100 << 20, h, 2, NULL, 0);
    expect_bad_blob(&b, b.size, "exceeds the 2 bytes after it");
    free(b.buf);
    b = build_raw(3, h, 2, NULL, 0);
    expect_bad_blob(&b, b.size, "exceeds the 2 bytes after it");
    free(b.buf);
    b = build_raw(0, h, 2, NULL, 0);
    expect_bad_blob(&b, b.size, "header is not valid JSON");
    free(b.buf);
    b = build_raw(1, h, 2, NULL, 0); /* "{" only */
    expect_bad_blob(&b, b.size, "header is not valid JSON");
    free(b.buf);
}

Test(safetensors, malformed_catalogue)
{
#define E(dtype, shape, offs) "{\"dtype\":" dtype ",\"shape\":" shape ",\"data_offsets\":" offs "}"
    static const struct {
        const char *header;
        size_t data;
        const char *want;
    } cases[] = {
        {"hello", 0, "header is not valid JSON: line 1, column 1"},
        {"{\"a\":", 0, "header is not valid JSON"},
        {"{\"a\xFF\":1}", 0, "invalid UTF-8"},
        {"\xEF\xBB\xBF{}", 0, "byte order mark"},
        {"[]", 0, "header is an array, not a JSON object"},
        {"1", 0, "header is a number, not a JSON object"},
        {"\"x\"", 0, "header is a string, not a JSON object"},
        {"null", 0, "header is null, not a JSON object"},
        {"{\"t\":1}", 0, "tensor \"t\": entry is a number, not an object"},
        {"{\"t\":[]}", 0, "tensor \"t\": entry is an array, not an object"},
        {"{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor \"t\": missing \"dtype\""},
        {"{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor \"t\": missing \"shape\""},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor \"t\": missing \"data_offsets\""},
        {"{\"t\":" E("4", "[1]", "[0,4]") "}", 4, "\"dtype\" is a number, not a string"},
        {"{\"t\":" E("\"U16\"", "[1]", "[0,2]") "}", 2, "tensor \"t\": unsupported dtype \"U16\""},
        {"{\"t\":" E("\"F8_E4M3\"", "[1]", "[0,1]") "}", 1, "unsupported dtype \"F8_E4M3\""},
        {"{\"t\":" E("\"f32\"", "[1]", "[0,4]") "}", 4, "unsupported dtype \"f32\""},
        {"{\"t\":" E("\"F32\\u0000\"", "[1]", "[0,4]") "}", 4, "unsupported dtype \"F32?\""},
        {"{\"t\":" E("\"F32\"", "3", "[0,12]") "}", 12, "\"shape\" is a number, not an array"},
        {"{\"t\":" E("\"U8\"", "[1,1,1,1,1,1,1,1,1]", "[0,1]") "}", 1, "shape has 9 dimensions (at most 8)"},
        {"{\"t\":" E("\"F32\"", "[2,-1]", "[0,4]") "}", 4, "tensor \"t\": shape[1] = -1 is negative"},
        {"{\"t\":" E("\"F32\"", "[2.0]", "[0,8]") "}", 8, "shape[0] is not an integer"},
        {"{\"t\":" E("\"F32\"", "[1e2]", "[0,400]") "}", 400, "shape[0] is not an integer"},
        {"{\"t\":" E("\"F32\"", "[\"2\"]", "[0,8]") "}", 8, "shape[0] is not an integer"},
        {"{\"t\":" E("\"F32\"", "[null]", "[0,0]") "}", 0, "shape[0] is not an integer"},
        {"{\"t\":" E("\"U8\"", "[9223372036854775808]", "[0,0]") "}", 0, "shape[0] is not an integer"},
        {"{\"t\":" E("\"U8\"", "[4294967296,4294967296,4294967296]", "[0,0]") "}", 0,
         "element count of shape [4294967296, 4294967296, 4294967296] overflows"},
        {"{\"t\":" E("\"F32\"", "[4611686018427387904]", "[0,0]") "}", 0, "byte size of shape"},
        {"{\"t\":" E("\"F64\"", "[3037000500,3037000500]", "[0,0]") "}", 0, "overflows"},
        {"{\"t\":" E("\"F32\"", "[1]", "4") "}", 4, "\"data_offsets\" is not an array [begin, end]"},
        {"{\"t\":" E("\"F32\"", "[1]", "[0]") "}", 4, "is not an array [begin, end]"},
        {"{\"t\":" E("\"F32\"", "[1]", "[0,4,8]") "}", 8, "is not an array [begin, end]"},
        {"{\"t\":" E("\"F32\"", "[1]", "[-4,0]") "}", 4, "must hold non-negative integers"},
        {"{\"t\":" E("\"F32\"", "[1]", "[0,4.0]") "}", 4, "must hold non-negative integers"},
        {"{\"t\":" E("\"F32\"", "[1]", "[0,18446744073709551616]") "}", 4, "non-negative integers"},
        {"{\"t\":" E("\"F32\"", "[1]", "[8,4]") "}", 8, "data_offsets [8, 4] end before they begin"},
        {"{\"t\":" E("\"F32\"", "[1]", "[0,4]") "}", 3,
         "data_offsets [0, 4] past the end of the data (3 bytes)"},
        {"{\"t\":" E("\"F32\"", "[1]", "[9223372036854775800,9223372036854775804]") "}", 4, "past the end"},
        {"{\"t\":" E("\"F32\"", "[3]", "[0,8]") "}", 12,
         "tensor \"t\": data_offsets span 8 bytes but F32 [3] needs 12"},
        {"{\"t\":" E("\"F16\"", "[2,2]", "[0,16]") "}", 16, "span 16 bytes but F16 [2, 2] needs 8"},
        {"{\"t\":" E("\"F32\"", "[]", "[0,0]") "}", 4, "span 0 bytes but F32 [] needs 4"},
        {"{\"a\":" E("\"F32\"", "[2]", "[0,8]") ",\"b\":" E("\"F32\"", "[2]", "[4,12]") "}", 12,
         "tensors \"a\" [0, 8) and \"b\" [4, 12) overlap"},
        {"{\"a\":" E("\"F32\"", "[2]", "[0,8]") ",\"b\":" E("\"I64\"", "[1]", "[0,8]") "}", 8, "overlap"},
        /* [0, 16) holds both of the others; the first overlap found is with the lower one */
        {"{\"big\":" E("\"U8\"", "[16]", "[0,16]")
         ",\"z\":" E("\"U8\"", "[1]", "[9,10]")
         ",\"y\":" E("\"U8\"", "[2]", "[4,6]") "}",
         16, "tensors \"big\" [0, 16) and \"y\" [4, 6) overlap"},
        {"{\"a\":" E("\"U8\"", "[1]", "[0,1]") ",\"a\":" E("\"U8\"", "[1]", "[1,2]") "}", 2,
         "duplicate key \"a\""},
        {"{\"__metadata__\":\"x\"}", 0, "__metadata__ is a string, not an object of strings"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ \"k\": value is a number, not a string"},
        {"{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, "__metadata__ \"k\": contains a NUL"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate key \"__metadata__\""},
        {"{\"a\\u0000b\":" E("\"U8\"", "[1]", "[0,1]") "}", 1, "tensor \"a?b\": name contains a NUL"},
        {"{\"a\\nb\":" E("\"U9\"", "[1]", "[0,1]") "}", 1, "tensor \"a?b\": unsupported dtype \"U9\""},
    };
#undef E
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_bad(cases[i].header, cases[i].data, cases[i].want);
    /* a name longer than the message allows is cut */
    char h[600];
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(h, sizeof h, "{\"%s\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", name);
    expect_bad(h, 1, "nnn...\": unsupported dtype \"Q4\"");
}

/* Random edits of a valid file: each result is a valid reader whose tensors lie inside the buffer,
 * or a clean -1 with a message. */
Test(safetensors, mutations_never_crash)
{
    float data[9] = {0};
    blob b = build(TWO_F32, data, sizeof data);
    uint64_t rng = 0x243F6A8885A308D3u;
    size_t accepted = 0;
    unsigned char *copy = malloc(b.size);
    cr_assert(copy != NULL);
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(copy, b.buf, b.size);
        for (int e = 0; e < 1 + iter % 2; e++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t at = (size_t)(rng >> 32) % b.size;
            copy[at] =
                rng % 3 ? (unsigned char)"0123456789[],\"-"[(rng >> 8) % 15] : (unsigned char)(rng >> 16);
        }
        rtj_safetensors st;
        char err[320] = "";
        if (rtj_st_open_memory(copy, b.size, &st, err, sizeof err) == 0) {
            accepted++;
            for (size_t i = 0; i < st.count; i++) {
                const rtj_st_tensor *t = &st.tensors[i];
                const unsigned char *p = t->data;
                cr_assert(p >= copy && p + t->nbytes <= copy + b.size);
                cr_assert_eq(t->nbytes, t->numel * rtj_st_dtype_size(t->dtype));
            }
        } else {
            cr_assert(err[0] != '\0' && st.fault != RTJ_ST_FAULT_NONE);
        }
        rtj_st_close(&st);
    }
    free(copy);
    free(b.buf);
    cr_assert(accepted > 0 && accepted < 20000);
}

/* rtj_st_open on real files: the mapping path, format faults from disk, and I/O faults. */
static void write_file(const char *path, const void *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    cr_assert_eq(fwrite(buf, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);
}

Test(safetensors, open_files)
{
    char path[] = "/tmp/rtj-st-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    float data[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    blob b = build(TWO_F32, data, sizeof data);
    char err[320];
    int io = -1;
    rtj_safetensors st;

    write_file(path, b.buf, b.size);
    cr_assert_eq(rtj_st_open(path, &st, err, sizeof err, &io), 0, "%s", err);
    cr_assert_eq(io, 0);
    cr_assert(st.map != NULL && st.map_size == b.size);
    float out[3];
    cr_assert_eq(rtj_st_to_f32(rtj_st_find(&st, "b"), out), 0);
    cr_assert(out[0] == 7 && out[1] == 8 && out[2] == 9);
    rtj_st_close(&st);
    cr_assert_null(st.map);

    write_file(path, b.buf, 40); /* cut inside the header */
    cr_assert_eq(rtj_st_open(path, &st, err, sizeof err, &io), -1);
    cr_assert(io == 0 && st.fault == RTJ_ST_FAULT_FORMAT && st.map == NULL);
    cr_assert(strstr(err, "exceeds the") != NULL, "%s", err);

    b.buf[8] = '['; /* corrupt the header */
    write_file(path, b.buf, b.size);
    cr_assert_eq(rtj_st_open(path, &st, err, sizeof err, &io), -1);
    cr_assert(io == 0 && st.fault == RTJ_ST_FAULT_FORMAT);
    cr_assert(strstr(err, "header is not valid JSON") != NULL, "%s", err);

    write_file(path, b.buf, 0);
    cr_assert_eq(rtj_st_open(path, &st, err, sizeof err, NULL), -1);
    cr_assert(st.fault == RTJ_ST_FAULT_FORMAT && strstr(err, "file of 0 bytes") != NULL, "%s", err);

    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(rtj_st_open(path, &st, err, sizeof err, &io), -1);
    cr_assert(io == 1 && st.fault == RTJ_ST_FAULT_IO);
    cr_assert(strstr(err, path) && strstr(err, "No such file"), "%s", err);

    cr_assert_eq(rtj_st_open("/tmp", &st, err, sizeof err, &io), -1);
    cr_assert(io == 1 && st.fault == RTJ_ST_FAULT_IO && strstr(err, "not a regular file"), "%s", err);
    rtj_st_close(&st);
    free(b.buf);
}
