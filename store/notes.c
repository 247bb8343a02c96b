/* store/notes.c: what people write about runs (tags and notes, table run_notes) and removing a
 * run. */
#include "store/read.h"

#include <string.h>

#include "store/internal.h"

static const char *kind_name(enum store_note_kind kind)
{
    return kind == STORE_TAG ? "tag" : "note";
}

int store_add_note(store *s, int64_t run_id, enum store_note_kind kind, const char *text,
                   int *added, char *err, size_t errlen)
{
    int changes = 0;
    if (refuse_readonly(s, "adding a tag or note", err, errlen) < 0)
        return -1;
    if (!text || !*text)
        return fail(err, errlen, "%s: an empty %s", s->path, kind_name(kind));
    if (exec_sql(s, &changes, "adding a tag or note", err, errlen,
                 "INSERT OR IGNORE INTO run_notes (run_id, kind, text)"
                 " SELECT id, ?2, ?3 FROM runs WHERE id = ?1",
                 "itt", run_id, kind_name(kind), text) < 0)
        return -1;
    if (added)
        *added = changes > 0;
    return 0;
}

int store_remove_note(store *s, int64_t run_id, enum store_note_kind kind, const char *text,
                      int *removed, char *err, size_t errlen)
{
    int changes = 0;
    if (refuse_readonly(s, "removing a tag or note", err, errlen) < 0)
        return -1;
    if (exec_sql(s, &changes, "removing a tag or note", err, errlen,
                 "DELETE FROM run_notes WHERE run_id = ?1 AND kind = ?2 AND text = ?3", "itt",
                 run_id, kind_name(kind), text) < 0)
        return -1;
    if (removed)
        *removed = changes > 0;
    return 0;
}

int store_remove_run(store *s, int64_t run_id, int *refused, char *err, size_t errlen)
{
    int changes = 0;
    *refused = 0;
    if (refuse_readonly(s, "removing a run", err, errlen) < 0)
        return -1;
    /* One statement: the check and the delete cannot be split by a worker claiming the run.
     * Every table that names a run refers to it ON DELETE CASCADE. */
    if (exec_sql(s, &changes, "removing a run", err, errlen,
                 "DELETE FROM runs WHERE id = ?1 AND status <> '" STATUS_RUNNING "'", "i",
                 run_id) < 0)
        return -1;
    if (changes > 0)
        return 0;
    int64_t found;
    const int exists = query_int64(s, &found, "removing a run", err, errlen,
                                   "SELECT id FROM runs WHERE id = ?1", "i", run_id);
    if (exists < 0)
        return -1;
    if (exists == 0)
        return fail(err, errlen, "%s: no run %lld", s->path, (long long)run_id);
    *refused = 1;
    return fail(err, errlen, "%s: run %lld is running: stop it first", s->path,
                (long long)run_id);
}
