/* wb/cmd.c: what every subcommand shares: error lines, option parsing and usage, opening the
 * database. */
#include "wb/cmd.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "data/fileio.h"
#include "plots/analysis.h"
#include "wb/config.h"
#include "wb/util.h"

void wb_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wb %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

#define MAX_OPTIONS 32

/* The argument getopt_long stopped at when it returned '?': for a short option, the element it
 * is still inside ("-x.db": it stays on an element until its last letter is read) or the one it
 * has just left ("-x"); for a long option, the one it has just left. Options and arguments may be
 * in any order, so argv[optind - 1] alone blamed `wb merge OUT -x.db`'s OUT. */
static const char *offending_arg(int argc, char **argv)
{
    const char *prev = optind > 0 && optind - 1 < argc ? argv[optind - 1] : NULL;
    const char *here = optind < argc ? argv[optind] : NULL;
    if (optopt > 0 && optopt < 256) {
        if (prev && prev[0] == '-' && prev[1] && prev[1] != '-' &&
            prev[strlen(prev) - 1] == optopt)
            return prev;
        if (here && here[0] == '-' && here[1] && here[1] != '-' && strchr(here + 1, optopt))
            return here;
    }
    return prev;
}

/* After getopt_long returned '?' (opterr = 0): names the option, then the usage. */
static int bad_option(const char *cmd, const char *usage, int argc, char **argv,
                      const cmd_option *opts, size_t n)
{
    const char *arg = offending_arg(argc, argv);
    if (!arg)
        arg = "?";
    if (optopt == 0) {          /* an unknown long option */
        wb_error(cmd, "unknown option %.*s", (int)strcspn(arg, "="), arg);
    } else if (optopt >= 256) { /* a long option without its value */
        wb_error(cmd, "option %.*s needs a value", (int)strcspn(arg, "="), arg);
    } else {
        int takes_value = 0;
        for (size_t i = 0; i < n; i++)
            takes_value |= opts[i].letter == optopt && !opts[i].flag;
        if (takes_value)
            wb_error(cmd, "option -%c needs a value", optopt);
        else if (strlen(arg) > 2)
            wb_error(cmd, "unknown option -%c in '%s' (a file name that starts with '-' is "
                          "written ./%s)", optopt, arg, arg);
        else
            wb_error(cmd, "unknown option -%c", optopt);
    }
    return cmd_usage(usage, WB_EXIT_USAGE);
}

int cmd_parse(const char *cmd, const char *usage, int argc, char **argv, const cmd_option *opts,
              int positionals)
{
    /* getopt_long returns 256 + k for the k-th option, or its letter. */
    struct option longs[MAX_OPTIONS + 2];
    char letters[2 * MAX_OPTIONS + 2] = "h";
    size_t n = 0;
    for (; opts[n].name && n < MAX_OPTIONS; n++) {
        const int has_arg = opts[n].flag ? no_argument : required_argument;
        longs[n] = (struct option){ opts[n].name, has_arg, 0, 256 + (int)n };
        if (opts[n].letter)
            snprintf(letters + strlen(letters), 3, "%c%s", opts[n].letter,
                     has_arg == required_argument ? ":" : "");
    }
    longs[n] = (struct option){ "help", no_argument, 0, 'h' };
    longs[n + 1] = (struct option){ 0, 0, 0, 0 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, letters, longs, NULL)) != -1) {
        if (c == 'h')
            return cmd_usage(usage, WB_EXIT_OK);
        size_t k = n;   /* the option, or n when there is none (getopt_long's '?' or ':') */
        if (c >= 256)
            k = (size_t)c - 256;
        else
            for (size_t i = 0; i < n; i++)
                if (opts[i].letter == c)
                    k = i;
        if (k >= n)
            return bad_option(cmd, usage, argc, argv, opts, n);
        if (opts[k].flag)
            *opts[k].flag = 1;
        else if (opts[k].text)
            *opts[k].text = optarg;
        else if (opts[k].take) {
            const int status = opts[k].take(opts[k].ctx, optarg);
            if (status != 0)
                return status;
        }
    }
    if (positionals >= 0 && argc - optind != positionals)
        return cmd_usage(usage, WB_EXIT_USAGE);
    return -1;
}

int cmd_usage(const char *usage, int status)
{
    fputs(usage, status == 0 ? stdout : stderr);
    return status;
}

int cmd_open_store(const char *cmd, const char *path, enum store_open_mode mode, store **s)
{
    char err[2048], dir[4096];
    *s = NULL;
    if (mode == STORE_OPEN_CREATE) {
        file_dirname(path, dir, sizeof dir);
        if (wb_mkdirs(dir, err, sizeof err) != 0) {
            wb_error(cmd, "cannot create the folder of the database %s: %s", path, err);
            return WB_EXIT_FAILURE;
        }
    }
    const int rc = store_open(path, mode, s, err, sizeof err);
    if (rc != 0) {
        wb_error(cmd, "%s", err);
        return mode == STORE_OPEN_READONLY && rc != STORE_DAMAGED ? WB_EXIT_USAGE
                                                                  : WB_EXIT_FAILURE;
    }
    return WB_EXIT_OK;
}

int cmd_apply_report(analysis *a, char *err, size_t errlen)
{
    config_report report;
    char name[1024];
    snprintf(name, sizeof name, "%s (the INI text sweep '%s' stored)",
             a->ini_path ? a->ini_path : "the INI file", a->name);
    if (config_report_parse(a->ini_text, name, &report, err, errlen) != 0)
        return -1;
    for (int m = 0; m < METRIC_COUNT; m++)
        if (report.from_ini[m])
            return analysis_set_margins(a, report.margin, report.from_ini, err, errlen);
    return 0;   /* the metric table's margins, as analysis_load decided */
}

int cmd_open_analysis(const char *cmd, const char *path, const char *sweep, analysis **a)
{
    store *s;
    int status = cmd_open_store(cmd, path, STORE_OPEN_READONLY, &s);
    if (status != WB_EXIT_OK)
        return status;
    char err[2048];
    int usage_error;
    if (analysis_open(s, sweep, STATS_ALPHA_DEFAULT, a, &usage_error, err, sizeof err) != 0) {
        wb_error(cmd, "%s", err);
        status = usage_error ? WB_EXIT_USAGE : WB_EXIT_FAILURE;
    } else if (cmd_apply_report(*a, err, sizeof err) != 0) {
        wb_error(cmd, "%s", err);
        analysis_free(*a);
        *a = NULL;
        status = WB_EXIT_USAGE;
    }
    store_close(s);
    return status;
}

int wb_exit_for_signal(int sig)
{
    return sig == SIGTERM ? WB_EXIT_SIGTERM : WB_EXIT_SIGINT;
}
