/*
 * transfer.c - the transfer API: URL parsing, backend dispatch by scheme,
 * name checks and the helpers the backends share.
 */
#include "lotsync/transfer.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libssh2.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/log.h"
#include "lotsync/spool.h"
#include "lotsync/util.h"
#include "transfer_p.h"

#define DEFAULT_CONNECT_TIMEOUT 30
#define DEFAULT_IDLE_TIMEOUT    60

static const struct transfer_ops *const backends[] = {
        &transfer_sftp_ops,
        &transfer_ftp_ops,
        &transfer_local_ops,
};

/*
 * curl_global_init() and libssh2_init() are not thread-safe and must run
 * once per process; pthread_once is the one piece of global state here
 * because every connection needs them and no caller should have to know.
 */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_fatal("curl_global_init failed");
	if (libssh2_init(0) != 0)
		log_fatal("libssh2_init failed");
}

void
transfer_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

bool
transfer_name_is_safe(const char *name)
{
	/* Remote names become spool names and outbox names remote ones: one rule */
	return spool_name_is_safe(name);
}

/* A copy of s safe to print: control bytes and backslashes escaped, capped. */
static char *
printable(const char *s)
{
	size_t n = strlen(s), cap = n > 80 ? 80 : n, size = cap * 4 + 4;
	char *out = xmalloc(size), *p = out;

	for (size_t i = 0; i < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '"')
			p += snprintf(p, size - (size_t)(p - out), "\\x%02x", ch);
		else
			*p++ = (char)ch;
	}
	snprintf(p, size - (size_t)(p - out), "%s", cap < n ? "..." : "");
	return out;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Decode %XX escapes of s[0..n). Control bytes (which could inject FTP
 * commands or log lines) and malformed escapes are refused: -1.
 */
static int
percent_decode(const char *s, size_t n, char **out)
{
	char *d = xmalloc(n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				goto fail;
			ch = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			goto fail;
		d[j++] = (char)ch;
	}
	d[j] = '\0';
	*out = d;
	return 0;
fail:
	free(d);
	return -1;
}

static const char *
default_port_scheme(const char *scheme, long *port)
{
	if (strcmp(scheme, "sftp") == 0)
		*port = 22;
	else if (strcmp(scheme, "ftp") == 0 || strcmp(scheme, "ftps") == 0)
		*port = 21; /* ftps:// is explicit FTPS (AUTH TLS) on the FTP port */
	else if (strcmp(scheme, "file") == 0)
		*port = 0;
	else
		return NULL;
	return scheme;
}

/* Get one part of h; 1 when absent, 0 when *out is set, -1 on a parse error. */
static int
url_part(CURLU *h, CURLUPart what, unsigned flags, char **out)
{
	char *v = NULL;
	CURLUcode rc = curl_url_get(h, what, &v, flags);

	*out = NULL;
	if (rc == CURLUE_OK) {
		*out = xstrdup(v);
		curl_free(v);
		return 0;
	}
	switch (rc) {
	case CURLUE_NO_USER:
	case CURLUE_NO_PASSWORD:
	case CURLUE_NO_HOST:
	case CURLUE_NO_PORT:
	case CURLUE_NO_QUERY:
	case CURLUE_NO_FRAGMENT:
	case CURLUE_NO_OPTIONS: return 1;
	default: return -1;
	}
}

/* Keep why (static text, never the URL itself); transfer_url_parse() logs it. */
static enum ls_exit
url_refuse(struct transfer_url *u, const char *why)
{
	u->why = why;
	return LS_EXIT_CONFIG;
}

static enum ls_exit
url_split_path(struct transfer_url *u, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen;

	if (!slash || path[0] != '/')
		return url_refuse(u, "the path must start with '/'");
	dlen = (size_t)(slash - path) + 1;
	u->dir_raw = xstrndup(path, dlen);
	if (percent_decode(path, dlen, &u->dir) == -1)
		return url_refuse(u, "bad %-escape or control character in the path");
	if (slash[1] == '\0')
		return LS_EXIT_OK;
	if (percent_decode(slash + 1, strlen(slash + 1), &u->glob) == -1)
		return url_refuse(u, "bad %-escape or control character in the path");
	if (strchr(u->glob, '/'))
		return url_refuse(u, "the file pattern may not contain '/' (%2F)");
	return LS_EXIT_OK;
}

static enum ls_exit
url_host_port(CURLU *h, struct transfer_url *u)
{
	char *port = NULL;
	unsigned long long v;
	int rc;

	rc = url_part(h, CURLUPART_HOST, 0, &u->url_host);
	if (strcmp(u->scheme, "file") == 0) {
		/* curl accepts only an empty host or localhost for file:// */
		free(u->url_host);
		u->url_host = NULL;
		return rc < 0 ? url_refuse(u, "bad host") : LS_EXIT_OK;
	}
	if (rc != 0 || !u->url_host[0])
		return url_refuse(u, "no host");
	if (u->url_host[0] == '[')
		u->host = xstrndup(u->url_host + 1, strlen(u->url_host) - 2);
	else
		u->host = xstrdup(u->url_host);
	rc = url_part(h, CURLUPART_PORT, 0, &port);
	if (rc == 0) {
		if (parse_uint(port, 65535, &v) == -1 || v == 0) {
			free(port);
			return url_refuse(u, "bad port");
		}
		u->port = (long)v;
	}
	free(port);
	return rc < 0 ? url_refuse(u, "bad port") : LS_EXIT_OK;
}

static enum ls_exit
url_check_extras(CURLU *h, struct transfer_url *u)
{
	char *v;

	if (url_part(h, CURLUPART_PASSWORD, 0, &v) != 1) {
		free(v);
		return url_refuse(u, "a password in the URL (use password_file)");
	}
	if (url_part(h, CURLUPART_QUERY, 0, &v) != 1 ||
	    url_part(h, CURLUPART_FRAGMENT, 0, &v) != 1) {
		free(v);
		return url_refuse(u, "'?' or '#' in the URL (write them as %3F, %23)");
	}
	if (url_part(h, CURLUPART_OPTIONS, 0, &v) != 1) {
		free(v);
		return url_refuse(u, "login options (';') in the URL");
	}
	return LS_EXIT_OK;
}

static void
url_set_display(struct transfer_url *u)
{
	if (!u->url_host)
		u->display = xasprintf("%s://%s", u->scheme, u->dir_raw);
	else
		u->display = xasprintf("%s://%s%s%s:%ld%s", u->scheme, u->user ? u->user : "",
		                       u->user ? "@" : "", u->url_host, u->port, u->dir_raw);
}

static enum ls_exit
url_parse_handle(CURLU *h, const char *url, struct transfer_url *u)
{
	char *user = NULL, *path = NULL;
	const char *p;
	enum ls_exit rc;
	CURLUcode uc;

	uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK)
		return url_refuse(u, curl_url_strerror(uc));
	if (url_part(h, CURLUPART_SCHEME, 0, &u->scheme) != 0)
		return url_refuse(u, "no scheme");
	if (!default_port_scheme(u->scheme, &u->port))
		return url_refuse(u, "unsupported scheme (sftp, ftp, ftps or file)");
	/* curl reads "ftp:///x/" as host "x"; an empty host is a typo to report */
	if (strcmp(u->scheme, "file") != 0 && (p = strstr(url, "://")) && p[3] == '/')
		return url_refuse(u, "no host");
	if ((rc = url_check_extras(h, u)) != LS_EXIT_OK)
		return rc;
	if ((rc = url_host_port(h, u)) != LS_EXIT_OK)
		return rc;
	if (url_part(h, CURLUPART_USER, 0, &user) == 0) {
		int bad = percent_decode(user, strlen(user), &u->user);

		free(user);
		if (bad || !*u->user)
			return url_refuse(u, "bad user name");
	}
	if (url_part(h, CURLUPART_PATH, 0, &path) != 0)
		return url_refuse(u, "no path");
	rc = url_split_path(u, path);
	free(path);
	if (rc == LS_EXIT_OK)
		url_set_display(u);
	return rc;
}

enum ls_exit
transfer_url_parse(const char *url, struct transfer_url *u)
{
	CURLU *h;
	enum ls_exit rc;

	memset(u, 0, sizeof(*u));
	if (!url || !*url) {
		rc = url_refuse(u, "no URL");
	} else {
		if (!(h = curl_url()))
			log_fatal("out of memory in curl_url()");
		rc = url_parse_handle(h, url, u);
		curl_url_cleanup(h);
	}
	if (rc != LS_EXIT_OK)
		log_error("%s%sURL refused: %s", u->scheme ? u->scheme : "",
		          u->scheme ? ":// " : "", u->why);
	return rc;
}

/*
 * The scheme the URL names, if it is one of ours; else NULL. Read from the
 * text (before "://", any case, as curl reads it), so it is known even
 * when curl refuses the rest of the URL.
 */
static const char *
known_scheme(const char *url)
{
	static const char *const known[] = {"sftp", "ftp", "ftps", "file"};
	const char *end = url ? strstr(url, "://") : NULL;

	for (size_t i = 0; end && i < ARRAY_SIZE(known); i++)
		if (strlen(known[i]) == (size_t)(end - url) &&
		    strncasecmp(url, known[i], (size_t)(end - url)) == 0)
			return known[i];
	return NULL;
}

const char *
transfer_url_check(const char *url, const char **scheme)
{
	struct transfer_url u = {0};
	const char *why = NULL;
	CURLU *h;

	if (!url || !*url) {
		why = "no URL";
	} else {
		if (!(h = curl_url()))
			log_fatal("out of memory in curl_url()");
		if (url_parse_handle(h, url, &u) != LS_EXIT_OK)
			why = u.why;
		curl_url_cleanup(h);
	}
	if (scheme)
		*scheme = known_scheme(url);
	transfer_url_release(&u);
	return why;
}

void
transfer_url_release(struct transfer_url *u)
{
	free(u->scheme);
	free(u->user);
	free(u->host);
	free(u->url_host);
	free(u->dir_raw);
	free(u->dir);
	free(u->glob);
	free(u->display);
	memset(u, 0, sizeof(*u));
}

char *
transfer_remote_path(const struct transfer_url *u, const char *name)
{
	const char *d = u->dir;

	if (str_startswith(d, "/~/")) {
		d += 3;
		if (!name)
			return xstrdup(*d ? d : ".");
	}
	return xasprintf("%s%s", d, name ? name : "");
}

char *
transfer_temp_name(const char *name)
{
	return xasprintf(".%s.part", name);
}

bool
transfer_list_match(const struct transfer_listing *l, const char *name)
{
	/* FNM_PERIOD: "*" never picks up hidden files such as uploads in progress */
	if (l->glob)
		return fnmatch(l->glob, name, FNM_PERIOD) == 0;
	return name[0] != '.';
}

int
transfer_list_add(struct transfer_listing *l, const char *name, uint64_t size, time_t mtime)
{
	struct remote_file *f;

	if (!transfer_list_match(l, name))
		return 0;
	if (!transfer_name_is_safe(name)) {
		char *p = printable(name);

		log_warn("%s: skipping remote file with an unsafe name \"%s\"", l->where, p);
		free(p);
		l->unsafe++;
		return 0;
	}
	if (l->n >= LS_MAX_LIST_ENTRIES)
		return log_error("%s: more than %d matching files; refusing the listing", l->where,
		                 LS_MAX_LIST_ENTRIES);
	l->files = xgrow(l->files, &l->alloc, l->n + 1, sizeof(*l->files));
	f = &l->files[l->n++];
	f->name = xstrdup(name);
	f->size = size;
	f->mtime = mtime;
	return 0;
}

/*
 * Read the first line of a secret file into *out (owned), or say why not:
 * NULL and a reason (static text, never the content). *sys tells that the
 * reason is a failed system call (errno kept) rather than the file's fault.
 */
static const char *
secret_read(const char *path, char **out, bool *sys)
{
	char buf[LS_MAX_SECRET + 2];
	size_t len = 0, end;
	const char *why = NULL;
	struct stat st;
	ssize_t r;
	int fd;

	*out = NULL;
	*sys = true;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 || fstat(fd, &st) == -1) {
		int e = errno;

		if (fd != -1)
			close(fd);
		errno = e;
		return "cannot read secret file";
	}
	*sys = false;
	if (!S_ISREG(st.st_mode))
		why = "secret file is not a regular file";
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		why = "secret file is accessible by group or others (chmod 600)";
	while (!why && len < sizeof(buf) && (r = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*sys = true;
			why = "cannot read secret file";
			break;
		}
		len += (size_t)r;
	}
	if (*sys) {
		int e = errno;

		close(fd);
		errno = e;
	} else {
		close(fd);
	}
	if (why)
		goto out;
	for (end = 0; end < len && buf[end] != '\n'; end++)
		;
	if (end > LS_MAX_SECRET || memchr(buf, '\0', end)) {
		why = "secret is too long or holds a NUL byte";
		goto out;
	}
	if (end > 0 && buf[end - 1] == '\r')
		end--;
	if (end == 0)
		why = "secret file is empty";
	else
		*out = xstrndup(buf, end);
out:
	explicit_bzero(buf, sizeof(buf));
	return why;
}

enum ls_exit
transfer_read_secret(const char *path, char **out)
{
	bool sys;
	const char *why = secret_read(path, out, &sys);

	if (!why)
		return LS_EXIT_OK;
	if (sys)
		log_syserr("%s: %s", path, why);
	else
		log_error("%s: %s", path, why);
	return LS_EXIT_CONFIG;
}

const char *
transfer_secret_check(const char *path)
{
	char *secret;
	bool sys;
	const char *why = secret_read(path, &secret, &sys);

	transfer_secret_free(secret);
	return why;
}

void
transfer_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

void
transfer_set_reply(struct transfer_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reply, sizeof(c->reply), fmt, ap);
	va_end(ap);
	/* Replies end up in logs and the delivery record: one line, printable */
	for (char *p = c->reply; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	str_trim(c->reply);
}

int
transfer_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
transfer_sink(struct transfer_conn *c, int fd, const void *buf, size_t n)
{
	if (transfer_write_all(fd, buf, n) == -1)
		return -1;
	if (c->digest && EVP_DigestUpdate(c->digest, buf, n) != 1)
		log_fatal("SHA-256 update failed in libcrypto");
	return 0;
}

static const struct transfer_ops *
backend_for(const char *scheme)
{
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		if (strcmp(backends[i]->scheme, scheme) == 0)
			return backends[i];
	/* ftps:// is FTP with TLS required; the FTP backend reads the scheme */
	if (strcmp(scheme, "ftps") == 0)
		return &transfer_ftp_ops;
	return NULL;
}

void
transfer_pace_start(struct transfer_pace *p, uint64_t bytes)
{
	clock_gettime(CLOCK_MONOTONIC, &p->window);
	p->window_bytes = bytes;
}

bool
transfer_deadline_passed(struct transfer_conn *c)
{
	if (clock_deadline_left_ms() > 0)
		return false;
	transfer_set_reply(c,
	                   "run_timeout (%ld s) reached: stopped, the rest waits for the next run",
	                   clock_deadline_seconds());
	return true;
}

int
transfer_pace_check(struct transfer_conn *c, struct transfer_pace *p, uint64_t bytes)
{
	struct timespec now;
	double secs, rate;

	if (transfer_deadline_passed(c))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - p->window.tv_sec) +
	       (double)(now.tv_nsec - p->window.tv_nsec) / 1e9;
	if (secs < (double)c->idle_timeout)
		return 0;
	rate = (double)(bytes - p->window_bytes) / secs;
	if (c->min_speed > 0 && rate < (double)c->min_speed) {
		transfer_set_reply(c,
		                   "too slow: %.0f bytes/s over the last %.0f s, min_speed is %ld "
		                   "bytes/s over idle_timeout (%ld s)",
		                   rate, secs, c->min_speed, c->idle_timeout);
		return -1;
	}
	transfer_pace_start(p, bytes);
	return 0;
}

long
transfer_wait_ms(const struct transfer_conn *c)
{
	long left = clock_deadline_left_ms(), idle = c->idle_timeout * 1000;

	return left < idle ? (left > 0 ? left : 1) : idle;
}

enum ls_exit
transfer_open(const struct transfer_endpoint *ep, struct transfer_conn **out)
{
	struct transfer_conn *c = xcalloc(1, sizeof(*c));
	enum ls_exit rc;

	*out = NULL;
	transfer_global_init();
	rc = transfer_url_parse(ep->url, &c->url);
	if (rc != LS_EXIT_OK)
		goto fail;
	c->ops = backend_for(c->url.scheme);
	c->connect_timeout =
	        ep->connect_timeout > 0 ? ep->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	c->idle_timeout = ep->idle_timeout > 0 ? ep->idle_timeout : DEFAULT_IDLE_TIMEOUT;
	c->min_speed = ep->min_speed > 0 ? ep->min_speed : 0;
	if (transfer_deadline_passed(c)) {
		log_error("%s: not connecting: %s", c->url.display, c->reply);
		rc = LS_EXIT_UNAVAILABLE;
		goto fail;
	}
	/* A connection cannot take longer than what is left of the run */
	if (clock_deadline_left_ms() / 1000 + 1 < c->connect_timeout)
		c->connect_timeout = clock_deadline_left_ms() / 1000 + 1;
	rc = c->ops->open(c, ep);
	if (rc != LS_EXIT_OK)
		goto fail;
	*out = c;
	return LS_EXIT_OK;
fail:
	transfer_close(c);
	return rc;
}

void
transfer_close(struct transfer_conn *c)
{
	if (!c)
		return;
	if (c->ops)
		c->ops->close(c);
	transfer_url_release(&c->url);
	free(c);
}

static int
file_cmp(const void *a, const void *b)
{
	const struct remote_file *x = a, *y = b;

	return strcmp(x->name, y->name);
}

size_t
transfer_unsafe_names(const struct transfer_conn *c)
{
	return c->unsafe_names;
}

enum ls_exit
transfer_list(struct transfer_conn *c, struct remote_file **files, size_t *n)
{
	struct transfer_listing l = {.glob = c->url.glob, .where = c->url.display};
	enum ls_exit rc;

	*files = NULL;
	*n = 0;
	rc = c->ops->list(c, &l);
	c->unsafe_names = l.unsafe;
	if (rc != LS_EXIT_OK) {
		transfer_files_free(l.files, l.n);
		return rc;
	}
	/* Servers list in any order; sorted output keeps runs reproducible */
	if (l.n > 1)
		qsort(l.files, l.n, sizeof(*l.files), file_cmp);
	*files = l.files;
	*n = l.n;
	return LS_EXIT_OK;
}

void
transfer_files_free(struct remote_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
}

static enum ls_exit
check_name(const struct transfer_conn *c, const char *name)
{
	char *p;

	if (transfer_name_is_safe(name))
		return LS_EXIT_OK;
	p = printable(name ? name : "");
	log_error("%s: refusing unsafe file name \"%s\"", c->url.display, p);
	free(p);
	return LS_EXIT_DATAERR;
}

enum ls_exit
transfer_get(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes)
{
	enum ls_exit rc = check_name(c, name);
	uint64_t dummy = 0;

	if (!bytes)
		bytes = &dummy;
	*bytes = 0;
	if (rc != LS_EXIT_OK)
		return rc;
	if (transfer_deadline_passed(c)) {
		log_error("%s%s: not downloaded: %s", c->url.display, name, c->reply);
		return LS_EXIT_UNAVAILABLE;
	}
	return c->ops->get(c, name, fd, bytes);
}

enum ls_exit
transfer_get_sha256(struct transfer_conn *c, const char *name, int fd, uint64_t *bytes,
                    char sha256_hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	enum ls_exit rc;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		log_fatal("SHA-256 unavailable in libcrypto");
	c->digest = ctx;
	rc = transfer_get(c, name, fd, bytes);
	c->digest = NULL;
	sha256_hex[0] = '\0';
	if (rc == LS_EXIT_OK) {
		EVP_DigestFinal_ex(ctx, md, &mdlen);
		hex_encode(md, mdlen, sha256_hex);
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

static bool
same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

enum ls_exit
transfer_set_url(struct transfer_conn *c, const char *url)
{
	struct transfer_url u;
	enum ls_exit rc = transfer_url_parse(url, &u);

	if (rc != LS_EXIT_OK)
		goto out;
	if (strcmp(u.scheme, c->url.scheme) != 0 || !same_text(u.user, c->url.user) ||
	    !same_text(u.host, c->url.host) || u.port != c->url.port) {
		log_error("%s: cannot switch this connection to %s: another server or login",
		          c->url.display, u.display);
		rc = LS_EXIT_CONFIG;
		goto out;
	}
	transfer_url_release(&c->url);
	c->url = u;
	memset(&u, 0, sizeof(u));
	if (c->ops->chdir)
		rc = c->ops->chdir(c);
out:
	transfer_url_release(&u);
	return rc;
}

const char *
transfer_where(const struct transfer_conn *c)
{
	return c->url.display;
}

enum ls_exit
transfer_put(struct transfer_conn *c, const char *local_path, const char *name, bool use_rename)
{
	enum ls_exit rc = check_name(c, name);
	struct stat st;
	int fd;

	if (rc != LS_EXIT_OK)
		return rc;
	if (transfer_deadline_passed(c)) {
		log_error("%s%s: not uploaded: %s", c->url.display, name, c->reply);
		return LS_EXIT_UNAVAILABLE;
	}
	fd = open(local_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_syserr("%s: cannot open for upload", local_path);
		rc = LS_EXIT_IOERR;
	} else if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file; not uploaded", local_path);
		rc = LS_EXIT_IOERR;
	} else {
		rc = c->ops->put(c, fd, (uint64_t)st.st_size, name, use_rename);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/* SHA-256 of the first n bytes of fd (pread); 0 or -1. */
static int
hash_prefix(int fd, uint64_t n, unsigned char md[EVP_MAX_MD_SIZE], unsigned *mdlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char buf[65536];
	uint64_t off = 0;
	int rc = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		log_fatal("SHA-256 unavailable in libcrypto");
	while (off < n) {
		size_t want = n - off < sizeof(buf) ? (size_t)(n - off) : sizeof(buf);
		ssize_t r = pread(fd, buf, want, (off_t)off);

		if (r <= 0) {
			rc = -1;
			break;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)r);
		off += (uint64_t)r;
	}
	EVP_DigestFinal_ex(ctx, md, mdlen);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
transfer_compare_remote(struct transfer_conn *c, int local_fd, uint64_t size, const char *name)
{
	unsigned char rmd[EVP_MAX_MD_SIZE], lmd[EVP_MAX_MD_SIZE];
	unsigned rlen = 0, llen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	char keep[sizeof(c->reply)];
	uint64_t got = 0;
	enum ls_exit rc;
	int same = -1;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		log_fatal("SHA-256 unavailable in libcrypto");
	if (null == -1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	memcpy(keep, c->reply, sizeof(keep)); /* the reply of the refusal stays the answer */
	c->digest = ctx;
	rc = c->ops->get(c, name, null, &got);
	c->digest = NULL;
	memcpy(c->reply, keep, sizeof(keep));
	close(null);
	if (rc == LS_EXIT_OK && got <= size) {
		EVP_DigestFinal_ex(ctx, rmd, &rlen);
		if (hash_prefix(local_fd, got, lmd, &llen) == 0)
			same = rlen == llen && memcmp(rmd, lmd, rlen) == 0 ? (got == size ? 1 : 2)
			                                                   : 0;
	} else if (rc == LS_EXIT_OK) {
		same = 0;
	}
	EVP_MD_CTX_free(ctx);
	return same;
}

void
transfer_note_delivered(struct transfer_conn *c, const char *name, const char *what)
{
	log_info("%s%s: already on the server with the same SHA-256 (delivered by an earlier run); "
	         "not %s",
	         c->url.display, name, what);
	transfer_set_reply(c, "already on the server with the same SHA-256");
}

void
transfer_note_resend(const struct transfer_conn *c, const char *name, uint64_t have, uint64_t size)
{
	log_warn("%s%s: removed an interrupted upload of this file (%llu of %llu bytes, same "
	         "start); "
	         "sending it again",
	         c->url.display, name, (unsigned long long)have, (unsigned long long)size);
}

enum ls_exit
transfer_delete(struct transfer_conn *c, const char *name)
{
	enum ls_exit rc = check_name(c, name);

	c->refused = false;
	if (rc != LS_EXIT_OK)
		return rc;
	return c->ops->del(c, name);
}

bool
transfer_refused(const struct transfer_conn *c)
{
	return c && c->refused;
}

const char *
transfer_last_reply(const struct transfer_conn *c)
{
	return c ? c->reply : "";
}
