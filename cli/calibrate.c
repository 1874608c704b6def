/* rtj-run calibrate: one temperature per exit, fit on a dev file by minimising the negative log-likelihood
 * of softmax(z / T) (Guo et al. 2017; the paper's calibration), then written back into the model:
 * config.json's "exit_temperatures" (every other byte of the file kept) or an .rtj file (rtj_model_save),
 * always through a temporary file renamed into place. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../model/json.h"
#include "cli.h"

/* log T is searched in [log T_MIN, log T_MAX]: temperature scaling beyond these is not calibration but a
 * model that has nothing to say (T -> infinity) or a hard argmax (T -> 0). */
#define T_MIN 0.01
#define T_MAX 100.0

typedef struct logits_set {
    size_t n;
    int labels;
    const double *z; /* [n][stride]: this exit's raw logits (temperature 1) */
    size_t stride;
    const int *gold;
} logits_set;

static double nll(const logits_set *s, double t)
{
    double sum = 0;
    for (size_t i = 0; i < s->n; i++) {
        const double *z = s->z + i * s->stride;
        double mx = z[0];
        for (int l = 1; l < s->labels; l++)
            mx = fmax(mx, z[l]);
        double e = 0;
        for (int l = 0; l < s->labels; l++)
            e += exp((z[l] - mx) / t);
        sum += log(e) - (z[s->gold[i]] - mx) / t;
    }
    return sum / (double)s->n;
}

/* Golden-section search over log T: NLL is convex in 1/T, hence unimodal in log T. */
static double fit_temperature(const logits_set *s)
{
    const double g = (sqrt(5.0) - 1) / 2;
    double a = log(T_MIN), b = log(T_MAX);
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = nll(s, exp(c)), fd = nll(s, exp(d));
    for (int it = 0; it < 80 && b - a > 1e-7; it++) {
        if (fc < fd)
            b = d, d = c, fd = fc, c = b - g * (b - a), fc = nll(s, exp(c));
        else
            a = c, c = d, fc = fd, d = a + g * (b - a), fd = nll(s, exp(d));
    }
    return exp((a + b) / 2);
}

static double ece_at(const logits_set *s, double t, float *probs)
{
    for (size_t i = 0; i < s->n; i++) {
        const double *z = s->z + i * s->stride;
        double mx = z[0], e = 0;
        for (int l = 1; l < s->labels; l++)
            mx = fmax(mx, z[l]);
        for (int l = 0; l < s->labels; l++)
            e += exp((z[l] - mx) / t);
        for (int l = 0; l < s->labels; l++)
            probs[i * (size_t)s->labels + (size_t)l] = (float)(exp((z[l] - mx) / t) / e);
    }
    return cli_ece(s->n, probs, (size_t)s->labels, s->labels, s->gold);
}

/* ---- config.json, edited in place ------------------------------------------------------------------- */
static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Skips one JSON value starting at s[i] (the text is known to be valid JSON: the model loaded). */
static size_t skip_string(const char *s, size_t i, size_t n) /* s[i] is the opening quote; returns the closing one */
{
    for (i++; i < n && s[i] != '"'; i++)
        i += s[i] == '\\';
    return i;
}

static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (s[i] == '"')
        return skip_string(s, i, n) + 1;
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < n; i++) {
            if (s[i] == '"')
                i = skip_string(s, i, n);
            else if (s[i] == '{' || s[i] == '[')
                depth++;
            else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
                return i + 1;
        }
        return n;
    }
    while (i < n && !strchr(",]} \t\r\n", s[i]))
        i++;
    return i;
}

/* The text with the top-level "exit_temperatures" replaced by value (or added after the last member). */
static char *replace_temperatures(const char *s, size_t n, const char *value, size_t *out_len)
{
    size_t i = skip_ws(s, 0, n), vs = 0, ve = 0, last_end = 0;
    if (i >= n || s[i] != '{')
        return NULL;
    const size_t open = i;
    i = skip_ws(s, i + 1, n);
    while (i < n && s[i] == '"') {
        const size_t ks = i;
        i = skip_value(s, i, n);
        const int is_key = i - ks == strlen("\"exit_temperatures\"") && memcmp(s + ks, "\"exit_temperatures\"", i - ks) == 0;
        i = skip_ws(s, i, n);
        if (i >= n || s[i] != ':')
            return NULL;
        i = skip_ws(s, i + 1, n);
        const size_t start = i;
        i = skip_value(s, i, n);
        if (is_key)
            vs = start, ve = i;
        last_end = i;
        i = skip_ws(s, i, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
    }
    char insert[4096];
    size_t at, cut;
    if (ve) {
        snprintf(insert, sizeof insert, "%s", value);
        at = vs, cut = ve;
    } else {
        snprintf(insert, sizeof insert, "%s\"exit_temperatures\": %s", last_end ? ",\n  " : "", value);
        at = cut = last_end ? last_end : open + 1;
    }
    const size_t il = strlen(insert);
    char *out = malloc(n - (cut - at) + il + 1);
    if (!out)
        return NULL;
    memcpy(out, s, at);
    memcpy(out + at, insert, il);
    memcpy(out + at + il, s + cut, n - cut);
    *out_len = n - (cut - at) + il;
    out[*out_len] = '\0';
    return out;
}

static int write_atomically(const char *path, const char *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    struct stat sb;
    const mode_t mode = stat(path, &sb) == 0 ? sb.st_mode & 0777 : 0644;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    size_t done = 0;
    int bad = fchmod(fd, mode) != 0;
    while (!bad && done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        bad = w <= 0;
        done += w > 0 ? (size_t)w : 0;
    }
    bad = bad || fsync(fd) != 0;
    const int saved = errno;
    bad = close(fd) != 0 || bad;
    if (bad || rename(tmp, path) != 0) {
        const int e = bad ? saved : errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

static int update_config(const char *dir, const float *temps, int exits)
{
    char path[4096], value[2048];
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t vl = (size_t)snprintf(value, sizeof value, "[");
    for (int k = 0; k < exits && vl < sizeof value - 32; k++)
        vl += (size_t)snprintf(value + vl, sizeof value - vl, "%s%.9g", k ? ", " : "", (double)temps[k]);
    snprintf(value + vl, sizeof value - vl, "]");
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    char *text = malloc((1 << 20) + 1);
    size_t n = text ? fread(text, 1, 1 << 20, f) : 0;
    fclose(f);
    size_t out_len = 0;
    char *out = text ? replace_temperatures(text, n, value, &out_len) : NULL;
    free(text);
    rtj_json *check = NULL;
    char msg[200];
    if (!out || rtj_json_parse(out, out_len, &check, msg, sizeof msg) != 0) {
        cli_error("cannot edit %s (its top level is not an object?)", path);
        free(out);
        return CLI_FAIL;
    }
    rtj_json_free(check);
    int rc = write_atomically(path, out, out_len);
    free(out);
    if (rc != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    printf("wrote exit_temperatures %s into %s\n", value, path);
    return CLI_OK;
}

static int ends_with_rtj(const char *s)
{
    const size_t n = strlen(s);
    return n >= 4 && strcmp(s + n - 4, ".rtj") == 0;
}

int cmd_calibrate(int argc, char **argv)
{
    cli_cmd = "calibrate";
    cli_model_opts mo = {0};
    cli_data_opts dopt = {0};
    cli_columns cols;
    const char *out_path = NULL;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2);
    int rc = CLI_OK;
    for (enum cli_token t; rc == CLI_OK && (t = cli_next(&p)) != CLI_END;) {
        if (t == CLI_POSITIONAL)
            rc = cli_usage_error("unexpected argument '%s'", p.arg);
        else if (cli_is(&p, "--help") || cli_is(&p, "-h")) {
            cli_help_command("calibrate", stdout);
            return CLI_OK;
        } else if (cli_is(&p, "--model"))
            rc = cli_string(&p, &mo.path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--data"))
            rc = cli_string(&p, &dopt.path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "-o") || cli_is(&p, "--output"))
            rc = cli_string(&p, &out_path) ? CLI_USAGE : CLI_OK;
        else if (!cli_data_model_option(&p, &dopt, &cols, &mo, &rc))
            rc = cli_unknown(&p);
    }
    if (rc != CLI_OK)
        return rc;
    if (!mo.path)
        return cli_usage_error("--model PATH is required");
    if (!dopt.path)
        return cli_usage_error("--data FILE is required");
    const int model_is_dir = cli_is_dir(mo.path);
    if (out_path && model_is_dir && !ends_with_rtj(out_path))
        return cli_usage_error("-o must name an .rtj file (leave -o out to update %s/config.json in place)", mo.path);
    if (!out_path && model_is_dir && mo.int8)
        return cli_usage_error("--int8 calibrates the INT8 model: write it with -o FILE.rtj");
    rtj_model *model = NULL;
    rtj_context *ctx = NULL;
    cli_dataset d = {0};
    rtj_model_info info;
    rc = cli_load_model_data(&mo, &dopt, &model, &info, &d, &ctx);
    const size_t e = rc == CLI_OK ? (size_t)info.num_exits : 0, l = rc == CLI_OK ? (size_t)info.num_labels : 0;
    double *z = rc == CLI_OK ? malloc(d.n * e * l * sizeof *z) : NULL;
    int *gold = rc == CLI_OK ? malloc(d.n * sizeof *gold) : NULL;
    float *probs = rc == CLI_OK ? malloc(d.n * l * sizeof *probs) : NULL;
    float *temps = rc == CLI_OK ? malloc(e * sizeof *temps) : NULL;
    if (rc == CLI_OK && (!z || !gold || !probs || !temps)) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        cli_data_report_skipped(&d);
        /* Exits off while collecting (the threshold never decides), every exit's logits reported. */
        const rtj_classify_options co = {RTJ_NO_EARLY_EXIT, 1};
        cli_progress pg;
        cli_progress_start(&pg, "calibrate", d.n);
        for (size_t i = 0; i < d.n && rc == CLI_OK; i++) {
            rtj_result r;
            rtj_status s = rtj_classify(ctx, d.ex[i].text, d.ex[i].pair, &co, &r);
            if (s != RTJ_OK) {
                cli_progress_end(&pg);
                cli_error("instance %zu cannot be classified: %s", i + 1, rtj_strerror(s));
                rc = CLI_FAIL;
                break;
            }
            gold[i] = d.ex[i].label;
            /* The model's logits are already divided by its temperatures: multiply back to T = 1. */
            for (size_t k = 0; k < e; k++)
                for (size_t j = 0; j < l; j++)
                    z[(i * e + k) * l + j] = (double)r.exits[k].logits[j] * (double)info.exit_temperatures[k];
            cli_progress_update(&pg, i + 1);
        }
        cli_progress_end(&pg);
    }
    if (rc == CLI_OK) {
        printf("calibrating %zu instances of %s (%zu skipped)\n", d.n, dopt.path, d.skipped);
        printf("%-5s %6s %10s %10s %10s %10s %10s %10s\n", "exit", "layer", "T before", "T after", "NLL before",
               "NLL after", "ECE before", "ECE after");
        for (size_t k = 0; k < e; k++) {
            const logits_set s = {d.n, (int)l, z + k * l, e * l, gold};
            const double t_old = info.exit_temperatures[k], t_new = fit_temperature(&s);
            temps[k] = (float)t_new;
            printf("%-5zu %6d %10.6g %10.6g %10.4f %10.4f %10.4f %10.4f%s\n", k, info.exit_layers[k], t_old, (double)temps[k],
                   nll(&s, t_old), nll(&s, (double)temps[k]), ece_at(&s, t_old, probs), ece_at(&s, temps[k], probs),
                   t_new > T_MAX * 0.99 || t_new < T_MIN * 1.01 ? "  (at the search bound)" : "");
        }
    }
    rtj_context_free(ctx);
    ctx = NULL;
    if (rc == CLI_OK) {
        if (model_is_dir && !out_path) {
            rc = update_config(mo.path, temps, (int)e);
        } else {
            const char *dst = out_path ? out_path : mo.path;
            cli_model_set_temperatures(model, temps);
            rtj_error err;
            if (rtj_model_save(model, dst, &err) != RTJ_OK) {
                cli_error("cannot write %s: %s", dst, err.message);
                rc = CLI_FAIL;
            } else {
                printf("wrote the calibrated model to %s\n", dst);
            }
        }
    }
    free(z), free(gold), free(probs), free(temps);
    cli_data_free(&d);
    rtj_model_free(model);
    return rc;
}
