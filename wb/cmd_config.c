/* wb config --defaults: every configuration key with its default, as an INI file. */
#include <getopt.h>

#include "wb/cmd.h"
#include "wb/config.h"

static const char usage[] =
    "usage: wb config --defaults\n\n"
    "Prints every configuration key with its default value and allowed values, as an INI file\n"
    "that parses back to the defaults (a starting point for a new experiment).\n";

int cmd_config(int argc, char **argv)
{
    static const struct option opts[] = { { "defaults", no_argument, 0, 'd' },
                                          { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int defaults = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h')
            return cmd_usage(usage, WB_EXIT_OK);
        if (c == 'd')
            defaults = 1;
        else
            return cmd_bad_option("config", usage, argv);
    }
    if (!defaults || optind != argc)
        return cmd_usage(usage, WB_EXIT_USAGE);
    config_print_defaults(stdout);
    return WB_EXIT_OK;
}
