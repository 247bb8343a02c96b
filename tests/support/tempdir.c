/* tests/support/tempdir.c: see tempdir.h. */
#include "tempdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tempdir_create(char *path, size_t len)
{
    if (snprintf(path, len, "/tmp/wb-test-XXXXXX") >= (int)len)
        return -1;
    return mkdtemp(path) ? 0 : -1;
}

char *tempdir_join(char *out, const char *dir, const char *name)
{
    snprintf(out, 4096, "%s/%s", dir, name);
    return out;
}

void tempdir_remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char child[4096];
                tempdir_remove(tempdir_join(child, path, e->d_name));
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *tempdir_list(const char *dir, char *out, size_t len)
{
    char *names[256];
    size_t n = 0, used = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && n < 256 && (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            (names[n] = strdup(e->d_name)) != NULL)
            n++;
    if (d)
        closedir(d);
    qsort(names, n, sizeof names[0], cmp_name);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    return out;
}

int tempdir_write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(bytes, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int tempdir_setup(void **state)
{
    tempdir_fixture *f = calloc(1, sizeof *f);
    if (!f || tempdir_create(f->dir, sizeof f->dir) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int tempdir_teardown(void **state)
{
    tempdir_fixture *f = *state;
    tempdir_remove(f->dir);
    free(f);
    return 0;
}

int tempdir_same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        const int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}
