/* base/fileio.h: whole-file reads, folders, and the project's one crash-safe writer. base/ is the
 * bottom layer, so every file wb writes whole goes through here: PNG and .npy (data/), weights
 * (model/), the report's pages, chart data and scripts (plots/), the run folders merge copies
 * (store/). (SQLite and gnuplot write their own files.) Returns 0 or -1 with a one-line message
 * in err that names the file. */
#ifndef WB_BASE_FILEIO_H
#define WB_BASE_FILEIO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* Opens path for reading when it is a regular file: opened O_NONBLOCK (a FIFO would otherwise wait
 * for a writer, forever; a regular file reads the same) and checked with fstat before anything is
 * read. A FIFO, a device, a folder or a socket is refused by name ("PATH: not a regular file (a
 * FIFO)"); with FILE_NOFOLLOW a symbolic link is refused too (a run folder's files are never
 * links). Every file wb reads as input goes through here: databases (store/ checks the path
 * before SQLite opens it), INI files, images, arrays and weights. Returns the descriptor
 * (O_CLOEXEC) and fills *st, or -1 with err set. */
#define FILE_NOFOLLOW 1
int file_open_regular(const char *path, int flags, struct stat *st, char *err, size_t errlen);
/* The same for the file dir/rel reached without a symbolic link below dir: each folder of rel is
 * opened from the last with O_NOFOLLOW, and rel may not be absolute or hold "..". dir itself is
 * followed (a results folder may be a link: the user chose it). What wb serve reads from a
 * results folder (a preview, a report file) goes through here, so that a link planted in a run
 * folder or a report folder cannot make it serve a file from elsewhere. */
int file_open_beneath(const char *dir, const char *rel, struct stat *st, char *err, size_t errlen);

/* Reads a whole regular file into a malloc'ed buffer (one spare byte, never NULL on success).
 * Anything else (a FIFO, a device, a folder) is refused without blocking (file_open_regular), so
 * a FIFO named like an input (x.png in a png: folder) cannot hang a sweep waiting for a writer.
 * A file larger than max_bytes (0: no limit) is refused before anything is read. */
int file_read_all(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen);
int file_read_max(const char *path, size_t max_bytes, unsigned char **buf, size_t *len, char *err,
                  size_t errlen);
/* The same for dir/rel opened with file_open_beneath (no symbolic link below dir). */
int file_read_beneath(const char *dir, const char *rel, size_t max_bytes, unsigned char **buf,
                      size_t *len, char *err, size_t errlen);

/* The SHA-256 of a regular file's bytes as 64 lowercase hex digits (a checkpoint's integrity,
 * recorded with its epoch and checked before it is used). Refused like file_read_all. */
int file_sha256(const char *path, char hex[65], char *err, size_t errlen);
/* The SHA-256 of bytes in memory, as file_sha256 gives it: a file read once, then checked and
 * parsed from the same bytes (nothing can change between the check and the use). */
void file_sha256_bytes(const void *bytes, size_t len, char hex[65]);

/* The folder part of path: "." when it has none, "/" for a file at the root. */
void file_dirname(const char *path, char *out, size_t len);

/* Creates a folder and its parents (mkdir -p). Returns 0 or -1 with err set. */
int file_mkdirs(const char *path, char *err, size_t errlen);

/* Removes a folder and everything in it (rm -r), without following symbolic links: a link is
 * removed, not what it points to. A folder that does not exist is not an error. Returns 0 or -1
 * with err naming the path that could not be removed. */
int file_remove_tree(const char *path, char *err, size_t errlen);

/* ---- crash-safe writes ----------------------------------------------------------------------
 * A file written whole or not at all, and still there after a crash once committed:
 *   atomic_file_open    creates "<folder>/.<name>.tmp.<host>.<pid>.<n>" beside the final path
 *                       with O_EXCL, mode 0666 less the umask (what fopen would give). Same
 *                       folder: rename is atomic only within a filesystem. Hidden: run-folder
 *                       copies and listings skip names that start with '.'. The host (its name,
 *                       letters, digits and '-' only, at most 32), pid and n (the first number
 *                       whose exclusive create succeeds) make the name this call's alone, so
 *                       processes and threads writing one path at once, on one machine or on
 *                       several sharing a file system, never share a temporary file, and a
 *                       temporary file left by a killed process can be told from a live one's
 *                       (atomic_file_remove_stale);
 *   (the caller writes through a.f; it may stop at its first failed write: the stream's error
 *   flag makes the commit fail with the cause)
 *   atomic_file_commit  flushes, fsyncs and closes the file, renames it over the path (a reader
 *                       sees the old file or the new one, never part of one; of writers racing
 *                       for one path the last rename wins, whole) and fsyncs the folder so that
 *                       the rename survives a crash too;
 *   atomic_file_abort   closes and removes the temporary file (after an error elsewhere).
 * On any failure the temporary file is removed and the file at the path is left as it was,
 * except when only the folder's fsync fails: the new file is then in place, whole, and commit
 * still returns -1, since a crash could bring the old one back (fileio.c says why). */
typedef struct atomic_file {
    FILE *f;                   /* between open and commit or abort; NULL otherwise */
    char path[4096];           /* the final path */
    char tmp_path[4096 + 48];  /* the temporary file */
} atomic_file;

int atomic_file_open(atomic_file *a, const char *path, char *err, size_t errlen);
int atomic_file_commit(atomic_file *a, char *err, size_t errlen);
void atomic_file_abort(atomic_file *a);

/* Copies the bytes of the regular file src to path through an atomic_file, with src's permission
 * bits instead of the umask's (what merging run folders needs). src is opened without following
 * a symbolic link and without blocking: a link, a FIFO or a device is refused. */
int atomic_file_copy(const char *src, const char *path, char *err, size_t errlen);

/* Makes path another name of the file src is (a hard link: no byte copied), atomically: a link
 * under a temporary name of atomic_file_open's shape, renamed over path, then the folder's fsync.
 * path always names a whole file, the old one or src's. *linked = 0 (and 0 returned) when src
 * does not exist. */
int atomic_file_link(const char *src, const char *path, int *linked, char *err, size_t errlen);

/* Removes from folder dir the temporary files of atomic_file_open whose writer is gone: the host
 * in the name is this one and its pid is no longer a live process here (or is a zombie). A
 * temporary file of another host, of a live process, or of another shape is left alone, as is
 * every file that is not a temporary file. *removed (may be NULL) counts the files removed.
 * A missing folder has nothing to remove. Returns 0, or -1 when the folder cannot be read. */
int atomic_file_remove_stale(const char *dir, int *removed, char *err, size_t errlen);

#endif
