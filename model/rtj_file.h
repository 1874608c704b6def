/* The .rtj file layout shared by its writer (rtj_file.c) and reader (rtj_file_load.c); the format is
 * described at the top of rtj_file.c. Internal. */
#ifndef RTJ_FILE_H
#define RTJ_FILE_H

#include <stddef.h>
#include <stdint.h>

#define RTJ_FILE_MAGIC "RTJMODEL"
/* Version 2 adds data_checksum (a checksum of every byte from data_offset to the end); version 1 files,
 * whose weights nothing checks, still load. */
#define RTJ_FILE_VERSION 2u
#define RTJ_FILE_VERSION_MIN 1u
#define RTJ_FILE_ALIGN 64

typedef struct file_header {
    char magic[8];
    uint32_t version, dtype;
    uint64_t file_size;
    uint64_t meta_offset, meta_size;
    uint64_t vocab_offset, vocab_size;
    uint64_t table_offset, table_count;
    uint64_t data_offset;
    uint64_t checksum;
    uint32_t f32_nr, f32_kc;
    uint64_t data_checksum; /* version 2: rtj_data_checksum of [data_offset, file_size); 0 in version 1 */
    uint8_t reserved[128 - 104];
} file_header;

enum entry_kind { KIND_F32 = 1, KIND_F32_PACKED = 2, KIND_I8_PACKED = 3, KIND_I32 = 4, KIND_I8 = 5 };

typedef struct file_entry {
    char name[80];
    uint64_t offset, bytes;
    uint32_t kind, reserved;
    uint64_t n, k;
    uint64_t reserved2;
} file_entry;

_Static_assert(sizeof(file_header) == 128, "header is 128 bytes");
_Static_assert(sizeof(file_entry) == 128, "entry is 128 bytes");

static inline uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
#define FNV_OFFSET 0xcbf29ce484222325ull

/* The weights' checksum (rtj_sum.c), streamed: init, update over the bytes in order, final. */
typedef struct rtj_sum {
    uint64_t lane[4];
    uint64_t total;
    unsigned char buf[32];
    size_t pending;
} rtj_sum;
void rtj_sum_init(rtj_sum *s);
void rtj_sum_update(rtj_sum *s, const void *data, size_t len);
uint64_t rtj_sum_final(const rtj_sum *s);

/* The data checksum of version 2: rtj_sum of each RTJ_SUM_CHUNK-byte chunk (the last may be shorter),
 * then rtj_sum of those sums as little-endian 8-byte words, in order. Streamed by the writer; computed on
 * up to `threads` threads (the chunks are independent) by the loader. */
#define RTJ_SUM_CHUNK ((size_t)4 << 20)
typedef struct rtj_data_sum {
    rtj_sum chunk, sums;
    size_t in_chunk;
} rtj_data_sum;
void rtj_data_sum_init(rtj_data_sum *d);
void rtj_data_sum_update(rtj_data_sum *d, const void *data, size_t len);
uint64_t rtj_data_sum_final(const rtj_data_sum *d);
uint64_t rtj_data_checksum(const void *data, size_t len, int threads);

#endif
