/* rtj_selftest (rtj-run selftest): it checks every listed kernel this CPU (or this emulated build) runs and
 * the bundled model under every runnable table, and passes on a correct build; and its bookkeeping fails a
 * value past its bound, a NaN and a failed condition (so a broken kernel cannot pass it). That it catches a
 * real fault was shown by hand: with vf_copysign's old 0xE4 immediate the AVX-512 GELU, tanh and model
 * checks fail. */
#include <stdio.h>
#include <string.h>

#include "../include/rtj.h"
#include "../kernels/selftest.h"
#include "test_common.h"

typedef struct seen {
    rtj_selftest_check c[256];
    int n;
} seen;

static void collect(const rtj_selftest_check *c, void *user)
{
    seen *s = user;
    cr_assert(s->n < 256, "more checks than this test expects");
    s->c[s->n++] = *c;
}

static int has_check(const seen *s, const char *what)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->c[i].what, what) == 0)
            return 1;
    return 0;
}

static void print_failures(const seen *s)
{
    for (int i = 0; i < s->n; i++)
        if (!s->c[i].pass)
            cr_log_error("%s %s: worst %g bound %g: %s", s->c[i].isa, s->c[i].what, s->c[i].worst, s->c[i].bound,
                         s->c[i].detail);
}

Test(selftest, every_runnable_kernel_checked_and_passes)
{
    static seen s;
    memset(&s, 0, sizeof s);
    int failed = -1;
    rtj_error e;
    cr_assert_eq(rtj_selftest(NULL, NULL, collect, &s, &failed, &e), RTJ_OK, "%s", e.message);
    print_failures(&s);
    cr_assert_eq(failed, 0, "%d self-test checks failed", failed);
    static const char *const rows[] = {"softmax", "layernorm", "gelu", "tanh", "embed"};
    for (int fam = 0; fam < RTJ_FAMILY_COUNT; fam++) {
        size_t n;
        const rtj_kernel_entry *list = rtj_kernel_list((enum rtj_kernel_family)fam, &n);
        for (size_t i = 0; i < n; i++) {
            rtj_kernels t;
            if (rtj_kernels_with((enum rtj_kernel_family)fam, i, &t) != 0)
                continue; /* this CPU cannot run it: the self-test must not claim it either */
            if (fam != RTJ_FAMILY_F32_ROWS) {
                cr_assert(has_check(&s, list[i].name), "no self-test check of %s", list[i].name);
                continue;
            }
            const char *sfx = strstr(list[i].name, "__") + 2;
            char name[96];
            for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
                snprintf(name, sizeof name, "rtj_f32_%s__%s", rows[r], sfx);
                cr_assert(has_check(&s, name), "no self-test check of %s", name);
            }
            snprintf(name, sizeof name, "rtj_q8_quantize_rows__%s", sfx);
            cr_assert(has_check(&s, name), "no self-test check of %s", name);
        }
    }
}

/* The bundled model (make test runs from the repository's root), under every table but scalar's. */
Test(selftest, bundled_model_under_every_table)
{
    static seen s;
    memset(&s, 0, sizeof s);
    const char *path = "models/default.rtj";
    rtj_dtype dtype;
    cr_assert_eq(rtj_model_file_dtype(path, &dtype), RTJ_OK, "%s: not found (run from the repository's root)", path);
    const rtj_load_options lo = {dtype, 1};
    int failed = -1;
    rtj_error e;
    cr_assert_eq(rtj_selftest(path, &lo, collect, &s, &failed, &e), RTJ_OK, "%s", e.message);
    print_failures(&s);
    cr_assert_eq(failed, 0, "%d self-test checks failed", failed);
    for (int isa = RTJ_ISA_SCALAR + 1; isa < RTJ_ISA_COUNT; isa++) {
        if (!rtj_kernels_for_isa((enum rtj_isa)isa))
            continue;
        int found = 0;
        for (int i = 0; i < s.n; i++)
            found |= strcmp(s.c[i].isa, rtj_isa_name((enum rtj_isa)isa)) == 0 && strncmp(s.c[i].what, "model ", 6) == 0;
        cr_assert(found, "no model check under %s", rtj_isa_name((enum rtj_isa)isa));
    }
}

Test(selftest, missing_model_is_an_error_not_a_pass)
{
    int failed = -1;
    rtj_error e;
    cr_assert_eq(rtj_selftest("/nonexistent/model.rtj", NULL, NULL, NULL, &failed, &e), RTJ_ERR_IO);
    cr_assert(strstr(e.message, "/nonexistent/model.rtj") != NULL, "message: %s", e.message);
    const rtj_load_options bad = {(rtj_dtype)7, 1};
    cr_assert_eq(rtj_selftest(NULL, &bad, NULL, NULL, &failed, &e), RTJ_ERR_ARG);
}

static void count_reports(const rtj_selftest_check *c, void *user)
{
    (void)c;
    ++*(int *)user;
}

Test(selftest, bookkeeping_fails_past_the_bound_on_nan_and_on_a_condition)
{
    int reports = 0;
    rtj_selftest_state s = {.report = count_reports, .user = &reports};
    rtj_selftest_begin(&s, "avx2", "within");
    rtj_selftest_value(&s, 1e-7, 1e-6, "a");
    rtj_selftest_value(&s, -9e-7, 1e-6, "b"); /* the sign of an error does not matter */
    rtj_selftest_value(&s, 0, 0, "exact");
    rtj_selftest_end(&s);
    cr_assert(s.check.pass);
    cr_assert_float_eq(s.check.worst, 9e-7, 1e-20);
    rtj_selftest_begin(&s, "avx2", "past");
    rtj_selftest_value(&s, 2e-6, 1e-6, "at %d", 3);
    rtj_selftest_value(&s, 5e-6, 1e-6, "later");
    rtj_selftest_end(&s);
    cr_assert(!s.check.pass);
    cr_assert_str_eq(s.check.detail, "at 3", "the first failure is the one reported");
    cr_assert_float_eq(s.check.worst, 5e-6, 1e-20, "the worst value is reported");
    rtj_selftest_begin(&s, "avx2", "nan");
    rtj_selftest_value(&s, NAN, 1, "nan");
    rtj_selftest_end(&s);
    cr_assert(!s.check.pass);
    rtj_selftest_begin(&s, "avx2", "inexact");
    rtj_selftest_value(&s, 1, 0, "one off");
    rtj_selftest_end(&s);
    cr_assert(!s.check.pass);
    rtj_selftest_begin(&s, "avx2", "condition");
    rtj_selftest_require(&s, 0, "label %d", 1);
    rtj_selftest_end(&s);
    cr_assert(!s.check.pass);
    cr_assert_eq(s.failed, 4);
    cr_assert_eq(reports, 5);
}
