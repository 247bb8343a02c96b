/* wb rm RUN...: removes runs (their rows and their folders) after saying what goes, each run
 * with every sweep that holds it; a running run is refused. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb rm RUN... [--yes] [--db PATH | --ini FILE.ini]\n\n"
    "Removes runs from the database (configuration, metrics, checkpoint rows, tags and notes,\n"
    "their place in every sweep) and their folders (weights, preview), after listing them with\n"
    "every sweep each belongs to and asking. A running run is refused, and then nothing is\n"
    "removed. A sweep run again trains a removed run afresh.\n\n"
    CMD_DB_USAGE
    "  --yes            do not ask\n";

#define MAX_RUNS 4096

/* The runs named, looked up and listed; 0, or the exit status after the message. */
static int list_runs(store *s, char **names, int n, int64_t *ids, char (*hashes)[65],
                     const char *hint)
{
    char err[2048];
    int refused = 0;
    for (int i = 0; i < n; i++) {
        store_run_record r;
        store_run_link *links;
        size_t nl;
        if (store_lookup_run(s, names[i], &ids[i], err, sizeof err) != 0) {
            wb_error("rm", "%s", err);
            return WB_EXIT_USAGE;
        }
        for (int k = 0; k < i; k++)
            if (ids[k] == ids[i]) {
                wb_error("rm", "run %lld is named twice", (long long)ids[i]);
                return WB_EXIT_USAGE;
            }
        if (store_read_run(s, ids[i], &r, err, sizeof err) != 0 ||
            store_read_run_links(s, ids[i], &links, &nl, err, sizeof err) != 0) {
            if (r.config_hash[0])
                store_run_record_free(&r);
            wb_error("rm", "%s", err);
            return WB_EXIT_FAILURE;
        }
        snprintf(hashes[i], sizeof hashes[i], "%s", r.config_hash);
        printf("run %lld (%.12s, %s), in %s", (long long)ids[i], r.config_hash,
               store_status_name(r.status), nl ? "" : "no sweep");
        for (size_t k = 0; k < nl; k++)
            printf("%s%s", k ? ", " : "sweep ", links[k].sweep);
        printf("\n");
        if (r.status == STORE_RUNNING) {
            wb_error("rm", "run %lld is running (pid %lld on %s): stop it first (wb ls %s)",
                     (long long)ids[i], (long long)r.pid, r.host ? r.host : "?", hint);
            refused = 1;
        }
        store_run_record_free(&r);
        store_run_links_free(links, nl);
    }
    return refused ? WB_EXIT_FAILURE : 0;
}

/* "y" or "yes" on stdin. */
static int confirmed(int n)
{
    char line[64];
    printf("remove %d run%s and %s folder%s? [y/N] ", n, n > 1 ? "s" : "", n > 1 ? "their" : "its",
           n > 1 ? "s" : "");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin))
        return 0;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
}

int cmd_rm(int argc, char **argv)
{
    cmd_db d = { 0 };
    int yes = 0;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "yes", .letter = 'y', .flag = &yes },
                                { 0 } };
    int status = cmd_parse("rm", usage, argc, argv, opts, -1);
    if (status >= 0)
        return status;
    const int n = argc - optind;
    if (n < 1 || n > MAX_RUNS) {
        wb_error("rm", n < 1 ? "name the runs to remove" : "at most %d runs at once", MAX_RUNS);
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    if ((status = cmd_resolve_db("rm", &d)) >= 0)
        return status;
    store *s;
    if ((status = cmd_open_store("rm", d.path, STORE_OPEN_EXISTING, &s)) != WB_EXIT_OK)
        return status;
    int64_t *ids = calloc((size_t)n, sizeof *ids);
    char (*hashes)[65] = calloc((size_t)n, sizeof *hashes);
    if (!ids || !hashes) {
        wb_error("rm", "out of memory");
        status = WB_EXIT_FAILURE;
    } else if ((status = list_runs(s, argv + optind, n, ids, hashes, d.hint)) == 0) {
        if (!yes && !confirmed(n)) {
            printf("nothing removed\n");
            status = WB_EXIT_FAILURE;
        }
        char err[2048], folder[4096];
        for (int i = 0; status == 0 && i < n; i++) {
            int refused;
            /* The rows first: a folder without rows is an orphan a sweep overwrites; rows
             * without their folder would name files that are gone. */
            if (store_remove_run(s, ids[i], &refused, err, sizeof err) != 0) {
                wb_error("rm", "%s", err);
                status = WB_EXIT_FAILURE;
                break;
            }
            store_run_folder(s, hashes[i], folder, sizeof folder);
            if (file_remove_tree(folder, err, sizeof err) != 0) {
                wb_error("rm", "run %lld removed from the database, but its folder: %s",
                         (long long)ids[i], err);
                status = WB_EXIT_FAILURE;
                break;
            }
            printf("removed run %lld and %s\n", (long long)ids[i], folder);
        }
    }
    free(ids);
    free(hashes);
    store_close(s);
    return status;
}
