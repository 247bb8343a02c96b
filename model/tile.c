/* model/tile.c: tiled whole-image inference (see tile.h for why the tiles equal one pass). */
#include "model/tile.h"

#include <stdio.h>
#include <stdlib.h>

#include "data/image.h"

static int round_up(int v, int step)
{
    return (v + step - 1) / step * step;
}

int tile_margin(int depth)
{
    /* The wrong band's width in image pixels, followed through the network from a tile edge:
     * each 3x3 convolution at level i widens it by 2^i, each pool rounds it up to its block
     * (2^(i+1), tile origins being on that grid), a transposed convolution keeps it, and a
     * decoder level starts from the wider of its skip (narrower) and the upsampled path. */
    int band = 0;
    for (int i = 0; i < depth; i++)
        band = round_up(band + 2 * (1 << i), 1 << (i + 1));
    band += 2 * (1 << depth);
    for (int i = depth - 1; i >= 0; i--)
        band += 2 * (1 << i);
    return band;
}

int tile_margin_aligned(int depth)
{
    return round_up(tile_margin(depth), 1 << depth);
}

/* One axis of the plan: the origin of tile k and the part [*begin, *end) of the axis it writes.
 * Tiles step by tile - 2 * margin; the last one ends at the axis's end. Each tile writes from its
 * left margin (0 for the first) to where the next one starts writing. */
static void span(int k, int count, int length, int tile, int margin, int *origin, int *begin,
                 int *end)
{
    const int step = tile - 2 * margin;
    *origin = k == count - 1 ? length - tile : k * step;
    *begin = k == 0 ? 0 : *origin + margin;
    *end = k == count - 1 ? length : (k + 1 == count - 1 ? length - tile : (k + 1) * step) + margin;
}

static int span_count(int length, int tile, int margin)
{
    if (length <= tile)
        return 1;
    const int step = tile - 2 * margin;
    return (length - tile + step - 1) / step + 1;
}

int tile_plan_make(tile_plan *p, int depth, int height, int width, int tile, int margin,
                   char *err, size_t errlen)
{
    const int grid = 1 << depth;
    if (height < 1 || width < 1) {
        snprintf(err, errlen, "an image of %dx%d pixels has nothing to predict", height, width);
        return -1;
    }
    if (margin < 0 || margin % grid != 0 || tile % grid != 0 || tile <= 2 * margin) {
        snprintf(err, errlen, "tiles of %d pixels with a margin of %d: both must be multiples of "
                 "%d (2^depth) and the tile more than twice the margin", tile, margin, grid);
        return -1;
    }
    p->depth = depth;
    p->height = height;
    p->width = width;
    p->pad_height = round_up(height, grid);
    p->pad_width = round_up(width, grid);
    /* A network needs at least 2 pixels a side (depth 1 pads a 1-pixel side to 2). */
    p->tile_height = p->pad_height < tile ? p->pad_height : tile;
    p->tile_width = p->pad_width < tile ? p->pad_width : tile;
    p->margin = margin;
    p->rows = span_count(p->pad_height, p->tile_height, margin);
    p->cols = span_count(p->pad_width, p->tile_width, margin);
    return 0;
}

typedef struct tile_ref {
    size_t image;
    int row, col;
} tile_ref;

/* Channel-major slot b of the batch (3, nb * th * tw) from the padded image's tile t. */
static void gather(const tile_plan *p, const float *x, tile_ref t, float *stage, size_t plane,
                   int b)
{
    const int th = p->tile_height, tw = p->tile_width, H = p->height, W = p->width;
    int oy, ox, unused0, unused1;
    span(t.row, p->rows, p->pad_height, th, p->margin, &oy, &unused0, &unused1);
    span(t.col, p->cols, p->pad_width, tw, p->margin, &ox, &unused0, &unused1);
    const float *img = x + t.image * (size_t)H * W * 3;
    for (int r = 0; r < th; r++) {
        const float *src = img + (size_t)image_reflect101(oy + r, H) * W * 3;
        float *dst = stage + (size_t)b * th * tw + (size_t)r * tw;
        for (int q = 0; q < tw; q++) {
            const float *px = src + (size_t)image_reflect101(ox + q, W) * 3;
            dst[q] = px[0];
            dst[plane + q] = px[1];
            dst[2 * plane + q] = px[2];
        }
    }
}

/* The part of slot b's prediction that tile t writes, cropped to the image, into y. */
static void scatter(const tile_plan *p, const float *out, tile_ref t, float *y, size_t plane,
                    int b)
{
    const int th = p->tile_height, tw = p->tile_width, H = p->height, W = p->width;
    int oy, ox, y0, y1, x0, x1;
    span(t.row, p->rows, p->pad_height, th, p->margin, &oy, &y0, &y1);
    span(t.col, p->cols, p->pad_width, tw, p->margin, &ox, &x0, &x1);
    y1 = y1 < H ? y1 : H;
    x1 = x1 < W ? x1 : W;
    float *img = y + t.image * (size_t)H * W * 3;
    for (int r = y0; r < y1; r++) {
        const float *src = out + (size_t)b * th * tw + (size_t)(r - oy) * tw - ox;
        float *dst = img + (size_t)r * W * 3;
        for (int q = x0; q < x1; q++) {
            dst[(size_t)q * 3] = src[q];
            dst[(size_t)q * 3 + 1] = src[plane + q];
            dst[(size_t)q * 3 + 2] = src[2 * plane + q];
        }
    }
}

static tile_ref tile_at(const tile_plan *p, size_t k)
{
    const size_t per_image = (size_t)p->rows * p->cols;
    const size_t within = k % per_image;
    return (tile_ref){ k / per_image, (int)(within / p->cols), (int)(within % p->cols) };
}

int tile_predict(unet *u, const tile_plan *p, const float *x, float *y, size_t n, char *err,
                 size_t errlen)
{
    if (unet_height(u) != p->tile_height || unet_width(u) != p->tile_width) {
        snprintf(err, errlen, "the network takes %dx%d images, the plan %dx%d tiles",
                 unet_height(u), unet_width(u), p->tile_height, p->tile_width);
        return -1;
    }
    const int batch = unet_max_batch(u);
    const size_t pixels = (size_t)p->tile_height * p->tile_width;
    float *stage = malloc(sizeof(float) * 3 * pixels * (size_t)batch);
    if (!stage) {
        snprintf(err, errlen, "out of memory for %d tiles of %dx%d", batch, p->tile_height,
                 p->tile_width);
        return -1;
    }
    const size_t total = n * (size_t)p->rows * p->cols;
    for (size_t k0 = 0; k0 < total; k0 += (size_t)batch) {
        const int nb = (int)(total - k0 < (size_t)batch ? total - k0 : (size_t)batch);
        const size_t plane = (size_t)nb * pixels;
        for (int b = 0; b < nb; b++)
            gather(p, x, tile_at(p, k0 + (size_t)b), stage, plane, b);
        const float *out = unet_forward(u, stage, nb);
        for (int b = 0; b < nb; b++)
            scatter(p, out, tile_at(p, k0 + (size_t)b), y, plane, b);
    }
    free(stage);
    return 0;
}
