/* store/read.h: what the commands that read (ls, show, compare, report, predict) get from the
 * store: plain records whose strings belong to them (each kind has its free function), so that no
 * SQL is needed outside store/ but in `wb query`. A run reads as store_get_run reads it: a stale
 * `running` run as interrupted, without anything written.
 *
 * Every function returns 0 on success and -1 on failure with a one-line message in err; lists
 * come back as an array and its length (NULL and 0 when empty). */
#ifndef WB_STORE_READ_H
#define WB_STORE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- sweeps ------------------------------------------------------------------------------ */

typedef struct store_sweep_record {
    int64_t id;
    char *name, *ini_text, *ini_path, *axes, *created_at, *updated_at;
    char *host, *wb_version, *git_commit;   /* NULL when unknown (also ini_text, ini_path, axes) */
    int git_dirty;                          /* 0, 1, or -1 when unknown */
} store_sweep_record;

int store_read_sweep(store *s, int64_t sweep_id, store_sweep_record *sweep, char *err,
                     size_t errlen);
/* Every sweep, by name. */
int store_read_sweeps(store *s, store_sweep_record **sweeps, size_t *n, char *err, size_t errlen);
/* Frees the strings of one record (not the record), or of a list and the list. */
void store_sweep_record_free(store_sweep_record *sweep);
void store_sweep_records_free(store_sweep_record *sweeps, size_t n);

/* ---- runs -------------------------------------------------------------------------------- */

/* A run as a reader sees it. Integers the database does not hold (NULL) read as -1. */
typedef struct store_run_record {
    int64_t id, seed;
    int grid_index;             /* in the sweep it was listed by (store_read_sweep_runs), else -1 */
    enum store_status status;
    int epochs;                 /* configured (train.epochs) */
    int epochs_done;            /* -1: not even epoch 0 */
    char config_hash[65], config_id[65];
    char *error;                /* NULL when none */
    char *folder;               /* as stored, relative to the database's folder: see
                                 * store_resolve_path */
    char *created_at, *started_at, *finished_at, *heartbeat_at;  /* NULL when not (yet) */
    char *host, *gemm_library, *compiler, *wb_version, *data_source;   /* NULL when unknown */
    int64_t pid, threads, param_count, train_n, val_n, test_n;
} store_run_record;

int store_read_run(store *s, int64_t run_id, store_run_record *run, char *err, size_t errlen);

/* Budgets (docs/DESIGN.md): a run's place among trajectories and branches. A branch names its
 * trajectory and fork epoch; a trajectory lists its branches (id, hash, budget, fork epoch, by
 * budget). Neither, in a file from before schema version 6 or for a run of another schedule. */
typedef struct store_branch {
    int64_t id;
    char config_hash[65];
    int epochs, fork_epoch;
    enum store_status status;
} store_branch;

typedef struct store_lineage {
    int is_trajectory;
    int64_t trajectory_id;          /* a branch's; 0 when none */
    char trajectory_hash[65];       /* "" when none */
    int fork_epoch;                 /* a branch's; -1 when none */
    store_branch *branches;         /* a trajectory's */
    size_t nbranches;
} store_lineage;

int store_read_lineage(store *s, int64_t run_id, store_lineage *out, char *err, size_t errlen);
void store_lineage_free(store_lineage *l);
/* The runs a sweep links to, in grid order. */
int store_read_sweep_runs(store *s, int64_t sweep_id, store_run_record **runs, size_t *n,
                          char *err, size_t errlen);
void store_run_record_free(store_run_record *run);
void store_run_records_free(store_run_record *runs, size_t n);

/* The sweeps that hold a run, by name, with its grid index in each. */
typedef struct store_run_link {
    char *sweep;
    int grid_index;
} store_run_link;
int store_read_run_links(store *s, int64_t run_id, store_run_link **links, size_t *n, char *err,
                         size_t errlen);
void store_run_links_free(store_run_link *links, size_t n);

/* A run's resolved configuration, by key (value NULL where the key does not apply). The strings
 * belong to the list: free it with store_params_free. */
int store_read_params(store *s, int64_t run_id, store_param **params, size_t *n, char *err,
                      size_t errlen);
void store_params_free(store_param *params, size_t n);

/* A run's checkpoint rows: init, best, last (those it has); paths as stored, relative to the
 * database's folder. */
int store_read_checkpoints(store *s, int64_t run_id, store_checkpoint **checkpoints, size_t *n,
                           char *err, size_t errlen);
void store_checkpoints_free(store_checkpoint *checkpoints, size_t n);

/* ---- metrics ------------------------------------------------------------------------------- */

/* One metric row in long form: a run's value of split.name at an epoch. */
typedef struct store_metric_value {
    int epoch;
    const char *split;      /* "train", "val", "test", "val_input", "test_input" */
    const char *name;       /* "loss", "psnr", ... */
    double value;           /* NaN where a NaN was logged (the database holds NULL) */
} store_metric_value;

/* Every metric row of a run, by epoch, split and name. */
int store_read_metrics(store *s, int64_t run_id, store_metric_value **values, size_t *n,
                       char *err, size_t errlen);
void store_metric_values_free(store_metric_value *values, size_t n);
/* One value; NaN when the run has no such row (or a NaN was logged). */
int store_read_metric(store *s, int64_t run_id, int epoch, const char *split, const char *name,
                      double *value, char *err, size_t errlen);

/* ---- tags and notes (wb tag, wb note; store/notes.c writes them) -------------------------- */

enum store_note_kind { STORE_TAG, STORE_NOTE };
typedef struct store_note {
    enum store_note_kind kind;
    char *text, *created_at;
} store_note;
/* A run's tags (in the order given), then its notes (likewise); none in a file older than the
 * table (a reader does not migrate). */
int store_read_notes(store *s, int64_t run_id, store_note **notes, size_t *n, char *err,
                     size_t errlen);
void store_notes_free(store_note *notes, size_t n);
/* Attaches a tag or a note (non-empty text) to a run; *added (may be NULL) is 0 when the run had
 * it already (it is kept once). A handle opened read-only refuses. */
int store_add_note(store *s, int64_t run_id, enum store_note_kind kind, const char *text,
                   int *added, char *err, size_t errlen);
/* Takes a tag or note off a run; *removed (may be NULL) is 0 when the run did not have it. */
int store_remove_note(store *s, int64_t run_id, enum store_note_kind kind, const char *text,
                      int *removed, char *err, size_t errlen);

/* Deletes a run with its params, metrics, checkpoint rows, sweep links, tags and notes (not its
 * folder: the caller removes that, store_run_folder names it). A `running` run (one whose owner
 * is alive: a writer's open marks stale ones interrupted) is refused: *refused is 1, nothing is
 * deleted and err says why. */
int store_remove_run(store *s, int64_t run_id, int *refused, char *err, size_t errlen);

/* ---- a long-lived reader (store/serve_read.c; wb serve) ------------------------------------ */

/* PRAGMA data_version of this handle: it changes whenever another connection, of any process,
 * commits, and never otherwise; compare two values read from the same handle. */
int store_data_version(store *s, int64_t *version, char *err, size_t errlen);
/* PRAGMA query_only on a handle opened STORE_OPEN_READONLY (refused on any other): a second lock
 * besides the read-only open, so that no statement on it can write. */
int store_make_query_only(store *s, char *err, size_t errlen);
/* Whether a sweep or a run with this id exists (*exists 1 or 0): a missing id told apart from a
 * failed read. */
enum store_record_kind { STORE_SWEEP_RECORD, STORE_RUN_RECORD };
int store_exists(store *s, enum store_record_kind kind, int64_t id, int *exists, char *err,
                 size_t errlen);

#endif
