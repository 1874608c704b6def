/* The peak loops of NEON (the aarch64 baseline; bench/peak_loops.h), built with NEON flags. */
#include <arm_neon.h>

#include "../../peak_loops.h"

float bench_peak_f32_fmla__neon(long iters)
{
    const float32x4_t m = vdupq_n_f32(0.999f), c = vdupq_n_f32(0.001f);
    float32x4_t s = vdupq_n_f32(0.0f);
#define DECL(i) float32x4_t a##i = vdupq_n_f32((float)(i));
#define STEP(i) a##i = vfmaq_f32(c, a##i, m);
#define SUM(i) s = vaddq_f32(s, a##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    return vaddvq_f32(s);
}

/* smull: 8 s8 x s8 -> s16 products; sadalp adds their pairs into 4 int32 lanes: 8 multiply-adds = 16 ops. */
float bench_peak_i8_smull_sadalp__neon(long iters)
{
    int8x8_t a = vdup_n_s8(1), w = vdup_n_s8(3);
    OPAQUE_W(a);
    int32x4_t s = vdupq_n_s32(0);
#define DECL(i) int32x4_t x##i = vdupq_n_s32(i);
#define STEP(i)                                                                                          \
    OPAQUE_W(w);                                                                                         \
    x##i = vpadalq_s16(x##i, vmull_s8(a, w));                                                            \
    OPAQUE_W(x##i);
#define SUM(i) s = vaddq_s32(s, x##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    return bench_sum_lanes_s32x4(s);
}
