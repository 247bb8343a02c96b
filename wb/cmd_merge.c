/* wb merge OUT.db IN.db...: shards (or any databases) into one, with their run folders. */
#include <getopt.h>
#include <stdio.h>

#include "model/unet.h"
#include "store/store.h"
#include "wb/cmd.h"

static const char usage[] =
    "usage: wb merge OUT.db IN.db...\n\n"
    "Copies every sweep, run, metric, checkpoint and run folder of each IN into OUT (created if\n"
    "missing). Runs are matched by config_hash: one already in OUT is skipped, unless OUT's copy\n"
    "is unfinished and IN's finished. Merging again changes nothing.\n\n"
    "An IN is checked whole before anything is copied, and refused with a message saying what\n"
    "was wrong: a damaged file, tables that are not wb's, a hash that is not 64 hex digits, a run\n"
    "folder or checkpoint path other than its hash gives, a link or FIFO in a run folder, a\n"
    "missing checkpoint file, a file larger than its run's shapes allow. Only the files a run\n"
    "writes are copied (weights, optimizer state, preview). A run finished in both with other\n"
    "results (another thread count or CPU: not bit for bit) is said, with the metrics that\n"
    "differ; OUT's results are kept.\n"
    "Files are copied before the rows that name them are committed, in short transactions, so a\n"
    "sweep can go on writing OUT meanwhile.\n\n"
    "Exit status: 0, or 1 when an IN was refused or could not be merged (the others are).\n";

/* The metrics that differ between any two trainings: never compared. */
static const char *const timing_metrics[] = { "seconds", "samples_per_s", NULL };

/* The parameters of a run's U-Net, which bound the size of its weight files. */
static int64_t unet_parameters(int depth, int base_channels)
{
    const model_options m = { .depth = depth, .base_channels = base_channels };
    return (int64_t)unet_params_of(&m);
}

static void report_conflicts(const char *out, const store_merge_stats *ms)
{
    for (size_t i = 0; i < ms->nconflicts; i++) {
        const store_merge_conflict *c = &ms->conflicts[i];
        wb_error("merge",
                 "warning: run %.12s (run %lld of %s) is finished in both with other results: "
                 "%d values differ (%s; largest difference %.3g); %s's are kept",
                 c->config_hash, (long long)c->out_run_id, out, c->values_differ, c->metrics,
                 c->max_abs_diff, out);
    }
}

int cmd_merge(int argc, char **argv)
{
    const cmd_option opts[] = { { 0 } };
    char err[2048];
    store *out;
    int status = cmd_parse("merge", usage, argc, argv, opts, -1);
    if (status >= 0)
        return status;
    if (argc - optind < 2)
        return cmd_usage(usage, WB_EXIT_USAGE);
    const char *out_path = argv[optind];
    if ((status = cmd_open_store("merge", out_path, STORE_OPEN_CREATE, &out)) != WB_EXIT_OK)
        return status;
    const store_merge_options mo = { .ignore_metrics = timing_metrics,
                                     .param_count = unet_parameters };
    for (int i = optind + 1; i < argc; i++) {
        store_merge_stats ms = { 0 };
        const int rc = store_merge(out, argv[i], &mo, &ms, err, sizeof err);
        report_conflicts(out_path, &ms);
        if (rc != 0) {
            wb_error("merge", "%s", err);
            status = WB_EXIT_FAILURE;
        } else {
            printf("%s: %d runs added, %d replaced, %d already there", argv[i], ms.runs_added,
                   ms.runs_replaced, ms.runs_skipped);
            if (ms.runs_conflicting)
                printf(" (%d with other results, %s's kept)", ms.runs_conflicting, out_path);
            printf("; %d sweeps added, %d run folders copied\n", ms.sweeps_added,
                   ms.folders_copied);
        }
        store_merge_stats_free(&ms);
    }
    store_close(out);
    return status;
}
