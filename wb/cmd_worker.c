/* wb __worker: one of `wb sweep --jobs N`'s processes. It reads the sweep's configuration from the
 * database (so every worker and every later resume trains exactly what was registered), claims
 * runs one at a time and trains them, writing progress events to stdout for its coordinator. */
#include <getopt.h>
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
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "sweep-id", required_argument, 0, 's' },
        { "jobs", required_argument, 0, 'j' }, { "shard", required_argument, 0, 'k' },
        { "parent", required_argument, 0, 'p' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    const char *db = NULL;
    int64_t sweep_id = 0;
    int jobs = 1, shard_k = 0, shard_n = 0, c;
    long parent = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': sweep_id = atoll(optarg); break;
        case 'j': jobs = atoi(optarg); break;
        case 'p': parent = atol(optarg); break;
        case 'k':
            if (sched_parse_shard(optarg, &shard_k, &shard_n) != 0)
                return cmd_usage(usage, WB_EXIT_USAGE);
            break;
        case 'h': return cmd_usage(usage, WB_EXIT_OK);
        default: return cmd_bad_option("__worker", usage, argv);
        }
    }
    if (!db || sweep_id <= 0 || jobs < 1)
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
    int status = WB_EXIT_FAILURE, failed = 0;
    if (cmd_open_store("sweep", db, STORE_OPEN_EXISTING, &s) != WB_EXIT_OK)
        goto out;
    if (load_sweep(s, sweep_id, &cfg, err, sizeof err) != 0 ||
        config_expand(cfg, &g, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        goto out;
    }
    runner_sink sink = { NULL, emit_line };
    if (sched_work(s, sweep_id, g, shard_k, shard_n, jobs, &sink, &failed, err, sizeof err) != 0) {
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
