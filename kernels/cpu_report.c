/* rtj_cpu_report: what `rtj-run cpu` prints, built here so that the CLI (and any program linking the
 * library) needs only the public header to tell a user what rtj found on their CPU and what it runs. */
#include <stdarg.h>
#include <stdio.h>

#include "../include/rtj.h"
#include "rtj_kernels.h"

typedef struct text {
    char *buf;
    size_t size, len; /* len: the whole text's length, even past size */
} text;

__attribute__((format(printf, 2, 3))) static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = t->len < t->size ? t->buf + t->len : NULL;
    int n = vsnprintf(at, at ? t->size - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

/* A set is compiled in when any family lists a kernel of it. */
static int set_compiled(enum rtj_kernel_set set)
{
    for (int f = 0; f < RTJ_FAMILY_COUNT; f++) {
        size_t n;
        const rtj_kernel_entry *list = rtj_kernel_list((enum rtj_kernel_family)f, &n);
        for (size_t i = 0; i < n; i++)
            if (list[i].set == set)
                return 1;
    }
    return 0;
}

rtj_status rtj_cpu_report(char *buf, size_t size, size_t *length, rtj_error *err)
{
    if (err) {
        err->code = RTJ_OK;
        err->message[0] = '\0';
    }
    if (!buf && size > 0)
        return RTJ_ERR_ARG;
    text t = {buf, size, 0};
    if (size > 0)
        buf[0] = '\0';
    const rtj_cpu_info *cpu = rtj_cpu_get();
    static const char *const arch_names[] = {"other", "x86_64", "aarch64"};
    put(&t, "arch        %s\n", arch_names[cpu->arch]);
    if (cpu->arch == RTJ_ARCH_X86_64) {
        put(&t, "vendor      %s\n", cpu->vendor);
        put(&t, "cpuid       avx=%d fma=%d avx2=%d avx512f=%d dq=%d bw=%d vl=%d vnni=%d bf16=%d avxvnni=%d\n",
            cpu->avx, cpu->fma, cpu->avx2, cpu->avx512f, cpu->avx512dq, cpu->avx512bw, cpu->avx512vl,
            cpu->avx512vnni, cpu->avx512bf16, cpu->avxvnni);
        put(&t, "xcr0        0x%llx (ymm state %s, zmm state %s)\n", (unsigned long long)cpu->xcr0,
            (cpu->xcr0 & 0x6) == 0x6 ? "saved" : "not saved", (cpu->xcr0 & 0xE6) == 0xE6 ? "saved" : "not saved");
    } else if (cpu->arch == RTJ_ARCH_AARCH64) {
        put(&t, "hwcap       neon=%d dotprod=%d i8mm=%d\n", cpu->neon, cpu->dotprod, cpu->i8mm);
    }
    put(&t, "runnable   ");
    for (int i = RTJ_ISA_SCALAR; i < RTJ_ISA_COUNT; i++)
        if (rtj_kernels_for_isa((enum rtj_isa)i))
            put(&t, " %s", rtj_isa_name((enum rtj_isa)i));
    put(&t, "\n");
    /* make test's summary (tests/kernel_sets.sh) reads this line: every set must have run somewhere. */
    put(&t, "compiled   ");
    for (int set = 0; set < RTJ_SET_COUNT; set++)
        if (set_compiled((enum rtj_kernel_set)set))
            put(&t, " %s", rtj_kernel_set_name((enum rtj_kernel_set)set));
    put(&t, "\n");
    rtj_status status = RTJ_OK;
    const rtj_kernels *kt = rtj_kernels_get();
    if (kt) {
        put(&t, "kernels     %s (f32 gemm: %s, tile %zux%zu, kc %zu, mc %zu)\n", kt->name, kt->f32_gemm_ukernel_name,
            kt->f32_gemm_mr, kt->f32_gemm_nr, kt->f32_gemm_kc, kt->f32_gemm_mc);
        /* Within a set, the INT8 kernel is the best the CPU offers (AVX2's table takes AVX-VNNI where present). */
        put(&t, "int8        %s (tile %zux%zu, activations 0..%d)\n", kt->q8_gemm_ukernel_name, kt->q8_gemm_mr,
            kt->q8_gemm_nr, kt->q8_act_max);
    } else {
        status = RTJ_ERR_ISA;
        if (err) {
            err->code = status;
            snprintf(err->message, sizeof err->message, "%s", rtj_kernels_error());
        }
    }
    if (length)
        *length = t.len;
    return status;
}
