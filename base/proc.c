/* base/proc.c: see proc.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "base/proc.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int proc_gone(long pid)
{
    if (pid <= 0 || pid != (pid_t)pid)
        return 0;
    if (kill((pid_t)pid, 0) == -1)
        return errno == ESRCH;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    const size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')', since comm may hold one. */
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

int proc_cpu_count(void)
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

void proc_hostname(char *out, size_t len)
{
    if (gethostname(out, len) != 0 || !out[0])
        snprintf(out, len, "unknown");
    out[len - 1] = '\0';
}

int proc_self_exe(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}
