/* plots/outfile.h: the text files of a report (scripts, data, pages), written whole or not at
 * all: to "<path>.tmp" first, renamed over the path when every write succeeded, so that a full
 * disk leaves the previous file (or none), never half a page. */
#ifndef WB_PLOTS_OUTFILE_H
#define WB_PLOTS_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct outfile {
    FILE *f;
    char path[4096], tmp[4100];
} outfile;

/* Opens "<path>.tmp" for writing. Returns 0 or -1 with err naming the file. */
int outfile_open(outfile *o, const char *path, char *err, size_t errlen);
/* Closes, checks that every write went through, and renames into place; on failure the temporary
 * file is removed. Returns 0 or -1 with err naming the file. */
int outfile_commit(outfile *o, char *err, size_t errlen);
/* Closes and removes the temporary file (after an error elsewhere). */
void outfile_abort(outfile *o);

#endif
