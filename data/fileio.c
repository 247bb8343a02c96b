/* data/fileio.c: see fileio.h. Writes go to a temporary file in the same folder, are fsynced and
 * then renamed, so a reader never sees a half-written PNG or .npy, even after a crash. */
#include "data/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *data = malloc(size + 1);
    if (!data) {
        snprintf(err, errlen, "%s: out of memory reading %zu bytes", path, size);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, data + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "%s: read failed: %s", path, r < 0 ? strerror(errno) : "file shrank");
            free(data);
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    *buf = data;
    *len = size;
    return 0;
}

int file_temp_open(file_temp *t, const char *path, char *err, size_t errlen)
{
    t->f = NULL;
    /* O_EXCL with a counter instead of mkstemp: mkstemp's mode 0600 would survive the rename. */
    for (int n = 0; n < 1000; n++) {
        int len = snprintf(t->tmp_path, sizeof t->tmp_path, "%s.tmp.%ld.%d", path, (long)getpid(), n);
        if (len < 0 || (size_t)len >= sizeof t->tmp_path) {
            snprintf(err, errlen, "%s: path too long", path);
            return -1;
        }
        int fd = open(t->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot create %s: %s", path, t->tmp_path, strerror(errno));
            return -1;
        }
        t->f = fdopen(fd, "wb");
        if (!t->f) {
            snprintf(err, errlen, "%s: %s", t->tmp_path, strerror(errno));
            close(fd);
            unlink(t->tmp_path);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "%s: cannot find a free temporary name", path);
    return -1;
}

void file_temp_abort(file_temp *t)
{
    if (t->f) {
        fclose(t->f);
        t->f = NULL;
    }
    unlink(t->tmp_path);
}

/* Makes the rename itself durable; failure only weakens crash safety, so it is not an error. */
static void sync_parent_folder(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int file_temp_commit(file_temp *t, const char *path, char *err, size_t errlen)
{
    int failed = fflush(t->f) != 0 || ferror(t->f) || fsync(fileno(t->f)) != 0;
    int saved = errno;
    if (fclose(t->f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    t->f = NULL;
    if (failed) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(saved));
        unlink(t->tmp_path);
        return -1;
    }
    if (rename(t->tmp_path, path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s into place: %s", path, t->tmp_path, strerror(errno));
        unlink(t->tmp_path);
        return -1;
    }
    sync_parent_folder(path);
    return 0;
}
