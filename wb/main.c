/* wb/main.c: the subcommand table. Each subcommand lives in wb/cmd_<name>.c; main dispatches and
 * returns the command's exit status (0 ok, 1 failure, 2 usage or config, 130/143 signals). */
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "wb/cmd.h"
#include "wb/output.h"
#include "wb/util.h"
#include "wb_build.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;    /* NULL: internal, not listed */
} subcommand;

static const subcommand commands[] = {
    { "sweep", cmd_sweep, "run an ablation declared in an INI file (resumes where it stopped)" },
    { "run", cmd_run, "run one configuration, with --set overrides" },
    { "ls", cmd_ls, "list runs and their status" },
    { "show", cmd_show, "show one run: configuration, environment, metrics per epoch" },
    { "diff", cmd_diff, "two runs side by side: configuration differences, metrics per epoch" },
    { "tag", cmd_tag, "tag a run (shown by ls and show)" },
    { "note", cmd_note, "attach a note to a run (shown by show)" },
    { "rm", cmd_rm, "remove runs and their folders (asks first)" },
    { "query", cmd_query, "run a read-only SQL query on the database" },
    { "compare", cmd_compare, "statistics across seeds against the λ = 0 baseline" },
    { "report", cmd_report, "charts, image grid and an HTML/Markdown report of a sweep" },
    { "serve", cmd_serve, "a live web view of the database: sweeps, runs, curves, key table" },
    { "predict", cmd_predict, "apply a run's weights to a photo (.png) or .npy images" },
    { "data", cmd_data, "export or look at the data a configuration trains on" },
    { "merge", cmd_merge, "merge databases (shards) into one" },
    { "config", cmd_config, "print the configuration keys and their defaults" },
    { "__worker", cmd_worker, NULL },
};

static void print_help(FILE *f)
{
    fprintf(f, "usage: wb COMMAND [options]    (wb COMMAND --help for a command's options)\n\n"
               "wb trains small image-to-image U-Nets and measures whether a Laplacian loss term\n"
               "helps, logging every epoch to SQLite.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n  wb --version    version, commit and GEMM library\n");
}

int main(int argc, char **argv)
{
    /* A write past RLIMIT_FSIZE (ulimit -f, a batch system's file size limit) then fails with
     * EFBIG, and wb reports it like a full disk, instead of dying of SIGXFSZ mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    /* Every byte for a person passes the one filter: text from a database or a file never
     * reaches a terminal as a control sequence (wb/output.h). */
    static output_filters filters;     /* lives until exit has flushed the streams */
    output_install(&filters);
    /* GSL's default handler aborts the process; analysis/stats.c checks every status it returns. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        print_help(stderr);
        return WB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("wb %s (commit %.12s%s, %s, GEMM %s)\n", WB_VERSION, WB_GIT_COMMIT,
               WB_GIT_DIRTY ? ", dirty" : "", WB_COMPILER, WB_GEMM_NAME);
        return WB_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        print_help(stdout);
        return WB_EXIT_OK;
    }
    /* wb help CMD is wb CMD --help. */
    char help_flag[] = "--help";
    char *help_argv[] = { argc > 2 ? argv[2] : NULL, help_flag, NULL };
    const int asks_help = strcmp(argv[1], "help") == 0;
    const char *name = asks_help ? argv[2] : argv[1];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return asks_help ? commands[i].run(2, help_argv) : commands[i].run(argc - 1, argv + 1);
    const char *names[sizeof commands / sizeof commands[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            names[n++] = commands[i].name;
    const char *guess = wb_likeliest(name, names, n);
    if (guess)
        fprintf(stderr, "wb: unknown command '%s'; did you mean '%s'?\n", name, guess);
    else
        fprintf(stderr, "wb: unknown command '%s'\n", name);
    fprintf(stderr, "(wb --help lists the commands)\n");
    return WB_EXIT_USAGE;
}
