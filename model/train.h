/* model/train.h: one run's epoch loop. It trains, evaluates val after every epoch (and epoch 0,
 * the initial weights) and hands each epoch to a callback; it knows nothing of the store.
 *
 * The test split is looked at once per reading (issue 21): at the run's last epoch, and at its
 * best validation epoch when that is an earlier one (with the weights kept from that epoch), not
 * at every epoch: the validation split picks, the test split judges what was picked. Each time
 * the best epoch moves, the first PREVIEW_COUNT test patches are predicted for the preview (the
 * inputs only, not the metrics).
 *
 * Randomness is derived (docs/DESIGN.md): initial weights from the run seed; epoch e's shuffle and,
 * with fresh_noise, its train inputs from (run seed, e). A run resumed after epoch e from its
 * weights and optimizer state therefore continues bitwise. */
#ifndef WB_MODEL_TRAIN_H
#define WB_MODEL_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "model/loss.h"
#include "model/metrics.h"
#include "model/optim.h"
#include "model/unet.h"

typedef struct train_options {
    int epochs;
    int batch_size;
    enum optimizer_kind optimizer;
    double lr;
    double momentum;   /* SGD */
    int threads;       /* resolved: >= 1 */
    enum lr_schedule_kind schedule;
    double lr_min;     /* cosine, wsd: the rate it decays to */
    long warmup_steps; /* linear warm-up over this many updates; 0: none */
    double decay_fraction;  /* wsd: the decay takes the last lr_wsd_decay_epochs(epochs, this)
                             * epochs; 0: none (a trajectory's stable phase) */
    enum lr_decay_shape decay_shape;    /* wsd */
} train_options;

/* Everything one run needs besides its data. */
typedef struct run_options {
    data_options data;
    model_options model;
    train_options train;
    loss_options loss;
    uint64_t seed;      /* the run seed */
} run_options;

#define PREVIEW_COUNT 32

typedef struct epoch_result {
    int epoch;                          /* 0 = initial weights (no train metrics) */
    /* values[split][metric] of model/metrics.h's table: train, the trainer's measurements (the
     * losses are running means over the epoch's steps); val and test, every image metric and
     * the seconds evaluation took; val_input and test_input (epoch 0 of a new run only), the
     * image metrics of the degraded inputs. NaN where the table has no such metric or nothing
     * was measured (train at epoch 0, the inputs after it). */
    double values[METRIC_NSPLITS][METRIC_COUNT];
    int measured[METRIC_NSPLITS];       /* 1 for the splits this epoch has values of: train after
                                         * epoch 0, val always, the inputs with epoch 0, test at
                                         * the last epoch (a reading) */
    int is_best;                        /* best validation METRIC_SELECTION so far (ties keep the
                                         * earlier epoch) */
    /* is_best: the first min(PREVIEW_COUNT, test n) test predictions, NHWC, valid during the
     * callback; NULL otherwise */
    const float *test_pred;
    size_t test_pred_n;
} epoch_result;

typedef struct trainer trainer;

typedef struct train_hooks {
    void *ctx;
    /* Called after each epoch, epoch 0 included. Nonzero stops training with that error
     * (I/O failure, say), err already written by the callback. */
    int (*on_epoch)(void *ctx, trainer *t, const epoch_result *r, char *err, size_t errlen);
    /* Called once a run has trained its last epoch and its best validation epoch is an earlier
     * one: the test split's image metrics at that epoch (values[METRIC_TEST] of r, the other
     * splits NaN, measured[METRIC_TEST] only), with the weights of that epoch. Nonzero fails the
     * run as on_epoch does. May be NULL. */
    int (*on_reading)(void *ctx, trainer *t, const epoch_result *r, char *err, size_t errlen);
    /* Called every few steps; may be NULL. Nonzero stops training as failed, err written by the
     * callback (the run's heartbeat found another owner, say). */
    int (*on_progress)(void *ctx, int epoch, size_t samples_done, size_t samples_total,
                       double samples_per_s, char *err, size_t errlen);
    /* Set by a signal handler: training stops at the next step boundary and discards the epoch. */
    volatile sig_atomic_t *stop;
} train_hooks;

/* Where to start: a new run, or one resumed after `epochs_done` epochs. */
typedef struct train_resume {
    int epochs_done;                /* -1: a new run, starting with epoch 0 (initial weights);
                                     * 0: epoch 0 was logged, train from epoch 1 */
    const char *weights_path;       /* last.safetensors of epoch epochs_done */
    const char *optim_path;         /* last.optim.safetensors of epoch epochs_done */
    double best_value;              /* the best validation METRIC_SELECTION so far and its epoch,
                                     * from the store */
    int best_epoch;
    /* best.safetensors of best_epoch, verified by the caller: a resumed run whose best epoch is
     * earlier than its last reads the test split with these weights (a run keeps the weights of
     * a best epoch it trained itself in memory). NULL when there are none. */
    const char *best_weights_path;
    /* A trajectory's stable phase (wb/runner.c): its epochs are no budget's end, so the test
     * split is never read. */
    int trajectory;
} train_resume;

enum train_status { TRAIN_FINISHED, TRAIN_DIVERGED, TRAIN_STOPPED, TRAIN_FAILED };

typedef struct train_outcome {
    enum train_status status;
    int epochs_done;        /* the last epoch handed to on_epoch */
    int best_epoch;
    double best_value;      /* its validation METRIC_SELECTION */
    size_t param_count;
} train_outcome;

/* Runs epochs epochs_done+1 .. train.epochs, then the reading at the best epoch when it is an
 * earlier one (also for a run resumed with every epoch done: one stopped before its reading).
 * Returns 0 with `out` filled (finished, diverged or
 * stopped), or -1 when the run failed (err says why; out->status = TRAIN_FAILED). */
int train_run(const run_options *o, const dataset *ds, const train_resume *resume,
              const train_hooks *hooks, train_outcome *out, char *err, size_t errlen);

/* For the on_epoch callback: write the current weights or optimizer state, with metadata. */
int trainer_save_weights(trainer *t, const char *path, const char *config_json,
                         const char *config_hash, const char *wb_version, char *err, size_t errlen);
int trainer_save_optimizer(trainer *t, const char *path, const char *config_hash, char *err,
                           size_t errlen);
unet *trainer_unet(trainer *t);

#endif
