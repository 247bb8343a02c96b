/* data/npy.h: NumPy .npy files (format versions 1.0, 2.0 and 3.0; dtypes <f4, <f8 and |u1, also
 * read as <u1). Fortran-ordered arrays are converted to C order on reading. The header must be the dict
 * literal NumPy writes (keys descr, fortran_order and shape, in any order) and the body exactly
 * the array's bytes. Little-endian hosts only. Returns 0 or -1 with a one-line message in err that
 * names the file. */
#ifndef WB_DATA_NPY_H
#define WB_DATA_NPY_H

#include <stddef.h>

#define NPY_MAX_DIMS 8

enum npy_dtype { NPY_F32, NPY_U8, NPY_F64 };

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

/* Writes a C-order array (version 1.0 header unless the header needs 2.0), whole or not at all
 * (base/fileio.h's atomic_file). */
int npy_write(const char *path, enum npy_dtype dtype, int ndim, const size_t *shape, const void *data,
              char *err, size_t errlen);

/* Reads an (N, H, W, 3) image array as float32 in [0, 1] (uint8 is divided by 255, float64
 * rounded to float32) into a malloc'ed buffer. Values outside [0, 1] or non-finite in a float
 * file are an error. */
int npy_read_images(const char *path, float **x, size_t *n, int *h, int *w, char *err, size_t errlen);

/* The same for network inputs, whose float values need only be finite: unclipped noisy inputs
 * leave [0, 1]. */
int npy_read_inputs(const char *path, float **x, size_t *n, int *h, int *w, char *err, size_t errlen);
/* The same with float values also within [lo, hi] (a dataset's inputs: see dataset.h). */
int npy_read_inputs_within(const char *path, double lo, double hi, float **x, size_t *n, int *h,
                           int *w, char *err, size_t errlen);

void npy_free(npy_array *a);

#endif
