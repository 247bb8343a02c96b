/* store/views.c: the views generated from model/metrics.h's metric table: epochs, final and
 * summary pivot the metrics table into a column per metric, so a metric added to the table is a
 * column of each without an edit here. store_open installs them (store/schema.c). The metric and
 * split names are string literals of the table, checked to be plain SQL identifiers before they
 * are written into the SELECTs; no input reaches this text. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"

/* The configuration columns of runs that final and summary carry, as they always have: the axes
 * a sweep usually varies. */
#define FINAL_AXES                                                                               \
    "r.laplacian_weight, r.kernel, r.border, r.kernel_norm, r.pixel, r.task, r.lr,"              \
    " r.optimizer, r.base_channels, r.depth, r.epochs"

/* The splits whose image metrics final and summary show, in their order. */
static const enum metric_split result_splits[] = {METRIC_VAL, METRIC_TEST};

static int plain_identifier(const char *name)
{
    if (!name || !*name || (*name >= '0' && *name <= '9'))
        return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return 0;
    return 1;
}

static int is_result(int m)
{
    return metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES;
}

/* One row per run, epoch and split, one column per metric of the table. */
static void write_epochs(FILE *f)
{
    fputs("SELECT run_id, epoch, split", f);
    for (int m = 0; m < METRIC_COUNT; m++) {
        const char *name = metric_def_of((enum metric_id)m)->name;
        fprintf(f, ",\n       max(CASE WHEN name = '%s' THEN value END) AS %s", name, name);
    }
    fputs("\nFROM metrics\nGROUP BY run_id, epoch, split", f);
}

/* One value of a run of r at the epoch named by `epoch` (an SQL expression). */
static void write_lookup(FILE *f, const char *epoch, enum metric_split split, const char *name,
                         const char *prefix)
{
    fprintf(f, ",\n       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.epoch = %s"
               " AND m.split = '%s' AND m.name = '%s') AS %s%s_%s",
            epoch, metric_split_name(split), name, prefix, metric_split_name(split), name);
}

/* Each finished run at its last epoch and at its best epoch (the best finite METRIC_SELECTION
 * on val, ties to the earlier epoch), a column per image metric and split. The lookups are
 * correlated subqueries on the primary key of metrics, so selecting a few runs does not pivot the
 * whole table. */
/* Not a trajectory (issue 21): the stable phase of a wsd configuration, a run of its own that no
 * grid lists and whose test split is never read. A trajectory is the one kind of run without a
 * budget (its train.epochs param is NULL); the params say so in files of every schema version,
 * where the role column exists only from version 6 on, and views are laid over older files too. */
#define NOT_TRAJECTORY_SQL(id)                                                                   \
    "NOT EXISTS (SELECT 1 FROM params p WHERE p.run_id = " id " AND p.key = 'train.epochs'"     \
    " AND p.value IS NULL)"

static void write_final(FILE *f)
{
    const metric_def *sel = metric_def_of(METRIC_SELECTION);
    fputs("SELECT r.id AS run_id, r.config_hash, r.config_id, r.seed,\n       " FINAL_AXES ",\n"
          "       r.epochs_done AS epoch", f);
    for (size_t s = 0; s < sizeof result_splits / sizeof result_splits[0]; s++)
        for (int m = 0; m < METRIC_COUNT; m++)
            if (is_result(m) && metric_in_split((enum metric_id)m, result_splits[s]))
                write_lookup(f, "r.epochs_done", result_splits[s],
                             metric_def_of((enum metric_id)m)->name, "");
    fputs(",\n       r.best_epoch", f);
    for (size_t s = 0; s < sizeof result_splits / sizeof result_splits[0]; s++)
        for (int m = 0; m < METRIC_COUNT; m++)
            if (is_result(m) && metric_in_split((enum metric_id)m, result_splits[s]))
                write_lookup(f, "r.best_epoch", result_splits[s],
                             metric_def_of((enum metric_id)m)->name, "best_");
    fprintf(f, "\nFROM (SELECT runs.*,\n"
               "             (SELECT epoch FROM metrics m\n"
               "               WHERE m.run_id = runs.id AND m.split = '%s' AND m.name = '%s'\n"
               "                 AND " FINITE_SQL("m.value") "\n"
               "               ORDER BY m.value %s, m.epoch ASC LIMIT 1) AS best_epoch\n"
               "      FROM runs WHERE status = '" STATUS_FINISHED "'\n"
               "        AND " NOT_TRAJECTORY_SQL("runs.id") ") AS r",
            metric_split_name(METRIC_VAL), sel->name,
            sel->direction == METRIC_HIGHER_IS_BETTER ? "DESC" : "ASC");
}

/* Per configuration (its seeds grouped by config_id): the axes, the number of finished seeds,
 * and the mean and sample standard deviation (n - 1; NULL for one seed) of each final test
 * image metric over the seeds where it is finite (never an average of inf or NaN). The
 * statistics are computed once over a long form (config, metric, value) and then spread into
 * columns; the deviation takes two passes (the mean first, by a window), which stays exact where
 * sum(x*x) - sum(x)^2/n would cancel. */
static void write_summary(FILE *f)
{
    fputs("WITH finals AS (\n"
          "    SELECT r.config_id, m.name AS metric, m.value\n"
          "    FROM runs r\n"
          "    JOIN metrics m ON m.run_id = r.id AND m.epoch = r.epochs_done AND m.split = 'test'\n"
          "    WHERE r.status = '" STATUS_FINISHED "' AND " FINITE_SQL("m.value")
          " AND " NOT_TRAJECTORY_SQL("r.id")
          " AND m.name IN (", f);
    const char *sep = "";
    for (int m = 0; m < METRIC_COUNT; m++)
        if (is_result(m) && metric_in_split((enum metric_id)m, METRIC_TEST)) {
            fprintf(f, "%s'%s'", sep, metric_def_of((enum metric_id)m)->name);
            sep = ", ";
        }
    fputs(")\n),\n"
          "stats AS (\n"
          "    SELECT config_id, metric, avg(value) AS mean,\n"
          "           CASE WHEN count(value) > 1\n"
          "                THEN sqrt(sum((value - pass1) * (value - pass1)) / (count(value) - 1))"
          " END AS sd\n"
          "    FROM (SELECT finals.*, avg(value) OVER (PARTITION BY config_id, metric) AS pass1"
          " FROM finals)\n"
          "    GROUP BY config_id, metric\n"
          "),\n"
          "configs AS (\n"
          "    SELECT config_id,\n"
          "           min(laplacian_weight) AS laplacian_weight, min(kernel) AS kernel,"
          " min(border) AS border,\n"
          "           min(kernel_norm) AS kernel_norm, min(pixel) AS pixel, min(task) AS task,"
          " min(lr) AS lr,\n"
          "           min(optimizer) AS optimizer, min(base_channels) AS base_channels,"
          " min(depth) AS depth,\n"
          "           min(epochs) AS epochs, count(*) AS n_seeds\n"
          "    FROM runs WHERE status = '" STATUS_FINISHED "' AND " NOT_TRAJECTORY_SQL("runs.id")
          "\n"
          "    GROUP BY config_id\n"
          ")\n"
          "SELECT c.*", f);
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (!is_result(m) || !metric_in_split((enum metric_id)m, METRIC_TEST))
            continue;
        const char *name = metric_def_of((enum metric_id)m)->name;
        fprintf(f, ",\n       max(CASE WHEN s.metric = '%s' THEN s.mean END) AS test_%s_mean,\n"
                   "       max(CASE WHEN s.metric = '%s' THEN s.sd   END) AS test_%s_sd",
                name, name, name, name);
    }
    fputs("\nFROM configs c\nLEFT JOIN stats s ON s.config_id = c.config_id\n"
          "GROUP BY c.config_id", f);
}

typedef void (*view_writer)(FILE *f);

int store_generated_views(store_view **views, size_t *nviews, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        view_writer write;
    } kinds[] = {{"epochs", write_epochs}, {"final", write_final}, {"summary", write_summary}};
    enum { NKINDS = sizeof kinds / sizeof kinds[0] };
    *views = NULL;
    *nviews = 0;
    for (int m = 0; m < METRIC_COUNT; m++)
        if (!plain_identifier(metric_def_of((enum metric_id)m)->name))
            return fail(err, errlen, "metric %d's name '%s' is not a plain SQL identifier", m,
                        metric_def_of((enum metric_id)m)->name);
    store_view *v = calloc(NKINDS, sizeof *v);
    if (!v)
        return fail(err, errlen, "out of memory generating the views");
    for (size_t k = 0; k < NKINDS; k++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (f) {
            kinds[k].write(f);
            if (fclose(f) != 0) {
                free(text);
                text = NULL;
            }
        }
        if (!text) {
            store_views_free(v, k);
            return fail(err, errlen, "out of memory generating the views");
        }
        v[k].name = kinds[k].name;
        v[k].select = text;
    }
    *views = v;
    *nviews = NKINDS;
    return 0;
}

void store_views_free(store_view *views, size_t nviews)
{
    for (size_t i = 0; views && i < nviews; i++)
        free((char *)views[i].select);
    free(views);
}
