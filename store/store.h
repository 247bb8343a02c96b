/* store/store.h: the SQLite store of docs/DESIGN.md: sweeps, runs, params, metrics, checkpoints and
 * the views epochs, final and summary. The schema is store/schema.sql and the migration steps after
 * it, embedded in the binary; the views are generated from the metric table. This header is what
 * writers (sweep, run, its workers, merge) use and what every user of the store shares;
 * store/read.h adds the records the commands that read get.
 *
 * Every function returns 0 on success and -1 on failure with a one-line message in err.
 * SQL uses bound parameters everywhere, and lives in store/ alone (and in `wb query`, whose SQL is
 * the user's). Of the other modules of wb the store includes one header, model/metrics.h: the
 * metric table its views and its best-epoch rule are made from. */
#ifndef WB_STORE_STORE_H
#define WB_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;
typedef struct store store;

/* Writers (sweep, run, its workers, merge) open read-write: they migrate the schema and record
 * stale runs. Readers (ls, show, compare, report, query, predict) open read-only and never change
 * the file: a stale run reads as interrupted (store_get_run, store/read.h) without being marked,
 * and a schema older than this binary's is read as it is (views this binary makes in code are
 * laid over it as TEMP views) or refused with the commands that migrate it. */
enum store_open_mode {
    STORE_OPEN_CREATE,      /* read-write; create the file (not its folder) and migrate */
    STORE_OPEN_EXISTING,    /* read-write; the file must exist; migrate */
    STORE_OPEN_READONLY     /* the file must exist; nothing is written to it */
};

/* How long a write waits for another process's write lock before it fails ("locked by another
 * process"). The environment variable WB_BUSY_TIMEOUT_MS (milliseconds, 0 to 86400000) replaces
 * it: tests shorten it, a slow shared file system may need it longer. */
#define STORE_BUSY_TIMEOUT_MS 30000
#define STORE_HEARTBEAT_SECONDS 10
#define STORE_STALE_SECONDS 60

/* The schema version this binary writes (PRAGMA user_version), and the oldest one it reads without
 * migrating it (a reader refuses an older one, naming the commands that migrate it). */
#define STORE_SCHEMA_VERSION 7
#define STORE_SCHEMA_READABLE 1

/* What store_open returns for a database whose file is damaged: SQLite finds it corrupt, PRAGMA
 * integrity_check finds a problem, wb's tables and indexes are not defined as wb defines them (a
 * view or another table under a table's name), or a value is not of the type and shape wb writes
 * (store/verify.c). Commands end with exit status 1 for it, not the 2 of a path that names no
 * database or someone else's. */
#define STORE_DAMAGED (-2)

/* What store_open returns when the path names no database this wb reads: nothing is there, a
 * folder, a FIFO or a device, a file that is not an SQLite database or not a wb database, a
 * schema version it does not read. A reader's command ends with exit status 2 for it (the path
 * given was wrong); any other failure to open (-1: permissions, I/O, a file system that refuses)
 * and STORE_DAMAGED are status 1. */
#define STORE_NOT_DATABASE (-4)

/* What store_heartbeat, store_log_epoch and store_finish_run return when the run is no longer
 * this handle's: it ended, or was marked stale and claimed by another process. The writer must
 * stop writing the run's folder at once. */
#define STORE_NOT_OWNER (-3)

/* Opens (busy_timeout, foreign keys; SQLite's defensive mode, no trusted schema, no extensions:
 * a database is data, never code). Every mode first checks that the file is whole (see
 * STORE_DAMAGED): a damaged page can read as an empty one, and a command would then answer from
 * part of the data without a word. Read-write, it also switches to WAL, creates or migrates
 * the schema, installs the views made in code, and marks `interrupted` every `running` run of
 * this host whose pid is gone (or a zombie) and every run of any host whose heartbeat is more than
 * STORE_STALE_SECONDS old. Read-only, it only checks that the schema is one it can read and lays
 * the views made in code over the file's as TEMP views where they differ; a database on a
 * read-only mount, or in a folder this process cannot write, without a -wal file that holds
 * transactions is read as immutable (SQLite's immutable=1; store_is_immutable).
 * Returns 0, -1 on failure, STORE_DAMAGED for a damaged file, STORE_NOT_DATABASE when the path
 * names no database this wb reads. */
int store_open(const char *path, enum store_open_mode mode, store **out, char *err, size_t errlen);
/* Whether the handle reads its file as immutable (above), and why: 0 (it does not),
 * STORE_IMMUTABLE_MOUNT (a read-only file system) or STORE_IMMUTABLE_FOLDER (a folder this
 * process may not write). */
#define STORE_IMMUTABLE_MOUNT 1
#define STORE_IMMUTABLE_FOLDER 2
int store_is_immutable(const store *s);
void store_close(store *s);
/* The SQLite connection, for `wb query` (which runs the user's SQL) and for tests; everything
 * else asks the store. */
sqlite3 *store_handle(store *s);
const char *store_path(const store *s);
int store_schema_version(store *s);

/* Groups several calls into one transaction (BEGIN IMMEDIATE), e.g. a sweep's upsert, unlink and
 * every add_run: atomic for other processes, and one fsync instead of one per call. The functions
 * below nest inside it (they use savepoints). store_merge cannot run inside it. */
int store_begin(store *s, char *err, size_t errlen);
/* Commits; on failure the transaction is rolled back. */
int store_commit(store *s, char *err, size_t errlen);
void store_rollback(store *s);

/* Marks stale runs interrupted (store_open does this for a writer; long-lived processes may call
 * it again; a read-only handle refuses). *marked (may be NULL) receives the number of runs
 * changed. Every read of a run judges it the same way without writing (see store_get_run). */
int store_mark_stale(store *s, int *marked, char *err, size_t errlen);

/* The folder of a run, relative to the database's folder: "<db name>.runs/<hash12>". */
void store_run_folder_rel(const store *s, const char *config_hash, char *out, size_t outlen);
/* The same, as a path usable from the current directory. */
void store_run_folder(const store *s, const char *config_hash, char *out, size_t outlen);
/* Turns a path stored in the database (relative to it) into one usable from the current
 * directory. */
void store_resolve_path(const store *s, const char *stored, char *out, size_t outlen);

/* ---- sweeps ---------------------------------------------------------------------------- */

typedef struct store_sweep_info {
    const char *name;
    const char *ini_text;
    const char *ini_path;
    const char *axes;           /* comma-separated keys that vary, "loss.laplacian_weight,..." */
    const char *host;
    const char *wb_version, *git_commit;
    int git_dirty;
} store_sweep_info;

/* Creates the sweep named info->name, or updates its INI text, axes and environment. The sweep's
 * grid is then re-linked by store_add_run. */
int store_upsert_sweep(store *s, const store_sweep_info *info, int64_t *sweep_id, char *err,
                       size_t errlen);
int store_find_sweep(store *s, const char *name, int64_t *sweep_id, char *err, size_t errlen);
/* The most recently created or re-run sweep that is not a one-off (wb run's "run:NAME"), else
 * the latest one-off (largest updated time; for commands given no --sweep).
 * Fails if its name does not fit in namelen. */
int store_latest_sweep(store *s, int64_t *sweep_id, char *name, size_t namelen, char *err,
                       size_t errlen);
/* The sweep named `name`, or when name is NULL the latest one (as store_latest_sweep). On
 * failure *missing (may be NULL) tells a sweep that does not exist (1) from a database error
 * (0). */
int store_pick_sweep(store *s, const char *name, int64_t *sweep_id, int *missing, char *err,
                     size_t errlen);
/* Drops the sweep's links to runs (before re-adding the current grid). */
int store_unlink_sweep_runs(store *s, int64_t sweep_id, char *err, size_t errlen);
/* The grid index at which the sweep holds the run with this config_hash, else the number of
 * runs it holds: the next index of a sweep record that only grows (wb run's "run:NAME"). */
int store_sweep_slot(store *s, int64_t sweep_id, const char *config_hash, int *grid_index,
                     char *err, size_t errlen);

/* ---- runs ------------------------------------------------------------------------------- */

/* One resolved configuration key. value NULL means SQL NULL (kernel and border at λ = 0). */
typedef struct store_param {
    const char *key;        /* "loss.laplacian_weight" */
    const char *value;      /* as the canonical config prints it */
} store_param;

typedef struct store_run_spec {
    const char *config_hash;    /* 64 hex */
    const char *config_id;      /* 64 hex, the hash without the seed */
    int64_t seed;
    int grid_index;             /* position in the sweep's full grid */
    const char *config_json;    /* the resolved config as JSON */
    const store_param *params;
    size_t nparams;
    const char *data_source;
    int64_t train_n, val_n, test_n;   /* split sizes, when known (0 otherwise) */
    /* Budgets (docs/DESIGN.md): a trajectory is the stable phase the wsd runs of several budgets
     * share, a run of role 'trajectory' that no sweep's grid lists (grid_index is ignored; the
     * sweep is recorded as the one that created it). A branch names its trajectory's id and the
     * epoch at whose end its decay starts. */
    int trajectory;             /* 1: this spec is a trajectory */
    int64_t trajectory_id;      /* a branch: its trajectory (0: none) */
    int fork_epoch;             /* a branch: where its decay starts */
} store_run_spec;

/* The epochs a trajectory is to be trained to: at least `epochs` (its branches' latest fork).
 * A trajectory that had reached its old target and ended finished becomes interrupted, so that
 * the next worker that needs it continues it from its last epoch. */
int store_extend_trajectory(store *s, int64_t trajectory_id, int epochs, char *err,
                            size_t errlen);

/* Inserts the run if its config_hash is new (status `queued`, typed axis columns filled from the
 * params whose key names a column of `runs`: "true"/"false" become 1/0, numbers are parsed, and a
 * value its column cannot hold is an error), and links it to the sweep at grid_index. Linking
 * again at the same index changes nothing; the same run at another index of the sweep, or
 * another run at a taken index, is an error (store_unlink_sweep_runs first when the grid changes).
 * *run_id receives its id; *created (may be NULL) 1 if it was inserted. */
int store_add_run(store *s, int64_t sweep_id, const store_run_spec *spec, int64_t *run_id,
                  int *created, char *err, size_t errlen);

enum store_status { STORE_QUEUED, STORE_RUNNING, STORE_FINISHED, STORE_FAILED, STORE_DIVERGED,
                    STORE_INTERRUPTED };
#define STORE_NSTATUS (STORE_INTERRUPTED + 1)
/* "queued", "running", ...: the one spelling of each status, in the database and for people. */
const char *store_status_name(enum store_status st);
int store_status_parse(const char *name, enum store_status *st);

/* How many runs of a sweep have each status: only the statuses some run has, in the order of
 * their names (as a summary line lists them). */
typedef struct store_status_count {
    enum store_status status;
    int runs;
} store_status_count;
int store_count_by_status(store *s, int64_t sweep_id, store_status_count counts[STORE_NSTATUS],
                          size_t *n, char *err, size_t errlen);

/* Puts a run back to `queued` and deletes its metrics and checkpoint rows (--force, and
 * --retry-failed for failed and diverged runs). Refuses a run that is `running` with a live
 * owner. */
int store_reset_run(store *s, int64_t run_id, char *err, size_t errlen);

typedef struct store_claim_info {
    int64_t pid;
    const char *host;
    int threads;
    const char *gemm_library, *compiler, *wb_version;
} store_claim_info;

/* Claims the first run of the sweep, in grid order, whose status is queued or interrupted and
 * whose shard index is K mod N (N = 0: no sharding): UPDATE ... WHERE id = ? AND status IN
 * ('queued', 'interrupted'); the caller owns it only when one row changed. A run's shard index is
 * its grid index, a branch's the least grid index of its trajectory's branches in the sweep, so
 * that one shard trains a trajectory and all its branches. A branch that has not forked yet is
 * passed over while its trajectory is running short of its fork epoch (another process is
 * training it; the branch waits for it). *run_id = 0 when nothing is left to claim. */
int store_claim_next(store *s, int64_t sweep_id, int shard_k, int shard_n,
                     const store_claim_info *ci, int64_t *run_id, char *err, size_t errlen);
/* Claims one given run (wb run, tests). *claimed = 1 when this caller now owns it; 0 (and no
 * error) when it is not queued or interrupted. The thread count is recorded only at the first
 * claim: read it back with store_get_run, a resumed run must use it. */
int store_claim_run(store *s, int64_t run_id, const store_claim_info *ci, int *claimed, char *err,
                    size_t errlen);

/* The runs of the sweep left to train (queued or interrupted) and the epochs they still need. */
int store_sweep_todo(store *s, int64_t sweep_id, int *runs, long *epochs, char *err,
                     size_t errlen);
/* The runs of the sweep (those of shard K of N; N = 0: all) whose status is `running`. */
int store_sweep_running(store *s, int64_t sweep_id, int shard_k, int shard_n, int *running,
                        char *err, size_t errlen);

/* The owner of a running run refreshes its heartbeat. Like store_log_epoch and store_finish_run,
 * it fails when the run is no longer `running`, or when this handle claimed the run and the row
 * now names another owner (it was marked stale and claimed again): that process must stop. */
int store_heartbeat(store *s, int64_t run_id, char *err, size_t errlen);

/* Records the model's parameter count (the worker knows it once the model is built). */
int store_set_run_model(store *s, int64_t run_id, int64_t param_count, char *err, size_t errlen);

typedef struct store_run_info {
    int64_t id, sweep_id;
    char config_hash[65], config_id[65];
    int64_t seed;
    enum store_status status;
    int epochs_done;            /* -1: not even epoch 0 */
    int threads;                /* recorded at the first claim; 0 before */
    int best_epoch;             /* by validation METRIC_SELECTION (model/metrics.h), ties to the
                                 * earlier epoch; -1 if none */
    double best_value;          /* its validation METRIC_SELECTION */
    char folder[4096];          /* usable from the current directory */
    char error[1024];
    int grid_index;             /* in the sweep that created it; -1 if not linked there */
    int epochs;                 /* configured (a trajectory: as far as its branches need) */
    int is_trajectory;          /* role 'trajectory' */
    int64_t trajectory_id;      /* a branch: its trajectory; 0 when none */
    int fork_epoch;             /* a branch: where its decay starts; -1 when none */
} store_run_info;

/* A `running` run whose owner is gone (see store_mark_stale) reads as interrupted, its error the
 * reason a writer records, whether or not one has yet. */
int store_get_run(store *s, int64_t run_id, store_run_info *info, char *err, size_t errlen);
/* The best epoch of a run among its epochs 0 .. epoch (by validation METRIC_SELECTION, ties to
 * the earlier; as store_get_run's best_epoch over all of them): *best_epoch = -1 when none. */
int store_best_until(store *s, int64_t run_id, int epoch, int *best_epoch, double *best_value,
                     char *err, size_t errlen);

/* The distinct fork epochs of a trajectory's branches, ascending, into epochs (room for max);
 * *n receives how many there are (more than max: only the first max are written). */
int store_fork_epochs(store *s, int64_t trajectory_id, int *epochs, size_t max, size_t *n,
                      char *err, size_t errlen);

/* A run by integer id or by a unique prefix of its config_hash (case-insensitive). An all-digit
 * text is the id when such a run exists, else a hash prefix; an ambiguous prefix is an error. */
int store_lookup_run(store *s, const char *id_or_prefix, int64_t *run_id, char *err, size_t errlen);

typedef struct store_metric {
    const char *split;      /* "train", "val", "test", "val_input", "test_input" */
    const char *name;       /* "loss", "psnr", ... */
    double value;
} store_metric;

typedef struct store_checkpoint {
    const char *kind;       /* "init", "last", "best" */
    int epoch;
    const char *path;       /* relative to the database's folder */
} store_checkpoint;

/* A file an epoch wrote into the run's folder and its SHA-256 (64 lowercase hex digits). name is
 * one of "init.safetensors", "last.safetensors", "last.optim.safetensors", "best.safetensors",
 * "preview.npy". */
typedef struct store_file_hash {
    const char *name;
    const char *sha256;
} store_file_hash;

/* One epoch in one transaction: the checkpoint rows (files already renamed into place; one row per
 * kind, replaced), the hashes of the files it wrote, the metric rows, runs.epochs_done = epoch and
 * the heartbeat. Only the owner of a
 * `running` run may log (see store_heartbeat). epoch must be epochs_done + 1: a resumed run logs
 * only the epochs after epochs_done, and a metric row is never replaced (a duplicate is an error
 * and nothing of the epoch is written). A NaN value is stored as NULL. */
int store_log_epoch(store *s, int64_t run_id, int epoch, const store_metric *m, size_t nm,
                    const store_checkpoint *ck, size_t nck, const store_file_hash *files,
                    size_t nfiles, char *err, size_t errlen);

/* A reading of the test split (model/train.h): its metric rows at an epoch the run logged already
 * (its best validation epoch), in one transaction, by the run's owner (rules of store_heartbeat).
 * Rows already there from a reading committed before a crash are kept as they are: nothing is
 * written again. */
int store_log_reading(store *s, int64_t run_id, int epoch, const store_metric *m, size_t nm,
                      char *err, size_t errlen);

/* The SHA-256 recorded for file `name` as the run's epoch `epoch` wrote it (epoch < 0: the latest
 * epoch that wrote one): *found = 1 and the hex digits in sha256, or *found = 0 when none is (a
 * file written before hashes were recorded, or a database of a schema without them). Readers and
 * writers alike. */
int store_file_hash_of(store *s, int64_t run_id, int epoch, const char *name, char sha256[65],
                       int *found, char *err, size_t errlen);

/* Checks a run's file at `path` against the SHA-256 recorded for `name` at `epoch` (epoch < 0:
 * the latest epoch that recorded one): *state says intact, unhashed (none recorded: a file written
 * before wb recorded hashes, to be trusted with a warning) or damaged (err then names the file
 * and the epoch; an unreadable file is damaged too). Returns -1 only when the database cannot be
 * read. */
enum store_file_state { STORE_FILE_INTACT, STORE_FILE_UNHASHED, STORE_FILE_DAMAGED };
int store_check_file(store *s, int64_t run_id, int epoch, const char *name, const char *path,
                     enum store_file_state *state, char *err, size_t errlen);

/* A file of a branch's fork and the epoch whose hash it carries. */
typedef struct store_file_at {
    const char *name;           /* as store_file_hash */
    const char *sha256;
    int epoch;
} store_file_at;

/* Starts an owned running branch (epochs_done -1) from its trajectory at fork_epoch, in one
 * transaction: the trajectory's metric rows of epochs 0 .. fork_epoch become the branch's, as
 * its own epochs would have written them (the stable phase is the same computation), with the
 * checkpoint rows and the hashes of the files the caller wrote into the branch's folder (init,
 * last and its optimizer state at fork_epoch, best and the preview at its best epoch), the
 * parameter count, the trajectory's thread count (the branch continues with it), epochs_done =
 * fork_epoch. Owner rules of store_heartbeat; the trajectory must
 * have logged fork_epoch. */
int store_fork_run(store *s, int64_t branch_id, int64_t trajectory_id, int fork_epoch,
                   const store_checkpoint *ck, size_t nck, const store_file_at *files,
                   size_t nfiles, char *err, size_t errlen);

/* Gives an owned running run back untouched (a branch whose trajectory another process is
 * training): queued when it has logged nothing, else interrupted. Owner rules of
 * store_heartbeat. */
int store_release_run(store *s, int64_t run_id, char *err, size_t errlen);

/* Takes an owned running run back to epoch `epoch` (>= 0, below epochs_done) in one transaction,
 * when the files of its later epochs are damaged and the previous generation verifies: the metric
 * rows and file hashes of the later epochs go, the `last` row names that epoch, a `best` row of a
 * later epoch goes (its file is rewritten when that epoch is trained again), epochs_done = epoch.
 * Owner rules of store_heartbeat. */
int store_rewind_run(store *s, int64_t run_id, int epoch, char *err, size_t errlen);

/* Ends a `running` run (owner rules of store_heartbeat): finished, failed, diverged or
 * interrupted, with an error text (may be NULL). */
int store_finish_run(store *s, int64_t run_id, enum store_status st, const char *error, char *err,
                     size_t errlen);

/* ---- two-stage designs (wb sweep --until-decided) ------------------------------------------ */

/* A configuration's second stage of seeds (analysis/stein.h): the seeds added, and for a compared
 * configuration the first stage it was fixed from (its seed pairs and their paired sd) and the
 * size Stein's rule asked for (possibly above what was added: a cap). A baseline's plan has only
 * its seeds (stage1_n 0, stage1_sd and planned_n NaN and 0). */
typedef struct store_stage_plan {
    char config_id[65];
    char *seeds;            /* "4,5,6" */
    int stage1_n;
    double stage1_sd;
    int planned_n;
} store_stage_plan;

/* Records the plans of a sweep in one transaction; a configuration that has one already is an
 * error (a second stage is planned once: more would be repeated looks at the data). */
int store_add_stage_plans(store *s, int64_t sweep_id, const store_stage_plan *plans, size_t n,
                          char *err, size_t errlen);
/* The sweep's plans (none in a file of an older schema); free with store_stage_plans_free. */
int store_read_stage_plans(store *s, int64_t sweep_id, store_stage_plan **plans, size_t *n,
                           char *err, size_t errlen);
void store_stage_plans_free(store_stage_plan *plans, size_t n);

/* ---- merge ------------------------------------------------------------------------------ */

/* A run finished in both databases with other results: the same configuration and seed trained
 * twice gave other numbers (another thread count or kind of CPU: README.md, bitwise
 * reproducibility). */
typedef struct store_merge_conflict {
    char config_hash[65];
    int64_t out_run_id;
    int values_differ;          /* metric values (or rows) that differ */
    char metrics[256];          /* the metrics that differ, "val.psnr, test.psnr, ..." */
    double max_abs_diff;        /* the largest difference of two values, both numbers */
} store_merge_conflict;

typedef struct store_merge_options {
    /* Metric names never compared for conflicts, NULL-terminated (may be NULL): the timings,
     * which differ between any two trainings. */
    const char *const *ignore_metrics;
    /* The parameters of a U-Net of this depth and base width (model/unet.h's unet_params_of;
     * the store does not know the model): the size bound of the weight files merge copies.
     * NULL: 0, so that only headers fit. */
    int64_t (*param_count)(int depth, int base_channels);
} store_merge_options;

typedef struct store_merge_stats {
    int sweeps_added;
    int runs_added;         /* missing in out: copied */
    int runs_replaced;      /* finished in the input, present but not finished (nor running) in out */
    int runs_skipped;       /* already present (and not replaced) */
    int folders_copied;     /* run folders from which at least one file was copied */
    int runs_conflicting;   /* of the skipped, finished in both with other results */
    store_merge_conflict *conflicts;    /* those runs (free with store_merge_stats_free) */
    size_t nconflicts;
} store_merge_stats;

/* Copies into `out` every sweep (by name), run (by config_hash), its params, metrics, checkpoints,
 * sweep links and run folder from the database at in_path (attached read-only). A run already in
 * out is skipped, unless it is not finished there (and not running) while finished in the input:
 * then out's copy is replaced. A run finished in both is kept as out has it; when the results
 * differ, it is listed in stats->conflicts (the first result is kept: it is the one out's
 * reports, comparisons and files already stand on; the caller says which runs differ and how).
 * The input is refused whole, before anything is written, unless it is a whole wb database of
 * this schema version whose every value is as wb writes it: run folders and checkpoint paths are
 * those its hashes give (nothing is read from a path it stores), no symbolic links, FIFOs or
 * devices in its run folders, every checkpoint file there. Files are copied before the rows that
 * name them are committed, in batches of short transactions (store/merge.c says how a crash
 * between them leaves out). Checkpoint paths are rewritten to out's run folders. Repeating it
 * changes nothing; merging a database into itself is refused. stats (may be NULL) holds what was
 * done, also after a failure: free it with store_merge_stats_free. */
int store_merge(store *out, const char *in_path, const store_merge_options *opts,
                store_merge_stats *stats, char *err, size_t errlen);
void store_merge_stats_free(store_merge_stats *stats);

/* ---- schema migrations (store_open applies them; exposed for tests) ----------------------- */

typedef struct store_migration {
    int version;            /* the version the step produces; steps[i].version == i + 1 */
    const char *sql;
} store_migration;

/* This binary's steps; the last one's version is STORE_SCHEMA_VERSION. */
const store_migration *store_migrations(size_t *nsteps);
/* Applies, each in its own transaction, the steps above the database's PRAGMA user_version, and
 * refuses a database whose version is above the last step. *applied (may be NULL) counts them. */
int store_migrate(sqlite3 *db, const store_migration *steps, size_t nsteps, int *applied,
                  char *err, size_t errlen);

/* ---- views made in code (store_open installs them; exposed for tests) --------------------- */

typedef struct store_view {
    const char *name;       /* "epochs" */
    const char *select;     /* its SELECT */
} store_view;

/* The views this binary makes in code rather than in a schema step: epochs, final and summary,
 * generated from model/metrics.h's metric table (store/views.c). Allocated: free them with
 * store_views_free. */
int store_generated_views(store_view **views, size_t *nviews, char *err, size_t errlen);
void store_views_free(store_view *views, size_t nviews);
/* Makes each view's definition the given one where it differs from the file's: in the file
 * (temp = 0, a writer, one transaction), or as TEMP views of this connection that hide the
 * file's (temp = 1, a reader: nothing is written to the file). */
int store_install_views(sqlite3 *db, const store_view *views, size_t nviews, int temp, char *err,
                        size_t errlen);

#endif
