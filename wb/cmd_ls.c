/* wb ls: every run with its sweep, status, progress, configuration label and latest test PSNR. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/label.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"

static const char usage[] =
    "usage: wb ls [--db PATH] [--sweep NAME]\n\n"
    "Lists the runs of every sweep (or of one), in grid order: id, config hash prefix, status,\n"
    "epochs done, the configuration (λ with its effective weight, then the sweep's other axes),\n"
    "seed, the test PSNR of the last epoch, and errors.\n\n"
    "  --db PATH      database (default results/wb.db)\n"
    "  --sweep NAME   only this sweep\n";

/* One row of the listing: the run, as it stands in the sweep. */
static int add_run(table *t, store *s, const store_sweep_record *w, const store_run_record *r,
                   char *err, size_t errlen)
{
    store_param *params;
    size_t np;
    double psnr;
    if (store_read_params(s, r->id, &params, &np, err, errlen) != 0)
        return -1;
    if (store_read_metric(s, r->id, r->epochs_done, "test", "psnr", &psnr, err, errlen) != 0) {
        store_params_free(params, np);
        return -1;
    }
    char id[24], hash[16], epochs[32], label[2048], seed[24], test_psnr[32];
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    snprintf(hash, sizeof hash, "%.12s", r->config_hash);
    if (r->epochs_done < 0)
        snprintf(epochs, sizeof epochs, "-");
    else if (r->epochs >= 0)
        snprintf(epochs, sizeof epochs, "%d/%d", r->epochs_done, r->epochs);
    else
        epochs[0] = '\0';
    label_of_params(w->axes, params, np, label, sizeof label, NULL, 0);
    snprintf(seed, sizeof seed, "%lld", (long long)r->seed);
    if (isnan(psnr))
        test_psnr[0] = '\0';   /* not logged yet, or NaN (a diverged run) */
    else if (isinf(psnr))
        snprintf(test_psnr, sizeof test_psnr, "%sInf", psnr < 0 ? "-" : "");
    else
        snprintf(test_psnr, sizeof test_psnr, "%.3f", psnr);
    const char *cells[] = { id, hash, w->name, store_status_name(r->status), epochs, label, seed,
                            test_psnr, r->error };
    store_params_free(params, np);
    if (table_add(t, cells) == 0)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* The runs of every sweep (or of the one named), by sweep name and grid order. */
static int list_runs(store *s, const char *sweep, table *t, char *err, size_t errlen)
{
    store_sweep_record *w;
    size_t nw;
    if (store_read_sweeps(s, &w, &nw, err, errlen) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nw; i++) {
        store_run_record *r;
        size_t nr;
        if (sweep && strcmp(w[i].name, sweep) != 0)
            continue;
        if ((rc = store_read_sweep_runs(s, w[i].id, &r, &nr, err, errlen)) != 0)
            break;
        for (size_t k = 0; rc == 0 && k < nr; k++)
            rc = add_run(t, s, &w[i], &r[k], err, errlen);
        store_run_records_free(r, nr);
    }
    store_sweep_records_free(w, nw);
    return rc;
}

int cmd_ls(int argc, char **argv)
{
    const char *db = CONFIG_DEFAULT_DATABASE, *sweep = NULL;
    const cmd_option opts[] = { { .name = "db", .text = &db }, { .name = "sweep", .text = &sweep },
                                { 0 } };
    store *s;
    int status = cmd_parse("ls", usage, argc, argv, opts, 0);
    if (status >= 0 || (status = cmd_open_store("ls", db, STORE_OPEN_READONLY, &s)) != WB_EXIT_OK)
        return status;
    static const char *const headers[] = { "id", "hash", "sweep", "status", "epochs",
                                           "configuration", "seed", "test_psnr", "error" };
    char err[1024] = "out of memory";
    table *t = table_new(9, headers);
    if (!t || list_runs(s, sweep, t, err, sizeof err) != 0) {
        wb_error("ls", "%s", err);
        status = WB_EXIT_FAILURE;
    } else if (table_rows(t) == 0) {
        if (sweep)
            wb_error("ls", "%s: no runs in a sweep named '%s'", db, sweep);
        else
            printf("%s: no runs yet\n", db);
        status = sweep ? WB_EXIT_USAGE : WB_EXIT_OK;
    } else {
        table_print(t, stdout, 0);
    }
    table_free(t);
    store_close(s);
    return status;
}
