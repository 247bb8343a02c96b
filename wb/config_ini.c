/* wb/config_ini.c: an INI text (or a --set) into the settings of a configuration: inih with a
 * reader of our own, the values of each key in the order written, the [report] section, and the
 * messages that say where and what went wrong (wb/config.h). */
#include "wb/config_internal.h"
#include "wb/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "base/err.h"
#include "base/fileio.h"
#include "base/text.h"


/* A section the file may have: one of the key table's, or [report]. */
static int known_section(const char *name)
{
    return cfg_section_index(name) >= 0 || strcmp(name, REPORT_SECTION) == 0;
}

/* "[sweep], [data], ..." into buf, and the likeliest section for `word` (may be NULL). */
static const char *list_sections(char *buf, size_t buflen, const char *word)
{
    const char *names[SECTION_COUNT + 1];
    buf[0] = '\0';
    for (int s = 0; s < SECTION_COUNT; s++) {
        names[s] = cfg_section_names[s];
        text_append(buf, buflen, "%s[%s]", s ? ", " : "", cfg_section_names[s]);
    }
    names[SECTION_COUNT] = REPORT_SECTION;
    text_append(buf, buflen, ", [%s]", REPORT_SECTION);
    return word ? wb_likeliest(word, names, SECTION_COUNT + 1) : NULL;
}

static void unknown_section_error(char *err, size_t errlen, const char *where, const char *name)
{
    char list[128], cut[CLIP_BYTES + 4];
    const char *guess = list_sections(list, sizeof list, name);
    fail(err, errlen, "%s: unknown section [%s]; valid sections: %s%s%s%s", where,
            cfg_clip(name, cut), list, guess ? "; did you mean [" : "", guess ? guess : "",
            guess ? "]?" : "");
}

/* Unknown key `name` in section s: lists the section's keys, names the likeliest, or the section
 * the key belongs to when it exists elsewhere. */
static void unknown_key_error(char *err, size_t errlen, const char *where, int s,
                              const char *name, const char *value)
{
    const char *names[KEY_COUNT];
    size_t n = 0;
    char list[512] = "", cut_name[CLIP_BYTES + 4], cut_value[CLIP_BYTES + 4];
    for (int i = 0; i < KEY_COUNT; i++)
        if ((int)cfg_keys[i].section == s) {
            names[n] = cfg_bare_name(&cfg_keys[i]);
            text_append(list, sizeof list, "%s%s", n ? ", " : "", names[n]);
            n++;
        }
    char hint[160] = "";
    for (int other = 0; other < SECTION_COUNT; other++)
        if (other != s && cfg_key_index_in(other, name) >= 0) {
            snprintf(hint, sizeof hint, "; '%s' belongs in [%s]", name, cfg_section_names[other]);
            break;
        }
    const char *guess = wb_likeliest(name, names, n);
    if (!hint[0] && guess)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", guess);
    fail(err, errlen, "%s: [%s] %s = %s: unknown key; valid keys in [%s]: %s%s", where,
            cfg_section_names[s], cfg_clip(name, cut_name), cfg_clip(value, cut_value), cfg_section_names[s],
            list, hint);
}

/* ---- settings: what the file and the --set options say -------------------------------------- */

static void setting_free(const key_def *k, struct key_setting *s)
{
    if (k->type == TYPE_TEXT)
        for (size_t i = 0; i < s->count; i++)
            free(s->values[i].s);
    free(s->values);
    s->values = NULL;
    s->count = 0;
}

void cfg_describe_origin(const config *c, enum origin_kind kind, int line, char *buf,
                            size_t buflen)
{
    if (kind == ORIGIN_FILE)
        snprintf(buf, buflen, "%s:%d", c->source, line);
    else if (kind == ORIGIN_SET)
        snprintf(buf, buflen, "--set:%d", line);
    else
        snprintf(buf, buflen, "default");
}

/* Appends one parsed value to a setting whose values array holds *cap. */
static int push_value(struct key_setting *out, size_t *cap, const struct value *v)
{
    if (out->count == *cap) {
        const size_t more = *cap ? 2 * *cap : 4;
        struct value *grown = realloc(out->values, more * sizeof *grown);
        if (!grown)
            return -1;
        out->values = grown;
        *cap = more;
    }
    out->values[out->count++] = *v;
    return 0;
}

/* An item of an integer key written as a range, "A-B" (digits, '-', digits; blanks around the
 * '-' allowed): every integer from A to B. Returns 0 when text is not written as a range (it is
 * parsed as one value), 1 when it was one: its values appended, or *bad set with why. Ranges
 * exist so that long lists of seeds fit on a line (Debian's inih reads at most 197 characters). */
static int parse_range(const key_def *k, const char *text, struct key_setting *out, size_t *cap,
                       int *bad, char *why, size_t whylen)
{
    const size_t digits = strspn(text, "0123456789");
    const char *dash = text + digits;
    while (cfg_is_blank(*dash))
        dash++;
    if (k->type != TYPE_INT || digits == 0 || *dash != '-')
        return 0;
    *bad = 1;
    char *first = cfg_trimmed_copy(text, (size_t)(dash - text));
    char *last = cfg_trimmed_copy(dash + 1, strlen(dash + 1));
    struct value lo, hi;
    if (!first || !last) {
        snprintf(why, whylen, "out of memory");
    } else if (cfg_parse_value(k, first, &lo, why, whylen) == 0 &&
               cfg_parse_value(k, last, &hi, why, whylen) == 0) {
        if (lo.i > hi.i)
            snprintf(why, whylen, "expected a range from the smaller value to the larger, %s-%s",
                     last, first);
        else if ((unsigned long long)(hi.i - lo.i) >= (unsigned long long)CONFIG_MAX_GRID ||
                 out->count + (size_t)(hi.i - lo.i) >= CONFIG_MAX_GRID)
            snprintf(why, whylen, "expected at most %d values (a range counts each of its values)",
                     CONFIG_MAX_GRID);
        else
            *bad = 0;
        /* Every value is checked as if written out: an even key refuses the odd ones. */
        for (long long v = lo.i; !*bad; v++) {
            char one[32];
            struct value each;
            snprintf(one, sizeof one, "%lld", v);
            if (cfg_parse_value(k, one, &each, why, whylen) != 0)
                *bad = 1;
            else if (push_value(out, cap, &each) != 0)
                *bad = 1, snprintf(why, whylen, "out of memory");
            if (v == hi.i)
                break;
        }
    }
    free(first);
    free(last);
    return 1;
}

/* Parses `raw` (already trimmed) as the value of key k, a comma list unless k is F_NO_LIST or
 * single_only; an item of an integer key may be a range, "1-20". `where` locates it in messages. */
static int parse_setting(const key_def *k, const char *where, const char *raw, int single_only,
                         struct key_setting *out, char *err, size_t errlen)
{
    char cut[CLIP_BYTES + 4], cut_item[CLIP_BYTES + 4], why[256];
    int is_list = !(k->flags & F_NO_LIST) && strchr(raw, ',');
    if (is_list && single_only) {
        fail(err, errlen,
                "%s: [%s] %s = %s: wb run's --set takes one value; a list makes a sweep "
                "(wb sweep FILE --set), or belongs in the INI file", where,
                cfg_section_names[k->section], cfg_bare_name(k), cfg_clip(raw, cut));
        return -1;
    }
    size_t items = 1, cap = 0;
    if (is_list)
        for (const char *p = raw; *p; p++)
            items += *p == ',';
    memset(out, 0, sizeof *out);
    const char *item = raw;
    for (size_t i = 0; i < items; i++) {
        size_t len = is_list ? strcspn(item, ",") : strlen(item);
        char *text = cfg_trimmed_copy(item, len);
        if (!text) {
            fail(err, errlen, "%s: out of memory", where);
            setting_free(k, out);
            return -1;
        }
        int bad = !text[0] && is_list;
        struct value v;
        if (bad)
            snprintf(why, sizeof why, "expected a value in every item; item %zu is empty", i + 1);
        else if (!(k->flags & F_NO_LIST) &&
                 parse_range(k, text, out, &cap, &bad, why, sizeof why))
            ;   /* a range: its values appended, or bad */
        else if (cfg_parse_value(k, text, &v, why, sizeof why))
            bad = 1;
        else if (push_value(out, &cap, &v) != 0)
            bad = 1, snprintf(why, sizeof why, "out of memory");
        if (!bad && single_only && out->count > 1) {
            bad = 1;
            snprintf(why, sizeof why, "--set takes one value; ranges belong in the INI file");
        }
        if (bad) {
            if (is_list && text[0])
                fail(err, errlen, "%s: [%s] %s = %s: item %zu (%s): %s", where,
                        cfg_section_names[k->section], cfg_bare_name(k), cfg_clip(raw, cut), i + 1,
                        cfg_clip(text, cut_item), why);
            else
                fail(err, errlen, "%s: [%s] %s = %s: %s", where, cfg_section_names[k->section],
                        cfg_bare_name(k), cfg_clip(raw, cut), why);
            free(text);
            setting_free(k, out);
            return -1;
        }
        free(text);
        item += len + 1;
    }
    return 0;
}

/* Replaces key i's setting with `fresh`. */
static void replace_setting(config *c, int i, struct key_setting *fresh)
{
    setting_free(&cfg_keys[i], &c->settings[i]);
    c->settings[i] = *fresh;
}

void config_free(config *c)
{
    if (!c)
        return;
    for (int i = 0; i < KEY_COUNT; i++)
        setting_free(&cfg_keys[i], &c->settings[i]);
    free(c->source);
    free(c->default_name);
    free(c->text);
    free(c);
}

const char *config_ini_text(const config *c)
{
    return c->text;
}

/* sweep.name's default: the file's name without its folder and ".ini"; control characters
 * become '?' and it is cut to CONFIG_NAME_MAX_CHARS characters, so that it is always valid. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
        n -= 4;
    char *name = malloc(n + 6);
    if (!name)
        return NULL;
    memcpy(name, base, n);
    name[n] = '\0';
    if (n == 0)
        strcpy(name, "sweep");
    size_t chars = 0;
    for (char *p = name; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > CONFIG_NAME_MAX_CHARS) {
            *p = '\0';
            break;
        }
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    return name;
}


/* A configuration holding every key's default. */
static int cfg_new(const char *source, const char *text, size_t textlen, config **out,
                      char *err, size_t errlen)
{
    config *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->source = strdup(source)) || !(c->default_name = name_from_path(source)) ||
        !(c->text = malloc(textlen + 1))) {
        config_free(c);
        fail(err, errlen, "%s: out of memory", source);
        return -1;
    }
    memcpy(c->text, text, textlen);
    c->text[textlen] = '\0';
    for (int i = 0; i < KEY_COUNT; i++) {
        const key_def *k = &cfg_keys[i];
        const char *def = k->default_text ? k->default_text : c->default_name;
        struct key_setting fresh;
        if (parse_setting(k, "default", def, 0, &fresh, err, errlen)) {
            config_free(c);
            return -1;
        }
        c->settings[i] = fresh;
        if (cfg_check_legacy(k, err, errlen)) {
            config_free(c);
            return -1;
        }
    }
    *out = c;
    return 0;
}

/* ---- reading the INI text through inih ------------------------------------------------------ */

/* Shared by the line reader and the handler: inih calls the reader for a line, then the handler
 * for it, so `line` is the handler's line too. */
struct ini_reading {
    config *c;
    const char *next, *end;     /* the text not yet handed to inih */
    int line;                   /* the line last handed to inih, 1-based */
    int failed;                 /* err holds an error at error_line: stop reading */
    int error_line;
    int report_only;            /* a sweep's stored text: only [report] is read */
    char *err;
    size_t errlen;
};

static void reading_failed(struct ini_reading *r)
{
    r->failed = 1;
    r->error_line = r->line;
}

/* inih's reader: one physical line per call. It refuses a line that does not fit inih's buffer
 * (inih would split it and read the rest as a line of its own), and hands the line without its
 * indentation: with inih's multi-line values on, an indented line would continue the previous
 * value, even an indented `key = value` or `[section]`. Section headers are checked here, so an
 * unknown section with no keys is an error too. */
static char *read_ini_line(char *str, int num, void *stream)
{
    struct ini_reading *r = stream;
    if (r->failed || r->next >= r->end)
        return NULL;
    const char *start = r->next;
    const char *newline = memchr(start, '\n', (size_t)(r->end - start));
    size_t len = (size_t)((newline ? newline : r->end) - start);
    r->next = newline ? newline + 1 : r->end;
    r->line++;
    if (len > 0 && start[len - 1] == '\r')
        len--;
    /* inih's buffer holds the line, "\r\n" and a NUL (ini.h: "3 more than the longest line"). */
    size_t limit = num > 3 ? (size_t)num - 3 : 0;
    if (len > limit) {
        fail(r->err, r->errlen,
                "%s:%d: line longer than %zu characters (the INI reader's limit); a long list of "
                "integers fits as ranges: seeds = 1-100, 200-250",
                r->c->source, r->line, limit);
        reading_failed(r);
        return NULL;
    }
    if (memchr(start, '\0', len)) {
        fail(r->err, r->errlen, "%s:%d: NUL byte in the line: not a text file", r->c->source,
                r->line);
        reading_failed(r);
        return NULL;
    }
    if (r->line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
        start += 3, len -= 3;
    while (len > 0 && cfg_is_blank(*start))
        start++, len--;
    const char *close = len > 0 && *start == '[' ? memchr(start, ']', len) : NULL;
    if (close && !r->report_only) {
        char *name = cfg_trimmed_copy(start + 1, (size_t)(close - start - 1));
        char where[4096 + 32];
        snprintf(where, sizeof where, "%s:%d", r->c->source, r->line);
        if (!name)
            fail(r->err, r->errlen, "%s: out of memory", where);
        else if (!known_section(name))
            unknown_section_error(r->err, r->errlen, where, name);
        int bad = !name || !known_section(name);
        free(name);
        if (bad) {
            reading_failed(r);
            return NULL;
        }
    }
    memcpy(str, start, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

/* ---- the [report] section ---------------------------------------------------------------- */

/* The metric a [report] key `margin.NAME` names: an image metric (those wb compare and the report
 * judge), or -1. */
static int report_margin_metric(const char *name)
{
    if (strncmp(name, "margin.", 7) != 0)
        return -1;
    const int m = metric_find(name + 7);
    return m >= 0 && metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES ? m : -1;
}

/* "margin.psnr, margin.ssim, ...": the keys [report] accepts. */
static void report_keys(char *buf, size_t buflen)
{
    buf[0] = '\0';
    for (int m = 0; m < METRIC_COUNT; m++)
        if (metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES)
            text_append(buf, buflen, "%smargin.%s", buf[0] ? ", " : "",
                   metric_def_of((enum metric_id)m)->name);
}

/* One `name = value` line of [report] at `line`. */
static int report_value(config *c, int line, const char *where, const char *name,
                        const char *value, char *err, size_t errlen)
{
    char cut[CLIP_BYTES + 4], cut_name[CLIP_BYTES + 4], why[256];
    const int m = report_margin_metric(name);
    if (m < 0) {
        char keys[512], names[METRIC_COUNT][64];
        const char *candidates[METRIC_COUNT];
        size_t n = 0;
        report_keys(keys, sizeof keys);
        for (int k = 0; k < METRIC_COUNT; k++)
            if (metric_def_of((enum metric_id)k)->source == METRIC_FROM_IMAGES) {
                snprintf(names[n], sizeof names[n], "margin.%s",
                         metric_def_of((enum metric_id)k)->name);
                candidates[n] = names[n];
                n++;
            }
        const char *guess = wb_likeliest(name, candidates, n);
        fail(err, errlen, "%s: [report] %s = %s: unknown key; valid keys in [report]: %s%s%s%s",
                where, cfg_clip(name, cut_name), cfg_clip(value, cut), keys,
                guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
        return -1;
    }
    if (c->report_margin_line[m]) {
        fail(err, errlen, "%s: [report] %s = %s: duplicate key (first set at line %d)", where,
                name, cfg_clip(value, cut), c->report_margin_line[m]);
        return -1;
    }
    struct value v = {0};
    if (strchr(value, ',')) {
        fail(err, errlen, "%s: [report] %s = %s: one value: [report] says how results are "
                "judged, it is not a sweep axis", where, name, cfg_clip(value, cut));
        return -1;
    }
    if (cfg_parse_value(&cfg_report_margin_def, value, &v, why, sizeof why) != 0) {
        fail(err, errlen, "%s: [report] %s = %s: %s", where, name, cfg_clip(value, cut), why);
        return -1;
    }
    c->report_margin[m] = v.d;
    c->report_margin_line[m] = line;
    return 0;
}

void config_report_of(const config *c, config_report *out)
{
    for (int m = 0; m < METRIC_COUNT; m++) {
        out->from_ini[m] = c->report_margin_line[m] != 0;
        out->margin[m] = out->from_ini[m] ? c->report_margin[m]
                                          : metric_def_of((enum metric_id)m)->delta;
    }
}

static int on_ini_value(void *user, const char *section, const char *name, const char *value)
{
    struct ini_reading *r = user;
    config *c = r->c;
    char where[4096 + 32], cut[CLIP_BYTES + 4], cut_name[CLIP_BYTES + 4];
    snprintf(where, sizeof where, "%s:%d", c->source, r->line);
    char *sec = cfg_trimmed_copy(section, strlen(section));
    if (!sec) {
        fail(r->err, r->errlen, "%s: out of memory", where);
        reading_failed(r);
        return 0;
    }
    int s = cfg_section_index(sec);
    int i = s >= 0 ? cfg_key_index_in(s, name) : -1;
    if (r->report_only && strcmp(sec, REPORT_SECTION) != 0) {
        free(sec);
        return 1;
    }
    if (!sec[0]) {
        char list[128];
        list_sections(list, sizeof list, NULL);
        fail(r->err, r->errlen, "%s: %s = %s: key outside any section; start with one of %s",
                where, cfg_clip(name, cut_name), cfg_clip(value, cut), list);
    } else if (strcmp(sec, REPORT_SECTION) == 0) {
        if (report_value(c, r->line, where, name, value, r->err, r->errlen) == 0) {
            free(sec);
            return 1;
        }
    } else if (s < 0) {
        unknown_section_error(r->err, r->errlen, where, sec);
    } else if (i < 0) {
        unknown_key_error(r->err, r->errlen, where, s, name, value);
    } else if (c->settings[i].origin == ORIGIN_FILE) {
        fail(r->err, r->errlen, "%s: [%s] %s = %s: duplicate key (first set at line %d)",
                where, sec, name, cfg_clip(value, cut), c->settings[i].line);
        i = -1;
    } else {
        struct key_setting fresh;
        if (parse_setting(&cfg_keys[i], where, value, 0, &fresh, r->err, r->errlen) == 0) {
            fresh.origin = ORIGIN_FILE;
            fresh.line = r->line;
            replace_setting(c, i, &fresh);
            free(sec);
            return 1;
        }
    }
    free(sec);
    reading_failed(r);
    return 0;
}

/* Line n (1-based) of text, for quoting a syntax error. */
static void text_line(const char *text, int n, char *buf, size_t buflen)
{
    for (int i = 1; i < n && text; i++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!text)
        text = "";
    size_t len = strcspn(text, "\r\n");
    char *line = cfg_trimmed_copy(text, len);
    snprintf(buf, buflen, "%s", line ? line : "");
    free(line);
}

static int parse_text(const char *source, const char *text, size_t textlen, int report_only,
                      config **out, char *err, size_t errlen)
{
    config *c;
    if (cfg_new(source, text, textlen, &c, err, errlen))
        return -1;
    struct ini_reading r = {.c = c, .next = c->text, .end = c->text + textlen,
                            .report_only = report_only, .err = err, .errlen = errlen};
    int rc = ini_parse_stream(read_ini_line, &r, on_ini_value, &r);
    /* inih reports its own syntax errors only at the end, as the first error's line: it wins if
     * it comes before ours. */
    if (rc > 0 && (!r.failed || rc < r.error_line)) {
        char line[256], cut[CLIP_BYTES + 4];
        text_line(c->text, rc, line, sizeof line);
        fail(err, errlen, "%s:%d: %s: expected [section], key = value or a comment", source,
                rc, cfg_clip(line, cut));
        r.failed = 1;
    } else if (rc < 0 && !r.failed) {
        fail(err, errlen, "%s: out of memory", source);
        r.failed = 1;
    }
    if (r.failed) {
        config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int config_parse_string(const char *text, const char *name, config **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    size_t len = strlen(text);
    if (len > CONFIG_MAX_FILE_BYTES) {
        fail(err, errlen, "%s: larger than %d bytes: not a configuration file", name,
                CONFIG_MAX_FILE_BYTES);
        return -1;
    }
    return parse_text(name, text, len, 0, out, err, errlen);
}

int config_report_parse(const char *ini_text, const char *name, config_report *out, char *err,
                        size_t errlen)
{
    const char *text = ini_text ? ini_text : "";
    const size_t len = strlen(text);
    config *c = NULL;
    if (len > CONFIG_MAX_FILE_BYTES) {
        fail(err, errlen, "%s: larger than %d bytes: not a configuration file", name,
                CONFIG_MAX_FILE_BYTES);
        return -1;
    }
    if (parse_text(name, text, len, 1, &c, err, errlen) != 0)
        return -1;
    config_report_of(c, out);
    config_free(c);
    return 0;
}

int config_parse_file(const char *path, config **out, char *err, size_t errlen)
{
    *out = NULL;
    unsigned char *text;
    size_t len;
    /* A regular file only, never waited on (a FIFO named x.ini), and no larger than an INI. */
    if (file_read_max(path, CONFIG_MAX_FILE_BYTES, &text, &len, err, errlen) != 0) {
        if (strstr(err, ": larger than "))
            fail(err, errlen, "%s: larger than %d bytes: not a configuration file", path,
                 CONFIG_MAX_FILE_BYTES);
        return -1;
    }
    const int rc = parse_text(path, (char *)text, len, 0, out, err, errlen);
    free(text);
    return rc;
}

/* ---- --set ------------------------------------------------------------------------------- */

static int set_value(config *c, const char *assignment, int position, int single_only, char *err,
                     size_t errlen);

int config_set(config *c, const char *assignment, int position, char *err, size_t errlen)
{
    return set_value(c, assignment, position, 1, err, errlen);
}

int config_set_list(config *c, const char *assignment, int position, char *err, size_t errlen)
{
    return set_value(c, assignment, position, 0, err, errlen);
}

static int set_value(config *c, const char *assignment, int position, int single_only, char *err,
                     size_t errlen)
{
    char where[32], cut[CLIP_BYTES + 4];
    snprintf(where, sizeof where, "--set:%d", position);
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        fail(err, errlen, "%s: expected section.key=value, got '%s'", where,
                cfg_clip(assignment, cut));
        return -1;
    }
    char *key = cfg_trimmed_copy(assignment, (size_t)(eq - assignment));
    char *value = cfg_trimmed_copy(eq + 1, strlen(eq + 1));
    int rc = -1;
    if (!key || !value) {
        fail(err, errlen, "%s: out of memory", where);
        goto done;
    }
    char *dot = strchr(key, '.');
    if (!dot) {
        const char *keys[KEY_COUNT];
        for (int i = 0; i < KEY_COUNT; i++)
            keys[i] = cfg_keys[i].key;
        const char *home = NULL;
        for (int s = 0; s < SECTION_COUNT && !home; s++)
            if (cfg_key_index_in(s, key) >= 0)
                home = cfg_keys[cfg_key_index_in(s, key)].key;
        const char *guess = home ? home : wb_likeliest(key, keys, KEY_COUNT);
        fail(err, errlen, "%s: expected section.key=value; '%s' has no section%s%s%s", where,
                cfg_clip(key, cut), guess ? " (did you mean '" : "", guess ? guess : "",
                guess ? "'?)" : "");
        goto done;
    }
    *dot = '\0';
    int s = cfg_section_index(key);
    int i = s >= 0 ? cfg_key_index_in(s, dot + 1) : -1;
    if (strcmp(key, REPORT_SECTION) == 0) {
        fail(err, errlen, "%s: [report] %s: --set sets a run's keys; [report] says how a "
                "sweep's results are judged and belongs in the INI file, fixed before the sweep",
                where, cfg_clip(dot + 1, cut));
    } else if (s < 0) {
        unknown_section_error(err, errlen, where, key);
    } else if (i < 0) {
        unknown_key_error(err, errlen, where, s, dot + 1, value);
    } else {
        struct key_setting fresh;
        if (parse_setting(&cfg_keys[i], where, value, single_only, &fresh, err, errlen) == 0) {
            fresh.origin = ORIGIN_SET;
            fresh.line = position;
            replace_setting(c, i, &fresh);
            rc = 0;
        }
    }
done:
    free(key);
    free(value);
    return rc;
}

