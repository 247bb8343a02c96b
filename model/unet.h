/* model/unet.h: the U-Net of docs/DESIGN.md, its parameters in PyTorch's names and layouts, and its
 * forward and backward passes over a batch held channel-major, (C, N*H*W).
 *
 * One arena per network holds parameters, gradients, optimizer moments, activations, their
 * gradients and per-thread scratch, sized once for the largest batch: a training step allocates
 * nothing. */
#ifndef WB_MODEL_UNET_H
#define WB_MODEL_UNET_H

#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

typedef struct model_options {
    int depth;          /* 1..3 poolings */
    int base_channels;  /* C; level i has C * 2^i channels */
    int residual;       /* add the input to the output */
} model_options;

#define UNET_MAX_DIMS 4
#define UNET_NAME_LEN 32

/* One parameter tensor: a PyTorch state_dict entry. */
typedef struct unet_tensor {
    char name[UNET_NAME_LEN];   /* "enc0.conv1.weight" */
    int ndim;
    int shape[UNET_MAX_DIMS];   /* (out, in, kh, kw) for conv, (in, out, kh, kw) for up */
    size_t offset, count;       /* into the flat parameter (and gradient, moment) arrays */
    float init_std;             /* He-normal std sqrt(2 / fan_in); 0 for biases */
} unet_tensor;

typedef struct unet unet;

/* patch: H = W, divisible by 2^depth; max_batch: the largest n any pass will see;
 * threads: the OpenMP thread count of the run (scratch is sized for it). */
int unet_create(unet **out, const model_options *m, int patch, int max_batch, int threads,
                char *err, size_t errlen);
/* A network for inference only, on height x width images (each divisible by 2^depth, any aspect):
 * no gradients, moments or gradient accumulators in its arena (unet_grads and unet_moment return
 * NULL, unet_backward does nothing). Its forward pass computes what unet_create's does. */
int unet_create_forward(unet **out, const model_options *m, int height, int width, int max_batch,
                        int threads, char *err, size_t errlen);
void unet_free(unet *u);

/* The bytes the network's arena holds (parameters, activations, scratch): all the memory a pass
 * uses, fixed at creation. */
size_t unet_arena_bytes(const unet *u);
int unet_height(const unet *u);
int unet_width(const unet *u);
int unet_max_batch(const unet *u);

size_t unet_tensor_count(const unet *u);
const unet_tensor *unet_tensor_at(const unet *u, size_t i);
size_t unet_param_count(const unet *u);
/* The parameters a network of these options has, without making one (0 for invalid options). */
size_t unet_params_of(const model_options *m);
float *unet_params(unet *u);    /* unet_param_count() floats */
float *unet_grads(unet *u);
/* Two more arrays of unet_param_count() floats in the arena, for the optimizer's moments. */
float *unet_moment(unet *u, int which);

/* He-normal weights and zero biases from a GSL mt19937 generator seeded with `seed`, drawn tensor
 * by tensor in state_dict order, each in its PyTorch layout order. */
void unet_init(unet *u, uint64_t seed);

/* x: (3, n*H*W) channel-major. The output, (3, n*H*W), stays valid until the next forward. */
const float *unet_forward(unet *u, const float *x, int n);
/* dy: dL/doutput, (3, n*H*W), for the n of the last forward (used as scratch: overwritten).
 * Adds into the parameter gradients (zero them with unet_zero_grads first). */
void unet_backward(unet *u, float *dy, int n);
void unet_zero_grads(unet *u);

/* A hash of which ReLUs were active and which max-pool inputs won in the last forward. Between
 * two points with the same signature the network is linear along the segment's ends' pieces, so
 * gradient checks use it to skip directions that cross a kink. */
uint64_t unet_kink_signature(const unet *u);

/* Per-part timings of the passes since the last reset (model/profile.h), for the benchmark. */
void unet_profile_enable(unet *u, int on);
layer_profile unet_profile_get(const unet *u);
void unet_profile_reset(unet *u);
/* FLOPs of one sample's forward, weight-gradient and input-gradient GEMMs (2*M*N*K each). */
double unet_flops_per_sample(const unet *u);

/* Writes the parameters as a safetensors file with PyTorch's state_dict names, with metadata. */
struct st_meta;
int unet_save_weights(const unet *u, const char *path, const struct st_meta *meta, size_t nmeta,
                      char *err, size_t errlen);

/* Loads weights (every tensor present with its shape, nothing extra) from a safetensors file;
 * a file holding NaN or Inf is refused (damaged, or the weights of a diverged run). */
int unet_load_weights(unet *u, const char *path, char *err, size_t errlen);

/* Forward over n NHWC (n, H, W, 3) images (H, W the network's) in batches of at most the network's max batch;
 * writes NHWC predictions into out. */
void unet_predict(unet *u, const float *x, float *out, size_t n);

/* NHWC (n, H, W, 3) <-> channel-major (3, n*H*W). */
void nhwc_to_cm(const float *src, float *dst, int n, int hw, int c);
void cm_to_nhwc(const float *src, float *dst, int n, int hw, int c);

#endif
