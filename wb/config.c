/* wb/config.c: the key table, and the values: one item parsed, checked, printed as the canonical
 * text prints it and written into run_options. Everything about a key lives in cfg_keys below;
 * the other config_*.c files walk that table (wb/config_internal.h says which does what). */
#include "wb/config_internal.h"
#include "wb/util.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/text.h"
#include "model/lap_kernels.h"

/* ---- the table of keys -------------------------------------------------------------------- */

const char *const cfg_section_names[SECTION_COUNT] = {"sweep", "data", "model", "train", "loss"};


/* The i-th value a TYPE_ENUM key accepts, its name and (in *value) its number; NULL past the
 * last. */
const char *cfg_choice_at(const key_def *k, int i, int *value)
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
const key_def cfg_keys[] = {
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

_Static_assert(sizeof cfg_keys / sizeof cfg_keys[0] == KEY_COUNT,
               "KEY_COUNT in wb/config_internal.h counts the rows of cfg_keys");

const char *cfg_bare_name(const key_def *k)
{
    return strchr(k->key, '.') + 1;
}

int cfg_section_index(const char *name)
{
    for (int s = 0; s < SECTION_COUNT; s++)
        if (strcmp(cfg_section_names[s], name) == 0)
            return s;
    return -1;
}

int cfg_key_index_in(int s, const char *name)
{
    for (int i = 0; i < KEY_COUNT; i++)
        if ((int)cfg_keys[i].section == s && strcmp(cfg_bare_name(&cfg_keys[i]), name) == 0)
            return i;
    return -1;
}

int cfg_key_index(const char *key)
{
    for (int i = 0; i < KEY_COUNT; i++)
        if (strcmp(cfg_keys[i].key, key) == 0)
            return i;
    return -1;
}

/* ---- small helpers ------------------------------------------------------------------------ */

int cfg_is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

char *cfg_trimmed_copy(const char *s, size_t n)
{
    while (n > 0 && cfg_is_blank(*s))
        s++, n--;
    while (n > 0 && cfg_is_blank(s[n - 1]))
        n--;
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

const char *cfg_clip(const char *s, char buf[CLIP_BYTES + 4])
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

/* ---- values ------------------------------------------------------------------------------- */

void cfg_describe_expected(const key_def *k, char *buf, size_t buflen)
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
        for (int i = 0, v; (name = cfg_choice_at(k, i, &v)); i++)
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
    if (end == text || *end || cfg_is_blank(text[0]))
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
    if (end == text || *end || cfg_is_blank(text[0]))
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
int cfg_parse_value(const key_def *k, const char *text, struct value *out, char *why,
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
        for (int i = 0, v; (name = cfg_choice_at(k, i, &v)); i++)
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
    cfg_describe_expected(k, expected, sizeof expected);
    fail(why, whylen, "expected %s%s", expected, detail);
    return -1;
}


/* A value as the canonical text prints it: integers plainly, reals with %.17g, booleans
 * true/false, enums by name, text verbatim. */
void cfg_canonical_text(const key_def *k, const struct value *v, char *buf, size_t buflen)
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
        for (int i = 0, value; (name = cfg_choice_at(k, i, &value)); i++)
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
int cfg_check_legacy(const key_def *k, char *err, size_t errlen)
{
    if (!k->legacy)
        return 0;
    struct value v;
    char why[256], text[VALUE_TEXT_MAX];
    if (cfg_parse_value(k, k->legacy, &v, why, sizeof why)) {
        fail(err, errlen, "key table: %s: legacy value %s: %s", k->key, k->legacy, why);
        return -1;
    }
    cfg_canonical_text(k, &v, text, sizeof text);
    free(v.s);
    if (strcmp(text, k->legacy) != 0) {
        fail(err, errlen, "key table: %s: legacy value %s must be written as %s", k->key,
                k->legacy, text);
        return -1;
    }
    return 0;
}

/* Writes a value into its place in run_options (the key's field, offset and size). */
void cfg_set_option_field(const key_def *k, const struct value *v, run_options *o)
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
/* ---- texts of strings ---------------------------------------------------------------- */

size_t cfg_sb_add(struct strbuf *b, const char *s)
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

/* Appends without the NUL: the next cfg_sb_add or cfg_sb_cat continues the same string. */
void cfg_sb_cat(struct strbuf *b, const char *s)
{
    cfg_sb_add(b, s);
    if (!b->oom)
        b->len--;
}

size_t cfg_param_count(void)
{
    size_t n = 0;
    for (int i = 0; i < KEY_COUNT; i++)
        n += !(cfg_keys[i].flags & F_NO_PARAM);
    return n;
}

const key_def *cfg_param_key(const store_param *p)
{
    return &cfg_keys[cfg_key_index(p->key)];
}

const key_def cfg_report_margin_def = {.key = "report.margin", .type = TYPE_REAL, .dmin = 0,
                                       .dmax = 1e6, .flags = F_NO_LIST};

const char *config_nearest_key(const char *word)
{
    const char *keys[KEY_COUNT + 1];
    for (int i = 0; i < KEY_COUNT; i++)
        keys[i] = cfg_keys[i].key;
    keys[KEY_COUNT] = "seed";
    for (int i = 0; i < KEY_COUNT; i++)   /* a bare name ("kernel") that is a key's */
        if (strcmp(cfg_bare_name(&cfg_keys[i]), word) == 0)
            return cfg_keys[i].key;
    return wb_likeliest(word, keys, KEY_COUNT + 1);
}
