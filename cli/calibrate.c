/* rtj-run calibrate: one temperature per exit, fit on a dev file by minimising the negative log-likelihood
 * of softmax(z / T) (Guo et al. 2017; the paper's calibration), then written back into the model:
 * config.json's "exit_temperatures" (every other byte of the file kept) or an .rtj file (rtj_model_save),
 * always through a temporary file renamed into place. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* config.json's "exit_temperatures" replaced in place by the library (every other byte kept). */
static int update_config(const char *dir, const float *temps, int exits)
{
    rtj_error err;
    if (rtj_checkpoint_set_exit_temperatures(dir, temps, exits, &err) != RTJ_OK) {
        cli_error("cannot write exit_temperatures: %s", err.message);
        return CLI_FAIL;
    }
    printf("wrote exit_temperatures [");
    for (int k = 0; k < exits; k++)
        printf("%s%.9g", k ? ", " : "", (double)temps[k]);
    printf("] into %s/config.json\n", dir);
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
            rtj_error err;
            err.message[0] = '\0';
            if (rtj_model_set_exit_temperatures(model, temps, (int)e) != RTJ_OK) {
                cli_error("a fitted temperature is not a number > 0");
                rc = CLI_FAIL;
            } else if (rtj_model_save(model, dst, &err) != RTJ_OK) {
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
