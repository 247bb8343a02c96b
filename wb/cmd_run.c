/* wb run FILE.ini [--set section.key=value ...]: one configuration, trained in this process.
 *
 * Its runs are kept in a sweep of their own, "run:<sweep.name>" (sched_register_run), so a one-off
 * experiment never rewrites the configuration or the grid of the sweep the file describes; the
 * sweep's INI text is the file's, followed by the --set overrides as comments (the resolved
 * configuration itself is in the run's params). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"
#include "model/metrics.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/progress.h"
#include "wb/sched.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb run FILE.ini [--set section.key=value ...] [--db PATH] [--quiet]\n\n"
    "Trains the one configuration FILE.ini describes after the --set overrides (a file with\n"
    "comma lists describes a grid: pick one point with --set, or use wb sweep). Running the same\n"
    "command again resumes an interrupted run, or reports a finished one.\n\n"
    "  --set section.key=value   override one key (repeatable; one value each)\n"
    "  --db PATH                 database (default: sweep.database, else results/wb.db)\n"
    "  --quiet                   no progress on stderr\n";

#define MAX_SETS 64

typedef struct run_args {
    const char *file, *db;
    const char *sets[MAX_SETS];
    int nsets, quiet;
} run_args;

/* What a run needs once its command line is read; run_free releases it. */
typedef struct run_job {
    config *cfg;
    config_grid *g;
    config_run *cr;             /* the grid's one run */
    data_cache cache;
    const dataset *ds;
    store *s;
    int64_t run_id;
} run_job;

/* -1 to go on, else the exit status (--help: 0). */
static int parse_args(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    const cmd_option opts[] = { { .name = "set", .list = a->sets, .count = &a->nsets,
                                  .max = MAX_SETS },
                                { .name = "db", .text = &a->db },
                                { .name = "quiet", .letter = 'q', .flag = &a->quiet }, { 0 } };
    const int status = cmd_parse("run", usage, argc, argv, opts, 1);
    if (status >= 0)
        return status;
    a->file = argv[optind];
    return -1;
}

/* The configuration (one run, or a usage error) and its data: 0 or WB_EXIT_USAGE. */
static int load(const run_args *a, run_job *j)
{
    char err[2048];
    int rc = config_parse_file(a->file, &j->cfg, err, sizeof err);
    for (int i = 0; rc == 0 && i < a->nsets; i++)
        rc = config_set(j->cfg, a->sets[i], i + 1, err, sizeof err);
    if (rc == 0)
        rc = config_expand(j->cfg, &j->g, err, sizeof err);
    if (rc != 0) {
        wb_error("run", "%s", err);
        return WB_EXIT_USAGE;
    }
    if (j->g->nruns != 1) {
        /* What varies: the axes, and the seeds only when there are several. */
        int seeds = 0;
        for (size_t i = 0; i < j->g->nruns; i++) {
            int seen = 0;
            for (size_t k = 0; k < i; k++)
                seen |= j->g->runs[k].options.seed == j->g->runs[i].options.seed;
            seeds += !seen;
        }
        char varies[2048];
        snprintf(varies, sizeof varies, "%s%s%s", j->g->naxes ? "axes: " : "",
                 j->g->naxes ? j->g->axes : "", seeds > 1 ? (j->g->naxes ? "; " : "") : "");
        if (seeds > 1)
            snprintf(varies + strlen(varies), sizeof varies - strlen(varies), "%d seeds", seeds);
        wb_error("run", "%s describes %zu runs (%s); wb run trains one: pick it with --set "
                 "(--set %s=VALUE%s), or use wb sweep", a->file, j->g->nruns, varies,
                 j->g->naxes ? j->g->axis_keys[0] : "sweep.seeds",
                 j->g->naxes > 1 ? " for each axis" : "");
        return WB_EXIT_USAGE;
    }
    j->cr = &j->g->runs[0];
    if (data_cache_get(&j->cache, &j->cr->options.data, &j->ds, err, sizeof err) != 0) {
        wb_error("run", "%s: %s", a->file, err);
        return WB_EXIT_USAGE;
    }
    return WB_EXIT_OK;
}

/* The database opened and the run registered in it: 0 or WB_EXIT_FAILURE. */
static int record(const run_args *a, run_job *j)
{
    char err[2048] = "out of memory";
    int status = cmd_open_store("run", config_database(j->g, a->db), STORE_OPEN_CREATE, &j->s);
    if (status != WB_EXIT_OK)
        return status;
    char *ini = cmd_ini_with_sets(config_ini_text(j->cfg), "wb run", a->sets, a->nsets);
    if (!ini || sched_register_run(j->s, j->g, j->cr, a->file, ini, &j->run_id, err,
                                   sizeof err) != 0) {
        wb_error("run", "%s", err);
        status = WB_EXIT_FAILURE;
    }
    free(ini);
    return status;
}

/* "run 7 (4fe27e7894aa): finished; epoch 2: test psnr 12.114 dB, ssim 0.1520, lap8_mse 0.1442",
 * the metrics those of the last epoch with test metrics. */
static void print_result(store *s, int64_t run_id, const char *hash, enum store_status st)
{
    store_metric_value *m;
    size_t n;
    char err[1024];
    printf("run %lld (%.12s): %s", (long long)run_id, hash, store_status_name(st));
    if (store_read_metrics(s, run_id, &m, &n, err, sizeof err) == 0) {
        /* The primary metric under its one name, then SSIM and the K8 Laplacian error, with the
         * digits that mean something (analysis/label.h). */
        static const enum metric_id ids[] = { METRIC_PSNR_POOLED, METRIC_SSIM, METRIC_LAP8_MSE };
        static const char *const names[] = { "PSNR", "SSIM", "lap8_mse" };
        char v[3][32] = { "-", "-", "-" };
        int last = -1;
        for (size_t i = 0; i < n; i++)
            if (strcmp(m[i].split, "test") == 0 && m[i].epoch > last)
                last = m[i].epoch;
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
                if (m[i].epoch == last && strcmp(m[i].split, "test") == 0 &&
                    strcmp(m[i].name, metric_def_of(ids[k])->name) == 0)
                    format_metric(ids[k], m[i].value, 1, v[k], sizeof v[k]);
        if (last >= 0)
            printf("; epoch %d: test %s %s dB, %s %s, %s %s", last, names[0], v[0], names[1],
                   v[1], names[2], v[2]);
        store_metric_values_free(m, n);
    }
    printf("\n");
}

static void emit_direct(void *ctx, const progress_event *e)
{
    progress_apply(ctx, e);
}

/* Claims the registered run and trains it here, or reports it when it is already done. */
static int train(const run_args *a, run_job *j)
{
    char err[2048], host[256];
    store_run_info ri;
    if (store_get_run(j->s, j->run_id, &ri, err, sizeof err) != 0) {
        wb_error("run", "%s", err);
        return WB_EXIT_FAILURE;
    }
    if (ri.status == STORE_FINISHED || ri.status == STORE_DIVERGED ||
        ri.status == STORE_FAILED) {
        print_result(j->s, j->run_id, j->cr->config_hash, ri.status);
        char hint[4200];
        cmd_db_option(store_path(j->s), hint, sizeof hint);
        printf("(already done; its epochs: wb show %lld %s)\n", (long long)j->run_id, hint);
        return ri.status == STORE_FAILED ? WB_EXIT_FAILURE : WB_EXIT_OK;
    }
    store_claim_info ci;
    int claimed;
    sched_claim_info(&ci, host, sizeof host, sched_threads(j->cr->options.train.threads, 1));
    if (store_claim_run(j->s, j->run_id, &ci, &claimed, err, sizeof err) != 0) {
        wb_error("run", "%s", err);
        return WB_EXIT_FAILURE;
    }
    if (!claimed) {
        char hint[4200];
        cmd_db_option(store_path(j->s), hint, sizeof hint);
        wb_error("run", "run %lld is being trained by another process (see wb ls %s)",
                 (long long)j->run_id, hint);
        return WB_EXIT_FAILURE;
    }
    wb_install_stop_handlers();
    const int todo = j->cr->options.train.epochs - (ri.epochs_done > 0 ? ri.epochs_done : 0);
    progress *p = progress_new(stderr, wb_stderr_is_tty(), a->quiet, 1, todo, 1);
    runner_sink sink = { p, emit_direct };
    runner_result res;
    const int rc = runner_execute(j->s, j->run_id, j->cr, j->ds, NULL, &sink, &res, err,
                                 sizeof err);
    progress_finish(p);
    progress_free(p);
    if (rc != 0) {
        wb_error("run", "%s", err);
        return WB_EXIT_FAILURE;
    }
    print_result(j->s, j->run_id, j->cr->config_hash, res.status);
    if (res.status == STORE_FAILED)
        wb_error("run", "%s", res.error);
    else if (res.lost)
        wb_error("run", "%s (the run is another process's now; this one stops)", res.error);
    else if (res.write_failed)
        wb_error("run", "%s (run interrupted; run the command again to resume)", res.error);
    return res.stop_signal ? wb_exit_for_signal(res.stop_signal)
           : res.status == STORE_FAILED || res.write_failed ? WB_EXIT_FAILURE : WB_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    run_args a;
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;   /* --help, or a usage error */
    run_job j = { 0 };
    status = load(&a, &j);
    if (status == WB_EXIT_OK)
        status = record(&a, &j);
    if (status == WB_EXIT_OK)
        status = train(&a, &j);
    store_close(j.s);
    data_cache_free(&j.cache);
    config_grid_free(j.g);
    config_free(j.cfg);
    return status;
}
