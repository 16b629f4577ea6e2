/*
 * cmd_retry.c - lotsync retry FILE: put a quarantined file back into its
 * feed's incoming/ folder (after a profile fix, say) so the next run reads
 * it again. The step is an entry of the audit chain (kind "retry": who,
 * when, which file and content), written in the transaction that surrounds
 * the move, so verify covers it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsync/clock.h"
#include "lotsync/cmd.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/spool.h"
#include "lotsync/util.h"

struct quarantined {
	char *feed, *qname; /* failed/<feed>/<qname> */
	char *name, *sha;   /* from its .reason: the name it arrived under, its SHA-256 */
};

/* The "file:" and "sha256:" lines of failed/<feed>/<qname>.reason. */
static int
read_reason(struct app *app, struct quarantined *q)
{
	char *rname = xasprintf("%s.reason", q->qname);
	char *path = spool_path(&app->spool, SPOOL_FAILED, q->feed), *full;
	char line[1024];
	FILE *fp;

	full = xasprintf("%s/%s", path, rname);
	free(path);
	free(rname);
	if (!(fp = fopen(full, "r"))) {
		log_syserr("%s: cannot read why it was quarantined", full);
		free(full);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (str_startswith(line, "file: ") && !q->name)
			q->name = xstrdup(line + 6);
		else if (str_startswith(line, "sha256: ") && !q->sha)
			q->sha = xstrdup(line + 8);
	}
	fclose(fp);
	if (!q->name || !q->sha || !spool_name_is_claimable(q->name)) {
		log_error("%s: no usable file: and sha256: lines", full);
		free(full);
		return -1;
	}
	free(full);
	return 0;
}

static bool
exists_in_failed(struct app *app, const char *feed, const char *name)
{
	char *dir = spool_path(&app->spool, SPOOL_FAILED, feed);
	char *p = xasprintf("%s/%s", dir, name);
	bool ok = name[0] != '.' && !strchr(name, '/') && !str_endswith(name, ".reason") &&
	          access(p, F_OK) == 0;

	free(p);
	free(dir);
	return ok;
}

/* FILE as FEED/NAME, a path ending in failed/FEED/NAME, or a NAME one feed has. */
static int
find(struct app *app, const char *arg, struct quarantined *q)
{
	const char *slash = strrchr(arg, '/');
	size_t found = 0;

	if (slash) {
		const char *start = slash;

		while (start > arg && start[-1] != '/')
			start--;
		q->feed = xstrndup(start, (size_t)(slash - start));
		q->qname = xstrdup(slash + 1);
		if (config_feed(&app->cfg, q->feed) && exists_in_failed(app, q->feed, q->qname))
			return 0;
		log_error("%s: no such quarantined file (failed/%s/%s)", arg, q->feed, q->qname);
		return -1;
	}
	for (size_t i = 0; i < app->cfg.nfeeds; i++)
		if (exists_in_failed(app, app->cfg.feeds[i].name, arg)) {
			if (found++ == 0)
				q->feed = xstrdup(app->cfg.feeds[i].name);
		}
	if (found == 1) {
		q->qname = xstrdup(arg);
		return 0;
	}
	log_error(found ? "%s is quarantined for several feeds: name one as FEED/%s"
	                : "%s: no such quarantined file in any feed's failed/ (%s)",
	          arg, arg);
	return -1;
}

static char *
manifest(const struct quarantined *q, const char *local, const char *at, const char *by)
{
	struct json j;

	json_init(&j);
	json_obj(&j);
	json_key(&j, "kind");
	json_str(&j, "retry");
	json_key(&j, "at");
	json_str(&j, at);
	json_key(&j, "by");
	json_str(&j, by);
	json_key(&j, "feed");
	json_str(&j, q->feed);
	json_key(&j, "file");
	json_str(&j, q->qname);
	json_key(&j, "sha256");
	json_str(&j, q->sha);
	json_key(&j, "incoming");
	json_str(&j, local);
	json_end(&j);
	return json_detach(&j);
}

int
cmd_retry(struct app *app, int argc, char **argv)
{
	struct quarantined q = {0};
	char now[CLOCK_ISO_LEN], *by = NULL, *local = NULL, *m = NULL;
	int rc = LS_EXIT_USAGE;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: lotsync retry FILE\n");
		return LS_EXIT_USAGE;
	}
	if (find(app, argv[1], &q) == -1)
		goto out;
	rc = LS_EXIT_IOERR;
	if (read_reason(app, &q) == -1 || spool_prepare_feed(&app->spool, q.feed) == -1)
		goto out;
	clock_format(clock_now(), now);
	by = util_operator_name();
	if (store_begin(app->store) == -1)
		goto out;
	if (!(local = spool_requeue(&app->spool, q.feed, q.qname, q.name, q.sha))) {
		store_rollback(app->store);
		goto out;
	}
	m = manifest(&q, local, now, by);
	if (store_chain_event(app->store, "retry", now, by, m) == -1 ||
	    store_commit(app->store) == -1) {
		store_rollback(app->store);
		log_error("failed/%s/%s is back in incoming/%s/%s but the audit chain could not "
		          "record it",
		          q.feed, q.qname, q.feed, local);
		goto out;
	}
	printf("failed/%s/%s is back in incoming/%s/ as %s; the next run reads it again "
	       "(recorded in the audit chain)\n",
	       q.feed, q.qname, q.feed, local);
	rc = LS_EXIT_OK;
out:
	free(q.feed);
	free(q.qname);
	free(q.name);
	free(q.sha);
	free(by);
	free(local);
	free(m);
	return rc;
}
