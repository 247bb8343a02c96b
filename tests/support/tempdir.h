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

/* A scratch folder for one cmocka test: tempdir_setup (a cmocka setup function) puts a fresh one
 * in *state, tempdir_teardown removes it with its contents. */
typedef struct tempdir_fixture {
    char dir[64];
    char path[4096];   /* for the test's own use */
    char err[512];     /* for messages of the code under test */
} tempdir_fixture;

int tempdir_setup(void **state);
int tempdir_teardown(void **state);

/* The names in folder dir, hidden ones too (not "." and ".."), sorted and separated by one space,
 * into out (truncated to len); returns out. For checks that nothing, not even a temporary file,
 * was left behind. */
char *tempdir_list(const char *dir, char *out, size_t len);

/* 1 when both files can be read and hold the same bytes, else 0. */
int tempdir_same_file(const char *a, const char *b);

/* Writes len bytes to path (replacing it). Returns 0 or -1. */
int tempdir_write_file(const char *path, const void *bytes, size_t len);

#endif
