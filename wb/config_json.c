/* wb/config_json.c: what the configuration writes for programs and people: a run's JSON,
 * wb config --defaults (an INI file of every key) and wb config --json. */
#include "wb/config_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/text.h"
#include "model/lap_kernels.h"

int cfg_run_json(config_run *run)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    size_t n = 0;
    for (int s = SEC_SWEEP + 1; s < SECTION_COUNT && ok; s++) {
        cJSON *section = cJSON_AddObjectToObject(root, cfg_section_names[s]);
        ok = section != NULL;
        for (; ok && n < run->nparams && cfg_param_key(&run->params[n])->section == (enum section)s;
             n++) {
            const key_def *k = cfg_param_key(&run->params[n]);
            const char *value = run->params[n].value, *name = cfg_bare_name(k);
            if (!value)
                ok = cJSON_AddNullToObject(section, name) != NULL;
            else if (k->type == TYPE_INT || k->type == TYPE_REAL)
                /* raw: 64-bit integers and %.17g reals exactly as the canonical text has them */
                ok = cJSON_AddRawToObject(section, name, value) != NULL;
            else if (k->type == TYPE_BOOL)
                ok = cJSON_AddBoolToObject(section, name, strcmp(value, "true") == 0) != NULL;
            else
                ok = cJSON_AddStringToObject(section, name, value) != NULL;
        }
    }
    if (ok) {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, run->options.seed);
        ok = cJSON_AddRawToObject(root, "seed", seed) != NULL;
    }
    if (ok)
        ok = (run->json = cJSON_PrintUnformatted(root)) != NULL;
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

/* ---- wb config --defaults -------------------------------------------------------------------- */

void config_print_defaults(FILE *f)
{
    fprintf(f, "; wb: every configuration key with its default (wb config --defaults).\n"
               "; A comma list makes a key a sweep axis (any key but sweep.name and\n"
               "; sweep.database); the grid is the Cartesian product, the seeds innermost.\n");
    for (int s = 0; s < SECTION_COUNT; s++) {
        fprintf(f, "\n[%s]\n", cfg_section_names[s]);
        for (int i = 0; i < KEY_COUNT; i++) {
            const key_def *k = &cfg_keys[i];
            if ((int)k->section != s)
                continue;
            char expected[256];
            cfg_describe_expected(k, expected, sizeof expected);
            fprintf(f, "; %s\n; values: %s\n", k->description, expected);
            if (k->default_text)
                fprintf(f, "%s = %s\n", cfg_bare_name(k), k->default_text);
            else
                fprintf(f, "; %s =\n", cfg_bare_name(k));
        }
    }
    char expected[256], delta[40];
    cfg_describe_expected(&cfg_report_margin_def, expected, sizeof expected);
    fprintf(f, "\n[%s]\n; how the results are judged, never what a run computes: not part of a "
               "run's identity,\n; not an axis, not settable with --set\n"
               "; margin.NAME: the equivalence margin of metric NAME, in its unit (0: no "
               "equivalence test);\n; the defaults are the metric table's\n; values: %s\n",
            REPORT_SECTION, expected);
    for (int m = 0; m < METRIC_COUNT; m++) {
        const metric_def *d = metric_def_of((enum metric_id)m);
        if (d->source != METRIC_FROM_IMAGES)
            continue;
        format_shortest(d->delta, delta, sizeof delta);
        fprintf(f, "; margin.%s = %s\n", d->name, delta);
    }
}

int config_print_json(FILE *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(root, "keys");
    int ok = keys != NULL;
    for (int i = 0; ok && i < KEY_COUNT; i++) {
        const key_def *k = &cfg_keys[i];
        char expected[256];
        cfg_describe_expected(k, expected, sizeof expected);
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(keys, o) && cJSON_AddStringToObject(o, "key", k->key) &&
             (k->default_text ? cJSON_AddStringToObject(o, "default", k->default_text)
                              : cJSON_AddNullToObject(o, "default")) &&
             cJSON_AddStringToObject(o, "values", expected) &&
             cJSON_AddStringToObject(o, "description", k->description);
    }
    cJSON *kernels = ok ? cJSON_AddArrayToObject(root, "lap_kernels") : NULL;
    ok = kernels != NULL;
    for (int i = 0; ok && i < LAP_KERNEL_COUNT; i++) {
        const lap_kernel_def *d = lap_kernel_def_of((enum lap_kernel)i);
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(kernels, o) && cJSON_AddStringToObject(o, "name", d->name) &&
             cJSON_AddStringToObject(o, "label", d->label) &&
             cJSON_AddItemToObject(o, "taps", cJSON_CreateDoubleArray(d->taps, 9)) &&
             cJSON_AddNumberToObject(o, "divisor", d->divisor) &&
             cJSON_AddNumberToObject(o, "gain", d->gain) &&
             cJSON_AddBoolToObject(o, "mixes_channels", d->mixes_channels);
    }
    cJSON *norms = ok ? cJSON_AddArrayToObject(root, "lap_norms") : NULL;
    ok = norms != NULL;
    for (int i = 0; ok && lap_norm_name(i); i++)
        ok = cJSON_AddItemToArray(norms, cJSON_CreateString(lap_norm_name(i)));
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    ok = text && fprintf(f, "%s\n", text) >= 0 && fflush(f) == 0;
    cJSON_free(text);
    return ok ? 0 : -1;
}
