/* data/dataset.c: sources (builtin photos, a PNG folder, .npy arrays) cut into leak-free splits.
 *
 * Each image is cut into three horizontal bands (train, val, test; see dataset.h) and a split's
 * patches lie entirely inside its bands, so no pixel of a val or test patch is in a train patch.
 * A split's candidate positions are every (image, row, column) whose patch fits inside the band;
 * they are numbered across images in file order and drawn uniformly without replacement (a sparse
 * Fisher-Yates shuffle), which picks images in proportion to their number of positions, never
 * repeats a position, and makes the first k patches the same whatever the requested count. Patches
 * flatter than data.min_std are skipped; after MAX_TRIES_PER_PATCH draws per requested patch (or
 * all positions) the load gives up and says how many it found. */
#include <dirent.h>
#include <errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/dataset.h"
#include "data/image.h"
#include "data/npy.h"
#include "data/photos.h"
#include "data/seed.h"

/* Band edges in percent of an image's height: train [0, 65), val [65, 80), test [80, 100). */
static const int band_percent[3][2] = {{0, 65}, {65, 80}, {80, 100}};
static const char *const split_names[3] = {"train", "val", "test"};
enum { MAX_TRIES_PER_PATCH = 100 };

/* A source's decoded images, in file order; `count` of them are filled. */
typedef struct source_image {
    float *rgb;
    int h, w;
} source_image;

typedef struct image_list {
    source_image *items;
    size_t count;
} image_list;

static int image_list_alloc(image_list *l, size_t capacity, const char *source, char *err, size_t errlen)
{
    l->count = 0;
    l->items = calloc(capacity ? capacity : 1, sizeof *l->items);
    if (!l->items) {
        snprintf(err, errlen, "%s: out of memory", source);
        return -1;
    }
    return 0;
}

static void image_list_free(image_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].rgb);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int load_builtin(image_list *l, char *err, size_t errlen)
{
    if (image_list_alloc(l, photos_count(), "builtin", err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < photos_count(); i++) {
        size_t len;
        const char *file;
        const unsigned char *png = photos_png(i, &len, &file);
        char name[256];
        snprintf(name, sizeof name, "builtin:%s", file);
        source_image *im = &l->items[l->count];
        if (image_decode_png(png, len, name, &im->rgb, &im->h, &im->w, err, errlen) != 0)
            return -1;
        l->count++;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_png_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && name[0] != '.' && strcmp(name + n - 4, ".png") == 0;
}

/* The sorted names of DIR's *.png entries (hidden files excluded, as a shell glob would). */
static int list_pngs(const char *dir, char ***names, size_t *count, char *err, size_t errlen)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open folder: %s", dir, strerror(errno));
        return -1;
    }
    size_t capacity = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (!has_png_suffix(e->d_name))
            continue;
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 16;
            char **grown = realloc(*names, sizeof *grown * capacity);
            if (!grown) {
                rc = -1;
                break;
            }
            *names = grown;
        }
        if (!((*names)[*count] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        (*count)++;
    }
    closedir(d);
    if (rc != 0) {
        for (size_t i = 0; i < *count; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *count = 0;
        snprintf(err, errlen, "%s: out of memory listing the folder", dir);
        return -1;
    }
    if (*count)
        qsort(*names, *count, sizeof **names, compare_names);
    return 0;
}

static int load_png_folder(const char *dir, int patch, image_list *l, char *err, size_t errlen)
{
    char **names;
    size_t count;
    if (list_pngs(dir, &names, &count, err, errlen) != 0)
        return -1;
    int rc = image_list_alloc(l, count, dir, err, errlen);
    if (rc == 0 && count == 0) {
        snprintf(err, errlen, "%s: no *.png files in the folder", dir);
        rc = -1;
    }
    for (size_t i = 0; i < count && rc == 0; i++) {
        char path[4096];
        source_image *im = &l->items[l->count];
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path) {
            snprintf(err, errlen, "%s/%s: path too long", dir, names[i]);
            rc = -1;
        } else if (image_read_png(path, &im->rgb, &im->h, &im->w, err, errlen) != 0) {
            rc = -1;
        } else {
            l->count++;
            if (im->h < patch || im->w < patch) {
                snprintf(err, errlen, "%s: image is %dx%d, smaller than the %dx%d patch (data.patch)",
                         path, im->h, im->w, patch, patch);
                rc = -1;
            }
        }
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- drawing positions ---- */

/* Uniform integer in [0, n), n >= 1, from a 32-bit generator: GSL's own for small n, else 64 bits
 * from two outputs with rejection of the biased top range. */
static uint64_t uniform_below(gsl_rng *rng, uint64_t n)
{
    if (n <= 0xffffffffULL)
        return gsl_rng_uniform_int(rng, (unsigned long)n);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t v = (uint64_t)gsl_rng_get(rng) << 32 | (uint64_t)gsl_rng_get(rng);
        if (v < limit)
            return v % n;
    }
}

/* The sparse Fisher-Yates shuffle's swaps: slot -> value, for the few slots that moved. */
typedef struct swap_map {
    uint64_t *keys, *values;   /* keys[i] == EMPTY_SLOT: free */
    size_t capacity, used;     /* capacity a power of two */
} swap_map;

#define EMPTY_SLOT UINT64_MAX

static size_t swap_map_find(const swap_map *m, uint64_t key)
{
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (m->capacity - 1);
    while (m->keys[i] != EMPTY_SLOT && m->keys[i] != key)
        i = (i + 1) & (m->capacity - 1);
    return i;
}

static int swap_map_init(swap_map *m, size_t capacity)
{
    m->capacity = capacity;
    m->used = 0;
    m->keys = malloc(sizeof *m->keys * capacity);
    m->values = malloc(sizeof *m->values * capacity);
    if (!m->keys || !m->values)
        return -1;
    for (size_t i = 0; i < capacity; i++)
        m->keys[i] = EMPTY_SLOT;
    return 0;
}

static void swap_map_free(swap_map *m)
{
    free(m->keys);
    free(m->values);
    m->keys = m->values = NULL;
}

static uint64_t swap_map_get(const swap_map *m, uint64_t slot)
{
    size_t i = swap_map_find(m, slot);
    return m->keys[i] == EMPTY_SLOT ? slot : m->values[i];
}

static int swap_map_set(swap_map *m, uint64_t slot, uint64_t value)
{
    if (2 * (m->used + 1) > m->capacity) {
        swap_map bigger;
        if (swap_map_init(&bigger, 2 * m->capacity) != 0) {
            swap_map_free(&bigger);
            return -1;
        }
        for (size_t i = 0; i < m->capacity; i++)
            if (m->keys[i] != EMPTY_SLOT) {
                size_t j = swap_map_find(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i];
                bigger.values[j] = m->values[i];
            }
        bigger.used = m->used;
        swap_map_free(m);
        *m = bigger;
    }
    size_t i = swap_map_find(m, slot);
    if (m->keys[i] == EMPTY_SLOT) {
        m->keys[i] = slot;
        m->used++;
    }
    m->values[i] = value;
    return 0;
}

/* Where one image's patches may start in one split's band. */
typedef struct band_positions {
    int top;              /* first row of the band */
    uint64_t rows, cols;  /* numbers of valid start rows and columns (0 when the patch does not fit) */
    uint64_t first;       /* number of the image's first position among the split's positions */
} band_positions;

static void band_rows(int h, int split, int *top, int *bottom)
{
    *top = (int)((long long)h * band_percent[split][0] / 100);
    *bottom = (int)((long long)h * band_percent[split][1] / 100);
}

static double patch_std(const float *p, size_t count)
{
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < count; i++)
        mean += p[i];
    mean /= (double)count;
    for (size_t i = 0; i < count; i++)
        var += (p[i] - mean) * (p[i] - mean);
    return sqrt(var / (double)count);
}

static void copy_patch(const source_image *im, int row, int col, int patch, float *out)
{
    for (int r = 0; r < patch; r++)
        memcpy(out + (size_t)r * patch * 3, im->rgb + ((size_t)(row + r) * im->w + (size_t)col) * 3,
               sizeof *out * (size_t)patch * 3);
}

static int alloc_split(data_split *s, size_t n, int patch, const char *source, char *err, size_t errlen)
{
    size_t values = n * (size_t)patch * patch * 3;
    s->n = n;
    s->h = s->w = patch;
    s->x = malloc(sizeof *s->x * values);
    s->y = malloc(sizeof *s->y * values);
    if (!s->x || !s->y) {
        snprintf(err, errlen, "%s: out of memory for %zu patches", source, n);
        return -1;
    }
    return 0;
}

/* Draws `want` patches of one split into s (allocated once the bands are known to hold them).
 * `source` names the source in messages. */
static int draw_split(const image_list *l, int split, const data_options *o, long want, data_split *s,
                      const char *source, char *err, size_t errlen)
{
    int patch = o->patch;
    band_positions *bands = malloc(sizeof *bands * l->count);
    if (!bands) {
        snprintf(err, errlen, "%s: out of memory", source);
        return -1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < l->count; i++) {
        int top, bottom;
        band_rows(l->items[i].h, split, &top, &bottom);
        int fit = bottom - top >= patch && l->items[i].w >= patch;
        bands[i] = (band_positions){top, fit ? (uint64_t)(bottom - top - patch + 1) : 0,
                                    fit ? (uint64_t)(l->items[i].w - patch + 1) : 0, total};
        total += bands[i].rows * bands[i].cols;
    }
    const char *name = split_names[split];
    if (total == 0) {
        snprintf(err, errlen, "%s: no image has a %s band (rows %d-%d %% of its height) that holds a "
                 "%dx%d patch; use larger images or a smaller data.patch", source, name,
                 band_percent[split][0], band_percent[split][1], patch, patch);
        free(bands);
        return -1;
    }
    if (total < (uint64_t)want) {
        snprintf(err, errlen, "%s: the %s bands hold only %llu distinct %dx%d patch positions, fewer "
                 "than data.%s_patches = %ld", source, name, (unsigned long long)total, patch, patch,
                 name, want);
        free(bands);
        return -1;
    }

    if (alloc_split(s, (size_t)want, patch, source, err, errlen) != 0) {
        free(bands);
        return -1;
    }
    float *y = s->y;

    uint64_t max_draws = (uint64_t)want * MAX_TRIES_PER_PATCH;
    if (max_draws > total)
        max_draws = total;
    size_t capacity = 64;
    while (capacity < 2 * (size_t)want)   /* no growth unless min_std rejects patches */
        capacity *= 2;
    swap_map swaps;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = swap_map_init(&swaps, capacity);
    if (!rng || rc != 0) {
        snprintf(err, errlen, "%s: out of memory", source);
        rc = -1;
        goto done;
    }
    uint64_t seed = data_derive_seed(o->seed, (uint64_t)split, DATA_STREAM_PATCHES);
    gsl_rng_set(rng, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffULL));

    size_t patch_values = (size_t)patch * patch * 3;
    long found = 0;
    uint64_t draw;
    for (draw = 0; draw < max_draws && found < want; draw++) {
        /* Sparse Fisher-Yates: swap slot `draw` with a random later slot and take its value. */
        uint64_t pick = draw + uniform_below(rng, total - draw);
        uint64_t position = swap_map_get(&swaps, pick);
        if (swap_map_set(&swaps, pick, swap_map_get(&swaps, draw)) != 0) {
            snprintf(err, errlen, "%s: out of memory", source);
            rc = -1;
            goto done;
        }
        size_t lo = 0, hi = l->count - 1;   /* the last image whose first position <= position */
        while (lo < hi) {
            size_t mid = (lo + hi + 1) / 2;
            if (bands[mid].first <= position)
                lo = mid;
            else
                hi = mid - 1;
        }
        uint64_t offset = position - bands[lo].first;
        float *out = y + (size_t)found * patch_values;
        copy_patch(&l->items[lo], bands[lo].top + (int)(offset / bands[lo].cols),
                   (int)(offset % bands[lo].cols), patch, out);
        if (o->min_std > 0.0 && patch_std(out, patch_values) < o->min_std)
            continue;
        found++;
    }
    if (found < want) {
        snprintf(err, errlen, "%s: only %ld of the %ld %s patches (data.%s_patches) have a standard "
                 "deviation of at least data.min_std = %g, after %llu tries; lower data.min_std or "
                 "the count", source, found, want, name, name, o->min_std, (unsigned long long)draw);
        rc = -1;
    }
done:
    gsl_rng_free(rng);
    swap_map_free(&swaps);
    free(bands);
    return rc;
}

/* ---- splits ---- */

static data_split *split_of(dataset *ds, int split)
{
    return split == 0 ? &ds->train : split == 1 ? &ds->val : &ds->test;
}

static long wanted(const data_options *o, int split)
{
    return split == 0 ? o->train_patches : split == 1 ? o->val_patches : o->test_patches;
}

/* The seed of a split's degradation when it does not depend on the run. */
static uint64_t fixed_degrade_seed(const data_options *o, int split)
{
    static const int stream[3] = {DATA_STREAM_TRAIN, DATA_STREAM_VAL, DATA_STREAM_TEST};
    return data_derive_seed(o->seed, 0, (uint64_t)stream[split]);
}

static int load_images(const data_options *o, dataset *ds, char *err, size_t errlen)
{
    image_list l = {0};
    int folder = strncmp(o->source, "png:", 4) == 0;
    int rc = folder ? load_png_folder(o->source + 4, o->patch, &l, err, errlen)
                    : load_builtin(&l, err, errlen);
    for (int split = 0; split < 3 && rc == 0; split++) {
        rc = draw_split(&l, split, o, wanted(o, split), split_of(ds, split), o->source, err, errlen);
    }
    if (rc == 0)
        snprintf(ds->description, sizeof ds->description, "%.200s: %zu %s, bands %d/%d/%d %%",
                 o->source, l.count, folder ? "images" : "photos", band_percent[0][1],
                 band_percent[1][1] - band_percent[1][0], band_percent[2][1] - band_percent[2][0]);
    image_list_free(&l);
    return rc;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void dataset_input_range(const data_options *o, double *lo, double *hi)
{
    const double margin = o->clip ? 0.0 : 1.0 + 8.0 * o->noise_sigma;
    *lo = -margin;
    *hi = 1.0 + margin;
}

/* Reads DIR/<split>_y.npy (and _x when present) into s; *x_given says whether _x was there. */
static int load_npy_split(const char *dir, int split, const data_options *o, data_split *s,
                          int *x_given, char *err, size_t errlen)
{
    const char *name = split_names[split];
    long want = wanted(o, split);
    char y_path[4200], x_path[4200];
    snprintf(y_path, sizeof y_path, "%s/%s_y.npy", dir, name);
    snprintf(x_path, sizeof x_path, "%s/%s_x.npy", dir, name);
    if (!file_exists(y_path)) {
        snprintf(err, errlen, "%s: missing (an npy source needs train_y.npy, val_y.npy and test_y.npy)",
                 y_path);
        return -1;
    }
    int h, w;
    if (npy_read_images(y_path, &s->y, &s->n, &h, &w, err, errlen) != 0)
        return -1;
    s->h = h;
    s->w = w;
    if (h != o->patch || w != o->patch) {
        snprintf(err, errlen, "%s: patches are %dx%d but data.patch is %d", y_path, h, w, o->patch);
        return -1;
    }
    if (s->n < (size_t)want) {
        snprintf(err, errlen, "%s: has %zu rows, fewer than data.%s_patches = %ld; set data.%s_patches "
                 "to at most %zu", y_path, s->n, name, want, name, s->n);
        return -1;
    }
    *x_given = file_exists(x_path);
    if (*x_given) {
        size_t xn;
        int xh, xw;
        double lo, hi;
        dataset_input_range(o, &lo, &hi);
        if (npy_read_inputs_within(x_path, lo, hi, &s->x, &xn, &xh, &xw, err, errlen) != 0)
            return -1;
        if (xn != s->n || xh != h || xw != w) {
            snprintf(err, errlen, "%s: has %zu rows of %dx%d but %s has %zu rows of %dx%d", x_path, xn,
                     xh, xw, y_path, s->n, h, w);
            return -1;
        }
    } else {
        s->x = malloc(sizeof *s->x * (size_t)want * h * w * 3);
        if (!s->x) {
            snprintf(err, errlen, "%s: out of memory", y_path);
            return -1;
        }
    }
    s->n = (size_t)want;
    return 0;
}

static int load_npy(const data_options *o, dataset *ds, int x_given[3], char *err, size_t errlen)
{
    const char *dir = o->source + 4;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: no such folder (data.source = %s)", dir, o->source);
        return -1;
    }
    for (int split = 0; split < 3; split++)
        if (load_npy_split(dir, split, o, split_of(ds, split), &x_given[split], err, errlen) != 0)
            return -1;
    snprintf(ds->description, sizeof ds->description, "%.200s: arrays, inputs %s", o->source,
             x_given[0] && x_given[1] && x_given[2] ? "given"
             : x_given[0] || x_given[1] || x_given[2] ? "partly given, partly degraded" : "degraded");
    return 0;
}

static int check_options(const data_options *o, char *err, size_t errlen)
{
    if (o->patch < 2 || o->patch > 4096 || o->patch % 2) {
        snprintf(err, errlen, "data.patch = %d is not an even size of at least 2", o->patch);
        return -1;
    }
    for (int split = 0; split < 3; split++)
        if (wanted(o, split) < 1) {
            snprintf(err, errlen, "data.%s_patches = %ld is not at least 1", split_names[split],
                     wanted(o, split));
            return -1;
        }
    if (!(o->min_std >= 0.0 && isfinite(o->min_std))) {
        snprintf(err, errlen, "data.min_std = %g is not a finite value >= 0", o->min_std);
        return -1;
    }
    if (strcmp(o->source, "builtin") != 0 &&
        !((strncmp(o->source, "png:", 4) == 0 || strncmp(o->source, "npy:", 4) == 0) && o->source[4])) {
        snprintf(err, errlen, "data.source = '%s' is not builtin, png:DIR or npy:DIR", o->source);
        return -1;
    }
    return 0;
}

int dataset_load(const data_options *o, dataset *ds, char *err, size_t errlen)
{
    memset(ds, 0, sizeof *ds);
    if (check_options(o, err, errlen) != 0)
        return -1;
    int x_given[3] = {0, 0, 0};
    int rc = strncmp(o->source, "npy:", 4) == 0 ? load_npy(o, ds, x_given, err, errlen)
                                                : load_images(o, ds, err, errlen);
    for (int split = 0; split < 3 && rc == 0; split++) {
        data_split *s = split_of(ds, split);
        if (!x_given[split] &&
            data_degrade(o, s->y, s->x, s->n, s->h, s->w, fixed_degrade_seed(o, split), err, errlen) != 0)
            rc = -1;
    }
    if (rc != 0) {
        dataset_free(ds);
        return -1;
    }
    ds->train_x_varies = o->fresh_noise && o->task == DATA_TASK_DENOISE && o->noise_sigma > 0.0 &&
                         !x_given[0];
    return 0;
}

void dataset_train_inputs(const dataset *ds, const data_options *o, uint64_t run_seed, int epoch,
                          float *x)
{
    const data_split *s = &ds->train;
    char err[160];
    /* Denoising allocates nothing and dataset_load already degraded train.x with these options,
     * so data_degrade cannot fail here; the copy below only keeps x defined if o were not the
     * options the dataset was loaded with. */
    if (!ds->train_x_varies ||
        data_degrade(o, s->y, x, s->n, s->h, s->w,
                     data_derive_seed(run_seed, (uint64_t)epoch, DATA_STREAM_TRAIN), err, sizeof err) != 0) {
        if (x != s->x)
            memcpy(x, s->x, sizeof *x * s->n * (size_t)s->h * s->w * 3);
    }
}

void dataset_free(dataset *ds)
{
    for (int split = 0; split < 3; split++) {
        data_split *s = split_of(ds, split);
        free(s->x);
        free(s->y);
    }
    memset(ds, 0, sizeof *ds);
}
