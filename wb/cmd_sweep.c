/* wb sweep FILE.ini: register the grid, then train its runs in --jobs worker processes, resuming
 * interrupted runs and skipping finished ones, with progress on stderr. */
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/progress.h"
#include "wb/sched.h"
#include "wb/stages.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb sweep FILE.ini [--set section.key=value[,value...] ...] [--db PATH] [--jobs N]\n"
    "                [--shard K/N] [--dry-run] [--force] [--retry-failed]\n"
    "                [--until-decided [--max-seeds N] [--time T]] [--quiet]\n\n"
    "Trains every run of the grid FILE.ini declares (comma lists are axes, sweep.seeds the\n"
    "seeds), logging each epoch to the database. Run it again to resume: finished runs are\n"
    "skipped, interrupted ones continue from their last epoch, bit for bit.\n\n"
    "  --set KEY=VALUE  override a key of FILE.ini (repeatable); a comma list makes it an axis\n"
    "                   (--set loss.laplacian_weight=0,0.1,1): what the file would say. The\n"
    "                   sweep's record keeps the file's text with the overrides in it\n"
    "  --db PATH        database (default: sweep.database, else results/wb.db)\n"
    "  --jobs N         N worker processes, each training one run at a time (default 1);\n"
    "                   train.threads = 0 gives each cores/N threads\n"
    "  --shard K/N      only runs whose grid index mod N is K, in <db stem>.shard-K-of-N.db\n"
    "                   (under a SLURM job array, K and N come from the array by default)\n"
    "  --dry-run        print the grid (index, hash, configuration) and train nothing; runs\n"
    "                   the database holds already are marked with their status (it is\n"
    "                   read, never created or written)\n"
    "  --force          train every run again from scratch\n"
    "  --retry-failed   train failed and diverged runs again\n"
    "  --until-decided  after the file's seeds, add seeds to the configurations whose verdict\n"
    "                   is undecided (at their largest budget), and to their baselines: a\n"
    "                   two-stage design (Stein): the second stage's size is fixed once from\n"
    "                   the first stage's paired sd, recorded, trained, then tested once (no\n"
    "                   repeated looks); the plan is printed first (with --dry-run only that)\n"
    "  --max-seeds N    at most N seeds a configuration in all (default 20)\n"
    "  --time T         the second stage's estimated time at most T (90s, 30m, 2h), from the\n"
    "                   epoch times measured in the sweep\n"
    "  --quiet          no progress on stderr\n\n"
    "Exit status: 0 when every run finished or diverged, 1 when one failed, 2 for a bad file or\n"
    "data, 130/143 when stopped by SIGINT/SIGTERM (the current runs become interrupted).\n";

#define MAX_SETS 64

typedef struct sweep_args {
    const char *file, *db;
    const char *sets[MAX_SETS];
    int nsets, jobs, shard_k, shard_n, dry_run, force, retry_failed, quiet, shard_given;
    int until_decided;
    long max_seeds;
    double seconds;         /* --time, 0 when not given */
} sweep_args;

static int take_max_seeds(void *ctx, const char *arg)
{
    sweep_args *a = ctx;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || v < 2 || v > 10000) {
        wb_error("sweep", "--max-seeds %s: expected an integer from 2 to 10000", arg);
        return WB_EXIT_USAGE;
    }
    a->max_seeds = v;
    return 0;
}

/* "90", "90s", "30m", "2h", "1.5h" */
static int take_time(void *ctx, const char *arg)
{
    sweep_args *a = ctx;
    char *end;
    double v = strtod(arg, &end);
    double unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
    if (*end == 'h' || *end == 'm' || *end == 's')
        end++;
    if (end == arg || *end || !(v > 0) || !isfinite(v * unit)) {
        wb_error("sweep", "--time %s: expected a duration such as 90s, 30m or 2h", arg);
        return WB_EXIT_USAGE;
    }
    a->seconds = v * unit;
    return 0;
}

static int take_jobs(void *ctx, const char *arg)
{
    sweep_args *a = ctx;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || v < 1 || v > 256) {
        wb_error("sweep", "--jobs %s: expected an integer from 1 to 256", arg);
        return WB_EXIT_USAGE;
    }
    a->jobs = (int)v;
    return 0;
}

static int take_shard(void *ctx, const char *arg)
{
    sweep_args *a = ctx;
    if (sched_parse_shard(arg, &a->shard_k, &a->shard_n) != 0) {
        wb_error("sweep", "--shard %s: expected K/N with 0 <= K < N", arg);
        return WB_EXIT_USAGE;
    }
    a->shard_given = 1;
    return 0;
}

/* -1 to go on, else the exit status (--help: 0). */
static int parse_args(int argc, char **argv, sweep_args *a)
{
    memset(a, 0, sizeof *a);
    a->jobs = 1;
    a->max_seeds = 20;
    const cmd_option opts[] = { { .name = "set", .list = a->sets, .count = &a->nsets,
                                  .max = MAX_SETS },
                                { .name = "db", .text = &a->db },
                                { .name = "jobs", .take = take_jobs, .ctx = a },
                                { .name = "shard", .take = take_shard, .ctx = a },
                                { .name = "dry-run", .flag = &a->dry_run },
                                { .name = "force", .flag = &a->force },
                                { .name = "retry-failed", .flag = &a->retry_failed },
                                { .name = "until-decided", .flag = &a->until_decided },
                                { .name = "max-seeds", .take = take_max_seeds, .ctx = a },
                                { .name = "time", .take = take_time, .ctx = a },
                                { .name = "quiet", .letter = 'q', .flag = &a->quiet }, { 0 } };
    const int status = cmd_parse("sweep", usage, argc, argv, opts, 1);
    if (status >= 0)
        return status;
    a->file = argv[optind];
    if (!a->shard_given)
        sched_slurm_shard(&a->shard_k, &a->shard_n);
    if (a->until_decided && a->shard_n) {
        wb_error("sweep", "--until-decided plans a second stage from the whole sweep: run it on "
                 "the merged shards' database, not on a shard");
        return WB_EXIT_USAGE;
    }
    return -1;
}

/* A run's status in the database, "" when it is not there (or s is NULL). */
static const char *status_in(store *s, const char *config_hash)
{
    char err[1024];
    int64_t id;
    store_run_record r;
    if (!s || store_lookup_run(s, config_hash, &id, err, sizeof err) != 0 ||
        store_read_run(s, id, &r, err, sizeof err) != 0)
        return "";
    const char *name = store_status_name(r.status);
    store_run_record_free(&r);
    return name;
}

/* What a wsd grid trains from scratch: each trajectory as far as its latest fork, each branch
 * its decay (issue 21: the budgets share the stable phase, trained once). */
static void print_budget_plan(const config_grid *g, const sweep_args *a)
{
    long stable = 0, decay = 0;
    size_t trajectories = 0, branches = 0;
    for (size_t i = 0; i < g->nruns; i++) {
        const config_run *r = &g->runs[i];
        if (!r->trajectory_hash[0] ||
            (a->shard_n && sched_shard_index(g, i) % a->shard_n != a->shard_k))
            continue;
        branches++;
        decay += r->options.train.epochs - r->fork_epoch;
        int first = 1, furthest = r->fork_epoch;
        for (size_t j = 0; j < g->nruns; j++)
            if (strcmp(g->runs[j].trajectory_hash, r->trajectory_hash) == 0) {
                first &= j >= i;
                if (g->runs[j].fork_epoch > furthest)
                    furthest = g->runs[j].fork_epoch;
            }
        if (first) {
            trajectories++;
            stable += furthest;
        }
    }
    if (branches)
        printf("%zu trajectories: %ld stable epochs, %zu branches: %ld epochs of decay\n",
               trajectories, stable, branches, decay);
}

/* The grid, each run marked with its status when the database (read only, never created)
 * already holds it. */
static void print_grid(const config_grid *g, const sweep_args *a, const char *db)
{
    size_t shown = 0, done = 0;
    store *s = NULL;
    char err[2048], hint[4200];
    cmd_db_option(db, hint, sizeof hint);
    if (access(db, F_OK) == 0 && store_open(db, STORE_OPEN_READONLY, &s, err, sizeof err) != 0) {
        fprintf(stderr, "wb sweep: (not marking finished runs: %s)\n", err);
        s = NULL;
    }
    for (size_t i = 0; i < g->nruns; i++) {
        const config_run *r = &g->runs[i];
        if (a->shard_n && sched_shard_index(g, i) % a->shard_n != a->shard_k)
            continue;
        const char *status = status_in(s, r->config_hash);
        char fork[48] = "";
        if (r->trajectory_hash[0])
            snprintf(fork, sizeof fork, "  (fork at epoch %d)", r->fork_epoch);
        printf("%4d  %.12s  %s%s%s%s%s\n", r->grid_index, r->config_hash, r->label, fork,
               *status ? "  [" : "", status, *status ? "]" : "");
        shown++;
        done += strcmp(status, "finished") == 0;
    }
    print_budget_plan(g, a);
    store_close(s);
    if (s || access(db, F_OK) == 0)
        printf("%s: %zu of them finished already (wb ls %s)\n", db, done, hint);
    printf("%s: %zu runs", g->name, shown);
    if (a->shard_n)
        printf(" (shard %d/%d of %zu)", a->shard_k, a->shard_n, g->nruns);
    printf(", axes: %s\n", g->naxes ? g->axes : "none (seeds only)");
}

/* The database: --db, else sweep.database; a shard's own file unless --db names one. */
static void database_path(const config_grid *g, const sweep_args *a, char *out, size_t len)
{
    const char *db = config_database(g, a->db);
    if (!a->shard_n || a->db) {
        snprintf(out, len, "%s", db);
        return;
    }
    const char *dot = strrchr(db, '.'), *slash = strrchr(db, '/');
    const int stem = dot && (!slash || dot > slash) ? (int)(dot - db) : (int)strlen(db);
    snprintf(out, len, "%.*s.shard-%d-of-%d.db", stem, db, a->shard_k, a->shard_n);
}

/* Every distinct [data] section of the runs loads before any training: a bad source is a
 * usage error (exit 2), not a failed run. */
static int check_data(const config_grid *g, const sweep_args *a, char *err, size_t errlen)
{
    data_cache cache = { 0 };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < g->nruns; i++) {
        if (a->shard_n && sched_shard_index(g, i) % a->shard_n != a->shard_k)
            continue;
        const dataset *ds;
        rc = data_cache_get(&cache, &g->runs[i].options.data, &ds, err, errlen);
    }
    data_cache_free(&cache);
    return rc;
}

/* Runs of the sweep by status, and the exit status they call for: 0 when every run finished or
 * diverged. */
static int summarise(store *s, int64_t sweep_id, const char *name, const char *db)
{
    store_status_count counts[STORE_NSTATUS];
    size_t n;
    int bad = 0, total = 0;
    char line[512] = "", err[1024];
    if (store_count_by_status(s, sweep_id, counts, &n, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        return WB_EXIT_FAILURE;
    }
    for (size_t i = 0; i < n; i++) {
        total += counts[i].runs;
        if (counts[i].status != STORE_FINISHED && counts[i].status != STORE_DIVERGED)
            bad += counts[i].runs;
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used, "%s%d %s", used ? ", " : "", counts[i].runs,
                 store_status_name(counts[i].status));
    }
    printf("%s: %d runs: %s\n", name, total, line);
    char hint[4200], sweep[1200];
    cmd_db_option(db, hint, sizeof hint);
    cmd_shell_option("--sweep", name, sweep, sizeof sweep);
    printf("results in %s; see them with: wb ls %s %s, wb report %s %s\n", db, hint, sweep, hint,
           sweep);
    return bad ? WB_EXIT_FAILURE : WB_EXIT_OK;
}

typedef struct worker_set {
    pid_t pid[256];
    int n, alive, read_fd, worst;
} worker_set;

/* Reads whatever the workers wrote and feeds complete lines to the renderer. */
static int pump(worker_set *w, progress *p, char *buf, size_t cap, size_t *used)
{
    ssize_t r = read(w->read_fd, buf + *used, cap - 1 - *used);
    if (r <= 0)
        return r == 0 ? 0 : (errno == EINTR || errno == EAGAIN ? 1 : 0);
    *used += (size_t)r;
    buf[*used] = '\0';
    char *start = buf, *nl;
    while ((nl = strchr(start, '\n'))) {
        *nl = '\0';
        progress_event e;
        if (progress_parse(start, &e) == 0)
            progress_apply(p, &e);
        start = nl + 1;
    }
    *used = (size_t)(buf + *used - start);
    memmove(buf, start, *used);
    if (*used == cap - 1)
        *used = 0;   /* a line longer than the buffer is not an event: drop it */
    return 1;
}

static void reap(worker_set *w)
{
    int st;
    for (int i = 0; i < w->n; i++) {
        if (w->pid[i] <= 0 || waitpid(w->pid[i], &st, WNOHANG) != w->pid[i])
            continue;
        int code = WIFEXITED(st) ? WEXITSTATUS(st)
                 : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WB_EXIT_FAILURE;
        if (code > w->worst)
            w->worst = code;
        w->pid[i] = 0;
        w->alive--;
    }
}

static int run_workers(const sweep_args *a, const char *db, int64_t sweep_id, int nruns,
                       int todo_runs, long todo_epochs, char *err, size_t errlen)
{
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    char id[32], jobs[16], shard[32], parent[32];
    snprintf(id, sizeof id, "%lld", (long long)sweep_id);
    snprintf(parent, sizeof parent, "%ld", (long)getpid());
    snprintf(jobs, sizeof jobs, "%d", a->jobs);
    snprintf(shard, sizeof shard, "%d/%d", a->shard_k, a->shard_n);
    const char *args[] = { "wb", "__worker", "--db", db, "--sweep-id", id, "--jobs", jobs,
                           "--parent", parent, a->shard_n ? "--shard" : NULL, shard, NULL };
    worker_set w = { .read_fd = fds[0] };
    const int n = a->jobs < todo_runs ? a->jobs : todo_runs;
    for (int i = 0; i < n; i++) {
        if (sched_spawn_worker(args, fds[1], &w.pid[w.n], err, errlen) != 0)
            break;
        w.n++;
        w.alive++;
    }
    close(fds[1]);
    if (w.n == 0) {
        close(fds[0]);
        return -1;
    }
    progress *p = progress_new(stderr, wb_stderr_is_tty(), a->quiet, nruns, todo_epochs, n);
    char buf[8192];
    size_t used = 0;
    int forwarded = 0, open_pipe = 1;
    while (w.alive > 0 || open_pipe) {
        if (wb_stop_signal && !forwarded) {
            /* Workers in our process group got a terminal's SIGINT already; a SIGTERM sent to
             * this process alone is passed on. Each commits or discards its epoch whole. */
            for (int i = 0; i < w.n; i++)
                if (w.pid[i] > 0)
                    kill(w.pid[i], wb_stop_signal);
            forwarded = 1;
        }
        struct pollfd pfd = { w.read_fd, POLLIN, 0 };
        if (open_pipe && poll(&pfd, 1, 200) > 0)
            open_pipe = pump(&w, p, buf, sizeof buf, &used);
        else if (!open_pipe)
            usleep(50000);
        reap(&w);
    }
    close(w.read_fd);
    progress_finish(p);
    progress_free(p);
    return w.worst;
}

/* Trains what the sweep's registration left to train (and waits for runs still running in
 * other processes, which may end interrupted: a worker resumes those). WB_EXIT_OK when the
 * workers ended without a signal or a kill; the runs' own statuses are summarise's. */
static int train(const sweep_args *a, const char *db, store *s, int64_t sweep_id,
                 const config_grid *g)
{
    char err[2048];
    int todo_runs, running;
    long todo_epochs;
    if (store_sweep_todo(s, sweep_id, &todo_runs, &todo_epochs, err, sizeof err) != 0 ||
        store_sweep_running(s, sweep_id, a->shard_k, a->shard_n, &running, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        return WB_EXIT_FAILURE;
    }
    if (todo_runs == 0 && running == 0)
        return WB_EXIT_OK;
    /* The runs of the sweep, for "run i/n": the grid's and those of its second stages. */
    store_status_count counts[STORE_NSTATUS];
    size_t ncounts;
    int nruns = 0;
    if (store_count_by_status(s, sweep_id, counts, &ncounts, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        return WB_EXIT_FAILURE;
    }
    for (size_t i = 0; i < ncounts; i++)
        nruns += counts[i].runs;
    int worst = run_workers(a, db, sweep_id, nruns > (int)g->nruns ? nruns : (int)g->nruns,
                            todo_runs > 0 ? todo_runs : 1, todo_epochs, err, sizeof err);
    if (worst < 0) {
        wb_error("sweep", "%s", err);
        return WB_EXIT_FAILURE;
    }
    if (wb_stop_signal)
        return wb_exit_for_signal(wb_stop_signal);
    if (worst >= 128) {
        wb_error("sweep", "a worker was killed (status %d); run the command again to resume",
                 worst);
        return WB_EXIT_FAILURE;
    }
    return WB_EXIT_OK;
}

/* --until-decided: the second stage planned from the finished first one (wb/stages.h), printed,
 * and (s given, not a dry run) recorded in the store. A dry run reads the database and writes
 * nothing. */
static int second_stage(const sweep_args *a, const config *cfg, const config_grid *g,
                        const char *db, store *s, int64_t sweep_id)
{
    char err[2048];
    store *r = s;
    (void)cfg;
    if (!r) {
        if (access(db, F_OK) != 0) {
            printf("second stage: no database at %s yet; the first stage (the file's seeds) "
                   "trains first\n", db);
            return WB_EXIT_OK;
        }
        if (store_open(db, STORE_OPEN_READONLY, &r, err, sizeof err) != 0) {
            wb_error("sweep", "%s", err);
            return WB_EXIT_FAILURE;
        }
        if (store_find_sweep(r, g->name, &sweep_id, err, sizeof err) != 0) {
            printf("second stage: sweep %s is not in %s yet; the first stage trains first\n",
                   g->name, db);
            store_close(r);
            return WB_EXIT_OK;
        }
    }
    int status = WB_EXIT_FAILURE;
    analysis *an = NULL;
    int todo_runs = 0;
    long todo_epochs = 0;
    if (store_sweep_todo(r, sweep_id, &todo_runs, &todo_epochs, err, sizeof err) != 0 ||
        analysis_load(r, sweep_id, STATS_ALPHA_DEFAULT, &an, err, sizeof err) != 0 ||
        cmd_apply_report(an, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        goto done;
    }
    if (todo_runs > 0) {
        printf("second stage: the first stage has %d runs left to train; the plan is made "
               "once they are done\n", todo_runs);
        status = WB_EXIT_OK;
        goto done;
    }
    const stage_limits limits = { (size_t)a->max_seeds, a->seconds, a->jobs };
    stage_plan plan;
    if (stage_plan_make(an, g, &limits, &plan, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        goto done;
    }
    if (plan.configurations == 0) {
        printf("second stage: no configuration is undecided at its largest budget (or each has "
               "its second stage already): nothing to add\n");
        status = WB_EXIT_OK;
    } else {
        char est[64] = "an unknown time (no epoch measured)";
        if (isfinite(plan.seconds))
            snprintf(est, sizeof est, "about %.0f min (%.2f s an epoch as measured, %d jobs)",
                     plan.seconds / 60, plan.seconds_per_epoch, a->jobs);
        printf("second stage (Stein's two-stage design: the size fixed once from the first "
               "stage's paired sd, then one test):\n%s"
               "  %zu configurations undecided, %zu runs to train, %ld epochs, %s%s\n",
               plan.text, plan.configurations, plan.runs, plan.epochs, est,
               plan.limited_by_time ? "; limited by --time" : "");
        status = WB_EXIT_OK;
        if (s && store_add_stage_plans(s, sweep_id, plan.plans, plan.nplans, err,
                                       sizeof err) != 0) {
            wb_error("sweep", "%s", err);
            status = WB_EXIT_FAILURE;
        }
    }
    stage_plan_free(&plan);
done:
    analysis_free(an);
    if (!s)
        store_close(r);
    return status;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_args a;
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;   /* --help, or a usage error */

    char err[2048];
    config *cfg = NULL;
    config_grid *g = NULL;
    store *s = NULL;
    char *ini = NULL;
    int parsed = config_parse_file(a.file, &cfg, err, sizeof err) == 0;
    for (int i = 0; parsed && i < a.nsets; i++)
        parsed = config_set_list(cfg, a.sets[i], i + 1, err, sizeof err) == 0;
    if (!parsed || config_expand(cfg, &g, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        status = WB_EXIT_USAGE;
        goto out;
    }
    char db[4096];
    database_path(g, &a, db, sizeof db);
    if (a.dry_run) {
        print_grid(g, &a, db);
        status = a.until_decided ? second_stage(&a, cfg, g, db, NULL, 0) : WB_EXIT_OK;
        goto out;
    }
    if (check_data(g, &a, err, sizeof err) != 0) {
        wb_error("sweep", "%s: %s", a.file, err);
        status = WB_EXIT_USAGE;
        goto out;
    }
    if ((status = cmd_open_store("sweep", db, STORE_OPEN_CREATE, &s)) != WB_EXIT_OK)
        goto out;
    status = WB_EXIT_FAILURE;
    ini = a.nsets ? cmd_ini_with_sets(config_ini_text(cfg), "wb sweep", a.sets, a.nsets) : NULL;
    if (a.nsets && !ini) {
        wb_error("sweep", "out of memory");
        goto out;
    }
    const sched_register reg = { a.file, ini ? ini : config_ini_text(cfg), a.shard_k, a.shard_n,
                                 a.force, a.retry_failed, cfg };
    int64_t sweep_id;
    if (sched_register_grid(s, g, &reg, &sweep_id, err, sizeof err) != 0) {
        wb_error("sweep", "%s", err);
        goto out;
    }
    wb_install_stop_handlers();
    if ((status = train(&a, db, s, sweep_id, g)) != WB_EXIT_OK)
        goto out;
    if (a.until_decided) {
        status = second_stage(&a, cfg, g, db, s, sweep_id);
        if (status == WB_EXIT_OK && sched_register_grid(s, g, &reg, &sweep_id, err,
                                                         sizeof err) != 0) {
            wb_error("sweep", "%s", err);
            status = WB_EXIT_FAILURE;
        }
        if (status != WB_EXIT_OK || (status = train(&a, db, s, sweep_id, g)) != WB_EXIT_OK)
            goto out;
    }
    status = summarise(s, sweep_id, g->name, db);
out:
    store_close(s);
    config_grid_free(g);
    config_free(cfg);
    free(ini);
    return status;
}
