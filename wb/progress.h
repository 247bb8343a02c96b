/* wb/progress.h: training progress, as events.
 *
 * A worker process turns each event into one text line on a pipe to its coordinator
 * (progress_format / progress_parse); the coordinator, or `wb run` directly, feeds events to a
 * renderer that draws on stderr: on a terminal one live line per active run (run i/n, its axes,
 * epoch, a bar, samples/s) and the sweep's ETA; otherwise one plain line per epoch. */
#ifndef WB_WB_PROGRESS_H
#define WB_WB_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum progress_kind {
    PROGRESS_START,     /* a run begins (or resumes after epochs_done) */
    PROGRESS_STEP,      /* samples done of an epoch */
    PROGRESS_EPOCH,     /* an epoch was logged */
    PROGRESS_END        /* a run ended with a status */
};

typedef struct progress_event {
    enum progress_kind kind;
    int64_t run_id;
    int grid_index;         /* 0-based, of nruns in the sweep */
    int epoch, epochs, epochs_done;
    long done, total;       /* samples of the epoch */
    double samples_per_s;
    double loss, val_psnr, test_psnr, seconds;   /* PSNR: pooled, the primary metric */
    char status[16];        /* PROGRESS_END: finished, failed, diverged, interrupted */
    char label[200];        /* "λ = 0.1 (eff. 0.1), kernel 8, seed 2" (analysis/label.h) */
    char error[400];        /* PROGRESS_END: why it failed or diverged */
} progress_event;

/* One line, newline-terminated, no embedded newlines (texts are sanitised). */
int progress_format(const progress_event *e, char *line, size_t len);
/* Parses a line from progress_format; -1 when it is not one. */
int progress_parse(const char *line, progress_event *e);

typedef struct progress progress;

/* out: where to draw (stderr); tty: live lines; quiet: nothing at all. nruns: runs in the sweep
 * (for "run i/n"); todo_epochs: epochs left to train in the whole sweep (for the ETA); jobs:
 * parallel workers. */
progress *progress_new(FILE *out, int tty, int quiet, int nruns, long todo_epochs, int jobs);
void progress_apply(progress *p, const progress_event *e);
/* Clears the live lines (before the final summary is printed). */
void progress_finish(progress *p);
void progress_free(progress *p);

#endif
