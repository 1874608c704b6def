/* rtj-run info (what a model is) and rtj-run convert (checkpoint directory -> one .rtj file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static double file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (double)sb.st_size : 0;
}

static void print_size(double bytes)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB"};
    int u = 0;
    while (bytes >= 1024 && u < 3)
        bytes /= 1024, u++;
    printf(u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

/* Parses "CMD PATH [options]" with the options every command here shares. */
typedef struct path_args {
    const char *path, *out;
    int int8, threads;
} path_args;

static int parse_path_args(int argc, char **argv, const char *cmd, int want_out, path_args *a)
{
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2);
    memset(a, 0, sizeof *a);
    for (enum cli_token t; (t = cli_next(&p)) != CLI_END;) {
        if (t == CLI_POSITIONAL) {
            if (a->path)
                return cli_usage_error("unexpected argument '%s' (one model path only)", p.arg);
            a->path = p.arg;
        } else if (cli_is(&p, "--help") || cli_is(&p, "-h")) {
            cli_help_command(cmd, stdout);
            return -1;
        } else if (want_out && (cli_is(&p, "-o") || cli_is(&p, "--output"))) {
            if (cli_string(&p, &a->out))
                return CLI_USAGE;
        } else if (want_out && cli_is(&p, "--int8")) {
            if (cli_flag(&p))
                return CLI_USAGE;
            a->int8 = 1;
        } else if (want_out && cli_is(&p, "--threads")) {
            if (cli_int(&p, 1, 4096, &a->threads))
                return CLI_USAGE;
        } else {
            return cli_unknown(&p);
        }
    }
    if (!a->path)
        return cli_usage_error("missing the model path");
    if (want_out && !a->out)
        return cli_usage_error("missing -o FILE.rtj");
    return CLI_OK;
}

int cmd_info(int argc, char **argv)
{
    cli_cmd = "info";
    path_args a;
    int rc = parse_path_args(argc, argv, "info", 0, &a);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    const cli_model_opts mo = {a.path, 0, 1};
    rtj_model *m;
    if ((rc = cli_load_model(&mo, &m, NULL)) != CLI_OK)
        return rc;
    rtj_model_info in;
    rtj_model_get_info(m, &in);
    const int dir = cli_is_dir(a.path);
    printf("path          %s\n", a.path);
    printf("format        %s, ", dir ? "Hugging Face checkpoint directory" : ".rtj single file");
    if (dir) {
        static const char *const files[] = {"config.json", "vocab.txt", "model.safetensors"};
        double total = 0;
        char path[4200];
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", a.path, files[i]);
            total += file_size(path);
        }
        print_size(total);
        printf(" (config.json + vocab.txt + model.safetensors)\n");
    } else {
        print_size(file_size(a.path));
        printf("\n");
    }
    printf("dtype         %s%s\n", in.dtype == RTJ_DTYPE_INT8 ? "INT8" : "FP32",
           in.dtype == RTJ_DTYPE_INT8 ? " (encoder linear layers and word-embedding rows; LayerNorm, pooler and exits FP32)"
                                      : " (classify, eval and convert quantize at load with --int8)");
    printf("kernels       %s (the ISA that runs it on this CPU; RTJ_ISA overrides)\n", in.isa);
    printf("encoder       %d layers, hidden %d, %d heads (head dim %d), FFN %d\n", in.layers, in.hidden, in.heads,
           in.hidden / in.heads, in.intermediate);
    printf("inputs        vocabulary %d, max positions %d, token types %d\n", in.vocab_size, in.max_positions,
           in.type_vocab_size);
    printf("labels        %d:", in.num_labels);
    for (int i = 0; i < in.num_labels; i++)
        printf(" %d=%s", i, in.labels[i]);
    printf("\nexits         %d (layers above the last exit never run)\n", in.num_exits);
    for (int k = 0; k < in.num_exits; k++)
        printf("  exit %-3d    after layer %d (%d of %d layers, %.1f%% of the encoder), temperature %.6g\n", k,
               in.exit_layers[k], in.exit_layers[k] + 1, in.layers, 100.0 * (in.exit_layers[k] + 1) / in.layers,
               (double)in.exit_temperatures[k]);
    rtj_model_free(m);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output: %s", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_convert(int argc, char **argv)
{
    cli_cmd = "convert";
    path_args a;
    int rc = parse_path_args(argc, argv, "convert", 1, &a);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (cli_is_dir(a.out)) {
        cli_error("%s is a directory: -o names the .rtj file to write", a.out);
        return CLI_FAIL;
    }
    const cli_model_opts mo = {a.path, a.int8, a.threads ? a.threads : 1};
    rtj_model *m;
    const double t0 = cli_now_ms();
    if ((rc = cli_load_model(&mo, &m, NULL)) != CLI_OK)
        return rc;
    const double t1 = cli_now_ms();
    rtj_error err;
    rtj_status s = rtj_model_save(m, a.out, &err);
    const double t2 = cli_now_ms();
    rtj_model_info in;
    rtj_model_get_info(m, &in);
    if (s != RTJ_OK) {
        cli_error("cannot write %s: %s", a.out, err.message[0] ? err.message : rtj_strerror(s));
        rtj_model_free(m);
        return CLI_FAIL;
    }
    printf("wrote %s: %s, ", a.out, in.dtype == RTJ_DTYPE_INT8 ? "INT8" : "FP32");
    print_size(file_size(a.out));
    printf(", %d layers kept of %d (up to the last exit); loaded in %.2f s, written in %.2f s\n",
           in.exit_layers[in.num_exits - 1] + 1, in.layers, (t1 - t0) / 1e3, (t2 - t1) / 1e3);
    rtj_model_free(m);
    return CLI_OK;
}
