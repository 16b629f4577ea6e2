/*
 * transfer.h - files to and from remote servers: SFTP (libssh2), FTP and
 * explicit FTPS (libcurl), and file:// (a local directory, for tests).
 *
 * One struct transfer_conn is one logged-in session, reused for every file
 * of a feed or target (a login per file costs ~50-100 ms). Every function
 * returns an enum ls_exit: LS_EXIT_OK, LS_EXIT_UNAVAILABLE (server down,
 * refused, cut, timed out, login failed), LS_EXIT_CONFIG (unknown or changed
 * host key, unreadable secret, bad URL), LS_EXIT_IOERR (local file). The
 * error is logged once, where it happens, with the server's reply; the
 * last reply is also kept for the delivery record.
 *
 * Security invariants: an sftp:// host key is checked against known_hosts
 * before authenticating (no trust on first use: unknown or mismatched keys
 * fail with the key's SHA256 fingerprint in the message); ftps:// requires
 * TLS on control and data connections and never falls back to clear text;
 * secrets are read from files and never logged, nor are URLs with passwords.
 */
#ifndef LOTSYNC_TRANSFER_H
#define LOTSYNC_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lotsync/status.h"

struct transfer_endpoint {
	const char *url;           /* scheme://[user@]host[:port]/dir/[glob] */
	const char *password_file; /* or NULL */
	const char *identity;      /* SFTP private key, or NULL */
	const char *known_hosts;   /* required for sftp:// */
	const char *ca_file;       /* FTPS CA bundle, or NULL for the system's */
	long connect_timeout;      /* seconds; 0 = default 30 */
	long idle_timeout;         /* seconds without progress; 0 = default 60 */
	bool ftp_active;           /* FTP: active mode (PORT/EPRT), else passive */
	long min_speed;            /* bytes/s over idle_timeout; 0 = any progress (1 byte/s) */
};

struct remote_file {
	char *name; /* plain file name, checked safe */
	uint64_t size;
	time_t mtime; /* 0 when the server does not say */
};

struct transfer_conn;

/* Connect and log in. On success *out is set; caller closes it. */
enum ls_exit transfer_open(const struct transfer_endpoint *ep, struct transfer_conn **out);
void transfer_close(struct transfer_conn *c);

/*
 * List regular files in the URL's directory whose names match the URL's
 * glob (all files when the URL ends in '/'). Unsafe names are skipped with
 * a warning, and counted: transfer_unsafe_names() says how many the last
 * listing skipped. Caller frees with transfer_files_free().
 */
enum ls_exit transfer_list(struct transfer_conn *c, struct remote_file **files, size_t *n);
size_t transfer_unsafe_names(const struct transfer_conn *c);
void transfer_files_free(struct remote_file *files, size_t n);

/* Download remote name (in the URL's directory) into the open file fd. */
enum ls_exit transfer_get(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes);

/*
 * transfer_get(), also computing the SHA-256 of the bytes as they arrive
 * (lower-case hex into sha256_hex; valid only on LS_EXIT_OK), so a big
 * file is not read back to be hashed.
 */
enum ls_exit transfer_get_sha256(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes,
                                 char sha256_hex[65]);

/*
 * Point an open connection at another directory (and glob) of the same
 * server: url must have the scheme, user, host and port the connection was
 * opened with (LS_EXIT_CONFIG otherwise, logged). Lets one login serve
 * every feed of a server.
 */
enum ls_exit transfer_set_url(struct transfer_conn *c, const char *url);

/* The URL's directory as scheme://[user@]host:port/dir/, for records (no secret). */
const char *transfer_where(const struct transfer_conn *c);

/*
 * Upload local_path as remote name. With use_rename, the data goes to a
 * temporary name ("name.part" style, hidden) first and is renamed onto name
 * when complete; where the server refuses to rename over an existing file,
 * the existing file is deleted first and that is logged as non-atomic.
 */
enum ls_exit transfer_put(struct transfer_conn *c, const char *local_path, const char *name,
                          bool use_rename);

enum ls_exit transfer_delete(struct transfer_conn *c, const char *name);

/*
 * True when the last failed request was refused by the server in a
 * definite answer (FTP 5xx, SFTP permission denied or failure) on a
 * session that is still usable: asking again will get the same answer.
 */
bool transfer_refused(const struct transfer_conn *c);

/* The server's last reply or error text (never NULL; may be ""). */
const char *transfer_last_reply(const struct transfer_conn *c);

/*
 * Check url by the grammar transfer_open() parses it with, logging
 * nothing, so that check-config cannot pass a URL transfer refuses. NULL
 * when it is accepted, else why not (static text that never quotes the
 * URL, which may hold a password). When scheme != NULL, *scheme is "sftp",
 * "ftp", "ftps" or "file" when the URL names one of them (even if the
 * rest is refused), else NULL.
 */
const char *transfer_url_check(const char *url, const char **scheme);

/*
 * Check a password file as transfer_open() will read it, logging nothing:
 * NULL when it would be accepted, else why not (static text, never the
 * secret): unreadable (errno set), not a regular file, group or other
 * access, empty first line, longer than LS_MAX_SECRET, a NUL byte.
 */
const char *transfer_secret_check(const char *path);

/* True when name is safe to use as a local file name (SPEC §9). */
bool transfer_name_is_safe(const char *name);

#endif
