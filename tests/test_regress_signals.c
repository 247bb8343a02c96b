/* tests/test_regress_signals.c: the stop signals interrupt no computation.
 *
 * The bug: SIGINT and SIGTERM ran a handler on whichever thread the kernel picked, in the middle
 * of oneDNN's JIT GEMM kernels; about one signal in three then made `wb run` or a worker die of
 * SIGFPE or SIGABRT, or hang in libgomp, instead of exiting 130/143 with its run interrupted
 * (tests/cli_signals.sh shows it end to end). Now wb_install_stop_handlers blocks both signals in
 * the calling thread, so in every thread it starts later (OpenMP's included), and a thread of its
 * own takes them with sigwait and sets wb_stop_signal. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <omp.h>
#include <pthread.h>

#include "wb/util.h"

static int blocked_here(void)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGINT) == 1 && sigismember(&cur, SIGTERM) == 1;
}

static int wait_for_flag(int sig)
{
    for (int i = 0; i < 200 && wb_stop_signal != sig; i++)
        usleep(10000);
    return wb_stop_signal == sig;
}

static void test_signals_go_to_their_own_thread(void **state)
{
    (void)state;
    wb_install_stop_handlers();
    assert_true(blocked_here());

    /* Every OpenMP thread, started after the call, has them blocked too. */
    int unblocked = 0;
#pragma omp parallel num_threads(4) reduction(+ : unblocked)
    unblocked += !blocked_here();
    assert_int_equal(unblocked, 0);

    /* A process-directed signal still reaches the flag, through the signal thread. */
    wb_stop_signal = 0;
    assert_int_equal(kill(getpid(), SIGTERM), 0);
    assert_true(wait_for_flag(SIGTERM));
    assert_int_equal(kill(getpid(), SIGINT), 0);
    assert_true(wait_for_flag(SIGINT));
    wb_stop_signal = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signals_go_to_their_own_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
