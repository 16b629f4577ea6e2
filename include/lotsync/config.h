/*
 * config.h - conf/lotsync.conf (SPEC §4) into a struct config.
 *
 * config_load() reads the whole file with libinih and reports every problem
 * it finds as "FILE:LINE: message" through log_error(), not only the first:
 * unknown sections and keys, bad values, duplicate sections, references to
 * undefined feeds or profiles, missing required keys, and config or secret
 * files (password_file, identity) readable by group or others. Relative
 * paths are resolved against the directory of the config file, so every
 * path in a loaded struct config is absolute.
 *
 * Ownership: the struct config owns every string and array in it;
 * config_release() frees them all. Names of feeds and targets are unique.
 *
 * Details of the checks (the messages are the interface operators see):
 *  - Section names after the colon are 1..LS_MAX_CONFIG_NAME characters of
 *    [A-Za-z0-9._-], not starting with '.' or '-': they become directory
 *    names. Unknown sections and keys, duplicate sections and duplicate keys
 *    in one section are errors; the keys of a rejected section are skipped.
 *  - Problems with the config file itself (group/other access) are reported
 *    at line 1, so every message keeps the FILE:LINE: shape editors parse.
 *  - password_file and identity must exist, be regular files and have no
 *    group/other permission bits; known_hosts and ca_file must exist (they
 *    may be world-readable). An sftp:// source or url needs known_hosts.
 *  - A feed source is "drop" or an sftp://, ftp://, ftps:// URL; file:///dir/
 *    is accepted too, like a target url, for tests. URLs must not carry a
 *    password (it would end up in logs): use password_file.
 *  - A profile must be built in (builtin.h) or have <dir>/profiles/<name>.ini;
 *    a format name is only checked to be a safe file name (export loads it).
 *  - A key line is at most 199 characters once its comment is removed
 *    (Debian's libinih line buffer).
 */
#ifndef LOTSYNC_CONFIG_H
#define LOTSYNC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/limits.h"
#include "lotsync/transfer.h"

/* Durations such as auto_close: never, immediately, or whole days. */
#define CONFIG_NEVER       (-1)
#define CONFIG_IMMEDIATELY 0

enum feed_key { FEED_KEY_VIN, FEED_KEY_STOCK };
enum after_fetch { AFTER_FETCH_KEEP, AFTER_FETCH_DELETE };
enum export_mode { EXPORT_FULL, EXPORT_DELTA };
/* What a feed's records are: vehicles, or work orders (docs/workorders.md). */
enum feed_kind { FEED_KIND_VEHICLE, FEED_KIND_WORKORDER };
/* Work-order feeds: the file is the whole set, or adds/updates what it holds. */
enum feed_mode { FEED_MODE_DEFAULT, FEED_MODE_FULL, FEED_MODE_UPSERT };

struct feed_conf {
	char *name;
	int line;      /* line of the [feed:…] header, for messages */
	char *source;  /* "drop" or a sftp://, ftp://, ftps:// (or file://) URL */
	char *profile; /* built-in name or conf/profiles/<name>.ini */
	enum feed_key key;
	char *identity;      /* absolute path or NULL */
	char *password_file; /* absolute path or NULL */
	char *known_hosts;   /* absolute path or NULL */
	char *ca_file;       /* FTPS CA bundle, absolute path or NULL */
	char *dealer_id;     /* dealer of single-dealer files, or NULL */
	enum after_fetch after_fetch;
	char *charset;       /* utf-8 | windows-1252 | iso-8859-15 | auto; NULL = the profile's */
	double vanish_guard; /* fraction 0..1 (20% -> 0.20) */
	unsigned vanish_guard_min;
	int track_stock_client; /* CONFIG_NEVER or days */
	int auto_close;         /* CONFIG_NEVER, CONFIG_IMMEDIATELY or days */
	enum feed_kind kind;    /* kind = vehicle (default) | workorder */
	enum feed_mode mode;    /* workorder: full | upsert; DEFAULT = the profile's */
	int date_horizon;       /* workorder: days (default 180) or CONFIG_NEVER */
	char *timezone;         /* workorder: of the file's local times; NULL = Europe/Amsterdam */

	/* Remote feeds only; 0 = the default (fetch.h). */
	unsigned connect_timeout; /* seconds */
	unsigned idle_timeout;    /* seconds without progress */
	unsigned min_speed;       /* bytes/s averaged over idle_timeout; 0 = any progress */
	unsigned connections;     /* parallel sessions to the server */
	bool ftp_active;          /* ftp_mode = active (FTP only; default passive) */
};

struct type_map {
	char *label;
	int line;
	char *feed;         /* NULL = all feeds */
	char *code;         /* required */
	char *dealer_id;    /* NULL = every dealer */
	char *vehicle_type; /* required */
	char *sr_type;      /* NULL = the client mapping's sr_type applies */
	bool include_only;
};

struct client_map {
	char *label;
	int line;
	char *feed;      /* NULL = all feeds */
	char *dealer_id; /* required */
	char *name;      /* required: the client of the dealer's vehicles */
	char *sr_type;   /* NULL = none unless a type mapping gives one */
	bool ignore_if_vin_exists;
	unsigned ignore_days; /* 0 = not set: any earlier SR, however old; else >= 1 */
};

struct target_conf {
	char *name;
	int line;
	char *url; /* ftp://, ftps://, sftp:// or file:// (tests) */
	char *password_file;
	char *identity;
	char *known_hosts;
	char *ca_file;
	char *format; /* built-in name or conf/formats/<name>.ini */
	char **feeds; /* names of [feed:] sections */
	size_t nfeeds;
	enum export_mode mode;
	enum feed_kind kind;     /* vehicle (default) | workorder: which feeds and formats */
	double deviation_lock;   /* fraction, default 0.20 */
	bool auto_release;       /* default yes */
	unsigned retention_days; /* default 5 */
	bool rename;             /* default on */
	char *file_name;         /* pattern, or NULL for "{target}-%Y%m%dT%H%M%SZ-{id}.{ext}" */
	bool ftp_active;         /* ftp_mode = active (FTP only; default passive) */
	/* 0 = the default (transfer.h), as for feeds. */
	unsigned connect_timeout; /* seconds */
	unsigned idle_timeout;    /* seconds without progress */
	unsigned min_speed;       /* bytes/s averaged over idle_timeout; 0 = any progress */
};

/* [notify:NAME]: where events go (notify.h). */
struct notify_conf {
	char *name;
	int line;
	char *url;               /* http(s):// webhook (POST, JSON), or NULL */
	char *command;           /* run by /bin/sh with the JSON on stdin, or NULL */
	unsigned events;         /* bit (1 << enum notify_kind) per event; default all */
	unsigned retention_days; /* undelivered events older than this are dropped; default 5 */
	unsigned timeout;        /* seconds per delivery; default 10 */
};

struct config {
	char *path;              /* absolute path of the file read */
	char *dir;               /* its directory: base of relative paths */
	char *spool;             /* default <dir>/../spool */
	char *database;          /* default <spool>/lotsync.db */
	unsigned settle_seconds; /* default 120 */
	char *metrics_file;      /* Prometheus text after every run, or NULL */
	unsigned run_timeout;    /* seconds a run may take; default 3000 (50 min) */
	int max_clock_jump;      /* days, or CONFIG_NEVER; default 7 */
	char *lock_name;         /* run lock in the spool; NULL = ".lock" (config_shard) */
	char *shard;             /* "I/N" under --shard, else NULL */
	/*
	 * feeds[0..nfeeds) are the ones this process runs; under --shard the
	 * other shards' follow, feeds[nfeeds..nfeeds+nfeeds_other), kept only
	 * to be released (and named in messages). The same for targets.
	 */
	struct feed_conf *feeds;
	size_t nfeeds, nfeeds_other;
	struct type_map *types;
	size_t ntypes;
	struct client_map *clients;
	size_t nclients;
	struct target_conf *targets;
	size_t ntargets, ntargets_other;
	struct notify_conf *notifies;
	size_t nnotifies;
};

/*
 * Load path into cfg. Returns the number of errors found (0 = usable); every
 * one has been logged. On errors cfg still holds what could be read and must
 * be released. Returns -1 only when the file cannot be opened at all (or is
 * not a regular file); that too is logged.
 * cfg need not be initialised, and config_release() is safe after any
 * return (also -1). Messages name the file as path is spelled and are
 * logged in line order once the whole file is read.
 */
int config_load(const char *path, struct config *cfg);
void config_release(struct config *cfg);

/*
 * --shard i/n (0 <= i < n): keep the feeds whose name's FNV-1a 64 hash mod n
 * is i, and the targets whose feeds all are (a target without feeds: by its
 * own name); the rest move behind nfeeds/ntargets. The database, the run
 * lock and metrics_file get "-i-of-n" in their names. Returns the number of
 * errors logged (a target whose feeds fall in different shards).
 */
int config_shard(struct config *cfg, unsigned i, unsigned n);
/* The shard of a feed or target name among n. */
unsigned config_shard_of(const char *name, unsigned n);

/* Find a feed or target by name; NULL when absent. */
const struct feed_conf *config_feed(const struct config *cfg, const char *name);
const struct target_conf *config_target(const struct config *cfg, const char *name);

/*
 * The server and credentials of a feed's source or a target, as transfer_open()
 * takes them (pointers into the conf; timeouts left 0, the caller sets them).
 */
struct transfer_endpoint config_feed_endpoint(const struct feed_conf *f);
struct transfer_endpoint config_target_endpoint(const struct target_conf *t);

#endif
