/* The kernel tables built from the kernel lists (kernel_list.h), the pure choice among them, and the
 * process's table filled once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel_list.h"

/* The lists as data, in list order. */
typedef struct f32_gemm_item {
    rtj_kernel_entry e;
    rtj_f32_gemm_ukernel_fn fn;
    size_t kc, mc;
} f32_gemm_item;
typedef struct q8_gemm_item {
    rtj_kernel_entry e;
    rtj_q8_gemm_ukernel_fn fn;
    int act_max;
} q8_gemm_item;
typedef struct row_item {
    rtj_kernel_entry e;
    const char *suffix;
    rtj_q8_quantize_fn q8_quantize;
    rtj_f32_softmax_fn softmax;
    rtj_f32_layernorm_fn layernorm;
    rtj_f32_unary_fn gelu, tanh;
    rtj_f32_embed_fn embed;
} row_item;

#define F32_GEMM_ITEM(P, fn_, set_, isa_, mr_, nr_, kc_, mc_) \
    {{#fn_, RTJ_SET_##set_, isa_, mr_, nr_}, fn_, kc_, mc_},
#define Q8_GEMM_ITEM(P, fn_, set_, isa_, mr_, nr_, act_max_) {{#fn_, RTJ_SET_##set_, isa_, mr_, nr_}, fn_, act_max_},
#define ROW_ITEM(P, sfx, set_, isa_)                                                                    \
    {{"rtj_f32_*__" #sfx, RTJ_SET_##set_, isa_, 0, 0}, #sfx, rtj_q8_quantize_rows__##sfx,               \
     rtj_f32_softmax__##sfx, rtj_f32_layernorm__##sfx, rtj_f32_gelu__##sfx, rtj_f32_tanh__##sfx,        \
     rtj_f32_embed__##sfx},
static const f32_gemm_item f32_gemm_items[] = {RTJ_F32_GEMM_UKERNELS(F32_GEMM_ITEM, ~)};
static const q8_gemm_item q8_gemm_items[] = {RTJ_Q8_GEMM_UKERNELS(Q8_GEMM_ITEM, ~)};
static const row_item row_items[] = {RTJ_F32_ROW_KERNELS(ROW_ITEM, ~)};
#define COUNT(a) (sizeof a / sizeof a[0])

/* The plain entries, for callers that walk the lists. */
#define ENTRY(P, fn_, set_, isa_, mr_, nr_, ...) {#fn_, RTJ_SET_##set_, isa_, mr_, nr_},
#define ROW_ENTRY(P, sfx, set_, isa_) {"rtj_f32_*__" #sfx, RTJ_SET_##set_, isa_, 0, 0},
static const rtj_kernel_entry f32_gemm_entries[] = {RTJ_F32_GEMM_UKERNELS(ENTRY, ~)};
static const rtj_kernel_entry q8_gemm_entries[] = {RTJ_Q8_GEMM_UKERNELS(ENTRY, ~)};
static const rtj_kernel_entry row_entries[] = {RTJ_F32_ROW_KERNELS(ROW_ENTRY, ~)};

const rtj_kernel_entry *rtj_kernel_list(enum rtj_kernel_family family, size_t *count)
{
    switch (family) {
    case RTJ_FAMILY_F32_ROWS:
        *count = COUNT(row_entries);
        return row_entries;
    case RTJ_FAMILY_F32_GEMM:
        *count = COUNT(f32_gemm_entries);
        return f32_gemm_entries;
    case RTJ_FAMILY_Q8_GEMM:
        *count = COUNT(q8_gemm_entries);
        return q8_gemm_entries;
    default:
        *count = 0;
        return NULL;
    }
}

const char *rtj_kernel_family_name(enum rtj_kernel_family family)
{
    static const char *const names[RTJ_FAMILY_COUNT] = {"f32 rows", "f32 gemm", "q8 gemm"};
    return (unsigned)family < RTJ_FAMILY_COUNT ? names[family] : "?";
}

static void set_f32_gemm(rtj_kernels *t, const f32_gemm_item *g)
{
    t->f32_gemm_ukernel = g->fn;
    t->f32_gemm_ukernel_name = g->e.name;
    t->f32_gemm_mr = g->e.mr;
    t->f32_gemm_nr = g->e.nr;
    t->f32_gemm_kc = g->kc;
    t->f32_gemm_mc = g->mc;
}

static void set_q8(rtj_kernels *t, const q8_gemm_item *q)
{
    t->q8_gemm_ukernel = q->fn;
    t->q8_gemm_ukernel_name = q->e.name;
    t->q8_gemm_mr = q->e.mr;
    t->q8_gemm_nr = q->e.nr;
    t->q8_act_max = q->act_max;
}

/* ISA `isa`'s table for this CPU: its row kernels and FP32 GEMM (the first listed for the ISA), and the
 * first listed INT8 kernel the table may use and the CPU runs. -1 when the ISA is not built in or the
 * CPU cannot run it. */
static int build_table(const rtj_cpu_info *cpu, enum rtj_isa isa, rtj_kernels *t)
{
    const row_item *r = NULL;
    const f32_gemm_item *g = NULL;
    const q8_gemm_item *q = NULL;
    for (size_t i = 0; i < COUNT(row_items) && !r; i++)
        if (row_items[i].e.isa == isa)
            r = &row_items[i];
    for (size_t i = 0; i < COUNT(f32_gemm_items) && !g; i++)
        if (f32_gemm_items[i].e.isa == isa)
            g = &f32_gemm_items[i];
    for (size_t i = 0; i < COUNT(q8_gemm_items) && !q; i++)
        if (rtj_isa_includes(isa, q8_gemm_items[i].e.isa) && rtj_cpu_has_set(cpu, q8_gemm_items[i].e.set))
            q = &q8_gemm_items[i];
    if (!r || !g || !q || !rtj_cpu_can_run(cpu, isa) || !rtj_cpu_has_set(cpu, r->e.set) ||
        !rtj_cpu_has_set(cpu, g->e.set))
        return -1;
    *t = (rtj_kernels){.isa = isa, .name = rtj_isa_name(isa), .q8_quantize = r->q8_quantize,
                       .f32_softmax = r->softmax, .f32_layernorm = r->layernorm, .f32_gelu = r->gelu,
                       .f32_tanh = r->tanh, .f32_embed = r->embed};
    set_f32_gemm(t, g);
    set_q8(t, q);
    return 0;
}

/* Best first. */
static const enum rtj_isa preference[] = {RTJ_ISA_AVX512, RTJ_ISA_AVX2, RTJ_ISA_NEON, RTJ_ISA_SCALAR};

int rtj_kernels_select(const rtj_cpu_info *cpu, enum rtj_isa force, rtj_kernels *out)
{
    rtj_kernels t;
    if (force != RTJ_ISA_AUTO) {
        if (build_table(cpu, force, &t) != 0)
            return -1;
        *out = t;
        return 0;
    }
    for (size_t i = 0; i < COUNT(preference); i++)
        if (build_table(cpu, preference[i], &t) == 0) {
            *out = t;
            return 0;
        }
    return -1; /* unreachable: scalar always runs */
}

/* The dispatch state: written once under pthread_once, read-only after. */
static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;
static rtj_cpu_info dispatch_cpu;
static rtj_kernels dispatch_table;
static const rtj_kernels *dispatch_active;
static char dispatch_error[160];
static rtj_kernels dispatch_isa_tables[RTJ_ISA_COUNT];
static bool dispatch_isa_ok[RTJ_ISA_COUNT];

static void dispatch_init(void)
{
    rtj_cpu_read(&dispatch_cpu);
    for (int i = RTJ_ISA_SCALAR; i < RTJ_ISA_COUNT; i++)
        dispatch_isa_ok[i] = rtj_kernels_select(&dispatch_cpu, (enum rtj_isa)i, &dispatch_isa_tables[i]) == 0;
    const char *env = getenv("RTJ_ISA");
    enum rtj_isa force = RTJ_ISA_AUTO;
    if (env && *env && !(env[0] == 'a' && env[1] == 'u')) {
        force = rtj_isa_from_name(env);
        if (force == RTJ_ISA_AUTO) {
            snprintf(dispatch_error, sizeof dispatch_error,
                     "RTJ_ISA=%.40s is not one of scalar, avx2, avx512, neon (or auto)", env);
            return;
        }
    }
    if (rtj_kernels_select(&dispatch_cpu, force, &dispatch_table) != 0) {
        snprintf(dispatch_error, sizeof dispatch_error,
                 "RTJ_ISA=%s: this CPU (or this build) cannot run %s kernels", env, rtj_isa_name(force));
        return;
    }
    dispatch_active = &dispatch_table;
}

const rtj_kernels *rtj_kernels_get(void)
{
    pthread_once(&dispatch_once, dispatch_init);
    return dispatch_active;
}

const char *rtj_kernels_error(void)
{
    pthread_once(&dispatch_once, dispatch_init);
    return dispatch_active ? NULL : dispatch_error;
}

const rtj_cpu_info *rtj_cpu_get(void)
{
    pthread_once(&dispatch_once, dispatch_init);
    return &dispatch_cpu;
}

const rtj_kernels *rtj_kernels_for_isa(enum rtj_isa isa)
{
    pthread_once(&dispatch_once, dispatch_init);
    if ((unsigned)isa >= RTJ_ISA_COUNT || isa == RTJ_ISA_AUTO)
        return NULL;
    return dispatch_isa_ok[isa] ? &dispatch_isa_tables[isa] : NULL;
}

int rtj_kernels_with(enum rtj_kernel_family family, size_t index, rtj_kernels *out)
{
    size_t n;
    const rtj_kernel_entry *list = rtj_kernel_list(family, &n);
    if (!list || index >= n)
        return -1;
    const rtj_kernels *base = rtj_kernels_for_isa(list[index].isa);
    if (!base || !rtj_cpu_has_set(rtj_cpu_get(), list[index].set))
        return -1;
    rtj_kernels t = *base;
    if (family == RTJ_FAMILY_F32_GEMM)
        set_f32_gemm(&t, &f32_gemm_items[index]);
    else if (family == RTJ_FAMILY_Q8_GEMM)
        set_q8(&t, &q8_gemm_items[index]);
    *out = t;
    return 0;
}

int rtj_kernels_with_f32_gemm(rtj_f32_gemm_ukernel_fn fn, rtj_kernels *out)
{
    for (size_t i = 0; i < COUNT(f32_gemm_items); i++)
        if (f32_gemm_items[i].fn == fn)
            return rtj_kernels_with(RTJ_FAMILY_F32_GEMM, i, out);
    return -1;
}

int rtj_kernels_with_q8_gemm(rtj_q8_gemm_ukernel_fn fn, rtj_kernels *out)
{
    for (size_t i = 0; i < COUNT(q8_gemm_items); i++)
        if (q8_gemm_items[i].fn == fn)
            return rtj_kernels_with(RTJ_FAMILY_Q8_GEMM, i, out);
    return -1;
}
