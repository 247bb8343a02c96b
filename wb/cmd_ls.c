/* wb ls: every run with its sweep, status, progress, configuration label, latest test PSNR, tags
 * and error; filtered by sweep, status and configuration keys; as a table, CSV or JSON. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/table.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb ls [FILE.ini] [--db PATH | --ini FILE.ini] [--sweep NAME] [--status S]\n"
    "             [--where KEY=VALUE ...] [--wide | --csv | --json]\n\n"
    "Lists the runs of every sweep (or of one), in grid order: id, config hash prefix, sweep,\n"
    "status, epochs done, the configuration (λ with its effective weight, then the sweep's other\n"
    "axes), seed, the test PSNR (pooled over the split, the primary metric) of the last epoch,\n"
    "tags (and how many notes), and errors. A run in two sweeps is listed under each. For\n"
    "people, a table per sweep under its name, within " WB_COLUMNS_TEXT " columns (columns empty\n"
    "in every row left out, long labels wrapped), the errors under it.\n\n"
    "  FILE.ini         read the database FILE.ini's sweeps write (as --ini)\n"
    CMD_DB_USAGE
    "  --sweep NAME     only this sweep\n"
    "  --status S       only runs with this status (queued, running, finished, failed,\n"
    "                   diverged, interrupted)\n"
    "  --where KEY=VALUE  only runs whose configuration has KEY = VALUE (repeatable: all must\n"
    "                   hold); KEY as wb config --defaults names it (loss.kernel), or without\n"
    "                   its section when that is unique (kernel), or seed; numbers compare as\n"
    "                   numbers (0.3 matches 0.29999999999999999)\n"
    "  --wide           one table with every column (the sweep's, the errors), nothing wrapped\n"
    "  --csv            CSV (RFC 4180), test_psnr_pooled with 17 significant digits\n"
    "  --json           a JSON array of objects, one per run, numbers as JSON numbers\n";

#define MAX_WHERE 32
#define NCOLUMNS 10

typedef struct ls_filter {
    const char *where[MAX_WHERE];
    int nwhere, status_given, exact;
    enum store_status status;
    FILE *errors;       /* when not NULL, errors go here ("run N: text" lines), not in the table */
} ls_filter;

static int check_where(void *ctx, const char *arg)
{
    (void)ctx;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        wb_error("ls", "--where %s: expected KEY=VALUE (--where loss.kernel=8)", arg);
        return WB_EXIT_USAGE;
    }
    return 0;
}

static int take_status(void *ctx, const char *arg)
{
    ls_filter *f = ctx;
    if (store_status_parse(arg, &f->status) != 0) {
        const char *names[STORE_NSTATUS];
        for (int k = 0; k < STORE_NSTATUS; k++)
            names[k] = store_status_name((enum store_status)k);
        const char *guess = wb_likeliest(arg, names, STORE_NSTATUS);
        wb_error("ls", "--status %s: not a status%s%s%s (queued, running, finished, failed, "
                 "diverged, interrupted)", arg, guess ? "; did you mean '" : "",
                 guess ? guess : "", guess ? "'?" : "");
        return WB_EXIT_USAGE;
    }
    f->status_given = 1;
    return 0;
}

/* Whether a configuration key as written in --where (klen bytes) names the param key: the
 * whole key, or its part after the section. */
static int key_matches(const char *want, size_t klen, const char *key)
{
    const char *dot = strchr(key, '.');
    return (strlen(key) == klen && strncmp(key, want, klen) == 0) ||
           (dot && strlen(dot + 1) == klen && strncmp(dot + 1, want, klen) == 0);
}

/* Two values of a key equal: as numbers when both read as numbers, else as text. */
static int values_equal(const char *a, const char *b)
{
    char *ea, *eb;
    const double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && !*ea && !*eb)
        return x == y;
    return strcmp(a, b) == 0;
}

/* 1 when the run passes every --where; *known[i] is set when the run has condition i's key. */
static int run_matches(const ls_filter *f, const store_run_record *r, const store_param *p,
                       size_t np, int *known)
{
    int all = 1;
    for (int i = 0; i < f->nwhere; i++) {
        const char *eq = strchr(f->where[i], '=');
        const size_t klen = (size_t)(eq - f->where[i]);
        int hit = 0;
        if (klen == 4 && strncmp(f->where[i], "seed", 4) == 0) {
            char seed[24];
            snprintf(seed, sizeof seed, "%lld", (long long)r->seed);
            known[i] = 1;
            hit = values_equal(seed, eq + 1);
        }
        for (size_t k = 0; k < np; k++)
            if (key_matches(f->where[i], klen, p[k].key)) {
                known[i] = 1;
                hit = hit || (p[k].value && values_equal(p[k].value, eq + 1));
            }
        all = all && hit;
    }
    return all;
}

/* The tags, then how many notes: "baseline, check (2 notes)". */
static void tags_text(const store_note *n, size_t nn, char *out, size_t outlen)
{
    size_t used = 0, notes = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nn; i++) {
        if (n[i].kind == STORE_NOTE) {
            notes++;
            continue;
        }
        used += (size_t)snprintf(out + used, used < outlen ? outlen - used : 0, "%s%s",
                                 used ? ", " : "", n[i].text);
    }
    if (notes && used < outlen)
        snprintf(out + used, outlen - used, "%s(%zu note%s)", used ? " " : "", notes,
                 notes > 1 ? "s" : "");
}

/* One row of the listing, the run as it stands in the sweep, when it passes the filters. */
static int add_run(table *t, store *s, const ls_filter *f, int *known,
                   const store_sweep_record *w, const store_run_record *r, char *err,
                   size_t errlen)
{
    if (f->status_given && r->status != f->status)
        return 0;
    store_param *params;
    store_note *notes = NULL;
    size_t np, nn = 0;
    double psnr;
    if (store_read_params(s, r->id, &params, &np, err, errlen) != 0)
        return -1;
    if (!run_matches(f, r, params, np, known)) {
        store_params_free(params, np);
        return 0;
    }
    if (store_read_metric(s, r->id, r->epochs_done, "test", "psnr_pooled", &psnr, err,
                          errlen) != 0 ||
        store_read_notes(s, r->id, &notes, &nn, err, errlen) != 0) {
        store_params_free(params, np);
        return -1;
    }
    char id[24], hash[16], epochs[32], label[2048], seed[24], test_psnr[32], tags[2048];
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
        snprintf(test_psnr, sizeof test_psnr, f->exact ? "%.17g" : "%.3f", psnr);
    tags_text(notes, nn, tags, sizeof tags);
    const char *cells[NCOLUMNS] = { id, hash, f->errors ? "" : w->name,
                                    store_status_name(r->status), epochs,
                                    label, seed, test_psnr, tags, f->errors ? "" : r->error };
    if (f->errors && r->error && *r->error)
        fprintf(f->errors, "run %s: %s\n", id, r->error);
    store_params_free(params, np);
    store_notes_free(notes, nn);
    if (table_add(t, cells) == 0)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* The runs of every sweep (or of the one named), by sweep name and grid order, into t; or, for
 * people (t NULL), a table per sweep under its name (which then needs no column), fitted to the
 * terminal, the number of rows printed added to *printed. */
static int list_runs(store *s, const char *sweep, const ls_filter *f, int *known, table *t,
                     const char *const *headers, size_t *printed, char *err, size_t errlen)
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
        table *one = t ? t : table_new(NCOLUMNS, headers);
        if (!one)
            rc = -1, snprintf(err, errlen, "out of memory");
        for (size_t k = 0; rc == 0 && k < nr; k++)
            rc = add_run(one, s, f, known, &w[i], &r[k], err, errlen);
        if (!t && rc == 0 && table_rows(one) > 0) {
            printf("%ssweep %s:\n", *printed ? "\n" : "", w[i].name);
            table_print_fit(one, stdout, WB_OUTPUT_COLUMNS);
            *printed += table_rows(one);
        }
        if (!t)
            table_free(one);
        store_run_records_free(r, nr);
    }
    store_sweep_records_free(w, nw);
    return rc;
}

/* A --where key no run has is a typo, not an empty answer: said, with the nearest key. */
static int unknown_keys(const ls_filter *f, const int *known)
{
    int bad = 0;
    for (int i = 0; i < f->nwhere; i++) {
        if (known[i])
            continue;
        const char *eq = strchr(f->where[i], '=');
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - f->where[i]), f->where[i]);
        const char *guess = config_nearest_key(key);
        wb_error("ls", "--where %s: no run listed has the key '%s'%s%s%s (wb config --defaults "
                 "lists the keys)", f->where[i], key, guess ? "; did you mean '" : "",
                 guess ? guess : "", guess ? "'?" : "");
        bad = 1;
    }
    return bad;
}

int cmd_ls(int argc, char **argv)
{
    cmd_db d = { 0 };
    const char *sweep = NULL;
    int csv = 0, json = 0, wide = 0;
    ls_filter f = { .nwhere = 0 };
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "sweep", .text = &sweep },
                                { .name = "status", .take = take_status, .ctx = &f },
                                { .name = "where", .take = check_where, .list = f.where,
                                  .count = &f.nwhere, .max = MAX_WHERE },
                                { .name = "csv", .flag = &csv }, { .name = "json", .flag = &json },
                                { .name = "wide", .flag = &wide },
                                { 0 } };
    store *s;
    int status = cmd_parse("ls", usage, argc, argv, opts, CMD_INI_ARGUMENT);
    if (status >= 0)
        return status;
    if (csv && json) {
        wb_error("ls", "--csv or --json, not both");
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    f.exact = csv || json;
    /* For people, each error under the table, wrapped, instead of a column that would be cut. */
    char *errors = NULL;
    size_t errors_len = 0;
    if (!csv && !json && !wide && !(f.errors = open_memstream(&errors, &errors_len))) {
        wb_error("ls", "out of memory");
        return WB_EXIT_FAILURE;
    }
    if ((status = cmd_resolve_db("ls", &d)) >= 0 ||
        (status = cmd_open_db("ls", &d, &s)) != WB_EXIT_OK) {
        if (f.errors)
            fclose(f.errors);
        free(errors);
        return status;
    }
    /* The primary metric under its name for people, under its key for scripts. */
    const char *headers[NCOLUMNS] = { "id", "hash", "sweep", "status", "epochs", "configuration",
                                      "seed", f.exact ? "test_psnr_pooled" : "test PSNR", "tags",
                                      "error" };
    static const unsigned char numeric[NCOLUMNS] = { 1, 0, 0, 0, 0, 0, 1, 1, 0, 0 };
    char err[1024] = "out of memory";
    int known[MAX_WHERE] = { 0 };
    /* For people (f.errors set), list_runs prints a table per sweep. */
    table *t = f.errors ? NULL : table_new(NCOLUMNS, headers);
    size_t printed = 0;
    if ((!t && !f.errors) ||
        list_runs(s, sweep, &f, known, t, headers, &printed, err, sizeof err) != 0) {
        wb_error("ls", "%s", err);
        status = WB_EXIT_FAILURE;
    } else if (unknown_keys(&f, known) && (t ? table_rows(t) : printed) == 0) {
        status = WB_EXIT_USAGE;
    } else if (json) {
        if (table_print_json(t, stdout, numeric) != 0) {
            wb_error("ls", "out of memory");
            status = WB_EXIT_FAILURE;
        }
    } else if (t && (csv || table_rows(t) > 0)) {
        table_print(t, stdout, csv);
    } else if (printed > 0) {
        if (fflush(f.errors) == 0 && errors_len > 0) {
            putchar('\n');
            for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
                wb_print_wrapped(stdout, line, WB_OUTPUT_COLUMNS, 4);
        }
    } else if (sweep && !f.status_given && !f.nwhere) {
        wb_error("ls", "%s: no runs in a sweep named '%s' (every sweep's runs: wb ls %s)",
                 d.path, sweep, d.hint);
        status = WB_EXIT_USAGE;
    } else if (sweep || f.status_given || f.nwhere) {
        printf("%s: no runs match\n", d.path);
    } else {
        printf("%s: no runs yet (to train some: wb sweep FILE.ini %s)\n", d.path, d.hint);
    }
    table_free(t);
    if (f.errors)
        fclose(f.errors);
    free(errors);
    store_close(s);
    return status;
}
