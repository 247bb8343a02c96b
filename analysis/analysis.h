/* analysis/analysis.h: one sweep read from the store, grouped into configurations, with the
 * statistics across seeds that `wb compare` prints and `wb report` draws and writes.
 *
 * A configuration is one config_id: the runs of the sweep that differ only in their seed. Its
 * baseline is the λ = 0 configuration whose every parameter equals its own except
 * loss.laplacian_weight, loss.kernel, loss.border and loss.kernel_norm (the Laplacian term's own
 * settings) and train.threads (which is not part of a configuration's identity). Runs are paired
 * with the baseline's by seed: the same seed means the same initial weights, data and order, so
 * the paired difference removes what the seeds share.
 *
 * Only finished runs give final metrics. Every other run (diverged, failed, interrupted, running,
 * queued) stays in the configuration's list of runs, is counted, and is named in its notes:
 * nothing is dropped silently. n of a statistic is the number of finished runs with a value.
 *
 * For every val and test image metric, at the last epoch and at the best epoch (by validation
 * METRIC_SELECTION, model/metrics.h; ties to the earlier epoch, as the store's `final` view), each
 * configuration gets a summary with a Student-t interval, and each configuration with a baseline
 * a paired t-test. Holm's adjustment runs over the configurations compared (one family per metric
 * and epoch choice).
 *
 * Decisions (issue 12; docs/DESIGN.md, "Statistics"): each compared configuration also gets the
 * paired sd, the minimum detectable effect of its seeds (80 % power, two-sided alpha), the seeds
 * needed to detect the metric's equivalence margin δ, and the equivalence test (TOST at ±δ, its 1 -
 * 2 alpha interval); stats_decide turns them into the verdict: helps, hurts, equivalent within ±δ,
 * undecided, not converged (or indistinguishable for a metric without a margin, no test with one
 * seed pair). δ is the metric table's (model/metrics.h), fixed before any sweep, unless the sweep's
 * [report] section overrides it (analysis_set_margins; wb/config.h reads the section). */
#ifndef WB_ANALYSIS_ANALYSIS_H
#define WB_ANALYSIS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/stats.h"
#include "analysis/stein.h"
#include "model/metrics.h"
#include "store/store.h"

/* A series is one metric of one split, "test.psnr": its index is split * METRIC_COUNT + metric
 * (model/metrics.h). Every run keeps every series per epoch; the statistics cover the compared
 * ones, the image metrics of val and test. */
#define ANALYSIS_NSERIES (METRIC_NSPLITS * METRIC_COUNT)
#define ANALYSIS_SERIES(split, metric) ((int)(split) * METRIC_COUNT + (int)(metric))
enum metric_split analysis_series_split(int series);
enum metric_id analysis_series_metric(int series);
/* Whether the statistics cover the series: an image metric of val or test. */
int analysis_series_compared(int series);

/* A name or title written into a struct, so that it can be an argument as it is:
 * printf("%s", analysis_series_name(s).text). */
typedef struct analysis_text {
    char text[128];
} analysis_text;

/* "test.psnr", "train.loss_lap", ... (split.name as in the metrics table); "?" for no series. */
analysis_text analysis_series_name(int series);
/* For people: "test PSNR", "test Laplacian error (K8)", "train loss, Laplacian part". */
analysis_text analysis_series_title(int series);
/* "dB" for PSNR, "" for the unitless ones. */
const char *analysis_series_unit(int series);
/* The series named "split.name", or -1. */
int analysis_series_find(const char *name);
/* Better higher (PSNR, SSIM) or lower (errors, losses). */
enum stats_direction analysis_series_direction(int series);
/* The "do nothing" reference of a series: the same metric on the degraded input ("val.psnr" ->
 * "val_input.psnr"), or -1 when the split has none. */
int analysis_input_series(int series);

/* A run ends below its input when its test value of this metric at the last epoch is worse than
 * the degraded input's: the network made the test images worse than doing nothing. */
#define ANALYSIS_INPUT_METRIC METRIC_PSNR_POOLED

/* The primary metric: the one the report's verdict and wb compare's default judge, and whose
 * validation series judges convergence: pooled PSNR (issue 12), what PyTorch code reports.
 * ANALYSIS_PRIMARY_NAME is its test series' name, for usage texts. */
#define ANALYSIS_PRIMARY_METRIC METRIC_PSNR_POOLED
#define ANALYSIS_PRIMARY_NAME "test.psnr_pooled"
#define ANALYSIS_PRIMARY_SERIES ANALYSIS_SERIES(METRIC_TEST, ANALYSIS_PRIMARY_METRIC)

/* A finished run has converged when its validation primary metric rose by at most this much (in
 * the metric's unit, dB) over the last quarter of its epochs (issue 12). */
#define ANALYSIS_CONVERGED_GAIN 0.05

/* The rise over the last quarter of a run's epochs of values[0 .. last] (one per epoch, epoch 0
 * first): q = ceil(last / 4) (written to *quarter), and q times the slope of the least-squares
 * line through values[last - q .. last], so the rise of that line over the quarter (with q = 1 the
 * difference of the two values). A line through q + 1 points damps the epoch-to-epoch noise of a
 * validation metric (sd 0.02-0.03 dB of pooled PSNR measured on the lossweights design, as large
 * as the limit) that a difference of two epochs takes in full. NaN when a value is not finite. */
double analysis_quarter_rise(const double *values, int last, int *quarter);

enum analysis_at { ANALYSIS_LAST, ANALYSIS_BEST, ANALYSIS_NAT };
/* "last", "best" (the option values of wb compare --at). */
const char *analysis_at_name(enum analysis_at at);
/* "the last epoch", "the best epoch by validation PSNR" (METRIC_SELECTION's title). */
analysis_text analysis_at_title(enum analysis_at at);

typedef struct analysis_run {
    int64_t id, seed;
    int grid_index;
    enum store_status status;
    int epochs;             /* configured */
    int epochs_done;        /* -1: not even epoch 0 */
    int best_epoch;         /* by validation METRIC_SELECTION, ties to the earlier; -1 without
                             * any */
    /* Convergence, judged on the validation primary metric of a finished run with E epochs:
     * q = ceil(E / 4) (the last quarter); gain = q times the slope of the least-squares line
     * through the values of epochs E - q .. E (the rise of that line over the quarter; with q = 1
     * the difference of the two); converged = gain <= ANALYSIS_CONVERGED_GAIN. Unfinished runs and
     * runs missing one of those values: gain NaN, converged -1 (unknown, which does not count against a configuration). */
    double last_quarter_gain;
    int quarter_epochs;     /* q */
    int converged;          /* 1, 0, or -1 unknown */
    char config_hash[65];
    char *error;            /* NULL when none */
    char *folder;           /* usable from the current directory */
    char preview_sha256[65];   /* of preview.npy, as its epoch recorded it; "" when none was */
    char *host, *gemm_library, *compiler;   /* NULL when unknown */
    int threads;
    size_t config;          /* index into analysis.configs */
    int nepochs;            /* the series hold epochs 0 .. nepochs - 1 */
    double *values;         /* values[series * nepochs + epoch], NaN where absent; an input
                             * series (val_input, test_input) at epoch 0 */
    int below_input;        /* finished, and ends below its input (ANALYSIS_INPUT_METRIC) */
} analysis_run;

/* The value of a series at an epoch (NaN outside the run's epochs or where absent). */
double analysis_run_value(const analysis_run *r, int series, int epoch);
/* The value at the last or best epoch (an input series: its one value); NaN unless the run
 * finished. */
double analysis_run_final(const analysis_run *r, int series, enum analysis_at at);

/* One metric of one configuration at one epoch choice. */
typedef struct analysis_stat {
    size_t n;               /* finished runs with a finite value */
    stats_summary summary;  /* meaningful when n >= 1 */
    size_t npairs;          /* seeds with a value here and in the baseline */
    stats_paired paired;    /* this - baseline; meaningful when npairs >= 1 (paired.diff.sd is
                               the paired sd) */
    double p_holm;          /* NaN without a test */
    /* The decision, for a configuration compared with two or more pairs (else NaN, has_test 0,
     * and verdict NO_TEST unless not converged): */
    double margin;          /* δ of the series' metric (analysis.margin); 0: none */
    stats_tost tost;        /* at ±margin and alpha (its 1 - 2 alpha interval); has_test 0
                               without a margin */
    stats_detectable mde;   /* the minimum detectable effect at STATS_POWER_DEFAULT, two-sided
                               alpha, from the paired sd: mde.effect in the metric's unit */
    stats_seeds seeds;      /* seeds to detect ±margin with that power; status NO_SD and seeds
                               NaN without a margin */
    stats_decision decision;
    enum stats_verdict verdict;     /* decision.verdict */
    /* A configuration with a second stage of seeds (wb sweep --until-decided): paired.diff's
     * mean, se and interval, paired.p and tost are Stein's (analysis/stein.h: the first stage's
     * sd and degrees of freedom), not the paired t-test's. */
    int two_stage;
    stats_stein stein;
} analysis_stat;

typedef struct analysis_config {
    char config_id[65];
    double lambda;
    char *kernel, *border, *kernel_norm;    /* NULL where they do not apply (λ = 0) */
    double gain;            /* white-noise gain of its stencil (analysis/label.h); NaN for λ = 0 */
    double effective_weight;    /* λ · gain; 0 for λ = 0 */
    char *label;            /* "λ = 0.6 (eff. 43.2), kernel 8" (analysis/label.h's one format) */
    char *panel_label;      /* the axes but λ, "kernel 8"; "" when λ is the only axis */
    int converged;          /* 0 when a finished run of it did not converge (analysis_run) */
    int is_baseline;        /* λ = 0 */
    long baseline;          /* index of its baseline configuration; itself for a baseline; -1 */
    size_t panel;           /* index into analysis.panels (a baseline: its first panel) */
    int epochs;             /* its budget, train.epochs */
    size_t family;          /* index into analysis.families (analysis/budget.h) */
    size_t *runs;           /* indices into analysis.runs, by seed */
    size_t nruns, nfinished;
    /* The compared series' statistics; an input series' summary over the finished runs (the
     * same at both epoch choices; no test). */
    analysis_stat stat[ANALYSIS_NAT][ANALYSIS_NSERIES];
} analysis_config;

/* The configurations that share every axis value but λ (one panel of the charts: one kernel), and
 * the baselines of those configurations. */
typedef struct analysis_panel {
    char *label;            /* as analysis_config.panel_label; "" when λ is the only axis */
    size_t *configs;        /* baselines first, then by λ */
    size_t nconfigs;
} analysis_panel;

typedef struct analysis {
    int64_t sweep_id;
    char *name, *ini_text, *ini_path, *axes, *created_at, *updated_at;
    char *host, *wb_version, *git_commit;   /* NULL when unknown */
    int git_dirty;          /* 0, 1, or -1 when unknown */
    char *db_path;
    double alpha;
    analysis_run *runs;     /* in grid order */
    size_t nruns;
    analysis_config *configs;   /* by λ, then kernel, then grid order */
    size_t nconfigs;
    analysis_panel *panels;
    size_t npanels;
    /* The training budgets (analysis/budget.h): the distinct train.epochs of the configurations,
     * ascending (one when the sweep does not vary it), and the families: the configurations that
     * differ in their budget alone. With two or more budgets, a configuration's verdict is that of
     * its budget (convergence is a diagnostic, the budgets judge whether a verdict has settled)
     * and Holm's family is the configurations of one budget. */
    int *budgets;
    size_t nbudgets;
    struct analysis_family *families;
    size_t nfamilies;
    size_t nfamily_panels;      /* distinct analysis_family.panel values */
    /* Per metric and epoch choice: the configuration with the best mean (-1 if none has a value)
     * and the number of comparisons in its Holm family. */
    long best[ANALYSIS_NAT][ANALYSIS_NSERIES];
    size_t holm_family[ANALYSIS_NAT][ANALYSIS_NSERIES];
    /* The equivalence margin of each metric (by metric id) the decisions used, and whether the
     * sweep's [report] section set it (else the metric table's delta). */
    double margin[METRIC_COUNT];
    int margin_from_ini[METRIC_COUNT];
    size_t nbelow_input;    /* runs that end below their input */
    /* The task and data in words, from the first run's params: "denoise (noise σ 0.1) on 16x16
     * patches (1024 train, 256 test), a depth-1 U-Net with 8 channels, 6 epochs"; NULL when
     * memory ran out. Keys the sweep varies are named as "varied". */
    char *task;
    /* loss.pixel of the first run ("mse", "l1", "charbonnier"; NULL when not recorded), for the
     * loss to take home (plots/takehome.h); pixel_varies when the sweep varies it. */
    char *pixel_loss;
    int pixel_varies;
    /* When the last run finished (the latest finished_at of the sweep's runs, whatever their
     * status); NULL when none has. */
    char *last_finished_at;
    /* The sweep's second stages of seeds (store/store.h), by configuration. */
    store_stage_plan *plans;
    size_t nplans;
} analysis;

/* Reads the sweep and computes everything above at level alpha (e.g. STATS_ALPHA_DEFAULT).
 * Fails when the sweep does not exist or has no runs, or on a database error. */
int analysis_load(store *s, int64_t sweep_id, double alpha, analysis **out, char *err,
                  size_t errlen);
/* Loads the sweep named `sweep_name` (the most recently run one when NULL) as analysis_load does.
 * *usage_error (may be NULL) is set to 1 when the failure is the caller's to fix (no such sweep),
 * 0 otherwise. */
int analysis_open(store *s, const char *sweep_name, double alpha, analysis **out,
                  int *usage_error, char *err, size_t errlen);
void analysis_free(analysis *a);

/* Decides again with other equivalence margins (by metric id; 0: none), e.g. those of the
 * sweep's [report] section (wb/config.h's config_report_parse of a->ini_text); from_ini (may be
 * NULL) says which the section set, for the notes. analysis_load decides with the metric
 * table's. Fails on a margin that is negative or not finite, or when memory runs out. */
int analysis_set_margins(analysis *a, const double margin[METRIC_COUNT], const int *from_ini,
                         char *err, size_t errlen);

/* The seed pairs of a configuration and its baseline for a series at an epoch choice: x[i] its
 * value, bx[i] the baseline's, seeds[i] (seeds may be NULL) the seed, for every seed with a finite
 * value on both sides, in the configuration's seed order (x, bx, seeds: room for its nruns).
 * Returns how many (0 for a baseline or a configuration without one). */
size_t analysis_paired_values(const analysis *a, size_t config, int series, enum analysis_at at,
                              double *x, double *bx, int64_t *seeds);

/* How many of the configuration's runs count and what became of the others, e.g.
 * "n = 2 of 3 seeds; seed 3 diverged after 3 of 12 epochs (the loss became NaN at epoch 4,
 * step 2)"; "n = 3 of 3 seeds" when all finished. For the statistic of one series at one
 * epoch choice (finished runs without that value are named too). */
void analysis_seeds_note(const analysis *a, size_t config, int series, enum analysis_at at,
                         char *out, size_t outlen);

/* The number of decimals that show a value whose uncertainty is `scale` to two significant
 * digits (without an uncertainty: `fallback`, the value itself, to four), between 2 and 6. */
int analysis_decimals(double scale, double fallback);

/* The verdict on one configuration for one series and epoch choice in plain words, its label
 * first, e.g.
 *   "λ = 0.5 (eff. 10), kernel 4: helps: test PSNR +0.60 dB, 95 % interval [+0.35, +0.85],
 *    p = 0.018 after Holm; paired sd 0.10 dB over 3 seeds; the smallest effect 3 seeds detect
 *    with 80 % power is 0.41 dB."
 *   "...: equivalent to the baseline within ±0.2 dB: test PSNR -0.03 dB, 90 % interval [-0.09,
 *    +0.03], paired sd 0.05 dB over 5 seeds; the smallest effect ..."
 *   "...: undecided: ...; about 7 seeds would decide."
 *   "...: not converged: validation pooled PSNR still rose by more than 0.05 dB over the last quarter of
 *    the epochs, 9 to 12 (seed 2 +0.31 dB; the baseline's seed 1 +0.12 dB), so the difference
 *    (...) measures the training budget as much as the loss: no verdict until ..."
 * or a sentence saying why there is no test (one seed pair, no baseline, no finished runs),
 * followed by the seeds note when runs did not finish. */
void analysis_verdict_sentence(const analysis *a, size_t config, int series, enum analysis_at at,
                               char *out, size_t outlen);

/* The verdict in a word or three, for table cells: "helps", "hurts", "equivalent (±0.2)",
 * "undecided (~7 seeds)", "undecided (>10000 seeds)", "not converged", "indistinguishable",
 * "no test (1 seed)", "baseline", "no baseline", "no pairs". */
void analysis_verdict_cell(const analysis *a, size_t config, int series, enum analysis_at at,
                           char *out, size_t outlen);
/* The configurations whose input summary of `series` (a val or test series; the summary is
 * stat[at][analysis_input_series(series)]) stands for all: one per distinct input value, since
 * configurations that share their data share it. Writes their indices into configs (room for
 * nconfigs) and returns how many. */
size_t analysis_input_configs(const analysis *a, int series, size_t *configs);
/* "input (no network)" when there is one such configuration (n == 1), else "input (no network),
 * as λ = 0.3, task = deblur". */
void analysis_input_label(const analysis *a, size_t config, size_t n, char *out, size_t outlen);

/* Run i as people name it: "run 12 (λ = 1, kernel = 8, seed 2)". */
void analysis_run_label(const analysis *a, size_t run, char *out, size_t outlen);
/* Why run i is flagged below its input: "run 12 (λ = 1, kernel = 8, seed 2) ends below its
 * input: test pooled PSNR 19.20 dB at the last epoch, the input's 20.01 dB". */
void analysis_below_input_line(const analysis *a, size_t run, char *out, size_t outlen);
/* The sweep's sentence: "No run ends below its input (...)." or "2 runs end below their input
 * (...): run 12 (...), run 13 (...)." */
void analysis_below_input_sentence(const analysis *a, char *out, size_t outlen);

/* "p = 0.043", "p = 1", "p < 0.0001" (written into out). */
void analysis_format_p(double p, char *out, size_t outlen);

#endif
