/* model/safetensors.c: safetensors files with cJSON headers. Only F32 tensors: wb writes nothing
 * else, and refusing other dtypes keeps a weight file from being half-read. */
#include "model/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/fileio.h"

/* The format caps the header at 100 MB; wb's headers are a few kB (a U-Net of depth 3 has 38
 * tensors, its optimizer file twice that and a step). */
#define ST_MAX_HEADER (100u * 1000u * 1000u)

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static size_t tensor_count(const st_tensor *t)
{
    size_t c = 1;
    for (int k = 0; k < t->ndim; k++)
        c *= (size_t)t->shape[k];
    return c;
}

static char *build_header(const st_tensor *sorted, size_t nt, const st_meta *meta, size_t nmeta)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    if (nmeta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (size_t i = 0; m && i < nmeta; i++)
            cJSON_AddStringToObject(m, meta[i].key, meta[i].value);
    }
    size_t offset = 0;
    for (size_t i = 0; i < nt; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, sorted[i].name);
        if (!t)
            break;
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        for (int k = 0; shape && k < sorted[i].ndim; k++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)sorted[i].shape[k]));
        const size_t bytes = tensor_count(&sorted[i]) * sizeof(float);
        cJSON *off = cJSON_AddArrayToObject(t, "data_offsets");
        if (off) {
            cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
            cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(offset + bytes)));
        }
        offset += bytes;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

int safetensors_write(const char *path, const st_tensor *t, size_t nt, const st_meta *meta,
                      size_t nmeta, char *err, size_t errlen)
{
    st_tensor *sorted = malloc(sizeof *sorted * (nt ? nt : 1));
    if (!sorted) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(sorted, t, sizeof *sorted * nt);
    qsort(sorted, nt, sizeof *sorted, cmp_tensor_name);
    char *json = build_header(sorted, nt, meta, nmeta);
    if (!json) {
        free(sorted);
        snprintf(err, errlen, "%s: cannot build the header", path);
        return -1;
    }
    /* Pad with spaces so the data starts 8-byte aligned, as the reference writer does. */
    const size_t jlen = strlen(json), hlen = (jlen + 7) / 8 * 8;
    unsigned char lenbuf[8];
    for (int k = 0; k < 8; k++)
        lenbuf[k] = (unsigned char)((uint64_t)hlen >> (8 * k));

    atomic_file a;
    int rc = atomic_file_open(&a, path, err, errlen);
    if (rc == 0) {
        /* Writing stops at the first failure, which commit reports (and removes the file). */
        int ok = fwrite(lenbuf, 1, 8, a.f) == 8 && fwrite(json, 1, jlen, a.f) == jlen;
        for (size_t k = jlen; ok && k < hlen; k++)
            ok = fputc(' ', a.f) != EOF;
        /* Little-endian floats: this is x86-64 (and every platform wb builds on is
         * little-endian). */
        for (size_t i = 0; ok && i < nt; i++) {
            const size_t count = tensor_count(&sorted[i]);
            ok = fwrite(sorted[i].data, sizeof(float), count, a.f) == count;
        }
        rc = atomic_file_commit(&a, err, errlen);
    }
    free(json);
    free(sorted);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* The one shape of a refusal while reading: the file, then what is wrong with it. */
static int invalid(char *err, size_t errlen, const char *name, const char *what)
{
    return fail(err, errlen, "%s: not a valid safetensors file: %s", name, what);
}

typedef struct span {
    size_t begin, end;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* A JSON number that is a non-negative integer the size_t arithmetic below can hold. */
static int json_size(const cJSON *n, size_t *out)
{
    if (!cJSON_IsNumber(n))
        return -1;
    double v = n->valuedouble;
    if (!(v >= 0) || v > 9007199254740992.0 || v != floor(v))
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_tensor(const cJSON *item, size_t data_len, st_tensor *t, span *sp, char *err,
                        size_t errlen, const char *name)
{
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    char what[256];
    if (!cJSON_IsObject(item) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) ||
        !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2) {
        snprintf(what, sizeof what, "tensor '%.100s' lacks dtype, shape or data_offsets",
                 item->string);
        return invalid(err, errlen, name, what);
    }
    if (strcmp(dtype->valuestring, "F32") != 0) {
        snprintf(what, sizeof what, "tensor '%.100s' has dtype %.20s, only F32 is supported",
                 item->string, dtype->valuestring);
        return invalid(err, errlen, name, what);
    }
    const int ndim = cJSON_GetArraySize(shape);
    if (ndim > ST_MAX_DIMS) {
        snprintf(what, sizeof what, "tensor '%.100s' has %d dimensions", item->string, ndim);
        return invalid(err, errlen, name, what);
    }
    size_t count = 1;
    t->name = item->string;
    t->ndim = ndim;
    for (int k = 0; k < ndim; k++) {
        size_t dim;
        if (json_size(cJSON_GetArrayItem(shape, k), &dim) != 0 || (dim && count > SIZE_MAX / 4 / dim)) {
            snprintf(what, sizeof what, "tensor '%.100s' has a bad shape", item->string);
            return invalid(err, errlen, name, what);
        }
        count *= dim;
        t->shape[k] = (int64_t)dim;
    }
    if (json_size(cJSON_GetArrayItem(offs, 0), &sp->begin) != 0 ||
        json_size(cJSON_GetArrayItem(offs, 1), &sp->end) != 0 || sp->end < sp->begin ||
        sp->end > data_len || sp->end - sp->begin != count * sizeof(float)) {
        snprintf(what, sizeof what, "tensor '%.100s' has data_offsets outside the file or not "
                 "matching its shape", item->string);
        return invalid(err, errlen, name, what);
    }
    return 0;
}

int safetensors_parse(const void *buf, size_t len, const char *name, st_file *f, char *err,
                      size_t errlen)
{
    memset(f, 0, sizeof *f);
    const unsigned char *b = buf;
    if (len < 8)
        return invalid(err, errlen, name, "shorter than its 8-byte header length");
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)b[k] << (8 * k);
    if (hlen > ST_MAX_HEADER || hlen > len - 8)
        return invalid(err, errlen, name, "header length beyond the end of the file");
    cJSON *root = cJSON_ParseWithLength((const char *)b + 8, (size_t)hlen);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return invalid(err, errlen, name, "the header is not a JSON object");
    }
    const size_t data_len = len - 8 - (size_t)hlen;
    const unsigned char *data = b + 8 + hlen;
    size_t n = 0, nm = 0;
    for (const cJSON *it = root->child; it; it = it->next) {
        if (it->string && strcmp(it->string, "__metadata__") == 0)
            nm = (size_t)cJSON_GetArraySize(it);
        else
            n++;
    }
    f->json = root;
    /* Counted before anything is done per tensor: a crafted header of 80,000 tensors took 84 s
     * when each was looked up among the others. */
    if (n > ST_MAX_TENSORS || nm > ST_MAX_TENSORS) {
        char what[128];
        snprintf(what, sizeof what, "%zu tensors and %zu metadata entries (at most %d each)", n,
                 nm, ST_MAX_TENSORS);
        safetensors_free(f);
        return invalid(err, errlen, name, what);
    }
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    f->meta = calloc(nm ? nm : 1, sizeof *f->meta);
    span *spans = calloc(n ? n : 1, sizeof *spans);
    size_t *begin = calloc(n ? n : 1, sizeof *begin);
    size_t total = 0;
    int rc = f->tensors && f->meta && spans && begin ? 0
                                                     : invalid(err, errlen, name, "out of memory");
    for (const cJSON *it = root->child; rc == 0 && it; it = it->next) {
        if (it->string && strcmp(it->string, "__metadata__") == 0) {
            /* The array was sized by the last __metadata__ object: a second one would write past
             * it (found by fuzzing, tests/fuzz/crashes/safetensors/). JSON allows repeated keys;
             * safetensors does not. */
            if (f->nmeta > 0 || (size_t)cJSON_GetArraySize(it) != nm) {
                rc = invalid(err, errlen, name, "__metadata__ appears twice");
                break;
            }
            if (!cJSON_IsObject(it)) {
                rc = invalid(err, errlen, name, "__metadata__ is not an object");
                break;
            }
            for (const cJSON *m = it->child; m; m = m->next) {
                if (!cJSON_IsString(m)) {
                    rc = invalid(err, errlen, name, "__metadata__ values must be strings");
                    break;
                }
                f->meta[f->nmeta].key = m->string;
                f->meta[f->nmeta++].value = m->valuestring;
            }
            continue;
        }
        rc = parse_tensor(it, data_len, &f->tensors[f->nt], &spans[f->nt], err, errlen, name);
        if (rc == 0) {
            begin[f->nt] = spans[f->nt].begin;
            total += spans[f->nt].end - spans[f->nt].begin;
            f->nt++;
        }
    }
    /* Repeated names and overlaps, each from one sort: n log n, not a search per tensor. */
    if (rc == 0) {
        st_tensor *by_name = malloc(sizeof *by_name * (f->nt ? f->nt : 1));
        if (!by_name) {
            rc = invalid(err, errlen, name, "out of memory");
        } else {
            memcpy(by_name, f->tensors, sizeof *by_name * f->nt);
            qsort(by_name, f->nt, sizeof *by_name, cmp_tensor_name);
            for (size_t i = 1; rc == 0 && i < f->nt; i++)
                if (strcmp(by_name[i].name, by_name[i - 1].name) == 0)
                    rc = invalid(err, errlen, name, "a tensor name appears twice");
            free(by_name);
        }
    }
    if (rc == 0) {
        qsort(spans, f->nt, sizeof *spans, cmp_span);
        for (size_t i = 1; i < f->nt; i++)
            if (spans[i].begin < spans[i - 1].end)
                rc = invalid(err, errlen, name, "tensors overlap");
    }
    free(spans);
    if (rc == 0) {
        /* Copy the data out: offsets need not be 4-byte aligned in a file made elsewhere. */
        f->buf = malloc(total ? total : 1);
        if (!f->buf)
            rc = invalid(err, errlen, name, "out of memory");
        size_t at = 0;
        for (size_t i = 0; rc == 0 && i < f->nt; i++) {
            size_t bytes = tensor_count(&f->tensors[i]) * sizeof(float);
            memcpy((char *)f->buf + at, data + begin[i], bytes);
            f->tensors[i].data = (const float *)((char *)f->buf + at);
            at += bytes;
        }
        f->len = total;
    }
    free(begin);
    if (rc != 0)
        safetensors_free(f);
    return rc;
}

int safetensors_read(const char *path, st_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    unsigned char *buf;
    size_t len;
    if (file_read_all(path, &buf, &len, err, errlen) != 0)
        return -1;
    int rc = safetensors_parse(buf, len, path, f, err, errlen);
    free(buf);
    return rc;
}

const st_tensor *safetensors_find(const st_file *f, const char *name)
{
    for (size_t i = 0; i < f->nt; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *safetensors_meta(const st_file *f, const char *key)
{
    for (size_t i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta[i].key, key) == 0)
            return f->meta[i].value;
    return NULL;
}

void safetensors_free(st_file *f)
{
    cJSON_Delete(f->json);
    free(f->buf);
    free(f->tensors);
    free(f->meta);
    memset(f, 0, sizeof *f);
}
