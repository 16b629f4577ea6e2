/*
 * test_config.c - config_load() on real files in a fresh temp dir.
 *
 * Each test writes conf/lotsync.conf (and any secret files) under a mkdtemp
 * dir, loads it with stderr captured into a file, and checks the error count
 * and the exact "FILE:LINE: message" text, so a wrong line number fails.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsync/config.h"
#include "lotsync/notify_kind.h"
#include "lotsync/util.h"

#include "unit.h"

static char tmp[PATH_MAX];            /* realpath of the test's temp dir */
static char conf_dir[PATH_MAX + 8];   /* tmp/conf */
static char conf_path[PATH_MAX + 24]; /* tmp/conf/lotsync.conf */

static void
setup(void)
{
	char t[64];

	unit_tmpdir(t, sizeof(t));
	ck_assert_ptr_nonnull(realpath(t, tmp));
	snprintf(conf_dir, sizeof(conf_dir), "%s/conf", tmp);
	snprintf(conf_path, sizeof(conf_path), "%s/lotsync.conf", conf_dir);
	ck_assert_int_eq(mkdir(conf_dir, 0700), 0);
}

static void
teardown(void)
{
	unit_rmtree(tmp);
}

/* Write text to conf_dir/rel with exactly mode (umask does not apply). */
static void
write_file(const char *rel, mode_t mode, const char *text)
{
	char *path = xasprintf("%s/%s", conf_dir, rel);

	unit_write_str(path, text, mode);
	free(path);
}

/* config_load(path) with stderr captured into *err (caller frees). */
static int
load_path(const char *path, struct config *cfg, char **err)
{
	char *errpath = xasprintf("%s/stderr.txt", tmp);
	int saved = dup(2), fd, n;

	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	n = config_load(path, cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*err = unit_slurp(errpath, NULL);
	ck_assert_ptr_nonnull(*err);
	unlink(errpath);
	free(errpath);
	return n;
}

static int
load(const char *text, mode_t mode, struct config *cfg, char **err)
{
	write_file("lotsync.conf", mode, text);
	return load_path(conf_path, cfg, err);
}

static unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* err holds "<conf_path>:<line>: <msg>". */
#define ck_assert_err(err, line, msg)                                                              \
	do {                                                                                       \
		char *want_ = xasprintf("%s:%d: %s", conf_path, line, msg);                        \
		ck_assert_msg(strstr(err, want_), "expected\n  %s\nin stderr:\n%s", want_, err);   \
		free(want_);                                                                       \
	} while (0)

/* One error: the count, the message, and nothing else on stderr. */
#define ck_assert_one_error(text, line, msg)                                                       \
	do {                                                                                       \
		struct config cfg_;                                                                \
		char *err_;                                                                        \
		int n_ = load(text, 0600, &cfg_, &err_);                                           \
		ck_assert_msg(n_ == 1, "config_load returned %d, stderr:\n%s", n_, err_);          \
		ck_assert_uint_eq(count_lines(err_), 1);                                           \
		ck_assert_err(err_, line, msg);                                                    \
		free(err_);                                                                        \
		config_release(&cfg_);                                                             \
	} while (0)

#define FEED_OK "[feed:acme]\nsource = drop\nprofile = generic-csv\n"

START_TEST(test_full_config)
{
	struct config cfg;
	const struct feed_conf *f;
	const struct target_conf *t;
	char *err, *want;
	int n;

	write_file("secrets/acme.pw", 0600, "pw1\n");
	write_file("secrets/mobile.pw", 0400, "pw2\n");
	write_file("keys/id_ed25519", 0600, "key\n");
	write_file("known_hosts", 0644, "[127.0.0.1]:2222 ssh-ed25519 AAAA\n");
	write_file("ca.pem", 0644, "cert\n");
	n = load("; every section and key\n"
	         "[lotsync]\n"
	         "spool = ../var/spool/\n"
	         "database = /var/tmp/state.db\n"
	         "settle_seconds = 30\n"
	         "\n"
	         "[feed:acme]\n"
	         "source = sftp://dms@127.0.0.1:2222/out/*.csv\n"
	         "profile = dealer-feed\n"
	         "key = stock\n"
	         "identity = keys/id_ed25519\n"
	         "password_file = ./secrets/acme.pw\n"
	         "dealer_id = D100\n"
	         "known_hosts = known_hosts ; pinned\n"
	         "ca_file = ca.pem\n"
	         "after_fetch = delete\n"
	         "connect_timeout = 5\n"
	         "idle_timeout = 7\n"
	         "connections = 3\n"
	         "ftp_mode = active\n"
	         "charset = windows-1252\n"
	         "vanish_guard = 35%\n"
	         "vanish_guard_min = 4\n"
	         "track_stock_client = 7d\n"
	         "auto_close = immediately\n"
	         "[feed:beta]\n"
	         "  source = drop\n"
	         "  profile = generic-csv\n"
	         "  auto_close = 3d\n"
	         "[type:new-cars]\n"
	         "feed = acme\n"
	         "code = N\n"
	         "dealer_id = D100\n"
	         "vehicle_type = New\n"
	         "sr_type = PDI\n"
	         "include_only = yes\n"
	         "[client:wholesale-one]\n"
	         "feed = acme\n"
	         "dealer_id = D100\n"
	         "name = Wholesale One\n"
	         "sr_type = Recon\n"
	         "ignore_if_vin_exists = on\n"
	         "ignore_days = 30\n"
	         "[target:mobile]\n"
	         "url = ftps://user@127.0.0.1:2121/upload/   ; a comment\n"
	         "password_file = secrets/mobile.pw\n"
	         "identity = keys/id_ed25519\n"
	         "known_hosts = known_hosts\n"
	         "ca_file = ca.pem\n"
	         "format = mobilede-csv\n"
	         "feeds = acme,  beta\n"
	         "mode = delta\n"
	         "deviation_lock = 12.5%\n"
	         "auto_release = no\n"
	         "retention_days = 9\n"
	         "rename = off\n",
	         0600, &cfg, &err);
	ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_str_eq(err, "");

	want = xasprintf("%s/lotsync.conf", conf_dir);
	ck_assert_str_eq(cfg.path, want);
	free(want);
	ck_assert_str_eq(cfg.dir, conf_dir);
	want = xasprintf("%s/var/spool", tmp); /* "../" folded, trailing '/' dropped */
	ck_assert_str_eq(cfg.spool, want);
	free(want);
	ck_assert_str_eq(cfg.database, "/var/tmp/state.db");
	ck_assert_uint_eq(cfg.settle_seconds, 30);

	ck_assert_uint_eq(cfg.nfeeds, 2);
	f = config_feed(&cfg, "acme");
	ck_assert_ptr_eq(f, &cfg.feeds[0]);
	ck_assert_int_eq(f->line, 7);
	ck_assert_str_eq(f->source, "sftp://dms@127.0.0.1:2222/out/*.csv");
	ck_assert_str_eq(f->profile, "dealer-feed");
	ck_assert_int_eq(f->key, FEED_KEY_STOCK);
	want = xasprintf("%s/keys/id_ed25519", conf_dir);
	ck_assert_str_eq(f->identity, want);
	free(want);
	want = xasprintf("%s/secrets/acme.pw", conf_dir);
	ck_assert_str_eq(f->password_file, want);
	free(want);
	want = xasprintf("%s/known_hosts", conf_dir);
	ck_assert_str_eq(f->known_hosts, want);
	free(want);
	want = xasprintf("%s/ca.pem", conf_dir);
	ck_assert_str_eq(f->ca_file, want);
	free(want);
	ck_assert_str_eq(f->dealer_id, "D100");
	ck_assert_int_eq(f->after_fetch, AFTER_FETCH_DELETE);
	ck_assert_uint_eq(f->connect_timeout, 5);
	ck_assert_uint_eq(f->idle_timeout, 7);
	ck_assert_uint_eq(f->connections, 3);
	ck_assert(f->ftp_active);
	ck_assert(config_feed_endpoint(f).ftp_active);
	ck_assert_str_eq(f->charset, "windows-1252");
	ck_assert_double_eq_tol(f->vanish_guard, 0.35, 1e-9);
	ck_assert_uint_eq(f->vanish_guard_min, 4);
	ck_assert_int_eq(f->track_stock_client, 7);
	ck_assert_int_eq(f->auto_close, CONFIG_IMMEDIATELY);
	f = config_feed(&cfg, "beta");
	ck_assert_ptr_eq(f, &cfg.feeds[1]);
	ck_assert_str_eq(f->source, "drop");
	ck_assert_int_eq(f->auto_close, 3);
	ck_assert_ptr_null(config_feed(&cfg, "gamma"));

	ck_assert_uint_eq(cfg.ntypes, 1);
	ck_assert_str_eq(cfg.types[0].label, "new-cars");
	ck_assert_str_eq(cfg.types[0].feed, "acme");
	ck_assert_str_eq(cfg.types[0].code, "N");
	ck_assert_str_eq(cfg.types[0].dealer_id, "D100");
	ck_assert_str_eq(cfg.types[0].vehicle_type, "New");
	ck_assert_str_eq(cfg.types[0].sr_type, "PDI");
	ck_assert(cfg.types[0].include_only);

	ck_assert_uint_eq(cfg.nclients, 1);
	ck_assert_str_eq(cfg.clients[0].label, "wholesale-one");
	ck_assert_str_eq(cfg.clients[0].feed, "acme");
	ck_assert_str_eq(cfg.clients[0].dealer_id, "D100");
	ck_assert_str_eq(cfg.clients[0].name, "Wholesale One");
	ck_assert_str_eq(cfg.clients[0].sr_type, "Recon");
	ck_assert(cfg.clients[0].ignore_if_vin_exists);
	ck_assert_uint_eq(cfg.clients[0].ignore_days, 30);

	ck_assert_uint_eq(cfg.ntargets, 1);
	t = config_target(&cfg, "mobile");
	ck_assert_ptr_eq(t, &cfg.targets[0]);
	ck_assert_ptr_null(config_target(&cfg, "acme"));
	ck_assert_str_eq(t->url, "ftps://user@127.0.0.1:2121/upload/");
	want = xasprintf("%s/secrets/mobile.pw", conf_dir);
	ck_assert_str_eq(t->password_file, want);
	free(want);
	ck_assert_ptr_nonnull(t->identity);
	ck_assert_ptr_nonnull(t->known_hosts);
	ck_assert_ptr_nonnull(t->ca_file);
	ck_assert_str_eq(t->format, "mobilede-csv");
	ck_assert_uint_eq(t->nfeeds, 2);
	ck_assert_str_eq(t->feeds[0], "acme");
	ck_assert_str_eq(t->feeds[1], "beta");
	ck_assert_int_eq(t->mode, EXPORT_DELTA);
	ck_assert_double_eq_tol(t->deviation_lock, 0.125, 1e-9);
	ck_assert(!t->auto_release);
	ck_assert_uint_eq(t->retention_days, 9);
	ck_assert(!t->rename);

	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_defaults)
{
	struct config cfg;
	const struct feed_conf *f;
	const struct target_conf *t;
	char *err, *want;
	int n;

	n = load(FEED_OK "[target:t]\n"
	                 "url = ftp://u@127.0.0.1:2121/up/\n"
	                 "format = generic-csv\n"
	                 "feeds = acme\n"
	                 "[type:x]\n"
	                 "code = N\n"
	                 "vehicle_type = New\n"
	                 "[client:c]\n"
	                 "dealer_id = D1\n"
	                 "name = C\n",
	         0600, &cfg, &err);
	ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
	want = xasprintf("%s/spool", tmp);
	ck_assert_str_eq(cfg.spool, want);
	free(want);
	want = xasprintf("%s/spool/lotsync.db", tmp);
	ck_assert_str_eq(cfg.database, want);
	free(want);
	ck_assert_uint_eq(cfg.settle_seconds, 120);

	f = config_feed(&cfg, "acme");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->key, FEED_KEY_VIN);
	ck_assert_int_eq(f->after_fetch, AFTER_FETCH_KEEP);
	ck_assert_uint_eq(f->connections, 0); /* 0: fetch's default */
	ck_assert(!f->ftp_active);            /* passive */
	ck_assert_ptr_null(f->charset);       /* the profile's charset applies */
	ck_assert_double_eq_tol(f->vanish_guard, 0.20, 1e-9);
	ck_assert_uint_eq(f->vanish_guard_min, 10);
	ck_assert_int_eq(f->track_stock_client, CONFIG_NEVER);
	ck_assert_int_eq(f->auto_close, CONFIG_NEVER);
	ck_assert_ptr_null(f->identity);
	ck_assert_ptr_null(f->password_file);
	ck_assert_ptr_null(f->known_hosts);
	ck_assert_ptr_null(f->dealer_id);

	t = config_target(&cfg, "t");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->mode, EXPORT_FULL);
	ck_assert_double_eq_tol(t->deviation_lock, 0.20, 1e-9);
	ck_assert(t->auto_release);
	ck_assert_uint_eq(t->retention_days, 5);
	ck_assert(t->rename);
	ck_assert_ptr_null(t->password_file);

	ck_assert_ptr_null(cfg.types[0].feed);
	ck_assert_ptr_null(cfg.types[0].dealer_id);
	ck_assert_ptr_null(cfg.types[0].sr_type);
	ck_assert(!cfg.types[0].include_only);
	ck_assert_ptr_null(cfg.clients[0].feed);
	ck_assert(!cfg.clients[0].ignore_if_vin_exists);
	ck_assert_uint_eq(cfg.clients[0].ignore_days, 0);
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_three_errors_three_lines)
{
	struct config cfg;
	char *err, *at[3];
	int n;

	n = load("[target:t]\n"                  /* 1 */
	         "url = ftp://u@127.0.0.1/up/\n" /* 2 */
	         "format = generic-csv\n"        /* 3 */
	         "feeds = acme, nope\n"          /* 4: undefined feed */
	         "\n"                            /* 5 */
	         "; a comment\n"                 /* 6 */
	         "[feed:acme]\n"                 /* 7 */
	         "source = drop\n"               /* 8 */
	         "profile = generic-csv\n"       /* 9 */
	         "vanish_guard = 20\n"           /* 10: no '%' */
	         "[lotsync]\n"                   /* 11 */
	         "settle_seconds = 120\n"        /* 12 */
	         "colour = red\n",               /* 13: unknown key */
	         0600, &cfg, &err);
	ck_assert_msg(n == 3, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_uint_eq(count_lines(err), 3);
	ck_assert_err(err, 4, "'feeds' names undefined feed 'nope'");
	ck_assert_err(err, 10, "bad percentage '20' for 'vanish_guard'");
	ck_assert_err(err, 13, "unknown key 'colour' in [lotsync]");
	/* Logged in line order, though line 4's check ran after the whole file. */
	for (int i = 0; i < 3; i++) {
		char *want = xasprintf("%s:%d: ", conf_path, (int[]){4, 10, 13}[i]);

		at[i] = strstr(err, want);
		free(want);
	}
	ck_assert_msg(at[0] < at[1] && at[1] < at[2], "not in line order:\n%s", err);
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_unknown_key)
{
	ck_assert_one_error(FEED_OK "colour = red\n", 4, "unknown key 'colour' in [feed:acme]");
}
END_TEST

START_TEST(test_unknown_section)
{
	/* Its keys are not reported again. */
	ck_assert_one_error(FEED_OK "[feeds:x]\nsource = drop\n", 4, "unknown section [feeds:x]");
}
END_TEST

START_TEST(test_duplicate_section)
{
	ck_assert_one_error(FEED_OK "[feed:acme]\nsource = drop\n", 4,
	                    "duplicate section [feed:acme] (first at line 1)");
}
END_TEST

START_TEST(test_duplicate_key)
{
	ck_assert_one_error(FEED_OK "source = drop\n", 4,
	                    "duplicate key 'source' in [feed:acme] (first at line 2)");
}
END_TEST

START_TEST(test_bad_percent)
{
	ck_assert_one_error(FEED_OK "vanish_guard = 120%\n", 4,
	                    "bad percentage '120%' for 'vanish_guard': expected 0% to 100%");
}
END_TEST

START_TEST(test_bad_duration)
{
	ck_assert_one_error(
	        FEED_OK "auto_close = 3x\n", 4,
	        "bad duration '3x' for 'auto_close': expected never, immediately or <N>d");
	ck_assert_one_error(FEED_OK "track_stock_client = immediately\n", 4,
	                    "bad duration 'immediately' for 'track_stock_client'");
}
END_TEST

START_TEST(test_bad_values)
{
	ck_assert_one_error(FEED_OK "key = vn\n", 4, "bad value 'vn' for 'key'");
	ck_assert_one_error(FEED_OK "after_fetch = remove\n", 4,
	                    "bad value 'remove' for 'after_fetch'");
	ck_assert_one_error(FEED_OK "charset = latin1\n", 4, "bad value 'latin1' for 'charset'");
	ck_assert_one_error(FEED_OK "ftp_mode = port\n", 4,
	                    "bad value 'port' for 'ftp_mode': expected passive or active");
	ck_assert_one_error(FEED_OK "vanish_guard_min = -1\n", 4,
	                    "bad number '-1' for 'vanish_guard_min'");
	ck_assert_one_error("[lotsync]\nsettle_seconds = 2m\n", 2,
	                    "bad number '2m' for 'settle_seconds'");
	ck_assert_one_error(FEED_OK "source = drop\n", 4, "duplicate key 'source'");
	ck_assert_one_error(FEED_OK "dealer_id =\n", 4, "empty value for 'dealer_id'");
	ck_assert_one_error(FEED_OK "connections = 0\n", 4,
	                    "bad number '0' for 'connections': expected 1 to 16");
	ck_assert_one_error(FEED_OK "connections = 17\n", 4, "bad number '17' for 'connections'");
	ck_assert_one_error(FEED_OK "idle_timeout = 0\n", 4, "bad number '0' for 'idle_timeout'");
}
END_TEST

START_TEST(test_target_undefined_feed)
{
	ck_assert_one_error(FEED_OK "[target:t]\n"
	                            "url = ftp://u@127.0.0.1/up/\n"
	                            "format = generic-csv\n"
	                            "feeds = acme, ghost\n",
	                    7, "'feeds' names undefined feed 'ghost'");
	/* A mapping's feed: the line of its 'feed' key, even before the feed exists. */
	ck_assert_one_error("[client:c]\nfeed = later\ndealer_id = D\nname = N\n" FEED_OK, 2,
	                    "'feed' names undefined feed 'later'");
}
END_TEST

START_TEST(test_missing_required)
{
	ck_assert_one_error("[feed:acme]\nsource = drop\n", 1,
	                    "[feed:acme] is missing required key 'profile'");
	ck_assert_one_error(FEED_OK "[target:t]\nurl = ftp://h/\nformat = generic-csv\n", 4,
	                    "[target:t] is missing required key 'feeds'");
}
END_TEST

START_TEST(test_group_readable_config)
{
	struct config cfg;
	char *err, *want;
	int n;

	n = load(FEED_OK, 0640, &cfg, &err);
	ck_assert_msg(n == 1, "config_load returned %d, stderr:\n%s", n, err);
	want = xasprintf("%s is readable by group or others; chmod 600 it", conf_path);
	ck_assert_err(err, 1, want);
	free(want);
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_group_readable_secret)
{
	char *want =
	        xasprintf("%s/secrets/x.pw is readable by group or others; chmod 600 it", conf_dir);

	write_file("secrets/x.pw", 0640, "pw\n");
	ck_assert_one_error(FEED_OK "password_file = secrets/x.pw\n", 4, want);
	free(want);
}
END_TEST

/* check-config reads a password file as a run does: it passes no file transfer refuses. */
START_TEST(test_password_file_content)
{
	char *want = xasprintf("password_file %s/secrets/x.pw: secret file is empty", conf_dir);
	char big[LS_MAX_SECRET + 3];

	write_file("secrets/x.pw", 0600, "\nsecond line\n");
	ck_assert_one_error(FEED_OK "password_file = secrets/x.pw\n", 4, want);
	free(want);
	memset(big, 'x', LS_MAX_SECRET + 1);
	strcpy(big + LS_MAX_SECRET + 1, "\n");
	write_file("secrets/x.pw", 0600, big);
	want = xasprintf("password_file %s/secrets/x.pw: secret is too long or holds a NUL byte",
	                 conf_dir);
	ck_assert_one_error(FEED_OK "password_file = secrets/x.pw\n", 4, want);
	free(want);
	/* an SSH key is not a password: several lines, no such check */
	write_file("keys/id", 0600, "-----BEGIN OPENSSH PRIVATE KEY-----\n\n");
	{
		struct config cfg;
		char *err;
		int n = load(FEED_OK "identity = keys/id\n", 0600, &cfg, &err);

		ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
		free(err);
		config_release(&cfg);
	}
}
END_TEST

START_TEST(test_missing_secret)
{
	char *want = xasprintf("identity %s/keys/none does not exist", conf_dir);

	ck_assert_one_error(FEED_OK "identity = keys/none\n", 4, want);
	free(want);
}
END_TEST

START_TEST(test_sftp_needs_known_hosts)
{
	ck_assert_one_error("[feed:acme]\n"
	                    "profile = generic-csv\n"
	                    "source = sftp://u@127.0.0.1:2222/out/\n",
	                    3, "sftp:// needs known_hosts in [feed:acme]");
}
END_TEST

START_TEST(test_bad_urls)
{
	ck_assert_one_error("[feed:acme]\nprofile = generic-csv\nsource = http://x/\n", 3,
	                    "bad source 'http://x/': expected drop or an sftp://");
	ck_assert_one_error(FEED_OK "[target:t]\nurl = ftp://h:99999/up/\nformat = f\n"
	                            "feeds = acme\n",
	                    5, "bad url: Port number"); /* curl's words: transfer's grammar */
	/* Once accepted here and refused by transfer; now one grammar refuses both. */
	ck_assert_one_error(FEED_OK "[target:t]\nurl = ftp://h/up/?x\nformat = f\n"
	                            "feeds = acme\n",
	                    5, "bad url: '?' or '#' in the URL (write them as %3F, %23)");
	ck_assert_one_error(FEED_OK "[target:t]\nurl = ftp://h/up/%0d/\nformat = f\n"
	                            "feeds = acme\n",
	                    5, "bad url: bad %-escape or control character in the path");
}
END_TEST

START_TEST(test_url_password_not_echoed)
{
	struct config cfg;
	char *err;
	int n;

	n = load(FEED_OK "[target:t]\nurl = ftp://u:hunter2@h/up/\nformat = f\nfeeds = acme\n",
	         0600, &cfg, &err);
	ck_assert_msg(n == 1, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_err(err, 5, "bad url: a password in the URL (use password_file)");
	ck_assert_ptr_null(strstr(err, "hunter2"));
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_line_too_long)
{
	char text[512];

	snprintf(text, sizeof(text), FEED_OK "dealer_id = %0250d ; the comment does not count\n",
	         0);
	ck_assert_one_error(text, 4, "line too long");
	/* A long comment line is fine. */
	memset(text, ';', 400);
	snprintf(text + 400, sizeof(text) - 400, "\n" FEED_OK);
	ck_assert_one_error(strcat(text, "colour = x\n"), 5, "unknown key 'colour'");
}
END_TEST

START_TEST(test_bad_section_name)
{
	/* The rejected section's keys (even unknown ones) are skipped. */
	ck_assert_one_error("[feed:../x]\nsource = drop\nbogus = 1\n", 1,
	                    "bad name '../x' in [feed:../x]");
	ck_assert_one_error("[target:]\n", 1, "bad name '' in [target:]");
	ck_assert_one_error("[feed:-x]\n", 1, "bad name '-x' in [feed:-x]");
}
END_TEST

START_TEST(test_syntax_errors)
{
	struct config cfg;
	char *err;
	int n;

	n = load("just words\n"         /* 1 */
	         "[feed:acme\n"         /* 2 */
	         "source = drop\n"      /* 3: skipped, its section is bad */
	         FEED_OK                /* 4-6 */
	         "     profile words\n" /* 7 */
	         "x = 1\r\n",           /* 8 */
	         0600, &cfg, &err);
	ck_assert_msg(n == 4, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_err(err, 1, "expected '[section]', 'key = value' or a comment");
	ck_assert_err(err, 2, "bad section header: missing ']'");
	ck_assert_err(err, 7, "expected '[section]', 'key = value' or a comment");
	ck_assert_err(err, 8, "unknown key 'x' in [feed:acme]");
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_long_names)
{
	/* inih cuts section names at 49 bytes: these two must stay distinct. */
	struct config cfg;
	char *err;
	int n;

	n = load("[feed:a-very-long-feed-name-that-goes-past-fifty-bytes-one]\n"
	         "source = drop\nprofile = generic-csv\n"
	         "[feed:a-very-long-feed-name-that-goes-past-fifty-bytes-two]\n"
	         "source = drop\nprofile = generic-csv\n",
	         0600, &cfg, &err);
	ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_uint_eq(cfg.nfeeds, 2);
	ck_assert_ptr_nonnull(
	        config_feed(&cfg, "a-very-long-feed-name-that-goes-past-fifty-bytes-two"));
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_outside_section)
{
	ck_assert_one_error("spool = x\n" FEED_OK, 1, "key 'spool' is outside any section");
}
END_TEST

START_TEST(test_unknown_profile)
{
	struct config cfg;
	char *err;
	int n;

	ck_assert_one_error("[feed:acme]\nsource = drop\nprofile = nosuch\n", 3,
	                    "unknown profile 'nosuch'");
	write_file("profiles/nosuch.ini", 0644, "[profile]\n");
	n = load("[feed:acme]\nsource = drop\nprofile = nosuch\n", 0600, &cfg, &err);
	ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_notify)
{
	struct config cfg;
	char *err;
	int n;

	n = load("[lotsync]\nmetrics_file = m/lotsync.prom\n"
	         "[notify:ops]\nurl = https://hooks.example.com/x\nevents = held, locked\n"
	         "[notify:cmd]\ncommand = cat >/dev/null\n",
	         0600, &cfg, &err);
	ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_uint_eq(cfg.nnotifies, 2);
	ck_assert_str_eq(cfg.notifies[0].url, "https://hooks.example.com/x");
	ck_assert_uint_eq(cfg.notifies[0].events, (1u << NOTIFY_HELD) | (1u << NOTIFY_LOCKED));
	ck_assert_uint_eq(cfg.notifies[1].events, NOTIFY_ALL);
	ck_assert_uint_eq(cfg.notifies[1].retention_days, 5);
	ck_assert_uint_eq(cfg.notifies[1].timeout, 10);
	ck_assert_ptr_nonnull(strstr(cfg.metrics_file, "/conf/m/lotsync.prom"));
	free(err);
	config_release(&cfg);
	ck_assert_one_error("[notify:x]\nurl = http://h/\nevents = held, sold\n", 3,
	                    "unknown event 'sold' in events");
	ck_assert_one_error("[notify:x]\nurl = ftp://h/\n", 2,
	                    "bad url 'ftp://h/': expected an http:// or https:// URL");
	ck_assert_one_error("[notify:x]\nurl = http://u:pw@h/\n", 2,
	                    "bad url: a password does not belong in a URL");
	ck_assert_one_error("[notify:x]\nurl = http://h/\ncommand = true\n", 1,
	                    "[notify:x] needs exactly one of url or command");
	ck_assert_one_error("[notify:x]\nevents = held\n", 1,
	                    "[notify:x] needs exactly one of url or command");
	ck_assert_one_error("[notify:x]\ncommand = true\ntimeout = 0\n", 3,
	                    "bad number '0' for 'timeout'");
}
END_TEST

START_TEST(test_cannot_open)
{
	struct config cfg;
	char *err;

	ck_assert_int_eq(load_path("/nonexistent/lotsync.conf", &cfg, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open /nonexistent/lotsync.conf"));
	free(err);
	config_release(&cfg);
}
END_TEST

START_TEST(test_example_loads)
{
	const char *src = getenv("LOTSYNC_SRCDIR");
	char *path = xasprintf("%s/conf/lotsync.conf.example", src ? src : ".");
	struct config cfg;
	char *text, *err;
	int n;

	ck_assert_msg(access(path, R_OK) == 0, "cannot read %s (set LOTSYNC_SRCDIR)", path);
	text = unit_slurp(path, NULL);
	ck_assert_ptr_nonnull(text);
	n = load(text, 0600, &cfg, &err);
	ck_assert_msg(n == 0, "config_load returned %d, stderr:\n%s", n, err);
	ck_assert_ptr_nonnull(config_feed(&cfg, "acme"));
	ck_assert_ptr_nonnull(config_target(&cfg, "demo-ftp"));
	free(text);
	free(err);
	free(path);
	config_release(&cfg);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = unit_tcase(s, "load", setup, teardown);

	tcase_add_test(tc, test_full_config);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_three_errors_three_lines);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_unknown_section);
	tcase_add_test(tc, test_duplicate_section);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_bad_percent);
	tcase_add_test(tc, test_bad_duration);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_target_undefined_feed);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_group_readable_config);
	tcase_add_test(tc, test_group_readable_secret);
	tcase_add_test(tc, test_password_file_content);
	tcase_add_test(tc, test_missing_secret);
	tcase_add_test(tc, test_sftp_needs_known_hosts);
	tcase_add_test(tc, test_bad_urls);
	tcase_add_test(tc, test_url_password_not_echoed);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_bad_section_name);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_outside_section);
	tcase_add_test(tc, test_unknown_profile);
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_cannot_open);
	tcase_add_test(tc, test_example_loads);
	return s;
}

UNIT_MAIN(config_suite)
