/* plots/escape.c: see escape.h. */
#include "plots/escape.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

void escape_html(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(is_control(*p) ? ' ' : *p, f); break;
        }
    }
}

void escape_markdown(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_control(*p))
            fputc(' ', f);
        else if (strchr("\\`*_[]<>|#~&$!", *p))
            fprintf(f, "\\%c", *p);
        else
            fputc(*p, f);
    }
}

void escape_gnuplot(FILE *f, const char *s)
{
    /* gnuplot's tokenizer does not take a doubled quote next to the opening quote or next to
     * another doubled quote ('''quoted'' sweep' and 'it''''s' are syntax errors), so quotes are
     * not doubled: the text is a concatenation of single-quoted pieces without quotes and
     * double-quoted runs of quotes ("'" holds no backslash and no backquote: nothing in it is
     * expanded). */
    const unsigned char *p = (const unsigned char *)s;
    if (!*p) {
        fputs("''", f);
        return;
    }
    for (int first = 1; *p; first = 0) {
        if (!first)
            fputc('.', f);
        const int quotes = *p == '\'';
        fputc(quotes ? '"' : '\'', f);
        for (; *p && (*p == '\'') == quotes; p++)
            fputc(is_control(*p) ? ' ' : *p, f);
        fputc(quotes ? '"' : '\'', f);
    }
}

void escape_shell(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int plain = *p != '\0', control = 0;
    for (; *p; p++) {
        plain &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 strchr("_-./+,:=@%", *p) != NULL;
        control |= is_control(*p);
    }
    if (plain && s[0] != '=') {   /* zsh expands a word that begins with = */
        fputs(s, f);
        return;
    }
    fputs(control ? "$'" : "'", f);
    for (p = (const unsigned char *)s; *p; p++) {
        if (control && is_control(*p))
            fprintf(f, "\\x%02x", *p);
        else if (control && (*p == '\\' || *p == '\''))
            fprintf(f, "\\%c", *p);
        else if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    }
    fputc('\'', f);
}

void escape_vformat(FILE *f, void (*escape)(FILE *, const char *), const char *fmt, va_list ap)
{
    char small[4096];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *text = n >= (int)sizeof small ? malloc((size_t)n + 1) : NULL;
    if (text)
        vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    escape(f, text ? text : small);
    free(text);
}

void escape_format(FILE *f, void (*escape)(FILE *, const char *), const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    escape_vformat(f, escape, fmt, ap);
    va_end(ap);
}

char *escape_to_string(void (*escape)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    escape(f, s);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void escape_file_name(const char *s, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 1 < outlen; p++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || (*p == '.' && n > 0);
        out[n++] = keep ? (char)*p : '_';
    }
    if (n == 0 && outlen > 1)
        out[n++] = '_';
    out[n] = '\0';
}
