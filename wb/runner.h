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

/* Trains the claimed run `run_id` (status running, owned by this store handle) on `ds` with the
 * resolved options of `cr`; threads: the count for a run that has none recorded yet (a resumed
 * run keeps its recorded count, so it continues bitwise). A run whose checkpoint, preview, rows
 * or heartbeat could not be written ends interrupted (result.write_failed), keeping the epochs it
 * committed. Returns 0 when the run ended in any status (see result), -1 when even its status
 * could not be written (err says why). */
int runner_execute(store *s, int64_t run_id, const config_run *cr, const dataset *ds,
                   const runner_sink *sink, runner_result *result, char *err, size_t errlen);

#endif
