/* rtj-run eval: accuracy against time per instance over a labelled file, for a list of thresholds and
 * the paper's baselines (standard = full depth, efficient = one exit forced, oracle), plus each exit's
 * calibration error.
 *
 * Each instance runs once to the last exit with every exit's probabilities (all_exits); every threshold's
 * decision is derived from those by the library's own rule (rtj_exit_taken: the first exit whose float max
 * probability >= threshold; threshold 1 or no-exit: the last exit), so the table is what classify would
 * answer instance by instance. Time is measured at the two ends (full depth, first exit) for every instance
 * and estimated between them in proportion to the layers run: see TIMING_NOTE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_THRESHOLDS 1000

static const char TIMING_NOTE[] =
    "wall-clock at batch size 1, tokenization included. Each instance i is timed running to the last exit "
    "(t_full(i)) and running with threshold 0, which leaves at the first exit (t_first(i)). rho = the median "
    "over instances of t_first(i) / t_full(i) (a median: one preempted run must not move it). Leaving at exit k "
    "is estimated as t_k(i) = t_full(i) * (rho + (1 - rho) * (layers_k - layers_0) / (layers_last - layers_0)), "
    "linear in encoder layers run (BERT's layers all cost the same). A row's time is the mean over instances "
    "of t at the exit each one leaves at; speed-up = mean t_full / that";

double cli_ece(size_t n, const float *probs, size_t stride, int labels, const int *gold)
{
    double conf_sum[CLI_ECE_BINS] = {0}, correct_sum[CLI_ECE_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        const float *p = probs + i * stride;
        const int best = rtj_top_label(p, labels);
        int b = (int)(p[best] * CLI_ECE_BINS);
        b = b < 0 ? 0 : b >= CLI_ECE_BINS ? CLI_ECE_BINS - 1 : b;
        conf_sum[b] += p[best];
        correct_sum[b] += best == gold[i];
    }
    double ece = 0;
    for (int b = 0; b < CLI_ECE_BINS; b++)
        ece += fabs(correct_sum[b] - conf_sum[b]);
    return n ? ece / (double)n : 0;
}

/* Parses --thresholds: comma-separated numbers and ranges FROM:TO:STEP, each in [0, 1]. */
static int parse_thresholds(const char *spec, double *out, int *n)
{
    *n = 0;
    char buf[1024];
    if (strlen(spec) >= sizeof buf)
        return cli_usage_error("--thresholds: list too long");
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        double a, b, step;
        char *c1 = strchr(item, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c1) {
            *c1 = '\0';
            if (c2)
                *c2 = '\0';
            if (!c2 || cli_parse_double(item, &a) || cli_parse_double(c1 + 1, &b) || cli_parse_double(c2 + 1, &step) ||
                !(step > 0) || b < a)
                return cli_usage_error("--thresholds: a range is FROM:TO:STEP with FROM <= TO and STEP > 0");
            if (!(a >= 0 && b <= 1))
                return cli_usage_error("--thresholds: thresholds must lie in [0, 1]");
            for (int i = 0;; i++) {
                double t = a + i * step;
                if (t > b + 1e-9)
                    break;
                if (*n == MAX_THRESHOLDS)
                    return cli_usage_error("--thresholds: more than %d thresholds", MAX_THRESHOLDS);
                out[(*n)++] = round(t * 1e6) / 1e6; /* 0.7 rather than 0.70000000000000007 */
            }
        } else {
            if (cli_parse_double(item, &a) || !(a >= 0 && a <= 1))
                return cli_usage_error("--thresholds: '%s' is not a threshold in [0, 1]", item);
            if (*n == MAX_THRESHOLDS)
                return cli_usage_error("--thresholds: more than %d thresholds", MAX_THRESHOLDS);
            out[(*n)++] = a;
        }
    }
    if (*n == 0)
        return cli_usage_error("--thresholds: no threshold given");
    return CLI_OK;
}

/* What was measured: every exit's probabilities and the two times of every instance. */
typedef struct measured {
    size_t n;
    int exits, labels;
    float *probs;   /* [n][exits][labels] */
    int *gold;      /* [n] */
    int *pred;      /* [n][exits]: argmax of each exit */
    double *t_full, *t_first;
    double rho; /* median of t_first / t_full */
    const int *exit_layers;
    size_t truncated;
} measured;

/* The time of instance i leaving at exit k (TIMING_NOTE). */
static double time_at(const measured *ms, size_t i, int k)
{
    const int e = ms->exits;
    if (e == 1)
        return ms->t_full[i];
    const double f = (double)(ms->exit_layers[k] - ms->exit_layers[0]) /
                     (double)(ms->exit_layers[e - 1] - ms->exit_layers[0]);
    return ms->t_full[i] * (ms->rho + (1 - ms->rho) * f);
}

/* The exit the library answers with: the first that its early-exit rule takes, else the last. */
static int decide(const measured *ms, size_t i, float threshold)
{
    for (int k = 0; k + 1 < ms->exits; k++)
        if (rtj_exit_taken(threshold, ms->probs + (i * (size_t)ms->exits + (size_t)k) * (size_t)ms->labels, ms->labels))
            return k;
    return ms->exits - 1;
}

typedef struct row {
    char method[40];
    double threshold; /* < 0: none (a baseline, or no-exit) */
    int no_exit;
    double accuracy, layers, time_ms, speedup;
    double *share; /* [exits] */
} row;

enum { RULE_THRESHOLD, RULE_FORCED, RULE_ORACLE };

static void fill_row(const measured *ms, row *r, int rule, double threshold, int forced, double full_ms)
{
    size_t correct = 0;
    double layers = 0, t = 0;
    for (int k = 0; k < ms->exits; k++)
        r->share[k] = 0;
    for (size_t i = 0; i < ms->n; i++) {
        int k = ms->exits - 1;
        if (rule == RULE_THRESHOLD)
            k = decide(ms, i, (float)threshold);
        else if (rule == RULE_FORCED)
            k = forced;
        else /* oracle: the cheapest exit that is right; when none is, the whole model ran anyway */
            for (int j = ms->exits - 1; j >= 0; j--)
                k = ms->pred[i * (size_t)ms->exits + (size_t)j] == ms->gold[i] ? j : k;
        correct += ms->pred[i * (size_t)ms->exits + (size_t)k] == ms->gold[i];
        layers += ms->exit_layers[k] + 1;
        t += time_at(ms, i, k);
        r->share[k] += 1;
    }
    const double n = (double)ms->n;
    for (int k = 0; k < ms->exits; k++)
        r->share[k] /= n;
    r->accuracy = (double)correct / n;
    r->layers = layers / n;
    r->time_ms = t / n;
    r->speedup = full_ms / r->time_ms;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs every instance (see TIMING_NOTE); 0 or CLI_FAIL. */
static int measure(rtj_context *ctx, const cli_dataset *d, const rtj_model_info *info, measured *ms)
{
    const size_t n = d->n, e = (size_t)info->num_exits, l = (size_t)info->num_labels;
    *ms = (measured){.n = n, .exits = info->num_exits, .labels = info->num_labels,
                     .probs = malloc(n * e * l * sizeof(float)), .gold = malloc(n * sizeof(int)),
                     .pred = malloc(n * e * sizeof(int)), .t_full = malloc(n * sizeof(double)),
                     .t_first = malloc(n * sizeof(double)), .exit_layers = info->exit_layers, .rho = 1};
    if (!ms->probs || !ms->gold || !ms->pred || !ms->t_full || !ms->t_first) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    const rtj_classify_options all = {RTJ_NO_EARLY_EXIT, 1}, first = {0.0f, 0};
    rtj_result r;
    /* Warm-up: threads started, caches and branch predictors filled before anything is timed. */
    for (size_t i = 0; i < n && i < 3; i++)
        rtj_classify(ctx, d->ex[i].text, d->ex[i].pair, &all, &r);
    cli_progress pg;
    cli_progress_start(&pg, "eval", n);
    for (size_t i = 0; i < n; i++) {
        const cli_example *x = &d->ex[i];
        double t0 = cli_now_ms();
        rtj_status s = rtj_classify(ctx, x->text, x->pair, &all, &r);
        ms->t_full[i] = cli_now_ms() - t0;
        if (s != RTJ_OK) {
            cli_progress_end(&pg);
            cli_error("instance %zu cannot be classified: %s", i + 1, rtj_strerror(s));
            return CLI_FAIL;
        }
        ms->gold[i] = x->label;
        ms->truncated += r.truncated > 0;
        for (size_t k = 0; k < e; k++) {
            float *p = ms->probs + (i * e + k) * l;
            memcpy(p, r.exits[k].probs, l * sizeof(float));
            ms->pred[i * e + k] = rtj_top_label(p, (int)l);
        }
        if (e > 1) {
            t0 = cli_now_ms();
            s = rtj_classify(ctx, x->text, x->pair, &first, &r);
            ms->t_first[i] = cli_now_ms() - t0;
            if (s != RTJ_OK || r.exit_index != 0) {
                cli_progress_end(&pg);
                cli_error("instance %zu: the threshold-0 run did not leave at the first exit", i + 1);
                return CLI_FAIL;
            }
        }
        cli_progress_update(&pg, i + 1);
    }
    cli_progress_end(&pg);
    if (e > 1) {
        double *ratio = malloc(n * sizeof *ratio);
        if (!ratio) {
            cli_error("out of memory");
            return CLI_FAIL;
        }
        for (size_t i = 0; i < n; i++)
            ratio[i] = ms->t_first[i] / ms->t_full[i];
        qsort(ratio, n, sizeof *ratio, cmp_double);
        ms->rho = n % 2 ? ratio[n / 2] : (ratio[n / 2 - 1] + ratio[n / 2]) / 2;
        ms->rho = ms->rho < 0 ? 0 : ms->rho > 1 ? 1 : ms->rho;
        free(ratio);
    }
    return CLI_OK;
}

static void free_measured(measured *ms)
{
    free(ms->probs), free(ms->gold), free(ms->pred), free(ms->t_full), free(ms->t_first);
}

/* Text wrapped at 100 columns, every line after the first indented as far as the prefix. */
static void print_wrapped(const char *prefix, const char *text)
{
    const int indent = (int)strlen(prefix), width = 100;
    printf("%s", prefix);
    int col = indent;
    for (const char *s = text; *s;) {
        const char *sp = strchr(s, ' ');
        const int len = sp ? (int)(sp - s) : (int)strlen(s);
        if (col > indent && col + 1 + len > width) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", len, s);
        col += len;
        s += len;
        while (*s == ' ')
            s++;
    }
    printf("\n");
}

static void print_table(const row *rows, int n_rows, const measured *ms, const rtj_model_info *info,
                        const char *model_path, const char *data_path, const cli_dataset *d, int threads)
{
    char nthreads[32] = "threads: every CPU";
    if (threads)
        snprintf(nthreads, sizeof nthreads, "%d thread%s", threads, threads > 1 ? "s" : "");
    printf("model    %s (%s, %s kernels, %s): %d layers, exits after layers", model_path,
           info->dtype == RTJ_DTYPE_INT8 ? "INT8" : "FP32", info->isa, nthreads, info->layers);
    for (int k = 0; k < info->num_exits; k++)
        printf(" %d", info->exit_layers[k]);
    printf("\ndata     %s: %zu instances (%s), %zu skipped (unknown label), %zu truncated\n", data_path, ms->n,
           d->is_pair ? "pairs" : "single texts", d->skipped, ms->truncated);
    print_wrapped("time     ", TIMING_NOTE);
    printf("measured rho = %.4f (the first exit costs %.1f%% of full depth)\n", ms->rho, 100 * ms->rho);
    printf("\n");
    printf("%-22s %9s %9s %7s", "method", "threshold", "accuracy", "layers");
    for (int k = 0; k < ms->exits; k++)
        printf("  exit %-2d", k);
    printf(" %10s %8s\n", "ms/inst", "speed-up");
    for (int i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        char th[16];
        if (r->no_exit)
            snprintf(th, sizeof th, "no-exit");
        else if (r->threshold >= 0)
            snprintf(th, sizeof th, "%.4g", r->threshold);
        else
            snprintf(th, sizeof th, "-");
        printf("%-22s %9s %9.4f %7.2f", r->method, th, r->accuracy, r->layers);
        for (int k = 0; k < ms->exits; k++)
            printf(" %6.1f%% ", 100 * r->share[k]);
        printf(" %10.4f %7.2fx\n", r->time_ms, r->speedup);
    }
    printf("\n%-5s %6s %9s %10s %8s   (ECE: %d equal-width confidence bins)\n", "exit", "layer", "accuracy",
           "mean conf", "ECE", CLI_ECE_BINS);
    const size_t stride = (size_t)ms->exits * (size_t)ms->labels;
    for (int k = 0; k < ms->exits; k++) {
        size_t correct = 0;
        double conf = 0;
        for (size_t i = 0; i < ms->n; i++) {
            const float *p = ms->probs + i * stride + (size_t)k * (size_t)ms->labels;
            correct += ms->pred[i * (size_t)ms->exits + (size_t)k] == ms->gold[i];
            conf += p[ms->pred[i * (size_t)ms->exits + (size_t)k]];
        }
        printf("%-5d %6d %9.4f %10.4f %8.4f\n", k, ms->exit_layers[k], (double)correct / (double)ms->n,
               conf / (double)ms->n, cli_ece(ms->n, ms->probs + (size_t)k * (size_t)ms->labels, stride, ms->labels, ms->gold));
    }
}

static void print_json(const row *rows, int n_rows, const measured *ms, const rtj_model_info *info,
                       const char *model_path, const char *data_path, const cli_dataset *d)
{
    printf("{\"model\": ");
    cli_json_string(stdout, model_path);
    printf(", \"dtype\": \"%s\", \"isa\": ", info->dtype == RTJ_DTYPE_INT8 ? "int8" : "fp32");
    cli_json_string(stdout, info->isa);
    printf(", \"data\": ");
    cli_json_string(stdout, data_path);
    printf(", \"instances\": %zu, \"skipped\": %zu, \"truncated\": %zu, \"pairs\": %s,\n \"timing\": ", ms->n,
           d->skipped, ms->truncated, d->is_pair ? "true" : "false");
    cli_json_string(stdout, TIMING_NOTE);
    printf(", \"rho\": ");
    cli_json_number(stdout, ms->rho);
    printf(",\n \"exits\": [\n");
    const size_t stride = (size_t)ms->exits * (size_t)ms->labels;
    for (int k = 0; k < ms->exits; k++) {
        size_t correct = 0;
        for (size_t i = 0; i < ms->n; i++)
            correct += ms->pred[i * (size_t)ms->exits + (size_t)k] == ms->gold[i];
        printf("  {\"index\": %d, \"layer\": %d, \"accuracy\": ", k, ms->exit_layers[k]);
        cli_json_number(stdout, (double)correct / (double)ms->n);
        printf(", \"ece\": ");
        cli_json_number(stdout, cli_ece(ms->n, ms->probs + (size_t)k * (size_t)ms->labels, stride, ms->labels, ms->gold));
        printf("}%s\n", k + 1 < ms->exits ? "," : "");
    }
    printf(" ],\n \"rows\": [\n");
    for (int i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        printf("  {\"method\": ");
        cli_json_string(stdout, r->method);
        printf(", \"threshold\": ");
        if (r->no_exit)
            printf("\"no-exit\"");
        else if (r->threshold >= 0)
            cli_json_number(stdout, r->threshold);
        else
            printf("null");
        printf(", \"accuracy\": ");
        cli_json_number(stdout, r->accuracy);
        printf(", \"mean_layers\": ");
        cli_json_number(stdout, r->layers);
        printf(", \"exit_shares\": [");
        for (int k = 0; k < ms->exits; k++) {
            printf("%s", k ? ", " : "");
            cli_json_number(stdout, r->share[k]);
        }
        printf("], \"time_ms\": ");
        cli_json_number(stdout, r->time_ms);
        printf(", \"speedup\": ");
        cli_json_number(stdout, r->speedup);
        printf("}%s\n", i + 1 < n_rows ? "," : "");
    }
    printf(" ]}\n");
}

/* Figure 3 of the paper: accuracy against time per instance, one point per threshold (joined), the
 * baselines as their own markers. */
static int write_svg(const char *path, const row *rows, int n_rows, int n_thresholds, int exits, const char *data)
{
    cli_plot_point *pts = calloc((size_t)n_rows, sizeof *pts);
    char (*labels)[40] = calloc((size_t)n_rows, sizeof *labels);
    if (!pts || !labels) {
        free(pts), free(labels);
        return -1;
    }
    for (int i = 0; i < n_rows; i++) {
        pts[i].x = rows[i].time_ms, pts[i].y = rows[i].accuracy, pts[i].label = labels[i];
        if (i < n_thresholds) {
            /* Thresholds that give the same point share one label: "0.5-0.6", "0.8-no-exit". */
            int j = i;
            while (j + 1 < n_thresholds && rows[j + 1].time_ms == rows[i].time_ms && rows[j + 1].accuracy == rows[i].accuracy)
                j++;
            char a[16], b[16];
            snprintf(a, sizeof a, "%.3g", rows[i].threshold);
            snprintf(b, sizeof b, "%.3g", rows[j].threshold);
            snprintf(labels[i], sizeof labels[i], "%s%s%s", rows[i].no_exit ? "no-exit" : a, j > i ? "-" : "",
                     j == i ? "" : rows[j].no_exit ? "no-exit" : b);
            for (int m = i + 1; m <= j; m++)
                pts[m].x = rows[m].time_ms, pts[m].y = rows[m].accuracy, pts[m].label = NULL;
            i = j;
        } else if (i > n_thresholds && i < n_thresholds + exits)
            snprintf(labels[i], sizeof labels[i], "exit %d", i - n_thresholds - 1);
        else
            pts[i].label = NULL;
    }
    const cli_plot_series series[] = {
        {"early exit (thresholds)", 0, "#1f77b4", 1, pts, n_thresholds},
        {"standard (full depth)", 1, "#d62728", 0, pts + n_thresholds, 1},
        {"efficient (one exit)", 2, "#2ca02c", 0, pts + n_thresholds + 1, exits - 1},
        {"oracle", 3, "#9467bd", 0, pts + n_thresholds + exits, 1},
    };
    char title[300];
    snprintf(title, sizeof title, "Accuracy against time per instance: %s", data);
    int rc = cli_svg_write(path, title, "time per instance (ms)", "accuracy", series, 4);
    free(pts), free(labels);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    cli_cmd = "eval";
    cli_model_opts mo = {0};
    cli_data_opts dopt = {0};
    cli_columns cols;
    const char *svg = NULL, *spec = NULL;
    int json = 0;
    double *th = malloc(MAX_THRESHOLDS * sizeof *th);
    int n_th = 0;
    if (!th) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2);
    int rc = CLI_OK;
    for (enum cli_token t; rc == CLI_OK && (t = cli_next(&p)) != CLI_END;) {
        if (t == CLI_POSITIONAL)
            rc = cli_usage_error("unexpected argument '%s'", p.arg);
        else if (cli_is(&p, "--help") || cli_is(&p, "-h")) {
            free(th);
            cli_help_command("eval", stdout);
            return CLI_OK;
        } else if (cli_is(&p, "--model"))
            rc = cli_string(&p, &mo.path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--data"))
            rc = cli_string(&p, &dopt.path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--thresholds"))
            rc = cli_string(&p, &spec) ? CLI_USAGE : parse_thresholds(spec, th, &n_th);
        else if (cli_is(&p, "--svg"))
            rc = cli_string(&p, &svg) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--json"))
            rc = cli_flag(&p) ? CLI_USAGE : (json = 1, CLI_OK);
        else if (!cli_data_model_option(&p, &dopt, &cols, &mo, &rc))
            rc = cli_unknown(&p);
    }
    if (rc == CLI_OK && !mo.path)
        rc = cli_usage_error("--model PATH is required");
    if (rc == CLI_OK && !dopt.path)
        rc = cli_usage_error("--data FILE is required");
    if (rc == CLI_OK && n_th == 0)
        for (int i = 0; i <= 10; i++)
            th[n_th++] = (50 + 5 * i) / 100.0;
    rtj_model *model = NULL;
    rtj_context *ctx = NULL;
    cli_dataset d = {0};
    measured ms = {0};
    rtj_model_info info;
    if (rc == CLI_OK)
        rc = cli_load_model_data(&mo, &dopt, &model, &info, &d, &ctx);
    if (rc == CLI_OK) {
        cli_data_report_skipped(&d);
        rc = measure(ctx, &d, &info, &ms);
    }
    const int n_rows = rc == CLI_OK ? n_th + 1 + info.num_exits + 1 : 0;
    row *rows = rc == CLI_OK ? calloc((size_t)n_rows, sizeof *rows) : NULL;
    double *shares = rc == CLI_OK ? calloc((size_t)n_rows * (size_t)info.num_exits, sizeof *shares) : NULL;
    if (rc == CLI_OK && (!rows || !shares)) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        double full = 0;
        for (size_t i = 0; i < ms.n; i++)
            full += ms.t_full[i];
        full /= (double)ms.n;
        for (int i = 0; i < n_rows; i++)
            rows[i].share = shares + (size_t)i * (size_t)info.num_exits, rows[i].threshold = -1;
        int r = 0;
        for (; r < n_th; r++) {
            snprintf(rows[r].method, sizeof rows[r].method, "early exit");
            rows[r].threshold = th[r];
            fill_row(&ms, &rows[r], RULE_THRESHOLD, th[r], 0, full);
        }
        snprintf(rows[r].method, sizeof rows[r].method, "early exit");
        rows[r].no_exit = 1;
        fill_row(&ms, &rows[r++], RULE_THRESHOLD, RTJ_NO_EARLY_EXIT, 0, full);
        snprintf(rows[r].method, sizeof rows[r].method, "standard (full depth)");
        fill_row(&ms, &rows[r++], RULE_FORCED, 0, info.num_exits - 1, full);
        for (int k = 0; k + 1 < info.num_exits; k++, r++) {
            snprintf(rows[r].method, sizeof rows[r].method, "efficient (exit %d)", k);
            fill_row(&ms, &rows[r], RULE_FORCED, 0, k, full);
        }
        snprintf(rows[r].method, sizeof rows[r].method, "oracle");
        fill_row(&ms, &rows[r++], RULE_ORACLE, 0, 0, full);
        if (json)
            print_json(rows, r, &ms, &info, mo.path, dopt.path, &d);
        else
            print_table(rows, r, &ms, &info, mo.path, dopt.path, &d, mo.threads);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("cannot write the output");
            rc = CLI_FAIL;
        }
        if (rc == CLI_OK && svg && write_svg(svg, rows, r, n_th + 1, info.num_exits, dopt.path) != 0) {
            cli_error("cannot write %s", svg);
            rc = CLI_FAIL;
        }
    }
    free(rows), free(shares), free(th);
    free_measured(&ms);
    cli_data_free(&d);
    rtj_context_free(ctx);
    rtj_model_free(model);
    return rc;
}
