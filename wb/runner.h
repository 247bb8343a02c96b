/* wb/runner.h: one claimed run, from its resume point to its final status: the trainer's epoch
 * callback writes the checkpoints and the preview, then the epoch's rows in one transaction;
 * heartbeats go out while it trains; the run ends finished, diverged, failed or interrupted. */
#ifndef WB_WB_RUNNER_H
#define WB_WB_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "store/store.h"
#include "wb/config.h"
#include "wb/progress.h"

typedef struct runner_sink {
    void *ctx;
    void (*emit)(void *ctx, const progress_event *e);
} runner_sink;

typedef struct runner_result {
    enum store_status status;   /* how the run ended */
    int stop_signal;            /* the signal that interrupted it, or 0 */
    int write_failed;           /* a write failed (checkpoint, preview, rows, heartbeat): the run
                                 * is interrupted, and the caller should stop claiming runs */
    int lost;                   /* the run was taken by another process (this one was paused
                                 * and marked stale, or another holds the folder's lock): this
                                 * process wrote nothing more of it (write_failed is set too) */
    char error[1024];           /* why it failed or diverged */
} runner_result;

/* A trajectory's stint (docs/DESIGN.md, "Budgets"): the stable phase of a wsd configuration,
 * trained as far as a branch needs it now (cr->options.train.epochs, with no decay). At each
 * fork epoch of its branches, the epoch's files are kept under the names runner_fork reads
 * (fork-E.safetensors, fork-E.optim.safetensors, fork-E.best.safetensors, fork-E.preview.npy:
 * links, no copy). It ends finished when it reached target, else interrupted ("paused"), ready
 * to go on for a later branch. Progress is reported under the branch's line. */
typedef struct runner_trajectory {
    int target;                 /* the epochs its branches need in all */
    const int *forks;           /* its branches' fork epochs */
    size_t nforks;
    int grid_index;             /* the branch it is trained for */
    const char *label;          /* that branch's label */
    int64_t branch_id;          /* that branch, claimed by this process too: its heartbeat goes
                                 * on while the trajectory trains, or it would look stale */
} runner_trajectory;

/* Trains the claimed run `run_id` (status running, owned by this store handle) on `ds` with the
 * resolved options of `cr`; threads: the count for a run that has none recorded yet (a resumed
 * run keeps its recorded count, so it continues bitwise). A run whose checkpoint, preview, rows
 * or heartbeat could not be written ends interrupted (result.write_failed), keeping the epochs it
 * committed. Returns 0 when the run ended in any status (see result), -1 when even its status
 * could not be written (err says why). */
int runner_execute(store *s, int64_t run_id, const config_run *cr, const dataset *ds,
                   const runner_trajectory *trajectory, const runner_sink *sink,
                   runner_result *result, char *err, size_t errlen);

/* Starts the claimed branch `branch_id` (configuration cr, nothing logged yet) from trajectory t
 * at its fork epoch: its folder gets the trajectory's files of that epoch as its own (init,
 * last, the optimizer state, best and the preview, with the branch's metadata), each checked
 * first against the SHA-256 the trajectory's epochs recorded, and store_fork_run records them
 * with the trajectory's epochs 0 .. fork. Then runner_execute resumes the branch as any run.
 * Returns 0; 1 when the trajectory holds no whole files of that epoch (why says which: the
 * branch is then trained alone, from its first epoch, to the same result); -1 when a write
 * failed or the run is no longer this process's (result says which). */
int runner_fork(store *s, int64_t branch_id, const config_run *cr, const store_run_info *t,
                int fork_epoch, runner_result *result, char *why, size_t whylen);

#endif
