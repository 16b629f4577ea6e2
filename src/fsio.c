/* fsio.c - durable writes: O_EXCL temp, fsync, rename, fsync(dir). */
#include "lotsync/fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/handoff.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

int
fsio_mkdirs(const char *path, mode_t mode)
{
	char *p;
	int rc = 0;

	/* Most calls find it made (every feed's folders, every run): one call, not one per parent.
	 */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	p = xstrdup(path);

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			rc = log_syserr("cannot create directory %s", p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

int
fsio_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd == -1)
		return log_syserr("cannot open directory %s", dir);
	if (fsync(fd) == -1)
		rc = log_syserr("cannot fsync directory %s", dir);
	close(fd);
	return rc;
}

int
fsio_mktemp(const char *dir, const char *name, char **tmp)
{
	char *path = xasprintf("%s/.tmp-%s-XXXXXX", dir, name);
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd == -1) {
		log_syserr("cannot create temporary file in %s", dir);
		free(path);
		return -1;
	}
	*tmp = path;
	return fd;
}

int
fsio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsio_discard(int fd, const char *tmp)
{
	if (fd >= 0)
		close(fd);
	if (tmp && unlink(tmp) == -1 && errno != ENOENT)
		log_syserr("cannot remove %s", tmp);
	return -1;
}

static int
commit(int fd, char *tmp, const char *dir, const char *name, bool sync_dir)
{
	char *dst = xasprintf("%s/%s", dir, name);
	int rc = -1;

	if (fsync(fd) == -1) {
		log_syserr("cannot fsync %s", tmp);
		fsio_discard(fd, tmp);
		goto out;
	}
	if (close(fd) == -1) {
		log_syserr("cannot close %s", tmp);
		fsio_discard(-1, tmp);
		goto out;
	}
	if (rename(tmp, dst) == -1) {
		log_syserr("cannot rename %s to %s", tmp, dst);
		fsio_discard(-1, tmp);
		goto out;
	}
	rc = sync_dir ? fsio_fsync_dir(dir) : 0;
out:
	free(dst);
	return rc;
}

int
fsio_commit(int fd, char *tmp, const char *dir, const char *name)
{
	return commit(fd, tmp, dir, name, true);
}

int
fsio_write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	return fsio_write_file_mode(dir, name, buf, len, 0600);
}

static int
write_file(const char *dir, const char *name, const void *buf, size_t len, mode_t mode,
           bool sync_dir)
{
	char *tmp = NULL;
	int rc, fd = fsio_mktemp(dir, name, &tmp);

	if (fd == -1)
		return -1;
	/* mkostemp made it 0600: no fchmod for that (the fault tests count calls). */
	if ((mode != 0600 && fchmod(fd, mode) == -1) || fsio_write_all(fd, buf, len) == -1) {
		log_syserr("cannot write %s", tmp);
		rc = fsio_discard(fd, tmp);
	} else {
		rc = commit(fd, tmp, dir, name, sync_dir);
	}
	free(tmp);
	return rc;
}

int
fsio_write_file_mode(const char *dir, const char *name, const void *buf, size_t len, mode_t mode)
{
	return write_file(dir, name, buf, len, mode, true);
}

int
fsio_write_file_unsynced_dir(const char *dir, const char *name, const void *buf, size_t len)
{
	return write_file(dir, name, buf, len, 0600, false);
}

static int
copy_fd(int in, int out)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || fsio_write_all(out, buf, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

int
fsio_copy_bytes(const char *src, const char *dir, const char *name)
{
	char *dst = xasprintf("%s/%s", dir, name), *tmp = NULL;
	int in = -1, out = -1, rc = -1;

	if (access(dst, F_OK) == 0) {
		rc = 0;
		goto out;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_syserr("cannot open %s", src);
		goto out;
	}
	if ((out = fsio_mktemp(dir, name, &tmp)) == -1)
		goto out;
	if (copy_fd(in, out) == -1) {
		log_syserr("cannot copy %s to %s", src, tmp);
		fsio_discard(out, tmp);
		goto out;
	}
	rc = fsio_commit(out, tmp, dir, name);
out:
	if (in >= 0)
		close(in);
	free(tmp);
	free(dst);
	return rc;
}

/* True when fd still has the size and mtime of *before and size bytes were read. */
static bool
unchanged(int fd, const struct stat *before, uint64_t size)
{
	struct stat now;

	return fstat(fd, &now) == 0 && now.st_size == before->st_size &&
	       now.st_mtim.tv_sec == before->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == before->st_mtim.tv_nsec && (uint64_t)before->st_size == size;
}

#define COPY_BUF   (1 << 20)
#define COPY_CHUNK ((size_t)8 << 20)

/* Hash len bytes of fd from off (the copy just written: the page cache holds them). */
static int
hash_back(int fd, off_t off, size_t len, char *buf, EVP_MD_CTX *ctx)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len < COPY_BUF ? len : COPY_BUF, off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) /* the copy cannot be shorter than what was written: an I/O error */
			return -1;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The kernel cannot copy between these two files: the read/write loop does. */
static bool
no_kernel_copy(int err)
{
	return err == EXDEV || err == ENOSYS || err == EINVAL || err == EOPNOTSUPP || err == EBADF;
}

/* One piece of in at off by read and write, hashed as read: its length, 0 at the end, -1. */
static ssize_t
copy_piece(int in, int out, off_t off, char *buf, EVP_MD_CTX *ctx)
{
	ssize_t n = pread(in, buf, COPY_BUF, off);

	if (n <= 0)
		return n;
	for (ssize_t done = 0; done < n;) {
		ssize_t w = pwrite(out, buf + done, (size_t)(n - done), off + done);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		done += w;
	}
	if (ctx)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	return n;
}

/*
 * The hash of a large copy runs on a thread of its own, a chunk behind the
 * kernel's copy: SHA-256 of a chunk read back (~60% of the step) and the
 * copy of the next one (~40%, in the kernel) were one after the other on
 * the ingest's thread. A chunk is hashed only after it was written, so the
 * hash is still of exactly what was written, in order.
 */
#define HASH_AHEAD 2 /* chunks copied and not yet hashed */

struct hash_piece {
	int fd;
	off_t off;
	size_t len;
};

struct hasher {
	struct handoff *h; /* NULL: the copy hashes each chunk itself */
	struct hash_piece ring[HASH_AHEAD + 1];
	size_t next;
	EVP_MD_CTX *ctx;
	char *buf; /* the hashing thread's own, else the copy's */
};

static int
hash_item(void *item, void *arg)
{
	struct hash_piece *p = item;
	struct hasher *hs = arg;

	return hash_back(p->fd, p->off, p->len, hs->buf, hs->ctx);
}

/* The chunk of out at off, len bytes just copied: hashed now, or handed to the thread. */
static int
hash_chunk(struct hasher *hs, int out, off_t off, size_t len)
{
	struct hash_piece *p;

	if (!hs->h)
		return hash_back(out, off, len, hs->buf, hs->ctx);
	/* with HASH_AHEAD in hand, the piece a put waits to reuse is done */
	p = &hs->ring[hs->next++ % (HASH_AHEAD + 1)];
	if (handoff_room(hs->h) != 0) {
		errno = EIO; /* the thread's pread failed: its errno is its own */
		return -1;
	}
	*p = (struct hash_piece){out, off, len};
	handoff_put(hs->h, p);
	return 0;
}

/*
 * Copy in to out from in's start, hashing (ctx may be NULL); the bytes
 * copied in *size. copy_file_range(2) moves the bytes inside the kernel:
 * copy, hash and fsync of a 607 MB feed on ext4 took 0.78 s against 0.92 s
 * for the read/write loop (medians of 5, alternating); on XFS or btrfs
 * the kernel may share extents, which copy-on-write keeps the archive's. The hash is
 * then of exactly what was written: each chunk is read back from the copy
 * (a file of several chunks on a thread of its own, above).
 * Where the kernel cannot copy between the two, the read/write loop.
 */
static int
copy_hashed(int in, int out, EVP_MD_CTX *ctx, uint64_t *size, off_t total)
{
	char *buf = xmalloc(COPY_BUF);
	struct hasher hs = {.ctx = ctx, .buf = buf};
	bool kernel = true;
	off_t off = 0;
	int rc = -1;

	if (ctx && total > (off_t)(2 * COPY_CHUNK)) {
		hs.buf = xmalloc(COPY_BUF);
		hs.h = handoff_new(hash_item, &hs, HASH_AHEAD);
	}
	for (;;) {
		ssize_t n;

		if (kernel) {
			loff_t from = off, to = off;

			n = copy_file_range(in, &from, out, &to, COPY_CHUNK, 0);
			if (n == -1 && no_kernel_copy(errno)) {
				/* the loop hashes as it reads, after what the thread has */
				if (hs.h && handoff_drain(hs.h) != 0) {
					errno = EIO;
					goto out;
				}
				kernel = false;
				continue;
			}
			if (n > 0 && ctx && hash_chunk(&hs, out, off, (size_t)n) == -1)
				goto out;
		} else {
			n = copy_piece(in, out, off, buf, ctx);
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		/*
		 * The source's pages will not be read again: both callers copy a
		 * file to remove it (ingest parses the archived copy), so they are
		 * let go now. Keeping two copies of a 577 MB feed in the page cache
		 * made the rest of a steady-state run pay for fresh memory: 4.1-4.7
		 * s against 2.8-3.4 s (5 pairs). A hint; nothing depends on it.
		 */
		(void)posix_fadvise(in, off, n, POSIX_FADV_DONTNEED);
		(void)sync_file_range(out, off, n, SYNC_FILE_RANGE_WRITE);
		off += n;
	}
	if (hs.h && handoff_drain(hs.h) != 0) {
		errno = EIO;
		goto out;
	}
	*size = (uint64_t)off;
	rc = 0;
out:
	handoff_free(hs.h); /* waits for a chunk in hand: ctx and buf are still its */
	if (hs.buf != buf)
		free(hs.buf);
	free(buf);
	return rc;
}

int
fsio_copy_fd(int in, const struct stat *before, const char *dir, const char *name, mode_t mode,
             char hex[FSIO_SHA256_HEX], uint64_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = hex ? EVP_MD_CTX_new() : NULL;
	char *tmp = NULL;
	uint64_t n = 0;
	int out = -1, rc = -1;

	if (hex && (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1))
		log_fatal("SHA-256 unavailable in libcrypto");
	if ((out = fsio_mktemp(dir, name ? name : "sha256", &tmp)) == -1)
		goto out;
	if (copy_hashed(in, out, ctx, &n, before->st_size) == -1) {
		log_syserr("cannot copy into %s", tmp);
		fsio_discard(out, tmp);
		goto out;
	}
	/* Bytes that moved while we read them are no file's content: the writer was not done */
	if (!unchanged(in, before, n)) {
		fsio_discard(out, tmp);
		rc = 1;
		goto out;
	}
	if (fchmod(out, mode) == -1) {
		log_syserr("cannot chmod %s", tmp);
		fsio_discard(out, tmp);
		goto out;
	}
	if (hex) {
		EVP_DigestFinal_ex(ctx, md, &mdlen);
		hex_encode(md, mdlen, hex);
	}
	if (fsio_commit(out, tmp, dir, name ? name : hex) == -1)
		goto out;
	if (size)
		*size = n;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(tmp);
	return rc;
}

char *
fsio_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
fsio_move(const char *src, const char *dir, const char *name)
{
	char *dst = xasprintf("%s/%s", dir, name), *sdir = fsio_dirname(src);
	int rc = -1;

	if (rename(src, dst) == -1) {
		log_syserr("cannot move %s to %s", src, dst);
		goto out;
	}
	if (fsio_fsync_dir(dir) == -1 || fsio_fsync_dir(sdir) == -1)
		goto out;
	rc = 0;
out:
	free(dst);
	free(sdir);
	return rc;
}

int
fsio_sha256_file(const char *path, char hex[FSIO_SHA256_HEX], uint64_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *buf = xmalloc(1 << 20);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t total = 0;
	int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (!ctx)
		log_fatal("out of memory (EVP_MD_CTX_new)");
	if (fd == -1) {
		log_syserr("cannot open %s", path);
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		log_fatal("SHA-256 unavailable in libcrypto");
	while ((n = read(fd, buf, 1 << 20)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_syserr("cannot read %s", path);
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	hex_encode(md, mdlen, hex);
	if (size)
		*size = total;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

void
fsio_sha256_buf(const void *buf, size_t len, char hex[FSIO_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		log_fatal("SHA-256 unavailable in libcrypto");
	hex_encode(md, mdlen, hex);
}
