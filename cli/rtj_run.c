/* rtj-run: the command-line front end. `main` picks the command; each lives in its own file (classify.c:
 * classify and tokenize, eval.c, calibrate.c, info.c: info and convert); `cpu` is here. Shared pieces:
 * cli.h. A first argument that is not a command is the start of a classify command line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../kernels/rtj_kernels.h"
#include "cli.h"

static int cmd_cpu(int argc, char **argv)
{
    cli_cmd = "cpu";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help_command("cpu", stdout);
            return CLI_OK;
        }
        return cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    const rtj_cpu_info *cpu = rtj_cpu_get();
    static const char *const arch_names[] = {"other", "x86_64", "aarch64"};
    printf("arch        %s\n", arch_names[cpu->arch]);
    if (cpu->arch == RTJ_ARCH_X86_64) {
        printf("vendor      %s\n", cpu->vendor);
        printf("cpuid       avx=%d fma=%d avx2=%d avx512f=%d dq=%d bw=%d vl=%d vnni=%d bf16=%d avxvnni=%d\n",
               cpu->avx, cpu->fma, cpu->avx2, cpu->avx512f, cpu->avx512dq, cpu->avx512bw, cpu->avx512vl,
               cpu->avx512vnni, cpu->avx512bf16, cpu->avxvnni);
        printf("xcr0        0x%llx (ymm state %s, zmm state %s)\n", (unsigned long long)cpu->xcr0,
               (cpu->xcr0 & 0x6) == 0x6 ? "saved" : "not saved",
               (cpu->xcr0 & 0xE6) == 0xE6 ? "saved" : "not saved");
    } else if (cpu->arch == RTJ_ARCH_AARCH64) {
        printf("hwcap       neon=%d dotprod=%d i8mm=%d\n", cpu->neon, cpu->dotprod, cpu->i8mm);
    }
    printf("runnable   ");
    for (int i = RTJ_ISA_SCALAR; i < RTJ_ISA_COUNT; i++)
        if (rtj_kernels_for_isa((enum rtj_isa)i))
            printf(" %s", rtj_isa_name((enum rtj_isa)i));
    printf("\n");
    /* Every kernel set built into the library (make test's summary reads this line). */
    printf("compiled   ");
    for (int set = 0; set < RTJ_SET_COUNT; set++) {
        int built = 0;
        for (int f = 0; f < RTJ_FAMILY_COUNT; f++) {
            size_t n;
            const rtj_kernel_entry *list = rtj_kernel_list((enum rtj_kernel_family)f, &n);
            for (size_t i = 0; i < n; i++)
                built |= list[i].set == (enum rtj_kernel_set)set;
        }
        if (built)
            printf(" %s", rtj_kernel_set_name((enum rtj_kernel_set)set));
    }
    printf("\n");
    const rtj_kernels *kt = rtj_kernels_get();
    if (!kt) {
        cli_error("%s", rtj_kernels_error());
        return CLI_USAGE;
    }
    printf("kernels     %s (f32 gemm: %s, tile %zux%zu, kc %zu, mc %zu)\n", kt->name,
           kt->f32_gemm_ukernel_name, kt->f32_gemm_mr, kt->f32_gemm_nr, kt->f32_gemm_kc, kt->f32_gemm_mc);
    /* Within a set, the INT8 kernel is the best the CPU offers (AVX2's table takes AVX-VNNI where present). */
    printf("int8        %s (tile %zux%zu, activations 0..%d)\n", kt->q8_gemm_ukernel_name, kt->q8_gemm_mr,
           kt->q8_gemm_nr, kt->q8_act_max);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && cli_help_command(argv[2], stdout) != 0) {
            fprintf(stderr, "rtj-run help: no command '%s' (try 'rtj-run help')\n", argv[2]);
            return CLI_USAGE;
        }
        if (argc <= 2)
            cli_help_overview(stdout);
        return CLI_OK;
    }
    if (argc < 2 && isatty(STDIN_FILENO)) { /* nothing to classify and nobody piping: say how */
        cli_help_overview(stderr);
        return CLI_USAGE;
    }
    if (strcmp(cmd, "cpu") == 0)
        return cmd_cpu(argc, argv);
    if (strcmp(cmd, "classify") == 0)
        return cmd_classify(argc, argv, 2);
    if (strcmp(cmd, "tokenize") == 0)
        return cmd_tokenize(argc, argv);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc, argv);
    if (strcmp(cmd, "calibrate") == 0)
        return cmd_calibrate(argc, argv);
    if (strcmp(cmd, "convert") == 0)
        return cmd_convert(argc, argv);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc, argv);
    /* `rtj-run TEXT ...` and `rtj-run --model m TEXT ...` classify; with no argument at all, standard
     * input is classified with the default model. */
    return cmd_classify(argc, argv, 1);
}
