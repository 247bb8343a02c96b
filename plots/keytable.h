/* plots/keytable.h: the key table of a sweep as rows of text cells: per configuration, n, mean,
 * sd and the 95% t-interval of one metric at one epoch choice, and the paired difference against
 * the λ = 0 baseline with its interval, p-value, Holm-adjusted p-value and verdict. The same
 * cells, in two forms, for everything that shows the table: `wb compare` (aligned on the terminal,
 * or CSV) and `wb serve` (the sweep page shows the aligned cells and sends the CSV ones), so that
 * a column changed here changes everywhere.
 *
 * Every number comes from plots/analysis.h; nothing here computes a statistic. */
#ifndef WB_PLOTS_KEYTABLE_H
#define WB_PLOTS_KEYTABLE_H

#include <stddef.h>

#include "plots/analysis.h"

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

/* The table of `series` (one of the first ANALYSIS_NCOMPARED) at `at`, one row per configuration
 * in the analysis's order. Returns 0, or -1 when memory runs out (t is then empty). */
int keytable_make(const analysis *a, int series, enum analysis_at at, enum keytable_form form,
                  keytable *t);
void keytable_free(keytable *t);

/* The lines printed under the aligned table: what the numbers are, and every configuration whose
 * runs did not all count (with what became of them). *lines is malloc'ed, as is each line; free
 * with keytable_notes_free. Returns 0 or -1 (memory). */
int keytable_notes(const analysis *a, int series, enum analysis_at at, char ***lines,
                   size_t *n);
void keytable_notes_free(char **lines, size_t n);

#endif
