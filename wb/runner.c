/* wb/runner.c: one run between the trainer and the store.
 *
 * Checkpoints and crash safety. Each epoch writes its files first (temporary name, fsync, rename)
 * and then commits its rows, so the database never names a missing or half-written file. A
 * crash between the rename and the commit would leave last.safetensors one epoch ahead of the
 * database; to resume bitwise from the epoch the database knows, the previous generation is
 * kept as last.prev.safetensors (a hard link taken before the new file replaces the old one), and
 * resuming picks whichever generation carries epochs_done in its metadata. After resuming from
 * last.prev, the first write keeps it: the `last` it would rotate over it is not the epoch the
 * database knows, and a crash right then would leave no generation to resume from.
 *
 * Ownership. A process may have been paused (SIGSTOP, a suspended batch job) long enough for its
 * run to be marked stale and taken by another. So every epoch first takes the run folder's lock
 * (flock, never waiting: a process that finds it held leaves the run, so a paused process never
 * blocks a live one) and checks in the database that the run is still its own, and only then
 * writes a file; the lock is held until the epoch's rows are committed.
 *
 * Integrity. Every file an epoch writes is hashed (SHA-256) and the hash committed with the
 * epoch's rows; a generation is resumed from only when its hashes match. When neither generation
 * of the last epoch is whole, the run goes back one epoch to last.prev if that verifies (the later
 * epoch's rows removed in one transaction), else it fails naming the damaged file. Files written
 * before hashes were recorded are trusted, with a warning. */
#include "wb/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fileio.h"
#include "data/npy.h"
#include "model/safetensors.h"
#include "model/train.h"
#include "wb/util.h"
#include "wb_build.h"

typedef struct run_ctx {
    store *s;
    int64_t run_id;
    const config_run *cr;
    const dataset *ds;
    const runner_sink *sink;
    char folder[4096], folder_rel[4096];
    double last_heartbeat;
    int write_failed;   /* a checkpoint, the preview, the epoch's rows or a heartbeat */
    int lost;           /* the run is another process's now: its row says so, or its folder's
                         * lock is held */
    int keep_prev;      /* resumed from last.prev: the next write must not rotate over it */
    const runner_trajectory *traj;  /* a trajectory's stint; NULL for a run */
} run_ctx;

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wb: warning: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void emit(const run_ctx *c, progress_event *e)
{
    e->run_id = c->run_id;
    e->grid_index = c->traj ? c->traj->grid_index : c->cr->grid_index;
    e->epochs = c->cr->options.train.epochs;
    if (c->traj)
        snprintf(e->label, sizeof e->label, "%.170s (stable phase)", c->traj->label);
    else
        snprintf(e->label, sizeof e->label, "%s", c->cr->label);
    if (c->sink && c->sink->emit)
        c->sink->emit(c->sink->ctx, e);
}

static void path_in(const run_ctx *c, const char *file, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", c->folder, file);
}

static void rel_path(const run_ctx *c, const char *file, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", c->folder_rel, file);
}

/* Keeps the current generation of `file` as `prev` before it is replaced (a link under a
 * temporary name of this process, renamed over `prev`: it always names a complete file). */
static int keep_previous(const run_ctx *c, const char *file, const char *prev, char *err,
                         size_t errlen)
{
    char cur[4200], dst[4200];
    int linked;
    path_in(c, file, cur, sizeof cur);
    path_in(c, prev, dst, sizeof dst);
    return atomic_file_link(cur, dst, &linked, err, errlen);
}

/* ---- the folder's lock and the owner check -------------------------------------------------- */

/* Takes the run folder's lock without waiting (flock on the folder itself). *fd = -1 when the
 * file system has no such locks (ENOLCK, EOPNOTSUPP): the owner check in the database still
 * guards every write then. Held by another process: the run is left to it (c->lost). */
static int lock_folder(run_ctx *c, int *fd, char *err, size_t errlen)
{
    *fd = open(c->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0) {
        snprintf(err, errlen, "%s: cannot open the run's folder: %s", c->folder, strerror(errno));
        c->write_failed = 1;
        return -1;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    const int busy = errno == EWOULDBLOCK;
    close(*fd);
    *fd = -1;
    if (!busy)
        return 0;
    snprintf(err, errlen, "%s is locked by another process writing this run (one paused and "
             "marked stale?): this process leaves the run to it", c->folder);
    c->lost = 1;
    return -1;
}

static void unlock_folder(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* A store write's failure: the run taken by another process, or a write that failed. */
static int store_failed(run_ctx *c, int rc)
{
    if (rc == STORE_NOT_OWNER)
        c->lost = 1;
    else
        c->write_failed = 1;
    return -1;
}

/* The heartbeat of the run, and of the branch it is a trajectory's stint for (claimed by this
 * process too, and waiting: without it the branch would look stale after STORE_STALE_SECONDS
 * of stable phase and be taken). */
static int heartbeat(run_ctx *c, char *err, size_t errlen)
{
    int rc = store_heartbeat(c->s, c->run_id, err, errlen);
    if (rc == 0 && c->traj && c->traj->branch_id > 0)
        rc = store_heartbeat(c->s, c->traj->branch_id, err, errlen);
    return rc;
}

/* The folder locked and the run still this process's (the check is a heartbeat): before any file
 * of the run is written. *fd is the lock to release. */
static int own_folder(run_ctx *c, int *fd, char *err, size_t errlen)
{
    if (lock_folder(c, fd, err, errlen) != 0)
        return -1;
    const int rc = heartbeat(c, err, errlen);
    if (rc != 0) {
        unlock_folder(*fd);
        *fd = -1;
        return store_failed(c, rc);
    }
    c->last_heartbeat = omp_get_wtime();
    return 0;
}

/* preview.npy: float32 (3, n, patch, patch, 3): inputs, targets and this epoch's predictions of
 * the first n test patches. */
static int write_preview(const run_ctx *c, const epoch_result *r, char *err, size_t errlen)
{
    const data_split *t = &c->ds->test;
    const size_t n = r->test_pred_n, img = (size_t)t->h * t->w * 3;
    float *buf = malloc(sizeof(float) * 3 * n * img);
    if (!buf) {
        snprintf(err, errlen, "out of memory writing the preview");
        return -1;
    }
    memcpy(buf, t->x, sizeof(float) * n * img);
    memcpy(buf + n * img, t->y, sizeof(float) * n * img);
    memcpy(buf + 2 * n * img, r->test_pred, sizeof(float) * n * img);
    const size_t shape[5] = { 3, n, (size_t)t->h, (size_t)t->w, 3 };
    char path[4200];
    path_in(c, "preview.npy", path, sizeof path);
    int rc = npy_write(path, NPY_F32, 5, shape, buf, err, errlen);
    free(buf);
    return rc;
}

/* The epoch's rows: every metric the table logs in each split the trainer measured at this epoch
 * (train after epoch 0, val always, the inputs with epoch 0, test at a reading; loss_lap only when
 * the loss has a Laplacian term). */
static size_t epoch_metrics(const run_ctx *c, const epoch_result *r,
                            store_metric m[METRIC_NSPLITS * METRIC_COUNT])
{
    size_t n = 0;
    const int laplacian_term = c->cr->options.loss.lap_weight > 0;
    for (int s = 0; s < METRIC_NSPLITS; s++) {
        if (!r->measured[s])
            continue;
        for (int k = 0; k < METRIC_COUNT; k++) {
            const metric_def *d = metric_def_of((enum metric_id)k);
            if (metric_in_split((enum metric_id)k, (enum metric_split)s) &&
                (laplacian_term || !d->needs_laplacian_term))
                m[n++] = (store_metric){ metric_split_name((enum metric_split)s), d->name,
                                         r->values[s][k] };
        }
    }
    return n;
}

/* The files of one epoch, their checkpoint rows and hashes. */
typedef struct epoch_files {
    store_checkpoint ck[3];
    size_t nck;
    store_file_hash fh[5];
    size_t nfh;
    char rel[3][4200];
    char hex[5][65];
} epoch_files;

static void add_checkpoint(const run_ctx *c, epoch_files *f, const char *kind, int epoch,
                           const char *file)
{
    rel_path(c, file, f->rel[f->nck], sizeof f->rel[f->nck]);
    f->ck[f->nck] = (store_checkpoint){ kind, epoch, f->rel[f->nck] };
    f->nck++;
}

/* Hashes `file` of the folder as just written, from the page cache: about 300 MB/s, 4.5 ms an
 * epoch for lossweights.ini's last and optimizer files, 7 ms with best and the preview. */
static int add_hash(const run_ctx *c, epoch_files *f, const char *file, char *err, size_t errlen)
{
    char path[4200];
    path_in(c, file, path, sizeof path);
    if (file_sha256(path, f->hex[f->nfh], err, errlen) != 0)
        return -1;
    f->fh[f->nfh] = (store_file_hash){ file, f->hex[f->nfh] };
    f->nfh++;
    return 0;
}

static int save_weights(const run_ctx *c, trainer *t, const char *file, char *err, size_t errlen)
{
    char path[4200];
    path_in(c, file, path, sizeof path);
    return trainer_save_weights(t, path, c->cr->json, c->cr->config_hash, WB_VERSION, err, errlen);
}

static int write_files(run_ctx *c, trainer *t, const epoch_result *r, epoch_files *f, char *err,
                       size_t errlen)
{
    if (r->epoch == 0) {
        if (save_weights(c, t, "init.safetensors", err, errlen) != 0 ||
            add_hash(c, f, "init.safetensors", err, errlen) != 0)
            return -1;
        add_checkpoint(c, f, "init", 0, "init.safetensors");
    } else {
        char path[4200];
        path_in(c, "last.optim.safetensors", path, sizeof path);
        if ((!c->keep_prev &&
             (keep_previous(c, "last.safetensors", "last.prev.safetensors", err, errlen) != 0 ||
              keep_previous(c, "last.optim.safetensors", "last.prev.optim.safetensors", err,
                            errlen) != 0)) ||
            save_weights(c, t, "last.safetensors", err, errlen) != 0 ||
            trainer_save_optimizer(t, path, c->cr->config_hash, err, errlen) != 0 ||
            add_hash(c, f, "last.safetensors", err, errlen) != 0 ||
            add_hash(c, f, "last.optim.safetensors", err, errlen) != 0)
            return -1;
        add_checkpoint(c, f, "last", r->epoch, "last.safetensors");
    }
    if (r->is_best) {
        if (save_weights(c, t, "best.safetensors", err, errlen) != 0 ||
            write_preview(c, r, err, errlen) != 0 ||
            add_hash(c, f, "best.safetensors", err, errlen) != 0 ||
            add_hash(c, f, "preview.npy", err, errlen) != 0)
            return -1;
        add_checkpoint(c, f, "best", r->epoch, "best.safetensors");
    }
    return 0;
}

/* The files a branch forking at epoch E takes from its trajectory: the trajectory's own names,
 * and the names they are kept under from epoch E on (the trajectory goes on and replaces its
 * own). */
static const char *const fork_sources[4] = { "last.safetensors", "last.optim.safetensors",
                                             "best.safetensors", "preview.npy" };
static void fork_name(int epoch, int which, char *out, size_t len)
{
    static const char *const suffix[4] = { "safetensors", "optim.safetensors",
                                           "best.safetensors", "preview.npy" };
    snprintf(out, len, "fork-%d.%s", epoch, suffix[which]);
}

/* A trajectory at a fork epoch of its branches keeps that epoch's files: hard links, so no byte
 * is copied and the trajectory's next write, a new file renamed over its own name, leaves them. */
static int keep_fork_files(const run_ctx *c, int epoch, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->traj->nforks; i++) {
        if (c->traj->forks[i] != epoch)
            continue;
        for (int k = 0; k < 4; k++) {
            char src[4200], dst[4200], name[64];
            int linked;
            fork_name(epoch, k, name, sizeof name);
            path_in(c, fork_sources[k], src, sizeof src);
            path_in(c, name, dst, sizeof dst);
            if (atomic_file_link(src, dst, &linked, err, errlen) != 0)
                return -1;
        }
    }
    return 0;
}

static int write_epoch(run_ctx *c, trainer *t, const epoch_result *r, char *err, size_t errlen)
{
    int lock;
    if (own_folder(c, &lock, err, errlen) != 0)
        return -1;
    epoch_files f = { .nck = 0 };
    store_metric m[METRIC_NSPLITS * METRIC_COUNT];
    const size_t nm = epoch_metrics(c, r, m);
    int rc = write_files(c, t, r, &f, err, errlen);
    if (rc != 0)
        c->write_failed = 1;
    else if ((rc = store_log_epoch(c->s, c->run_id, r->epoch, m, nm, f.ck, f.nck, f.fh, f.nfh,
                                   err, errlen)) != 0)
        store_failed(c, rc);
    /* After the commit: a fork file always names an epoch the database knows. A failure leaves
     * the branch to train alone. */
    if (rc == 0 && c->traj && keep_fork_files(c, r->epoch, err, errlen) != 0)
        warn("%s (a branch forking at epoch %d will train alone)", err, r->epoch);
    unlock_folder(lock);
    if (rc != 0)
        return -1;
    if (r->epoch > 0)
        c->keep_prev = 0;   /* last.prev is the epoch before the one just logged again */
    c->last_heartbeat = omp_get_wtime();

    progress_event e = { .kind = PROGRESS_EPOCH };
    e.epoch = r->epoch;
    e.loss = r->values[METRIC_TRAIN][METRIC_LOSS];
    e.val_psnr = r->values[METRIC_VAL][METRIC_PSNR_POOLED];   /* the primary metric */
    e.test_psnr = r->values[METRIC_TEST][METRIC_PSNR_POOLED];
    e.seconds = r->values[METRIC_TRAIN][METRIC_SECONDS];
    e.samples_per_s = r->values[METRIC_TRAIN][METRIC_SAMPLES_PER_S];
    emit(c, &e);
    return 0;
}

static int on_epoch(void *vctx, trainer *t, const epoch_result *r, char *err, size_t errlen)
{
    return write_epoch(vctx, t, r, err, errlen);
}

/* The test split read at the best epoch, an earlier one than the last (model/train.h). */
static int on_reading(void *vctx, trainer *t, const epoch_result *r, char *err, size_t errlen)
{
    (void)t;
    run_ctx *c = vctx;
    store_metric m[METRIC_NSPLITS * METRIC_COUNT];
    const size_t nm = epoch_metrics(c, r, m);
    const int rc = store_log_reading(c->s, c->run_id, r->epoch, m, nm, err, errlen);
    if (rc != 0)
        return store_failed(c, rc);
    c->last_heartbeat = omp_get_wtime();
    return 0;
}

static int on_progress(void *vctx, int epoch, size_t done, size_t total, double sps, char *err,
                       size_t errlen)
{
    run_ctx *c = vctx;
    const double t = omp_get_wtime();
    if (t - c->last_heartbeat >= STORE_HEARTBEAT_SECONDS) {
        const int rc = heartbeat(c, err, errlen);
        if (rc != 0)
            return store_failed(c, rc);
        c->last_heartbeat = t;
    }
    progress_event e = { .kind = PROGRESS_STEP };
    e.epoch = epoch;
    e.done = (long)done;
    e.total = (long)total;
    e.samples_per_s = sps;
    emit(c, &e);
    return 0;
}

/* The metadata epoch of a checkpoint file, or -1 when it cannot be read. */
static int file_epoch(const char *path)
{
    st_file f;
    char err[512];
    if (access(path, R_OK) != 0 || safetensors_read(path, &f, err, sizeof err) != 0)
        return -1;
    const char *e = safetensors_meta(&f, "epoch");
    const int epoch = e ? atoi(e) : -1;
    safetensors_free(&f);
    return epoch;
}

static const char *const generations[2][2] = {
    { "last.safetensors", "last.optim.safetensors" },
    { "last.prev.safetensors", "last.prev.optim.safetensors" } };

/* Whether file `file` of the folder is intact as epoch `epoch` wrote it under the name `as`: 1
 * yes (or no hash was recorded: trusted, with a warning), 0 no (why names it), -1 when the
 * database cannot be read (err). */
static int file_intact(const run_ctx *c, const char *file, const char *as, int epoch, char *why,
                       size_t whylen, char *err, size_t errlen)
{
    char path[4200];
    enum store_file_state state;
    path_in(c, file, path, sizeof path);
    if (store_check_file(c->s, c->run_id, epoch, as, path, &state, why, whylen) != 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if (state == STORE_FILE_UNHASHED)
        warn("%s: no SHA-256 recorded for epoch %d (written before wb recorded them): trusted "
             "as it is", path, epoch);
    return state != STORE_FILE_DAMAGED;
}

/* Whether generation g (0: last, 1: last.prev) holds weights and optimizer state of `epoch` that
 * verify: 1, 0 (*why, when empty, gets what is damaged), -1 on a failed read (err). */
static int generation_holds(const run_ctx *c, int g, int epoch, char *why, size_t whylen,
                            char *err, size_t errlen)
{
    char path[4200], damaged[1024] = "";
    for (int k = 0; k < 2; k++) {
        path_in(c, generations[g][k], path, sizeof path);
        if (file_epoch(path) != epoch)
            return 0;
    }
    for (int k = 0; k < 2; k++) {
        const int r = file_intact(c, generations[g][k], generations[0][k], epoch, damaged,
                                  sizeof damaged, err, errlen);
        if (r <= 0) {
            if (r == 0 && !why[0])
                snprintf(why, whylen, "%s", damaged);
            return r;
        }
    }
    return 1;
}

/* The files to resume a run from after `*done` epochs: generation last or last.prev of that
 * epoch, whichever verifies; else last.prev of the epoch before, after taking the run back to it
 * (*done then is one less). 0 with the paths, -1 with why: the run fails (no whole generation), or
 * c->lost / c->write_failed say that it could not be checked. Called with the folder locked. */
static int find_resume_files(run_ctx *c, int *done, char *weights, char *optim, size_t len,
                             char *why, size_t whylen)
{
    char damaged[1024] = "";
    for (int g = 0; g < 2; g++) {
        const int r = generation_holds(c, g, *done, damaged, sizeof damaged, why, whylen);
        if (r < 0)
            return store_failed(c, -1);
        if (r == 1) {
            path_in(c, generations[g][0], weights, len);
            path_in(c, generations[g][1], optim, len);
            c->keep_prev = g == 1;
            return 0;
        }
    }
    /* Neither is whole: the epoch before, in last.prev, if it verifies. Never train on from a
     * damaged file. */
    const int r = *done >= 2 ? generation_holds(c, 1, *done - 1, damaged, sizeof damaged, why,
                                                whylen)
                             : 0;
    if (r < 0)
        return store_failed(c, -1);
    if (r == 0) {
        if (damaged[0])
            snprintf(why, whylen, "cannot resume after epoch %d: %.900s", *done, damaged);
        else
            snprintf(why, whylen, "cannot resume after epoch %d: %.900s holds no weights and "
                     "optimizer state of that epoch", *done, c->folder);
        return -1;
    }
    const int rc = store_rewind_run(c->s, c->run_id, *done - 1, why, whylen);
    if (rc != 0)
        return store_failed(c, rc);
    warn("%.900s; run %.12s resumes from epoch %d (last.prev.safetensors), whose rows after it "
         "were removed", damaged, c->cr->config_hash, *done - 1);
    (*done)--;
    path_in(c, generations[1][0], weights, len);
    path_in(c, generations[1][1], optim, len);
    c->keep_prev = 1;
    return 0;
}

/* best.safetensors of a resumed run's best epoch, when it verifies: the test split is read with
 * it when that epoch stays the best (model/train.h). 0 with its path; -1 when there is none or it
 * is damaged (with a warning: training goes on, and only a reading that needs it fails). */
static int best_weights(run_ctx *c, const store_run_info *info, char *path, size_t len)
{
    char why[1024] = "", err[1024] = "";
    if (info->best_epoch < 0)
        return -1;
    path_in(c, "best.safetensors", path, len);
    const int r = file_intact(c, "best.safetensors", "best.safetensors", info->best_epoch, why,
                              sizeof why, err, sizeof err);
    if (r == 1)
        return 0;
    warn("%s", r == 0 ? why : err);
    return -1;
}

/* Chooses the resume point under the folder's lock and reads the run again when it moved back. */
static int prepare_resume(run_ctx *c, store_run_info *info, char *weights, char *optim,
                          size_t len, char *why, size_t whylen)
{
    int lock;
    if (own_folder(c, &lock, why, whylen) != 0)
        return -1;
    int done = info->epochs_done;
    int rc = find_resume_files(c, &done, weights, optim, len, why, whylen);
    unlock_folder(lock);
    if (rc == 0 && done != info->epochs_done &&
        store_get_run(c->s, c->run_id, info, why, whylen) != 0)
        rc = store_failed(c, -1);
    return rc;
}

int runner_execute(store *s, int64_t run_id, const config_run *cr, const dataset *ds,
                   const runner_trajectory *trajectory, const runner_sink *sink,
                   runner_result *result, char *err, size_t errlen)
{
    memset(result, 0, sizeof *result);
    run_ctx c = { .s = s, .run_id = run_id, .cr = cr, .ds = ds, .sink = sink,
                  .traj = trajectory };
    store_run_info info;
    if (store_get_run(s, run_id, &info, err, errlen) != 0)
        return -1;
    store_run_folder(s, cr->config_hash, c.folder, sizeof c.folder);
    store_run_folder_rel(s, cr->config_hash, c.folder_rel, sizeof c.folder_rel);

    run_options o = cr->options;
    o.train.threads = info.threads > 0 ? info.threads : 1;
    char weights[4200], optim[4200], why[1024] = "";
    /* A folder that cannot be made (a full disk, a file in the way) is a failed write, not the
     * run's fault: the run ends interrupted and resumes once the cause is gone (issue 15). */
    int setup_failed = file_mkdirs(c.folder, why, sizeof why) != 0;
    if (setup_failed)
        c.write_failed = 1;
    if (!setup_failed && info.epochs_done >= 1)
        setup_failed = prepare_resume(&c, &info, weights, optim, sizeof weights, why,
                                      sizeof why) != 0;
    train_resume resume = { info.epochs_done, NULL, NULL, info.best_value, info.best_epoch,
                            NULL, trajectory != NULL };
    char best[4200];
    if (info.epochs_done >= 1) {
        resume.weights_path = weights;
        resume.optim_path = optim;
        if (!setup_failed && best_weights(&c, &info, best, sizeof best) == 0)
            resume.best_weights_path = best;
    }

    progress_event start = { .kind = PROGRESS_START };
    start.epochs_done = info.epochs_done > 0 ? info.epochs_done : 0;
    start.epoch = start.epochs_done;
    emit(&c, &start);

    train_outcome out = { 0 };
    out.epochs_done = info.epochs_done;
    if (!setup_failed) {
        c.last_heartbeat = omp_get_wtime();
        train_hooks hooks = { &c, on_epoch, on_reading, on_progress, &wb_stop_signal };
        if (train_run(&o, ds, &resume, &hooks, &out, why, sizeof why) != 0)
            out.status = TRAIN_FAILED;
        else if (out.param_count > 0)
            store_set_run_model(s, run_id, (int64_t)out.param_count, err, errlen);
    } else {
        out.status = TRAIN_FAILED;
    }

    switch (out.status) {
    case TRAIN_FINISHED:
        result->status = STORE_FINISHED;
        /* A trajectory trained as far as one branch needs, short of what all of them need, is
         * paused: the next branch that needs more continues it. */
        if (trajectory && o.train.epochs < trajectory->target) {
            result->status = STORE_INTERRUPTED;
            snprintf(why, sizeof why, "paused after epoch %d; its branches need %d",
                     o.train.epochs, trajectory->target);
        }
        break;
    case TRAIN_DIVERGED:
        result->status = STORE_DIVERGED;
        break;
    case TRAIN_STOPPED:
        result->status = STORE_INTERRUPTED;
        result->stop_signal = wb_stop_signal;
        snprintf(why, sizeof why, "stopped by %s", wb_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    default:
        /* A failed write (a full disk, a lost database) is no fault of the run: the epochs it
         * committed stand, and it resumes from them once the cause is fixed, where a failed
         * run would be retried from scratch, and only with --retry-failed. */
        result->status = c.write_failed || c.lost ? STORE_INTERRUPTED : STORE_FAILED;
        result->write_failed = c.write_failed || c.lost;
        result->lost = c.lost;
        break;
    }
    snprintf(result->error, sizeof result->error, "%s", why);
    int rc = store_finish_run(s, run_id, result->status, why[0] ? why : NULL, err, errlen);
    if (rc == STORE_NOT_OWNER && c.lost)
        rc = 0;   /* the run is another's: nothing of it is this process's to record */
    if (rc != 0 && why[0]) {
        /* The cause first: the status write failing is usually its consequence (a full disk). */
        char status_err[1024];
        snprintf(status_err, sizeof status_err, "%s", err);
        snprintf(err, errlen, "%s; the run stays 'running' until a later command finds its "
                 "process gone: %s", why, status_err);
    }

    if (trajectory)
        return rc;   /* its branch's line goes on: no end of its own */
    progress_event end = { .kind = PROGRESS_END };
    end.epoch = out.epochs_done;
    snprintf(end.status, sizeof end.status, "%s", store_status_name(result->status));
    snprintf(end.error, sizeof end.error, "%.399s", why);   /* the event carries a shortened copy */
    emit(&c, &end);
    return rc;
}

/* ---- a branch's fork ------------------------------------------------------------------------- */

/* Writes src's tensors to dst with src's metadata, but config and config_hash those of cr: the
 * file a branch would have written itself at that epoch (the same tensors, the same order). */
static int write_as_branch(const char *src, const char *dst, const config_run *cr, char *err,
                           size_t errlen)
{
    st_file f;
    if (safetensors_read(src, &f, err, errlen) != 0)
        return -1;
    st_meta *meta = calloc(f.nmeta ? f.nmeta : 1, sizeof *meta);
    int rc = -1;
    if (!meta) {
        snprintf(err, errlen, "%s: out of memory", src);
    } else {
        for (size_t i = 0; i < f.nmeta; i++) {
            meta[i] = f.meta[i];
            if (strcmp(meta[i].key, "config") == 0)
                meta[i].value = cr->json;
            else if (strcmp(meta[i].key, "config_hash") == 0)
                meta[i].value = cr->config_hash;
        }
        rc = safetensors_write(dst, f.tensors, f.nt, meta, f.nmeta, err, errlen);
    }
    free(meta);
    safetensors_free(&f);
    return rc;
}

/* The trajectory's file `name` (in its folder) checked against the hash its epoch recorded for
 * `as`: 1 whole, 0 missing or damaged (why says which), -1 on a failed read of the database. */
static int trajectory_file_whole(store *s, const store_run_info *t, const char *name,
                                 const char *as, int epoch, char *path, size_t len, char *why,
                                 size_t whylen)
{
    enum store_file_state state;
    char err[1024];
    snprintf(path, len, "%s/%s", t->folder, name);
    if (access(path, F_OK) != 0) {
        snprintf(why, whylen, "%.900s is missing", path);
        return 0;
    }
    if (store_check_file(s, t->id, epoch, as, path, &state, err, sizeof err) != 0) {
        snprintf(why, whylen, "%s", err);
        return -1;
    }
    if (state == STORE_FILE_DAMAGED) {
        snprintf(why, whylen, "%s", err);
        return 0;
    }
    return 1;
}

int runner_fork(store *s, int64_t branch_id, const config_run *cr, const store_run_info *t,
                int fork_epoch, runner_result *result, char *why, size_t whylen)
{
    memset(result, 0, sizeof *result);
    run_ctx c = { .s = s, .run_id = branch_id, .cr = cr };
    store_run_folder(s, cr->config_hash, c.folder, sizeof c.folder);
    store_run_folder_rel(s, cr->config_hash, c.folder_rel, sizeof c.folder_rel);
    int best_epoch;
    double best_value;
    if (store_best_until(s, t->id, fork_epoch, &best_epoch, &best_value, why, whylen) != 0) {
        result->write_failed = 1;
        return -1;
    }
    if (best_epoch < 0) {
        snprintf(why, whylen, "the trajectory has no best epoch up to epoch %d", fork_epoch);
        return 1;
    }
    /* init, last, last.optim, best, preview: where they are in the trajectory's folder, the name
     * and epoch of the hash that vouches for each, and what they become in the branch's. */
    char fork_files[4][64];
    for (int k = 0; k < 4; k++)
        fork_name(fork_epoch, k, fork_files[k], sizeof fork_files[k]);
    const struct {
        const char *from, *as, *to;
        int epoch, weights;
    } files[5] = {
        { "init.safetensors", "init.safetensors", "init.safetensors", 0, 1 },
        { fork_files[0], "last.safetensors", "last.safetensors", fork_epoch, 1 },
        { fork_files[1], "last.optim.safetensors", "last.optim.safetensors", fork_epoch, 1 },
        { fork_files[2], "best.safetensors", "best.safetensors", best_epoch, 1 },
        { fork_files[3], "preview.npy", "preview.npy", best_epoch, 0 },
    };
    char src[5][4200];
    for (int k = 0; k < 5; k++) {
        const int whole = trajectory_file_whole(s, t, files[k].from, files[k].as, files[k].epoch,
                                                src[k], sizeof src[k], why, whylen);
        if (whole != 1) {
            result->write_failed = whole < 0;
            return whole < 0 ? -1 : 1;
        }
    }
    if (file_mkdirs(c.folder, why, whylen) != 0) {
        result->write_failed = 1;
        return -1;
    }
    int lock;
    if (own_folder(&c, &lock, why, whylen) != 0) {
        result->write_failed = 1;
        result->lost = c.lost;
        return -1;
    }
    char hex[5][65];
    store_file_at at[5];
    int rc = 0;
    for (int k = 0; rc == 0 && k < 5; k++) {
        char dst[4200];
        path_in(&c, files[k].to, dst, sizeof dst);
        rc = files[k].weights ? write_as_branch(src[k], dst, cr, why, whylen)
                              : atomic_file_copy(src[k], dst, why, whylen);
        if (rc == 0)
            rc = file_sha256(dst, hex[k], why, whylen);
        at[k] = (store_file_at){ files[k].to, hex[k], files[k].epoch };
    }
    epoch_files f = { .nck = 0 };
    add_checkpoint(&c, &f, "init", 0, "init.safetensors");
    add_checkpoint(&c, &f, "last", fork_epoch, "last.safetensors");
    add_checkpoint(&c, &f, "best", best_epoch, "best.safetensors");
    if (rc != 0)
        c.write_failed = 1;
    else if ((rc = store_fork_run(s, branch_id, t->id, fork_epoch, f.ck, f.nck, at, 5, why,
                                  whylen)) != 0)
        store_failed(&c, rc);
    unlock_folder(lock);
    result->write_failed = c.write_failed || c.lost;
    result->lost = c.lost;
    return rc == 0 ? 0 : -1;
}
