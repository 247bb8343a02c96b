/* serve/json.h: JSON text written as it goes (no tree), for the bodies of wb serve's /api routes.
 *
 * Strings are escaped so that the text means only itself wherever it lands: quotes, backslashes
 * and control characters as JSON requires, and also < > & (as \u003c \u003e \u0026) and U+2028,
 * U+2029, so that no string from the database can close a tag or a script even if the text were
 * ever put into HTML; bytes that are not UTF-8 become U+FFFD. Numbers that are not finite are
 * written as null. */
#ifndef WB_SERVE_JSON_H
#define WB_SERVE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

typedef struct json {
    FILE *f;
    char *buf;
    size_t len;
    int depth;
    int after_key;                      /* a key was written: its value needs no comma */
    unsigned char has_items[JSON_MAX_DEPTH];
    int failed;                         /* out of memory, or nesting deeper than the limit */
} json;

/* Starts a text in memory. Returns 0 or -1 (memory). */
int json_open(json *j);
/* Ends it: *text (malloc'ed, NUL-terminated) and *len, or -1 when anything failed (nothing is
 * returned then). */
int json_close(json *j, char **text, size_t *len);

void json_object(json *j);
void json_object_end(json *j);
void json_array(json *j);
void json_array_end(json *j);
/* The key of the next member of an object. */
void json_key(json *j, const char *key);
/* A string; NULL writes null. */
void json_string(json *j, const char *s);
/* The shortest text that reads back as the same double; null when not finite. */
void json_number(json *j, double v);
void json_int(json *j, int64_t v);
void json_bool(json *j, int v);
void json_null(json *j);

/* Shorthands for a member: json_key then the value. */
void json_member_string(json *j, const char *key, const char *s);
void json_member_number(json *j, const char *key, double v);
void json_member_int(json *j, const char *key, int64_t v);

/* A JSON string literal of s (quotes included) written to f, escaped as above. */
void json_escape(FILE *f, const char *s);

#endif
