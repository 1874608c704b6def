/* rtj-run: the command-line front end. For now it has `cpu` (what this CPU offers and which kernels rtj
 * runs on it) and `help`; classification arrives with the model and CLI issues. */
#include <stdio.h>
#include <string.h>

#include "../kernels/rtj_kernels.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rtj-run COMMAND\n"
            "\n"
            "commands:\n"
            "  cpu     show the CPU features rtj detects and the kernel set it chose\n"
            "  help    this text\n"
            "\n"
            "environment:\n"
            "  RTJ_ISA=scalar|avx2|avx512|neon   force a kernel set (an error if this CPU cannot run it)\n"
            "\n"
            "example:\n"
            "  RTJ_ISA=avx2 rtj-run cpu\n");
}

static int cmd_cpu(void)
{
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
    const rtj_kernels *kt = rtj_kernels_get();
    if (!kt) {
        fprintf(stderr, "rtj-run: %s\n", rtj_kernels_error());
        return 2;
    }
    printf("kernels     %s (f32 gemm: %s, tile %zux%zu, kc %zu, mc %zu)\n", kt->name,
           kt->f32_gemm_ukernel_name, kt->f32_gemm_mr, kt->f32_gemm_nr, kt->f32_gemm_kc, kt->f32_gemm_mc);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "cpu") == 0) {
        if (argc > 2) {
            fprintf(stderr, "rtj-run cpu: unexpected argument '%s'\n", argv[2]);
            return 2;
        }
        return cmd_cpu();
    }
    fprintf(stderr, "rtj-run: unknown command '%s' (try 'rtj-run help')\n", argv[1]);
    return 2;
}
