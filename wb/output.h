/* wb/output.h: the one filter between wb and a person's terminal.
 *
 * Text wb prints may come from a database or a file (sweep and run names, errors, hosts, notes,
 * tags, paths, values): a merged shard or a hand-edited database can put anything there, and a
 * control character reaching a terminal acts (ESC ] 0;TEXT BEL retitles the window, ESC [2J
 * clears it, CR overwrites a line). output_install puts the filter under stdout and stderr for
 * the whole command, so that no print can miss it: every control character but newline and tab
 * (and the CR of a CRLF line end) is shown escaped, as \xHH (C1 controls, U+0080-U+009F, as
 * \u00HH; bytes that are not UTF-8 as \xHH). wb's own control sequences (the live progress
 * lines) go through output_control.
 *
 * Machine formats are data: `--csv` output written to a file or a pipe passes unchanged
 * (output_raw_stdout); on a terminal it is filtered too. JSON needs nothing: it escapes control
 * characters itself. */
#ifndef WB_WB_OUTPUT_H
#define WB_WB_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* The filters' state, kept by main (a static there): it must live, and stay reachable, until
 * exit has flushed the streams, which happens after main returns and never frees it. */
typedef struct output_filters {
    void *state[2];         /* stdout's and stderr's; NULL where no filter was made */
} output_filters;

/* Replaces stdout and stderr by filtered streams writing to file descriptors 1 and 2 (stdout
 * line-buffered on a terminal, else fully; stderr unbuffered), their state in *keep. Call once,
 * first thing in main. */
void output_install(output_filters *keep);

/* From now on, stdout passes bytes unchanged when it is not a terminal (CSV for a program). */
void output_raw_stdout(void);

/* Writes wb's own control sequence seq to stream f (stdout or stderr) unfiltered, after what f
 * holds. */
void output_control(FILE *f, const char *seq);

/* The file descriptor under f (stdout, stderr or a plain stream), for ioctl and isatty. */
int output_fd(FILE *f);

/* Escapes text for one line: every control character, newline and tab included, as the filter
 * shows it, and bytes that are not UTF-8. Writes at most outlen bytes (always terminated; a cut
 * never splits an escape) and returns the length of the whole escaped text (as snprintf). */
size_t output_escape_line(const char *text, char *out, size_t outlen);

#endif
