/* store/internal.h: PRIVATE to store/. What the store's files share: the handle's layout, the
 * statement helpers (sql.c), transactions and paths (store.c), the owner guard (claim.c), stale
 * judgement (stale.c), the configuration columns of `runs` (runs.c, merge.c) and the atomic file
 * copy (copy.c); schema.c migrates and installs views, views.c generates them. No file outside
 * store/ may include it: store/store.h and store/read.h are the contract.
 *
 * Every value reaches SQL as a bound parameter. The only text assembled into SQL is fixed at
 * compile time: the configuration columns and status names below, the PRAGMA in schema.c, and
 * the metric and split names of model/metrics.h's table in the generated views (views.c).
 * Every write that takes more than one statement runs in one transaction, started with BEGIN
 * IMMEDIATE: taking the write lock up front means a reader never has to upgrade to a writer, which
 * in WAL mode fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting for busy_timeout. */
#ifndef WB_STORE_INTERNAL_H
#define WB_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "store/store.h"

/* The current time as the schema stores it: ISO-8601 UTC with milliseconds. Within one statement
 * SQLite gives 'now' one value, so a row's times written together agree. */
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* The schema version that added file_hashes (store/schema.c). */
#define SCHEMA_FILE_HASHES 4
/* The schema version that added trajectories and branches (runs.role, trajectory_id,
 * fork_epoch). */
#define SCHEMA_TRAJECTORIES 6
/* The schema version that added stage_plans (two-stage designs). */
#define SCHEMA_STAGE_PLANS 7

#define PATH_CAP 4096
#define STORE_CLAIMS 2
#define HOST_CAP 256
#define NAME_CAP 256    /* a file name: NAME_MAX + 1 */

struct store {
    sqlite3 *db;
    enum store_open_mode mode;
    int schema_version;
    int tx_depth;               /* transactions open through tx_begin; nested ones are savepoints */
    int busy_ms;                /* busy timeout: STORE_BUSY_TIMEOUT_MS or WB_BUSY_TIMEOUT_MS */
    int open_errcode;           /* the extended code of a failed schema check, for store_open */
    int immutable;              /* opened with immutable=1: STORE_IMMUTABLE_* or 0 */
    char host[HOST_CAP];        /* gethostname(), for stale detection */
    /* The runs this handle holds, and the owner it wrote into each: their heartbeats, epochs
     * and ends must find the same owner in the row, or the run was taken from this process. A
     * worker holds two at once while it trains a branch's trajectory. */
    struct store_claim {
        int64_t run_id, pid;
        char host[HOST_CAP];
    } claims[STORE_CLAIMS];
    char path[PATH_CAP];
    char dir[PATH_CAP];         /* the database's folder; "." when the path names none */
    char name[NAME_CAP];        /* the database's file name: run folders live in "<name>.runs/" */
};

/* ---- errors (sql.c; the message itself through base/err.h's fail) -------------------------- */

/* A failed SQLite call as one line: the database, what was being done, and for the errors a
 * person can act on, what happened in their words rather than SQLite's. Returns -1. */
int db_fail(const store *s, int rc, const char *doing, char *err, size_t errlen);

/* ---- statements (sql.c) -------------------------------------------------------------------- */

/* Prepares sql with the arguments that follow bound, described one character each by types:
 * 'i' int64_t, 'n' int, 'd' double, 't' const char * (NULL binds NULL). Parameter k is ?k. */
int prepare(store *s, sqlite3_stmt **st, const char *doing, char *err, size_t errlen,
            const char *sql, const char *types, ...);
int vprepare(store *s, sqlite3_stmt **st, const char *doing, char *err, size_t errlen,
             const char *sql, const char *types, va_list ap);
/* Runs a statement for its effect; *changes (may be NULL) receives sqlite3_changes(). */
int exec_sql(store *s, int *changes, const char *doing, char *err, size_t errlen, const char *sql,
             const char *types, ...);
/* Runs a query for one integer (the first column of the first row; NULL reads as 0): 1 with a
 * row, 0 without, -1 on error. */
int query_int64(store *s, int64_t *value, const char *doing, char *err, size_t errlen,
                const char *sql, const char *types, ...);
/* Steps a statement prepared once and reused, then resets it for the next binding. */
int step_reset(store *s, sqlite3_stmt *st, const char *doing, char *err, size_t errlen);
/* The same after binding the arguments that follow, as prepare binds them. After a failure,
 * sqlite3_extended_errcode(s->db) still says what failed. */
int step_with(store *s, sqlite3_stmt *st, const char *doing, char *err, size_t errlen,
              const char *types, ...);
/* A text column into a buffer ("" for NULL). */
void copy_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* ---- transactions (store.c) ---------------------------------------------------------------- */

/* BEGIN IMMEDIATE, or a savepoint inside a transaction already open through tx_begin. */
int tx_begin(store *s, const char *doing, char *err, size_t errlen);
/* On failure the transaction stays open: the caller rolls it back (tx_abort). */
int tx_commit(store *s, const char *doing, char *err, size_t errlen);
void tx_rollback(store *s);
/* Rolls back and passes the failure on, for `return tx_abort(s);` after an error was written. */
int tx_abort(store *s);
/* -1 with a message when the handle was opened read-only, else 0. */
int refuse_readonly(const store *s, const char *doing, char *err, size_t errlen);

/* ---- paths (store.c) ----------------------------------------------------------------------- */

/* dir/rel, or rel alone when it is absolute or dir is ".". */
void join_path(const char *dir, const char *rel, char *out, size_t outlen);
/* Splits path into its folder ("." when none) and file name; -1 if the name is empty or does
 * not fit. */
int split_path(const char *path, char dir[PATH_CAP], char name[NAME_CAP]);
/* A "file:" URI of path followed by "?query": SQLite decodes %HH in it, and '?' and '#' would end
 * the path, so those three are escaped. -1 when it does not fit. */
int file_uri(const char *path, const char *query, char *out, size_t outlen);

/* A REAL that is neither NULL (a NaN logged) nor infinite, for a column or expression x: what
 * may be selected on or averaged. */
#define FINITE_SQL(x) "(" x " BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308)"

/* ---- statuses ------------------------------------------------------------------------------ */

/* Each status spelt once: store_status_name's table (runs.c) is made of these, and SQL that
 * filters on a status quotes them: "... status = '" STATUS_RUNNING "'". */
#define STATUS_QUEUED "queued"
#define STATUS_RUNNING "running"
#define STATUS_FINISHED "finished"
#define STATUS_FAILED "failed"
#define STATUS_DIVERGED "diverged"
#define STATUS_INTERRUPTED "interrupted"
/* The statuses a worker may claim: never started, or stopped before the end. */
#define CLAIMABLE_SQL "('" STATUS_QUEUED "', '" STATUS_INTERRUPTED "')"

/* ---- budgets ------------------------------------------------------------------------------- */

/* The shard index of a sweep's run (alias r, its link l): its grid index, or for a branch the
 * least grid index in the sweep of its trajectory's branches, so that a shard holds a trajectory
 * with all its branches. */
#define SHARD_INDEX_SQL                                                                          \
    "(CASE WHEN r.trajectory_id IS NULL THEN l.grid_index ELSE (SELECT min(l2.grid_index)"      \
    " FROM sweep_runs l2 JOIN runs r2 ON r2.id = l2.run_id WHERE l2.sweep_id = l.sweep_id"      \
    " AND r2.trajectory_id = r.trajectory_id) END)"

/* ---- stale runs (stale.c) ------------------------------------------------------------------ */

/* How long ago a run's owner last showed a sign of life, in seconds: the SQL of a column, for a
 * table of runs whose columns are prefixed `prefix` ("r." or ""). */
#define RUN_AGE_SQL(prefix)                                                                      \
    "(julianday('now') - julianday(coalesce(" prefix "heartbeat_at, " prefix "started_at, "      \
    prefix "created_at))) * 86400.0"

/* Whether a `running` run whose owner is process pid (0 when unknown) on host, last heard of
 * `age` seconds ago, is stale; *why then says so as the run's error will (store_mark_stale). */
int run_is_stale(const store *s, int64_t pid, const char *host, double age, char *why,
                 size_t whylen);

/* ---- owners (claim.c) ---------------------------------------------------------------------- */

/* The owner guard of heartbeats, epochs and ends: ?2 and ?3 are this handle's claim, or NULL when
 * this handle did not claim the run (then any process may write while it is running). */
#define OWNER_GUARD                                                                              \
    " AND status = '" STATUS_RUNNING "' AND (?2 IS NULL OR (pid = ?2 AND host = ?3))"

/* Binds ?1 and the owner guard for run_id, after the statement was prepared. */
void bind_owner(const store *s, sqlite3_stmt *st, int64_t run_id);
/* Says why an owner-guarded write changed nothing; returns STORE_NOT_OWNER when the run has
 * another owner or is not running, else -1. */
int explain_not_owner(store *s, int64_t run_id, const char *doing, char *err, size_t errlen);
/* Runs an owner-guarded UPDATE whose ?1 is the run, ?2 ?3 the guard and ?4 (if any) an
 * integer; *changed receives the number of rows changed. */
int owned_update(store *s, int64_t run_id, const char *sql, int has_arg, int64_t arg,
                 const char *doing, int *changed, char *err, size_t errlen);

/* ---- the configuration columns of runs (runs.c, merge.c) ----------------------------------- */

enum column_type { COLUMN_TEXT, COLUMN_INTEGER, COLUMN_REAL, COLUMN_BOOLEAN };

/* Every configuration key that has a typed column in runs (schema.sql), the column being the key
 * without its section. One list serves the INSERT of store_add_run, the conversion of values and
 * the column list of store_merge; a column missing from the schema fails the INSERT's prepare. */
#define CONFIG_COLUMNS(X)                                                                        \
    X("data.source", source, COLUMN_TEXT)                                                        \
    X("data.task", task, COLUMN_TEXT)                                                            \
    X("data.patch", patch, COLUMN_INTEGER)                                                       \
    X("data.train_patches", train_patches, COLUMN_INTEGER)                                       \
    X("data.val_patches", val_patches, COLUMN_INTEGER)                                           \
    X("data.test_patches", test_patches, COLUMN_INTEGER)                                         \
    X("data.seed", data_seed, COLUMN_INTEGER)                                                    \
    X("data.min_std", min_std, COLUMN_REAL)                                                      \
    X("data.noise_sigma", noise_sigma, COLUMN_REAL)                                              \
    X("data.fresh_noise", fresh_noise, COLUMN_BOOLEAN)                                           \
    X("data.clip", clip, COLUMN_BOOLEAN)                                                         \
    X("data.blur_sigma", blur_sigma, COLUMN_REAL)                                                \
    X("data.sr_upsample", sr_upsample, COLUMN_TEXT)                                              \
    X("model.depth", depth, COLUMN_INTEGER)                                                      \
    X("model.base_channels", base_channels, COLUMN_INTEGER)                                      \
    X("model.residual", residual, COLUMN_BOOLEAN)                                                \
    X("train.epochs", epochs, COLUMN_INTEGER)                                                    \
    X("train.batch_size", batch_size, COLUMN_INTEGER)                                            \
    X("train.optimizer", optimizer, COLUMN_TEXT)                                                 \
    X("train.lr", lr, COLUMN_REAL)                                                               \
    X("train.momentum", momentum, COLUMN_REAL)                                                   \
    X("loss.pixel", pixel, COLUMN_TEXT)                                                          \
    X("loss.laplacian_weight", laplacian_weight, COLUMN_REAL)                                    \
    X("loss.kernel", kernel, COLUMN_TEXT)                                                        \
    X("loss.border", border, COLUMN_TEXT)                                                        \
    X("loss.kernel_norm", kernel_norm, COLUMN_TEXT)

#define COLUMN_NAME(key, column, type) ", " #column

/* The columns of runs that a merge copies as they are (id, sweep_id, folder and trajectory_id
 * are mapped). */
#define RUN_COPY_COLUMNS                                                                         \
    "config_hash, config_id, config_json, status, created_at, started_at, finished_at,"          \
    " heartbeat_at, pid, host, threads, gemm_library, compiler, wb_version, error, epochs_done," \
    " param_count, data_source, train_n, val_n, test_n, seed, role, fork_epoch"                  \
    CONFIG_COLUMNS(COLUMN_NAME)

/* ---- verification (verify.c) -------------------------------------------------------------- */

/* Whether the database `schema` ("main", or "merge_src" for a merge's input) of this connection is
 * whole: wb's tables and indexes defined as its migration steps define them at `version`, PRAGMA
 * integrity_check, and every value of the type and shape wb writes (verify.c). label names the
 * file in messages. Returns 0, STORE_DAMAGED when it is not whole, -1 when it cannot be
 * checked. */
int verify_database(store *s, const char *schema, const char *label, int version, char *err,
                    size_t errlen);

/* ---- files (copy.c) ------------------------------------------------------------------------ */

/* Copies src to dir/name through a temporary file in dir, fsynced and renamed: a reader of
 * dir/name sees the old file or the whole new one, never a part. */
int copy_file_atomic(const char *src, const char *dir, const char *name, char *err,
                     size_t errlen);

#endif
