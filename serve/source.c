/* serve/source.c: the connection, the answers and their cache (source.h). */
#include "serve/source.h"

#include <nettle/sha2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "serve/api.h"
#include "serve/json.h"
#include "serve/preview.h"
#include "store/read.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define PATH_CAP 4096

typedef struct entry {
    char key[64];
    int64_t generation, version;    /* of the connection and the data it was made from */
    double made, used;              /* monotonic seconds */
    int live;
    char signature[160];            /* a preview: its preview.npy's time, size and hash */
    serve_answer answer;
} entry;

struct serve_source {
    pthread_mutex_t lock;
    char db_path[PATH_CAP], scratch[PATH_CAP];
    store *s;
    dev_t dev;
    ino_t ino;
    int64_t generation;             /* counts the opens: versions of two connections differ */
    double tried;                   /* the last failed open */
    char why[1024];                 /* why the database cannot be read, while it cannot */
    entry cache[SOURCE_CACHE_ENTRIES];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void source_etag(const void *bytes, size_t len, char out[SOURCE_ETAG_CAP])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, bytes);
    sha256_digest(&ctx, sizeof digest, digest);
    char *p = out;
    *p++ = '"';
    for (int i = 0; i < 10; i++)
        p += sprintf(p, "%02x", digest[i]);
    *p++ = '"';
    *p = '\0';
}

int source_new(const char *db_path, const char *scratch_dir, serve_source **out, char *err,
               size_t errlen)
{
    *out = NULL;
    if (strlen(db_path) >= PATH_CAP || strlen(scratch_dir) >= PATH_CAP) {
        snprintf(err, errlen, "path too long");
        return -1;
    }
    serve_source *src = calloc(1, sizeof *src);
    if (!src || pthread_mutex_init(&src->lock, NULL) != 0) {
        free(src);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(src->db_path, sizeof src->db_path, "%s", db_path);
    snprintf(src->scratch, sizeof src->scratch, "%s", scratch_dir);
    src->tried = -1e9;
    *out = src;
    return 0;
}

static void drop_entry(entry *e)
{
    free(e->answer.body);
    memset(e, 0, sizeof *e);
}

void source_free(serve_source *src)
{
    if (!src)
        return;
    for (int i = 0; i < SOURCE_CACHE_ENTRIES; i++)
        drop_entry(&src->cache[i]);
    store_close(src->s);
    pthread_mutex_destroy(&src->lock);
    free(src);
}

static void close_store(serve_source *src)
{
    store_close(src->s);
    src->s = NULL;
}

/* Makes src->s a connection to the file now at db_path and reads its data version. -1 with
 * src->why set when the database cannot be read (yet). Called with the lock held. */
static int ensure_open(serve_source *src, int64_t *version)
{
    struct stat sb;
    if (stat(src->db_path, &sb) != 0) {
        close_store(src);
        snprintf(src->why, sizeof src->why, "no database at %.900s yet", src->db_path);
        return -1;
    }
    if (src->s && (sb.st_dev != src->dev || sb.st_ino != src->ino))
        close_store(src);   /* replaced: read the new file */
    char err[1024];
    if (!src->s) {
        const double now = now_seconds();
        if (now - src->tried < 1 && src->why[0])
            return -1;      /* it failed less than a second ago */
        if (store_open(src->db_path, STORE_OPEN_READONLY, &src->s, err, sizeof err) != 0 ||
            store_make_query_only(src->s, err, sizeof err) != 0) {
            close_store(src);
            src->tried = now;
            snprintf(src->why, sizeof src->why, "%s", err);
            return -1;
        }
        src->dev = sb.st_dev;
        src->ino = sb.st_ino;
        src->generation++;
        src->why[0] = '\0';
    }
    if (store_data_version(src->s, version, err, sizeof err) != 0) {
        close_store(src);
        src->tried = now_seconds();
        snprintf(src->why, sizeof src->why, "%s", err);
        return -1;
    }
    return 0;
}

/* An answer whose body is a JSON object {"error": why}. */
static void error_answer(serve_answer *out, int status, const char *why)
{
    json j;
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    out->status = status;
    out->content_type = JSON_TYPE;
    if (json_open(&j) == 0) {
        json_object(&j);
        json_member_string(&j, "error", why);
        json_object_end(&j);
        if (json_close(&j, &text, &len) != 0)
            text = NULL, len = 0;
    }
    out->body = (unsigned char *)text;
    out->len = text ? len : 0;
    if (text)
        source_etag(text, len, out->etag);
}

static void json_answer(serve_answer *out, enum api_result rc, char *text, size_t len,
                        const char *err, const char *missing)
{
    if (rc == API_OK) {
        memset(out, 0, sizeof *out);
        out->status = 200;
        out->content_type = JSON_TYPE;
        out->body = (unsigned char *)text;
        out->len = len;
        source_etag(text, len, out->etag);
    } else {
        error_answer(out, rc == API_MISSING ? 404 : 500, rc == API_MISSING ? missing : err);
    }
}

/* The signature of a file below the database's folder: its modification time and size ("" when
 * it cannot be opened there: base/fileio.h's file_open_beneath), then `extra`. */
static void file_signature(const char *dir, const char *rel, const char *extra, char *out,
                           size_t outlen)
{
    struct stat sb;
    char why[512];
    const int fd = file_open_beneath(dir, rel, &sb, why, sizeof why);
    if (fd < 0) {
        out[0] = '\0';
        return;
    }
    close(fd);
    snprintf(out, outlen, "%lld.%09ld:%lld:%s", (long long)sb.st_mtim.tv_sec,
             (long)sb.st_mtim.tv_nsec, (long long)sb.st_size, extra);
}

/* Where a preview is and the SHA-256 its epoch recorded ("" when none was). */
typedef struct preview_file {
    char dir[PATH_CAP], rel[PATH_CAP + 16], sha256[65];
} preview_file;

/* Makes the answer to route r (lock held, connection open). *live as api.h says. */
static void compute(serve_source *src, const route *r, int series, enum analysis_at at,
                    const preview_file *preview, serve_answer *out, int *live)
{
    char err[1024] = "", missing[128], dir[PATH_CAP];
    char *text = NULL;
    size_t len = 0;
    enum api_result rc = API_ERROR;
    *live = 0;
    switch (r->kind) {
    case ROUTE_API_STATE:
        rc = api_state(src->s, &text, &len, live, err, sizeof err);
        snprintf(missing, sizeof missing, "no database");
        break;
    case ROUTE_API_SWEEP:
        snprintf(missing, sizeof missing, "no sweep with id %lld", (long long)r->id);
        rc = api_sweep_exists(src->s, r->id, err, sizeof err);
        rc = rc < 0 ? API_ERROR : rc == 0 ? API_MISSING : API_OK;
        if (rc == API_OK &&
            api_sweep_report_dir(src->s, r->id, dir, sizeof dir, err, sizeof err) != 0)
            rc = API_ERROR;
        if (rc == API_OK)
            rc = api_sweep(src->s, r->id, series, at, dir, &text, &len, live, err, sizeof err);
        break;
    case ROUTE_API_RUN:
        snprintf(missing, sizeof missing, "no run with id %lld", (long long)r->id);
        rc = api_run(src->s, r->id, &text, &len, live, err, sizeof err);
        break;
    case ROUTE_API_COMPARE:
        snprintf(missing, sizeof missing, "no run with id %lld or %lld", (long long)r->id,
                 (long long)r->id2);
        rc = api_compare(src->s, r->id, r->id2, &text, &len, live, err, sizeof err);
        break;
    case ROUTE_API_PREVIEW: {
        unsigned char *png;
        if (!preview) {
            error_answer(out, 404, "this run has no preview yet");
            return;
        }
        if (preview_png(preview->dir, preview->rel, preview->sha256, src->scratch, &png, &len,
                        err, sizeof err) != 0) {
            error_answer(out, 500, err);
            return;
        }
        memset(out, 0, sizeof *out);
        out->status = 200;
        out->content_type = "image/png";
        out->body = png;
        out->len = len;
        source_etag(png, len, out->etag);
        return;
    }
    default:
        error_answer(out, 404, "not found");
        return;
    }
    json_answer(out, rc, text, len, err, missing);
}

static void cache_key(const route *r, int series, enum analysis_at at, char *key, size_t len)
{
    snprintf(key, len, "%d:%lld:%lld:%d:%d", (int)r->kind, (long long)r->id, (long long)r->id2,
             r->kind == ROUTE_API_SWEEP ? series : 0, r->kind == ROUTE_API_SWEEP ? (int)at : 0);
}

/* The entry for key (NULL when none), or the slot to make it in: an empty one, else the least
 * recently used. */
static entry *find_entry(serve_source *src, const char *key, entry **slot)
{
    *slot = &src->cache[0];
    for (int i = 0; i < SOURCE_CACHE_ENTRIES; i++) {
        entry *e = &src->cache[i];
        if (e->key[0] && strcmp(e->key, key) == 0)
            return e;
        if ((*slot)->key[0] && (!e->key[0] || e->used < (*slot)->used))
            *slot = e;
    }
    return NULL;
}

static int copy_answer(const serve_answer *from, serve_answer *to)
{
    *to = *from;
    to->body = NULL;
    if (from->len == 0)
        return 0;
    to->body = malloc(from->len);
    if (!to->body)
        return -1;
    memcpy(to->body, from->body, from->len);
    return 0;
}

void source_answer(serve_source *src, const route *r, int series, enum analysis_at at,
                   serve_answer *out)
{
    int64_t version;
    pthread_mutex_lock(&src->lock);
    if (ensure_open(src, &version) != 0) {
        char *text;
        size_t len;
        if (r->kind == ROUTE_API_STATE &&
            api_state_unavailable(src->db_path, src->why, &text, &len) == API_OK)
            json_answer(out, API_OK, text, len, "", "");
        else
            error_answer(out, 503, src->why);
        pthread_mutex_unlock(&src->lock);
        return;
    }
    const double now = now_seconds();
    char key[64], signature[160] = "", err[1024];
    preview_file preview;
    int have_preview = 0;
    cache_key(r, series, at, key, sizeof key);
    if (r->kind == ROUTE_API_PREVIEW) {
        /* A preview changes only when its file or its recorded hash does: keyed by those, not
         * by the version. */
        int found = 0;
        enum api_result rc = api_preview_path(src->s, r->id, preview.dir, sizeof preview.dir,
                                              preview.rel, sizeof preview.rel, err, sizeof err);
        if (rc == API_OK && store_file_hash_of(src->s, r->id, -1, "preview.npy", preview.sha256,
                                               &found, err, sizeof err) != 0)
            rc = API_ERROR;
        if (rc != API_OK) {
            error_answer(out, rc == API_MISSING ? 404 : 500,
                         rc == API_MISSING ? "no such run" : err);
            pthread_mutex_unlock(&src->lock);
            return;
        }
        if (!found)
            preview.sha256[0] = '\0';
        file_signature(preview.dir, preview.rel, preview.sha256, signature, sizeof signature);
        have_preview = signature[0] != '\0';
    } else if (r->kind == ROUTE_API_SWEEP &&
               api_sweep_report_dir(src->s, r->id, preview.dir, sizeof preview.dir, err,
                                    sizeof err) == 0) {
        /* Whether the sweep has a report is in the answer: `wb report` writes no row. */
        char *slash = strrchr(preview.dir, '/');
        if (slash) {
            *slash = '\0';
            snprintf(preview.rel, sizeof preview.rel, "%s/index.html", slash + 1);
            file_signature(preview.dir, preview.rel, "", signature, sizeof signature);
        }
    }
    entry *slot, *e = find_entry(src, key, &slot);
    const int fresh =
        e && e->generation == src->generation && strcmp(e->signature, signature) == 0 &&
        (r->kind == ROUTE_API_PREVIEW ||
         (e->version == version && (!e->live || now - e->made < SOURCE_LIVE_SECONDS)));
    if (!fresh) {
        serve_answer made;
        int live;
        compute(src, r, series, at, have_preview ? &preview : NULL, &made, &live);
        if (made.status == 500 || made.status == 503) {
            *out = made;    /* not kept: the next request tries again */
            pthread_mutex_unlock(&src->lock);
            return;
        }
        if (!e) {
            drop_entry(slot);
            e = slot;
        } else {
            free(e->answer.body);
        }
        snprintf(e->key, sizeof e->key, "%s", key);
        snprintf(e->signature, sizeof e->signature, "%s", signature);
        e->generation = src->generation;
        e->version = version;
        e->made = now;
        e->live = live;
        e->answer = made;
    }
    e->used = now;
    if (copy_answer(&e->answer, out) != 0)
        error_answer(out, 500, "out of memory");
    pthread_mutex_unlock(&src->lock);
}

int source_exists(serve_source *src, const route *r)
{
    int64_t version;
    char err[1024];
    int found = -1;
    pthread_mutex_lock(&src->lock);
    if (ensure_open(src, &version) == 0) {
        switch (r->kind) {
        case ROUTE_PAGE_SWEEP:
        case ROUTE_REPORT_REDIRECT:
        case ROUTE_REPORT_FILE:
            found = api_sweep_exists(src->s, r->id, err, sizeof err);
            break;
        case ROUTE_PAGE_RUN:
            found = api_run_exists(src->s, r->id, err, sizeof err);
            break;
        case ROUTE_PAGE_COMPARE:
            found = api_run_exists(src->s, r->id, err, sizeof err);
            if (found == 1)
                found = api_run_exists(src->s, r->id2, err, sizeof err);
            break;
        default:
            found = 1;
        }
    }
    pthread_mutex_unlock(&src->lock);
    return found;
}

int source_report_dir(serve_source *src, int64_t sweep_id, char *out, size_t outlen)
{
    int64_t version;
    char err[1024];
    int rc = -1;
    pthread_mutex_lock(&src->lock);
    if (ensure_open(src, &version) == 0 && api_sweep_exists(src->s, sweep_id, err, sizeof err) == 1)
        rc = api_sweep_report_dir(src->s, sweep_id, out, outlen, err, sizeof err);
    pthread_mutex_unlock(&src->lock);
    return rc;
}
