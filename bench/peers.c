/* The peers, OpenBLAS and oneDNN, loaded with dlopen so that they never become build dependencies. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

/* ---- Peers: OpenBLAS ------------------------------------------------------------------------------------ */
/* cblas_sgemm with the LP64 interface Debian's libopenblas.so.0 exports (blasint = int); the CBLAS enums
 * are int-sized: CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112. */
typedef void (*cblas_sgemm_fn)(int order, int transa, int transb, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta, float *c,
                               int ldc);
static cblas_sgemm_fn ob_sgemm;

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown"
#endif

static void load_openblas(void)
{
    /* Its pthread build first (the one gemm.sh measures), then whatever the loader finds. */
    static const char *const paths[] = {"/usr/lib/" MULTIARCH "/openblas-pthread/libopenblas.so.0",
                                        "libopenblas.so.0"};
    void *h = NULL;
    const char *path = NULL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !h; i++)
        if ((h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)))
            path = paths[i];
    if (!h) {
        bench_note("peer openblas: not installed");
        return;
    }
    ob_sgemm = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
    if (!ob_sgemm) {
        bench_note("peer openblas: %s has no cblas_sgemm, not used", path);
        return;
    }
    /* The environment was set before dlopen; this covers a library that was already loaded. */
    void (*set_threads)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    if (set_threads)
        set_threads(1);
    char *(*config)(void) = (char *(*)(void))dlsym(h, "openblas_get_config");
    bench_note("peer openblas: %s, 1 thread (%s)", config ? config() : "?", path);
}

int bench_have_openblas(void) { return ob_sgemm != NULL; }

void bench_openblas_sgemm_nt(size_t m, size_t n, size_t k, const float *a, const float *w, float *c)
{
    ob_sgemm(101, 111, 112, (int)m, (int)n, (int)k, 1.0f, a, (int)k, w, (int)k, 0.0f, c, (int)n);
}

/* ---- Peers: oneDNN 2.x ----------------------------------------------------------------------------------
 * The few types and functions used, declared here with the ABI of oneDNN 2.x (checked against the 2.6.3
 * headers) so that oneDNN is never needed to build. Handles are opaque pointers. dnnl_memory_desc_t
 * (696 bytes) and dnnl_matmul_desc_t (2800 bytes) are only filled by the library and passed back by
 * pointer, so storage of at least their size and alignment stands in for them. */
typedef void *dn_handle; /* dnnl_engine_t, dnnl_stream_t, dnnl_primitive_desc_t, dnnl_primitive_t, ... */
typedef union dn_md {
    int64_t align;
    unsigned char bytes[1024];
} dn_md;
typedef union dn_matmul_desc {
    int64_t align;
    unsigned char bytes[4096];
} dn_matmul_desc;
typedef struct dn_exec_arg {
    int arg;
    dn_handle memory;
} dn_exec_arg;
typedef struct dn_version {
    int major, minor, patch;
    const char *hash;
    unsigned cpu_runtime, gpu_runtime;
} dn_version;

enum {
    DN_SUCCESS = 0,           /* dnnl_success */
    DN_F32 = 3,               /* dnnl_f32 */
    DN_TAG_ANY = 1,           /* dnnl_format_tag_any */
    DN_TAG_AB = 3,            /* dnnl_ab: row-major [rows, cols] */
    DN_TAG_BA = 22,           /* dnnl_ba: [K, N] stored N-major, i.e. W [n, k] row-major */
    DN_ENGINE_CPU = 1,        /* dnnl_cpu */
    DN_STREAM_DEFAULT = 1,    /* dnnl_stream_default_flags */
    DN_QUERY_IMPL_INFO = 8,   /* dnnl_query_impl_info_str */
    DN_QUERY_WEIGHTS_MD = 131, /* dnnl_query_weights_md */
    DN_ARG_SRC = 1,           /* DNNL_ARG_SRC, DNNL_ARG_FROM */
    DN_ARG_DST = 17,          /* DNNL_ARG_DST, DNNL_ARG_TO */
    DN_ARG_WEIGHTS = 33,      /* DNNL_ARG_WEIGHTS */
};
#define DN_MEMORY_ALLOCATE ((void *)(size_t)-1)

static struct {
    dn_handle engine, stream;
    const dn_version *(*version)(void);
    int (*engine_create)(dn_handle *engine, int kind, size_t index);
    int (*stream_create)(dn_handle *stream, dn_handle engine, unsigned flags);
    int (*stream_wait)(dn_handle stream);
    int (*md_init_by_tag)(dn_md *md, int ndims, const int64_t *dims, int data_type, int tag);
    size_t (*md_get_size)(const dn_md *md);
    int (*matmul_desc_init)(dn_matmul_desc *desc, const dn_md *src, const dn_md *weights,
                            const dn_md *bias, const dn_md *dst);
    int (*pd_create)(dn_handle *pd, const void *op_desc, const void *attr, dn_handle engine,
                     const void *hint);
    int (*pd_query)(dn_handle pd, int what, int index, void *result);
    const dn_md *(*pd_query_md)(dn_handle pd, int what, int index);
    int (*pd_destroy)(dn_handle pd);
    int (*reorder_pd_create)(dn_handle *pd, const dn_md *src, dn_handle src_engine, const dn_md *dst,
                             dn_handle dst_engine, const void *attr);
    int (*memory_create)(dn_handle *mem, const dn_md *md, dn_handle engine, void *handle);
    int (*memory_destroy)(dn_handle mem);
    int (*primitive_create)(dn_handle *prim, dn_handle pd);
    int (*primitive_execute)(dn_handle prim, dn_handle stream, int nargs, const dn_exec_arg *args);
    int (*primitive_destroy)(dn_handle prim);
    int ok;
} dn;

static void load_onednn(void)
{
    void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        bench_note("peer onednn: not installed");
        return;
    }
    int missing = 0;
#define SYM(field, name) missing |= !(dn.field = (__typeof__(dn.field))dlsym(h, name));
    SYM(version, "dnnl_version")
    SYM(engine_create, "dnnl_engine_create")
    SYM(stream_create, "dnnl_stream_create")
    SYM(stream_wait, "dnnl_stream_wait")
    SYM(md_init_by_tag, "dnnl_memory_desc_init_by_tag")
    SYM(md_get_size, "dnnl_memory_desc_get_size")
    SYM(matmul_desc_init, "dnnl_matmul_desc_init")
    SYM(pd_create, "dnnl_primitive_desc_create")
    SYM(pd_query, "dnnl_primitive_desc_query")
    SYM(pd_query_md, "dnnl_primitive_desc_query_md")
    SYM(pd_destroy, "dnnl_primitive_desc_destroy")
    SYM(reorder_pd_create, "dnnl_reorder_primitive_desc_create")
    SYM(memory_create, "dnnl_memory_create")
    SYM(memory_destroy, "dnnl_memory_destroy")
    SYM(primitive_create, "dnnl_primitive_create")
    SYM(primitive_execute, "dnnl_primitive_execute")
    SYM(primitive_destroy, "dnnl_primitive_destroy")
#undef SYM
    const dn_version *v = dn.version ? dn.version() : NULL;
    if (missing || !v || v->major != 2) {
        /* oneDNN 3 replaced the descriptor-init API: our declarations would not match it. */
        bench_note("peer onednn: libdnnl.so.2 is not the oneDNN 2.x this benchmark speaks, not used");
        return;
    }
    if (dn.engine_create(&dn.engine, DN_ENGINE_CPU, 0) != DN_SUCCESS ||
        dn.stream_create(&dn.stream, dn.engine, DN_STREAM_DEFAULT) != DN_SUCCESS) {
        bench_note("peer onednn: no CPU engine, not used");
        return;
    }
    dn.ok = 1;
    bench_note("peer onednn: oneDNN %d.%d.%d, 1 thread, weights reordered to its preferred layout "
               "(untimed)", v->major, v->minor, v->patch);
}

int bench_have_onednn(void) { return dn.ok; }

void bench_peers_load(void)
{
    static int done;
    if (done || !bench_opt.peers)
        return;
    done = 1;
    /* Before dlopen: OpenBLAS's pthread pool and oneDNN's OpenMP runtime read these once, at load.
     * Both peers run on one thread, as rtj does here. */
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    load_openblas();
    load_onednn();
}

struct bench_onednn_mm {
    dn_handle prim, a, c, *w;
    size_t copies, next, w_bytes;
    char impl[96];
};

#define DN_CHECK(call)                                                                                     \
    do {                                                                                                   \
        int st_ = (call);                                                                                  \
        if (st_ != DN_SUCCESS) {                                                                           \
            bench_note("peer onednn: %s failed (status %d)", #call, st_);                                 \
            goto fail;                                                                                     \
        }                                                                                                  \
    } while (0)

/* ---- Peers: oneDNN integer matmul ------------------------------------------------------------------------
 * The data types the u8 x s8 -> s32 matmul needs, as oneDNN 2.6's dnnl_types.h numbers dnnl_data_type_t.
 * No attributes: oneDNN then computes the plain integer product, as rtj's kernel does before its
 * epilogue. Weights are reordered into the layout the primitive prefers (format_tag_any) outside any
 * timing, which for int8 may append the compensation oneDNN needs for its own u8 shift. */
enum {
    DN_S32 = 4, /* dnnl_s32 */
    DN_S8 = 5,  /* dnnl_s8 */
    DN_U8 = 6,  /* dnnl_u8 */
};

/* A oneDNN matmul with the data types of A, W and C as parameters: A, C and the plain W are the caller's
 * buffers, the very inputs rtj gets. */
static bench_onednn_mm *onednn_mm_create_dt(size_t m, size_t n, size_t k, const void *a, int a_dt, const void *w,
                                            int w_dt, void *c, int c_dt, size_t copies)
{
    if (!dn.ok)
        return NULL;
    bench_onednn_mm *mm = calloc(1, sizeof *mm);
    if (!mm || !(mm->w = calloc(copies, sizeof *mm->w))) {
        free(mm);
        return NULL;
    }
    mm->copies = copies;
    dn_handle pd = NULL, rpd = NULL, rprim = NULL, wplain = NULL;
    dn_md a_md, w_md, w_any, c_md;
    dn_matmul_desc desc;
    int64_t ad[12] = {(int64_t)m, (int64_t)k}, wd[12] = {(int64_t)k, (int64_t)n},
            cd[12] = {(int64_t)m, (int64_t)n};
    DN_CHECK(dn.md_init_by_tag(&a_md, 2, ad, a_dt, DN_TAG_AB));
    DN_CHECK(dn.md_init_by_tag(&w_md, 2, wd, w_dt, DN_TAG_BA));
    DN_CHECK(dn.md_init_by_tag(&w_any, 2, wd, w_dt, DN_TAG_ANY));
    DN_CHECK(dn.md_init_by_tag(&c_md, 2, cd, c_dt, DN_TAG_AB));
    DN_CHECK(dn.matmul_desc_init(&desc, &a_md, &w_any, NULL, &c_md));
    DN_CHECK(dn.pd_create(&pd, &desc, NULL, dn.engine, NULL));
    const char *impl = NULL;
    if (dn.pd_query(pd, DN_QUERY_IMPL_INFO, 0, &impl) != DN_SUCCESS || !impl)
        impl = "?";
    snprintf(mm->impl, sizeof mm->impl, "%s", impl);
    const dn_md *wmd = dn.pd_query_md(pd, DN_QUERY_WEIGHTS_MD, 0);
    if (!wmd)
        goto fail;
    mm->w_bytes = dn.md_get_size(wmd);
    DN_CHECK(dn.memory_create(&mm->a, &a_md, dn.engine, (void *)a));
    DN_CHECK(dn.memory_create(&mm->c, &c_md, dn.engine, c));
    DN_CHECK(dn.memory_create(&wplain, &w_md, dn.engine, (void *)w));
    DN_CHECK(dn.reorder_pd_create(&rpd, &w_md, dn.engine, wmd, dn.engine, NULL));
    DN_CHECK(dn.primitive_create(&rprim, rpd));
    for (size_t i = 0; i < copies; i++) {
        DN_CHECK(dn.memory_create(&mm->w[i], wmd, dn.engine, DN_MEMORY_ALLOCATE));
        const dn_exec_arg args[2] = {{DN_ARG_SRC, wplain}, {DN_ARG_DST, mm->w[i]}};
        DN_CHECK(dn.primitive_execute(rprim, dn.stream, 2, args));
        DN_CHECK(dn.stream_wait(dn.stream));
    }
    DN_CHECK(dn.primitive_create(&mm->prim, pd));
    dn.primitive_destroy(rprim);
    dn.pd_destroy(rpd);
    dn.memory_destroy(wplain);
    dn.pd_destroy(pd);
    return mm;
fail:
    if (rprim)
        dn.primitive_destroy(rprim);
    if (rpd)
        dn.pd_destroy(rpd);
    if (wplain)
        dn.memory_destroy(wplain);
    if (pd)
        dn.pd_destroy(pd);
    bench_onednn_mm_destroy(mm);
    return NULL;
}

bench_onednn_mm *bench_onednn_mm_create(size_t m, size_t n, size_t k, const float *a, const float *w,
                                        float *c, size_t copies)
{
    return onednn_mm_create_dt(m, n, k, a, DN_F32, w, DN_F32, c, DN_F32, copies);
}

void bench_onednn_mm_run(bench_onednn_mm *mm)
{
    const dn_exec_arg args[3] = {
        {DN_ARG_SRC, mm->a}, {DN_ARG_WEIGHTS, mm->w[mm->next]}, {DN_ARG_DST, mm->c}};
    if (++mm->next == mm->copies)
        mm->next = 0;
    dn.primitive_execute(mm->prim, dn.stream, 3, args);
    dn.stream_wait(dn.stream);
}

const char *bench_onednn_mm_impl(const bench_onednn_mm *mm) { return mm->impl; }

size_t bench_onednn_mm_weight_bytes(const bench_onednn_mm *mm) { return mm->w_bytes; }

void bench_onednn_mm_destroy(bench_onednn_mm *mm)
{
    if (!mm)
        return;
    if (mm->prim)
        dn.primitive_destroy(mm->prim);
    for (size_t i = 0; i < mm->copies; i++)
        if (mm->w[i])
            dn.memory_destroy(mm->w[i]);
    if (mm->a)
        dn.memory_destroy(mm->a);
    if (mm->c)
        dn.memory_destroy(mm->c);
    free(mm->w);
    free(mm);
}

bench_onednn_mm *bench_onednn_mm_create_u8s8(size_t m, size_t n, size_t k, const uint8_t *a, const int8_t *w,
                                             int32_t *c, size_t copies)
{
    return onednn_mm_create_dt(m, n, k, a, DN_U8, w, DN_S8, c, DN_S32, copies);
}
