/* plots/gnuplot.c: see gnuplot.h. */
/* posix_spawn_file_actions_addchdir_np (glibc 2.29+): gnuplot must start in the script's folder,
 * and without fork there is no other place to change it. */
#define _GNU_SOURCE
#include "plots/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int gnuplot_run(const char *dir, const char *script, const char *log_path, int *not_found,
                char *err, size_t errlen)
{
    if (not_found)
        *not_found = 0;
    /* The log must be openable before gnuplot starts: a spawn whose file action fails reports
     * only "exit 127", which would read like a missing gnuplot. */
    int probe = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (probe < 0) {
        snprintf(err, errlen, "%s: %s", log_path, strerror(errno));
        return -1;
    }
    close(probe);
    /* A missing folder would fail the spawn with ENOENT too, and read as a missing gnuplot. */
    if (access(dir, X_OK) != 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }

    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        snprintf(err, errlen, "gnuplot: out of memory");
        return -1;
    }
    /* In order: the log is opened relative to our folder, then gnuplot moves to the script's. */
    int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND,
                                              0666);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (rc == 0)
        rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
    pid_t pid = 0;
    char *argv[] = { "gnuplot", (char *)script, NULL };
    if (rc == 0)
        rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT) {
        if (not_found)
            *not_found = 1;
        snprintf(err, errlen, "gnuplot not found on PATH (install gnuplot-nox); the scripts are "
                              "in %s", dir);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot start gnuplot for %s/%s: %s", dir, script, strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        snprintf(err, errlen, "gnuplot %s exited with status %d (see %s)", script,
                 WEXITSTATUS(status), log_path);
    else
        snprintf(err, errlen, "gnuplot %s was killed by signal %d (see %s)", script,
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0, log_path);
    return -1;
}
