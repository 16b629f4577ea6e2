/*
 * transfer_local.c - file:///abs/dir/ as a "remote": the same semantics as
 * the network backends (temp name, then rename) so that tests and demos
 * run without servers. Everything is relative to one directory fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/crash.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "transfer_p.h"

#define COPY_BUF (256 * 1024)

struct local {
	int dirfd;
};

static enum ls_exit
local_chdir(struct transfer_conn *c)
{
	struct local *l = c->impl;
	int fd = open(c->url.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1) {
		transfer_set_reply(c, "%s", strerror(errno));
		log_syserr("%s: cannot open directory", c->url.display);
		return LS_EXIT_UNAVAILABLE;
	}
	if (l->dirfd != -1)
		close(l->dirfd);
	l->dirfd = fd;
	transfer_set_reply(c, "directory open");
	return LS_EXIT_OK;
}

static enum ls_exit
local_open(struct transfer_conn *c, const struct transfer_endpoint *ep)
{
	struct local *l = xcalloc(1, sizeof(*l));

	(void)ep;
	l->dirfd = -1;
	c->impl = l;
	return local_chdir(c);
}

static void
local_close(struct transfer_conn *c)
{
	struct local *l = c->impl;

	if (!l)
		return;
	if (l->dirfd != -1)
		close(l->dirfd);
	free(l);
	c->impl = NULL;
}

static enum ls_exit
local_fail(struct transfer_conn *c, enum ls_exit rc, const char *what, const char *name)
{
	int e = errno;

	transfer_set_reply(c, "%s", strerror(e));
	errno = e;
	log_syserr("%s%s: %s", c->url.display, name ? name : "", what);
	return rc;
}

static enum ls_exit
local_list(struct transfer_conn *c, struct transfer_listing *ls)
{
	struct local *l = c->impl;
	struct dirent *de;
	struct stat st;
	int fd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd == -1 ? NULL : fdopendir(fd);
	enum ls_exit rc = LS_EXIT_OK;

	if (!d) {
		if (fd != -1)
			close(fd);
		return local_fail(c, LS_EXIT_UNAVAILABLE, "cannot list directory", NULL);
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		/* Vanished since readdir, or not a regular file: not ours to list */
		if (fstatat(l->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (transfer_list_add(ls, de->d_name, (uint64_t)st.st_size, st.st_mtime) == -1) {
			rc = LS_EXIT_DATAERR;
			break;
		}
		errno = 0;
	}
	if (rc == LS_EXIT_OK && errno != 0)
		rc = local_fail(c, LS_EXIT_UNAVAILABLE, "cannot list directory", NULL);
	else if (rc == LS_EXIT_OK)
		transfer_set_reply(c, "%zu files", ls->n);
	closedir(d);
	return rc;
}

/*
 * Copy in to out (through the connection's sink when c is set: a get).
 * *in_failed tells which side failed, so the caller can tell a remote read
 * error from a local write error.
 */
static int
copy_fd(struct transfer_conn *c, int in, int out, uint64_t *bytes, bool *in_failed)
{
	char *buf = xmalloc(COPY_BUF);
	int rc = 0;

	*bytes = 0;
	for (;;) {
		ssize_t r = read(in, buf, COPY_BUF);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*in_failed = r < 0;
			rc = r < 0 ? -1 : 0;
			break;
		}
		if ((c ? transfer_sink(c, out, buf, (size_t)r)
		       : transfer_write_all(out, buf, (size_t)r)) == -1) {
			*in_failed = false;
			rc = -1;
			break;
		}
		*bytes += (uint64_t)r;
	}
	free(buf);
	return rc;
}

static enum ls_exit
local_get(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes)
{
	struct local *l = c->impl;
	struct stat st;
	bool in_failed;
	enum ls_exit rc = LS_EXIT_OK;
	int in = openat(l->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (in == -1 || fstat(in, &st) == -1) {
		rc = local_fail(c, LS_EXIT_UNAVAILABLE, "cannot open", name);
	} else if (!S_ISREG(st.st_mode)) {
		transfer_set_reply(c, "not a regular file");
		log_error("%s%s: not a regular file", c->url.display, name);
		rc = LS_EXIT_UNAVAILABLE;
	} else if (copy_fd(c, in, fd, bytes, &in_failed) == -1) {
		rc = local_fail(c, in_failed ? LS_EXIT_UNAVAILABLE : LS_EXIT_IOERR,
		                in_failed ? "read failed" : "writing the local copy failed", name);
	} else if (*bytes != (uint64_t)st.st_size) {
		transfer_set_reply(c, "size changed while reading");
		log_error("%s%s: got %llu bytes, expected %llu (file changed while reading)",
		          c->url.display, name, (unsigned long long)*bytes,
		          (unsigned long long)st.st_size);
		rc = LS_EXIT_UNAVAILABLE;
	} else {
		transfer_set_reply(c, "%llu bytes read", (unsigned long long)*bytes);
	}
	if (in != -1)
		close(in);
	return rc;
}

/* Write local_fd into dest (a new or truncated file), fsync'd. */
static enum ls_exit
local_write(struct transfer_conn *c, int local_fd, uint64_t size, const char *dest)
{
	struct local *l = c->impl;
	uint64_t bytes;
	bool in_failed;
	int out =
	        openat(l->dirfd, dest, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (out == -1)
		return local_fail(c, LS_EXIT_IOERR, "cannot create", dest);
	if (copy_fd(NULL, local_fd, out, &bytes, &in_failed) == -1 || fsync(out) == -1) {
		enum ls_exit rc = local_fail(c, LS_EXIT_IOERR, "upload failed", dest);

		close(out);
		return rc;
	}
	if (close(out) == -1)
		return local_fail(c, LS_EXIT_IOERR, "upload failed", dest);
	if (bytes != size) {
		transfer_set_reply(c, "local file changed during upload");
		log_error("%s%s: sent %llu bytes, expected %llu (local file changed)",
		          c->url.display, dest, (unsigned long long)bytes,
		          (unsigned long long)size);
		return LS_EXIT_IOERR;
	}
	return LS_EXIT_OK;
}

static enum ls_exit
local_put(struct transfer_conn *c, int local_fd, uint64_t size, const char *name, bool use_rename)
{
	struct local *l = c->impl;
	char *tmp = use_rename ? transfer_temp_name(name) : xstrdup(name);
	enum ls_exit rc = local_write(c, local_fd, size, tmp);

	if (rc != LS_EXIT_OK)
		goto fail;
	if (use_rename)
		crash_point("transfer-uploaded"); /* fault tests: whole temp file, no rename */
	if (use_rename && renameat(l->dirfd, tmp, l->dirfd, name) == -1) {
		rc = local_fail(c, LS_EXIT_IOERR, "rename failed", name);
		goto fail;
	}
	/* The rename is durable only once the directory is */
	if (fsync(l->dirfd) == -1) {
		rc = local_fail(c, LS_EXIT_IOERR, "fsync of the directory failed", NULL);
		goto out;
	}
	transfer_set_reply(c, "%llu bytes stored", (unsigned long long)size);
	goto out;
fail:
	if (use_rename)
		unlinkat(l->dirfd, tmp, 0);
out:
	free(tmp);
	return rc;
}

static enum ls_exit
local_del(struct transfer_conn *c, const char *name)
{
	struct local *l = c->impl;

	if (unlinkat(l->dirfd, name, 0) == -1) {
		c->refused = errno == EACCES || errno == EPERM;
		return local_fail(c, LS_EXIT_UNAVAILABLE, "cannot delete", name);
	}
	transfer_set_reply(c, "deleted");
	return LS_EXIT_OK;
}

const struct transfer_ops transfer_local_ops = {
        .scheme = "file",
        .open = local_open,
        .close = local_close,
        .list = local_list,
        .get = local_get,
        .put = local_put,
        .del = local_del,
        .chdir = local_chdir,
};
