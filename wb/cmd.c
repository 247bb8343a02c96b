/* wb/cmd.c: what every subcommand shares: error lines, usage, option errors. */
#include "wb/cmd.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

void wb_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wb %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cmd_usage(const char *usage, int status)
{
    fputs(usage, status == 0 ? stdout : stderr);
    return status;
}

int cmd_bad_option(const char *cmd, const char *usage, char **argv)
{
    const char *opt = argv[optind - 1];
    if (optopt && (!opt || opt[0] != '-' || opt[1] == '-' || strlen(opt) > 2))
        wb_error(cmd, "option %s needs a value or is unknown", opt ? opt : "?");
    else
        wb_error(cmd, "unknown option %s", opt ? opt : "?");
    return cmd_usage(usage, WB_EXIT_USAGE);
}

int wb_exit_for_signal(int sig)
{
    return sig == SIGTERM ? WB_EXIT_SIGTERM : WB_EXIT_SIGINT;
}
