/* analysis/keytable.h: the key table of a sweep as rows of text cells: per configuration (its label,
 * analysis/label.h), n, mean, sd and the 95% t-interval of one metric at one epoch choice, and the
 * paired difference against the λ = 0 baseline with its 95% interval, the equivalence test's 90%
 * interval, the paired sd, the minimum detectable effect, the seeds needed to detect the margin,
 * the p-value, Holm's p-value and the verdict (analysis/analysis.h's decision); under them, the
 * "do nothing" reference, one row per distinct data set: the degraded input scored against the
 * target (config "input", verdict "reference"). The same cells, in
 * two forms, for everything that shows the table: `wb compare` (aligned on the terminal, or CSV),
 * the report, and `wb serve` (the sweep page shows the aligned cells and sends the CSV ones), so
 * that a column changed here changes everywhere.
 *
 * Every number comes from analysis/analysis.h; nothing here computes a statistic. */
#ifndef WB_ANALYSIS_KEYTABLE_H
#define WB_ANALYSIS_KEYTABLE_H

#include <stddef.h>

#include "analysis/analysis.h"

enum keytable_form {
    KEYTABLE_ALIGNED,   /* for people: decimals to the precision of the data, "-" where empty */
    KEYTABLE_CSV        /* exact: 17 significant digits, empty where there is no value */
};

typedef struct keytable {
    size_t ncols, nrows;
    const char *const *headers;     /* ncols; static */
    char **cells;                   /* nrows * ncols, row-major; each malloc'ed, never NULL */
    long best_row;                  /* the row of the best mean, -1 without one */
} keytable;

/* The table of `series` (one analysis_series_compared accepts) at `at`, one row per configuration
 * in the analysis's order. Returns 0, or -1 when memory runs out (t is then empty). */
int keytable_make(const analysis *a, int series, enum analysis_at at, enum keytable_form form,
                  keytable *t);
void keytable_free(keytable *t);

/* The lines printed under the aligned table: what the numbers are (the margin and where it comes
 * from, the verdict rules), every configuration whose runs did not all count (with what became of
 * them), then each compared configuration's verdict in plain words
 * (analysis_verdict_sentence). *lines is malloc'ed, as is each line; free
 * with keytable_notes_free. Returns 0 or -1 (memory). */
int keytable_notes(const analysis *a, int series, enum analysis_at at, char ***lines,
                   size_t *n);
/* The first part of the notes alone, what the numbers are (for the report, which has the other
 * parts in sections of their own). Freed with keytable_notes_free. */
int keytable_explanations(const analysis *a, int series, enum analysis_at at, char ***lines,
                          size_t *n);
void keytable_notes_free(char **lines, size_t n);

#endif
