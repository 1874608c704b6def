/* What the benchmarks print: notices for the reader and JSON records, one object a line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"

/* ---- Output ------------------------------------------------------------------------------------------------ */
void bench_note(const char *fmt, ...)
{
    FILE *f = bench_opt.json ? stderr : stdout;
    va_list ap;
    va_start(ap, fmt);
    if (bench_opt.json)
        fputs("# ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fflush(f);
}

static void rec_put(bench_rec *r, const char *s)
{
    size_t n = strlen(s);
    if (r->len + n < sizeof r->buf) {
        memcpy(r->buf + r->len, s, n + 1);
        r->len += n;
    }
}

static void rec_key(bench_rec *r, const char *key)
{
    rec_put(r, r->len > 1 ? ",\"" : "\"");
    rec_put(r, key);
    rec_put(r, "\":");
}

void bench_rec_begin(bench_rec *r, const char *bench)
{
    r->len = 0;
    r->buf[0] = 0;
    rec_put(r, "{");
    bench_rec_str(r, "bench", bench);
}

void bench_rec_str(bench_rec *r, const char *key, const char *val)
{
    rec_key(r, key);
    rec_put(r, "\"");
    /* Escape what JSON requires; the strings here are names, so control characters just become '?'. */
    char one[2] = {0, 0};
    for (const char *p = val ? val : ""; *p; p++) {
        if (*p == '"' || *p == '\\') {
            rec_put(r, "\\");
            one[0] = *p;
        } else
            one[0] = (unsigned char)*p < 0x20 ? '?' : *p;
        rec_put(r, one);
    }
    rec_put(r, "\"");
}

void bench_rec_int(bench_rec *r, const char *key, long long val)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", val);
    rec_key(r, key);
    rec_put(r, b);
}

void bench_rec_num(bench_rec *r, const char *key, double val)
{
    char b[40];
    if (isfinite(val) && val == floor(val) && fabs(val) < 1e15)
        snprintf(b, sizeof b, "%.0f", val); /* counts (bytes) stay exact */
    else if (isfinite(val))
        snprintf(b, sizeof b, "%.6g", val);
    else
        snprintf(b, sizeof b, "null");
    rec_key(r, key);
    rec_put(r, b);
}

void bench_rec_end(bench_rec *r)
{
    rec_put(r, "}");
    puts(r->buf);
    fflush(stdout);
}
