/* A validating safetensors reader. The file is mapped read-only and never copied: tensors point into
 * the mapping, which lives until rtj_st_close.
 *
 * Layout: u64 little-endian header length N (at most 100 MiB and at most file size - 8), N bytes of
 * JSON (an object: tensor name -> {"dtype", "shape", "data_offsets": [begin, end]}, plus an optional
 * "__metadata__" string -> string map), then the data. Checked: the JSON is strict (rtj_json.h: duplicate
 * names are duplicate keys); dtype is one of the ten below (others are rejected by name); shape is at
 * most 8 non-negative integers; begin <= end <= data size; end - begin == numel * dtype size without
 * overflow; no two tensors share a byte (empty tensors share none). Gaps between tensors and bytes after
 * the last one are allowed. Keys of an entry other than the three are ignored, as the reference reader
 * does. Names and metadata with an embedded NUL are rejected: lookups take C strings.
 *
 * Little-endian hosts only (the data is little-endian and is read in place). */
#ifndef RTJ_MODEL_SAFETENSORS_H
#define RTJ_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RTJ_ST_F32,
    RTJ_ST_F16,
    RTJ_ST_BF16,
    RTJ_ST_F64,
    RTJ_ST_I64,
    RTJ_ST_I32,
    RTJ_ST_I16,
    RTJ_ST_I8,
    RTJ_ST_U8,
    RTJ_ST_BOOL
} rtj_st_dtype;

#define RTJ_ST_MAX_DIMS 8
#define RTJ_ST_MAX_HEADER ((uint64_t)100 << 20)

typedef struct {
    char *name;
    rtj_st_dtype dtype;
    size_t ndim;
    int64_t shape[RTJ_ST_MAX_DIMS];
    size_t numel;     /* product of shape (1 for a scalar, shape []) */
    const void *data; /* into the file; may be unaligned: read with memcpy */
    size_t nbytes;    /* numel * dtype size */
} rtj_st_tensor;

typedef struct {
    char *key, *value;
} rtj_st_meta;

/* Why rtj_st_open failed, for the loader's status code (RTJ_ERR_IO / RTJ_ERR_FORMAT / RTJ_ERR_NOMEM). */
typedef enum {
    RTJ_ST_FAULT_NONE,
    RTJ_ST_FAULT_IO,     /* open, fstat, mmap failed, or not a regular file */
    RTJ_ST_FAULT_FORMAT, /* the bytes are not a valid safetensors file */
    RTJ_ST_FAULT_NOMEM
} rtj_st_fault;

typedef struct rtj_safetensors {
    void *map;       /* the file's mapping (NULL after rtj_st_open_memory: not ours to unmap) */
    size_t map_size;
    size_t count;
    rtj_st_tensor *tensors; /* sorted by name (bytewise), for bsearch */
    size_t metadata_count;
    rtj_st_meta *metadata;  /* "__metadata__", sorted by key */
    rtj_st_fault fault;     /* set by rtj_st_open / rtj_st_open_memory */
    /* private */
    char *strings; /* one block holding every name, key and value */
} rtj_safetensors;

/* 0, or -1 with out->fault set, out holding nothing (rtj_st_close on it is harmless) and a one-line
 * message in err. I/O messages name the path; format messages name the tensor and the fault (JSON
 * positions in them count from the first byte of the header, i.e. file offset - 8).
 * io_error (may be NULL) is set to 1 for an I/O failure (RTJ_ST_FAULT_IO), else 0. */
int rtj_st_open(const char *path, rtj_safetensors *out, char *err, size_t errlen, int *io_error);
/* The same checks on a caller's buffer, which must outlive out (for tests and fuzzing). */
int rtj_st_open_memory(const void *buf, size_t size, rtj_safetensors *out, char *err, size_t errlen);
void rtj_st_close(rtj_safetensors *st);

/* O(log n); NULL if absent. */
const rtj_st_tensor *rtj_st_find(const rtj_safetensors *st, const char *name);
/* "__metadata__" value of key, or NULL. */
const char *rtj_st_metadata(const rtj_safetensors *st, const char *key);

/* Widens t's numel elements into out: F32 (copy), F16 (IEEE binary16: subnormals, inf and NaN with
 * its payload kept) and BF16 are exact in float. -1 for other dtypes. */
int rtj_st_to_f32(const rtj_st_tensor *t, float *out);
float rtj_st_f16_to_f32(uint16_t h);

const char *rtj_st_dtype_name(rtj_st_dtype dtype);
size_t rtj_st_dtype_size(rtj_st_dtype dtype);

#endif
