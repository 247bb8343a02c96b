/* wb config --defaults | --json: every configuration key with its default, as an INI file, or
 * as JSON with the kernel table (for programs: python/wbtorch). */
#include "wb/cmd.h"
#include "wb/config.h"

static const char usage[] =
    "usage: wb config --defaults | --json\n\n"
    "Prints every configuration key with its default value and allowed values, as an INI file\n"
    "that parses back to the defaults (a starting point for a new experiment); with --json, the\n"
    "same keys and the Laplacian kernels' table as JSON, for programs.\n";

int cmd_config(int argc, char **argv)
{
    int defaults = 0, json = 0;
    const cmd_option opts[] = { { .name = "defaults", .flag = &defaults },
                                { .name = "json", .flag = &json }, { 0 } };
    const int status = cmd_parse("config", usage, argc, argv, opts, 0);
    if (status >= 0)
        return status;
    if (defaults == json)
        return cmd_usage(usage, WB_EXIT_USAGE);
    if (json) {
        if (config_print_json(stdout) != 0) {
            wb_error("config", "cannot write the JSON: out of memory or a failed write");
            return WB_EXIT_FAILURE;
        }
        return WB_EXIT_OK;
    }
    config_print_defaults(stdout);
    return WB_EXIT_OK;
}
