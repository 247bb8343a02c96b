/* plots/gnuplot.h: running gnuplot on a script the report wrote.
 *
 * gnuplot is started with posix_spawnp (argv {"gnuplot", script}, found on PATH): no shell sees
 * any name, and no fork, which docs/DESIGN.md forbids once OpenMP has started. It runs in the
 * script's folder, so the script names its data and output files relatively and a user can edit it
 * and run `gnuplot NAME.gp` there. Its stdin is /dev/null; its stdout and stderr are appended to a
 * log. */
#ifndef WB_PLOTS_GNUPLOT_H
#define WB_PLOTS_GNUPLOT_H

#include <stddef.h>

/* Runs gnuplot on dir/script (script is a file name inside dir) and waits for it. log_path (from
 * the current directory) receives gnuplot's output. Returns 0 when gnuplot exited with status 0;
 * -1 otherwise, with err saying why: gnuplot not found on PATH (*not_found = 1, may be NULL), it
 * exited with status N or was killed by a signal (see the log), or the log could not be opened. */
int gnuplot_run(const char *dir, const char *script, const char *log_path, int *not_found,
                char *err, size_t errlen);

#endif
