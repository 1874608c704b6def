/* The per-ISA vector layers (arch/<isa>/vec.h) against the scalar layer's semantics, lane by lane, on
 * special values: ±0, ±Inf, NaN, ±80, denormals, huge magnitudes, ties of rounding; every tail length.
 * A wrong primitive (the AVX-512 copysign once took its bits from the wrong operand) shows here by name
 * rather than as a whole model answering wrongly. */
#include <string.h>

#include "test_common.h"
#include "vec_probe.h"

/* Every ISA's probe, from the same list as the kernels. */
#define DECLARE_PROBE(P, sfx, set, isa) extern const vec_probe vec_probe__##sfx;
RTJ_F32_ROW_KERNELS(DECLARE_PROBE, ~)
#define PROBE_ENTRY(P, sfx, set, isa) {isa, &vec_probe__##sfx},
static const struct { enum rtj_isa isa; const vec_probe *p; } probes[] = {RTJ_F32_ROW_KERNELS(PROBE_ENTRY, ~)};

static const vec_probe *probe_of(const rtj_kernels *kt)
{
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        if (probes[i].isa == kt->isa)
            return probes[i].p;
    cr_assert_fail("no vector-layer probe for %s", kt->name);
    return NULL;
}

static const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 80.0f, -80.0f, 100.0f, -100.0f,
                                 1e-40f, -1e-40f, 1.17549435e-38f, 3.0e38f, -3.4028235e38f, 0.5f, -0.5f, 1.5f,
                                 2.5f, -2.5f, 8388609.0f, -8388607.5f, 16777217.0f, 1e10f, 1.0f, -1.0f, 0.7f,
                                 -9.0f, 9.5f, 88.0f, -87.5f, 3.0e-4f};
#define NSPECIAL (sizeof specials / sizeof specials[0])

static uint32_t bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* What the scalar layer gives for one lane. */
static float scalar_op(enum vec_probe_op op, float a, float b)
{
    float y;
    vec_probe__scalar.apply(op, &a, &b, &y);
    return y;
}

/* One vector of a (and b) through the ISA, each lane against the scalar layer. exact: the same bits (NaNs
 * are compared by class only, unless exact_nan: also the sign, which copysign and abs define). */
static void check_lanes(const rtj_kernels *kt, enum vec_probe_op op, const float *a, const float *b, int exact_nan)
{
    const vec_probe *p = probe_of(kt);
    float y[VEC_PROBE_MAX_VL];
    p->apply(op, a, b, y);
    for (size_t i = 0; i < p->vl; i++) {
        const float want = scalar_op(op, a[i], b[i]);
        if (isnan(want)) {
            cr_assert(isnan(y[i]), "%s op %d lane %zu (%.9g, %.9g): %.9g, scalar layer NaN", kt->name, op, i,
                      a[i], b[i], y[i]);
            if (exact_nan)
                cr_assert_eq(signbit(y[i]) != 0, signbit(want) != 0, "%s op %d lane %zu: NaN sign", kt->name, op, i);
        } else {
            cr_assert_eq(bits(y[i]), bits(want), "%s op %d lane %zu (%.9g, %.9g): %.9g (0x%08x), scalar layer %.9g (0x%08x)",
                         kt->name, op, i, a[i], b[i], y[i], bits(y[i]), want, bits(want));
        }
    }
}

/* Every special value in every lane, against every special value. */
TEST_EACH_ISA(vec_layer, abs_copysign_round)
{
    const size_t vl = probe_of(kt)->vl;
    float a[VEC_PROBE_MAX_VL], b[VEC_PROBE_MAX_VL];
    for (size_t s = 0; s < NSPECIAL; s++)
        for (size_t t = 0; t < NSPECIAL; t++) {
            for (size_t i = 0; i < vl; i++) {
                a[i] = specials[(s + i) % NSPECIAL];
                b[i] = specials[(t + 3 * i) % NSPECIAL];
            }
            check_lanes(kt, VP_ABS, a, b, 1);
            check_lanes(kt, VP_COPYSIGN, a, b, 1);
            check_lanes(kt, VP_ROUND, a, b, 0);
        }
}

/* pow2i's contract: integral n in [-126, 127] (vf_exp's clamp keeps it there). */
TEST_EACH_ISA(vec_layer, pow2i)
{
    const size_t vl = probe_of(kt)->vl;
    float a[VEC_PROBE_MAX_VL];
    for (int n0 = -126; n0 <= 127; n0++) {
        for (size_t i = 0; i < vl; i++)
            a[i] = (float)(n0 + (int)i > 127 ? n0 - (int)i : n0 + (int)i);
        check_lanes(kt, VP_POW2I, a, a, 0);
    }
}

/* max/min: the scalar layer's a > b ? a : b (and a < b ? a : b). Where both are zeros the sign is the
 * ISA's (FMAX orders -0 < +0, maxps does not); where b is NaN every ISA returns NaN, which is what vmath's
 * clamps rely on (constant first); where only a is NaN, x86 returns b and NEON NaN: either is accepted. */
TEST_EACH_ISA(vec_layer, max_min)
{
    const vec_probe *p = probe_of(kt);
    float a[VEC_PROBE_MAX_VL], b[VEC_PROBE_MAX_VL], y[VEC_PROBE_MAX_VL];
    for (int op = VP_MAX; op <= VP_MIN; op++)
        for (size_t s = 0; s < NSPECIAL; s++)
            for (size_t t = 0; t < NSPECIAL; t++) {
                for (size_t i = 0; i < p->vl; i++)
                    a[i] = specials[(s + i) % NSPECIAL], b[i] = specials[(t + 5 * i) % NSPECIAL];
                p->apply((enum vec_probe_op)op, a, b, y);
                for (size_t i = 0; i < p->vl; i++) {
                    const float want = scalar_op((enum vec_probe_op)op, a[i], b[i]);
                    if (isnan(b[i]))
                        cr_assert(isnan(y[i]), "%s %s(%g, NaN) = %g", kt->name, op == VP_MAX ? "max" : "min", a[i], y[i]);
                    else if (isnan(a[i]))
                        cr_assert(isnan(y[i]) || bits(y[i]) == bits(b[i]), "%s: NaN first gave %g", kt->name, y[i]);
                    else if (a[i] == 0 && b[i] == 0)
                        cr_assert(y[i] == 0, "%s: zeros gave %g", kt->name, y[i]);
                    else
                        cr_assert_eq(bits(y[i]), bits(want), "%s op %d (%g, %g): %g vs scalar %g", kt->name, op,
                                     a[i], b[i], y[i], want);
                }
            }
}

/* vmath on special values: the same class (NaN, ±Inf, sign) as the scalar layer, and finite results within
 * a few ulp of it (the scalar layer's fma is not fused: 2 roundings where the SIMD layers have 1). */
TEST_EACH_ISA(vec_layer, vmath_special_values)
{
    const vec_probe *p = probe_of(kt);
    float a[VEC_PROBE_MAX_VL], y[VEC_PROBE_MAX_VL];
    for (int op = VP_EXP; op <= VP_GELU; op++)
        for (size_t s = 0; s < NSPECIAL; s++) {
            for (size_t i = 0; i < p->vl; i++)
                a[i] = specials[(s + i) % NSPECIAL];
            p->apply((enum vec_probe_op)op, a, a, y);
            for (size_t i = 0; i < p->vl; i++) {
                const float want = scalar_op((enum vec_probe_op)op, a[i], a[i]);
                cr_assert_eq(isnan(y[i]) != 0, isnan(want) != 0, "%s op %d(%g) = %g, scalar %g", kt->name, op, a[i],
                             y[i], want);
                if (isnan(want))
                    continue;
                cr_assert_eq(isinf(y[i]) != 0, isinf(want) != 0, "%s op %d(%g) = %g, scalar %g", kt->name, op, a[i],
                             y[i], want);
                if (want != 0)
                    cr_assert_eq(signbit(y[i]) != 0, signbit(want) != 0, "%s op %d(%g): sign", kt->name, op, a[i]);
                if (!isinf(want))
                    cr_assert(fabsf(y[i] - want) <= 8 * U_F32 * fabsf(want) + 1e-37f, "%s op %d(%g) = %.9g, scalar %.9g",
                              kt->name, op, a[i], y[i], want);
            }
        }
}

/* Tail loads and stores for every n in 1..VL: the loaded lanes past n are zero, the stored lanes past n are
 * untouched, and the load reads only n floats (the source is an allocation of exactly n floats, so ASan
 * reports any read past it). */
TEST_EACH_ISA(vec_layer, tails)
{
    const vec_probe *p = probe_of(kt);
    for (size_t n = 1; n <= p->vl; n++) {
        float *x = test_alloc(n * sizeof(float)), full[VEC_PROBE_MAX_VL], part[VEC_PROBE_MAX_VL + 1];
        for (size_t i = 0; i < n; i++)
            x[i] = specials[(i * 7 + n) % NSPECIAL];
        for (size_t i = 0; i <= VEC_PROBE_MAX_VL; i++)
            part[i] = -12345.0f;
        p->load_store_n(n, x, full, part);
        for (size_t i = 0; i < p->vl; i++) {
            cr_assert_eq(bits(full[i]), i < n ? bits(x[i]) : 0u, "%s load_n(%zu) lane %zu: 0x%08x", kt->name, n, i,
                         bits(full[i]));
            cr_assert_eq(bits(part[i]), i < n ? bits(x[i]) : bits(-12345.0f), "%s store_n(%zu) lane %zu", kt->name, n, i);
        }
        cr_assert_eq(part[VEC_PROBE_MAX_VL], -12345.0f);
        free(x);
    }
}

/* Horizontal sum and max. Integral values keep every sum exact whatever the order of additions, so the
 * result must equal the exact sum; Inf and NaN lanes must propagate. */
TEST_EACH_ISA(vec_layer, horizontal_sum_max)
{
    const vec_probe *p = probe_of(kt);
    test_rng rng = {5};
    float x[VEC_PROBE_MAX_VL];
    for (int rep = 0; rep < 200; rep++) {
        double sum = 0, mx = -INFINITY;
        for (size_t i = 0; i < p->vl; i++) {
            x[i] = (float)((int)(rng_next(&rng) % 2001) - 1000) * (rep % 2 ? 1.0f : 1024.0f);
            sum += x[i];
            mx = x[i] > mx ? x[i] : mx;
        }
        cr_assert_eq(p->hsum(x), (float)sum, "%s hsum", kt->name);
        cr_assert_eq(p->hmax(x), (float)mx, "%s hmax", kt->name);
        const size_t lane = (size_t)rep % p->vl;
        x[lane] = INFINITY;
        cr_assert(p->hsum(x) == INFINITY && p->hmax(x) == INFINITY, "%s: +Inf lane %zu", kt->name, lane);
        x[lane] = -INFINITY;
        double mx_rest = -INFINITY;
        for (size_t i = 0; i < p->vl; i++)
            mx_rest = x[i] > mx_rest ? x[i] : mx_rest;
        cr_assert(p->hsum(x) == -INFINITY && p->hmax(x) == (float)mx_rest, "%s: -Inf lane %zu", kt->name, lane);
        x[lane] = NAN;
        cr_assert(isnan(p->hsum(x)), "%s: NaN lane %zu in hsum", kt->name, lane);
        for (size_t i = 0; i < p->vl; i++)
            x[i] = -0.0f;
        cr_assert(p->hsum(x) == 0 && p->hmax(x) == 0, "%s: zeros", kt->name);
    }
}

/* The u8 store: integral lanes in [0, 255] become those bytes, exactly VL of them. */
TEST_EACH_ISA(vec_layer, store_u8)
{
    const vec_probe *p = probe_of(kt);
    float x[VEC_PROBE_MAX_VL];
    uint8_t out[VEC_PROBE_MAX_VL + 1];
    for (int v0 = 0; v0 < 256; v0++) {
        for (size_t i = 0; i < p->vl; i++)
            x[i] = (float)((v0 + 37 * (int)i) % 256);
        memset(out, 0xA5, sizeof out);
        p->store_u8(x, out);
        for (size_t i = 0; i < p->vl; i++)
            cr_assert_eq(out[i], (uint8_t)x[i], "%s store_u8 lane %zu: %u vs %g", kt->name, i, out[i], x[i]);
        if (p->vl < VEC_PROBE_MAX_VL + 1)
            cr_assert_eq(out[p->vl], 0xA5, "%s store_u8 wrote past VL", kt->name);
    }
}

#if defined(__x86_64__)
/* The shim the emulated AVX-512 build uses (tests/emu/x86/simde_shim.h) equals the real instructions: run
 * where the CPU has AVX-512; elsewhere the shim can only be compared with itself, so the test says so. The
 * shim is test equipment, not a kernel set: its skip hides no shipped kernel. */
int rtj_emu_shim_check(char *msg, size_t len);
Test(simde_shim, matches_the_hardware)
{
    if (!rtj_cpu_can_run(rtj_cpu_get(), RTJ_ISA_AVX512))
        cr_skip_test("no AVX-512 here: the shim is checked against the hardware on AVX-512 CPUs");
    char msg[160] = "";
    cr_assert(rtj_emu_shim_check(msg, sizeof msg), "%s", msg);
}
/* The shim's VEX vpdpbusd, which the emulated AVX-VNNI kernel runs on: against the AVX-VNNI instruction,
 * or on a CPU without it against EVEX vpdpbusd ymm, the same operation under AVX-512 VNNI + VL. */
int rtj_emu_shim_check_avxvnni(char *msg, size_t len);
int rtj_emu_shim_check_dpbusd_evex(char *msg, size_t len);
Test(simde_shim, avxvnni_matches_the_hardware)
{
    const rtj_cpu_info *cpu = rtj_cpu_get();
    char msg[160] = "";
    if (rtj_cpu_has_avx_vnni(cpu))
        cr_assert(rtj_emu_shim_check_avxvnni(msg, sizeof msg), "%s", msg);
    else if (rtj_cpu_has_avx512_vnni(cpu))
        cr_assert(rtj_emu_shim_check_dpbusd_evex(msg, sizeof msg), "%s", msg);
    else
        cr_skip_test("neither AVX-VNNI nor AVX-512 VNNI here: the shim's vpdpbusd is checked where either is");
    cr_log_info("the shim's vpdpbusd equals %s", rtj_cpu_has_avx_vnni(cpu) ? "VEX vpdpbusd" : "EVEX vpdpbusd ymm");
}
#endif
