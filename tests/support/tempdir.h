/* tests/support/tempdir.h: scratch folders for tests, under /tmp, removed afterwards. */
#ifndef WB_TESTS_TEMPDIR_H
#define WB_TESTS_TEMPDIR_H

#include <stddef.h>

/* Creates a fresh folder /tmp/wb-test-XXXXXX and writes its path into path (at least 32 bytes).
 * Returns 0 or -1. */
int tempdir_create(char *path, size_t len);

/* Removes the folder and everything in it (sub-folders too; symbolic links are not followed). */
void tempdir_remove(const char *path);

/* Writes `dir/name` into out (which has room for 4096 bytes) and returns out. */
char *tempdir_join(char *out, const char *dir, const char *name);

/* Writes len bytes to path (replacing it). Returns 0 or -1. */
int tempdir_write_file(const char *path, const void *bytes, size_t len);

#endif
