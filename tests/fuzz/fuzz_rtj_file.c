/* The .rtj loader (header, tensor table, checksums, offsets, metadata, vocabulary) on arbitrary bytes,
 * from an exact-size buffer so that ASan sees any read past the end (an mmap would hide one within the
 * last page). Seeds are real .rtj files (FP32 and INT8). Random bytes almost never match the checksums,
 * which would stop every input at them: so the harness rewrites file_size and both checksums to match the
 * mutated bytes, except for inputs whose length is 15 mod 16, which meet the checks as written. A model
 * that loads classifies a text (all exits): the forward pass on any finite weights must be safe too. */
#include <stdlib.h>
#include <string.h>

#include "../../model/model.h"
#include "../rtj_file_fixup.h"
#include "fuzz.h"

static void load_and_run(const uint8_t *buf, size_t size, rtj_dtype dtype)
{
    rtj_model *m = calloc(1, sizeof *m);
    FUZZ_CHECK(m != NULL, "out of memory");
    m->kt = rtj_kernels_get();
    m->dtype = dtype;
    m->threads = 1;
    rtj_error err;
    if (rtj_load_rtj_buffer(buf, size, "fuzz.rtj", m, &err) != RTJ_OK) {
        FUZZ_CHECK(err.message[0] != '\0', "a failed load must say why");
        rtj_model_free(m);
        return;
    }
    rtj_context *ctx;
    if (rtj_context_new(m, &ctx) == RTJ_OK) {
        rtj_classify_options o = {0.5f, 1};
        rtj_result r;
        if (rtj_classify(ctx, "a charming and often affecting journey", NULL, &o, &r) == RTJ_OK)
            FUZZ_CHECK(r.label_id >= 0 && r.label_id < r.num_labels && r.exit_index >= 0, "result");
        rtj_context_free(ctx);
    }
    rtj_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, RTJ_FILE_ALIGN, size ? size : 1) != 0)
        return 0;
    memcpy(buf, data, size);
    if (size % 16 != 15)
        rtj_file_fix_checksums(buf, size);
    /* An INT8 file loads as INT8 only; an FP32 one both ways (INT8: quantized at load). */
    file_header hd;
    const int int8_file = size >= sizeof hd && (memcpy(&hd, buf, sizeof hd), hd.dtype == RTJ_DTYPE_INT8);
    if (!int8_file)
        load_and_run(buf, size, RTJ_DTYPE_FP32);
    load_and_run(buf, size, RTJ_DTYPE_INT8);
    free(buf);
    return 0;
}
