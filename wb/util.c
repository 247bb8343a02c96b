/* wb/util.c: operating-system helpers of the command layer. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "wb/util.h"

#include "data/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t wb_stop_signal = 0;

static void on_stop_signal(int sig)
{
    wb_stop_signal = sig;
}

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

/* Takes SIGINT and SIGTERM synchronously, so that no handler ever interrupts a training thread. */
static void *signal_thread(void *arg)
{
    (void)arg;
    sigset_t set;
    stop_signals(&set);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) == 0)
            wb_stop_signal = sig;
    }
    return NULL;
}

/* Why a thread: a handler that interrupted oneDNN's JIT GEMM kernels made the interrupted
 * process crash (SIGFPE, SIGABRT) or hang in libgomp about one time in three (AVX-512 machine;
 * tests/cli_signals.sh). With the signals blocked in every thread but one that waits for them
 * with sigwait, no computation is ever interrupted; threads started later (OpenMP's, the
 * workers through posix_spawn) inherit the mask. The handler stays as a fallback for a thread
 * that existed before this call with the signals unblocked, and for when no thread can start. */
void wb_install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    sigset_t set, old;
    stop_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pthread_attr_t attr;
    pthread_t tid;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        rc = pthread_create(&tid, &attr, signal_thread, NULL);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int wb_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void wb_hostname(char *out, size_t len)
{
    if (gethostname(out, len) != 0 || !out[0])
        snprintf(out, len, "unknown");
    out[len - 1] = '\0';
}

int wb_mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "%.200s...: path too long", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        const int end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", buf, strerror(errno));
                return -1;
            }
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s is not a folder", buf);
                return -1;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    return 0;
}

int wb_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

int wb_self_exe(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}

/* ---- suggestions for unknown names -------------------------------------------------------- */

#define SUGGEST_MAX 64

static int lower(int ch)
{
    return tolower((unsigned char)ch);
}

/* Edits (insert, delete, substitute, swap two neighbours) from a to b, case-insensitively:
 * "trian" is one edit from "train". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strnlen(a, SUGGEST_MAX), nb = strnlen(b, SUGGEST_MAX);
    size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (lower(a[i - 1]) != lower(b[j - 1]));
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

static size_t longest_common_substring(const char *a, const char *b)
{
    size_t na = strnlen(a, SUGGEST_MAX), nb = strnlen(b, SUGGEST_MAX), best = 0;
    size_t prev[SUGGEST_MAX + 1] = {0}, cur[SUGGEST_MAX + 1];
    for (size_t i = 1; i <= na; i++) {
        cur[0] = 0;
        for (size_t j = 1; j <= nb; j++) {
            cur[j] = lower(a[i - 1]) == lower(b[j - 1]) ? prev[j - 1] + 1 : 0;
            if (cur[j] > best)
                best = cur[j];
        }
        memcpy(prev, cur, sizeof cur);
    }
    return best;
}

/* The likeliest intended name among n candidates, or NULL when none is close: a typo (few edits)
 * or a shared fragment of 4 or more characters ("lossweight" -> "laplacian_weight"). */
const char *wb_likeliest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    long best_score = LONG_MAX;
    size_t wlen = strnlen(word, SUGGEST_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, candidates[i]);
        size_t common = longest_common_substring(word, candidates[i]);
        size_t typo_budget = wlen / 3 > 1 ? wlen / 3 : 1;
        if (d > typo_budget && common < 4)
            continue;
        long score = (long)d - 2 * (long)common;
        if (score < best_score) {
            best_score = score;
            best = candidates[i];
        }
    }
    return best;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int wb_remove_tree(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0 && errno == ENOENT)
        return 0;
    /* FTW_DEPTH: a folder after its contents; FTW_PHYS: links are entries, never followed. */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
