/* tests/test_regress_png.c: tiny PNG files that made the reader claim huge amounts of memory.
 *
 * The bug (make fuzz, png target, an out-of-memory): libpng allocates an ancillary chunk whole,
 * at the length the chunk claims, before reading it; a 46-byte file whose zTXt chunk claims
 * 2 GB made image_decode_png allocate 2 GB before finding the data missing. Likewise a header
 * claiming a 5000x5000 16-bit RGBA image had its 600 MB of row and float buffers allocated
 * before the first row was found missing. Now chunk allocations are capped (8 MB) and a file too
 * small to hold the rows it declares (deflate expands at most 1032:1) is refused first.
 * Each case must fail cleanly and leave the peak memory of this process far below that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_ancillary_chunk),
        cmocka_unit_test(test_header_bigger_than_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
