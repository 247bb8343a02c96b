/* model/train.c: one run's epochs: shuffle, steps, evaluation, and the per-epoch callback. */
#include "model/train.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/seed.h"
#include "model/safetensors.h"

struct trainer {
    const run_options *o;
    const dataset *ds;
    unet *net;
    optimizer opt;
    int epoch;              /* the last epoch completed (0 = initial weights) */
    int hw, batch;
    float *xb, *yb, *dy;    /* one batch, channel-major */
    double *loss_scratch;
    float *train_x;         /* this epoch's train inputs when they vary, else NULL */
    size_t *order;          /* this epoch's shuffle */
    float *val_pred, *test_pred;
    float *best_params;     /* the weights of the best epoch so far, when have_best */
    float *swap_params;     /* the current weights while the best ones are read */
    int have_best;
    gsl_rng *rng;
    lr_schedule schedule;
};

static double now_seconds(void)
{
    return omp_get_wtime();
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

unet *trainer_unet(trainer *t)
{
    return t->net;
}

static void fill_tensor(st_tensor *st, const unet_tensor *ut, const char *name, const float *data)
{
    st->name = name;
    st->ndim = ut->ndim;
    for (int k = 0; k < ut->ndim; k++)
        st->shape[k] = ut->shape[k];
    st->data = data;
}

int trainer_save_weights(trainer *t, const char *path, const char *config_json,
                         const char *config_hash, const char *wb_version, char *err, size_t errlen)
{
    char epoch[32], seed[32];
    snprintf(epoch, sizeof epoch, "%d", t->epoch);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->o->seed);
    const st_meta meta[] = { { "config", config_json }, { "config_hash", config_hash },
                             { "epoch", epoch }, { "seed", seed }, { "wb_version", wb_version } };
    return unet_save_weights(t->net, path, meta, sizeof meta / sizeof meta[0], err, errlen);
}

/* Optimizer state as PyTorch names it per parameter: exp_avg.<name> and exp_avg_sq.<name> for
 * Adam, momentum_buffer.<name> for SGD; the step count in the metadata. */
static const char *moment_prefix(enum optimizer_kind kind, int which)
{
    if (kind == OPT_SGD)
        return "momentum_buffer";
    return which == 0 ? "exp_avg" : "exp_avg_sq";
}

int trainer_save_optimizer(trainer *t, const char *path, const char *config_hash, char *err,
                           size_t errlen)
{
    const size_t nt = unet_tensor_count(t->net);
    const int moments = t->opt.kind == OPT_ADAM ? 2 : 1;
    st_tensor *tensors = calloc(nt * moments, sizeof *tensors);
    char(*names)[UNET_NAME_LEN + 16] = calloc(nt * moments, sizeof *names);
    if (!tensors || !names) {
        free(tensors);
        free(names);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int m = 0; m < moments; m++) {
        const float *data = m == 0 ? t->opt.m : t->opt.v;
        for (size_t i = 0; i < nt; i++) {
            const unet_tensor *ut = unet_tensor_at(t->net, i);
            const size_t k = m * nt + i;
            snprintf(names[k], sizeof names[k], "%s.%s", moment_prefix(t->opt.kind, m), ut->name);
            fill_tensor(&tensors[k], ut, names[k], data + ut->offset);
        }
    }
    char epoch[32], step[32];
    snprintf(epoch, sizeof epoch, "%d", t->epoch);
    snprintf(step, sizeof step, "%ld", t->opt.step);
    const st_meta meta[] = { { "optimizer", t->opt.kind == OPT_ADAM ? "adam" : "sgd" },
                             { "step", step }, { "epoch", epoch }, { "config_hash", config_hash } };
    int rc = safetensors_write(path, tensors, nt * moments, meta, sizeof meta / sizeof meta[0], err,
                               errlen);
    free(tensors);
    free(names);
    return rc;
}

static int load_optimizer(trainer *t, const char *path, int epoch, char *err, size_t errlen)
{
    st_file f;
    if (safetensors_read(path, &f, err, errlen) != 0)
        return -1;
    int rc = 0;
    const char *ep = safetensors_meta(&f, "epoch"), *step = safetensors_meta(&f, "step");
    if (!ep || atoi(ep) != epoch || !step) {
        snprintf(err, errlen, "%s: optimizer state of epoch %s, expected %d", path, ep ? ep : "?",
                 epoch);
        rc = -1;
    }
    const int moments = t->opt.kind == OPT_ADAM ? 2 : 1;
    for (int m = 0; rc == 0 && m < moments; m++) {
        float *data = m == 0 ? t->opt.m : t->opt.v;
        for (size_t i = 0; rc == 0 && i < unet_tensor_count(t->net); i++) {
            const unet_tensor *ut = unet_tensor_at(t->net, i);
            char name[UNET_NAME_LEN + 16];
            snprintf(name, sizeof name, "%s.%s", moment_prefix(t->opt.kind, m), ut->name);
            const st_tensor *st = safetensors_find(&f, name);
            size_t count = 1;
            for (int k = 0; st && k < st->ndim; k++)
                count *= (size_t)st->shape[k];
            if (!st || count != ut->count) {
                snprintf(err, errlen, "%s: %s is missing or has the wrong size", path, name);
                rc = -1;
                break;
            }
            memcpy(data + ut->offset, st->data, sizeof(float) * count);
        }
    }
    if (rc == 0)
        t->opt.step = atol(step);
    safetensors_free(&f);
    return rc;
}

static int load_weights_at(trainer *t, const char *path, int epoch, char *err, size_t errlen)
{
    st_file f;
    if (safetensors_read(path, &f, err, errlen) != 0)
        return -1;
    const char *ep = safetensors_meta(&f, "epoch");
    const int ok = ep && atoi(ep) == epoch;
    if (!ok)
        snprintf(err, errlen, "%s: weights of epoch %s, expected %d", path, ep ? ep : "?", epoch);
    safetensors_free(&f);
    return ok ? unet_load_weights(t->net, path, err, errlen) : -1;
}

/* ---- set-up ---------------------------------------------------------------------------------- */

static void trainer_free(trainer *t)
{
    if (!t)
        return;
    unet_free(t->net);
    free(t->xb);
    free(t->yb);
    free(t->dy);
    free(t->loss_scratch);
    free(t->train_x);
    free(t->order);
    free(t->val_pred);
    free(t->test_pred);
    free(t->best_params);
    free(t->swap_params);
    if (t->rng)
        gsl_rng_free(t->rng);
    free(t);
}

static trainer *trainer_new(const run_options *o, const dataset *ds, char *err, size_t errlen)
{
    trainer *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->o = o;
    t->ds = ds;
    const int patch = ds->train.h;
    t->hw = patch * ds->train.w;
    /* A batch larger than the training set is one partial batch per epoch. */
    t->batch = o->train.batch_size < (long)ds->train.n ? o->train.batch_size : (int)ds->train.n;
    if (unet_create(&t->net, &o->model, patch, t->batch, o->train.threads, err, errlen) != 0) {
        free(t);
        return NULL;
    }
    const size_t bfloats = (size_t)t->batch * t->hw * 3;
    t->xb = malloc(sizeof(float) * bfloats);
    t->yb = malloc(sizeof(float) * bfloats);
    t->dy = malloc(sizeof(float) * bfloats);
    t->loss_scratch = malloc(sizeof(double) * LOSS_SCRATCH_PER_PIXEL * t->hw * o->train.threads);
    t->order = malloc(sizeof(size_t) * ds->train.n);
    t->val_pred = malloc(sizeof(float) * ds->val.n * t->hw * 3 + 1);
    t->test_pred = malloc(sizeof(float) * ds->test.n * t->hw * 3 + 1);
    t->best_params = malloc(sizeof(float) * unet_param_count(t->net) + 1);
    t->swap_params = malloc(sizeof(float) * unet_param_count(t->net) + 1);
    if (ds->train_x_varies)
        t->train_x = malloc(sizeof(float) * ds->train.n * t->hw * 3);
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!t->xb || !t->yb || !t->dy || !t->loss_scratch || !t->order || !t->val_pred ||
        !t->test_pred || !t->best_params || !t->swap_params ||
        (ds->train_x_varies && !t->train_x) || !t->rng) {
        snprintf(err, errlen, "out of memory for the training buffers");
        trainer_free(t);
        return NULL;
    }
    optim_init(&t->opt, o->train.optimizer, o->train.lr, o->train.momentum, unet_moment(t->net, 0),
               unet_moment(t->net, 1), unet_param_count(t->net));
    const long steps_per_epoch = (long)((ds->train.n + (size_t)t->batch - 1) / (size_t)t->batch);
    const int decay_epochs = o->train.schedule == LR_WSD
                                 ? lr_wsd_decay_epochs(o->train.epochs, o->train.decay_fraction)
                                 : 0;
    t->schedule = (lr_schedule){ o->train.schedule, o->train.lr, o->train.lr_min,
                                 o->train.warmup_steps, steps_per_epoch * o->train.epochs,
                                 steps_per_epoch * decay_epochs, o->train.decay_shape };
    return t;
}

/* ---- one epoch ------------------------------------------------------------------------------- */

/* Copies samples order[0..nb) of an NHWC array into a channel-major batch. */
static void gather_batch(const float *src, const size_t *order, int nb, int hw, float *dst)
{
    const size_t plane = (size_t)nb * hw;
    for (int s = 0; s < nb; s++) {
        const float *img = src + order[s] * hw * 3;
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < 3; c++)
                dst[c * plane + (size_t)s * hw + p] = img[(size_t)p * 3 + c];
    }
}

static void shuffle_for_epoch(trainer *t, int epoch)
{
    const size_t n = t->ds->train.n;
    for (size_t i = 0; i < n; i++)
        t->order[i] = i;
    gsl_rng_set(t->rng, (unsigned long)data_derive_seed(t->o->seed, (uint64_t)epoch,
                                                        DATA_STREAM_SHUFFLE));
    gsl_ran_shuffle(t->rng, t->order, n, sizeof(size_t));
}

typedef struct step_means {
    double loss, pixel, lap;
    long steps;
} step_means;

/* Returns 0, 1 when stopped by the flag, 2 when the loss stopped being finite, -1 when the
 * progress callback or the data failed. */
static int train_epoch(trainer *t, int epoch, const train_hooks *hooks, step_means *sm,
                       char *err, size_t errlen)
{
    const dataset *ds = t->ds;
    const size_t n = ds->train.n;
    const float *x = ds->train.x;
    if (ds->train_x_varies) {
        dataset_train_inputs(ds, &t->o->data, t->o->seed, epoch, t->train_x);
        x = t->train_x;
    }
    shuffle_for_epoch(t, epoch);
    memset(sm, 0, sizeof *sm);
    const double t0 = now_seconds();
    for (size_t s0 = 0; s0 < n; s0 += (size_t)t->batch) {
        if (hooks->stop && *hooks->stop)
            return 1;
        const int nb = (int)(n - s0 < (size_t)t->batch ? n - s0 : (size_t)t->batch);
        gather_batch(x, t->order + s0, nb, t->hw, t->xb);
        gather_batch(ds->train.y, t->order + s0, nb, t->hw, t->yb);
        const float *yhat = unet_forward(t->net, t->xb, nb);
        loss_value lv = loss_forward_backward(&t->o->loss, yhat, t->yb, t->dy, t->loss_scratch,
                                              t->o->train.threads, nb,
                                              ds->train.h, ds->train.w);
        if (!isfinite(lv.total)) {
            snprintf(err, errlen, "the loss became %s at epoch %d, step %ld", isnan(lv.total) ?
                     "NaN" : "infinite", epoch, sm->steps + 1);
            return 2;
        }
        unet_zero_grads(t->net);
        unet_backward(t->net, t->dy, nb);
        t->opt.lr = lr_schedule_at(&t->schedule, t->opt.step);
        optim_step(&t->opt, unet_params(t->net), unet_grads(t->net));
        sm->loss += lv.total;
        sm->pixel += lv.pixel;
        sm->lap += lv.lap;
        sm->steps++;
        if (hooks->on_progress && (sm->steps % 8 == 0 || s0 + nb == n) &&
            hooks->on_progress(hooks->ctx, epoch, s0 + nb, n,
                               (s0 + nb) / (now_seconds() - t0 + 1e-12), err, errlen) != 0)
            return -1;
    }
    sm->loss /= sm->steps;
    sm->pixel /= sm->steps;
    sm->lap /= sm->steps;
    return 0;
}

/* The split's image metrics and the seconds predicting and scoring it took. */
static void evaluate(trainer *t, const data_split *sp, float *pred, double values[METRIC_COUNT])
{
    const double t0 = now_seconds();
    unet_predict(t->net, sp->x, pred, sp->n);
    metrics_compute(pred, sp->y, sp->n, sp->h, sp->w, values);
    values[METRIC_SECONDS] = now_seconds() - t0;
}

/* Predictions that are not finite show in the image metrics, which are finite otherwise (a PSNR
 * is floored, model/metrics.h): an epoch with any of them not finite diverged. */
static int metrics_finite(const double values[METRIC_COUNT])
{
    for (int m = 0; m < METRIC_COUNT; m++)
        if (metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES && !isfinite(values[m]))
            return 0;
    return 1;
}

/* The degraded inputs against their targets, what doing nothing scores: once per run, with
 * epoch 0. */
static void score_inputs(const dataset *ds, epoch_result *r)
{
    metrics_compute(ds->val.x, ds->val.y, ds->val.n, ds->val.h, ds->val.w,
                    r->values[METRIC_VAL_INPUT]);
    metrics_compute(ds->test.x, ds->test.y, ds->test.n, ds->test.h, ds->test.w,
                    r->values[METRIC_TEST_INPUT]);
}

/* A result whose every value is NaN until something is measured. */
static void result_init(epoch_result *r, int epoch)
{
    memset(r, 0, sizeof *r);
    r->epoch = epoch;
    for (int s = 0; s < METRIC_NSPLITS; s++)
        for (int m = 0; m < METRIC_COUNT; m++)
            r->values[s][m] = NAN;
}

/* The first PREVIEW_COUNT test patches (or fewer) through the network, for the preview. */
static size_t predict_preview(trainer *t)
{
    const size_t n = t->ds->test.n < PREVIEW_COUNT ? t->ds->test.n : PREVIEW_COUNT;
    unet_predict(t->net, t->ds->test.x, t->test_pred, n);
    return n;
}

/* Evaluates val (and test when this epoch is a reading), hands the epoch to the callback. A new
 * best epoch keeps its weights (for the reading at the best epoch) and predicts the preview.
 * Returns 0, -1 (callback failed) or 2 (the predictions are not finite). */
static int finish_epoch(trainer *t, epoch_result *r, int read_test, const train_hooks *hooks,
                        train_outcome *out, char *err, size_t errlen)
{
    double *val = r->values[METRIC_VAL], *test = r->values[METRIC_TEST];
    evaluate(t, &t->ds->val, t->val_pred, val);
    r->measured[METRIC_VAL] = 1;
    if (read_test) {
        evaluate(t, &t->ds->test, t->test_pred, test);
        r->measured[METRIC_TEST] = 1;
    }
    if (!metrics_finite(val) || (read_test && !metrics_finite(test))) {
        snprintf(err, errlen, "the predictions are not finite after epoch %d", r->epoch);
        return 2;
    }
    const double selected = val[METRIC_SELECTION];
    r->is_best = isfinite(selected) && (out->best_epoch < 0 ||
                                        metric_better(METRIC_SELECTION, selected, out->best_value));
    if (r->is_best) {
        out->best_epoch = r->epoch;
        out->best_value = selected;
        memcpy(t->best_params, unet_params(t->net), sizeof(float) * unet_param_count(t->net));
        t->have_best = 1;
        r->test_pred_n = read_test ? (t->ds->test.n < PREVIEW_COUNT ? t->ds->test.n
                                                                    : PREVIEW_COUNT)
                                   : predict_preview(t);
        r->test_pred = t->test_pred;
    }
    t->epoch = r->epoch;
    if (hooks->on_epoch && hooks->on_epoch(hooks->ctx, t, r, err, errlen) != 0)
        return -1;
    out->epochs_done = r->epoch;
    return 0;
}

/* The reading at the best epoch, when it is earlier than the last: the test split through the
 * weights kept from that epoch. Returns 0, -1 (no such weights, or the callback failed) or 2. */
static int read_best_epoch(trainer *t, const train_hooks *hooks, const train_outcome *out,
                           char *err, size_t errlen)
{
    if (!t->have_best) {
        snprintf(err, errlen, "no weights of the best epoch %d to read the test split with",
                 out->best_epoch);
        return -1;
    }
    const size_t bytes = sizeof(float) * unet_param_count(t->net);
    float *params = unet_params(t->net);
    memcpy(t->swap_params, params, bytes);
    memcpy(params, t->best_params, bytes);
    epoch_result r;
    result_init(&r, out->best_epoch);
    evaluate(t, &t->ds->test, t->test_pred, r.values[METRIC_TEST]);
    r.measured[METRIC_TEST] = 1;
    memcpy(params, t->swap_params, bytes);
    if (!metrics_finite(r.values[METRIC_TEST])) {
        snprintf(err, errlen, "the predictions are not finite at the best epoch %d",
                 out->best_epoch);
        return 2;
    }
    if (hooks->on_reading && hooks->on_reading(hooks->ctx, t, &r, err, errlen) != 0)
        return -1;
    return 0;
}

/* Loads the weights of the best epoch a resumed run found before (best.safetensors) into the
 * kept copy. The network's own weights are loaded after. */
static int load_best(trainer *t, const char *path, int epoch, char *err, size_t errlen)
{
    if (load_weights_at(t, path, epoch, err, errlen) != 0)
        return -1;
    memcpy(t->best_params, unet_params(t->net), sizeof(float) * unet_param_count(t->net));
    t->have_best = 1;
    return 0;
}

int train_run(const run_options *o, const dataset *ds, const train_resume *resume,
              const train_hooks *hooks, train_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->status = TRAIN_FAILED;
    out->epochs_done = resume ? resume->epochs_done : -1;
    out->best_epoch = resume ? resume->best_epoch : -1;
    out->best_value = resume ? resume->best_value : NAN;
    if (ds->train.n == 0 || ds->val.n == 0 || ds->test.n == 0) {
        snprintf(err, errlen, "every split needs at least one patch");
        return -1;
    }
    omp_set_num_threads(o->train.threads);
    trainer *t = trainer_new(o, ds, err, errlen);
    if (!t)
        return -1;
    out->param_count = unet_param_count(t->net);

    int rc = 0;
    const int done = out->epochs_done;
    const int trajectory = resume && resume->trajectory;
    if (done >= 1 && resume->best_weights_path && out->best_epoch >= 0)
        rc = load_best(t, resume->best_weights_path, out->best_epoch, err, errlen);
    if (rc == 0 && done >= 1) {
        t->epoch = done;
        rc = load_weights_at(t, resume->weights_path, done, err, errlen);
        if (rc == 0)
            rc = load_optimizer(t, resume->optim_path, done, err, errlen);
    } else {
        /* A fresh run, or one that stopped after epoch 0: the initial weights are derived from
         * the seed, so drawing them again gives init.safetensors bit for bit. */
        unet_init(t->net, data_derive_seed(o->seed, 0, DATA_STREAM_INIT));
        if (done == 0 && out->best_epoch == 0) {
            memcpy(t->best_params, unet_params(t->net), sizeof(float) * unet_param_count(t->net));
            t->have_best = 1;
        }
        if (done < 0) {
            epoch_result r;
            result_init(&r, 0);
            score_inputs(ds, &r);
            r.measured[METRIC_VAL_INPUT] = r.measured[METRIC_TEST_INPUT] = 1;
            rc = finish_epoch(t, &r, 0, hooks, out, err, errlen);
        }
    }
    for (int e = (done > 0 ? done : 0) + 1; rc == 0 && e <= o->train.epochs; e++) {
        step_means sm;
        const double t0 = now_seconds();
        rc = train_epoch(t, e, hooks, &sm, err, errlen);
        if (rc != 0)
            break;
        epoch_result r;
        result_init(&r, e);
        double *train = r.values[METRIC_TRAIN];
        train[METRIC_SECONDS] = now_seconds() - t0;
        train[METRIC_SAMPLES_PER_S] = (double)ds->train.n / train[METRIC_SECONDS];
        train[METRIC_LOSS] = sm.loss;
        train[METRIC_LOSS_PIXEL] = sm.pixel;
        train[METRIC_LOSS_LAP] = sm.lap;
        train[METRIC_LR] = t->opt.lr;
        r.measured[METRIC_TRAIN] = 1;
        if (hooks->stop && *hooks->stop) {
            rc = 1;
            break;
        }
        rc = finish_epoch(t, &r, !trajectory && e == o->train.epochs, hooks, out, err, errlen);
    }
    if (rc == 0 && !trajectory && out->epochs_done == o->train.epochs && out->best_epoch >= 0 &&
        out->best_epoch < o->train.epochs)
        rc = read_best_epoch(t, hooks, out, err, errlen);
    out->status = rc == 0 ? TRAIN_FINISHED : rc == 1 ? TRAIN_STOPPED : rc == 2 ? TRAIN_DIVERGED
                                                                              : TRAIN_FAILED;
    trainer_free(t);
    return rc < 0 ? -1 : 0;
}
