/* serve/json.c: the JSON writer of json.h. */
#include "serve/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when the bytes there are not
 * one (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_length(const unsigned char *s)
{
    const unsigned char c = s[0];
    size_t n;
    unsigned int cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;   /* also stops at the terminating NUL */
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_escape(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', f);
    while (*s) {
        const unsigned char c = *s;
        const size_t n = utf8_length(s);
        if (n == 0) {
            fputs("\\ufffd", f);
            s++;
            continue;
        }
        if (n == 3 && c == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
            fprintf(f, "\\u%04x", s[2] == 0xa8 ? 0x2028 : 0x2029);
        } else if (n > 1) {
            fwrite(s, 1, n, f);
        } else if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
        s += n;
    }
    fputc('"', f);
}

int json_open(json *j)
{
    memset(j, 0, sizeof *j);
    j->f = open_memstream(&j->buf, &j->len);
    return j->f ? 0 : -1;
}

int json_close(json *j, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    if (!j->f)
        return -1;
    const int failed = j->failed || j->depth != 0 || ferror(j->f);
    if (fclose(j->f) != 0 || failed) {
        free(j->buf);
        return -1;
    }
    *text = j->buf;
    *len = j->len;
    return 0;
}

/* Before a value: the comma that separates it from the previous one. */
static void before_value(json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0 && j->has_items[j->depth - 1])
        fputc(',', j->f);
    if (j->depth > 0)
        j->has_items[j->depth - 1] = 1;
}

static void open_container(json *j, char c)
{
    before_value(j);
    if (j->depth >= JSON_MAX_DEPTH) {
        j->failed = 1;
        return;
    }
    fputc(c, j->f);
    j->has_items[j->depth++] = 0;
}

static void close_container(json *j, char c)
{
    if (j->depth == 0) {
        j->failed = 1;
        return;
    }
    j->depth--;
    fputc(c, j->f);
}

void json_object(json *j)
{
    open_container(j, '{');
}

void json_object_end(json *j)
{
    close_container(j, '}');
}

void json_array(json *j)
{
    open_container(j, '[');
}

void json_array_end(json *j)
{
    close_container(j, ']');
}

void json_key(json *j, const char *key)
{
    before_value(j);
    json_escape(j->f, key);
    fputc(':', j->f);
    j->after_key = 1;
}

void json_string(json *j, const char *s)
{
    before_value(j);
    if (s)
        json_escape(j->f, s);
    else
        fputs("null", j->f);
}

void json_number(json *j, double v)
{
    before_value(j);
    if (!isfinite(v)) {
        fputs("null", j->f);
        return;
    }
    /* 15 significant digits say most values exactly and shortly; 17 always do. */
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) != v)
        snprintf(text, sizeof text, "%.17g", v);
    fputs(text, j->f);
}

void json_int(json *j, int64_t v)
{
    before_value(j);
    fprintf(j->f, "%" PRId64, v);
}

void json_bool(json *j, int v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json *j)
{
    before_value(j);
    fputs("null", j->f);
}

void json_member_string(json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void json_member_number(json *j, const char *key, double v)
{
    json_key(j, key);
    json_number(j, v);
}

void json_member_int(json *j, const char *key, int64_t v)
{
    json_key(j, key);
    json_int(j, v);
}
