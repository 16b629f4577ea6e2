/* main.c - global options and the command name; cli_dispatch() does the rest; exit code. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/app.h"
#include "lotsync/cli.h"
#include "lotsync/clock.h"
#include "lotsync/log.h"

#define LOTSYNC_VERSION "0.1.0"

struct opts {
	const char *config;
	const char *now;
	const char *shard; /* "I/N" or "auto/N" */
	int verbose;
	bool quiet, json, dry_run, allow_rewind;
};

static int
parse_global(int argc, char **argv, struct opts *o)
{
	enum { OPT_JSON = 256, OPT_NOW, OPT_SHARD, OPT_VERSION, OPT_REWIND };
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"now", required_argument, NULL, OPT_NOW},
	        {"shard", required_argument, NULL, OPT_SHARD},
	        {"allow-clock-rewind", no_argument, NULL, OPT_REWIND},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {NULL, 0, NULL, 0},
	};
	int c;

	/* '+': stop at the command, which parses its own options. */
	while ((c = getopt_long(argc, argv, "+c:nvqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'v': o->verbose++; break;
		case 'q': o->quiet = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_NOW: o->now = optarg; break;
		case OPT_SHARD: o->shard = optarg; break;
		case OPT_REWIND: o->allow_rewind = true; break;
		case 'h': cli_usage(stdout); exit(0);
		case OPT_VERSION: printf("lotsync %s\n", LOTSYNC_VERSION); exit(0);
		default: cli_usage(stderr); return -1;
		}
	}
	return 0;
}

static int
set_clock(const struct opts *o)
{
	const char *now = o->now ? o->now : getenv("LOTSYNC_NOW");
	time_t t;

	if (!now || !*now)
		return 0;
	if (clock_parse(now, &t) == -1) {
		fprintf(stderr,
		        "lotsync: --now '%s' is not an ISO 8601 time "
		        "(YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])\n",
		        now);
		return -1;
	}
	clock_set(t);
	return 0;
}

/* A whole decimal number in [0, max]; -1 otherwise. */
static long
small_number(const char *s, const char *end, long max)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (*s - '0')) > max)
			return -1;
	}
	return v;
}

/*
 * --shard I/N, or auto/N with I from JOB_COMPLETION_INDEX (what a
 * Kubernetes indexed Job sets in each pod).
 */
static int
set_shard(const struct opts *o, struct app *app)
{
	const char *slash, *idx;
	long i, n;

	if (!o->shard)
		return 0;
	if (!(slash = strchr(o->shard, '/')) ||
	    (n = small_number(slash + 1, slash + strlen(slash), 4096)) < 1)
		goto bad;
	idx = o->shard;
	if (strncmp(o->shard, "auto/", 5) == 0) {
		if (!(idx = getenv("JOB_COMPLETION_INDEX"))) {
			fprintf(stderr,
			        "lotsync: --shard auto/%ld: JOB_COMPLETION_INDEX is not set\n", n);
			return -1;
		}
		slash = idx + strlen(idx);
	}
	if ((i = small_number(idx, slash, 4096)) < 0 || i >= n) {
		fprintf(stderr, "lotsync: --shard %s: the index %.*s is not in 0..%ld\n", o->shard,
		        (int)(slash - idx), idx, n - 1);
		return -1;
	}
	app->shard_i = (unsigned)i;
	app->shard_n = (unsigned)n;
	return 0;
bad:
	fprintf(stderr, "lotsync: --shard '%s' is not I/N or auto/N (N in 1..4096)\n", o->shard);
	return -1;
}

static bool
getenv_is_one(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "1") == 0;
}

static const char *
default_config(void)
{
	if (access("conf/lotsync.conf", F_OK) == 0)
		return "conf/lotsync.conf";
	if (access("/etc/lotsync/lotsync.conf", F_OK) == 0)
		return "/etc/lotsync/lotsync.conf";
	return "conf/lotsync.conf";
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct app app = {0};
	const struct command *cmd;

	if (parse_global(argc, argv, &o) == -1 || set_clock(&o) == -1)
		return LS_EXIT_USAGE;
	log_set_level(o.quiet          ? LOG_ERROR
	              : o.verbose >= 2 ? LOG_DEBUG
	              : o.verbose      ? LOG_INFO
	                               : LOG_WARN);
	if (optind >= argc) {
		cli_usage(stderr);
		return LS_EXIT_USAGE;
	}
	if (!(cmd = cli_find(argv[optind]))) {
		fprintf(stderr, "lotsync: unknown command '%s'; see 'lotsync --help'\n",
		        argv[optind]);
		return LS_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (cli_wants_help(argc, argv)) {
		cli_command_help(cmd, stdout);
		return 0;
	}
	if (!cmd->fn) {
		fprintf(stderr, "lotsync: '%s' is not built yet\n", cmd->name);
		return LS_EXIT_SOFTWARE;
	}
	if (o.dry_run && (cmd->needs & CMD_LOCK) && !(cmd->needs & CMD_DRY_RUN)) {
		fprintf(stderr, "lotsync: --dry-run is not built yet for '%s'\n", cmd->name);
		return LS_EXIT_SOFTWARE;
	}
	app.config_path = o.config ? o.config : default_config();
	app.json = o.json;
	app.verbose = o.verbose > 0;
	app.dry_run = o.dry_run;
	if (set_shard(&o, &app) == -1)
		return LS_EXIT_USAGE;
	app.allow_clock_rewind = o.allow_rewind || getenv_is_one("LOTSYNC_ALLOW_CLOCK_REWIND");
	optind = 0; /* commands parse their own options with getopt_long */
	return cli_dispatch(&app, cmd, argc, argv);
}
