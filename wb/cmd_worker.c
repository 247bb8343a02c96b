/* wb __worker: one of `wb sweep --jobs N`'s processes. It reads the sweep's configuration from the
 * database (so every worker and every later resume trains exactly what was registered), claims
 * runs one at a time and trains them, writing progress events to stdout for its coordinator. */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/read.h"
#include "wb/cmd.h"
#include "wb/progress.h"
#include "wb/sched.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb __worker --db PATH --sweep-id N --jobs J --parent PID [--shard K/N]\n"
    "(internal: started by wb sweep)\n";

static void emit_line(void *ctx, const progress_event *e)
{
    (void)ctx;
    char line[1024];
    if (progress_format(e, line, sizeof line) == 0) {
        fputs(line, stdout);
        fflush(stdout);
    }
}

/* The sweep's configuration as registered: its INI text under its name. */
static int load_sweep(store *s, int64_t sweep_id, config **cfg, char *err, size_t errlen)
{
    store_sweep_record w;
    if (store_read_sweep(s, sweep_id, &w, err, errlen) != 0)
        return -1;
    int rc = config_parse_string(w.ini_text ? w.ini_text : "", w.name, cfg, err, errlen);
    store_sweep_record_free(&w);
    return rc;
}

int cmd_worker(int argc, char **argv)
{
    const char *db = NULL, *sweep_text = "0", *jobs_text = "1", *parent_text = "0";
    const char *shard = NULL;
    const cmd_option opts[] = { { .name = "db", .text = &db },
                                { .name = "sweep-id", .text = &sweep_text },
                                { .name = "jobs", .text = &jobs_text },
                                { .name = "shard", .text = &shard },
                                { .name = "parent", .text = &parent_text }, { 0 } };
    int status = cmd_parse("__worker", usage, argc, argv, opts, -1);
    if (status >= 0)
        return status;
    const int64_t sweep_id = atoll(sweep_text);
    const int jobs = atoi(jobs_text);
    const long parent = atol(parent_text);
    int shard_k = 0, shard_n = 0;
    if (!db || sweep_id <= 0 || jobs < 1 ||
        (shard && sched_parse_shard(shard, &shard_k, &shard_n) != 0))
        return cmd_usage(usage, WB_EXIT_USAGE);
    wb_install_stop_handlers();
    /* A worker outlives a coordinator killed with SIGKILL only long enough to stop like a
     * SIGTERM would have stopped it: its epoch committed or discarded whole, its run marked
     * interrupted for the next sweep to resume. The parent check closes the race with a
     * coordinator that died before prctl. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (parent > 0 && getppid() != (pid_t)parent)
        wb_stop_signal = SIGTERM;

    char err[1024];
    store *s = NULL;
    config *cfg = NULL;
    config_grid *g = NULL;
    int failed = 0;
    status = WB_EXIT_FAILURE;
    if (cmd_open_store("sweep", db, STORE_OPEN_EXISTING, &s) != WB_EXIT_OK)
        goto out;
    if (load_sweep(s, sweep_id, &cfg, err, sizeof err) != 0 ||
        config_expand(cfg, &g, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        goto out;
    }
    runner_sink sink = { NULL, emit_line };
    if (sched_work(s, sweep_id, g, cfg, shard_k, shard_n, jobs, &sink, &failed, err,
                   sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        goto out;
    }
    status = wb_stop_signal ? wb_exit_for_signal(wb_stop_signal)
           : failed ? WB_EXIT_FAILURE : WB_EXIT_OK;
out:
    config_grid_free(g);
    config_free(cfg);
    store_close(s);
    return status;
}
