/* serve/api.h: the JSON bodies of wb serve's /api routes, read from an open read-only store
 * through store/read.h's records and analysis/analysis.h (the same numbers `wb ls`, `wb show` and
 * `wb compare` print). Every string from the database goes through serve/json.h.
 *
 * Each function returns API_OK with the body in *text (malloc'ed) and its length, API_MISSING
 * when the sweep or run does not exist (no body), or API_ERROR with err set. *live (may be NULL)
 * is set to 1 when the answer holds a running run: then it can change with the clock alone (a run
 * whose heartbeat stops reads as interrupted after STORE_STALE_SECONDS) and not only with the
 * database, so a cached copy must not outlive a few seconds. */
#ifndef WB_SERVE_API_H
#define WB_SERVE_API_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "store/store.h"

enum api_result { API_OK = 0, API_MISSING = 1, API_ERROR = -1 };

/* /api/state: the database and, per sweep (by name): id, name, axes, created and updated times,
 * runs, their count per status, epochs done of all, the latest heartbeat, and the number of
 * running runs overall. Small, polled by every page; no time of the request is in it, so an
 * unchanged database gives the same bytes. */
enum api_result api_state(store *s, char **text, size_t *len, int *live, char *err,
                          size_t errlen);
/* The same shape for a database that cannot be read (yet): its path and why. */
enum api_result api_state_unavailable(const char *db_path, const char *why, char **text,
                                      size_t *len);

/* /api/sweep/ID: the sweep's record, progress and ETA, whether its report exists (report_dir),
 * the series, panels and configurations (with each one's mean over seeds per epoch), every run
 * (status, epochs, error, times, ETA, its series per epoch), and the key table of `series` at
 * `at` in the aligned and the CSV forms of analysis/keytable.h, with its notes. */
enum api_result api_sweep(store *s, int64_t sweep_id, int series, enum analysis_at at,
                          const char *report_dir, char **text, size_t *len, int *live, char *err,
                          size_t errlen);

/* /api/run/ID: the run's record, the sweeps that hold it (id, name, grid index), its
 * configuration, checkpoints, every epoch's metrics as a table (one row per epoch, a column per
 * split.name), its ETA when running, and whether it has a preview. */
enum api_result api_run(store *s, int64_t run_id, char **text, size_t *len, int *live, char *err,
                        size_t errlen);

/* /api/compare/A/B: {"a": run A, "b": run B (as api_run), "diff": the configuration keys whose
 * values differ, with both values}. */
enum api_result api_compare(store *s, int64_t run_a, int64_t run_b, char **text, size_t *len,
                            int *live, char *err, size_t errlen);

/* Where a run's preview.npy is: the database's folder (dir, usable from the current directory)
 * and the path inside it (rel, as the database stores the run's folder), to be opened with
 * base/fileio.h's file_open_beneath; API_MISSING for no such run. */
enum api_result api_preview_path(store *s, int64_t run_id, char *dir, size_t dirlen, char *rel,
                                 size_t rellen, char *err, size_t errlen);

/* Whether a sweep or run with this id exists: 1, 0, or -1 with err set. */
int api_sweep_exists(store *s, int64_t sweep_id, char *err, size_t errlen);
int api_run_exists(store *s, int64_t run_id, char *err, size_t errlen);

/* The folder `wb report` writes a sweep's report into by default: <db dir>/report-<name> (the
 * name made safe as one path component). Written into out. */
int api_sweep_report_dir(store *s, int64_t sweep_id, char *out, size_t outlen, char *err,
                         size_t errlen);

#endif
