/*
 * transfer_ftp.c - ftp:// and explicit FTPS (ftps://) through libcurl.
 *
 * One easy handle per connection: curl keeps the control connection open
 * between requests, so a run logs in once per server. Before each request
 * the handle is reset and every option set again, so no option of one
 * request (UPLOAD, NOBODY, quote lists) leaks into the next; the live
 * connection survives curl_easy_reset().
 *
 * ftps:// means explicit TLS (AUTH TLS) on the normal FTP port, required on
 * the control and data connections (CURLUSESSL_ALL): a server that does not
 * offer TLS is refused before the user name or password is sent.
 *
 * Quote commands (RNFR/RNTO/DELE/SIZE/MDTM) go in CURLOPT_POSTQUOTE: curl
 * sends them after it has changed into the URL's directory, so they name
 * plain file names. (CURLOPT_QUOTE would run before that CWD, in whatever
 * directory the connection happens to be.)
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/buf.h"
#include "lotsync/clock.h"
#include "lotsync/limits.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "transfer_p.h"

/* Bigger buffers than curl's 16 KiB default: fewer callbacks per MB */
#define FTP_BUFFER_SIZE (512L * 1024)
/* SIZE+MDTM pairs per request when the server lacks MLSD */
#define FTP_STAT_BATCH 200
/* Longest single wait inside a request, see perform() */
#define POLL_CAP_MS 5

/* The last final replies of one request, oldest overwritten first. */
struct reply_ring {
	char **line;
	size_t cap, total;
};

struct ftp {
	struct transfer_conn *conn; /* back pointer, for transfer_sink() */
	CURLM *multi; /* owns the connection cache: the control connection lives here */
	CURL *h;
	bool tls;
	bool mlsd;      /* FEAT lists MLST */
	char *password; /* secret: never logged */
	char *dir_url;  /* ftp://host:port/dir/ without user or password */
	char errbuf[CURL_ERROR_SIZE];
	char last[256];         /* last final server reply of the request */
	bool feat_scan;         /* looking for " MLST" in a FEAT reply */
	bool linger;            /* FTPS upload: close sockets as close_cb() says */
	bool active;            /* ftp_mode = active */
	struct reply_ring ring; /* final replies, when ring.cap > 0 */
	int fd;                 /* get: destination; put: source */
	uint64_t bytes;         /* moved by the current request */
	long long announced;    /* size in the 150 reply of a RETR, or -1 */
	int io_errno;           /* local read/write error in a callback */
	uint64_t put_size;      /* put: bytes to send */
	bool local_changed;     /* put: the local file shrank or grew */
	struct buf listing;     /* listing reply, at most LS_MAX_FTP_LISTING */
	bool buf_over;
	char *ca_file; /* FTPS CA bundle, or NULL */
};

static void
ring_init(struct reply_ring *r, size_t cap)
{
	r->line = xcalloc(cap, sizeof(*r->line));
	r->cap = cap;
	r->total = 0;
}

static void
ring_release(struct reply_ring *r)
{
	for (size_t i = 0; i < r->cap; i++)
		free(r->line[i]);
	free(r->line);
	memset(r, 0, sizeof(*r));
}

static void
ring_push(struct reply_ring *r, const char *s)
{
	size_t i = r->total++ % r->cap;

	free(r->line[i]);
	r->line[i] = xstrdup(s);
}

/* The k-th of the last n replies (0 = oldest of them), or NULL. */
static const char *
ring_last(const struct reply_ring *r, size_t n, size_t k)
{
	if (n > r->total || n > r->cap || k >= n)
		return NULL;
	return r->line[(r->total - n + k) % r->cap];
}

/* "150 Opening BINARY mode data connection for x (1234 bytes)." -> 1234, or -1 */
static long long
parse_150_size(const char *line)
{
	const char *open = strrchr(line, '(');
	unsigned long long v;
	char digits[32];
	size_t n;

	if (!open)
		return -1;
	n = strspn(open + 1, "0123456789");
	if (n == 0 || n >= sizeof(digits) || strncmp(open + 1 + n, " bytes)", 7) != 0)
		return -1;
	memcpy(digits, open + 1, n);
	digits[n] = '\0';
	return parse_uint(digits, INT64_MAX, &v) == 0 ? (long long)v : -1;
}

static size_t
header_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct ftp *f = arg;
	size_t n = size * nitems, len = n;
	char line[sizeof(f->last)];

	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, data, len);
	line[len] = '\0';
	if (len >= 4 && isdigit((unsigned char)line[0]) && isdigit((unsigned char)line[1]) &&
	    isdigit((unsigned char)line[2]) && line[3] == ' ') {
		memcpy(f->last, line, len + 1);
		if (strncmp(line, "150 ", 4) == 0)
			f->announced = parse_150_size(line);
		if (f->ring.cap)
			ring_push(&f->ring, line);
	} else if (f->feat_scan && strncasecmp(line, " MLST", 5) == 0) {
		f->mlsd = true;
	}
	return n;
}

static size_t
write_fd_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct ftp *f = arg;
	size_t n = size * nitems;

	if (transfer_sink(f->conn, f->fd, data, n) == -1) {
		f->io_errno = errno;
		return 0; /* curl fails the request with CURLE_WRITE_ERROR */
	}
	f->bytes += n;
	return n;
}

static size_t
write_buf_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct ftp *f = arg;
	size_t n = size * nitems;

	if (buf_append(&f->listing, data, n) == -1) {
		f->buf_over = true;
		return 0;
	}
	return n;
}

static size_t
read_fd_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct ftp *f = arg;
	size_t want = size * nitems;
	ssize_t r;

	/*
	 * Send exactly the size announced: a file that shrank or grew under us
	 * must fail the request, before POSTQUOTE renames it into place.
	 */
	if (want > f->put_size - f->bytes)
		want = (size_t)(f->put_size - f->bytes);
	do
		r = read(f->fd, data, want ? want : 1); /* at the end: probe for growth */
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		f->io_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	if (want == 0 && r == 0)
		return 0;
	if ((r == 0) != (want == 0)) {
		f->local_changed = true;
		return CURL_READFUNC_ABORT;
	}
	f->bytes += (uint64_t)r;
	return (size_t)r;
}

/*
 * With -vv, show curl's protocol exchange. The PASS line is masked: the
 * password must never reach a log.
 */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	const char *dir = type == CURLINFO_HEADER_IN    ? "< "
	                  : type == CURLINFO_HEADER_OUT ? "> "
	                                                : "* ";
	int len = (int)(size > 200 ? 200 : size);

	(void)h;
	(void)arg;
	if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (type == CURLINFO_HEADER_OUT && size >= 5 && strncasecmp(data, "PASS ", 5) == 0)
		log_debug("curl: > PASS ****");
	else
		log_debug("curl: %s%.*s", dir, len, data);
	return 0;
}

/*
 * Closing a socket of an FTPS upload (libcurl has sent its close_notify).
 * Over TLS 1.3 the server sends its session ticket (NewSessionTicket,
 * RFC 8446 4.6.1) after the data connection's handshake, and libcurl 7.88
 * never reads the data connection of an upload, except once, without
 * waiting, right before it closes it: when the ticket arrives after that
 * read, the kernel answers it with a TCP reset, and a reset makes the
 * server's kernel drop what the server has not read yet. vsftpd 3.0.3
 * then fails the upload ("426 Failure reading network stream"), keeps a
 * truncated file and, its TLS session torn down, refuses the next data
 * connection ("522 session reuse required"); libcurl's KNOWN_BUGS calls it
 * "FTPS upload data loss with TLS 1.3". So: half-close (FIN, not reset),
 * read and discard what still comes (the ticket, the server's
 * close_notify) until the server closes its end, then close; at most
 * idle_timeout seconds.
 */
static int
close_cb(void *arg, curl_socket_t s)
{
	struct ftp *f = arg;

	if (f->linger && shutdown(s, SHUT_WR) == 0) {
		struct timespec start, now;
		long cap_ms = f->conn->idle_timeout * 1000L, waited = 0;
		char sink[4096];

		clock_gettime(CLOCK_MONOTONIC, &start);
		while (waited < cap_ms) {
			struct pollfd p = {.fd = s, .events = POLLIN};
			int r = poll(&p, 1, (int)(cap_ms - waited));
			ssize_t n;

			if (r < 0 && errno != EINTR)
				break;
			if (r > 0) {
				n = recv(s, sink, sizeof(sink), 0);
				if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
					break;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			waited = (now.tv_sec - start.tv_sec) * 1000L +
			         (now.tv_nsec - start.tv_nsec) / 1000000L;
		}
	}
	return close(s);
}

#define SETOPT(h, opt, val)                                                                        \
	do {                                                                                       \
		if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK)                               \
			log_fatal("curl_easy_setopt(%s) failed", #opt);                            \
	} while (0)

/* Reset the handle to the options every request of this connection shares. */
static void
ftp_prepare(struct transfer_conn *c, const char *url)
{
	struct ftp *f = c->impl;
	CURL *h = f->h;

	curl_easy_reset(h);
	f->errbuf[0] = f->last[0] = '\0';
	f->io_errno = 0;
	f->local_changed = false;
	f->bytes = 0;
	f->announced = -1;
	SETOPT(h, CURLOPT_URL, url);
	SETOPT(h, CURLOPT_ERRORBUFFER, f->errbuf);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "ftp");
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
	/*
	 * Idle timeout: under min_speed (at least 1 byte/s) for idle_timeout
	 * seconds, or a silent server; and no request outlives the run's
	 * deadline (run_timeout).
	 */
	SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, c->min_speed > 0 ? c->min_speed : 1L);
	SETOPT(h, CURLOPT_LOW_SPEED_TIME, c->idle_timeout);
	SETOPT(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (transfer_wait_ms(c) + 999) / 1000);
	if (clock_deadline_left_ms() != CLOCK_NO_DEADLINE)
		SETOPT(h, CURLOPT_TIMEOUT_MS,
		       clock_deadline_left_ms() > 0 ? clock_deadline_left_ms() : 1L);
	SETOPT(h, CURLOPT_FTP_FILEMETHOD, (long)CURLFTPMETHOD_SINGLECWD);
	if (f->active)
		/* PORT/EPRT on the address the control connection uses */
		SETOPT(h, CURLOPT_FTPPORT, "-");
	else
		SETOPT(h, CURLOPT_FTP_USE_EPSV, 1L); /* EPSV, then PASV if refused */
	SETOPT(h, CURLOPT_BUFFERSIZE, FTP_BUFFER_SIZE);
	SETOPT(h, CURLOPT_UPLOAD_BUFFERSIZE, FTP_BUFFER_SIZE);
	SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(h, CURLOPT_HEADERDATA, f);
	if (log_get_level() >= LOG_DEBUG) {
		SETOPT(h, CURLOPT_DEBUGFUNCTION, debug_cb);
		SETOPT(h, CURLOPT_VERBOSE, 1L);
	}
	if (c->url.user)
		SETOPT(h, CURLOPT_USERNAME, c->url.user);
	if (f->password)
		SETOPT(h, CURLOPT_PASSWORD, f->password);
	if (f->tls) {
		SETOPT(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
		/* TLS 1.2 or 1.3 */
		SETOPT(h, CURLOPT_SSLVERSION,
		       (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_DEFAULT));
		SETOPT(h, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
		SETOPT(h, CURLOPT_CLOSESOCKETDATA, f);
		if (f->ca_file)
			SETOPT(h, CURLOPT_CAINFO, f->ca_file);
	}
}

static char *
file_url(struct transfer_conn *c, const char *name)
{
	struct ftp *f = c->impl;
	char *enc = curl_easy_escape(f->h, name, 0);
	char *url;

	if (!enc)
		log_fatal("out of memory in curl_easy_escape");
	url = xasprintf("%s%s", f->dir_url, enc);
	curl_free(enc);
	return url;
}

static enum ls_exit
classify(CURLcode rc, const char **hint)
{
	*hint = "";
	switch (rc) {
	case CURLE_USE_SSL_FAILED:
		*hint = "; the server does not offer TLS (AUTH TLS refused), so lotsync did not "
		        "log in: no user name, password or data was sent";
		return LS_EXIT_UNAVAILABLE;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		/* Like a changed host key: the operator must look, retrying will not help */
		*hint = "; check ca_file and the server's certificate";
		return LS_EXIT_CONFIG;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL: return LS_EXIT_CONFIG;
	case CURLE_WRITE_ERROR:
	case CURLE_READ_ERROR:
	case CURLE_ABORTED_BY_CALLBACK: return LS_EXIT_IOERR;
	case CURLE_OUT_OF_MEMORY: return LS_EXIT_SOFTWARE;
	default:
		/* resolve, connect, timeout, login denied, refused or partial transfers */
		return LS_EXIT_UNAVAILABLE;
	}
}

/*
 * What libcurl's or OpenSSL's headline most likely means, as a sentence an
 * operator can act on (matched on the error text and the last reply).
 */
static const struct {
	const char *in; /* substring of the error text or last reply */
	const char *why;
} explanations[] = {
        {"alert protocol version",
         "the server and lotsync share no TLS version: lotsync speaks TLS 1.2 and 1.3 only, "
         "the server may allow only older ones (or only one lotsync's OpenSSL refuses)"},
        {"alert handshake failure",
         "the TLS handshake was refused: no cipher in common, or the server wants a client "
         "certificate (lotsync sends none)"},
        {"certificate required", "the server wants a TLS client certificate; lotsync sends none"},
        {"wrong version number",
         "the server did not answer in TLS: is this an implicit-FTPS port (990)? lotsync "
         "speaks explicit FTPS (AUTH TLS) on the FTP port"},
        {"unexpected eof",
         "the server closed the TLS connection without a TLS goodbye: often a data "
         "connection refused because the server requires TLS session reuse, or a firewall"},
        {"session reuse required",
         "the server requires the data connection to reuse the control connection's TLS "
         "session and did not accept lotsync's"},
        {"Bad PASV/EPSV",
         "the server refused passive mode or has no free passive port: check that passive "
         "mode is on and its passive port range is large enough for `connections` sessions "
         "(or, for a server without passive mode, set ftp_mode = active)"},
        {"425", "the data connection could not be opened: a firewall or NAT between lotsync and "
                "the server, or a wrong passive address (pasv_address / MasqueradeAddress)"},
        {"Timeout was reached",
         "no answer within connect_timeout / idle_timeout seconds: a firewall dropping "
         "packets, a wrong port, or a server too busy to answer"},
        {"response timeout",
         "the server stopped answering on the control connection (idle_timeout): busy, or a "
         "firewall closed the idle connection"},
        {"Couldn't connect",
         "nothing accepts connections there: wrong host or port, server down, or a firewall "
         "refusing"},
        {"530", "the login was refused: check the user name in the URL and password_file"},
        {"421", "the server refused the session: too many sessions from this address (a "
                "per-client limit such as Pure-FTPd -C, ProFTPD MaxConnectionsPerHost or vsftpd "
                "max_per_ip) or the server is full; lower `connections` or raise the limit"},
        {"change to the given directory",
         "the directory does not exist for this account: check the URL's path (it is "
         "relative to the login directory, which a chroot may change)"},
        {"Overwrite permission denied",
         "the server refuses to overwrite files (ProFTPD: AllowOverwrite off)"},
        {"553", "the server refused to store the file there: permissions or quota"},
};

/* The server's own last reply says more than libcurl's headline: it is matched first. */
static const char *
explain(const char *err, const char *last)
{
	for (size_t i = 0; i < ARRAY_SIZE(explanations); i++) {
		const char *in = explanations[i].in;

		/* A reply code matches the start of the reply, not a digit run in a name */
		if (isdigit((unsigned char)in[0]) ? strncmp(last, in, 3) == 0
		                                  : strstr(last, in) != NULL)
			return explanations[i].why;
	}
	for (size_t i = 0; i < ARRAY_SIZE(explanations); i++)
		if (strstr(err, explanations[i].in))
			return explanations[i].why;
	return NULL;
}

/* Log the failure of a request once and return its exit code. */
static enum ls_exit
ftp_fail(struct transfer_conn *c, CURLcode rc, const char *what, const char *name)
{
	struct ftp *f = c->impl;
	const char *hint;
	enum ls_exit ex = classify(rc, &hint);
	const char *why = f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc), *sense;

	if (f->io_errno || f->local_changed) {
		transfer_set_reply(c, "local I/O error: %s",
		                   f->local_changed ? "the file changed during the upload"
		                                    : strerror(f->io_errno));
		log_error("%s%s: %s failed: %s", c->url.display, name ? name : "", what, c->reply);
		return LS_EXIT_IOERR;
	}
	if (ex == LS_EXIT_IOERR && rc != CURLE_WRITE_ERROR && rc != CURLE_READ_ERROR)
		ex = LS_EXIT_UNAVAILABLE; /* aborted without a local error of ours */
	if (rc == CURLE_OPERATION_TIMEDOUT && transfer_deadline_passed(c)) {
		log_error("%s%s: %s cut: %s", c->url.display, name ? name : "", what, c->reply);
		return LS_EXIT_UNAVAILABLE;
	}
	if (f->last[0])
		transfer_set_reply(c, "%s (last reply: %s)", why, f->last);
	else
		transfer_set_reply(c, "%s", why);
	if (!*hint && (sense = explain(why, f->last)) != NULL)
		log_error("%s%s: %s failed: %s; %s", c->url.display, name ? name : "", what,
		          c->reply, sense);
	else
		log_error("%s%s: %s failed: %s%s", c->url.display, name ? name : "", what, c->reply,
		          hint);
	return ex;
}

static void
ftp_ok(struct transfer_conn *c)
{
	struct ftp *f = c->impl;

	transfer_set_reply(c, "%s", f->last);
}

/*
 * curl_easy_perform(), with a cap on how long one wait may last. libcurl
 * 7.88 sometimes misses a reply on the control connection while it sets up
 * a data connection and only notices it when its own poll times out
 * (200 ms to 1 s per transfer: seen with vsftpd's FTPS and with
 * pyftpdlib). Waking up every POLL_CAP_MS lets the state machine run
 * again; a wake-up costs microseconds.
 */
static CURLcode
perform(struct ftp *f)
{
	CURLcode rc = CURLE_OK;
	CURLMcode mc;
	CURLMsg *msg;
	int running = 1, left;

	if (curl_multi_add_handle(f->multi, f->h) != CURLM_OK)
		log_fatal("curl_multi_add_handle failed");
	do {
		mc = curl_multi_perform(f->multi, &running);
		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(f->multi, NULL, 0, POLL_CAP_MS, NULL);
	} while (mc == CURLM_OK && running);
	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == f->h)
			rc = msg->data.result;
	if (mc != CURLM_OK) {
		snprintf(f->errbuf, sizeof(f->errbuf), "%s", curl_multi_strerror(mc));
		rc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
	}
	curl_multi_remove_handle(f->multi, f->h);
	return rc;
}

static CURLcode
perform_quote(struct transfer_conn *c, struct curl_slist *cmds)
{
	struct ftp *f = c->impl;

	ftp_prepare(c, f->dir_url);
	SETOPT(f->h, CURLOPT_NOBODY, 1L);
	SETOPT(f->h, CURLOPT_POSTQUOTE, cmds);
	return perform(f);
}

/* Append the FTP command "<verb> <name>"; names are checked safe (no CR/LF). */
static struct curl_slist *
slist_add(struct curl_slist *l, const char *verb, const char *name)
{
	char *cmd = xasprintf("%s %s", verb, name);
	struct curl_slist *n = curl_slist_append(l, cmd);

	free(cmd);
	if (!n)
		log_fatal("out of memory in curl_slist_append");
	return n;
}

static void
ftp_close(struct transfer_conn *c)
{
	struct ftp *f = c->impl;

	if (!f)
		return;
	if (f->h)
		curl_easy_cleanup(f->h);
	if (f->multi)
		curl_multi_cleanup(f->multi); /* sends QUIT on a live connection */
	transfer_secret_free(f->password);
	free(f->dir_url);
	free(f->ca_file);
	buf_release(&f->listing);
	ring_release(&f->ring);
	free(f);
	c->impl = NULL;
}

/*
 * Drop the control connection; the next request logs in again. After a
 * refused STOR over FTPS, libcurl 7.88 (its data-channel TLS handshake
 * failing) sends PASV behind the pending 550 and reads every later reply
 * one late: nothing more may be asked on that connection.
 */
static void
ftp_reconnect(struct ftp *f)
{
	curl_easy_cleanup(f->h);
	curl_multi_cleanup(f->multi);
	f->h = curl_easy_init();
	f->multi = curl_multi_init();
	if (!f->h || !f->multi)
		log_fatal("curl_easy_init failed");
}

static void
set_dir_url(struct transfer_conn *c)
{
	struct ftp *f = c->impl;

	free(f->dir_url);
	f->dir_url = xasprintf("ftp://%s:%ld%s", c->url.url_host, c->url.port, c->url.dir_raw);
}

/* No round trip: the next request changes directory (SINGLECWD) itself. */
static enum ls_exit
ftp_chdir(struct transfer_conn *c)
{
	set_dir_url(c);
	return LS_EXIT_OK;
}

static enum ls_exit
ftp_open(struct transfer_conn *c, const struct transfer_endpoint *ep)
{
	struct ftp *f = xcalloc(1, sizeof(*f));
	struct curl_slist *feat = NULL;
	bool retried = false;
	enum ls_exit rc;
	CURLcode cc;

	c->impl = f;
	f->conn = c;
	f->fd = -1;
	buf_init(&f->listing, LS_MAX_FTP_LISTING);
	f->tls = strcmp(c->url.scheme, "ftps") == 0;
	f->active = ep->ftp_active;
	/*
	 * libcurl 7.87 and 7.88 (Debian 12 ships 7.88.1) fail every active-mode
	 * FTPS data connection after the server connected ("sa_addr inet_ntop()
	 * failed", curl issue 10666); say so instead of a cryptic failure.
	 */
	if (f->active && f->tls && curl_version_info(CURLVERSION_NOW)->version_num < 0x080000) {
		transfer_set_reply(c, "active-mode FTPS needs libcurl 8.0 or later");
		log_error("%s: ftp_mode = active with ftps:// needs libcurl 8.0 or later (this is "
		          "%s, "
		          "whose active-mode TLS data connections fail); use passive mode, or "
		          "ftp:// if the server allows it",
		          c->url.display, curl_version_info(CURLVERSION_NOW)->version);
		return LS_EXIT_CONFIG;
	}
	f->ca_file = ep->ca_file ? xstrdup(ep->ca_file) : NULL;
	if (ep->password_file && (rc = transfer_read_secret(ep->password_file, &f->password)))
		return rc;
	f->h = curl_easy_init();
	f->multi = curl_multi_init();
	if (!f->h || !f->multi)
		log_fatal("curl_easy_init failed");
	set_dir_url(c);
	/*
	 * Log in and change into the directory now, so a bad login, missing
	 * TLS or a missing directory shows up at open; FEAT tells whether the
	 * server lists with MLSD ("*": a server without FEAT is fine).
	 */
	feat = curl_slist_append(NULL, "*FEAT");
	if (!feat)
		log_fatal("out of memory in curl_slist_append");
	for (;;) {
		ftp_prepare(c, f->dir_url);
		SETOPT(f->h, CURLOPT_NOBODY, 1L);
		SETOPT(f->h, CURLOPT_QUOTE, feat);
		f->feat_scan = true;
		cc = perform(f);
		f->feat_scan = false;
		/*
		 * "421 Too many connections": with a per-client limit of one, the
		 * session lotsync closed a moment ago may still count (Pure-FTPd -C
		 * 1 between two targets of one server). Asked once more, 1 s later.
		 */
		if (cc != CURLE_OK && strncmp(f->last, "421", 3) == 0 && !retried) {
			log_info("%s: %s; trying once more in 1 s", c->url.display, f->last);
			retried = true;
			ftp_reconnect(f);
			sleep(1);
			continue;
		}
		break;
	}
	curl_slist_free_all(feat);
	if (cc != CURLE_OK)
		return ftp_fail(c, cc, "login", NULL);
	ftp_ok(c);
	log_debug("%s: logged in%s, %s listing", c->url.display, f->tls ? " with TLS" : "",
	          f->mlsd ? "MLSD" : "NLST");
	return LS_EXIT_OK;
}

static int
parse_mdtm(const char *s, time_t *t)
{
	struct tm tm = {0};
	char *end;

	/* YYYYMMDDHHMMSS[.sss], UTC (RFC 3659) */
	for (int i = 0; i < 14; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	end = strptime(s, "%Y%m%d%H%M%S", &tm);
	if (!end || (*end && *end != '.'))
		return -1;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

int
transfer_ftp_parse_mlsd(const char *line, char **name, uint64_t *size, time_t *mtime)
{
	const char *sp = strchr(line, ' '), *p = line;
	int kind = -1;

	*name = NULL;
	*size = 0;
	*mtime = 0;
	if (!sp || !sp[1])
		return -1;
	while (p < sp) {
		const char *semi = memchr(p, ';', (size_t)(sp - p)), *eq;
		const char *end = semi ? semi : sp;
		char *val;
		unsigned long long v;

		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			return -1;
		val = xstrndup(eq + 1, (size_t)(end - eq - 1));
		if ((size_t)(eq - p) == 4 && strncasecmp(p, "type", 4) == 0)
			kind = strcasecmp(val, "file") == 0 ? 0 : 1;
		else if ((size_t)(eq - p) == 4 && strncasecmp(p, "size", 4) == 0 &&
		         parse_uint(val, UINT64_MAX, &v) == 0)
			*size = v;
		else if ((size_t)(eq - p) == 6 && strncasecmp(p, "modify", 6) == 0)
			parse_mdtm(val, mtime);
		free(val);
		p = semi ? semi + 1 : sp;
	}
	if (kind < 0)
		return -1;
	*name = xstrdup(sp + 1);
	return kind;
}

/* Fetch the listing reply of cmd ("MLSD", or NULL for NLST) into f->listing. */
static enum ls_exit
fetch_listing(struct transfer_conn *c, const char *cmd)
{
	struct ftp *f = c->impl;
	CURLcode cc;

	buf_reset(&f->listing);
	f->buf_over = false;
	ftp_prepare(c, f->dir_url);
	SETOPT(f->h, CURLOPT_WRITEFUNCTION, write_buf_cb);
	SETOPT(f->h, CURLOPT_WRITEDATA, f);
	if (cmd)
		SETOPT(f->h, CURLOPT_CUSTOMREQUEST, cmd);
	else
		SETOPT(f->h, CURLOPT_DIRLISTONLY, 1L);
	cc = perform(f);
	if (f->buf_over) {
		transfer_set_reply(c, "listing larger than %zu bytes", LS_MAX_FTP_LISTING);
		log_error("%s: listing refused: larger than %zu bytes", c->url.display,
		          LS_MAX_FTP_LISTING);
		return LS_EXIT_DATAERR;
	}
	if (cc != CURLE_OK)
		return ftp_fail(c, cc, "listing", NULL);
	return LS_EXIT_OK;
}

/* Next line of the listing buffer (CR LF or LF), or NULL at the end. */
static char *
next_line(char **pos)
{
	char *s = *pos, *nl;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = s + strlen(s);
	}
	if (nl && nl > s && nl[-1] == '\r')
		nl[-1] = '\0';
	return s;
}

static enum ls_exit
list_mlsd(struct transfer_conn *c, struct transfer_listing *l)
{
	struct ftp *f = c->impl;
	enum ls_exit rc = fetch_listing(c, "MLSD");
	char *pos = f->listing.p, *line;

	if (rc != LS_EXIT_OK)
		return rc;
	while (rc == LS_EXIT_OK && (line = next_line(&pos)) != NULL) {
		char *name;
		uint64_t size;
		time_t mtime;

		if (transfer_ftp_parse_mlsd(line, &name, &size, &mtime) == 0 &&
		    transfer_list_add(l, name, size, mtime) == -1)
			rc = LS_EXIT_DATAERR;
		free(name);
	}
	if (rc == LS_EXIT_OK)
		ftp_ok(c);
	return rc;
}

/* What the SIZE replies of one NLST listing said, across its batches. */
struct stat_tally {
	size_t ok, failed;
	char *first_failed; /* name, for the directory probe */
	char first_reply[128];
};

/*
 * SIZE and MDTM for names[0..n) in one request: a name whose SIZE fails is
 * a directory or gone, and is left out. TYPE I first: SIZE in ASCII mode
 * is refused by ProFTPD and pyftpdlib (RFC 3659 lets a server refuse it),
 * and curl sends no TYPE for a request without a transfer.
 */
static enum ls_exit
stat_batch(struct transfer_conn *c, struct transfer_listing *l, char **names, size_t n,
           struct stat_tally *t)
{
	struct ftp *f = c->impl;
	struct curl_slist *cmds = curl_slist_append(NULL, "TYPE I");
	enum ls_exit rc = LS_EXIT_OK;
	size_t nr = 2 * n + 1;
	CURLcode cc;

	if (!cmds)
		log_fatal("out of memory in curl_slist_append");
	for (size_t i = 0; i < n; i++) {
		cmds = slist_add(cmds, "*SIZE", names[i]);
		cmds = slist_add(cmds, "*MDTM", names[i]);
	}
	ring_init(&f->ring, nr);
	cc = perform_quote(c, cmds);
	curl_slist_free_all(cmds);
	if (cc != CURLE_OK) {
		rc = ftp_fail(c, cc, "SIZE/MDTM listing", NULL);
		goto out;
	}
	for (size_t i = 0; i < n && rc == LS_EXIT_OK; i++) {
		const char *sz = ring_last(&f->ring, nr, 1 + 2 * i);
		const char *md = ring_last(&f->ring, nr, 2 + 2 * i);
		unsigned long long size;
		time_t mtime = 0;

		if (!sz || !md) {
			transfer_set_reply(c, "fewer replies than commands");
			log_error("%s: listing failed: fewer SIZE/MDTM replies than commands sent",
			          c->url.display);
			rc = LS_EXIT_UNAVAILABLE;
			break;
		}
		if (strncmp(sz, "213 ", 4) != 0 || parse_uint(sz + 4, UINT64_MAX, &size) == -1) {
			if (t->failed++ == 0) {
				t->first_failed = xstrdup(names[i]);
				snprintf(t->first_reply, sizeof(t->first_reply), "%s", sz);
			}
			continue;
		}
		t->ok++;
		if (strncmp(md, "213 ", 4) == 0)
			parse_mdtm(md + 4, &mtime);
		if (transfer_list_add(l, names[i], size, mtime) == -1)
			rc = LS_EXIT_DATAERR;
	}
out:
	ring_release(&f->ring);
	return rc;
}

/*
 * Every listed name failed SIZE. Fine when they are directories (a feed
 * folder holding only subfolders); otherwise the listing cannot be trusted
 * and an empty feed must not be reported: probe the first name with CWD
 * (and back), LS_EXIT_UNAVAILABLE when it is not a directory.
 */
static enum ls_exit
check_all_failed(struct transfer_conn *c, const struct stat_tally *t)
{
	struct curl_slist *cmds = slist_add(NULL, "CWD", t->first_failed);
	CURLcode cc;

	cmds = slist_add(cmds, "CWD", "..");
	cc = perform_quote(c, cmds);
	curl_slist_free_all(cmds);
	if (cc == CURLE_OK)
		return LS_EXIT_OK;
	transfer_set_reply(c, "SIZE failed for all %zu listed name(s): %s", t->failed,
	                   t->first_reply);
	log_error("%s: listing failed: the server answered SIZE for none of the %zu listed "
	          "file(s) (\"%s\" for %s), so their sizes are unknown and nothing can be fetched "
	          "safely; the server may refuse SIZE (check its settings, or offer MLSD)",
	          c->url.display, t->failed, t->first_reply, t->first_failed);
	return LS_EXIT_UNAVAILABLE;
}

static enum ls_exit
list_nlst(struct transfer_conn *c, struct transfer_listing *l)
{
	struct ftp *f = c->impl;
	enum ls_exit rc = fetch_listing(c, NULL);
	char *pos = f->listing.p, *line, **names = NULL;
	size_t n = 0, alloc = 0;
	struct stat_tally t = {0};

	if (rc != LS_EXIT_OK)
		return rc;
	while (rc == LS_EXIT_OK && (line = next_line(&pos)) != NULL) {
		if (!*line || !transfer_list_match(l, line))
			continue;
		/* Unsafe names never go into a command; list_add warns and drops them */
		if (!transfer_name_is_safe(line)) {
			transfer_list_add(l, line, 0, 0);
			continue;
		}
		names = xgrow(names, &alloc, n + 1, sizeof(*names));
		names[n++] = line; /* points into f->listing, valid until the next listing */
		if (n == FTP_STAT_BATCH) {
			rc = stat_batch(c, l, names, n, &t);
			n = 0;
		}
	}
	if (rc == LS_EXIT_OK && n > 0)
		rc = stat_batch(c, l, names, n, &t);
	free(names);
	if (rc == LS_EXIT_OK && t.failed > 0 && t.ok == 0)
		rc = check_all_failed(c, &t);
	free(t.first_failed);
	if (rc == LS_EXIT_OK)
		ftp_ok(c);
	return rc;
}

static enum ls_exit
ftp_list(struct transfer_conn *c, struct transfer_listing *l)
{
	struct ftp *f = c->impl;

	return f->mlsd ? list_mlsd(c, l) : list_nlst(c, l);
}

/*
 * "425 Can't open data connection" before any byte moved: often transient
 * (a passive port taken a moment ago, a busy server). True when the
 * request is to be tried once more, on a fresh control connection.
 */
static bool
transient_425(struct transfer_conn *c, CURLcode cc, const char *name)
{
	struct ftp *f = c->impl;

	if (cc == CURLE_OK || strncmp(f->last, "425", 3) != 0 || f->bytes != 0)
		return false;
	log_info("%s%s: %s; trying once more", c->url.display, name, f->last);
	ftp_reconnect(f);
	return true;
}

/* One RETR of url into fd. */
static CURLcode
perform_get(struct transfer_conn *c, const char *url, int fd)
{
	struct ftp *f = c->impl;

	ftp_prepare(c, url);
	f->fd = fd;
	SETOPT(f->h, CURLOPT_WRITEFUNCTION, write_fd_cb);
	SETOPT(f->h, CURLOPT_WRITEDATA, f);
	/*
	 * FTPS: no SIZE before RETR. libcurl 7.88 starts the data connection's
	 * TLS handshake right after EPSV and, while it is pending, notices
	 * control replies only when its poll times out: SIZE then costs 0.2-1 s
	 * per file. The size comes from the 150 reply instead.
	 */
	if (f->tls)
		SETOPT(f->h, CURLOPT_IGNORE_CONTENT_LENGTH, 1L);
	return perform(f);
}

static enum ls_exit
ftp_get(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes)
{
	struct ftp *f = c->impl;
	char *url = file_url(c, name);
	curl_off_t expect = -1;
	enum ls_exit rc = LS_EXIT_OK;
	CURLcode cc;

	cc = perform_get(c, url, fd);
	if (transient_425(c, cc, name))
		cc = perform_get(c, url, fd);
	*bytes = f->bytes;
	f->fd = -1;
	if (cc != CURLE_OK) {
		rc = ftp_fail(c, cc, "download", name);
		goto out;
	}
	/* curl knows the size from SIZE; else the 150 reply may say; -1: nobody said */
	curl_easy_getinfo(f->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expect);
	if (expect < 0)
		expect = f->announced;
	if (expect >= 0 && (uint64_t)expect != f->bytes) {
		transfer_set_reply(c, "got %llu bytes, server announced %lld",
		                   (unsigned long long)f->bytes, (long long)expect);
		log_error("%s%s: download incomplete: %s", c->url.display, name, c->reply);
		rc = LS_EXIT_UNAVAILABLE;
		goto out;
	}
	ftp_ok(c);
out:
	free(url);
	return rc;
}

/* The last two replies were "350" (RNFR accepted) and a refusal of RNTO. */
static bool
rnto_refused(struct ftp *f)
{
	const char *rnfr = ring_last(&f->ring, 2, 0), *rnto = ring_last(&f->ring, 2, 1);

	return rnfr && rnto && strncmp(rnfr, "350", 3) == 0 && rnto[0] >= '4';
}

/*
 * The server would not rename onto an existing name: delete it, then
 * rename. Between the two the file is missing, hence the warning.
 */
static enum ls_exit
replace_nonatomic(struct transfer_conn *c, const char *tmp, const char *name)
{
	struct curl_slist *cmds = slist_add(NULL, "DELE", name);
	CURLcode cc;

	cmds = slist_add(cmds, "RNFR", tmp);
	cmds = slist_add(cmds, "RNTO", name);
	cc = perform_quote(c, cmds);
	curl_slist_free_all(cmds);
	if (cc != CURLE_OK)
		return ftp_fail(c, cc, "delete-then-rename", name);
	log_warn("%s%s: server refused to rename over the existing file; deleted it first "
	         "(non-atomic replace)",
	         c->url.display, name);
	ftp_ok(c);
	return LS_EXIT_OK;
}

/* Best effort: remove a temporary upload left by a failed put. */
static void
remove_temp(struct transfer_conn *c, const char *tmp)
{
	struct curl_slist *cmds = slist_add(NULL, "*DELE", tmp);
	char keep[sizeof(c->reply)];

	memcpy(keep, c->reply, sizeof(keep)); /* keep the reply of the real failure */
	perform_quote(c, cmds);
	curl_slist_free_all(cmds);
	memcpy(c->reply, keep, sizeof(keep));
}

/* SIZE of name in binary mode, without logging: 1 = it exists (*size set), 0 = not. */
static int
remote_size(struct transfer_conn *c, const char *name, uint64_t *size)
{
	struct ftp *f = c->impl;
	struct curl_slist *cmds = slist_add(NULL, "TYPE", "I");
	char keep[sizeof(c->reply)];
	const char *r;
	unsigned long long v;
	int found = 0;

	cmds = slist_add(cmds, "*SIZE", name);
	memcpy(keep, c->reply, sizeof(keep));
	ring_init(&f->ring, 2);
	if (perform_quote(c, cmds) == CURLE_OK && (r = ring_last(&f->ring, 2, 1)) != NULL &&
	    strncmp(r, "213 ", 4) == 0 && parse_uint(r + 4, UINT64_MAX, &v) == 0) {
		*size = v;
		found = 1;
	}
	ring_release(&f->ring);
	curl_slist_free_all(cmds);
	memcpy(c->reply, keep, sizeof(keep));
	return found;
}

/*
 * The server refused to write the final name (no overwrite: ProFTPD's
 * AllowOverwrite off) or to rename onto it. If a file of that name is
 * there: the same bytes were delivered by a run that stopped before it
 * recorded them (LS_EXIT_OK, *done); a shorter copy of this file's start
 * is an interrupted upload of it (the name is unique to the export): it
 * is deleted and *again set; anything else is another file, never
 * replaced. LS_EXIT_UNAVAILABLE (logged) when it cannot be settled.
 */
static enum ls_exit
existing_final(struct transfer_conn *c, int fd, uint64_t size, const char *name, bool *done,
               bool *again)
{
	uint64_t rsize = 0;
	int cmp;

	*done = *again = false;
	if (!remote_size(c, name, &rsize))
		return LS_EXIT_UNAVAILABLE;
	cmp = transfer_compare_remote(c, fd, size, name);
	if (cmp == 1) {
		transfer_note_delivered(c, name, "sent again");
		*done = true;
		return LS_EXIT_OK;
	}
	if (cmp == 2) {
		struct curl_slist *cmds = slist_add(NULL, "DELE", name);
		CURLcode cc = perform_quote(c, cmds);

		curl_slist_free_all(cmds);
		if (cc != CURLE_OK)
			return ftp_fail(c, cc, "removing an interrupted upload", name);
		transfer_note_resend(c, name, rsize, size);
		*again = true;
		return LS_EXIT_OK;
	}
	if (cmp == 0) {
		transfer_set_reply(c,
		                   "%s exists on the server with other content and the server "
		                   "refuses to overwrite it",
		                   name);
		log_error("%s%s: a different file of this name is already on the server, and the "
		          "server refuses to overwrite it (ProFTPD: AllowOverwrite off); remove or "
		          "rename it there and lotsync sends this file at the next run",
		          c->url.display, name);
	}
	return LS_EXIT_UNAVAILABLE;
}

/*
 * One upload: to the temporary name and renamed (use_rename), or straight
 * to name. A stale temporary file of lotsync's own naming, left by an
 * interrupted upload, is deleted first: servers that refuse overwrites
 * would otherwise refuse every retry. *again: send once more.
 */
static enum ls_exit
put_once(struct transfer_conn *c, int local_fd, uint64_t size, const char *name, bool use_rename,
         bool *again)
{
	struct ftp *f = c->impl;
	char *tmp = use_rename ? transfer_temp_name(name) : xstrdup(name);
	char *url = file_url(c, tmp);
	struct curl_slist *cmds = NULL, *pre = NULL;
	enum ls_exit rc = LS_EXIT_OK;
	bool done = false;
	CURLcode cc;

	*again = false;
	if (use_rename) {
		pre = slist_add(NULL, "*DELE", tmp);
		cmds = slist_add(NULL, "RNFR", tmp);
		cmds = slist_add(cmds, "RNTO", name);
	}
	ftp_prepare(c, url);
	f->fd = local_fd;
	SETOPT(f->h, CURLOPT_UPLOAD, 1L);
	SETOPT(f->h, CURLOPT_READFUNCTION, read_fd_cb);
	SETOPT(f->h, CURLOPT_READDATA, f);
	SETOPT(f->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	f->put_size = size;
	if (cmds) {
		SETOPT(f->h, CURLOPT_PREQUOTE, pre);
		SETOPT(f->h, CURLOPT_POSTQUOTE, cmds);
	}
	ring_init(&f->ring, 2);
	f->linger = f->tls; /* see close_cb() */
	cc = perform(f);
	if (transient_425(c, cc, name) && lseek(local_fd, 0, SEEK_SET) == 0) {
		ring_release(&f->ring);
		ftp_prepare(c, url);
		SETOPT(f->h, CURLOPT_UPLOAD, 1L);
		SETOPT(f->h, CURLOPT_READFUNCTION, read_fd_cb);
		SETOPT(f->h, CURLOPT_READDATA, f);
		SETOPT(f->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
		if (cmds) {
			SETOPT(f->h, CURLOPT_PREQUOTE, pre);
			SETOPT(f->h, CURLOPT_POSTQUOTE, cmds);
		}
		ring_init(&f->ring, 2);
		cc = perform(f);
	}
	f->linger = false;
	f->fd = -1;
	if (cc == CURLE_OK && f->bytes != size) {
		/* The local file changed under us; never publish a short copy */
		transfer_set_reply(c, "sent %llu bytes, expected %llu",
		                   (unsigned long long)f->bytes, (unsigned long long)size);
		rc = LS_EXIT_IOERR;
		log_error("%s%s: upload incomplete: %s", c->url.display, name, c->reply);
	} else if (cc == CURLE_QUOTE_ERROR && use_rename && rnto_refused(f)) {
		uint64_t rsize = 0;

		ring_release(&f->ring);
		/* Delivered by a run that stopped before recording it: nothing to replace */
		if (remote_size(c, name, &rsize) && rsize == size &&
		    transfer_compare_remote(c, local_fd, size, name) == 1) {
			transfer_note_delivered(c, name, "replaced");
			remove_temp(c, tmp);
		} else if ((rc = replace_nonatomic(c, tmp, name)) != LS_EXIT_OK) {
			remove_temp(c, tmp);
		}
	} else if (!use_rename && f->last[0] == '5' && !f->io_errno && !f->local_changed) {
		/*
		 * Refused (5xx) rather than cut: ProFTPD refuses STOR onto an existing
		 * name ("550 Overwrite permission denied"); curl 7.88 may report it
		 * as a bad EPSV reply, so the reply decides, not the curl code.
		 */
		char why[sizeof(f->last)];

		/* The refusal itself: the next requests overwrite errbuf and last */
		memcpy(why, f->last, sizeof(why));
		ftp_reconnect(f);
		c->reply[0] = '\0';
		rc = existing_final(c, local_fd, size, name, &done, again);
		if (rc != LS_EXIT_OK && !c->reply[0]) {
			transfer_set_reply(c, "%s", why);
			log_error("%s%s: upload failed: the server refused it: %s", c->url.display,
			          name, why);
		}
	} else if (cc != CURLE_OK) {
		rc = ftp_fail(c, cc, use_rename ? "upload and rename" : "upload", name);
		if (use_rename && (cc == CURLE_QUOTE_ERROR || cc == CURLE_ABORTED_BY_CALLBACK))
			remove_temp(c, tmp);
	} else {
		ftp_ok(c);
	}
	ring_release(&f->ring);
	curl_slist_free_all(cmds);
	curl_slist_free_all(pre);
	free(url);
	free(tmp);
	return rc;
}

static enum ls_exit
ftp_put(struct transfer_conn *c, int local_fd, uint64_t size, const char *name, bool use_rename)
{
	bool again;
	enum ls_exit rc = put_once(c, local_fd, size, name, use_rename, &again);

	if (rc == LS_EXIT_OK && again)
		rc = put_once(c, local_fd, size, name, use_rename, &again);
	return rc;
}

static enum ls_exit
ftp_del(struct transfer_conn *c, const char *name)
{
	struct curl_slist *cmds = slist_add(NULL, "DELE", name);
	CURLcode cc = perform_quote(c, cmds);

	curl_slist_free_all(cmds);
	if (cc != CURLE_OK) {
		struct ftp *f = c->impl;

		/* "550 Permission denied": the control connection is fine, the answer final */
		c->refused = cc == CURLE_QUOTE_ERROR && f->last[0] == '5';
		return ftp_fail(c, cc, "delete", name);
	}
	ftp_ok(c);
	return LS_EXIT_OK;
}

const struct transfer_ops transfer_ftp_ops = {
        .scheme = "ftp",
        .open = ftp_open,
        .close = ftp_close,
        .list = ftp_list,
        .get = ftp_get,
        .put = ftp_put,
        .del = ftp_del,
        .chdir = ftp_chdir,
};
