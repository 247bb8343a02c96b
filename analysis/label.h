/* analysis/label.h: how numbers and configurations read for people, in every command and page.
 *
 * Numbers a person wrote (a key's value: λ = 0.05, momentum 0.9) print as the shortest decimal
 * that reads back as the same double, never as the 17 digits the canonical text keeps
 * (0.050000000000000003). Measurements print rounded to their precision by whoever shows them;
 * machine-readable outputs (CSV, JSON, the canonical text hashed for a run's identity) stay exact
 * (%.17g) and never go through here.
 *
 * A configuration has one label everywhere (wb sweep's progress lines and --dry-run, wb ls,
 * wb show, wb compare, the report, its charts, wb serve):
 *     λ = 0.1 (eff. 7.2), kernel 8, border zero
 * λ first, always, with its effective weight λ·g (g the white-noise gain of the normalised
 * stencil, model/loss.h; three significant digits; "eff. ?" when the kernel is unknown), or
 * "λ = 0" for a baseline; then each other axis of the sweep that applies to the configuration, in
 * the sweep's order, as "name value": the key without its section ("data.seed" keeps it, "seed"
 * being the run's), reals as format_shortest writes them, other values verbatim. A run's label
 * adds ", seed N". Nothing here allocates. */
#ifndef WB_ANALYSIS_LABEL_H
#define WB_ANALYSIS_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/text.h"   /* format_shortest, text_append */
#include "store/store.h"

/* v rounded to `digits` significant digits (1..17), then as format_shortest writes it: for
 * derived numbers ("7.2", "0.0156", "1230"). */
int format_significant(double v, int digits, char *out, size_t outlen);

/* A measurement of metric `metric` (model/metrics.h's id) for people, with the digits that mean
 * something, the same in every table and line: dB to 3 decimals (2 in a sentence, `sentence`
 * nonzero), SSIM to 4, seconds to 2, rates whole, the rest to 4 significant digits
 * (format_significant); "-" when not finite. No unit is written. */
int format_metric(int metric, double v, int sentence, char *out, size_t outlen);

/* The white-noise gain g of the Laplacian term named by a run's params, loss.kernel and
 * loss.kernel_norm as the store spells them ("4", "8", "keras-recipe"; "none", "l1", "energy";
 * NULL kernel_norm is "none"): model/lap_kernels.h's lap_white_noise_gain of the kernel table's
 * row of that name (K4 20, K8 72, ...). NaN for a name the table does not know. */
double label_lap_gain(const char *kernel, const char *kernel_norm);

/* λ · label_lap_gain(kernel, kernel_norm); 0 when λ = 0, whatever the kernel. */
double label_effective_weight(double lambda, const char *kernel, const char *kernel_norm);

/* One axis of a sweep ("loss.kernel") and a configuration's value of it as the store holds it
 * ("8", "0.050000000000000003"); value NULL where the axis does not apply (the Laplacian keys of
 * a baseline). The λ axis (loss.laplacian_weight) is skipped: the label always starts with λ. */
typedef struct label_axis {
    const char *key, *value;
} label_axis;

/* "λ = 0.1 (eff. 7.2)", "λ = 0". */
void label_lambda(double lambda, double effective_weight, char *out, size_t outlen);

/* "kernel 8, border zero": the axes but λ, "" when there are none. */
void label_axes(const label_axis *axes, size_t naxes, char *out, size_t outlen);

/* The configuration's label: label_lambda, then label_axes after ", " when there are any. */
void label_configuration(double lambda, double effective_weight, const label_axis *axes,
                         size_t naxes, char *out, size_t outlen);

/* A run's: the configuration's label, then ", seed N". */
void label_run(double lambda, double effective_weight, const label_axis *axes, size_t naxes,
               uint64_t seed, char *out, size_t outlen);

/* The label of the configuration a run belongs to, from the run's params as the store holds them
 * (key and value, NULL where a key does not apply) and its sweep's axes as the sweeps table holds
 * them ("loss.laplacian_weight,loss.kernel"): λ from loss.laplacian_weight, the effective weight
 * from loss.kernel and loss.kernel_norm (label_effective_weight), the other axes' values from
 * their params. panel (may be NULL) receives label_axes's part alone. wb ls, wb show and the
 * analysis label configurations this way; the sweep's progress lines from the resolved options. */
void label_of_params(const char *axes, const store_param *params, size_t nparams, char *label,
                     size_t labellen, char *panel, size_t panellen);

/* An axis value for people: a real as format_shortest writes it, anything else (integers, names,
 * paths) verbatim. */
void label_value(const char *value, char *out, size_t outlen);

#endif
