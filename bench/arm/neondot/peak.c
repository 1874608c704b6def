/* The peak loop of NEON dotprod (Armv8.2; bench/peak_loops.h), built with dotprod flags. */
#include <arm_neon.h>

#include "../../peak_loops.h"

/* sdot: 4 s8 x s8 products added into each of 4 int32 lanes: 16 multiply-adds = 32 ops. */
float bench_peak_i8_sdot__neondot(long iters)
{
    int8x16_t a = vdupq_n_s8(1), w = vdupq_n_s8(2);
    OPAQUE_W(a);
    OPAQUE_W(w);
    int32x4_t s = vdupq_n_s32(0);
#define DECL(i) int32x4_t x##i = vdupq_n_s32(i);
#define STEP(i)                                                                                          \
    x##i = vdotq_s32(x##i, a, w);                                                                        \
    OPAQUE_W(x##i);
#define SUM(i) s = vaddq_s32(s, x##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    return bench_sum_lanes_s32x4(s);
}
