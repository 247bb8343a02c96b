/* tests/python/takehome_loss.c: wb's side of make check-python (not part of make test).
 *
 *   takehome_loss code pytorch|tensorflow LAMBDA KERNEL NORM BORDER PIXEL
 *       prints the loss as code (plots/takehome.h)
 *   takehome_loss value PRED.npy TARGET.npy LAMBDA KERNEL NORM BORDER PIXEL
 *       prints wb's training loss (model/loss.h's loss_value_of, the value the trainer logs) of
 *       two (N, H, W, 3) float32 arrays, with 17 significant digits
 *   takehome_loss kernels
 *       prints the kernel table's per-channel kernels (model/lap_kernels.h), those offered as
 *       code, one a line: its name, a tab, its label
 *
 * KERNEL is a per-channel kernel's name (4, 8, ...; or - for none), NORM none|l1|energy, BORDER
 * reflect101|replicate|zero, PIXEL mse|l1|charbonnier, the names the store and the INI file use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"
#include "model/loss.h"
#include "plots/takehome.h"

static int lookup(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    fprintf(stderr, "takehome_loss: unknown name '%s'\n", name);
    exit(2);
}

/* A name of the kernel table (model/lap_kernels.h), through its find function. */
static int table_lookup(const char *name, int (*find)(const char *))
{
    const int i = find(name);
    if (i < 0) {
        fprintf(stderr, "takehome_loss: unknown name '%s'\n", name);
        exit(2);
    }
    return i;
}

/* (N, H, W, 3) into channel-major (3, N*H*W), as the trainer holds batches. */
static float *channel_major(const npy_array *a)
{
    size_t n = a->shape[0], hw = a->shape[1] * a->shape[2];
    const float *src = a->data;
    float *out = malloc(3 * n * hw * sizeof *out);
    if (!out)
        return NULL;
    for (size_t s = 0; s < n; s++)
        for (size_t p = 0; p < hw; p++)
            for (int c = 0; c < 3; c++)
                out[(size_t)c * n * hw + s * hw + p] = src[(s * hw + p) * 3 + c];
    return out;
}

int main(int argc, char **argv)
{
    static const char *const borders[] = { "reflect101", "replicate", "zero" };
    static const char *const pixels[] = { "mse", "l1", "charbonnier" };
    char err[512];
    if (argc == 2 && strcmp(argv[1], "kernels") == 0) {
        for (int k = 0; k < LAP_KERNEL_COUNT; k++)
            if (!lap_kernel_def_of(k)->mixes_channels)
                printf("%s\t%s\n", lap_kernel_def_of(k)->name, lap_kernel_def_of(k)->label);
        return 0;
    }
    if (argc == 8 && strcmp(argv[1], "code") == 0) {
        takehome_loss loss = { strtod(argv[3], NULL), strcmp(argv[4], "-") ? argv[4] : NULL,
                               argv[5], argv[6], argv[7] };
        static char code[8192];
        enum takehome_framework fw = strcmp(argv[2], "tensorflow") == 0 ? TAKEHOME_TENSORFLOW
                                                                        : TAKEHOME_PYTORCH;
        if (takehome_code(&loss, fw, code, sizeof code, err, sizeof err) != 0) {
            fprintf(stderr, "takehome_loss: %s\n", err);
            return 1;
        }
        fputs(code, stdout);
        return 0;
    }
    if (argc != 9 || strcmp(argv[1], "value") != 0) {
        fprintf(stderr, "usage: takehome_loss code pytorch|tensorflow LAMBDA KERNEL NORM BORDER "
                        "PIXEL\n       takehome_loss value PRED.npy TARGET.npy LAMBDA KERNEL "
                        "NORM BORDER PIXEL\n       takehome_loss kernels\n");
        return 2;
    }
    npy_array pred, target;
    if (npy_read(argv[2], &pred, err, sizeof err) != 0 ||
        npy_read(argv[3], &target, err, sizeof err) != 0) {
        fprintf(stderr, "takehome_loss: %s\n", err);
        return 1;
    }
    if (pred.dtype != NPY_F32 || pred.ndim != 4 || pred.shape[3] != 3 ||
        target.dtype != NPY_F32 || target.ndim != 4 ||
        memcmp(pred.shape, target.shape, 4 * sizeof pred.shape[0]) != 0) {
        fprintf(stderr, "takehome_loss: two float32 arrays of one shape (N, H, W, 3)\n");
        return 1;
    }
    loss_options o = { .pixel = (enum pixel_loss)lookup(argv[8], pixels, 3),
                       .lap_weight = strtod(argv[4], NULL),
                       .kernel = strcmp(argv[5], "-")
                                     ? (enum lap_kernel)table_lookup(argv[5], lap_kernel_find)
                                     : LAP_K4,
                       .border = (enum lap_border)lookup(argv[7], borders, 3),
                       .kernel_norm = (enum lap_norm)table_lookup(argv[6], lap_norm_find) };
    int n = (int)pred.shape[0], h = (int)pred.shape[1], w = (int)pred.shape[2];
    float *yhat = channel_major(&pred), *y = channel_major(&target);
    double *scratch = malloc(LOSS_SCRATCH_PER_PIXEL * (size_t)h * w * sizeof *scratch);
    if (!yhat || !y || !scratch) {
        fprintf(stderr, "takehome_loss: out of memory\n");
        return 1;
    }
    loss_value v = loss_value_of(&o, yhat, y, scratch, 1, n, h, w);
    printf("%.17g\n", v.total);
    free(yhat);
    free(y);
    free(scratch);
    npy_free(&pred);
    npy_free(&target);
    return 0;
}
