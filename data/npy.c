/* data/npy.c: NumPy .npy reading and writing.
 *
 * File layout: "\x93NUMPY", major and minor version bytes, the header length (2 bytes little-endian
 * in version 1.0, 4 bytes in 2.0 and 3.0), the header (a Python dict literal padded with spaces and
 * ending in a newline), then the array's bytes. The header is parsed by hand with a cursor that
 * checks every access against the header's end, because npy_parse is a fuzzing target: no byte
 * sequence may make it read out of bounds, overflow a size or allocate more than the file holds. */
#include "data/npy.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c reads and writes little-endian float32 by copying bytes: port it for this host"
#endif

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

size_t npy_count(const npy_array *a)
{
    size_t n = 1;
    for (int i = 0; i < a->ndim; i++)
        n *= a->shape[i];
    return n;
}

static size_t dtype_size(enum npy_dtype dtype)
{
    return dtype == NPY_F64 ? 8 : dtype == NPY_F32 ? 4 : 1;
}

/* "(2, 3)", "(5,)" or "()" */
static void format_shape(char *out, size_t outlen, const size_t *shape, int ndim)
{
    size_t used = (size_t)snprintf(out, outlen, "(");
    for (int i = 0; i < ndim && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, i ? ", %zu" : "%zu", shape[i]);
    if (used < outlen)
        snprintf(out + used, outlen - used, ndim == 1 ? ",)" : ")");
}

/* ---- the header's dict literal ---- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Skips blanks, then consumes `ch` if it comes next. */
static int accept(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string without escapes, shorter than outlen. */
static int parse_string(cursor *c, char *out, size_t outlen)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return -1;
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || n + 1 >= outlen)
            return -1;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return -1;
    c->p++;
    out[n] = '\0';
    return 0;
}

static int parse_bool(cursor *c, int *value)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        *value = 1;
        c->p += 4;
    } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        *value = 0;
        c->p += 5;
    } else {
        return -1;
    }
    return 0;
}

/* A tuple of non-negative integers: "()", "(5,)", "(2, 3)", "(2, 3,)". "(5)" is an int in Python,
 * not a tuple, and is refused as NumPy refuses it. */
static int parse_shape(cursor *c, size_t *shape, int *ndim, const char **why)
{
    *why = "shape is not a tuple of integers";
    if (!accept(c, '('))
        return -1;
    int n = 0, comma_after_last = 0;
    while (!accept(c, ')')) {
        if (n > 0 && !comma_after_last)
            return -1;
        if (n == NPY_MAX_DIMS) {
            *why = "more than 8 dimensions";
            return -1;
        }
        skip_space(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return -1;
        size_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            size_t digit = (size_t)(*c->p - '0');
            if (v > (SIZE_MAX - digit) / 10) {
                *why = "a dimension overflows";
                return -1;
            }
            v = v * 10 + digit;
            c->p++;
        }
        shape[n++] = v;
        comma_after_last = accept(c, ',');
    }
    if (n == 1 && !comma_after_last)
        return -1;
    *ndim = n;
    return 0;
}

static int parse_descr(const char *descr, enum npy_dtype *dtype)
{
    if (strcmp(descr, "<f4") == 0)
        *dtype = NPY_F32;
    else if (strcmp(descr, "<f8") == 0)
        *dtype = NPY_F64;
    else if (strcmp(descr, "|u1") == 0 || strcmp(descr, "<u1") == 0)
        *dtype = NPY_U8;
    else
        return -1;
    return 0;
}

/* Parses the dict into dtype, fortran order and shape. On failure writes the reason to err. */
static int parse_header(cursor *c, const char *name, enum npy_dtype *dtype, int *fortran,
                        size_t *shape, int *ndim, char *err, size_t errlen)
{
    const char *why = "header is not a dict";
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!accept(c, '{'))
        goto bad;
    while (!accept(c, '}')) {
        char key[32], descr[32];
        why = "header is not a dict of descr, fortran_order and shape";
        if (parse_string(c, key, sizeof key) != 0 || !accept(c, ':'))
            goto bad;
        if (strcmp(key, "descr") == 0 && !have_descr) {
            why = "descr is not a simple dtype string";
            if (parse_string(c, descr, sizeof descr) != 0)
                goto bad;
            if (parse_descr(descr, dtype) != 0) {
                snprintf(err, errlen, "%s: dtype '%s' is not supported (expected '<f4' float32, "
                         "'<f8' float64 or '|u1' uint8)", name, descr);
                return -1;
            }
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            why = "fortran_order is not True or False";
            if (parse_bool(c, fortran) != 0)
                goto bad;
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (parse_shape(c, shape, ndim, &why) != 0)
                goto bad;
            have_shape = 1;
        } else {
            why = "unknown or repeated key in header";
            goto bad;
        }
        if (accept(c, ','))
            continue;
        why = "header is not a dict";
        if (!accept(c, '}'))
            goto bad;
        break;
    }
    why = "header lacks descr, fortran_order or shape";
    if (!have_descr || !have_order || !have_shape)
        goto bad;
    skip_space(c);
    why = "text after the header's dict";
    if (c->p != c->end)
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "%s: bad .npy header: %s", name, why);
    return -1;
}

/* Copies a Fortran-ordered (first index fastest) array into C order (last index fastest). */
static void fortran_to_c(const unsigned char *src, unsigned char *dst, const size_t *shape, int ndim,
                         size_t item, size_t count)
{
    size_t c_stride[NPY_MAX_DIMS], index[NPY_MAX_DIMS] = {0};
    c_stride[ndim - 1] = item;
    for (int k = ndim - 2; k >= 0; k--)
        c_stride[k] = c_stride[k + 1] * shape[k + 1];
    size_t offset = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(dst + offset, src + i * item, item);
        for (int k = 0; k < ndim; k++) {
            offset += c_stride[k];
            if (++index[k] < shape[k])
                break;
            offset -= c_stride[k] * shape[k];
            index[k] = 0;
        }
    }
}

int npy_parse(const void *buf, size_t len, const char *name, npy_array *a, char *err, size_t errlen)
{
    const unsigned char *bytes = buf;
    memset(a, 0, sizeof *a);
    if (len < 10 || memcmp(bytes, npy_magic, sizeof npy_magic) != 0) {
        snprintf(err, errlen, "%s: not a .npy file (bad magic)", name);
        return -1;
    }
    int major = bytes[6], minor = bytes[7];
    size_t prefix, header_len;
    if (major == 1 && minor == 0) {
        prefix = 10;
        header_len = (size_t)bytes[8] | (size_t)bytes[9] << 8;
    } else if ((major == 2 || major == 3) && minor == 0 && len >= 12) {
        prefix = 12;
        header_len = (size_t)bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 |
                     (size_t)bytes[11] << 24;
    } else {
        snprintf(err, errlen, "%s: .npy format version %d.%d is not supported", name, major, minor);
        return -1;
    }
    if (header_len > len - prefix) {
        snprintf(err, errlen, "%s: truncated .npy header", name);
        return -1;
    }
    cursor c = {(const char *)bytes + prefix, (const char *)bytes + prefix + header_len};
    enum npy_dtype dtype = NPY_F32;
    int fortran = 0, ndim = 0;
    size_t shape[NPY_MAX_DIMS];
    if (parse_header(&c, name, &dtype, &fortran, shape, &ndim, err, errlen) != 0)
        return -1;

    size_t item = dtype_size(dtype), count = 1, body = len - prefix - header_len;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] != 0 && count > SIZE_MAX / item / shape[i]) {
            snprintf(err, errlen, "%s: shape overflows", name);
            return -1;
        }
        count *= shape[i];
    }
    size_t nbytes = count * item;
    if (body < nbytes) {
        snprintf(err, errlen, "%s: truncated .npy body: %zu bytes of data, the shape needs %zu", name,
                 body, nbytes);
        return -1;
    }
    if (body > nbytes) {
        snprintf(err, errlen, "%s: %zu unexpected bytes after the .npy data", name, body - nbytes);
        return -1;
    }
    void *data = malloc(nbytes ? nbytes : 1);
    if (!data) {
        snprintf(err, errlen, "%s: out of memory for %zu bytes", name, nbytes);
        return -1;
    }
    const unsigned char *src = bytes + prefix + header_len;
    if (fortran && ndim > 1 && count > 0)
        fortran_to_c(src, data, shape, ndim, item, count);
    else if (nbytes)
        memcpy(data, src, nbytes);
    a->dtype = dtype;
    a->ndim = ndim;
    memcpy(a->shape, shape, sizeof(size_t) * (size_t)ndim);
    a->data = data;
    return 0;
}

int npy_read(const char *path, npy_array *a, char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    memset(a, 0, sizeof *a);
    if (file_read_all(path, &buf, &len, err, errlen) != 0)
        return -1;
    int rc = npy_parse(buf, len, path, a, err, errlen);
    free(buf);
    return rc;
}

void npy_free(npy_array *a)
{
    free(a->data);
    a->data = NULL;
}

/* ---- writing ---- */

int npy_write(const char *path, enum npy_dtype dtype, int ndim, const size_t *shape, const void *data,
              char *err, size_t errlen)
{
    if (ndim < 0 || ndim > NPY_MAX_DIMS) {
        snprintf(err, errlen, "%s: cannot write an array of %d dimensions", path, ndim);
        return -1;
    }
    size_t item = dtype_size(dtype), count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] != 0 && count > SIZE_MAX / item / shape[i]) {
            snprintf(err, errlen, "%s: shape overflows", path);
            return -1;
        }
        count *= shape[i];
    }
    /* The dict as NumPy writes it, then spaces and a newline so that the data starts at a
     * multiple of 64 bytes (NumPy's alignment). Eight dimensions of 20 digits fit in 1.0. */
    char dict[400], shape_text[256];
    format_shape(shape_text, sizeof shape_text, shape, ndim);
    int dict_len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                            dtype == NPY_F64 ? "<f8" : dtype == NPY_F32 ? "<f4" : "|u1",
                            shape_text);
    size_t prefix = 10;
    size_t header_len = ((prefix + (size_t)dict_len + 1 + 63) / 64) * 64 - prefix;
    if (header_len > 65535) {
        prefix = 12;
        header_len = ((prefix + (size_t)dict_len + 1 + 63) / 64) * 64 - prefix;
    }
    unsigned char start[12];
    memcpy(start, npy_magic, sizeof npy_magic);
    start[6] = prefix == 10 ? 1 : 2;
    start[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        start[8 + i] = (unsigned char)(header_len >> (8 * i));

    atomic_file t;
    if (atomic_file_open(&t, path, err, errlen) != 0)
        return -1;
    /* Writing stops at the first failure, which commit reports (and removes the file). */
    int ok = fwrite(start, 1, prefix, t.f) == prefix && fputs(dict, t.f) >= 0;
    for (size_t i = (size_t)dict_len; ok && i + 1 < header_len; i++)
        ok = fputc(' ', t.f) != EOF;
    if (ok && fputc('\n', t.f) != EOF && count > 0)
        fwrite(data, item, count, t.f);
    return atomic_file_commit(&t, err, errlen);
}

/* ---- images ---- */

/* Reads an (N, H, W, 3) array whose float values must be finite and within [lo, hi] (uint8 values
 * become v / 255, always within [0, 1]). */
static int read_image_array(const char *path, double lo, double hi, float **x, size_t *n, int *h,
                            int *w, char *err, size_t errlen)
{
    npy_array a;
    *x = NULL;
    *n = 0;
    *h = *w = 0;
    if (npy_read(path, &a, err, errlen) != 0)
        return -1;
    if (a.ndim != 4 || a.shape[3] != 3 || a.shape[1] == 0 || a.shape[2] == 0 ||
        a.shape[1] > 65536 || a.shape[2] > 65536) {
        char text[256];
        format_shape(text, sizeof text, a.shape, a.ndim);
        snprintf(err, errlen, "%s: expected an (N, H, W, 3) image array, got shape %s", path, text);
        npy_free(&a);
        return -1;
    }
    size_t count = npy_count(&a);
    float *values;
    if (a.dtype == NPY_U8) {
        values = malloc(sizeof *values * (count ? count : 1));
        if (!values) {
            snprintf(err, errlen, "%s: out of memory", path);
            npy_free(&a);
            return -1;
        }
        const unsigned char *u8 = a.data;
        for (size_t i = 0; i < count; i++)
            values[i] = (float)u8[i] / 255.0f;
        npy_free(&a);
    } else {
        /* float64 is converted to float32 (NumPy's default dtype is float64): each value is
         * checked as stored, then must also fit a float. */
        const double *f64 = a.dtype == NPY_F64 ? a.data : NULL;
        values = f64 ? malloc(sizeof *values * (count ? count : 1)) : a.data;
        if (!values) {
            snprintf(err, errlen, "%s: out of memory", path);
            npy_free(&a);
            return -1;
        }
        for (size_t i = 0; i < count; i++) {
            const double v = f64 ? f64[i] : values[i];
            const int fits = isfinite(v) && fabs(v) <= FLT_MAX;
            if (!fits || !(v >= lo && v <= hi)) {
                char range[64];
                snprintf(range, sizeof range, "outside [%g, %g]", lo, hi);
                snprintf(err, errlen, "%s: value %g at index %zu is %s", path, v, i,
                         !isfinite(v) ? "not finite" : !fits ? "too large for float32" : range);
                if (f64)
                    free(values);
                npy_free(&a);
                return -1;
            }
            if (f64)
                values[i] = (float)v;
        }
        if (f64)
            npy_free(&a);
    }
    *x = values;
    *n = a.shape[0];
    *h = (int)a.shape[1];
    *w = (int)a.shape[2];
    return 0;
}

int npy_read_images(const char *path, float **x, size_t *n, int *h, int *w, char *err, size_t errlen)
{
    return read_image_array(path, 0.0, 1.0, x, n, h, w, err, errlen);
}

int npy_read_inputs(const char *path, float **x, size_t *n, int *h, int *w, char *err, size_t errlen)
{
    return read_image_array(path, -HUGE_VAL, HUGE_VAL, x, n, h, w, err, errlen);
}

int npy_read_inputs_within(const char *path, double lo, double hi, float **x, size_t *n, int *h,
                           int *w, char *err, size_t errlen)
{
    return read_image_array(path, lo, hi, x, n, h, w, err, errlen);
}
