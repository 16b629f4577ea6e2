/* spool.c - SPEC §3 folders; claiming dropped files safely. */
#include "lotsync/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

static const char *const dir_names[] = {"incoming", "work", "archive", "failed", "outbox", "sent"};

void
spool_init(struct spool *sp, const char *root)
{
	sp->root = xstrdup(root);
}

void
spool_release(struct spool *sp)
{
	free(sp->root);
	sp->root = NULL;
}

char *
spool_path(const struct spool *sp, enum spool_dir dir, const char *name)
{
	if (!name)
		return xasprintf("%s/%s", sp->root, dir_names[dir]);
	return xasprintf("%s/%s/%s", sp->root, dir_names[dir], name);
}

static int
prepare(const struct spool *sp, enum spool_dir dir, const char *name, mode_t mode)
{
	char *p = spool_path(sp, dir, name);
	int rc = fsio_mkdirs(p, mode);

	free(p);
	return rc;
}

int
spool_prepare_feed(const struct spool *sp, const char *feed)
{
	/* incoming/ is group-writable territory of vendors' SFTP accounts; work/ is ours alone. */
	if (prepare(sp, SPOOL_INCOMING, feed, 0755) || prepare(sp, SPOOL_WORK, feed, 0700) ||
	    prepare(sp, SPOOL_ARCHIVE, feed, 0750) || prepare(sp, SPOOL_FAILED, feed, 0750))
		return -1;
	return 0;
}

int
spool_prepare_target(const struct spool *sp, const char *target)
{
	if (prepare(sp, SPOOL_OUTBOX, target, 0750) || prepare(sp, SPOOL_SENT, target, 0750))
		return -1;
	return 0;
}

bool
spool_name_is_claimable(const char *name)
{
	static const char *const partial[] = {".part", ".tmp", ".filepart", ".done"};

	if (name[0] == '.' || name[0] == '\0')
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(partial); i++)
		if (str_endswith(name, partial[i]))
			return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int
cmp_files(const void *a, const void *b)
{
	const struct spool_file *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
add_file(struct spool_scan *scan, size_t *alloc, const char *dir, const char *name,
         const struct stat *st)
{
	struct spool_file *f;

	scan->files = xgrow(scan->files, alloc, scan->nfiles + 1, sizeof(*scan->files));
	f = &scan->files[scan->nfiles++];
	f->name = xstrdup(name);
	f->path = xasprintf("%s/%s", dir, name);
	f->mtime = st->st_mtime;
	f->size = (long long)st->st_size;
}

/*
 * Why an entry is refused, or NULL when it is a plain file (singly linked
 * when it is someone else's: work/ files are ours and already hard-linked
 * into archive/).
 */
static const char *
refusal(const struct stat *st, bool ours)
{
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink != 1 && !ours)
		return "a file with more than one hard link";
	return NULL;
}

static bool
has_marker(int dfd, const char *name)
{
	char *m = xasprintf("%s.done", name);
	struct stat st;
	bool ok = fstatat(dfd, m, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);

	free(m);
	return ok;
}

static int
scan_dir(const char *dir, bool incoming, unsigned settle, struct spool_scan *scan)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t alloc = 0;
	time_t now = time(NULL); /* settling is about the file system: real time */

	memset(scan, 0, sizeof(*scan));
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return log_syserr("cannot read directory %s", dir);
	}
	while ((de = readdir(d)) != NULL) {
		const char *why, *name = de->d_name;
		struct stat st;

		if (name[0] == '.' || !spool_name_is_claimable(name))
			continue;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue; /* vanished between readdir and stat */
		if ((why = refusal(&st, !incoming)) != NULL) {
			log_warn("%s/%s: not claimed: %s", dir, name, why);
			scan->refused++;
			continue;
		}
		if (incoming && !has_marker(dirfd(d), name) &&
		    (settle > 0 && now - st.st_mtime < (time_t)settle)) {
			log_info("%s/%s: waiting for the file to settle", dir, name);
			scan->waiting++;
			continue;
		}
		add_file(scan, &alloc, dir, name, &st);
	}
	closedir(d);
	if (scan->nfiles > 1)
		qsort(scan->files, scan->nfiles, sizeof(*scan->files), cmp_files);
	return 0;
}

int
spool_scan_incoming(const struct spool *sp, const char *feed, unsigned settle_seconds,
                    struct spool_scan *scan)
{
	char *dir = spool_path(sp, SPOOL_INCOMING, feed);
	int rc = scan_dir(dir, true, settle_seconds, scan);

	free(dir);
	return rc;
}

int
spool_scan_work(const struct spool *sp, const char *feed, struct spool_scan *scan)
{
	char *dir = spool_path(sp, SPOOL_WORK, feed);
	int rc = scan_dir(dir, false, 0, scan);

	free(dir);
	return rc;
}

void
spool_scan_release(struct spool_scan *scan)
{
	for (size_t i = 0; i < scan->nfiles; i++) {
		free(scan->files[i].name);
		free(scan->files[i].path);
	}
	free(scan->files);
	memset(scan, 0, sizeof(*scan));
}

/* True when path (not followed) is the file st describes. */
static bool
same_inode(const char *path, const struct stat *st)
{
	struct stat now;

	return lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

char *
spool_claim(const struct spool *sp, const char *feed, const struct spool_file *f)
{
	char *work = spool_path(sp, SPOOL_WORK, feed), *dst = NULL;
	char *marker = xasprintf("%s.done", f->path);
	int fd;
	struct stat st;

	/* Re-check through an O_NOFOLLOW descriptor: the entry may have been swapped. */
	fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || refusal(&st, false)) {
		log_warn("%s: not claimed: changed while scanning", f->path);
		goto out;
	}
	if (fsio_move(f->path, work, f->name) == -1)
		goto out;
	dst = xasprintf("%s/%s", work, f->name);
	if (!same_inode(dst, &st)) {
		/* Swapped between the check and the rename: back where its sender can see it */
		log_warn("%s: not claimed: replaced while being claimed", f->path);
		if (rename(dst, f->path) == -1)
			log_syserr("cannot move %s back to %s", dst, f->path);
		free(dst);
		dst = NULL;
		goto out;
	}
	if (access(marker, F_OK) == 0) {
		char *mname = xasprintf("%s.done", f->name);

		if (fsio_move(marker, work, mname) == -1)
			log_warn("%s: marker left behind", marker);
		free(mname);
	}
out:
	if (fd >= 0)
		close(fd);
	free(marker);
	free(work);
	return dst;
}

void
spool_drop_marker(const char *work_path)
{
	char *m = xasprintf("%s.done", work_path);

	if (unlink(m) == -1 && errno != ENOENT)
		log_syserr("cannot remove %s", m);
	free(m);
}
