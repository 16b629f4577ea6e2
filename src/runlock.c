/* runlock.c - flock(2) on <spool>/.lock (one per shard), holder PID written for messages. */
#include "lotsync/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lotsync/log.h"
#include "lotsync/util.h"

static void
report_holder(int fd, const char *path)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	str_trim(buf);
	log_error("another lotsync run holds %s (pid %s); try again later", path,
	          *buf ? buf : "unknown");
}

enum ls_exit
runlock_take(const char *spool, const char *name, int *fd)
{
	char *path = xasprintf("%s/%s", spool, name ? name : ".lock");
	char pid[32];
	int n, lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	enum ls_exit rc = LS_EXIT_IOERR;

	if (lfd == -1) {
		log_syserr("cannot open lock file %s", path);
		goto out;
	}
	if (flock(lfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			report_holder(lfd, path);
			rc = LS_EXIT_TEMPFAIL;
		} else {
			log_syserr("cannot lock %s", path);
		}
		close(lfd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(lfd, 0) == -1 || pwrite(lfd, pid, (size_t)n, 0) != n)
		log_warn("cannot record pid in %s: %s", path, strerror(errno));
	*fd = lfd;
	rc = LS_EXIT_OK;
out:
	free(path);
	return rc;
}

void
runlock_release(int fd)
{
	if (fd < 0)
		return;
	/* Leave the file in place: unlinking it would race a waiting run. */
	if (ftruncate(fd, 0) == -1)
		log_debug("cannot clear lock file: %s", strerror(errno));
	close(fd);
}
