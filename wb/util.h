/* wb/util.h: the command layer's own helpers: the stop flag, the terminal, "did you mean".
 * (What every layer needs of the operating system is in base/.) */
#ifndef WB_WB_UTIL_H
#define WB_WB_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

/* Set by the SIGINT/SIGTERM handlers to the signal's number; the one global mutable state
 * docs/DESIGN.md allows outside main. Training stops at the next step boundary when it is set. */
extern volatile sig_atomic_t wb_stop_signal;
/* Makes SIGINT and SIGTERM set wb_stop_signal: they are blocked in the calling thread (and so in
 * the threads and processes it starts later) and taken by a thread of their own with sigwait,
 * so they interrupt no computation and no system call; loops that wait poll the flag. */
void wb_install_stop_handlers(void);

/* 1 when stderr is a terminal. */
int wb_stderr_is_tty(void);

/* The likeliest intended name among n candidates, or NULL when none is close: a typo (few edits,
 * case-insensitive) or a shared fragment of 4 or more characters ("lossweight" ->
 * "laplacian_weight"). For "did you mean" hints. */
const char *wb_likeliest(const char *word, const char *const *candidates, size_t n);

/* The width wb's terminal output keeps to unless asked (--wide): lines of text are wrapped and
 * tables laid out to fit it. */
#define WB_OUTPUT_COLUMNS 100
#define WB_STRINGIFY(x) #x
#define WB_TEXT_OF(x) WB_STRINGIFY(x)
#define WB_COLUMNS_TEXT WB_TEXT_OF(WB_OUTPUT_COLUMNS)   /* "100", for usage texts */

/* Prints text (one paragraph; its newlines are kept as line breaks) word-wrapped into lines of at
 * most `columns` characters (UTF-8 characters, not bytes), each following line indented by
 * `indent` spaces; a word longer than a line stands alone. Ends with a newline. */
void wb_print_wrapped(FILE *f, const char *text, int columns, int indent);

#endif
