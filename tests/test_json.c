/* The strict JSON reader: valid documents read back exactly, and every malformed input is a clean -1
 * with a positioned message. Inputs are copied into buffers of their exact length (no NUL after them),
 * so a read past len shows up under ASan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtj_json.h"

/* Parses s[0, len) from an exact-size heap copy. */
static int parse_exact(const char *s, size_t len, const rtj_json_limits *lim, rtj_json **out, char *err,
                       size_t errlen)
{
    char *copy = malloc(len ? len : 1);
    cr_assert(copy != NULL);
    memcpy(copy, s, len);
    int rc = rtj_json_parse_ex(copy, len, lim, out, err, errlen);
    free(copy); /* the tree must not point into the text */
    return rc;
}

static rtj_json *parse_ok(const char *s)
{
    rtj_json *v = NULL;
    char err[256];
    int rc = parse_exact(s, strlen(s), NULL, &v, err, sizeof err);
    cr_assert_eq(rc, 0, "parse of %s failed: %s", s, err);
    cr_assert(v != NULL);
    return v;
}

/* -1, *out NULL, a positioned message containing want. */
static void expect_bad_n(const char *s, size_t len, const char *want)
{
    rtj_json *v = (rtj_json *)(uintptr_t)1;
    char err[256] = "unset";
    int rc = parse_exact(s, len, NULL, &v, err, sizeof err);
    cr_assert_eq(rc, -1, "accepted malformed input [%.*s]", (int)len, s);
    cr_assert_null(v);
    cr_assert(strncmp(err, "line ", 5) == 0, "message not positioned: %s", err);
    cr_assert(strstr(err, want) != NULL, "input [%.*s]: message \"%s\" lacks \"%s\"", (int)len, s, err, want);
}

static void expect_bad(const char *s, const char *want)
{
    expect_bad_n(s, strlen(s), want);
}

Test(json, literals_nesting_and_order)
{
    rtj_json *v =
        parse_ok(" {\"a\": [1, 2, {\"b\": null}], \"c\": true, \"d\": false,\r\n\t\"e\": {}, \"f\": []} \n");
    cr_assert_eq(v->type, RTJ_JSON_OBJECT);
    cr_assert_eq(rtj_json_count(v), 5);
    const char *order[] = {"a", "c", "d", "e", "f"};
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(rtj_json_key_at(v, i)->str, order[i]);
    const rtj_json *a = rtj_json_get(v, "a");
    cr_assert_eq(a->type, RTJ_JSON_ARRAY);
    cr_assert_eq(rtj_json_count(a), 3);
    cr_assert_eq(rtj_json_at(a, 1)->integer, 2);
    cr_assert_eq(rtj_json_get(rtj_json_at(a, 2), "b")->type, RTJ_JSON_NULL);
    cr_assert_null(rtj_json_at(a, 3));
    bool b;
    cr_assert(rtj_json_as_bool(rtj_json_get(v, "c"), &b) && b);
    cr_assert(rtj_json_as_bool(rtj_json_get(v, "d"), &b) && !b);
    cr_assert_eq(rtj_json_get(v, "e")->type, RTJ_JSON_OBJECT);
    cr_assert_eq(rtj_json_count(rtj_json_get(v, "e")), 0);
    cr_assert_null(rtj_json_get(rtj_json_get(v, "e"), "x"));
    cr_assert_eq(rtj_json_count(rtj_json_get(v, "f")), 0);
    cr_assert_null(rtj_json_get(v, "zz"));
    cr_assert_null(rtj_json_get(a, "a"), "get on an array");
    cr_assert_null(rtj_json_get(NULL, "a"));
    cr_assert_eq(rtj_json_value_at(v, 1), rtj_json_get(v, "c"));
    /* typed reads refuse the wrong type */
    int64_t i64;
    double d;
    cr_assert(!rtj_json_as_int64(rtj_json_get(v, "c"), &i64));
    cr_assert(!rtj_json_as_number(a, &d));
    cr_assert_null(rtj_json_as_string(a, NULL));
    cr_assert_null(rtj_json_key_at(a, 0));
    rtj_json_free(v);

    const char *scalars[] = {"null", "true", "false", "0", "\"\"", "[]", "{}", "[[[]]]"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        rtj_json_free(parse_ok(scalars[i]));
    rtj_json_free(NULL);
}

Test(json, string_escapes_and_utf8)
{
    static const struct {
        const char *json, *bytes;
        size_t len;
    } cases[] = {
        {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
        {"\"\\u00e9\\u00E9\"", "\xC3\xA9\xC3\xA9", 4},
        {"\"\\u0041\\u20AC\"", "A\xE2\x82\xAC", 4},
        {"\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80", 4}, /* U+1F600 from a surrogate pair */
        {"\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4}, /* U+10FFFF, the last code point */
        {"\"\\u0000x\"", "\0x", 2},                    /* embedded NUL, kept by length */
        {"\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E\"", "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E", 15},
        {"\"\xEF\xBF\xBF\"", "\xEF\xBF\xBF", 3}, /* U+FFFF is a noncharacter, still valid */
        {"\"\\u007f\x7f\"", "\x7f\x7f", 2},      /* DEL need not be escaped */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rtj_json *v = parse_ok(cases[i].json);
        size_t len;
        const char *s = rtj_json_as_string(v, &len);
        cr_assert(s != NULL);
        cr_assert_eq(len, cases[i].len, "case %zu: length %zu", i, len);
        cr_assert(memcmp(s, cases[i].bytes, len) == 0, "case %zu: bytes differ", i);
        cr_assert_eq(s[len], '\0');
        rtj_json_free(v);
    }
    /* escaped keys are decoded before comparison and lookup */
    rtj_json *v = parse_ok("{\"\\u0061b\": 1, \"a\\u0000b\": 2}");
    cr_assert_eq(rtj_json_get(v, "ab")->integer, 1);
    cr_assert_eq(rtj_json_get_n(v, "a\0b", 3)->integer, 2);
    cr_assert_null(rtj_json_get(v, "a"), "C-string lookup stops at the NUL");
    rtj_json_free(v);
}

Test(json, numbers)
{
    static const struct {
        const char *text;
        double value;
        bool is_integer;
        int64_t integer;
    } cases[] = {
        {"0", 0.0, true, 0},
        {"-0", -0.0, true, 0},
        {"1e-12", 1e-12, false, 0},
        {"1E+2", 100.0, false, 0},
        {"1e2", 100.0, false, 0},
        {"2.5E-3", 0.0025, false, 0},
        {"-1.25e-5", -1.25e-5, false, 0},
        {"0.1", 0.1, false, 0},
        {"1.0", 1.0, false, 0},
        {"1e-400", 0.0, false, 0},
        {"123456789012345678", 123456789012345678.0, true, 123456789012345678},
        {"9223372036854775807", 9223372036854775807.0, true, INT64_MAX},
        {"-9223372036854775808", -9223372036854775808.0, true, INT64_MIN},
        {"9223372036854775808", 9223372036854775808.0, false, 0},
        {"-9223372036854775809", -9223372036854775809.0, false, 0},
        {"123456789012345678901234567890", 123456789012345678901234567890.0, false, 0},
        {"2.2250738585072014e-308", 2.2250738585072014e-308, false, 0},
        {"4.9406564584124654e-324", 4.9406564584124654e-324, false, 0},
        {"1.7976931348623157e308", 1.7976931348623157e308, false, 0},
        {"0.000000000000000000000000000000000000001e39", 1.0, false, 0},
        {"100000000000000000000000000000000000000e-38", 1.0, false, 0},
        {"0e999999999999999999999", 0.0, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rtj_json *v = parse_ok(cases[i].text);
        cr_assert_eq(v->type, RTJ_JSON_NUMBER);
        cr_assert(v->number == cases[i].value && signbit(v->number) == signbit(cases[i].value),
                  "%s: got %.17g", cases[i].text, v->number);
        cr_assert_eq(v->is_integer, cases[i].is_integer, "%s", cases[i].text);
        cr_assert_eq(v->integer, cases[i].integer, "%s", cases[i].text);
        int64_t x;
        cr_assert_eq(rtj_json_as_int64(v, &x), cases[i].is_integer);
        rtj_json_free(v);
    }
    /* inside a container, a number ends at the delimiter */
    rtj_json *v = parse_ok("[-0.5,3e1,7]");
    cr_assert(rtj_json_at(v, 0)->number == -0.5 && rtj_json_at(v, 1)->number == 30.0);
    cr_assert(rtj_json_at(v, 2)->is_integer && rtj_json_at(v, 2)->integer == 7);
    rtj_json_free(v);
}

Test(json, numbers_ignore_a_comma_locale)
{
    const char *locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "ru_RU.UTF-8", "de_DE", "fr_FR"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0] && !set; i++)
        set = setlocale(LC_NUMERIC, locales[i]);
    if (!set)
        cr_skip_test("no locale with a decimal comma installed");
    rtj_json *v = parse_ok("[1.5, 2.25e1]");
    cr_assert(rtj_json_at(v, 0)->number == 1.5 && rtj_json_at(v, 1)->number == 22.5);
    rtj_json_free(v);
    setlocale(LC_NUMERIC, "C");
}

Test(json, errno_is_left_alone)
{
    errno = 1234;
    rtj_json *v = parse_ok("[1e-400, 1e300]");
    rtj_json_free(v);
    cr_assert_eq(errno, 1234);
    expect_bad("1e400", "out of the range");
    cr_assert_eq(errno, 1234);
}

Test(json, large_containers_and_lookup)
{
    /* 100k array items and a 5000-key object: several arena blocks, grown stacks, bsearch lookup */
    size_t n = 100000, cap = n * 8 + 16, len = 0;
    char *s = malloc(cap);
    cr_assert(s != NULL);
    s[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%zu", i ? "," : "", i);
    s[len++] = ']';
    rtj_json *v = NULL;
    char err[200];
    cr_assert_eq(rtj_json_parse(s, len, &v, err, sizeof err), 0, "%s", err);
    cr_assert_eq(rtj_json_count(v), n);
    for (size_t i = 0; i < n; i += 997)
        cr_assert_eq(rtj_json_at(v, i)->integer, (int64_t)i);
    rtj_json_free(v);

    len = 0;
    s[len++] = '{';
    for (size_t i = 0; i < 5000; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s\"k%zu\":%zu", i ? "," : "", (i * 7919) % 5000, i);
    s[len++] = '}';
    cr_assert_eq(rtj_json_parse(s, len, &v, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < 5000; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%zu", (i * 7919) % 5000);
        const rtj_json *x = rtj_json_get(v, key);
        cr_assert(x && x->integer == (int64_t)i, "key %s", key);
        cr_assert_str_eq(rtj_json_key_at(v, i)->str, key, "document order kept");
    }
    cr_assert_null(rtj_json_get(v, "k5000"));
    rtj_json_free(v);
    free(s);
}

Test(json, truncated_at_every_byte)
{
    const char *doc =
        "{\"hidden_size\": 312, \"id2label\": {\"0\": \"neg\", \"1\": \"pos\\u00e9\"},\n"
        " \"exit_layers\": [0, 3], \"eps\": 1e-12, \"ok\": true, \"n\": null, \"x\": [-0.5, []]}";
    size_t n = strlen(doc);
    rtj_json_free(parse_ok(doc));
    for (size_t k = 0; k < n; k++) {
        rtj_json *v = (rtj_json *)(uintptr_t)1;
        char err[256] = "";
        cr_assert_eq(parse_exact(doc, k, NULL, &v, err, sizeof err), -1, "prefix of %zu bytes accepted", k);
        cr_assert_null(v);
        cr_assert(err[0] != '\0', "prefix %zu: no message", k);
    }
}

Test(json, malformed_catalogue)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "unexpected end of input"},
        {" \n\t ", "unexpected end of input"},
        {"[1,]", "trailing comma in array"},
        {"{\"a\":1,}", "trailing comma in object"},
        {"[1 2]", "expected ',' or ']'"},
        {"[1,,2]", "expected a value"},
        {"[,1]", "expected a value"},
        {"{,}", "expected a string key"},
        {"{\"a\" 1}", "expected ':'"},
        {"{\"a\"}", "expected ':'"},
        {"{\"a\":}", "expected a value"},
        {"{a:1}", "expected a string key"},
        {"{'a':1}", "expected a string key"},
        {"['a']", "expected a value"},
        {"[\"a\" \"b\"]", "expected ',' or ']'"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}'"},
        {"[01]", "leading zero"},
        {"-01", "leading zero"},
        {"00", "leading zero"},
        {"1.", "after the decimal point"},
        {"1.e5", "after the decimal point"},
        {".5", "expected a value"},
        {"1e", "exponent"},
        {"1e+", "exponent"},
        {"1E-x", "exponent"},
        {"+1", "expected a value"},
        {"-", "unexpected end of input in number"},
        {"-a", "expected a digit"},
        {"NaN", "expected a value"},
        {"Infinity", "expected a value"},
        {"-Infinity", "expected a digit"},
        {"0x10", "unexpected data"},
        {"1e400", "out of the range"},
        {"-1e400", "out of the range"},
        {"tru", "invalid literal"},
        {"True", "expected a value"},
        {"nul", "invalid literal"},
        {"nulll", "unexpected data"},
        {"\"abc", "unterminated string"},
        {"\"\\\"", "unterminated string"},
        {"\"\\x\"", "invalid escape '\\x'"},
        {"\"\\U0041\"", "invalid escape"},
        {"\"\\'\"", "invalid escape"},
        {"\"\\u12\"", "4 hex digits"},
        {"\"\\u12G4\"", "4 hex digits"},
        {"\"\\u\"", "4 hex digits"},
        {"\"\\uD800\"", "unpaired high surrogate \\uD800"},
        {"\"\\uDC00\"", "unpaired low surrogate \\uDC00"},
        {"\"\\uDFFFx\"", "unpaired low surrogate"},
        {"\"\\uD800\\u0041\"", "unpaired high surrogate"},
        {"\"\\uD800x\"", "unpaired high surrogate"},
        {"\"\\uD800\\uD800\"", "unpaired high surrogate"},
        {"\"\\uDBFF\\n\"", "unpaired high surrogate"},
        {"\"a\tb\"", "control character 0x09"},
        {"\"a\nb\"", "control character 0x0A"},
        {"\"\x1f\"", "control character 0x1F"},
        {"\"\x80\"", "invalid UTF-8 byte 0x80"},
        {"\"\xBF\"", "invalid UTF-8 byte 0xBF"},
        {"\"\xC0\x80\"", "invalid UTF-8 byte 0xC0"},         /* overlong NUL */
        {"\"\xC1\xBF\"", "invalid UTF-8 byte 0xC1"},         /* overlong */
        {"\"\xE0\x80\x80\"", "invalid UTF-8 byte 0xE0"},     /* overlong 3-byte */
        {"\"\xF0\x80\x80\x80\"", "invalid UTF-8 byte 0xF0"}, /* overlong 4-byte */
        {"\"\xED\xA0\x80\"", "invalid UTF-8 byte 0xED"},     /* encoded surrogate U+D800 */
        {"\"\xF4\x90\x80\x80\"", "invalid UTF-8 byte 0xF4"}, /* above U+10FFFF */
        {"\"\xF5\x80\x80\x80\"", "invalid UTF-8 byte 0xF5"},
        {"\"\xFF\"", "invalid UTF-8 byte 0xFF"},
        {"\"\xE2\x82\"", "invalid UTF-8 byte 0xE2"}, /* cut sequence */
        {"\"\xC3(\"", "invalid UTF-8 byte 0xC3"},    /* bad continuation */
        {"{\"k\xC3\":1}", "invalid UTF-8"},          /* in a key */
        {"\xC2\xA0{}", "unexpected 0xC2"},           /* no-break space is not whitespace */
        {"\xEF\xBB\xBF{}", "byte order mark not allowed"},
        {"{\"a\":1,\"a\":2}", "duplicate key \"a\""},
        {"{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\""},
        {"{\"b\":1,\"a\":2,\"c\":{\"x\":1},\"b\":3}", "duplicate key \"b\""},
        {"{\"x\":{\"q\":1,\"q\":1}}", "duplicate key \"q\""},
        {"{} x", "unexpected data after the JSON value"},
        {"[]]", "unexpected data"},
        {"1 2", "unexpected data"},
        {"{}{}", "unexpected data"},
        {"/* c */ {}", "expected a value"},
        {"{\"a\":1 // c\n}", "expected ',' or '}'"},
        {"\x01", "unexpected 0x01"},
        {"[", "unexpected end of input"},
        {"{", "unexpected end of input in object"},
        {"{\"a\"", "unexpected end of input in object"},
        {"[1", "unexpected end of input in array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_bad(cases[i].text, cases[i].want);
    /* NUL bytes, which a C string literal cannot carry */
    expect_bad_n("[1]\0", 4, "unexpected data");
    expect_bad_n("\"a\0b\"", 5, "control character 0x00");
    expect_bad_n("\0", 1, "unexpected 0x00");
}

Test(json, error_position)
{
    rtj_json *v;
    char err[256];
    cr_assert_eq(rtj_json_parse("{\n  \"a\": x\n}", 12, &v, err, sizeof err), -1);
    cr_assert(strstr(err, "line 2, column 8 (byte 9)") != NULL, "%s", err);
    cr_assert_eq(rtj_json_parse("{\"a\":1,\n\"a\":2}", 14, &v, err, sizeof err), -1);
    cr_assert(strstr(err, "line 2, column 1 (byte 8): duplicate key") != NULL, "%s", err);
    /* the key in a message is cut to a bounded length */
    char big[300];
    memset(big, 'k', sizeof big);
    char doc[700];
    int n = snprintf(doc, sizeof doc, "{\"%.*s\":1,\"%.*s\":2}", 200, big, 200, big);
    cr_assert_eq(rtj_json_parse(doc, (size_t)n, &v, err, sizeof err), -1);
    cr_assert(strstr(err, "duplicate key \"kkkk") && strstr(err, "...\""), "%s", err);
}

Test(json, depth_limit)
{
    char s[2 * 70 + 1];
    for (int depth = 63; depth <= 65; depth++) {
        memset(s, '[', (size_t)depth);
        memset(s + depth, ']', (size_t)depth);
        rtj_json *v = NULL;
        char err[200];
        int rc = rtj_json_parse(s, 2 * (size_t)depth, &v, err, sizeof err);
        if (depth <= RTJ_JSON_DEFAULT_DEPTH) {
            cr_assert_eq(rc, 0, "depth %d: %s", depth, err);
            rtj_json_free(v);
        } else {
            cr_assert_eq(rc, -1);
            cr_assert(strstr(err, "nesting deeper than 64 levels") != NULL, "%s", err);
        }
    }
    /* a depth bomb: a million open brackets, and the same with objects */
    size_t n = 1000000;
    char *bomb = malloc(n * 5);
    cr_assert(bomb != NULL);
    memset(bomb, '[', n);
    expect_bad_n(bomb, n, "nesting deeper than");
    for (size_t i = 0; i < n; i++)
        memcpy(bomb + 5 * i, "{\"a\":", 5);
    expect_bad_n(bomb, 5 * n, "nesting deeper than");
    free(bomb);
    /* the caller's limits */
    rtj_json_limits lim = {.max_depth = 2};
    rtj_json *v;
    char err[200];
    cr_assert_eq(parse_exact("[[1]]", 5, &lim, &v, err, sizeof err), 0, "%s", err);
    rtj_json_free(v);
    cr_assert_eq(parse_exact("[[[1]]]", 7, &lim, &v, err, sizeof err), -1);
    cr_assert(strstr(err, "deeper than 2") != NULL, "%s", err);
}

Test(json, size_limit_and_arguments)
{
    rtj_json_limits lim = {.max_bytes = 4};
    rtj_json *v;
    char err[200];
    cr_assert_eq(parse_exact("[1,2]", 5, &lim, &v, err, sizeof err), -1);
    cr_assert(strstr(err, "exceeds the limit of 4") != NULL, "%s", err);
    cr_assert_eq(parse_exact("[12]", 4, &lim, &v, err, sizeof err), 0, "%s", err);
    rtj_json_free(v);
    /* err may be NULL or tiny; the message is cut, NUL-terminated */
    cr_assert_eq(rtj_json_parse("[1,]", 4, &v, NULL, 0), -1);
    cr_assert_null(v);
    char tiny[8];
    memset(tiny, 'z', sizeof tiny);
    cr_assert_eq(rtj_json_parse("[1,]", 4, &v, tiny, sizeof tiny), -1);
    cr_assert_eq(strlen(tiny), 7);
    cr_assert_eq(rtj_json_parse("[]", 2, NULL, err, sizeof err), -1, "out NULL");
    cr_assert_eq(rtj_json_parse(NULL, 3, &v, err, sizeof err), -1, "text NULL");
    /* success clears the message */
    cr_assert_eq(rtj_json_parse("7", 1, &v, err, sizeof err), 0);
    cr_assert_str_eq(err, "");
    rtj_json_free(v);
}

/* Random byte edits of a valid document: every result is a tree or a clean -1, never a crash or a read
 * out of bounds (run under ASan). */
Test(json, mutations_never_crash)
{
    const char *doc =
        "{\"a\": [1, -2.5e3, \"x\\u00e9\\uD83D\\uDE00\"], \"b\": {\"c\": null, \"d\": true}, \"e\": 0}";
    size_t n = strlen(doc);
    uint64_t rng = 0x9E3779B97F4A7C15u;
    char *buf = malloc(n + 8);
    cr_assert(buf != NULL);
    size_t accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(buf, doc, n);
        size_t len = n;
        for (int e = 0; e < 1 + iter % 3 && len > 0; e++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t at = (size_t)(rng >> 32) % len;
            unsigned char byte = (unsigned char)(rng >> 8);
            switch (rng % 4) {
            case 0: /* replace with a random byte */
                buf[at] = (char)byte;
                break;
            case 1: /* replace with a JSON punctuation byte */
                buf[at] = "{}[]\",:\\u0-e."[byte % 14];
                break;
            case 2: /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            default: /* cut */
                len = at + 1;
            }
        }
        char *exact = malloc(len ? len : 1);
        cr_assert(exact != NULL);
        memcpy(exact, buf, len);
        rtj_json *v = NULL;
        char err[256] = "";
        int rc = rtj_json_parse(exact, len, &v, err, sizeof err);
        cr_assert(rc == 0 || (rc == -1 && v == NULL && err[0]), "iteration %d", iter);
        accepted += rc == 0;
        rtj_json_free(v);
        free(exact);
    }
    free(buf);
    cr_assert(accepted > 0 && accepted < 20000);
}

/* Every node knows where it lies in the text: what lets a caller edit one value and keep every other
 * byte (rtj_checkpoint_set_exit_temperatures). */
Test(json, value_spans)
{
    const char *s = " {\"a\": [1, 2.5e3],\n \"b\" : \"x\\\"y\", \"c\": {\"d\": null}, \"e\": true} ";
    rtj_json *v = parse_ok(s);
    cr_assert_eq(v->offset, 1);
    cr_assert_eq(v->end, strlen(s) - 1);
    struct { const char *key, *text; } want[] = {
        {"a", "[1, 2.5e3]"}, {"b", "\"x\\\"y\""}, {"c", "{\"d\": null}"}, {"e", "true"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rtj_json *m = rtj_json_get(v, want[i].key);
        cr_assert_not_null(m);
        cr_assert_eq(m->end - m->offset, strlen(want[i].text), "key %s", want[i].key);
        cr_assert(memcmp(s + m->offset, want[i].text, m->end - m->offset) == 0, "key %s", want[i].key);
    }
    const rtj_json *a = rtj_json_get(v, "a");
    cr_assert_eq(memcmp(s + rtj_json_at(a, 1)->offset, "2.5e3", 5), 0);
    cr_assert_eq(rtj_json_at(a, 1)->end - rtj_json_at(a, 1)->offset, 5);
    const rtj_json *d = rtj_json_get(rtj_json_get(v, "c"), "d");
    cr_assert_eq(memcmp(s + d->offset, "null", 4), 0);
    cr_assert_eq(d->end - d->offset, 4);
    rtj_json_free(v);
}
