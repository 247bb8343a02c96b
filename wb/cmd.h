/* wb/cmd.h: the subcommands and what they share. Each cmd_<name>(argc, argv) gets argv[0] = its
 * own name, parses its options with getopt_long in the same way (cmd_parse, cmd_usage),
 * prints results to stdout and diagnostics to stderr, and returns the exit status. */
#ifndef WB_WB_CMD_H
#define WB_WB_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

enum wb_exit {
    WB_EXIT_OK = 0,
    WB_EXIT_FAILURE = 1,    /* a run failed, or I/O failed while training or writing */
    WB_EXIT_USAGE = 2,      /* bad usage, configuration or input data, found before training */
    WB_EXIT_SIGINT = 130,
    WB_EXIT_SIGTERM = 143
};

int cmd_sweep(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_rm(int argc, char **argv);

/* "wb CMD: message\n" on stderr. */
void wb_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One option of a command, for cmd_parse. An option either takes an argument, kept in *text
 * (the last one given wins) or handed to take (which checks it: 0, or after its own message the
 * exit status), or is a flag that sets *flag to 1. A repeatable option has a list instead: each
 * argument is appended to list[*count] (more than max: a usage error) once take, when given,
 * accepts it. letter, when not 0, is its one-letter form. */
typedef struct cmd_option {
    const char *name;
    char letter;
    const char **text;
    int *flag;
    int (*take)(void *ctx, const char *arg);
    void *ctx;
    const char **list;
    int *count, max;
} cmd_option;

/* Parses a command's options as every command does (getopt_long, options and arguments in any
 * order, --help and -h for the usage), then checks that `positionals` arguments follow them
 * (-1: any number; CMD_INI_ARGUMENT: none, or one file ending in .ini that stands for --ini FILE
 * when --ini is not given, as ls, compare and report take it); they are argv[optind] on. opts
 * ends with an entry whose name is NULL. Returns -1 to go on, else the exit status: 0 after
 * --help, 2 after a usage error (said, and the usage printed), or what a take function returned. */
#define CMD_INI_ARGUMENT (-2)
int cmd_parse(const char *cmd, const char *usage, int argc, char **argv, const cmd_option *opts,
              int positionals);

/* Prints a command's usage: to stdout for --help (returns 0), else to stderr (returns 2). */
int cmd_usage(const char *usage, int status);

/* The database a command reads: --db, else the INI's sweep.database (--ini FILE.ini, or for
 * ls, compare and report an argument ending in .ini), else the environment's WB_DB, else
 * results/wb.db. The one place this is decided; every command that reads lists CMD_DB_OPTIONS
 * among its options and calls cmd_resolve_db after cmd_parse (or both in cmd_parse_db). */
typedef struct cmd_db {
    const char *flag;       /* --db PATH, or NULL */
    const char *ini;        /* --ini FILE.ini (or the argument), or NULL */
    char path[4096];        /* the database, resolved */
    char sweep[1024];       /* the INI's sweep.name, "" without an INI */
    char hint[4200];        /* "--db PATH" (quoted when needed), for every hint a command prints */
} cmd_db;
#define CMD_DB_OPTIONS(d) { .name = "db", .text = &(d)->flag }, { .name = "ini", .text = &(d)->ini }
#define CMD_DB_USAGE                                                                             \
    "  --db PATH        database (default: the INI's sweep.database, else $WB_DB, else\n"     \
    "                   " CONFIG_DEFAULT_DATABASE ")\n"                                         \
    "  --ini FILE.ini   the database FILE.ini's sweeps write (its sweep.database)\n"
/* Fills d->path, d->sweep and d->hint. Returns -1 to go on, else (after the message: an INI
 * that does not parse) the exit status 2. */
int cmd_resolve_db(const char *cmd, cmd_db *d);
/* cmd_parse, then cmd_resolve_db: what a command that reads d's database does first when nothing
 * is checked between the two. Returns -1 to go on, else the exit status. */
int cmd_parse_db(const char *cmd, const char *usage, int argc, char **argv,
                 const cmd_option *opts, int positionals, cmd_db *d);
/* The INI text a sweep record keeps, which its workers parse again: the file's text with each line
 * a --set replaces commented out ("; key = 0.6    ; replaced by --set below"), then a comment
 * naming `who` ("wb run", "wb sweep") and a "[section]" and "key = value" for each --set (the
 * last of a key), so that the record says how its grid came about and gives the same grid.
 * The sets are config_set's, already checked. NULL when memory runs out; the caller frees it. */
char *cmd_ini_with_sets(const char *text, const char *who, const char *const *sets, int nsets);

/* "--db PATH" for a hint, quoted when a shell would split it (what d->hint holds). */
void cmd_db_option(const char *path, char *out, size_t outlen);
/* "OPTION VALUE" for a command wb suggests, VALUE one shell word (plots/escape.h's escape_shell):
 * the command works when pasted. */
void cmd_shell_option(const char *option, const char *value, char *out, size_t outlen);

/* Opens the database at path for the command cmd, the one way every command does:
 * STORE_OPEN_READONLY for the commands that only read (ls, show, compare, report, query, predict),
 * STORE_OPEN_CREATE for those that write (sweep, run, merge; the database's folder is created too),
 * STORE_OPEN_EXISTING for a sweep's workers. Returns 0, or, after "wb CMD: message" on stderr, the
 * exit status to end with: 2 when a database to read is missing or is not one (the user's to
 * fix), 1 when one to write cannot be made or opened, or when the file is damaged (store_open's
 * STORE_DAMAGED: a reader answers from a whole database or not at all). */
int cmd_open_store(const char *cmd, const char *path, enum store_open_mode mode, store **s);

/* cmd_open_store for a reader of d's database; when it is missing and came from WB_DB or the
 * default, a second line says where wb looks. */
int cmd_open_db(const char *cmd, const cmd_db *d, store **s);

typedef struct analysis analysis;
/* wb compare's and wb report's input: d's database opened to read, the sweep named `sweep` (when
 * NULL: the INI's sweep when d has an INI, else the one run most recently that is not a one-off
 * of wb run) loaded and analysed (analysis/analysis.h) at
 * STATS_ALPHA_DEFAULT with the margins of the sweep's [report] section, the database closed
 * again. Returns 0, or after the message the exit
 * status: 2 for a missing database or sweep, 1 for any other failure. */
int cmd_open_analysis(const char *cmd, const cmd_db *d, const char *sweep, analysis **a);

/* Decides a loaded analysis again with the equivalence margins of its sweep's [report] section
 * (wb/config.h's config_report_parse of the INI text the sweep stored), where it sets any; the
 * metric table's stand otherwise. cmd_open_analysis calls it; so must every other reader that
 * shows verdicts (wb serve). Returns 0, or -1 with err naming the stored INI's line. */
int cmd_apply_report(analysis *a, char *err, size_t errlen);

/* The exit status for a stop signal (130 for SIGINT, 143 for SIGTERM). */
int wb_exit_for_signal(int sig);

#endif
