/* End-to-end latency of one sequence through a whole BERT (random weights, TinyBERT and BERT-large
 * shapes), FP32 and INT8, 1 and 2 threads, full depth and with each exit forced; 2 threads against 1 in
 * alternating rounds; the load time and peak memory of an .rtj file. FLOP counts: the matrix products
 * only (Q, K, V, output, FFN, attention scores and context), as ../shared/peers counts them, so GFLOP/s
 * compare with the peers' e2e numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "random_model.h"
#include "timing.h"

typedef struct run_ctx {
    rtj_context *c;
    int32_t *ids;
    size_t n;
} run_ctx;

static void run_one(void *p)
{
    run_ctx *r = p;
    rtj_result res;
    rtj_classify_options o = {RTJ_NO_EARLY_EXIT, 0};
    if (rtj_classify_ids(r->c, r->n, r->ids, NULL, &o, &res) != RTJ_OK) {
        fprintf(stderr, "bench_bert: classify failed\n");
        exit(1);
    }
    bench_consume(res.probs, (size_t)res.num_labels);
}

static double gflop(const bench_shape *s, int layers, size_t n)
{
    const double h = s->hidden, f = s->ffn;
    return layers * (2.0 * n * (4 * h * h + 2 * h * f) + 4.0 * n * n * h) * 1e-9;
}

/* full: the model with every exit, loaded with `threads`. Full depth first, then (at 128 tokens) each exit
 * forced: a model loaded with the exits up to it only, so that the pass stops there. */
static void latency(const bench_shape *s, const bench_checkpoint *ck, rtj_model *full, rtj_dtype dt, int threads,
                    size_t n, double peak)
{
    int32_t *ids = malloc(n * sizeof *ids);
    for (size_t t = 0; t < n; t++)
        ids[t] = t == 0 ? 101 : t == n - 1 ? 102 : (int32_t)(1000 + (t * 7919) % 20000);
    for (int k = s->num_exits; k >= 1; k--) {
        if (k < s->num_exits && (bench_opt.quick || n != 128))
            continue;
        rtj_model *m = k == s->num_exits ? full : bench_checkpoint_load(ck, k, dt, threads);
        rtj_context *c;
        if (rtj_context_new(m, &c) != RTJ_OK) {
            fprintf(stderr, "bench_bert: no context\n");
            exit(1);
        }
        run_ctx r = {c, ids, n};
        bench_result br;
        bench_time(run_one, &r, &br);
        const int layers = s->exit_layers[k - 1] + 1;
        const double gf = gflop(s, layers, n) / br.sec, frac = gf / (peak * threads);
        if (bench_opt.json) {
            bench_rec rec;
            bench_rec_begin(&rec, "bert_e2e");
            bench_rec_str(&rec, "model", s->name);
            bench_rec_str(&rec, "dtype", dt == RTJ_DTYPE_INT8 ? "int8" : "fp32");
            rtj_model_info info;
            rtj_model_get_info(m, &info);
            bench_rec_str(&rec, "isa", info.isa);
            bench_rec_int(&rec, "seq", (long long)n);
            bench_rec_int(&rec, "batch", 1);
            bench_rec_int(&rec, "threads", threads);
            bench_rec_int(&rec, "exit", k == s->num_exits ? -1 : k - 1);
            bench_rec_int(&rec, "layers", layers);
            bench_rec_num(&rec, "ms_median", br.sec * 1e3);
            bench_rec_num(&rec, "ms_min", br.min_sec * 1e3);
            bench_rec_num(&rec, "gflops", gf);
            bench_rec_num(&rec, "frac_peak", dt == RTJ_DTYPE_FP32 ? frac : -1);
            bench_rec_num(&rec, "other_load", br.other_load);
            bench_rec_end(&rec);
        } else {
            char what[16];
            snprintf(what, sizeof what, k == s->num_exits ? "full" : "exit %d", k - 1);
            printf("%-9s %-5s seq %3zu  threads %d  %-8s layers %2d  %9.3f ms  (min %8.3f)  %6.1f GFLOP/s  %s%.0f%%\n",
                   s->name, dt == RTJ_DTYPE_INT8 ? "int8" : "fp32", n, threads, what, layers, br.sec * 1e3,
                   br.min_sec * 1e3, gf, dt == RTJ_DTYPE_FP32 ? "FP32 peak " : "FP32-peak-equiv ", 100 * frac);
        }
        rtj_context_free(c);
        if (m != full)
            rtj_model_free(m);
    }
    free(ids);
}

/* 2 threads against 1 on the same shape, measured in alternating rounds (1 thread, 2 threads, 1, 2, ...)
 * so that a change in what others run on the machine falls on both: the speed-up of each round (median
 * against median), and the fastest call of all rounds against the fastest. */
static void threads_ab(const bench_shape *s, const bench_checkpoint *ck, rtj_dtype dt, size_t n)
{
    enum { ROUNDS = 5 };
    rtj_model *m[2];
    rtj_context *c[2];
    int32_t *ids = malloc(n * sizeof *ids);
    for (size_t t = 0; t < n; t++)
        ids[t] = t == 0 ? 101 : t == n - 1 ? 102 : (int32_t)(1000 + (t * 7919) % 20000);
    for (int i = 0; i < 2; i++) {
        m[i] = bench_checkpoint_load(ck, s->num_exits, dt, i + 1);
        if (rtj_context_new(m[i], &c[i]) != RTJ_OK) {
            fprintf(stderr, "bench_bert: no context\n");
            exit(1);
        }
    }
    double ratio[ROUNDS], best[2] = {1e30, 1e30}, load = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double med[2];
        for (int i = 0; i < 2; i++) {
            run_ctx rc = {c[i], ids, n};
            bench_result br;
            bench_time(run_one, &rc, &br);
            med[i] = br.sec;
            best[i] = br.min_sec < best[i] ? br.min_sec : best[i];
            load += br.other_load / (2 * ROUNDS);
        }
        ratio[r] = med[0] / med[1];
    }
    qsort(ratio, ROUNDS, sizeof ratio[0], bench_cmp_double);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "bert_threads");
        bench_rec_str(&rec, "model", s->name);
        bench_rec_str(&rec, "dtype", dt == RTJ_DTYPE_INT8 ? "int8" : "fp32");
        bench_rec_int(&rec, "seq", (long long)n);
        bench_rec_num(&rec, "speedup_median_of_rounds", ratio[ROUNDS / 2]);
        bench_rec_num(&rec, "speedup_worst_round", ratio[0]);
        bench_rec_num(&rec, "speedup_fastest", best[0] / best[1]);
        bench_rec_num(&rec, "ms_min_1t", best[0] * 1e3);
        bench_rec_num(&rec, "ms_min_2t", best[1] * 1e3);
        bench_rec_num(&rec, "other_load", load);
        bench_rec_end(&rec);
    } else
        printf("%-9s %-5s seq %3zu  2 threads / 1, %d alternating rounds: x%.2f (median round; worst x%.2f), fastest "
               "%.3f / %.3f ms = x%.2f  other %.2f\n", s->name, dt == RTJ_DTYPE_INT8 ? "int8" : "fp32", n, ROUNDS,
               ratio[ROUNDS / 2], ratio[0], best[0] * 1e3, best[1] * 1e3, best[0] / best[1], load);
    for (int i = 0; i < 2; i++) {
        rtj_context_free(c[i]);
        rtj_model_free(m[i]);
    }
    free(ids);
}

/* The child of load_time, a fresh process (exec, not just fork, so that none of the parent's memory
 * counts): loads the file, classifies one input, writes {load s, first result s, peak RSS bytes}. */
static int load_child(const char *path, const char *dtype, int fd)
{
    double t0 = bench_now(), out[3] = {-1, -1, -1};
    rtj_model *lm;
    rtj_error err;
    rtj_load_options o = {strcmp(dtype, "int8") == 0 ? RTJ_DTYPE_INT8 : RTJ_DTYPE_FP32, 1};
    if (rtj_model_load(path, &o, &lm, &err) == RTJ_OK) {
        rtj_context *c;
        if (rtj_context_new(lm, &c) == RTJ_OK) {
            out[0] = bench_now() - t0;
            rtj_result r;
            int32_t ids[3] = {101, 2000, 102};
            rtj_classify_ids(c, 3, ids, NULL, NULL, &r);
            out[1] = bench_now() - t0;
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            out[2] = (double)ru.ru_maxrss * 1024.0;
        }
    }
    return write(fd, out, sizeof out) == (ssize_t)sizeof out ? 0 : 1;
}

/* Loads an .rtj file in a fresh process (so its peak RSS is the load's alone) and classifies one input:
 * the time to the first result and the peak RSS, against the file's size. */
static void load_time(rtj_model *m, const char *what)
{
    char path[] = "/tmp/rtj_bench_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    close(fd);
    rtj_error err;
    if (rtj_model_save(m, path, &err) != RTJ_OK) {
        bench_note("skipped .rtj load: %s", err.message);
        unlink(path);
        return;
    }
    struct stat sb;
    stat(path, &sb);
    int pfd[2];
    if (pipe(pfd) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        char fdarg[16];
        snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
        execl("/proc/self/exe", "bench_bert", "--load-child", path, what, fdarg, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    double out[3] = {-1, -1, -1};
    if (read(pfd[0], out, sizeof out) != (ssize_t)sizeof out)
        out[0] = -1;
    close(pfd[0]);
    waitpid(pid, NULL, 0);
    unlink(path);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "rtj_load");
        bench_rec_str(&rec, "dtype", what);
        bench_rec_num(&rec, "file_mb", sb.st_size / 1e6);
        bench_rec_num(&rec, "load_ms", out[0] * 1e3);
        bench_rec_num(&rec, "first_result_ms", out[1] * 1e3);
        bench_rec_num(&rec, "peak_rss_mb", out[2] / 1e6);
        bench_rec_num(&rec, "rss_over_file", out[2] / (double)sb.st_size);
        bench_rec_end(&rec);
    } else {
        printf(".rtj %-5s %8.1f MB file: load %7.1f ms, first result done at %7.1f ms, peak RSS %8.1f MB "
               "(%.2fx the file)\n", what, sb.st_size / 1e6, out[0] * 1e3, out[1] * 1e3, out[2] / 1e6,
               out[2] / (double)sb.st_size);
    }
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--load-child") == 0)
        return load_child(argv[2], argv[3], atoi(argv[4]));
    int rc = bench_init(argc, argv, "end-to-end BERT latency (random weights), .rtj load time and RSS");
    if (rc >= 0)
        return rc;
    double peak;
    bench_report_machine("bench_bert: one sequence, batch 1", 0, &peak, NULL);
    /* The mixed-pooling shapes (the paper's exits) only when --model names them. */
    const bench_shape *shapes[] = {&bench_tinybert, &bench_bert_large, &bench_tinybert_mix, &bench_bert_large_mix};
    const size_t seqs[] = {16, 32, 128};
    for (size_t si = 0; si < 4; si++) {
        if (bench_opt.model ? strcmp(bench_opt.model, shapes[si]->name) != 0 : si >= (bench_opt.quick ? 1u : 2u))
            continue;
        bench_checkpoint *ck = bench_random_checkpoint(shapes[si]);
        for (int dt = RTJ_DTYPE_FP32; dt <= RTJ_DTYPE_INT8; dt++) {
            const int max_threads = bench_opt.quick ? 1 : 2;
            for (int threads = 1; threads <= max_threads; threads++) {
                rtj_model *m = bench_checkpoint_load(ck, shapes[si]->num_exits, (rtj_dtype)dt, threads);
                for (size_t q = 0; q < 3; q++) {
                    if (shapes[si]->hidden == bench_bert_large.hidden && seqs[q] != 128 && threads == 2)
                        continue; /* the long model: short sequences at 1 thread only, to keep the run short */
                    latency(shapes[si], ck, m, (rtj_dtype)dt, threads, seqs[q], peak);
                }
                if (threads == max_threads && (!bench_opt.quick || si == 0))
                    load_time(m, dt == RTJ_DTYPE_INT8 ? "int8" : "fp32");
                rtj_model_free(m);
            }
            for (size_t q = 0; q < 3 && !bench_opt.quick; q++)
                if (shapes[si]->hidden != bench_bert_large.hidden || seqs[q] == 128)
                    threads_ab(shapes[si], ck, (rtj_dtype)dt, seqs[q]);
        }
        bench_checkpoint_remove(ck);
    }
    return 0;
}
