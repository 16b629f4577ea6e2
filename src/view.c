/*
 * view.c - the operator's view of the store and the spool, read once for
 * status, status --json and the HTML report (view.h states the contract).
 */
#include "lotsync/view.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsync/clock.h"
#include "lotsync/store_rules.h"
#include "lotsync/util.h"

#define ZERO_HEAD "0000000000000000000000000000000000000000000000000000000000000000"

/* Regular entries in a spool folder that are not markers or hidden. */
static long long
count_files(const struct spool *sp, enum spool_dir dir, const char *name, const char *skip_suffix)
{
	char *path = spool_path(sp, dir, name);
	DIR *d = opendir(path);
	struct dirent *de;
	long long n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && !(skip_suffix && str_endswith(de->d_name, skip_suffix)))
			n++;
	if (d)
		closedir(d);
	free(path);
	return n;
}

/* Each quarantined file of the feed with the "reason:" line of its .reason, by name. */
static void
list_failed(struct view_feed *f, const struct spool *sp)
{
	char *dir = spool_path(sp, SPOOL_FAILED, f->conf->name);
	struct dirent **names = NULL;
	size_t alloc = 0;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *fn = names[i]->d_name;
		char line[512] = "", buf[512], *rpath;
		FILE *fp;

		if (fn[0] != '.' && !str_endswith(fn, ".reason")) {
			rpath = xasprintf("%s/%s.reason", dir, fn);
			/* NAME.reason holds "key: value" lines; people need the "reason:" one. */
			if ((fp = fopen(rpath, "r"))) {
				while (fgets(buf, sizeof(buf), fp)) {
					buf[strcspn(buf, "\r\n")] = '\0';
					if (str_startswith(buf, "reason: ")) {
						snprintf(line, sizeof(line), "%s", buf + 8);
						break;
					}
					if (!line[0])
						snprintf(line, sizeof(line), "%s", buf);
				}
				fclose(fp);
			}
			free(rpath);
			f->failed_files = xgrow(f->failed_files, &alloc, f->nfailed_files + 1,
			                        sizeof(*f->failed_files));
			f->failed_files[f->nfailed_files].file = xstrdup(fn);
			f->failed_files[f->nfailed_files++].reason =
			        xstrdup(line[0] ? line : "(no reason file)");
		}
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void
count_spool(struct view_feed *f, const struct spool *sp, unsigned settle_seconds)
{
	struct spool_scan scan = {0};

	f->incoming = count_files(sp, SPOOL_INCOMING, f->conf->name, ".done");
	f->failed = count_files(sp, SPOOL_FAILED, f->conf->name, ".reason");
	f->work = count_files(sp, SPOOL_WORK, f->conf->name, ".done");
	if (f->failed)
		list_failed(f, sp);
	/* Refused entries (symlinks, FIFOs, ...) are named on stderr by the scan */
	if (spool_scan_incoming(sp, f->conf->name, settle_seconds, &scan) == 0)
		f->refused = scan.refused;
	spool_scan_release(&scan);
}

static void
feed_load(struct view *v, struct view_feed *f, const struct config *cfg, const struct spool *sp,
          struct store *st, int flags)
{
	long long seq = 0;

	if (st) {
		struct snapshot_info s = {0};

		if (store_feed_head(st, f->conf->name, &seq, &f->last_snapshot) != 0)
			v->errors++;
		else if (f->last_snapshot && store_snapshot_get(st, f->last_snapshot, &s) != 0)
			v->errors++;
		f->vehicles = s.vehicles;
		snapshot_info_release(&s);
		/* An upsert file holds only what changed: count the store's current work orders. */
		if (f->conf->kind == FEED_KIND_WORKORDER) {
			if (store_wo_counts(st, f->conf->name, &f->wo) != 0)
				v->errors++;
			f->vehicles = f->wo.current;
		}
		if (store_feed_held(st, f->conf->name, &f->held_ids, &f->nheld) != 0)
			v->errors++;
		if (store_feed_times(st, f->conf->name, &f->times) != 0)
			v->errors++;
	}
	if (st && v->jump_pending && f->conf->auto_close > 0) {
		char cutoff[CLOCK_ISO_LEN];

		clock_format(clock_now() - (time_t)f->conf->auto_close * 86400, cutoff);
		if ((f->held_closes = store_srs_close_due(st, f->conf->name, cutoff)) < 0) {
			f->held_closes = 0;
			v->errors++;
		}
	}
	if (flags & VIEW_SPOOL)
		count_spool(f, sp, cfg->settle_seconds);
	f->held = f->nheld ? xcalloc(f->nheld, sizeof(*f->held)) : NULL;
	for (size_t i = 0; i < f->nheld; i++)
		if (store_snapshot_get(st, f->held_ids[i], &f->held[i]) != 0)
			v->errors++;
}

static void
target_load(struct view *v, struct view_target *t, struct store *st)
{
	t->ti.baseline = -1;
	if (!st)
		return;
	if (store_target_status(st, t->conf->name, &t->st) == -1)
		v->errors++;
	if (store_target_get(st, t->conf->name, &t->ti) == -1)
		v->errors++;
	if (store_export_last(st, t->conf->name, &t->last) == -1)
		v->errors++;
	/* The queue only grows while a target is locked: all of it, oldest first. */
	if (store_export_pending(st, t->conf->name, &t->queue, &t->nqueue) == -1)
		v->errors++;
	if (store_target_times(st, t->conf->name, &t->times) == -1)
		v->errors++;
}

static bool
target_takes(const struct target_conf *t, const char *feed)
{
	if (!feed)
		return true;
	for (size_t i = 0; i < t->nfeeds; i++)
		if (strcmp(t->feeds[i], feed) == 0)
			return true;
	return false;
}

int
view_load(struct view *v, const struct config *cfg, const struct spool *sp, struct store *st,
          int flags, const char *only_feed)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->chain_head, ZERO_HEAD, sizeof(v->chain_head));
	if (st && (v->open_srs = store_sr_count_open(st)) < 0) {
		v->open_srs = 0;
		v->errors++;
	}
	if (st && store_chain_head(st, v->chain_head) == -1)
		return -1;
	if (st && store_last_run(st, &v->last_run) == -1)
		v->errors++;
	if (st) {
		int rc = store_clock_jump_pending(st, &v->jump);

		v->jump_pending = rc == 0;
		if (rc == -1)
			v->errors++;
	}
	if (st &&
	    store_erasure_pending(st, &v->erasure, &v->erasure_feed, &v->erasure_person) == -1)
		v->errors++;
	v->feeds = xcalloc(cfg->nfeeds ? cfg->nfeeds : 1, sizeof(*v->feeds));
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		if (only_feed && strcmp(only_feed, cfg->feeds[i].name) != 0)
			continue;
		v->feeds[v->nfeeds].conf = &cfg->feeds[i];
		feed_load(v, &v->feeds[v->nfeeds++], cfg, sp, st, flags);
	}
	v->targets = xcalloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*v->targets));
	for (size_t i = 0; i < cfg->ntargets; i++) {
		if (!target_takes(&cfg->targets[i], only_feed))
			continue;
		v->targets[v->ntargets].conf = &cfg->targets[i];
		target_load(v, &v->targets[v->ntargets++], st);
	}
	return 0;
}

void
view_release(struct view *v)
{
	for (size_t i = 0; i < v->nfeeds; i++) {
		for (size_t k = 0; k < v->feeds[i].nheld; k++)
			snapshot_info_release(&v->feeds[i].held[k]);
		free(v->feeds[i].held);
		free(v->feeds[i].held_ids);
		store_wo_counts_release(&v->feeds[i].wo);
		for (size_t k = 0; k < v->feeds[i].nfailed_files; k++) {
			free(v->feeds[i].failed_files[k].file);
			free(v->feeds[i].failed_files[k].reason);
		}
		free(v->feeds[i].failed_files);
		ops_times_release(&v->feeds[i].times);
	}
	for (size_t i = 0; i < v->ntargets; i++) {
		target_status_release(&v->targets[i].st);
		target_info_release(&v->targets[i].ti);
		export_info_release(&v->targets[i].last);
		export_list_free(v->targets[i].queue, v->targets[i].nqueue);
		ops_times_release(&v->targets[i].times);
	}
	free(v->feeds);
	free(v->targets);
	ops_times_release(&v->last_run);
	free(v->erasure_feed);
	free(v->erasure_person);
	memset(v, 0, sizeof(*v));
}

bool
view_awaits_operator(const struct view *v)
{
	for (size_t i = 0; i < v->nfeeds; i++)
		if (v->feeds[i].nheld)
			return true;
	for (size_t i = 0; i < v->ntargets; i++)
		if (v->targets[i].ti.locked)
			return true;
	return v->jump_pending || v->erasure;
}
