/* serve/source.h: wb serve's side of the database: one read-only, query-only connection, the
 * answers of the /api routes made from it, and a cache of those answers.
 *
 * What changes the answers: another process's commit, which PRAGMA data_version on the
 * connection reports (the connection itself never writes, so the value moves for other writers
 * only, in this process or another), and for an answer that holds a running run, the clock (a run
 * whose heartbeat stops reads as interrupted after STORE_STALE_SECONDS). A cached answer is used
 * while the data version is the one it was made at and, if it holds a running run, for at most
 * SOURCE_LIVE_SECONDS: an idle database costs one PRAGMA per request, and a hundred tabs polling
 * a training sweep cost one computation per change between them.
 *
 * The database may not exist yet, or be replaced (removed and made again by a new sweep): each
 * request checks the file's identity (device and inode) and opens it again when it changed; until
 * it can be read, /api/state says why. Nothing is ever written: the connection is opened
 * STORE_OPEN_READONLY and made query-only, and stale runs are judged, never marked.
 *
 * One mutex serialises everything here (the machine has few cores; requests that need the
 * database wait for one another, the others do not come here). */
#ifndef WB_SERVE_SOURCE_H
#define WB_SERVE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "serve/route.h"

#define SOURCE_LIVE_SECONDS 2
#define SOURCE_CACHE_ENTRIES 64
#define SOURCE_ETAG_CAP 24

typedef struct serve_source serve_source;

/* An answer: the HTTP status (200, 404, 500), its body (malloc'ed; may be empty for 404), its
 * content type and its ETag (a digest of the body, quoted; "" without a body). */
typedef struct serve_answer {
    int status;
    const char *content_type;
    unsigned char *body;
    size_t len;
    char etag[SOURCE_ETAG_CAP];
} serve_answer;

/* scratch_dir: a private folder for the preview PNGs (preview.h). Opens nothing yet. */
int source_new(const char *db_path, const char *scratch_dir, serve_source **out, char *err,
               size_t errlen);
void source_free(serve_source *src);

/* The answer to an /api route (r->kind ROUTE_API_*); for ROUTE_API_SWEEP, the key table's series
 * and epoch choice. Free the body with free(). */
void source_answer(serve_source *src, const route *r, int series, enum analysis_at at,
                   serve_answer *out);

/* For a page or report route: whether its sweep or runs exist (1), not (0), or the database
 * cannot be read (-1). */
int source_exists(serve_source *src, const route *r);

/* The folder of a sweep's report (plots/report.h's report_default_dir); -1 when the sweep does
 * not exist or the database cannot be read. */
int source_report_dir(serve_source *src, int64_t sweep_id, char *out, size_t outlen);

/* The quoted digest of bytes that serves as their ETag. */
void source_etag(const void *bytes, size_t len, char out[SOURCE_ETAG_CAP]);

#endif
