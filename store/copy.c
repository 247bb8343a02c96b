/* store/copy.c: one file copied atomically (temporary file, fsync, rename), for store_merge. */
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The temporary file is ".<name>.merge-XXXXXX" in dir: names starting with '.' are never
 * copied by a merge, so a temporary file left by a killed merge is not taken for a run's file. */
int copy_file_atomic(const char *src, const char *dir, const char *name, char *err, size_t errlen)
{
    char dst[PATH_CAP], tmp[PATH_CAP];
    if ((size_t)snprintf(dst, sizeof dst, "%s/%s", dir, name) >= sizeof dst ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.merge-XXXXXX", dir, name) >= sizeof tmp)
        return fail(err, errlen, "path too long copying %s", src);
    int in = open(src, O_RDONLY);
    if (in < 0)
        return fail(err, errlen, "cannot read %s: %s", src, strerror(errno));
    int out = mkstemp(tmp);
    if (out < 0) {
        int e = errno;
        close(in);
        return fail(err, errlen, "cannot create a file in %s: %s", dir, strerror(e));
    }
    struct stat sb;
    char buf[65536];
    ssize_t n;
    int rc = fstat(in, &sb) == 0 && fchmod(out, sb.st_mode & 0777) == 0 ? 0 : -1;
    while (rc == 0 && ((n = read(in, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0 && write_all(out, buf, (size_t)n) < 0)
            rc = -1;
    if (rc == 0 && n < 0)
        rc = -1;
    int e = errno;
    if (rc == 0 && fsync(out) != 0) {
        e = errno;
        rc = -1;
    }
    if (close(out) != 0 && rc == 0) {
        e = errno;
        rc = -1;
    }
    close(in);
    if (rc == 0 && rename(tmp, dst) != 0) {
        e = errno;
        rc = -1;
    }
    if (rc < 0) {
        unlink(tmp);
        return fail(err, errlen, "cannot copy %s to %s: %s", src, dst, strerror(e));
    }
    return 0;
}
