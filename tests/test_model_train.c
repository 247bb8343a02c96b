/* The epoch loop: same config, seed and thread count give bitwise-equal weights; another seed
 * gives other weights; a run stopped after an epoch and resumed from its checkpoint files ends
 * bitwise where an uninterrupted run ends; a NaN loss ends the run diverged. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/train.h"
#include "support/tempdir.h"

typedef struct capture {
    const dataset *ds;      /* when set, each epoch's weights are run over its test split */
    float *params;          /* weights after the last epoch seen */
    size_t n;
    int epochs_seen;
    int stop_after;         /* save checkpoints and stop training after this epoch (0: never) */
    const char *dir;
    volatile sig_atomic_t stop;
    double val_psnr[16];
    double values[16][METRIC_NSPLITS][METRIC_COUNT];   /* every epoch's results */
    int measured[16][METRIC_NSPLITS];
    int best[16];                                       /* is_best of each epoch */
    int save_best;          /* write dir/best.safetensors at each new best epoch */
    int zero_after;         /* set every weight to 0 after this epoch's callback (0: never) */
    /* the test split through each epoch's weights, computed here, and the reading handed over */
    double test_of[16][METRIC_COUNT];
    int readings, reading_epoch;
    double reading[METRIC_COUNT];
} capture;

static int on_epoch(void *ctx, trainer *t, const epoch_result *r, char *err, size_t errlen)
{
    capture *c = ctx;
    unet *u = trainer_unet(t);
    c->n = unet_param_count(u);
    free(c->params);
    c->params = malloc(sizeof(float) * c->n);
    memcpy(c->params, unet_params(u), sizeof(float) * c->n);
    c->epochs_seen++;
    if (r->epoch < 16) {
        c->val_psnr[r->epoch] = r->values[METRIC_VAL][METRIC_PSNR];
        memcpy(c->values[r->epoch], r->values, sizeof r->values);
        memcpy(c->measured[r->epoch], r->measured, sizeof r->measured);
        c->best[r->epoch] = r->is_best;
        if (c->ds) {
            const data_split *t = &c->ds->test;
            float *pred = malloc(sizeof(float) * t->n * t->h * t->w * 3);
            unet_predict(u, t->x, pred, t->n);
            metrics_compute(pred, t->y, t->n, t->h, t->w, c->test_of[r->epoch]);
            free(pred);
        }
    }
    if (c->save_best && r->is_best) {
        char w[512];
        snprintf(w, sizeof w, "%s/best.safetensors", c->dir);
        if (trainer_save_weights(t, w, "{}", "test", "test", err, errlen) != 0)
            return -1;
    }
    if (c->zero_after && r->epoch == c->zero_after)
        memset(unet_params(u), 0, sizeof(float) * c->n);
    if (c->stop_after && r->epoch == c->stop_after) {
        char w[512], o[512];
        snprintf(w, sizeof w, "%s/last.safetensors", c->dir);
        snprintf(o, sizeof o, "%s/last.optim.safetensors", c->dir);
        if (trainer_save_weights(t, w, "{}", "test", "test", err, errlen) != 0 ||
            trainer_save_optimizer(t, o, "test", err, errlen) != 0)
            return -1;
        c->stop = 1;   /* as a signal would: the next epoch is discarded */
    }
    return 0;
}

static run_options small_run(uint64_t seed, int threads)
{
    run_options o;
    memset(&o, 0, sizeof o);
    snprintf(o.data.source, sizeof o.data.source, "builtin");
    o.data.task = DATA_TASK_DENOISE;
    o.data.patch = 16;
    o.data.train_patches = 96;
    o.data.val_patches = 16;
    o.data.test_patches = 16;
    o.data.seed = 1234;
    o.data.noise_sigma = 0.1;
    o.data.fresh_noise = 1;
    o.model = (model_options){ 2, 4, 0 };
    o.train = (train_options){ .epochs = 3, .batch_size = 20, .optimizer = OPT_ADAM, .lr = 1e-3,
                               .momentum = 0.9, .threads = threads };
    o.loss = (loss_options){ PIXEL_MSE, 0.6, LAP_K8, BORDER_REFLECT101, 0 };
    o.seed = seed;
    return o;
}

/* A run from its first epoch. */
static const train_resume fresh = { -1, NULL, NULL, 0, -1, NULL, 0 };

/* o's data, or the test fails with the reason. */
static void load_data(const run_options *o, dataset *ds)
{
    char err[512];
    if (dataset_load(&o->data, ds, err, sizeof err) != 0)
        fail_msg("dataset_load: %s", err);
}

static int on_reading(void *ctx, trainer *t, const epoch_result *r, char *err, size_t errlen)
{
    (void)t;
    (void)err;
    (void)errlen;
    capture *c = ctx;
    c->readings++;
    c->reading_epoch = r->epoch;
    memcpy(c->reading, r->values[METRIC_TEST], sizeof c->reading);
    for (int s = 0; s < METRIC_NSPLITS; s++)
        assert_int_equal(r->measured[s], s == METRIC_TEST);
    return 0;
}

static void train(const run_options *o, const dataset *ds, capture *c, const train_resume *res,
                  train_outcome *out)
{
    char err[512];
    train_hooks hooks = { c, on_epoch, on_reading, NULL, &c->stop };
    if (train_run(o, ds, res, &hooks, out, err, sizeof err) != 0)
        fail_msg("train_run: %s", err);
}

static void test_same_seed_bitwise_other_seed_differs(void **state)
{
    (void)state;
    run_options o = small_run(7, 2);
    dataset ds;
    load_data(&o, &ds);
    assert_true(ds.train_x_varies);
    capture a = { 0 }, b = { 0 }, c = { 0 };
    train_outcome out;
    train(&o, &ds, &a, &fresh, &out);
    assert_int_equal(out.status, TRAIN_FINISHED);
    assert_int_equal(a.epochs_seen, 4);   /* epochs 0..3 */
    train(&o, &ds, &b, &fresh, &out);
    assert_memory_equal(a.params, b.params, sizeof(float) * a.n);
    run_options other = small_run(8, 2);
    train(&other, &ds, &c, &fresh, &out);
    assert_memory_not_equal(a.params, c.params, sizeof(float) * a.n);
    /* Training did something: validation PSNR rose from the initial weights. */
    printf("val psnr by epoch: %.3f %.3f %.3f %.3f\n", a.val_psnr[0], a.val_psnr[1], a.val_psnr[2],
           a.val_psnr[3]);
    assert_true(a.val_psnr[3] > a.val_psnr[0]);
    free(a.params);
    free(b.params);
    free(c.params);
    dataset_free(&ds);
}

/* Stops a run after epoch 1, resumes it from its files and compares with the whole run. */
static void check_resume_is_bitwise(const run_options *ro)
{
    char dir[256];
    assert_int_equal(tempdir_create(dir, sizeof dir), 0);
    run_options o = *ro;
    dataset ds;
    load_data(&o, &ds);
    capture whole = { 0 }, first = { .stop_after = 1, .dir = dir }, rest = { 0 };
    train_outcome out;
    train(&o, &ds, &whole, &fresh, &out);
    train(&o, &ds, &first, &fresh, &out);
    assert_int_equal(out.status, TRAIN_STOPPED);
    assert_int_equal(out.epochs_done, 1);
    char w[512], opt[512];
    snprintf(w, sizeof w, "%s/last.safetensors", dir);
    snprintf(opt, sizeof opt, "%s/last.optim.safetensors", dir);
    train_resume resume = { 1, w, opt, out.best_value, out.best_epoch, NULL, 0 };
    train(&o, &ds, &rest, &resume, &out);
    assert_int_equal(out.status, TRAIN_FINISHED);
    assert_int_equal(rest.epochs_seen, 2);   /* epochs 2 and 3 */
    assert_memory_equal(whole.params, rest.params, sizeof(float) * whole.n);
    free(whole.params);
    free(first.params);
    free(rest.params);
    dataset_free(&ds);
    tempdir_remove(dir);
}

static void test_resume_is_bitwise(void **state)
{
    (void)state;
    run_options o = small_run(11, 2);
    check_resume_is_bitwise(&o);
}

/* The cosine schedule with warm-up is a function of the update count, which the optimizer state
 * carries: a resumed run continues on the same rates. 5 updates per epoch, warm-up over 7, so the
 * stop after epoch 1 falls inside the warm-up and the resumed epochs cross into the cosine. */
static void test_resume_is_bitwise_with_cosine_warmup(void **state)
{
    (void)state;
    run_options o = small_run(11, 2);
    o.train.schedule = LR_COSINE;
    o.train.lr = 3e-3;
    o.train.lr_min = 1e-5;
    o.train.warmup_steps = 7;
    check_resume_is_bitwise(&o);
}

/* With the residual connection the output layer starts at zero, so the untrained network is the
 * identity: epoch 0's metrics are the degraded input's. */
static void test_residual_starts_at_identity(void **state)
{
    (void)state;
    run_options o = small_run(5, 1);
    o.model.residual = 1;
    o.train.epochs = 1;
    dataset ds;
    load_data(&o, &ds);
    double input[METRIC_COUNT];
    metrics_compute(ds.val.x, ds.val.y, ds.val.n, ds.val.h, ds.val.w, input);
    capture c = { 0 };
    train_outcome out;
    train(&o, &ds, &c, &fresh, &out);
    assert_int_equal(out.status, TRAIN_FINISHED);
    printf("input val PSNR %.6f, epoch 0 %.6f, epoch 1 %.6f\n", input[METRIC_PSNR],
           c.val_psnr[0], c.val_psnr[1]);
    assert_true(c.val_psnr[0] == input[METRIC_PSNR]);
    assert_true(c.val_psnr[1] != input[METRIC_PSNR]);   /* and it trains away from it */
    /* The "do nothing" reference is epoch 0's val_input (and test_input), and only epoch 0's. */
    for (int m = 0; m < METRIC_COUNT; m++) {
        const int image = metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES;
        assert_true(image ? c.values[0][METRIC_VAL_INPUT][m] == input[m]
                          : isnan(c.values[0][METRIC_VAL_INPUT][m]));
        assert_int_equal(isfinite(c.values[0][METRIC_TEST_INPUT][m]), image);
        assert_true(isnan(c.values[1][METRIC_VAL_INPUT][m]));
        assert_true(isnan(c.values[1][METRIC_TEST_INPUT][m]));
    }
    free(c.params);
    dataset_free(&ds);
}

/* Constant (black) validation patches that the untrained network maps exactly, as deblurring and
 * 2x super-resolution have them (here a residual network, which starts as the identity, and
 * patches whose input is their target): their PSNR was +inf, so the mean validation PSNR was +inf
 * at epoch 0 and epoch 0 was the best. Now every metric is finite, and the best epoch is the one
 * with the lowest validation MSE (ties to the earlier), which training reaches after epoch 0. */
static void test_constant_patches_do_not_pick_epoch_0(void **state)
{
    (void)state;
    run_options o = small_run(5, 1);
    o.model.residual = 1;
    o.train.epochs = 4;
    o.train.lr = 3e-3;
    dataset ds;
    load_data(&o, &ds);
    const size_t img = (size_t)ds.val.h * ds.val.w * 3;
    for (size_t i = 0; i < ds.val.n / 2; i++) {
        memset(ds.val.x + i * img, 0, sizeof(float) * img);
        memset(ds.val.y + i * img, 0, sizeof(float) * img);
    }
    capture c = { 0 };
    train_outcome out;
    train(&o, &ds, &c, &fresh, &out);
    assert_int_equal(out.status, TRAIN_FINISHED);
    int best = 0;
    for (int e = 0; e <= o.train.epochs; e++) {
        const double *val = c.values[e][METRIC_VAL];
        printf("epoch %d: val mse %.6g psnr %.4f psnr_pooled %.4f%s\n", e, val[METRIC_MSE],
               val[METRIC_PSNR], val[METRIC_PSNR_POOLED], c.best[e] ? " (best so far)" : "");
        /* The test split is read at the last epoch only (model/train.h). */
        for (int s = METRIC_VAL; s <= (e == o.train.epochs ? METRIC_TEST : METRIC_VAL); s++)
            for (int m = 0; m < METRIC_COUNT; m++)
                if (metric_in_split((enum metric_id)m, (enum metric_split)s))
                    assert_true(isfinite(c.values[e][s][m]));
        if (val[METRIC_MSE] < c.values[best][METRIC_VAL][METRIC_MSE])
            best = e;
    }
    assert_true(c.values[0][METRIC_VAL][METRIC_PSNR] <= 10 * log10(12.0 * 255 * 255) + 1e-9);
    assert_int_equal(out.best_epoch, best);
    assert_true(out.best_value == c.values[best][METRIC_VAL][METRIC_MSE]);
    assert_int_not_equal(out.best_epoch, 0);
    /* The mean of per-patch PSNRs, even floored, still peaks at epoch 0 here (the black patches
     * count 58.92 dB each): selecting on it would keep the initial weights. */
    assert_true(c.values[0][METRIC_VAL][METRIC_PSNR] > c.values[best][METRIC_VAL][METRIC_PSNR]);
    double running = INFINITY;   /* is_best marks each new lowest MSE, and only those */
    for (int e = 0; e <= o.train.epochs; e++) {
        const double mse = c.values[e][METRIC_VAL][METRIC_MSE];
        assert_int_equal(c.best[e], mse < running);
        running = mse < running ? mse : running;
    }
    free(c.params);
    dataset_free(&ds);
}

static void test_sgd_lr_10_diverges(void **state)
{
    (void)state;
    char err[512];
    run_options o = small_run(3, 1);
    o.train.optimizer = OPT_SGD;
    o.train.lr = 10;
    dataset ds;
    load_data(&o, &ds);
    capture c = { 0 };
    train_hooks hooks = { &c, on_epoch, NULL, NULL, &c.stop };
    train_outcome out;
    assert_int_equal(train_run(&o, &ds, &fresh, &hooks, &out, err, sizeof err), 0);
    assert_int_equal(out.status, TRAIN_DIVERGED);
    printf("diverged: %s (epochs done %d)\n", err, out.epochs_done);
    assert_non_null(strstr(err, "epoch 1"));
    free(c.params);
    dataset_free(&ds);
}

/* The test split is read at the last epoch and, when the best validation epoch is an earlier
 * one, once more after training with that epoch's weights (issue 21): here the weights are zeroed
 * after epoch 2, so epoch 3 is worse and epoch 2 stays the best. The reading equals the test split
 * run through epoch 2's weights; val is measured every epoch, test at no other. */
static void test_test_split_read_at_last_and_best_epoch(void **state)
{
    (void)state;
    run_options o = small_run(5, 1);
    dataset ds;
    load_data(&o, &ds);
    capture c = { .ds = &ds, .zero_after = 2 };
    train_outcome out;
    train(&o, &ds, &c, &fresh, &out);
    assert_int_equal(out.status, TRAIN_FINISHED);
    assert_int_equal(out.best_epoch, 2);
    for (int e = 0; e <= 3; e++) {
        assert_int_equal(c.measured[e][METRIC_VAL], 1);
        assert_int_equal(c.measured[e][METRIC_TEST], e == 3);
        assert_int_equal(c.measured[e][METRIC_TRAIN], e > 0);
        assert_int_equal(c.measured[e][METRIC_VAL_INPUT], e == 0);
    }
    for (int m = 0; m < METRIC_COUNT; m++)
        if (metric_in_split((enum metric_id)m, METRIC_TEST) &&
            metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES) {
            assert_true(c.values[3][METRIC_TEST][m] == c.test_of[3][m]);
            assert_true(c.reading[m] == c.test_of[2][m]);
        }
    assert_int_equal(c.readings, 1);
    assert_int_equal(c.reading_epoch, 2);
    /* When the last epoch is the best, its own reading is all there is. */
    capture plain = { 0 };
    train(&o, &ds, &plain, &fresh, &out);
    if (out.best_epoch == o.train.epochs)
        assert_int_equal(plain.readings, 0);
    free(c.params);
    free(plain.params);
    dataset_free(&ds);
}

/* wsd (issue 21): a budget trained through its trajectory (the stable phase to the epoch where the
 * budget's decay starts, no decay, no test reading; then resumed from those files with the
 * budget's own schedule) ends bit for bit where the budget trained alone ends: weights, every
 * metric of the epochs after the fork, the reading. */
static void test_wsd_branch_equals_alone(void **state)
{
    (void)state;
    char dir[256];
    assert_int_equal(tempdir_create(dir, sizeof dir), 0);
    run_options o = small_run(9, 2);
    o.train.schedule = LR_WSD;
    o.train.epochs = 5;
    o.train.decay_fraction = 0.4;   /* 2 epochs of decay: the fork is at epoch 3 */
    o.train.decay_shape = LR_DECAY_SQRT;
    o.train.lr_min = 1e-5;
    o.train.warmup_steps = 3;
    const int fork = o.train.epochs - lr_wsd_decay_epochs(o.train.epochs, o.train.decay_fraction);
    assert_int_equal(fork, 3);
    dataset ds;
    load_data(&o, &ds);
    capture alone = { 0 };
    train_outcome a;
    train(&o, &ds, &alone, &fresh, &a);
    assert_int_equal(a.status, TRAIN_FINISHED);

    run_options stable = o;
    stable.train.epochs = fork;
    stable.train.decay_fraction = 0;
    capture trunk = { .stop_after = fork, .dir = dir, .save_best = 1 };
    train_resume as_trajectory = fresh;
    as_trajectory.trajectory = 1;
    train_outcome t;
    train(&stable, &ds, &trunk, &as_trajectory, &t);
    assert_int_equal(t.epochs_done, fork);
    for (int e = 0; e <= fork; e++) {
        assert_int_equal(trunk.measured[e][METRIC_TEST], 0);   /* no reading in a trajectory */
        for (int m = 0; m < METRIC_COUNT; m++)
            if (m != METRIC_SECONDS)
                assert_memory_equal(&trunk.values[e][METRIC_VAL][m],
                                    &alone.values[e][METRIC_VAL][m], sizeof(double));
    }
    assert_int_equal(trunk.readings, 0);

    char w[512], opt[512], best[512];
    snprintf(w, sizeof w, "%s/last.safetensors", dir);
    snprintf(opt, sizeof opt, "%s/last.optim.safetensors", dir);
    snprintf(best, sizeof best, "%s/best.safetensors", dir);
    train_resume branch_start = { fork, w, opt, t.best_value, t.best_epoch, best, 0 };
    capture branch = { 0 };
    train_outcome b;
    train(&o, &ds, &branch, &branch_start, &b);
    assert_int_equal(b.status, TRAIN_FINISHED);
    assert_int_equal(b.best_epoch, a.best_epoch);
    assert_memory_equal(branch.params, alone.params, sizeof(float) * alone.n);
    for (int e = fork + 1; e <= o.train.epochs; e++)
        for (int s = METRIC_TRAIN; s <= METRIC_TEST; s++)
            for (int m = 0; m < METRIC_COUNT; m++)
                if (m != METRIC_SECONDS && m != METRIC_SAMPLES_PER_S)
                    assert_memory_equal(&branch.values[e][s][m], &alone.values[e][s][m],
                                        sizeof(double));
    assert_int_equal(branch.readings, alone.readings);
    if (alone.readings)
        assert_memory_equal(branch.reading, alone.reading, sizeof alone.reading);
    printf("wsd budget 5 alone and through its trajectory (fork 3): val psnr_pooled %.6f and %.6f,"
           " best epoch %d\n", alone.values[5][METRIC_VAL][METRIC_PSNR_POOLED],
           branch.values[5][METRIC_VAL][METRIC_PSNR_POOLED], b.best_epoch);
    free(alone.params);
    free(trunk.params);
    free(branch.params);
    dataset_free(&ds);
    tempdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_bitwise_other_seed_differs),
        cmocka_unit_test(test_resume_is_bitwise),
        cmocka_unit_test(test_resume_is_bitwise_with_cosine_warmup),
        cmocka_unit_test(test_residual_starts_at_identity),
        cmocka_unit_test(test_constant_patches_do_not_pick_epoch_0),
        cmocka_unit_test(test_sgd_lr_10_diverges),
        cmocka_unit_test(test_test_split_read_at_last_and_best_epoch),
        cmocka_unit_test(test_wsd_branch_equals_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
