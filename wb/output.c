/* wb/output.c: the filter between wb and a terminal (output.h). */
#define _GNU_SOURCE /* fopencookie */
#include "wb/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the escaper ------------------------------------------------------------------------------ */

/* Where escaped bytes go. */
typedef struct sink {
    void (*put)(struct sink *k, const char *bytes, size_t n);
} sink;

/* The state between chunks of one stream: a UTF-8 sequence cut by the end of a chunk, a CR that
 * may begin a CRLF. */
typedef struct escaper {
    unsigned char seq[4];
    size_t nseq, want;
    int cr;
    int line;           /* newline and tab escaped too (one line of text) */
} escaper;

static void put_hex(sink *k, unsigned char c)
{
    char e[8];
    snprintf(e, sizeof e, "\\x%02x", c);
    k->put(k, e, 4);
}

/* The held UTF-8 sequence, whole: passed when it is valid and not a C1 control. */
static void flush_sequence(escaper *x, sink *k)
{
    const unsigned char *s = x->seq;
    unsigned cp = 0;
    int valid = x->nseq == x->want;
    if (valid) {
        static const unsigned min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        cp = s[0] & (0x7F >> x->want);
        for (size_t i = 1; i < x->nseq; i++)
            cp = cp << 6 | (s[i] & 0x3F);
        valid = cp >= min[x->want] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (valid && cp >= 0x80 && cp <= 0x9F) {
        char e[8];
        snprintf(e, sizeof e, "\\u%04x", cp);
        k->put(k, e, 6);
    } else if (valid) {
        k->put(k, (const char *)s, x->nseq);
    } else {
        for (size_t i = 0; i < x->nseq; i++)
            put_hex(k, s[i]);
    }
    x->nseq = x->want = 0;
}

static void escape_byte(escaper *x, sink *k, unsigned char c)
{
    if (x->cr) {
        x->cr = 0;
        if (c == '\n') {
            k->put(k, "\r\n", 2);
            return;
        }
        k->put(k, "\\r", 2);
    }
    if (x->nseq) {
        if ((c & 0xC0) == 0x80) {
            x->seq[x->nseq++] = c;
            if (x->nseq == x->want)
                flush_sequence(x, k);
            return;
        }
        flush_sequence(x, k);   /* cut short: escaped byte by byte */
    }
    if (c >= 0xC2 && c <= 0xF4) {
        x->seq[0] = c;
        x->nseq = 1;
        x->want = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    } else if (c >= 0x80) {
        put_hex(k, c);
    } else if (c == '\n' || c == '\t') {
        if (x->line)
            k->put(k, c == '\n' ? "\\n" : "\\t", 2);
        else
            k->put(k, (const char *)&c, 1);
    } else if (c == '\r' && !x->line) {
        x->cr = 1;
    } else if (c < 0x20 || c == 0x7F) {
        if (c == '\r')
            k->put(k, "\\r", 2);
        else
            put_hex(k, c);
    } else {
        k->put(k, (const char *)&c, 1);
    }
}

/* What the escaper still holds, at the end of the text. */
static void escape_end(escaper *x, sink *k)
{
    if (x->cr)
        k->put(k, "\\r", 2);
    x->cr = 0;
    if (x->nseq)
        flush_sequence(x, k);
}

/* ---- one line into a buffer ------------------------------------------------------------------- */

typedef struct buffer_sink {
    sink k;
    char *out;
    size_t cap, used, total;
    int full;
} buffer_sink;

static void put_buffer(sink *k, const char *bytes, size_t n)
{
    buffer_sink *b = (buffer_sink *)k;
    b->total += n;
    if (b->full || b->used + n >= b->cap) {
        b->full = 1;    /* an escape is written whole or not at all */
        return;
    }
    memcpy(b->out + b->used, bytes, n);
    b->used += n;
}

size_t output_escape_line(const char *text, char *out, size_t outlen)
{
    buffer_sink b = { { put_buffer }, out, outlen, 0, 0, 0 };
    escaper x = { .line = 1 };
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        escape_byte(&x, &b.k, *p);
    escape_end(&x, &b.k);
    if (outlen)
        out[b.used] = '\0';
    return b.total;
}

/* ---- the streams ------------------------------------------------------------------------------ */

typedef struct filtered {
    sink k;
    int fd;
    int failed;
    escaper x;
    size_t used;
    char buf[4096];
} filtered;

static void drain(filtered *f)
{
    size_t done = 0;
    while (done < f->used && !f->failed) {
        const ssize_t n = write(f->fd, f->buf + done, f->used - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            f->failed = 1;
        else
            done += (size_t)n;
    }
    f->used = 0;
}

static void put_fd(sink *k, const char *bytes, size_t n)
{
    filtered *f = (filtered *)k;
    if (f->used + n > sizeof f->buf)
        drain(f);
    memcpy(f->buf + f->used, bytes, n);
    f->used += n;
}

static ssize_t filtered_write(void *cookie, const char *bytes, size_t n)
{
    filtered *f = cookie;
    for (size_t i = 0; i < n; i++)
        escape_byte(&f->x, &f->k, (unsigned char)bytes[i]);
    drain(f);
    return f->failed ? 0 : (ssize_t)n;     /* 0: the stream's error flag is set */
}

static int filtered_close(void *cookie)
{
    filtered *f = cookie;
    escape_end(&f->x, &f->k);
    drain(f);
    const int failed = f->failed;
    free(f);
    return failed ? EOF : 0;
}

/* A stream writing to fd through the filter, its state in *keep (LeakSanitizer does not count
 * glibc's list of open streams as a reference, and exit never closes them); NULL when it cannot
 * be made. */
static FILE *filtered_stream(int fd, int mode, void **keep)
{
    filtered *f = calloc(1, sizeof *f);
    *keep = f;
    if (!f)
        return NULL;
    f->k.put = put_fd;
    f->fd = fd;
    const cookie_io_functions_t io = { .write = filtered_write, .close = filtered_close };
    FILE *s = fopencookie(f, "w", io);
    if (!s) {
        free(f);
        *keep = NULL;
        return NULL;
    }
    setvbuf(s, NULL, mode, 0);
    return s;
}

void output_install(output_filters *keep)
{
    fflush(stdout);
    fflush(stderr);
    FILE *out = filtered_stream(STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF,
                                &keep->state[0]);
    FILE *err = filtered_stream(STDERR_FILENO, _IOLBF, &keep->state[1]);
    /* The streams they replace stay open (their descriptors are the ones written to). */
    if (out)
        stdout = out;
    if (err)
        stderr = err;
}

void output_raw_stdout(void)
{
    if (isatty(STDOUT_FILENO) || fileno(stdout) >= 0)
        return;     /* a terminal stays filtered; a plain stream is raw already */
    FILE *raw = fdopen(STDOUT_FILENO, "w");
    if (!raw)
        return;
    fclose(stdout);     /* the filtered stream, flushed; descriptor 1 stays open */
    stdout = raw;
}

int output_fd(FILE *f)
{
    const int fd = fileno(f);
    if (fd >= 0)
        return fd;
    return f == stdout ? STDOUT_FILENO : f == stderr ? STDERR_FILENO : -1;
}

void output_control(FILE *f, const char *seq)
{
    fflush(f);
    const int fd = output_fd(f);
    size_t done = 0, n = strlen(seq);
    while (fd >= 0 && done < n) {
        const ssize_t w = write(fd, seq + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
}
