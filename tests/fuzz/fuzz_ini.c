/* tests/fuzz/fuzz_ini.c: the INI parser (config_parse_string), then, for a text it accepts, the
 * grid (config_expand: validation across keys, the Cartesian product, hashes, JSON) and one
 * --set override taken from the input's last line.
 * Built by tests/fuzz/run.sh as a libFuzzer target (fuzz.h says how make test replays it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wb/config.h"

int wb_fuzz_ini(const uint8_t *data, size_t size)
{
    /* The parser reads a NUL-terminated text, as config_parse_file hands it over. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[1024];
    config *c = NULL;
    if (config_parse_string(text, "fuzz.ini", &c, err, sizeof err) == 0) {
        const char *last = strrchr(text, '\n');
        if (last && last[1])
            config_set(c, last + 1, 1, err, sizeof err);
        config_grid *g = NULL;
        if (config_expand(c, &g, err, sizeof err) == 0) {
            for (size_t i = 0; i < g->nruns; i++)
                (void)config_run_value(&g->runs[i], "loss.kernel");
            config_grid_free(g);
        }
        (void)config_ini_text(c);
    }
    config_free(c);
    free(text);
    return 0;
}

WB_FUZZ_ENTRY(wb_fuzz_ini)
