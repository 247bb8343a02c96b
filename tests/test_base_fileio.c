/* tests/test_base_fileio.c: the crash-safe writer (base/fileio.h). The temporary file is hidden,
 * beside the path, unique per process and call; the mode is 0666 less the umask (a copy keeps its
 * source's); a failed write, rename or copy, or an abort, leaves the old file intact and no
 * temporary file; processes and threads writing one path at once never tear it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/proc.h"
#include "support/tempdir.h"

typedef tempdir_fixture fixture;

static char *listing(const fixture *f)
{
    static char out[4096];
    return tempdir_list(f->dir, out, sizeof out);
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(tempdir_write_file(path, text, strlen(text)), 0);
}

static void assert_content(const char *path, const char *text)
{
    unsigned char *buf;
    size_t len;
    char err[512];
    if (file_read_all(path, &buf, &len, err, sizeof err) != 0)
        fail_msg("%s", err);
    buf[len] = '\0';
    assert_string_equal((char *)buf, text);
    free(buf);
}

static int write_whole(const char *path, const char *text, char *err, size_t errlen)
{
    atomic_file a;
    if (atomic_file_open(&a, path, err, errlen) != 0)
        return -1;
    fputs(text, a.f);
    return atomic_file_commit(&a, err, errlen);
}

static void commit_replaces_with_mode_less_umask(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "out.txt");
    write_text(f->path, "old");
    const mode_t saved = umask(027);
    int rc = write_whole(f->path, "new contents", f->err, sizeof f->err);
    umask(saved);
    if (rc != 0)
        fail_msg("%s", f->err);
    assert_content(f->path, "new contents");
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_string_equal(listing(f), "out.txt");
}

/* This host's name as temporary names carry it (base/fileio.c's rule: letters, digits and '-',
 * at most 32). */
static void host_in_names(char out[33])
{
    char name[256] = "";
    if (gethostname(name, sizeof name - 1) != 0 || !name[0])
        strcpy(name, "unknown");
    size_t n = 0;
    for (; name[n] && n < 32; n++)
        out[n] = isalnum((unsigned char)name[n]) ? name[n] : '-';
    out[n] = '\0';
}

/* The temporary name: hidden, beside the path, with this host's name and this process's id; two
 * writers of one path in one process get two names; the last commit wins, whole, and nothing is
 * left over. */
static void temporary_names_are_hidden_and_unique(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "w.npy");
    atomic_file a, b;
    assert_int_equal(atomic_file_open(&a, f->path, f->err, sizeof f->err), 0);
    assert_int_equal(atomic_file_open(&b, f->path, f->err, sizeof f->err), 0);
    char prefix[4200], host[33];
    host_in_names(host);
    snprintf(prefix, sizeof prefix, "%s/.w.npy.tmp.%s.%ld.", f->dir, host, (long)getpid());
    assert_memory_equal(a.tmp_path, prefix, strlen(prefix));
    assert_memory_equal(b.tmp_path, prefix, strlen(prefix));
    assert_string_not_equal(a.tmp_path, b.tmp_path);
    assert_int_equal(access(a.tmp_path, F_OK), 0);
    assert_int_equal(access(b.tmp_path, F_OK), 0);
    fputs("from a", a.f);
    fputs("from b", b.f);
    assert_int_equal(atomic_file_commit(&a, f->err, sizeof f->err), 0);
    assert_content(f->path, "from a");
    assert_int_equal(atomic_file_commit(&b, f->err, sizeof f->err), 0);
    assert_content(f->path, "from b");
    assert_string_equal(listing(f), "w.npy");

    /* A name without a folder is relative to the working folder, its temporary file too. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(atomic_file_open(&a, "bare", f->err, sizeof f->err), 0);
    snprintf(prefix, sizeof prefix, ".bare.tmp.%s.%ld.", host, (long)getpid());
    assert_memory_equal(a.tmp_path, prefix, strlen(prefix));
    assert_int_equal(atomic_file_commit(&a, f->err, sizeof f->err), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(listing(f), "bare w.npy");
}

static void abort_and_bad_paths_leave_nothing(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "keep.txt");
    write_text(f->path, "old");
    atomic_file a;
    assert_int_equal(atomic_file_open(&a, f->path, f->err, sizeof f->err), 0);
    fputs("half", a.f);
    atomic_file_abort(&a);
    assert_content(f->path, "old");
    assert_string_equal(listing(f), "keep.txt");

    char path[4096];
    snprintf(path, sizeof path, "%s/missing/x.txt", f->dir);
    assert_int_equal(atomic_file_open(&a, path, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "No such file or directory"));
    assert_memory_equal(f->err, path, strlen(path));
    snprintf(path, sizeof path, "%s/", f->dir);
    assert_int_equal(atomic_file_open(&a, path, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not a file name"));
    assert_string_equal(listing(f), "keep.txt");
}

/* A write that fails (the file size limit, as a full disk would) and a rename that fails (a
 * folder in the way): an error naming the path, the old file intact, no temporary file. */
static void failed_commit_leaves_the_old_file(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "big.bin");
    write_text(f->path, "old");
    struct rlimit saved_limit, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
    small = saved_limit;
    small.rlim_cur = 4096;
    void (*saved_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    atomic_file a;
    assert_int_equal(atomic_file_open(&a, f->path, f->err, sizeof f->err), 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    static char block[65536];
    fwrite(block, 1, sizeof block, a.f);
    int rc = atomic_file_commit(&a, f->err, sizeof f->err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_limit), 0);
    signal(SIGXFSZ, saved_handler);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "big.bin: write failed: File too large"));
    assert_content(f->path, "old");
    assert_string_equal(listing(f), "big.bin");

    char dir[4096];
    tempdir_join(dir, f->dir, "taken");
    assert_int_equal(mkdir(dir, 0777), 0);
    tempdir_join(f->path, dir, "inside");
    write_text(f->path, "kept");
    assert_int_equal(write_whole(dir, "new", f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "cannot rename"));
    assert_content(f->path, "kept");
    assert_string_equal(listing(f), "big.bin taken");
}

static void copy_keeps_bytes_and_source_mode(void **state)
{
    fixture *f = *state;
    char src[4096];
    tempdir_join(src, f->dir, "src.bin");
    unsigned char bytes[200000];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 7 + i / 251);
    assert_int_equal(tempdir_write_file(src, bytes, sizeof bytes), 0);
    assert_int_equal(chmod(src, 0750), 0);
    tempdir_join(f->path, f->dir, "dst.bin");
    write_text(f->path, "old");
    if (atomic_file_copy(src, f->path, f->err, sizeof f->err) != 0)
        fail_msg("%s", f->err);
    unsigned char *got;
    size_t len;
    assert_int_equal(file_read_all(f->path, &got, &len, f->err, sizeof f->err), 0);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(got, bytes, sizeof bytes);
    free(got);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    assert_string_equal(listing(f), "dst.bin src.bin");

    /* A missing source or a folder: an error, the destination as it was. */
    write_text(f->path, "old");
    tempdir_join(src, f->dir, "nothing");
    assert_int_equal(atomic_file_copy(src, f->path, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "No such file or directory"));
    assert_int_equal(atomic_file_copy(f->dir, f->path, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not a regular file"));
    assert_content(f->path, "old");
    assert_string_equal(listing(f), "dst.bin src.bin");
}

/* A FIFO where a file is expected (x.png in a png: folder, a run folder's file for a merge) is
 * refused at once: opening it for reading would wait for a writer forever. A symbolic link is
 * not copied either. The alarm turns a hang into a failure. */
static void fifos_and_links_are_refused_without_blocking(void **state)
{
    fixture *f = *state;
    char fifo[4096], dst[4096], link[4096];
    tempdir_join(fifo, f->dir, "x.png");
    assert_int_equal(mkfifo(fifo, 0666), 0);
    alarm(20);
    unsigned char *buf;
    size_t len;
    assert_int_equal(file_read_all(fifo, &buf, &len, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not a regular file (a FIFO)"));
    tempdir_join(dst, f->dir, "copy");
    assert_int_equal(atomic_file_copy(fifo, dst, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not a regular file"));
    alarm(0);
    tempdir_join(f->path, f->dir, "real");
    write_text(f->path, "secret");
    tempdir_join(link, f->dir, "link");
    assert_int_equal(symlink(f->path, link), 0);
    assert_int_equal(atomic_file_copy(link, dst, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "symbolic link"));
    assert_string_equal(listing(f), "link real x.png");
}

/* file_open_beneath reaches dir/rel without a link below dir (wb serve's previews and report
 * files): a link as the file or as any folder on the way is refused, as are ".." and an absolute
 * rel, and a FIFO is not waited on; dir itself may be a link. */
static void open_beneath_refuses_links_below_the_folder(void **state)
{
    fixture *f = *state;
    char p[4096], q[4096];
    struct stat st;
    tempdir_join(p, f->dir, "runs");
    assert_int_equal(mkdir(p, 0777), 0);
    tempdir_join(p, f->dir, "runs/a");
    assert_int_equal(mkdir(p, 0777), 0);
    tempdir_join(p, f->dir, "runs/a/preview.npy");
    write_text(p, "bytes");
    int fd = file_open_beneath(f->dir, "runs/a/preview.npy", &st, f->err, sizeof f->err);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 5);
    close(fd);
    fd = file_open_beneath(f->dir, "./runs//a/preview.npy", &st, f->err, sizeof f->err);
    assert_true(fd >= 0);
    close(fd);
    /* the folder itself through a link: allowed */
    tempdir_join(q, f->dir, "dirlink");
    assert_int_equal(symlink(f->dir, q), 0);
    fd = file_open_beneath(q, "runs/a/preview.npy", &st, f->err, sizeof f->err);
    assert_true(fd >= 0);
    close(fd);
    /* a link as the file, and as a folder on the way */
    tempdir_join(q, f->dir, "runs/b");
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(file_open_beneath(f->dir, "runs/b", &st, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "b is a symbolic link"));
    tempdir_join(p, f->dir, "runs/a");
    tempdir_join(q, f->dir, "runs/c");
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(file_open_beneath(f->dir, "runs/c/preview.npy", &st, f->err, sizeof f->err),
                     -1);
    assert_non_null(strstr(f->err, "c is a symbolic link"));
    assert_int_equal(file_open_beneath(f->dir, "runs/../runs/a/preview.npy", &st, f->err,
                                       sizeof f->err), -1);
    assert_non_null(strstr(f->err, "'..'"));
    tempdir_join(p, f->dir, "runs/a/preview.npy");
    assert_int_equal(file_open_beneath(f->dir, p, &st, f->err, sizeof f->err), -1);
    assert_int_equal(file_open_beneath(f->dir, "runs/a", &st, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "(a folder)"));
    tempdir_join(p, f->dir, "runs/a/fifo");
    assert_int_equal(mkfifo(p, 0666), 0);
    alarm(20);
    assert_int_equal(file_open_beneath(f->dir, "runs/a/fifo", &st, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "(a FIFO)"));
    unsigned char *buf;
    size_t len;
    assert_int_equal(file_read_beneath(f->dir, "runs/a/fifo", 0, &buf, &len, f->err,
                                       sizeof f->err), -1);
    alarm(0);
    assert_int_equal(file_read_beneath(f->dir, "runs/a/preview.npy", 4, &buf, &len, f->err,
                                       sizeof f->err), -1);
    assert_non_null(strstr(f->err, "larger than 4 bytes"));
    assert_int_equal(file_read_beneath(f->dir, "runs/a/preview.npy", 5, &buf, &len, f->err,
                                       sizeof f->err), 0);
    assert_memory_equal(buf, "bytes", 5);
    char hex[65];
    file_sha256_bytes(buf, len, hex);
    free(buf);
    assert_string_equal(hex, "277089d91c0bdf4f2e6862ba7e4a07605119431f5d13f726dd352b06f1b206a9");
    tempdir_join(p, f->dir, "runs/a/preview.npy");
    char want[65];
    assert_int_equal(file_sha256(p, want, f->err, sizeof f->err), 0);
    assert_string_equal(hex, want);
}

/* A writer killed between atomic_file_open and its commit leaves its temporary file (a SIGKILLed
 * merge did: issue 15, item 9); atomic_file_remove_stale removes it once its process is gone, and
 * only it: not a live process's temporary file, not another host's, not a name of another shape,
 * not a file. */
static void stale_temporaries_of_dead_writers_are_removed(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "last.safetensors");
    const pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {   /* opens a temporary file and dies without a word, as SIGKILL would */
        atomic_file a;
        if (atomic_file_open(&a, f->path, f->err, sizeof f->err) != 0)
            _exit(1);
        fputs("half an epoch", a.f);
        fflush(a.f);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    atomic_file live;
    assert_int_equal(atomic_file_open(&live, f->path, f->err, sizeof f->err), 0);
    char host[33], name[4096], dead[512];
    host_in_names(host);
    snprintf(dead, sizeof dead, ".last.safetensors.tmp.%s.%ld.0", host, (long)child);
    const char *others[] = { ".last.safetensors.tmp.other-host.%ld.0", /* another host's */
                             ".last.safetensors.tmp.%ld.0",            /* the older shape */
                             ".merge-%ld",                            /* not this writer's */
                             "best.safetensors.tmp.x.%ld.0" };        /* not hidden */
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char base[256];
        snprintf(base, sizeof base, others[i], (long)child);
        write_text(tempdir_join(name, f->dir, base), "kept");
    }
    int removed = -1;
    assert_int_equal(atomic_file_remove_stale(f->dir, &removed, f->err, sizeof f->err), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(access(tempdir_join(name, f->dir, dead), F_OK), -1);
    assert_int_equal(access(live.tmp_path, F_OK), 0);
    char expected[4096];
    snprintf(expected, sizeof expected,
             ".last.safetensors.tmp.%ld.0 .last.safetensors.tmp.other-host.%ld.0 %s .merge-%ld "
             "best.safetensors.tmp.x.%ld.0",
             (long)child, (long)child, strrchr(live.tmp_path, '/') + 1, (long)child, (long)child);
    assert_string_equal(listing(f), expected);
    atomic_file_abort(&live);
    /* A missing folder has nothing to remove; a file where the folder should be is an error. */
    assert_int_equal(atomic_file_remove_stale(tempdir_join(name, f->dir, "none"), &removed,
                                              f->err, sizeof f->err), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(proc_gone((long)getpid()), 0);
    assert_int_equal(proc_gone((long)child), 1);
}

/* ---- writers racing for one path ---------------------------------------------------------- */

enum { PROCS = 3, THREADS = 2, ROUNDS = 40, PIECE = 3000 /* bytes a write: writers interleave */ };

/* Writer w's round r writes `len` bytes, all equal to `byte`: a file is whole when its length is
 * the one its first byte implies and every byte equals the first. */
static unsigned char race_byte(int w, int r)
{
    return (unsigned char)(1 + (w * ROUNDS + r) % 251);
}

static size_t race_len(unsigned char byte)
{
    return 20000 + 977 * (size_t)byte;
}

typedef struct race_writer {
    const char *path;
    int w, failures;
    char err[512];
} race_writer;

static void *race_write(void *arg)
{
    race_writer *rw = arg;
    unsigned char buf[PIECE];
    for (int r = 0; r < ROUNDS; r++) {
        const unsigned char byte = race_byte(rw->w, r);
        memset(buf, byte, sizeof buf);
        atomic_file a;
        if (atomic_file_open(&a, rw->path, rw->err, sizeof rw->err) != 0) {
            rw->failures++;
            continue;
        }
        for (size_t left = race_len(byte); left > 0;) {
            const size_t n = left < PIECE ? left : PIECE;
            fwrite(buf, 1, n, a.f);
            fflush(a.f);
            left -= n;
        }
        if (atomic_file_commit(&a, rw->err, sizeof rw->err) != 0)
            rw->failures++;
    }
    return NULL;
}

/* One process's writers; exits with the number of failed writes, the first message on fd. */
static void race_process(const char *path, int p, int report_fd)
{
    pthread_t threads[THREADS];
    race_writer rw[THREADS];
    for (int t = 0; t < THREADS; t++) {
        rw[t] = (race_writer){ .path = path, .w = p * THREADS + t };
        if (pthread_create(&threads[t], NULL, race_write, &rw[t]) != 0)
            _exit(100);
    }
    int failures = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        if (rw[t].failures && failures == 0 &&
            dprintf(report_fd, "%s\n", rw[t].err) < 0)
            _exit(101);
        failures += rw[t].failures;
    }
    _exit(failures > 99 ? 99 : failures);
}

static int is_whole(const unsigned char *buf, size_t len)
{
    if (len == 0 || len != race_len(buf[0]))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (buf[i] != buf[0])
            return 0;
    return 1;
}

static void racing_writers_never_tear_the_file(void **state)
{
    fixture *f = *state;
    tempdir_join(f->path, f->dir, "shared.bin");
    atomic_file a;
    assert_int_equal(atomic_file_open(&a, f->path, f->err, sizeof f->err), 0);
    for (size_t i = 0; i < race_len(7); i++)
        fputc(7, a.f);
    assert_int_equal(atomic_file_commit(&a, f->err, sizeof f->err), 0);
    int report[2];
    assert_int_equal(pipe(report), 0);
    for (int p = 0; p < PROCS; p++) {
        const pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {   /* a child: writes, then exits */
            close(report[0]);
            race_process(f->path, p, report[1]);
        }
    }
    close(report[1]);
    /* Read while they write: every read sees one writer's whole file. */
    int running = PROCS, reads = 0, torn = 0, failed = 0;
    while (running > 0) {
        unsigned char *buf;
        size_t len;
        if (file_read_all(f->path, &buf, &len, f->err, sizeof f->err) != 0)
            fail_msg("read %d: %s", reads, f->err);
        torn += !is_whole(buf, len);
        reads++;
        free(buf);
        int st;
        pid_t done;
        while ((done = waitpid(-1, &st, WNOHANG)) > 0) {
            running--;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                failed += WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
        }
    }
    char first_error[1024];
    ssize_t n = read(report[0], first_error, sizeof first_error - 1);
    first_error[n > 0 ? n : 0] = '\0';
    first_error[strcspn(first_error, "\n")] = '\0';
    close(report[0]);
    if (failed)
        fail_msg("%d of %d writes failed; the first: %s", failed, PROCS * THREADS * ROUNDS,
                 first_error);
    if (torn)
        fail_msg("%d of %d reads saw a torn file", torn, reads);
    unsigned char *buf;
    size_t len;
    assert_int_equal(file_read_all(f->path, &buf, &len, f->err, sizeof f->err), 0);
    assert_true(is_whole(buf, len));
    free(buf);
    assert_string_equal(listing(f), "shared.bin");
    print_message("%d writes by %d processes of %d threads, %d reads, none torn\n",
                  PROCS * THREADS * ROUNDS, PROCS, THREADS, reads);
}

/* The previous generation of a checkpoint: a link renamed over the old name, nothing else left,
 * no link when there is no file yet; and the SHA-256 of a file (FIPS 180-2's "abc" vector). */
static void link_keeps_a_generation_and_sha256(void **state)
{
    fixture *f = *state;
    char cur[4096], prev[4096], hex[65];
    int linked = -1;
    tempdir_join(cur, f->dir, "last");
    tempdir_join(prev, f->dir, "last.prev");
    assert_int_equal(atomic_file_link(cur, prev, &linked, f->err, sizeof f->err), 0);
    assert_int_equal(linked, 0);
    assert_string_equal(listing(f), "");
    write_text(cur, "abc");
    write_text(prev, "older");
    if (atomic_file_link(cur, prev, &linked, f->err, sizeof f->err) != 0)
        fail_msg("%s", f->err);
    assert_int_equal(linked, 1);
    assert_string_equal(listing(f), "last last.prev");
    struct stat a, b;
    assert_int_equal(stat(cur, &a), 0);
    assert_int_equal(stat(prev, &b), 0);
    assert_true(a.st_ino == b.st_ino);
    if (file_sha256(prev, hex, f->err, sizeof f->err) != 0)
        fail_msg("%s", f->err);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* A folder is no file to hash, nor a missing one. */
    assert_int_equal(file_sha256(f->dir, hex, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "not a regular file"));
    tempdir_join(f->path, f->dir, "none");
    assert_int_equal(file_sha256(f->path, hex, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "none"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(commit_replaces_with_mode_less_umask, tempdir_setup,
                                        tempdir_teardown),
        cmocka_unit_test_setup_teardown(temporary_names_are_hidden_and_unique, tempdir_setup,
                                        tempdir_teardown),
        cmocka_unit_test_setup_teardown(abort_and_bad_paths_leave_nothing, tempdir_setup,
                                        tempdir_teardown),
        cmocka_unit_test_setup_teardown(failed_commit_leaves_the_old_file, tempdir_setup,
                                        tempdir_teardown),
        cmocka_unit_test_setup_teardown(copy_keeps_bytes_and_source_mode, tempdir_setup,
                                        tempdir_teardown),
        cmocka_unit_test_setup_teardown(fifos_and_links_are_refused_without_blocking,
                                        tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(open_beneath_refuses_links_below_the_folder,
                                        tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(stale_temporaries_of_dead_writers_are_removed,
                                        tempdir_setup, tempdir_teardown),
        cmocka_unit_test_setup_teardown(racing_writers_never_tear_the_file, tempdir_setup,
                                        tempdir_teardown),
        cmocka_unit_test_setup_teardown(link_keeps_a_generation_and_sha256, tempdir_setup,
                                        tempdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
