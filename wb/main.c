/* wb/main.c: the subcommand table. Each subcommand lives in wb/cmd_<name>.c; main only dispatches
 * and turns the command's result into the exit status (0 ok, 1 failure, 2 usage or config). */
#include <stdio.h>
#include <string.h>

#include "wb_build.h"

static void print_usage(FILE *f)
{
    fprintf(f, "usage: wb --version | wb --help\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("wb %s (%s%s)\n", WB_VERSION, WB_GIT_COMMIT, WB_GIT_DIRTY ? ", dirty" : "");
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        print_usage(stdout);
        return 0;
    }
    print_usage(stderr);
    return 2;
}
