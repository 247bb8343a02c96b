/* wb/cmd.c: what every subcommand shares: error lines, option parsing and usage, which database
 * a command means and opening it. */
#include "wb/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "analysis/analysis.h"
#include "base/fileio.h"
#include "plots/escape.h"
#include "wb/config.h"
#include "wb/output.h"
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

/* The nearest option name to the unknown one in arg ("--sweeps" -> "sweep"), or NULL. */
static const char *nearest_option(const char *arg, const cmd_option *opts, size_t n)
{
    const char *names[MAX_OPTIONS + 1];
    char word[128];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(arg + strspn(arg, "-"), "="),
             arg + strspn(arg, "-"));
    for (size_t i = 0; i < n; i++)
        names[i] = opts[i].name;
    names[n] = "help";
    return wb_likeliest(word, names, n + 1);
}

/* After getopt_long returned '?' (opterr = 0): names the option, then the usage. */
static int bad_option(const char *cmd, const char *usage, int argc, char **argv,
                      const cmd_option *opts, size_t n)
{
    const char *arg = offending_arg(argc, argv);
    if (!arg)
        arg = "?";
    if (optopt == 0) {          /* an unknown long option */
        const char *guess = nearest_option(arg, opts, n);
        wb_error(cmd, "unknown option %.*s%s%s%s", (int)strcspn(arg, "="), arg,
                 guess ? "; did you mean --" : "", guess ? guess : "", guess ? "?" : "");
    } else if (optopt >= 256) { /* a long option without its value */
        wb_error(cmd, "the value of %.*s is missing (%.*s VALUE)", (int)strcspn(arg, "="), arg,
                 (int)strcspn(arg, "="), arg);
    } else {
        int takes_value = 0;
        for (size_t i = 0; i < n; i++)
            takes_value |= opts[i].letter == optopt && !opts[i].flag;
        if (takes_value)
            wb_error(cmd, "the value of -%c is missing", optopt);
        else if (strlen(arg) > 2)
            wb_error(cmd, "unknown option -%c in '%s' (a file name that starts with '-' is "
                          "written ./%s)", optopt, arg, arg);
        else
            wb_error(cmd, "unknown option -%c", optopt);
    }
    return cmd_usage(usage, WB_EXIT_USAGE);
}

/* CMD_INI_ARGUMENT's check of what follows the options: nothing, or one file ending in .ini,
 * which stands for --ini FILE (the "ini" option among opts) unless --ini is given too. */
static int take_ini_argument(const char *cmd, const char *usage, int argc, char **argv,
                             const cmd_option *opts, size_t n)
{
    const int nargs = argc - optind;
    const char *arg = nargs > 0 ? argv[optind] : NULL;
    const size_t len = arg ? strlen(arg) : 0;
    if (nargs > 1 || (nargs == 1 && (len < 4 || strcmp(arg + len - 4, ".ini") != 0))) {
        wb_error(cmd, "unexpected argument '%s' (an INI file ends in .ini)", arg);
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    for (size_t i = 0; arg && i < n; i++)
        if (strcmp(opts[i].name, "ini") == 0 && opts[i].text && !*opts[i].text)
            *opts[i].text = arg;
    return -1;
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
        if (opts[k].flag) {
            *opts[k].flag = 1;
            /* CSV for a program is data: unfiltered unless it goes to a terminal. */
            if (strcmp(opts[k].name, "csv") == 0)
                output_raw_stdout();
        } else if (opts[k].text)
            *opts[k].text = optarg;
        else {
            if (opts[k].list && *opts[k].count >= opts[k].max) {
                wb_error(cmd, "at most %d --%s options", opts[k].max, opts[k].name);
                return WB_EXIT_USAGE;
            }
            const int status = opts[k].take ? opts[k].take(opts[k].ctx, optarg) : 0;
            if (status != 0)
                return status;
            if (opts[k].list)
                opts[k].list[(*opts[k].count)++] = optarg;
        }
    }
    if (positionals == CMD_INI_ARGUMENT)
        return take_ini_argument(cmd, usage, argc, argv, opts, n);
    if (positionals >= 0 && argc - optind != positionals) {
        if (argc - optind > positionals)
            wb_error(cmd, "unexpected argument '%s'", argv[optind + positionals]);
        else if (positionals - (argc - optind) == 1)
            wb_error(cmd, "an argument is missing");
        else
            wb_error(cmd, "%d arguments are missing", positionals - (argc - optind));
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    return -1;
}

int cmd_usage(const char *usage, int status)
{
    if (status == 0) {
        fputs(usage, stdout);
        return status;
    }
    /* After an error line: the synopsis (the first paragraph) and where the rest is. */
    const char *end = strstr(usage, "\n\n");
    const int len = end ? (int)(end - usage) : (int)strlen(usage);
    const char *name = strncmp(usage, "usage: wb ", 10) == 0 ? usage + 10 : NULL;
    fprintf(stderr, "%.*s\n", len, usage);
    if (name)
        fprintf(stderr, "(wb %.*s --help for more)\n", (int)strcspn(name, " \n"), name);
    return status;
}

/* ---- the database a command means --------------------------------------------------------- */

int cmd_parse_db(const char *cmd, const char *usage, int argc, char **argv,
                 const cmd_option *opts, int positionals, cmd_db *d)
{
    const int status = cmd_parse(cmd, usage, argc, argv, opts, positionals);
    return status >= 0 ? status : cmd_resolve_db(cmd, d);
}

int cmd_resolve_db(const char *cmd, cmd_db *d)
{
    const char *env = getenv("WB_DB");
    d->sweep[0] = '\0';
    if (d->ini) {
        char err[2048];
        config *c = NULL;
        config_grid *g = NULL;
        if (config_parse_file(d->ini, &c, err, sizeof err) != 0 ||
            config_expand(c, &g, err, sizeof err) != 0) {
            wb_error(cmd, "%s", err);
            config_free(c);
            return WB_EXIT_USAGE;
        }
        snprintf(d->path, sizeof d->path, "%s", d->flag ? d->flag : g->database);
        snprintf(d->sweep, sizeof d->sweep, "%s", g->name);
        config_grid_free(g);
        config_free(c);
    } else if (d->flag) {
        snprintf(d->path, sizeof d->path, "%s", d->flag);
    } else if (env && *env) {
        snprintf(d->path, sizeof d->path, "%s", env);
    } else {
        snprintf(d->path, sizeof d->path, "%s", CONFIG_DEFAULT_DATABASE);
    }
    cmd_db_option(d->path, d->hint, sizeof d->hint);
    return -1;
}

/* The key of a --set ("loss.kernel" of "loss.kernel=8"), at most n bytes with its section. */
static size_t set_key_length(const char *set)
{
    return strcspn(set, "=");
}

/* Whether --set i is overridden by a later --set of the same key. */
static int set_superseded(const char *const *sets, int nsets, int i)
{
    const size_t n = set_key_length(sets[i]);
    for (int k = i + 1; k < nsets; k++)
        if (set_key_length(sets[k]) == n && strncmp(sets[k], sets[i], n) == 0)
            return 1;
    return 0;
}

char *cmd_ini_with_sets(const char *text, const char *who, const char *const *sets, int nsets)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    char section[256] = "";
    for (const char *line = text; *line;) {
        const size_t n = strcspn(line, "\n");
        const char *p = line + strspn(line, " \t");
        int replaced = 0;
        if (*p == '[') {
            const size_t m = strcspn(p + 1, "]\n");
            snprintf(section, sizeof section, "%.*s", (int)m, p + 1);
        } else if (*p != ';' && *p != '#' && memchr(p, '=', (size_t)(line + n - p))) {
            size_t k = strcspn(p, "= \t");
            for (int i = 0; i < nsets && !replaced; i++) {
                const char *dot = strchr(sets[i], '.');
                replaced = dot && (size_t)(dot - sets[i]) == strlen(section) &&
                           strncmp(sets[i], section, strlen(section)) == 0 &&
                           set_key_length(dot + 1) == k && strncmp(dot + 1, p, k) == 0;
            }
        }
        fprintf(f, "%s%.*s%s\n", replaced ? "; " : "", (int)n, line,
                replaced ? "    ; replaced by --set below" : "");
        line += n + (line[n] == '\n');
    }
    fprintf(f, "\n; %s --set overrides, in force over the lines marked above:\n", who);
    for (int i = 0; i < nsets; i++) {
        const char *dot = strchr(sets[i], '.'), *eq = strchr(sets[i], '=');
        if (!dot || !eq || dot > eq || set_superseded(sets, nsets, i))
            continue;
        /* a newline in a value would end the line (config_set refused such a value already) */
        fprintf(f, "[%.*s]\n%.*s = %.*s\n", (int)(dot - sets[i]), sets[i], (int)(eq - dot - 1),
                dot + 1, (int)strcspn(eq + 1, "\r\n"), eq + 1);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void cmd_shell_option(const char *option, const char *value, char *out, size_t outlen)
{
    /* Quoted when a shell would split or expand it: the hint is pasted back into one. */
    char *word = escape_to_string(escape_shell, value);
    snprintf(out, outlen, "%s %s", option, word ? word : value);
    free(word);
}

void cmd_db_option(const char *path, char *out, size_t outlen)
{
    cmd_shell_option("--db", path, out, outlen);
}

int cmd_open_store(const char *cmd, const char *path, enum store_open_mode mode, store **s)
{
    char err[2048], dir[4096];
    *s = NULL;
    if (mode == STORE_OPEN_CREATE) {
        file_dirname(path, dir, sizeof dir);
        if (file_mkdirs(dir, err, sizeof err) != 0) {
            wb_error(cmd, "cannot create the folder of the database %s: %s", path, err);
            return WB_EXIT_FAILURE;
        }
    }
    const int rc = store_open(path, mode, s, err, sizeof err);
    if (rc != 0) {
        wb_error(cmd, "%s", err);
        /* 2 when the path given names no database (usage); a database that cannot be opened
         * or is damaged is a failure. */
        return mode == STORE_OPEN_READONLY && rc == STORE_NOT_DATABASE ? WB_EXIT_USAGE
                                                                       : WB_EXIT_FAILURE;
    }
    if (store_is_immutable(*s))
        fprintf(stderr, "wb %s: note: %s is read as immutable (%s): nothing is locked, and a "
                "change made while it is read would not be seen\n", cmd, path,
                store_is_immutable(*s) == STORE_IMMUTABLE_MOUNT
                    ? "its folder is on a read-only file system"
                    : "its folder is not writable");
    return WB_EXIT_OK;
}

int cmd_open_db(const char *cmd, const cmd_db *d, store **s)
{
    const int status = cmd_open_store(cmd, d->path, STORE_OPEN_READONLY, s);
    if (status == WB_EXIT_USAGE && !d->flag && !d->ini)
        fprintf(stderr, "(wb reads --db PATH, else the sweep.database of --ini FILE.ini, else "
                        "$WB_DB, else " CONFIG_DEFAULT_DATABASE ")\n");
    return status;
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

int cmd_open_analysis(const char *cmd, const cmd_db *d, const char *sweep, analysis **a)
{
    store *s;
    int status = cmd_open_db(cmd, d, &s);
    if (status != WB_EXIT_OK)
        return status;
    char err[2048];
    int usage_error;
    if (!sweep && d->sweep[0])
        sweep = d->sweep;   /* the INI's own sweep */
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
