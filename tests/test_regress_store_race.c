/* tests/test_regress_store_race.c: processes that create the same database at the same moment.
 *
 * The bug (tests/cli_resume.sh, two sweeps started together on a new database, about one time in
 * five under AddressSanitizer): one sweep failed at once with "switching to WAL: the database is
 * locked by another process (gave up after 30 s)". Changing the journal mode needs an exclusive
 * lock, and SQLite returns SQLITE_BUSY for it without calling the busy handler, so the busy
 * timeout never applied. Now store_open retries the switch for as long as the busy timeout.
 * Here several processes open one new database together, many times: all must succeed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "support/tempdir.h"

#define ROUNDS 40
#define PROCS 4

static void test_concurrent_creation(void **state)
{
    tempdir_fixture *f = *state;
    int failures = 0;
    char first_error[1024] = "";
    for (int round = 0; round < ROUNDS; round++) {
        char name[64], db[4096];
        snprintf(name, sizeof name, "race%d.db", round);
        tempdir_join(db, f->dir, name);
        int go[2], report[2];
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(report), 0);
        pid_t pids[PROCS];
        for (int p = 0; p < PROCS; p++) {
            pids[p] = fork();
            assert_true(pids[p] >= 0);
            if (pids[p] == 0) {
                char c, err[1000] = "";
                close(go[1]);
                if (read(go[0], &c, 1) < 0)   /* every child starts at the same moment */
                    _exit(2);
                store *s;
                int rc = store_open(db, STORE_OPEN_CREATE, &s, err, sizeof err);
                if (rc == 0)
                    store_close(s);
                else if (write(report[1], err, strlen(err) + 1) < 0)
                    _exit(3);
                _exit(rc == 0 ? 0 : 1);
            }
        }
        close(go[0]);
        close(report[1]);
        close(go[1]);   /* EOF wakes them all */
        for (int p = 0; p < PROCS; p++) {
            int st;
            waitpid(pids[p], &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                failures++;
        }
        if (failures && !first_error[0]) {
            ssize_t n = read(report[0], first_error, sizeof first_error - 1);
            first_error[n > 0 ? n : 0] = '\0';
        }
        close(report[0]);
    }
    if (failures)
        fail_msg("%d of %d opens failed; the first: %s", failures, ROUNDS * PROCS, first_error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_creation, tempdir_setup, tempdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
