/* wb/sched.c: registering grids, claiming runs, worker processes. */
#include "wb/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"
#include "model/gemm.h"
#include "wb/util.h"
#include "wb_build.h"

extern char **environ;

int sched_threads(int configured, int jobs)
{
    if (configured > 0)
        return configured;
    const int t = proc_cpu_count() / (jobs > 0 ? jobs : 1);
    return t > 0 ? t : 1;
}

void sched_claim_info(store_claim_info *ci, char *host, size_t hostlen, int threads)
{
    proc_hostname(host, hostlen);
    ci->pid = getpid();
    ci->host = host;
    ci->threads = threads;
    ci->gemm_library = compute_backend();
    ci->compiler = WB_COMPILER;
    ci->wb_version = WB_VERSION;
}

int sched_parse_shard(const char *text, int *k, int *n)
{
    char *end;
    errno = 0;
    long a = strtol(text, &end, 10);
    if (end == text || *end != '/' || errno)
        return -1;
    const char *second = end + 1;
    long b = strtol(second, &end, 10);
    if (end == second || *end || errno || b < 1 || b > 100000 || a < 0 || a >= b)
        return -1;
    *k = (int)a;
    *n = (int)b;
    return 0;
}

int sched_slurm_shard(int *k, int *n)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *min = getenv("SLURM_ARRAY_TASK_MIN"),
               *count = getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count)
        return 0;
    const long kk = atol(id) - (min ? atol(min) : 0), nn = atol(count);
    if (nn < 1 || kk < 0 || kk >= nn)
        return 0;
    *k = (int)kk;
    *n = (int)nn;
    return 1;
}

/* ---- data ------------------------------------------------------------------------------------- */

static int same_data(const data_options *a, const data_options *b)
{
    return strcmp(a->source, b->source) == 0 && a->task == b->task && a->patch == b->patch &&
           a->train_patches == b->train_patches && a->val_patches == b->val_patches &&
           a->test_patches == b->test_patches && a->seed == b->seed && a->min_std == b->min_std &&
           a->noise_sigma == b->noise_sigma && a->fresh_noise == b->fresh_noise &&
           a->clip == b->clip && a->blur_sigma == b->blur_sigma &&
           a->sr_upsample == b->sr_upsample;
}

int data_cache_get(data_cache *c, const data_options *o, const dataset **ds, char *err,
                   size_t errlen)
{
    if (!c->loaded || !same_data(&c->key, o)) {
        data_cache_free(c);
        if (dataset_load(o, &c->ds, err, errlen) != 0)
            return -1;
        c->key = *o;
        c->loaded = 1;
    }
    *ds = &c->ds;
    return 0;
}

void data_cache_free(data_cache *c)
{
    if (c->loaded)
        dataset_free(&c->ds);
    c->loaded = 0;
}

/* ---- registering a grid ----------------------------------------------------------------------- */

static int in_shard(int index, int k, int n)
{
    return n == 0 || index % n == k;
}

/* The sweep record of a grid: its name, the INI file, its axes, and this build. */
static store_sweep_info sweep_info(const char *name, const config_grid *g, const char *ini_path,
                                   const char *ini_text, char *host, size_t hostlen)
{
    proc_hostname(host, hostlen);
    return (store_sweep_info){ name, ini_text, ini_path, g->axes, host,
                               WB_VERSION, WB_GIT_COMMIT, WB_GIT_DIRTY };
}

/* What the store records of a configuration when it adds it as a run at grid_index. */
static store_run_spec run_spec(const config_run *cr, int grid_index)
{
    const data_options *d = &cr->options.data;
    return (store_run_spec){ cr->config_hash, cr->config_id, (int64_t)cr->options.seed,
                             grid_index, cr->json, cr->params, cr->nparams, d->source,
                             d->train_patches, d->val_patches, d->test_patches, 0, 0, 0 };
}

int sched_shard_index(const config_grid *g, size_t i)
{
    const config_run *cr = &g->runs[i];
    if (!cr->trajectory_hash[0])
        return cr->grid_index;
    int least = cr->grid_index;
    for (size_t j = 0; j < g->nruns; j++)
        if (g->runs[j].grid_index < least &&
            strcmp(g->runs[j].trajectory_hash, cr->trajectory_hash) == 0)
            least = g->runs[j].grid_index;
    return least;
}

/* Adds (or finds) the trajectory of wsd run cr and makes it go as far as cr's fork: *id. With
 * force (or retry_failed, when it failed or diverged) it is trained again from scratch, as every
 * run of the grid is. */
static int register_trajectory(store *s, int64_t sweep_id, const config_grid *g,
                               const config_run *cr, const sched_register *r, int64_t *id,
                               char *err, size_t errlen)
{
    config_run t;
    if (config_trajectory(g, cr, cr->fork_epoch, &t) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    store_run_spec spec = run_spec(&t, 0);
    spec.trajectory = 1;
    int created, rc = store_add_run(s, sweep_id, &spec, id, &created, err, errlen);
    if (rc == 0 && !created) {
        store_run_info ti;
        rc = store_get_run(s, *id, &ti, err, errlen);
        const int failed = ti.status == STORE_FAILED || ti.status == STORE_DIVERGED;
        if (rc == 0 && ti.epochs_done >= 0 && (r->force || (r->retry_failed && failed)))
            rc = store_reset_run(s, *id, err, errlen);
    }
    if (rc == 0)
        rc = store_extend_trajectory(s, *id, cr->fork_epoch, err, errlen);
    config_run_free(&t);
    return rc;
}

/* Commits a registration that went well, rolls back one that did not. */
static int end_registration(store *s, int rc, char *err, size_t errlen)
{
    if (rc != 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, err, errlen);
}

/* The grid of plan i's seeds (wb/stages.h: the second stage of seeds), when plan i is the first
 * of the plans with its seed list (plans that share one expand once): 1 with *grid, 0 when an
 * earlier plan has the same seeds, -1 with err set. */
static int plan_grid(const config *cfg, const store_stage_plan *plans, size_t i,
                     config_grid **grid, char *err, size_t errlen)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(plans[j].seeds, plans[i].seeds) == 0)
            return 0;
    int64_t seeds[1024];
    size_t ns = 0;
    for (const char *p = plans[i].seeds; *p && ns < 1024;) {
        seeds[ns++] = strtoll(p, (char **)&p, 10);
        if (*p == ',')
            p++;
    }
    return config_expand_seeds(cfg, seeds, ns, grid, err, errlen) == 0 ? 1 : -1;
}

/* Registers one run of a grid at grid index `index` (its trajectory first, for wsd), and resets
 * it as force or retry_failed ask. */
static int register_one(store *s, int64_t sweep_id, const config_grid *g, const config_run *cr,
                        int index, const sched_register *r, char *err, size_t errlen)
{
    store_run_spec spec = run_spec(cr, index);
    int64_t run_id;
    int created, rc = 0;
    if (cr->trajectory_hash[0]) {
        rc = register_trajectory(s, sweep_id, g, cr, r, &spec.trajectory_id, err, errlen);
        spec.fork_epoch = cr->fork_epoch;
    }
    if (rc == 0)
        rc = store_add_run(s, sweep_id, &spec, &run_id, &created, err, errlen);
    if (rc != 0 || created)
        return rc;
    store_run_info ri;
    rc = store_get_run(s, run_id, &ri, err, errlen);
    const int failed = ri.status == STORE_FAILED || ri.status == STORE_DIVERGED;
    if (rc == 0 && ri.status != STORE_QUEUED && (r->force || (r->retry_failed && failed)))
        rc = store_reset_run(s, run_id, err, errlen);
    return rc;
}

/* The runs of the sweep's recorded second stages (wb/stages.h), after the grid: the plans in the
 * order they were recorded, grouped by their seed list, each group's runs in the order of the
 * grid those seeds expand to. */
static int register_stages(store *s, int64_t sweep_id, const config_grid *g,
                           const sched_register *r, char *err, size_t errlen)
{
    store_stage_plan *plans;
    size_t n;
    if (!r->cfg || r->shard_n > 0)
        return 0;
    if (store_read_stage_plans(s, sweep_id, &plans, &n, err, errlen) != 0)
        return -1;
    int rc = 0, next = (int)g->nruns;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        config_grid *g2;
        const int made = plan_grid(r->cfg, plans, i, &g2, err, errlen);
        if (made <= 0) {
            rc = made;
            continue;
        }
        for (size_t k = 0; rc == 0 && k < g2->nruns; k++) {
            int planned = 0;
            for (size_t j = i; j < n && !planned; j++)
                planned = strcmp(plans[j].seeds, plans[i].seeds) == 0 &&
                          strcmp(plans[j].config_id, g2->runs[k].config_id) == 0;
            if (planned)
                rc = register_one(s, sweep_id, g2, &g2->runs[k], next++, r, err, errlen);
        }
        config_grid_free(g2);
    }
    store_stage_plans_free(plans, n);
    return rc;
}

int sched_register_grid(store *s, const config_grid *g, const sched_register *r,
                        int64_t *sweep_id, char *err, size_t errlen)
{
    char host[256];
    const store_sweep_info info = sweep_info(g->name, g, r->ini_path, r->ini_text, host,
                                             sizeof host);
    if (store_begin(s, err, errlen) != 0)
        return -1;
    int rc = store_upsert_sweep(s, &info, sweep_id, err, errlen);
    if (rc == 0)
        rc = store_unlink_sweep_runs(s, *sweep_id, err, errlen);
    for (size_t i = 0; rc == 0 && i < g->nruns; i++)
        if (in_shard(sched_shard_index(g, i), r->shard_k, r->shard_n))
            rc = register_one(s, *sweep_id, g, &g->runs[i], g->runs[i].grid_index, r, err,
                              errlen);
    if (rc == 0)
        rc = register_stages(s, *sweep_id, g, r, err, errlen);
    return end_registration(s, rc, err, errlen);
}

int sched_register_run(store *s, const config_grid *g, config_run *cr, const char *ini_path,
                       const char *ini_text, int64_t *run_id, char *err, size_t errlen)
{
    const size_t namelen = strlen(g->name) + 8;
    char host[256], *name = malloc(namelen);
    if (!name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(name, namelen, "run:%s", g->name);
    const store_sweep_info info = sweep_info(name, g, ini_path, ini_text, host, sizeof host);
    int64_t sweep_id;
    int rc = store_begin(s, err, errlen);
    if (rc == 0) {
        rc = store_upsert_sweep(s, &info, &sweep_id, err, errlen);
        /* A configuration trained before keeps its index; a new one goes after the last. */
        if (rc == 0)
            rc = store_sweep_slot(s, sweep_id, cr->config_hash, &cr->grid_index, err, errlen);
        const store_run_spec spec = run_spec(cr, cr->grid_index);
        if (rc == 0)
            rc = store_add_run(s, sweep_id, &spec, run_id, NULL, err, errlen);
        rc = end_registration(s, rc, err, errlen);
    }
    free(name);
    return rc;
}

/* ---- a worker's loop --------------------------------------------------------------------------- */

static const config_run *run_by_hash(const config_grid *g, const char *hash)
{
    for (size_t i = 0; i < g->nruns; i++)
        if (strcmp(g->runs[i].config_hash, hash) == 0)
            return &g->runs[i];
    return NULL;
}

/* The grids of the sweep's second stages (wb/stages.h), expanded once each, for the runs the INI
 * file's grid does not hold. */
typedef struct stage_grids {
    config_grid **grids;
    size_t n;
    int loaded;
} stage_grids;

static void stage_grids_free(stage_grids *sg)
{
    for (size_t i = 0; i < sg->n; i++)
        config_grid_free(sg->grids[i]);
    free(sg->grids);
    memset(sg, 0, sizeof *sg);
}

static int stage_grids_load(store *s, int64_t sweep_id, const config *cfg, stage_grids *sg,
                            char *err, size_t errlen)
{
    store_stage_plan *plans;
    size_t n;
    sg->loaded = 1;
    if (!cfg)
        return 0;
    if (store_read_stage_plans(s, sweep_id, &plans, &n, err, errlen) != 0)
        return -1;
    int rc = 0;
    sg->grids = calloc(n ? n : 1, sizeof *sg->grids);
    if (!sg->grids)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const int made = plan_grid(cfg, plans, i, &sg->grids[sg->n], err, errlen);
        rc = made < 0 ? -1 : 0;
        sg->n += made > 0;
    }
    store_stage_plans_free(plans, n);
    return rc;
}

/* A claimed run's configuration: the INI file's grid, else a second stage's. */
static const config_run *find_run(store *s, int64_t sweep_id, const config_grid *g,
                                  const config *cfg, stage_grids *sg, const char *hash)
{
    const config_run *cr = run_by_hash(g, hash);
    char err[256];
    if (!cr && !sg->loaded && stage_grids_load(s, sweep_id, cfg, sg, err, sizeof err) != 0)
        return NULL;
    for (size_t i = 0; !cr && i < sg->n; i++)
        cr = run_by_hash(sg->grids[i], hash);
    return cr;
}

/* Nothing left to claim, but runs of the sweep are still `running` in other processes (another
 * sweep on the same file, a worker killed a moment ago): wait for them, since each ends finished
 * (nothing to do), or interrupted or stale (ours to resume). Returning at once would end the
 * sweep with runs unfinished. *wait_more = 0 when none is running. */
static int wait_for_others(store *s, int64_t sweep_id, int shard_k, int shard_n, int *wait_more,
                           char *err, size_t errlen)
{
    int running;
    *wait_more = 0;
    if (store_sweep_running(s, sweep_id, shard_k, shard_n, &running, err, errlen) != 0)
        return -1;
    if (running == 0)
        return 0;
    for (int i = 0; i < 10 && !wb_stop_signal; i++)
        usleep(50000);
    *wait_more = 1;
    return store_mark_stale(s, NULL, err, errlen);
}

/* A worker's stop after a run that lost its folder or failed a write: the message, rc -1. */
static int sched_stop_error(const runner_result *res, const config_run *cr, char *err,
                            size_t errlen)
{
    if (res->lost)
        /* This process was paused long enough to lose the run: it stops, writing nothing. */
        snprintf(err, errlen, "%s (run %.12s is another process's now; this one stops)",
                 res->error, cr->config_hash);
    else
        /* The next run would hit the same full disk: stop here, the run resumable. */
        snprintf(err, errlen, "%s (run %.12s interrupted; run the sweep again to resume)",
                 res->error, cr->config_hash);
    return -1;
}

enum branch_start { BRANCH_FORKED, BRANCH_ALONE, BRANCH_WAITS, BRANCH_ENDED, BRANCH_STOPPED };

/* Ends the claimed branch b with the status its trajectory ended with (diverged or failed: the
 * budget trained alone would have gone the same way) and says so in res. */
static int end_branch(store *s, const store_run_info *b, enum store_status st,
                      const char *why, runner_result *res, char *err, size_t errlen)
{
    res->status = st;
    snprintf(res->error, sizeof res->error, "its trajectory %s: %.900s",
             st == STORE_DIVERGED ? "diverged" : "failed", why);
    return store_finish_run(s, b->id, st, res->error, err, errlen) != 0 ? -1 : BRANCH_ENDED;
}

/* A claimed branch b (cr) that has logged nothing yet: its trajectory trained as far as b's fork
 * (by this worker, when it is behind and free), then b started from its files (runner_fork).
 * Returns an enum branch_start: forked (train b from its fork), alone (the trajectory holds no
 * files of b's fork: train b from scratch, to the same result), waits (another process is
 * training the trajectory: b was given back), ended (the trajectory diverged or failed, and b
 * with it), stopped (a signal or a failed write: res says which); -1 on a store error. */
static int start_branch(store *s, const store_run_info *b, const config_grid *g,
                        const config_run *cr, const dataset *ds, const store_claim_info *ci,
                        const runner_sink *sink, runner_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    store_run_info t;
    if (store_get_run(s, b->trajectory_id, &t, err, errlen) != 0)
        return -1;
    if (t.epochs_done < b->fork_epoch) {
        int claimed;
        if (store_claim_run(s, t.id, ci, &claimed, err, errlen) != 0)
            return -1;
        if (!claimed)
            return store_release_run(s, b->id, err, errlen) != 0 ? -1 : BRANCH_WAITS;
        int forks[256];
        size_t nforks;
        config_run tcr;
        if (store_fork_epochs(s, t.id, forks, 256, &nforks, err, errlen) != 0 ||
            store_get_run(s, t.id, &t, err, errlen) != 0)
            return -1;
        if (config_trajectory(g, cr, b->fork_epoch, &tcr) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        const runner_trajectory rt = { t.epochs, forks, nforks < 256 ? nforks : 256,
                                       cr->grid_index, cr->label, b->id };
        runner_result tres;
        const int rc = runner_execute(s, t.id, &tcr, ds, &rt, sink, &tres, err, errlen);
        config_run_free(&tcr);
        if (rc != 0)
            return -1;
        if (tres.status == STORE_DIVERGED || tres.status == STORE_FAILED)
            return end_branch(s, b, tres.status, tres.error, res, err, errlen);
        if (tres.stop_signal || tres.write_failed || tres.lost) {
            *res = tres;
            if (store_release_run(s, b->id, err, errlen) != 0)
                return -1;
            return tres.stop_signal ? BRANCH_WAITS : BRANCH_STOPPED;
        }
        if (store_get_run(s, t.id, &t, err, errlen) != 0)
            return -1;
    }
    char why[1024];
    const int forked = runner_fork(s, b->id, cr, &t, b->fork_epoch, res, why, sizeof why);
    if (forked < 0) {
        snprintf(res->error, sizeof res->error, "%s", why);
        return BRANCH_STOPPED;
    }
    if (forked == 1)
        fprintf(stderr, "wb: warning: run %.12s trains alone from epoch 0 (the same result): "
                        "%s\n", cr->config_hash, why);
    return forked == 0 ? BRANCH_FORKED : BRANCH_ALONE;
}

int sched_work(store *s, int64_t sweep_id, const config_grid *g, const config *cfg, int shard_k,
               int shard_n, int jobs, const runner_sink *sink, int *failed, char *err,
               size_t errlen)
{
    data_cache cache = { 0 };
    stage_grids stages = { 0 };
    int rc = 0;
    *failed = 0;
    while (rc == 0 && !wb_stop_signal) {
        /* threads: the configured count, else cores / jobs; the same for every run of a grid
         * unless train.threads is itself an axis, which the first run's value stands for. */
        store_claim_info ci;
        char host[256];
        const int threads = sched_threads(g->nruns ? g->runs[0].options.train.threads : 0, jobs);
        sched_claim_info(&ci, host, sizeof host, threads);
        int64_t run_id;
        if (store_claim_next(s, sweep_id, shard_k, shard_n, &ci, &run_id, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (run_id == 0) {
            int wait_more;
            if (wait_for_others(s, sweep_id, shard_k, shard_n, &wait_more, err, errlen) != 0)
                rc = -1;
            if (wait_more)
                continue;
            break;
        }
        store_run_info info;
        if (store_get_run(s, run_id, &info, err, errlen) != 0) {
            rc = -1;
            break;
        }
        const config_run *cr = find_run(s, sweep_id, g, cfg, &stages, info.config_hash);
        const dataset *ds = NULL;
        char why[1024];
        if (!cr)
            snprintf(why, sizeof why, "run %s is not in the sweep's configuration any more",
                     info.config_hash);
        else if (data_cache_get(&cache, &cr->options.data, &ds, why, sizeof why) != 0)
            ds = NULL;
        if (!ds) {
            (*failed)++;
            if (store_finish_run(s, run_id, STORE_FAILED, why, err, errlen) != 0)
                rc = -1;
            continue;
        }
        runner_result res;
        if (info.trajectory_id > 0 && info.epochs_done < 0) {
            const int started = start_branch(s, &info, g, cr, ds, &ci, sink, &res, err, errlen);
            if (started < 0) {
                rc = -1;
                break;
            }
            if (started == BRANCH_WAITS) {
                for (int i = 0; i < 4 && !wb_stop_signal; i++)
                    usleep(50000);
                continue;
            }
            if (started == BRANCH_ENDED) {
                (*failed) += res.status == STORE_FAILED;
                continue;
            }
            if (started == BRANCH_STOPPED) {
                rc = sched_stop_error(&res, cr, err, errlen);
                break;
            }
        }
        if (runner_execute(s, run_id, cr, ds, NULL, sink, &res, err, errlen) != 0) {
            rc = -1;
        } else if (res.lost || res.write_failed) {
            rc = sched_stop_error(&res, cr, err, errlen);
        } else if (res.status == STORE_FAILED) {
            (*failed)++;
        }
    }
    data_cache_free(&cache);
    stage_grids_free(&stages);
    return rc;
}

/* ---- spawning ---------------------------------------------------------------------------------- */

int sched_spawn_worker(const char *const *args, int progress_fd, pid_t *pid, char *err,
                       size_t errlen)
{
    char exe[4096];
    if (proc_self_exe(exe, sizeof exe) != 0) {
        snprintf(err, errlen, "cannot find this program's path: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, progress_fd, STDOUT_FILENO);
    int rc = posix_spawn(pid, exe, &fa, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start a worker (%s): %s", exe, strerror(rc));
        return -1;
    }
    return 0;
}
