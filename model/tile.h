/* model/tile.h: whole images of any size and aspect through the fully convolutional U-Net, in
 * overlapping tiles, with the result of one pass over the whole image.
 *
 * An image is padded at its bottom and right to a multiple of 2^depth (reflect101: OpenCV's
 * BORDER_REFLECT_101, PyTorch's "reflect"), cut into tiles of at most tile x tile pixels, and the
 * prediction cropped back to the image. Two rules make the tiles equal the untiled pass:
 *   - every tile origin is a multiple of 2^depth, so the max-pools of a tile see the same 2x2
 *     blocks as those of the whole image;
 *   - a tile contributes only the pixels at least tile_margin(depth) from each of its edges that
 *     lies inside the image: the zero padding of a convolution at a tile edge inside the image
 *     reads zeros where the image has pixels, and that error spreads one pixel per 3x3
 *     convolution of a level (2^level image pixels), rounded up to the pooling grid at each pool.
 *     At an edge of the (padded) image the tile pads exactly as the whole pass does.
 * What is left is the convolutions' summation order (the algorithm a layer takes depends on its
 * image size): tests/test_model_tile.c measures the difference from the untiled pass. */
#ifndef WB_MODEL_TILE_H
#define WB_MODEL_TILE_H

#include <stddef.h>

#include "model/unet.h"

/* The default tile side. On a 1024x768 image at width 16, depth 2 (2 threads, user CPU time on
 * a loaded machine): 256x256 tiles took 3.0 s and 244 MB of network, 512x512 3.1 s and 975 MB,
 * 128x128 tiles 8.5 s and 62 MB (2.4 times the pixels with the margins, and the direct kernels
 * of 128x128 images were slower than im2col + GEMM on larger ones); one pass over the whole
 * image 1.6 s (one thread) and 2.5 GB. */
#define TILE_DEFAULT 256

/* Pixels of the untiled result that a zero-padded tile edge inside the image changes: the exact
 * receptive-field margin of a depth-`depth` U-Net (8, 22, 46 for depths 1, 2, 3). */
int tile_margin(int depth);
/* tile_margin rounded up to a multiple of 2^depth, so tile steps keep origins on the pooling
 * grid: what tile_plan_make is given by its callers (8, 24, 48). */
int tile_margin_aligned(int depth);

typedef struct tile_plan {
    int depth;
    int height, width;              /* the images */
    int pad_height, pad_width;      /* padded to multiples of 2^depth */
    int tile_height, tile_width;    /* the network's images: min(tile, padded side) */
    int margin;
    int rows, cols;                 /* tiles per image */
} tile_plan;

/* Plans height x width images in tiles of at most `tile` pixels a side (a multiple of 2^depth
 * greater than 2 * margin) with `margin` pixels of overlap on each side (a multiple of 2^depth;
 * tile_margin_aligned(depth) for the untiled result). Returns 0, or -1 with err set. */
int tile_plan_make(tile_plan *p, int depth, int height, int width, int tile, int margin,
                   char *err, size_t errlen);

/* Predicts n NHWC images (n, height, width, 3) from x into y (the same shape) with u, made with
 * unet_create_forward(tile_height, tile_width) (any max batch: that many tiles go through each
 * forward pass, tiles of consecutive images together). Memory besides u's arena: one staging
 * buffer of u's max batch of tiles (12 bytes a pixel). Returns 0, or -1 (out of memory, or u's
 * images are not the plan's tiles) with err set. */
int tile_predict(unet *u, const tile_plan *p, const float *x, float *y, size_t n, char *err,
                 size_t errlen);

#endif
