/* data/npy.h: NumPy .npy files (format versions 1.0 and 2.0; dtypes <f4 and |u1).
 * Fortran-ordered arrays are converted to C order on reading. Returns 0 or -1 with err set. */
#ifndef WB_DATA_NPY_H
#define WB_DATA_NPY_H

#include <stddef.h>

#define NPY_MAX_DIMS 8

enum npy_dtype { NPY_F32, NPY_U8 };

typedef struct npy_array {
    enum npy_dtype dtype;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    void *data;   /* C order, malloc'ed */
} npy_array;

size_t npy_count(const npy_array *a);

/* Parses a whole .npy file held in memory (also the fuzzing entry point). `name` is only used
 * in messages. */
int npy_parse(const void *buf, size_t len, const char *name, npy_array *a, char *err, size_t errlen);
int npy_read(const char *path, npy_array *a, char *err, size_t errlen);

/* Writes a C-order array (version 1.0 header unless the header needs 2.0), via a temporary file
 * renamed into place. */
int npy_write(const char *path, enum npy_dtype dtype, int ndim, const size_t *shape, const void *data,
              char *err, size_t errlen);

/* Reads an (N, H, W, 3) image array as float32 in [0, 1] (uint8 is divided by 255). Values outside
 * [0, 1] in a float file are an error. */
int npy_read_images(const char *path, float **x, size_t *n, int *h, int *w, char *err, size_t errlen);

void npy_free(npy_array *a);

#endif
