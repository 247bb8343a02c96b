/* data/fileio.c: see fileio.h. */
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

void file_dirname(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == path)
        snprintf(out, len, "/");
    else
        snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* Where the name part of path starts (after its last '/'). */
static size_t name_offset(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

int atomic_file_open(atomic_file *a, const char *path, char *err, size_t errlen)
{
    a->f = NULL;
    a->tmp_path[0] = '\0';
    const size_t name = name_offset(path);
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path) {
        snprintf(err, errlen, "%.200s...: path too long", path);
        return -1;
    }
    if (path[name] == '\0') {
        snprintf(err, errlen, "%s: not a file name", path);
        return -1;
    }
    /* O_EXCL with a number instead of mkstemp: mkstemp's mode 0600 would survive the rename. */
    for (int n = 0; n < 1000; n++) {
        snprintf(a->tmp_path, sizeof a->tmp_path, "%.*s.%s.tmp.%ld.%d", (int)name, path,
                 path + name, (long)getpid(), n);
        int fd = open(a->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot create %s: %s", path, a->tmp_path, strerror(errno));
            a->tmp_path[0] = '\0';
            return -1;
        }
        a->f = fdopen(fd, "wb");
        if (!a->f) {
            snprintf(err, errlen, "%s: %s", a->tmp_path, strerror(errno));
            close(fd);
            atomic_file_abort(a);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "%s: cannot find a free temporary name", path);
    a->tmp_path[0] = '\0';
    return -1;
}

void atomic_file_abort(atomic_file *a)
{
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
    }
    if (a->tmp_path[0])
        unlink(a->tmp_path);
    a->tmp_path[0] = '\0';
}

/* fsync of the folder that holds path. EINVAL is success: the filesystem cannot sync a folder
 * (fsync(2): "does not support synchronization"), so nothing stronger is possible there. */
static int sync_folder(const char *path)
{
    char dir[4096];
    file_dirname(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int atomic_file_commit(atomic_file *a, char *err, size_t errlen)
{
    int failed = fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0;
    int saved = errno ? errno : EIO;
    if (fclose(a->f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    a->f = NULL;
    if (failed) {
        snprintf(err, errlen, "%s: write failed: %s", a->path, strerror(saved));
        atomic_file_abort(a);
        return -1;
    }
    if (rename(a->tmp_path, a->path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s into place: %s", a->path, a->tmp_path,
                 strerror(errno));
        atomic_file_abort(a);
        return -1;
    }
    a->tmp_path[0] = '\0';
    /* The folder's fsync is what makes the rename durable. If it fails, the new file is in place
     * and whole (a second rename to undo it would be no safer), but a crash could still bring
     * back the old one: so it is an error. A caller that goes on to record the file as written
     * (an epoch's checkpoint row, a merged run) would otherwise record what a crash can take
     * back; told instead, the runner ends the run interrupted and resumes from the epoch the
     * database knows, and merge stops before committing. */
    if (sync_folder(a->path) != 0) {
        snprintf(err, errlen, "%s: written, but its folder could not be synced: %s", a->path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int atomic_file_copy(const char *src, const char *path, char *err, size_t errlen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "%s: cannot copy %s: %s", path, src, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot copy %s: not a regular file", path, src);
        close(in);
        return -1;
    }
    atomic_file a;
    if (atomic_file_open(&a, path, err, errlen) != 0) {
        close(in);
        return -1;
    }
    int rc = fchmod(fileno(a.f), st.st_mode & 0777);
    char buf[65536];
    ssize_t n = 0;
    while (rc == 0 && ((n = read(in, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0 && fwrite(buf, 1, (size_t)n, a.f) != (size_t)n)
            rc = -1;
    if (rc == 0 && n < 0)
        rc = -1;
    const int saved = errno;
    close(in);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot copy %s: %s", path, src, strerror(saved ? saved : EIO));
        atomic_file_abort(&a);
        return -1;
    }
    return atomic_file_commit(&a, err, errlen);
}
