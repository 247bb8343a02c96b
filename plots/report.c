/* plots/report.c: index.html and report.md of a sweep; see report.h.
 *
 * The content is written once, against a small document interface (headings, paragraphs, lists,
 * tables, images, preformatted text) with an HTML and a Markdown back end, so the two files
 * cannot drift apart. Text handed to the interface is plain text: the back end escapes all of it,
 * so no string from the database can become markup. */
#include "plots/report.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>

#include "analysis/answer.h"
#include "analysis/budget.h"
#include "analysis/keytable.h"
#include "analysis/label.h"
#include "base/fileio.h"
#include "plots/escape.h"
#include "plots/takehome.h"

/* ---- the document interface ------------------------------------------------------------ */

enum doc_format { DOC_HTML, DOC_MARKDOWN };

typedef struct doc {
    FILE *f;
    enum doc_format format;
    void (*escape)(FILE *, const char *);   /* escape_html or escape_markdown */
    size_t ncols;               /* of the open table */
    const char *dir;            /* the report's folder, where the images are read from */
} doc;

static void doc_text(doc *d, const char *s)
{
    d->escape(d->f, s);
}

static void doc_heading(doc *d, int level, const char *id, const char *text)
{
    if (d->format == DOC_HTML) {
        fprintf(d->f, "<h%d id=\"%s\">", level, id);
        doc_text(d, text);
        fprintf(d->f, "</h%d>\n", level);
    } else {
        fprintf(d->f, "%.*s ", level, "######");
        doc_text(d, text);
        fputs("\n\n", d->f);
    }
}

static void doc_para_begin(doc *d, const char *cls)
{
    if (d->format == DOC_HTML)
        fprintf(d->f, cls ? "<p class=\"%s\">" : "<p>", cls);
}

static void doc_para_end(doc *d)
{
    fputs(d->format == DOC_HTML ? "</p>\n" : "\n\n", d->f);
}

/* A whole paragraph of formatted plain text. */
static void doc_para(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void doc_para(doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    doc_para_begin(d, NULL);
    escape_vformat(d->f, d->escape, fmt, ap);
    doc_para_end(d);
    va_end(ap);
}

/* A name from the database inside a sentence: in HTML isolated with <bdi>, so that
 * bidirectional-override characters in it cannot reverse the text around it. */
static void doc_name(doc *d, const char *name)
{
    if (d->format == DOC_HTML)
        fputs("<bdi>", d->f);
    doc_text(d, name);
    if (d->format == DOC_HTML)
        fputs("</bdi>", d->f);
}

static void doc_strong(doc *d, const char *text)
{
    fputs(d->format == DOC_HTML ? "<strong>" : "**", d->f);
    doc_text(d, text);
    fputs(d->format == DOC_HTML ? "</strong>" : "**", d->f);
}

static void doc_list_begin(doc *d)
{
    if (d->format == DOC_HTML)
        fputs("<ul>\n", d->f);
}

static void doc_item_begin(doc *d)
{
    fputs(d->format == DOC_HTML ? "<li>" : "- ", d->f);
}

static void doc_item_end(doc *d)
{
    fputs(d->format == DOC_HTML ? "</li>\n" : "\n", d->f);
}

static void doc_list_end(doc *d)
{
    fputs(d->format == DOC_HTML ? "</ul>\n" : "\n", d->f);
}

/* The table's d->ncols cells of one row (NULL prints as empty), each between open and close
 * (<th>/<td> and their ends in HTML, " " and " |" in Markdown); strong_first makes the first
 * one **strong** (Markdown's mark of the best row). */
static void doc_cells(doc *d, const char *const *cells, const char *open, const char *close,
                      int strong_first)
{
    for (size_t c = 0; c < d->ncols; c++) {
        fputs(open, d->f);
        if (strong_first && c == 0)
            fputs("**", d->f);
        doc_text(d, cells[c] ? cells[c] : "");
        if (strong_first && c == 0)
            fputs("**", d->f);
        fputs(close, d->f);
    }
}

static void doc_table_begin(doc *d, size_t ncols, const char *const *headers)
{
    const int html = d->format == DOC_HTML;
    d->ncols = ncols;
    fputs(html ? "<table>\n<thead><tr>" : "|", d->f);
    doc_cells(d, headers, html ? "<th>" : " ", html ? "</th>" : " |", 0);
    if (html) {
        fputs("</tr></thead>\n<tbody>\n", d->f);
    } else {
        fputs("\n|", d->f);
        for (size_t c = 0; c < ncols; c++)
            fputs(" --- |", d->f);
        fputc('\n', d->f);
    }
}

/* A row of cells (NULL prints as empty); `mark` highlights it (the best configuration). */
static void doc_table_row(doc *d, const char *const *cells, int mark)
{
    const int html = d->format == DOC_HTML;
    fputs(html ? (mark ? "<tr class=\"best\">" : "<tr>") : "|", d->f);
    doc_cells(d, cells, html ? "<td>" : " ", html ? "</td>" : " |", mark && !html);
    fputs(html ? "</tr>\n" : "\n", d->f);
}

static void doc_table_end(doc *d)
{
    fputs(d->format == DOC_HTML ? "</tbody>\n</table>\n" : "\n", d->f);
}

/* The longest run of backticks in s: a Markdown fence must be longer. */
static size_t longest_backtick_run(const char *s)
{
    size_t best = 0, run = 0;
    for (; *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        best = run > best ? run : best;
    }
    return best;
}

/* Text of several lines, escaped for HTML. Newlines stay: escape_html turns control characters
 * into spaces, so write line by line. */
static void html_lines(doc *d, const char *text)
{
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *copy = strndup(line, len);
        if (copy)
            escape_html(d->f, copy);
        free(copy);
        fputc('\n', d->f);
        line += len + (nl ? 1 : 0);
    }
}

static void doc_pre(doc *d, const char *text)
{
    if (d->format == DOC_HTML) {
        fputs("<pre>", d->f);
        html_lines(d, text);
        fputs("</pre>\n", d->f);
    } else {
        size_t fence = longest_backtick_run(text) + 1;
        fence = fence < 3 ? 3 : fence;
        for (size_t i = 0; i < fence; i++)
            fputc('`', d->f);
        fputs("ini\n", d->f);
        for (const char *p = text; *p; p++)
            fputc((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t' ? ' ' : *p, d->f);
        if (*text && text[strlen(text) - 1] != '\n')
            fputc('\n', d->f);
        for (size_t i = 0; i < fence; i++)
            fputc('`', d->f);
        fputs("\n\n", d->f);
    }
}

/* The file dir/name as base64 (malloc'ed), or NULL when it cannot be read. */
static char *file_base64(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b64 = NULL;
    uint8_t *data = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size)) &&
        fread(data, 1, (size_t)size, f) == (size_t)size &&
        (b64 = malloc(BASE64_ENCODE_RAW_LENGTH((size_t)size) + 1))) {
        base64_encode_raw(b64, (size_t)size, data);
        b64[BASE64_ENCODE_RAW_LENGTH((size_t)size)] = '\0';
    }
    free(data);
    fclose(f);
    return b64;
}

/* An image (a file name of ours, not from the database) linking to `link`. In HTML the PNG is
 * inline, a data URI, so index.html shows it when copied alone (the link to the file beside it
 * needs the folder); a PNG that cannot be read is referred to by name instead. */
static void doc_image(doc *d, const char *src, const char *link, const char *alt,
                      const char *cls)
{
    if (d->format == DOC_HTML) {
        char *b64 = file_base64(d->dir, src);
        fprintf(d->f, "<figure%s%s%s><a href=\"%s\"><img%s%s%s src=\"", cls ? " class=\"" : "",
                cls ? cls : "", cls ? "\"" : "", link, cls ? " class=\"" : "", cls ? cls : "",
                cls ? "\"" : "");
        if (b64)
            fprintf(d->f, "data:image/png;base64,%s", b64);
        else
            fputs(src, d->f);
        fputs("\" alt=\"", d->f);
        free(b64);
        doc_text(d, alt);
        fputs("\"></a>", d->f);
    } else {
        fputs("[![", d->f);
        doc_text(d, alt);
        fprintf(d->f, "](%s)](%s)\n\n", src, link);
    }
}

static void doc_figure_end(doc *d)
{
    if (d->format == DOC_HTML)
        fputs("</figure>\n", d->f);
}

/* ---- numbers --------------------------------------------------------------------------- */

static double half_width(const stats_summary *s)
{
    return s->has_spread ? (s->ci_high - s->ci_low) / 2 : NAN;
}

/* "10.37 ± 0.52" or "10.37 (one seed)"; "—" without values. */
static void fmt_mean_sd(const analysis_stat *st, char *out, size_t outlen)
{
    if (st->n == 0) {
        snprintf(out, outlen, "—");
        return;
    }
    const stats_summary *s = &st->summary;
    int d = analysis_decimals(s->has_spread ? s->sd : NAN, s->mean);
    if (s->has_spread)
        snprintf(out, outlen, "%.*f ± %.*f", d, s->mean, d, s->sd);
    else
        snprintf(out, outlen, "%.*f (one seed)", d, s->mean);
}

/* "[9.81, 10.93]" or "no interval with one seed". */
static void fmt_ci(const analysis_stat *st, char *out, size_t outlen)
{
    const stats_summary *s = &st->summary;
    if (st->n == 0)
        snprintf(out, outlen, "—");
    else if (!s->has_spread)
        snprintf(out, outlen, "no interval with one seed");
    else {
        int d = analysis_decimals(s->sd, s->mean);
        snprintf(out, outlen, "[%.*f, %.*f]", d, s->ci_low, d, s->ci_high);
    }
}

/* The paired difference: "+0.12", its interval "[0.03, 0.21]". */
static void fmt_diff(const analysis_config *c, const analysis_stat *st, char *diff, char *ci,
                     size_t len)
{
    if (c->is_baseline) {
        snprintf(diff, len, "baseline");
        snprintf(ci, len, "—");
        return;
    }
    if (c->baseline < 0 || st->npairs == 0) {
        snprintf(diff, len, "—");
        snprintf(ci, len, c->baseline < 0 ? "no baseline" : "no seed pairs");
        return;
    }
    const stats_summary *s = &st->paired.diff;
    int d = analysis_decimals(half_width(s), s->mean);
    snprintf(diff, len, "%+.*f", d, s->mean);
    if (s->has_spread)
        snprintf(ci, len, "[%.*f, %.*f]", d, s->ci_low, d, s->ci_high);
    else
        snprintf(ci, len, "no interval with one seed");
}

static void fmt_p(double p, char *out, size_t outlen)
{
    char buf[32];
    analysis_format_p(p, buf, sizeof buf);
    /* In a table column headed "p", "0.043" reads better than "p = 0.043". */
    const char *v = strncmp(buf, "p = ", 4) == 0 ? buf + 4 : strncmp(buf, "p ", 2) == 0 ? buf + 2
                                                                                        : buf;
    snprintf(out, outlen, "%s", isnan(p) ? "—" : v);
}

/* ---- sections -------------------------------------------------------------------------- */

static size_t count_status(const analysis *a, enum store_status st)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nruns; i++)
        n += a->runs[i].status == st;
    return n;
}

static void section_header(doc *d, const report_inputs *in)
{
    const analysis *a = in->a;
    if (d->format == DOC_HTML) {
        fputs("<h1 id=\"top\">wb report: ", d->f);
        doc_name(d, a->name);
        fputs("</h1>\n", d->f);
    } else {
        char title[1024];
        snprintf(title, sizeof title, "wb report: %s", a->name);
        doc_heading(d, 1, "top", title);
    }
    doc_para_begin(d, NULL);
    doc_text(d, "Sweep “");
    doc_name(d, a->name);
    escape_format(d->f, d->escape, "” from the database %s, report written %s. The sweep was "
                  "created %s; its last run finished %s.", a->db_path, in->generated_at,
                  a->created_at ? a->created_at : "(unknown)",
                  a->last_finished_at ? a->last_finished_at : "(none has finished yet)");
    doc_para_end(d);
    char seeds[512] = "";
    for (size_t i = 0; i < a->nruns; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= a->runs[j].seed == a->runs[i].seed;
        if (!seen) {
            size_t used = strlen(seeds);
            snprintf(seeds + used, sizeof seeds - used, "%s%lld", used ? ", " : "",
                     (long long)a->runs[i].seed);
        }
    }
    char status[512] = "";
    for (int st = STORE_QUEUED; st <= STORE_INTERRUPTED; st++) {
        size_t n = count_status(a, (enum store_status)st);
        if (n == 0)
            continue;
        size_t used = strlen(status);
        snprintf(status + used, sizeof status - used, "%s%zu %s", used ? ", " : "", n,
                 store_status_name((enum store_status)st));
    }
    doc_para(d, "%zu runs in %zu configurations (seeds %s): %s.", a->nruns, a->nconfigs, seeds,
             status);
}

static void section_verdict(doc *d, const analysis *a)
{
    const enum analysis_at at = ANALYSIS_LAST;
    const int m = ANALYSIS_PRIMARY_SERIES;
    const enum metric_id metric = analysis_series_metric(m);
    const char *unit = analysis_series_unit(m);
    const char *space = *unit ? " " : "";
    const analysis_text title = analysis_series_title(m);
    doc_heading(d, 2, "verdict", "Verdict");
    size_t family = a->holm_family[at][m];
    char holm[128], margin[40], limit[40];
    if (family > 0)
        snprintf(holm, sizeof holm, "Holm's adjustment over the %zu configuration%s tested",
                 family, family == 1 ? "" : "s");
    else
        snprintf(holm, sizeof holm, "Holm's adjustment (here over none: no configuration has "
                 "two seeds finished on both sides)");
    format_shortest(a->margin[metric], margin, sizeof margin);
    format_shortest(ANALYSIS_CONVERGED_GAIN, limit, sizeof limit);
    doc_para(d, "The primary metric, %s at the last epoch, of each configuration against its "
             "λ = 0 baseline (the same settings but the Laplacian term), paired by seed; 95%% "
             "Student-t intervals of the mean difference; paired t-tests with %s at α = %g. "
             "The equivalence margin is δ = %s%s%s (%s), fixed before the sweep: a difference "
             "within ±δ does not matter. A configuration is not converged when a run of it or "
             "of its baseline still gained more than %s%s%s of %s over its last quarter of "
             "epochs (the rise of the least-squares line through those epochs); else equivalent when the 90%% interval of the difference lies within ±δ "
             "(two one-sided tests at α); else it helps or hurts when Holm's p is at most α; "
             "else it is undecided, and the sentence says about how many seeds would decide "
             "(80%% power to detect δ). Each sentence gives the paired sd and the smallest "
             "effect its seeds detect with 80%% power.", title.text, holm, a->alpha, margin,
             space, unit,
             a->margin_from_ini[metric] ? "set in the sweep's [report] section"
                                        : "the metric table's",
             limit, space, unit,
             analysis_series_title(ANALYSIS_SERIES(METRIC_VAL, ANALYSIS_PRIMARY_METRIC)).text);
    doc_list_begin(d);
    size_t compared = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        if (a->configs[ci].is_baseline)
            continue;
        char sentence[4096];
        analysis_verdict_sentence(a, ci, m, at, sentence, sizeof sentence);
        doc_item_begin(d);
        doc_text(d, sentence);
        doc_item_end(d);
        compared++;
    }
    if (compared == 0) {
        doc_item_begin(d);
        doc_text(d, "This sweep has no configuration with λ > 0: there is nothing to compare "
                    "with the baseline.");
        doc_item_end(d);
    }
    doc_list_end(d);

    doc_para(d, "By verdict:");
    char equivalent[128];
    snprintf(equivalent, sizeof equivalent, "Equivalent to the baseline within ±%s%s%s", margin,
             space, unit);
    const struct { enum stats_verdict v; const char *title; int always; } groups[] = {
        { STATS_HELPS, "Helps", 1 }, { STATS_HURTS, "Hurts", 1 },
        { STATS_EQUIVALENT, equivalent, 1 },
        { STATS_UNDECIDED, "Undecided (more seeds would decide)", 1 },
        { STATS_NOT_CONVERGED, "Not converged (no verdict)", 1 },
        { STATS_INDISTINGUISHABLE, "Indistinguishable from the baseline (no margin)", 0 },
        { STATS_NO_TEST, "No test (one seed pair, no pairs, or no baseline)", 0 },
    };
    doc_list_begin(d);
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        char names[4096] = "";
        for (size_t ci = 0; ci < a->nconfigs; ci++) {
            const analysis_config *c = &a->configs[ci];
            if (c->is_baseline || c->stat[at][m].verdict != groups[g].v)
                continue;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", used ? "; " : "", c->label);
        }
        if (!groups[g].always && !*names)
            continue;
        doc_item_begin(d);
        doc_strong(d, groups[g].title);
        escape_format(d->f, d->escape, ": %s.", *names ? names : "none");
        doc_item_end(d);
    }
    doc_list_end(d);
    if (a->nbelow_input > 0) {
        char below[8192];
        analysis_below_input_sentence(a, below, sizeof below);
        doc_para(d, "%s", below);
    }
    long best = a->best[at][m];
    if (best >= 0) {
        const analysis_stat *st = &a->configs[best].stat[at][m];
        const stats_summary *s = &st->summary;
        int dec = analysis_decimals(s->has_spread ? s->sd : NAN, s->mean);
        char ms[128];
        if (s->has_spread)
            snprintf(ms, sizeof ms, "%.*f ± %.*f%s%s (mean ± sd, n = %zu)", dec, s->mean, dec,
                     s->sd, space, unit, st->n);
        else
            snprintf(ms, sizeof ms, "%.*f%s%s from one seed", dec, s->mean, space, unit);
        doc_para(d, "Highest mean %s (marked * in the key table): %s, %s. The highest mean is "
                 "not by itself evidence of a difference; the verdicts above are.", title.text,
                 a->configs[best].label, ms);
    }
}

/* The key table: one metric at one epoch choice, the cells of `wb compare` (analysis/keytable.h).
 * Falls back to a sentence when memory runs out. */
static void key_table(doc *d, const analysis *a, int m, enum analysis_at at)
{
    keytable k;
    if (keytable_make(a, m, at, KEYTABLE_ALIGNED, &k) != 0) {
        doc_para(d, "(The key table could not be made: out of memory.)");
        return;
    }
    doc_table_begin(d, k.ncols, k.headers);
    for (size_t r = 0; r < k.nrows; r++)
        doc_table_row(d, (const char *const *)&k.cells[r * k.ncols], k.best_row == (long)r);
    doc_table_end(d);
    keytable_free(&k);
}

/* One chart of the report: the PNG (a link to the SVG) and its caption, or why it was not
 * drawn. */
static void chart_figure(doc *d, const report_inputs *in, enum chart_kind k)
{
    const char *name = chart_name(k);
    char caption[2048];
    chart_caption(in->a, k, caption, sizeof caption);
    if (in->charts[k].drawn) {
        char png[64], svg[64];
        snprintf(png, sizeof png, "%s.png", name);
        snprintf(svg, sizeof svg, "%s.svg", name);
        doc_image(d, png, svg, chart_title(k), NULL);
        doc_para(d, "%s", caption);
        doc_figure_end(d);
    } else {
        doc_para(d, "Not drawn: %s. The script is %s.gp and gnuplot's messages are in "
                 "gnuplot.log. %s", in->charts[k].error, name, caption);
    }
}

/* A sweep of budgets (analysis/budget.h): how each configuration's effect moves with the budget,
 * first, as a chart, a table and a sentence per configuration. */
static void section_budget(doc *d, const report_inputs *in)
{
    const analysis *a = in->a;
    if (a->nbudgets < 2)
        return;
    const int m = ANALYSIS_PRIMARY_SERIES;
    doc_heading(d, 2, "budget", "The effect over the training budget");
    chart_figure(d, in, CHART_BUDGET);
    keytable k;
    if (analysis_budget_table(a, m, ANALYSIS_LAST, 0, &k) == 0) {
        doc_table_begin(d, k.ncols, k.headers);
        for (size_t r = 0; r < k.nrows; r++)
            doc_table_row(d, (const char *const *)&k.cells[r * k.ncols], 0);
        doc_table_end(d);
        keytable_free(&k);
    } else {
        doc_para(d, "(The table could not be made: out of memory.)");
    }
    char margin[32];
    format_shortest(a->margin[ANALYSIS_PRIMARY_METRIC], margin, sizeof margin);
    doc_para(d, "Each configuration is compared with the baseline trained for the same budget "
             "(paired by seed, Holm's adjustment over the configurations of one budget). A "
             "verdict is settled when the verdict at the largest budget N decides (helps, hurts, "
             "or equivalent within ±%s dB), the largest budget of at most N/2 has the same "
             "verdict, and the two paired differences agree within δ/2 = %g dB; otherwise it is "
             "not settled at N epochs, and a larger budget (or, for an undecided one, more "
             "seeds) would settle it. The table's interval is the 95 %% interval of the difference; "
             "equivalence is decided by two one-sided tests at ±δ, whose 90 %% interval (in each "
             "sentence below) must lie within the margin, so a 95 %% interval may reach a little "
             "past it. Whether each run's validation PSNR still rose is a "
             "diagnostic of the run (wb show), not a verdict.", margin,
             a->margin[ANALYSIS_PRIMARY_METRIC] / 2);
    doc_list_begin(d);
    for (size_t f = 0; f < a->nfamilies; f++) {
        if (a->families[f].is_baseline)
            continue;
        char line[4096];
        analysis_budget_sentence(a, f, m, ANALYSIS_LAST, line, sizeof line);
        doc_item_begin(d);
        doc_text(d, line);
        doc_item_end(d);
    }
    doc_list_end(d);
}

static void section_key_table(doc *d, const analysis *a)
{
    const int m = ANALYSIS_PRIMARY_SERIES;
    char heading[256];
    snprintf(heading, sizeof heading, "%s at the last epoch",
             analysis_series_title(m).text);
    heading[0] = (char)toupper((unsigned char)heading[0]);
    doc_heading(d, 2, "key-table", heading);
    key_table(d, a, m, ANALYSIS_LAST);
    char **lines;
    size_t n;
    /* The verdicts and the runs not counted have sections of their own. */
    if (keytable_explanations(a, m, ANALYSIS_LAST, &lines, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            doc_para(d, "%s", lines[i]);
        keytable_notes_free(lines, n);
    }
    char *compare = report_command("compare", a->db_path, a->name);
    doc_para(d, "The same table for any metric and epoch (here SSIM at the best epoch): %s "
                "--metric test.ssim --at best", compare ? compare : "wb compare");
    free(compare);
}

/* The cells that name a run: its id, seed and config hash prefix. */
typedef struct run_cells {
    char id[24], seed[24], hash[16];
} run_cells;

static run_cells cells_of(const analysis_run *r)
{
    run_cells c;
    snprintf(c.id, sizeof c.id, "%lld", (long long)r->id);
    snprintf(c.seed, sizeof c.seed, "%lld", (long long)r->seed);
    snprintf(c.hash, sizeof c.hash, "%.12s", r->config_hash);
    return c;
}

static void section_not_finished(doc *d, const analysis *a)
{
    doc_heading(d, 2, "not-finished", "Runs that did not finish");
    size_t missing = a->nruns - count_status(a, STORE_FINISHED);
    if (missing == 0) {
        doc_para(d, "All %zu runs finished.", a->nruns);
        return;
    }
    doc_para(d, "%zu of %zu runs did not finish. They have no final metrics, so they are not "
             "in n, and the configurations they belong to say so in the verdict; they are not "
             "dropped silently.", missing, a->nruns);
    static const char *const headers[] = { "run", "configuration", "seed", "status",
                                           "epochs done", "error", "config hash" };
    doc_table_begin(d, 7, headers);
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        for (size_t i = 0; i < c->nruns; i++) {
            const analysis_run *r = &a->runs[c->runs[i]];
            if (r->status == STORE_FINISHED)
                continue;
            run_cells rc = cells_of(r);
            char epochs[64];
            snprintf(epochs, sizeof epochs, "%d of %d", r->epochs_done < 0 ? 0 : r->epochs_done,
                     r->epochs);
            const char *cells[] = { rc.id, c->label, rc.seed, store_status_name(r->status), epochs,
                                    r->error ? r->error : "", rc.hash };
            doc_table_row(d, cells, 0);
        }
    }
    doc_table_end(d);
}

static void section_charts(doc *d, const report_inputs *in)
{
    doc_heading(d, 2, "charts", "Charts");
    doc_para(d, "Each chart is a PNG (shown) and an SVG (click the chart). Beside them in this "
             "folder: NAME.dat holds the plotted numbers and NAME.gp the gnuplot script; edit "
             "it and run gnuplot NAME.gp in this folder to redraw both.");
    for (int k = 0; k < CHART_COUNT; k++) {
        /* the budget chart opens the report (section_budget) */
        if (k == CHART_BUDGET || !chart_applies(in->a, (enum chart_kind)k))
            continue;
        doc_heading(d, 3, chart_name((enum chart_kind)k), chart_title((enum chart_kind)k));
        chart_figure(d, in, (enum chart_kind)k);
    }
}

static void section_grid(doc *d, const report_inputs *in)
{
    const analysis *a = in->a;
    doc_heading(d, 2, "grid", "Predictions, error maps and Laplacian maps");
    if (!in->grid) {
        doc_para(d, "No image grid: %s.", in->grid_error ? in->grid_error : "no previews");
        return;
    }
    const grid_info *gi = in->grid_info;
    doc_image(d, "grid.png", "grid.png", "Image grid: input, target, the baseline's, the best "
              "and the worst configuration's predictions, their error maps and Laplacian maps",
              "pixelated natural");
    doc_para(d, "%d test patches (%dx%d pixels, shown %dx enlarged with nearest-neighbour), one "
             "per row, the same patches in every column: of the first 32, those whose targets "
             "have the most detail (flat patches show nothing a Laplacian could change). Each "
             "column is titled in the image. Predictions are those of %s of each run: the "
             "baseline's, the best and the worst configuration's with λ > 0 (by mean final %s), "
             "and the one with the largest effective weight (\"strongest\") when it is neither. "
             "Columns, left to right, are listed below. Error maps: |prediction − target| "
             "averaged over the colour channels, black is none, white is %.3g or more (the 99th "
             "percentile of the errors shown, so that one outlying pixel does not leave every "
             "tile black). Laplacian maps: %s, averaged over the three colour channels and "
             "shown in gray on one symmetric scale for all maps: mid-gray is zero, white is "
             "+%.3g or more, black −%.3g or less (the 99th percentile of |v|). The tiles "
             "without titles are grid_tiles.png, the titles' script grid.gp.", gi->rows,
             gi->patch, gi->patch, gi->scale, analysis_at_title(ANALYSIS_BEST).text,
             analysis_series_title(ANALYSIS_PRIMARY_SERIES).text, gi->max_error,
             in->laplacian_note, gi->max_abs, gi->max_abs);
    doc_figure_end(d);
    static const char *const headers[] = { "column", "shows", "run", "seed", "config hash" };
    doc_table_begin(d, 5, headers);
    for (size_t c = 0; c < in->grid->ncolumns; c++) {
        const grid_column *col = &in->grid->columns[c];
        run_cells rc = cells_of(&a->runs[col->run]);
        char num[24];
        snprintf(num, sizeof num, "%zu", c + 1);
        const char *cells[] = { num, col->caption, rc.id, rc.seed, rc.hash };
        doc_table_row(d, cells, 0);
    }
    doc_table_end(d);
}

/* The compared test series, in the table's order; returns how many. */
static int test_series(int series[METRIC_COUNT])
{
    int n = 0;
    for (int m = 0; m < METRIC_COUNT; m++)
        if (analysis_series_compared(ANALYSIS_SERIES(METRIC_TEST, m)))
            series[n++] = ANALYSIS_SERIES(METRIC_TEST, m);
    return n;
}

/* "test.psnr in dB, higher is better; test.ssim unitless, higher is better; ..." */
static void units_sentence(const int *series, int n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < outlen; i++) {
        const char *unit = analysis_series_unit(series[i]);
        int w = snprintf(out + used, outlen - used, "%s%s %s%s, %s is better", i ? "; " : "",
                         analysis_series_name(series[i]).text, *unit ? "in " : "unitless",
                         unit, analysis_series_direction(series[i]) == STATS_HIGHER_IS_BETTER
                                   ? "higher" : "lower");
        used += w > 0 ? (size_t)w : 0;
    }
}

static void section_all_statistics(doc *d, const analysis *a)
{
    int series[METRIC_COUNT];
    const int ns = test_series(series);
    char units[2048];
    units_sentence(series, ns, units, sizeof units);
    doc_heading(d, 2, "statistics", "All statistics");
    doc_para(d, "Every final test metric, at the last epoch and at %s of each run (ties to the "
             "earlier epoch). Cells: mean ± sd [95%% t-interval] over "
             "the finished seeds, and the paired difference against the baseline [95%% "
             "t-interval], its Holm-adjusted p-value (Holm over the configurations compared, "
             "for each metric and epoch separately) and verdict. Images are in [0, 1]: %s.",
             analysis_at_title(ANALYSIS_BEST).text, units);
    for (int at = 0; at < ANALYSIS_NAT; at++) {
        char title[256];
        snprintf(title, sizeof title, "Test metrics at %s",
                 analysis_at_title((enum analysis_at)at).text);
        doc_heading(d, 3, at == ANALYSIS_LAST ? "stats-last" : "stats-best", title);
        analysis_text names[METRIC_COUNT];
        const char *headers[1 + METRIC_COUNT];
        headers[0] = "configuration";
        for (int m = 0; m < ns; m++) {
            names[m] = analysis_series_name(series[m]);
            headers[1 + m] = names[m].text;
        }
        doc_table_begin(d, 1 + ns, headers);
        char cells_buf[1 + METRIC_COUNT][512];
        const char *cells[1 + METRIC_COUNT];
        for (size_t ci = 0; ci < a->nconfigs; ci++) {
            const analysis_config *c = &a->configs[ci];
            snprintf(cells_buf[0], sizeof cells_buf[0], "%s", c->label);
            cells[0] = cells_buf[0];
            for (int m = 0; m < ns; m++) {
                const analysis_stat *st = &c->stat[at][series[m]];
                char ms[128], ci_text[128];
                fmt_mean_sd(st, ms, sizeof ms);
                fmt_ci(st, ci_text, sizeof ci_text);
                if (st->n == 0)
                    snprintf(cells_buf[1 + m], sizeof cells_buf[1 + m], "— (n = 0)");
                else
                    snprintf(cells_buf[1 + m], sizeof cells_buf[1 + m], "%s %s (n = %zu)", ms,
                             ci_text, st->n);
                cells[1 + m] = cells_buf[1 + m];
            }
            doc_table_row(d, cells, 0);
        }
        doc_table_end(d);

        doc_para(d, "Paired differences against the baseline at %s:",
                 analysis_at_title((enum analysis_at)at).text);
        doc_table_begin(d, 1 + ns, headers);
        for (size_t ci = 0; ci < a->nconfigs; ci++) {
            const analysis_config *c = &a->configs[ci];
            if (c->is_baseline)
                continue;
            snprintf(cells_buf[0], sizeof cells_buf[0], "%s", c->label);
            for (int m = 0; m < ns; m++) {
                const analysis_stat *st = &c->stat[at][series[m]];
                char diff[128], dci[128], ph[64], verdict[64];
                fmt_diff(c, st, diff, dci, sizeof diff);
                fmt_p(st->npairs > 1 ? st->p_holm : NAN, ph, sizeof ph);
                analysis_verdict_cell(a, ci, series[m], (enum analysis_at)at, verdict,
                                      sizeof verdict);
                if (st->npairs > 1)
                    snprintf(cells_buf[1 + m], sizeof cells_buf[1 + m],
                             "%s %s, p (Holm) %s: %s", diff, dci, ph, verdict);
                else
                    snprintf(cells_buf[1 + m], sizeof cells_buf[1 + m], "%s (%s)", diff,
                             st->npairs == 1 ? "one seed pair: no interval, no test" : dci);
            }
            doc_table_row(d, cells, 0);
        }
        doc_table_end(d);
    }
}

/* Distinct values of a run text field, joined: the environment of the runs. */
static void distinct_runs_text(const analysis *a, size_t offset, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < a->nruns; i++) {
        const char *v = *(char *const *)((const char *)&a->runs[i] + offset);
        if (!v || !*v)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *w = *(char *const *)((const char *)&a->runs[j] + offset);
            seen = w && strcmp(v, w) == 0;
        }
        if (!seen) {
            size_t used = strlen(out);
            snprintf(out + used, outlen - used, "%s%s", used ? "; " : "", v);
        }
    }
    if (!out[0])
        snprintf(out, outlen, "(not recorded)");
}

static void section_environment(doc *d, const report_inputs *in)
{
    const analysis *a = in->a;
    doc_heading(d, 2, "environment", "Configuration and environment");
    char gemm[1024], compiler[1024], hosts[1024], threads[256] = "", commit[256];
    distinct_runs_text(a, offsetof(analysis_run, gemm_library), gemm, sizeof gemm);
    distinct_runs_text(a, offsetof(analysis_run, compiler), compiler, sizeof compiler);
    distinct_runs_text(a, offsetof(analysis_run, host), hosts, sizeof hosts);
    for (size_t i = 0; i < a->nruns; i++) {
        int seen = a->runs[i].threads <= 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = a->runs[j].threads == a->runs[i].threads;
        if (!seen) {
            size_t used = strlen(threads);
            snprintf(threads + used, sizeof threads - used, "%s%d", used ? ", " : "",
                     a->runs[i].threads);
        }
    }
    snprintf(commit, sizeof commit, "%s%s", a->git_commit ? a->git_commit : "(unknown)",
             a->git_dirty == 1 ? " (dirty: uncommitted changes)" : a->git_dirty == 0 ? " (clean)"
                                                                                     : "");
    static const char *const headers[] = { "", "" };
    doc_table_begin(d, 2, headers);
    const char *rows[][2] = {
        { "sweep", a->name },
        { "INI file", a->ini_path ? a->ini_path : "(unknown)" },
        { "axes (keys that vary)", a->axes && *a->axes ? a->axes : "(none)" },
        { "database", a->db_path },
        { "host (sweep)", a->host ? a->host : "(unknown)" },
        { "hosts (runs)", hosts },
        { "wb version (sweep)", a->wb_version ? a->wb_version : "(unknown)" },
        { "git commit (sweep)", commit },
        { "GEMM and 3x3 kernels", gemm },
        { "compiler", compiler },
        { "threads per run", *threads ? threads : "(not recorded)" },
        { "report written by", in->wb_version },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        doc_table_row(d, rows[i], 0);
    doc_table_end(d);
    doc_para(d, "The INI file as the sweep read it:");
    doc_pre(d, a->ini_text ? a->ini_text : "(not recorded)");
}

static void section_method(doc *d, const analysis *a)
{
    doc_heading(d, 2, "method", "Method");
    size_t staged = 0;
    for (size_t i = 0; i < a->nplans; i++)
        staged += a->plans[i].stage1_n >= 2;
    if (staged)
        doc_para(d, "A two-stage design (wb sweep --until-decided; Stein 1945): after the seeds "
                 "of the INI file, %zu configurations whose verdict was undecided got more seeds, "
                 "as many as Stein's rule fixes from the first stage's paired sd (for 80 %% power "
                 "to detect δ at level %g), within the seed and time limits, and their baselines "
                 "the same seeds. The plan was recorded before any of its runs trained. Each such "
                 "configuration is tested once: the mean of all its seed pairs over the first "
                 "stage's sd divided by √N, with the first stage's degrees of freedom, which keeps "
                 "the level exact; nothing is looked at again.", staged, a->alpha);
    doc_para(d, "Each configuration (one config_id: the same settings, different seeds) is "
             "summarised over its finished runs: n, mean, sample standard deviation (divisor "
             "n − 1) and a %g%% confidence interval for the mean from Student's t with n − 1 "
             "degrees of freedom (not the normal 1.96, which is far too narrow for a handful of "
             "seeds). With one seed no interval can be given and none is printed.",
             100 * (1 - a->alpha));
    doc_para(d, "A configuration is compared with its baseline: the λ = 0 configuration whose "
             "settings are all the same except those of the Laplacian term (weight, kernel, "
             "border, kernel normalisation). Runs are paired by seed: the same seed gives the "
             "same initial weights, data and order, so the difference per seed removes what the "
             "seeds share. The mean difference gets a t-interval and a paired two-sided t-test. "
             "The p-values of all configurations compared are adjusted with Holm's step-down "
             "method (one family per metric and epoch choice), which controls the chance of any "
             "false 'helps' or 'hurts' at α = %g. Each metric has an equivalence margin δ, "
             "fixed before the sweep (the metric table's, 0.2 dB for PSNR, unless the INI "
             "file's [report] section sets it): a difference within ±δ does not matter. Two "
             "one-sided tests at ±δ (each at α, not adjusted: each configuration's equivalence "
             "is its own intersection-union test) show equivalence when the 1 − 2α interval of "
             "the difference lies within ±δ. The verdict, first rule that applies: not "
             "converged when a finished run of the configuration or of its baseline still "
             "gained more than %g dB of %s over the last quarter of its epochs (the rise of "
             "the least-squares line through those epochs' values; the "
             "difference would measure the training budget as much as the loss); equivalent "
             "within ±δ (also when the difference test is significant: a real but trivial "
             "effect, which the sentence says); helps or hurts when Holm's p is at most α and "
             "the difference goes the better (higher PSNR and SSIM, lower errors) or the worse "
             "way; indistinguishable for a metric without a margin; else undecided, with the "
             "seeds a paired t-test would need for 80%% power to detect δ given the observed "
             "paired sd (noncentral t). Each verdict also gives the minimum detectable effect "
             "of the seeds at hand: the difference they would detect with 80%% power.",
             a->alpha, ANALYSIS_CONVERGED_GAIN,
             analysis_series_title(ANALYSIS_SERIES(METRIC_VAL, ANALYSIS_PRIMARY_METRIC)).text);
    doc_para(d, "Runs that did not finish (diverged, failed, interrupted, still running or "
             "queued) have no final metric: they are listed above and counted in each "
             "configuration's 'n of seeds', never dropped silently. A diverged run is a result "
             "in itself: the setting was unstable for that seed. The best epoch of a run is %s "
             "(ties to the earlier); its test metrics are reported separately from the last "
             "epoch's, since choosing an epoch on validation data is a (mild) optimistic "
             "selection. Statistics by GSL's t distribution.",
             analysis_at_title(ANALYSIS_BEST).text);
}

/* The answer first: analysis/answer.h's sentences, as wb compare prints them. */
static void section_answer(doc *d, const analysis *a)
{
    char answer[8192];
    answer_headline(a, ANALYSIS_PRIMARY_SERIES, ANALYSIS_LAST, answer, sizeof answer);
    doc_heading(d, 2, "answer", "The answer");
    doc_para_begin(d, "answer");
    doc_text(d, answer);
    doc_para_end(d);
    doc_para(d, "The sentences are generated from the statistics below: the key table, the "
             "verdicts, the two-way analysis of variance and the caveats. The loss to take home "
             "closes the report.");
}

/* "[+0.12, +0.58]" with d decimals */
static void fmt_interval(double lo, double hi, int d, char *out, size_t outlen)
{
    snprintf(out, outlen, "[%+.*f, %+.*f]", d, lo, d, hi);
}

static void anova_row(doc *d, const char *name, const stats_anova_row *r)
{
    char ss[40], df[40], f[40], p[40], eta[40];
    if (!r->estimable) {
        const char *cells[] = { name, "—", "—", "—", "—", "not estimable" };
        doc_table_row(d, cells, 0);
        return;
    }
    snprintf(ss, sizeof ss, "%.4g", r->ss);
    snprintf(df, sizeof df, "%.0f", r->df);
    snprintf(f, sizeof f, isnan(r->f) ? "—" : "%.3g", r->f);
    fmt_p(r->p, p, sizeof p);
    snprintf(eta, sizeof eta, "%.3f", r->partial_eta2);
    const char *cells[] = { name, ss, df, f, p, eta };
    doc_table_row(d, cells, 0);
}

/* Statistics that do not lean on normality: the paired bootstrap, the probability of
 * improvement, d_z; then the two-way analysis of variance over weight and kernel. */
static void section_robust(doc *d, const analysis *a)
{
    const int m = ANALYSIS_PRIMARY_SERIES;
    const enum analysis_at at = ANALYSIS_LAST;
    const char *unit = analysis_series_unit(m);
    doc_heading(d, 2, "robust", "Beyond the t-test");
    doc_para(d, "The t-interval assumes the paired differences are roughly normal. Beside it, "
             "for %s at the last epoch: a paired percentile bootstrap of the mean difference "
             "(%d resamples of the seed pairs, seeded and deterministic: the same database "
             "gives the same interval); the probability of improvement as rliable defines it, "
             "P(a seed of the configuration beats a seed of the baseline), ties counting half "
             "(the Mann-Whitney U over n_x n_y, the seeds unpaired), with a stratified "
             "bootstrap interval; and d_z, the mean paired difference over its sd (t = d_z √n). "
             "With fewer than %d seed pairs a bootstrap cannot help: it has too few distinct "
             "resamples, and its interval is too narrow by about √((n − 1)/n) with coverage "
             "well below its level; those intervals are shown in parentheses and should not "
             "be read as evidence.",
             analysis_series_title(m).text, STATS_BOOTSTRAP_RESAMPLES, STATS_BOOTSTRAP_MIN_N);
    char hdr_t[64], hdr_b[64];
    snprintf(hdr_t, sizeof hdr_t, "diff%s%s, 95%% t-interval", *unit ? " " : "", unit);
    snprintf(hdr_b, sizeof hdr_b, "95%% bootstrap interval");
    const char *headers[] = { "configuration", "pairs", hdr_t, hdr_b,
                              "P(improvement) [95% interval]", "d_z" };
    doc_table_begin(d, 6, headers);
    int any_too_few = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->is_baseline || c->baseline < 0)
            continue;
        answer_robust r;
        char err[256];
        if (answer_robust_of(a, ci, m, at, &r, err, sizeof err) != 0)
            continue;
        const analysis_stat *st = &c->stat[at][m];
        char pairs[24], tci[256], bci[256], poi[128], dz[40], diff[64], dci[96];
        snprintf(pairs, sizeof pairs, "%zu", r.npairs);
        fmt_diff(c, st, diff, dci, sizeof diff);
        snprintf(tci, sizeof tci, "%s %s", diff, dci);
        int dec = analysis_decimals(half_width(&st->paired.diff), st->paired.diff.mean);
        if (r.has_bootstrap) {
            char iv[96];
            fmt_interval(r.bootstrap.ci_low, r.bootstrap.ci_high, dec, iv, sizeof iv);
            if (r.bootstrap.too_few)
                snprintf(bci, sizeof bci, "(%s: %zu pairs, too few)", iv, r.npairs);
            else
                snprintf(bci, sizeof bci, "%s", iv);
            any_too_few |= r.bootstrap.too_few;
        } else {
            snprintf(bci, sizeof bci, "—");
        }
        if (r.has_improvement)
            snprintf(poi, sizeof poi, "%.2f [%.2f, %.2f]%s", r.improvement.p,
                     r.improvement.ci_low, r.improvement.ci_high,
                     r.improvement.n_x < STATS_BOOTSTRAP_MIN_N ||
                             r.improvement.n_y < STATS_BOOTSTRAP_MIN_N
                         ? " (too few seeds)" : "");
        else
            snprintf(poi, sizeof poi, "—");
        if (isfinite(r.dz))
            snprintf(dz, sizeof dz, "%+.2f", r.dz);
        else
            snprintf(dz, sizeof dz, isnan(r.dz) ? "—" : r.dz > 0 ? "+∞ (no spread)"
                                                                   : "−∞ (no spread)");
        const char *cells[] = { c->label, pairs, tci, bci, poi, dz };
        doc_table_row(d, cells, 0);
    }
    doc_table_end(d);
    if (any_too_few)
        doc_para(d, "With fewer than %d seed pairs a bootstrap cannot help: the intervals in "
                 "parentheses are shown for completeness, not as evidence; the t-interval and "
                 "the verdicts above stand. More seeds would make the bootstrap informative.",
                 STATS_BOOTSTRAP_MIN_N);

    doc_heading(d, 3, "anova", "Does the kernel matter? Two-way analysis of variance");
    answer_anova an;
    char err[512];
    if (answer_anova_of(a, m, at, &an, err, sizeof err) != 0) {
        doc_para(d, "The analysis of variance could not be computed: %s.", err);
        return;
    }
    if (!an.done) {
        doc_para(d, "No two-way analysis of variance: %s.", an.why);
        return;
    }
    doc_para(d, "The paired differences (λ > 0 only, %zu of them) of %s at the last epoch, "
             "modelled as effective weight (%zu levels) × kernel (%zu levels) with the seeds "
             "(%zu) as blocks: y ~ A + B + A:B + seed, Type II sums of squares (each term "
             "adjusted for every term that does not contain it; as statsmodels' anova_lm "
             "typ=2). Partial η² = SS / (SS + SS residual). The kernel row answers whether the "
             "kernel matters; the interaction row whether its effect depends on the weight.",
             an.n, analysis_series_title(m).text, an.na, an.nb, an.nblocks);
    static const char *const headers_a[] = { "term", "SS", "df", "F", "p", "partial η²" };
    doc_table_begin(d, 6, headers_a);
    anova_row(d, "effective weight", &an.anova.term[STATS_ANOVA_A]);
    anova_row(d, "kernel", &an.anova.term[STATS_ANOVA_B]);
    anova_row(d, "weight × kernel", &an.anova.term[STATS_ANOVA_AB]);
    anova_row(d, "seeds (blocks)", &an.anova.term[STATS_ANOVA_BLOCK]);
    char ss[40], df[40];
    snprintf(ss, sizeof ss, "%.4g", an.anova.ss_residual);
    snprintf(df, sizeof df, "%.0f", an.anova.df_residual);
    const char *res[] = { "residual", ss, df, "", "", "" };
    doc_table_row(d, res, 0);
    doc_table_end(d);
    if (an.empty[0])
        doc_para(d, "Cells without any observation: %s. With an empty cell the interaction "
                 "can be estimated only in part, and its test would compare something other "
                 "than 'no interaction', so it is left out (as R's car::Anova refuses such a "
                 "model): the model is additive, A + B + seed, and its residual is the "
                 "denominator of the other tests.", an.empty);
    else
        doc_para(d, "Every weight × kernel cell has observations. Seeds missing from some "
                 "cells (runs that did not finish) make the design unbalanced; least squares "
                 "and the rank-based degrees of freedom handle that, and Type II sums of "
                 "squares do not depend on the order of the terms. A cell left empty would drop "
                 "the interaction row (it could be estimated only in part) and leave the "
                 "additive model.");
    if (an.anova.exact_fit || an.anova.df_residual == 0)
        doc_para(d, "The model fits exactly (no residual degrees of freedom): no F test is "
                 "possible; more seeds would give one.");
}

/* The configuration recommended to take home: the best helping one, else none (-1). */
static long recommended_config(const analysis *a)
{
    const int m = ANALYSIS_PRIMARY_SERIES;
    const enum analysis_at at = ANALYSIS_LAST;
    long best = -1;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        if (c->is_baseline || c->stat[at][m].verdict != STATS_HELPS || !c->kernel ||
            (strcmp(c->kernel, "4") != 0 && strcmp(c->kernel, "8") != 0))
            continue;
        if (best < 0 || c->stat[at][m].paired.diff.mean >
                            a->configs[best].stat[at][m].paired.diff.mean)
            best = (long)ci;
    }
    return best;
}

static void doc_code(doc *d, const char *lang, const char *code)
{
    if (d->format == DOC_HTML) {
        fprintf(d->f, "<pre><code class=\"language-%s\">", lang);
        html_lines(d, code);
        fputs("</code></pre>\n", d->f);
    } else {
        fprintf(d->f, "```%s\n%s", lang, code);
        if (*code && code[strlen(code) - 1] != '\n')
            fputc('\n', d->f);
        fputs("```\n\n", d->f);
    }
}

/* The report ends with the loss to use, as code (plots/takehome.h). */
static void section_takehome(doc *d, const analysis *a)
{
    doc_heading(d, 2, "takehome", "The loss to take home");
    long best = recommended_config(a);
    takehome_loss loss = { .lambda = 0, .pixel = a->pixel_loss };
    if (best >= 0) {
        const analysis_config *c = &a->configs[best];
        loss.lambda = c->lambda;
        loss.kernel = c->kernel;
        loss.kernel_norm = c->kernel_norm;
        loss.border = c->border;
        doc_para_begin(d, NULL);
        doc_text(d, "The recommended loss is the configuration that helps most: ");
        doc_name(d, c->label);
        escape_format(d->f, d->escape, " (border %s, kernel normalisation %s, pixel loss %s).",
                      c->border ? c->border : "reflect101",
                      c->kernel_norm ? c->kernel_norm : "none",
                      a->pixel_loss ? a->pixel_loss : "mse");
        doc_para_end(d);
    } else {
        doc_para(d, "No configuration helps %s in this sweep, so the recommended loss is the "
                 "baseline's: the pixel loss (%s) alone, without a Laplacian term.",
                 analysis_series_title(ANALYSIS_PRIMARY_SERIES).text,
                 a->pixel_loss ? a->pixel_loss : "mse");
    }
    if (a->pixel_varies)
        doc_para(d, "The sweep varies the pixel loss; the code uses the first run's (%s).",
                 a->pixel_loss ? a->pixel_loss : "mse");
    doc_para(d, "It is the loss wb trained with: L = pixel(ŷ, y) + λ · mean((K*ŷ − K*y)²), the "
             "means over every value of the batch, K a 3×3 stencil applied to each colour "
             "channel alone (a depthwise convolution, never the channel-mixing kernel of the "
             "popular Keras recipe), with wb's border (reflect101 is PyTorch's "
             "F.pad(mode='reflect') and TensorFlow's 'REFLECT') and normalisation. CI runs the "
             "PyTorch code on fixed tensors and compares its value with wb's to 1e-6 (make "
             "check-python).");
    static char code[8192];
    char err[256];
    for (int fw = 0; fw < 2; fw++) {
        doc_heading(d, 3, fw == 0 ? "takehome-pytorch" : "takehome-tensorflow",
                    fw == 0 ? "PyTorch" : "Keras / TensorFlow");
        if (takehome_code(&loss, (enum takehome_framework)fw, code, sizeof code, err,
                          sizeof err) != 0) {
            doc_para(d, "No code: %s.", err);
            continue;
        }
        if (fw == 1)
            doc_para(d, "A line-for-line twin of the PyTorch code, for (N, H, W, C) tensors. "
                     "It was not executed: TensorFlow is not available where wb is tested.");
        doc_code(d, "python", code);
    }
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>";
static const char html_style[] =
    "</title>\n<style>\n"
    "body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;"
    " max-width: " REPORT_TEXT(REPORT_PAGE_WIDTH) "px; margin: 2em auto; padding: 0 1em; }\n"
    "h1 { font-size: 1.6em; overflow-wrap: anywhere; } h2 { margin-top: 2em;"
    " border-bottom: 1px solid #ddd; } h3 { margin-top: 1.5em; }\n"
    "table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }\n"
    "th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left;"
    " vertical-align: top; }\n"
    "th { background: #f3f3f3; } tbody tr:nth-child(even) { background: #fafafa; }\n"
    "td { font-variant-numeric: tabular-nums; }\n"
    "tr.best td { background: #fff5cc; font-weight: 600; }\n"
    "pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }\n"
    "figure { margin: 1em 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }\n"
    "img.pixelated { image-rendering: pixelated; }\n"
    /* The image grid at its own size (its titles 12 px): on a narrower screen it scrolls. */
    "figure.natural { overflow-x: auto; } img.natural { max-width: none; }\n"
    "p.answer { font-size: 1.1em; background: #eef5ff; border-left: 4px solid #0072b2;"
    " padding: 0.6em 1em; }\n"
    "nav a { margin-right: 1em; }\n"
    "</style>\n</head>\n<body>\n";

static void write_document(doc *d, const report_inputs *in)
{
    if (d->format == DOC_HTML) {
        fputs(html_head, d->f);
        escape_format(d->f, d->escape, "wb report: %s", in->a->name);
        fputs(html_style, d->f);
        fputs("<nav><a href=\"#answer\">Answer</a>", d->f);
        if (in->a->nbudgets >= 2)
            fputs("<a href=\"#budget\">Over the budget</a>", d->f);
        fputs("<a href=\"#key-table\">Key table</a>"
              "<a href=\"#verdict\">Verdicts</a>"
              "<a href=\"#not-finished\">Not finished</a><a href=\"#charts\">Charts</a>"
              "<a href=\"#grid\">Images</a><a href=\"#robust\">Beyond the t-test</a>"
              "<a href=\"#statistics\">All statistics</a>"
              "<a href=\"#environment\">Environment</a><a href=\"#method\">Method</a>"
              "<a href=\"#takehome\">The loss to take home</a></nav>\n",
              d->f);
    }
    section_header(d, in);
    section_answer(d, in->a);
    section_budget(d, in);
    section_key_table(d, in->a);
    section_verdict(d, in->a);
    section_not_finished(d, in->a);
    section_charts(d, in);
    section_grid(d, in);
    section_robust(d, in->a);
    section_all_statistics(d, in->a);
    section_environment(d, in);
    section_method(d, in->a);
    section_takehome(d, in->a);
    if (d->format == DOC_HTML)
        fputs("</body>\n</html>\n", d->f);
}

int report_write(const char *dir, const report_inputs *in, char *err, size_t errlen)
{
    static const struct { const char *file; enum doc_format format; } outputs[] = {
        { "index.html", DOC_HTML }, { "report.md", DOC_MARKDOWN },
    };
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, outputs[i].file);
        atomic_file o;
        if (atomic_file_open(&o, path, err, errlen) != 0)
            return -1;
        doc d = { o.f, outputs[i].format,
                  outputs[i].format == DOC_HTML ? escape_html : escape_markdown, 0, dir };
        write_document(&d, in);
        if (atomic_file_commit(&o, err, errlen) != 0)
            return -1;
    }
    return 0;
}

void report_default_dir(const char *db_path, const char *sweep_name, char *out, size_t outlen)
{
    char folder[3800], safe[256];
    file_dirname(db_path, folder, sizeof folder);
    escape_file_name(sweep_name, safe, sizeof safe);
    snprintf(out, outlen, "%s/report-%s", folder, safe);
}

char *report_command(const char *command, const char *db_path, const char *sweep_name)
{
    char *absolute = realpath(db_path, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        fprintf(f, "wb %s --db ", command);
        escape_shell(f, absolute ? absolute : db_path);
        fputs(" --sweep ", f);
        escape_shell(f, sweep_name);
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    free(absolute);
    return buf;
}
