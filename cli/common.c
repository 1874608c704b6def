/* rtj-run's shared pieces: messages, option parsing, model loading, JSON output, timing, progress. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char *cli_cmd = "";

/* ---- messages ---------------------------------------------------------------------------------------- */
static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "rtj-run%s%s: %s", cli_cmd[0] ? " " : "", cli_cmd, kind);
    vfprintf(stderr, fmt, ap);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning: ", fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'rtj-run %s%s')\n", cli_cmd[0] ? cli_cmd : "help", cli_cmd[0] ? " --help" : "");
    return CLI_USAGE;
}

/* ---- option parsing ----------------------------------------------------------------------------------- */
void cli_parser_init(cli_parser *p, int argc, char **argv, int first)
{
    memset(p, 0, sizeof *p);
    p->argc = argc, p->argv = argv, p->i = first;
}

enum cli_token cli_next(cli_parser *p)
{
    if (p->i >= p->argc)
        return CLI_END;
    p->arg = p->argv[p->i++];
    p->name = NULL, p->inline_value = NULL;
    if (!p->options_done && strcmp(p->arg, "--") == 0) {
        p->options_done = 1;
        return cli_next(p);
    }
    /* "-" alone and anything after "--" are positional; so is a negative number ("-3 degrees" needs --). */
    if (p->options_done || p->arg[0] != '-' || p->arg[1] == '\0')
        return CLI_POSITIONAL;
    p->name = p->arg;
    const char *eq = p->arg[1] == '-' ? strchr(p->arg, '=') : NULL;
    p->name_len = eq ? (size_t)(eq - p->arg) : strlen(p->arg);
    p->inline_value = eq ? eq + 1 : NULL;
    return CLI_OPTION;
}

int cli_is(const cli_parser *p, const char *name)
{
    return p->name && strlen(name) == p->name_len && memcmp(p->name, name, p->name_len) == 0;
}

int cli_flag(cli_parser *p)
{
    if (p->inline_value) {
        cli_usage_error("%.*s takes no value", (int)p->name_len, p->name);
        return -1;
    }
    return 0;
}

int cli_string(cli_parser *p, const char **out)
{
    if (p->inline_value) {
        *out = p->inline_value;
    } else if (p->i < p->argc) {
        *out = p->argv[p->i++];
    } else {
        cli_usage_error("%.*s needs a value", (int)p->name_len, p->name);
        return -1;
    }
    if (!**out) {
        cli_usage_error("%.*s needs a value, got an empty string", (int)p->name_len, p->name);
        return -1;
    }
    return 0;
}

int cli_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

int cli_int(cli_parser *p, long lo, long hi, int *out)
{
    const char *s;
    if (cli_string(p, &s))
        return -1;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || x < lo || x > hi) {
        cli_usage_error("%.*s must be an integer in [%ld, %ld], got '%s'", (int)p->name_len, p->name, lo, hi, s);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int cli_size(cli_parser *p, size_t *out)
{
    int x;
    if (cli_int(p, 1, INT_MAX, &x))
        return -1;
    *out = (size_t)x;
    return 0;
}

int cli_threshold(cli_parser *p, float *out)
{
    const char *s;
    double x;
    if (cli_string(p, &s))
        return -1;
    if (cli_parse_double(s, &x) || !(x >= 0.0 && x <= 1.0)) {
        cli_usage_error("%.*s must be a number in [0, 1], got '%s'", (int)p->name_len, p->name, s);
        return -1;
    }
    *out = (float)x;
    return 0;
}

int cli_unknown(const cli_parser *p)
{
    return cli_usage_error("unknown option '%s'", p->arg);
}

/* ---- models ------------------------------------------------------------------------------------------ */
int cli_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The directory holding the running binary, from /proc/self/exe; "" when unknown. */
static void exe_dir(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0) {
        out[0] = '\0';
        return;
    }
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
}

const char *cli_default_model(char *looked, size_t looked_len)
{
    static char candidates[4][4200];
    char dir[4096];
    exe_dir(dir, sizeof dir);
    int n = 0;
    if (dir[0]) {
        snprintf(candidates[n++], sizeof candidates[0], "%s/../models/default.rtj", dir);
        snprintf(candidates[n++], sizeof candidates[0], "%s/models/default.rtj", dir);
        /* `make install PREFIX=...`: bin/rtj-run beside share/rtj/default.rtj */
        snprintf(candidates[n++], sizeof candidates[0], "%s/../share/rtj/default.rtj", dir);
    }
    snprintf(candidates[n++], sizeof candidates[0], "/usr/local/share/rtj/default.rtj");
    size_t used = 0;
    if (looked_len)
        looked[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
        if (used < looked_len)
            used += (size_t)snprintf(looked + used, looked_len - used, "%s%s", i ? ", " : "", candidates[i]);
    }
    return NULL;
}

int cli_model_resolve(const cli_model_opts *o, const char **path, rtj_load_options *lo)
{
    *path = o->path;
    if (!*path) {
        char looked[1024];
        *path = cli_default_model(looked, sizeof looked);
        if (!*path) {
            cli_error("no --model given and the bundled default model is not installed (looked for %s); "
                      "pass --model PATH (a checkpoint directory or an .rtj file)", looked);
            return CLI_FAIL;
        }
    }
    *lo = (rtj_load_options){o->int8 ? RTJ_DTYPE_INT8 : RTJ_DTYPE_FP32, o->threads};
    /* An INT8 .rtj file holds no FP32 weights: it can only be loaded as what it is. */
    rtj_dtype file_dtype;
    if (!cli_is_dir(*path) && rtj_model_file_dtype(*path, &file_dtype) == RTJ_OK && file_dtype == RTJ_DTYPE_INT8)
        lo->dtype = RTJ_DTYPE_INT8;
    return CLI_OK;
}

int cli_load_model(const cli_model_opts *o, rtj_model **out, const char **resolved)
{
    const char *path;
    rtj_load_options lo;
    *out = NULL;
    if (cli_model_resolve(o, &path, &lo) != CLI_OK)
        return CLI_FAIL;
    if (resolved)
        *resolved = path;
    rtj_error err;
    rtj_status s = rtj_model_load(path, &lo, out, &err);
    if (s != RTJ_OK) {
        cli_error("cannot load model %s: %s", path, err.message[0] ? err.message : rtj_strerror(s));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* ---- output ------------------------------------------------------------------------------------------- */
void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void cli_json_number(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.9g", x);
    else
        fputs("null", f);
}

void cli_json_floats(FILE *f, const float *x, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        cli_json_number(f, x[i]);
    }
    fputc(']', f);
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

void cli_progress_start(cli_progress *p, const char *what, size_t total)
{
    p->on = isatty(STDERR_FILENO) && total > 0;
    p->total = total, p->what = what;
    p->start_ms = cli_now_ms();
    p->last_ms = -1e9;
}

void cli_progress_update(cli_progress *p, size_t done)
{
    if (!p->on)
        return;
    const double now = cli_now_ms();
    if (now - p->last_ms < 100 && done < p->total) /* at most ten redraws a second */
        return;
    p->last_ms = now;
    enum { WIDTH = 30 };
    const int fill = (int)((double)done / (double)p->total * WIDTH);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    const double el = (now - p->start_ms) / 1e3;
    const double eta = done ? el * (double)(p->total - done) / (double)done : 0;
    fprintf(stderr, "\r%s [%s] %zu/%zu  %.0fs, %.0fs left ", p->what, bar, done, p->total, el, eta);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->on)
        fprintf(stderr, "\r\033[K");
    p->on = 0;
}

long cli_read_line(FILE *f, char **buf, size_t *cap)
{
    errno = 0;
    ssize_t n = getline(buf, cap, f);
    if (n < 0)
        return ferror(f) ? -2 : -1;
    if (n > 0 && (*buf)[n - 1] == '\n')
        (*buf)[--n] = '\0';
    return (long)n;
}

size_t cli_drop_nuls(char *s, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '\0')
            s[j++] = s[i];
    s[j] = '\0';
    return j;
}
