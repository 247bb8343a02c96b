/* wb merge OUT.db IN.db...: shards (or any databases) into one, with their run folders. */
#include <getopt.h>
#include <stdio.h>

#include "store/store.h"
#include "wb/cmd.h"

static const char usage[] =
    "usage: wb merge OUT.db IN.db...\n\n"
    "Copies every sweep, run, metric, checkpoint and run folder of each IN into OUT (created if\n"
    "missing). Runs are matched by config_hash: one already in OUT is skipped, unless OUT's copy\n"
    "is unfinished and IN's finished. Merging again changes nothing.\n";

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
    if ((status = cmd_open_store("merge", argv[optind], STORE_OPEN_CREATE, &out)) != WB_EXIT_OK)
        return status;
    for (int i = optind + 1; i < argc; i++) {
        store_merge_stats ms = { 0 };
        if (store_merge(out, argv[i], &ms, err, sizeof err) != 0) {
            wb_error("merge", "%s", err);
            status = WB_EXIT_FAILURE;
            continue;
        }
        printf("%s: %d runs added, %d replaced, %d already there; %d sweeps added, %d run folders "
               "copied\n", argv[i], ms.runs_added, ms.runs_replaced, ms.runs_skipped,
               ms.sweeps_added, ms.folders_copied);
    }
    store_close(out);
    return status;
}
