/* wb/util.c: see util.h. */
#include "wb/util.h"

#include <ctype.h>
#include <stdio.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
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

int wb_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
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

/* Characters (UTF-8 sequences) in the n bytes at s. */
static int utf8_chars(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

void wb_print_wrapped(FILE *f, const char *text, int columns, int indent)
{
    int used = 0, fresh = 1;    /* characters on the line; whether it holds no word yet */
    for (const char *p = text; *p;) {
        if (*p == ' ') {
            p++;
        } else if (*p == '\n') {
            fprintf(f, "\n%*s", indent, "");
            used = indent;
            fresh = 1;
            p++;
        } else {
            const size_t len = strcspn(p, " \n");
            const int width = utf8_chars(p, len);
            if (!fresh && used + 1 + width > columns) {
                fprintf(f, "\n%*s", indent, "");
                used = indent;
                fresh = 1;
            }
            if (!fresh) {
                fputc(' ', f);
                used++;
            }
            fwrite(p, 1, len, f);
            used += width;
            fresh = 0;
            p += len;
        }
    }
    fputc('\n', f);
}
