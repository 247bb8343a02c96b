/* wb/config_internal.h: what the files of the configuration share, and nothing outside them
 * includes (wb/config.h is the contract). The configuration is split by concern:
 *   config.c           the key table, and the values: parsing one item, checking it, printing it
 *                      as the canonical text does, writing it into run_options
 *   config_ini.c       the INI reader (inih), the settings a file and --set make, [report]
 *   config_grid.c      the checks across keys and the grid: resolved runs, axes, trajectories
 *   config_identity.c  the canonical text, config_hash and config_id, the behaviour changes
 *   config_json.c      a run's JSON, wb config --defaults and --json */
#ifndef WB_WB_CONFIG_INTERNAL_H
#define WB_WB_CONFIG_INTERNAL_H

#include <stddef.h>

#include "wb/config.h"

/* ---- the table of keys (config.c) ---------------------------------------------------------- */

enum section { SEC_SWEEP, SEC_DATA, SEC_MODEL, SEC_TRAIN, SEC_LOSS, SECTION_COUNT };
extern const char *const cfg_section_names[SECTION_COUNT];

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

/* The rows of the key table (config.c checks the count at compile time: a new key adds one). */
enum { KEY_COUNT = 35 };
extern const key_def cfg_keys[KEY_COUNT];

/* The i-th value a TYPE_ENUM key accepts, its name and (in *value) its number; NULL past the
 * last. */
const char *cfg_choice_at(const key_def *k, int i, int *value);
/* "kernel" of "loss.kernel". */
const char *cfg_bare_name(const key_def *k);
/* The section named `name`, or -1. */
int cfg_section_index(const char *name);
/* The key `name` of section s, or -1. */
int cfg_key_index_in(int s, const char *name);
/* A key the code itself names ("loss.kernel"): always present in the table. */
int cfg_key_index(const char *key);
/* The key_table entry of a run's param. */
const key_def *cfg_param_key(const store_param *p);
/* The number of keys that are a run's params (not F_NO_PARAM). */
size_t cfg_param_count(void);

/* The section of how results are judged (config.h, "the [report] section"): not a section of
 * the key table, so that none of its keys can enter a run's identity, params or JSON. */
#define REPORT_SECTION "report"
/* What a margin is: one real >= 0 (0: no equivalence test), never a list. */
extern const key_def cfg_report_margin_def;

/* ---- values (config.c) ------------------------------------------------------------------- */

/* One typed value: i for TYPE_INT, TYPE_BOOL and TYPE_ENUM (the choice's value), d for
 * TYPE_REAL, s (owned) for TYPE_TEXT. */
struct value {
    long long i;
    double d;
    char *s;
};

int cfg_is_blank(char ch);
/* A copy of s[0..n) without surrounding blanks. */
char *cfg_trimmed_copy(const char *s, size_t n);
/* A value as quoted in messages: control characters shown as '?' (a message is one line), long
 * ones cut at a UTF-8 character boundary and marked. */
#define CLIP_BYTES 80
const char *cfg_clip(const char *s, char buf[CLIP_BYTES + 4]);

/* What key k accepts, for messages and --defaults ("an integer from 1 to 3"). */
void cfg_describe_expected(const key_def *k, char *buf, size_t buflen);
/* Parses one item (not a list) of key k. On failure writes "expected ..." into why. */
int cfg_parse_value(const key_def *k, const char *text, struct value *out, char *why,
                    size_t whylen);
#define VALUE_TEXT_MAX (sizeof ((run_options *)0)->data.source + 64)
/* A value as the canonical text prints it: integers plainly, reals with %.17g, booleans
 * true/false, enums by name, text verbatim. */
void cfg_canonical_text(const key_def *k, const struct value *v, char *buf, size_t buflen);
/* A key's legacy value must be written as the canonical text prints it (identity rule 1). */
int cfg_check_legacy(const key_def *k, char *err, size_t errlen);
/* Writes a value into its place in run_options (the key's field, offset and size). */
void cfg_set_option_field(const key_def *k, const struct value *v, run_options *o);

/* A growing text of NUL-separated strings, addressed by offsets until it stops moving. */
struct strbuf {
    char *p;
    size_t len, cap;
    int oom;
};
/* Appends s and its NUL; returns where it starts. */
size_t cfg_sb_add(struct strbuf *b, const char *s);
/* Appends without the NUL: the next cfg_sb_add or cfg_sb_cat continues the same string. */
void cfg_sb_cat(struct strbuf *b, const char *s);

/* ---- settings: what the file and the --set options say (config_ini.c) ------------------- */

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

/* "FILE:LINE", "--set:N" or "default": where a setting was written. */
void cfg_describe_origin(const config *c, enum origin_kind kind, int line, char *buf,
                         size_t buflen);

/* ---- identity (config_identity.c) -------------------------------------------------------- */

/* The identity of a run whose options are resolved: offsets[i] is where key i's value, as the
 * canonical text prints it, starts in b (SIZE_MAX where unset or not a param). Appends to b the
 * canonical text (*canonical_at), the seed alone right after it (config_run_value reads it
 * there) and, with wsd, the trajectory's canonical text (*trajectory_at, else SIZE_MAX); sets
 * config_hash, config_id and, with wsd, trajectory_hash, trajectory_id and fork_epoch. Memory
 * running out sets b->oom. */
void cfg_run_identity(config_run *run, struct strbuf *b, const size_t *offsets, long long seed,
                      size_t *canonical_at, size_t *trajectory_at);

/* ---- output (config_json.c) -------------------------------------------------------------- */

/* run->json from its params: {"data":{...},...,"seed":N}. */
int cfg_run_json(config_run *run);

#endif
