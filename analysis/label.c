/* analysis/label.c: numbers and configuration labels for people; the contract is in label.h. */
#include "analysis/label.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/lap_kernels.h"
#include "model/metrics.h"

/* ---- numbers --------------------------------------------------------------------------- */

int format_significant(double v, int digits, char *out, size_t outlen)
{
    char text[40];
    digits = digits < 1 ? 1 : digits > 17 ? 17 : digits;
    snprintf(text, sizeof text, "%.*g", digits, v);
    return format_shortest(isfinite(v) ? strtod(text, NULL) : v, out, outlen);
}

int format_metric(int metric, double v, int sentence, char *out, size_t outlen)
{
    if (!isfinite(v))
        return snprintf(out, outlen, "-");
    const metric_def *d = metric >= 0 && metric < METRIC_COUNT
                              ? metric_def_of((enum metric_id)metric) : NULL;
    const char *unit = d ? d->unit : "";
    if (strcmp(unit, "dB") == 0)
        return snprintf(out, outlen, "%.*f", sentence ? 2 : 3, v);
    if (metric == METRIC_SSIM)
        return snprintf(out, outlen, "%.4f", v);
    if (strcmp(unit, "s") == 0)
        return snprintf(out, outlen, "%.2f", v);
    if (strcmp(unit, "1/s") == 0)
        return snprintf(out, outlen, "%.0f", v);
    return format_significant(v, 4, out, outlen);
}

/* ---- the Laplacian term's strength ------------------------------------------------------- */

double label_lap_gain(const char *kernel, const char *kernel_norm)
{
    const int k = lap_kernel_find(kernel);
    const int norm = lap_norm_find(kernel_norm ? kernel_norm : "none");
    return k < 0 || norm < 0 ? NAN : lap_white_noise_gain(k, norm);
}

double label_effective_weight(double lambda, const char *kernel, const char *kernel_norm)
{
    return lambda > 0 ? lambda * label_lap_gain(kernel, kernel_norm) : 0.0;
}

/* ---- labels -------------------------------------------------------------------------------- */

void label_value(const char *value, char *out, size_t outlen)
{
    char *end;
    const double v = strtod(value, &end);
    /* Only reals: an integer (a seed may have 19 digits) or a name stays as written. */
    if (*value && *end == '\0' && isfinite(v) && strpbrk(value, ".eE"))
        format_shortest(v, out, outlen);
    else
        snprintf(out, outlen, "%s", value);
}

void label_lambda(double lambda, double effective_weight, char *out, size_t outlen)
{
    char l[40], eff[40];
    format_shortest(lambda, l, sizeof l);
    if (lambda == 0) {
        snprintf(out, outlen, "λ = %s", l);
        return;
    }
    if (isfinite(effective_weight))
        format_significant(effective_weight, 3, eff, sizeof eff);
    else
        snprintf(eff, sizeof eff, "?");
    snprintf(out, outlen, "λ = %s (eff. %s)", l, eff);
}

void label_axes(const label_axis *axes, size_t naxes, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < naxes; i++) {
        const char *key = axes[i].key;
        if (!axes[i].value || strcmp(key, "loss.laplacian_weight") == 0)
            continue;
        const char *dot = strchr(key, '.');
        const char *name = dot && strcmp(key, "data.seed") != 0 ? dot + 1 : key;
        char value[256];
        label_value(axes[i].value, value, sizeof value);
        text_append(out, outlen, "%s%s %s", *out ? ", " : "", name, value);
    }
}

void label_configuration(double lambda, double effective_weight, const label_axis *axes,
                         size_t naxes, char *out, size_t outlen)
{
    char rest[1024];
    label_lambda(lambda, effective_weight, out, outlen);
    label_axes(axes, naxes, rest, sizeof rest);
    if (*rest)
        text_append(out, outlen, ", %s", rest);
}

void label_run(double lambda, double effective_weight, const label_axis *axes, size_t naxes,
               uint64_t seed, char *out, size_t outlen)
{
    label_configuration(lambda, effective_weight, axes, naxes, out, outlen);
    text_append(out, outlen, ", seed %" PRIu64, seed);
}

/* The value of a param (NULL when absent or when it does not apply). */
static const char *param_value(const store_param *params, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].key, key) == 0)
            return params[i].value;
    return NULL;
}

#define MAX_AXES 64
#define MAX_KEY 128

void label_of_params(const char *axes, const store_param *params, size_t nparams, char *label,
                     size_t labellen, char *panel, size_t panellen)
{
    char keys[MAX_AXES][MAX_KEY];
    label_axis axis[MAX_AXES];
    size_t naxes = 0;
    for (const char *p = axes ? axes : ""; *p && naxes < MAX_AXES;) {
        const size_t len = strcspn(p, ",");
        if (len > 0 && len < MAX_KEY) {
            snprintf(keys[naxes], MAX_KEY, "%.*s", (int)len, p);
            axis[naxes] = (label_axis){ keys[naxes], param_value(params, nparams, keys[naxes]) };
            naxes++;
        }
        p += len + (p[len] == ',');
    }
    const char *lambda_text = param_value(params, nparams, "loss.laplacian_weight");
    const double lambda = lambda_text ? strtod(lambda_text, NULL) : 0.0;
    const double effective = label_effective_weight(
        lambda, param_value(params, nparams, "loss.kernel"),
        param_value(params, nparams, "loss.kernel_norm"));
    label_configuration(lambda, effective, axis, naxes, label, labellen);
    if (panel)
        label_axes(axis, naxes, panel, panellen);
}
