/* Tokenizer throughput: rtj_tokenize over the SST-2 train sentences, one thread, uncased (bert-base-uncased)
 * and cased. Reports the median of several passes over all sentences in MB/s of input text and word pieces
 * per second ([CLS]/[SEP] not counted), by the wall clock; and by this thread's CPU time too, which stays
 * meaningful when other processes share the machine (cpu_share says how much of the wall time it ran).
 * It needs no kernel table and does not use bench_common: the tokenizer has only a scalar path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtj_tokenizer.h"

#define VOCAB_PATH "../shared/data/vocab/bert-base-uncased-vocab.txt"
#define SST2_PATH "../shared/data/sst2/glue_sst2_train.tsv"

typedef struct sentence {
    const char *text;
    size_t len;
} sentence;

static double clock_sec(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_tokenizer [--json] [--quick] [--reps N] [--isa scalar]\n"
               "  WordPiece tokenizer throughput on SST-2 train sentences (%s), one thread:\n"
               "  MB/s of text and word pieces per second, median of N passes (default 7; --quick: 2000\n"
               "  sentences, 3 passes). Run from the repository root.\n",
            SST2_PATH);
}

/* The sentences of the TSV (first column, header skipped), pointing into buf. */
static sentence *read_sentences(char *buf, size_t len, size_t *count)
{
    size_t cap = 1024, n = 0;
    sentence *s = malloc(cap * sizeof *s);
    if (!s)
        return NULL;
    char *p = memchr(buf, '\n', len);
    for (p = p ? p + 1 : buf + len; p < buf + len;) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        char *end = nl ? nl : buf + len;
        char *tab = memchr(p, '\t', (size_t)(end - p));
        if (n == cap) {
            sentence *g = realloc(s, 2 * cap * sizeof *s);
            if (!g) {
                free(s);
                return NULL;
            }
            s = g;
            cap *= 2;
        }
        s[n++] = (sentence){p, (size_t)((tab ? tab : end) - p)};
        p = end + 1;
    }
    *count = n;
    return s;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

int main(int argc, char **argv)
{
    int json = 0, quick = 0, reps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            if (strcmp(argv[++i], "scalar") != 0) {
                if (!json)
                    printf("bench_tokenizer: skipped: the tokenizer has only a scalar path, not %s\n", argv[i]);
                return 0;
            }
        } else if (!strcmp(argv[i], "--no-peers")) {
            /* the other benches' option: the tokenizer has no peers to compare with */
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bench_tokenizer: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (reps <= 0)
        reps = quick ? 3 : 7;

    rtj_vocab *vocab;
    rtj_tok_status st = rtj_vocab_load_file(VOCAB_PATH, &vocab, NULL);
    if (st != RTJ_TOK_OK) {
        fprintf(stderr, "bench_tokenizer: %s: %s\n", VOCAB_PATH, rtj_tokenizer_strerror(st));
        return 1;
    }
    size_t file_len, count;
    char *file = read_file(SST2_PATH, &file_len);
    sentence *sents = file ? read_sentences(file, file_len, &count) : NULL;
    if (!sents) {
        fprintf(stderr, "bench_tokenizer: cannot read %s (run from the repository root)\n", SST2_PATH);
        return 1;
    }
    if (quick && count > 2000)
        count = 2000;
    size_t bytes = 0;
    for (size_t i = 0; i < count; i++)
        bytes += sents[i].len;

    double *times = malloc(2 * (size_t)reps * sizeof *times), *cpu = times + reps;
    if (!times)
        return 1;
    if (!json)
        printf("bench_tokenizer: %zu SST-2 train sentences, %.2f MB, one thread, median of %d passes\n"
               "%-8s %9s %12s %12s %10s %10s %10s\n", count, (double)bytes / 1e6, reps, "mode", "MB/s",
               "tokens/s", "ns/sentence", "tokens", "MB/s(cpu)", "cpu_share");
    for (int uncased = 1; uncased >= 0; uncased--) {
        rtj_tokenizer_options opts = {uncased};
        rtj_tokenizer *tok;
        rtj_tok_output out;
        rtj_tok_output_init(&out);
        if (rtj_tokenizer_new(vocab, &opts, &tok) != RTJ_TOK_OK)
            return 1;
        size_t tokens = 0;
        for (int r = -1; r < reps; r++) { /* pass -1 warms the caches and sizes the output */
            size_t t = 0;
            double t0 = clock_sec(CLOCK_MONOTONIC), c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID);
            for (size_t i = 0; i < count; i++) {
                if (rtj_tokenize(tok, sents[i].text, sents[i].len, NULL, 0, 0, &out) != RTJ_TOK_OK) {
                    fprintf(stderr, "bench_tokenizer: rtj_tokenize failed\n");
                    return 1;
                }
                t += out.n_a;
            }
            double dt = clock_sec(CLOCK_MONOTONIC) - t0, dc = clock_sec(CLOCK_THREAD_CPUTIME_ID) - c0;
            if (r >= 0) {
                times[r] = dt;
                cpu[r] = dc;
            }
            tokens = t;
        }
        double cpu_total = 0, wall_total = 0;
        for (int r = 0; r < reps; r++) {
            cpu_total += cpu[r];
            wall_total += times[r];
        }
        qsort(times, (size_t)reps, sizeof *times, cmp_double);
        qsort(cpu, (size_t)reps, sizeof *cpu, cmp_double);
        double med = reps % 2 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
        double med_cpu = reps % 2 ? cpu[reps / 2] : 0.5 * (cpu[reps / 2 - 1] + cpu[reps / 2]);
        double mbps = (double)bytes / med / 1e6, tps = (double)tokens / med;
        double mbps_cpu = (double)bytes / med_cpu / 1e6, share = cpu_total / wall_total;
        const char *mode = uncased ? "uncased" : "cased";
        if (json)
            printf("{\"bench\":\"tokenizer\",\"isa\":\"scalar\",\"mode\":\"%s\",\"data\":\"sst2_train\","
                   "\"sentences\":%zu,\"bytes\":%zu,\"tokens\":%zu,\"reps\":%d,\"sec\":%.6f,\"min_sec\":%.6f,"
                   "\"max_sec\":%.6f,\"mbps\":%.2f,\"tokens_per_s\":%.0f,\"ns_per_sentence\":%.1f,"
                   "\"cpu_sec\":%.6f,\"mbps_cpu\":%.2f,\"cpu_share\":%.3f}\n",
                   mode, count, bytes, tokens, reps, med, times[0], times[reps - 1], mbps, tps,
                   med / (double)count * 1e9, med_cpu, mbps_cpu, share);
        else
            printf("%-8s %9.1f %12.3g %12.1f %10zu %10.1f %10.2f\n", mode, mbps, tps, med / (double)count * 1e9,
                   tokens, mbps_cpu, share);
        rtj_tok_output_free(&out);
        rtj_tokenizer_free(tok);
    }
    free(times);
    free(sents);
    free(file);
    rtj_vocab_free(vocab);
    return 0;
}
