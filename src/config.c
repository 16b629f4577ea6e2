/*
 * config.c - conf/lotsync.conf (SPEC §4) into a struct config.
 *
 * libinih splits "key = value" lines; the rest is ours. Debian's libinih 55
 * is built without INI_HANDLER_LINENO, so its handler never learns the line
 * number; it also cuts section names to 49 bytes, never reports a section
 * that has no keys, and returns only the first syntax error. So the file
 * goes to inih through our own reader (ini_parse_stream()): the reader
 * counts physical lines, drops comments, handles "[section]" headers itself
 * and hands inih one key line at a time. inih calls the handler for that
 * line before it asks for the next one, so the reader's count is the line
 * of the key being handled, and a key line that never reached the handler
 * is a syntax error. Every error is logged as "FILE:LINE: message" and
 * parsing goes on, so one check-config run lists them all.
 */
#include "lotsync/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "lotsync/builtin.h"
#include "lotsync/conffile.h"
#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/notify_kind.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

#define MAX_DAYS   36500 /* a century: anything larger is a typo */
#define MAX_SETTLE (7 * 86400)

enum sect {
	SECT_NONE,
	SECT_SKIP,
	SECT_LOTSYNC,
	SECT_FEED,
	SECT_TYPE,
	SECT_CLIENT,
	SECT_TARGET,
	SECT_NOTIFY
};

/* How a value is checked and stored; the field type each expects is in KEY_* below. */
enum vkind {
	V_STR,       /* char *: any non-empty text */
	V_PATH,      /* char *: resolved against the config directory */
	V_SECRET,    /* char *: path of a secret; exists, no group/other access */
	V_FILE,      /* char *: path of a file that must exist (known_hosts, ca_file) */
	V_PROFILE,   /* char *: built-in profile or conf/profiles/<name>.ini */
	V_FORMAT,    /* char *: export format name (a file name) */
	V_SOURCE,    /* char *: "drop" or a URL */
	V_URL,       /* char *: target URL */
	V_FEED_REF,  /* char *: name of a [feed:] section */
	V_CHARSET,   /* char *: one of the charsets[] */
	V_FEED_LIST, /* char **feeds + nfeeds of struct target_conf */
	V_FEED_KEY,  /* enum feed_key */
	V_AFTER,     /* enum after_fetch */
	V_MODE,      /* enum export_mode */
	V_FTP_MODE,  /* bool ftp_active: passive | active */
	V_FKIND,     /* enum feed_kind */
	V_FMODE,     /* enum feed_mode */
	V_PERCENT,   /* double: "N%" stored as a fraction */
	V_UINT,      /* unsigned */
	V_DAYS,      /* int: never | <N>d */
	V_CLOSE,     /* int: never | immediately | <N>d */
	V_BOOL,      /* bool */
	V_NAME_PAT,  /* char *: export file name pattern */
	V_HOOK_URL,  /* char *: http:// or https:// webhook */
	V_EVENTS,    /* unsigned: bit set of enum notify_kind */
};

struct key_def {
	const char *name;
	enum vkind kind;
	size_t off; /* of the field in the section's struct */
	bool required;
	unsigned long long min, max; /* V_UINT; V_PERCENT (in percent) */
};

/*
 * offsetof() that also makes the compiler check the field's type, so that a
 * table entry cannot make a setter write a char * into a bool. (clang-format
 * cannot lay out brace-initialiser macros and tables, hence "off".)
 */
/* clang-format off */
#define FIELD(st, f, type) (offsetof(struct st, f) + 0 * sizeof((type *){&((struct st *)0)->f}))
#define KEY_STR(st, f, kind, req)	{#f, kind, FIELD(st, f, char *), req, 0, 0}
#define KEY_ENUM(st, f, type, kind)	{#f, kind, FIELD(st, f, type), false, 0, 0}
#define KEY_UINT(st, f, lo, hi)		{#f, V_UINT, FIELD(st, f, unsigned), false, lo, hi}
#define KEY_PCT(st, f, hi)		{#f, V_PERCENT, FIELD(st, f, double), false, 0, hi}
#define KEY_INT(st, f, kind)		{#f, kind, FIELD(st, f, int), false, 0, MAX_DAYS}
#define KEY_BOOL(st, f)			{#f, V_BOOL, FIELD(st, f, bool), false, 0, 0}

static const struct key_def lotsync_keys[] = {
	KEY_STR(config, spool, V_PATH, false),
	KEY_STR(config, database, V_PATH, false),
	KEY_UINT(config, settle_seconds, 0, MAX_SETTLE),
	KEY_STR(config, metrics_file, V_PATH, false),
	KEY_UINT(config, run_timeout, 1, 7 * 86400),
	KEY_INT(config, max_clock_jump, V_DAYS),
};

static const struct key_def feed_keys[] = {
	KEY_STR(feed_conf, source, V_SOURCE, true),
	KEY_STR(feed_conf, profile, V_PROFILE, true),
	KEY_ENUM(feed_conf, key, enum feed_key, V_FEED_KEY),
	KEY_STR(feed_conf, identity, V_SECRET, false),
	KEY_STR(feed_conf, password_file, V_SECRET, false),
	KEY_STR(feed_conf, known_hosts, V_FILE, false),
	KEY_STR(feed_conf, ca_file, V_FILE, false),
	KEY_STR(feed_conf, dealer_id, V_STR, false),
	KEY_ENUM(feed_conf, after_fetch, enum after_fetch, V_AFTER),
	KEY_UINT(feed_conf, connect_timeout, 1, 600),
	KEY_UINT(feed_conf, idle_timeout, 1, 3600),
	KEY_UINT(feed_conf, min_speed, 0, UINT_MAX),
	KEY_UINT(feed_conf, connections, 1, 16),
	{"ftp_mode", V_FTP_MODE, FIELD(feed_conf, ftp_active, bool), false, 0, 0},
	KEY_STR(feed_conf, charset, V_CHARSET, false),
	KEY_PCT(feed_conf, vanish_guard, 100),
	KEY_UINT(feed_conf, vanish_guard_min, 0, UINT_MAX),
	KEY_INT(feed_conf, track_stock_client, V_DAYS),
	KEY_INT(feed_conf, auto_close, V_CLOSE),
	KEY_ENUM(feed_conf, kind, enum feed_kind, V_FKIND),
	KEY_ENUM(feed_conf, mode, enum feed_mode, V_FMODE),
	KEY_INT(feed_conf, date_horizon, V_DAYS),
	KEY_STR(feed_conf, timezone, V_STR, false),
};

static const struct key_def type_keys[] = {
	KEY_STR(type_map, feed, V_FEED_REF, false),
	KEY_STR(type_map, code, V_STR, true),
	KEY_STR(type_map, dealer_id, V_STR, false),
	KEY_STR(type_map, vehicle_type, V_STR, true),
	/* Optional: SPEC §6 falls back to the client mapping's sr_type. */
	KEY_STR(type_map, sr_type, V_STR, false),
	KEY_BOOL(type_map, include_only),
};

static const struct key_def client_keys[] = {
	KEY_STR(client_map, feed, V_FEED_REF, false),
	KEY_STR(client_map, dealer_id, V_STR, true),
	KEY_STR(client_map, name, V_STR, true),
	KEY_STR(client_map, sr_type, V_STR, false),
	KEY_BOOL(client_map, ignore_if_vin_exists),
	/* 0 is "not set" (no time limit), so an explicit value starts at 1. */
	KEY_UINT(client_map, ignore_days, 1, MAX_DAYS),
};

static const struct key_def target_keys[] = {
	KEY_STR(target_conf, url, V_URL, true),
	KEY_STR(target_conf, password_file, V_SECRET, false),
	KEY_STR(target_conf, identity, V_SECRET, false),
	KEY_STR(target_conf, known_hosts, V_FILE, false),
	KEY_STR(target_conf, ca_file, V_FILE, false),
	KEY_STR(target_conf, format, V_FORMAT, true),
	{"feeds", V_FEED_LIST, FIELD(target_conf, feeds, char **), true, 0, 0},
	KEY_ENUM(target_conf, mode, enum export_mode, V_MODE),
	KEY_ENUM(target_conf, kind, enum feed_kind, V_FKIND),
	KEY_PCT(target_conf, deviation_lock, 1000),
	KEY_BOOL(target_conf, auto_release),
	KEY_UINT(target_conf, retention_days, 0, MAX_DAYS),
	KEY_BOOL(target_conf, rename),
	{"ftp_mode", V_FTP_MODE, FIELD(target_conf, ftp_active, bool), false, 0, 0},
	KEY_STR(target_conf, file_name, V_NAME_PAT, false),
	KEY_UINT(target_conf, connect_timeout, 1, 600),
	KEY_UINT(target_conf, idle_timeout, 1, 3600),
	KEY_UINT(target_conf, min_speed, 0, UINT_MAX),
};

static const struct key_def notify_keys[] = {
	KEY_STR(notify_conf, url, V_HOOK_URL, false),
	KEY_STR(notify_conf, command, V_STR, false),
	{"events", V_EVENTS, FIELD(notify_conf, events, unsigned), false, 0, 0},
	KEY_UINT(notify_conf, retention_days, 1, MAX_DAYS),
	KEY_UINT(notify_conf, timeout, 1, 600),
};
/* clang-format on */

#define MAX_KEYS 32 /* of any table above */
_Static_assert(ARRAY_SIZE(lotsync_keys) <= MAX_KEYS && ARRAY_SIZE(feed_keys) <= MAX_KEYS &&
                       ARRAY_SIZE(type_keys) <= MAX_KEYS && ARRAY_SIZE(client_keys) <= MAX_KEYS &&
                       ARRAY_SIZE(target_keys) <= MAX_KEYS && ARRAY_SIZE(notify_keys) <= MAX_KEYS,
               "a key table is larger than MAX_KEYS (key_line[] would overflow)");

struct section_def {
	const char *prefix; /* "feed" of [feed:NAME] */
	enum sect sect;
	const struct key_def *keys;
	size_t nkeys;
};

static const struct section_def sections[] = {
        {"lotsync", SECT_LOTSYNC, lotsync_keys, ARRAY_SIZE(lotsync_keys)},
        {"feed", SECT_FEED, feed_keys, ARRAY_SIZE(feed_keys)},
        {"type", SECT_TYPE, type_keys, ARRAY_SIZE(type_keys)},
        {"client", SECT_CLIENT, client_keys, ARRAY_SIZE(client_keys)},
        {"target", SECT_TARGET, target_keys, ARRAY_SIZE(target_keys)},
        {"notify", SECT_NOTIFY, notify_keys, ARRAY_SIZE(notify_keys)},
};

static const char *const charsets[] = {"utf-8", "windows-1252", "iso-8859-15", "auto", NULL};

/* A feed name some key refers to; checked once the whole file is read. */
struct feed_ref {
	char *name;
	int line;
	const char *key;
};

struct parser {
	struct config *cfg;
	const char *file; /* as the caller spelled it, for messages */
	FILE *fp;
	char *buf;
	size_t bufsz;
	int lineno;
	int pending;                /* line handed to inih, or 0 */
	bool handled;               /* ...and inih passed it to the handler */
	struct conffile_errors err; /* logged in line order at the end */

	enum sect sect; /* the section being read */
	const struct section_def *def;
	size_t idx; /* of its struct in the cfg array */
	int sect_line;
	char *label; /* "[feed:acme]", for messages */
	int key_line[MAX_KEYS];
	int lotsync_line;

	size_t feeds_alloc, types_alloc, clients_alloc, targets_alloc, notifies_alloc;
	struct feed_ref *refs;
	size_t nrefs, refs_alloc;
};

/* Names become directory and file names, so no '/', no leading '.' or '-'. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LS_MAX_CONFIG_NAME || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Join a relative path onto the config directory. dir comes from realpath(),
 * so it has no symlinks and a leading ".." can safely drop its last
 * component: the default "../spool" becomes /srv/lotsync/spool, not
 * /srv/lotsync/conf/../spool. Later ".." are left alone (they may cross a
 * symlink).
 */
static char *
resolve_path(const char *dir, const char *v)
{
	size_t dlen = strlen(dir);
	char *out;
	size_t n;

	if (v[0] == '/') {
		out = xstrdup(v);
		goto trim;
	}
	if (dlen == 1 && dir[0] == '/')
		dlen = 0; /* the root: "" + "/" + v */
	for (;;) {
		if (strcmp(v, ".") == 0 || str_startswith(v, "./")) {
			v += 1;
		} else if (strcmp(v, "..") == 0 || str_startswith(v, "../")) {
			while (dlen > 0 && dir[dlen - 1] != '/')
				dlen--;
			if (dlen > 0)
				dlen--;
			v += 2;
		} else {
			break;
		}
		while (*v == '/')
			v++;
	}
	out = xasprintf("%.*s/%s", (int)dlen, dir, v);
trim:
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

static bool
secret_mode_ok(const struct stat *st)
{
	return (st->st_mode & 077) == 0;
}

static const char *
mode_problem(const struct stat *st)
{
	return st->st_mode & 044 ? "readable" : "writable or executable";
}

/*
 * OpenSSH's StrictModes: a file lotsync trusts (the configuration, a
 * secret, known_hosts, a CA file) and the directory holding it must not be
 * writable by group or others, and both must belong to the user running
 * lotsync or to root: anyone else could swap the file and with it the host
 * key or the password. Reports each problem at line (0: the file as a whole).
 */
static void
check_owner(struct parser *p, int line, const char *what, const char *path, const struct stat *st)
{
	uid_t me = geteuid();

	if (st->st_uid != me && st->st_uid != 0)
		conffile_error(&p->err, line,
		               "%s %s belongs to uid %u, not to lotsync's user (uid %u) or root: "
		               "refused (chown it)",
		               what, path, (unsigned)st->st_uid, (unsigned)me);
}

static void
check_strict(struct parser *p, int line, const char *what, const char *path, const struct stat *st,
             bool file_mode)
{
	char *dir = fsio_dirname(path);
	struct stat ds;

	check_owner(p, line, what, path, st);
	if (file_mode && (st->st_mode & 022))
		conffile_error(&p->err, line,
		               "%s %s is writable by group or others: refused (chmod go-w it)",
		               what, path);
	if (stat(dir, &ds) == -1) {
		conffile_error(&p->err, line, "cannot stat the directory %s of %s %s: %s", dir,
		               what, path, strerror(errno));
	} else {
		check_owner(p, line, "the directory of", dir, &ds);
		if (ds.st_mode & 022)
			conffile_error(&p->err, line,
			               "directory %s (of %s %s) is writable by group or others: "
			               "anyone could replace the file; refused (chmod go-w it)",
			               dir, what, path);
	}
	free(dir);
}

/* A password file as transfer will read it, so check-config passes no file a run refuses. */
static void
check_password(struct parser *p, const char *path)
{
	const char *why = transfer_secret_check(path);

	if (why)
		conffile_error(&p->err, p->lineno, "password_file %s: %s", path, why);
}

/* password_file, identity: must exist and be private (SPEC §4). */
static void
check_secret(struct parser *p, const char *key, const char *path)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO here must not hang check-config. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			conffile_error(&p->err, p->lineno, "%s %s does not exist", key, path);
		else
			conffile_error(&p->err, p->lineno, "cannot open %s %s: %s", key, path,
			               strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1)
		conffile_error(&p->err, p->lineno, "cannot stat %s %s: %s", key, path,
		               strerror(errno));
	else if (!S_ISREG(st.st_mode))
		conffile_error(&p->err, p->lineno, "%s %s is not a regular file", key, path);
	else if (!secret_mode_ok(&st))
		conffile_error(&p->err, p->lineno, "%s is %s by group or others; chmod 600 it",
		               path, mode_problem(&st));
	else if (!strcmp(key, "password_file"))
		check_password(p, path); /* identity is an SSH key: libssh2 reads it */
	if (S_ISREG(st.st_mode))
		check_strict(p, p->lineno, key, path, &st, false); /* 077 checked above */
	close(fd);
}

/* known_hosts, ca_file: public, but a missing one fails every connection. */
static void
check_file(struct parser *p, const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			conffile_error(&p->err, p->lineno, "%s %s does not exist", key, path);
		else
			conffile_error(&p->err, p->lineno, "cannot stat %s %s: %s", key, path,
			               strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		conffile_error(&p->err, p->lineno, "%s %s is not a regular file", key, path);
	} else {
		check_strict(p, p->lineno, key, path, &st, true);
	}
}

static void
check_profile(struct parser *p, const char *name)
{
	struct stat st;
	char *path;

	if (!name_ok(name)) {
		conffile_error(&p->err, p->lineno,
		               "bad profile name '%s': use letters, digits, '.', '_', '-'", name);
		return;
	}
	if (builtin_find("profiles", name))
		return;
	path = xasprintf("%s/profiles/%s.ini", p->cfg->dir, name);
	if (stat(path, &st) == -1)
		conffile_error(&p->err, p->lineno, "unknown profile '%s': not built in and no %s",
		               name, path);
	free(path);
}

/*
 * A source or target URL, by transfer's own grammar (transfer_url_check()):
 * what check-config passes, transfer accepts. The reason is transfer's and
 * never quotes the URL, which may hold a password.
 */
static void
check_url(struct parser *p, const char *key, const char *url, bool is_source)
{
	const char *scheme, *why = transfer_url_check(url, &scheme);

	if (!scheme)
		conffile_error(&p->err, p->lineno,
		               "bad %s '%s': expected %san sftp://, ftp://, ftps:// or file:// URL",
		               key, url, is_source ? "drop or " : "");
	else if (why)
		conffile_error(&p->err, p->lineno, "bad %s: %s", key, why);
}

/* An sftp:// URL (by transfer's reading of it, which ignores case). */
static bool
is_sftp(const char *url)
{
	const char *scheme;

	transfer_url_check(url, &scheme);
	return scheme && strcmp(scheme, "sftp") == 0;
}

/* A webhook: http:// or https://, a host, no password (it would be logged). */
static void
check_hook_url(struct parser *p, const char *v)
{
	const char *rest = str_startswith(v, "http://")    ? v + 7
	                   : str_startswith(v, "https://") ? v + 8
	                                                   : NULL;
	size_t host = rest ? strcspn(rest, "/?#") : 0;
	const char *at = rest ? memchr(rest, '@', host) : NULL;

	if (!rest || host == 0)
		conffile_error(&p->err, p->lineno,
		               "bad url '%s': expected an http:// or https:// URL", v);
	else if (at && memchr(rest, ':', (size_t)(at - rest)))
		conffile_error(&p->err, p->lineno, "bad url: a password does not belong in a URL");
}

/* events = held, locked, ...: names of enum notify_kind, or "all". */
static void
set_events(struct parser *p, unsigned *field, const char *v)
{
	char *copy = xstrdup(v), *save = NULL;
	unsigned bits = 0;

	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int k;

		w = str_trim(w);
		if (strcmp(w, "all") == 0) {
			bits = NOTIFY_ALL;
		} else if ((k = notify_kind_parse(w)) >= 0) {
			bits |= 1u << k;
		} else {
			conffile_error(
			        &p->err, p->lineno,
			        "unknown event '%s' in events: expected all, quarantined, held, "
			        "date_typo, vehicle, locked, unlocked, delivery_failed or "
			        "verify_failed",
			        w);
		}
	}
	free(copy);
	if (bits == 0)
		conffile_error(&p->err, p->lineno, "events names no event");
	*field = bits;
}

/*
 * Export file names: {target}, {id}, {ext} and strftime %-codes (UTC,
 * --now). {id} is required: SPEC §7 wants every file named uniquely.
 */
static void
check_name_pattern(struct parser *p, const char *v)
{
	const char *why = NULL;

	if (!strstr(v, "{id}"))
		why = "it must contain {id} (export files are named uniquely)";
	else if (v[0] == '.' || v[0] == '-' || strpbrk(v, "/\\"))
		why = "no '/' or '\\', and no leading '.' or '-'";
	for (const char *s = v; !why && *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			why = "it contains control characters";
		else if (*s == '{' && !str_startswith(s, "{id}") &&
		         !str_startswith(s, "{target}") && !str_startswith(s, "{ext}"))
			why = "unknown {token}: use {target}, {id}, {ext}";
	}
	if (why)
		conffile_error(&p->err, p->lineno, "bad file_name '%s': %s", v, why);
}

static void
add_ref(struct parser *p, const char *name, const char *key)
{
	p->refs = xgrow(p->refs, &p->refs_alloc, p->nrefs + 1, sizeof(*p->refs));
	p->refs[p->nrefs++] = (struct feed_ref){xstrdup(name), p->lineno, key};
}

static void
set_feed_list(struct parser *p, struct target_conf *t, const char *v)
{
	char *copy = xstrdup(v);
	size_t alloc = 0;

	/* strtok_r() would skip empty items; "a,,b" is a typo worth reporting. */
	for (char *item = copy, *comma;; item = comma + 1) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		str_trim(item);
		if (*item == '\0') {
			conffile_error(&p->err, p->lineno, "empty feed name in 'feeds'");
		} else {
			bool dup = false;

			for (size_t i = 0; i < t->nfeeds; i++)
				dup = dup || strcmp(t->feeds[i], item) == 0;
			if (dup) {
				conffile_error(&p->err, p->lineno,
				               "feed '%s' is listed twice in 'feeds'", item);
			} else {
				t->feeds =
				        xgrow(t->feeds, &alloc, t->nfeeds + 1, sizeof(*t->feeds));
				t->feeds[t->nfeeds++] = xstrdup(item);
				add_ref(p, item, "feeds");
			}
		}
		if (!comma)
			break;
	}
	free(copy);
}

/*
 * "20%" -> 0.20, "12.5%" -> 0.125: digits, an optional fraction, then '%'.
 * By hand, not strtod(): that follows LC_NUMERIC and takes "inf" and hex.
 */
static int
parse_percent(const char *v, double max, double *out)
{
	double d = 0, scale = 1;
	const char *s = v;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9' && d <= max)
		d = d * 10 + (*s++ - '0');
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			d += (*s++ - '0') * (scale /= 10);
	}
	if (strcmp(s, "%") != 0 || d > max)
		return -1;
	*out = d / 100.0;
	return 0;
}

/* never | immediately (when allowed) | <N>d */
static int
parse_days(const char *v, bool immediately_ok, int *out)
{
	unsigned long long n;
	size_t len = strlen(v);
	char *num;
	int rc;

	if (strcasecmp(v, "never") == 0) {
		*out = CONFIG_NEVER;
		return 0;
	}
	if (immediately_ok && strcasecmp(v, "immediately") == 0) {
		*out = CONFIG_IMMEDIATELY;
		return 0;
	}
	if (len < 2 || v[len - 1] != 'd')
		return -1;
	num = xstrndup(v, len - 1);
	rc = parse_uint(num, MAX_DAYS, &n);
	free(num);
	if (rc == 0)
		*out = (int)n;
	return rc;
}

/* A char * field of a section's struct. */
static void
set_str(void *field, char *v)
{
	conffile_set_str(field, v);
}

/* v as one of the two words of w (any case): its index, or -1 (reported with both words). */
static int
word_of_two(struct parser *p, const struct key_def *k, const char *v, const char *const *w)
{
	int i = conffile_word(v, w);

	if (i < 0)
		conffile_error(&p->err, p->lineno, "bad value '%s' for '%s': expected %s or %s", v,
		               k->name, w[0], w[1]);
	return i;
}

static void
set_enum_value(struct parser *p, const struct key_def *k, void *field, const char *v)
{
	static const char *const feed_keys_w[] = {"vin", "stock", NULL};
	static const char *const after_w[] = {"keep", "delete", NULL};
	static const char *const mode_w[] = {"full", "delta", NULL};
	static const char *const ftp_mode_w[] = {"passive", "active", NULL};
	static const char *const fkind_w[] = {"vehicle", "workorder", NULL};
	static const char *const fmode_w[] = {"full", "upsert", NULL};
	int i;

	switch (k->kind) {
	case V_FEED_KEY:
		if ((i = word_of_two(p, k, v, feed_keys_w)) >= 0)
			*(enum feed_key *)field = i ? FEED_KEY_STOCK : FEED_KEY_VIN;
		break;
	case V_AFTER:
		if ((i = word_of_two(p, k, v, after_w)) >= 0)
			*(enum after_fetch *)field = i ? AFTER_FETCH_DELETE : AFTER_FETCH_KEEP;
		break;
	case V_FTP_MODE:
		if ((i = word_of_two(p, k, v, ftp_mode_w)) >= 0)
			*(bool *)field = i == 1;
		break;
	case V_MODE:
		if ((i = word_of_two(p, k, v, mode_w)) >= 0)
			*(enum export_mode *)field = i ? EXPORT_DELTA : EXPORT_FULL;
		break;
	case V_FKIND:
		if ((i = word_of_two(p, k, v, fkind_w)) >= 0)
			*(enum feed_kind *)field = i ? FEED_KIND_WORKORDER : FEED_KIND_VEHICLE;
		break;
	case V_FMODE:
		if ((i = word_of_two(p, k, v, fmode_w)) >= 0)
			*(enum feed_mode *)field = i ? FEED_MODE_UPSERT : FEED_MODE_FULL;
		break;
	case V_CHARSET:
		if ((i = conffile_word(v, charsets)) >= 0)
			set_str(field, xstrdup(charsets[i]));
		else
			conffile_error(
			        &p->err, p->lineno,
			        "bad value '%s' for 'charset': expected utf-8, windows-1252, "
			        "iso-8859-15 or auto",
			        v);
		break;
	case V_BOOL:
		if (conffile_bool(v, field) == -1)
			conffile_error(&p->err, p->lineno,
			               "bad value '%s' for '%s': expected yes or no", v, k->name);
		break;
	default: log_fatal("config: %s is not an enumerated key", k->name);
	}
}

static void
set_number_value(struct parser *p, const struct key_def *k, void *field, const char *v)
{
	unsigned long long n;

	switch (k->kind) {
	case V_UINT:
		if (parse_uint(v, k->max, &n) == -1 || n < k->min)
			conffile_error(&p->err, p->lineno,
			               "bad number '%s' for '%s': expected %llu to %llu", v,
			               k->name, k->min, k->max);
		else
			*(unsigned *)field = (unsigned)n;
		break;
	case V_PERCENT:
		if (parse_percent(v, (double)k->max, field) == -1)
			conffile_error(
			        &p->err, p->lineno,
			        "bad percentage '%s' for '%s': expected 0%% to %llu%%, like 20%%",
			        v, k->name, k->max);
		break;
	case V_DAYS:
		if (parse_days(v, false, field) == -1)
			conffile_error(
			        &p->err, p->lineno,
			        "bad duration '%s' for '%s': expected never or <N>d (days, at most "
			        "%d)",
			        v, k->name, MAX_DAYS);
		break;
	case V_CLOSE:
		if (parse_days(v, true, field) == -1)
			conffile_error(
			        &p->err, p->lineno,
			        "bad duration '%s' for '%s': expected never, immediately or <N>d "
			        "(days, at most %d)",
			        v, k->name, MAX_DAYS);
		break;
	default: log_fatal("config: %s is not a numeric key", k->name);
	}
}

static void
set_value(struct parser *p, const struct key_def *k, void *obj, const char *v)
{
	void *field = (char *)obj + k->off;
	char *path;

	switch (k->kind) {
	case V_STR: set_str(field, xstrdup(v)); break;
	case V_PATH: set_str(field, resolve_path(p->cfg->dir, v)); break;
	case V_SECRET:
	case V_FILE:
		path = resolve_path(p->cfg->dir, v);
		if (k->kind == V_SECRET)
			check_secret(p, k->name, path);
		else
			check_file(p, k->name, path);
		set_str(field, path);
		break;
	case V_PROFILE:
		check_profile(p, v);
		set_str(field, xstrdup(v));
		break;
	case V_FORMAT:
		/* Existence is export's to judge: SPEC does not list the built-in formats. */
		if (!name_ok(v))
			conffile_error(&p->err, p->lineno,
			               "bad format name '%s': use letters, digits, '.', '_', '-'",
			               v);
		set_str(field, xstrdup(v));
		break;
	case V_SOURCE:
		if (strcmp(v, "drop") != 0)
			check_url(p, k->name, v, true);
		set_str(field, xstrdup(v));
		break;
	case V_URL:
		check_url(p, k->name, v, false);
		set_str(field, xstrdup(v));
		break;
	case V_FEED_REF:
		add_ref(p, v, k->name);
		set_str(field, xstrdup(v));
		break;
	case V_FEED_LIST: set_feed_list(p, obj, v); break;
	case V_NAME_PAT:
		check_name_pattern(p, v);
		set_str(field, xstrdup(v));
		break;
	case V_HOOK_URL:
		check_hook_url(p, v);
		set_str(field, xstrdup(v));
		break;
	case V_EVENTS: set_events(p, field, v); break;
	case V_FEED_KEY:
	case V_AFTER:
	case V_MODE:
	case V_FTP_MODE:
	case V_FKIND:
	case V_FMODE:
	case V_CHARSET:
	case V_BOOL: set_enum_value(p, k, field, v); break;
	case V_UINT:
	case V_PERCENT:
	case V_DAYS:
	case V_CLOSE: set_number_value(p, k, field, v); break;
	}
}

static void *
cur_obj(struct parser *p)
{
	switch (p->sect) {
	case SECT_LOTSYNC: return p->cfg;
	case SECT_FEED: return &p->cfg->feeds[p->idx];
	case SECT_TYPE: return &p->cfg->types[p->idx];
	case SECT_CLIENT: return &p->cfg->clients[p->idx];
	case SECT_TARGET: return &p->cfg->targets[p->idx];
	case SECT_NOTIFY: return &p->cfg->notifies[p->idx];
	default: return NULL;
	}
}

static int
key_index(const struct section_def *def, const char *name)
{
	for (size_t i = 0; i < def->nkeys; i++)
		if (strcmp(def->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
handle_pair(struct parser *p, const char *name, const char *value)
{
	int i;

	if (p->sect == SECT_SKIP)
		return; /* its header was already reported */
	if (p->sect == SECT_NONE) {
		conffile_error(&p->err, p->lineno, "key '%s' is outside any section", name);
		return;
	}
	if (*name == '\0') {
		conffile_error(&p->err, p->lineno, "missing key name before '='");
		return;
	}
	i = key_index(p->def, name);
	if (i == -1) {
		conffile_error(&p->err, p->lineno, "unknown key '%s' in %s", name, p->label);
		return;
	}
	if (p->key_line[i]) {
		conffile_error(&p->err, p->lineno, "duplicate key '%s' in %s (first at line %d)",
		               name, p->label, p->key_line[i]);
		return;
	}
	p->key_line[i] = p->lineno;
	if (*value == '\0') {
		conffile_error(&p->err, p->lineno, "empty value for '%s'", name);
		return;
	}
	set_value(p, &p->def->keys[i], cur_obj(p), value);
}

/* inih's handler; the section it passes is ignored: inih truncates long names. */
static int
on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;

	(void)section;
	p->handled = true;
	handle_pair(p, name, value);
	return 1;
}

/* Checks that need the whole section: required keys, sftp needs known_hosts. */
static void
finish_section(struct parser *p)
{
	const char *url = NULL, *known_hosts = NULL;
	int url_key = -1;

	if (p->sect <= SECT_SKIP)
		goto out;
	for (size_t i = 0; i < p->def->nkeys; i++)
		if (p->def->keys[i].required && !p->key_line[i])
			conffile_error(&p->err, p->sect_line, "%s is missing required key '%s'",
			               p->label, p->def->keys[i].name);
	if (p->sect == SECT_FEED) {
		url = p->cfg->feeds[p->idx].source;
		known_hosts = p->cfg->feeds[p->idx].known_hosts;
		url_key = key_index(p->def, "source");
	} else if (p->sect == SECT_TARGET) {
		url = p->cfg->targets[p->idx].url;
		known_hosts = p->cfg->targets[p->idx].known_hosts;
		url_key = key_index(p->def, "url");
	}
	if (p->sect == SECT_NOTIFY) {
		const struct notify_conf *n = &p->cfg->notifies[p->idx];

		if (!n->url == !n->command)
			conffile_error(&p->err, p->sect_line,
			               "%s needs exactly one of url or command", p->label);
	}
	if (url && strcmp(url, "drop") != 0 && is_sftp(url) && !known_hosts)
		conffile_error(
		        &p->err, p->key_line[url_key],
		        "sftp:// needs known_hosts in %s: host keys are never trusted on first use",
		        p->label);
out:
	free(p->label);
	p->label = NULL;
	p->sect = SECT_NONE;
}

/* The index of a section named name of kind sect, or -1. */
static long
find_section(const struct config *cfg, enum sect sect, const char *name)
{
	size_t i;

	switch (sect) {
	case SECT_FEED:
		for (i = 0; i < cfg->nfeeds; i++)
			if (strcmp(cfg->feeds[i].name, name) == 0)
				return (long)i;
		break;
	case SECT_TYPE:
		for (i = 0; i < cfg->ntypes; i++)
			if (strcmp(cfg->types[i].label, name) == 0)
				return (long)i;
		break;
	case SECT_CLIENT:
		for (i = 0; i < cfg->nclients; i++)
			if (strcmp(cfg->clients[i].label, name) == 0)
				return (long)i;
		break;
	case SECT_TARGET:
		for (i = 0; i < cfg->ntargets; i++)
			if (strcmp(cfg->targets[i].name, name) == 0)
				return (long)i;
		break;
	case SECT_NOTIFY:
		for (i = 0; i < cfg->nnotifies; i++)
			if (strcmp(cfg->notifies[i].name, name) == 0)
				return (long)i;
		break;
	default: break;
	}
	return -1;
}

static int
section_line(const struct config *cfg, enum sect sect, size_t i)
{
	switch (sect) {
	case SECT_FEED: return cfg->feeds[i].line;
	case SECT_TYPE: return cfg->types[i].line;
	case SECT_CLIENT: return cfg->clients[i].line;
	case SECT_TARGET: return cfg->targets[i].line;
	case SECT_NOTIFY: return cfg->notifies[i].line;
	default: return 0;
	}
}

/* Append a section's struct with its defaults; p->idx is its index. */
static void
new_section(struct parser *p, enum sect sect, const char *name)
{
	struct config *cfg = p->cfg;
	int line = p->lineno;

	switch (sect) {
	case SECT_FEED:
		cfg->feeds =
		        xgrow(cfg->feeds, &p->feeds_alloc, cfg->nfeeds + 1, sizeof(*cfg->feeds));
		p->idx = cfg->nfeeds++;
		cfg->feeds[p->idx] = (struct feed_conf){
		        .name = xstrdup(name),
		        .line = line,
		        .key = FEED_KEY_VIN,
		        .after_fetch = AFTER_FETCH_KEEP,
		        .vanish_guard = 0.20,
		        .vanish_guard_min = 10,
		        .track_stock_client = CONFIG_NEVER,
		        .auto_close = CONFIG_NEVER,
		        .date_horizon = 180,
		};
		break;
	case SECT_TYPE:
		cfg->types =
		        xgrow(cfg->types, &p->types_alloc, cfg->ntypes + 1, sizeof(*cfg->types));
		p->idx = cfg->ntypes++;
		cfg->types[p->idx] = (struct type_map){.label = xstrdup(name), .line = line};
		break;
	case SECT_CLIENT:
		cfg->clients = xgrow(cfg->clients, &p->clients_alloc, cfg->nclients + 1,
		                     sizeof(*cfg->clients));
		p->idx = cfg->nclients++;
		cfg->clients[p->idx] = (struct client_map){.label = xstrdup(name), .line = line};
		break;
	case SECT_TARGET:
		cfg->targets = xgrow(cfg->targets, &p->targets_alloc, cfg->ntargets + 1,
		                     sizeof(*cfg->targets));
		p->idx = cfg->ntargets++;
		cfg->targets[p->idx] = (struct target_conf){
		        .name = xstrdup(name),
		        .line = line,
		        .mode = EXPORT_FULL,
		        .deviation_lock = 0.20,
		        .auto_release = true,
		        .retention_days = 5,
		        .rename = true,
		};
		break;
	case SECT_NOTIFY:
		cfg->notifies = xgrow(cfg->notifies, &p->notifies_alloc, cfg->nnotifies + 1,
		                      sizeof(*cfg->notifies));
		p->idx = cfg->nnotifies++;
		cfg->notifies[p->idx] = (struct notify_conf){
		        .name = xstrdup(name),
		        .line = line,
		        .events = NOTIFY_ALL,
		        .retention_days = 5,
		        .timeout = 10,
		};
		break;
	default: log_fatal("config: no struct for section kind %d", sect);
	}
}

static const struct section_def *
section_def(const char *prefix, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (strlen(sections[i].prefix) == n && strncmp(sections[i].prefix, prefix, n) == 0)
			return &sections[i];
	return NULL;
}

/* inner is the text between '[' and ']', trimmed. */
static void
open_section(struct parser *p, const char *inner)
{
	const char *colon = strchr(inner, ':');
	const struct section_def *def;
	long dup;

	p->sect = SECT_SKIP; /* until it proves good: its keys are not reported */
	if (strcmp(inner, "lotsync") == 0) {
		if (p->lotsync_line) {
			conffile_error(&p->err, p->lineno,
			               "duplicate section [lotsync] (first at line %d)",
			               p->lotsync_line);
			return;
		}
		p->lotsync_line = p->lineno;
		def = &sections[0];
	} else {
		def = colon ? section_def(inner, (size_t)(colon - inner)) : NULL;
		if (!def || def->sect == SECT_LOTSYNC) {
			conffile_error(
			        &p->err, p->lineno,
			        "unknown section [%s]; expected [lotsync], [feed:NAME], "
			        "[type:LABEL], [client:LABEL], [target:NAME] or [notify:NAME]",
			        inner);
			return;
		}
		if (!name_ok(colon + 1)) {
			conffile_error(
			        &p->err, p->lineno,
			        "bad name '%s' in [%s]: use 1 to %d letters, digits, '.', '_', "
			        "'-', "
			        "not starting with '.' or '-'",
			        colon + 1, inner, LS_MAX_CONFIG_NAME);
			return;
		}
		dup = find_section(p->cfg, def->sect, colon + 1);
		if (dup >= 0) {
			conffile_error(&p->err, p->lineno,
			               "duplicate section [%s] (first at line %d)", inner,
			               section_line(p->cfg, def->sect, (size_t)dup));
			return;
		}
		new_section(p, def->sect, colon + 1);
	}
	p->sect = def->sect;
	p->def = def;
	p->sect_line = p->lineno;
	p->label = xasprintf("[%s]", inner);
	memset(p->key_line, 0, sizeof(p->key_line));
}

/* s starts with '[' and has no comment and no trailing space. */
static void
section_header(struct parser *p, char *s)
{
	char *close = strchr(s, ']');

	finish_section(p);
	if (!close) {
		conffile_error(&p->err, p->lineno, "bad section header: missing ']'");
		p->sect = SECT_SKIP;
		return;
	}
	if (close[1] != '\0') {
		conffile_error(&p->err, p->lineno, "bad section header: text after ']'");
		p->sect = SECT_SKIP;
		return;
	}
	*close = '\0';
	open_section(p, str_trim(s + 1));
}

/* Leading space, trailing space, and inih's inline comment (';' after a space). */
static char *
clean_line(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	for (char *c = s + 1; *s && *c; c++) {
		if (*c == ';' && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	str_trim(s);
	return s;
}

/* A key line inih never passed to the handler did not parse. */
static void
check_handled(struct parser *p)
{
	if (p->pending && !p->handled)
		conffile_error(&p->err, p->pending,
		               "expected '[section]', 'key = value' or a comment");
	p->pending = 0;
}

/*
 * inih's reader: returns the next key line (cleaned, no leading space, so
 * inih never treats it as a multi-line continuation), after handling the
 * comments and section headers before it.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	ssize_t n;

	check_handled(p);
	errno = 0;
	while ((n = getline(&p->buf, &p->bufsz, p->fp)) != -1) {
		char *s = p->buf;
		size_t len;

		p->lineno++;
		if (memchr(s, '\0', (size_t)n)) {
			conffile_error(&p->err, p->lineno, "NUL byte in line");
			continue;
		}
		if (p->lineno == 1 && str_startswith(s, "\xEF\xBB\xBF"))
			s += 3; /* UTF-8 BOM, as inih allows */
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ';' || *s == '#')
			continue;
		s = clean_line(s);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			section_header(p, s);
			continue;
		}
		len = strlen(s);
		if (len >= (size_t)num) {
			/* inih's line buffer is fixed (200 bytes in Debian's build). */
			conffile_error(&p->err, p->lineno,
			               "line too long: at most %d characters before a comment",
			               num - 1);
			continue;
		}
		memcpy(str, s, len + 1);
		p->pending = p->lineno;
		p->handled = false;
		return str;
	}
	if (ferror(p->fp))
		conffile_error(&p->err, p->lineno + 1, "read error: %s", strerror(errno));
	return NULL;
}

static void
check_refs(struct parser *p)
{
	for (size_t i = 0; i < p->nrefs; i++)
		if (!config_feed(p->cfg, p->refs[i].name))
			conffile_error(&p->err, p->refs[i].line, "'%s' names undefined feed '%s'",
			               p->refs[i].key, p->refs[i].name);
}

/* A target takes feeds of its own kind: a vehicle format cannot write work orders. */
static void
check_kinds(struct parser *p)
{
	const struct config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->ntargets; i++)
		for (size_t k = 0; k < cfg->targets[i].nfeeds; k++) {
			const struct feed_conf *f = config_feed(cfg, cfg->targets[i].feeds[k]);

			if (f && f->kind != cfg->targets[i].kind)
				conffile_error(&p->err, cfg->targets[i].line,
				               "target '%s' (kind = %s) takes feed '%s', a %s feed",
				               cfg->targets[i].name,
				               cfg->targets[i].kind ? "workorder" : "vehicle",
				               f->name, f->kind ? "work-order" : "vehicle");
		}
}

static bool
same_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Two mappings for the same (feed, code, dealer) would make rules arbitrary. */
static void
check_ambiguous(struct parser *p)
{
	const struct config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->ntypes; i++) {
		const struct type_map *a = &cfg->types[i];

		for (size_t j = 0; j < i && a->code; j++) {
			const struct type_map *b = &cfg->types[j];

			if (same_opt(a->feed, b->feed) && same_opt(a->code, b->code) &&
			    same_opt(a->dealer_id, b->dealer_id)) {
				conffile_error(
				        &p->err, a->line,
				        "[type:%s] maps the same feed, code and dealer_id as "
				        "[type:%s] (line %d)",
				        a->label, b->label, b->line);
				break;
			}
		}
	}
	for (size_t i = 0; i < cfg->nclients; i++) {
		const struct client_map *a = &cfg->clients[i];

		for (size_t j = 0; j < i && a->dealer_id; j++) {
			const struct client_map *b = &cfg->clients[j];

			if (same_opt(a->feed, b->feed) && same_opt(a->dealer_id, b->dealer_id)) {
				conffile_error(&p->err, a->line,
				               "[client:%s] maps the same feed and dealer_id as "
				               "[client:%s] (line %d)",
				               a->label, b->label, b->line);
				break;
			}
		}
	}
}

/* cfg->path and cfg->dir: absolute, the directory without symlinks. */
static int
set_paths(struct config *cfg, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	if (!slash)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	real = realpath(dir, NULL);
	if (!real) {
		log_syserr("cannot resolve the directory of %s", path);
		free(dir);
		return -1;
	}
	free(dir);
	cfg->dir = xstrdup(real);
	free(real);
	cfg->path = xasprintf("%s/%s", strcmp(cfg->dir, "/") == 0 ? "" : cfg->dir,
	                      slash ? slash + 1 : path);
	return 0;
}

/* The config names secrets' paths: it must be as private as they are. */
static void
check_config_file(struct parser *p)
{
	struct stat st;

	if (fstat(fileno(p->fp), &st) == -1) {
		conffile_error(&p->err, 1, "cannot stat %s: %s", p->file, strerror(errno));
		return;
	}
	if (!secret_mode_ok(&st))
		conffile_error(&p->err, 1, "%s is %s by group or others; chmod 600 it", p->file,
		               mode_problem(&st));
	check_strict(p, 1, "the configuration", p->cfg->path, &st, false);
}

int
config_load(const char *path, struct config *cfg)
{
	struct parser p = {.cfg = cfg, .file = path};
	struct stat st;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	conffile_errors_init(&p.err, path);
	p.fp = fopen(path, "re");
	if (!p.fp)
		return log_syserr("cannot open %s", path);
	if (fstat(fileno(p.fp), &st) == 0 && !S_ISREG(st.st_mode)) {
		log_error("%s is not a regular file", path);
		goto fail;
	}
	if (set_paths(cfg, path) == -1)
		goto fail;
	cfg->settle_seconds = 120;
	cfg->run_timeout = 3000;
	cfg->max_clock_jump = 7;
	check_config_file(&p);

	rc = ini_parse_stream(read_line, &p, on_pair, &p);
	check_handled(&p);
	finish_section(&p);
	if (rc == -2)
		log_fatal("out of memory parsing %s", path);

	if (!cfg->spool)
		cfg->spool = resolve_path(cfg->dir, "../spool");
	if (!cfg->database)
		cfg->database = xasprintf("%s/lotsync.db", cfg->spool);
	check_refs(&p);
	check_kinds(&p);
	check_ambiguous(&p);
	conffile_errors_flush(&p.err);

	for (size_t i = 0; i < p.nrefs; i++)
		free(p.refs[i].name);
	free(p.refs);
	free(p.buf);
	fclose(p.fp);
	return p.err.count;

fail:
	fclose(p.fp);
	config_release(cfg);
	return -1;
}

void
config_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nfeeds + cfg->nfeeds_other; i++) {
		struct feed_conf *f = &cfg->feeds[i];

		free(f->name);
		free(f->source);
		free(f->profile);
		free(f->identity);
		free(f->password_file);
		free(f->known_hosts);
		free(f->ca_file);
		free(f->dealer_id);
		free(f->charset);
		free(f->timezone);
	}
	for (size_t i = 0; i < cfg->ntypes; i++) {
		struct type_map *t = &cfg->types[i];

		free(t->label);
		free(t->feed);
		free(t->code);
		free(t->dealer_id);
		free(t->vehicle_type);
		free(t->sr_type);
	}
	for (size_t i = 0; i < cfg->nclients; i++) {
		struct client_map *c = &cfg->clients[i];

		free(c->label);
		free(c->feed);
		free(c->dealer_id);
		free(c->name);
		free(c->sr_type);
	}
	for (size_t i = 0; i < cfg->ntargets + cfg->ntargets_other; i++) {
		struct target_conf *t = &cfg->targets[i];

		free(t->name);
		free(t->url);
		free(t->password_file);
		free(t->identity);
		free(t->known_hosts);
		free(t->ca_file);
		free(t->format);
		free(t->file_name);
		for (size_t j = 0; j < t->nfeeds; j++)
			free(t->feeds[j]);
		free(t->feeds);
	}
	for (size_t i = 0; i < cfg->nnotifies; i++) {
		free(cfg->notifies[i].name);
		free(cfg->notifies[i].url);
		free(cfg->notifies[i].command);
	}
	free(cfg->feeds);
	free(cfg->types);
	free(cfg->clients);
	free(cfg->targets);
	free(cfg->notifies);
	free(cfg->metrics_file);
	free(cfg->lock_name);
	free(cfg->shard);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->spool);
	free(cfg->database);
	memset(cfg, 0, sizeof(*cfg));
}

const struct feed_conf *
config_feed(const struct config *cfg, const char *name)
{
	long i = find_section(cfg, SECT_FEED, name);

	return i < 0 ? NULL : &cfg->feeds[i];
}

const struct target_conf *
config_target(const struct config *cfg, const char *name)
{
	long i = find_section(cfg, SECT_TARGET, name);

	return i < 0 ? NULL : &cfg->targets[i];
}

struct transfer_endpoint
config_feed_endpoint(const struct feed_conf *f)
{
	return (struct transfer_endpoint){.url = f->source,
	                                  .password_file = f->password_file,
	                                  .identity = f->identity,
	                                  .known_hosts = f->known_hosts,
	                                  .ca_file = f->ca_file,
	                                  .ftp_active = f->ftp_active};
}

struct transfer_endpoint
config_target_endpoint(const struct target_conf *t)
{
	return (struct transfer_endpoint){.url = t->url,
	                                  .password_file = t->password_file,
	                                  .identity = t->identity,
	                                  .known_hosts = t->known_hosts,
	                                  .ca_file = t->ca_file,
	                                  .ftp_active = t->ftp_active,
	                                  .connect_timeout = (long)t->connect_timeout,
	                                  .idle_timeout = (long)t->idle_timeout,
	                                  .min_speed = (long)t->min_speed};
}
