/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c): the libFuzzer entry points, and a check that turns a
 * broken invariant into a finding (abort) rather than a silent pass. The same files are linked either with
 * libFuzzer (make fuzz) or with replay_main.c (make test replays tests/fuzz/regress/<target>/). */
#ifndef RTJ_FUZZ_H
#define RTJ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                                           \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            fprintf(stderr, __VA_ARGS__);                                                              \
            fputc('\n', stderr);                                                                       \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

/* A path the Makefile passes in the environment (the tiny checkpoint, the vocabulary); exits when unset,
 * since a target without its fixture would fuzz nothing. */
static inline const char *fuzz_env_path(const char *var)
{
    const char *p = getenv(var);
    if (!p || !*p) {
        fprintf(stderr, "fuzz: set %s (make fuzz and make test-fuzz-regress do)\n", var);
        exit(2);
    }
    return p;
}

#endif
