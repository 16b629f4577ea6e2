/*
 * fsio.h - durable file operations: spool files are lotsync's source of
 * truth between runs, so a file is published by writing a temporary name in
 * the same directory (O_EXCL, 0600), fsync, rename, then fsync of the
 * directory, so that after a crash either the old or the new file exists.
 *
 * Every function logs its own error (with the path and errno) and returns
 * -1; the caller only decides what to do about it.
 */
#ifndef LOTSYNC_FSIO_H
#define LOTSYNC_FSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FSIO_SHA256_HEX 65

/* mkdir -p with mode for every created component. */
int fsio_mkdirs(const char *path, mode_t mode);

/* fsync a directory so that renames and creations in it are durable. */
int fsio_fsync_dir(const char *dir);

/*
 * Create a temporary file "<dir>/.tmp-<name>-XXXXXX" (O_EXCL, 0600). Returns
 * the fd and writes the path into *tmp (caller frees), or -1.
 */
int fsio_mktemp(const char *dir, const char *name, char **tmp);

/* Write all of buf to fd (restarting on EINTR and short writes). */
int fsio_write_all(int fd, const void *buf, size_t len);

/* fsync and close fd, rename tmp to <dir>/<name>, fsync dir. On failure tmp is removed. */
int fsio_commit(int fd, char *tmp, const char *dir, const char *name);

/* Close fd if >= 0 and unlink tmp; always returns -1. */
int fsio_discard(int fd, const char *tmp);

/* Durably write len bytes as <dir>/<name> (0600). */
int fsio_write_file(const char *dir, const char *name, const void *buf, size_t len);
/* The same with the file's mode (0644 for a file another user reads). */
int fsio_write_file_mode(const char *dir, const char *name, const void *buf, size_t len,
                         mode_t mode);
/*
 * fsio_write_file() without the directory's fsync: the file's bytes are
 * durable before its name changes, so after a power loss the name holds
 * the new bytes or the previous file; the new name is durable once the
 * caller fsyncs dir (fsio_fsync_dir), which it does before it reports
 * success. For a file rewritten after every commit of a run.
 */
int fsio_write_file_unsynced_dir(const char *dir, const char *name, const void *buf, size_t len);

/*
 * Durably place a byte copy of src as <dir>/<name> (never a link: the copy
 * may be edited). An existing <dir>/<name> is left alone.
 */
int fsio_copy_bytes(const char *src, const char *dir, const char *name);

/*
 * Durably place what the open file `in` holds (read from offset 0) as
 * <dir>/<name> with mode, replacing an existing <dir>/<name>: a temporary
 * file, fsync, rename, fsync of dir. hex (when not NULL) gets the SHA-256
 * of exactly the bytes copied and *size (when not NULL) their count; name
 * NULL names the file by that hex (hex is then required).
 * before is in's fstat() from before the copy: when in's size or mtime
 * differ afterwards, or the bytes read are not its size, someone was still
 * writing it and nothing is placed (returns 1). 0 placed, -1 failed
 * (logged, the temporary file removed).
 */
int fsio_copy_fd(int in, const struct stat *before, const char *dir, const char *name, mode_t mode,
                 char hex[FSIO_SHA256_HEX], uint64_t *size);

/* Rename src to <dir>/<name> and fsync both directories. */
int fsio_move(const char *src, const char *dir, const char *name);

/* SHA-256 of a file as lower-case hex, and its size. */
int fsio_sha256_file(const char *path, char hex[FSIO_SHA256_HEX], uint64_t *size);

/* SHA-256 of a buffer as lower-case hex. */
void fsio_sha256_buf(const void *buf, size_t len, char hex[FSIO_SHA256_HEX]);

/* Directory part of path (caller frees). */
char *fsio_dirname(const char *path);

#endif
