/* The safetensors reader (model/safetensors.h) on arbitrary bytes. Invariants: an open either fails with
 * a message or gives tensors whose bytes lie inside the data section and match dtype x shape, that no
 * two share a byte, that each is found by name; F32/F16/BF16 tensors convert. */
#include <string.h>

#include "../../model/safetensors.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rtj_safetensors st;
    char msg[256];
    if (rtj_st_open_memory(data, size, &st, msg, sizeof msg) != 0) {
        FUZZ_CHECK(msg[0] != '\0' && st.fault != RTJ_ST_FAULT_NONE, "a failed open must say why");
        rtj_st_close(&st);
        return 0;
    }
    float *buf = NULL;
    size_t buf_len = 0, total = 0;
    for (size_t i = 0; i < st.count; i++) {
        const rtj_st_tensor *t = &st.tensors[i];
        const uint8_t *p = t->data;
        FUZZ_CHECK(p >= data + 8 && p + t->nbytes <= data + size, "tensor '%s' outside the input", t->name);
        FUZZ_CHECK(t->nbytes == t->numel * rtj_st_dtype_size(t->dtype), "tensor '%s' byte size", t->name);
        FUZZ_CHECK(rtj_st_find(&st, t->name) == t, "tensor '%s' not found by name", t->name);
        total += t->nbytes;
        FUZZ_CHECK(total <= size, "tensors hold more bytes than the input: they overlap");
        if (t->dtype == RTJ_ST_F32 || t->dtype == RTJ_ST_F16 || t->dtype == RTJ_ST_BF16) {
            if (t->numel > buf_len) {
                free(buf);
                buf = malloc(t->numel * sizeof(float));
                buf_len = buf ? t->numel : 0;
                FUZZ_CHECK(buf != NULL, "out of memory for %zu floats", t->numel);
            }
            FUZZ_CHECK(rtj_st_to_f32(t, buf) == 0, "tensor '%s' does not convert", t->name);
        } else {
            FUZZ_CHECK(rtj_st_to_f32(t, buf) != 0, "dtype %s converted", rtj_st_dtype_name(t->dtype));
        }
    }
    for (size_t i = 0; i < st.metadata_count; i++)
        FUZZ_CHECK(rtj_st_metadata(&st, st.metadata[i].key) == st.metadata[i].value, "metadata key %zu", i);
    free(buf);
    rtj_st_close(&st);
    return 0;
}
