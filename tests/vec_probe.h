/* The vector layers (arch/<isa>/vec.h) opened up for tests/test_vec_layer.c: each ISA's probe
 * (tests/isa/<isa>/vec_probe.c, built with that ISA's flags) applies one primitive to one vector of VL
 * lanes from memory, so the test can hold every ISA's lanes against the scalar layer's, lane by lane. */
#ifndef RTJ_VEC_PROBE_H
#define RTJ_VEC_PROBE_H
#include <stddef.h>
#include <stdint.h>

#define VEC_PROBE_MAX_VL 16

enum vec_probe_op { VP_ABS, VP_COPYSIGN, VP_ROUND, VP_POW2I, VP_MAX, VP_MIN, VP_EXP, VP_TANH, VP_GELU, VP_COUNT };

typedef struct vec_probe {
    size_t vl;
    /* y[0..VL) = op(a, b) lane by lane (b only for two-operand ops) */
    void (*apply)(enum vec_probe_op op, const float *a, const float *b, float *y);
    /* full[0..VL) = vf_load_n(x, n) stored whole; part gets vf_store_n of it (only n lanes written) */
    void (*load_store_n)(size_t n, const float *x, float *full, float *part);
    float (*hsum)(const float *x); /* of VL lanes */
    float (*hmax)(const float *x);
    void (*store_u8)(const float *x, uint8_t *out); /* VL lanes holding integers in [0, 255] */
} vec_probe;

#endif
