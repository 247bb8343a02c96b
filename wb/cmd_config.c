/* wb config --defaults: every configuration key with its default, as an INI file. */
#include "wb/cmd.h"
#include "wb/config.h"

static const char usage[] =
    "usage: wb config --defaults\n\n"
    "Prints every configuration key with its default value and allowed values, as an INI file\n"
    "that parses back to the defaults (a starting point for a new experiment).\n";

int cmd_config(int argc, char **argv)
{
    int defaults = 0;
    const cmd_option opts[] = { { .name = "defaults", .flag = &defaults }, { 0 } };
    const int status = cmd_parse("config", usage, argc, argv, opts, 0);
    if (status >= 0)
        return status;
    if (!defaults)
        return cmd_usage(usage, WB_EXIT_USAGE);
    config_print_defaults(stdout);
    return WB_EXIT_OK;
}
