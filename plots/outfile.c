/* plots/outfile.c: see outfile.h. */
#include "plots/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int outfile_open(outfile *o, const char *path, char *err, size_t errlen)
{
    if (snprintf(o->path, sizeof o->path, "%s", path) >= (int)sizeof o->path) {
        snprintf(err, errlen, "%.200s...: path too long", path);
        return -1;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", o->path);
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        snprintf(err, errlen, "%s: %s", o->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int outfile_commit(outfile *o, char *err, size_t errlen)
{
    int failed = ferror(o->f);
    int saved = errno;
    if (fclose(o->f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    o->f = NULL;
    if (!failed && rename(o->tmp, o->path) == 0)
        return 0;
    if (!failed)
        saved = errno;
    snprintf(err, errlen, "%s: %s", o->path, strerror(saved ? saved : EIO));
    remove(o->tmp);
    return -1;
}

void outfile_abort(outfile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    remove(o->tmp);
}
