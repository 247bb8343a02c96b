/* store/copy.c: one file of a run folder copied for store_merge, through base/fileio's crash-safe
 * writer (a hidden temporary beside the file, fsync, rename, fsync of the folder): names starting
 * with '.' are never copied by a merge, so a temporary left by a killed merge is not taken for a
 * run's file. */
#include "store/internal.h"

#include <stdio.h>

#include "base/fileio.h"

int copy_file_atomic(const char *src, const char *dir, const char *name, char *err, size_t errlen)
{
    char dst[PATH_CAP];
    if ((size_t)snprintf(dst, sizeof dst, "%s/%s", dir, name) >= sizeof dst)
        return fail(err, errlen, "path too long copying %s", src);
    return atomic_file_copy(src, dst, err, errlen);
}
