/* wb/util.h: small operating-system helpers of the command layer. */
#ifndef WB_WB_UTIL_H
#define WB_WB_UTIL_H

#include <signal.h>
#include <stddef.h>

/* Set by the SIGINT/SIGTERM handlers to the signal's number; the one global mutable state
 * docs/DESIGN.md allows outside main. Training stops at the next step boundary when it is set. */
extern volatile sig_atomic_t wb_stop_signal;
/* Makes SIGINT and SIGTERM set wb_stop_signal: they are blocked in the calling thread (and so in
 * the threads and processes it starts later) and taken by a thread of their own with sigwait,
 * so they interrupt no computation and no system call; loops that wait poll the flag. */
void wb_install_stop_handlers(void);

/* CPUs this process may run on (its affinity mask: what SLURM or taskset granted). */
int wb_cpu_count(void);
/* This machine's host name, "unknown" when it cannot be read. */
void wb_hostname(char *out, size_t len);
/* Creates a folder and its parents (mkdir -p). Returns 0 or -1 with err set. */
int wb_mkdirs(const char *path, char *err, size_t errlen);
/* 1 when stderr is a terminal. */
int wb_stderr_is_tty(void);
/* The running executable, for spawning workers (/proc/self/exe resolved). */
int wb_self_exe(char *out, size_t len);
/* Removes a folder and everything in it (rm -r), without following symbolic links: a link is
 * removed, not what it points to. A folder that does not exist is not an error. Returns 0 or -1
 * with err naming the path that could not be removed. */
int wb_remove_tree(const char *path, char *err, size_t errlen);

/* The likeliest intended name among n candidates, or NULL when none is close: a typo (few edits,
 * case-insensitive) or a shared fragment of 4 or more characters ("lossweight" ->
 * "laplacian_weight"). For "did you mean" hints. */
const char *wb_likeliest(const char *word, const char *const *candidates, size_t n);

#endif
