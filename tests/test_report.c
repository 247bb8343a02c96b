/* tests/test_report.c: analysis/analysis, plots/grid, plots/charts and plots/report on a database
 * built here through the store's own API, with metric values chosen so that every statistic can
 * be worked out by hand:
 *
 *   sweep "syn <b>'\"`x`" (a name that needs escaping everywhere), 2 epochs, seeds 1, 2, 3:
 *     λ = 0            test PSNR at the last epoch 20, 21, 22
 *     λ = 0.5, K4      20.5, 21.7, 22.6    differences 0.5, 0.7, 0.6: helps
 *     λ = 0.5, K8      19.0, 20.2, and seed 3 diverged after epoch 1
 *                                          differences -1.0, -0.8 (two pairs)
 *   sweep "single": λ = 0 and λ = 0.5 K4 with seed 1 only (no interval, no test)
 *   sweep "orphan": λ = 0.5 K4 with another learning rate, no λ = 0 with it (no baseline)
 *   sweep "decide": one λ = 0.5 K4 configuration and its own baseline per learning rate, 4 epochs,
 *     whose final test PSNRs are the data sets of tests/fixtures/stats_reference.h's TOST cases
 *     (equivalent, helps, the same swapped: hurts, a trivial difference) and two made here
 *     (undecided: paired sd 0.3 over 2 seeds; not converged: a run whose validation PSNR still
 *     rises 0.3 dB over its last epoch), so every verdict of stats_decide appears once; and
 *     "decide, δ 0.5": the same runs under a [report] section that widens the margin.
 *
 * Student's t for df = 1 and 2 has closed forms, used here instead of GSL so the expected values
 * do not come from the code under test:
 *   df = 1: quantile tan(pi (p - 1/2)), two-sided p 1 - (2/pi) atan|t|
 *   df = 2: quantile (2p - 1) / sqrt(2 p (1 - p)), two-sided p 1 - |t| / sqrt(t^2 + 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/check_ok.h"
#include "support/fakehash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "analysis/answer.h"
#include "analysis/keytable.h"
#include "data/image.h"
#include "data/npy.h"
#include "plots/charts.h"
#include "plots/grid.h"
#include "plots/report.h"
#include "store/store.h"
#include "support/tempdir.h"
#include "wb/cmd.h"

/* The fixture holds every statistic's cases; this test uses the TOST, MDE and seeds ones. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#include "fixtures/stats_reference.h"
#pragma GCC diagnostic pop

/* The series the tests look at. */
#define TEST_PSNR ANALYSIS_SERIES(METRIC_TEST, METRIC_PSNR_POOLED)   /* the primary metric */
#define TEST_MSE ANALYSIS_SERIES(METRIC_TEST, METRIC_MSE)

#define SYN_NAME "syn <b>'\"`x`"
#define EPOCHS 2
#define PREVIEW_N 4
#define PATCH 8

/* ---- building the database ------------------------------------------------------------- */

/* What one run is: its configuration and the test PSNR (and MSE) it ends with. */
typedef struct run_plan {
    const char *lambda, *kernel, *lr;
    int64_t seed;
    double psnr, mse;
    int diverge;            /* ends diverged after epoch 1 */
    /* The "decide" runs: DECIDE_EPOCHS epochs, test PSNR only at its planned value in the last,
     * validation PSNR rising by val_gain over the last (0: the syn runs' plan above). */
    double val_gain;
} run_plan;

#define DECIDE_EPOCHS 4

static int64_t add_sweep_with(store *s, const char *name, const char *ini_text, const char *axes)
{
    store_sweep_info info = { .name = name, .ini_text = ini_text, .ini_path = "syn.ini",
                              .axes = axes, .host = "testhost", .wb_version = "0.1.0",
                              .git_commit = "abc123", .git_dirty = 1 };
    int64_t id = 0;
    CHECK_OK(store_upsert_sweep(s, &info, &id, ERR));
    return id;
}

static int64_t add_sweep(store *s, const char *name)
{
    return add_sweep_with(s, name, "[sweep]\nname = <i>x</i>\n",
                          "loss.laplacian_weight,loss.kernel");
}

/* A "decide" run's epoch: validation PSNR 20, 25, 26, 26 + 0.01 (converged) or + val_gain, and
 * the MSE that goes with it. */
static void log_decide_epoch(store *s, int64_t run, int epoch, const run_plan *p)
{
    static const double val[DECIDE_EPOCHS] = { 20, 25, 26, 26 };
    const int last = epoch == DECIDE_EPOCHS;
    const double test = last ? p->psnr : p->psnr - 1, v = last ? 26 + p->val_gain : val[epoch];
    store_metric m[] = {
        { "test", "psnr", test }, { "test", "psnr_pooled", test },
        { "val", "psnr", v }, { "val", "psnr_pooled", v },
        { "val", "mse", pow(10, -v / 10) },     /* picks the best epoch: the last */
    };
    CHECK_OK(store_log_epoch(s, run, epoch, m, 5, NULL, 0, NULL, 0, ERR));
}

static void log_epoch(store *s, int64_t run, int epoch, const run_plan *p)
{
    /* The last epoch holds the planned values; earlier ones are worse. Validation PSNR peaks (and
     * validation MSE, which picks the best epoch, is lowest) at the last epoch, except that seed 1
     * of λ = 0.5 K4 peaks at epoch 1 (its test PSNR there is 30, so the best-epoch statistics
     * differ visibly) and seed 2 of λ = 0 ties epochs 1 and 2 (the earlier one is best). */
    int last = epoch == EPOCHS;
    int k4_seed1 = p->kernel && strcmp(p->kernel, "4") == 0 && p->seed == 1 && !p->lr;
    double test_psnr = last ? p->psnr : k4_seed1 && epoch == 1 ? 30 : p->psnr - 5 + epoch;
    /* Converged (analysis.h): the last epoch gains at most ANALYSIS_CONVERGED_GAIN over the one
     * before (the last quarter of 2 epochs). */
    double val_psnr = k4_seed1 ? (epoch == 1 ? 40 : 10 + epoch)
                      : p->seed == 2 && !p->kernel ? (epoch >= 1 ? 25 : 10)
                      : epoch == EPOCHS            ? 10 + EPOCHS - 1 + 0.04
                                                   : 10 + epoch;
    store_metric m[24];
    size_t n = 0;
    /* Pooled PSNR, the primary metric, as the per-patch mean: one set of numbers for both. */
    m[n++] = (store_metric){ "test", "psnr", test_psnr };
    m[n++] = (store_metric){ "test", "psnr_pooled", test_psnr };
    m[n++] = (store_metric){ "val", "psnr_pooled", val_psnr };
    m[n++] = (store_metric){ "test", "ssim", 0.5 + 0.01 * epoch };
    m[n++] = (store_metric){ "test", "mse", last ? p->mse : 0.1 };
    m[n++] = (store_metric){ "test", "lap4_mse", 0.02 + 0.001 * p->seed };
    m[n++] = (store_metric){ "test", "lap8_mse", 0.08 + 0.002 * p->seed + 0.01 * epoch };
    m[n++] = (store_metric){ "val", "psnr", val_psnr };
    m[n++] = (store_metric){ "val", "ssim", 0.5 };
    m[n++] = (store_metric){ "val", "mse", pow(10, -val_psnr / 10) };   /* as the PSNR says */
    m[n++] = (store_metric){ "val", "lap4_mse", 0.02 };
    m[n++] = (store_metric){ "val", "lap8_mse", 0.08 };
    /* The input scores 19.5 dB pooled, so of the sweep's runs only seed 1 of λ = 0.5 K8 (19.0 dB
     * at the last epoch) ends below it. */
    if (epoch == 0) {
        m[n++] = (store_metric){ "test_input", "psnr_pooled", 19.5 };
        m[n++] = (store_metric){ "val_input", "psnr_pooled", 19.25 };
    }
    if (epoch > 0) {
        m[n++] = (store_metric){ "train", "loss", 0.1 / epoch };
        m[n++] = (store_metric){ "train", "loss_pixel", 0.08 / epoch };
        if (p->kernel)
            m[n++] = (store_metric){ "train", "loss_lap", 0.04 / epoch };
    }
    CHECK_OK(store_log_epoch(s, run, epoch, m, n, NULL, 0, NULL, 0, ERR));
}

static int64_t add_run(store *s, int64_t sweep, int grid_index, const run_plan *p)
{
    const char *lr = p->lr ? p->lr : "0.001";
    char text[256], id[65], hash[65];
    snprintf(text, sizeof text, "%s/%s/%s", p->lambda, p->kernel ? p->kernel : "-", lr);
    fake_hash(text, id);
    snprintf(text + strlen(text), sizeof text - strlen(text), "/%lld", (long long)p->seed);
    fake_hash(text, hash);
    const store_param params[] = {
        { "data.task", "denoise" },        { "data.patch", "8" },
        { "model.depth", "1" },            { "train.epochs", p->val_gain ? "4" : "2" },
        { "train.lr", lr },                { "train.optimizer", "adam" },
        { "train.threads", p->seed == 2 ? "4" : "1" },   /* may differ from the baseline's */
        { "loss.pixel", "mse" },           { "loss.laplacian_weight", p->lambda },
        { "loss.kernel", p->kernel },      { "loss.border", p->kernel ? "reflect101" : NULL },
        { "loss.kernel_norm", p->kernel ? "none" : NULL },
    };
    store_run_spec spec = { .config_hash = hash, .config_id = id, .seed = p->seed,
                            .grid_index = grid_index, .config_json = "{}", .params = params,
                            .nparams = sizeof params / sizeof params[0],
                            .data_source = "synthetic" };
    int64_t run = 0;
    int created = 0;
    CHECK_OK(store_add_run(s, sweep, &spec, &run, &created, ERR));
    if (!created)   /* a run another sweep already trained: shared, not trained again */
        return run;
    store_claim_info ci = { .pid = getpid(), .host = "testhost", .threads = 2,
                            .gemm_library = "testgemm", .compiler = "testcc",
                            .wb_version = "0.1.0" };
    int claimed = 0;
    CHECK_OK(store_claim_run(s, run, &ci, &claimed, ERR));
    assert_int_equal(claimed, 1);
    for (int e = 0; e <= (p->diverge ? 1 : p->val_gain ? DECIDE_EPOCHS : EPOCHS); e++)
        if (p->val_gain)
            log_decide_epoch(s, run, e, p);
        else
            log_epoch(s, run, e, p);
    if (p->diverge)
        CHECK_OK(store_finish_run(s, run, STORE_DIVERGED,
                                  "the loss became NaN at epoch 2, step 1 | <b>", ERR));
    else
        CHECK_OK(store_finish_run(s, run, STORE_FINISHED, NULL, ERR));
    return run;
}

static const run_plan syn_runs[] = {
    { "0", NULL, NULL, 1, 20.0, 0.010, 0, 0 },
    { "0", NULL, NULL, 2, 21.0, 0.011, 0, 0 },
    { "0", NULL, NULL, 3, 22.0, 0.012, 0, 0 },
    { "0.5", "4", NULL, 1, 20.5, 0.0120, 0, 0 },
    { "0.5", "4", NULL, 2, 21.7, 0.0131, 0, 0 },
    { "0.5", "4", NULL, 3, 22.6, 0.0142, 0, 0 },
    { "0.5", "8", NULL, 1, 19.0, 0.0105, 0, 0 },
    { "0.5", "8", NULL, 2, 20.2, 0.0112, 0, 0 },
    { "0.5", "8", NULL, 3, 0, 0, 1, 0 },
};

/* ---- the "decide" sweeps: one configuration per verdict --------------------------------- */

#define CONVERGED_GAIN 0.01     /* below ANALYSIS_CONVERGED_GAIN */

/* Each case is a learning rate (its own baseline; not the syn runs' 0.001 nor the orphans' 0.01,
 * whose fake hashes would be shared) with n seeds of final test PSNR. */
typedef struct decide_case {
    const char *lr;
    enum stats_verdict verdict;
    size_t n;
    const double *treatment, *baseline;
    double gain_of_seed_3;          /* validation gain of the treatment's seed 3 */
    const tost_ref *ref;            /* the fixture case, or NULL */
} decide_case;

/* Undecided: differences 0.1 -+ 0.3/sqrt(2), paired sd 0.3 over 2 seeds: seeds_reference[2]
 * (δ 0.2, sd 0.3) needs 20 seeds. */
static const double undecided_treatment[] = { 30.1 - 0.21213203435596426,
                                              30.1 + 0.21213203435596426 };
static const double undecided_baseline[] = { 30, 30 };

#define NDECIDE 6
static decide_case decide_cases(int i)
{
    const tost_ref *eq = &tost_reference[1], *diff = &tost_reference[2],
                   *trivial = &tost_reference[8];
    const decide_case cases[NDECIDE] = {
        { "0.002", STATS_EQUIVALENT, eq->n, eq->treatment, eq->baseline, CONVERGED_GAIN, eq },
        { "0.003", STATS_HELPS, diff->n, diff->treatment, diff->baseline, CONVERGED_GAIN, diff },
        { "0.004", STATS_HURTS, diff->n, diff->baseline, diff->treatment, CONVERGED_GAIN, NULL },
        { "0.005", STATS_UNDECIDED, 2, undecided_treatment, undecided_baseline, CONVERGED_GAIN,
          NULL },
        { "0.006", STATS_NOT_CONVERGED, diff->n, diff->treatment, diff->baseline, 0.3, NULL },
        { "0.007", STATS_EQUIVALENT, trivial->n, trivial->treatment, trivial->baseline,
          CONVERGED_GAIN, trivial },
    };
    return cases[i];
}

#define DECIDE_AXES "loss.laplacian_weight,loss.kernel,train.lr"

static void add_decide_sweeps(store *s)
{
    int64_t plain = add_sweep_with(s, "decide", "[sweep]\nname = decide\n", DECIDE_AXES);
    int64_t wide = add_sweep_with(s, "decide, δ 0.5",
                                  "[sweep]\nname = decide\n[report]\nmargin.psnr = 0.5\n"
                                  "margin.psnr_pooled = 0.5\n",
                                  DECIDE_AXES);
    int grid = 0;
    for (int i = 0; i < NDECIDE; i++) {
        const decide_case c = decide_cases(i);
        for (size_t k = 0; k < c.n; k++, grid += 2) {
            const int64_t seed = (int64_t)k + 1;
            const run_plan b = { "0", NULL, c.lr, seed, c.baseline[k], 0, 0, CONVERGED_GAIN };
            const run_plan t = { "0.5", "4", c.lr, seed, c.treatment[k], 0, 0,
                                 seed == 3 ? c.gain_of_seed_3 : CONVERGED_GAIN };
            add_run(s, plain, grid, &b);
            add_run(s, plain, grid + 1, &t);
            add_run(s, wide, grid, &b);     /* the same runs: shared, not added again */
            add_run(s, wide, grid + 1, &t);
        }
    }
}

typedef struct fixture {
    tempdir_fixture t;
    char db[4200];
    store *s;
} fixture;

/* A temporary folder with an empty database `name` in it; NULL after a message. */
static fixture *new_fixture(const char *name)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || tempdir_create(f->t.dir, sizeof f->t.dir) != 0)
        return NULL;
    snprintf(f->db, sizeof f->db, "%s/%s", f->t.dir, name);
    char err[512];
    if (store_open(f->db, STORE_OPEN_CREATE, &f->s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    return f;
}

static int setup(void **state)
{
    fixture *f = new_fixture("syn.db");
    if (!f)
        return -1;
    /* Runs are added in an order other than the sorted one, so sorting is tested too. */
    int64_t syn = add_sweep(f->s, SYN_NAME);
    static const int order[] = { 6, 7, 8, 3, 4, 5, 0, 1, 2 };
    for (int i = 0; i < 9; i++)
        add_run(f->s, syn, i, &syn_runs[order[i]]);
    int64_t single = add_sweep(f->s, "single");
    add_run(f->s, single, 0, &syn_runs[0]);
    add_run(f->s, single, 1, &syn_runs[3]);
    int64_t orphan = add_sweep(f->s, "orphan");
    const run_plan o1 = { "0.5", "4", "0.01", 1, 18, 0.02, 0, 0 };
    const run_plan o2 = { "0.5", "4", "0.01", 2, 19, 0.02, 0, 0 };
    add_run(f->s, orphan, 0, &o1);
    add_run(f->s, orphan, 1, &o2);
    *state = f;
    return 0;
}

/* The "decide" sweeps alone, built once for the tests of decisions (each run is a few fsyncs). */
static int setup_decide(void **state)
{
    fixture *f = new_fixture("decide.db");
    if (!f)
        return -1;
    add_decide_sweeps(f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    tempdir_remove(f->t.dir);
    free(f);
    return 0;
}

static analysis *load(fixture *f, const char *name)
{
    analysis *a = NULL;
    int usage_error = -1;
    CHECK_OK(analysis_open(f->s, name, STATS_ALPHA_DEFAULT, &a, &usage_error, ERR));
    assert_int_equal(usage_error, 0);
    return a;
}

/* ---- closed forms ------------------------------------------------------------------------ */

static double t975(int df)
{
    const double p = 0.975;
    if (df == 1)
        return tan(M_PI * (p - 0.5));
    return (2 * p - 1) / sqrt(2 * p * (1 - p));
}

static double p_two_sided(double t, int df)
{
    if (df == 1)
        return 1 - 2 / M_PI * atan(fabs(t));
    return 1 - fabs(t) / sqrt(t * t + 2);
}

static void assert_near(double actual, double expected, double tol, const char *what)
{
    if (!(fabs(actual - expected) <= tol * (1 + fabs(expected))))
        fail_msg("%s: got %.17g, expected %.17g", what, actual, expected);
}

/* Mean, sample sd, t and p of paired differences, computed here. */
static void paired_by_hand(const double *d, int n, double *mean, double *sd, double *t, double *p)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += d[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        ss += (d[i] - *mean) * (d[i] - *mean);
    *sd = sqrt(ss / (n - 1));
    *t = *mean / (*sd / sqrt(n));
    *p = p_two_sided(*t, n - 1);
}

/* ---- analysis ------------------------------------------------------------------------------ */

static void test_grouping_and_order(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    assert_string_equal(a->name, SYN_NAME);
    assert_int_equal(a->nruns, 9);
    assert_int_equal(a->nconfigs, 3);
    assert_string_equal(a->configs[0].label, "λ = 0");
    assert_string_equal(a->configs[1].label, "λ = 0.5 (eff. 10), kernel 4");
    assert_string_equal(a->configs[2].label, "λ = 0.5 (eff. 36), kernel 8");
    assert_true(a->configs[1].effective_weight == 0.5 * 20);
    assert_true(a->configs[2].gain == 72);
    assert_true(a->configs[0].effective_weight == 0);
    assert_true(a->configs[0].is_baseline);
    /* The thread count differs between seeds and configurations, and is ignored. */
    assert_int_equal(a->configs[0].baseline, 0);
    assert_int_equal(a->configs[1].baseline, 0);
    assert_int_equal(a->configs[2].baseline, 0);
    assert_null(a->configs[0].kernel);
    assert_string_equal(a->configs[2].kernel, "8");
    for (size_t c = 0; c < 3; c++) {
        assert_int_equal(a->configs[c].nruns, 3);
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(a->runs[a->configs[c].runs[i]].seed, (int64_t)i + 1);
    }
    assert_int_equal(a->configs[2].nfinished, 2);
    /* One panel per kernel, each with the baseline first. */
    assert_int_equal(a->npanels, 2);
    assert_string_equal(a->panels[0].label, "kernel 4");
    assert_int_equal(a->panels[0].nconfigs, 2);
    assert_int_equal(a->panels[0].configs[0], 0);
    assert_int_equal(a->panels[0].configs[1], 1);
    assert_string_equal(a->panels[1].label, "kernel 8");
    assert_int_equal(a->panels[1].configs[0], 0);
    analysis_free(a);
}

static void test_summaries_and_paired_tests(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    const analysis_stat *b = &a->configs[0].stat[ANALYSIS_LAST][TEST_PSNR];
    assert_int_equal(b->n, 3);
    assert_near(b->summary.mean, 21, 1e-12, "baseline mean");
    assert_near(b->summary.sd, 1, 1e-12, "baseline sd");
    assert_near(b->summary.ci_high - 21, t975(2) / sqrt(3), 1e-9, "baseline CI half-width");

    const double d4[] = { 20.5 - 20.0, 21.7 - 21.0, 22.6 - 22.0 };
    const double d8[] = { 19.0 - 20.0, 20.2 - 21.0 };
    double m4, sd4, t4, p4, m8, sd8, t8, p8;
    paired_by_hand(d4, 3, &m4, &sd4, &t4, &p4);
    paired_by_hand(d8, 2, &m8, &sd8, &t8, &p8);

    const analysis_stat *k4 = &a->configs[1].stat[ANALYSIS_LAST][TEST_PSNR];
    assert_int_equal(k4->npairs, 3);
    assert_true(k4->paired.has_test);
    assert_near(k4->paired.diff.mean, m4, 1e-12, "K4 mean difference");
    assert_near(k4->paired.diff.ci_low, m4 - t975(2) * sd4 / sqrt(3), 1e-9, "K4 CI low");
    assert_near(k4->paired.p, p4, 1e-9, "K4 p");

    /* Seed 3 of K8 diverged: two pairs, df = 1. */
    const analysis_stat *k8 = &a->configs[2].stat[ANALYSIS_LAST][TEST_PSNR];
    assert_int_equal(k8->n, 2);
    assert_int_equal(k8->npairs, 2);
    assert_near(k8->paired.diff.mean, m8, 1e-12, "K8 mean difference");
    assert_near(k8->paired.diff.ci_high, m8 + t975(1) * sd8 / sqrt(2), 1e-9, "K8 CI high");
    assert_near(k8->paired.p, p8, 1e-9, "K8 p");

    /* Holm over the two: the smaller p doubled, the larger kept (never below the first). */
    double lo = fmin(p4, p8), hi = fmax(p4, p8);
    double holm_lo = fmin(1, 2 * lo), holm_hi = fmin(1, fmax(2 * lo, hi));
    assert_int_equal(a->holm_family[ANALYSIS_LAST][TEST_PSNR], 2);
    assert_near(k4->p_holm, p4 < p8 ? holm_lo : holm_hi, 1e-9, "K4 Holm");
    assert_near(k8->p_holm, p8 < p4 ? holm_lo : holm_hi, 1e-9, "K8 Holm");
    assert_true(k4->p_holm < 0.05 && k8->p_holm > 0.05);
    assert_int_equal(k4->verdict, STATS_HELPS);
    /* K8: not significant, and its 90% interval reaches far beyond ±0.2 dB: undecided */
    assert_int_equal(k8->verdict, STATS_UNDECIDED);
    /* MSE goes up with K4 on every seed: lower is better, so it hurts. */
    assert_int_equal(a->configs[1].stat[ANALYSIS_LAST][TEST_MSE].verdict, STATS_HURTS);
    /* Best means: PSNR highest for K4 (21.6), MSE lowest for K8 (0.01085, from two seeds). */
    assert_int_equal(a->best[ANALYSIS_LAST][TEST_PSNR], 1);
    assert_int_equal(a->best[ANALYSIS_LAST][TEST_MSE], 2);
    analysis_free(a);
}

/* The last quarter's rise: the least-squares line over epochs E - q .. E, not the two ends. */
static void test_quarter_rise(void **state)
{
    (void)state;
    double v[13];
    int q;
    for (int e = 0; e <= 12; e++)
        v[e] = 20 + 0.01 * e;   /* a straight line: its rise over 3 epochs */
    assert_near(analysis_quarter_rise(v, 12, &q), 0.03, 1e-12, "a line");
    assert_int_equal(q, 3);
    /* Noise around a slow rise: the two ends differ by 0.06 dB (over the 0.05 limit), the line
     * through the four values rises 0.03 dB (slope sum((x - 1.5)(y - mean)) / 5 = 0.01). */
    const double noisy[] = { 30.00, 30.06, 29.98, 30.06 };
    for (int k = 0; k < 4; k++)
        v[9 + k] = noisy[k];
    assert_near(v[12] - v[9], 0.06, 1e-12, "the two ends");
    assert_near(analysis_quarter_rise(v, 12, &q), 0.03, 1e-12, "the line");
    /* q = 1 (4 epochs): the difference of the last two. */
    assert_near(analysis_quarter_rise(v, 4, &q), v[4] - v[3], 1e-12, "q = 1");
    assert_int_equal(q, 1);
    /* A value that is not finite in the quarter: unknown; none before epoch 1. */
    v[10] = NAN;
    assert_true(isnan(analysis_quarter_rise(v, 12, &q)));
    assert_true(isnan(analysis_quarter_rise(v, 0, &q)));
    assert_int_equal(q, 0);
}

/* The "do nothing" reference: each configuration's input summary, one input row for a sweep on
 * one data set, and the one run that ends below its input flagged by name. */
static void test_below_input(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    const int pooled = ANALYSIS_SERIES(METRIC_TEST, METRIC_PSNR_POOLED);
    const int input = analysis_input_series(pooled);
    assert_int_equal(input, ANALYSIS_SERIES(METRIC_TEST_INPUT, METRIC_PSNR_POOLED));
    assert_int_equal(analysis_input_series(input), -1);
    assert_int_equal(analysis_input_series(ANALYSIS_SERIES(METRIC_TRAIN, METRIC_LOSS)), -1);
    assert_string_equal(analysis_series_name(input).text, "test_input.psnr_pooled");
    assert_int_equal(a->configs[0].stat[ANALYSIS_LAST][input].n, 3);
    assert_near(a->configs[0].stat[ANALYSIS_BEST][input].summary.mean, 19.5, 0, "input mean");
    assert_int_equal(a->configs[2].stat[ANALYSIS_LAST][input].n, 2);   /* not the diverged one */
    size_t configs[3];
    assert_int_equal(analysis_input_configs(a, pooled, configs), 1);
    char s[4096];
    analysis_input_label(a, configs[0], 1, s, sizeof s);
    assert_string_equal(s, "input (no network)");

    assert_int_equal(a->nbelow_input, 1);
    for (size_t i = 0; i < a->nruns; i++) {
        const analysis_run *r = &a->runs[i];
        const int k8_seed1 = a->configs[r->config].kernel &&
                             strcmp(a->configs[r->config].kernel, "8") == 0 && r->seed == 1;
        assert_int_equal(r->below_input, k8_seed1);
        if (k8_seed1) {
            analysis_below_input_line(a, i, s, sizeof s);
            printf("%s\n", s);
            assert_non_null(strstr(s, "(λ = 0.5 (eff. 36), kernel 8, seed 1) ends below its input: test "
                                      "PSNR 19.00 dB at the last epoch, the input's "
                                      "19.50 dB"));
        }
    }
    analysis_below_input_sentence(a, s, sizeof s);
    printf("%s\n", s);
    assert_non_null(strstr(s, "1 run ends below its input"));
    assert_non_null(strstr(s, "(λ = 0.5 (eff. 36), kernel 8, seed 1)."));
    analysis_free(a);

    a = load(f, "single");   /* 20 and 20.5 dB pooled: above the input */
    assert_int_equal(a->nbelow_input, 0);
    analysis_below_input_sentence(a, s, sizeof s);
    assert_non_null(strstr(s, "No run ends below its input"));
    analysis_free(a);
}

static void test_best_epoch(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    const analysis_config *k4 = &a->configs[1];
    const analysis_run *seed1 = &a->runs[k4->runs[0]];
    assert_int_equal(seed1->best_epoch, 1);
    assert_int_equal(a->runs[k4->runs[1]].best_epoch, 2);
    /* A tie in validation PSNR goes to the earlier epoch. */
    assert_int_equal(a->runs[a->configs[0].runs[1]].best_epoch, 1);
    assert_near(analysis_run_final(seed1, TEST_PSNR, ANALYSIS_BEST), 30, 0, "best-epoch value");
    assert_near(k4->stat[ANALYSIS_BEST][TEST_PSNR].summary.mean, (30 + 21.7 + 22.6) / 3, 1e-12,
                "mean at the best epoch");
    /* The diverged run has no final value at all. */
    const analysis_run *diverged = &a->runs[a->configs[2].runs[2]];
    assert_int_equal(diverged->status, STORE_DIVERGED);
    assert_true(isnan(analysis_run_final(diverged, TEST_PSNR, ANALYSIS_LAST)));
    assert_true(isnan(analysis_run_final(diverged, TEST_PSNR, ANALYSIS_BEST)));
    analysis_free(a);
}

static void test_sentences(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    char s[4096];
    analysis_verdict_sentence(a, 1, TEST_PSNR, ANALYSIS_LAST, s, sizeof s);
    /* The minimum detectable effect: d_z(3) = 3.264 (stats_reference.h) times the paired sd,
     * 0.1. */
    assert_string_equal(s, "λ = 0.5 (eff. 10), kernel 4: helps: test PSNR +0.60 dB, 95 % interval "
                           "[+0.35, +0.85], p = 0.018 after Holm; paired sd 0.10 dB over 3 "
                           "seeds; the smallest effect 3 seeds detect with 80 % power is "
                           "0.33 dB.");
    analysis_verdict_sentence(a, 2, TEST_PSNR, ANALYSIS_LAST, s, sizeof s);
    assert_non_null(strstr(s, "λ = 0.5 (eff. 36), kernel 8: undecided: test PSNR -0.90 dB, 95 % "
                              "interval ["));
    assert_non_null(strstr(s, "is not within ±0.2 dB; paired sd 0.14 dB over 2 seeds;"));
    assert_non_null(strstr(s, "seeds would decide."));
    /* MSE has no margin: the old three verdicts, and the sentence says why. */
    analysis_verdict_sentence(a, 1, TEST_MSE, ANALYSIS_LAST, s, sizeof s);
    assert_non_null(strstr(s, "kernel 4: hurts: test MSE +"));
    analysis_verdict_sentence(a, 2, TEST_MSE, ANALYSIS_LAST, s, sizeof s);
    assert_non_null(strstr(s, "kernel 8: indistinguishable: test MSE "));
    assert_non_null(strstr(s, "test MSE has no equivalence margin, so no equivalence is claimed "
                              "either."));
    assert_non_null(strstr(s, " Counted: n = 2 of 3 seeds; seed 3 diverged after 1 of 2 epochs "
                              "(the loss became NaN at epoch 2, step 1 | <b>); a run without a "
                              "final metric cannot count."));
    analysis_seeds_note(a, 0, TEST_PSNR, ANALYSIS_LAST, s, sizeof s);
    assert_string_equal(s, "n = 3 of 3 seeds");

    char p[64];
    analysis_format_p(0.0431, p, sizeof p);
    assert_string_equal(p, "p = 0.043");
    analysis_format_p(0.99999, p, sizeof p);
    assert_string_equal(p, "p = 1");
    analysis_format_p(1e-7, p, sizeof p);
    assert_string_equal(p, "p < 0.0001");
    assert_int_equal(analysis_decimals(0.25, 0), 2);
    assert_int_equal(analysis_decimals(0.0012, 0), 4);
    assert_int_equal(analysis_decimals(NAN, 0.0123), 5);
    assert_int_equal(analysis_decimals(1e-12, 0), 6);
    analysis_free(a);
}

static void test_one_seed(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, "single");
    assert_int_equal(a->nconfigs, 2);
    const analysis_stat *st = &a->configs[1].stat[ANALYSIS_LAST][TEST_PSNR];
    assert_int_equal(st->n, 1);
    assert_false(st->summary.has_spread);
    assert_true(isnan(st->summary.ci_low));
    assert_int_equal(st->npairs, 1);
    assert_false(st->paired.has_test);
    assert_true(isnan(st->p_holm));
    assert_int_equal(st->verdict, STATS_NO_TEST);
    assert_int_equal(a->holm_family[ANALYSIS_LAST][TEST_PSNR], 0);
    char s[2048];
    analysis_verdict_sentence(a, 1, TEST_PSNR, ANALYSIS_LAST, s, sizeof s);
    assert_string_equal(s, "λ = 0.5 (eff. 10), kernel 4: test PSNR +0.5000 dB against the "
                           "baseline from one seed pair: no interval and no test can be given "
                           "with one seed.");
    analysis_free(a);
}

static void test_no_baseline(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, "orphan");
    assert_int_equal(a->nconfigs, 1);
    assert_int_equal(a->configs[0].baseline, -1);
    assert_int_equal(a->configs[0].stat[ANALYSIS_LAST][TEST_PSNR].n, 2);
    char s[2048];
    analysis_verdict_sentence(a, 0, TEST_PSNR, ANALYSIS_LAST, s, sizeof s);
    assert_non_null(strstr(s, "has no λ = 0 configuration with the same other settings"));
    analysis_free(a);
}

static void test_missing_sweep(void **state)
{
    fixture *f = *state;
    analysis *a = NULL;
    int usage_error = 0;
    char err[512], path[4300];
    assert_int_equal(analysis_open(f->s, "no such sweep", 0.05, &a, &usage_error, err,
                                   sizeof err), -1);
    assert_int_equal(usage_error, 1);
    assert_null(a);
    assert_non_null(strstr(err, "no such sweep"));
    snprintf(path, sizeof path, "%s/none.db", f->t.dir);
    store *none = NULL;
    assert_int_equal(store_open(path, STORE_OPEN_READONLY, &none, err, sizeof err),
                     STORE_NOT_DATABASE);
    assert_null(none);
    assert_int_equal(access(path, F_OK), -1);   /* not created by looking */
    /* Without a name: the latest sweep (the last one added). */
    assert_int_equal(analysis_open(f->s, NULL, 0.05, &a, &usage_error, err, sizeof err), 0);
    assert_int_equal(usage_error, 0);
    assert_string_equal(a->name, "orphan");
    analysis_free(a);
}

/* ---- grid ---------------------------------------------------------------------------------- */

/* Writes a preview into the run's folder: inputs 0.2, targets 0.5, predictions `pred`. */
/* A run's preview.npy from x: input, target and prediction, (3, PREVIEW_N, PATCH, PATCH, 3). */
static void write_preview_data(const analysis_run *r, const float *x)
{
    char err[512], path[4300];
    snprintf(path, sizeof path, "%s", r->folder);
    *strrchr(path, '/') = '\0';
    mkdir(path, 0777);          /* <db>.runs */
    mkdir(r->folder, 0777);
    size_t shape[5] = { 3, PREVIEW_N, PATCH, PATCH, 3 };
    snprintf(path, sizeof path, "%s/preview.npy", r->folder);
    if (npy_write(path, NPY_F32, 5, shape, x, err, sizeof err) != 0)
        fail_msg("%s", err);
}

#define PREVIEW_PART ((size_t)PREVIEW_N * PATCH * PATCH * 3)

static void write_preview(const analysis_run *r, float pred)
{
    float *x = malloc(3 * PREVIEW_PART * sizeof *x);
    for (size_t i = 0; i < PREVIEW_PART; i++) {
        x[i] = 0.2f;
        x[PREVIEW_PART + i] = 0.5f;
        x[2 * PREVIEW_PART + i] = pred;
    }
    write_preview_data(r, x);
    free(x);
}

/* The test's Laplacian: v - 0.5 per channel, so the maps are constants chosen by the test. */
static int minus_half(void *ctx, const float *images, double *maps, int n, int h, int w,
                      char *err, size_t errlen)
{
    (void)err, (void)errlen;
    int *calls = ctx;
    (*calls)++;
    for (size_t i = 0; i < (size_t)n * h * w * 3; i++)
        maps[i] = images[i] - 0.5;
    return 0;
}

static void make_previews(const analysis *a)
{
    /* Baseline predictions 0.3 (map -0.2), K4 0.9 (map +0.4, the largest), K8 0.7 (+0.2). */
    static const float preds[] = { 0.3f, 0.9f, 0.7f };
    for (size_t c = 0; c < 3; c++)
        for (size_t i = 0; i < a->configs[c].nruns; i++)
            if (a->runs[a->configs[c].runs[i]].status == STORE_FINISHED)
                write_preview(&a->runs[a->configs[c].runs[i]], preds[c]);
}

static void assert_quoted_only(const char *path);
static char *read_text(const char *path);

/* Characters (not bytes) of UTF-8 text: λ is one. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The grid shows the most detailed patches, and scales its error maps so that one outlying pixel
 * leaves the others visible (issue 22): patches 1 and 3 of 4 have a textured target, 0 and 2 a
 * flat one; every prediction is 0.05 off the target but for one pixel 0.5 off. */
static void test_grid_rows_and_scale(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    float *x = malloc(3 * PREVIEW_PART * sizeof *x);
    const size_t values = (size_t)PATCH * PATCH * 3;
    for (size_t i = 0; i < PREVIEW_PART; i++) {
        const size_t patch = i / values, pixel = (i % values) / 3;
        const int textured = patch % 2 == 1;
        x[i] = 0.2f;
        x[PREVIEW_PART + i] = textured ? ((pixel + pixel / PATCH) % 2 ? 0.3f : 0.7f) : 0.5f;
        x[2 * PREVIEW_PART + i] = x[PREVIEW_PART + i] + (i == PREVIEW_PART - 1 ? 0.5f : 0.05f);
    }
    for (size_t r = 0; r < a->nruns; r++)
        if (a->runs[r].status == STORE_FINISHED)
            write_preview_data(&a->runs[r], x);
    free(x);
    grid_plan plan;
    CHECK_OK(grid_plan_columns(a, &plan, ERR));
    char path[4200];
    snprintf(path, sizeof path, "%s/grid_tiles.png", f->t.dir);
    grid_info info;
    int calls = 0;
    CHECK_OK(grid_write(a, &plan, path, 2, REPORT_FIGURE_WIDTH, minus_half, &calls, &info, ERR));
    assert_int_equal(info.rows, 2);
    assert_int_equal(info.row[0], 1);   /* the textured patches, in their order */
    assert_int_equal(info.row[1], 3);
    /* The white point is the 99th percentile of the errors shown (0.05 everywhere but one pixel,
     * averaged over its channels): the 0.05 errors are white, not a tenth of the outlier's. */
    assert_near(info.max_error, 0.05, 1e-6, "error white point");
    float *rgb;
    int h, w;
    CHECK_OK(image_read_png(path, &rgb, &h, &w, ERR));
    size_t err_col = 0;
    while (!plan.columns[err_col].error)
        err_col++;
    const float *px = rgb + ((size_t)(info.tile / 2) * w + err_col * (info.tile + info.gap) +
                             info.tile / 2) * 3;
    assert_near(px[0], 1.0, 1.0 / 255, "a typical error shows white");
    free(rgb);
    analysis_free(a);
}

static void test_grid(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    grid_plan plan;
    char err[512];
    assert_int_equal(grid_plan_columns(a, &plan, err, sizeof err), -1);   /* no previews yet */
    make_previews(a);
    CHECK_OK(grid_plan_columns(a, &plan, ERR));
    /* The best (K4, 21.6 dB) and the worst (K8, 19.6 dB, also the largest effective weight, 36)
     * with the baseline; their error maps; the Laplacian maps of the target and of them. */
    assert_int_equal(plan.ncolumns, 12);
    static const char *const captions[] = {
        "degraded input", "target", "prediction of the baseline, λ = 0",
        "prediction of the best, λ = 0.5 (eff. 10), kernel 4",
        "prediction of the worst, λ = 0.5 (eff. 36), kernel 8",
        "error of the prediction of the baseline, λ = 0",
        "error of the prediction of the best, λ = 0.5 (eff. 10), kernel 4",
        "error of the prediction of the worst, λ = 0.5 (eff. 36), kernel 8",
        "Laplacian of the target", "Laplacian of the prediction of the baseline, λ = 0",
        "Laplacian of the prediction of the best, λ = 0.5 (eff. 10), kernel 4",
        "Laplacian of the prediction of the worst, λ = 0.5 (eff. 36), kernel 8",
    };
    /* Short heads: the strip above them names the groups (images, error maps, Laplacian maps). */
    static const char *const heads[][2] = {
        { "input", "" }, { "target", "" }, { "baseline", "λ=0" }, { "best", "λ=0.5 K4" },
        { "worst", "λ=0.5 K8" }, { "baseline", "λ=0" }, { "best", "λ=0.5 K4" },
        { "worst", "λ=0.5 K8" }, { "target", "" }, { "baseline", "λ=0" }, { "best", "λ=0.5 K4" },
        { "worst", "λ=0.5 K8" },
    };
    for (size_t c = 0; c < 12; c++) {
        assert_string_equal(plan.columns[c].caption, captions[c]);
        assert_string_equal(plan.columns[c].head[0], heads[c][0]);
        assert_string_equal(plan.columns[c].head[1], heads[c][1]);
        assert_int_equal(a->runs[plan.columns[c].run].seed, 1);   /* the smallest seed */
        assert_int_equal(plan.columns[c].error, c >= 5 && c < 8);
        assert_int_equal(plan.columns[c].laplacian, c >= 8);
        for (int line = 0; line < 2; line++)   /* none wider than its column */
            assert_true(utf8_chars(plan.columns[c].head[line]) <= GRID_HEAD_CHARS);
    }

    char path[4200];
    snprintf(path, sizeof path, "%s/grid_tiles.png", f->t.dir);
    grid_info info;
    int calls = 0;
    CHECK_OK(grid_write(a, &plan, path, 8, REPORT_FIGURE_WIDTH, minus_half, &calls, &info, ERR));
    assert_int_equal(calls, 4);
    assert_int_equal(info.rows, PREVIEW_N);
    assert_int_equal(info.cols, 12);
    /* The largest enlargement within the page's width (the report shows it at its own size); a
     * column at least wide enough for its head in 12-pixel text (7 pixels a character). */
    assert_true(info.width <= REPORT_FIGURE_WIDTH);
    assert_true(12 * PATCH * (info.scale + 1) + 11 * 4 > REPORT_FIGURE_WIDTH || info.scale == 16);
    assert_true(info.tile + info.gap >= 7 * GRID_HEAD_CHARS);
    assert_near(info.max_abs, 0.4, 1e-6, "max |v|");
    assert_near(info.max_error, 0.4, 1e-6, "max error");
    float *rgb;
    int h, w;
    CHECK_OK(image_read_png(path, &rgb, &h, &w, ERR));
    const int tile = info.tile, gap = info.gap;
    assert_int_equal(w, 12 * tile + 11 * gap);
    assert_int_equal(h, PREVIEW_N * tile + (PREVIEW_N - 1) * gap);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    /* One pixel of each map column. Errors |0.3 - 0.5|, |0.9 - 0.5|, |0.7 - 0.5| over 0.4;
     * Laplacians 0.5 + v / (2 * 0.4) on one scale for all. */
    static const double expected[] = { 0.5, 1.0, 0.5, 0.5, 0.25, 1.0, 0.75 };
    for (int c = 5; c < 12; c++) {
        const float *px = rgb + ((size_t)(tile / 2) * w + (size_t)c * (tile + gap) + tile / 2) * 3;
        assert_near(px[0], expected[c - 5], 1.0 / 255, "map gray");
        assert_near(px[0], px[2], 0, "map is gray");
    }
    free(rgb);
    /* The titles: gnuplot draws the tiles under a strip of column heads into grid.png. */
    CHECK_OK(grid_draw_titles(&plan, &info, f->t.dir, ERR));
    snprintf(path, sizeof path, "%s/grid.png", f->t.dir);
    CHECK_OK(image_read_png(path, &rgb, &h, &w, ERR));
    assert_int_equal(w, info.width);
    assert_int_equal(h, info.height + 62);
    snprintf(path, sizeof path, "%s/grid.gp", f->t.dir);
    assert_quoted_only(path);
    char *script = read_text(path);
    assert_non_null(strstr(script, "'best' at first "));
    assert_non_null(strstr(script, "'λ=0.5 K8' at first "));
    /* The strip names each group of columns and the scale of its maps; 9-point heads. */
    assert_non_null(strstr(script, "'error |prediction − target|, white ≥ 0.4' at first "));
    assert_non_null(strstr(script, "'Laplacian maps, white +0.4, black −0.4' at first "));
    assert_non_null(strstr(script, "font 'Sans,9'"));
    free(script);
    free(rgb);
    analysis_free(a);
}

/* ---- charts and pages ------------------------------------------------------------------------ */

/* Every database string in a script must sit inside a single-quoted literal (or be a run of quotes
 * in double quotes, "'"): outside of them
 * the script may hold no double quote, backquote or @ (gnuplot's ways to run or expand text). */
static void assert_quoted_only(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int c, in_single = 0, line = 1, in_comment = 0;
    while ((c = fgetc(f)) != EOF) {
        if (c == '\n') {
            assert_false(in_single);   /* no literal spans lines */
            line++;
            in_comment = 0;
            continue;
        }
        if (in_comment)
            continue;
        if (in_single) {
            if (c == '\'') {
                int next = fgetc(f);
                if (next != '\'') {
                    in_single = 0;
                    if (next != EOF)
                        ungetc(next, f);
                }
            }
            continue;
        }
        if (c == '#') {
            in_comment = 1;
            continue;
        }
        if (c == '\'') {
            in_single = 1;
        } else if (c == '"') {
            /* escape_gnuplot's runs of quotes, "'": nothing but single quotes inside. */
            int quotes = 0;
            while ((c = fgetc(f)) == '\'')
                quotes++;
            if (c != '"' || quotes == 0)
                fail_msg("%s:%d: \" outside a single-quoted string", path, line);
        } else if (c == '`' || c == '@')
            fail_msg("%s:%d: %c outside a single-quoted string", path, line, c);
    }
    fclose(f);
}

static int file_starts_with(const char *path, const void *magic, size_t len)
{
    unsigned char buf[16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, len, f);
    fclose(f);
    return n == len && memcmp(buf, magic, len) == 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Fails when folder dir holds a hidden name: the writer's temporary files are hidden, and none
 * may be left behind. */
static void assert_no_temporary(const char *dir)
{
    char names[8192] = " ";
    tempdir_list(dir, names + 1, sizeof names - 1);
    if (strstr(names, " ."))
        fail_msg("a temporary file is left in %s: %s", dir, names + 1);
}

static void test_charts(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/report", f->t.dir);
    mkdir(dir, 0777);
    CHECK_OK(charts_write(a, dir, ERR));
    assert_no_temporary(dir);
    for (int k = 0; k < CHART_COUNT; k++) {
        snprintf(path, sizeof path, "%s/%s.gp", dir, chart_name((enum chart_kind)k));
        assert_quoted_only(path);
        char *script = read_text(path);
        /* The name, escaped: ' doubled inside the literal. */
        assert_non_null(strstr(script, "'syn <b>'.\"'\".'\"`x`: "));
        assert_non_null(strstr(script, "noenhanced"));
        free(script);
    }
    /* The effect chart: paired differences over the effective weight on a log axis, the ±δ
     * band (0.2 dB for pooled PSNR), the zero line; λ = 0.5 K4 is +0.6 dB over 3 pairs, K8
     * (seed 3 diverged) -0.9 over 2. */
    snprintf(path, sizeof path, "%s/effect.gp", dir);
    char *text = read_text(path);
    assert_non_null(strstr(text, "set logscale x\n"));
    assert_non_null(strstr(text, "set object 1 rect from graph 0, first -0.2 to graph 1, "
                                 "first 0.2 behind"));
    assert_non_null(strstr(text, "plot 0 with lines"));
    free(text);
    snprintf(path, sizeof path, "%s/effect.dat", dir);
    text = read_text(path);
    assert_non_null(strstr(text, "\n10 0.5 0.6"));       /* eff. 10, λ 0.5, +0.6 dB */
    assert_non_null(strstr(text, "\n36 0.5 -0.9"));      /* eff. 36 */
    assert_null(strstr(text, "\n0 0 "));                 /* no baseline row on a log axis */
    free(text);
    snprintf(path, sizeof path, "%s/lambda_response.gp", dir);
    text = read_text(path);
    assert_non_null(strstr(text, "set logscale x\n"));
    free(text);
    /* The trade-off chart's legend under the plot, not beside it (it took 40 % of the width), and
     * its λ in the colour-blind-safe palette: λ = 0 black, λ = 0.5 the palette's first colour. */
    snprintf(path, sizeof path, "%s/tradeoff.gp", dir);
    text = read_text(path);
    assert_non_null(strstr(text, "set key outside below"));
    assert_null(strstr(text, "outside right"));
    assert_non_null(strstr(text, "lc rgb '#000000'"));
    assert_non_null(strstr(text, "lc rgb '#0072b2'"));
    free(text);
    /* The palette's colours are far apart, in lightness and hue alike: no two within 60 of each
     * other in RGB (the viridis steps it replaced were 20 apart for six λ). */
    for (int i = 0; i < CHART_LAMBDA_PALETTE; i++)
        for (int j = i + 1; j < CHART_LAMBDA_PALETTE; j++) {
            unsigned x, y, d2 = 0;
            for (int c = 0; c < 3; c++) {
                sscanf(chart_lambda_palette[i] + 1 + 2 * c, "%2x", &x);
                sscanf(chart_lambda_palette[j] + 1 + 2 * c, "%2x", &y);
                d2 += (x - y) * (x - y);
            }
            assert_true(d2 >= 60 * 60);
        }
    /* Learning curves: bands only for the baseline and the best configuration (λ = 0.5 K4), in
     * both columns; the baseline drawn last, over the others. */
    snprintf(path, sizeof path, "%s/learning_curves.gp", dir);
    text = read_text(path);
    size_t bands = 0;
    for (const char *p = text; (p = strstr(p, "filledcurves")); p++)
        bands++;
    assert_int_equal(bands, 2 * (2 + 1));   /* 2 columns x (K4: baseline, best; K8: baseline) */
    assert_non_null(strstr(text, "(best)"));
    const char *baseline = strstr(text, "(baseline)"), *best = strstr(text, "(best)");
    assert_true(baseline && best && best < baseline);
    free(text);
    chart_result results[CHART_COUNT];
    int missing = -1;
    char err[512];
    if (charts_draw(dir, results, &missing, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(missing, 0);
    for (int k = 0; k < CHART_COUNT; k++) {
        assert_true(results[k].drawn);
        snprintf(path, sizeof path, "%s/%s.png", dir, chart_name((enum chart_kind)k));
        assert_true(file_starts_with(path, "\x89PNG\r\n\x1a\n", 8));
        snprintf(path, sizeof path, "%s/%s.svg", dir, chart_name((enum chart_kind)k));
        assert_true(file_starts_with(path, "<?xml", 5) || file_starts_with(path, "<svg", 4));
    }
    /* gnuplot missing from PATH: a clear error, and nothing drawn. */
    const char *saved = getenv("PATH");
    char *old_path = saved ? strdup(saved) : NULL;
    setenv("PATH", f->t.dir, 1);
    assert_int_equal(charts_draw(dir, results, &missing, err, sizeof err), -1);
    if (old_path)
        setenv("PATH", old_path, 1);
    free(old_path);
    assert_int_equal(missing, 1);
    assert_non_null(strstr(err, "gnuplot not found"));
    for (int k = 0; k < CHART_COUNT; k++)
        assert_false(results[k].drawn);
    analysis_free(a);
}

static void test_pages(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, SYN_NAME);
    make_previews(a);
    grid_plan plan;
    grid_info info = { .rows = PREVIEW_N, .cols = 9, .patch = PATCH, .scale = 8, .max_abs = 0.4,
                       .max_error = 0.2 };
    CHECK_OK(grid_plan_columns(a, &plan, ERR));
    chart_result charts[CHART_COUNT] = { { 1, "" }, { 1, "" }, { 1, "" }, { 1, "" },
                                         { 0, "gnuplot tradeoff.gp exited with status 1" } };
    report_inputs in = { .a = a, .charts = charts, .grid = &plan, .grid_info = &info,
                         .laplacian_note = "the test's own <map>",
                         .generated_at = "2026-01-01 00:00 UTC", .wb_version = "wb test" };
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/pages", f->t.dir);
    mkdir(dir, 0777);
    CHECK_OK(report_write(dir, &in, ERR));

    snprintf(path, sizeof path, "%s/index.html", dir);
    char *html = read_text(path);
    assert_non_null(strstr(html, "<title>wb report: syn &lt;b&gt;&#39;&quot;`x`</title>"));
    assert_null(strstr(html, "<b>'"));
    assert_null(strstr(html, "<i>x</i>"));          /* the INI text, escaped in <pre> */
    assert_non_null(strstr(html, "name = &lt;i&gt;x&lt;/i&gt;"));
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "λ = 0.5 (eff. 10), kernel 4: helps: test PSNR +0.60 dB, 95 % "
                                 "interval [+0.35, +0.85], p = 0.018 after Holm; paired sd "));
    assert_non_null(strstr(html, "seed 3 diverged after 1 of 2 epochs"));
    assert_non_null(strstr(html, "<td>diverged</td>"));
    assert_non_null(strstr(html, "step 1 | &lt;b&gt;</td>"));
    assert_non_null(strstr(html, "<img src=\"learning_curves.png\""));
    assert_non_null(strstr(html, "<a href=\"learning_curves.svg\">"));
    assert_non_null(strstr(html, "Not drawn: gnuplot tradeoff.gp exited with status 1"));
    assert_null(strstr(html, "<img src=\"tradeoff.png\""));
    /* The PNGs are not there (the charts say drawn, but this test drew none): referred to by
     * name. cli_report.sh checks the data URIs of a real report. */
    /* The grid at its own size (its titles 12 px), scrolling on a narrow screen. */
    assert_non_null(strstr(html, "<figure class=\"pixelated natural\"><a href=\"grid.png\">"
                                 "<img class=\"pixelated natural\" src=\"grid.png\""));
    assert_non_null(strstr(html, "img.natural { max-width: none; }"));
    /* The answer first, its name isolated where it stands inside a sentence. */
    assert_non_null(strstr(html, "<h1 id=\"top\">wb report: <bdi>syn &lt;b&gt;&#39;&quot;`x`</bdi></h1>"));
    assert_non_null(strstr(html, "Sweep “<bdi>syn &lt;b&gt;&#39;&quot;`x`</bdi>” from the database"));
    assert_non_null(strstr(html, "<p class=\"answer\">On denoise, 8x8 patches"));
    assert_non_null(strstr(html, "the Laplacian term helps test PSNR at 1 of 2 settings and "
                                 "hurts at 0; the best is λ = 0.5 (eff. 10), kernel 4, +0.60 dB"));
    assert_true(strstr(html, "id=\"answer\"") < strstr(html, "id=\"key-table\"") &&
                strstr(html, "id=\"key-table\"") < strstr(html, "id=\"verdict\""));
    /* The header's "last run" is when the last run finished, not when the sweep was made. */
    assert_non_null(strstr(html, "; its last run finished 20"));
    /* The loss to take home ends the page: λ = 0.5 with K4, none, reflect101, mse helps. */
    char *takehome = strstr(html, "<h2 id=\"takehome\">");
    assert_non_null(takehome);
    assert_non_null(strstr(takehome, "LAMBDA = 0.5  # loss.laplacian_weight"));
    assert_non_null(strstr(takehome, "STENCIL = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], "
                                     "[0.0, 1.0, 0.0]])\n"));
    assert_non_null(strstr(takehome, "x = F.pad(x, (1, 1, 1, 1), mode=&#39;reflect&#39;)"));
    assert_non_null(strstr(takehome, "mode=&#39;REFLECT&#39;"));
    assert_non_null(strstr(takehome, "It was not executed"));
    assert_null(strstr(takehome + 1, "<h2"));   /* the last section */
    assert_non_null(strstr(html, "the test&#39;s own &lt;map&gt;"));
    assert_non_null(strstr(html, "<tr class=\"best\"><td>*</td><td>λ = 0.5 (eff. 10), kernel 4"
                                 "</td>"));
    assert_non_null(strstr(html, "<strong>Helps</strong>: λ = 0.5 (eff. 10), kernel 4."));
    assert_non_null(strstr(html, "<strong>Undecided (more seeds would decide)</strong>: "
                                 "λ = 0.5 (eff. 36), kernel 8."));
    assert_non_null(strstr(html, "abc123 (dirty"));
    assert_non_null(strstr(html, "testgemm"));
    free(html);

    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = read_text(path);
    assert_non_null(strstr(md, "# wb report: syn \\<b\\>'\"\\`x\\`\n"));
    assert_non_null(strstr(md, "λ = 0.5 (eff. 10), kernel 4: helps: test PSNR +0.60 dB, 95 % "
                               "interval \\[+0.35, +0.85\\], p = 0.018 after Holm; paired sd "));
    assert_non_null(strstr(md, "[![Learning curves](learning_curves.png)](learning_curves.svg)"));
    assert_non_null(strstr(md, "```ini\n[sweep]\nname = <i>x</i>\n```"));
    assert_non_null(strstr(md, "| **\\*** | λ = 0.5 (eff. 10), kernel 4 |"));
    assert_non_null(strstr(md, "step 1 \\| \\<b\\> |"));
    /* Every table row has as many cells as its header (an unescaped | would add one). */
    int header_bars = -1, tables = 0;
    for (char *line = md; line && *line;) {
        char *end = strchr(line, '\n');
        char *stop = end ? end : line + strlen(line);
        if (*line == '|') {
            int bars = 0;
            for (char *p = line; p < stop; p++)
                bars += *p == '|' && (p == line || p[-1] != '\\');
            if (header_bars < 0) {
                header_bars = bars;
                tables++;
            } else if (bars != header_bars) {
                fail_msg("table row with %d bars under a header with %d: %.*s", bars,
                         header_bars, (int)(stop - line), line);
            }
        } else {
            header_bars = -1;
        }
        line = end ? end + 1 : NULL;
    }
    assert_true(tables >= 7);
    free(md);
    char names[256];
    assert_string_equal(tempdir_list(dir, names, sizeof names), "index.html report.md");

    /* A page that cannot be put in place (a folder in the way): an error naming it, the page
     * before it written, the folder kept, no temporary file left behind. */
    snprintf(dir, sizeof dir, "%s/blocked", f->t.dir);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/report.md", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/report.md/kept", dir);
    assert_int_equal(tempdir_write_file(path, "kept", 4), 0);
    char err[512];
    assert_int_equal(report_write(dir, &in, err, sizeof err), -1);
    assert_non_null(strstr(err, "report.md: cannot rename"));
    assert_string_equal(tempdir_list(dir, names, sizeof names), "index.html report.md");
    analysis_free(a);
}

/* ---- decisions ------------------------------------------------------------------------------ */

/* Fails naming the text when needle is not in it. */
static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("'%s' not in:\n%s", needle, text);
}


/* The configuration of a decide case: λ = 0.5 at the case's learning rate. */
static size_t decide_config(const analysis *a, const char *lr)
{
    char want[64];
    snprintf(want, sizeof want, "λ = 0.5 (eff. 10), kernel 4, lr %s", lr);
    for (size_t c = 0; c < a->nconfigs; c++)
        if (strcmp(a->configs[c].label, want) == 0)
            return c;
    fail_msg("no configuration labelled %s", want);
    return 0;
}

/* Its test PSNR at the last epoch. */
static const analysis_stat *decide_stat(const analysis *a, const char *lr)
{
    return &a->configs[decide_config(a, lr)].stat[ANALYSIS_LAST][TEST_PSNR];
}

/* d_z of the minimum detectable effect with n pairs at alpha 0.05 and 80 % power: the fixture's
 * exact value. */
static double reference_dz(size_t n)
{
    for (size_t i = 0; i < sizeof mde_reference / sizeof mde_reference[0]; i++)
        if (mde_reference[i].n == n && mde_reference[i].alpha == 0.05 &&
            mde_reference[i].power == 0.8)
            return mde_reference[i].effect_size;
    fail_msg("no reference d_z for n = %zu", n);
    return NAN;
}

static void test_decisions(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, "decide");
    assert_int_equal(a->nconfigs, 2 * NDECIDE);
    assert_true(a->margin[METRIC_PSNR] == 0.2);
    assert_false(a->margin_from_ini[METRIC_PSNR]);
    for (int i = 0; i < NDECIDE; i++) {
        const decide_case dc = decide_cases(i);
        const analysis_config *c = &a->configs[decide_config(a, dc.lr)];
        const analysis_stat *st = &c->stat[ANALYSIS_LAST][TEST_PSNR];
        print_message("lr %s: %s\n", dc.lr, stats_verdict_name(st->verdict));
        assert_int_equal(st->npairs, dc.n);
        assert_int_equal(st->verdict, dc.verdict);
        assert_true(st->margin == 0.2);
        double d[REF_MAX_PAIRS], mean, sd, t, p;
        for (size_t k = 0; k < dc.n; k++)
            d[k] = dc.treatment[k] - dc.baseline[k];
        if (dc.n == 2) {
            mean = (d[0] + d[1]) / 2;
            sd = fabs(d[0] - d[1]) / sqrt(2);
        } else {
            double sum = 0, ss = 0;
            for (size_t k = 0; k < dc.n; k++)
                sum += d[k];
            mean = sum / (double)dc.n;
            for (size_t k = 0; k < dc.n; k++)
                ss += (d[k] - mean) * (d[k] - mean);
            sd = sqrt(ss / (double)(dc.n - 1));
        }
        (void)t, (void)p;
        assert_near(st->paired.diff.sd, sd, 1e-9, "paired sd");
        /* The minimum detectable effect: the fixture's d_z for n pairs times the paired sd. */
        assert_near(st->mde.effect, reference_dz(dc.n) * sd, 1e-9, "minimum detectable effect");
        if (dc.ref) {
            assert_near(st->tost.p, dc.ref->p, 1e-9, "TOST p");
            assert_near(st->tost.ci_low, dc.ref->ci_low, 1e-9, "90% interval, low");
            assert_near(st->tost.ci_high, dc.ref->ci_high, 1e-9, "90% interval, high");
        }
    }
    /* Helps, and hurts with the same data swapped; the Holm-adjusted p below alpha. */
    const analysis_stat *helps = decide_stat(a, "0.003");
    const analysis_stat *hurts = decide_stat(a, "0.004");
    assert_true(helps->p_holm <= 0.05 && helps->paired.diff.mean > 0.2);
    assert_true(hurts->p_holm <= 0.05 && hurts->paired.diff.mean < -0.2);
    /* Equivalent, plainly (no difference shown) and trivially (a real difference inside ±δ). */
    const analysis_stat *eq = decide_stat(a, "0.002");
    const analysis_stat *triv = decide_stat(a, "0.007");
    assert_false(eq->decision.trivial_difference);
    assert_true(eq->p_holm > 0.05);
    assert_true(triv->decision.trivial_difference);
    assert_true(triv->p_holm <= 0.05);
    /* Undecided: δ 0.2 with paired sd 0.3 needs seeds_reference[2]'s seeds. */
    const analysis_stat *und = decide_stat(a, "0.005");
    assert_true(seeds_reference[2].delta == 0.2 && seeds_reference[2].sd == 0.3);
    assert_int_equal(und->seeds.status, STATS_SEEDS_FOUND);
    assert_true(und->seeds.seeds == (double)seeds_reference[2].seeds);
    assert_true(und->decision.seeds_to_decide == (double)seeds_reference[2].seeds);
    /* Not converged: seed 3 of the configuration still gained 0.3 dB over its last epoch. */
    const analysis_config *nc = &a->configs[decide_config(a, "0.006")];
    assert_false(nc->converged);
    const analysis_run *r3 = &a->runs[nc->runs[2]];
    assert_int_equal(r3->seed, 3);
    assert_int_equal(r3->quarter_epochs, 1);
    assert_near(r3->last_quarter_gain, 0.3, 1e-9, "last-quarter gain");
    assert_int_equal(r3->converged, 0);
    assert_int_equal(a->runs[nc->runs[1]].converged, 1);
    /* Convergence is the runs', so it binds every metric and epoch choice of the configuration:
     * the per-patch PSNR at the best epoch too. */
    assert_int_equal(nc->stat[ANALYSIS_BEST][TEST_PSNR].verdict, STATS_NOT_CONVERGED);

    char text[4096];
    analysis_verdict_sentence(a, decide_config(a, "0.005"), TEST_PSNR, ANALYSIS_LAST, text,
                              sizeof text);
    /* 2 pairs: d_z 11.55 (the fixture's) times sd 0.3 is 3.46 dB. */
    assert_has(text, "λ = 0.5 (eff. 10), kernel 4, lr 0.005: undecided: test PSNR +0.10 dB, 95 % "
                     "interval [-2.60, +2.80], p = 0.72 after Holm; its 90 % interval [-1.24, "
                     "+1.44] is not within ±0.2 dB; paired sd 0.30 dB over 2 seeds; the smallest "
                     "effect 2 seeds detect with 80 % power is 3.46 dB; about 20 seeds would "
                     "decide.");
    analysis_verdict_sentence(a, decide_config(a, "0.002"), TEST_PSNR, ANALYSIS_LAST, text,
                              sizeof text);
    assert_has(text, ": equivalent to the baseline within ±0.2 dB: test PSNR ");
    assert_has(text, ", 90 % interval [");
    assert_null(strstr(text, "trivial"));
    analysis_verdict_sentence(a, decide_config(a, "0.007"), TEST_PSNR, ANALYSIS_LAST, text,
                              sizeof text);
    assert_has(text, "but smaller than the margin: a trivial effect.");
    analysis_verdict_sentence(a, decide_config(a, "0.006"), TEST_PSNR, ANALYSIS_LAST, text,
                              sizeof text);
    assert_has(text, "lr 0.006: not converged: validation PSNR still rose by more "
                     "than 0.05 dB over the last quarter of the epochs, 3 to 4 "
                     "(seed 3 +0.30 dB), so the difference (test PSNR ");
    analysis_verdict_cell(a, decide_config(a, "0.005"), TEST_PSNR, ANALYSIS_LAST, text,
                          sizeof text);
    assert_string_equal(text, "undecided (~20 seeds)");
    analysis_verdict_cell(a, decide_config(a, "0.002"), TEST_PSNR, ANALYSIS_LAST, text,
                          sizeof text);
    assert_string_equal(text, "equivalent (±0.2)");
    analysis_free(a);
}

/* The [report] section the sweep stored widens the margin: verdicts change, identities do not. */
static void test_margin_override(void **state)
{
    fixture *f = *state;
    analysis *plain = NULL, *wide = NULL;
    cmd_db d = { .flag = f->db };
    snprintf(d.path, sizeof d.path, "%.4000s", f->db);
    assert_int_equal(cmd_open_analysis("compare", &d, "decide", &plain), 0);
    assert_int_equal(cmd_open_analysis("compare", &d, "decide, δ 0.5", &wide), 0);
    assert_false(plain->margin_from_ini[METRIC_PSNR]);
    assert_true(wide->margin[METRIC_PSNR] == 0.5 && wide->margin_from_ini[METRIC_PSNR]);
    assert_int_equal(plain->nconfigs, wide->nconfigs);
    for (size_t c = 0; c < plain->nconfigs; c++)
        assert_string_equal(plain->configs[c].config_id, wide->configs[c].config_id);
    static const struct { const char *lr; enum stats_verdict plain, wide; } moved[] = {
        { "0.002", STATS_EQUIVALENT, STATS_EQUIVALENT },
        { "0.003", STATS_HELPS, STATS_EQUIVALENT },     /* +0.27 dB: within ±0.5 */
        { "0.004", STATS_HURTS, STATS_EQUIVALENT },
        { "0.005", STATS_UNDECIDED, STATS_UNDECIDED },
        { "0.006", STATS_NOT_CONVERGED, STATS_NOT_CONVERGED },
    };
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        const analysis_stat *p = &plain->configs[decide_config(plain, moved[i].lr)]
                                      .stat[ANALYSIS_LAST][TEST_PSNR];
        const analysis_stat *w = &wide->configs[decide_config(wide, moved[i].lr)]
                                     .stat[ANALYSIS_LAST][TEST_PSNR];
        assert_int_equal(p->verdict, moved[i].plain);
        assert_int_equal(w->verdict, moved[i].wide);
        assert_true(w->margin == 0.5);
        /* The tests themselves do not move: only what is decided from them. */
        assert_true(p->p_holm == w->p_holm);
    }
    /* The wider margin needs fewer seeds. */
    const analysis_stat *und = &wide->configs[decide_config(wide, "0.005")]
                                    .stat[ANALYSIS_LAST][TEST_PSNR];
    assert_true(und->seeds.seeds < 20);
    /* A bad margin is refused. */
    double margins[METRIC_COUNT] = { 0 };
    margins[METRIC_PSNR] = -1;
    char err[256];
    assert_int_equal(analysis_set_margins(wide, margins, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "psnr"));
    /* No margin: the old verdicts, indistinguishable where no test rejects. */
    margins[METRIC_PSNR] = 0;
    CHECK_OK(analysis_set_margins(wide, margins, NULL, ERR));
    assert_int_equal(wide->configs[decide_config(wide, "0.005")].stat[ANALYSIS_LAST][TEST_PSNR]
                         .verdict, STATS_INDISTINGUISHABLE);
    assert_int_equal(wide->configs[decide_config(wide, "0.003")].stat[ANALYSIS_LAST][TEST_PSNR]
                         .verdict, STATS_HELPS);
    analysis_free(plain);
    analysis_free(wide);
}

/* Runs `wb compare ARGS` in this process with stdout into a file; returns its exit status. */
static int run_compare(const char *out, const char *const *args, int nargs)
{
    char *argv[16] = { "compare" };
    for (int i = 0; i < nargs; i++)
        argv[1 + i] = (char *)args[i];
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    dup2(fileno(f), STDOUT_FILENO);
    optind = 0;
    int status = cmd_compare(1 + nargs, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    fclose(f);
    return status;
}

/* Every verdict in wb compare's table, its sentences and CSV, and in the report's groups. */
static void test_decide_outputs(void **state)
{
    fixture *f = *state;
    char out[4300];
    snprintf(out, sizeof out, "%s/compare.txt", f->t.dir);
    /* --wide: the whole table, the sentences unwrapped (phrases are looked for whole). */
    const char *args[] = { "--db", f->db, "--sweep", "decide", "--wide", "--csv" };
    assert_int_equal(run_compare(out, args, 5), 0);
    char *text = read_text(out);
    static const char *const cells[] = {
        "  helps\n", "  hurts\n", "  equivalent (±0.2)\n", "  undecided (~20 seeds)\n",
        "  not converged\n", "lr 0.005: undecided: ", "about 20 seeds would decide.",
        "lr 0.003: helps: test PSNR +0.27", "lr 0.004: hurts: test PSNR -0.27",
        "lr 0.002: equivalent to the baseline within ±0.2 dB: ",
        "lr 0.006: not converged: ", "a trivial effect.",
        "Equivalence margin δ = 0.2 dB for psnr_pooled (the metric table's, fixed before the sweep)",
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
        if (!strstr(text, cells[i]))
            fail_msg("wb compare lacks '%s':\n%s", cells[i], text);
    free(text);
    assert_int_equal(run_compare(out, args, 6), 0);
    text = read_text(out);
    assert_has(text, ",verdict,best,effective_weight,margin,paired_sd,mde,"
                     "seeds_needed,diff_ci90_low,diff_ci90_high,p_equivalence,"
                     "converged\r\n");
    assert_has(text, ",undecided,0,10,0.20000000000000001,");
    assert_has(text, ",not converged,");
    free(text);
    const char *wide[] = { "--db", f->db, "--sweep", "decide, δ 0.5", "--wide" };
    assert_int_equal(run_compare(out, wide, 5), 0);
    text = read_text(out);
    assert_has(text, "δ = 0.5 dB for psnr_pooled (from the sweep's [report] section");
    assert_has(text, "lr 0.003: equivalent to the baseline within ±0.5 dB");
    free(text);

    analysis *a = load(f, "decide");
    chart_result charts[CHART_COUNT] = { { 0, "x" }, { 0, "x" }, { 0, "x" }, { 0, "x" },
                                         { 0, "x" } };
    report_inputs in = { .a = a, .charts = charts, .grid_error = "none", .laplacian_note = "",
                         .generated_at = "now", .wb_version = "wb test" };
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/decide-report", f->t.dir);
    mkdir(dir, 0777);
    CHECK_OK(report_write(dir, &in, ERR));
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = read_text(path);
    static const char *const groups[] = {
        "- **Helps**: λ = 0.5 (eff. 10), kernel 4, lr 0.003.\n",
        "- **Hurts**: λ = 0.5 (eff. 10), kernel 4, lr 0.004.\n",
        "- **Equivalent to the baseline within ±0.2 dB**: λ = 0.5 (eff. 10), kernel 4, lr 0.002; "
        "λ = 0.5 (eff. 10), kernel 4, lr 0.007.\n",
        "- **Undecided (more seeds would decide)**: λ = 0.5 (eff. 10), kernel 4, lr 0.005.\n",
        "- **Not converged (no verdict)**: λ = 0.5 (eff. 10), kernel 4, lr 0.006.\n",
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (!strstr(md, groups[i]))
            fail_msg("report.md lacks '%s'", groups[i]);
    assert_has(md, "about 20 seeds would decide.");
    assert_has(md, "| undecided (\\~20 seeds) |");
    free(md);
    analysis_free(a);
}

/* ---- the answer first ------------------------------------------------------------------------ */

/* One "decide" case alone in a sweep of its own (its runs are shared with the decide sweep). */
static void add_case_sweep(store *s, const char *name, int i)
{
    int64_t sweep = add_sweep_with(s, name, "[sweep]\nname = x\n", DECIDE_AXES);
    const decide_case c = decide_cases(i);
    for (size_t k = 0; k < c.n; k++) {
        const int64_t seed = (int64_t)k + 1;
        const run_plan b = { "0", NULL, c.lr, seed, c.baseline[k], 0, 0, CONVERGED_GAIN };
        const run_plan t = { "0.5", "4", c.lr, seed, c.treatment[k], 0, 0,
                             seed == 3 ? c.gain_of_seed_3 : CONVERGED_GAIN };
        add_run(s, sweep, (int)(2 * k), &b);
        add_run(s, sweep, (int)(2 * k + 1), &t);
    }
}

/* A 2 x 2 factorial sweep (λ 0.5 and 1, kernels 4 and 8, 3 seeds): the paired differences are
 * k4_shift (kernel 4) or k8_shift (kernel 8) plus a per-seed term; `drop` leaves out the
 * configuration λ = 1, kernel 8 (an empty cell) when set. */
static void add_factorial_sweep(store *s, const char *name, const char *lr, double k4_shift,
                                double k8_shift, int drop)
{
    int64_t sweep = add_sweep_with(s, name, "[sweep]\nname = x\n",
                                   "loss.laplacian_weight,loss.kernel");
    static const double base[3] = { 30.0, 30.3, 29.8 }, noise[3] = { 0.05, -0.03, 0.01 };
    static const char *const lambdas[2] = { "0.5", "1" }, *const kernels[2] = { "4", "8" };
    int grid = 0;
    for (int k = 0; k < 3; k++) {
        const run_plan b = { "0", NULL, lr, k + 1, base[k], 0, 0, CONVERGED_GAIN };
        add_run(s, sweep, grid++, &b);
        for (int l = 0; l < 2; l++)
            for (int j = 0; j < 2; j++) {
                if (drop && l == 1 && j == 1)
                    continue;
                double shift = j == 0 ? k4_shift : k8_shift;
                const run_plan t = { lambdas[l], kernels[j], lr, k + 1,
                                     base[k] + shift + noise[(k + l + j) % 3] * (1 + l), 0, 0,
                                     CONVERGED_GAIN };
                add_run(s, sweep, grid++, &t);
            }
    }
}

static void headline_of(fixture *f, const char *name, char *out, size_t outlen)
{
    analysis *a = load(f, name);
    answer_headline(a, TEST_PSNR, ANALYSIS_LAST, out, outlen);
    print_message("%s: %s\n", name, out);
    analysis_free(a);
}

/* The headline is generated from the statistics: each verdict gives its own sentence, and the
 * kernel sentence follows the analysis of variance. */
static void test_headline(void **state)
{
    fixture *f = *state;
    static const struct { int decide_case; const char *name, *says; } cases[] = {
        { 1, "h-helps", "the Laplacian term helps test PSNR at 1 of 1 settings and hurts at 0; "
                        "the best is λ = 0.5 (eff. 10), kernel 4, lr 0.003, +" },
        { 2, "h-hurts", "the Laplacian term helps test PSNR at none of 1 settings and hurts at 1 "
                        "(0 equivalent within ±0.2 dB); the worst is λ = 0.5 (eff. 10), kernel "
                        "4, lr 0.004, -" },
        { 0, "h-equivalent", "the Laplacian term makes no difference to test PSNR: every one of "
                             "the 1 settings is equivalent to the baseline within ±0.2 dB." },
        { 3, "h-undecided", "no setting of the Laplacian term is shown to help or hurt test PSNR "
                            "(0 of 1 equivalent within ±0.2 dB, 1 undecided, 0 not converged)" },
        { 4, "h-not-converged", "Caveats: 1 setting not converged (no verdict)" },
    };
    enum { NCASES = sizeof cases / sizeof cases[0] };
    char text[NCASES][8192];
    for (int i = 0; i < NCASES; i++) {
        add_case_sweep(f->s, cases[i].name, cases[i].decide_case);
        headline_of(f, cases[i].name, text[i], sizeof text[i]);
        assert_has(text[i], "On denoise, 8x8 patches, a depth-1 U-Net, 4 epochs: ");
        assert_has(text[i], cases[i].says);
        assert_has(text[i], "How sure: ");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(text[i], text[j]);
    }
    assert_has(text[3], "1 undecided setting needs more seeds");

    /* The kernel matters: K4 +1 dB, K8 -1 dB at both weights. */
    char kernel[8192];
    add_factorial_sweep(f->s, "h-kernel", "0.0091", 1.0, -1.0, 0);
    headline_of(f, "h-kernel", kernel, sizeof kernel);
    /* Unnormalised kernels: no effective weight occurs with both, so the weight factor is λ. */
    assert_has(kernel, "The kernel matters (two-way ANOVA of the paired differences over λ (the "
                       "kernels' own strengths differ at each λ) and kernel, seeds as blocks: "
                       "kernel p < 0.0001, partial η² 1.00; no detectable interaction");
    analysis *a = load(f, "h-kernel");
    answer_anova an;
    CHECK_OK(answer_anova_of(a, TEST_PSNR, ANALYSIS_LAST, &an, ERR));
    assert_true(an.done);
    assert_true(an.a_is_lambda);
    assert_int_equal(an.n, 12);
    assert_int_equal(an.na, 2);
    assert_int_equal(an.nb, 2);
    assert_int_equal(an.nblocks, 3);
    assert_true(an.anova.term[STATS_ANOVA_AB].estimable);
    assert_string_equal(an.empty, "");
    /* Balanced: the kernel's sum of squares is the textbook one, 12 * (mean diff / 2)^2 with the
     * noise averaging out per kernel only approximately, so check it lies near 12. */
    assert_true(an.anova.term[STATS_ANOVA_B].ss > 11 && an.anova.term[STATS_ANOVA_B].ss < 13);
    analysis_free(a);

    /* The same kernels: does not matter. */
    char same[8192];
    add_factorial_sweep(f->s, "h-same", "0.0092", 1.0, 1.0, 0);
    headline_of(f, "h-same", same, sizeof same);
    assert_has(same, "The kernel does not detectably matter");
    assert_string_not_equal(same, kernel);

    /* An empty cell: the interaction is not estimable, the cell is named. */
    add_factorial_sweep(f->s, "h-empty", "0.0093", 1.0, -1.0, 1);
    a = load(f, "h-empty");
    CHECK_OK(answer_anova_of(a, TEST_PSNR, ANALYSIS_LAST, &an, ERR));
    assert_true(an.done);
    assert_int_equal(an.n, 9);
    assert_false(an.anova.term[STATS_ANOVA_AB].estimable);
    assert_int_equal(an.anova.empty_cells, 1);
    assert_string_equal(an.empty, "λ = 1 with kernel 8");
    answer_headline(a, TEST_PSNR, ANALYSIS_LAST, kernel, sizeof kernel);
    assert_has(kernel, "interaction not estimable: empty cells");
    analysis_free(a);

    /* Not a factorial grid: one kernel only. */
    a = load(f, "h-helps");
    CHECK_OK(answer_anova_of(a, TEST_PSNR, ANALYSIS_LAST, &an, ERR));
    assert_false(an.done);
    assert_has(an.why, "the sweep varies train.lr besides λ and the kernel");
    analysis_free(a);
}

/* The statistics beside the t-test, wired to analysis/stats.h: the bootstrap of the paired
 * differences, rliable's probability of improvement over the seeds, d_z. */
static void test_robust(void **state)
{
    fixture *f = *state;
    analysis *a = load(f, "decide");
    const decide_case dc = decide_cases(1);    /* helps */
    size_t ci = decide_config(a, dc.lr);
    answer_robust r;
    CHECK_OK(answer_robust_of(a, ci, TEST_PSNR, ANALYSIS_LAST, &r, ERR));
    assert_int_equal(r.npairs, dc.n);
    assert_true(r.has_bootstrap && r.has_improvement);
    stats_bootstrap b;
    CHECK_OK(stats_bootstrap_paired(dc.treatment, dc.baseline, dc.n, STATS_BOOTSTRAP_RESAMPLES,
                                    ANSWER_BOOTSTRAP_SEED, STATS_ALPHA_DEFAULT, &b, ERR));
    assert_true(r.bootstrap.ci_low == b.ci_low && r.bootstrap.ci_high == b.ci_high);
    assert_int_equal(r.bootstrap.too_few, dc.n < STATS_BOOTSTRAP_MIN_N);
    stats_improvement p;
    CHECK_OK(stats_probability_of_improvement(dc.treatment, dc.n, dc.baseline, dc.n,
                                              STATS_HIGHER_IS_BETTER, STATS_BOOTSTRAP_RESAMPLES,
                                              ANSWER_BOOTSTRAP_SEED, STATS_ALPHA_DEFAULT, &p, ERR));
    assert_true(r.improvement.p == p.p && r.improvement.ci_low == p.ci_low);
    const stats_summary *d = &a->configs[ci].stat[ANALYSIS_LAST][TEST_PSNR].paired.diff;
    assert_near(r.dz, d->mean / d->sd, 1e-12, "d_z");
    /* A baseline has none of them. */
    for (size_t k = 0; k < a->nconfigs; k++)
        if (a->configs[k].is_baseline) {
            CHECK_OK(answer_robust_of(a, k, TEST_PSNR, ANALYSIS_LAST, &r, ERR));
            assert_false(r.has_bootstrap || r.has_improvement);
            break;
        }
    analysis_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grouping_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summaries_and_paired_tests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_best_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_below_input, setup, teardown),
        cmocka_unit_test(test_quarter_rise),
        cmocka_unit_test_setup_teardown(test_sentences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid_rows_and_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
    };
    const struct CMUnitTest decide_tests[] = {
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_margin_override),
        cmocka_unit_test(test_decide_outputs),
        cmocka_unit_test(test_headline),
        cmocka_unit_test(test_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL) +
           cmocka_run_group_tests_name("decide", decide_tests, setup_decide, teardown);
}
