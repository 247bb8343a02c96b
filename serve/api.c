/* serve/api.c: the JSON bodies of api.h. */
#include "serve/api.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/budget.h"
#include "analysis/keytable.h"
#include "base/err.h"
#include "base/fileio.h"
#include "plots/charts.h"
#include "plots/report.h"
#include "serve/json.h"
#include "store/read.h"

static enum api_result finish(json *j, char **text, size_t *len, char *err, size_t errlen)
{
    if (json_close(j, text, len) != 0)
        return fail(err, errlen, "out of memory writing JSON"), API_ERROR;
    return API_OK;
}

/* An integer the database may not hold (-1 there): null. */
static void member_known(json *j, const char *key, int64_t v)
{
    json_key(j, key);
    if (v < 0)
        json_null(j);
    else
        json_int(j, v);
}

/* ---- the sweeps and their progress --------------------------------------------------------- */

/* A sweep's runs in summary: how many of each status, epochs done of all, the latest heartbeat
 * (ISO text compares in time order). */
typedef struct progress {
    int runs, running, counts[STORE_NSTATUS];
    long epochs_done, epochs_total;
    const char *heartbeat;      /* points into the records */
    /* When a run last wrote an epoch: an ended run's end, a running or stopped one's heartbeat
     * (each epoch's commit sets it; the store keeps no other time of an epoch). */
    const char *written;
} progress;

static progress progress_of(const store_run_record *r, size_t n)
{
    progress p = { 0 };
    for (size_t i = 0; i < n; i++) {
        p.runs++;
        p.counts[r[i].status]++;
        p.running += r[i].status == STORE_RUNNING;
        p.epochs_done += r[i].epochs_done > 0 ? r[i].epochs_done : 0;
        p.epochs_total += r[i].epochs > 0 ? r[i].epochs : 0;
        if (r[i].heartbeat_at && (!p.heartbeat || strcmp(r[i].heartbeat_at, p.heartbeat) > 0))
            p.heartbeat = r[i].heartbeat_at;
        const char *written = r[i].finished_at ? r[i].finished_at : r[i].heartbeat_at;
        if (r[i].epochs_done > 0 && written && (!p.written || strcmp(written, p.written) > 0))
            p.written = written;
    }
    return p;
}

static void write_progress(json *j, const progress *p)
{
    json_member_int(j, "runs", p->runs);
    json_member_int(j, "running", p->running);
    json_key(j, "status");
    json_object(j);
    for (int st = 0; st < STORE_NSTATUS; st++)
        if (p->counts[st])
            json_member_int(j, store_status_name((enum store_status)st), p->counts[st]);
    json_object_end(j);
    json_member_int(j, "epochs_done", p->epochs_done);
    json_member_int(j, "epochs_total", p->epochs_total);
    json_member_string(j, "heartbeat_at", p->heartbeat);
    json_member_string(j, "written_at", p->written);
}

static void write_sweep_fields(json *j, const store_sweep_record *w)
{
    json_member_int(j, "id", w->id);
    json_member_string(j, "name", w->name);
    json_member_string(j, "axes", w->axes);
    json_member_string(j, "created_at", w->created_at);
    json_member_string(j, "updated_at", w->updated_at);
}

enum api_result api_state(store *s, char **text, size_t *len, int *live, char *err,
                          size_t errlen)
{
    store_sweep_record *w;
    size_t nw;
    json j;
    int running = 0;
    if (store_read_sweeps(s, &w, &nw, err, errlen) != 0)
        return API_ERROR;
    if (json_open(&j) != 0) {
        store_sweep_records_free(w, nw);
        return fail(err, errlen, "out of memory"), API_ERROR;
    }
    json_object(&j);
    json_member_string(&j, "database", store_path(s));
    json_member_string(&j, "error", NULL);
    json_key(&j, "sweeps");
    json_array(&j);
    enum api_result rc = API_OK;
    for (size_t i = 0; rc == API_OK && i < nw; i++) {
        store_run_record *r;
        size_t nr;
        if (store_read_sweep_runs(s, w[i].id, &r, &nr, err, errlen) != 0) {
            rc = API_ERROR;
            break;
        }
        const progress p = progress_of(r, nr);
        running += p.running;
        json_object(&j);
        write_sweep_fields(&j, &w[i]);
        write_progress(&j, &p);
        json_object_end(&j);
        store_run_records_free(r, nr);
    }
    json_array_end(&j);
    json_member_int(&j, "running", running);
    json_object_end(&j);
    store_sweep_records_free(w, nw);
    if (live)
        *live = running > 0;
    if (rc != API_OK) {
        json_close(&j, text, len);
        free(*text);
        *text = NULL;
        return rc;
    }
    return finish(&j, text, len, err, errlen);
}

enum api_result api_state_unavailable(const char *db_path, const char *why, char **text,
                                      size_t *len)
{
    json j;
    char err[64];
    if (json_open(&j) != 0)
        return API_ERROR;
    json_object(&j);
    json_member_string(&j, "database", db_path);
    json_member_string(&j, "error", why);
    json_key(&j, "sweeps");
    json_array(&j);
    json_array_end(&j);
    json_member_int(&j, "running", 0);
    json_object_end(&j);
    return finish(&j, text, len, err, sizeof err);
}

/* ---- existence ------------------------------------------------------------------------------ */

int api_sweep_exists(store *s, int64_t sweep_id, char *err, size_t errlen)
{
    int exists;
    return store_exists(s, STORE_SWEEP_RECORD, sweep_id, &exists, err, errlen) < 0 ? -1 : exists;
}

int api_run_exists(store *s, int64_t run_id, char *err, size_t errlen)
{
    int exists;
    return store_exists(s, STORE_RUN_RECORD, run_id, &exists, err, errlen) < 0 ? -1 : exists;
}

int api_sweep_report_dir(store *s, int64_t sweep_id, char *out, size_t outlen, char *err,
                         size_t errlen)
{
    store_sweep_record w;
    if (store_read_sweep(s, sweep_id, &w, err, errlen) != 0)
        return -1;
    report_default_dir(store_path(s), w.name, out, outlen);
    store_sweep_record_free(&w);
    return 0;
}

/* ---- timing ------------------------------------------------------------------------------- */

/* Seconds since the epoch of a time as the store writes it ("2026-12-02T00:17:01.123Z"); NaN when
 * it is not one. */
static double iso_seconds(const char *iso)
{
    struct tm tm = { 0 };
    double seconds = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%lfZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &seconds) != 6)
        return NAN;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + seconds;
}

/* A running run's wall-clock seconds per trained epoch so far: from its start to its last
 * heartbeat (written with each epoch, and every STORE_HEARTBEAT_SECONDS between them), over the
 * epochs it trained; NaN before its first. Wall-clock time counts what the epoch's own timings
 * leave out: checkpoints, the database, the machine's other work. */
static double epoch_seconds(const store_run_record *r)
{
    const double span = iso_seconds(r->heartbeat_at) - iso_seconds(r->started_at);
    return r->status == STORE_RUNNING && r->epochs_done > 0 && span > 0 ? span / r->epochs_done
                                                                         : NAN;
}

/* ---- one sweep --------------------------------------------------------------------------- */

/* The series a run can have: the metric table's metrics in the splits they are computed for
 * ("train.psnr" is none). The page indexes series by their position in this list, in every array
 * of values below. */
static int series_shown(int k)
{
    return metric_in_split(analysis_series_metric(k), analysis_series_split(k));
}

static void write_series_table(json *j)
{
    json_key(j, "series");
    json_array(j);
    for (int k = 0; k < ANALYSIS_NSERIES; k++) {
        if (!series_shown(k))
            continue;
        json_object(j);
        json_member_string(j, "name", analysis_series_name(k).text);
        json_member_string(j, "title", analysis_series_title(k).text);
        json_member_string(j, "unit", analysis_series_unit(k));
        json_key(j, "higher_is_better");
        json_bool(j, analysis_series_direction(k) == STATS_HIGHER_IS_BETTER);
        json_key(j, "compared");
        json_bool(j, analysis_series_compared(k));
        json_object_end(j);
    }
    json_array_end(j);
}

static void write_index_list(json *j, const char *key, const size_t *items, size_t n)
{
    json_key(j, key);
    json_array(j);
    for (size_t i = 0; i < n; i++)
        json_int(j, (int64_t)items[i]);
    json_array_end(j);
}

/* Whether a run's values count towards its configuration's live mean: those that train or have
 * trained to the end (not queued, nor stopped early: their curves would end the mean's). */
static int counts_live(const analysis_run *r)
{
    return r->status == STORE_RUNNING || r->status == STORE_FINISHED;
}

/* The mean over seeds of the configuration's runs of each series at each epoch, the live curve:
 * over its running and finished runs, up to the epoch the slowest of them has reached, so that
 * the curve does not jump as seeds that are ahead drop out of it (a configuration without any
 * such run: over the runs that have a value there). "mean_n" is the number of runs averaged. */
static void write_config_means(json *j, const analysis *a, const analysis_config *c)
{
    int nepochs = 0, live = 0, reached = -1;
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        if (r->nepochs > nepochs)
            nepochs = r->nepochs;
        if (counts_live(r)) {
            live++;
            if (reached < 0 || r->epochs_done < reached)
                reached = r->epochs_done;
        }
    }
    json_member_int(j, "mean_n", live ? live : (int64_t)c->nruns);
    json_key(j, "mean");
    json_array(j);
    for (int k = 0; k < ANALYSIS_NSERIES; k++) {
        if (!series_shown(k))
            continue;
        json_array(j);
        for (int e = 0; e < nepochs; e++) {
            double sum = 0;
            int n = 0;
            for (size_t i = 0; i < c->nruns && (!live || e <= reached); i++) {
                const analysis_run *r = &a->runs[c->runs[i]];
                const double v = analysis_run_value(r, k, e);
                if ((!live || counts_live(r)) && isfinite(v)) {
                    sum += v;
                    n++;
                }
            }
            json_number(j, n ? sum / n : NAN);
        }
        json_array_end(j);
    }
    json_array_end(j);
}

static void write_configs(json *j, const analysis *a)
{
    json_key(j, "panels");
    json_array(j);
    for (size_t p = 0; p < a->npanels; p++) {
        json_object(j);
        json_member_string(j, "label", a->panels[p].label);
        write_index_list(j, "configs", a->panels[p].configs, a->panels[p].nconfigs);
        json_object_end(j);
    }
    json_array_end(j);
    json_key(j, "configs");
    json_array(j);
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        json_object(j);
        json_member_string(j, "config_id", c->config_id);
        json_member_string(j, "label", c->label);
        json_member_string(j, "panel_label", c->panel_label);
        json_member_number(j, "lambda", c->lambda);
        json_member_string(j, "kernel", c->kernel);
        json_member_string(j, "border", c->border);
        json_member_string(j, "kernel_norm", c->kernel_norm);
        json_key(j, "is_baseline");
        json_bool(j, c->is_baseline);
        member_known(j, "baseline", c->baseline);
        json_member_int(j, "panel", (int64_t)c->panel);
        json_member_int(j, "finished", (int64_t)c->nfinished);
        write_index_list(j, "runs", c->runs, c->nruns);
        write_config_means(j, a, c);
        json_object_end(j);
    }
    json_array_end(j);
}

static void write_run_values(json *j, const analysis_run *r)
{
    json_key(j, "values");
    json_array(j);
    for (int k = 0; k < ANALYSIS_NSERIES; k++) {
        if (!series_shown(k))
            continue;
        json_array(j);
        for (int e = 0; e < r->nepochs; e++)
            json_number(j, analysis_run_value(r, k, e));
        json_array_end(j);
    }
    json_array_end(j);
}

/* The runs, in grid order: what the analysis keeps of each, the times only the records have,
 * and the ETA of the running ones. */
static void write_runs(json *j, const analysis *a, const store_run_record *recs, size_t nrecs,
                       double *sweep_epoch_seconds)
{
    double pace_sum = 0;
    int paced = 0;
    json_key(j, "runs");
    json_array(j);
    for (size_t i = 0; i < a->nruns; i++) {
        const analysis_run *r = &a->runs[i];
        const store_run_record *rec = NULL;
        for (size_t k = 0; k < nrecs && !rec; k++)
            if (recs[k].id == r->id)
                rec = &recs[k];
        const double pace = rec ? epoch_seconds(rec) : NAN;
        if (isfinite(pace)) {
            pace_sum += pace;
            paced++;
        }
        json_object(j);
        json_member_int(j, "id", r->id);
        json_member_int(j, "seed", r->seed);
        json_member_int(j, "grid_index", r->grid_index);
        json_member_string(j, "config_hash", r->config_hash);
        json_member_int(j, "config", (int64_t)r->config);
        json_member_string(j, "status", store_status_name(r->status));
        json_member_int(j, "epochs", r->epochs);
        json_member_int(j, "epochs_done", r->epochs_done);
        json_member_int(j, "best_epoch", r->best_epoch);
        json_member_string(j, "error", r->error);
        json_member_string(j, "host", r->host);
        json_member_string(j, "started_at", rec ? rec->started_at : NULL);
        json_member_string(j, "finished_at", rec ? rec->finished_at : NULL);
        json_member_string(j, "heartbeat_at", rec ? rec->heartbeat_at : NULL);
        json_member_number(j, "epoch_seconds", pace);
        json_member_number(j, "eta_seconds",
                           pace * (r->epochs - (r->epochs_done > 0 ? r->epochs_done : 0)));
        write_run_values(j, r);
        json_object_end(j);
    }
    json_array_end(j);
    *sweep_epoch_seconds = paced ? pace_sum / paced : NAN;
}

static int write_keytable(json *j, const analysis *a, int series, enum analysis_at at,
                          char *err, size_t errlen)
{
    keytable aligned, csv;
    char **notes;
    size_t nnotes;
    if (keytable_make(a, series, at, KEYTABLE_ALIGNED, &aligned) != 0)
        return fail(err, errlen, "out of memory making the key table"), API_ERROR;
    if (keytable_make(a, series, at, KEYTABLE_CSV, &csv) != 0) {
        keytable_free(&aligned);
        return fail(err, errlen, "out of memory making the key table"), API_ERROR;
    }
    if (keytable_notes(a, series, at, &notes, &nnotes) != 0) {
        keytable_free(&aligned);
        keytable_free(&csv);
        return fail(err, errlen, "out of memory making the key table"), API_ERROR;
    }
    json_key(j, "keytable");
    json_object(j);
    json_member_string(j, "metric", analysis_series_name(series).text);
    json_member_string(j, "at", analysis_at_name(at));
    json_member_string(j, "at_title", analysis_at_title(at).text);
    /* The command that prints this table (json_member_string writes null for NULL). */
    char *compare = report_command("compare", a->db_path, a->name), *command = NULL;
    const char *fmt = "%s --metric %s --at %s";
    const int n = compare ? snprintf(NULL, 0, fmt, compare, analysis_series_name(series).text,
                                     analysis_at_name(at)) : -1;
    if (n >= 0 && (command = malloc((size_t)n + 1)) != NULL)
        snprintf(command, (size_t)n + 1, fmt, compare, analysis_series_name(series).text,
                 analysis_at_name(at));
    json_member_string(j, "command", command);
    free(command);
    free(compare);
    json_member_int(j, "best_row", aligned.best_row);
    const keytable *forms[2] = { &aligned, &csv };
    static const char *const names[2][2] = { { "headers", "rows" }, { "csv_headers", "csv" } };
    for (int f = 0; f < 2; f++) {
        const keytable *t = forms[f];
        json_key(j, names[f][0]);
        json_array(j);
        for (size_t c = 0; c < t->ncols; c++)
            json_string(j, t->headers[c]);
        json_array_end(j);
        json_key(j, names[f][1]);
        json_array(j);
        for (size_t r = 0; r < t->nrows; r++) {
            json_array(j);
            for (size_t c = 0; c < t->ncols; c++)
                json_string(j, t->cells[r * t->ncols + c]);
            json_array_end(j);
        }
        json_array_end(j);
    }
    json_key(j, "notes");
    json_array(j);
    for (size_t i = 0; i < nnotes; i++)
        json_string(j, notes[i]);
    json_array_end(j);
    json_object_end(j);
    keytable_free(&aligned);
    keytable_free(&csv);
    keytable_notes_free(notes, nnotes);
    return 0;
}

/* A sweep of budgets (analysis/budget.h): the effect over the budget, the table wb compare
 * --by-budget prints and a sentence per configuration; null for a sweep of one budget. */
static int write_budget(json *j, const analysis *a, int series, enum analysis_at at, char *err,
                        size_t errlen)
{
    json_key(j, "budget");
    if (a->nbudgets < 2) {
        json_null(j);
        return 0;
    }
    keytable t;
    if (analysis_budget_table(a, series, at, 0, &t) != 0)
        return fail(err, errlen, "out of memory making the budget table"), API_ERROR;
    json_object(j);
    json_key(j, "budgets");
    json_array(j);
    for (size_t b = 0; b < a->nbudgets; b++)
        json_int(j, a->budgets[b]);
    json_array_end(j);
    json_key(j, "headers");
    json_array(j);
    for (size_t c = 0; c < t.ncols; c++)
        json_string(j, t.headers[c]);
    json_array_end(j);
    json_key(j, "rows");
    json_array(j);
    for (size_t r = 0; r < t.nrows; r++) {
        json_array(j);
        for (size_t c = 0; c < t.ncols; c++)
            json_string(j, t.cells[r * t.ncols + c]);
        json_array_end(j);
    }
    json_array_end(j);
    keytable_free(&t);
    json_key(j, "sentences");
    json_array(j);
    char line[4096];
    for (size_t f = 0; f < a->nfamilies; f++)
        if (!a->families[f].is_baseline) {
            analysis_budget_sentence(a, f, series, at, line, sizeof line);
            json_string(j, line);
        }
    json_array_end(j);
    analysis_budget_brief(a, series, at, line, sizeof line);
    json_member_string(j, "brief", line);
    analysis_budget_answer(a, series, at, line, sizeof line);
    json_member_string(j, "answer", line);
    json_object_end(j);
    return 0;
}

static void write_sweep_record(json *j, const analysis *a)
{
    json_key(j, "sweep");
    json_object(j);
    json_member_int(j, "id", a->sweep_id);
    json_member_string(j, "name", a->name);
    json_member_string(j, "axes", a->axes);
    json_member_string(j, "created_at", a->created_at);
    json_member_string(j, "updated_at", a->updated_at);
    json_member_string(j, "host", a->host);
    json_member_string(j, "wb_version", a->wb_version);
    json_member_string(j, "git_commit", a->git_commit);
    json_key(j, "git_dirty");
    if (a->git_dirty < 0)
        json_null(j);
    else
        json_bool(j, a->git_dirty);
    json_member_string(j, "ini_path", a->ini_path);
    json_member_string(j, "ini_text", a->ini_text);
    json_member_number(j, "alpha", a->alpha);
    json_object_end(j);
}

/* The epochs the sweep still has to train (runs not ended) at the pace of its running runs,
 * spread over the running workers. */
static double sweep_eta(const analysis *a, double pace, int running)
{
    long left = 0;
    for (size_t i = 0; i < a->nruns; i++) {
        const analysis_run *r = &a->runs[i];
        if (r->status == STORE_QUEUED || r->status == STORE_RUNNING ||
            r->status == STORE_INTERRUPTED)
            left += r->epochs - (r->epochs_done > 0 ? r->epochs_done : 0);
    }
    return running > 0 ? pace * left / running : NAN;
}

enum api_result api_sweep(store *s, int64_t sweep_id, int series, enum analysis_at at,
                          const char *report_dir, char **text, size_t *len, int *live, char *err,
                          size_t errlen)
{
    int exists = api_sweep_exists(s, sweep_id, err, errlen);
    if (exists <= 0)
        return exists < 0 ? API_ERROR : API_MISSING;
    analysis *a;
    store_run_record *recs;
    size_t nrecs;
    if (analysis_load(s, sweep_id, STATS_ALPHA_DEFAULT, &a, err, errlen) != 0)
        return API_ERROR;
    if (store_read_sweep_runs(s, sweep_id, &recs, &nrecs, err, errlen) != 0) {
        analysis_free(a);
        return API_ERROR;
    }
    const progress p = progress_of(recs, nrecs);
    char index[4200];
    struct stat sb;
    snprintf(index, sizeof index, "%s/index.html", report_dir);
    json j;
    enum api_result rc =
        json_open(&j) == 0 ? API_OK : (fail(err, errlen, "out of memory"), API_ERROR);
    double pace = NAN;
    if (rc == API_OK) {
        json_object(&j);
        write_sweep_record(&j, a);
        write_progress(&j, &p);
        json_key(&j, "report");
        json_bool(&j, stat(index, &sb) == 0 && S_ISREG(sb.st_mode));
        char *report = report_command("report", a->db_path, a->name);
        json_member_string(&j, "report_command", report);
        free(report);
        write_series_table(&j);
        json_key(&j, "lambda_palette");   /* the report's colours of λ (plots/charts.h) */
        json_array(&j);
        for (int k = 0; k < CHART_LAMBDA_PALETTE; k++)
            json_string(&j, chart_lambda_palette[k]);
        json_array_end(&j);
        write_configs(&j, a);
        write_runs(&j, a, recs, nrecs, &pace);
        if (write_keytable(&j, a, series, at, err, errlen) != 0 ||
            write_budget(&j, a, series, at, err, errlen) != 0)
            rc = API_ERROR;
        json_member_number(&j, "epoch_seconds", pace);
        json_member_number(&j, "eta_seconds", sweep_eta(a, pace, p.running));
        json_object_end(&j);
        if (rc == API_OK)
            rc = finish(&j, text, len, err, errlen);
        else if (json_close(&j, text, len) == 0)
            free(*text);
    }
    if (live)
        *live = p.running > 0;
    store_run_records_free(recs, nrecs);
    analysis_free(a);
    return rc;
}

/* ---- one run ------------------------------------------------------------------------------- */

/* The rank of a split in tables: train, val, test, then anything else; within a split, losses,
 * then quality, then errors, then the rest (rate, timing) by name. */
static int split_rank(const char *split)
{
    static const char *const order[] = { "train", "val", "test" };
    for (int i = 0; i < 3; i++)
        if (strcmp(split, order[i]) == 0)
            return i;
    return 3;
}

static int name_rank(const char *name)
{
    static const char *const order[] = { "loss", "loss_pixel", "loss_lap", "psnr_pooled", "psnr",
                                         "ssim", "mse", "lap4_mse", "lap8_mse" };
    for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
        if (strcmp(name, order[i]) == 0)
            return i;
    return (int)(sizeof order / sizeof order[0]);
}

typedef struct column {
    const char *split, *name;
} column;

static int compare_columns(const void *pa, const void *pb)
{
    const column *x = pa, *y = pb;
    int c = split_rank(x->split) - split_rank(y->split);
    if (c == 0)
        c = strcmp(x->split, y->split);
    if (c == 0)
        c = name_rank(x->name) - name_rank(y->name);
    return c ? c : strcmp(x->name, y->name);
}

/* Each column for people, from the metric table: {"title": "validation PSNR", "unit": "dB"}. */
static void write_column_titles(json *j, const column *cols, size_t ncols)
{
    json_key(j, "titles");
    json_array(j);
    for (size_t k = 0; k < ncols; k++) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", cols[k].split, cols[k].name);
        const int series = analysis_series_find(name);
        json_object(j);
        json_member_string(j, "title", series >= 0 ? analysis_series_title(series).text : name);
        json_member_string(j, "unit", series >= 0 ? analysis_series_unit(series) : "");
        json_object_end(j);
    }
    json_array_end(j);
}

/* Every metric row as a table: the columns (split.name, train first), one row per epoch. */
static int write_epochs(json *j, const store_metric_value *m, size_t n, char *err, size_t errlen)
{
    column *cols = malloc((n ? n : 1) * sizeof *cols);
    if (!cols)
        return fail(err, errlen, "out of memory"), API_ERROR;
    size_t ncols = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < ncols && !(strcmp(cols[k].split, m[i].split) == 0 &&
                              strcmp(cols[k].name, m[i].name) == 0))
            k++;
        if (k == ncols)
            cols[ncols++] = (column){ m[i].split, m[i].name };
    }
    qsort(cols, ncols, sizeof *cols, compare_columns);
    json_key(j, "epochs");
    json_object(j);
    json_key(j, "columns");
    json_array(j);
    for (size_t k = 0; k < ncols; k++) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", cols[k].split, cols[k].name);
        json_string(j, name);
    }
    json_array_end(j);
    write_column_titles(j, cols, ncols);
    json_key(j, "rows");
    json_array(j);
    /* The rows come by epoch (store_read_metrics' order). */
    for (size_t first = 0, end; first < n; first = end) {
        for (end = first; end < n && m[end].epoch == m[first].epoch; end++)
            ;
        json_array(j);
        json_int(j, m[first].epoch);
        for (size_t k = 0; k < ncols; k++) {
            double v = NAN;
            for (size_t i = first; i < end; i++)
                if (strcmp(m[i].split, cols[k].split) == 0 && strcmp(m[i].name, cols[k].name) == 0)
                    v = m[i].value;
            json_number(j, v);
        }
        json_array_end(j);
    }
    json_array_end(j);
    json_object_end(j);
    free(cols);
    return 0;
}

static void write_run_record(json *j, const store_run_record *r)
{
    json_member_int(j, "id", r->id);
    json_member_string(j, "config_hash", r->config_hash);
    json_member_string(j, "config_id", r->config_id);
    json_member_string(j, "status", store_status_name(r->status));
    member_known(j, "epochs", r->epochs);
    json_member_int(j, "epochs_done", r->epochs_done);
    json_member_string(j, "error", r->error);
    json_member_int(j, "seed", r->seed);
    json_member_string(j, "created_at", r->created_at);
    json_member_string(j, "started_at", r->started_at);
    json_member_string(j, "finished_at", r->finished_at);
    json_member_string(j, "heartbeat_at", r->heartbeat_at);
    json_member_string(j, "host", r->host);
    member_known(j, "pid", r->pid);
    member_known(j, "threads", r->threads);
    json_member_string(j, "gemm_library", r->gemm_library);
    json_member_string(j, "compiler", r->compiler);
    json_member_string(j, "wb_version", r->wb_version);
    member_known(j, "param_count", r->param_count);
    json_member_string(j, "data_source", r->data_source);
    member_known(j, "train_n", r->train_n);
    member_known(j, "val_n", r->val_n);
    member_known(j, "test_n", r->test_n);
    json_member_string(j, "folder", r->folder);
}

/* Everything api_run says of one run, as the members of an object (open on j). */
/* Whether the run's preview.npy is a regular file reached without a link (api_preview_path). */
static int has_preview(store *s, int64_t run_id)
{
    char dir[4096], rel[4200], why[512];
    struct stat sb;
    if (api_preview_path(s, run_id, dir, sizeof dir, rel, sizeof rel, why, sizeof why) != API_OK)
        return 0;
    const int fd = file_open_beneath(dir, rel, &sb, why, sizeof why);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

static enum api_result write_run(json *j, store *s, int64_t run_id, int *live, char *err,
                                 size_t errlen)
{
    int exists = api_run_exists(s, run_id, err, errlen);
    if (exists <= 0)
        return exists < 0 ? API_ERROR : API_MISSING;
    store_run_record r;
    store_run_link *links = NULL;
    store_param *params = NULL;
    store_checkpoint *ck = NULL;
    store_metric_value *m = NULL;
    size_t nlinks = 0, nparams = 0, nck = 0, nm = 0;
    if (store_read_run(s, run_id, &r, err, errlen) != 0)
        return API_ERROR;
    enum api_result rc = API_OK;
    if (store_read_run_links(s, run_id, &links, &nlinks, err, errlen) != 0 ||
        store_read_params(s, run_id, &params, &nparams, err, errlen) != 0 ||
        store_read_checkpoints(s, run_id, &ck, &nck, err, errlen) != 0 ||
        store_read_metrics(s, run_id, &m, &nm, err, errlen) != 0)
        rc = API_ERROR;
    if (rc == API_OK) {
        json_key(j, "run");
        json_object(j);
        write_run_record(j, &r);
        json_object_end(j);
        json_key(j, "sweeps");
        json_array(j);
        for (size_t i = 0; rc == API_OK && i < nlinks; i++) {
            int64_t sweep_id = -1;
            char why[512];
            if (store_find_sweep(s, links[i].sweep, &sweep_id, why, sizeof why) != 0)
                sweep_id = -1;
            json_object(j);
            member_known(j, "id", sweep_id);
            json_member_string(j, "name", links[i].sweep);
            json_member_int(j, "grid_index", links[i].grid_index);
            json_object_end(j);
        }
        json_array_end(j);
        json_key(j, "params");
        json_array(j);
        for (size_t i = 0; i < nparams; i++) {
            json_array(j);
            json_string(j, params[i].key);
            json_string(j, params[i].value);
            json_array_end(j);
        }
        json_array_end(j);
        json_key(j, "checkpoints");
        json_array(j);
        for (size_t i = 0; i < nck; i++) {
            json_object(j);
            json_member_string(j, "kind", ck[i].kind);
            json_member_int(j, "epoch", ck[i].epoch);
            json_member_string(j, "path", ck[i].path);
            json_object_end(j);
        }
        json_array_end(j);
        if (write_epochs(j, m, nm, err, errlen) != 0)
            rc = API_ERROR;
    }
    const double pace = epoch_seconds(&r);
    if (rc == API_OK) {

        json_member_number(j, "epoch_seconds", pace);
        json_member_number(j, "eta_seconds",
                           pace * (r.epochs - (r.epochs_done > 0 ? r.epochs_done : 0)));
        json_key(j, "preview");
        json_bool(j, has_preview(s, run_id));
    }
    if (live && r.status == STORE_RUNNING)
        *live = 1;
    store_run_record_free(&r);
    store_run_links_free(links, nlinks);
    store_params_free(params, nparams);
    store_checkpoints_free(ck, nck);
    store_metric_values_free(m, nm);
    return rc;
}

enum api_result api_run(store *s, int64_t run_id, char **text, size_t *len, int *live, char *err,
                        size_t errlen)
{
    json j;
    if (live)
        *live = 0;
    if (json_open(&j) != 0)
        return fail(err, errlen, "out of memory"), API_ERROR;
    json_object(&j);
    enum api_result rc = write_run(&j, s, run_id, live, err, errlen);
    json_object_end(&j);
    if (rc == API_OK)
        return finish(&j, text, len, err, errlen);
    if (json_close(&j, text, len) == 0)
        free(*text);
    *text = NULL;
    return rc;
}

/* ---- two runs ------------------------------------------------------------------------------ */

static const char *param_of(const store_param *p, size_t n, const char *key, int *found)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0) {
            *found = 1;
            return p[i].value;
        }
    *found = 0;
    return NULL;
}

static int same_value(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* The keys either run has whose values differ (a key one run lacks counts), by key. */
static void write_diff(json *j, const store_param *pa, size_t na, const store_param *pb,
                       size_t nb)
{
    json_key(j, "diff");
    json_array(j);
    for (int side = 0; side < 2; side++) {
        const store_param *p = side ? pb : pa;
        const size_t n = side ? nb : na;
        for (size_t i = 0; i < n; i++) {
            int in_a, in_b;
            const char *va = param_of(pa, na, p[i].key, &in_a);
            const char *vb = param_of(pb, nb, p[i].key, &in_b);
            if ((side == 1 && in_a) || (in_a && in_b && same_value(va, vb)))
                continue;   /* listed from a's side already, or equal */
            json_object(j);
            json_member_string(j, "key", p[i].key);
            json_member_string(j, "a", va);
            json_member_string(j, "b", vb);
            json_key(j, "in_a");
            json_bool(j, in_a);
            json_key(j, "in_b");
            json_bool(j, in_b);
            json_object_end(j);
        }
    }
    json_array_end(j);
}

enum api_result api_compare(store *s, int64_t run_a, int64_t run_b, char **text, size_t *len,
                            int *live, char *err, size_t errlen)
{
    json j;
    if (live)
        *live = 0;
    if (json_open(&j) != 0)
        return fail(err, errlen, "out of memory"), API_ERROR;
    store_param *pa = NULL, *pb = NULL;
    size_t na = 0, nb = 0;
    json_object(&j);
    enum api_result rc = API_OK;
    const int64_t ids[2] = { run_a, run_b };
    for (int side = 0; rc == API_OK && side < 2; side++) {
        json_key(&j, side ? "b" : "a");
        json_object(&j);
        rc = write_run(&j, s, ids[side], live, err, errlen);
        json_object_end(&j);
    }
    if (rc == API_OK && (store_read_params(s, run_a, &pa, &na, err, errlen) != 0 ||
                         store_read_params(s, run_b, &pb, &nb, err, errlen) != 0))
        rc = API_ERROR;
    if (rc == API_OK)
        write_diff(&j, pa, na, pb, nb);
    json_object_end(&j);
    store_params_free(pa, na);
    store_params_free(pb, nb);
    if (rc == API_OK)
        return finish(&j, text, len, err, errlen);
    if (json_close(&j, text, len) == 0)
        free(*text);
    *text = NULL;
    return rc;
}

enum api_result api_preview_path(store *s, int64_t run_id, char *dir, size_t dirlen, char *rel,
                                 size_t rellen, char *err, size_t errlen)
{
    int exists = api_run_exists(s, run_id, err, errlen);
    if (exists <= 0)
        return exists < 0 ? API_ERROR : API_MISSING;
    store_run_record r;
    if (store_read_run(s, run_id, &r, err, errlen) != 0)
        return API_ERROR;
    char folder[4096];
    if (r.folder)
        snprintf(folder, sizeof folder, "%s", r.folder);
    else
        store_run_folder_rel(s, r.config_hash, folder, sizeof folder);
    file_dirname(store_path(s), dir, dirlen);
    snprintf(rel, rellen, "%s/preview.npy", folder);
    store_run_record_free(&r);
    return API_OK;
}
