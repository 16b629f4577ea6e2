/* export.c - current vehicles of a target's feeds -> one CSV file in the outbox. */
#include "lotsync/export.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/format.h"
#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/normalize.h"
#include "lotsync/profile.h"
#include "lotsync/util.h"

/* A buffered writer over the temporary file; the first error sticks. */
struct out {
	int fd;
	char buf[1 << 16];
	size_t len;
	int err;
	const struct format *fmt;
	long long vehicles;
};

static void
out_flush(struct out *o)
{
	if (!o->err && o->len && fsio_write_all(o->fd, o->buf, o->len) == -1)
		o->err = errno;
	o->len = 0;
}

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > sizeof(o->buf))
		out_flush(o);
	if (n > sizeof(o->buf)) {
		if (!o->err && fsio_write_all(o->fd, s, n) == -1)
			o->err = errno;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* RFC 4180: quote a cell holding the delimiter, a quote or a line break. */
static void
out_cell(struct out *o, const char *v)
{
	if (!strpbrk(v, "\"\r\n") && !strchr(v, o->fmt->delimiter)) {
		out_put(o, v, strlen(v));
		return;
	}
	out_put(o, "\"", 1);
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			out_put(o, "\"", 1);
		out_put(o, p, 1);
	}
	out_put(o, "\"", 1);
}

static void
out_eol(struct out *o)
{
	out_put(o, o->fmt->crlf ? "\r\n" : "\n", o->fmt->crlf ? 2 : 1);
}

static int
write_vehicle(void *ctx, const struct record *r)
{
	struct out *o = ctx;

	for (size_t i = 0; i < o->fmt->ncols; i++) {
		const char *v = record_get(r, o->fmt->cols[i].field);
		char money[NORM_NUM_MAX];

		/* Amounts are stored in minor units (hundredths); files show them whole. */
		if (v && profile_field_kind(o->fmt->cols[i].field) == FIELD_MONEY) {
			norm_money_text(strtoll(v, NULL, 10), money);
			v = money;
		}
		if (i)
			out_put(o, &o->fmt->delimiter, 1);
		out_cell(o, v ? v : "");
	}
	out_eol(o);
	o->vehicles++;
	return o->err ? -1 : 0;
}

/* "feed:seq,…": what the export reflects; unchanged basis = nothing new to send. */
static char *
basis_of(struct app *app, const struct target_conf *t, bool *any)
{
	char *b = xstrdup("");

	for (size_t i = 0; i < t->nfeeds; i++) {
		long long seq = 0, id = 0;
		char *nb;

		if (store_feed_head(app->store, t->feeds[i], &seq, &id) == -1) {
			free(b);
			return NULL;
		}
		*any |= seq > 0;
		nb = xasprintf("%s%s%s:%lld", b, i ? "," : "", t->feeds[i], seq);
		free(b);
		b = nb;
	}
	return b;
}

static int
render(struct app *app, const struct target_conf *t, const struct format *fmt, const char *dir,
       const char *name, struct out *o, char sha[FSIO_SHA256_HEX])
{
	char *tmp = NULL, *path;
	int rc = -1;

	o->fmt = fmt;
	if ((o->fd = fsio_mktemp(dir, name, &tmp)) == -1)
		return -1;
	if (fmt->header) {
		for (size_t i = 0; i < fmt->ncols; i++) {
			if (i)
				out_put(o, &fmt->delimiter, 1);
			out_cell(o, fmt->cols[i].header);
		}
		out_eol(o);
	}
	for (size_t i = 0; i < t->nfeeds && !o->err; i++)
		if (store_each_record(app->store, t->feeds[i], 0, write_vehicle, o) != 0 && !o->err)
			goto fail;
	out_flush(o);
	if (o->err) {
		errno = o->err;
		log_syserr("cannot write %s", tmp);
		goto fail;
	}
	if (fsio_commit(o->fd, tmp, dir, name) == -1)
		goto out;
	path = xasprintf("%s/%s", dir, name);
	rc = fsio_sha256_file(path, sha, NULL);
	free(path);
	goto out;
fail:
	fsio_discard(o->fd, tmp);
out:
	free(tmp);
	return rc;
}

static void
export_one(struct app *app, const struct target_conf *t, const struct format *fmt,
           const char *basis, struct export_summary *sum)
{
	char now[CLOCK_ISO_LEN], stamp[32], sha[FSIO_SHA256_HEX];
	char *dir = spool_path(&app->spool, SPOOL_OUTBOX, t->name), *name = NULL;
	struct out *o = xcalloc(1, sizeof(*o));
	long long id;
	time_t t_now = clock_now();

	clock_format(t_now, now);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&t_now));
	if (store_begin(app->store) == -1)
		goto fail;
	if ((id = store_export_add(app->store, app->run, t->name, basis, now)) < 0)
		goto rollback;
	name = xasprintf("%s-%s-%lld.%s", t->name, stamp, id, fmt->extension);
	if (render(app, t, fmt, dir, name, o, sha) == -1)
		goto rollback;
	if (store_export_set_file(app->store, id, name, sha, o->vehicles) == -1 ||
	    store_commit(app->store) == -1) {
		char *path = xasprintf("%s/%s", dir, name);

		unlink(path); /* unrecorded: would be reconciled away anyway */
		free(path);
		goto rollback;
	}
	log_info("exported %lld vehicles to %s", o->vehicles, name);
	sum->files++;
	sum->vehicles = o->vehicles;
	goto out;
rollback:
	store_rollback(app->store);
fail:
	app_status(app, store_disk_full(app->store) ? LS_EXIT_IOERR : LS_EXIT_SOFTWARE);
out:
	free(o);
	free(name);
	free(dir);
}

void
export_target(struct app *app, const struct target_conf *t, bool force, struct export_summary *sum)
{
	struct format fmt;
	struct export_info last;
	char *basis = NULL;
	bool any = false;

	memset(sum, 0, sizeof(*sum));
	log_scope(t->name);
	if (format_load(app->cfg.dir, t->format, &fmt) != 0) {
		app_status(app, LS_EXIT_CONFIG);
		goto out;
	}
	if (spool_prepare_target(&app->spool, t->name) == -1) {
		app_status(app, LS_EXIT_IOERR);
		goto out;
	}
	if (!(basis = basis_of(app, t, &any)) ||
	    store_export_last(app->store, t->name, &last) == -1) {
		app_status(app, LS_EXIT_SOFTWARE);
		goto out;
	}
	/* Nothing applied yet for any feed: there is no inventory to send. */
	if (!any)
		goto done;
	if (force || !last.id || strcmp(last.basis, basis) != 0)
		export_one(app, t, &fmt, basis, sum);
done:
	export_info_release(&last);
out:
	free(basis);
	format_release(&fmt);
	log_scope(NULL);
}

void
export_reconcile(struct app *app, const struct target_conf *t)
{
	char *dir = spool_path(&app->spool, SPOOL_OUTBOX, t->name);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		char *path;
		bool stale_tmp = str_startswith(de->d_name, ".tmp-");

		if (de->d_name[0] == '.' && !stale_tmp)
			continue;
		if (!stale_tmp && store_export_has_file(app->store, t->name, de->d_name) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		log_info("removing %s: left by an interrupted export", path);
		if (unlink(path) == -1)
			log_syserr("cannot remove %s", path);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}
