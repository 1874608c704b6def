/* The self-test's kernel half (kernels/selftest.c) and the bookkeeping both halves share; the model half
 * and the public entry point, rtj_selftest, are in model/selftest.c. */
#ifndef RTJ_SELFTEST_H
#define RTJ_SELFTEST_H

#include "../include/rtj.h"

/* One check under way: the worst place seen so far (largest error relative to its bound). */
typedef struct rtj_selftest_state {
    rtj_selftest_check check;
    double worst_ratio;
    rtj_selftest_report_fn report;
    void *user;
    int failed; /* checks failed so far, over the whole run */
} rtj_selftest_state;

void rtj_selftest_begin(rtj_selftest_state *s, const char *isa, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One value: |err| against its bound (0 = must be exact). A NaN error fails. where: what to print if this
 * value turns out to be the check's first failure. */
void rtj_selftest_value(rtj_selftest_state *s, double err, double bound, const char *where, ...)
    __attribute__((format(printf, 4, 5)));
/* A condition that is not a number (a label, an exit, a byte outside the tile). */
void rtj_selftest_require(rtj_selftest_state *s, int ok, const char *where, ...) __attribute__((format(printf, 3, 4)));
void rtj_selftest_end(rtj_selftest_state *s);

/* Every listed kernel this CPU can run, against the double-precision references. 0, or -1 when out of
 * memory. */
int rtj_selftest_kernels(rtj_selftest_state *s);

#endif
