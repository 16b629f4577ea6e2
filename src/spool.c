/* spool.c - SPEC §3 folders: every path, claim, move, copy and removal of a spool file. */
#include "lotsync/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/fsio.h"
#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

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

char *
spool_file_path(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name)
{
	return xasprintf("%s/%s/%s/%s", sp->root, dir_names[dir], sub, name);
}

bool
spool_has(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name)
{
	char *p = spool_file_path(sp, dir, sub, name);
	struct stat st;
	bool yes = lstat(p, &st) == 0;

	free(p);
	return yes;
}

int
spool_sync(const struct spool *sp, enum spool_dir dir, const char *sub)
{
	char *p = spool_path(sp, dir, sub);
	int rc = fsio_fsync_dir(p);

	free(p);
	return rc;
}

int
spool_feed_other_fs(const struct spool *sp, const char *feed)
{
	char *in = spool_path(sp, SPOOL_INCOMING, feed), *work = spool_path(sp, SPOOL_WORK, feed);
	char *wdir = spool_path(sp, SPOOL_WORK, NULL);
	struct stat a, b;
	int rc = 0;

	if (stat(in, &a) == 0 &&
	    (stat(work, &b) == 0 || stat(wdir, &b) == 0 || stat(sp->root, &b) == 0))
		rc = a.st_dev != b.st_dev;
	free(in);
	free(work);
	free(wdir);
	return rc;
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

static bool
has_partial_suffix(const char *name)
{
	static const char *const partial[] = {".part", ".tmp", ".filepart", ".done"};

	for (size_t i = 0; i < ARRAY_SIZE(partial); i++)
		if (str_endswith(name, partial[i]))
			return true;
	return false;
}

/*
 * Why a drop name is refused, or NULL. Control bytes would reach logs,
 * the report and the database; a name longer than SPOOL_LOCAL_NAME_MAX
 * leaves no room for the spool's own derived names (".tmp-NAME-" and six random characters,
 * NAME.reason) within the 255 bytes a file name may have.
 */
static const char *
bad_name(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "its name holds control characters (rename it)";
	if (strlen(name) > SPOOL_LOCAL_NAME_MAX)
		return "its name is longer than " STR(SPOOL_LOCAL_NAME_MAX) " bytes (rename it)";
	return NULL;
}

/* A name with its control bytes as \xNN, safe for a log line. Caller frees. */
static char *
shown_name(const char *name)
{
	static const char hex[] = "0123456789abcdef";
	char *out = xmalloc(4 * strlen(name) + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\') {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	return out;
}

bool
spool_name_is_claimable(const char *name)
{
	return name[0] != '.' && name[0] != '\0' && !has_partial_suffix(name) && !bad_name(name);
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

/*
 * Whose files a drop folder gives: its owner's (the vendor account it was
 * made for, scripts/add-vendor.sh), lotsync's own (fetch, retry) and
 * root's. Anyone else could only write there through a shared group: not
 * the vendor's upload, so not claimed.
 */
static bool
foreign_owner(const struct stat *st, uid_t folder_owner)
{
	return st->st_uid != folder_owner && st->st_uid != geteuid() && st->st_uid != 0;
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
	struct stat ds;
	size_t alloc = 0;
	time_t now = time(NULL); /* settling is about the file system: real time */

	memset(scan, 0, sizeof(*scan));
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return log_syserr("cannot read directory %s", dir);
	}
	if (fstat(dirfd(d), &ds) == -1) {
		int rc = log_syserr("cannot stat directory %s", dir);

		closedir(d);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		const char *why, *name = de->d_name;
		struct stat st;

		if (name[0] == '.' || has_partial_suffix(name))
			continue; /* the spool's own, or an upload in progress: silently */
		if ((why = bad_name(name)) != NULL) {
			char *shown = shown_name(name);

			log_warn("%s/%s: not claimed: %s", dir, shown, why);
			free(shown);
			scan->refused++;
			continue;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue; /* vanished between readdir and stat */
		if ((why = refusal(&st, !incoming)) != NULL) {
			log_warn("%s/%s: not claimed: %s", dir, name, why);
			scan->refused++;
			continue;
		}
		if (incoming && foreign_owner(&st, ds.st_uid)) {
			log_warn("%s/%s: not claimed: it belongs to uid %u, neither the drop "
			         "folder's owner (uid %u) nor lotsync's user (uid %u) nor root",
			         dir, name, (unsigned)st.st_uid, (unsigned)ds.st_uid,
			         (unsigned)geteuid());
			scan->refused++;
			continue;
		}
		if ((uint64_t)st.st_size > LS_MAX_INPUT_BYTES) {
			/* Told from its size alone: a sparse 10 GB file is never read */
			log_warn("%s/%s: not claimed: %lld bytes, more than the %llu a feed file "
			         "may have",
			         dir, name, (long long)st.st_size,
			         (unsigned long long)LS_MAX_INPUT_BYTES);
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

/*
 * True when another process has fd's file open for writing: a read lease
 * (Linux, F_SETLEASE) is refused with EAGAIN then. It is given back at
 * once, so no lease-break signal ever reaches us. Without the right to a
 * lease (not the file's owner and no CAP_LEASE, or a file system without
 * leases) nothing can be told here: settling and the size and mtime
 * re-check after the copy decide alone.
 */
static bool
open_for_writing(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		return false;
	}
	return errno == EAGAIN;
}

/*
 * Move the .done marker of a claimed file along (a missing one is no
 * error): a rename and an fsync of both folders; across file systems an
 * empty marker is written in work/ and the original removed.
 */
static int
claim_marker(const char *src_path, const char *work, const char *name)
{
	char *marker = xasprintf("%s.done", src_path), *mname = xasprintf("%s.done", name);
	char *sdir = fsio_dirname(src_path), *dst = xasprintf("%s/%s", work, mname);
	int rc = 0;

	if (access(marker, F_OK) != 0)
		goto out;
	if (rename(marker, dst) == 0)
		rc = fsio_fsync_dir(work) == -1 || fsio_fsync_dir(sdir) == -1 ? -1 : 0;
	else if (errno != EXDEV)
		rc = log_syserr("cannot move %s to %s", marker, dst);
	else if (fsio_write_file(work, mname, "", 0) == -1)
		rc = -1;
	else if (unlink(marker) == -1 || fsio_fsync_dir(sdir) == -1)
		rc = log_syserr("cannot remove %s", marker);
out:
	free(dst);
	free(sdir);
	free(marker);
	free(mname);
	return rc;
}

int
spool_adopt_marker(const struct spool *sp, const char *feed, const char *name)
{
	char *in = spool_file_path(sp, SPOOL_INCOMING, feed, name),
	     *work = spool_path(sp, SPOOL_WORK, feed);
	struct stat st;
	int rc = 0;

	/* A file of that name in incoming/ is a new one, and the marker is its own */
	if (lstat(in, &st) == -1 && errno == ENOENT)
		rc = claim_marker(in, work, name);
	free(in);
	free(work);
	return rc;
}

/*
 * The drop folder is on another file system than work/ (a mount point or a
 * symbolic link): rename() cannot cross, so the bytes are copied from the
 * descriptor that was checked (temp, fsync, rename, fsync), then the
 * original is removed and its folder fsynced.
 */
static enum spool_claim
claim_by_copy(const struct spool_file *f, int fd, const struct stat *st, const char *work)
{
	char *sdir = fsio_dirname(f->path), *dst = xasprintf("%s/%s", work, f->name);
	enum spool_claim rc = SPOOL_CLAIM_FAILED;
	int r;

	log_info("%s: on another file system than %s: claimed by copy", f->path, work);
	if ((r = fsio_copy_fd(fd, st, work, f->name, 0600, NULL, NULL)) != 0) {
		/* Renamed but not made durable: the original stays the one to claim */
		if (r == -1 && unlink(dst) == -1 && errno != ENOENT)
			log_syserr("cannot remove %s", dst);
		if (r == 1) {
			log_warn("%s: not claimed: still being written (its size or mtime changed "
			         "while it was copied)",
			         f->path);
			rc = SPOOL_CLAIM_BUSY;
		}
		goto out;
	}
	if (!same_inode(f->path, st)) {
		log_warn("%s: not claimed: replaced while being claimed", f->path);
		rc = SPOOL_CLAIM_GONE;
		goto undo;
	}
	if (unlink(f->path) == -1) {
		log_syserr("cannot remove %s after copying it to %s", f->path, dst);
		goto undo;
	}
	if (fsio_fsync_dir(sdir) == -1)
		goto out; /* the copy stays in work/: the next run takes it up first */
	rc = SPOOL_CLAIMED;
	goto out;
undo:
	if (unlink(dst) == -1 || fsio_fsync_dir(work) == -1)
		log_syserr("cannot remove the copy %s", dst);
out:
	free(dst);
	free(sdir);
	return rc;
}

enum spool_claim
spool_claim(const struct spool *sp, const char *feed, const struct spool_file *f, char **path)
{
	char *work = spool_path(sp, SPOOL_WORK, feed), *dst = xasprintf("%s/%s", work, f->name);
	char *sdir = fsio_dirname(f->path);
	enum spool_claim rc = SPOOL_CLAIM_FAILED;
	int fd;
	struct stat st;

	*path = NULL;
	/* Re-check through an O_NOFOLLOW descriptor: the entry may have been swapped. */
	fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT && errno != ELOOP) {
		log_syserr("%s: cannot open it to claim it", f->path);
		goto out;
	}
	if (fd == -1 || fstat(fd, &st) == -1 || refusal(&st, false)) {
		log_warn("%s: not claimed: changed while scanning", f->path);
		rc = SPOOL_CLAIM_GONE;
		goto out;
	}
	if (open_for_writing(fd)) {
		log_info("%s: not claimed: another process has it open for writing", f->path);
		rc = SPOOL_CLAIM_BUSY;
		goto out;
	}
	if (rename(f->path, dst) == -1) {
		if (errno == EXDEV)
			rc = claim_by_copy(f, fd, &st, work);
		else if (errno == ENOENT)
			rc = SPOOL_CLAIM_GONE;
		else
			log_syserr("cannot move %s to %s", f->path, dst);
		if (rc != SPOOL_CLAIMED)
			goto out;
	} else if (!same_inode(dst, &st)) {
		/* Swapped between the check and the rename: back where its sender can see it */
		log_warn("%s: not claimed: replaced while being claimed", f->path);
		if (rename(dst, f->path) == -1)
			log_syserr("cannot move %s back to %s", dst, f->path);
		rc = SPOOL_CLAIM_GONE;
		goto out;
	}
	/*
	 * From here on the file is in work/: a failure stops the feed (exit 74)
	 * and the next run takes it up from work/ before anything newer.
	 */
	*path = dst;
	dst = NULL;
	if (fsio_fsync_dir(work) == -1 || fsio_fsync_dir(sdir) == -1 ||
	    claim_marker(f->path, work, f->name) == -1) {
		rc = SPOOL_CLAIM_FAILED;
		goto out;
	}
	rc = SPOOL_CLAIMED;
out:
	if (fd >= 0)
		close(fd);
	free(sdir);
	free(dst);
	free(work);
	return rc;
}

void
spool_drop_marker(const char *work_path)
{
	char *m = xasprintf("%s.done", work_path);

	if (unlink(m) == -1 && errno != ENOENT)
		log_syserr("cannot remove %s", m);
	free(m);
}

bool
spool_name_is_safe(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' ||
		    (p[0] == 0xE2 && ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
		                      (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9))))
			return false; /* bidi controls would disguise the name */
	return true;
}

char *
spool_incoming_name(const char *remote)
{
	size_t n = strlen(remote);
	char *s;

	if (n > SPOOL_LOCAL_NAME_MAX)
		n = SPOOL_LOCAL_NAME_MAX;
	s = xstrndup(remote, n);
	for (char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("._+~-", ch)))
			*p = '_';
	}
	/* A trailing ".part" made by truncation would never be claimed */
	if (!spool_name_is_claimable(s)) {
		char *t = xasprintf("%s_", s);

		free(s);
		s = t;
	}
	return s;
}

int
spool_create(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name,
             char **tmp)
{
	char *d = spool_path(sp, dir, sub);
	int fd = fsio_mktemp(d, name, tmp);

	free(d);
	return fd;
}

int
spool_commit(const struct spool *sp, int fd, char *tmp, enum spool_dir dir, const char *sub,
             const char *name)
{
	char *d = spool_path(sp, dir, sub);
	int rc = fsio_commit(fd, tmp, d, name);

	free(d);
	return rc;
}

int
spool_discard(int fd, const char *tmp)
{
	return fsio_discard(fd, tmp);
}

/* Calls fn for each entry of <dir>/<sub>/ whose name passes keep; 0, or -1 when unreadable. */
static int
each_entry(const char *dir, bool (*keep)(const char *),
           void (*fn)(const char *, const char *, void *), void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : log_syserr("cannot read directory %s", dir);
	while ((de = readdir(d)) != NULL)
		if (keep(de->d_name))
			fn(dir, de->d_name, arg);
	closedir(d);
	return 0;
}

static bool
is_tmp(const char *name)
{
	return str_startswith(name, ".tmp-");
}

static void
purge_one(const char *dir, const char *name, void *arg)
{
	char *p = xasprintf("%s/%s", dir, name);

	(void)arg;
	if (unlink(p) == 0)
		log_info("removed %s left by an interrupted run", p);
	else
		log_syserr("cannot remove %s", p);
	free(p);
}

void
spool_purge_tmp(const struct spool *sp, enum spool_dir dir, const char *sub)
{
	char *d = spool_path(sp, dir, sub);

	each_entry(d, is_tmp, purge_one, NULL);
	free(d);
}

void
spool_purge_feed_tmp(const struct spool *sp, const char *feed)
{
	/* A copy into work/ (another file system), archive/ or failed/ killed midway */
	spool_purge_tmp(sp, SPOOL_WORK, feed);
	spool_purge_tmp(sp, SPOOL_ARCHIVE, feed);
	spool_purge_tmp(sp, SPOOL_FAILED, feed);
}

struct names {
	char **v;
	size_t n, alloc;
};

static bool
not_hidden(const char *name)
{
	return name[0] != '.';
}

static void
add_name(const char *dir, const char *name, void *arg)
{
	struct names *l = arg;

	(void)dir;
	l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(name);
}

int
spool_list(const struct spool *sp, enum spool_dir dir, const char *sub, char ***names, size_t *n)
{
	char *d = spool_path(sp, dir, sub);
	struct names l = {0};
	int rc = each_entry(d, not_hidden, add_name, &l);

	free(d);
	*names = l.v;
	*n = l.n;
	return rc;
}

void
spool_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* "name~N.ext" (or "name~N" without an extension). Caller frees. */
static char *
numbered_name(const char *base, unsigned n)
{
	const char *dot = strrchr(base, '.');

	if (!dot || dot == base)
		return xasprintf("%s~%u", base, n);
	return xasprintf("%.*s~%u%s", (int)(dot - base), base, n, dot);
}

/* True when path holds exactly the content sha. */
static bool
holds(const char *path, const char *sha)
{
	char hex[FSIO_SHA256_HEX];

	return fsio_sha256_file(path, hex, NULL) == 0 && strcmp(hex, sha) == 0;
}

/* Rename tmp to dst unless dst exists: 0, or -1 with errno (EEXIST: taken). */
static int
rename_noreplace(const char *tmp, const char *dst)
{
	int r = renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE);

	/* File systems without RENAME_NOREPLACE: link() refuses an existing name too */
	if (r == -1 && (errno == EINVAL || errno == ENOSYS)) {
		r = link(tmp, dst);
		if (r == 0)
			unlink(tmp);
	}
	return r;
}

/* Tries of "name~N.ext" before giving up on a free local name. */
#define LOCAL_NAME_TRIES 1000

char *
spool_publish_incoming(const struct spool *sp, const char *feed, const char *tmp, const char *name,
                       const char *sha)
{
	for (unsigned n = 1; n <= LOCAL_NAME_TRIES; n++) {
		char *local = n == 1 ? xstrdup(name) : numbered_name(name, n);
		char *dst;

		if (spool_has(sp, SPOOL_WORK, feed, local)) {
			free(local);
			continue;
		}
		dst = spool_file_path(sp, SPOOL_INCOMING, feed, local);
		if (rename_noreplace(tmp, dst) == 0) {
			free(dst);
			return local;
		}
		if (errno != EEXIST) {
			log_syserr("cannot rename %s to %s", tmp, dst);
			free(dst);
			free(local);
			return NULL;
		}
		/* Placed by a run that was killed before it recorded the file: keep that copy */
		if (holds(dst, sha)) {
			unlink(tmp);
			free(dst);
			return local;
		}
		free(dst);
		free(local);
	}
	log_error("incoming/%s: no free local name for %s after %d tries", feed, name,
	          LOCAL_NAME_TRIES);
	return NULL;
}

int
spool_mark_done(const struct spool *sp, const char *feed, const char *name)
{
	char *mname = xasprintf("%s.done", name);
	char *m = spool_file_path(sp, SPOOL_INCOMING, feed, mname);
	int fd = open(m, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd == -1)
		log_syserr("cannot create %s", m);
	else
		close(fd);
	free(m);
	free(mname);
	return fd == -1 ? -1 : 0;
}

int
spool_archive(const struct spool *sp, const char *feed, const char *path, char sha[FSIO_SHA256_HEX],
              uint64_t *size)
{
	char *dir = spool_path(sp, SPOOL_ARCHIVE, feed);
	int rc = -1, fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd == -1 || fstat(fd, &st) == -1) {
		log_syserr("cannot open %s", path);
		goto out;
	}
	if (open_for_writing(fd)) {
		log_warn("%s: not archived: another process has it open for writing", path);
		rc = 1;
		goto out;
	}
	/*
	 * Evidence is lotsync's own read-only (0444) copy, never a link to the
	 * sender's inode: a writer that goes on writing changes its own file,
	 * not the archive. Its name is the SHA-256 of exactly the bytes copied;
	 * an existing file of that name (the same content, or a link an older
	 * version made) is replaced by this copy.
	 */
	rc = fsio_copy_fd(fd, &st, dir, NULL, 0444, sha, size);
	if (rc == 1)
		log_warn("%s: not archived: its size or mtime changed while it was copied "
		         "(still being written)",
		         path);
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/*
 * A name in failed/<feed>/ that does not replace an earlier quarantined
 * file of other content (the same content: a rerun after a crash).
 */
static char *
failed_name(const struct spool *sp, const char *feed, const char *name, const char *sha)
{
	char *path = spool_file_path(sp, SPOOL_FAILED, feed, name);
	char *out;

	out = access(path, F_OK) == 0 && !holds(path, sha) ? xasprintf("%s.%.12s", name, sha)
	                                                   : xstrdup(name);
	free(path);
	return out;
}

int
spool_quarantine(const struct spool *sp, const char *feed, const char *work_path, const char *name,
                 const char *sha, const char *at, const char *why, char **qname)
{
	char *dir = spool_path(sp, SPOOL_FAILED, feed);
	char *q = failed_name(sp, feed, name, sha);
	char *rname = xasprintf("%s.reason", q);
	char *text = xasprintf("file: %s\nsha256: %s\nat: %s\nreason: %s\n", name, sha, at, why);
	int rc = -1;

	*qname = NULL;
	if (fsio_write_file(dir, rname, text, strlen(text)) == -1 ||
	    fsio_copy_bytes(work_path, dir, q) == -1 || spool_remove_work(work_path) == -1)
		goto out;
	*qname = q;
	q = NULL;
	rc = 0;
out:
	free(text);
	free(rname);
	free(q);
	free(dir);
	return rc;
}

char *
spool_requeue(const struct spool *sp, const char *feed, const char *qname, const char *name,
              const char *sha)
{
	char *path = spool_file_path(sp, SPOOL_FAILED, feed, qname);
	char *rname = xasprintf("%s.reason", qname);
	char *reason = spool_file_path(sp, SPOOL_FAILED, feed, rname);
	char *fdir = spool_path(sp, SPOOL_FAILED, feed),
	     *idir = spool_path(sp, SPOOL_INCOMING, feed);
	char *local = spool_publish_incoming(sp, feed, path, name, sha);

	if (local && ((unlink(reason) == -1 && errno != ENOENT) || fsio_fsync_dir(idir) == -1 ||
	              fsio_fsync_dir(fdir) == -1))
		log_syserr("%s: back in incoming/%s, but failed/ was not tidied", qname, feed);
	free(path);
	free(rname);
	free(reason);
	free(fdir);
	free(idir);
	return local;
}

/* unlink() that logs; a missing file is no error. */
static int
remove_file(const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT)
		return log_syserr("cannot remove %s", path);
	return 0;
}

int
spool_remove_work(const char *work_path)
{
	int rc = remove_file(work_path);

	spool_drop_marker(work_path);
	return rc;
}

int
spool_remove(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name)
{
	char *p = spool_file_path(sp, dir, sub, name);
	int rc = remove_file(p);

	free(p);
	return rc;
}

int
spool_rewrite(const struct spool *sp, enum spool_dir dir, const char *sub, const char *name,
              const void *buf, size_t len)
{
	char *path = spool_file_path(sp, dir, sub, name), *tmp = NULL;
	struct stat st;
	int fd = -1, rc = -1;

	if (lstat(path, &st) == -1) {
		log_syserr("%s: cannot rewrite it", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file: not rewritten", path);
		goto out;
	}
	if ((fd = spool_create(sp, dir, sub, name, &tmp)) == -1)
		goto out;
	if (fsio_write_all(fd, buf, len) == -1 || fchmod(fd, st.st_mode & 07777) == -1) {
		log_syserr("%s: cannot write its new content", tmp);
		spool_discard(fd, tmp);
		goto out;
	}
	rc = spool_commit(sp, fd, tmp, dir, sub, name);
out:
	free(tmp);
	free(path);
	return rc;
}

int
spool_to_sent(const struct spool *sp, const char *target, const char *name)
{
	char *src = spool_file_path(sp, SPOOL_OUTBOX, target, name);
	char *sent = spool_path(sp, SPOOL_SENT, target);
	int rc = fsio_move(src, sent, name);

	free(sent);
	free(src);
	return rc;
}

void
spool_prune_sent(const struct spool *sp, const char *target, const char *name)
{
	spool_remove(sp, SPOOL_SENT, target, name);
}

/* ---- the state record (guard.h) ---- */

#define STATE_MAX 4096

/* "lotsync.db" -> "lotsync.state", "lotsync-0-of-2.db" -> "lotsync-0-of-2.state". */
static char *
state_name(const char *db)
{
	const char *base = strrchr(db, '/') ? strrchr(db, '/') + 1 : db;
	size_t n = strlen(base);

	if (n > 3 && strcmp(base + n - 3, ".db") == 0)
		n -= 3;
	return xasprintf("%.*s.state", (int)n, base);
}

int
spool_state_read(const struct spool *sp, const char *db, char **text)
{
	char *path = spool_state_path(sp, db);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *buf;
	ssize_t n;

	*text = NULL;
	if (fd == -1) {
		int rc = errno == ENOENT ? 1 : log_syserr("cannot open %s", path);

		free(path);
		return rc;
	}
	buf = xmalloc(STATE_MAX + 1);
	n = read(fd, buf, STATE_MAX);
	close(fd);
	if (n < 0) {
		log_syserr("cannot read %s", path);
		free(buf);
		free(path);
		return -1;
	}
	buf[n] = '\0';
	*text = buf;
	free(path);
	return 0;
}

int
spool_state_write(const struct spool *sp, const char *db, const char *text)
{
	char *name = state_name(db);
	int rc = fsio_write_file_unsynced_dir(sp->root, name, text, strlen(text));

	free(name);
	return rc;
}

int
spool_state_sync(const struct spool *sp)
{
	return fsio_fsync_dir(sp->root);
}

struct prefix {
	const char *p;
};

static void
purge_prefixed(const char *dir, const char *name, void *arg)
{
	const struct prefix *pre = arg;

	if (str_startswith(name, pre->p))
		purge_one(dir, name, NULL);
}

void
spool_state_purge_tmp(const struct spool *sp, const char *db)
{
	char *name = state_name(db), *pre = xasprintf(".tmp-%s-", name);
	struct prefix p = {pre};

	each_entry(sp->root, is_tmp, purge_prefixed, &p);
	free(pre);
	free(name);
}

char *
spool_state_path(const struct spool *sp, const char *db)
{
	char *name = state_name(db), *path = xasprintf("%s/%s", sp->root, name);

	free(name);
	return path;
}

static void
count_name(const char *dir, const char *name, void *arg)
{
	(void)dir;
	(void)name;
	(*(long long *)arg)++;
}

long long
spool_archive_count(const struct spool *sp, const char *feed)
{
	char *d = spool_path(sp, SPOOL_ARCHIVE, feed);
	long long count = 0;

	if (each_entry(d, not_hidden, count_name, &count) == -1)
		count = -1;
	free(d);
	return count;
}
