/* wb/run_label.h: the label the configuration gives each run of its grid (wb sweep's progress
 * lines, --dry-run), in the one format of analysis/label.h. The configuration knows keys and
 * values, not how people read them: it asks here, and only here does wb/ reach analysis/ for it.
 * Plain types only, so that config_grid.c includes nothing of analysis/. */
#ifndef WB_WB_RUN_LABEL_H
#define WB_WB_RUN_LABEL_H

#include <stddef.h>
#include <stdint.h>

/* A run's label: "λ = 0.1 (eff. 7.2), kernel 8, seed 2" (analysis/label.h's label_run), from λ,
 * its effective weight and the sweep's axes keys[i] with this run's values[i] (NULL where an
 * axis does not apply). */
void run_label(double lambda, double effective_weight, const char *const *keys,
               const char *const *values, size_t naxes, uint64_t seed, char *out, size_t outlen);

/* An axis value for people (analysis/label.h's label_value: "0.1" for "0.10000000000000001"). */
void run_label_value(const char *value, char *out, size_t outlen);

#endif
