/* wb/runner.c: one run between the trainer and the store.
 *
 * Checkpoints and crash safety. Each epoch writes its files first (temporary name, fsync, rename)
 * and then commits its rows, so the database never names a missing or half-written file. A
 * crash between the rename and the commit would leave last.safetensors one epoch ahead of the
 * database; to resume bitwise from the epoch the database knows, the previous generation is
 * kept as last.prev.safetensors (a hard link taken before the new file replaces the old one), and
 * resuming picks whichever generation carries epochs_done in its metadata. */
#include "wb/runner.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
} run_ctx;

static void emit(const run_ctx *c, progress_event *e)
{
    e->run_id = c->run_id;
    e->grid_index = c->cr->grid_index;
    e->epochs = c->cr->options.train.epochs;
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

/* Keeps the current generation of `file` as `prev` before it is replaced (link, then rename:
 * `prev` always names a complete file). */
static int keep_previous(const run_ctx *c, const char *file, const char *prev, char *err,
                         size_t errlen)
{
    char cur[4200], tmp[4300], dst[4200];
    path_in(c, file, cur, sizeof cur);
    path_in(c, prev, dst, sizeof dst);
    snprintf(tmp, sizeof tmp, "%s.link", dst);
    unlink(tmp);
    if (link(cur, tmp) != 0) {
        if (errno == ENOENT)
            return 0;   /* no generation yet */
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, dst) != 0) {
        snprintf(err, errlen, "%s: %s", dst, strerror(errno));
        unlink(tmp);
        return -1;
    }
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

/* The epoch's rows: every metric the table logs in each split that has values at this epoch
 * (train after epoch 0, the inputs with it; loss_lap only when the loss has a Laplacian term). */
static size_t epoch_metrics(const run_ctx *c, const epoch_result *r,
                            store_metric m[METRIC_NSPLITS * METRIC_COUNT])
{
    size_t n = 0;
    const int laplacian_term = c->cr->options.loss.lap_weight > 0;
    for (int s = 0; s < METRIC_NSPLITS; s++) {
        if (!metric_split_at((enum metric_split)s, r->epoch))
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

static int write_epoch(run_ctx *c, trainer *t, const epoch_result *r, char *err, size_t errlen)
{
    char path[4200], rel_init[4200], rel_last[4200], rel_best[4200];
    const char *hash = c->cr->config_hash;
    store_checkpoint ck[3];
    size_t nck = 0;
    if (r->epoch == 0) {
        path_in(c, "init.safetensors", path, sizeof path);
        if (trainer_save_weights(t, path, c->cr->json, hash, WB_VERSION, err, errlen) != 0)
            return -1;
        rel_path(c, "init.safetensors", rel_init, sizeof rel_init);
        ck[nck++] = (store_checkpoint){ "init", 0, rel_init };
    } else {
        if (keep_previous(c, "last.safetensors", "last.prev.safetensors", err, errlen) != 0 ||
            keep_previous(c, "last.optim.safetensors", "last.prev.optim.safetensors", err,
                          errlen) != 0)
            return -1;
        path_in(c, "last.safetensors", path, sizeof path);
        if (trainer_save_weights(t, path, c->cr->json, hash, WB_VERSION, err, errlen) != 0)
            return -1;
        path_in(c, "last.optim.safetensors", path, sizeof path);
        if (trainer_save_optimizer(t, path, hash, err, errlen) != 0)
            return -1;
        rel_path(c, "last.safetensors", rel_last, sizeof rel_last);
        ck[nck++] = (store_checkpoint){ "last", r->epoch, rel_last };
    }
    if (r->is_best) {
        path_in(c, "best.safetensors", path, sizeof path);
        if (trainer_save_weights(t, path, c->cr->json, hash, WB_VERSION, err, errlen) != 0 ||
            write_preview(c, r, err, errlen) != 0)
            return -1;
        rel_path(c, "best.safetensors", rel_best, sizeof rel_best);
        ck[nck++] = (store_checkpoint){ "best", r->epoch, rel_best };
    }

    store_metric m[METRIC_NSPLITS * METRIC_COUNT];
    const size_t nm = epoch_metrics(c, r, m);
    if (store_log_epoch(c->s, c->run_id, r->epoch, m, nm, ck, nck, err, errlen) != 0)
        return -1;
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
    run_ctx *c = vctx;
    if (write_epoch(c, t, r, err, errlen) != 0) {
        c->write_failed = 1;
        return -1;
    }
    return 0;
}

static int on_progress(void *vctx, int epoch, size_t done, size_t total, double sps, char *err,
                       size_t errlen)
{
    run_ctx *c = vctx;
    const double t = omp_get_wtime();
    if (t - c->last_heartbeat >= STORE_HEARTBEAT_SECONDS) {
        if (store_heartbeat(c->s, c->run_id, err, errlen) != 0) {
            c->write_failed = 1;
            return -1;
        }
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

/* The generation (last or last.prev) whose weights and optimizer state both carry epoch `done`. */
static int find_resume_files(const run_ctx *c, int done, char *weights, char *optim, size_t len)
{
    static const char *const gens[2][2] = {
        { "last.safetensors", "last.optim.safetensors" },
        { "last.prev.safetensors", "last.prev.optim.safetensors" } };
    for (int g = 0; g < 2; g++) {
        path_in(c, gens[g][0], weights, len);
        path_in(c, gens[g][1], optim, len);
        if (file_epoch(weights) == done && file_epoch(optim) == done)
            return 0;
    }
    return -1;
}

int runner_execute(store *s, int64_t run_id, const config_run *cr, const dataset *ds,
                   const runner_sink *sink, runner_result *result, char *err, size_t errlen)
{
    memset(result, 0, sizeof *result);
    run_ctx c = { .s = s, .run_id = run_id, .cr = cr, .ds = ds, .sink = sink };
    store_run_info info;
    if (store_get_run(s, run_id, &info, err, errlen) != 0)
        return -1;
    store_run_folder(s, cr->config_hash, c.folder, sizeof c.folder);
    store_run_folder_rel(s, cr->config_hash, c.folder_rel, sizeof c.folder_rel);

    run_options o = cr->options;
    o.train.threads = info.threads > 0 ? info.threads : 1;
    train_resume resume = { info.epochs_done, NULL, NULL, info.best_value, info.best_epoch };
    char weights[4200], optim[4200], why[1024] = "";
    int setup_failed = wb_mkdirs(c.folder, why, sizeof why) != 0;
    if (!setup_failed && info.epochs_done >= 1) {
        if (find_resume_files(&c, info.epochs_done, weights, optim, sizeof weights) != 0) {
            snprintf(why, sizeof why, "cannot resume after epoch %d: %.900s holds no weights and "
                     "optimizer state of that epoch", info.epochs_done, c.folder);
            setup_failed = 1;
        }
        resume.weights_path = weights;
        resume.optim_path = optim;
    }

    progress_event start = { .kind = PROGRESS_START };
    start.epochs_done = info.epochs_done > 0 ? info.epochs_done : 0;
    start.epoch = start.epochs_done;
    emit(&c, &start);

    train_outcome out = { 0 };
    out.epochs_done = info.epochs_done;
    if (!setup_failed) {
        c.last_heartbeat = omp_get_wtime();
        train_hooks hooks = { &c, on_epoch, on_progress, &wb_stop_signal };
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
        result->status = c.write_failed ? STORE_INTERRUPTED : STORE_FAILED;
        result->write_failed = c.write_failed;
        break;
    }
    snprintf(result->error, sizeof result->error, "%s", why);
    const int rc = store_finish_run(s, run_id, result->status, why[0] ? why : NULL, err, errlen);
    if (rc != 0 && why[0]) {
        /* The cause first: the status write failing is usually its consequence (a full disk). */
        char status_err[1024];
        snprintf(status_err, sizeof status_err, "%s", err);
        snprintf(err, errlen, "%s; the run stays 'running' until a later command finds its "
                 "process gone: %s", why, status_err);
    }

    progress_event end = { .kind = PROGRESS_END };
    end.epoch = out.epochs_done;
    snprintf(end.status, sizeof end.status, "%s", store_status_name(result->status));
    snprintf(end.error, sizeof end.error, "%.399s", why);   /* the event carries a shortened copy */
    emit(&c, &end);
    return rc;
}
