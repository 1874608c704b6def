/* The benchmarks' options (bench_init) and the ISA tables they walk (bench_tables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

bench_opts bench_opt;

/* ---- Options ---------------------------------------------------------------------------------------- */
static void usage(FILE *f, const char *prog, const char *what)
{
    fprintf(f,
            "usage: %s [--isa NAME] [--model NAME] [--json] [--quick] [--no-peers] [--help]\n"
            "%s\n"
            "  --isa NAME   measure only this ISA's kernels: scalar, avx2, avx512, neon (or auto: the one\n"
            "               rtj would pick). Default: every ISA this CPU runs, or RTJ_ISA's when it is set.\n"
            "  --model NAME the whole-model benchmarks: only this shape (tiny or large)\n"
            "  --json       one JSON object per line and measurement (notices go to stderr)\n"
            "  --quick      fewer shapes and shorter repeats: a smoke test, not a measurement\n"
            "  --no-peers   do not load OpenBLAS / oneDNN\n"
            "Single-threaded. Each number is the median of several timed repeats.\n",
            prog, what);
}

int bench_init(int argc, char **argv, const char *what)
{
    bench_opt = (bench_opts){.json = 0, .quick = 0, .peers = 1, .isa = NULL, .model = NULL, .rep_sec = 0.03, .reps = 5};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            bench_opt.json = 1;
        else if (strcmp(a, "--quick") == 0)
            bench_opt.quick = 1;
        else if (strcmp(a, "--no-peers") == 0)
            bench_opt.peers = 0;
        else if (strcmp(a, "--isa") == 0 && i + 1 < argc)
            bench_opt.isa = argv[++i];
        else if (strncmp(a, "--isa=", 6) == 0)
            bench_opt.isa = a + 6;
        else if (strcmp(a, "--model") == 0 && i + 1 < argc)
            bench_opt.model = argv[++i];
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0], what);
            return 0;
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n", argv[0], a);
            usage(stderr, argv[0], what);
            return 2;
        }
    }
    if (bench_opt.quick) {
        /* Enough to see that every path runs and the numbers are plausible. */
        bench_opt.rep_sec = 0.005;
        bench_opt.reps = 3;
    }
    return -1;
}

/* ---- The ISA tables ----------------------------------------------------------------------------------- */
static void note_skipped(enum rtj_isa isa)
{
    if (rtj_cpu_can_run(rtj_cpu_get(), isa))
        bench_note("skipped: %s kernels are not built into this binary", rtj_isa_name(isa));
    else
        bench_note("skipped: CPU lacks %s", rtj_isa_name(isa));
}

int bench_tables(const rtj_kernels **out, int max)
{
    const char *env = getenv("RTJ_ISA");
    if (bench_opt.isa && strcmp(bench_opt.isa, "auto") != 0) {
        enum rtj_isa isa = rtj_isa_from_name(bench_opt.isa);
        if (isa == RTJ_ISA_AUTO) {
            fprintf(stderr, "--isa %s: not one of scalar, avx2, avx512, neon, auto\n", bench_opt.isa);
            return -1;
        }
        const rtj_kernels *t = rtj_kernels_for_isa(isa);
        if (!t) {
            note_skipped(isa);
            return 0;
        }
        out[0] = t;
        return 1;
    }
    /* --isa auto, or RTJ_ISA set: the table the library itself would run, RTJ_ISA applied. */
    if (bench_opt.isa || (env && *env)) {
        const rtj_kernels *t = rtj_kernels_get();
        if (!t) {
            /* RTJ_ISA names a real ISA this CPU lacks: skipped, as with --isa, so a benchmark run over
             * several machines does not fail. A misspelt value is an error. */
            const enum rtj_isa isa = env ? rtj_isa_from_name(env) : RTJ_ISA_AUTO;
            if (isa != RTJ_ISA_AUTO && !rtj_kernels_for_isa(isa)) {
                note_skipped(isa);
                return 0;
            }
            fprintf(stderr, "%s\n", rtj_kernels_error());
            return -1;
        }
        out[0] = t;
        return 1;
    }
    int n = 0;
    for (int isa = RTJ_ISA_SCALAR; isa < RTJ_ISA_COUNT && n < max; isa++) {
        const rtj_kernels *t = rtj_kernels_for_isa((enum rtj_isa)isa);
        if (t)
            out[n++] = t;
        else
            note_skipped((enum rtj_isa)isa);
    }
    return n;
}


int bench_kernel_tables(enum rtj_kernel_family family, rtj_kernels *store, const rtj_kernels **out, int max)
{
    const rtj_kernels *isas[RTJ_ISA_COUNT];
    const int ni = bench_tables(isas, RTJ_ISA_COUNT);
    if (ni <= 0)
        return ni;
    size_t count;
    const rtj_kernel_entry *list = rtj_kernel_list(family, &count);
    int n = 0;
    /* Scalar first, as bench_tables orders ISAs; the list itself is best first. */
    for (size_t k = count; k-- > 0 && n < max;) {
        int chosen = 0;
        for (int i = 0; i < ni; i++)
            chosen |= isas[i]->isa == list[k].isa;
        if (!chosen) {
            if (!bench_opt.isa && !rtj_cpu_has_set(rtj_cpu_get(), list[k].set))
                bench_note("skipped: CPU lacks %s (%s)", rtj_kernel_set_name(list[k].set), list[k].name);
            continue;
        }
        if (rtj_kernels_with(family, k, &store[n]) == 0) {
            out[n] = &store[n];
            n++;
        } else {
            bench_note("skipped: CPU lacks %s (%s)", rtj_kernel_set_name(list[k].set), list[k].name);
        }
    }
    return n;
}
