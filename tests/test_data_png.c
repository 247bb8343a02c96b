/* tests/test_data_png.c: PNG reading of every colour type and bit depth (files written here with
 * libpng), writing, grids, the embedded photos, and the errors for damaged or foreign files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/image.h"
#include "data/photos.h"
#include "support/mutate.h"
#include "support/tempdir.h"

enum { W = 7, H = 5 };   /* odd sizes, so packed low-bit rows end mid-byte */

typedef tempdir_fixture fixture;

/* The fixture, with path set to the test image's name in its folder. */
static fixture *png_fixture(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "t.png");
    return f;
}

/* One test image: its samples (one unsigned per channel, unpacked) and how to store them. */
typedef struct png_case {
    int color_type, bit_depth, interlace;
    int channels;                  /* stored channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA, 1 palette */
    unsigned samples[H][W][4];
    png_color palette[16];
    int palette_len;
    int with_trns;
} png_case;

static unsigned sample_value(int y, int x, int c, int bit_depth)
{
    unsigned v = (unsigned)(y * 131 + x * 37 + c * 71 + (y * x) * 13) * 2654435761u;
    return (v >> 8) % (1u << bit_depth);
}

static void fill_case(png_case *pc, int color_type, int bit_depth)
{
    memset(pc, 0, sizeof *pc);
    pc->color_type = color_type;
    pc->bit_depth = bit_depth;
    pc->channels = color_type == PNG_COLOR_TYPE_GRAY ? 1 : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                   : color_type == PNG_COLOR_TYPE_RGB ? 3 : color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1;
    int index_depth = color_type == PNG_COLOR_TYPE_PALETTE ? (bit_depth < 4 ? bit_depth : 4) : bit_depth;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < pc->channels; c++)
                pc->samples[y][x][c] = sample_value(y, x, c, index_depth);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        pc->palette_len = 1 << index_depth;
        for (int i = 0; i < pc->palette_len; i++)
            pc->palette[i] = (png_color){(png_byte)(i * 15), (png_byte)(255 - i * 9), (png_byte)(i * i)};
    }
}

static void write_case(const char *path, const png_case *pc)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed to write the test image");
    png_init_io(png, fp);
    png_set_IHDR(png, info, W, H, pc->bit_depth, pc->color_type, pc->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pc->color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_PLTE(png, info, pc->palette, pc->palette_len);
    if (pc->with_trns) {
        png_byte alpha[16];
        memset(alpha, 0, sizeof alpha);   /* fully transparent: must not change the colours */
        png_color_16 gray_key = {0};
        png_set_tRNS(png, info, alpha, pc->color_type == PNG_COLOR_TYPE_PALETTE ? pc->palette_len : 0,
                     pc->color_type == PNG_COLOR_TYPE_PALETTE ? NULL : &gray_key);
    }
    /* A gamma chunk that a colour-managing reader would act on; wb must ignore it. */
    png_set_gAMA(png, info, 1.0);
    png_write_info(png, info);
    if (pc->bit_depth < 8)
        png_set_packing(png);
    if (pc->bit_depth == 16)
        png_set_swap(png);   /* rows below hold host (little-endian) 16-bit samples */
    int passes = png_set_interlace_handling(png);
    unsigned char rows[H][W * 4 * 2];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < pc->channels; c++) {
                unsigned v = pc->samples[y][x][c];
                if (pc->bit_depth == 16) {
                    uint16_t v16 = (uint16_t)v;
                    memcpy(&rows[y][(x * pc->channels + c) * 2], &v16, 2);
                } else {
                    rows[y][x * pc->channels + c] = (unsigned char)v;
                }
            }
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < H; y++)
            png_write_row(png, rows[y]);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
}

/* What wb must return for pixel (y, x), channel c. */
static float expected_value(const png_case *pc, int y, int x, int c)
{
    const unsigned *s = pc->samples[y][x];
    if (pc->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color p = pc->palette[s[0]];
        return (float)(c == 0 ? p.red : c == 1 ? p.green : p.blue) / 255.0f;
    }
    unsigned v = pc->channels >= 3 ? s[c] : s[0];   /* gray repeats; alpha is dropped */
    if (pc->bit_depth == 16)
        return (float)v / 65535.0f;
    return (float)(v * (255u / ((1u << pc->bit_depth) - 1))) / 255.0f;   /* low bits scale to 8 */
}

static void check_case(fixture *f, png_case *pc, const char *what)
{
    write_case(f->path, pc);
    float *rgb;
    int h, w;
    if (image_read_png(f->path, &rgb, &h, &w, f->err, sizeof f->err) != 0)
        fail_msg("%s: %s", what, f->err);
    assert_int_equal(h, H);
    assert_int_equal(w, W);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                float got = rgb[(y * W + x) * 3 + c], want = expected_value(pc, y, x, c);
                if (got != want)
                    fail_msg("%s: pixel (%d, %d) channel %d is %.9g, expected %.9g", what, y, x, c,
                             (double)got, (double)want);
            }
    free(rgb);
}

static void every_colour_type_and_depth(void **state)
{
    fixture *f = png_fixture(state);
    static const struct {
        int color_type, bit_depth;
        const char *what;
    } kinds[] = {
        {PNG_COLOR_TYPE_GRAY, 1, "gray 1-bit"},       {PNG_COLOR_TYPE_GRAY, 2, "gray 2-bit"},
        {PNG_COLOR_TYPE_GRAY, 4, "gray 4-bit"},       {PNG_COLOR_TYPE_GRAY, 8, "gray 8-bit"},
        {PNG_COLOR_TYPE_GRAY, 16, "gray 16-bit"},     {PNG_COLOR_TYPE_GRAY_ALPHA, 8, "gray+alpha 8-bit"},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16, "gray+alpha 16-bit"}, {PNG_COLOR_TYPE_RGB, 8, "RGB 8-bit"},
        {PNG_COLOR_TYPE_RGB, 16, "RGB 16-bit"},       {PNG_COLOR_TYPE_RGB_ALPHA, 8, "RGBA 8-bit"},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16, "RGBA 16-bit"}, {PNG_COLOR_TYPE_PALETTE, 1, "palette 1-bit"},
        {PNG_COLOR_TYPE_PALETTE, 2, "palette 2-bit"}, {PNG_COLOR_TYPE_PALETTE, 4, "palette 4-bit"},
        {PNG_COLOR_TYPE_PALETTE, 8, "palette 8-bit"},
    };
    png_case *pc = malloc(sizeof *pc);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        fill_case(pc, kinds[i].color_type, kinds[i].bit_depth);
        check_case(f, pc, kinds[i].what);
    }
    /* tRNS is ignored (a palette's would otherwise become alpha, a gray key would too). */
    fill_case(pc, PNG_COLOR_TYPE_PALETTE, 8);
    pc->with_trns = 1;
    check_case(f, pc, "palette with tRNS");
    fill_case(pc, PNG_COLOR_TYPE_GRAY, 8);
    pc->with_trns = 1;
    check_case(f, pc, "gray with tRNS");
    fill_case(pc, PNG_COLOR_TYPE_GRAY, 4);
    pc->with_trns = 1;
    check_case(f, pc, "gray 4-bit with tRNS");
    /* Adam7 interlacing. */
    fill_case(pc, PNG_COLOR_TYPE_RGB, 16);
    pc->interlace = PNG_INTERLACE_ADAM7;
    check_case(f, pc, "RGB 16-bit interlaced");
    free(pc);
}

static void write_then_read(void **state)
{
    fixture *f = png_fixture(state);
    uint8_t rgb[3 * 4 * 3];
    for (int i = 0; i < 36; i++)
        rgb[i] = (uint8_t)(i * 7);
    assert_int_equal(image_write_png(f->path, rgb, 3, 4, f->err, sizeof f->err), 0);
    float *back;
    int h, w;
    assert_int_equal(image_read_png(f->path, &back, &h, &w, f->err, sizeof f->err), 0);
    assert_int_equal(h, 3);
    assert_int_equal(w, 4);
    for (int i = 0; i < 36; i++)
        assert_true(back[i] == (float)rgb[i] / 255.0f);
    /* and to 8 bits again, exactly */
    uint8_t again[36];
    image_to_u8(back, again, 36);
    assert_memory_equal(again, rgb, 36);
    free(back);

    /* Rounding and clamping. */
    float v[6] = {-0.5f, 0.5f / 255.0f - 1e-6f, 0.5f / 255.0f + 1e-6f, 0.5f, 7.0f, NAN};
    uint8_t u[6];
    image_to_u8(v, u, 6);
    assert_int_equal(u[0], 0);
    assert_int_equal(u[1], 0);
    assert_int_equal(u[2], 1);
    assert_int_equal(u[3], 128);
    assert_int_equal(u[4], 255);
    assert_int_equal(u[5], 0);

    /* An unwritable place is an error naming the path. */
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/no/such/folder/x.png", f->dir);
    assert_int_equal(image_write_png(bad, rgb, 3, 4, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, bad));
}

static void grid_layout(void **state)
{
    fixture *f = png_fixture(state);
    enum { ROWS = 2, COLS = 3, TH = 2, TW = 3, SCALE = 2, GAP = 1 };
    float tiles[ROWS * COLS * TH * TW * 3];
    for (int t = 0; t < ROWS * COLS; t++)
        for (int i = 0; i < TH * TW * 3; i++)
            tiles[t * TH * TW * 3 + i] = (float)(t * 40 + i) / 255.0f;
    tiles[0] = -1.0f;   /* clamped */
    tiles[1] = 2.0f;
    assert_int_equal(image_write_grid(f->path, tiles, ROWS, COLS, TH, TW, SCALE, GAP, f->err, sizeof f->err), 0);
    float *g;
    int h, w;
    assert_int_equal(image_read_png(f->path, &g, &h, &w, f->err, sizeof f->err), 0);
    assert_int_equal(h, ROWS * TH * SCALE + (ROWS - 1) * GAP);
    assert_int_equal(w, COLS * TW * SCALE + (COLS - 1) * GAP);
    uint8_t want_tile[TH * TW * 3];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int ty = y / (TH * SCALE + GAP), iy = y % (TH * SCALE + GAP);
            int tx = x / (TW * SCALE + GAP), ix = x % (TW * SCALE + GAP);
            for (int c = 0; c < 3; c++) {
                float got = g[(y * w + x) * 3 + c];
                float want = 128.0f / 255.0f;
                if (iy < TH * SCALE && ix < TW * SCALE) {
                    int t = ty * COLS + tx;
                    image_to_u8(tiles + t * TH * TW * 3, want_tile, TH * TW * 3);
                    want = (float)want_tile[((iy / SCALE) * TW + ix / SCALE) * 3 + c] / 255.0f;
                }
                if (got != want)
                    fail_msg("grid pixel (%d, %d) channel %d is %g, expected %g", y, x, c, (double)got,
                             (double)want);
            }
        }
    assert_true(g[0] == 0.0f);
    assert_true(g[1] == 1.0f);
    free(g);
    assert_int_equal(image_write_grid(f->path, tiles, 0, COLS, TH, TW, SCALE, GAP, f->err, sizeof f->err), -1);
    assert_int_equal(image_write_grid(f->path, tiles, ROWS, COLS, TH, TW, 0, GAP, f->err, sizeof f->err), -1);
}

static void embedded_photos(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int h, w;
    } expected[] = {{"astronaut.png", 512, 512}, {"chelsea.png", 300, 451}, {"coffee.png", 400, 600},
                    {"retina.png", 512, 512},    {"rocket.png", 427, 640}};
    assert_int_equal(photos_count(), 5);
    char err[256];
    for (size_t i = 0; i < 5; i++) {
        size_t len;
        const char *name;
        const unsigned char *png = photos_png(i, &len, &name);
        assert_non_null(png);
        assert_string_equal(name, expected[i].name);
        float *rgb;
        int h, w;
        assert_int_equal(image_decode_png(png, len, name, &rgb, &h, &w, err, sizeof err), 0);
        assert_int_equal(h, expected[i].h);
        assert_int_equal(w, expected[i].w);
        free(rgb);
    }
    assert_null(photos_png(5, NULL, NULL));
    size_t len;
    const char *notice = photos_notice(&len);
    assert_true(len > 100);
    assert_memory_equal(notice, "# Bundled photographs", 21);
}

static void damaged_and_foreign_files(void **state)
{
    fixture *f = png_fixture(state);
    float *rgb;
    int h, w;
    size_t len;
    const unsigned char *png = photos_png(1, &len, NULL);

    /* Truncated: the message says so and names the file. */
    assert_int_equal(tempdir_write_file(f->path, png, len / 2), 0);
    assert_int_equal(image_read_png(f->path, &rgb, &h, &w, f->err, sizeof f->err), -1);
    assert_null(rgb);
    assert_non_null(strstr(f->err, f->path));
    assert_non_null(strstr(f->err, "truncated PNG"));
    /* Without its last chunk (IEND) it is truncated too. */
    assert_int_equal(tempdir_write_file(f->path, png, len - 12), 0);
    assert_int_equal(image_read_png(f->path, &rgb, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "truncated PNG"));

    /* Not a PNG at all, and an empty file. */
    assert_int_equal(tempdir_write_file(f->path, "GIF89a, not a PNG at all", 24), 0);
    assert_int_equal(image_read_png(f->path, &rgb, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, f->path));
    assert_non_null(strstr(f->err, "not a PNG"));
    assert_int_equal(tempdir_write_file(f->path, "", 0), 0);
    assert_int_equal(image_read_png(f->path, &rgb, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not a PNG"));

    /* A damaged byte in the image data: libpng's CRC check catches it. */
    unsigned char *copy = malloc(len);
    memcpy(copy, png, len);
    copy[len / 2] ^= 0x55;
    assert_int_equal(image_decode_png(copy, len, "damaged.png", &rgb, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "damaged.png"));
    free(copy);

    /* A missing file and a folder. */
    char missing[4096];
    assert_int_equal(image_read_png(tempdir_join(missing, f->dir, "none.png"), &rgb, &h, &w, f->err,
                                    sizeof f->err), -1);
    assert_non_null(strstr(f->err, missing));
    assert_int_equal(image_read_png(f->dir, &rgb, &h, &w, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, f->dir));
}

static int decode_png(const unsigned char *bytes, size_t len)
{
    float *rgb;
    int h, w;
    char err[256];
    if (image_decode_png(bytes, len, "damaged.png", &rgb, &h, &w, err, sizeof err) != 0)
        return -1;
    free(rgb);
    return 0;
}

/* Every prefix and thousands of changed bytes of a small PNG: refused or decoded, never a crash, a
 * leak or an out-of-bounds access (the ASan build checks). */
static void damaged_bytes_never_crash(void **state)
{
    fixture *f = png_fixture(state);
    png_case *pc = malloc(sizeof *pc);
    fill_case(pc, PNG_COLOR_TYPE_PALETTE, 4);
    write_case(f->path, pc);
    free(pc);
    unsigned char good[4096];
    FILE *fp = fopen(f->path, "rb");
    size_t len = fread(good, 1, sizeof good, fp);
    fclose(fp);
    assert_true(len > 50 && len < sizeof good);
    mutate_counts counts = mutate_parse(good, len, len, 3000, decode_png);
    assert_int_equal(counts.prefixes_accepted, 1);   /* only the whole file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_colour_type_and_depth, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(write_then_read, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(grid_layout, tempdir_setup, tempdir_teardown),
        cmocka_unit_test(embedded_photos),
        cmocka_unit_test_setup_teardown(damaged_and_foreign_files, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(damaged_bytes_never_crash, tempdir_setup, tempdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
