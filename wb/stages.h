/* wb/stages.h: the second stage of seeds of `wb sweep --until-decided` (issue 21, item 7).
 *
 * After the seeds the INI file lists (the first stage), the configurations whose verdict is
 * undecided (at their largest budget) get more seeds, and only they and their baselines: as many
 * as Stein's rule fixes from the first stage's paired sd (analysis/stein.h), within --max-seeds
 * and --time. The seeds are the next integers after the file's. The plan is recorded in the
 * store (store_add_stage_plans) before any of its runs trains, once per configuration: the
 * analysis then tests those configurations once, with Stein's test, never by looking again and
 * again. A sweep of budgets adds a seed to every budget of a configuration (one trajectory each). */
#ifndef WB_WB_STAGES_H
#define WB_WB_STAGES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/analysis.h"
#include "store/store.h"
#include "wb/config.h"

typedef struct stage_limits {
    size_t max_seeds;       /* seeds a configuration may have in all */
    double seconds;         /* the estimated time the second stage may take; 0: no limit */
    int jobs;               /* workers it will run with, for the estimate */
} stage_limits;

typedef struct stage_plan {
    store_stage_plan *plans;    /* every configuration that gets seeds, baselines too */
    size_t nplans;
    size_t configurations;      /* compared configurations (families) that get seeds */
    size_t runs;                /* runs to train */
    long epochs;                /* epochs to train, trajectories' stable epochs counted once */
    double seconds_per_epoch;   /* measured in the sweep (train and validation) */
    double seconds;             /* estimated: epochs * seconds_per_epoch / jobs */
    size_t seeds_cap;           /* the cap --max-seeds and --time left */
    int limited_by_time;
    char *text;                 /* what it does, for people: one line per configuration */
} stage_plan;

/* The second stage for the sweep analysed in a (its first stage finished; g, the INI's grid, for
 * the epochs a seed costs). Configurations with a plan recorded already get none. Returns 0 (an
 * empty plan when nothing is undecided), -1 with err set. */
int stage_plan_make(const analysis *a, const config_grid *g, const stage_limits *limits,
                    stage_plan *out, char *err, size_t errlen);
void stage_plan_free(stage_plan *p);

#endif
