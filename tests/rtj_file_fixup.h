/* Test-only: rewrites an .rtj file's file_size and checksums to match its bytes, so that a test (or the
 * fuzz harness) can change a tensor and reach the checks behind the checksums. Format: model/rtj_file.h. */
#ifndef RTJ_FILE_FIXUP_H
#define RTJ_FILE_FIXUP_H

#include <string.h>

#include "../model/rtj_file.h"

/* Does nothing to bytes that are not an .rtj header with a data offset inside them. */
static inline void rtj_file_fix_checksums(unsigned char *b, size_t size)
{
    file_header hd;
    if (size < sizeof hd)
        return;
    memcpy(&hd, b, sizeof hd);
    if (memcmp(hd.magic, RTJ_FILE_MAGIC, 8) != 0 || hd.data_offset < sizeof hd || hd.data_offset > size)
        return;
    hd.file_size = size;
    if (hd.version >= 2) {
        hd.data_checksum = rtj_data_checksum(b + hd.data_offset, size - hd.data_offset, 1);
    }
    hd.checksum = 0;
    memcpy(b, &hd, sizeof hd);
    hd.checksum = fnv1a(FNV_OFFSET, b, (size_t)hd.data_offset);
    memcpy(b, &hd, sizeof hd);
}

#endif
