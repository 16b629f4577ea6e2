/* fetch.c - remote feeds into incoming/<feed>/: temp name, hash, rename, record. */
#include "lotsync/fetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/crash.h"
#include "lotsync/fsio.h"
#include "lotsync/log.h"
#include "lotsync/transfer.h"
#include "lotsync/util.h"

/* Records per transaction: one fsync of the directory and one commit per batch. */
#define FETCH_BATCH 64
/*
 * Files per extra session: a login costs about what fetching 40 small
 * files does (research/transfer-perf.md), so a few files use one session.
 */
#define FILES_PER_SESSION 16

/* Logged-in sessions of one server, not in use. */
struct server {
	char *key; /* scheme://user@host:port + credentials + timeouts */
	struct transfer_conn **idle;
	size_t nidle, aidle;
	enum ls_exit failed; /* not OK: login failed earlier in this run */
};

struct fetcher {
	struct app *app;
	struct server *servers;
	size_t nservers, aservers;
};

/* One remote file to download; filled by a worker, consumed by the main thread. */
struct job {
	const struct remote_file *rf;
	char *safe;     /* local name wanted (main thread, before the workers start) */
	bool set_mtime; /* give the local file the remote mtime */
	char *tmp;      /* temporary path while the download is kept */
	char sha[FSIO_SHA256_HEX];
	uint64_t bytes;
	enum ls_exit rc;
	bool done;
};

/* What lotsync observed of one listed file (observe_listing()). */
struct obs {
	bool settled;         /* same size+mtime listed settle_seconds ago, by our clock */
	char *delete_refused; /* the server refused to delete this version: its reply */
};

/* A listed mtime this far ahead of our clock is "in the future" (MDTM is whole seconds). */
#define CLOCK_SLACK_FUTURE 1
/* A changed file listed with an mtime this far before our previous listing: clock or zone off. */
#define CLOCK_SLACK_BEHIND 1800

/* One session of a feed's download; a thread when there are several. */
struct worker {
	struct feed_run *fr;
	struct transfer_conn *conn; /* NULL: the worker opens its own */
	enum ls_exit open_rc;
	bool broken; /* a transfer failed: the session's state is unknown */
	pthread_t tid;
};

/* One feed's fetch: shared by the main thread and the workers under mu. */
struct feed_run {
	struct fetcher *fx;
	const struct feed_conf *feed;
	struct transfer_endpoint ep;
	const struct spool *spool;
	char *where; /* the source directory URL, for records */
	struct job *jobs;
	size_t njobs, ajobs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next;      /* next job to hand out */
	unsigned alive;   /* workers still taking jobs */
	bool stop;        /* hand out no more jobs (local I/O error) */
	bool conn_broken; /* a delete failed on the first session: do not pool it */
	struct fetch_record batch[FETCH_BATCH];
	char *batch_local[FETCH_BATCH];
	char batch_sha[FETCH_BATCH][FSIO_SHA256_HEX];
	size_t nbatch;
	char now[CLOCK_ISO_LEN];
	struct fetch_summary *sum;
	struct obs *obs; /* per listed file, parallel to the listing */
	size_t nobs;
	long long clock_off_future, clock_off_behind; /* worst skew seen, s */
	unsigned n_future, n_behind, n_no_mtime;
	enum ls_exit status; /* the worst condition met (main thread) */
};

bool
fetch_is_remote(const struct feed_conf *feed)
{
	return strcmp(feed->source, "drop") != 0;
}

struct fetcher *
fetcher_new(struct app *app)
{
	struct fetcher *fx = xcalloc(1, sizeof(*fx));

	fx->app = app;
	return fx;
}

void
fetcher_free(struct fetcher *fx)
{
	if (!fx)
		return;
	for (size_t i = 0; i < fx->nservers; i++) {
		for (size_t j = 0; j < fx->servers[i].nidle; j++)
			transfer_close(fx->servers[i].idle[j]);
		free(fx->servers[i].idle);
		free(fx->servers[i].key);
	}
	free(fx->servers);
	free(fx);
}

/* ---- the session pool ---- */

static const char *
str_or_empty(const char *s)
{
	return s ? s : "";
}

/*
 * Feeds share sessions when they name the same server the same way and
 * log in with the same credentials: "scheme://user@host:port" as written
 * up to the path, plus every setting that shapes a login.
 */
static char *
server_key(const struct feed_conf *feed)
{
	const char *p = strstr(feed->source, "://");
	const char *slash = p ? strchr(p + 3, '/') : NULL;
	int n = slash ? (int)(slash - feed->source) : (int)strlen(feed->source);

	return xasprintf("%.*s|%s|%s|%s|%s|%u|%u|%d|%u", n, feed->source,
	                 str_or_empty(feed->identity), str_or_empty(feed->password_file),
	                 str_or_empty(feed->known_hosts), str_or_empty(feed->ca_file),
	                 feed->connect_timeout, feed->idle_timeout, feed->ftp_active,
	                 feed->min_speed);
}

static struct server *
server_for(struct fetcher *fx, const struct feed_conf *feed)
{
	char *key = server_key(feed);
	struct server *s;

	for (size_t i = 0; i < fx->nservers; i++)
		if (strcmp(fx->servers[i].key, key) == 0) {
			free(key);
			return &fx->servers[i];
		}
	fx->servers = xgrow(fx->servers, &fx->aservers, fx->nservers + 1, sizeof(*fx->servers));
	s = &fx->servers[fx->nservers++];
	*s = (struct server){.key = key, .failed = LS_EXIT_OK};
	return s;
}

/* A pooled session pointed at the feed's source, or NULL when none is idle. */
static struct transfer_conn *
pool_take(struct server *s, const struct feed_conf *feed)
{
	while (s->nidle > 0) {
		struct transfer_conn *c = s->idle[--s->nidle];

		if (transfer_set_url(c, feed->source) == LS_EXIT_OK)
			return c;
		transfer_close(c);
	}
	return NULL;
}

static void
pool_put(struct server *s, struct transfer_conn *c)
{
	s->idle = xgrow(s->idle, &s->aidle, s->nidle + 1, sizeof(*s->idle));
	s->idle[s->nidle++] = c;
}

static void
endpoint_of(const struct feed_conf *feed, struct transfer_endpoint *ep)
{
	*ep = config_feed_endpoint(feed);
	ep->connect_timeout = (long)feed->connect_timeout;
	ep->idle_timeout = (long)feed->idle_timeout;
	ep->min_speed = (long)feed->min_speed;
}

/* The feed's first session: from the pool, else a new login (*rc and logged on failure). */
static struct transfer_conn *
session_get(struct server *s, const struct feed_conf *feed, enum ls_exit *rc)
{
	struct transfer_endpoint ep;
	struct transfer_conn *c = pool_take(s, feed);

	if (c)
		return c;
	if (s->failed != LS_EXIT_OK) {
		log_error("%s: not tried: the server failed earlier in this run (see above)",
		          feed->source);
		*rc = s->failed;
		return NULL;
	}
	endpoint_of(feed, &ep);
	*rc = transfer_open(&ep, &c);
	if (*rc != LS_EXIT_OK) {
		s->failed = *rc;
		return NULL;
	}
	return c;
}

static void
note(struct feed_run *fr, enum ls_exit e)
{
	fr->status = status_worse(fr->status, e);
}

/* ---- downloading (worker threads) ---- */

static void
download(struct feed_run *fr, struct transfer_conn *c, struct job *j)
{
	int fd = spool_create(fr->spool, SPOOL_INCOMING, fr->feed->name, j->safe, &j->tmp);

	if (fd == -1) {
		j->rc = LS_EXIT_IOERR;
		return;
	}
	j->rc = transfer_get_sha256(c, j->rf->name, fd, &j->bytes, j->sha);
	if (j->rc == LS_EXIT_OK && j->bytes == j->rf->size) {
		struct timespec t[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = j->rf->mtime}};

		if (j->set_mtime && futimens(fd, t) == -1)
			log_syserr("cannot set the mtime of %s", j->tmp);
		if (fsync(fd) == -1) {
			log_syserr("cannot fsync %s", j->tmp);
			j->rc = LS_EXIT_IOERR;
		}
	}
	if (close(fd) == -1 && j->rc == LS_EXIT_OK) {
		log_syserr("cannot close %s", j->tmp);
		j->rc = LS_EXIT_IOERR;
	}
	if (j->rc != LS_EXIT_OK || j->bytes != j->rf->size) {
		spool_discard(-1, j->tmp);
		free(j->tmp);
		j->tmp = NULL;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct feed_run *fr = w->fr;

	if (!w->conn)
		w->open_rc = transfer_open(&fr->ep, &w->conn);
	while (w->open_rc == LS_EXIT_OK && !w->broken) {
		struct job *j;

		pthread_mutex_lock(&fr->mu);
		if (fr->stop || fr->next >= fr->njobs) {
			pthread_mutex_unlock(&fr->mu);
			break;
		}
		j = &fr->jobs[fr->next++];
		pthread_mutex_unlock(&fr->mu);
		download(fr, w->conn, j);
		/* After a failed transfer the session may be mid-reply: not reused */
		w->broken = j->rc != LS_EXIT_OK && j->rc != LS_EXIT_IOERR;
		pthread_mutex_lock(&fr->mu);
		j->done = true;
		if (j->rc == LS_EXIT_IOERR)
			fr->stop = true; /* a full disk stops every worker */
		pthread_cond_broadcast(&fr->cv);
		pthread_mutex_unlock(&fr->mu);
	}
	pthread_mutex_lock(&fr->mu);
	fr->alive--;
	pthread_cond_broadcast(&fr->cv);
	pthread_mutex_unlock(&fr->mu);
	return NULL;
}

/* ---- recording (main thread) ---- */

/* fsync the directory, then record the batch in one transaction. */
static int
flush(struct feed_run *fr)
{
	struct store *st = fr->fx->app->store;
	int rc = 0;

	if (fr->nbatch == 0)
		return 0;
	if (spool_sync(fr->spool, SPOOL_INCOMING, fr->feed->name) == -1) {
		rc = -1;
		note(fr, LS_EXIT_IOERR);
		goto out;
	}
	if (store_begin(st) == -1)
		goto db_fail;
	for (size_t i = 0; i < fr->nbatch; i++)
		if (store_fetch_add(st, fr->fx->app->run, &fr->batch[i]) < 0) {
			store_rollback(st);
			goto db_fail;
		}
	if (store_commit(st) == -1) {
		store_rollback(st);
		goto db_fail;
	}
	crash_point("fetch:recorded");
	goto out;
db_fail:
	/* The files stay in incoming/; the next fetch finds and records them */
	note(fr, store_failure(st));
	rc = -1;
out:
	for (size_t i = 0; i < fr->nbatch; i++)
		free(fr->batch_local[i]);
	fr->nbatch = 0;
	return rc;
}

/* True when a file fetched as local still waits in incoming/ or work/. */
static bool
copy_waits(const struct feed_run *fr, const char *local)
{
	return spool_has(fr->spool, SPOOL_INCOMING, fr->feed->name, local) ||
	       spool_has(fr->spool, SPOOL_WORK, fr->feed->name, local);
}

static bool
in_batch(const struct feed_run *fr, const char *sha)
{
	for (size_t i = 0; i < fr->nbatch; i++)
		if (strcmp(fr->batch_sha[i], sha) == 0)
			return true;
	return false;
}

/*
 * 1 when the content need not be passed on again: archived for the feed,
 * fetched earlier in this batch, or waiting in incoming/ or work/ under the
 * name it was fetched as. 0 when it is new (or its earlier copy is gone),
 * -1 on a database error.
 */
static int
content_known(struct feed_run *fr, const char *sha)
{
	char *local = NULL;
	int rc;

	if (in_batch(fr, sha))
		return 1;
	rc = store_fetch_known(fr->fx->app->store, fr->feed->name, sha, &local);
	if (rc == 0 && local)
		rc = copy_waits(fr, local);
	free(local);
	return rc;
}

static void
batch_add(struct feed_run *fr, const struct job *j, char *local)
{
	size_t i = fr->nbatch++;

	memcpy(fr->batch_sha[i], j->sha, sizeof(fr->batch_sha[i]));
	fr->batch_local[i] = local;
	fr->batch[i] = (struct fetch_record){
	        .feed = fr->feed->name,
	        .source = fr->where,
	        .remote = j->rf->name,
	        .size = (long long)j->rf->size,
	        .mtime = (long long)j->rf->mtime,
	        .sha256 = fr->batch_sha[i],
	        .local = local,
	        .fetched_at = fr->now,
	};
}

/* Take one finished download into incoming/ (or recognise its content). -1: stop. */
static int
finish_job(struct feed_run *fr, struct job *j)
{
	struct fetch_summary *sum = fr->sum;
	unsigned settle = fr->fx->app->cfg.settle_seconds;
	char *local;
	int known;

	if (j->rc != LS_EXIT_OK) {
		note(fr, j->rc); /* logged by the transfer */
		sum->failed++;
		return 0;
	}
	if (j->bytes != j->rf->size) {
		/* Normal for a file written in place while we list: like an unsettled one */
		log_info("%s%s: listed with %llu bytes, %llu read: still being written? Fetched "
		         "again next run",
		         fr->where, j->rf->name, (unsigned long long)j->rf->size,
		         (unsigned long long)j->bytes);
		sum->waiting++;
		return 0;
	}
	crash_point("fetch:downloaded");
	if ((known = content_known(fr, j->sha)) < 0) {
		note(fr, store_failure(fr->fx->app->store)); /* 74 when the disk failed */
		return -1;
	}
	if (known) {
		log_info("%s%s: same content as a file fetched or ingested before; recorded, "
		         "not ingested again",
		         fr->where, j->rf->name);
		spool_discard(-1, j->tmp);
		free(j->tmp);
		j->tmp = NULL;
		batch_add(fr, j, NULL);
		sum->identical++;
	} else {
		local = spool_publish_incoming(fr->spool, fr->feed->name, j->tmp, j->safe, j->sha);
		if (!local) {
			note(fr, LS_EXIT_IOERR);
			return -1;
		}
		free(j->tmp);
		j->tmp = NULL;
		crash_point("fetch:renamed");
		/* Ingest claims a file whose mtime is settle_seconds old; else it needs a marker */
		if (settle > 0 && (!j->set_mtime || time(NULL) - j->rf->mtime < (time_t)settle) &&
		    spool_mark_done(fr->spool, fr->feed->name, local) == -1)
			note(fr, LS_EXIT_IOERR);
		log_info("%s%s: fetched as %s (%llu bytes)", fr->where, j->rf->name, local,
		         (unsigned long long)j->bytes);
		batch_add(fr, j, local);
		sum->fetched++;
		sum->bytes += j->bytes;
	}
	return fr->nbatch == FETCH_BATCH ? flush(fr) : 0;
}

/* Wait until job i is done, or no worker is left to do it (false). */
static bool
wait_job(struct feed_run *fr, size_t i)
{
	bool done;

	pthread_mutex_lock(&fr->mu);
	while (!fr->jobs[i].done && !(fr->alive == 0 && i >= fr->next))
		pthread_cond_wait(&fr->cv, &fr->mu);
	done = fr->jobs[i].done;
	pthread_mutex_unlock(&fr->mu);
	return done;
}

static unsigned
connections_for(const struct feed_conf *feed)
{
	if (feed->connections)
		return feed->connections;
	if (str_startswith(feed->source, "sftp://"))
		return FETCH_CONNECTIONS_SFTP;
	if (str_startswith(feed->source, "file://"))
		return 1;
	return FETCH_CONNECTIONS_FTP;
}

/* Sessions that opened. */
static unsigned
usable(const struct worker *w, unsigned nw)
{
	unsigned n = 0;

	for (unsigned k = 0; k < nw; k++)
		n += w[k].open_rc == LS_EXIT_OK;
	return n;
}

/*
 * Download the jobs with up to `connections` sessions (the first is c),
 * and take each into incoming/ in listing order as it completes. Healthy
 * sessions go back to the pool.
 */
static void
run_jobs(struct feed_run *fr, struct server *srv, struct transfer_conn *c)
{
	unsigned nw = connections_for(fr->feed);
	size_t i, want = fr->njobs / FILES_PER_SESSION;
	struct worker *w;
	bool stopped = false;

	if (want < 1)
		want = 1;
	if (nw > want)
		nw = (unsigned)want;
	w = xcalloc(nw, sizeof(*w));
	pthread_mutex_init(&fr->mu, NULL);
	pthread_cond_init(&fr->cv, NULL);
	fr->alive = nw;
	for (unsigned k = 0; k < nw; k++) {
		w[k].fr = fr;
		w[k].conn = k == 0 ? c : pool_take(srv, fr->feed);
	}
	if (nw == 1) {
		worker_main(&w[0]);
	} else {
		for (unsigned k = 0; k < nw; k++)
			if (pthread_create(&w[k].tid, NULL, worker_main, &w[k]) != 0)
				log_fatal("cannot start a fetch thread");
	}
	for (i = 0; i < fr->njobs && !stopped; i++) {
		if (!wait_job(fr, i))
			break;
		stopped = finish_job(fr, &fr->jobs[i]) == -1;
	}
	if (stopped) {
		pthread_mutex_lock(&fr->mu);
		fr->stop = true;
		pthread_mutex_unlock(&fr->mu);
	}
	if (nw > 1)
		for (unsigned k = 0; k < nw; k++)
			pthread_join(w[k].tid, NULL);
	/* Downloads not taken in (after a stop) are dropped: the next run fetches them */
	for (size_t k = 0; k < fr->njobs; k++)
		if (fr->jobs[k].tmp)
			spool_discard(-1, fr->jobs[k].tmp);
	if (i < fr->njobs) {
		fr->sum->failed += (unsigned)(fr->njobs - i);
		log_warn("%zu file(s) not fetched; tried again next run", fr->njobs - i);
	}
	flush(fr);
	for (unsigned k = 0; k < nw; k++) {
		/*
		 * An extra session the server refused (one connection per client:
		 * Pure-FTPd -C 1, ProFTPD MaxConnectionsPerHost) fails nothing when
		 * the other sessions took every file: said once, not an error.
		 */
		if (w[k].open_rc != LS_EXIT_OK && k > 0 && i >= fr->njobs && !stopped) {
			log_warn(
			        "%s: the server refused %u session(s) of %u (it may limit sessions "
			        "per client); the other sessions fetched every file; set "
			        "connections = %u for feed %s to avoid this",
			        fr->where, nw - usable(w, nw), nw, usable(w, nw), fr->feed->name);
			for (unsigned m = k; m < nw; m++)
				if (w[m].open_rc != LS_EXIT_OK)
					w[m].open_rc = LS_EXIT_OK; /* warned once for all */
		} else if (w[k].open_rc != LS_EXIT_OK) {
			note(fr, w[k].open_rc);
		}
		if (w[k].conn && !w[k].broken)
			pool_put(srv, w[k].conn);
		else
			transfer_close(w[k].conn);
	}
	pthread_cond_destroy(&fr->cv);
	pthread_mutex_destroy(&fr->mu);
	free(w);
}

/* ---- planning: what to do with each listed file ---- */

/*
 * after_fetch = delete for one archived, settled file. A server that
 * refuses (permission, policy) is asked once per version of the file: the
 * refusal is recorded and warned about, and not repeated every run.
 */
static void
delete_remote(struct feed_run *fr, struct transfer_conn *c, const struct remote_file *rf,
              const struct fetch_seen *seen, const struct obs *ob)
{
	enum ls_exit rc;

	if (ob->delete_refused) {
		log_debug("%s%s: not deleted: the server refused before (%s)", fr->where, rf->name,
		          ob->delete_refused);
		return;
	}
	rc = transfer_delete(c, rf->name);
	if (rc != LS_EXIT_OK && transfer_refused(c)) {
		log_warn("%s%s: the server refuses to delete the file (%s): after_fetch = delete "
		         "is not tried again for it until it changes; give the account delete "
		         "permission or remove it on the server",
		         fr->where, rf->name, transfer_last_reply(c));
		if (store_fetch_delete_refused(fr->fx->app->store, fr->feed->name, fr->where,
		                               rf->name, transfer_last_reply(c)) == -1)
			note(fr, store_failure(fr->fx->app->store)); /* 74 when the disk failed */
		return;
	}
	if (rc != LS_EXIT_OK) {
		note(fr, rc);
		fr->conn_broken = rc != LS_EXIT_DATAERR;
		return;
	}
	crash_point("fetch:deleted");
	log_info("%s%s: deleted on the server (after_fetch = delete; archived)", fr->where,
	         rf->name);
	fr->sum->deleted++;
	if (store_fetch_set_deleted(fr->fx->app->store, seen->id, fr->now) == -1)
		note(fr, store_failure(fr->fx->app->store)); /* 74 when the disk failed */
}

static bool
recorded_copy_present(const struct feed_run *fr, const struct fetch_seen *seen)
{
	if (seen->archived || !seen->local)
		return true;
	return copy_waits(fr, seen->local);
}

/*
 * A listed file: delete it (archived, settled, after_fetch = delete), leave
 * it (recorded unchanged, or not settled), or queue it for download. With
 * fetch false only deletes happen. A file has settled when lotsync listed
 * the same size and mtime settle_seconds apart by its own clock
 * (observe_listing()); the server's clock is never trusted. A server that
 * gives no mtime cannot say "unchanged": such files are downloaded each
 * time they settle and recognised by content, and never deleted. -1 on a
 * database error.
 */
static int
plan_file(struct feed_run *fr, struct transfer_conn *c, size_t i, const struct remote_file *rf,
          bool fetch)
{
	const struct obs *ob = &fr->obs[i];
	struct fetch_seen seen;
	int found;
	struct job *j;

	if (strlen(rf->name) > SPOOL_LOCAL_NAME_MAX && rf->name[0] != '.') {
		/* As in the drop folder: refused, not skipped silently for ever */
		if (fetch) {
			log_warn("%s%s: not fetched: its name is longer than %d bytes (rename it)",
			         fr->where, rf->name, SPOOL_LOCAL_NAME_MAX);
			note(fr, LS_EXIT_DATAERR);
		}
		return 0;
	}
	if (!spool_name_is_claimable(rf->name)) {
		log_debug("%s%s: not a feed file name (in progress or a marker); skipped",
		          fr->where, rf->name);
		return 0;
	}
	if (fetch)
		fr->sum->listed++;
	found = store_fetch_last(fr->fx->app->store, fr->feed->name, fr->where, rf->name, &seen);
	if (found < 0)
		return -1;
	if (found && rf->mtime > 0 && seen.size == (long long)rf->size &&
	    seen.mtime == (long long)rf->mtime) {
		bool present = recorded_copy_present(fr, &seen);

		if (fr->feed->after_fetch == AFTER_FETCH_DELETE && seen.archived && ob->settled)
			delete_remote(fr, c, rf, &seen, ob);
		else if (fetch && present) {
			fr->sum->unchanged++;
			fr->sum->pending += !seen.archived;
		} else if (fetch && !seen.archived)
			log_warn("%s%s: fetched before as %s, which is gone and was never "
			         "ingested; fetching again",
			         fr->where, rf->name, seen.local);
		fetch_seen_release(&seen);
		if (!fetch || present || seen.archived)
			return 0;
	} else {
		fetch_seen_release(&seen);
	}
	if (!fetch)
		return 0;
	if (!ob->settled) {
		log_info("%s%s: waiting for the file to settle (same size and time in listings "
		         "%u s apart)",
		         fr->where, rf->name, fr->fx->app->cfg.settle_seconds);
		fr->sum->waiting++;
		return 0;
	}
	fr->jobs = xgrow(fr->jobs, &fr->ajobs, fr->njobs + 1, sizeof(*fr->jobs));
	j = &fr->jobs[fr->njobs++];
	*j = (struct job){.rf = rf, .safe = spool_incoming_name(rf->name), .rc = LS_EXIT_OK};
	/* A future mtime (server clock or zone off) would make ingest wait: not copied */
	j->set_mtime = rf->mtime > 0 && rf->mtime <= time(NULL);
	return 0;
}

/* Note how far the listed mtime is from what lotsync's clock makes plausible. */
static void
clock_check(struct feed_run *fr, const struct remote_file *rf, long long now,
            long long changed_after)
{
	long long real = (long long)time(NULL);

	if (rf->mtime == 0) {
		fr->n_no_mtime++;
		return;
	}
	if ((long long)rf->mtime > real + CLOCK_SLACK_FUTURE) {
		fr->n_future++;
		if ((long long)rf->mtime - real > fr->clock_off_future)
			fr->clock_off_future = (long long)rf->mtime - real;
	}
	/* It changed after our listing at changed_after, so it was written since then */
	if (changed_after > 0 && changed_after <= now &&
	    (long long)rf->mtime < changed_after - CLOCK_SLACK_BEHIND) {
		fr->n_behind++;
		if (changed_after - (long long)rf->mtime > fr->clock_off_behind)
			fr->clock_off_behind = changed_after - (long long)rf->mtime;
	}
}

/* One warning per feed and run for what clock_check() found. */
static void
clock_warn(const struct feed_run *fr)
{
	if (fr->n_future)
		log_warn("%s: %u listed file(s) have modification times in the future (up to "
		         "%llds ahead of this machine's clock): the server's clock or time zone is "
		         "off (vsftpd: use_localtime=YES); lotsync settles files by its own "
		         "listings, so this is harmless, but fix the server's clock",
		         fr->where, fr->n_future, fr->clock_off_future);
	if (fr->n_behind)
		log_warn("%s: %u file(s) changed since the last listing but show modification "
		         "times %lld s (%.1f h) earlier: the server's clock or time zone is off "
		         "(vsftpd: use_localtime=YES), or the uploader kept old file times; "
		         "lotsync settles files by its own listings, so this is harmless",
		         fr->where, fr->n_behind, fr->clock_off_behind,
		         (double)fr->clock_off_behind / 3600.0);
	if (fr->n_no_mtime)
		log_warn("%s: the server gives no modification times (no MDTM or MLSD modify) for "
		         "%u file(s): they settle when their size is the same in listings "
		         "settle_seconds apart, are downloaded again each time and recognised by "
		         "content%s",
		         fr->where, fr->n_no_mtime,
		         fr->feed->after_fetch == AFTER_FETCH_DELETE
		                 ? ", and after_fetch = delete cannot remove them"
		                 : "");
}

/*
 * Record lotsync's observation of every listed file, in one transaction,
 * and decide which have settled: the same size and mtime first listed at
 * least settle_seconds ago by clock_real(). Files no longer listed are
 * forgotten. -1 on a database error.
 */
static int
observe_listing(struct feed_run *fr, const struct remote_file *files, size_t n)
{
	struct store *st = fr->fx->app->store;
	long long settle = (long long)fr->fx->app->cfg.settle_seconds;
	long long now = (long long)clock_real();

	fr->obs = xcalloc(n ? n : 1, sizeof(*fr->obs));
	fr->nobs = n;
	if (store_begin(st) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct remote_obs o = {.feed = fr->feed->name,
		                       .source = fr->where,
		                       .remote = files[i].name,
		                       .size = (long long)files[i].size,
		                       .mtime = (long long)files[i].mtime,
		                       .now = now};
		struct remote_obs_result r;

		if (!spool_name_is_claimable(files[i].name))
			continue;
		if (store_fetch_observe(st, &o, &r) == -1)
			goto fail;
		fr->obs[i].settled = now - r.first_seen >= settle;
		fr->obs[i].delete_refused = r.delete_refused;
		clock_check(fr, &files[i], now, r.changed_after);
	}
	if (store_fetch_forget_unlisted(st, fr->feed->name, fr->where, now) == -1 ||
	    store_commit(st) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* Remote arrival order: mtime, then name (as the drop folder). */
static int
job_cmp(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	if (x->rf->mtime != y->rf->mtime)
		return x->rf->mtime < y->rf->mtime ? -1 : 1;
	return strcmp(x->rf->name, y->rf->name);
}

static int
feed_run_init(struct feed_run *fr, struct fetcher *fx, const struct feed_conf *feed,
              struct fetch_summary *sum)
{
	memset(fr, 0, sizeof(*fr));
	fr->fx = fx;
	fr->feed = feed;
	fr->sum = sum;
	fr->spool = &fx->app->spool;
	endpoint_of(feed, &fr->ep);
	clock_format(clock_now(), fr->now);
	return spool_prepare_feed(fr->spool, feed->name);
}

static void
feed_run_release(struct feed_run *fr)
{
	for (size_t i = 0; i < fr->njobs; i++) {
		free(fr->jobs[i].safe);
		free(fr->jobs[i].tmp);
	}
	free(fr->jobs);
	for (size_t i = 0; fr->obs && i < fr->nobs; i++)
		free(fr->obs[i].delete_refused);
	free(fr->obs);
	free(fr->where);
}

/* List the feed's source and plan every file; with fetch, download what is new. */
static enum ls_exit
visit_feed(struct fetcher *fx, const struct feed_conf *feed, struct fetch_summary *sum, bool fetch)
{
	struct feed_run fr;
	struct server *srv;
	struct transfer_conn *c = NULL;
	struct remote_file *files = NULL;
	size_t n = 0;
	enum ls_exit rc = LS_EXIT_OK;

	memset(sum, 0, sizeof(*sum));
	if (!fetch_is_remote(feed))
		return LS_EXIT_OK;
	log_scope(feed->name);
	if (feed_run_init(&fr, fx, feed, sum) == -1) {
		note(&fr, LS_EXIT_IOERR);
		goto out;
	}
	if (fetch)
		spool_purge_tmp(fr.spool, SPOOL_INCOMING, feed->name);
	srv = server_for(fx, feed);
	if (!(c = session_get(srv, feed, &rc))) {
		note(&fr, rc);
		goto out;
	}
	if ((rc = transfer_list(c, &files, &n)) != LS_EXIT_OK) {
		note(&fr, rc);
		transfer_close(c);
		goto out;
	}
	/* Refused like a drop folder's entry: warned about, the run exits 65 */
	if (fetch && transfer_unsafe_names(c) > 0)
		note(&fr, LS_EXIT_DATAERR);
	fr.where = xstrdup(transfer_where(c));
	if (observe_listing(&fr, files, n) == -1) {
		note(&fr, store_failure(fr.fx->app->store));
		pool_put(srv, c);
		goto out;
	}
	if (fetch)
		clock_warn(&fr);
	for (size_t i = 0; i < n; i++)
		if (plan_file(&fr, c, i, &files[i], fetch) == -1) {
			note(&fr, store_failure(fr.fx->app->store));
			fr.njobs = 0;
			break;
		}
	if (fr.njobs > 1)
		qsort(fr.jobs, fr.njobs, sizeof(*fr.jobs), job_cmp);
	if (fr.conn_broken) {
		transfer_close(c);
		c = NULL;
	}
	if (fr.njobs > 0)
		run_jobs(&fr, srv, c);
	else if (c)
		pool_put(srv, c);
out:
	transfer_files_free(files, n);
	feed_run_release(&fr);
	log_scope(NULL);
	return fr.status;
}

enum ls_exit
fetch_feed(struct fetcher *fx, const struct feed_conf *feed, struct fetch_summary *sum)
{
	return visit_feed(fx, feed, sum, true);
}

enum ls_exit
fetch_cleanup(struct fetcher *fx, const struct feed_conf *feed, struct fetch_summary *sum)
{
	if (feed->after_fetch != AFTER_FETCH_DELETE) {
		memset(sum, 0, sizeof(*sum));
		return LS_EXIT_OK;
	}
	return visit_feed(fx, feed, sum, false);
}
