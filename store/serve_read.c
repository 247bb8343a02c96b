/* store/serve_read.c: what a long-lived reader (wb serve) needs beyond store/read.h's records: to
 * learn cheaply whether the database changed, and to make its connection refuse writes. */
#include "store/read.h"

#include "store/internal.h"

int store_data_version(store *s, int64_t *version, char *err, size_t errlen)
{
    /* PRAGMA data_version changes when another connection commits (in this or another process),
     * never for this connection's own writes: a handle that only reads sees every change. */
    return query_int64(s, version, "reading the data version", err, errlen,
                       "PRAGMA data_version", "") < 0 ? -1 : 0;
}

int store_make_query_only(store *s, char *err, size_t errlen)
{
    if (s->mode != STORE_OPEN_READONLY)
        return fail(err, errlen, "%s: only a read-only handle is made query-only", s->path);
    return exec_sql(s, NULL, "making the connection query-only", err, errlen,
                    "PRAGMA query_only = 1", "");
}

int store_exists(store *s, enum store_record_kind kind, int64_t id, int *exists, char *err,
                 size_t errlen)
{
    int64_t found = 0;
    const int rc = query_int64(s, &found, "looking up an id", err, errlen,
                               kind == STORE_SWEEP_RECORD
                                   ? "SELECT count(*) FROM sweeps WHERE id = ?1"
                                   : "SELECT count(*) FROM runs WHERE id = ?1",
                               "i", id);
    if (rc < 0)
        return -1;
    *exists = found > 0;
    return 0;
}
