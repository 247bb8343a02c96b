/* data/image.c: PNG decoding and encoding with libpng's full API.
 *
 * libpng reports errors by longjmp. Everything that changes after setjmp (the reader's position,
 * the message, the buffers to free) lives in a struct owned by the caller of the function that
 * calls setjmp, so no local of that function is modified between setjmp and longjmp and none needs
 * to be volatile (C11 7.13.2.1); the caller frees whatever the struct holds on failure. */
#include "data/image.h"

#include <limits.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

#define PNG_MSG_LEN 160

/* Decoder state owned by image_decode_png, shared with libpng's callbacks. */
typedef struct png_decoding {
    const unsigned char *buf;
    size_t len, pos;
    int truncated;          /* the reader ran past the end of buf */
    char msg[PNG_MSG_LEN];  /* libpng's error message */
    unsigned char *pixels;  /* decoded rows, 8 or 16 bits per sample */
    png_bytep *rows;
    float *rgb;
    int h, w;
} png_decoding;

/* Encoder state owned by image_write_png. */
typedef struct png_encoding {
    char msg[PNG_MSG_LEN];
} png_encoding;

static void on_png_error(png_structp png, png_const_charp msg)
{
    char *dst = png_get_error_ptr(png);   /* the state's msg field, PNG_MSG_LEN bytes */
    snprintf(dst, PNG_MSG_LEN, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings (bad ancillary chunks, for example) do not stop decoding; library code never prints. */
static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void read_from_memory(png_structp png, png_bytep out, size_t n)
{
    png_decoding *d = png_get_io_ptr(png);
    if (n > d->len - d->pos) {
        d->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, d->buf + d->pos, n);
    d->pos += n;
}

/* Expands what libpng decoded (3 channels of 8 or 16 bits) to float RGB. */
static void rows_to_float(png_decoding *d, int bit_depth)
{
    size_t values = (size_t)d->w * 3;
    for (int y = 0; y < d->h; y++) {
        const unsigned char *row = d->rows[y];
        float *out = d->rgb + (size_t)y * values;
        if (bit_depth == 8) {
            for (size_t i = 0; i < values; i++)
                out[i] = (float)row[i] / 255.0f;
        } else {
            for (size_t i = 0; i < values; i++)
                out[i] = (float)((unsigned)row[2 * i] << 8 | row[2 * i + 1]) / 65535.0f;
        }
    }
}

/* Returns 0, or -1 after a libpng error (message in d->msg); buffers stay in d for the caller. */
static int decode_with_libpng(png_decoding *d)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d->msg, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);   /* accepts a NULL png */
        snprintf(d->msg, sizeof d->msg, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, d, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width, height;
    int bit_depth, color_type;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    if ((unsigned long long)width * height > (unsigned long long)IMAGE_MAX_PIXELS) {
        char why[96];
        snprintf(why, sizeof why, "%lux%lu image has more than %ld pixels", (unsigned long)height,
                 (unsigned long)width, (long)IMAGE_MAX_PIXELS);
        png_error(png, why);
    }
    /* Deflate expands at most 1032:1, so a file too small to hold the rows it declares is
     * truncated: refused before its buffers are allocated (else a tiny file claims 640 MB). */
    const unsigned long long raw = ((unsigned long long)png_get_rowbytes(png, info) + 1) * height;
    if (raw / 1032 > d->len) {
        char why[128];
        snprintf(why, sizeof why, "truncated: a %lux%lu image cannot fit in %zu bytes",
                 (unsigned long)height, (unsigned long)width, d->len);
        png_error(png, why);
    }
    /* The same bound on what the rows unpack to (8-bit RGB: what is decoded, then 4 times that
     * as floats), not only on what they pack to: a 1-bit gray 5792x5792 image packs into 4 MB of
     * rows, which 4 KB of deflate can hold, and unpacked to 933 MB in wb predict. An image that
     * unpacks to more than 1032 times its file is refused. */
    const unsigned long long unpacked = (unsigned long long)width * height * 3;
    if (unpacked / 1032 > d->len) {
        char why[160];
        snprintf(why, sizeof why, "a %lux%lu image unpacks to %llu MB of RGB, more than 1032 "
                 "times its %zu bytes", (unsigned long)height, (unsigned long)width,
                 unpacked >> 20, d->len);
        png_error(png, why);
    }
    /* Palette and low-bit gray expand to 8 bits; a palette's tRNS becomes alpha on the way, which
     * strip_alpha then drops with any real alpha channel. No gamma or background transformation is
     * requested, so samples keep their stored values. */
    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    png_set_strip_alpha(png);
    if (!(color_type & PNG_COLOR_MASK_COLOR))
        png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int depth = png_get_bit_depth(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (png_get_channels(png, info) != 3 || (depth != 8 && depth != 16) ||
        rowbytes != (size_t)width * 3 * (size_t)(depth / 8))
        png_error(png, "unsupported layout after conversion to RGB");

    d->h = (int)height;
    d->w = (int)width;
    d->pixels = malloc(rowbytes * height);
    d->rows = malloc(sizeof *d->rows * height);
    d->rgb = malloc(sizeof *d->rgb * (size_t)width * height * 3);
    if (!d->pixels || !d->rows || !d->rgb)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++)
        d->rows[y] = d->pixels + (size_t)y * rowbytes;
    png_read_image(png, d->rows);
    png_read_end(png, NULL);
    rows_to_float(d, depth);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

/* Whether every chunk up to IEND (or the end of the data) fits in the data. libpng allocates an
 * ancillary chunk (text, ICC profile) whole, at the length it claims, before reading it: a
 * 46-byte file whose zTXt chunk claimed 2 GB took 2 GB (make fuzz). A chunk cannot be longer
 * than the file that holds it. */
static int chunks_fit(const unsigned char *b, size_t len)
{
    size_t at = 8;
    while (at + 12 <= len) {
        const size_t n = (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 |
                         b[at + 3];
        if (n > len - at - 12)
            return 0;
        if (memcmp(b + at + 4, "IEND", 4) == 0)
            return 1;
        at += n + 12;
    }
    return 1;   /* a file cut between chunks: libpng says it is truncated */
}

int image_decode_png(const void *buf, size_t len, const char *name, float **rgb, int *h, int *w,
                     char *err, size_t errlen)
{
    *rgb = NULL;
    *h = *w = 0;
    if (len < 8 || png_sig_cmp((png_const_bytep)buf, 0, 8) != 0) {
        snprintf(err, errlen, "%s: not a PNG file", name);
        return -1;
    }
    if (!chunks_fit(buf, len)) {
        snprintf(err, errlen, "%s: truncated PNG (a chunk runs past the end of the file)", name);
        return -1;
    }
    png_decoding d = {.buf = buf, .len = len};
    int rc = decode_with_libpng(&d);
    free(d.pixels);
    free(d.rows);
    if (rc != 0) {
        free(d.rgb);
        if (d.truncated)
            snprintf(err, errlen, "%s: truncated PNG", name);
        else
            snprintf(err, errlen, "%s: invalid PNG: %s", name, d.msg);
        return -1;
    }
    *rgb = d.rgb;
    *h = d.h;
    *w = d.w;
    return 0;
}

int image_read_png(const char *path, float **rgb, int *h, int *w, char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    *rgb = NULL;
    *h = *w = 0;
    if (file_read_all(path, &buf, &len, err, errlen) != 0)
        return -1;
    int rc = image_decode_png(buf, len, path, rgb, h, w, err, errlen);
    free(buf);
    return rc;
}

/* Returns 0, or -1 after a libpng error (message in e->msg). */
static int encode_with_libpng(png_encoding *e, FILE *f, const uint8_t *rgb, int h, int w)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e->msg, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);   /* accepts a NULL png */
        snprintf(e->msg, sizeof e->msg, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, rgb + (size_t)y * (size_t)w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int image_write_png(const char *path, const uint8_t *rgb, int h, int w, char *err, size_t errlen)
{
    if (h <= 0 || w <= 0 || (long long)h * w > IMAGE_MAX_PIXELS) {
        snprintf(err, errlen, "%s: cannot write a %dx%d image", path, h, w);
        return -1;
    }
    atomic_file t;
    if (atomic_file_open(&t, path, err, errlen) != 0)
        return -1;
    png_encoding e = {{0}};
    if (encode_with_libpng(&e, t.f, rgb, h, w) != 0) {
        atomic_file_abort(&t);
        snprintf(err, errlen, "%s: cannot write PNG: %s", path, e.msg);
        return -1;
    }
    return atomic_file_commit(&t, err, errlen);
}

void image_to_u8(const float *rgb, uint8_t *out, size_t n_values)
{
    for (size_t i = 0; i < n_values; i++) {
        float v = rgb[i];
        out[i] = v > 0.0f ? (v < 1.0f ? (uint8_t)(v * 255.0f + 0.5f) : 255) : 0;
    }
}

int image_write_grid(const char *path, const float *tiles, int rows, int cols, int h, int w,
                     int scale, int gap, char *err, size_t errlen)
{
    if (rows < 1 || cols < 1 || h < 1 || w < 1 || scale < 1 || gap < 0) {
        snprintf(err, errlen, "%s: bad grid (%d x %d tiles of %dx%d, scale %d, gap %d)", path, rows,
                 cols, h, w, scale, gap);
        return -1;
    }
    long long grid_h = (long long)rows * h * scale + (long long)(rows - 1) * gap;
    long long grid_w = (long long)cols * w * scale + (long long)(cols - 1) * gap;
    if (grid_h > INT_MAX || grid_w > INT_MAX || grid_h * grid_w > IMAGE_MAX_PIXELS) {
        snprintf(err, errlen, "%s: grid of %lldx%lld pixels is too large", path, grid_h, grid_w);
        return -1;
    }
    size_t row_values = (size_t)grid_w * 3;
    uint8_t *canvas = malloc((size_t)grid_h * row_values);
    uint8_t *tile = malloc((size_t)h * w * 3);
    if (!canvas || !tile) {
        free(canvas);
        free(tile);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memset(canvas, 128, (size_t)grid_h * row_values);
    for (int t = 0; t < rows * cols; t++) {
        image_to_u8(tiles + (size_t)t * h * w * 3, tile, (size_t)h * w * 3);
        size_t top = (size_t)(t / cols) * ((size_t)h * scale + gap);
        size_t left = (size_t)(t % cols) * ((size_t)w * scale + gap);
        for (int y = 0; y < h * scale; y++) {
            uint8_t *dst = canvas + (top + y) * row_values + left * 3;
            const uint8_t *src = tile + (size_t)(y / scale) * w * 3;
            for (int x = 0; x < w * scale; x++)
                memcpy(dst + (size_t)x * 3, src + (size_t)(x / scale) * 3, 3);
        }
    }
    free(tile);
    int rc = image_write_png(path, canvas, (int)grid_h, (int)grid_w, err, errlen);
    free(canvas);
    return rc;
}
