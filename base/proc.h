/* base/proc.h: this process and its machine, for every layer: whether a process of this host
 * has ended (stale runs, stale temporary files), the host's name (claims, temporary names), the
 * CPUs this process may use and its own executable (workers). */
#ifndef WB_BASE_PROC_H
#define WB_BASE_PROC_H

#include <stddef.h>

/* Whether process pid of this host has ended: no such process, or a zombie (a child that was
 * killed waits as one until it is reaped, which in a container may be never). A pid that exists
 * under another user is alive. */
int proc_gone(long pid);

/* CPUs this process may run on (its affinity mask: what SLURM or taskset granted). */
int proc_cpu_count(void);

/* This machine's host name, "unknown" when it cannot be read. */
void proc_hostname(char *out, size_t len);

/* The running executable, for spawning workers (/proc/self/exe resolved). */
int proc_self_exe(char *out, size_t len);

#endif
