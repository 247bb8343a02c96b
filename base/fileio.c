/* base/fileio.c: see fileio.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <nettle/sha2.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"

/* fd (open, O_NONBLOCK) when it is a regular file, filling *st; else closes it and says what it
 * is. */
static int keep_regular(int fd, const char *path, struct stat *st, char *err, size_t errlen)
{
    if (fstat(fd, st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s: not a regular file%s", path,
                 S_ISFIFO(st->st_mode)                            ? " (a FIFO)"
                 : S_ISDIR(st->st_mode)                           ? " (a folder)"
                 : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)   ? " (a device)"
                 : S_ISSOCK(st->st_mode)                          ? " (a socket)"
                                                                  : "");
        close(fd);
        return -1;
    }
    return fd;
}

int file_open_regular(const char *path, int flags, struct stat *st, char *err, size_t errlen)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
                                  (flags & FILE_NOFOLLOW ? O_NOFOLLOW : 0));
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path,
                 errno == ELOOP && (flags & FILE_NOFOLLOW) ? "it is a symbolic link"
                                                           : strerror(errno));
        return -1;
    }
    return keep_regular(fd, path, st, err, errlen);
}

int file_open_beneath(const char *dir, const char *rel, struct stat *st, char *err, size_t errlen)
{
    char path[8200], part[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (rel[0] == '/' || strlen(rel) >= sizeof part) {
        snprintf(err, errlen, "%s: cannot open: not a path inside %s", rel, dir);
        return -1;
    }
    int at = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (at < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(part, sizeof part, "%s", rel);
    char *save = NULL, *name = strtok_r(part, "/", &save);
    while (name) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(name, ".") == 0) {
            name = next;
            continue;
        }
        if (strcmp(name, "..") == 0) {
            snprintf(err, errlen, "%s: cannot open: '..' leaves %s", path, dir);
            close(at);
            return -1;
        }
        const int fd = openat(at, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
                                            (next ? O_DIRECTORY : O_NONBLOCK));
        const int saved = errno;
        struct stat link;
        const int is_link = fd < 0 && fstatat(at, name, &link, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISLNK(link.st_mode);
        close(at);
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot open: %s%s", path, is_link ? name : "",
                     is_link ? " is a symbolic link" : strerror(saved));
            return -1;
        }
        if (!next)
            return keep_regular(fd, path, st, err, errlen);
        at = fd;
        name = next;
    }
    close(at);
    snprintf(err, errlen, "%s: cannot open: no file name", path);
    return -1;
}

/* Reads the whole regular file open at fd (closed here) into a malloc'ed buffer. */
static int read_fd(int fd, const char *path, const struct stat *st, size_t max_bytes,
                   unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    if (max_bytes && (uint64_t)st->st_size > max_bytes) {
        snprintf(err, errlen, "%s: larger than %zu bytes (%lld)", path, max_bytes,
                 (long long)st->st_size);
        close(fd);
        return -1;
    }
    size_t size = (size_t)st->st_size;
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

int file_read_all(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    return file_read_max(path, 0, buf, len, err, errlen);
}

int file_read_max(const char *path, size_t max_bytes, unsigned char **buf, size_t *len, char *err,
                  size_t errlen)
{
    *buf = NULL;
    *len = 0;
    struct stat st;
    const int fd = file_open_regular(path, 0, &st, err, errlen);
    return fd < 0 ? -1 : read_fd(fd, path, &st, max_bytes, buf, len, err, errlen);
}

int file_read_beneath(const char *dir, const char *rel, size_t max_bytes, unsigned char **buf,
                      size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    struct stat st;
    char path[8200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    const int fd = file_open_beneath(dir, rel, &st, err, errlen);
    return fd < 0 ? -1 : read_fd(fd, path, &st, max_bytes, buf, len, err, errlen);
}

static void hex_digest(struct sha256_ctx *ctx, char hex[65])
{
    unsigned char digest[SHA256_DIGEST_SIZE];
    sha256_digest(ctx, sizeof digest, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void file_sha256_bytes(const void *bytes, size_t len, char hex[65])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, bytes);
    hex_digest(&ctx, hex);
}

int file_sha256(const char *path, char hex[65], char *err, size_t errlen)
{
    hex[0] = '\0';
    struct stat st;
    int fd = file_open_regular(path, 0, &st, err, errlen);
    if (fd < 0)
        return -1;
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[1 << 16];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            sha256_update(&ctx, (size_t)n, buf);
    const int saved = errno;
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "%s: read failed: %s", path, strerror(saved));
        return -1;
    }
    hex_digest(&ctx, hex);
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

int file_mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "%.200s...: path too long", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        const int end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", buf, strerror(errno));
                return -1;
            }
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s is not a folder", buf);
                return -1;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int file_remove_tree(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0 && errno == ENOENT)
        return 0;
    /* FTW_DEPTH: a folder after its contents; FTW_PHYS: links are entries, never followed. */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Where the name part of path starts (after its last '/'). */
static size_t name_offset(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* This host's name as it goes into temporary names: letters, digits and '-' (anything else, the
 * dots of a domain too, becomes '-'), at most 32 characters, "unknown" when it cannot be read. */
static void temp_host(char out[33])
{
    char name[256];
    proc_hostname(name, sizeof name);
    size_t n = 0;
    for (; name[n] && n < 32; n++) {
        const char c = name[n];
        out[n] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c
                                                                                           : '-';
    }
    out[n] = '\0';
}

/* The n-th temporary name of this process for path (its name part at offset `name`). */
static void temp_name(const char *path, size_t name, const char *host, int n, char *out,
                      size_t outlen)
{
    snprintf(out, outlen, "%.*s.%s.tmp.%s.%ld.%d", (int)name, path, path + name, host,
             (long)getpid(), n);
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
    char host[33];
    temp_host(host);
    /* O_EXCL with a number instead of mkstemp: mkstemp's mode 0600 would survive the rename. */
    for (int n = 0; n < 1000; n++) {
        temp_name(path, name, host, n, a->tmp_path, sizeof a->tmp_path);
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

int atomic_file_link(const char *src, const char *path, int *linked, char *err, size_t errlen)
{
    *linked = 0;
    const size_t name = name_offset(path);
    char host[33], tmp[4096 + 48];
    temp_host(host);
    int n = 0;
    for (; n < 1000; n++) {
        temp_name(path, name, host, n, tmp, sizeof tmp);
        if (link(src, tmp) == 0)
            break;
        if (errno == ENOENT)
            return 0;   /* nothing to keep */
        if (errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot link %s to %s: %s", path, src, tmp,
                     strerror(errno));
            return -1;
        }
    }
    if (n == 1000) {
        snprintf(err, errlen, "%s: cannot find a free temporary name", path);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (sync_folder(path) != 0) {
        snprintf(err, errlen, "%s: linked, but its folder could not be synced: %s", path,
                 strerror(errno));
        return -1;
    }
    *linked = 1;
    return 0;
}

int atomic_file_copy(const char *src, const char *path, char *err, size_t errlen)
{
    /* Never through a link (a run folder holds the files a run wrote, none of them a link), and
     * never waiting on a FIFO: what is not a regular file is refused below. */
    struct stat st;
    char why[4200];
    int in = file_open_regular(src, FILE_NOFOLLOW, &st, why, sizeof why);
    if (in < 0) {
        snprintf(err, errlen, "%s: cannot copy %s", path, why);
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

/* All digits, at least one, fitting a long; -1 otherwise. */
static long digits_value(const char *s, size_t n)
{
    long v = 0;
    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The writer's pid when name is a temporary file of atomic_file_open made on host, else -1:
 * ".<name>.tmp.<host>.<pid>.<n>", the host without dots. */
static long temp_writer(const char *name, const char *host)
{
    const char *tmp = NULL;
    if (name[0] != '.')
        return -1;
    for (const char *p = strstr(name + 1, ".tmp."); p; p = strstr(p + 1, ".tmp."))
        tmp = p;
    if (!tmp || tmp == name)
        return -1;
    const char *h = tmp + 5, *pid = strchr(h, '.');
    const char *n = pid ? strchr(pid + 1, '.') : NULL;
    if (!n || strchr(n + 1, '.') || (size_t)(pid - h) != strlen(host) ||
        strncmp(h, host, strlen(host)) != 0 || digits_value(n + 1, strlen(n + 1)) < 0)
        return -1;
    return digits_value(pid + 1, (size_t)(n - pid - 1));
}

int atomic_file_remove_stale(const char *dir, int *removed, char *err, size_t errlen)
{
    if (removed)
        *removed = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: cannot read the folder: %s", dir, strerror(errno));
        return -1;
    }
    char host[33];
    temp_host(host);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const long pid = temp_writer(e->d_name, host);
        char path[4096 + 256];
        if (pid <= 0 || !proc_gone(pid) ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (unlink(path) == 0 && removed)
            (*removed)++;
    }
    closedir(d);
    return 0;
}
