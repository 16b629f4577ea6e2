/*
 * cmd_decide.c - the operator's answers to a held snapshot (SPEC §5, §8):
 * 'accept SNAPSHOT' applies it, 'reject SNAPSHOT' refuses it for good.
 * Either may move the feed's current vehicles, so either ends with the
 * export and delivery of the feed's targets (batchrun.h, shared with the
 * batch commands).
 */
#include <stdio.h>

#include "lotsync/batchrun.h"
#include "lotsync/cmd.h"
#include "lotsync/ingest.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

/* One line saying what the decision did (not with -q or --json). */
static void
print_decision(const struct app *app, const struct snapshot_info *s, bool accept)
{
	if (app->json || log_get_level() < LOG_WARN)
		return;
	if (accept)
		printf("snapshot %lld of feed %s accepted: %lld vehicles applied (%lld new, "
		       "%lld changed, %lld vanished)\n",
		       s->id, s->feed, s->vehicles, s->new_, s->changed, s->vanished);
	else
		printf("snapshot %lld of feed %s rejected: nothing applied, its file stays "
		       "archived\n",
		       s->id, s->feed);
}

/* accept / reject SNAPSHOT: an operator's decision on a held snapshot. */
static int
decide(struct app *app, int argc, char **argv, bool accept)
{
	unsigned long long id;
	struct snapshot_info s;
	struct batchrun b;
	char *feed;

	if (argc != 2 || parse_uint(argv[1], (1ULL << 62), &id) == -1 || id == 0) {
		fprintf(stderr, "usage: lotsync %s SNAPSHOT\n", argv[0]);
		return LS_EXIT_USAGE;
	}
	batchrun_init(&b, app, 0, NULL);
	b.srs = srs_run_new();
	batchrun_note(&b, ingest_decide(app, b.srs, (long long)id, accept));
	if (b.status != LS_EXIT_OK)
		return batchrun_finish(&b);
	/* The feed's current vehicles may have moved: its targets export and deliver now. */
	if (store_snapshot_get(app->store, (long long)id, &s) == 0) {
		print_decision(app, &s, accept);
		feed = s.feed;
		b.argc = 1;
		b.argv = &feed;
		batchrun_export_deliver(&b, true);
		snapshot_info_release(&s);
	}
	return batchrun_finish(&b);
}

int
cmd_accept(struct app *app, int argc, char **argv)
{
	return decide(app, argc, argv, true);
}

int
cmd_reject(struct app *app, int argc, char **argv)
{
	return decide(app, argc, argv, false);
}
