/* What every hand-written GEMM micro-kernel (arch/<isa>/f32_gemm_*.c, arch/<isa>/q8_gemm_*.c) shares: the
 * forced inlining of its tile body and the switch that turns the runtime row count into a constant.
 *
 * A micro-kernel's body is one always-inline function whose first argument, the row count, is a
 * compile-time constant at each call: every `if (MRC > r)` in it folds, so a short tile computes and
 * stores only its rows and its accumulators stay named registers (GCC 12 spills arrays). The switch
 * instantiates the body once per row count 1..MR - 1 and, for mr >= MR, once at full height. */
#ifndef RTJ_UKERNEL_COMMON_H
#define RTJ_UKERNEL_COMMON_H

#if defined(__GNUC__)
#define RTJ_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define RTJ_ALWAYS_INLINE static inline
#endif

/* switch (mr) { case 1: TILE(1); ... case MR - 1: TILE(MR - 1); default: TILE(MR); }, for MR a literal
 * 2..8 or a macro expanding to one (the tile heights in use: 4, 6, 8). TILE(m) is a macro taking the
 * constant row count and expanding to a statement. */
#define RTJ_UKERNEL_SWITCH_MR(mr, MR, TILE) RTJ_UKERNEL_SWITCH_MR_(mr, MR, TILE)
#define RTJ_UKERNEL_SWITCH_MR_(mr, MR, TILE)                                                             \
    switch (mr) {                                                                                       \
    RTJ_UKERNEL_CASES_BELOW_##MR(TILE)                                                                  \
    default: TILE(MR); break;                                                                           \
    }
#define RTJ_UKERNEL_CASES_BELOW_2(TILE) case 1: TILE(1); break;
#define RTJ_UKERNEL_CASES_BELOW_3(TILE) RTJ_UKERNEL_CASES_BELOW_2(TILE) case 2: TILE(2); break;
#define RTJ_UKERNEL_CASES_BELOW_4(TILE) RTJ_UKERNEL_CASES_BELOW_3(TILE) case 3: TILE(3); break;
#define RTJ_UKERNEL_CASES_BELOW_5(TILE) RTJ_UKERNEL_CASES_BELOW_4(TILE) case 4: TILE(4); break;
#define RTJ_UKERNEL_CASES_BELOW_6(TILE) RTJ_UKERNEL_CASES_BELOW_5(TILE) case 5: TILE(5); break;
#define RTJ_UKERNEL_CASES_BELOW_7(TILE) RTJ_UKERNEL_CASES_BELOW_6(TILE) case 6: TILE(6); break;
#define RTJ_UKERNEL_CASES_BELOW_8(TILE) RTJ_UKERNEL_CASES_BELOW_7(TILE) case 7: TILE(7); break;

#endif
