/*
 * transfer_p.h - private to src/transfer*.c (and tests/unit/test_transfer.c).
 *
 * transfer.c parses the URL, picks a backend by scheme and checks names;
 * each backend (transfer_sftp.c, transfer_ftp.c, transfer_local.c) fills a
 * struct transfer_ops. The helpers below are shared by the backends so that
 * listing rules (glob, safety, cap) and secret handling exist once.
 */
#ifndef LOTSYNC_TRANSFER_P_H
#define LOTSYNC_TRANSFER_P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lotsync/limits.h"
#include "lotsync/status.h"
#include "lotsync/transfer.h"

/* A parsed endpoint URL. Every string is owned; NULL where absent. */
struct transfer_url {
	char *scheme;   /* lower case: "sftp", "ftp", "ftps", "file" */
	char *user;     /* decoded user name, or NULL */
	char *host;     /* without IPv6 brackets; NULL for file:// */
	char *url_host; /* host as written in a URL (IPv6 in brackets) */
	long port;      /* explicit or the scheme's default; 0 for file:// */
	char *dir_raw;  /* directory as in the URL, still %-encoded, ends in '/' */
	char *dir;      /* decoded directory, ends in '/' */
	char *glob;     /* decoded pattern of the last component, or NULL = all */
	char *display;  /* scheme://[user@]host:port/dir/ for messages (no secret) */

	/* When refused: the reason (static text, never the URL or a secret). */
	const char *why;
};

/* Accumulates a listing: applies the glob, the name check and the cap. */
struct transfer_listing {
	const char *glob;  /* NULL = every name */
	const char *where; /* for messages */
	struct remote_file *files;
	size_t n, alloc;
	size_t unsafe; /* names skipped as unsafe */
};

struct transfer_ops {
	const char *scheme;
	/* Log in. On failure c->impl may be partly set up; close() frees it. */
	enum ls_exit (*open)(struct transfer_conn *c, const struct transfer_endpoint *ep);
	void (*close)(struct transfer_conn *c);
	/* Call transfer_list_add() for each directory entry that is a regular file. */
	enum ls_exit (*list)(struct transfer_conn *c, struct transfer_listing *l);
	enum ls_exit (*get)(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes);
	/* local_fd is open for reading at offset 0; size is its size. */
	enum ls_exit (*put)(struct transfer_conn *c, int local_fd, uint64_t size, const char *name,
	                    bool use_rename);
	enum ls_exit (*del)(struct transfer_conn *c, const char *name);
	/* Optional: c->url now names another directory of the same server. */
	enum ls_exit (*chdir)(struct transfer_conn *c);
};

struct transfer_conn {
	const struct transfer_ops *ops;
	struct transfer_url url;
	long connect_timeout; /* seconds, > 0 */
	long idle_timeout;    /* seconds, > 0 */
	long min_speed;       /* bytes/s averaged over idle_timeout; 0 = any progress */
	char reply[512];      /* last server reply or error text */
	bool refused;         /* the last failure was a definite refusal (transfer_refused()) */
	size_t unsafe_names;  /* names the last listing skipped as unsafe */
	void *digest;         /* EVP_MD_CTX of a transfer_get_sha256(), else NULL */
	void *impl;           /* backend state, owned by the backend */
};

extern const struct transfer_ops transfer_sftp_ops;
extern const struct transfer_ops transfer_ftp_ops;
extern const struct transfer_ops transfer_local_ops;

/*
 * Parse url into *u (zeroed first). Returns LS_EXIT_OK, or LS_EXIT_CONFIG
 * after logging why (the URL is not echoed: it may hold a password).
 * Release with transfer_url_release() in either case.
 */
enum ls_exit transfer_url_parse(const char *url, struct transfer_url *u);
void transfer_url_release(struct transfer_url *u);

/*
 * Remote path of name in the URL's directory, as SFTP and file:// use it:
 * "/dir/name"; a directory starting "/~/" is relative to the login
 * directory (curl's convention), giving "dir/name". name NULL gives the
 * directory itself ("." for the login directory). Caller frees.
 */
char *transfer_remote_path(const struct transfer_url *u, const char *name);

/* ".<name>.part": the hidden temporary name an upload goes to. Caller frees. */
char *transfer_temp_name(const char *name);

/*
 * Offer one regular file to a listing. Names not matching the glob (leading
 * dots must be matched explicitly) are dropped silently; unsafe names are
 * dropped with a warning. Returns 0, or -1 (logged) past LS_MAX_LIST_ENTRIES.
 */
int transfer_list_add(struct transfer_listing *l, const char *name, uint64_t size, time_t mtime);

/* True when name matches the listing's glob (the first test of transfer_list_add). */
bool transfer_list_match(const struct transfer_listing *l, const char *name);

/*
 * Read a secret file: the first line, newline stripped. Refused (logged,
 * LS_EXIT_CONFIG) when it cannot be read, is not a regular file, is
 * readable or writable by group or others, is empty, or holds a NUL.
 * Free *out with transfer_secret_free(), which wipes it.
 */
enum ls_exit transfer_read_secret(const char *path, char **out);
void transfer_secret_free(char *secret);

/* Record the last reply (printf style); it is truncated to fit. */
void transfer_set_reply(struct transfer_conn *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Write all of buf to fd, retrying short writes and EINTR. 0 or -1 (errno set). */
int transfer_write_all(int fd, const void *buf, size_t n);

/*
 * Where a get() puts the bytes it receives: transfer_write_all(), and the
 * running SHA-256 of a transfer_get_sha256(). 0 or -1 (errno set).
 */
int transfer_sink(struct transfer_conn *c, int fd, const void *buf, size_t n);

/*
 * Compare the remote file name (in the URL's directory) with the local
 * file open as local_fd (size bytes; read with pread, offset untouched):
 * 1 = same bytes (same SHA-256), 0 = different, 2 = the remote file is a
 * shorter copy of the local file's start (an interrupted upload), -1 =
 * the remote file cannot be read (logged). For a file known to exist.
 */
int transfer_compare_remote(struct transfer_conn *c, int local_fd, uint64_t size, const char *name);

/*
 * The outcomes of transfer_compare_remote() that both backends report the
 * same way: the same bytes are there ("...; not <what>", and the reply), or
 * an interrupted upload of have bytes was removed (warned).
 */
void transfer_note_delivered(struct transfer_conn *c, const char *name, const char *what);
void transfer_note_resend(const struct transfer_conn *c, const char *name, uint64_t have,
                          uint64_t size);

/*
 * Bounded time (issue: a trickling or silent server must not hold a run):
 * every wait is at most transfer_wait_ms() (idle_timeout, cut to the run's
 * deadline, clock.h), and a data loop calls transfer_pace_check() after
 * each chunk: -1 when fewer than min_speed bytes/s moved over the last
 * idle_timeout seconds, or the run's deadline passed (c->reply says which;
 * the caller logs and fails with LS_EXIT_UNAVAILABLE).
 */
struct transfer_pace {
	struct timespec window; /* start of the current idle_timeout window */
	uint64_t window_bytes;  /* bytes moved when it started */
};
void transfer_pace_start(struct transfer_pace *p, uint64_t bytes);
int transfer_pace_check(struct transfer_conn *c, struct transfer_pace *p, uint64_t bytes);
long transfer_wait_ms(const struct transfer_conn *c);
/* True, with c->reply set, once the run's deadline (run_timeout) has passed. */
bool transfer_deadline_passed(struct transfer_conn *c);

/* One-time global init of libcurl and libssh2 (not thread-safe themselves). */
void transfer_global_init(void);

/* FTP MLSD line parser, exposed for tests: 0 = a regular file, 1 = other, -1 = bad. */
int transfer_ftp_parse_mlsd(const char *line, char **name, uint64_t *size, time_t *mtime);

#endif
