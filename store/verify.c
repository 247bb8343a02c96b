/* store/verify.c: whether a database is whole before anything is read from it or written to it.
 *
 * A damaged page does not always make SQLite fail: a b-tree page whose cells are gone reads as an
 * empty page, and a listing then shows fewer runs, or none ("no runs yet", exit 0), with nothing
 * said; a row out of order in a table without rowid is missed by a lookup; a damaged byte in a
 * metric's split ('tesu') hides the metric from every query that asks for 'test'. Three checks
 * catch these before a command answers:
 *   1. wb's tables and indexes must be defined as this binary's migration steps define them at
 *      the file's schema version (a view or another definition under a table's name is not wb's
 *      data, and would run whatever SQL it holds);
 *   2. PRAGMA integrity_check: every page and cell, every index against its table, key order,
 *      NOT NULL (quick_check misses the order of a table without rowid: fuzzing found readers
 *      answering from such a file);
 *   3. every value has the type and shape wb writes: SQLite skips CHECK constraints when the
 *      file is open read-only, as readers open it, so the schema's constraints (and the types
 *      its columns only suggest) are checked here.
 * All of it reads the whole file once or twice: about 0.5-0.9 s for 1,500 runs of 12 epochs,
 * 20 ms for a sweep of 33 runs. SQLite has no checksums: a damaged number that is still a
 * number cannot be told from a right one. */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"

/* How many problems of integrity_check are read: enough to say there are more. */
#define PROBLEMS_READ 10

/* A one-line copy of text for a message: control characters as '?', cut at `max` bytes. */
static void one_line(const char *text, char *out, size_t outlen, size_t max)
{
    /* integrity_check starts its report with a line naming the schema: the problem follows. */
    if (text && strncmp(text, "*** in database ", 16) == 0 && strchr(text, '\n'))
        text = strchr(text, '\n') + 1;
    size_t n = 0;
    for (; text && text[n] && n < max && n + 4 < outlen; n++)
        out[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? '?' : text[n];
    snprintf(out + n, outlen - n, "%s", text && text[n] ? "..." : "");
}

/* wb's tables and indexes at `version`, as its migration steps make them in an empty database. */
static int expected_schema(int version, sqlite3 **mem, char *err, size_t errlen)
{
    size_t nsteps;
    const store_migration *steps = store_migrations(&nsteps);
    char why[512];
    *mem = NULL;
    if (version < 0 || (size_t)version > nsteps)
        return fail(err, errlen, "no migration steps for schema version %d", version);
    if (sqlite3_open_v2(":memory:", mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        store_migrate(*mem, steps, (size_t)version, NULL, why, sizeof why) < 0) {
        fail(err, errlen, "building the schema of version %d to compare: %s", version,
             *mem ? sqlite3_errmsg(*mem) : "out of memory");
        sqlite3_close(*mem);
        *mem = NULL;
        return -1;
    }
    return 0;
}

/* Compares the tables and indexes of `schema` ("main" or "merge_src") with wb's at `version`. */
static int check_definitions(store *s, const char *schema, const char *label, int version,
                             char *err, size_t errlen)
{
    sqlite3 *mem;
    if (expected_schema(version, &mem, err, errlen) < 0)
        return -1;
    sqlite3_stmt *want = NULL, *have = NULL;
    char sql[160];
    /* The schema's name comes from the store's own code, never from input. */
    snprintf(sql, sizeof sql,
             "SELECT type, tbl_name, sql FROM %s.sqlite_schema WHERE name = ?1", schema);
    int rc = sqlite3_prepare_v2(mem,
                                "SELECT type, name, tbl_name, sql FROM sqlite_schema"
                                " WHERE type IN ('table', 'index') ORDER BY rowid",
                                -1, &want, NULL);
    int result = 0;
    if (rc != SQLITE_OK || (rc = sqlite3_prepare_v2(s->db, sql, -1, &have, NULL)) != SQLITE_OK)
        result = rc == SQLITE_OK ? -1 : db_fail(s, rc, "reading the schema", err, errlen);
    while (result == 0 && (rc = sqlite3_step(want)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(want, 0);
        const char *name = (const char *)sqlite3_column_text(want, 1);
        const char *table = (const char *)sqlite3_column_text(want, 2);
        const char *def = (const char *)sqlite3_column_text(want, 3);
        sqlite3_reset(have);
        sqlite3_bind_text(have, 1, name, -1, SQLITE_STATIC);
        const int found = sqlite3_step(have);
        if (found != SQLITE_ROW && found != SQLITE_DONE) {
            result = db_fail(s, found, "reading the schema", err, errlen);
            break;
        }
        const char *got_type = found == SQLITE_ROW ? (const char *)sqlite3_column_text(have, 0)
                                                   : NULL;
        const char *got_table = found == SQLITE_ROW ? (const char *)sqlite3_column_text(have, 1)
                                                    : NULL;
        const char *got_def = found == SQLITE_ROW ? (const char *)sqlite3_column_text(have, 2)
                                                  : NULL;
        char shown[80];
        one_line(got_type, shown, sizeof shown, 20);
        if (!got_type)
            fail(err, errlen, "%s is damaged or not wb's: its %s %s is missing", label, type,
                 name);
        else if (strcmp(got_type, type) != 0)
            fail(err, errlen, "%s is damaged or not wb's: %s is a %s, not a %s", label, name,
                 shown, type);
        else if (!got_table || strcmp(got_table, table) != 0 ||
                 (def ? !got_def || strcmp(got_def, def) != 0 : got_def != NULL))
            fail(err, errlen, "%s is damaged or not wb's: its %s %s is not defined as wb "
                 "defines it (schema version %d)", label, type, name, version);
        else
            continue;
        result = STORE_DAMAGED;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = fail(err, errlen, "comparing the schema: %s", sqlite3_errmsg(mem));
    sqlite3_finalize(want);
    sqlite3_finalize(have);
    sqlite3_close(mem);
    return result;
}

/* ---- values ---------------------------------------------------------------------------------- */

#define TYPE_CASE_TEXT(column) " WHEN typeof(" #column ") NOT IN ('text', 'null') THEN '" #column "'"
#define TYPE_CASE_INTEGER(column)                                                                \
    " WHEN typeof(" #column ") NOT IN ('integer', 'null') THEN '" #column "'"
#define TYPE_CASE_REAL(column)                                                                   \
    " WHEN typeof(" #column ") NOT IN ('real', 'integer', 'null') THEN '" #column "'"
#define TYPE_CASE_COLUMN_TEXT TYPE_CASE_TEXT
#define TYPE_CASE_COLUMN_INTEGER TYPE_CASE_INTEGER
#define TYPE_CASE_COLUMN_BOOLEAN TYPE_CASE_INTEGER
#define TYPE_CASE_COLUMN_REAL TYPE_CASE_REAL
#define CONFIG_TYPE_CASE(key, column, type) TYPE_CASE_##type(column)

/* A hash as wb writes one: 64 lowercase hex digits, as SQL over a column. */
#define NOT_HASH(column)                                                                         \
    "(typeof(" column ") <> 'text' OR length(" column ") <> 64 OR " column                      \
    " GLOB '*[^0-9a-f]*')"

/* Each finds the first value wb would never have written, as two columns: where ("run 3") and
 * what ("its config_hash ... is not ..."). '@' stands for the schema ("main", "merge_src"). The
 * constraints of schema.sql are here because SQLite does not check them on a read-only
 * connection; the types because SQLite keeps any value in any column. '$' stands for the metric
 * table's splits, quoted and separated by commas. */
static const char *const value_checks[] = {
    "SELECT 'run ' || id, 'its config_hash ' || quote(config_hash) || ' is not 64 lowercase hex"
    " digits' FROM @.runs WHERE " NOT_HASH("config_hash") " LIMIT 1",
    "SELECT 'run ' || id, 'its config_id ' || quote(config_id) || ' is not 64 lowercase hex"
    " digits' FROM @.runs WHERE " NOT_HASH("config_id") " LIMIT 1",
    "SELECT 'run ' || id, 'its status ' || quote(status) || ' is not one of wb''s'"
    " FROM @.runs WHERE status NOT IN ('" STATUS_QUEUED "', '" STATUS_RUNNING "', '"
    STATUS_FINISHED "', '" STATUS_FAILED "', '" STATUS_DIVERGED "', '" STATUS_INTERRUPTED "')"
    " OR typeof(epochs_done) <> 'integer' OR epochs_done < -1 OR typeof(folder) <> 'text'"
    " LIMIT 1",
    "SELECT 'run ' || id, 'its column ' || bad || ' holds a value of the wrong type'"
    " FROM (SELECT id, CASE" TYPE_CASE_INTEGER(seed) TYPE_CASE_INTEGER(sweep_id)
    TYPE_CASE_INTEGER(pid) TYPE_CASE_INTEGER(threads) TYPE_CASE_INTEGER(param_count)
    TYPE_CASE_INTEGER(train_n) TYPE_CASE_INTEGER(val_n) TYPE_CASE_INTEGER(test_n)
    TYPE_CASE_TEXT(config_json) TYPE_CASE_TEXT(created_at) TYPE_CASE_TEXT(started_at)
    TYPE_CASE_TEXT(finished_at) TYPE_CASE_TEXT(heartbeat_at) TYPE_CASE_TEXT(host)
    TYPE_CASE_TEXT(gemm_library) TYPE_CASE_TEXT(compiler) TYPE_CASE_TEXT(wb_version)
    TYPE_CASE_TEXT(error) TYPE_CASE_TEXT(data_source) CONFIG_COLUMNS(CONFIG_TYPE_CASE)
    " END AS bad FROM @.runs) WHERE bad IS NOT NULL LIMIT 1",
    "SELECT 'sweep ' || id, 'a column holds a value of the wrong type' FROM @.sweeps"
    " WHERE typeof(name) <> 'text' OR name = '' OR typeof(ini_text) NOT IN ('text', 'null')"
    " OR typeof(ini_path) NOT IN ('text', 'null') OR typeof(axes) NOT IN ('text', 'null')"
    " OR typeof(created_at) <> 'text' OR typeof(updated_at) <> 'text'"
    " OR typeof(host) NOT IN ('text', 'null') OR typeof(wb_version) NOT IN ('text', 'null')"
    " OR typeof(git_commit) NOT IN ('text', 'null') OR coalesce(git_dirty IN (0, 1), 1) = 0"
    " LIMIT 1",
    "SELECT 'the link of run ' || quote(run_id), 'its grid index ' || quote(grid_index) ||"
    " ' is not an integer from 0' FROM @.sweep_runs WHERE typeof(grid_index) <> 'integer'"
    " OR grid_index < 0 OR typeof(run_id) <> 'integer' OR typeof(sweep_id) <> 'integer' LIMIT 1",
    "SELECT 'a param of run ' || quote(run_id), 'its key or value is not text' FROM @.params"
    " WHERE typeof(run_id) <> 'integer' OR typeof(key) <> 'text'"
    " OR typeof(value) NOT IN ('text', 'null') LIMIT 1",
    "SELECT 'a metric of run ' || quote(run_id), 'epoch ' || quote(epoch) || ', ' ||"
    " quote(split) || '.' || quote(name) || ' = ' || quote(value) || ' is not an integer epoch"
    " and a number' FROM @.metrics WHERE typeof(run_id) <> 'integer'"
    " OR typeof(epoch) <> 'integer' OR epoch < 0 OR split NOT IN ($)"
    " OR typeof(name) <> 'text' OR typeof(value) NOT IN ('real', 'integer', 'null') LIMIT 1",
    "SELECT 'a checkpoint of run ' || quote(run_id), 'kind ' || quote(kind) || ', epoch ' ||"
    " quote(epoch) || ' is not a kind and an epoch of wb''s' FROM @.checkpoints"
    " WHERE typeof(run_id) <> 'integer' OR kind NOT IN ('init', 'last', 'best')"
    " OR typeof(epoch) <> 'integer' OR epoch < 0 OR typeof(path) <> 'text' LIMIT 1",
};

/* The checks of tables later schema versions added: each runs on a file of that version or newer. */
static const struct {
    int since;
    const char *sql;
} versioned_checks[] = {
    {SCHEMA_FILE_HASHES,
     "SELECT 'a file hash of run ' || quote(run_id), 'epoch ' || quote(epoch) || ', ' ||"
     " quote(name) || ' is not an epoch, a file of wb''s and a SHA-256' FROM @.file_hashes"
     " WHERE typeof(run_id) <> 'integer' OR typeof(epoch) <> 'integer' OR epoch < 0"
     " OR name NOT IN ('init.safetensors', 'last.safetensors', 'last.optim.safetensors',"
     " 'best.safetensors', 'preview.npy') OR " NOT_HASH("sha256") " LIMIT 1"},
    {SCHEMA_TRAJECTORIES,
     "SELECT 'run ' || id, 'its role ' || quote(role) || ', trajectory ' || quote(trajectory_id)"
     " || ' or fork epoch ' || quote(fork_epoch) || ' is not as wb writes them' FROM @.runs"
     " WHERE role NOT IN ('run', 'trajectory') OR typeof(trajectory_id) NOT IN ('integer', 'null')"
     " OR typeof(fork_epoch) NOT IN ('integer', 'null') OR fork_epoch < 0"
     " OR (role = 'trajectory' AND trajectory_id IS NOT NULL) LIMIT 1"},
    {SCHEMA_STAGE_PLANS,
     "SELECT 'the second stage of ' || quote(config_id), 'a column holds a value wb would not"
     " write' FROM @.stage_plans WHERE typeof(sweep_id) <> 'integer' OR " NOT_HASH("config_id")
     " OR typeof(seeds) <> 'text' OR seeds = '' OR seeds GLOB '*[^0-9,]*'"
     " OR typeof(stage1_n) NOT IN ('integer', 'null') OR stage1_n < 2"
     " OR typeof(stage1_sd) NOT IN ('real', 'null') OR NOT (stage1_sd > 0)"
     " OR typeof(planned_n) NOT IN ('integer', 'null') OR planned_n < 2"
     " OR typeof(created_at) <> 'text' LIMIT 1"},
};

/* sql with every '@' replaced by the schema's name and every '$' by the splits (malloc'ed). */
static char *in_schema(const char *sql, const char *schema, const char *splits)
{
    size_t n = 0;
    for (const char *c = sql; *c; c++)
        n += *c == '@' ? strlen(schema) : *c == '$' ? strlen(splits) : 1;
    char *out = malloc(n + 1), *o = out;
    for (const char *c = sql; out && *c; c++)
        if (*c == '@')
            o += sprintf(o, "%s", schema);
        else if (*c == '$')
            o += sprintf(o, "%s", splits);
        else
            *o++ = *c;
    if (out)
        *o = '\0';
    return out;
}

/* The metric table's splits as an SQL list: 'train', 'val', ... (plain names of the table). */
static void split_list(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < METRIC_NSPLITS && used < outlen; k++)
        used += (size_t)snprintf(out + used, outlen - used, "%s'%s'", k ? ", " : "",
                                 metric_split_name((enum metric_split)k));
}

static int check_values(store *s, const char *schema, const char *label, int version, char *err,
                        size_t errlen)
{
    char splits[256];
    split_list(splits, sizeof splits);
    const size_t nplain = sizeof value_checks / sizeof value_checks[0];
    const size_t nversioned = sizeof versioned_checks / sizeof versioned_checks[0];
    for (size_t i = 0; i < nplain + nversioned; i++) {
        if (i >= nplain && version < versioned_checks[i - nplain].since)
            continue;
        char *sql = in_schema(i < nplain ? value_checks[i] : versioned_checks[i - nplain].sql,
                              schema, splits);
        sqlite3_stmt *st = NULL;
        int rc = sql ? sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) : SQLITE_NOMEM;
        free(sql);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            char where[128], what[320];
            one_line((const char *)sqlite3_column_text(st, 0), where, sizeof where, 100);
            one_line((const char *)sqlite3_column_text(st, 1), what, sizeof what, 280);
            fail(err, errlen, "%s is damaged: %s: %s", label, where, what);
        } else if (rc != SQLITE_DONE) {
            fail(err, errlen, "%s: checking its values: %s", label, sqlite3_errmsg(s->db));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return rc == SQLITE_ROW || (rc & 0xff) == SQLITE_CORRUPT ? STORE_DAMAGED : -1;
    }
    return 0;
}

/* ---- the whole check -------------------------------------------------------------------------- */

int verify_database(store *s, const char *schema, const char *label, int version, char *err,
                    size_t errlen)
{
    const int defined = check_definitions(s, schema, label, version, err, errlen);
    if (defined < 0)
        return defined;
    char sql[64], problem[256] = "";
    snprintf(sql, sizeof sql, "PRAGMA %s.integrity_check(%d)", schema, PROBLEMS_READ);
    sqlite3_stmt *st;
    int problems = 0, rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = SQLITE_ROW;
    while (rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") == 0)
            continue;
        if (problems++ == 0)
            one_line(line, problem, sizeof problem, 160);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        /* integrity_check itself may meet a page it cannot read at all. */
        if ((rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
            return fail(err, errlen, "%s: checking the file: %s", label, sqlite3_errmsg(s->db));
        one_line(sqlite3_errmsg(s->db), problem, sizeof problem, 160);
        problems = problems ? problems : 1;
    }
    if (problems == 0)   /* version 0: a new file, no tables yet */
        return version > 0 ? check_values(s, schema, label, version, err, errlen) : 0;
    fail(err, errlen, "%s is damaged (integrity_check: %s%s); sqlite3's .recover salvages what "
         "is left", label, problem,
         problems >= PROBLEMS_READ ? " and more" : problems > 1 ? " and others" : "");
    return STORE_DAMAGED;
}
