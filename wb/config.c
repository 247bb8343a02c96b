/* wb/config.c: INI -> typed configuration -> grid of resolved runs with their identity.
 *
 * Everything about a key lives in key_table below; the rest of the file walks that table. */
#include "wb/config.h"
#include "wb/util.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <ini.h>
#include <nettle/sha2.h>

#include "analysis/label.h"
#include "base/err.h"
#include "base/fileio.h"
#include "model/loss.h"

/* ---- the table of keys -------------------------------------------------------------------- */

enum section { SEC_SWEEP, SEC_DATA, SEC_MODEL, SEC_TRAIN, SEC_LOSS, SECTION_COUNT };
static const char *const section_names[SECTION_COUNT] = {"sweep", "data", "model", "train",
                                                         "loss"};

enum value_type { TYPE_TEXT, TYPE_INT, TYPE_REAL, TYPE_BOOL, TYPE_ENUM };
enum field_kind { FIELD_NONE, FIELD_INT, FIELD_REAL, FIELD_TEXT };

enum key_flag {
    F_NO_LIST = 1 << 0,     /* a comma is text, never a list separator: never an axis */
    F_NO_IDENTITY = 1 << 1, /* left out of the canonical text, so of both hashes */
    F_NO_PARAM = 1 << 2,    /* not a run's key: no store param, no JSON (sweep.*) */
    F_LAP_TERM = 1 << 3,    /* unset when loss.laplacian_weight = 0 */
    F_DECAY_TERM = 1 << 8,  /* unset unless the schedule decays (train.schedule = cosine, wsd) */
    F_WSD_TERM = 1 << 9,    /* unset unless train.schedule = wsd */
    F_BUDGET = 1 << 10,     /* the training budget: with wsd, left out of a trajectory's
                             * identity, as every F_DECAY_TERM and F_WSD_TERM key is */
    F_EVEN = 1 << 4,
    F_SPLIT = 1 << 5,       /* a split's size */
    F_MIN_OPEN = 1 << 6,    /* a real range that excludes its minimum */
    F_MAX_OPEN = 1 << 7,    /* ... its maximum */
};

struct choice {
    const char *name;
    int value;
};

/* Checks a text value; on failure writes what it accepts ("a non-empty path") into why. */
typedef int (*text_check)(const char *text, char *why, size_t whylen);

typedef struct key_def {
    const char *key;                /* "section.name" */
    enum section section;
    enum value_type type;
    const char *default_text;       /* parsed like a file's value; NULL: the file's name */
    long long imin, imax;           /* TYPE_INT, inclusive */
    double dmin, dmax;              /* TYPE_REAL, inclusive unless F_MIN_OPEN / F_MAX_OPEN */
    unsigned flags;
    const struct choice *choices;   /* TYPE_ENUM, ended by {NULL, 0}; or */
    const char *(*choice_name)(int value); /* TYPE_ENUM: value's name, NULL past the last (a
                                             table kept elsewhere: model/lap_kernels.h) */
    text_check check;               /* TYPE_TEXT */
    const char *description;
    enum field_kind field;          /* where the value lives in run_options */
    size_t offset, size;
    /* A key added after the first hashes (identity rule 1): the value that reproduces what
     * configurations computed before the key existed, as the canonical text prints it. With it,
     * the key stays out of the canonical text. NULL: a key of the first version. */
    const char *legacy;
} key_def;

/* The i-th value a TYPE_ENUM key accepts, its name and (in *value) its number; NULL past the
 * last. */
static const char *choice_at(const key_def *k, int i, int *value)
{
    if (k->choice_name)
        return *value = i, k->choice_name(i);
    return *value = k->choices[i].value, k->choices[i].name;
}

static int check_sweep_name(const char *text, char *why, size_t whylen);
static int check_path(const char *text, char *why, size_t whylen);
static int check_source(const char *text, char *why, size_t whylen);

static const struct choice task_choices[] = {
    {"identity", DATA_TASK_IDENTITY}, {"denoise", DATA_TASK_DENOISE},
    {"deblur", DATA_TASK_DEBLUR}, {"sr2", DATA_TASK_SR2}, {NULL, 0}};
static const struct choice upsample_choices[] = {
    {"nearest", DATA_UPSAMPLE_NEAREST}, {"bilinear", DATA_UPSAMPLE_BILINEAR}, {NULL, 0}};
static const struct choice optimizer_choices[] = {{"adam", OPT_ADAM}, {"sgd", OPT_SGD},
                                                  {NULL, 0}};
static const struct choice pixel_choices[] = {
    {"mse", PIXEL_MSE}, {"l1", PIXEL_L1}, {"charbonnier", PIXEL_CHARBONNIER}, {NULL, 0}};
static const struct choice border_choices[] = {
    {"reflect101", BORDER_REFLECT101}, {"replicate", BORDER_REPLICATE}, {"zero", BORDER_ZERO},
    {NULL, 0}};
static const struct choice schedule_choices[] = {{"constant", LR_CONSTANT}, {"cosine", LR_COSINE},
                                                 {"wsd", LR_WSD}, {NULL, 0}};
static const struct choice decay_shape_choices[] = {{"linear", LR_DECAY_LINEAR},
                                                    {"1-sqrt", LR_DECAY_SQRT}, {NULL, 0}};

#define AT(member, kind)                                                                        \
    .field = (kind), .offset = offsetof(run_options, member),                                   \
    .size = sizeof(((run_options *)0)->member)
#define INT_RANGE(lo, hi) .type = TYPE_INT, .imin = (lo), .imax = (hi)
#define REAL_RANGE(lo, hi) .type = TYPE_REAL, .dmin = (lo), .dmax = (hi)
#define ONE_OF(list) .type = TYPE_ENUM, .choices = (list)
#define ONE_OF_TABLE(name_of) .type = TYPE_ENUM, .choice_name = (name_of)

/* docs/DESIGN.md's table, in its order: the grid's axes are nested in this order.
 *
 * Identity across versions (config.h): a run's config_hash and config_id must move when, and only
 * when, what the run computes moves.
 *   Rule 1, keys added later: a new key names its .legacy value, the one that reproduces the
 *     behaviour from before it existed (train.schedule = constant, say). Set to that value, the
 *     key is left out of the canonical text, so configurations that do not use it keep their
 *     hashes and their runs are not retrained; set to anything else, it enters like every key.
 *     A new default other than the legacy value moves the hashes of every configuration that
 *     leaves the key unset, as it should: they compute something new.
 *     A new value of an existing key (loss.kernel_norm = energy) needs nothing: no configuration
 *     could name it before.
 *   Rule 2, behaviour changes: a change to what an existing configuration computes (an
 *     initialisation, the rule that picks the best epoch, a metric's definition) is a row of
 *     behaviour_changes below, which moves the hashes of exactly the configurations it applies
 *     to.
 * Reals print in the canonical text with %.17g, forever: another format would move every hash
 * (tests/test_config_identity.c pins it, and every hash of tests/fixtures/lossweights-v1.ini). */
static const key_def key_table[] = {
    {.key = "sweep.name", .section = SEC_SWEEP, .type = TYPE_TEXT, .default_text = NULL,
     .check = check_sweep_name, .flags = F_NO_LIST | F_NO_IDENTITY | F_NO_PARAM,
     .description = "the sweep's name in the database, stored verbatim; default: the file's name"
                    " without .ini"},
    {.key = "sweep.database", .section = SEC_SWEEP, .type = TYPE_TEXT,
     .default_text = CONFIG_DEFAULT_DATABASE, .check = check_path,
     .flags = F_NO_LIST | F_NO_IDENTITY | F_NO_PARAM,
     .description = "the SQLite database, relative to the current directory; --db beats it"},
    {.key = "sweep.seeds", .section = SEC_SWEEP, INT_RANGE(0, INT64_MAX), .default_text = "1",
     .flags = F_NO_IDENTITY | F_NO_PARAM,
     .description = "run seeds (weights, shuffles, fresh noise), a list (ranges too: 1-20, 30):"
                    " one run per seed",
     AT(seed, FIELD_INT)},

    {.key = "data.source", .section = SEC_DATA, .type = TYPE_TEXT, .default_text = "builtin",
     .check = check_source, .description = "the photos: the bundled ones or a folder",
     AT(data.source, FIELD_TEXT)},
    {.key = "data.task", .section = SEC_DATA, ONE_OF(task_choices), .default_text = "denoise",
     .description = "the degradation the network learns to undo", AT(data.task, FIELD_INT)},
    {.key = "data.patch", .section = SEC_DATA, INT_RANGE(8, 64), .default_text = "16",
     .flags = F_EVEN, .description = "patch side in pixels, divisible by 2^model.depth",
     AT(data.patch, FIELD_INT)},
    {.key = "data.train_patches", .section = SEC_DATA, INT_RANGE(1, 10000000),
     .default_text = "8192", .flags = F_SPLIT, .description = "patches in the train split",
     AT(data.train_patches, FIELD_INT)},
    {.key = "data.val_patches", .section = SEC_DATA, INT_RANGE(1, 10000000),
     .default_text = "1024", .flags = F_SPLIT, .description = "patches in the val split",
     AT(data.val_patches, FIELD_INT)},
    {.key = "data.test_patches", .section = SEC_DATA, INT_RANGE(1, 10000000),
     .default_text = "2048", .flags = F_SPLIT, .description = "patches in the test split",
     AT(data.test_patches, FIELD_INT)},
    {.key = "data.seed", .section = SEC_DATA, INT_RANGE(0, INT64_MAX), .default_text = "1234",
     .description = "seed of patch positions, val/test degradations (and fixed train noise)",
     AT(data.seed, FIELD_INT)},
    {.key = "data.min_std", .section = SEC_DATA, REAL_RANGE(0, 1), .default_text = "0",
     .description = "skip patches whose standard deviation is below this",
     AT(data.min_std, FIELD_REAL)},
    {.key = "data.noise_sigma", .section = SEC_DATA, REAL_RANGE(0, 10), .default_text = "0.1",
     .description = "denoise: standard deviation of the Gaussian noise",
     AT(data.noise_sigma, FIELD_REAL)},
    {.key = "data.fresh_noise", .section = SEC_DATA, .type = TYPE_BOOL, .default_text = "true",
     .description = "redraw the train noise each epoch", AT(data.fresh_noise, FIELD_INT)},
    {.key = "data.clip", .section = SEC_DATA, .type = TYPE_BOOL, .default_text = "false",
     .description = "clip degraded inputs to [0, 1]", AT(data.clip, FIELD_INT)},
    {.key = "data.blur_sigma", .section = SEC_DATA, REAL_RANGE(0, 16), .flags = F_MIN_OPEN,
     .default_text = "1.0", .description = "deblur: standard deviation of the Gaussian blur",
     AT(data.blur_sigma, FIELD_REAL)},
    {.key = "data.sr_upsample", .section = SEC_DATA, ONE_OF(upsample_choices),
     .default_text = "bilinear", .description = "sr2: how the half-size input is brought back",
     AT(data.sr_upsample, FIELD_INT)},

    {.key = "model.depth", .section = SEC_MODEL, INT_RANGE(1, 3), .default_text = "2",
     .description = "U-Net poolings (data.patch divisible by 2^depth)",
     AT(model.depth, FIELD_INT)},
    {.key = "model.base_channels", .section = SEC_MODEL, INT_RANGE(1, 256), .default_text = "16",
     .description = "channels of the first level; level i has base_channels * 2^i",
     AT(model.base_channels, FIELD_INT)},
    {.key = "model.residual", .section = SEC_MODEL, .type = TYPE_BOOL, .default_text = "false",
     .description = "add the input to the output", AT(model.residual, FIELD_INT)},

    {.key = "train.epochs", .section = SEC_TRAIN, INT_RANGE(1, 100000), .default_text = "12",
     .flags = F_BUDGET,
     .description = "passes over the train split; with wsd a list (8, 16, 32) gives budgets that "
                    "share one trajectory",
     AT(train.epochs, FIELD_INT)},
    {.key = "train.batch_size", .section = SEC_TRAIN, INT_RANGE(1, 65536), .default_text = "64",
     .description = "patches per step; larger than the train split: one partial batch per epoch",
     AT(train.batch_size, FIELD_INT)},
    {.key = "train.optimizer", .section = SEC_TRAIN, ONE_OF(optimizer_choices),
     .default_text = "adam", .description = "Adam or SGD, with PyTorch's semantics",
     AT(train.optimizer, FIELD_INT)},
    {.key = "train.lr", .section = SEC_TRAIN, REAL_RANGE(0, 1e6), .flags = F_MIN_OPEN,
     .default_text = "0.001", .description = "learning rate", AT(train.lr, FIELD_REAL)},
    {.key = "train.schedule", .section = SEC_TRAIN, ONE_OF(schedule_choices),
     .default_text = "constant", .legacy = "constant",
     .description = "learning-rate schedule, stepped per update: constant; cosine (to lr_min, "
                    "PyTorch's CosineAnnealingLR); wsd (stable lr, then a decay to lr_min)",
     AT(train.schedule, FIELD_INT)},
    {.key = "train.lr_min", .section = SEC_TRAIN, REAL_RANGE(0, 1e6), .default_text = "0",
     .legacy = "0", .flags = F_DECAY_TERM,
     .description = "cosine, wsd: the rate at the end of training (eta_min)",
     AT(train.lr_min, FIELD_REAL)},
    {.key = "train.decay_fraction", .section = SEC_TRAIN, REAL_RANGE(0, 1), .flags = F_MIN_OPEN | F_WSD_TERM,
     .default_text = "0.2",
     .description = "wsd: the decay takes the last ceil(decay_fraction * epochs) epochs",
     AT(train.decay_fraction, FIELD_REAL)},
    {.key = "train.decay_shape", .section = SEC_TRAIN, ONE_OF(decay_shape_choices),
     .flags = F_WSD_TERM, .default_text = "linear",
     .description = "wsd: linear (PyTorch's LinearLR) or 1-sqrt decay to train.lr_min",
     AT(train.decay_shape, FIELD_INT)},
    {.key = "train.warmup_steps", .section = SEC_TRAIN, INT_RANGE(0, 100000000),
     .default_text = "0", .legacy = "0",
     .description = "linear warm-up over this many updates from 0.01 train.lr (PyTorch's "
                    "LinearLR); 0: none",
     AT(train.warmup_steps, FIELD_INT)},
    {.key = "train.momentum", .section = SEC_TRAIN, REAL_RANGE(0, 1), .flags = F_MAX_OPEN,
     .default_text = "0.9", .description = "SGD momentum (Adam ignores it)",
     AT(train.momentum, FIELD_REAL)},
    {.key = "train.threads", .section = SEC_TRAIN, INT_RANGE(0, 1024), .default_text = "0",
     .flags = F_NO_IDENTITY,
     .description = "OpenMP threads; 0: the machine's cores divided by --jobs",
     AT(train.threads, FIELD_INT)},

    {.key = "loss.pixel", .section = SEC_LOSS, ONE_OF(pixel_choices), .default_text = "mse",
     .description = "the pixel loss", AT(loss.pixel, FIELD_INT)},
    {.key = "loss.laplacian_weight", .section = SEC_LOSS, REAL_RANGE(0, 1e6),
     .default_text = "0",
     .description = "λ, the weight of the Laplacian term; 0 turns it off",
     AT(loss.lap_weight, FIELD_REAL)},
    {.key = "loss.kernel", .section = SEC_LOSS, ONE_OF_TABLE(lap_kernel_name), .default_text = "8",
     .flags = F_LAP_TERM,
     .description = "Laplacian stencil; keras-recipe is the channel-mixing negative control",
     AT(loss.kernel, FIELD_INT)},
    {.key = "loss.border", .section = SEC_LOSS, ONE_OF(border_choices),
     .default_text = "reflect101", .flags = F_LAP_TERM,
     .description = "the stencil's border (keras-recipe: zero always)",
     AT(loss.border, FIELD_INT)},
    {.key = "loss.kernel_norm", .section = SEC_LOSS, ONE_OF_TABLE(lap_norm_name),
     .default_text = "none", .flags = F_LAP_TERM,
     .description = "l1 divides the stencil by the sum of its absolute taps, energy by the square "
                    "root of its white-noise gain (wb config --json gives each kernel's), so "
                    "that λ means the same for every kernel",
     AT(loss.kernel_norm, FIELD_INT)},
};

enum { KEY_COUNT = sizeof key_table / sizeof key_table[0] };

/* Identity rule 2: what changed, since the first version, in what existing configurations
 * compute, oldest first, each with the next version number and a predicate over the resolved
 * options saying which configurations compute differently (for λ = 0 the Laplacian term's
 * fields hold their defaults and mean nothing). Such a configuration's canonical text gains
 * `rules=` and the versions that apply to it; every other keeps its hashes. A row is never
 * edited or removed once released: a later change gets a row of its own. Ended by a row without
 * a description. tests/fixtures/lossweights-v1.hashes says which hashes each row moved. */
static int applies_if_residual(const run_options *o)
{
    return o->model.residual != 0;
}

/* For a change to what every configuration computes. */
static int applies_always(const run_options *o)
{
    (void)o;
    return 1;
}

static const config_behaviour_change behaviour_changes[] = {
    {1, "a residual network's output layer starts at zero: the untrained network is the identity",
     applies_if_residual},
    {2, "per-patch PSNR floors each patch's MSE at 8-bit quantisation noise, (1/255)^2/12: an "
        "exact patch counts 58.92 dB instead of +inf", applies_always},
    {3, "the best epoch (best.safetensors, the preview, every 'best' statistic) has the lowest "
        "validation MSE, ties to the earlier; it had the highest validation PSNR", applies_always},
    {0, NULL, NULL},
};

const config_behaviour_change *config_behaviour_changes(size_t *n)
{
    for (*n = 0; behaviour_changes[*n].description; (*n)++)
        ;
    return behaviour_changes;
}

static const char *bare_name(const key_def *k)
{
    return strchr(k->key, '.') + 1;
}

static int section_index(const char *name)
{
    for (int s = 0; s < SECTION_COUNT; s++)
        if (strcmp(section_names[s], name) == 0)
            return s;
    return -1;
}

/* The key `name` of section s, or -1. */
static int key_index_in(int s, const char *name)
{
    for (int i = 0; i < KEY_COUNT; i++)
        if ((int)key_table[i].section == s && strcmp(bare_name(&key_table[i]), name) == 0)
            return i;
    return -1;
}

/* A key the code itself names ("loss.kernel"): always present in the table. */
static int key_index(const char *key)
{
    for (int i = 0; i < KEY_COUNT; i++)
        if (strcmp(key_table[i].key, key) == 0)
            return i;
    return -1;
}

/* ---- small helpers ------------------------------------------------------------------------ */

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* A copy of s[0..n) without surrounding blanks. */
static char *trimmed_copy(const char *s, size_t n)
{
    while (n > 0 && is_blank(*s))
        s++, n--;
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

/* A value as quoted in messages: control characters shown as '?' (a message is one line), long
 * ones cut at a UTF-8 character boundary and marked. */
#define CLIP_BYTES 80
static const char *clip(const char *s, char buf[CLIP_BYTES + 4])
{
    size_t n = strlen(s);
    int cut = n > CLIP_BYTES;
    if (cut) {
        n = CLIP_BYTES;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    strcpy(buf + n, cut ? "..." : "");
    return buf;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}


/* The section of how results are judged (config.h, "the [report] section"): not a section of
 * the key table, so that none of its keys can enter a run's identity, params or JSON. */
#define REPORT_SECTION "report"

/* A section the file may have: one of the key table's, or [report]. */
static int known_section(const char *name)
{
    return section_index(name) >= 0 || strcmp(name, REPORT_SECTION) == 0;
}

/* "[sweep], [data], ..." into buf, and the likeliest section for `word` (may be NULL). */
static const char *list_sections(char *buf, size_t buflen, const char *word)
{
    const char *names[SECTION_COUNT + 1];
    buf[0] = '\0';
    for (int s = 0; s < SECTION_COUNT; s++) {
        names[s] = section_names[s];
        text_append(buf, buflen, "%s[%s]", s ? ", " : "", section_names[s]);
    }
    names[SECTION_COUNT] = REPORT_SECTION;
    text_append(buf, buflen, ", [%s]", REPORT_SECTION);
    return word ? wb_likeliest(word, names, SECTION_COUNT + 1) : NULL;
}

static void unknown_section_error(char *err, size_t errlen, const char *where, const char *name)
{
    char list[128], cut[CLIP_BYTES + 4];
    const char *guess = list_sections(list, sizeof list, name);
    fail(err, errlen, "%s: unknown section [%s]; valid sections: %s%s%s%s", where,
            clip(name, cut), list, guess ? "; did you mean [" : "", guess ? guess : "",
            guess ? "]?" : "");
}

/* Unknown key `name` in section s: lists the section's keys, names the likeliest, or the section
 * the key belongs to when it exists elsewhere. */
static void unknown_key_error(char *err, size_t errlen, const char *where, int s,
                              const char *name, const char *value)
{
    const char *names[KEY_COUNT];
    size_t n = 0;
    char list[512] = "", cut_name[CLIP_BYTES + 4], cut_value[CLIP_BYTES + 4];
    for (int i = 0; i < KEY_COUNT; i++)
        if ((int)key_table[i].section == s) {
            names[n] = bare_name(&key_table[i]);
            text_append(list, sizeof list, "%s%s", n ? ", " : "", names[n]);
            n++;
        }
    char hint[160] = "";
    for (int other = 0; other < SECTION_COUNT; other++)
        if (other != s && key_index_in(other, name) >= 0) {
            snprintf(hint, sizeof hint, "; '%s' belongs in [%s]", name, section_names[other]);
            break;
        }
    const char *guess = wb_likeliest(name, names, n);
    if (!hint[0] && guess)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", guess);
    fail(err, errlen, "%s: [%s] %s = %s: unknown key; valid keys in [%s]: %s%s", where,
            section_names[s], clip(name, cut_name), clip(value, cut_value), section_names[s],
            list, hint);
}

/* ---- values ------------------------------------------------------------------------------- */

/* One typed value: i for TYPE_INT, TYPE_BOOL and TYPE_ENUM (the choice's value), d for
 * TYPE_REAL, s (owned) for TYPE_TEXT. */
struct value {
    long long i;
    double d;
    char *s;
};

static void describe_expected(const key_def *k, char *buf, size_t buflen)
{
    buf[0] = '\0';
    switch (k->type) {
    case TYPE_INT:
        text_append(buf, buflen, "%s integer from %lld to %lld", k->flags & F_EVEN ? "an even" : "an",
               k->imin, k->imax);
        break;
    case TYPE_REAL:
        text_append(buf, buflen, "a number %s %.15g and %s %.15g", k->flags & F_MIN_OPEN ? ">" : ">=",
               k->dmin, k->flags & F_MAX_OPEN ? "<" : "<=", k->dmax);
        break;
    case TYPE_BOOL:
        text_append(buf, buflen, "true or false (or yes/no, on/off, 1/0)");
        break;
    case TYPE_ENUM: {
        text_append(buf, buflen, "one of ");
        const char *name;
        for (int i = 0, v; (name = choice_at(k, i, &v)); i++)
            text_append(buf, buflen, "%s%s", i ? ", " : "", name);
        break;
    }
    case TYPE_TEXT:
        k->check("", buf, buflen);  /* every check refuses "" and says what it expects */
        break;
    }
}

static int check_sweep_name(const char *text, char *why, size_t whylen)
{
    if (text[0] && utf8_chars(text) <= CONFIG_NAME_MAX_CHARS)
        return 0;
    snprintf(why, whylen, "non-empty text of at most %d characters", CONFIG_NAME_MAX_CHARS);
    return -1;
}

static int check_path(const char *text, char *why, size_t whylen)
{
    if (text[0])
        return 0;
    snprintf(why, whylen, "a non-empty path");
    return -1;
}

static int check_source(const char *text, char *why, size_t whylen)
{
    if (strcmp(text, "builtin") == 0 ||
        ((strncmp(text, "png:", 4) == 0 || strncmp(text, "npy:", 4) == 0) && text[4]))
        return 0;
    snprintf(why, whylen, "builtin, png:DIR or npy:DIR");
    return -1;
}

static int parse_bool(const char *text, long long *out)
{
    static const char *const truths[] = {"true", "yes", "on", "1"};
    static const char *const lies[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
        if (strcasecmp(text, truths[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(text, lies[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int parse_integer(const key_def *k, const char *text, long long *out, char *detail,
                         size_t detaillen)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || is_blank(text[0]))
        return snprintf(detail, detaillen, "; not an integer"), -1;
    if ((errno == ERANGE && v > 0) || v > k->imax)
        return snprintf(detail, detaillen, "; %s is too large", text), -1;
    if (v < 0 && k->imin >= 0)
        return snprintf(detail, detaillen, "; %s is negative", text), -1;
    if (v == 0 && (k->flags & F_SPLIT))
        return snprintf(detail, detaillen, "; a split of 0 patches is empty"), -1;
    if (v < k->imin)
        return snprintf(detail, detaillen, "; %s is too small", text), -1;
    if ((k->flags & F_EVEN) && v % 2)
        return snprintf(detail, detaillen, "; %s is odd", text), -1;
    *out = v;
    return 0;
}

static int parse_real(const key_def *k, const char *text, double *out, char *detail,
                      size_t detaillen)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || is_blank(text[0]))
        return snprintf(detail, detaillen, "; not a number"), -1;
    if (isnan(v))
        return snprintf(detail, detaillen, ", not NaN"), -1;
    if (isinf(v) && errno == ERANGE)
        return snprintf(detail, detaillen, "; %s is too large", text), -1;
    if (isinf(v))
        return snprintf(detail, detaillen, ", not infinity"), -1;
    /* strtod reads hexadecimal too; a configuration is written in decimal. */
    if (strpbrk(text, "xX"))
        return snprintf(detail, detaillen, "; %s is not a decimal number", text), -1;
    /* Subnormal numbers lose precision and do not survive every reader (the store refused
     * them, after the database was created): no setting needs one. */
    if (v != 0 && fabs(v) < DBL_MIN)
        return snprintf(detail, detaillen, "; %s is too close to 0 (at least %g)", text, DBL_MIN),
               -1;
    if (v == 0)
        v = 0;  /* -0 would print as "-0" and hash differently from 0 */
    if (v < 0 && k->dmin >= 0)
        return snprintf(detail, detaillen, "; %s is negative", text), -1;
    if (v < k->dmin || (v == k->dmin && (k->flags & F_MIN_OPEN)))
        return snprintf(detail, detaillen, "; %s is too small", text), -1;
    if (v > k->dmax || (v == k->dmax && (k->flags & F_MAX_OPEN)))
        return snprintf(detail, detaillen, "; %s is too large", text), -1;
    *out = v;
    return 0;
}

/* Parses one item (not a list) of key k. On failure writes "expected ..." into why. */
static int parse_value(const key_def *k, const char *text, struct value *out, char *why,
                       size_t whylen)
{
    char detail[160] = "";
    memset(out, 0, sizeof *out);
    switch (k->type) {
    case TYPE_INT:
        if (parse_integer(k, text, &out->i, detail, sizeof detail) == 0)
            return 0;
        break;
    case TYPE_REAL:
        if (parse_real(k, text, &out->d, detail, sizeof detail) == 0)
            return 0;
        break;
    case TYPE_BOOL:
        if (parse_bool(text, &out->i) == 0)
            return 0;
        break;
    case TYPE_ENUM: {
        const char *name;
        for (int i = 0, v; (name = choice_at(k, i, &v)); i++)
            if (strcasecmp(text, name) == 0)
                return out->i = v, 0;
        break;
    }
    case TYPE_TEXT:
        for (const char *p = text; *p; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
                snprintf(why, whylen, "expected text without control characters");
                return -1;
            }
        if (k->field == FIELD_TEXT && strlen(text) >= k->size) {
            snprintf(why, whylen, "expected at most %zu bytes", k->size - 1);
            return -1;
        }
        if (k->check(text, detail, sizeof detail)) {
            fail(why, whylen, "expected %s", detail);
            return -1;
        }
        if (!(out->s = strdup(text))) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        return 0;
    }
    if (!text[0])
        snprintf(detail, sizeof detail, "; the value is empty");
    char expected[256];
    describe_expected(k, expected, sizeof expected);
    fail(why, whylen, "expected %s%s", expected, detail);
    return -1;
}

/* ---- settings: what the file and the --set options say -------------------------------------- */

enum origin_kind { ORIGIN_DEFAULT, ORIGIN_FILE, ORIGIN_SET };

struct key_setting {
    size_t count;           /* values in the list, >= 1 */
    struct value *values;
    enum origin_kind origin;
    int line;               /* file line, or position of the --set */
};

struct config {
    char *source;           /* the file name as given, for messages */
    char *default_name;     /* sweep.name unless set */
    char *text;             /* the INI text as read */
    struct key_setting settings[KEY_COUNT];
    /* [report]: margin.NAME per metric of the metric table, and the line that set it (0: not
     * set, the metric table's margin stands). */
    double report_margin[METRIC_COUNT];
    int report_margin_line[METRIC_COUNT];
};

static void setting_free(const key_def *k, struct key_setting *s)
{
    if (k->type == TYPE_TEXT)
        for (size_t i = 0; i < s->count; i++)
            free(s->values[i].s);
    free(s->values);
    s->values = NULL;
    s->count = 0;
}

static void describe_origin(const config *c, enum origin_kind kind, int line, char *buf,
                            size_t buflen)
{
    if (kind == ORIGIN_FILE)
        snprintf(buf, buflen, "%s:%d", c->source, line);
    else if (kind == ORIGIN_SET)
        snprintf(buf, buflen, "--set:%d", line);
    else
        snprintf(buf, buflen, "default");
}

/* Appends one parsed value to a setting whose values array holds *cap. */
static int push_value(struct key_setting *out, size_t *cap, const struct value *v)
{
    if (out->count == *cap) {
        const size_t more = *cap ? 2 * *cap : 4;
        struct value *grown = realloc(out->values, more * sizeof *grown);
        if (!grown)
            return -1;
        out->values = grown;
        *cap = more;
    }
    out->values[out->count++] = *v;
    return 0;
}

/* An item of an integer key written as a range, "A-B" (digits, '-', digits; blanks around the
 * '-' allowed): every integer from A to B. Returns 0 when text is not written as a range (it is
 * parsed as one value), 1 when it was one: its values appended, or *bad set with why. Ranges
 * exist so that long lists of seeds fit on a line (Debian's inih reads at most 197 characters). */
static int parse_range(const key_def *k, const char *text, struct key_setting *out, size_t *cap,
                       int *bad, char *why, size_t whylen)
{
    const size_t digits = strspn(text, "0123456789");
    const char *dash = text + digits;
    while (is_blank(*dash))
        dash++;
    if (k->type != TYPE_INT || digits == 0 || *dash != '-')
        return 0;
    *bad = 1;
    char *first = trimmed_copy(text, (size_t)(dash - text));
    char *last = trimmed_copy(dash + 1, strlen(dash + 1));
    struct value lo, hi;
    if (!first || !last) {
        snprintf(why, whylen, "out of memory");
    } else if (parse_value(k, first, &lo, why, whylen) == 0 &&
               parse_value(k, last, &hi, why, whylen) == 0) {
        if (lo.i > hi.i)
            snprintf(why, whylen, "expected a range from the smaller value to the larger, %s-%s",
                     last, first);
        else if ((unsigned long long)(hi.i - lo.i) >= (unsigned long long)CONFIG_MAX_GRID ||
                 out->count + (size_t)(hi.i - lo.i) >= CONFIG_MAX_GRID)
            snprintf(why, whylen, "expected at most %d values (a range counts each of its values)",
                     CONFIG_MAX_GRID);
        else
            *bad = 0;
        /* Every value is checked as if written out: an even key refuses the odd ones. */
        for (long long v = lo.i; !*bad; v++) {
            char one[32];
            struct value each;
            snprintf(one, sizeof one, "%lld", v);
            if (parse_value(k, one, &each, why, whylen) != 0)
                *bad = 1;
            else if (push_value(out, cap, &each) != 0)
                *bad = 1, snprintf(why, whylen, "out of memory");
            if (v == hi.i)
                break;
        }
    }
    free(first);
    free(last);
    return 1;
}

/* Parses `raw` (already trimmed) as the value of key k, a comma list unless k is F_NO_LIST or
 * single_only; an item of an integer key may be a range, "1-20". `where` locates it in messages. */
static int parse_setting(const key_def *k, const char *where, const char *raw, int single_only,
                         struct key_setting *out, char *err, size_t errlen)
{
    char cut[CLIP_BYTES + 4], cut_item[CLIP_BYTES + 4], why[256];
    int is_list = !(k->flags & F_NO_LIST) && strchr(raw, ',');
    if (is_list && single_only) {
        fail(err, errlen,
                "%s: [%s] %s = %s: wb run's --set takes one value; a list makes a sweep "
                "(wb sweep FILE --set), or belongs in the INI file", where,
                section_names[k->section], bare_name(k), clip(raw, cut));
        return -1;
    }
    size_t items = 1, cap = 0;
    if (is_list)
        for (const char *p = raw; *p; p++)
            items += *p == ',';
    memset(out, 0, sizeof *out);
    const char *item = raw;
    for (size_t i = 0; i < items; i++) {
        size_t len = is_list ? strcspn(item, ",") : strlen(item);
        char *text = trimmed_copy(item, len);
        if (!text) {
            fail(err, errlen, "%s: out of memory", where);
            setting_free(k, out);
            return -1;
        }
        int bad = !text[0] && is_list;
        struct value v;
        if (bad)
            snprintf(why, sizeof why, "expected a value in every item; item %zu is empty", i + 1);
        else if (!(k->flags & F_NO_LIST) &&
                 parse_range(k, text, out, &cap, &bad, why, sizeof why))
            ;   /* a range: its values appended, or bad */
        else if (parse_value(k, text, &v, why, sizeof why))
            bad = 1;
        else if (push_value(out, &cap, &v) != 0)
            bad = 1, snprintf(why, sizeof why, "out of memory");
        if (!bad && single_only && out->count > 1) {
            bad = 1;
            snprintf(why, sizeof why, "--set takes one value; ranges belong in the INI file");
        }
        if (bad) {
            if (is_list && text[0])
                fail(err, errlen, "%s: [%s] %s = %s: item %zu (%s): %s", where,
                        section_names[k->section], bare_name(k), clip(raw, cut), i + 1,
                        clip(text, cut_item), why);
            else
                fail(err, errlen, "%s: [%s] %s = %s: %s", where, section_names[k->section],
                        bare_name(k), clip(raw, cut), why);
            free(text);
            setting_free(k, out);
            return -1;
        }
        free(text);
        item += len + 1;
    }
    return 0;
}

/* Replaces key i's setting with `fresh`. */
static void replace_setting(config *c, int i, struct key_setting *fresh)
{
    setting_free(&key_table[i], &c->settings[i]);
    c->settings[i] = *fresh;
}

void config_free(config *c)
{
    if (!c)
        return;
    for (int i = 0; i < KEY_COUNT; i++)
        setting_free(&key_table[i], &c->settings[i]);
    free(c->source);
    free(c->default_name);
    free(c->text);
    free(c);
}

const char *config_ini_text(const config *c)
{
    return c->text;
}

/* sweep.name's default: the file's name without its folder and ".ini"; control characters
 * become '?' and it is cut to CONFIG_NAME_MAX_CHARS characters, so that it is always valid. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
        n -= 4;
    char *name = malloc(n + 6);
    if (!name)
        return NULL;
    memcpy(name, base, n);
    name[n] = '\0';
    if (n == 0)
        strcpy(name, "sweep");
    size_t chars = 0;
    for (char *p = name; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > CONFIG_NAME_MAX_CHARS) {
            *p = '\0';
            break;
        }
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    return name;
}

static int check_legacy(const key_def *k, char *err, size_t errlen);

/* A configuration holding every key's default. */
static int config_new(const char *source, const char *text, size_t textlen, config **out,
                      char *err, size_t errlen)
{
    config *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->source = strdup(source)) || !(c->default_name = name_from_path(source)) ||
        !(c->text = malloc(textlen + 1))) {
        config_free(c);
        fail(err, errlen, "%s: out of memory", source);
        return -1;
    }
    memcpy(c->text, text, textlen);
    c->text[textlen] = '\0';
    for (int i = 0; i < KEY_COUNT; i++) {
        const key_def *k = &key_table[i];
        const char *def = k->default_text ? k->default_text : c->default_name;
        struct key_setting fresh;
        if (parse_setting(k, "default", def, 0, &fresh, err, errlen)) {
            config_free(c);
            return -1;
        }
        c->settings[i] = fresh;
        if (check_legacy(k, err, errlen)) {
            config_free(c);
            return -1;
        }
    }
    *out = c;
    return 0;
}

/* ---- reading the INI text through inih ------------------------------------------------------ */

/* Shared by the line reader and the handler: inih calls the reader for a line, then the handler
 * for it, so `line` is the handler's line too. */
struct ini_reading {
    config *c;
    const char *next, *end;     /* the text not yet handed to inih */
    int line;                   /* the line last handed to inih, 1-based */
    int failed;                 /* err holds an error at error_line: stop reading */
    int error_line;
    int report_only;            /* a sweep's stored text: only [report] is read */
    char *err;
    size_t errlen;
};

static void reading_failed(struct ini_reading *r)
{
    r->failed = 1;
    r->error_line = r->line;
}

/* inih's reader: one physical line per call. It refuses a line that does not fit inih's buffer
 * (inih would split it and read the rest as a line of its own), and hands the line without its
 * indentation: with inih's multi-line values on, an indented line would continue the previous
 * value, even an indented `key = value` or `[section]`. Section headers are checked here, so an
 * unknown section with no keys is an error too. */
static char *read_ini_line(char *str, int num, void *stream)
{
    struct ini_reading *r = stream;
    if (r->failed || r->next >= r->end)
        return NULL;
    const char *start = r->next;
    const char *newline = memchr(start, '\n', (size_t)(r->end - start));
    size_t len = (size_t)((newline ? newline : r->end) - start);
    r->next = newline ? newline + 1 : r->end;
    r->line++;
    if (len > 0 && start[len - 1] == '\r')
        len--;
    /* inih's buffer holds the line, "\r\n" and a NUL (ini.h: "3 more than the longest line"). */
    size_t limit = num > 3 ? (size_t)num - 3 : 0;
    if (len > limit) {
        fail(r->err, r->errlen,
                "%s:%d: line longer than %zu characters (the INI reader's limit); a long list of "
                "integers fits as ranges: seeds = 1-100, 200-250",
                r->c->source, r->line, limit);
        reading_failed(r);
        return NULL;
    }
    if (memchr(start, '\0', len)) {
        fail(r->err, r->errlen, "%s:%d: NUL byte in the line: not a text file", r->c->source,
                r->line);
        reading_failed(r);
        return NULL;
    }
    if (r->line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
        start += 3, len -= 3;
    while (len > 0 && is_blank(*start))
        start++, len--;
    const char *close = len > 0 && *start == '[' ? memchr(start, ']', len) : NULL;
    if (close && !r->report_only) {
        char *name = trimmed_copy(start + 1, (size_t)(close - start - 1));
        char where[4096 + 32];
        snprintf(where, sizeof where, "%s:%d", r->c->source, r->line);
        if (!name)
            fail(r->err, r->errlen, "%s: out of memory", where);
        else if (!known_section(name))
            unknown_section_error(r->err, r->errlen, where, name);
        int bad = !name || !known_section(name);
        free(name);
        if (bad) {
            reading_failed(r);
            return NULL;
        }
    }
    memcpy(str, start, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

/* ---- the [report] section ---------------------------------------------------------------- */

/* What a margin is: one real >= 0 (0: no equivalence test), never a list. */
static const key_def report_margin_def = {.key = "report.margin", .type = TYPE_REAL, .dmin = 0,
                                          .dmax = 1e6, .flags = F_NO_LIST};

/* The metric a [report] key `margin.NAME` names: an image metric (those wb compare and the report
 * judge), or -1. */
static int report_margin_metric(const char *name)
{
    if (strncmp(name, "margin.", 7) != 0)
        return -1;
    const int m = metric_find(name + 7);
    return m >= 0 && metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES ? m : -1;
}

/* "margin.psnr, margin.ssim, ...": the keys [report] accepts. */
static void report_keys(char *buf, size_t buflen)
{
    buf[0] = '\0';
    for (int m = 0; m < METRIC_COUNT; m++)
        if (metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES)
            text_append(buf, buflen, "%smargin.%s", buf[0] ? ", " : "",
                   metric_def_of((enum metric_id)m)->name);
}

/* One `name = value` line of [report] at `line`. */
static int report_value(config *c, int line, const char *where, const char *name,
                        const char *value, char *err, size_t errlen)
{
    char cut[CLIP_BYTES + 4], cut_name[CLIP_BYTES + 4], why[256];
    const int m = report_margin_metric(name);
    if (m < 0) {
        char keys[512], names[METRIC_COUNT][64];
        const char *candidates[METRIC_COUNT];
        size_t n = 0;
        report_keys(keys, sizeof keys);
        for (int k = 0; k < METRIC_COUNT; k++)
            if (metric_def_of((enum metric_id)k)->source == METRIC_FROM_IMAGES) {
                snprintf(names[n], sizeof names[n], "margin.%s",
                         metric_def_of((enum metric_id)k)->name);
                candidates[n] = names[n];
                n++;
            }
        const char *guess = wb_likeliest(name, candidates, n);
        fail(err, errlen, "%s: [report] %s = %s: unknown key; valid keys in [report]: %s%s%s%s",
                where, clip(name, cut_name), clip(value, cut), keys,
                guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
        return -1;
    }
    if (c->report_margin_line[m]) {
        fail(err, errlen, "%s: [report] %s = %s: duplicate key (first set at line %d)", where,
                name, clip(value, cut), c->report_margin_line[m]);
        return -1;
    }
    struct value v = {0};
    if (strchr(value, ',')) {
        fail(err, errlen, "%s: [report] %s = %s: one value: [report] says how results are "
                "judged, it is not a sweep axis", where, name, clip(value, cut));
        return -1;
    }
    if (parse_value(&report_margin_def, value, &v, why, sizeof why) != 0) {
        fail(err, errlen, "%s: [report] %s = %s: %s", where, name, clip(value, cut), why);
        return -1;
    }
    c->report_margin[m] = v.d;
    c->report_margin_line[m] = line;
    return 0;
}

void config_report_of(const config *c, config_report *out)
{
    for (int m = 0; m < METRIC_COUNT; m++) {
        out->from_ini[m] = c->report_margin_line[m] != 0;
        out->margin[m] = out->from_ini[m] ? c->report_margin[m]
                                          : metric_def_of((enum metric_id)m)->delta;
    }
}

static int on_ini_value(void *user, const char *section, const char *name, const char *value)
{
    struct ini_reading *r = user;
    config *c = r->c;
    char where[4096 + 32], cut[CLIP_BYTES + 4], cut_name[CLIP_BYTES + 4];
    snprintf(where, sizeof where, "%s:%d", c->source, r->line);
    char *sec = trimmed_copy(section, strlen(section));
    if (!sec) {
        fail(r->err, r->errlen, "%s: out of memory", where);
        reading_failed(r);
        return 0;
    }
    int s = section_index(sec);
    int i = s >= 0 ? key_index_in(s, name) : -1;
    if (r->report_only && strcmp(sec, REPORT_SECTION) != 0) {
        free(sec);
        return 1;
    }
    if (!sec[0]) {
        char list[128];
        list_sections(list, sizeof list, NULL);
        fail(r->err, r->errlen, "%s: %s = %s: key outside any section; start with one of %s",
                where, clip(name, cut_name), clip(value, cut), list);
    } else if (strcmp(sec, REPORT_SECTION) == 0) {
        if (report_value(c, r->line, where, name, value, r->err, r->errlen) == 0) {
            free(sec);
            return 1;
        }
    } else if (s < 0) {
        unknown_section_error(r->err, r->errlen, where, sec);
    } else if (i < 0) {
        unknown_key_error(r->err, r->errlen, where, s, name, value);
    } else if (c->settings[i].origin == ORIGIN_FILE) {
        fail(r->err, r->errlen, "%s: [%s] %s = %s: duplicate key (first set at line %d)",
                where, sec, name, clip(value, cut), c->settings[i].line);
        i = -1;
    } else {
        struct key_setting fresh;
        if (parse_setting(&key_table[i], where, value, 0, &fresh, r->err, r->errlen) == 0) {
            fresh.origin = ORIGIN_FILE;
            fresh.line = r->line;
            replace_setting(c, i, &fresh);
            free(sec);
            return 1;
        }
    }
    free(sec);
    reading_failed(r);
    return 0;
}

/* Line n (1-based) of text, for quoting a syntax error. */
static void text_line(const char *text, int n, char *buf, size_t buflen)
{
    for (int i = 1; i < n && text; i++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!text)
        text = "";
    size_t len = strcspn(text, "\r\n");
    char *line = trimmed_copy(text, len);
    snprintf(buf, buflen, "%s", line ? line : "");
    free(line);
}

static int parse_text(const char *source, const char *text, size_t textlen, int report_only,
                      config **out, char *err, size_t errlen)
{
    config *c;
    if (config_new(source, text, textlen, &c, err, errlen))
        return -1;
    struct ini_reading r = {.c = c, .next = c->text, .end = c->text + textlen,
                            .report_only = report_only, .err = err, .errlen = errlen};
    int rc = ini_parse_stream(read_ini_line, &r, on_ini_value, &r);
    /* inih reports its own syntax errors only at the end, as the first error's line: it wins if
     * it comes before ours. */
    if (rc > 0 && (!r.failed || rc < r.error_line)) {
        char line[256], cut[CLIP_BYTES + 4];
        text_line(c->text, rc, line, sizeof line);
        fail(err, errlen, "%s:%d: %s: expected [section], key = value or a comment", source,
                rc, clip(line, cut));
        r.failed = 1;
    } else if (rc < 0 && !r.failed) {
        fail(err, errlen, "%s: out of memory", source);
        r.failed = 1;
    }
    if (r.failed) {
        config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int config_parse_string(const char *text, const char *name, config **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    size_t len = strlen(text);
    if (len > CONFIG_MAX_FILE_BYTES) {
        fail(err, errlen, "%s: larger than %d bytes: not a configuration file", name,
                CONFIG_MAX_FILE_BYTES);
        return -1;
    }
    return parse_text(name, text, len, 0, out, err, errlen);
}

int config_report_parse(const char *ini_text, const char *name, config_report *out, char *err,
                        size_t errlen)
{
    const char *text = ini_text ? ini_text : "";
    const size_t len = strlen(text);
    config *c = NULL;
    if (len > CONFIG_MAX_FILE_BYTES) {
        fail(err, errlen, "%s: larger than %d bytes: not a configuration file", name,
                CONFIG_MAX_FILE_BYTES);
        return -1;
    }
    if (parse_text(name, text, len, 1, &c, err, errlen) != 0)
        return -1;
    config_report_of(c, out);
    config_free(c);
    return 0;
}

int config_parse_file(const char *path, config **out, char *err, size_t errlen)
{
    *out = NULL;
    unsigned char *text;
    size_t len;
    /* A regular file only, never waited on (a FIFO named x.ini), and no larger than an INI. */
    if (file_read_max(path, CONFIG_MAX_FILE_BYTES, &text, &len, err, errlen) != 0) {
        if (strstr(err, ": larger than "))
            fail(err, errlen, "%s: larger than %d bytes: not a configuration file", path,
                 CONFIG_MAX_FILE_BYTES);
        return -1;
    }
    const int rc = parse_text(path, (char *)text, len, 0, out, err, errlen);
    free(text);
    return rc;
}

/* ---- --set ------------------------------------------------------------------------------- */

static int set_value(config *c, const char *assignment, int position, int single_only, char *err,
                     size_t errlen);

int config_set(config *c, const char *assignment, int position, char *err, size_t errlen)
{
    return set_value(c, assignment, position, 1, err, errlen);
}

int config_set_list(config *c, const char *assignment, int position, char *err, size_t errlen)
{
    return set_value(c, assignment, position, 0, err, errlen);
}

static int set_value(config *c, const char *assignment, int position, int single_only, char *err,
                     size_t errlen)
{
    char where[32], cut[CLIP_BYTES + 4];
    snprintf(where, sizeof where, "--set:%d", position);
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        fail(err, errlen, "%s: expected section.key=value, got '%s'", where,
                clip(assignment, cut));
        return -1;
    }
    char *key = trimmed_copy(assignment, (size_t)(eq - assignment));
    char *value = trimmed_copy(eq + 1, strlen(eq + 1));
    int rc = -1;
    if (!key || !value) {
        fail(err, errlen, "%s: out of memory", where);
        goto done;
    }
    char *dot = strchr(key, '.');
    if (!dot) {
        const char *keys[KEY_COUNT];
        for (int i = 0; i < KEY_COUNT; i++)
            keys[i] = key_table[i].key;
        const char *home = NULL;
        for (int s = 0; s < SECTION_COUNT && !home; s++)
            if (key_index_in(s, key) >= 0)
                home = key_table[key_index_in(s, key)].key;
        const char *guess = home ? home : wb_likeliest(key, keys, KEY_COUNT);
        fail(err, errlen, "%s: expected section.key=value; '%s' has no section%s%s%s", where,
                clip(key, cut), guess ? " (did you mean '" : "", guess ? guess : "",
                guess ? "'?)" : "");
        goto done;
    }
    *dot = '\0';
    int s = section_index(key);
    int i = s >= 0 ? key_index_in(s, dot + 1) : -1;
    if (strcmp(key, REPORT_SECTION) == 0) {
        fail(err, errlen, "%s: [report] %s: --set sets a run's keys; [report] says how a "
                "sweep's results are judged and belongs in the INI file, fixed before the sweep",
                where, clip(dot + 1, cut));
    } else if (s < 0) {
        unknown_section_error(err, errlen, where, key);
    } else if (i < 0) {
        unknown_key_error(err, errlen, where, s, dot + 1, value);
    } else {
        struct key_setting fresh;
        if (parse_setting(&key_table[i], where, value, single_only, &fresh, err, errlen) == 0) {
            fresh.origin = ORIGIN_SET;
            fresh.line = position;
            replace_setting(c, i, &fresh);
            rc = 0;
        }
    }
done:
    free(key);
    free(value);
    return rc;
}

/* ---- checks across keys ---------------------------------------------------------------------- */

/* 1 when setting a was written after setting b (the file before the --set options). */
static int set_later(const struct key_setting *a, const struct key_setting *b)
{
    return a->origin != b->origin ? a->origin > b->origin : a->line > b->line;
}

/* data.patch must be divisible by 2^model.depth, for every pair in the grid; the error is
 * reported where the later of the two was written. */
static int check_patch_depth(const config *c, char *err, size_t errlen)
{
    int ip = key_index("data.patch"), id = key_index("model.depth");
    const struct key_setting *patch = &c->settings[ip], *depth = &c->settings[id];
    for (size_t a = 0; a < patch->count; a++)
        for (size_t b = 0; b < depth->count; b++) {
            long long p = patch->values[a].i, d = depth->values[b].i;
            if (p % (1LL << d) == 0)
                continue;
            char where_patch[4096 + 32], where_depth[4096 + 32];
            describe_origin(c, patch->origin, patch->line, where_patch, sizeof where_patch);
            describe_origin(c, depth->origin, depth->line, where_depth, sizeof where_depth);
            if (set_later(patch, depth))
                fail(err, errlen,
                        "%s: [data] patch = %lld: expected a multiple of 2^model.depth = %lld "
                        "(model.depth = %lld, %s)", where_patch, p, 1LL << d, d, where_depth);
            else
                fail(err, errlen,
                        "%s: [model] depth = %lld: expected 2^depth = %lld to divide data.patch "
                        "= %lld (%s)", where_depth, d, 1LL << d, p, where_patch);
            return -1;
        }
    return 0;
}

/* ---- resolved runs --------------------------------------------------------------------------- */

/* A growing text of NUL-separated strings, addressed by offsets until it stops moving. */
struct strbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static size_t sb_add(struct strbuf *b, const char *s)
{
    size_t n = strlen(s) + 1, at = b->len;
    if (b->oom)
        return at;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return at;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return at;
}

/* Appends without the NUL: the next sb_add or sb_end continues the same string. */
static void sb_cat(struct strbuf *b, const char *s)
{
    sb_add(b, s);
    if (!b->oom)
        b->len--;
}

#define VALUE_TEXT_MAX (sizeof ((run_options *)0)->data.source + 64)

/* A value as the canonical text prints it: integers plainly, reals with %.17g, booleans
 * true/false, enums by name, text verbatim. */
static void canonical_text(const key_def *k, const struct value *v, char *buf, size_t buflen)
{
    switch (k->type) {
    case TYPE_INT:
        snprintf(buf, buflen, "%lld", v->i);
        break;
    case TYPE_REAL:
        snprintf(buf, buflen, "%.17g", v->d);
        break;
    case TYPE_BOOL:
        snprintf(buf, buflen, "%s", v->i ? "true" : "false");
        break;
    case TYPE_ENUM: {
        const char *name;
        for (int i = 0, value; (name = choice_at(k, i, &value)); i++)
            if (value == v->i)
                snprintf(buf, buflen, "%s", name);
        break;
    }
    case TYPE_TEXT:
        snprintf(buf, buflen, "%s", v->s);
        break;
    }
}

/* A key's legacy value must be written as the canonical text prints it, since rule 1 compares
 * the two texts (a legacy "0.1" would never equal "0.10000000000000001"): a wrong table entry
 * fails every parse, so the first test that reads a configuration names it. */
static int check_legacy(const key_def *k, char *err, size_t errlen)
{
    if (!k->legacy)
        return 0;
    struct value v;
    char why[256], text[VALUE_TEXT_MAX];
    if (parse_value(k, k->legacy, &v, why, sizeof why)) {
        fail(err, errlen, "key table: %s: legacy value %s: %s", k->key, k->legacy, why);
        return -1;
    }
    canonical_text(k, &v, text, sizeof text);
    free(v.s);
    if (strcmp(text, k->legacy) != 0) {
        fail(err, errlen, "key table: %s: legacy value %s must be written as %s", k->key,
                k->legacy, text);
        return -1;
    }
    return 0;
}

/* Writes a value into its place in run_options (the key's field, offset and size). */
static void set_option_field(const key_def *k, const struct value *v, run_options *o)
{
    char *at = (char *)o + k->offset;
    if (k->field == FIELD_REAL) {
        memcpy(at, &v->d, sizeof v->d);
    } else if (k->field == FIELD_TEXT) {
        snprintf(at, k->size, "%s", v->s);
    } else if (k->field == FIELD_INT) {
        /* int, long, uint64_t and the enums (all int-sized here): the value fits each, being
         * range-checked against it */
        if (k->size == sizeof(int32_t)) {
            int32_t x = (int32_t)v->i;
            memcpy(at, &x, sizeof x);
        } else if (k->size == sizeof(int64_t)) {
            int64_t x = v->i;
            memcpy(at, &x, sizeof x);
        }
    }
}

static void hex_digest(struct sha256_ctx *ctx, char out[CONFIG_HASH_LEN + 1])
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static size_t param_count(void)
{
    size_t n = 0;
    for (int i = 0; i < KEY_COUNT; i++)
        n += !(key_table[i].flags & F_NO_PARAM);
    return n;
}

static void run_free(config_run *r)
{
    free(r->strings_);
    free(r->label_strings_);
    free(r->params);
    free(r->axis_values);
    cJSON_free(r->json);
    memset(r, 0, sizeof *r);
}

static int compare_identity_keys(const void *a, const void *b)
{
    return strcmp(((const config_identity_key *)a)->key, ((const config_identity_key *)b)->key);
}

char *config_identity_text(const config_identity_key *keys, size_t nkeys, const run_options *o,
                           const config_behaviour_change *changes, size_t nchanges)
{
    config_identity_key *sorted = malloc((nkeys ? nkeys : 1) * sizeof *sorted);
    if (!sorted)
        return NULL;
    memcpy(sorted, keys, nkeys * sizeof *sorted);
    qsort(sorted, nkeys, sizeof *sorted, compare_identity_keys);
    struct strbuf b = {0};
    for (size_t i = 0; i < nkeys; i++) {
        if (sorted[i].legacy && strcmp(sorted[i].value, sorted[i].legacy) == 0)
            continue;   /* rule 1 */
        sb_cat(&b, sorted[i].key);
        sb_cat(&b, "=");
        sb_cat(&b, sorted[i].value);
        sb_cat(&b, "\n");
    }
    const char *separator = "rules=";   /* rule 2 */
    for (size_t i = 0; i < nchanges; i++)
        if (changes[i].applies(o)) {
            char version[24];
            snprintf(version, sizeof version, "%d", changes[i].version);
            sb_cat(&b, separator);
            sb_cat(&b, version);
            separator = ",";
        }
    if (*separator == ',')
        sb_cat(&b, "\n");
    sb_add(&b, "");
    free(sorted);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* Keys the resolution rules name. */
struct rule_keys {
    int seeds, lap_weight, kernel, border, schedule;
};

/* Builds one grid point (the value index of each key in pos): the resolved options, the store
 * params, the canonical text and both hashes. */
static int build_run(const config *c, const size_t *pos, const struct rule_keys *rk,
                     config_run *run)
{
    struct value v[KEY_COUNT];
    int unset[KEY_COUNT] = {0};
    for (int i = 0; i < KEY_COUNT; i++)
        v[i] = c->settings[i].values[pos[i]];
    if (v[rk->lap_weight].d == 0) {
        for (int i = 0; i < KEY_COUNT; i++)
            unset[i] = (key_table[i].flags & F_LAP_TERM) != 0;
    } else if (lap_kernel_def_of(v[rk->kernel].i)->mixes_channels) {
        v[rk->border].i = BORDER_ZERO;  /* the recipe pads with zeros whatever is asked */
    }
    if (v[rk->schedule].i != LR_COSINE && v[rk->schedule].i != LR_WSD)
        for (int i = 0; i < KEY_COUNT; i++)
            unset[i] |= (key_table[i].flags & F_DECAY_TERM) != 0;
    if (v[rk->schedule].i != LR_WSD)
        for (int i = 0; i < KEY_COUNT; i++)
            unset[i] |= (key_table[i].flags & F_WSD_TERM) != 0;

    memset(run, 0, sizeof *run);
    for (int i = 0; i < KEY_COUNT; i++) {
        const key_def *k = &key_table[i];
        struct value def;
        if (k->field == FIELD_NONE)
            continue;
        char why[256];
        if (unset[i] && parse_value(k, k->default_text, &def, why, sizeof why) == 0)
            set_option_field(k, &def, &run->options);  /* meaningless but deterministic */
        else
            set_option_field(k, &v[i], &run->options);
    }

    struct strbuf b = {0};
    size_t offsets[KEY_COUNT];
    char text[VALUE_TEXT_MAX];
    for (int i = 0; i < KEY_COUNT; i++) {
        offsets[i] = SIZE_MAX;
        if (unset[i] || (key_table[i].flags & F_NO_PARAM))
            continue;
        canonical_text(&key_table[i], &v[i], text, sizeof text);
        offsets[i] = sb_add(&b, text);
    }
    config_identity_key identity[KEY_COUNT];
    size_t nidentity = 0;
    for (int i = 0; i < KEY_COUNT && !b.oom; i++)
        if (offsets[i] != SIZE_MAX && !(key_table[i].flags & F_NO_IDENTITY))
            identity[nidentity++] =
                (config_identity_key){key_table[i].key, b.p + offsets[i], key_table[i].legacy};
    size_t nchanges;
    const config_behaviour_change *changes = config_behaviour_changes(&nchanges);
    char *identity_text = b.oom ? NULL : config_identity_text(identity, nidentity, &run->options,
                                                              changes, nchanges);
    /* With wsd, the trajectory: the identity without the budget and the decay's keys, which do
     * not change the stable phase a branch starts from. */
    char *trajectory_text = NULL;
    const int wsd = run->options.train.schedule == LR_WSD;
    if (wsd && identity_text) {
        config_identity_key stable[KEY_COUNT];
        size_t nstable = 0;
        for (size_t j = 0; j < nidentity; j++)
            if (!(key_table[key_index(identity[j].key)].flags &
                  (F_BUDGET | F_DECAY_TERM | F_WSD_TERM)))
                stable[nstable++] = identity[j];
        trajectory_text = config_identity_text(stable, nstable, &run->options, changes,
                                               nchanges);
        if (!trajectory_text)
            b.oom = 1;
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    size_t canonical_at = b.len;
    if (identity_text) {
        sb_cat(&b, identity_text);
        sha256_update(&ctx, strlen(identity_text), (const uint8_t *)identity_text);
        hex_digest(&ctx, run->config_id);
        free(identity_text);
    } else {
        b.oom = 1;
    }
    snprintf(text, sizeof text, "seed=%lld\n", v[rk->seeds].i);
    sb_add(&b, text);
    if (!b.oom) {
        sha256_update(&ctx, strlen(b.p + canonical_at), (const uint8_t *)b.p + canonical_at);
        hex_digest(&ctx, run->config_hash);
    }
    snprintf(text, sizeof text, "%lld", v[rk->seeds].i);
    sb_add(&b, text);   /* the seed alone, right after the canonical text: config_run_value */
    size_t trajectory_at = SIZE_MAX;
    if (trajectory_text && !b.oom) {
        /* "trajectory\n", the stable identity, then the seed: never a run's text, which always
         * has train.epochs. */
        trajectory_at = b.len;
        sb_cat(&b, CONFIG_TRAJECTORY_LINE);
        sb_cat(&b, trajectory_text);
        sha256_init(&ctx);
        sha256_update(&ctx, strlen(CONFIG_TRAJECTORY_LINE), (const uint8_t *)CONFIG_TRAJECTORY_LINE);
        sha256_update(&ctx, strlen(trajectory_text), (const uint8_t *)trajectory_text);
        if (!b.oom)
            hex_digest(&ctx, run->trajectory_id);
        snprintf(text, sizeof text, "seed=%lld\n", v[rk->seeds].i);
        sb_add(&b, text);
        if (!b.oom) {
            sha256_init(&ctx);
            sha256_update(&ctx, strlen(b.p + trajectory_at), (const uint8_t *)b.p + trajectory_at);
            hex_digest(&ctx, run->trajectory_hash);
        }
        run->fork_epoch = run->options.train.epochs -
                          lr_wsd_decay_epochs(run->options.train.epochs,
                                              run->options.train.decay_fraction);
    }
    free(trajectory_text);
    run->nparams = param_count();
    run->params = calloc(run->nparams, sizeof *run->params);
    if (b.oom || !run->params) {
        free(b.p);
        free(run->params);
        return -1;
    }
    run->strings_ = b.p;
    run->canonical = b.p + canonical_at;
    run->trajectory_canonical = trajectory_at == SIZE_MAX ? NULL : b.p + trajectory_at;
    size_t n = 0;
    for (int i = 0; i < KEY_COUNT; i++)
        if (!(key_table[i].flags & F_NO_PARAM)) {
            run->params[n].key = key_table[i].key;
            run->params[n].value = offsets[i] == SIZE_MAX ? NULL : b.p + offsets[i];
            n++;
        }
    return 0;
}

const char *config_run_value(const config_run *r, const char *key)
{
    if (strcmp(key, "seed") == 0)
        return r->canonical + strlen(r->canonical) + 1;
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    return NULL;
}

/* The key_table entry of a run's param. */
static const key_def *param_key(const store_param *p)
{
    return &key_table[key_index(p->key)];
}

static int build_json(config_run *run)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    size_t n = 0;
    for (int s = SEC_SWEEP + 1; s < SECTION_COUNT && ok; s++) {
        cJSON *section = cJSON_AddObjectToObject(root, section_names[s]);
        ok = section != NULL;
        for (; ok && n < run->nparams && param_key(&run->params[n])->section == (enum section)s;
             n++) {
            const key_def *k = param_key(&run->params[n]);
            const char *value = run->params[n].value, *name = bare_name(k);
            if (!value)
                ok = cJSON_AddNullToObject(section, name) != NULL;
            else if (k->type == TYPE_INT || k->type == TYPE_REAL)
                /* raw: 64-bit integers and %.17g reals exactly as the canonical text has them */
                ok = cJSON_AddRawToObject(section, name, value) != NULL;
            else if (k->type == TYPE_BOOL)
                ok = cJSON_AddBoolToObject(section, name, strcmp(value, "true") == 0) != NULL;
            else
                ok = cJSON_AddStringToObject(section, name, value) != NULL;
        }
    }
    if (ok) {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, run->options.seed);
        ok = cJSON_AddRawToObject(root, "seed", seed) != NULL;
    }
    if (ok)
        ok = (run->json = cJSON_PrintUnformatted(root)) != NULL;
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

/* The label and the axis values of a run, once the grid's axes are known: analysis/label.h's one
 * format, with the effective weight from the loss itself. */
static int build_label(config_grid *g, config_run *run)
{
    struct strbuf b = {0};
    size_t offsets[KEY_COUNT];
    label_axis axes[KEY_COUNT];
    char text[VALUE_TEXT_MAX];
    for (size_t a = 0; a < g->naxes; a++) {
        const char *value = config_run_value(run, g->axis_keys[a]);
        axes[a] = (label_axis){g->axis_keys[a], value};
        offsets[a] = SIZE_MAX;
        if (!value)
            continue;
        label_value(value, text, sizeof text);
        offsets[a] = sb_add(&b, text);
    }
    const loss_options *loss = &run->options.loss;
    char label[512];
    label_run(loss->lap_weight, loss_effective_weight(loss), axes, g->naxes, run->options.seed,
              label, sizeof label);
    const size_t label_at = sb_add(&b, label);
    run->axis_values = calloc(g->naxes ? g->naxes : 1, sizeof *run->axis_values);
    if (b.oom || !run->axis_values) {
        free(b.p);
        return -1;
    }
    run->label_strings_ = b.p;
    run->label = b.p + label_at;
    for (size_t a = 0; a < g->naxes; a++)
        run->axis_values[a] = offsets[a] == SIZE_MAX ? NULL : b.p + offsets[a];
    return 0;
}

void config_grid_free(config_grid *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nruns; i++)
        run_free(&g->runs[i]);
    free(g->runs);
    free(g->axis_keys);
    free(g->axes);
    free(g->name);
    free(g->database);
    free(g);
}

const char *config_database(const config_grid *g, const char *db_flag)
{
    return db_flag ? db_flag : g->database;
}

struct hash_at {
    const char *hash;
    size_t index;
};

static int compare_hash_at(const void *a, const void *b)
{
    const struct hash_at *x = a, *y = b;
    int c = strcmp(x->hash, y->hash);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Drops the runs whose config_hash an earlier run has, keeping the order of the rest. */
static int drop_duplicates(config_grid *g)
{
    struct hash_at *sorted = malloc(g->nruns * sizeof *sorted);
    unsigned char *drop = calloc(g->nruns, 1);
    if (!sorted || !drop) {
        free(sorted);
        free(drop);
        return -1;
    }
    for (size_t i = 0; i < g->nruns; i++)
        sorted[i] = (struct hash_at){g->runs[i].config_hash, i};
    qsort(sorted, g->nruns, sizeof *sorted, compare_hash_at);
    for (size_t i = 1; i < g->nruns; i++)
        if (strcmp(sorted[i].hash, sorted[i - 1].hash) == 0)
            drop[sorted[i].index] = 1;
    size_t kept = 0;
    for (size_t i = 0; i < g->nruns; i++) {
        if (drop[i]) {
            run_free(&g->runs[i]);
            continue;
        }
        g->runs[kept] = g->runs[i];
        g->runs[kept].grid_index = (int)kept;
        kept++;
    }
    g->nruns = kept;
    free(sorted);
    free(drop);
    return 0;
}

/* The axes: the params with two different values among the runs that set them (a key unset by
 * the λ = 0 baseline, say border, is not an axis for that). */
static int find_axes(config_grid *g)
{
    size_t np = g->nruns ? g->runs[0].nparams : 0;
    struct strbuf joined = {0};
    g->axis_keys = calloc(np ? np : 1, sizeof *g->axis_keys);
    if (!g->axis_keys)
        return -1;
    for (size_t j = 0; j < np; j++) {
        const char *first = NULL;
        size_t i = 0;
        for (; i < g->nruns; i++) {
            const char *value = g->runs[i].params[j].value;
            if (!first)
                first = value;
            else if (value && strcmp(value, first) != 0)
                break;
        }
        if (i == g->nruns)
            continue;
        if (g->naxes)
            sb_cat(&joined, ",");
        sb_cat(&joined, g->runs[0].params[j].key);
        g->axis_keys[g->naxes++] = g->runs[0].params[j].key;
    }
    sb_add(&joined, "");
    if (joined.oom) {
        free(joined.p);
        return -1;
    }
    g->axes = joined.p;
    return 0;
}

int config_expand(const config *c, config_grid **out, char *err, size_t errlen)
{
    *out = NULL;
    if (check_patch_depth(c, err, errlen))
        return -1;
    struct rule_keys rk = {key_index("sweep.seeds"), key_index("loss.laplacian_weight"),
                           key_index("loss.kernel"), key_index("loss.border"),
                           key_index("train.schedule")};

    /* Nesting: keys in table order, outermost first, then the seeds innermost. */
    int order[KEY_COUNT], norder = 0;
    size_t points = 1;
    for (int i = 0; i < KEY_COUNT; i++)
        if (i != rk.seeds)
            order[norder++] = i;
    order[norder++] = rk.seeds;
    for (int j = 0; j < norder; j++) {
        size_t n = c->settings[order[j]].count;
        if (points > CONFIG_MAX_GRID / n) {
            fail(err, errlen, "%s: the grid has more than %d points; split the sweep",
                    c->source, CONFIG_MAX_GRID);
            return -1;
        }
        points *= n;
    }
    config_grid *g = calloc(1, sizeof *g);
    if (!g || !(g->runs = calloc(points, sizeof *g->runs)) ||
        !(g->name = strdup(c->settings[key_index("sweep.name")].values[0].s)) ||
        !(g->database = strdup(c->settings[key_index("sweep.database")].values[0].s)))
        goto oom;

    size_t pos[KEY_COUNT] = {0};
    for (size_t p = 0; p < points; p++) {
        if (build_run(c, pos, &rk, &g->runs[g->nruns]))
            goto oom;
        g->nruns++;
        for (int j = norder - 1; j >= 0; j--) {
            int k = order[j];
            if (++pos[k] < c->settings[k].count)
                break;
            pos[k] = 0;
        }
    }
    if (drop_duplicates(g) || find_axes(g))
        goto oom;
    for (size_t i = 0; i < g->nruns; i++)
        if (build_json(&g->runs[i]) || build_label(g, &g->runs[i]))
            goto oom;
    *out = g;
    return 0;
oom:
    config_grid_free(g);
    fail(err, errlen, "%s: out of memory", c->source);
    return -1;
}

/* ---- a second stage of seeds ------------------------------------------------------------- */

int config_expand_seeds(const config *c, const int64_t *seeds, size_t nseeds, config_grid **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (nseeds == 0)
        return fail(err, errlen, "%s: no seeds to expand", c->source);
    struct value *values = calloc(nseeds, sizeof *values);
    if (!values)
        return fail(err, errlen, "out of memory");
    for (size_t i = 0; i < nseeds; i++)
        values[i].i = seeds[i];
    /* The same configuration with another seed list: a shallow copy whose seeds setting points
     * at these values; nothing of it is freed but the values. */
    config copy = *c;
    copy.settings[key_index("sweep.seeds")].values = values;
    copy.settings[key_index("sweep.seeds")].count = nseeds;
    const int rc = config_expand(&copy, out, err, errlen);
    free(values);
    return rc;
}

/* ---- trajectories ------------------------------------------------------------------------ */

int config_trajectory(const config_grid *g, const config_run *branch, int epochs,
                      config_run *out)
{
    memset(out, 0, sizeof *out);
    if (!branch->trajectory_canonical)
        return -1;
    out->options = branch->options;
    out->options.train.epochs = epochs;
    out->options.train.decay_fraction = 0;  /* the stable phase: no decay */
    out->grid_index = -1;
    snprintf(out->config_hash, sizeof out->config_hash, "%s", branch->trajectory_hash);
    snprintf(out->config_id, sizeof out->config_id, "%s", branch->trajectory_id);
    snprintf(out->trajectory_hash, sizeof out->trajectory_hash, "%s", branch->trajectory_hash);
    snprintf(out->trajectory_id, sizeof out->trajectory_id, "%s", branch->trajectory_id);
    struct strbuf b = {0};
    const size_t canonical_at = sb_add(&b, branch->trajectory_canonical);
    size_t offsets[KEY_COUNT];
    for (size_t i = 0; i < branch->nparams; i++) {
        const key_def *k = param_key(&branch->params[i]);
        const int stable = !(k->flags & (F_BUDGET | F_DECAY_TERM | F_WSD_TERM));
        offsets[i] = stable && branch->params[i].value ? sb_add(&b, branch->params[i].value)
                                                      : SIZE_MAX;
    }
    out->nparams = branch->nparams;
    out->params = calloc(out->nparams ? out->nparams : 1, sizeof *out->params);
    if (b.oom || !out->params) {
        free(b.p);
        free(out->params);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->strings_ = b.p;
    out->canonical = b.p + canonical_at;
    out->trajectory_canonical = out->canonical;
    for (size_t i = 0; i < out->nparams; i++)
        out->params[i] = (store_param){branch->params[i].key,
                                       offsets[i] == SIZE_MAX ? NULL : b.p + offsets[i]};
    char label[600];
    if (build_json(out) != 0 || build_label((config_grid *)g, out) != 0) {
        config_run_free(out);
        return -1;
    }
    snprintf(label, sizeof label, "trajectory of %s", out->label);
    free(out->label_strings_);
    out->label_strings_ = strdup(label);
    out->label = out->label_strings_;
    if (!out->label) {
        config_run_free(out);
        return -1;
    }
    return 0;
}

void config_run_free(config_run *r)
{
    run_free(r);
}

/* ---- wb config --defaults -------------------------------------------------------------------- */

void config_print_defaults(FILE *f)
{
    fprintf(f, "; wb: every configuration key with its default (wb config --defaults).\n"
               "; A comma list makes a key a sweep axis (any key but sweep.name and\n"
               "; sweep.database); the grid is the Cartesian product, the seeds innermost.\n");
    for (int s = 0; s < SECTION_COUNT; s++) {
        fprintf(f, "\n[%s]\n", section_names[s]);
        for (int i = 0; i < KEY_COUNT; i++) {
            const key_def *k = &key_table[i];
            if ((int)k->section != s)
                continue;
            char expected[256];
            describe_expected(k, expected, sizeof expected);
            fprintf(f, "; %s\n; values: %s\n", k->description, expected);
            if (k->default_text)
                fprintf(f, "%s = %s\n", bare_name(k), k->default_text);
            else
                fprintf(f, "; %s =\n", bare_name(k));
        }
    }
    char expected[256], delta[40];
    describe_expected(&report_margin_def, expected, sizeof expected);
    fprintf(f, "\n[%s]\n; how the results are judged, never what a run computes: not part of a "
               "run's identity,\n; not an axis, not settable with --set\n"
               "; margin.NAME: the equivalence margin of metric NAME, in its unit (0: no "
               "equivalence test);\n; the defaults are the metric table's\n; values: %s\n",
            REPORT_SECTION, expected);
    for (int m = 0; m < METRIC_COUNT; m++) {
        const metric_def *d = metric_def_of((enum metric_id)m);
        if (d->source != METRIC_FROM_IMAGES)
            continue;
        format_shortest(d->delta, delta, sizeof delta);
        fprintf(f, "; margin.%s = %s\n", d->name, delta);
    }
}

int config_print_json(FILE *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(root, "keys");
    int ok = keys != NULL;
    for (int i = 0; ok && i < KEY_COUNT; i++) {
        const key_def *k = &key_table[i];
        char expected[256];
        describe_expected(k, expected, sizeof expected);
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(keys, o) && cJSON_AddStringToObject(o, "key", k->key) &&
             (k->default_text ? cJSON_AddStringToObject(o, "default", k->default_text)
                              : cJSON_AddNullToObject(o, "default")) &&
             cJSON_AddStringToObject(o, "values", expected) &&
             cJSON_AddStringToObject(o, "description", k->description);
    }
    cJSON *kernels = ok ? cJSON_AddArrayToObject(root, "lap_kernels") : NULL;
    ok = kernels != NULL;
    for (int i = 0; ok && i < LAP_KERNEL_COUNT; i++) {
        const lap_kernel_def *d = lap_kernel_def_of((enum lap_kernel)i);
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(kernels, o) && cJSON_AddStringToObject(o, "name", d->name) &&
             cJSON_AddStringToObject(o, "label", d->label) &&
             cJSON_AddItemToObject(o, "taps", cJSON_CreateDoubleArray(d->taps, 9)) &&
             cJSON_AddNumberToObject(o, "divisor", d->divisor) &&
             cJSON_AddNumberToObject(o, "gain", d->gain) &&
             cJSON_AddBoolToObject(o, "mixes_channels", d->mixes_channels);
    }
    cJSON *norms = ok ? cJSON_AddArrayToObject(root, "lap_norms") : NULL;
    ok = norms != NULL;
    for (int i = 0; ok && lap_norm_name(i); i++)
        ok = cJSON_AddItemToArray(norms, cJSON_CreateString(lap_norm_name(i)));
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    ok = text && fprintf(f, "%s\n", text) >= 0 && fflush(f) == 0;
    cJSON_free(text);
    return ok ? 0 : -1;
}

const char *config_nearest_key(const char *word)
{
    const char *keys[KEY_COUNT + 1];
    for (int i = 0; i < KEY_COUNT; i++)
        keys[i] = key_table[i].key;
    keys[KEY_COUNT] = "seed";
    for (int i = 0; i < KEY_COUNT; i++)   /* a bare name ("kernel") that is a key's */
        if (strcmp(bare_name(&key_table[i]), word) == 0)
            return key_table[i].key;
    return wb_likeliest(word, keys, KEY_COUNT + 1);
}
