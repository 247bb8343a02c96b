/* wb/config.h: an INI file turned into a validated, typed sweep grid of runs (docs/DESIGN.md,
 * "Configuration keys" and "Identity of a run").
 *
 * One table in config.c lists every key (section, name, type, default, allowed values, a one-line
 * description, where it lives in run_options); parsing, validation, defaults, the canonical text,
 * the hashes, the JSON, the store params and config_print_defaults all derive from it. The
 * other files are split by concern (wb/config_internal.h, private to them, lists them): the INI
 * reader and --set (config_ini.c), the grid (config_grid.c), identity (config_identity.c), JSON
 * and defaults (config_json.c). A run's label for people comes from wb/run_label.h.
 *
 * Life of a configuration:
 *   config_parse_file (or config_parse_string)   every key known, typed and range-checked
 *   config_set, once per --set, in order         one value each, replacing the file's
 *   config_expand                                cross-key checks, then the grid of resolved runs
 *
 * Values: booleans are true/false/yes/no/on/off/1/0; numbers must be the whole item; a comma list
 * makes a key a sweep axis (any key but sweep.name and sweep.database, whose commas are text).
 * INI syntax is inih's: `;` or `#` starts a comment line, ` ;` (after whitespace) starts an inline
 * comment, `key: value` equals `key = value`. Leading indentation is ignored (an indented line is
 * never a continuation of the previous value). Lines are at most INI_MAX_LINE - 3 characters.
 *
 * Identity: see "identity across versions" at the end of this file.
 *
 * Errors: functions return 0 or -1 with one line in err naming where (FILE:LINE, or --set:N for
 * the Nth --set), the key, the value and what was expected. Every error is a configuration error
 * (exit status 2). Nothing here prints or exits. */
#ifndef WB_WB_CONFIG_H
#define WB_WB_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "model/metrics.h"
#include "model/train.h"
#include "store/store.h"

#define CONFIG_DEFAULT_DATABASE "results/wb.db"
#define CONFIG_NAME_MAX_CHARS 200       /* sweep.name, in UTF-8 characters */
#define CONFIG_MAX_FILE_BYTES (1 << 20) /* larger files are refused: not a configuration */
#define CONFIG_MAX_GRID 10000           /* grid points (before duplicates are dropped) */
#define CONFIG_HASH_LEN 64              /* hex digits of config_hash and config_id */

/* A parsed file: for every key its value or list of values and where it was set. */
typedef struct config config;

/* Reads and parses an INI file. sweep.name defaults to the file's name without ".ini". */
int config_parse_file(const char *path, config **out, char *err, size_t errlen);

/* The same from a NUL-terminated text; `name` stands for the file name in messages and in
 * sweep.name's default. */
int config_parse_string(const char *text, const char *name, config **out, char *err,
                        size_t errlen);

/* Applies one `section.key=value` override (wb run --set); `position` is its 1-based position
 * among the --set options, for `--set:N:` messages. It replaces the file's value (not a
 * duplicate); a later --set of the same key replaces an earlier one. Lists are refused. On error
 * the configuration is unchanged. */
int config_set(config *c, const char *assignment, int position, char *err, size_t errlen);
/* The same where a comma list (or a range) makes the key an axis, as in the INI file (wb sweep
 * --set loss.laplacian_weight=0,0.1,1, Hydra's multirun). */
int config_set_list(config *c, const char *assignment, int position, char *err, size_t errlen);

/* The INI text as read (for the store's sweeps table); "" for an empty text. */
const char *config_ini_text(const config *c);

void config_free(config *c);

/* ---- the [report] section -----------------------------------------------------------------
 * How a sweep's results are judged, never what a run computes: its keys are not part of a run's
 * identity (the canonical text, config_hash, config_id), not params, not axes, not in the run's
 * JSON, and --set refuses them. They live in the INI file, so they are fixed before the sweep
 * runs and stored with it (the sweeps table's INI text), where wb compare, wb report and wb serve
 * read them back (config_report_parse). Keys:
 *   margin.NAME = X   the equivalence margin δ of metric NAME of the metric table (an image
 *                     metric: psnr, ssim, mse, ...), in its unit, for val and test alike; one
 *                     number >= 0, 0 meaning no equivalence test; default: the metric table's
 *                     delta (0.2 dB for PSNR). */
typedef struct config_report {
    double margin[METRIC_COUNT];    /* per metric id */
    int from_ini[METRIC_COUNT];     /* 1 where [report] set it, 0 where the table's stands */
} config_report;

/* The [report] settings of a parsed configuration. */
void config_report_of(const config *c, config_report *out);

/* The [report] settings of an INI text as a sweep stored it (NULL: none, the table's margins):
 * only [report] is read (the other sections are the runs', resolved long ago), with the errors
 * config_parse_string gives it; `name` stands for the file in messages. */
int config_report_parse(const char *ini_text, const char *name, config_report *out, char *err,
                        size_t errlen);

/* One resolved run of the grid. Every string and array belongs to the grid. */
typedef struct config_run {
    /* The resolved options. options.train.threads is the configured value (0 = the machine's
     * cores divided by --jobs): the caller resolves it before train_run. When the Laplacian term
     * is off (λ = 0) kernel, border and kernel_norm hold their defaults and mean nothing. */
    run_options options;
    int grid_index;                         /* position in the grid, after duplicates are dropped */
    char config_hash[CONFIG_HASH_LEN + 1];  /* SHA-256 of `canonical`, lowercase hex */
    char config_id[CONFIG_HASH_LEN + 1];    /* the same without the seed line */
    /* Sorted `section.key=value` lines of the identity keys (not sweep.*, not train.threads;
     * absent when NULL or, for a key added later, at its legacy value), each ending in '\n',
     * then `rules=V,...\n` when behaviour changes apply (see below), then `seed=N\n`. */
    const char *canonical;
    char *json;         /* {"data":{...},"model":{...},"train":{...},"loss":{...},"seed":N} */
    /* Every key but sweep.* (train.threads included, as configured), in table order, each value
     * as the canonical text prints it, or NULL for the keys the λ = 0 baseline leaves unset. */
    store_param *params;
    size_t nparams;
    /* Per grid axis (config_grid.axis_keys), this run's value for display ("0.1", "8"), or NULL
     * when unset; and a short label such as "λ=0.1 kernel=8 seed=2". */
    const char **axis_values;
    const char *label;
    /* train.schedule = wsd: the trajectory the run branches from (docs/DESIGN.md, "Budgets"):
     * its identity is the run's without train.epochs and the decay's keys (train.lr_min,
     * train.decay_fraction, train.decay_shape), which leave the stable phase as it is. Its
     * canonical text is CONFIG_TRAJECTORY_LINE, those sorted lines (and rules=), then seed=N;
     * trajectory_hash is its SHA-256, trajectory_id the same without the seed line. fork_epoch:
     * the epoch at whose end the run's decay starts, epochs - lr_wsd_decay_epochs(epochs,
     * decay_fraction). Other schedules: "", "", NULL and 0. */
    char trajectory_hash[CONFIG_HASH_LEN + 1], trajectory_id[CONFIG_HASH_LEN + 1];
    const char *trajectory_canonical;
    int fork_epoch;
    char *strings_, *label_strings_;        /* storage of the texts above */
} config_run;

#define CONFIG_TRAJECTORY_LINE "trajectory\n"



typedef struct config_grid {
    char *name;         /* sweep.name, verbatim */
    char *database;     /* sweep.database (its default: CONFIG_DEFAULT_DATABASE), unresolved */
    /* The sweep's axes: the keys with two different values among the runs that set them, in
     * table order. The seeds are replicates, not an axis: they are never listed. */
    const char **axis_keys;
    size_t naxes;
    char *axes;         /* axis_keys joined with ',' ("" when none) */
    config_run *runs;   /* axes in table order, values in the order written, the seed innermost */
    size_t nruns;
} config_grid;

/* Checks the keys that depend on each other (data.patch divisible by 2^model.depth), then builds
 * the Cartesian product, resolves each point (λ = 0: kernel, border and kernel_norm unset, so one
 * baseline run per seed; kernel = keras-recipe: border zero) and drops runs whose config_hash
 * repeats an earlier one. */
int config_expand(const config *c, config_grid **out, char *err, size_t errlen);
void config_grid_free(config_grid *g);

/* The grid c describes with sweep.seeds replaced by seeds[0..nseeds): the runs of a second stage
 * of seeds (wb sweep --until-decided), each with the hash it would have had in the file's own
 * seed list. The grid's indexes are this grid's own; the caller places them. */
int config_expand_seeds(const config *c, const int64_t *seeds, size_t nseeds, config_grid **out,
                        char *err, size_t errlen);

/* The trajectory of a wsd run of grid g as a run of its own (wb/sched.c registers and trains it):
 * the branch's options with train.epochs = epochs (as far as it is to be trained) and no decay;
 * config_hash and config_id the branch's trajectory_hash and trajectory_id; params the branch's
 * with train.epochs and the decay's keys NULL; its JSON; the label "trajectory of " and the
 * branch's without the budget; grid_index -1. Free with config_run_free. -1 when the run has no
 * trajectory (not wsd) or memory ran out. */
int config_trajectory(const config_grid *g, const config_run *branch, int epochs,
                      config_run *out);
void config_run_free(config_run *r);

/* The database: --db (db_flag, may be NULL) beats sweep.database, whose default is
 * results/wb.db. A relative path is relative to the current directory: the caller resolves it. */
const char *config_database(const config_grid *g, const char *db_flag);

/* A run's value of a key ("loss.kernel", ..., or "seed") as the canonical text prints it; NULL
 * when unset or not a key of the run (sweep.*). */
const char *config_run_value(const config_run *r, const char *key);

/* The key a misspelt one most likely means ("loss.kernal" -> "loss.kernel", "kernel" ->
 * "loss.kernel"; "seed" counts as a key), or NULL: for "did you mean" hints. */
const char *config_nearest_key(const char *word);

/* Every key with its default as an INI file that parses back to the defaults: sections,
 * `key = value` lines, and a comment per key with its meaning and allowed values. */
void config_print_defaults(FILE *f);

/* The same as JSON, for programs (`wb config --json`; python/wbtorch reads its kernels from it):
 * {"keys": [{"key", "default" (null for sweep.name), "values", "description"}, ...] in the key
 * table's order, "lap_kernels": model/lap_kernels.h's rows [{"name", "label", "taps" (9 numbers,
 * row-major), "divisor", "gain", "mixes_channels"}, ...], "lap_norms": loss.kernel_norm's values}.
 * Returns 0, or -1 when out of memory or the write fails. */
int config_print_json(FILE *f);

/* ---- identity across versions ------------------------------------------------------------
 * config_hash and config_id say which runs are already done: they must move when, and only
 * when, what a configuration computes moves. Two rules keep them honest as wb grows (the key
 * table in config.c says how to apply them):
 *   1. A key added later has a legacy value, the one that reproduces what configurations
 *      computed before it existed. At that value the key is left out of the canonical text, so
 *      the hashes of configurations that do not use it stay, and their runs are not retrained.
 *   2. A change to what existing configurations compute (an initialisation, the best-epoch rule,
 *      a metric's definition) is a row of config_identity.c's behaviour changes: a version, a line,
 *      and a predicate over the resolved options. The canonical text of each configuration it applies
 *      to gains `rules=` and the versions that apply, so a result computed under the old rules
 *      is never shown as a current one; other configurations keep their hashes.
 * Reals print with %.17g in the canonical text, forever. tests/fixtures/lossweights-v1.hashes
 * holds the first version's hashes of tests/fixtures/lossweights-v1.ini: a change that moves
 * them updates that file and says, per moved hash, why. */

/* One key of a configuration's identity: the key, its value as the canonical text prints it,
 * and for a key added later its legacy value in the same form (NULL for a key of the first
 * version). */
typedef struct config_identity_key {
    const char *key, *value, *legacy;
} config_identity_key;

/* A change to what existing configurations compute (rule 2). */
typedef struct config_behaviour_change {
    int version;                            /* 1, 2, ...: ascending, never reused */
    const char *description;                /* one line: what changed */
    int (*applies)(const run_options *o);   /* 1 for the configurations it changes */
} config_behaviour_change;

/* The table config_expand applies (n rows). */
const config_behaviour_change *config_behaviour_changes(size_t *n);

/* The identity part of a canonical text, what config_id hashes (config_hash hashes it followed
 * by `seed=N\n`): the keys' lines sorted by key, rule 1 applied, then the `rules=` line of rule
 * 2 for the resolved options o. config_expand calls it with the key table and the behaviour
 * changes; the tests with
 * their own. Returns a malloc'ed text, or NULL when out of memory. */
char *config_identity_text(const config_identity_key *keys, size_t nkeys, const run_options *o,
                           const config_behaviour_change *changes, size_t nchanges);

#endif
