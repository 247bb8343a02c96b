/* plots/charts.h: the charts of a sweep report (enum chart_kind: CHART_COUNT), drawn by gnuplot.
 *
 * Each chart is DIR/<name>.dat (numbers only: one block per series, columns named in its header
 * comment), DIR/<name>.gp (a script that reads the data by relative name and writes
 * DIR/<name>.png with pngcairo at 800 pixels wide, then DIR/<name>.svg: one run of
 * `gnuplot <name>.gp` in DIR redraws both after an edit). Texts are noenhanced, so `lap4_mse`
 * prints as written, and every text that came from the database or the INI file (sweep name,
 * axis values) stands only inside a single-quoted gnuplot string with ' doubled.
 *
 * Curves and points are means over the finished runs of a configuration (diverged and failed runs
 * have no values to average; the report lists them), with Student-t 95% bands or error bars where
 * at least two seeds finished. Colours follow λ (λ = 0 black, dashed), the same in every chart and
 * in wb serve: Okabe and Ito's colour-blind-safe colours for up to six λ > 0. Legends stand under
 * the plots, or in a strip of their own, never beside them. */
#ifndef WB_PLOTS_CHARTS_H
#define WB_PLOTS_CHARTS_H

#include <stddef.h>

#include "analysis/analysis.h"

enum chart_kind {
    CHART_BUDGET,           /* paired differences against the baseline of each budget over the
                               training budget (log2 axis), one line per configuration, ±δ
                               shaded (a sweep of budgets: analysis/budget.h) */
    CHART_EFFECT,           /* paired differences against the baseline over the effective weight
                               (log axis), one line per kernel, ±δ shaded: the answer */
    CHART_LEARNING_CURVES,  /* val and test PSNR per epoch, one line per λ, a panel per kernel */
    CHART_LAMBDA_RESPONSE,  /* final test PSNR, SSIM, Laplacian errors against λ, line per kernel */
    CHART_LOSS_COMPONENTS,  /* train loss parts (pixel, Laplacian) per epoch, one line per λ */
    CHART_TRADEOFF,         /* each run's test PSNR against its Laplacian error, coloured by λ */
    CHART_COUNT
};

/* The colours of up to CHART_LAMBDA_PALETTE distinct λ > 0, in λ order (λ = 0 is black): Okabe
 * and Ito's colour-blind-safe set without its yellow. */
#define CHART_LAMBDA_PALETTE 6
extern const char *const chart_lambda_palette[CHART_LAMBDA_PALETTE];

/* The file stem: "budget", "effect", "learning_curves", "lambda_response", "loss_components", "tradeoff". */
const char *chart_name(enum chart_kind kind);
/* A heading: "Learning curves", ... */
/* Whether the chart has something to show for this sweep (the budget chart needs two or more
 * budgets); the report leaves out the others. */
int chart_applies(const analysis *a, enum chart_kind kind);
const char *chart_title(enum chart_kind kind);
/* What the chart shows and how to read it, as plain text (one paragraph) for the page. */
void chart_caption(const analysis *a, enum chart_kind kind, char *out, size_t outlen);

typedef struct chart_result {
    int drawn;              /* gnuplot exited with status 0 */
    char error[512];        /* why not, when not */
} chart_result;

/* Writes the data file and the script of every chart into dir (which must exist), each whole or
 * not at all (base/fileio.h's atomic_file). Returns 0 or -1 with err naming the file that could
 * not be written. */
int charts_write(const analysis *a, const char *dir, char *err, size_t errlen);

/* Runs gnuplot on every script in dir, appending its output to dir/gnuplot.log (emptied first).
 * Fills results[kind]; returns 0 when every chart was drawn, else -1 with err holding the first
 * failure (gnuplot missing from PATH stops at the first chart and sets *gnuplot_missing, which
 * may be NULL). */
int charts_draw(const char *dir, chart_result results[CHART_COUNT], int *gnuplot_missing,
                char *err, size_t errlen);

#endif
