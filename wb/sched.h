/* wb/sched.h: what `wb sweep`, its workers and `wb run` share: loading a configuration into a
 * grid, registering it in the store, claiming and training runs one after another, and spawning
 * worker processes (posix_spawn: never fork once OpenMP has started). */
#ifndef WB_WB_SCHED_H
#define WB_WB_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "data/dataset.h"
#include "store/store.h"
#include "wb/config.h"
#include "wb/runner.h"

/* train.threads = 0 means the machine's cores divided by the number of parallel jobs. */
int sched_threads(int configured, int jobs);

/* The claim record of this process: pid, host, threads, GEMM library, compiler, wb version. */
void sched_claim_info(store_claim_info *ci, char *host, size_t hostlen, int threads);

/* A parsed "K/N" (0 <= K < N); -1 when malformed. */
int sched_parse_shard(const char *text, int *k, int *n);
/* K and N of a SLURM job array task (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
 * SLURM_ARRAY_TASK_COUNT); 0 when not in one. */
int sched_slurm_shard(int *k, int *n);

/* The last dataset loaded, kept while consecutive runs share their [data] options. */
typedef struct data_cache {
    int loaded;
    data_options key;
    dataset ds;
} data_cache;
int data_cache_get(data_cache *c, const data_options *o, const dataset **ds, char *err,
                   size_t errlen);
void data_cache_free(data_cache *c);

/* The shard index of grid run i (its grid index mod N picks the shard K): the grid index, or for
 * a wsd run the least grid index of the runs that share its trajectory, so that one shard trains
 * a trajectory and every branch of it (store_claim_next's rule). */
int sched_shard_index(const config_grid *g, size_t i);

/* Registers the grid (or shard K of N of it) as the sweep: one transaction creating or updating
 * the sweep, re-linking its runs and adding the new ones; with force every run is reset to
 * queued, with retry_failed the failed and diverged ones. */
typedef struct sched_register {
    const char *ini_path;
    const char *ini_text;
    int shard_k, shard_n;       /* shard_n = 0: all runs */
    int force, retry_failed;
    /* The parsed INI file: the runs of the sweep's recorded second stages of seeds (wb/stages.h)
     * are registered after the grid, at the indexes that follow it, in a fixed order, so that
     * every later `wb sweep` of the file keeps them (not with shards). NULL: the grid alone. */
    const config *cfg;
} sched_register;
int sched_register_grid(store *s, const config_grid *g, const sched_register *r,
                        int64_t *sweep_id, char *err, size_t errlen);

/* wb run's record of the one configuration cr of grid g: the sweep "run:<g's name>" (created, or
 * updated with ini_text), which keeps every configuration `wb run` trained from that file, so a
 * one-off never rewrites the grid of the sweep the file describes. The run keeps the index it has
 * there, or goes after the last (cr->grid_index receives it). One transaction. */
int sched_register_run(store *s, const config_grid *g, config_run *cr, const char *ini_path,
                       const char *ini_text, int64_t *run_id, char *err, size_t errlen);

/* The loop of a worker: claim the sweep's next run (the grid g of the INI file cfg, or one of
 * its recorded second stages of seeds), train it, until none is left to claim nor
 * running in another process (it waits for those: they may end interrupted or turn stale), or a
 * stop signal arrives. *failed counts runs that ended failed. Returns 0, or -1 on a store
 * error. */
int sched_work(store *s, int64_t sweep_id, const config_grid *g, const config *cfg, int shard_k,
               int shard_n, int jobs, const runner_sink *sink, int *failed, char *err,
               size_t errlen);

/* Starts `wb __worker` with the given arguments, its stdout on the pipe write end `progress_fd`
 * (so the coordinator reads its events), stdin closed. */
int sched_spawn_worker(const char *const *args, int progress_fd, pid_t *pid, char *err,
                       size_t errlen);

#endif
