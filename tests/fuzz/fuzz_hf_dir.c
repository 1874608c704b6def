/* A whole Hugging Face checkpoint directory loaded through rtj_model_load: a fuzzed config.json beside
 * the valid vocab.txt and model.safetensors of the tiny test checkpoint ($RTJ_FUZZ_TINY, made by
 * tests/cli/make_tiny_model). The directory lives in /dev/shm when there is one (a file write per input).
 * Every input loads as FP32 and as INT8; a model that loads classifies a pair with every exit. Invariants:
 * a failed load says why and leaves no model; a loaded one answers with one of its labels. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rtj.h"
#include "fuzz.h"

static char dir[256], config[300];

static void cleanup(void)
{
    char p[300];
    unlink(config);
    snprintf(p, sizeof p, "%s/vocab.txt", dir), unlink(p);
    snprintf(p, sizeof p, "%s/model.safetensors", dir), unlink(p);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tiny = fuzz_env_path("RTJ_FUZZ_TINY");
    struct stat sb;
    const char *tmp = stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                      : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/rtj_fuzz_hf_XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fuzz_hf_dir: mkdtemp: %s\n", strerror(errno));
        exit(2);
    }
    atexit(cleanup);
    static const char *const files[] = {"vocab.txt", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        char from[512], abs[4096], to[300];
        snprintf(from, sizeof from, "%s/%s", tiny, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        if (realpath(from, abs) == NULL || symlink(abs, to) != 0) {
            fprintf(stderr, "fuzz_hf_dir: %s: %s\n", from, strerror(errno));
            exit(2);
        }
    }
    snprintf(config, sizeof config, "%s/config.json", dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = open(config, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FUZZ_CHECK(fd >= 0, "%s: %s", config, strerror(errno));
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size, "write: %s", strerror(errno));
    close(fd);
    for (int dt = RTJ_DTYPE_FP32; dt <= RTJ_DTYPE_INT8; dt++) {
        rtj_model *m = (rtj_model *)&fd; /* must come back NULL on failure */
        rtj_error err;
        rtj_load_options o = {(rtj_dtype)dt, 1};
        if (rtj_model_load(dir, &o, &m, &err) != RTJ_OK) {
            FUZZ_CHECK(m == NULL && err.message[0] != '\0', "a failed load must say why and leave no model");
            continue;
        }
        rtj_context *ctx;
        if (rtj_context_new(m, &ctx) == RTJ_OK) {
            rtj_classify_options co = {0.6f, 1};
            rtj_result r;
            if (rtj_classify(ctx, "the movie was good", "a dog runs", &co, &r) == RTJ_OK)
                FUZZ_CHECK(r.label_id >= 0 && r.label_id < r.num_labels && r.label != NULL, "result");
            rtj_context_free(ctx);
        }
        rtj_model_free(m);
    }
    return 0;
}
