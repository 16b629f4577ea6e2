/*
 * cmd_target.c - the operator's answers to a waiting target (SPEC §5, §7):
 * 'unlock TARGET' lifts a deviation lock, 'release TARGET VIN...|--all'
 * lets new vehicles through on a target with auto_release = no. Each is
 * one transaction and one entry in the target's event log.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/cmd.h"
#include "lotsync/keymap.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

static const struct target_conf *
find_target(struct app *app, const char *name)
{
	const struct target_conf *t = config_target(&app->cfg, name);

	if (!t)
		log_error("no target named '%s' in %s", name, app->cfg.path);
	return t;
}

static int
db_fail(struct app *app)
{
	store_rollback(app->store);
	return store_failure(app->store);
}

/*
 * The newest pending file becomes the baseline: the next export compares
 * with what the operator accepted, not with the delivery before the lock.
 */
int
cmd_unlock(struct app *app, int argc, char **argv)
{
	const struct target_conf *t;
	struct export_info *pend = NULL;
	struct target_info ti;
	char now[CLOCK_ISO_LEN];
	size_t n = 0;
	int rc = LS_EXIT_OK;

	if (argc != 2 || argv[1][0] == '-')
		return LS_EXIT_USAGE;
	if (!(t = find_target(app, argv[1])))
		return LS_EXIT_USAGE;
	if (store_begin(app->store) == -1)
		return db_fail(app);
	if (store_target_get(app->store, t->name, &ti) == -1 ||
	    store_export_pending(app->store, t->name, &pend, &n) == -1) {
		rc = db_fail(app);
		goto out;
	}
	if (!ti.locked) {
		store_rollback(app->store);
		printf("target %s is not locked\n", t->name);
		goto out;
	}
	clock_format(clock_now(), now);
	if (store_target_clear_lock(app->store, t->name) == -1 ||
	    (n && store_target_set_baseline(app->store, t->name, pend[n - 1].vehicles) == -1) ||
	    store_target_event(app->store, t->name, app->run, now, "unlocked", ti.lock_reason) ==
	            -1 ||
	    store_commit(app->store) == -1) {
		rc = db_fail(app);
		goto out;
	}
	printf("target %s unlocked (it was locked since %s: %s); the next deliver sends %s\n",
	       t->name, ti.locked_at, ti.lock_reason,
	       n == 0                   ? "nothing (no file is queued)"
	       : t->mode == EXPORT_FULL ? "the newest queued file"
	                                : "the queued files in order");
out:
	target_info_release(&ti);
	export_list_free(pend, n);
	return rc;
}

/* Release every held vehicle of one feed. */
struct release_all {
	struct app *app;
	const struct target_conf *t;
	const char *feed;
	struct keymap released;
	const char *now;
	long long count;
};

static int
release_one(void *ctx, long long version, const char *key, const char *json, size_t len)
{
	struct release_all *ra = ctx;

	(void)version, (void)json, (void)len;
	if (keymap_get(&ra->released, key))
		return 0;
	ra->count++;
	return store_release_add(ra->app->store, ra->t->name, ra->feed, key, NULL, ra->now,
	                         ra->app->run);
}

static int
release_all(struct app *app, const struct target_conf *t, const char *now, long long *count)
{
	for (size_t i = 0; i < t->nfeeds; i++) {
		struct release_all ra = {app, t, t->feeds[i], {0}, now, 0};
		int rc;

		keymap_init(&ra.released);
		rc = store_release_load(app->store, t->name, t->feeds[i], &ra.released);
		if (rc == 0)
			rc = store_each_current(app->store, t->feeds[i], release_one, &ra);
		keymap_release(&ra.released);
		if (rc != 0)
			return -1;
		*count += ra.count;
	}
	return 0;
}

/* Release the current vehicles with this VIN; 0 found none. */
static int
release_vin(struct app *app, const struct target_conf *t, const char *vin, const char *now,
            long long *count)
{
	long long found = 0;

	for (size_t i = 0; i < t->nfeeds; i++) {
		char **keys = NULL;
		size_t n = 0;
		int rc = store_current_keys_by_vin(app->store, t->feeds[i], vin, &keys, &n);

		for (size_t k = 0; k < n; k++) {
			if (rc == 0)
				rc = store_release_add(app->store, t->name, t->feeds[i], keys[k],
				                       vin, now, app->run);
			free(keys[k]);
		}
		free(keys);
		if (rc == -1)
			return -1;
		found += (long long)n;
	}
	*count += found;
	return found > 0;
}

/* All VINs must be current vehicles of the target's feeds, or nothing is released. */
static int
release_vins(struct app *app, const struct target_conf *t, int n, char **vins, const char *now,
             long long *count)
{
	int missing = 0;

	for (int i = 0; i < n; i++) {
		char *vin = str_upper(str_trim(xstrdup(vins[i])));
		int rc = release_vin(app, t, vin, now, count);

		if (rc == 0)
			log_error("VIN %s is not a current vehicle of target %s's feeds", vin,
			          t->name);
		free(vin);
		if (rc == -1)
			return -1;
		missing += rc == 0;
	}
	return missing ? 1 : 0;
}

int
cmd_release(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"all", no_argument, NULL, 'a'},
	                                         {NULL, 0, NULL, 0}};
	const struct target_conf *t;
	char now[CLOCK_ISO_LEN], *detail;
	long long count = 0;
	bool all = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'a')
			return LS_EXIT_USAGE;
		all = true;
	}
	if (argc - optind < 1 || (all != (argc - optind == 1)))
		return LS_EXIT_USAGE;
	if (!(t = find_target(app, argv[optind])))
		return LS_EXIT_USAGE;
	if (t->auto_release) {
		log_error("target %s has auto_release = yes: its vehicles need no release",
		          t->name);
		return LS_EXIT_USAGE;
	}
	clock_format(clock_now(), now);
	if (store_begin(app->store) == -1)
		return db_fail(app);
	rc = all ? release_all(app, t, now, &count)
	         : release_vins(app, t, argc - optind - 1, argv + optind + 1, now, &count);
	if (rc == 1) {
		store_rollback(app->store);
		return LS_EXIT_USAGE;
	}
	detail = all ? xasprintf("--all: %lld vehicle(s)", count)
	             : xasprintf("%lld vehicle(s) by VIN", count);
	if (rc == -1 || store_target_bump_release(app->store, t->name) < 0 ||
	    store_target_event(app->store, t->name, app->run, now, "released", detail) == -1 ||
	    store_commit(app->store) == -1) {
		free(detail);
		return db_fail(app);
	}
	free(detail);
	printf("released %lld vehicle(s) for target %s; the next export includes them\n", count,
	       t->name);
	return LS_EXIT_OK;
}
