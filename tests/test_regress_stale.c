/* tests/test_regress_stale.c: regressions of stale-run detection found by the kill storm
 * (tests/cli_faults.sh).
 *
 * A worker SIGKILLed together with its coordinator is reparented to init and stays a zombie until
 * init reaps it: seconds in a container, forever under an init that never reaps. kill(pid, 0)
 * succeeds on a zombie, so its `running` run was not seen as stale and the next sweep ended with
 * that run still `running` (exit 1). A zombie owner now counts as gone; and a worker with nothing
 * left to claim waits for the sweep's runs still running elsewhere (store_sweep_running says
 * how many) instead of ending the sweep with them unfinished. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "support/tempdir.h"

static void add_claimed_run(store *s, int64_t *sweep_id, int64_t *run_id, int64_t owner_pid)
{
    char err[1024] = "";
    const store_sweep_info sweep = { "zombie", "[sweep]\n", "zombie.ini", "", NULL, "test", "x", 0 };
    assert_int_equal(store_upsert_sweep(s, &sweep, sweep_id, err, sizeof err), 0);
    const store_param params[] = { { "seed", "1" } };
    const store_run_spec spec = {
        .config_hash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        .config_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        .seed = 1, .grid_index = 0, .config_json = "{}", .params = params, .nparams = 1,
        .data_source = "builtin" };
    int created;
    if (store_add_run(s, *sweep_id, &spec, run_id, &created, err, sizeof err) != 0)
        fail_msg("store_add_run: %s", err);
    char host[256];
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    const store_claim_info ci = { owner_pid, host, 1, "test", "test", "test" };
    int claimed;
    assert_int_equal(store_claim_run(s, *run_id, &ci, &claimed, err, sizeof err), 0);
    assert_int_equal(claimed, 1);
}

/* A child that has exited and is not reaped: a zombie until waitpid. */
static pid_t zombie(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
        if (f)
            fclose(f);
        stat[n] = '\0';
        const char *p = strrchr(stat, ')');
        if (p && p[1] == ' ' && p[2] == 'Z')
            return pid;
        usleep(10000);
    }
    fail_msg("child %d never became a zombie", (int)pid);
    return -1;
}

/* A new database in the test's scratch folder. */
static store *open_store(tempdir_fixture *f)
{
    char err[1024] = "", db[4096];
    store *s = NULL;
    if (store_open(tempdir_join(db, f->dir, "wb.db"), STORE_OPEN_CREATE, &s, err, sizeof err) != 0)
        fail_msg("%s", err);
    return s;
}

static void test_zombie_owner_is_stale(void **state)
{
    char err[1024] = "";
    store *s = open_store(*state);
    const pid_t z = zombie();
    int64_t sweep_id, run_id;
    add_claimed_run(s, &sweep_id, &run_id, z);

    int running = -1;
    assert_int_equal(store_sweep_running(s, sweep_id, 0, 0, &running, err, sizeof err), 0);
    assert_int_equal(running, 1);
    /* The run's shard only: grid index 0 is in shard 0/2, not in 1/2. */
    assert_int_equal(store_sweep_running(s, sweep_id, 1, 2, &running, err, sizeof err), 0);
    assert_int_equal(running, 0);

    int marked = -1;
    assert_int_equal(store_mark_stale(s, &marked, err, sizeof err), 0);
    assert_int_equal(marked, 1);
    store_run_info info;
    assert_int_equal(store_get_run(s, run_id, &info, err, sizeof err), 0);
    assert_int_equal(info.status, STORE_INTERRUPTED);
    assert_non_null(strstr(info.error, "is gone"));
    assert_int_equal(store_sweep_running(s, sweep_id, 0, 0, &running, err, sizeof err), 0);
    assert_int_equal(running, 0);
    waitpid(z, NULL, 0);
    store_close(s);
}

/* A live owner (this process) is not stale: the zombie rule must not catch the living. */
static void test_live_owner_stays(void **state)
{
    char err[1024] = "";
    store *s = open_store(*state);
    int64_t sweep_id, run_id;
    add_claimed_run(s, &sweep_id, &run_id, getpid());
    int marked = -1;
    assert_int_equal(store_mark_stale(s, &marked, err, sizeof err), 0);
    assert_int_equal(marked, 0);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zombie_owner_is_stale, tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(test_live_owner_stays, tempdir_setup, tempdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
