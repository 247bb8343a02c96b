/* wb run FILE.ini [--set section.key=value ...]: one configuration, trained in this process.
 *
 * Its runs are kept in a sweep of their own, "run:<sweep.name>", so a one-off experiment never
 * rewrites the configuration or the grid of the sweep the file describes; the sweep's INI text is
 * the file's, followed by the --set overrides as comments (the resolved configuration itself is
 * in the run's params). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

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

static void emit_direct(void *ctx, const progress_event *e)
{
    progress_apply(ctx, e);
}

/* The file's text and the overrides, for the sweep record. */
static char *ini_with_overrides(const char *text, char *const *sets, int nsets)
{
    size_t len = strlen(text) + 64;
    for (int i = 0; i < nsets; i++)
        len += strlen(sets[i]) + 16;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t at = (size_t)snprintf(out, len, "%s%s; wb run overrides:\n", text,
                                 text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "");
    for (int i = 0; i < nsets; i++)
        at += (size_t)snprintf(out + at, len - at, "; --set %s\n", sets[i]);
    return out;
}

static void print_result(store *s, int64_t run_id, const char *hash, const char *status)
{
    sqlite3_stmt *st;
    printf("run %lld (%.12s): %s", (long long)run_id, hash, status);
    if (sqlite3_prepare_v2(store_handle(s),
                           "SELECT epoch, psnr, ssim, lap8_mse FROM epochs WHERE run_id = ?1 AND "
                           "split = 'test' ORDER BY epoch DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            printf("; epoch %d: test psnr %.3f dB, ssim %.4f, lap8_mse %.4g",
                   sqlite3_column_int(st, 0), sqlite3_column_double(st, 1),
                   sqlite3_column_double(st, 2), sqlite3_column_double(st, 3));
        sqlite3_finalize(st);
    }
    printf("\n");
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "set", required_argument, 0, 's' }, { "db", required_argument, 0, 'd' },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    char *sets[MAX_SETS];
    const char *db_flag = NULL;
    int nsets = 0, quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets == MAX_SETS) {
                wb_error("run", "at most %d --set options", MAX_SETS);
                return WB_EXIT_USAGE;
            }
            sets[nsets++] = optarg;
            break;
        case 'd': db_flag = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cmd_usage(usage, WB_EXIT_OK);
        default: return cmd_bad_option("run", usage, argv);
        }
    }
    if (optind != argc - 1)
        return cmd_usage(usage, WB_EXIT_USAGE);
    const char *file = argv[optind];

    char err[2048];
    config *cfg = NULL;
    config_grid *g = NULL;
    store *s = NULL;
    data_cache cache = { 0 };
    char *ini = NULL, *sweep_name = NULL;
    progress *p = NULL;
    int status = WB_EXIT_USAGE;
    const dataset *ds;
    if (config_parse_file(file, &cfg, err, sizeof err) != 0) {
        wb_error("run", "%s", err);
        goto out;
    }
    for (int i = 0; i < nsets; i++)
        if (config_set(cfg, sets[i], i + 1, err, sizeof err) != 0) {
            wb_error("run", "%s", err);
            goto out;
        }
    if (config_expand(cfg, &g, err, sizeof err) != 0) {
        wb_error("run", "%s", err);
        goto out;
    }
    if (g->nruns != 1) {
        wb_error("run", "%s describes %zu runs (axes: %s%s); wb run trains one: pick it with "
                 "--set, or use wb sweep", file, g->nruns, g->naxes ? g->axes : "",
                 g->naxes ? ", and the seeds" : "the seeds");
        goto out;
    }
    config_run *cr = &g->runs[0];
    if (data_cache_get(&cache, &cr->options.data, &ds, err, sizeof err) != 0) {
        wb_error("run", "%s: %s", file, err);
        goto out;
    }

    if ((status = cmd_open_store("run", config_database(g, db_flag), STORE_OPEN_CREATE, &s)) !=
        WB_EXIT_OK)
        goto out;
    status = WB_EXIT_FAILURE;
    ini = ini_with_overrides(config_ini_text(cfg), sets, nsets);
    const size_t nl = strlen(g->name) + 8;
    sweep_name = malloc(nl);
    if (!ini || !sweep_name) {
        wb_error("run", "out of memory");
        goto out;
    }
    snprintf(sweep_name, nl, "run:%s", g->name);
    char host[256];
    wb_hostname(host, sizeof host);
    /* A one-run sweep record: its grid index is its position among the record's runs. */
    const store_sweep_info info = { sweep_name, ini, file, g->axes, host, NULL, NULL, 0 };
    int64_t sweep_id = 0, run_id = 0;
    int created;
    sqlite3_stmt *st = NULL;
    const data_options *d = &cr->options.data;
    if (store_begin(s, err, sizeof err) == 0) {
        /* A run already in the record (run again to resume it) keeps its index. */
        if (store_upsert_sweep(s, &info, &sweep_id, err, sizeof err) == 0 &&
            sqlite3_prepare_v2(store_handle(s),
                               "SELECT coalesce((SELECT l.grid_index FROM sweep_runs l JOIN runs r"
                               " ON r.id = l.run_id WHERE l.sweep_id = ?1 AND r.config_hash = ?2),"
                               " (SELECT count(*) FROM sweep_runs WHERE sweep_id = ?1))",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, sweep_id);
            sqlite3_bind_text(st, 2, cr->config_hash, -1, SQLITE_STATIC);
            cr->grid_index = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
            sqlite3_finalize(st);
            store_run_spec spec = { cr->config_hash, cr->config_id, (int64_t)cr->options.seed,
                                    cr->grid_index, cr->json, cr->params, cr->nparams, d->source,
                                    d->train_patches, d->val_patches, d->test_patches };
            if (store_add_run(s, sweep_id, &spec, &run_id, &created, err, sizeof err) == 0 &&
                store_commit(s, err, sizeof err) == 0)
                err[0] = '\0';
        }
        if (err[0])
            store_rollback(s);
    }
    if (!run_id || err[0]) {
        wb_error("run", "%s", err[0] ? err : "cannot register the run");
        goto out;
    }
    store_run_info ri;
    if (store_get_run(s, run_id, &ri, err, sizeof err) != 0) {
        wb_error("run", "%s", err);
        goto out;
    }
    if (ri.status == STORE_FINISHED || ri.status == STORE_DIVERGED ||
        ri.status == STORE_FAILED) {
        print_result(s, run_id, cr->config_hash, store_status_name(ri.status));
        printf("(already done; wb show %lld for its epochs)\n", (long long)run_id);
        status = ri.status == STORE_FAILED ? WB_EXIT_FAILURE : WB_EXIT_OK;
        goto out;
    }

    store_claim_info ci;
    int claimed;
    sched_claim_info(&ci, host, sizeof host, sched_threads(cr->options.train.threads, 1));
    if (store_claim_run(s, run_id, &ci, &claimed, err, sizeof err) != 0) {
        wb_error("run", "%s", err);
        goto out;
    }
    if (!claimed) {
        wb_error("run", "run %lld is being trained by another process (see wb ls)",
                 (long long)run_id);
        goto out;
    }
    wb_install_stop_handlers();
    const int todo = cr->options.train.epochs - (ri.epochs_done > 0 ? ri.epochs_done : 0);
    p = progress_new(stderr, wb_stderr_is_tty(), quiet, 1, todo, 1);
    runner_sink sink = { p, emit_direct };
    runner_result res;
    if (runner_execute(s, run_id, cr, ds, &sink, &res, err, sizeof err) != 0) {
        progress_finish(p);
        wb_error("run", "%s", err);
        goto out;
    }
    progress_finish(p);
    print_result(s, run_id, cr->config_hash, store_status_name(res.status));
    status = res.stop_signal ? wb_exit_for_signal(res.stop_signal)
           : res.status == STORE_FAILED || res.write_failed ? WB_EXIT_FAILURE : WB_EXIT_OK;
    if (res.status == STORE_FAILED)
        wb_error("run", "%s", res.error);
    else if (res.write_failed)
        wb_error("run", "%s (run interrupted; run the command again to resume)", res.error);
out:
    progress_free(p);
    data_cache_free(&cache);
    store_close(s);
    free(ini);
    free(sweep_name);
    config_grid_free(g);
    config_free(cfg);
    return status;
}
