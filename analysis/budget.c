/* analysis/budget.c: budgets, families of configurations over them, and whether a verdict has
 * settled (analysis/budget.h). */
#include "analysis/budget.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/label.h"
#include "base/err.h"

/* ---- grouping -------------------------------------------------------------------------------- */

static int compare_ints(const void *x, const void *y)
{
    const int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* The label of a configuration without its budget: its label with the ", epochs N" axis taken
 * out (analysis/label.h writes an axis as "name value", the key without its section). */
static char *label_without_budget(const char *label, int epochs)
{
    char axis[64];
    snprintf(axis, sizeof axis, ", epochs %d", epochs);
    const char *at = strstr(label, axis);
    const size_t n = strlen(axis);
    while (at && at[n] != '\0' && at[n] != ',')
        at = strstr(at + 1, axis);
    char *out = strdup(label);
    if (out && at)
        memmove(out + (at - label), out + (at - label) + n, strlen(at + n) + 1);
    return out;
}

int analysis_group_budgets(analysis *a, const char *const *family_keys, char *err,
                           size_t errlen)
{
    a->budgets = malloc((a->nconfigs ? a->nconfigs : 1) * sizeof *a->budgets);
    a->families = calloc(a->nconfigs ? a->nconfigs : 1, sizeof *a->families);
    if (!a->budgets || !a->families)
        return fail(err, errlen, "out of memory grouping the budgets");
    for (size_t c = 0; c < a->nconfigs; c++)
        a->budgets[c] = a->configs[c].epochs;
    qsort(a->budgets, a->nconfigs, sizeof *a->budgets, compare_ints);
    a->nbudgets = 0;
    for (size_t c = 0; c < a->nconfigs; c++)
        if (a->nbudgets == 0 || a->budgets[a->nbudgets - 1] != a->budgets[c])
            a->budgets[a->nbudgets++] = a->budgets[c];
    size_t *first = malloc((a->nconfigs ? a->nconfigs : 1) * sizeof *first);
    if (!first)
        return fail(err, errlen, "out of memory grouping the budgets");
    int rc = 0;
    /* each family's panel without its budget (", kernel 4"), to number the distinct ones */
    char **panel_of = calloc(a->nconfigs ? a->nconfigs : 1, sizeof *panel_of);
    if (!panel_of) {
        free(first);
        return fail(err, errlen, "out of memory grouping the budgets");
    }
    for (size_t c = 0; rc == 0 && c < a->nconfigs; c++) {
        size_t f = 0;
        while (f < a->nfamilies && strcmp(family_keys[first[f]], family_keys[c]) != 0)
            f++;
        analysis_family *fam = &a->families[f];
        if (f == a->nfamilies) {
            first[f] = c;
            fam->configs = malloc(a->nbudgets * sizeof *fam->configs);
            fam->label = label_without_budget(a->configs[c].label, a->configs[c].epochs);
            fam->is_baseline = a->configs[c].is_baseline;
            a->nfamilies++;
            char panel[512];
            snprintf(panel, sizeof panel, ", %s", a->configs[c].panel_label);
            panel_of[f] = label_without_budget(panel, a->configs[c].epochs);
            if (!fam->configs || !fam->label || !panel_of[f]) {
                rc = fail(err, errlen, "out of memory grouping the budgets");
                break;
            }
            /* the baseline has no line of its own in the chart: it takes no panel */
            size_t same = 0;
            while (same < f && (a->families[same].is_baseline
                                || strcmp(panel_of[same], panel_of[f]) != 0))
                same++;
            fam->panel = fam->is_baseline ? 0
                       : same < f         ? a->families[same].panel
                                          : a->nfamily_panels++;
            for (size_t b = 0; b < a->nbudgets; b++)
                fam->configs[b] = SIZE_MAX;
        }
        for (size_t b = 0; b < a->nbudgets; b++)
            if (a->budgets[b] == a->configs[c].epochs)
                fam->configs[b] = c;
        a->configs[c].family = f;
    }
    for (size_t f = 0; f < a->nfamilies; f++)
        free(panel_of[f]);
    free(panel_of);
    free(first);
    return rc;
}

void analysis_free_budgets(analysis *a)
{
    for (size_t f = 0; a->families && f < a->nfamilies; f++) {
        free(a->families[f].label);
        free(a->families[f].configs);
    }
    free(a->families);
    free(a->budgets);
    a->families = NULL;
    a->budgets = NULL;
    a->nfamilies = a->nbudgets = a->nfamily_panels = 0;
}

/* ---- settling -------------------------------------------------------------------------------- */

static int is_decision(enum stats_verdict v)
{
    return v == STATS_HELPS || v == STATS_HURTS || v == STATS_EQUIVALENT;
}

analysis_settling analysis_settle(const int *epochs, const enum stats_verdict *verdicts,
                                  const double *diffs, size_t n, double margin)
{
    analysis_settling s = { .settled = 0, .why = SETTLED_NO_VERDICT, .largest = SIZE_MAX,
                            .half = SIZE_MAX, .moved = NAN };
    if (n == 0)
        return s;
    s.largest = n - 1;
    const int largest = epochs[n - 1];
    for (size_t i = n - 1; i-- > 0;)
        if (2 * (long)epochs[i] <= (long)largest) {
            s.half = i;
            break;
        }
    if (s.half != SIZE_MAX)
        s.moved = fabs(diffs[n - 1] - diffs[s.half]);
    if (!(margin > 0))
        s.why = SETTLED_NO_MARGIN;
    else if (!is_decision(verdicts[n - 1]))
        s.why = SETTLED_NO_VERDICT;
    else if (s.half == SIZE_MAX)
        s.why = SETTLED_NO_HALF;
    else if (verdicts[s.half] != verdicts[n - 1])
        s.why = SETTLED_VERDICT_MOVED;
    else if (!(s.moved <= margin / 2))
        s.why = SETTLED_DIFF_MOVED;
    else {
        s.why = SETTLED;
        s.settled = 1;
    }
    return s;
}

/* The budgets of family f with a test on the series: indices into a->budgets (room for
 * nbudgets). */
static size_t tested_budgets(const analysis *a, size_t f, int series, enum analysis_at at,
                             size_t *budget)
{
    size_t n = 0;
    for (size_t b = 0; b < a->nbudgets; b++) {
        const size_t c = a->families[f].configs[b];
        if (c == SIZE_MAX)
            continue;
        const analysis_stat *st = &a->configs[c].stat[at][series];
        if (st->npairs >= 2 && st->paired.has_test && isfinite(st->paired.diff.mean))
            budget[n++] = b;
    }
    return n;
}

size_t analysis_family_largest(const analysis *a, size_t f, int series, enum analysis_at at)
{
    size_t *budget = malloc((a->nbudgets ? a->nbudgets : 1) * sizeof *budget);
    const size_t n = budget ? tested_budgets(a, f, series, at, budget) : 0;
    const size_t c = n ? a->families[f].configs[budget[n - 1]] : SIZE_MAX;
    free(budget);
    return c;
}

analysis_settling analysis_family_settling(const analysis *a, size_t f, int series,
                                           enum analysis_at at)
{
    const size_t nb = a->nbudgets ? a->nbudgets : 1;
    size_t *budget = malloc(nb * sizeof *budget);
    int *epochs = malloc(nb * sizeof *epochs);
    enum stats_verdict *verdicts = malloc(nb * sizeof *verdicts);
    double *diffs = malloc(nb * sizeof *diffs);
    const size_t n = budget && epochs && verdicts && diffs
                         ? tested_budgets(a, f, series, at, budget)
                         : 0;
    for (size_t i = 0; i < n; i++) {
        const analysis_stat *st = &a->configs[a->families[f].configs[budget[i]]].stat[at][series];
        epochs[i] = a->budgets[budget[i]];
        verdicts[i] = st->verdict;
        diffs[i] = st->paired.diff.mean;
    }
    analysis_settling s = analysis_settle(epochs, verdicts, diffs, n,
                                          a->margin[analysis_series_metric(series)]);
    /* back to indices into a->budgets */
    if (s.largest != SIZE_MAX)
        s.largest = budget[s.largest];
    if (s.half != SIZE_MAX)
        s.half = budget[s.half];
    free(budget);
    free(epochs);
    free(verdicts);
    free(diffs);
    return s;
}

/* ---- words ----------------------------------------------------------------------------------- */

/* A verdict cell without the configuration's label: "hurts", "equivalent (±0.2)". */
static void verdict_of(const analysis *a, size_t config, int series, enum analysis_at at,
                       char *out, size_t outlen)
{
    analysis_verdict_cell(a, config, series, at, out, outlen);
}

void analysis_settling_text(const analysis *a, size_t f, int series, enum analysis_at at,
                            char *out, size_t outlen)
{
    const analysis_settling s = analysis_family_settling(a, f, series, at);
    out[0] = '\0';
    if (s.largest == SIZE_MAX) {
        text_append(out, outlen, "not settled (no budget with two or more seed pairs)");
        return;
    }
    const double margin = a->margin[analysis_series_metric(series)];
    const char *unit = analysis_series_unit(series);
    char v[96], m[32], half_m[32];
    format_significant(s.moved, 2, m, sizeof m);
    format_shortest(margin / 2, half_m, sizeof half_m);
    if (s.settled) {
        verdict_of(a, a->families[f].configs[s.half], series, at, v, sizeof v);
        text_append(out, outlen, "settled (%s at %d epochs too, %s%s%s apart)", v,
                    a->budgets[s.half], m, *unit ? " " : "", unit);
        return;
    }
    const int n = a->budgets[s.largest];
    text_append(out, outlen, "not settled at %d epochs (", n);
    switch (s.why) {
    case SETTLED_NO_MARGIN:
        text_append(out, outlen, "the metric has no margin to settle within");
        break;
    case SETTLED_NO_VERDICT:
        text_append(out, outlen, "nothing decided there");
        break;
    case SETTLED_NO_HALF:
        text_append(out, outlen, "no budget of at most %d epochs to compare with", n / 2);
        break;
    case SETTLED_VERDICT_MOVED:
        verdict_of(a, a->families[f].configs[s.half], series, at, v, sizeof v);
        text_append(out, outlen, "%s at %d epochs", v, a->budgets[s.half]);
        break;
    case SETTLED_DIFF_MOVED:
        text_append(out, outlen, "the difference moved by %s%s%s from %d epochs, more than "
                    "δ/2 = %s", m, *unit ? " " : "", unit, a->budgets[s.half], half_m);
        break;
    case SETTLED:
        break;
    }
    text_append(out, outlen, ")");
}

/* How a family's effect moves over its budgets with a test: "-0.32 dB at 16 epochs, -0.22 at 64,
 * -0.10 at 128 (shrinking)". Returns how many budgets it names. */
static size_t movement(const analysis *a, size_t f, int series, enum analysis_at at, char *out,
                       size_t outlen)
{
    const analysis_family *fam = &a->families[f];
    const double margin = a->margin[analysis_series_metric(series)];
    size_t *budget = malloc((a->nbudgets ? a->nbudgets : 1) * sizeof *budget);
    const size_t n = budget ? tested_budgets(a, f, series, at, budget) : 0;
    const char *unit = analysis_series_unit(series);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const double d = a->configs[fam->configs[budget[i]]].stat[at][series].paired.diff.mean;
        const int decimals = analysis_decimals(margin > 0 ? margin / 4 : NAN, d);
        text_append(out, outlen, "%s%+.*f%s%s at %d%s", i ? ", " : "", decimals, d,
                    i == 0 && *unit ? " " : "", i == 0 ? unit : "", a->budgets[budget[i]],
                    i == 0 ? " epochs" : "");
    }
    if (n >= 2 && margin > 0) {
        const double first =
            a->configs[fam->configs[budget[0]]].stat[at][series].paired.diff.mean;
        const double last =
            a->configs[fam->configs[budget[n - 1]]].stat[at][series].paired.diff.mean;
        const char *trend = "steady";
        if (fabs(first) > margin / 2 && fabs(last) > margin / 2 && (first > 0) != (last > 0))
            trend = "changes sign";
        else if (fabs(last) < fabs(first) - margin / 2)
            trend = "shrinking";
        else if (fabs(last) > fabs(first) + margin / 2)
            trend = "growing";
        text_append(out, outlen, " (%s)", trend);
    }
    free(budget);
    return n;
}

void analysis_budget_sentence(const analysis *a, size_t f, int series, enum analysis_at at,
                              char *out, size_t outlen)
{
    const analysis_family *fam = &a->families[f];
    char moved[1024];
    out[0] = '\0';
    text_append(out, outlen, "%s: ", fam->label);
    if (movement(a, f, series, at, moved, sizeof moved) == 0) {
        text_append(out, outlen, "no budget with two or more seed pairs.");
        return;
    }
    const size_t largest = analysis_family_largest(a, f, series, at);
    char v[96], settled[256];
    verdict_of(a, largest, series, at, v, sizeof v);
    analysis_settling_text(a, f, series, at, settled, sizeof settled);
    text_append(out, outlen, "%s %s; %s at %d epochs", analysis_series_title(series).text,
                moved, v, a->configs[largest].epochs);
    /* Equivalence is decided by the 90 % interval of the two one-sided tests, narrower than the
     * 95 % interval the table shows (which may reach past ±δ): the sentence gives the one that
     * decided. */
    const analysis_stat *st = &a->configs[largest].stat[at][series];
    if (st->verdict == STATS_EQUIVALENT && st->tost.has_test) {
        const double margin = a->margin[analysis_series_metric(series)];
        const int d = analysis_decimals(margin > 0 ? margin / 4 : NAN, st->paired.diff.mean);
        text_append(out, outlen, " (90 %% interval [%+.*f, %+.*f])", d, st->tost.ci_low, d,
                    st->tost.ci_high);
    }
    text_append(out, outlen, ", %s.", settled);
}

/* A family's decided direction at any budget: the budget where |Δ| is largest among those with
 * verdict v, or SIZE_MAX. */
static size_t strongest_with(const analysis *a, size_t f, int series, enum analysis_at at,
                             enum stats_verdict v)
{
    size_t best = SIZE_MAX;
    for (size_t b = 0; b < a->nbudgets; b++) {
        const size_t c = a->families[f].configs[b];
        if (c == SIZE_MAX || a->configs[c].stat[at][series].verdict != v)
            continue;
        const double d = fabs(a->configs[c].stat[at][series].paired.diff.mean);
        if (best == SIZE_MAX
            || d > fabs(a->configs[a->families[f].configs[best]].stat[at][series].paired.diff.mean))
            best = b;
    }
    return best;
}

/* What helps or hurts, in the brief answer: the family whose decided effect is largest, with
 * the budget where it is and the effect at the largest budget; "and N more" for the others. */
static void brief_direction(const analysis *a, int series, enum analysis_at at,
                            enum stats_verdict v, char *out, size_t outlen, size_t *named)
{
    const char *unit = analysis_series_unit(series);
    const char *space = *unit ? " " : "";
    size_t top = SIZE_MAX, top_budget = SIZE_MAX, more = 0;
    double top_d = -1;
    for (size_t f = 0; f < a->nfamilies; f++) {
        if (a->families[f].is_baseline)
            continue;
        const size_t b = strongest_with(a, f, series, at, v);
        if (b == SIZE_MAX)
            continue;
        named[f] = 1;
        const double d = fabs(a->configs[a->families[f].configs[b]].stat[at][series].paired.diff.mean);
        if (d > top_d) {
            more += top != SIZE_MAX;
            top = f, top_budget = b, top_d = d;
        } else {
            more++;
        }
    }
    const char *verb = v == STATS_HELPS ? "helps" : "hurts";
    if (top == SIZE_MAX) {
        if (v == STATS_HELPS)
            text_append(out, outlen, " no configuration helps at any budget.");
        return;
    }
    const analysis_stat *st = &a->configs[a->families[top].configs[top_budget]].stat[at][series];
    text_append(out, outlen, " %s %s at %d epochs (%+.2f%s%s)", a->families[top].label, verb,
                a->budgets[top_budget], st->paired.diff.mean, space, unit);
    const size_t last = analysis_family_largest(a, top, series, at);
    if (last != SIZE_MAX && a->configs[last].epochs != a->budgets[top_budget])
        text_append(out, outlen, ", %+.2f%s%s at %d", a->configs[last].stat[at][series].paired.diff.mean,
                    space, unit, a->configs[last].epochs);
    if (more)
        text_append(out, outlen, "; %zu more %s at some budget", more,
                    more == 1 ? (v == STATS_HELPS ? "helps" : "hurts") : (v == STATS_HELPS ? "help" : "hurt"));
    text_append(out, outlen, ".");
}

/* The families compared with a baseline (λ > 0, a test at some budget): how many, how many
 * settled, the seed pairs at their largest budgets, and the largest of those budgets. */
typedef struct compared_families {
    size_t compared, settled, seeds_min, seeds_max;
    int largest;
} compared_families;

static compared_families count_compared(const analysis *a, int series, enum analysis_at at)
{
    compared_families k = { 0, 0, SIZE_MAX, 0, -1 };
    for (size_t f = 0; f < a->nfamilies; f++) {
        const size_t c = a->families[f].is_baseline ? SIZE_MAX
                                                    : analysis_family_largest(a, f, series, at);
        if (c == SIZE_MAX)
            continue;
        k.compared++;
        k.settled += analysis_family_settling(a, f, series, at).settled;
        const size_t n = a->configs[c].stat[at][series].npairs;
        k.seeds_min = n < k.seeds_min ? n : k.seeds_min;
        k.seeds_max = n > k.seeds_max ? n : k.seeds_max;
        k.largest = a->configs[c].epochs > k.largest ? a->configs[c].epochs : k.largest;
    }
    return k;
}

void analysis_budget_brief(const analysis *a, int series, enum analysis_at at, char *out,
                           size_t outlen)
{
    out[0] = '\0';
    const char *unit = analysis_series_unit(series);
    char margin[32];
    format_shortest(a->margin[analysis_series_metric(series)], margin, sizeof margin);
    const compared_families k = count_compared(a, series, at);
    const size_t compared = k.compared, settled = k.settled;
    const size_t seeds_min = k.seeds_min, seeds_max = k.seeds_max;
    text_append(out, outlen, "Over %d to %d epochs", a->budgets[0], a->budgets[a->nbudgets - 1]);
    if (compared == 0) {
        text_append(out, outlen, ": nothing is compared with a λ = 0 baseline yet.");
        return;
    }
    if (seeds_min == seeds_max)
        text_append(out, outlen, " (%zu seeds):", seeds_min);
    else
        text_append(out, outlen, " (%zu to %zu seeds):", seeds_min, seeds_max);
    /* flags[f]: family f helps or hurts at some budget (named in the sentence) */
    size_t *flags = calloc(a->nfamilies ? a->nfamilies : 1, sizeof *flags);
    if (!flags) {
        text_append(out, outlen, " (out of memory)");
        return;
    }
    brief_direction(a, series, at, STATS_HELPS, out, outlen, flags);
    brief_direction(a, series, at, STATS_HURTS, out, outlen, flags);
    size_t others = 0, others_equivalent = 0, others_decided = 0, widest = SIZE_MAX;
    for (size_t f = 0; f < a->nfamilies; f++) {
        const size_t c = a->families[f].is_baseline ? SIZE_MAX
                                                    : analysis_family_largest(a, f, series, at);
        if (c == SIZE_MAX || flags[f])
            continue;
        others++;
        others_equivalent += a->configs[c].stat[at][series].verdict == STATS_EQUIVALENT;
        if (strongest_with(a, f, series, at, STATS_EQUIVALENT) != SIZE_MAX)
            others_decided++;
        else if (widest == SIZE_MAX
                 || fabs(a->configs[c].stat[at][series].paired.diff.mean)
                        > fabs(a->configs[widest].stat[at][series].paired.diff.mean))
            widest = c;     /* undecided at every budget: the one furthest from the baseline */
    }
    free(flags);
    if (others && others_decided > 0 && others_decided < others) {
        /* some decided, some nowhere: "within ±δ wherever the seeds decide" would cover both */
        const analysis_stat *st = &a->configs[widest].stat[at][series];
        text_append(out, outlen, " %zu of the others %s within ±%s%s%s of the baseline (%zu "
                    "equivalent at %d epochs); %zu %s undecided at every budget (%s: %+.2f%s%s at "
                    "%d epochs).", others_decided, others_decided == 1 ? "stays" : "stay", margin,
                    *unit ? " " : "", unit, others_equivalent, a->budgets[a->nbudgets - 1],
                    others - others_decided, others - others_decided == 1 ? "is" : "are",
                    a->families[a->configs[widest].family].label, st->paired.diff.mean,
                    *unit ? " " : "", unit, a->configs[widest].epochs);
        others = 0;
    }
    /* "within ±δ wherever the seeds decide" says nothing when they decide nowhere */
    if (others && others_decided == 0)
        text_append(out, outlen, " %s undecided at every budget.",
                    others == compared ? (compared == 1 ? "The configuration is" : "Every "
                                          "configuration is")
                                       : "The others are");
    else if (others)
        text_append(out, outlen, " %s within ±%s%s%s of the baseline wherever the seeds decide "
                    "(%zu of %zu equivalent at %d epochs).",
                    others == compared ? "Every configuration stays" : "The others stay", margin,
                    *unit ? " " : "", unit, others_equivalent, others,
                    a->budgets[a->nbudgets - 1]);
    text_append(out, outlen, " %zu of %zu verdicts settled%s", settled, compared,
                settled < compared ? "; the rest need more seeds or a larger budget." : ".");
}

void analysis_budget_answer(const analysis *a, int series, enum analysis_at at, char *out,
                            size_t outlen)
{
    out[0] = '\0';
    const char *unit = analysis_series_unit(series);
    char margin[32];
    format_shortest(a->margin[analysis_series_metric(series)], margin, sizeof margin);
    const compared_families k = count_compared(a, series, at);
    const size_t compared = k.compared, seeds_min = k.seeds_min, seeds_max = k.seeds_max;
    const int largest = k.largest;
    text_append(out, outlen, "On %s: over budgets of %d to %d epochs", a->task ? a->task
                                                                             : "this sweep's task",
                a->budgets[0], a->budgets[a->nbudgets - 1]);
    if (compared == 0) {
        text_append(out, outlen, ", no configuration with λ > 0 has two seed pairs with its "
                    "baseline at any budget: nothing is compared yet.");
        return;
    }
    if (seeds_min == seeds_max)
        text_append(out, outlen, ", %zu seeds each.", seeds_min);
    else
        text_append(out, outlen, ", %zu to %zu seeds.", seeds_min, seeds_max);
    /* The settled ones by verdict, then the others. */
    static const enum stats_verdict order[] = { STATS_HELPS, STATS_EQUIVALENT, STATS_HURTS };
    int groups = 0;
    for (size_t v = 0; v < sizeof order / sizeof order[0]; v++) {
        size_t listed = 0;
        for (size_t f = 0; f < a->nfamilies; f++) {
            if (a->families[f].is_baseline)
                continue;
            const analysis_settling s = analysis_family_settling(a, f, series, at);
            if (!s.settled)
                continue;
            const size_t c = a->families[f].configs[s.largest];
            const analysis_stat *st = &a->configs[c].stat[at][series];
            if (st->verdict != order[v])
                continue;
            if (listed == 0) {
                text_append(out, outlen, "%s", groups ? "; " : " Settled (the verdict at the "
                            "largest budget holds at half of it, the difference within δ/2): ");
                if (order[v] == STATS_EQUIVALENT)
                    text_append(out, outlen, "equivalent to the baseline within ±%s%s%s: ",
                                margin, *unit ? " " : "", unit);
                else
                    text_append(out, outlen, "%s: ", order[v] == STATS_HELPS ? "helps" : "hurts");
                groups++;
            }
            text_append(out, outlen, "%s%s", listed ? ", " : "", a->families[f].label);
            if (order[v] != STATS_EQUIVALENT)
                text_append(out, outlen, " (%+.2f%s%s at %d epochs)", st->paired.diff.mean,
                            *unit ? " " : "", unit, a->budgets[s.largest]);
            else if (a->budgets[s.largest] != largest)
                text_append(out, outlen, " (at %d epochs)", a->budgets[s.largest]);
            listed++;
        }
    }
    if (groups)
        text_append(out, outlen, ".");
    size_t unsettled = 0;
    for (size_t f = 0; f < a->nfamilies; f++) {
        if (a->families[f].is_baseline || analysis_family_largest(a, f, series, at) == SIZE_MAX)
            continue;
        const analysis_settling s = analysis_family_settling(a, f, series, at);
        if (s.settled)
            continue;
        char why[512], moved[1024], v[96];
        const size_t largest = analysis_family_largest(a, f, series, at);
        analysis_settling_text(a, f, series, at, why, sizeof why);
        movement(a, f, series, at, moved, sizeof moved);
        verdict_of(a, largest, series, at, v, sizeof v);
        text_append(out, outlen, "%s %s: %s; %s at %d epochs", unsettled ? ";" : " Not settled:",
                    a->families[f].label, moved, v, a->configs[largest].epochs);
        /* "not settled at N epochs (why)": the why, unless it is the verdict just given */
        const char *paren = strchr(why, '(');
        if (s.why != SETTLED_NO_VERDICT && paren)
            text_append(out, outlen, " (not settled: %.*s)", (int)(strlen(paren) - 2), paren + 1);
        unsettled++;
    }
    if (unsettled)
        text_append(out, outlen, ".");
    if (!groups && !unsettled)
        text_append(out, outlen, " No verdict yet.");
}

/* ---- the table ------------------------------------------------------------------------------- */

static const char *const aligned_headers[] = { "configuration", "epochs", "pairs", "Δ",
                                               "95 % interval", "verdict", "settled" };
static const char *const csv_headers[] = { "configuration", "epochs", "pairs", "diff",
                                           "diff_ci95_low", "diff_ci95_high", "diff_ci90_low",
                                           "diff_ci90_high", "p_holm", "verdict", "settled",
                                           "settled_reason" };
#define ALIGNED_COLS (sizeof aligned_headers / sizeof aligned_headers[0])
#define CSV_COLS (sizeof csv_headers / sizeof csv_headers[0])

/* %.17g, or "" for a value that is not finite. */
static void exact(char *out, size_t len, double v)
{
    if (isfinite(v))
        snprintf(out, len, "%.17g", v);
    else
        out[0] = '\0';
}

int analysis_budget_table(const analysis *a, int series, enum analysis_at at, int csv,
                          keytable *t)
{
    memset(t, 0, sizeof *t);
    t->best_row = -1;
    t->ncols = csv ? CSV_COLS : ALIGNED_COLS;
    t->headers = csv ? csv_headers : aligned_headers;
    t->cells = calloc((a->nconfigs ? a->nconfigs : 1) * t->ncols, sizeof *t->cells);
    if (!t->cells)
        return -1;
    const double margin = a->margin[analysis_series_metric(series)];
    for (size_t f = 0; f < a->nfamilies; f++) {
        const analysis_family *fam = &a->families[f];
        if (fam->is_baseline)
            continue;
        const size_t largest = analysis_family_largest(a, f, series, at);
        const analysis_settling settling = analysis_family_settling(a, f, series, at);
        char reason[512];
        analysis_settling_text(a, f, series, at, reason, sizeof reason);
        for (size_t b = 0; b < a->nbudgets; b++) {
            const size_t c = fam->configs[b];
            if (c == SIZE_MAX)
                continue;
            const analysis_stat *st = &a->configs[c].stat[at][series];
            const stats_paired *pd = &st->paired;
            char v[8][96], verdict[96];
            analysis_verdict_cell(a, c, series, at, verdict, sizeof verdict);
            snprintf(v[0], sizeof v[0], "%d", a->budgets[b]);
            snprintf(v[1], sizeof v[1], "%zu", st->npairs);
            const char *cells[CSV_COLS];
            if (csv) {
                exact(v[2], sizeof v[2], st->npairs ? pd->diff.mean : NAN);
                exact(v[3], sizeof v[3], pd->has_test ? pd->diff.ci_low : NAN);
                exact(v[4], sizeof v[4], pd->has_test ? pd->diff.ci_high : NAN);
                exact(v[5], sizeof v[5], st->tost.has_test ? st->tost.ci_low : NAN);
                exact(v[6], sizeof v[6], st->tost.has_test ? st->tost.ci_high : NAN);
                exact(v[7], sizeof v[7], st->p_holm);
                const char *row[CSV_COLS] = { fam->label, v[0], v[1], v[2], v[3], v[4], v[5],
                                              v[6], v[7], verdict,
                                              c == largest ? (settling.settled ? "1" : "0") : "",
                                              c == largest ? reason : "" };
                memcpy(cells, row, sizeof row);
            } else {
                const int d = analysis_decimals(margin > 0 ? margin / 4 : NAN,
                                                st->npairs ? pd->diff.mean : NAN);
                if (st->npairs)
                    snprintf(v[2], sizeof v[2], "%+.*f", d, pd->diff.mean);
                else
                    snprintf(v[2], sizeof v[2], "-");
                if (pd->has_test)
                    snprintf(v[3], sizeof v[3], "[%+.*f, %+.*f]", d, pd->diff.ci_low, d,
                             pd->diff.ci_high);
                else
                    snprintf(v[3], sizeof v[3], "-");
                const char *row[ALIGNED_COLS] = {
                    fam->label, v[0], v[1], v[2], v[3], verdict,
                    c == largest ? (settling.settled ? "settled" : "not settled") : "" };
                memcpy(cells, row, sizeof row);
            }
            for (size_t k = 0; k < t->ncols; k++)
                if (!(t->cells[t->nrows * t->ncols + k] = strdup(cells[k]))) {
                    t->nrows++;
                    keytable_free(t);
                    return -1;
                }
            t->nrows++;
        }
    }
    return 0;
}
