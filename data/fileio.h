/* data/fileio.h: whole-file reads and crash-safe writes shared by the PNG and .npy code (internal
 * to data/; other modules use image.h and npy.h). Returns 0 or -1 with a one-line message in err
 * that names the file. */
#ifndef WB_DATA_FILEIO_H
#define WB_DATA_FILEIO_H

#include <stddef.h>
#include <stdio.h>

/* Reads a whole regular file into a malloc'ed buffer (one spare byte, never NULL on success). */
int file_read_all(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen);

/* A file being written under a temporary name beside its final path. */
typedef struct file_temp {
    FILE *f;
    char tmp_path[4096];
} file_temp;

/* Creates "<path>.tmp.<pid>.<n>" (mode 0666 less the umask) and opens it for writing. */
int file_temp_open(file_temp *t, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs and closes the temporary file and renames it to `path`; on failure the
 * temporary file is removed. */
int file_temp_commit(file_temp *t, const char *path, char *err, size_t errlen);
/* Closes and removes the temporary file (after a failed write). */
void file_temp_abort(file_temp *t);

#endif
