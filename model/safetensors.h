/* model/safetensors.h: the safetensors format (F32, little-endian), as PyTorch's
 * safetensors.torch.load_file reads it: 8-byte little-endian header length, a JSON header
 * (tensors sorted by name, "__metadata__" with string values), padded with spaces to 8 bytes,
 * then the data. */
#ifndef WB_MODEL_SAFETENSORS_H
#define WB_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8
/* The most tensors (and metadata entries) a file read may hold: a wb optimizer file of depth 3
 * has 77; anything past this is refused before its tensors are looked at. */
#define ST_MAX_TENSORS 4096

typedef struct st_tensor {
    const char *name;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const float *data;
} st_tensor;

typedef struct st_meta {
    const char *key, *value;
} st_meta;

/* Writes the file whole or not at all, durable once it returns 0 (base/fileio.h's atomic_file). */
int safetensors_write(const char *path, const st_tensor *t, size_t nt, const st_meta *meta,
                      size_t nmeta, char *err, size_t errlen);

typedef struct st_file {
    void *buf;              /* every tensor's data, copied out of the file (aligned) */
    size_t len;             /* bytes in buf */
    size_t nt;
    st_tensor *tensors;     /* names point into the parsed header, data into buf */
    size_t nmeta;
    st_meta *meta;
    void *json;             /* the parsed header */
} st_file;

/* Validates everything (JSON, at most ST_MAX_TENSORS tensors, dtypes, shapes, offsets within the
 * file, no repeated name, no overlap) in time n log n for n tensors. */
int safetensors_parse(const void *buf, size_t len, const char *name, st_file *f, char *err,
                      size_t errlen);
int safetensors_read(const char *path, st_file *f, char *err, size_t errlen);
const st_tensor *safetensors_find(const st_file *f, const char *name);
const char *safetensors_meta(const st_file *f, const char *key);
void safetensors_free(st_file *f);

#endif
