/*
 * transfer_sftp.c - sftp:// through libssh2, in blocking mode.
 *
 * Order of a login: read known_hosts, TCP connect (non-blocking connect
 * bounded by connect_timeout), SSH handshake, host key check, and only then
 * authentication: a server with an unknown or changed key never sees a
 * user name, key signature or password. The session timeout
 * (libssh2_session_set_timeout) bounds every blocking wait, which makes it
 * the idle timeout. One session and SFTP channel serve every call on the
 * connection.
 *
 * Paths follow curl: sftp://host/dir/ is the absolute /dir/, and
 * sftp://host/~/dir/ is dir/ below the login directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/crash.h"
#include "lotsync/log.h"
#include "lotsync/util.h"
#include "transfer_p.h"

/*
 * Read sizes: libssh2 1.10 pipelines ~30 KB requests up to the size asked
 * for. Big asks are ~20% faster on big files, but on small files the
 * requests past EOF cost more than the file (research/transfer-perf.md:
 * 2,000 files of 90 KB took 2.9 s with 32 KiB asks, 7.6 s with 1 MiB).
 */
#define SFTP_ASK_SMALL (32 * 1024)
#define SFTP_ASK_BIG   (1024 * 1024)
#define SFTP_BIG_FILE  (1024 * 1024)
#define SFTP_BUF       SFTP_ASK_BIG
#define SFTP_NAME_BUF  1024
#define SFTP_FILE_MODE 0644

/* Host key algorithms we ask for when known_hosts says nothing (pitfall 6) */
static const char *const default_hostkey_methods[] = {
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "ssh-rsa",
};

struct sftp {
	int sock;
	LIBSSH2_SESSION *session;
	LIBSSH2_SFTP *sftp;
	LIBSSH2_KNOWNHOSTS *known;
	unsigned known_skipped; /* known_hosts lines libssh2 did not understand */
	char *buf;
	bool broken;              /* the session failed: every later call fails fast */
	const char *kbd_password; /* during keyboard-interactive login only */
};

/* ---- TCP connect with a timeout ---- */

static int
wait_connected(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int err = 0, r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	errno = err;
	return err ? -1 : 0;
}

static int
try_connect(const struct addrinfo *ai, int timeout_ms)
{
	int one = 1, fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	                         ai->ai_protocol);

	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    (errno != EINPROGRESS || wait_connected(fd, timeout_ms) == -1))
		goto fail;
	/* libssh2 waits with its own session timeout: the socket is blocking */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:;
	int e = errno;

	close(fd);
	errno = e;
	return -1;
}

/* Connect to every address in turn until one answers; -1 with c->reply set. */
static int
tcp_connect(struct transfer_conn *c)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char port[16];
	struct timespec start, now;
	int fd = -1, rc, e = ETIMEDOUT;

	snprintf(port, sizeof(port), "%ld", c->url.port);
	rc = getaddrinfo(c->url.host, port, &hints, &res);
	if (rc != 0) {
		transfer_set_reply(c, "cannot resolve %s: %s", c->url.host, gai_strerror(rc));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (ai = res; ai && fd == -1; ai = ai->ai_next) {
		long spent_ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent_ms = (now.tv_sec - start.tv_sec) * 1000 +
		           (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent_ms >= c->connect_timeout * 1000)
			break;
		fd = try_connect(ai, (int)(c->connect_timeout * 1000 - spent_ms));
		if (fd == -1)
			e = errno;
	}
	freeaddrinfo(res);
	if (fd == -1)
		transfer_set_reply(c, "cannot connect: %s", strerror(e));
	return fd;
}

/* ---- errors ---- */

static const char *
fx_text(unsigned long code)
{
	static const char *const text[] = {
	        "ok",
	        "end of file",
	        "no such file",
	        "permission denied",
	        "failure",
	        "bad message",
	        "no connection",
	        "connection lost",
	        "operation unsupported",
	        "invalid handle",
	        "no such path",
	        "file already exists",
	        "write protected",
	        "no media",
	        "no space on filesystem",
	        "quota exceeded",
	        "unknown principal",
	        "lock conflict",
	        "directory not empty",
	        "not a directory",
	        "invalid file name",
	        "link loop",
	};

	return code < ARRAY_SIZE(text) ? text[code] : "unknown SFTP status";
}

/*
 * After a timeout or a cut connection the session state is unknown. Shut
 * the socket down so that the cleanup calls (close handle, SFTP shutdown,
 * disconnect) fail at once instead of waiting for the timeout again.
 */
static void
mark_broken(struct sftp *s)
{
	if (s->broken)
		return;
	s->broken = true;
	if (s->sock != -1)
		shutdown(s->sock, SHUT_RDWR);
}

/*
 * Log a failed libssh2 call once and return LS_EXIT_UNAVAILABLE. An SFTP
 * status (no such file, permission denied) leaves the session usable;
 * anything else (timeout, cut connection) marks it broken.
 */
static enum ls_exit
sftp_fail(struct transfer_conn *c, const char *what, const char *name)
{
	struct sftp *s = c->impl;
	char *msg = NULL;
	int len, err = libssh2_session_last_error(s->session, &msg, &len, 0);

	if (err == LIBSSH2_ERROR_SFTP_PROTOCOL && s->sftp) {
		unsigned long code = libssh2_sftp_last_error(s->sftp);

		transfer_set_reply(c, "SFTP status %lu: %s", code, fx_text(code));
	} else if (err == LIBSSH2_ERROR_TIMEOUT && transfer_deadline_passed(c)) {
		mark_broken(s); /* the reply says run_timeout */
	} else {
		transfer_set_reply(c, "%s (libssh2 error %d)", msg ? msg : "?", err);
		if (err != LIBSSH2_ERROR_BUFFER_TOO_SMALL)
			mark_broken(s);
	}
	log_error("%s%s: %s failed: %s", c->url.display, name ? name : "", what, c->reply);
	return LS_EXIT_UNAVAILABLE;
}

/* Every blocking wait of the next request: idle_timeout, or what is left of the run. */
static void
arm_timeout(struct transfer_conn *c)
{
	struct sftp *s = c->impl;

	libssh2_session_set_timeout(s->session, transfer_wait_ms(c));
}

static enum ls_exit
check_usable(struct transfer_conn *c)
{
	struct sftp *s = c->impl;

	arm_timeout(c);
	if (!s->broken)
		return LS_EXIT_OK;
	log_error("%s: the SFTP session failed earlier; not retried on this connection",
	          c->url.display);
	return LS_EXIT_UNAVAILABLE;
}

/* ---- host keys ---- */

static const char *
hostkey_method(int knownhost_type)
{
	switch (knownhost_type & LIBSSH2_KNOWNHOST_KEY_MASK) {
	case LIBSSH2_KNOWNHOST_KEY_ED25519: return "ssh-ed25519";
	case LIBSSH2_KNOWNHOST_KEY_ECDSA_256: return "ecdsa-sha2-nistp256";
	case LIBSSH2_KNOWNHOST_KEY_ECDSA_384: return "ecdsa-sha2-nistp384";
	case LIBSSH2_KNOWNHOST_KEY_ECDSA_521: return "ecdsa-sha2-nistp521";
	case LIBSSH2_KNOWNHOST_KEY_SSHRSA: return "ssh-rsa";
	case LIBSSH2_KNOWNHOST_KEY_SSHDSS: return "ssh-dss";
	default: return NULL;
	}
}

static int
session_key_to_knownhost(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

/*
 * Load known_hosts line by line, so that one entry libssh2 1.10 cannot
 * parse (a newer key type) does not make the whole file unusable. A
 * @revoked line is fatal: ignoring it would accept a revoked key.
 */
static enum ls_exit
load_known_hosts(struct transfer_conn *c, const char *path)
{
	struct sftp *s = c->impl;
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	enum ls_exit rc = LS_EXIT_OK;

	if (!fp) {
		log_syserr("%s: cannot read known_hosts %s", c->url.display, path);
		return LS_EXIT_CONFIG;
	}
	s->known = libssh2_knownhost_init(s->session);
	if (!s->known)
		log_fatal("libssh2_knownhost_init failed");
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (str_startswith(line, "@revoked")) {
			log_error("%s:%u: @revoked entries are not supported by libssh2; refusing "
			          "to check host keys against this file",
			          path, lineno);
			rc = LS_EXIT_CONFIG;
			break;
		}
		if (len == 0 || line[0] == '#' ||
		    libssh2_knownhost_readline(s->known, line, (size_t)len,
		                               LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0)
			continue;
		log_debug("%s:%u: known_hosts entry not understood by libssh2; ignored", path,
		          lineno);
		s->known_skipped++;
	}
	if (rc == LS_EXIT_OK && ferror(fp)) {
		log_syserr("%s: cannot read known_hosts %s", c->url.display, path);
		rc = LS_EXIT_CONFIG;
	}
	free(line);
	fclose(fp);
	return rc;
}

/* True when the comma-separated list holds m. */
static bool
has_method(const char *list, const char *m)
{
	size_t n = strlen(m);

	for (const char *p = list; (p = strstr(p, m)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void
add_method(char *list, size_t cap, const char *m)
{
	size_t len = strlen(list);

	if (!m || has_method(list, m))
		return;
	snprintf(list + len, cap - len, "%s%s", len ? "," : "", m);
}

/*
 * Ask first for the key types known_hosts holds for this host (as OpenSSH
 * does), then ed25519 and ECDSA. Otherwise a server whose first offer is a
 * type we have no entry for would fail as "unknown" although another of
 * its keys is known (TESTSERVERS.md pitfall 6). Hashed entries cannot be
 * matched by name; they fall back to the default order.
 */
static void
set_hostkey_prefs(struct transfer_conn *c)
{
	struct sftp *s = c->impl;
	struct libssh2_knownhost *e = NULL;
	char list[256] = "", *bracketed = xasprintf("[%s]:%ld", c->url.host, c->url.port);

	while (libssh2_knownhost_get(s->known, &e, e) == 0)
		if (e->name && (strcmp(e->name, bracketed) == 0 ||
		                (c->url.port == 22 && strcmp(e->name, c->url.host) == 0)))
			add_method(list, sizeof(list), hostkey_method(e->typemask));
	for (size_t i = 0; i < ARRAY_SIZE(default_hostkey_methods); i++)
		add_method(list, sizeof(list), default_hostkey_methods[i]);
	free(bracketed);
	if (libssh2_session_method_pref(s->session, LIBSSH2_METHOD_HOSTKEY, list) != 0)
		log_debug("%s: host key preference \"%s\" not accepted by libssh2", c->url.display,
		          list);
}

/* OpenSSH's fingerprint format: "SHA256:" and unpadded base64. */
static void
fingerprint(LIBSSH2_SESSION *session, const char *key, size_t len, char *out, size_t cap)
{
	const unsigned char *hash =
	        (const unsigned char *)libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
	unsigned char digest[EVP_MAX_MD_SIZE], b64[64];
	unsigned dlen = 32;
	int n;

	if (!hash) {
		if (!EVP_Digest(key, len, digest, &dlen, EVP_sha256(), NULL))
			log_fatal("EVP_Digest(sha256) failed");
		hash = digest;
	}
	n = EVP_EncodeBlock(b64, hash, (int)dlen);
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	snprintf(out, cap, "SHA256:%s", (const char *)b64);
}

static const char *
key_type_name(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss";
	default: return "unknown-type";
	}
}

/* The -t argument of ssh-keyscan for a key type, for the hint in messages */
static const char *
keyscan_type(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ed25519";
	case LIBSSH2_HOSTKEY_TYPE_RSA: return "rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS: return "dsa";
	default: return "ecdsa";
	}
}

static enum ls_exit
check_host_key(struct transfer_conn *c, const char *known_hosts)
{
	struct sftp *s = c->impl;
	size_t len;
	int type, rc;
	const char *key = libssh2_session_hostkey(s->session, &len, &type);
	char fpr[96];

	if (!key)
		return sftp_fail(c, "reading the host key", NULL);
	fingerprint(s->session, key, len, fpr, sizeof(fpr));
	rc = libssh2_knownhost_checkp(s->known, c->url.host, (int)c->url.port, key, len,
	                              LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	                                      session_key_to_knownhost(type),
	                              NULL);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		log_debug("%s: host key %s %s matches %s", c->url.display, key_type_name(type), fpr,
		          known_hosts);
		return LS_EXIT_OK;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		transfer_set_reply(c, "host key changed: %s %s", key_type_name(type), fpr);
		log_error("%s:%ld: host key CHANGED: the server shows %s %s, which does not match "
		          "%s; refusing to connect (a new server, or someone in between: ask "
		          "the server's operator before updating known_hosts)",
		          c->url.url_host, c->url.port, key_type_name(type), fpr, known_hosts);
		return LS_EXIT_CONFIG;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		transfer_set_reply(c, "host key unknown: %s %s", key_type_name(type), fpr);
		log_error(
		        "%s:%ld: host key unknown: the server shows %s %s, which is not in %s%s; "
		        "refusing to connect (confirm the fingerprint with the server's operator, "
		        "then add the key, e.g. from ssh-keyscan -t %s -p %ld %s)",
		        c->url.url_host, c->url.port, key_type_name(type), fpr, known_hosts,
		        s->known_skipped ? " (some of its lines were not understood)" : "",
		        keyscan_type(type), c->url.port, c->url.host);
		return LS_EXIT_CONFIG;
	default:
		transfer_set_reply(c, "host key check failed: %s %s", key_type_name(type), fpr);
		log_error("%s:%ld: cannot check host key %s %s against %s; refusing to connect",
		          c->url.url_host, c->url.port, key_type_name(type), fpr, known_hosts);
		return LS_EXIT_CONFIG;
	}
}

/* ---- authentication ---- */

static void
kbd_callback(const char *name, int name_len, const char *instruction, int instruction_len,
             int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
             LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct sftp *s = *abstract;

	(void)name;
	(void)name_len;
	(void)instruction;
	(void)instruction_len;
	(void)prompts;
	/* Only the plain "Password:" exchange: never hand the password to other prompts */
	if (num_prompts == 1 && s->kbd_password) {
		responses[0].text = strdup(s->kbd_password);
		responses[0].length = responses[0].text ? (unsigned)strlen(s->kbd_password) : 0;
	}
}

/* 0 logged in, 1 refused, or an exit code (>1) already logged. */
static int
auth_key(struct transfer_conn *c, const char *identity)
{
	struct sftp *s = c->impl;
	const char *user = c->url.user;
	char *pub = xasprintf("%s.pub", identity);
	int rc, fd = open(identity, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		log_syserr("%s: cannot read identity %s", c->url.display, identity);
		free(pub);
		return LS_EXIT_CONFIG;
	}
	close(fd);
	/* Without a .pub beside it, libssh2 derives the public key itself */
	rc = libssh2_userauth_publickey_fromfile_ex(s->session, user, (unsigned)strlen(user),
	                                            access(pub, R_OK) == 0 ? pub : NULL, identity,
	                                            NULL);
	free(pub);
	if (rc == 0)
		return 0;
	if (rc == LIBSSH2_ERROR_FILE) {
		log_error("%s: cannot use identity %s (unreadable, wrong format, or protected "
		          "by a passphrase)",
		          c->url.display, identity);
		return LS_EXIT_CONFIG;
	}
	if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED && rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
		return sftp_fail(c, "public key login", NULL);
	log_debug("%s: key %s refused", c->url.display, identity);
	return 1;
}

static int
auth_password(struct transfer_conn *c, const char *methods, const char *password_file)
{
	struct sftp *s = c->impl;
	const char *user = c->url.user;
	char *pw = NULL;
	enum ls_exit ex = transfer_read_secret(password_file, &pw);
	int rc = LIBSSH2_ERROR_AUTHENTICATION_FAILED;

	if (ex != LS_EXIT_OK)
		return ex;
	if (has_method(methods, "password"))
		rc = libssh2_userauth_password_ex(s->session, user, (unsigned)strlen(user), pw,
		                                  (unsigned)strlen(pw), NULL);
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED &&
	    has_method(methods, "keyboard-interactive")) {
		s->kbd_password = pw;
		rc = libssh2_userauth_keyboard_interactive_ex(s->session, user,
		                                              (unsigned)strlen(user), kbd_callback);
		s->kbd_password = NULL;
	}
	transfer_secret_free(pw);
	if (rc == 0)
		return 0;
	if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED)
		return sftp_fail(c, "password login", NULL);
	return 1;
}

static enum ls_exit
authenticate(struct transfer_conn *c, const struct transfer_endpoint *ep)
{
	struct sftp *s = c->impl;
	const char *user = c->url.user;
	char *methods = libssh2_userauth_list(s->session, user, (unsigned)strlen(user));
	int rc = 1;

	if (!methods) {
		if (libssh2_userauth_authenticated(s->session))
			return LS_EXIT_OK;
		return sftp_fail(c, "asking for login methods", NULL);
	}
	methods = xstrdup(methods);
	if (ep->identity && has_method(methods, "publickey"))
		rc = auth_key(c, ep->identity);
	if (rc == 1 && ep->password_file &&
	    (has_method(methods, "password") || has_method(methods, "keyboard-interactive")))
		rc = auth_password(c, methods, ep->password_file);
	if (rc == 1) {
		transfer_set_reply(c, "login refused (server offers: %s)", methods);
		log_error("%s: login as %s refused with %s%s%s (server offers: %s)", c->url.display,
		          user, ep->identity ? "the key " : "", ep->identity ? ep->identity : "",
		          ep->password_file ? (ep->identity ? " and a password" : "a password")
		                            : "",
		          methods);
		rc = LS_EXIT_UNAVAILABLE;
	}
	free(methods);
	return (enum ls_exit)rc;
}

/* ---- open / close ---- */

static enum ls_exit
sftp_open(struct transfer_conn *c, const struct transfer_endpoint *ep)
{
	struct sftp *s = xcalloc(1, sizeof(*s));
	enum ls_exit rc;

	c->impl = s;
	s->sock = -1;
	if (!c->url.user || !ep->known_hosts || (!ep->identity && !ep->password_file)) {
		log_error("%s: sftp needs a user in the URL, known_hosts, and identity or "
		          "password_file",
		          c->url.display);
		return LS_EXIT_CONFIG;
	}
	s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
	if (!s->session)
		log_fatal("libssh2_session_init failed");
	if ((rc = load_known_hosts(c, ep->known_hosts)) != LS_EXIT_OK)
		return rc;
	s->sock = tcp_connect(c);
	if (s->sock == -1) {
		log_error("%s: %s", c->url.display, c->reply);
		return LS_EXIT_UNAVAILABLE;
	}
	libssh2_session_set_blocking(s->session, 1);
	arm_timeout(c);
	set_hostkey_prefs(c);
	if (libssh2_session_handshake(s->session, s->sock) != 0)
		return sftp_fail(c, "SSH handshake", NULL);
	if ((rc = check_host_key(c, ep->known_hosts)) != LS_EXIT_OK)
		return rc;
	if ((rc = authenticate(c, ep)) != LS_EXIT_OK)
		return rc;
	s->sftp = libssh2_sftp_init(s->session);
	if (!s->sftp)
		return sftp_fail(c, "starting the SFTP subsystem", NULL);
	s->buf = xmalloc(SFTP_BUF);
	transfer_set_reply(c, "logged in");
	return LS_EXIT_OK;
}

static void
sftp_close(struct transfer_conn *c)
{
	struct sftp *s = c->impl;

	if (!s)
		return;
	/* On a broken session the socket is shut down: these fail at once */
	if (s->sftp)
		libssh2_sftp_shutdown(s->sftp);
	if (s->session && s->sock != -1)
		libssh2_session_disconnect(s->session, "lotsync done");
	if (s->known)
		libssh2_knownhost_free(s->known);
	if (s->session)
		libssh2_session_free(s->session);
	if (s->sock != -1)
		close(s->sock);
	free(s->buf);
	free(s);
	c->impl = NULL;
}

/* ---- files ---- */

static enum ls_exit
sftp_list(struct transfer_conn *c, struct transfer_listing *l)
{
	struct sftp *s = c->impl;
	char *path = transfer_remote_path(&c->url, NULL), name[SFTP_NAME_BUF];
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *d;
	enum ls_exit rc = check_usable(c);
	size_t entries = 0;
	int n;

	if (rc != LS_EXIT_OK)
		goto out;
	d = libssh2_sftp_opendir(s->sftp, path);
	if (!d) {
		rc = sftp_fail(c, "opening the directory", NULL);
		goto out;
	}
	while ((n = libssh2_sftp_readdir_ex(d, name, sizeof(name), NULL, 0, &a)) > 0) {
		if (++entries > LS_MAX_SFTP_DIR) {
			log_error("%s: more than %d directory entries; refusing the listing",
			          c->url.display, LS_MAX_SFTP_DIR);
			rc = LS_EXIT_DATAERR;
			break;
		}
		/* readdir attributes are lstat()'s: symlinks are not regular files */
		if (!(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) ||
		    !LIBSSH2_SFTP_S_ISREG(a.permissions))
			continue;
		if (strlen(name) != (size_t)n) {
			log_warn("%s: skipping remote file with a NUL byte in its name",
			         c->url.display);
			continue;
		}
		if (transfer_list_add(l, name, (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0,
		                      (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ? (time_t)a.mtime
		                                                              : 0) == -1) {
			rc = LS_EXIT_DATAERR;
			break;
		}
	}
	if (n < 0 && rc == LS_EXIT_OK)
		rc = sftp_fail(c, "reading the directory", NULL);
	libssh2_sftp_closedir(d);
	if (rc == LS_EXIT_OK)
		transfer_set_reply(c, "%zu files", l->n);
out:
	free(path);
	return rc;
}

/*
 * Too slow, or the run's time is up, in the middle of a file: the session
 * is left mid-request, so it is not used again (the caller removes the
 * local temporary file; a remote partial upload stays under its temporary
 * name and is replaced by the next try).
 */
static enum ls_exit
pace_fail(struct transfer_conn *c, const char *what, const char *name)
{
	mark_broken(c->impl);
	log_error("%s%s: %s cut: %s", c->url.display, name, what, c->reply);
	return LS_EXIT_UNAVAILABLE;
}

static enum ls_exit
read_all(struct transfer_conn *c, LIBSSH2_SFTP_HANDLE *h, size_t ask, int fd, uint64_t *bytes,
         const char *name)
{
	struct sftp *s = c->impl;
	struct transfer_pace pace;
	ssize_t n;

	transfer_pace_start(&pace, 0);
	while ((n = libssh2_sftp_read(h, s->buf, ask)) > 0) {
		if (transfer_sink(c, fd, s->buf, (size_t)n) == -1) {
			transfer_set_reply(c, "local write failed: %s", strerror(errno));
			log_syserr("%s%s: writing the local copy failed", c->url.display, name);
			return LS_EXIT_IOERR;
		}
		*bytes += (uint64_t)n;
		if (transfer_pace_check(c, &pace, *bytes) == -1)
			return pace_fail(c, "download", name);
		arm_timeout(c);
	}
	return n < 0 ? sftp_fail(c, "download", name) : LS_EXIT_OK;
}

static enum ls_exit
sftp_get(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes)
{
	struct sftp *s = c->impl;
	char *path = transfer_remote_path(&c->url, name);
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	enum ls_exit rc = check_usable(c);
	bool has_size;

	if (rc != LS_EXIT_OK)
		goto out;
	h = libssh2_sftp_open_ex(s->sftp, path, (unsigned)strlen(path), LIBSSH2_FXF_READ, 0,
	                         LIBSSH2_SFTP_OPENFILE);
	if (!h || libssh2_sftp_fstat_ex(h, &a, 0) != 0) {
		rc = sftp_fail(c, "opening for download", name);
		goto out;
	}
	if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISREG(a.permissions)) {
		transfer_set_reply(c, "not a regular file");
		log_error("%s%s: not a regular file; not downloaded", c->url.display, name);
		rc = LS_EXIT_UNAVAILABLE;
		goto out;
	}
	has_size = a.flags & LIBSSH2_SFTP_ATTR_SIZE;
	rc = read_all(c, h, has_size && a.filesize >= SFTP_BIG_FILE ? SFTP_ASK_BIG : SFTP_ASK_SMALL,
	              fd, bytes, name);
	if (rc == LS_EXIT_OK && has_size && *bytes != a.filesize) {
		transfer_set_reply(c, "got %llu bytes, expected %llu", (unsigned long long)*bytes,
		                   (unsigned long long)a.filesize);
		log_error("%s%s: download incomplete or file changed while reading: %s",
		          c->url.display, name, c->reply);
		rc = LS_EXIT_UNAVAILABLE;
	}
	if (rc == LS_EXIT_OK)
		transfer_set_reply(c, "%llu bytes read", (unsigned long long)*bytes);
out:
	if (h)
		libssh2_sftp_close_handle(h);
	free(path);
	return rc;
}

/* Copy local_fd to the open remote handle h; returns an exit code, logged. */
static enum ls_exit
write_all_remote(struct transfer_conn *c, LIBSSH2_SFTP_HANDLE *h, int local_fd, uint64_t size,
                 const char *name)
{
	struct sftp *s = c->impl;
	struct transfer_pace pace;
	uint64_t sent = 0;
	ssize_t r;

	transfer_pace_start(&pace, 0);
	while ((r = read(local_fd, s->buf, SFTP_BUF)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			transfer_set_reply(c, "local read failed: %s", strerror(errno));
			log_syserr("%s%s: reading the local file failed", c->url.display, name);
			return LS_EXIT_IOERR;
		}
		/* libssh2 may take part of the buffer; hand it the rest until done */
		for (ssize_t off = 0; off < r;) {
			ssize_t w = libssh2_sftp_write(h, s->buf + off, (size_t)(r - off));

			if (w < 0)
				return sftp_fail(c, "upload", name);
			off += w;
			if (transfer_pace_check(c, &pace, sent + (uint64_t)off) == -1)
				return pace_fail(c, "upload", name);
			arm_timeout(c);
		}
		sent += (uint64_t)r;
	}
	if (sent != size) {
		transfer_set_reply(c, "sent %llu bytes, expected %llu", (unsigned long long)sent,
		                   (unsigned long long)size);
		log_error("%s%s: local file changed during upload: %s", c->url.display, name,
		          c->reply);
		return LS_EXIT_IOERR;
	}
	return LS_EXIT_OK;
}

static enum ls_exit
upload(struct transfer_conn *c, int local_fd, uint64_t size, const char *path, const char *name)
{
	struct sftp *s = c->impl;
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *h;
	enum ls_exit rc;

	h = libssh2_sftp_open_ex(s->sftp, path, (unsigned)strlen(path),
	                         LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
	                         SFTP_FILE_MODE, LIBSSH2_SFTP_OPENFILE);
	if (!h)
		return sftp_fail(c, "creating the upload", name);
	rc = write_all_remote(c, h, local_fd, size, name);
	/* The server reports a late write error (disk full) at close */
	if (libssh2_sftp_close_handle(h) != 0 && rc == LS_EXIT_OK)
		return sftp_fail(c, "finishing the upload", name);
	if (rc != LS_EXIT_OK)
		return rc;
	/* One round trip to be sure the server holds every byte before publishing */
	if (libssh2_sftp_stat_ex(s->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_STAT, &a) != 0)
		return sftp_fail(c, "checking the upload", name);
	if ((a.flags & LIBSSH2_SFTP_ATTR_SIZE) && a.filesize != size) {
		transfer_set_reply(c, "server has %llu bytes, sent %llu",
		                   (unsigned long long)a.filesize, (unsigned long long)size);
		log_error("%s%s: upload incomplete: %s", c->url.display, name, c->reply);
		return LS_EXIT_UNAVAILABLE;
	}
	return LS_EXIT_OK;
}

static int
rename_remote(struct sftp *s, const char *from, const char *to)
{
	return libssh2_sftp_rename_ex(s->sftp, from, (unsigned)strlen(from), to,
	                              (unsigned)strlen(to),
	                              LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
	                                      LIBSSH2_SFTP_RENAME_NATIVE);
}

/*
 * OpenSSH's server (SFTP v3) renames with link()+unlink() and refuses an
 * existing target whatever the flags say. Then delete the target and
 * rename again: not atomic, so say so.
 */
static enum ls_exit
publish(struct transfer_conn *c, const char *tmp, const char *path, const char *name)
{
	struct sftp *s = c->impl;
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned long code;

	if (rename_remote(s, tmp, path) == 0)
		return LS_EXIT_OK;
	if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return sftp_fail(c, "renaming the upload into place", name);
	code = libssh2_sftp_last_error(s->sftp);
	if (libssh2_sftp_stat_ex(s->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_LSTAT, &a) !=
	    0) {
		/* No target in the way: the rename failed for its own reason */
		transfer_set_reply(c, "SFTP status %lu: %s", code, fx_text(code));
		log_error("%s%s: renaming the upload into place failed: %s", c->url.display, name,
		          c->reply);
		return LS_EXIT_UNAVAILABLE;
	}
	if (libssh2_sftp_unlink_ex(s->sftp, path, (unsigned)strlen(path)) != 0)
		return sftp_fail(c, "deleting the old file before renaming", name);
	if (rename_remote(s, tmp, path) != 0)
		return sftp_fail(c, "renaming the upload into place (old file already deleted)",
		                 name);
	log_warn("%s%s: server refused to rename over the existing file; deleted it first "
	         "(non-atomic replace)",
	         c->url.display, name);
	return LS_EXIT_OK;
}

/*
 * rename = off and name may exist. The same bytes (a run killed before it
 * recorded the delivery): LS_EXIT_OK, nothing to send. A shorter copy of
 * this file's start (an interrupted upload; the name is unique to the
 * export): removed. LS_EXIT_UNAVAILABLE: go on and upload (no file, or
 * another one, which a server allowing overwrites replaces as before).
 */
static enum ls_exit
existing_final(struct transfer_conn *c, int local_fd, uint64_t size, const char *path,
               const char *name, bool *other)
{
	struct sftp *s = c->impl;
	LIBSSH2_SFTP_ATTRIBUTES a;
	int cmp;

	*other = false;
	if (libssh2_sftp_stat_ex(s->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_STAT, &a) !=
	            0 ||
	    !(a.flags & LIBSSH2_SFTP_ATTR_SIZE))
		return LS_EXIT_UNAVAILABLE;
	*other = true;
	if (a.filesize > size)
		return LS_EXIT_UNAVAILABLE;
	cmp = transfer_compare_remote(c, local_fd, size, name);
	if (cmp == 1) {
		transfer_note_delivered(c, name, "sent again");
		return LS_EXIT_OK;
	}
	*other = cmp != 2;
	if (cmp == 2 && libssh2_sftp_unlink_ex(s->sftp, path, (unsigned)strlen(path)) == 0)
		transfer_note_resend(c, name, a.filesize, size);
	return LS_EXIT_UNAVAILABLE;
}

static enum ls_exit
sftp_put(struct transfer_conn *c, int local_fd, uint64_t size, const char *name, bool use_rename)
{
	struct sftp *s = c->impl;
	char *tmpname = use_rename ? transfer_temp_name(name) : NULL;
	char *path = transfer_remote_path(&c->url, name);
	char *tmp = tmpname ? transfer_remote_path(&c->url, tmpname) : xstrdup(path);
	enum ls_exit rc = check_usable(c);
	bool other = false;

	if (rc != LS_EXIT_OK)
		goto out;
	/*
	 * Servers that refuse overwrites (ProFTPD mod_sftp, AllowOverwrite off)
	 * refuse to open an existing name for writing: a stale temporary file
	 * of our own naming is removed first; with rename = off, a file already
	 * under the name is looked at (existing_final()).
	 */
	if (use_rename)
		libssh2_sftp_unlink_ex(s->sftp, tmp, (unsigned)strlen(tmp));
	else if ((rc = existing_final(c, local_fd, size, path, name, &other)) !=
	         LS_EXIT_UNAVAILABLE)
		goto out; /* delivered before */
	rc = upload(c, local_fd, size, tmp, name);
	if (rc != LS_EXIT_OK && other && !s->broken)
		log_error(
		        "%s%s: a different file of this name is already on the server, and the "
		        "server refused to overwrite it (ProFTPD: AllowOverwrite off?); remove or "
		        "rename it there and lotsync sends this file at the next run",
		        c->url.display, name);
	if (rc == LS_EXIT_OK && use_rename) {
		crash_point("transfer-uploaded"); /* fault tests: whole temp file, no rename */
		rc = publish(c, tmp, path, name);
	}
	if (rc == LS_EXIT_OK)
		transfer_set_reply(c, "%llu bytes stored", (unsigned long long)size);
	else if (use_rename && !s->broken)
		libssh2_sftp_unlink_ex(s->sftp, tmp, (unsigned)strlen(tmp));
out:
	free(tmpname);
	free(path);
	free(tmp);
	return rc;
}

static enum ls_exit
sftp_del(struct transfer_conn *c, const char *name)
{
	struct sftp *s = c->impl;
	char *path = transfer_remote_path(&c->url, name);
	enum ls_exit rc = check_usable(c);

	if (rc == LS_EXIT_OK &&
	    libssh2_sftp_unlink_ex(s->sftp, path, (unsigned)strlen(path)) != 0) {
		rc = sftp_fail(c, "delete", name);
		c->refused = !s->broken &&
		             (libssh2_sftp_last_error(s->sftp) == LIBSSH2_FX_PERMISSION_DENIED ||
		              libssh2_sftp_last_error(s->sftp) == LIBSSH2_FX_FAILURE);
	} else if (rc == LS_EXIT_OK)
		transfer_set_reply(c, "deleted");
	free(path);
	return rc;
}

const struct transfer_ops transfer_sftp_ops = {
        .scheme = "sftp",
        .open = sftp_open,
        .close = sftp_close,
        .list = sftp_list,
        .get = sftp_get,
        .put = sftp_put,
        .del = sftp_del,
};
