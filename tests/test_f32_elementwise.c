/* Row and elementwise kernels of every ISA against double-precision references. Each tolerance is the
 * bound stated next to the kernel (kernels/vmath.inc, kernels/f32_vec_kernels.inc) or derived below. */
#include <string.h>

#include "test_common.h"

/* Lengths that cover every tail of a 16-, 8- and 4-lane vector, and the model's row lengths. */
static const size_t lengths[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 26, 64, 128, 312, 512, 1024, 1200};
#define NLEN (sizeof lengths / sizeof lengths[0])
#define MAXLEN 1200

/* GELU: |err| <= 1.3e-7 |x| (erf's 2.5e-7 times |x|/2) + 4 u |gelu(x)| + 1e-37 (flushed tiny values).
 * Dense grid over [-12, 12] plus values where erf saturates and where x/2 underflows. */
TEST_EACH_ISA(f32_elementwise, gelu_abs_error)
{
    const size_t n = 24001;
    float *x = test_alloc(n * sizeof(float)), *y = test_alloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = -12.0f + 24.0f * (float)i / (float)(n - 1);
    x[0] = -80.0f, x[1] = 80.0f, x[2] = 0.0f, x[3] = 1e-30f, x[4] = -1e-30f;
    for (size_t l = 0; l < NLEN; l++) { /* each tail length, in place */
        memcpy(y, x, lengths[l] * sizeof(float));
        kt->f32_gelu(lengths[l], y, y);
        for (size_t i = 0; i < lengths[l]; i++)
            cr_assert(fabs(y[i] - rtj_f32_gelu__ref(x[i])) <= 1.3e-7 * fabs(x[i]) + 4 * U_F32 * fabs(y[i]) + 1e-37,
                      "%s gelu n=%zu x=%.9g: %.9g vs %.9g", kt->name, lengths[l], x[i], y[i], rtj_f32_gelu__ref(x[i]));
    }
    kt->f32_gelu(n, x, y);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double ref = rtj_f32_gelu__ref(x[i]), err = fabs(y[i] - ref);
        cr_assert(err <= 1.3e-7 * fabs(x[i]) + 4 * U_F32 * fabs(ref) + 1e-37, "%s gelu(%.9g) = %.9g, reference %.9g",
                  kt->name, x[i], y[i], ref);
        worst = err > worst ? err : worst;
    }
    cr_log_info("%s gelu: max abs error %.3g on [-12, 12]", kt->name, worst);
    free(x), free(y);
}

/* tanh: |err| <= 2.5e-7 absolute (stated at vf_tanh). */
TEST_EACH_ISA(f32_elementwise, tanh_abs_error)
{
    const size_t n = 20001;
    float *x = test_alloc(n * sizeof(float)), *y = test_alloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = -10.0f + 20.0f * (float)i / (float)(n - 1);
    x[0] = -100.0f, x[1] = 100.0f, x[2] = 1e-8f, x[3] = -3e-4f;
    for (size_t l = 0; l < NLEN; l++) {
        kt->f32_tanh(lengths[l], x + 7, y);
        for (size_t i = 0; i < lengths[l]; i++)
            cr_assert(fabs(y[i] - tanh(x[7 + i])) <= 2.5e-7, "%s tanh n=%zu", kt->name, lengths[l]);
    }
    kt->f32_tanh(n, x, y);
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs(y[i] - rtj_f32_tanh__ref(x[i])) <= 2.5e-7, "%s tanh(%.9g) = %.9g, reference %.9g",
                  kt->name, x[i], y[i], rtj_f32_tanh__ref(x[i]));
    free(x), free(y);
}

/* GELU and tanh over the whole range that reaches them: a dense grid on [-100, 100] (activations past 12
 * are rare but real), and NaN, ±Inf: NaN stays NaN, gelu(+Inf) = +Inf, gelu(-Inf) = -0 (the limit),
 * tanh(±Inf) = ±1 within its bound. Bounds as above. */
TEST_EACH_ISA(f32_elementwise, gelu_tanh_full_range)
{
    const size_t n = 40001;
    float *x = test_alloc(n * sizeof(float)), *g = test_alloc(n * sizeof(float)), *t = test_alloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = -100.0f + 200.0f * (float)i / (float)(n - 1);
    const float sp[] = {NAN, INFINITY, -INFINITY, -NAN, 3.0e38f, -3.0e38f};
    for (size_t j = 0; j < sizeof sp / sizeof sp[0]; j++)
        x[(j * 7919) % n] = sp[j];
    kt->f32_gelu(n, x, g);
    kt->f32_tanh(n, x, t);
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            cr_assert(isnan(g[i]) && isnan(t[i]), "%s: gelu/tanh(NaN) = %g / %g", kt->name, g[i], t[i]);
            continue;
        }
        if (isinf(x[i])) {
            cr_assert(x[i] > 0 ? g[i] == INFINITY : g[i] == 0, "%s: gelu(%g) = %g", kt->name, x[i], g[i]);
            cr_assert(fabs(t[i] - (x[i] > 0 ? 1.0 : -1.0)) <= 2.5e-7, "%s: tanh(%g) = %.9g", kt->name, x[i], t[i]);
            continue;
        }
        const double rg = rtj_f32_gelu__ref(x[i]), rt = rtj_f32_tanh__ref(x[i]);
        cr_assert(fabs(g[i] - rg) <= 1.3e-7 * fabs(x[i]) + 4 * U_F32 * fabs(rg) + 1e-37, "%s gelu(%.9g) = %.9g, reference %.9g",
                  kt->name, x[i], g[i], rg);
        cr_assert(fabs(t[i] - rt) <= 2.5e-7, "%s tanh(%.9g) = %.9g, reference %.9g", kt->name, x[i], t[i], rt);
    }
    free(x), free(g), free(t);
}

/* Softmax: exp is within 2 ulp, the sum of n terms within n u, the division 1 u:
 * |err| <= (n + 8) u p + 1e-30 (masked entries are e^-87, not 0; both round to nothing beside 1). */
TEST_EACH_ISA(f32_elementwise, softmax)
{
    test_rng rng = {42};
    float *x = test_alloc(MAXLEN * sizeof(float)), *mask = test_alloc(MAXLEN * sizeof(float));
    float *y = test_alloc(MAXLEN * sizeof(float));
    double *ref = test_alloc(MAXLEN * sizeof(double));
    for (size_t l = 0; l < NLEN; l++)
        for (int variant = 0; variant < 3; variant++) {
            const size_t n = lengths[l];
            /* Variant 2 has large logits: the max subtraction is what keeps exp finite. */
            fill_uniform(x, n, variant == 2 ? 50.0f : -8.0f, variant == 2 ? 120.0f : 8.0f, &rng);
            for (size_t j = 0; j < n; j++)
                mask[j] = j % 4 == 3 ? -10000.0f : 0.0f;
            const float *mk = variant == 1 ? mask : NULL;
            kt->f32_softmax(n, x, mk, y);
            rtj_f32_softmax__ref(n, x, mk, ref);
            double sum = 0;
            for (size_t j = 0; j < n; j++) {
                cr_assert(fabs(y[j] - ref[j]) <= (n + 8) * U_F32 * ref[j] + 1e-30,
                          "%s softmax n=%zu variant %d: y[%zu] = %.9g, reference %.9g", kt->name, n, variant,
                          j, y[j], ref[j]);
                sum += y[j];
            }
            cr_assert(fabs(sum - 1.0) <= (2 * n + 8) * U_F32, "%s softmax n=%zu sums to %.9g", kt->name, n, sum);
            /* In place. */
            memcpy(y, x, n * sizeof(float));
            kt->f32_softmax(n, y, mk, y);
            for (size_t j = 0; j < n; j++)
                cr_assert(fabs(y[j] - ref[j]) <= (n + 8) * U_F32 * ref[j] + 1e-30, "%s softmax in place", kt->name);
        }
    free(x), free(mask), free(y), free(ref);
}

/* LayerNorm, with and without the fused residual, on rows with a large common offset (as BERT's residual
 * stream has). The mean of n values is within n u mean|v| of exact; the centred value then carries
 * that error times rstd |gamma|; the variance's relative error is of the same order:
 *     |err| <= ((n + 6) u mean|v| rstd + 4 u |z|) |gamma| + 2 u |beta|,  z = (v - mean) rstd. */
TEST_EACH_ISA(f32_elementwise, layernorm)
{
    test_rng rng = {7};
    for (size_t l = 0; l < NLEN; l++)
        for (int with_res = 0; with_res < 2; with_res++) {
            const size_t n = lengths[l], rows = 3, ld = n + 3;
            float *x = test_alloc(rows * ld * sizeof(float)), *res = test_alloc(rows * ld * sizeof(float));
            float *g = test_alloc(n * sizeof(float)), *b = test_alloc(n * sizeof(float));
            float *y = test_alloc(rows * ld * sizeof(float));
            double *ref = test_alloc(n * sizeof(double));
            fill_uniform(x, rows * ld, 20.0f, 24.0f, &rng); /* offset 22, spread 2 */
            fill_uniform(res, rows * ld, -3.0f, 3.0f, &rng);
            fill_uniform(g, n, 0.5f, 1.5f, &rng);
            fill_uniform(b, n, -0.5f, 0.5f, &rng);
            const float *r = with_res ? res : NULL;
            kt->f32_layernorm(rows, n, x, ld, r, ld, g, b, 1e-12f, y, ld);
            double *tol = test_alloc(n * sizeof(double));
            for (size_t row = 0; row < rows; row++) {
                rtj_f32_layernorm__ref(n, x + row * ld, r ? r + row * ld : NULL, g, b, 1e-12f, ref);
                rtj_f32_layernorm_bound(n, x + row * ld, r ? r + row * ld : NULL, g, b, 1e-12f, tol);
                for (size_t j = 0; j < n; j++) {
                    if (n == 1) /* one value: var = 0, y = beta exactly up to eps */
                        tol[j] = 1e-5;
                    cr_assert(fabs(y[row * ld + j] - ref[j]) <= tol[j],
                              "%s layernorm n=%zu res=%d row %zu: y[%zu] = %.9g, reference %.9g (tol %.3g)",
                              kt->name, n, with_res, row, j, y[row * ld + j], ref[j], tol[j]);
                }
            }
            free(tol);
            free(x), free(res), free(g), free(b), free(y), free(ref);
        }
}

/* Embedding gather-sum: two float additions, |err| <= 2 u (|w| + |p| + |t|). */
TEST_EACH_ISA(f32_elementwise, embed)
{
    test_rng rng = {9};
    const size_t hiddens[] = {1024, 312, 26, 17, 1};
    for (size_t h = 0; h < sizeof hiddens / sizeof hiddens[0]; h++) {
        const size_t hidden = hiddens[h], vocab = 50, npos = 40, seq = 13, ldo = hidden + 1;
        float *word = test_alloc(vocab * hidden * sizeof(float)), *pos = test_alloc(npos * hidden * sizeof(float));
        float *type = test_alloc(2 * hidden * sizeof(float)), *out = test_alloc(seq * ldo * sizeof(float));
        double *ref = test_alloc(seq * hidden * sizeof(double));
        fill_uniform(word, vocab * hidden, -1, 1, &rng);
        fill_uniform(pos, npos * hidden, -1, 1, &rng);
        fill_uniform(type, 2 * hidden, -1, 1, &rng);
        int32_t ids[13], types[13];
        for (size_t t = 0; t < seq; t++) {
            ids[t] = (int32_t)(rng_next(&rng) % vocab);
            types[t] = t > 6;
        }
        for (int with_types = 0; with_types < 2; with_types++) {
            const int32_t *ty = with_types ? types : NULL;
            kt->f32_embed(seq, ids, ty, 5, word, pos, type, hidden, out, ldo);
            rtj_f32_embed__ref(seq, ids, ty, 5, word, pos, type, hidden, ref);
            for (size_t t = 0; t < seq; t++)
                for (size_t i = 0; i < hidden; i++)
                    cr_assert(fabs(out[t * ldo + i] - ref[t * hidden + i]) <= 6 * U_F32,
                              "%s embed hidden=%zu token %zu [%zu]", kt->name, hidden, t, i);
        }
        free(word), free(pos), free(type), free(out), free(ref);
    }
}
