/* wb/cmd.h: the subcommands and what they share. Each cmd_<name>(argc, argv) gets argv[0] = its
 * own name, parses its options with getopt_long in the same way (cmd_usage, cmd_bad_option),
 * prints results to stdout and diagnostics to stderr, and returns the exit status. */
#ifndef WB_WB_CMD_H
#define WB_WB_CMD_H

#include <stdint.h>
#include <stdio.h>

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

/* "wb CMD: message\n" on stderr. */
void wb_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a command's usage: to stdout for --help (returns 0), else to stderr (returns 2). */
int cmd_usage(const char *usage, int status);
/* After getopt_long returned '?' or ':' (opterr = 0): names the option, then the usage. */
int cmd_bad_option(const char *cmd, const char *usage, char **argv);

/* The exit status for a stop signal (130 for SIGINT, 143 for SIGTERM). */
int wb_exit_for_signal(int sig);

#endif
