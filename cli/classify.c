/* rtj-run classify and rtj-run tokenize: texts from the command line or lines of standard input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The inputs: the positional arguments, else standard input one line at a time (split on '\n' only:
 * a '\r' inside a line is text). */
typedef struct input_source {
    char **texts;
    int n_texts, next;
    char *line;
    size_t cap;
    size_t line_no;
} input_source;

/* The next input in *out (owned by src, valid until the next call); 1, 0 at the end, -1 on a read error. */
static int next_input(input_source *src, char **out, size_t *len)
{
    if (src->texts) {
        if (src->next >= src->n_texts)
            return 0;
        *out = src->texts[src->next++];
        *len = strlen(*out);
        return 1;
    }
    long n = cli_read_line(stdin, &src->line, &src->cap);
    if (n == -2)
        return -1;
    if (n < 0)
        return 0;
    src->line_no++;
    *len = cli_drop_nuls(src->line, (size_t)n);
    *out = src->line;
    return 1;
}

static const char *where(const input_source *src, char *buf, size_t len)
{
    if (src->texts)
        snprintf(buf, len, "argument %d", src->next);
    else
        snprintf(buf, len, "standard input line %zu", src->line_no);
    return buf;
}

/* --pair: "premise<TAB>hypothesis", split at the first TAB; -1 without one. */
static int split_pair(char *text, char **pair)
{
    char *tab = strchr(text, '\t');
    if (!tab)
        return -1;
    *tab = '\0';
    *pair = tab + 1;
    return 0;
}

static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output: %s", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void print_human(const rtj_result *r, const rtj_model_info *info, double ms, int all_exits)
{
    printf("%s\t%.4f\texit %d (layer %d)\tlayers %d/%d\t%.3f ms", r->label, (double)r->probs[r->label_id],
           r->exit_index, r->exit_layer, r->layers_run, info->exit_layers[info->num_exits - 1] + 1, ms);
    if (r->truncated)
        printf("\ttruncated %d word pieces", r->truncated);
    printf("\n");
    for (int k = 0; all_exits && k < r->num_exits; k++) {
        printf("  exit %d (layer %d):", k, r->exits[k].layer);
        for (int l = 0; l < r->num_labels; l++)
            printf(" %s %.4f", info->labels[l], (double)r->exits[k].probs[l]);
        printf("\n");
    }
}

static void print_json(const rtj_result *r, double ms, int all_exits)
{
    printf("{\"label\": ");
    cli_json_string(stdout, r->label);
    printf(", \"label_id\": %d, \"probs\": ", r->label_id);
    cli_json_floats(stdout, r->probs, r->num_labels);
    printf(", \"exit_index\": %d, \"exit_layer\": %d, \"layers_run\": %d, \"tokens\": %d, \"truncated\": %d, "
           "\"time_ms\": ", r->exit_index, r->exit_layer, r->layers_run, r->tokens, r->truncated);
    cli_json_number(stdout, ms);
    if (all_exits) {
        printf(", \"exits\": [");
        for (int k = 0; k < r->num_exits; k++) {
            printf("%s{\"layer\": %d, \"logits\": ", k ? ", " : "", r->exits[k].layer);
            cli_json_floats(stdout, r->exits[k].logits, r->num_labels);
            printf(", \"probs\": ");
            cli_json_floats(stdout, r->exits[k].probs, r->num_labels);
            printf("}");
        }
        printf("]");
    }
    printf("}\n");
}

int cmd_classify(int argc, char **argv, int first)
{
    cli_cmd = "classify";
    cli_model_opts mo = {0};
    float threshold = 0.9f;
    int have_threshold = 0, no_exit = 0, pair = 0, json = 0, all_exits = 0;
    size_t batch = 1;
    char **texts = calloc((size_t)argc + 1, sizeof *texts);
    int n_texts = 0;
    if (!texts) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    cli_parser p;
    cli_parser_init(&p, argc, argv, first);
    int rc = CLI_OK;
    for (enum cli_token t; rc == CLI_OK && (t = cli_next(&p)) != CLI_END;) {
        if (t == CLI_POSITIONAL)
            texts[n_texts++] = (char *)p.arg;
        else if (cli_is(&p, "--help") || cli_is(&p, "-h")) {
            free(texts);
            cli_help_command("classify", stdout);
            return CLI_OK;
        } else if (cli_is(&p, "--model"))
            rc = cli_string(&p, &mo.path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--threshold"))
            rc = cli_threshold(&p, &threshold) ? CLI_USAGE : (have_threshold = 1, CLI_OK);
        else if (cli_is(&p, "--no-exit"))
            rc = cli_flag(&p) ? CLI_USAGE : (no_exit = 1, CLI_OK);
        else if (cli_is(&p, "--threads"))
            rc = cli_int(&p, 1, 4096, &mo.threads) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--batch"))
            rc = cli_size(&p, &batch) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--int8"))
            rc = cli_flag(&p) ? CLI_USAGE : (mo.int8 = 1, CLI_OK);
        else if (cli_is(&p, "--pair"))
            rc = cli_flag(&p) ? CLI_USAGE : (pair = 1, CLI_OK);
        else if (cli_is(&p, "--json"))
            rc = cli_flag(&p) ? CLI_USAGE : (json = 1, CLI_OK);
        else if (cli_is(&p, "--all-exits"))
            rc = cli_flag(&p) ? CLI_USAGE : (all_exits = 1, CLI_OK);
        else
            rc = cli_unknown(&p);
    }
    if (rc == CLI_OK && have_threshold && no_exit)
        rc = cli_usage_error("--threshold and --no-exit contradict each other: give one");
    rtj_model *model = NULL;
    rtj_context *ctx = NULL;
    if (rc == CLI_OK)
        rc = cli_load_model(&mo, &model, NULL);
    if (rc == CLI_OK && rtj_context_new(model, &ctx) != RTJ_OK) {
        cli_error("out of memory creating a context");
        rc = CLI_FAIL;
    }
    if (rc != CLI_OK) {
        rtj_model_free(model);
        free(texts);
        return rc;
    }
    rtj_model_info info;
    rtj_model_get_info(model, &info);
    const rtj_classify_options co = {no_exit ? RTJ_NO_EARLY_EXIT : threshold, all_exits};
    input_source src = {n_texts ? texts : NULL, n_texts, 0, NULL, 0, 0};
    /* Up to `batch` inputs, copied (standard input's line buffer is reused), classified as one batch. */
    char **bt = calloc(batch, sizeof *bt);
    const char **ba = calloc(batch, sizeof *ba), **bb = calloc(batch, sizeof *bb);
    rtj_result *res = calloc(batch, sizeof *res);
    if (!bt || !ba || !bb || !res) {
        cli_error("out of memory for a batch of %zu", batch);
        rc = CLI_FAIL;
    }
    char *text, *hyp = NULL;
    size_t len, nb = 0, done = 0;
    int got = 1;
    char wbuf[64];
    while (rc == CLI_OK && got > 0) {
        got = next_input(&src, &text, &len);
        if (got > 0) {
            if (pair && split_pair(text, &hyp) != 0) {
                cli_error("%s: --pair needs a premise and a hypothesis separated by a TAB",
                          where(&src, wbuf, sizeof wbuf));
                rc = CLI_FAIL;
                break;
            }
            const size_t la = strlen(text), lb = pair ? strlen(hyp) : 0;
            if (!(bt[nb] = malloc(la + lb + 2))) {
                cli_error("out of memory");
                rc = CLI_FAIL;
                break;
            }
            memcpy(bt[nb], text, la + 1);
            ba[nb] = bt[nb];
            bb[nb] = pair ? memcpy(bt[nb] + la + 1, hyp, lb + 1) : NULL;
            nb++;
        }
        if (nb == batch || (got <= 0 && nb > 0)) {
            const double t0 = cli_now_ms();
            rtj_status s = rtj_classify_batch(ctx, nb, ba, pair ? bb : NULL, &co, res);
            const double ms = (cli_now_ms() - t0) / (double)nb; /* a batch's time, shared among its inputs */
            if (s != RTJ_OK) {
                if (nb == 1)
                    cli_error("input %zu cannot be classified: %s", done + 1, rtj_strerror(s));
                else
                    cli_error("inputs %zu-%zu cannot be classified: %s", done + 1, done + nb, rtj_strerror(s));
                rc = CLI_FAIL;
                break;
            }
            for (size_t i = 0; i < nb; i++) {
                if (json)
                    print_json(&res[i], ms, all_exits);
                else
                    print_human(&res[i], &info, ms, all_exits);
                free(bt[i]);
                bt[i] = NULL;
            }
            done += nb;
            nb = 0;
            if (!src.texts)
                fflush(stdout); /* a batch in, a batch out: usable through a pipe */
        }
    }
    if (rc == CLI_OK && got < 0) {
        cli_error("cannot read standard input: %s", strerror(errno));
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = finish_output();
    for (size_t i = 0; bt && i < batch; i++)
        free(bt[i]);
    free(bt), free(ba), free(bb), free(res);
    free(src.line);
    free(texts);
    rtj_context_free(ctx);
    rtj_model_free(model);
    return rc;
}

/* ---- tokenize --------------------------------------------------------------------------------------- */

/* BERT's limit, for a bare vocabulary that comes without a model to say otherwise. */
#define VOCAB_ONLY_MAX_LEN 512

static void print_ids(const int32_t *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%d", i ? " " : "", (int)x[i]);
}

int cmd_tokenize(int argc, char **argv)
{
    cli_cmd = "tokenize";
    cli_model_opts mo = {0};
    const char *vocab_path = NULL;
    int pair = 0, tokens = 0, have_model = 0;
    char **texts = calloc((size_t)argc + 1, sizeof *texts);
    int n_texts = 0;
    if (!texts) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2);
    int rc = CLI_OK;
    for (enum cli_token t; rc == CLI_OK && (t = cli_next(&p)) != CLI_END;) {
        if (t == CLI_POSITIONAL)
            texts[n_texts++] = (char *)p.arg;
        else if (cli_is(&p, "--help") || cli_is(&p, "-h")) {
            free(texts);
            cli_help_command("tokenize", stdout);
            return CLI_OK;
        } else if (cli_is(&p, "--model"))
            rc = cli_string(&p, &mo.path) ? CLI_USAGE : (have_model = 1, CLI_OK);
        else if (cli_is(&p, "--vocab"))
            rc = cli_string(&p, &vocab_path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--pair"))
            rc = cli_flag(&p) ? CLI_USAGE : (pair = 1, CLI_OK);
        else if (cli_is(&p, "--tokens"))
            rc = cli_flag(&p) ? CLI_USAGE : (tokens = 1, CLI_OK);
        else
            rc = cli_unknown(&p);
    }
    if (rc == CLI_OK && have_model && vocab_path)
        rc = cli_usage_error("give --model or --vocab, not both");
    rtj_model *model = NULL;
    rtj_vocab *vocab = NULL;
    rtj_tokenizer *own_tok = NULL;
    const rtj_tokenizer *tok = NULL;
    size_t max_len = VOCAB_ONLY_MAX_LEN;
    if (rc == CLI_OK && vocab_path) {
        size_t line = 0;
        rtj_tok_status ts = rtj_vocab_load_file(vocab_path, &vocab, &line);
        if (ts == RTJ_TOK_OK)
            ts = rtj_tokenizer_new(vocab, NULL, &own_tok);
        if (ts != RTJ_TOK_OK) {
            if (line)
                cli_error("%s line %zu: %s", vocab_path, line, rtj_tokenizer_strerror(ts));
            else
                cli_error("%s: %s%s%s", vocab_path, rtj_tokenizer_strerror(ts), ts == RTJ_TOK_ERR_IO ? ": " : "",
                          ts == RTJ_TOK_ERR_IO ? strerror(errno) : "");
            rc = CLI_FAIL;
        }
        tok = own_tok;
    } else if (rc == CLI_OK) {
        mo.threads = 1; /* no forward pass: no worker threads */
        rc = cli_load_model(&mo, &model, NULL);
        if (rc == CLI_OK) {
            rtj_model_info info;
            rtj_model_get_info(model, &info);
            tok = rtj_model_tokenizer(model);
            max_len = (size_t)info.max_positions;
        }
    }
    const rtj_vocab *v = tok ? rtj_tokenizer_vocab(tok) : NULL;
    rtj_tok_output out;
    rtj_tok_output_init(&out);
    input_source src = {n_texts ? texts : NULL, n_texts, 0, NULL, 0, 0};
    char *text, *hyp = NULL;
    size_t len;
    int got = 0;
    char wbuf[64];
    while (rc == CLI_OK && (got = next_input(&src, &text, &len)) > 0) {
        if (pair && split_pair(text, &hyp) != 0) {
            cli_error("%s: --pair needs a premise and a hypothesis separated by a TAB",
                      where(&src, wbuf, sizeof wbuf));
            rc = CLI_FAIL;
            break;
        }
        const size_t la = strlen(text), lb = pair ? strlen(hyp) : 0;
        rtj_tok_status ts = rtj_tokenize(tok, text, la, pair ? hyp : NULL, lb, max_len, &out);
        if (ts != RTJ_TOK_OK) {
            cli_error("%s: %s", where(&src, wbuf, sizeof wbuf), rtj_tokenizer_strerror(ts));
            rc = CLI_FAIL;
            break;
        }
        print_ids(out.ids, out.n);
        if (tokens) {
            printf("\t");
            for (size_t i = 0; i < out.n; i++)
                printf("%s%s", i ? " " : "", rtj_vocab_token(v, out.ids[i], NULL));
        }
        if (pair) {
            printf("\t");
            print_ids(out.type_ids, out.n);
        }
        printf("\n");
        if (out.truncated_a + out.truncated_b)
            cli_warn("%s: %zu word pieces dropped to fit %zu tokens", where(&src, wbuf, sizeof wbuf),
                     out.truncated_a + out.truncated_b, max_len);
    }
    if (rc == CLI_OK && got < 0) {
        cli_error("cannot read standard input: %s", strerror(errno));
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = finish_output();
    rtj_tok_output_free(&out);
    free(src.line);
    free(texts);
    rtj_tokenizer_free(own_tok);
    rtj_vocab_free(vocab);
    rtj_model_free(model);
    return rc;
}
