/* tests/test_regress_png.c: tiny PNG files that made the reader claim huge amounts of memory.
 *
 * The bug (make fuzz, png target, an out-of-memory): libpng allocates an ancillary chunk whole,
 * at the length the chunk claims, before reading it; a 46-byte file whose zTXt chunk claims
 * 2 GB made image_decode_png allocate 2 GB before finding the data missing. Likewise a header
 * claiming a 5000x5000 16-bit RGBA image had its 600 MB of row and float buffers allocated
 * before the first row was found missing. Now chunk allocations are capped (8 MB) and a file too
 * small to hold the rows it declares (deflate expands at most 1032:1) is refused first.
 * Each case must fail cleanly and leave the peak memory of this process far below that.
 * Issue 24, finding 9: a valid 4,148-byte 1-bit gray PNG of 5792x5792 passed that check (its
 * rows pack to 4 MB) and unpacked to 933 MB in wb predict: the bound now holds for the unpacked
 * rows too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <png.h>

#include "data/image.h"
#include "fuzz/fuzz.h"

/* Appends a chunk (length, type, data, CRC) at *at. */
static void chunk(uint8_t *buf, size_t *at, const char *type, const uint8_t *data, uint32_t len,
                  uint32_t claimed_len)
{
    uint8_t *c = buf + *at;
    c[0] = (uint8_t)(claimed_len >> 24), c[1] = (uint8_t)(claimed_len >> 16);
    c[2] = (uint8_t)(claimed_len >> 8), c[3] = (uint8_t)claimed_len;
    memcpy(c + 4, type, 4);
    memcpy(c + 8, data, len);
    const uint32_t crc = wb_fuzz_png_crc(c + 4, len + 4);
    c[8 + len] = (uint8_t)(crc >> 24), c[9 + len] = (uint8_t)(crc >> 16);
    c[10 + len] = (uint8_t)(crc >> 8), c[11 + len] = (uint8_t)crc;
    *at += 12 + len;
}

static size_t header(uint8_t *buf, uint32_t w, uint32_t h, uint8_t depth, uint8_t color)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    memcpy(buf, sig, 8);
    const uint8_t ihdr[13] = { (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
                               (uint8_t)w, (uint8_t)(h >> 24), (uint8_t)(h >> 16),
                               (uint8_t)(h >> 8), (uint8_t)h, depth, color, 0, 0, 0 };
    size_t at = 8;
    chunk(buf, &at, "IHDR", ihdr, 13, 13);
    return at;
}

static long peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static void expect_small_failure(const uint8_t *buf, size_t len, const char *why)
{
    float *rgb = NULL;
    int h, w;
    char err[512] = "";
    assert_int_equal(image_decode_png(buf, len, "tiny.png", &rgb, &h, &w, err, sizeof err), -1);
    assert_null(rgb);
    if (!strstr(err, "tiny.png") || !strstr(err, why))
        fail_msg("'%s' lacks '%s'", err, why);
}

/* The file make fuzz found (tests/fuzz/crashes/png/oom-ztxt-2gb.png, CRCs repaired): a 2x2
 * 16-bit gray header, then a zTXt chunk claiming 0x789c6360 bytes. */
static void test_huge_ancillary_chunk(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t at = header(buf, 2, 2, 16, 0);
    chunk(buf, &at, "zTXt", (const uint8_t *)"", 0, 0x789c6360u);
    const long before = peak_mb();
    expect_small_failure(buf, at, "a chunk runs past the end of the file");
    assert_true(peak_mb() - before < 100);
}

/* A 5000x5000 16-bit RGBA header (600 MB of buffers) with an empty IDAT: refused before the
 * buffers are allocated (the message says so; untouched allocations would not show in the peak
 * memory). */
static void test_header_bigger_than_the_file(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t at = header(buf, 5000, 5000, 16, 6);
    chunk(buf, &at, "IDAT", (const uint8_t *)"", 0, 0);
    chunk(buf, &at, "IEND", (const uint8_t *)"", 0, 0);
    expect_small_failure(buf, at, "truncated: a 5000x5000 image cannot fit in 57 bytes");
}

typedef struct png_memory {
    uint8_t *bytes;
    size_t len, cap;
} png_memory;

static void write_to_memory(png_structp png, png_bytep data, size_t n)
{
    png_memory *m = png_get_io_ptr(png);
    if (m->len + n > m->cap) {
        m->cap = 2 * (m->len + n);
        m->bytes = realloc(m->bytes, m->cap);
        assert_non_null(m->bytes);
    }
    memcpy(m->bytes + m->len, data, n);
    m->len += n;
}

static void flush_nothing(png_structp png)
{
    (void)png;
}

/* A whole, valid PNG: 1-bit gray, every pixel black, of side x side pixels. */
static png_memory one_bit_png(uint32_t side)
{
    png_memory m = { 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    png_set_write_fn(png, &m, write_to_memory, flush_nothing);
    png_set_compression_level(png, 9);
    png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t *row = calloc((side + 7) / 8, 1);
    for (uint32_t y = 0; y < side; y++)
        png_write_row(png, row);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return m;
}

static void test_one_bit_image_that_unpacks_large(void **state)
{
    (void)state;
    png_memory big = one_bit_png(5792);
    assert_true(big.len < 8192);
    const long before = peak_mb();
    expect_small_failure(big.bytes, big.len, "a 5792x5792 image unpacks to 95 MB of RGB, more "
                                             "than 1032 times its");
    assert_true(peak_mb() - before < 50);
    free(big.bytes);
    /* A small 1-bit image still reads. */
    png_memory small = one_bit_png(64);
    float *rgb = NULL;
    int h, w;
    char err[512];
    assert_int_equal(image_decode_png(small.bytes, small.len, "small.png", &rgb, &h, &w, err,
                                      sizeof err), 0);
    assert_int_equal(h, 64);
    assert_int_equal(w, 64);
    assert_true(rgb[0] == 0.0f && rgb[64 * 64 * 3 - 1] == 0.0f);
    free(rgb);
    free(small.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_ancillary_chunk),
        cmocka_unit_test(test_header_bigger_than_the_file),
        cmocka_unit_test(test_one_bit_image_that_unpacks_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
