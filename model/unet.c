/* model/unet.c: the U-Net of docs/DESIGN.md on top of model/layers.c, and its arena.
 *
 * Activations are channel-major, (C, n*H*W). Level i's skip tensor and up{i}'s output share one
 * buffer, cat{i} = [enc{i}.conv2 output ; up{i} output], so dec{i}.conv1 reads the concatenation
 * without a copy. */
#include "model/unet.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/layers.h"
#include "model/safetensors.h"

#define UNET_MAX_DEPTH 3
#define UNET_MAX_TENSORS 64

typedef struct conv_ref {
    int weight, bias;   /* tensor indices */
    int cin, cout, ksize;
    conv_desc desc;     /* sizes at its level and ReLU (convolutions only) */
} conv_ref;

struct unet {
    model_options m;
    int height, width, max_batch, threads;   /* the images of every pass */
    int training;       /* gradients and moments exist (unet_create, not unet_create_forward) */
    size_t arena_bytes;

    unet_tensor tensors[UNET_MAX_TENSORS];
    size_t ntensors, nparams;

    void *arena;
    float *params, *grads, *moments[2];

    conv_ref enc1[UNET_MAX_DEPTH], enc2[UNET_MAX_DEPTH], mid1, mid2, up[UNET_MAX_DEPTH],
        dec1[UNET_MAX_DEPTH], dec2[UNET_MAX_DEPTH], out;

    /* activations (sized for max_batch) and their gradients */
    float *a1[UNET_MAX_DEPTH], *cat[UNET_MAX_DEPTH], *pool[UNET_MAX_DEPTH], *m1, *m2,
        *d1[UNET_MAX_DEPTH], *d2[UNET_MAX_DEPTH], *y;
    float *g_a1[UNET_MAX_DEPTH], *g_cat[UNET_MAX_DEPTH], *g_pool[UNET_MAX_DEPTH], *g_m1, *g_m2,
        *g_d1[UNET_MAX_DEPTH], *g_d2[UNET_MAX_DEPTH];
    uint8_t *argmax[UNET_MAX_DEPTH];
    float *predict_in, *predict_out;    /* channel-major staging for unet_predict */

    const float *last_x;        /* the last forward's input */
    int last_n;

    layer_scratch scratch;
    layer_profile prof;
};

/* ---- parameter table ------------------------------------------------------------------------ */

static int add_tensor(unet *u, const char *name, int ndim, const int *shape, float init_std)
{
    unet_tensor *t = &u->tensors[u->ntensors];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->count *= (size_t)shape[i];
    }
    t->offset = u->nparams;
    t->init_std = init_std;
    u->nparams += t->count;
    return (int)u->ntensors++;
}

static conv_ref add_conv(unet *u, const char *prefix, int cin, int cout, int ksize, int level,
                         int relu)
{
    char name[UNET_NAME_LEN];
    conv_ref c = { 0, 0, cin, cout, ksize, { cin, cout, u->height >> level, u->width >> level,
                                             ksize, relu } };
    snprintf(name, sizeof name, "%.20s.weight", prefix);
    c.weight = add_tensor(u, name, 4, (const int[]){ cout, cin, ksize, ksize },
                          (float)sqrt(2.0 / (cin * ksize * ksize)));
    snprintf(name, sizeof name, "%.20s.bias", prefix);
    c.bias = add_tensor(u, name, 1, (const int[]){ cout }, 0.0f);
    return c;
}

/* A k=2, s=2 transposed convolution sums exactly cin inputs into each output pixel, so its
 * He fan_in is cin (PyTorch's kaiming_normal_ would use cout*4 from the weight's shape). */
static conv_ref add_upconv(unet *u, const char *prefix, int cin, int cout)
{
    char name[UNET_NAME_LEN];
    conv_ref c = { 0, 0, cin, cout, 2, { 0 } };
    snprintf(name, sizeof name, "%.20s.weight", prefix);
    c.weight = add_tensor(u, name, 4, (const int[]){ cin, cout, 2, 2 }, (float)sqrt(2.0 / cin));
    snprintf(name, sizeof name, "%.20s.bias", prefix);
    c.bias = add_tensor(u, name, 1, (const int[]){ cout }, 0.0f);
    return c;
}

/* state_dict order: enc0..enc{d-1}, mid, then up{i}, dec{i} for i = d-1..0, then out. */
static void build_layers(unet *u)
{
    const int d = u->m.depth, C = u->m.base_channels;
    char p[UNET_NAME_LEN];
    for (int i = 0; i < d; i++) {
        const int cin = i == 0 ? 3 : C << (i - 1), c = C << i;
        snprintf(p, sizeof p, "enc%d.conv1", i);
        u->enc1[i] = add_conv(u, p, cin, c, 3, i, 1);
        snprintf(p, sizeof p, "enc%d.conv2", i);
        u->enc2[i] = add_conv(u, p, c, c, 3, i, 1);
    }
    u->mid1 = add_conv(u, "mid.conv1", C << (d - 1), C << d, 3, d, 1);
    u->mid2 = add_conv(u, "mid.conv2", C << d, C << d, 3, d, 1);
    for (int i = d - 1; i >= 0; i--) {
        snprintf(p, sizeof p, "up%d", i);
        u->up[i] = add_upconv(u, p, C << (i + 1), C << i);
        snprintf(p, sizeof p, "dec%d.conv1", i);
        u->dec1[i] = add_conv(u, p, 2 * (C << i), C << i, 3, i, 1);
        snprintf(p, sizeof p, "dec%d.conv2", i);
        u->dec2[i] = add_conv(u, p, C << i, C << i, 3, i, 1);
    }
    u->out = add_conv(u, "out", C, 3, 1, 0, 0);
}

/* ---- arena ------------------------------------------------------------------------------------ */

typedef struct arena_entry {
    void **ptr;
    size_t bytes;
} arena_entry;

#define ARENA_ALIGN 64

static size_t align_up(size_t v)
{
    return (v + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

static int rows(const unet *u, int level)
{
    return u->height >> level;
}

static int cols(const unet *u, int level)
{
    return u->width >> level;
}

static size_t level_floats(const unet *u, int channels, int level)
{
    return (size_t)channels * u->max_batch * rows(u, level) * cols(u, level);
}

/* Scratch: the largest any layer plans for and the largest weight accumulator (per thread), and
 * the largest shared weight buffer. */
static void scratch_sizes(const unet *u, size_t *col, size_t *acc, size_t *shared)
{
    const conv_ref *convs[4 * UNET_MAX_DEPTH + 3];
    int nc = 0;
    for (int i = 0; i < u->m.depth; i++) {
        convs[nc++] = &u->enc1[i];
        convs[nc++] = &u->enc2[i];
        convs[nc++] = &u->dec1[i];
        convs[nc++] = &u->dec2[i];
    }
    convs[nc++] = &u->mid1;
    convs[nc++] = &u->mid2;
    convs[nc++] = &u->out;
    *col = *acc = *shared = 0;
#define GROW(v, x) ((v) = (x) > (v) ? (x) : (v))
    for (int k = 0; k < nc; k++) {
        const conv_desc *d = &convs[k]->desc;
        GROW(*col, conv_scratch_floats(d, u->max_batch));
        GROW(*acc, conv_acc_floats(d));
        GROW(*shared, conv_shared_floats(d));
    }
    for (int i = 0; i < u->m.depth; i++) {
        GROW(*col, upconv_scratch_floats(u->up[i].cout, rows(u, i + 1), cols(u, i + 1),
                                         u->max_batch));
        GROW(*acc, (size_t)u->up[i].cin * u->up[i].cout * 4 + u->up[i].cout);
    }
#undef GROW
    *col = align_up(*col * sizeof(float)) / sizeof(float);
    *acc = align_up(*acc * sizeof(float)) / sizeof(float);
}

static int allocate_arena(unet *u, char *err, size_t errlen)
{
    const int d = u->m.depth, C = u->m.base_channels;
    arena_entry e[128];
    int ne = 0;
#define ENTRY(p, floats) (e[ne].ptr = (void **)&(p), e[ne++].bytes = (floats) * sizeof(float))
    /* A forward-only network's gradients, moments and accumulators take 0 bytes (NULL). */
    const size_t train = u->training ? 1 : 0;
    ENTRY(u->params, u->nparams);
    ENTRY(u->grads, u->nparams * train);
    ENTRY(u->moments[0], u->nparams * train);
    ENTRY(u->moments[1], u->nparams * train);
    for (int i = 0; i < d; i++) {
        ENTRY(u->a1[i], level_floats(u, C << i, i));
        ENTRY(u->cat[i], level_floats(u, 2 * (C << i), i));
        ENTRY(u->pool[i], level_floats(u, C << i, i + 1));
        ENTRY(u->d1[i], level_floats(u, C << i, i));
        ENTRY(u->d2[i], level_floats(u, C << i, i));
    }
    ENTRY(u->m1, level_floats(u, C << d, d));
    ENTRY(u->m2, level_floats(u, C << d, d));
    ENTRY(u->y, level_floats(u, 3, 0));
    ENTRY(u->predict_in, level_floats(u, 3, 0));
    ENTRY(u->predict_out, level_floats(u, 3, 0));
    for (int i = 0; i < d; i++) {
        ENTRY(u->g_a1[i], level_floats(u, C << i, i) * train);
        ENTRY(u->g_cat[i], level_floats(u, 2 * (C << i), i) * train);
        ENTRY(u->g_pool[i], level_floats(u, C << i, i + 1) * train);
        ENTRY(u->g_d1[i], level_floats(u, C << i, i) * train);
        ENTRY(u->g_d2[i], level_floats(u, C << i, i) * train);
    }
    ENTRY(u->g_m1, level_floats(u, C << d, d) * train);
    ENTRY(u->g_m2, level_floats(u, C << d, d) * train);
    size_t colf, accf, sharedf;
    scratch_sizes(u, &colf, &accf, &sharedf);
    accf *= train;
    u->scratch.col_floats = colf;
    u->scratch.acc_floats = accf;
    u->scratch.shared_floats = sharedf;
    ENTRY(u->scratch.col, colf * u->threads);
    ENTRY(u->scratch.acc, accf * u->threads);
    ENTRY(u->scratch.shared, sharedf);
#undef ENTRY
    for (int i = 0; i < d; i++) {
        e[ne].ptr = (void **)&u->argmax[i];
        e[ne++].bytes = level_floats(u, C << i, i + 1);
    }

    size_t total = 0;
    for (int k = 0; k < ne; k++)
        total += align_up(e[k].bytes);
    u->arena = aligned_alloc(ARENA_ALIGN, total);
    if (!u->arena) {
        snprintf(err, errlen, "cannot allocate %.1f MB for the network (batch %d, width %d)",
                 total / 1e6, u->max_batch, C);
        return -1;
    }
    memset(u->arena, 0, total);
    size_t off = 0;
    for (int k = 0; k < ne; k++) {
        *e[k].ptr = e[k].bytes ? (char *)u->arena + off : NULL;
        off += align_up(e[k].bytes);
    }
    u->arena_bytes = total;
    return 0;
}

static int create(unet **out, const model_options *m, int height, int width, int max_batch,
                  int threads, int training, char *err, size_t errlen)
{
    *out = NULL;
    const int step = m->depth >= 1 && m->depth <= UNET_MAX_DEPTH ? 1 << m->depth : 1;
    if (m->depth < 1 || m->depth > UNET_MAX_DEPTH || m->base_channels < 1 || height < 2 ||
        width < 2 || height % step != 0 || width % step != 0 || max_batch < 1 || threads < 1) {
        snprintf(err, errlen, "invalid network: depth %d, width %d, images %dx%d, batch %d, "
                 "threads %d", m->depth, m->base_channels, height, width, max_batch, threads);
        return -1;
    }
    unet *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    u->m = *m;
    u->height = height;
    u->width = width;
    u->training = training;
    u->max_batch = max_batch;
    u->threads = threads;
    u->scratch.threads = threads;
    build_layers(u);
    if (allocate_arena(u, err, errlen) != 0) {
        free(u);
        return -1;
    }
    *out = u;
    return 0;
}

int unet_create(unet **out, const model_options *m, int patch, int max_batch, int threads,
                char *err, size_t errlen)
{
    return create(out, m, patch, patch, max_batch, threads, 1, err, errlen);
}

int unet_create_forward(unet **out, const model_options *m, int height, int width, int max_batch,
                        int threads, char *err, size_t errlen)
{
    return create(out, m, height, width, max_batch, threads, 0, err, errlen);
}

size_t unet_arena_bytes(const unet *u)
{
    return u->arena_bytes;
}

int unet_height(const unet *u)
{
    return u->height;
}

int unet_width(const unet *u)
{
    return u->width;
}

int unet_max_batch(const unet *u)
{
    return u->max_batch;
}

void unet_free(unet *u)
{
    if (!u)
        return;
    free(u->arena);
    free(u);
}

size_t unet_tensor_count(const unet *u)
{
    return u->ntensors;
}

const unet_tensor *unet_tensor_at(const unet *u, size_t i)
{
    return i < u->ntensors ? &u->tensors[i] : NULL;
}

size_t unet_param_count(const unet *u)
{
    return u->nparams;
}

size_t unet_params_of(const model_options *m)
{
    if (m->depth < 1 || m->depth > UNET_MAX_DEPTH || m->base_channels < 1)
        return 0;
    unet *u = calloc(1, sizeof *u);
    if (!u)
        return 0;
    u->m = *m;
    u->height = u->width = 1 << m->depth;
    build_layers(u);    /* the parameter table only: no arena */
    const size_t n = u->nparams;
    free(u);
    return n;
}

float *unet_params(unet *u)
{
    return u->params;
}

float *unet_grads(unet *u)
{
    return u->grads;
}

float *unet_moment(unet *u, int which)
{
    return u->moments[which ? 1 : 0];
}

void unet_init(unet *u, uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    /* mt19937 takes an unsigned long seed; fold the high half in so 64-bit seeds stay distinct. */
    gsl_rng_set(r, (unsigned long)(seed ^ (seed >> 32)));
    for (size_t i = 0; i < u->ntensors; i++) {
        const unet_tensor *t = &u->tensors[i];
        float *p = u->params + t->offset;
        for (size_t k = 0; k < t->count; k++)
            p[k] = t->init_std > 0 ? (float)gsl_ran_gaussian(r, t->init_std) : 0.0f;
    }
    gsl_rng_free(r);
    /* A residual network starts as the identity: its output layer starts at zero (drawn first
     * and then cleared, so every other layer gets the weights the same seed gives without the
     * residual connection). */
    if (u->m.residual)
        memset(u->params + u->tensors[u->out.weight].offset, 0,
               sizeof(float) * u->tensors[u->out.weight].count);
}

void unet_zero_grads(unet *u)
{
    if (u->grads)
        memset(u->grads, 0, sizeof(float) * u->nparams);
}

/* ---- passes ---------------------------------------------------------------------------------- */

#define W(c) (u->params + u->tensors[(c).weight].offset)
#define B(c) (u->params + u->tensors[(c).bias].offset)
#define DW(c) (u->grads + u->tensors[(c).weight].offset)
#define DB(c) (u->grads + u->tensors[(c).bias].offset)

static void conv_fwd(unet *u, const conv_ref *c, float *y, const float *x, int n)
{
    conv2d_forward(y, x, W(*c), B(*c), n, &c->desc, &u->scratch);
}

static void conv_bwd(unet *u, const conv_ref *c, float *dx, float *dy, const float *y,
                     const float *x, int n)
{
    conv2d_backward(dx, DW(*c), DB(*c), dy, y, x, W(*c), n, &c->desc, 0, &u->scratch);
}

/* Channel stride of a level's tensors for a batch of n. */
static size_t plane(const unet *u, int n, int level)
{
    return (size_t)n * rows(u, level) * cols(u, level);
}

const float *unet_forward(unet *u, const float *x, int n)
{
    const int d = u->m.depth;
    u->last_x = x;
    u->last_n = n;
    const float *in = x;
    for (int i = 0; i < d; i++) {
        const int c = u->enc1[i].cout;
        conv_fwd(u, &u->enc1[i], u->a1[i], in, n);
        conv_fwd(u, &u->enc2[i], u->cat[i], u->a1[i], n);
        maxpool2x2_forward(u->pool[i], u->argmax[i], u->cat[i], n, c, rows(u, i), cols(u, i),
                           &u->scratch);
        in = u->pool[i];
    }
    conv_fwd(u, &u->mid1, u->m1, in, n);
    conv_fwd(u, &u->mid2, u->m2, u->m1, n);
    in = u->m2;
    for (int i = d - 1; i >= 0; i--) {
        const conv_ref *up = &u->up[i];
        float *upper_half = u->cat[i] + (size_t)up->cout * plane(u, n, i);
        upconv2x2_forward(upper_half, in, W(*up), B(*up), n, up->cin, up->cout, rows(u, i + 1),
                          cols(u, i + 1), &u->scratch);
        conv_fwd(u, &u->dec1[i], u->d1[i], u->cat[i], n);
        conv_fwd(u, &u->dec2[i], u->d2[i], u->d1[i], n);
        in = u->d2[i];
    }
    conv_fwd(u, &u->out, u->y, in, n);
    if (u->m.residual) {
        const size_t count = 3 * plane(u, n, 0);
        for (size_t k = 0; k < count; k++)
            u->y[k] += x[k];
    }
    return u->y;
}

void unet_backward(unet *u, float *dy, int n)
{
    const int d = u->m.depth;
    if (!u->training)
        return;
    /* Every activation gradient has one first writer, which overwrites it (dx_add = 0), so
     * nothing is zeroed: clearing the 9 MB of a width-16 batch of 64 was 2-5 % of a step. The
     * max-pool's share then adds into the skip gradient dec{i}.conv1 wrote. */
    /* Decoder, from the output down to the deepest level. The residual connection adds the
     * input, which needs no gradient. */
    conv_bwd(u, &u->out, u->g_d2[0], dy, NULL, u->d2[0], n);
    for (int i = 0; i < d; i++) {
        const conv_ref *up = &u->up[i];
        const int s = rows(u, i + 1), t = cols(u, i + 1);
        conv_bwd(u, &u->dec2[i], u->g_d1[i], u->g_d2[i], u->d2[i], u->d1[i], n);
        conv_bwd(u, &u->dec1[i], u->g_cat[i], u->g_d1[i], u->d1[i], u->cat[i], n);
        const float *g_up = u->g_cat[i] + (size_t)up->cout * plane(u, n, i);
        float *g_in = i + 1 < d ? u->g_d2[i + 1] : u->g_m2;
        const float *in = i + 1 < d ? u->d2[i + 1] : u->m2;
        upconv2x2_backward(g_in, DW(*up), DB(*up), g_up, in, W(*up), n, up->cin, up->cout, s, t,
                           0, &u->scratch);
    }
    conv_bwd(u, &u->mid2, u->g_m1, u->g_m2, u->m2, u->m1, n);
    conv_bwd(u, &u->mid1, u->g_pool[d - 1], u->g_m1, u->m1, u->pool[d - 1], n);
    /* Encoder, from the deepest level up: the skip gradient (already in g_cat's lower half from
     * dec{i}.conv1) receives the pool's share before enc{i}.conv2 consumes it. */
    for (int i = d - 1; i >= 0; i--) {
        const int c = u->enc1[i].cout;
        maxpool2x2_backward(u->g_cat[i], u->g_pool[i], u->argmax[i], n, c, rows(u, i), cols(u, i),
                            &u->scratch);
        conv_bwd(u, &u->enc2[i], u->g_a1[i], u->g_cat[i], u->cat[i], u->a1[i], n);
        const float *in = i > 0 ? u->pool[i - 1] : u->last_x;
        conv_bwd(u, &u->enc1[i], i > 0 ? u->g_pool[i - 1] : NULL, u->g_a1[i], u->a1[i], in, n);
    }
}

/* FNV-1a over one bit per ReLU output (active or not) and one byte per pool winner. */
static uint64_t fnv_mask(uint64_t h, const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint64_t)(a[i] > 0.0f)) * 1099511628211ull;
    return h;
}

uint64_t unet_kink_signature(const unet *u)
{
    const int n = u->last_n, d = u->m.depth;
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < d; i++) {
        const size_t c = (size_t)u->enc1[i].cout, pl = plane(u, n, i);
        h = fnv_mask(h, u->a1[i], c * pl);
        h = fnv_mask(h, u->cat[i], c * pl);   /* the lower half: enc{i}.conv2 after ReLU */
        h = fnv_mask(h, u->d1[i], c * pl);
        h = fnv_mask(h, u->d2[i], c * pl);
        const size_t np = c * plane(u, n, i + 1);
        for (size_t k = 0; k < np; k++)
            h = (h ^ u->argmax[i][k]) * 1099511628211ull;
    }
    const size_t cm = (size_t)u->mid1.cout * plane(u, n, d);
    h = fnv_mask(h, u->m1, cm);
    return fnv_mask(h, u->m2, cm);
}

/* ---- profile and FLOPs ---------------------------------------------------------------------- */

void unet_profile_enable(unet *u, int on)
{
    u->scratch.prof = on ? &u->prof : NULL;
}

layer_profile unet_profile_get(const unet *u)
{
    return u->prof;
}

void unet_profile_reset(unet *u)
{
    memset(&u->prof, 0, sizeof u->prof);
}

/* Forward, weight-gradient and input-gradient GEMMs, 2*M*N*K each per sample; the first layer
 * has no input gradient. */
double unet_flops_per_sample(const unet *u)
{
    double f = 0;
    for (size_t i = 0; i < u->ntensors; i++) {
        const unet_tensor *t = &u->tensors[i];
        if (t->ndim != 4)
            continue;
        int level = 0;
        const char *name = t->name;
        if (!strncmp(name, "mid", 3))
            level = u->m.depth;
        else if (!strncmp(name, "up", 2))
            level = name[2] - '0' + 1;  /* an up's GEMM runs at its input's resolution */
        else if (!strncmp(name, "out", 3))
            level = 0;
        else
            level = name[3] - '0';
        const double pixels = (double)rows(u, level) * cols(u, level);
        const double passes = strcmp(name, "enc0.conv1.weight") == 0 ? 2 : 3;
        f += passes * 2.0 * (double)t->count * pixels;
    }
    return f;
}

/* ---- layout, weights, prediction -------------------------------------------------------------- */

void nhwc_to_cm(const float *src, float *dst, int n, int hw, int c)
{
    const size_t plane = (size_t)n * hw;
    for (int s = 0; s < n; s++)
        for (int p = 0; p < hw; p++)
            for (int k = 0; k < c; k++)
                dst[k * plane + (size_t)s * hw + p] = src[((size_t)s * hw + p) * c + k];
}

void cm_to_nhwc(const float *src, float *dst, int n, int hw, int c)
{
    const size_t plane = (size_t)n * hw;
    for (int s = 0; s < n; s++)
        for (int p = 0; p < hw; p++)
            for (int k = 0; k < c; k++)
                dst[((size_t)s * hw + p) * c + k] = src[k * plane + (size_t)s * hw + p];
}

int unet_save_weights(const unet *u, const char *path, const st_meta *meta, size_t nmeta,
                      char *err, size_t errlen)
{
    st_tensor tensors[UNET_MAX_TENSORS];
    for (size_t i = 0; i < u->ntensors; i++) {
        const unet_tensor *ut = &u->tensors[i];
        tensors[i].name = ut->name;
        tensors[i].ndim = ut->ndim;
        for (int k = 0; k < ut->ndim; k++)
            tensors[i].shape[k] = ut->shape[k];
        tensors[i].data = u->params + ut->offset;
    }
    return safetensors_write(path, tensors, u->ntensors, meta, nmeta, err, errlen);
}

int unet_load_weights(unet *u, const char *path, char *err, size_t errlen)
{
    st_file f;
    if (safetensors_read(path, &f, err, errlen) != 0)
        return -1;
    int rc = 0;
    if (f.nt != u->ntensors) {
        snprintf(err, errlen, "%s: %zu tensors, this network has %zu", path, f.nt, u->ntensors);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < u->ntensors; i++) {
        const unet_tensor *t = &u->tensors[i];
        const st_tensor *s = safetensors_find(&f, t->name);
        int same = s && s->ndim == t->ndim;
        for (int k = 0; same && k < t->ndim; k++)
            same = s->shape[k] == t->shape[k];
        if (!same) {
            snprintf(err, errlen, "%s: tensor %s %s", path, t->name,
                     s ? "has another shape than this network's" : "is missing");
            rc = -1;
            break;
        }
        /* A damaged or diverged file: weights that would predict NaN, never used. */
        for (size_t k = 0; k < t->count; k++)
            if (!isfinite(s->data[k])) {
                snprintf(err, errlen, "%s: tensor %s holds %s (value %zu): the weights are "
                         "damaged or diverged", path, t->name, isnan(s->data[k]) ? "NaN" : "Inf",
                         k);
                rc = -1;
                break;
            }
        if (rc != 0)
            break;
        memcpy(u->params + t->offset, s->data, sizeof(float) * t->count);
    }
    safetensors_free(&f);
    return rc;
}

void unet_predict(unet *u, const float *x, float *out, size_t n)
{
    const int hw = u->height * u->width;
    for (size_t s0 = 0; s0 < n; s0 += (size_t)u->max_batch) {
        const int nb = (int)(n - s0 < (size_t)u->max_batch ? n - s0 : (size_t)u->max_batch);
        nhwc_to_cm(x + s0 * hw * 3, u->predict_in, nb, hw, 3);
        const float *y = unet_forward(u, u->predict_in, nb);
        cm_to_nhwc(y, out + s0 * hw * 3, nb, hw, 3);
    }
}
