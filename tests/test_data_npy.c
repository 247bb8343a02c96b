/* tests/test_data_npy.c: .npy round trips, hand-built version 2.0 / 3.0 and Fortran-order files,
 * every error the reader reports, and robustness of npy_parse against damaged bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/npy.h"
#include "support/mutate.h"
#include "support/tempdir.h"

typedef tempdir_fixture fixture;

/* A .npy file built by hand: version bytes, header text (padded to a multiple of 64 with spaces
 * and a newline), body. Returns the malloc'ed bytes. */
static unsigned char *build_npy(int major, const char *dict, const void *body, size_t body_len,
                                size_t *len)
{
    size_t prefix = major == 1 ? 10 : 12;
    size_t header_len = ((prefix + strlen(dict) + 1 + 63) / 64) * 64 - prefix;
    *len = prefix + header_len + body_len;
    unsigned char *b = malloc(*len);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        b[8 + i] = (unsigned char)(header_len >> (8 * i));
    memset(b + prefix, ' ', header_len);
    memcpy(b + prefix, dict, strlen(dict));
    b[prefix + header_len - 1] = '\n';
    if (body_len)
        memcpy(b + prefix + header_len, body, body_len);
    return b;
}

static void write_bytes(const char *path, const void *b, size_t len)
{
    assert_int_equal(tempdir_write_file(path, b, len), 0);
}

static void round_trip_float32(void **state)
{
    fixture *f = *state;
    char path[4096];
    tempdir_join(path, f->dir, "a.npy");
    size_t shape[4] = {3, 4, 5, 3};
    float data[180];
    for (int i = 0; i < 180; i++)
        data[i] = (float)(i * 0.37 - 20.0) / 7.0f;
    data[5] = -0.0f;
    data[6] = 1e-40f;   /* subnormal */
    assert_int_equal(npy_write(path, NPY_F32, 4, shape, data, f->err, sizeof f->err), 0);

    npy_array a;
    assert_int_equal(npy_read(path, &a, f->err, sizeof f->err), 0);
    assert_int_equal(a.dtype, NPY_F32);
    assert_int_equal(a.ndim, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(a.shape[i], shape[i]);
    assert_int_equal(npy_count(&a), 180);
    assert_memory_equal(a.data, data, sizeof data);
    npy_free(&a);

    /* The header is NumPy's: version 1.0, data aligned to 64 bytes, text ending in a newline. */
    FILE *fp = fopen(path, "rb");
    unsigned char head[10];
    assert_int_equal(fread(head, 1, 10, fp), 10);
    fclose(fp);
    assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
    size_t header_len = head[8] | (size_t)head[9] << 8;
    assert_int_equal((10 + header_len) % 64, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, 10 + header_len + sizeof data);
    /* No temporary file (hidden: .a.npy.tmp.<pid>.<n>) is left behind. */
    char names[256];
    assert_string_equal(tempdir_list(f->dir, names, sizeof names), "a.npy");
}

static void round_trip_uint8_and_small_ranks(void **state)
{
    fixture *f = *state;
    char path[4096];
    tempdir_join(path, f->dir, "b.npy");
    unsigned char bytes[2 * 2 * 2 * 3];
    for (int i = 0; i < 24; i++)
        bytes[i] = (unsigned char)(i * 11);
    size_t shape4[4] = {2, 2, 2, 3};
    assert_int_equal(npy_write(path, NPY_U8, 4, shape4, bytes, f->err, sizeof f->err), 0);
    npy_array a;
    assert_int_equal(npy_read(path, &a, f->err, sizeof f->err), 0);
    assert_int_equal(a.dtype, NPY_U8);
    assert_memory_equal(a.data, bytes, sizeof bytes);
    npy_free(&a);

    /* Rank 1 ("(5,)"), rank 0 ("()") and an empty array keep their shapes. */
    size_t shape1[1] = {5};
    assert_int_equal(npy_write(path, NPY_U8, 1, shape1, bytes, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read(path, &a, f->err, sizeof f->err), 0);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 5);
    assert_memory_equal(a.data, bytes, 5);
    npy_free(&a);
    float scalar = 0.25f;
    assert_int_equal(npy_write(path, NPY_F32, 0, NULL, &scalar, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read(path, &a, f->err, sizeof f->err), 0);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(npy_count(&a), 1);
    assert_true(*(float *)a.data == 0.25f);
    npy_free(&a);
    size_t empty[4] = {0, 8, 8, 3};
    assert_int_equal(npy_write(path, NPY_F32, 4, empty, NULL, f->err, sizeof f->err), 0);
    float *x;
    size_t n;
    int h, w;
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(h, 8);
    free(x);
}

static void version_2_and_3_headers(void **state)
{
    fixture *f = *state;
    float body[6] = {0, 1, 2, 3, 4, 5};
    for (int major = 2; major <= 3; major++) {
        size_t len;
        unsigned char *b = build_npy(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                     body, sizeof body, &len);
        char path[4096];
        tempdir_join(path, f->dir, "v2.npy");
        write_bytes(path, b, len);
        free(b);
        npy_array a;
        assert_int_equal(npy_read(path, &a, f->err, sizeof f->err), 0);
        assert_int_equal(a.ndim, 2);
        assert_int_equal(a.shape[0], 2);
        assert_int_equal(a.shape[1], 3);
        assert_memory_equal(a.data, body, sizeof body);
        npy_free(&a);
    }
    /* Keys in another order, double quotes, no trailing comma, a trailing comma in the shape. */
    size_t len;
    unsigned char *b = build_npy(1, "{\"shape\": (2, 3,), \"fortran_order\": False, \"descr\": \"<f4\"}",
                                 body, sizeof body, &len);
    npy_array a;
    assert_int_equal(npy_parse(b, len, "mem", &a, f->err, sizeof f->err), 0);
    assert_memory_equal(a.data, body, sizeof body);
    npy_free(&a);
    free(b);
}

static void fortran_order_becomes_c_order(void **state)
{
    fixture *f = *state;
    /* (2, 3, 4) with value 100 i + 10 j + k at (i, j, k), stored first index fastest. */
    float body[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                body[i + 2 * (j + 3 * k)] = (float)(100 * i + 10 * j + k);
    size_t len;
    unsigned char *b = build_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }", body,
                                 sizeof body, &len);
    npy_array a;
    assert_int_equal(npy_parse(b, len, "fortran.npy", &a, f->err, sizeof f->err), 0);
    free(b);
    const float *c = a.data;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                assert_true(c[(i * 3 + j) * 4 + k] == (float)(100 * i + 10 * j + k));
    npy_free(&a);

    /* uint8, 2-D: the transpose of the stored bytes. */
    unsigned char u[6] = {1, 2, 3, 4, 5, 6};   /* columns (1, 2), (3, 4), (5, 6) of a 2x3 array */
    b = build_npy(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", u, sizeof u, &len);
    assert_int_equal(npy_parse(b, len, "fortran.npy", &a, f->err, sizeof f->err), 0);
    free(b);
    unsigned char expected[6] = {1, 3, 5, 2, 4, 6};
    assert_memory_equal(a.data, expected, 6);
    npy_free(&a);
}

/* Parses bytes that must be refused, with a message naming the file and containing `needle`. */
static void expect_parse_error(const unsigned char *b, size_t len, const char *needle)
{
    npy_array a;
    char err[512] = "";
    assert_int_equal(npy_parse(b, len, "bad.npy", &a, err, sizeof err), -1);
    assert_null(a.data);
    if (!strstr(err, "bad.npy") || !strstr(err, needle))
        fail_msg("message '%s' lacks '%s'", err, needle);
}

static void expect_dict_error(const char *dict, size_t body_len, const char *needle)
{
    unsigned char body[64] = {0};
    size_t len;
    unsigned char *b = build_npy(1, dict, body, body_len, &len);
    expect_parse_error(b, len, needle);
    free(b);
}

static void header_errors(void **state)
{
    (void)state;
    expect_dict_error("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16, "'<i8'");
    expect_dict_error("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 2, "'|b1'");
    expect_dict_error("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "'>f4'");
    expect_dict_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "descr");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "shape");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8, "shape");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", 4,
                      "dimensions");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", 8,
                      "overflow");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", 8,
                      "overflow");
    expect_dict_error("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8, "fortran_order");
    expect_dict_error("{'descr': '<f4', 'shape': (2,), }", 8, "lacks");
    expect_dict_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8,
                      "repeated");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8, "unknown");
    expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8, "after");
    expect_dict_error("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", 8, "<f4");
    expect_dict_error("['descr', '<f4']", 8, "dict");

    /* Bad magic, unknown version, header longer than the file, truncated and overlong bodies. */
    float body[2] = {0, 0};
    size_t len;
    unsigned char *b = build_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", body,
                                 sizeof body, &len);
    expect_parse_error(b, len - 1, "truncated .npy body");
    b[1] = 'X';
    expect_parse_error(b, len, "bad magic");
    b[1] = 'N';
    expect_parse_error(b, 9, "bad magic");
    b[6] = 4;
    expect_parse_error(b, len, "version 4.0");
    b[6] = 1;
    b[9] = 0x7f;
    expect_parse_error(b, len, "truncated .npy header");
    free(b);
    b = build_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", body, sizeof body, &len);
    expect_parse_error(b, len, "unexpected bytes");
    free(b);
}

static void image_arrays(void **state)
{
    fixture *f = *state;
    char path[4096];
    tempdir_join(path, f->dir, "img.npy");
    float *x;
    size_t n;
    int h, w;

    unsigned char u8[2 * 2 * 1 * 3];
    for (int i = 0; i < 12; i++)
        u8[i] = (unsigned char)(i * 23);
    size_t shape[4] = {2, 2, 1, 3};
    assert_int_equal(npy_write(path, NPY_U8, 4, shape, u8, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(h, 2);
    assert_int_equal(w, 1);
    for (int i = 0; i < 12; i++)
        assert_true(x[i] == (float)u8[i] / 255.0f);
    free(x);

    /* Floats outside [0, 1] are refused as targets but accepted as inputs; NaN never. */
    float values[12] = {0, 0.5f, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    values[7] = 1.5f;
    assert_int_equal(npy_write(path, NPY_F32, 4, shape, values, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_null(x);
    assert_non_null(strstr(f->err, path));
    assert_non_null(strstr(f->err, "outside [0, 1]"));
    assert_int_equal(npy_read_inputs(path, &x, &n, &h, &w, f->err, sizeof f->err), 0);
    assert_true(x[7] == 1.5f);
    free(x);
    values[7] = NAN;
    assert_int_equal(npy_write(path, NPY_F32, 4, shape, values, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_inputs(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not finite"));

    /* float64 (NumPy's default) is converted, not refused: rounded to float32, with the same
     * checks, and a value beyond float32's range is named as such. */
    double d64[12];
    for (int i = 0; i < 12; i++)
        d64[i] = i / 11.0;
    assert_int_equal(npy_write(path, NPY_F64, 4, shape, d64, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < 12; i++)
        assert_true(x[i] == (float)(i / 11.0));
    free(x);
    d64[3] = 1.25;
    assert_int_equal(npy_write(path, NPY_F64, 4, shape, d64, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "value 1.25 at index 3 is outside [0, 1]"));
    assert_int_equal(npy_read_inputs(path, &x, &n, &h, &w, f->err, sizeof f->err), 0);
    assert_true(x[3] == 1.25f);
    free(x);
    d64[3] = 1e300;
    assert_int_equal(npy_write(path, NPY_F64, 4, shape, d64, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_inputs(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "too large for float32"));
    d64[3] = NAN;
    assert_int_equal(npy_write(path, NPY_F64, 4, shape, d64, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_inputs(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not finite"));

    /* Wrong rank, wrong channel count. */
    size_t shape2[2] = {4, 3};
    assert_int_equal(npy_write(path, NPY_F32, 2, shape2, values, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, path));
    assert_non_null(strstr(f->err, "(4, 3)"));
    size_t shape4[4] = {1, 2, 2, 3};
    shape4[3] = 1;
    assert_int_equal(npy_write(path, NPY_F32, 4, shape4, values, f->err, sizeof f->err), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "(N, H, W, 3)"));

    /* A missing file and a file cut short. */
    char missing[4096];
    assert_int_equal(npy_read_images(tempdir_join(missing, f->dir, "none.npy"), &x, &n, &h, &w, f->err,
                                     sizeof f->err), -1);
    assert_non_null(strstr(f->err, missing));
    assert_int_equal(npy_write(path, NPY_U8, 4, shape, u8, f->err, sizeof f->err), 0);
    assert_int_equal(truncate(path, 128 + 5), 0);
    assert_int_equal(npy_read_images(path, &x, &n, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, path));
    assert_non_null(strstr(f->err, "truncated .npy body"));
}

static int parse_npy(const unsigned char *bytes, size_t len)
{
    npy_array a;
    char err[256];
    if (npy_parse(bytes, len, "damaged.npy", &a, err, sizeof err) != 0)
        return -1;
    npy_free(&a);
    return 0;
}

/* Every prefix and thousands of changed header bytes of a valid file: refused or parsed, never a
 * crash or an out-of-bounds read (the ASan build checks the latter). */
static void damaged_bytes_never_crash(void **state)
{
    (void)state;
    float body[2 * 3 * 2] = {0};
    size_t len;
    unsigned char *good = build_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 2), }",
                                    body, sizeof body, &len);
    mutate_counts counts = mutate_parse(good, len, 80, 20000, parse_npy);
    assert_int_equal(counts.prefixes_accepted, 1);
    assert_true(counts.mutants_accepted > 0);   /* some changes (spaces, digits) keep it valid */
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip_float32, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(round_trip_uint8_and_small_ranks, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(version_2_and_3_headers, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(fortran_order_becomes_c_order, tempdir_setup, tempdir_teardown),
        cmocka_unit_test(header_errors),
        cmocka_unit_test_setup_teardown(image_arrays, tempdir_setup, tempdir_teardown),
        cmocka_unit_test(damaged_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
