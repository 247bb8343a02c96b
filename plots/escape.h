/* plots/escape.h: strings from the INI file or the database, written into HTML, Markdown and
 * gnuplot scripts as text that means only itself.
 *
 * A sweep may be named `a'b"c $(rm x) system("x") <script>`: in a gnuplot double-quoted string
 * backquotes run a shell command, in HTML <script> runs, in Markdown `|` splits a table cell. Every
 * string that did not come from wb's own code goes through one of these functions on its way out.
 * Control characters (newlines included) become spaces everywhere: a newline would end a gnuplot
 * command or a Markdown table row and start a new one. */
#ifndef WB_PLOTS_ESCAPE_H
#define WB_PLOTS_ESCAPE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* HTML text and attribute values: & < > " ' as entities. */
void escape_html(FILE *f, const char *s);

/* Markdown text (CommonMark, GitHub tables): ASCII punctuation that can start markup
 * (\ ` * _ [ ] < > | # ~ & $ !) is backslash-escaped. */
void escape_markdown(FILE *f, const char *s);

/* A gnuplot string expression, quotes included: single-quoted pieces (where gnuplot expands
 * nothing: no backquotes, no backslash escapes, no @ macros) joined by '.' with double-quoted runs
 * of quotes, since gnuplot cannot parse every doubled quote: it's -> 'it'."'".'s'. Text without
 * quotes stays one single-quoted literal. */
void escape_gnuplot(FILE *f, const char *s);

/* One shell word that a POSIX shell (bash, zsh, dash) reads back as s, for commands wb suggests
 * to be pasted: s itself when it holds only letters, digits and _ - . / + , : = @ % (not
 * beginning with =), else
 * single-quoted with each ' as '\''; text holding control characters (which a terminal would
 * obey) is bash's $'...' with them as \xNN. */
void escape_shell(FILE *f, const char *s);

/* printf, then `escape` on the result: for text that mixes wb's words with database strings.
 * (Should memory run out, the text is cut at 4095 bytes rather than lost.) */
void escape_format(FILE *f, void (*escape)(FILE *, const char *), const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void escape_vformat(FILE *f, void (*escape)(FILE *, const char *), const char *fmt, va_list ap);

/* The escaped text as a malloc'ed string (for tests and for building cells); NULL when memory runs
 * out. */
char *escape_to_string(void (*escape)(FILE *, const char *), const char *s);

/* A name usable as one path component: letters, digits, '-', '_' and '.' are kept, every other
 * byte becomes '_', a leading '.' too (no "..", no hidden folder); empty input gives "_". At most
 * outlen - 1 bytes are written. */
void escape_file_name(const char *s, char *out, size_t outlen);

#endif
