/*
 * faultshim.c - an LD_PRELOAD library for the fault enumeration
 * (tests/fault/enumerate.py, in the spirit of SQLite's I/O-error tests and
 * curl's torture mode): it counts the calls through which a run makes its
 * files durable (fsync, fdatasync, rename, renameat, renameat2, link,
 * linkat, close, write, pwrite, copy_file_range) and makes the Nth of them fail, once or,
 * persistently, that one and every later one.
 *
 * Only calls on files under LOTSYNC_FAULT_PREFIX count (the scenario's own
 * directory), so stderr, pipes, sockets and /dev are never touched; nor do
 * files whose name ends in one of LOTSYNC_FAULT_SKIP's suffixes (the run
 * lock: its pid line is for people), nor close() of a descriptor opened
 * read-only (no write can be reported there, so its EIO means nothing).
 *
 *   LOTSYNC_FAULT_PREFIX  absolute directory whose files count (required)
 *   LOTSYNC_FAULT_SKIP    comma-separated name suffixes that never count
 *   LOTSYNC_FAULT_CALL    only this call counts ("fsync", "rename", ...)
 *   LOTSYNC_FAULT_PATH    only calls on paths containing this string count
 *                         (a trailing '$': paths ending in it)
 *   LOTSYNC_FAULT_AT      N >= 1: the call to fail (unset or 0: only count)
 *   LOTSYNC_FAULT_MODE    "once" (default) or "persist"
 *   LOTSYNC_FAULT_REPORT  file that gets "count N" at exit and one line
 *                         "fail N CALL PATH" per failed call
 *   LOTSYNC_FAULT_TRACE   set: also a line "call N CALL PATH" per counted call
 *
 * copy_file_range counts as a "write" of its output file (the archive's
 * copy is made with it). A failed write, pwrite or copy_file_range writes
 * nothing and sets ENOSPC; a failed fsync,
 * fdatasync or close sets EIO (close does close the descriptor, as Linux
 * does on EIO); a failed rename or link changes nothing and sets EIO.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static const char *prefix, *skip, *only_call, *only_path;
static size_t prefix_len;
static unsigned long fail_at;
static int persist, trace;
static unsigned long counter;
static const char *report;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_copy_file_range)(int, loff_t *, int, loff_t *, size_t, unsigned);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_link)(const char *, const char *);
static int (*real_linkat)(int, const char *, int, const char *, int);

/* Append a line to the report: opened each time, so no descriptor of ours lives in the run. */
static void
say(const char *line)
{
	int fd;

	if (!report || !real_write || !real_close)
		return;
	if ((fd = open(report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return;
	(void)!real_write(fd, line, strlen(line));
	real_close(fd);
}

__attribute__((constructor)) static void
shim_init(void)
{
	const char *at = getenv("LOTSYNC_FAULT_AT"), *mode = getenv("LOTSYNC_FAULT_MODE");

	real_write = dlsym(RTLD_NEXT, "write");
	real_pwrite = dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_copy_file_range = dlsym(RTLD_NEXT, "copy_file_range");
	real_fsync = dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	real_close = dlsym(RTLD_NEXT, "close");
	real_rename = dlsym(RTLD_NEXT, "rename");
	real_renameat = dlsym(RTLD_NEXT, "renameat");
	real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
	real_link = dlsym(RTLD_NEXT, "link");
	real_linkat = dlsym(RTLD_NEXT, "linkat");
	prefix = getenv("LOTSYNC_FAULT_PREFIX");
	skip = getenv("LOTSYNC_FAULT_SKIP");
	only_call = getenv("LOTSYNC_FAULT_CALL");
	only_path = getenv("LOTSYNC_FAULT_PATH");
	prefix_len = prefix ? strlen(prefix) : 0;
	fail_at = at ? strtoul(at, NULL, 10) : 0;
	persist = mode && !strcmp(mode, "persist");
	trace = getenv("LOTSYNC_FAULT_TRACE") != NULL;
	report = getenv("LOTSYNC_FAULT_REPORT");
}

__attribute__((destructor)) static void
shim_fini(void)
{
	char line[64];

	snprintf(line, sizeof(line), "count %lu\n", __atomic_load_n(&counter, __ATOMIC_SEQ_CST));
	say(line);
}

static int
skipped(const char *path)
{
	size_t n = strlen(path);

	for (const char *s = skip; s && *s;) {
		const char *e = strchr(s, ',');
		size_t k = e ? (size_t)(e - s) : strlen(s);

		if (k && k <= n && !strncmp(path + n - k, s, k))
			return 1;
		s = e ? e + 1 : NULL;
	}
	return 0;
}

static int
under_prefix(const char *path)
{
	return prefix_len && !strncmp(path, prefix, prefix_len) &&
	       (path[prefix_len] == '/' || path[prefix_len] == '\0') && !skipped(path);
}

/* The absolute path of fd, or of name relative to dirfd; "" when unknown. */
static void
where(int dirfd, const char *name, char out[PATH_MAX])
{
	char link[64], base[PATH_MAX / 2];
	ssize_t n;

	out[0] = '\0';
	if (name && name[0] == '/') {
		snprintf(out, PATH_MAX, "%s", name);
		return;
	}
	if (dirfd == AT_FDCWD) {
		if (!getcwd(base, sizeof(base)))
			return;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		if ((n = readlink(link, base, sizeof(base) - 1)) < 0)
			return;
		base[n] = '\0';
	}
	if (name)
		snprintf(out, PATH_MAX, "%s/%s", base, name);
	else
		snprintf(out, PATH_MAX, "%s", base);
}

static int
path_matches(const char *path)
{
	size_t n = strlen(only_path), k = strlen(path);

	if (n && only_path[n - 1] == '$')
		return k >= n - 1 && !strncmp(path + k - (n - 1), only_path, n - 1);
	return strstr(path, only_path) != NULL;
}

/* Count this call when it is on a file under the prefix; 1 when it must fail. */
static int
fault(const char *call, const char *path)
{
	unsigned long n;
	char line[PATH_MAX + 64];

	if (!under_prefix(path) || (only_call && strcmp(call, only_call)) ||
	    (only_path && !path_matches(path)))
		return 0;
	n = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
	if (trace) {
		snprintf(line, sizeof(line), "call %lu %s %s\n", n, call, path);
		say(line);
	}
	if (!fail_at || n < fail_at || (n > fail_at && !persist))
		return 0;
	snprintf(line, sizeof(line), "fail %lu %s %s\n", n, call, path);
	say(line);
	return 1;
}

static int
fd_fault(const char *call, int fd)
{
	char path[PATH_MAX];

	if (fd <= 2)
		return 0;
	where(fd, NULL, path);
	return fault(call, path);
}

static int
path_fault(const char *call, int dirfd, const char *name)
{
	char path[PATH_MAX];

	where(dirfd, name, path);
	return fault(call, path);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	if (fd_fault("write", fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real_write(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (fd_fault("pwrite", fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real_pwrite(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	if (fd_fault("pwrite", fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real_pwrite64(fd, buf, len, off);
}

ssize_t
copy_file_range(int in, loff_t *in_off, int out, loff_t *out_off, size_t len, unsigned flags)
{
	if (fd_fault("write", out)) {
		errno = ENOSPC;
		return -1;
	}
	return real_copy_file_range(in, in_off, out, out_off, len, flags);
}

int
fsync(int fd)
{
	if (fd_fault("fsync", fd)) {
		errno = EIO;
		return -1;
	}
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	if (fd_fault("fdatasync", fd)) {
		errno = EIO;
		return -1;
	}
	return real_fdatasync(fd);
}

int
close(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int bad = fl != -1 && (fl & O_ACCMODE) != O_RDONLY && fd_fault("close", fd);
	int rc = real_close(fd);

	if (bad) {
		errno = EIO;
		return -1;
	}
	return rc;
}

int
rename(const char *from, const char *to)
{
	if (path_fault("rename", AT_FDCWD, from)) {
		errno = EIO;
		return -1;
	}
	return real_rename(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	if (path_fault("renameat", fd1, from)) {
		errno = EIO;
		return -1;
	}
	return real_renameat(fd1, from, fd2, to);
}

int
renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
	if (path_fault("renameat2", fd1, from)) {
		errno = EIO;
		return -1;
	}
	return real_renameat2(fd1, from, fd2, to, flags);
}

int
link(const char *from, const char *to)
{
	if (path_fault("link", AT_FDCWD, to)) {
		errno = EIO;
		return -1;
	}
	return real_link(from, to);
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	(void)fd1;
	if (path_fault("linkat", fd2, to)) {
		errno = EIO;
		return -1;
	}
	return real_linkat(fd1, from, fd2, to, flags);
}
