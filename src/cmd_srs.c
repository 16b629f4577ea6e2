/* cmd_srs.c - `lotsync srs [--feed F] [--open|--closed]`: service requests (SPEC §5). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lotsync/cmd.h"
#include "lotsync/json.h"
#include "lotsync/log.h"
#include "lotsync/store_rules.h"

static void
sr_json(struct json *j, const struct sr_info *r)
{
	json_obj(j);
	json_key(j, "id");
	json_int(j, r->id);
	json_key(j, "feed");
	json_str(j, r->feed);
	json_key(j, "vin");
	json_str(j, r->vin);
	json_key(j, "dealer_id");
	json_str(j, r->dealer_id);
	json_key(j, "client");
	json_str(j, r->client);
	json_key(j, "stock_no");
	json_str(j, r->stock_no);
	json_key(j, "vehicle_type");
	json_str(j, r->vehicle_type);
	json_key(j, "sr_type");
	json_str(j, r->sr_type);
	json_key(j, "status");
	json_str(j, r->status);
	json_key(j, "created_at");
	json_str(j, r->created_at);
	json_key(j, "closed_at");
	json_str(j, r->closed_at);
	json_key(j, "close_reason");
	json_str(j, r->close_reason);
	json_end(j);
}

static const char *
dash(const char *s)
{
	return s ? s : "-";
}

static void
print_list(const struct sr_info *list, size_t n, bool json)
{
	struct json j;

	if (!json) {
		printf("%-5s %-10s %-17s %-8s %-16s %-10s %-8s %-8s %-6s %-20s %s\n", "ID", "FEED",
		       "VIN", "DEALER", "CLIENT", "STOCK", "TYPE", "SR_TYPE", "STATUS", "CREATED",
		       "CLOSED");
		for (size_t i = 0; i < n; i++)
			printf("%-5lld %-10s %-17s %-8s %-16s %-10s %-8s %-8s %-6s %-20s %s%s%s\n",
			       list[i].id, list[i].feed, list[i].vin, dash(list[i].dealer_id),
			       dash(list[i].client), dash(list[i].stock_no),
			       dash(list[i].vehicle_type), dash(list[i].sr_type), list[i].status,
			       list[i].created_at, dash(list[i].closed_at),
			       list[i].close_reason ? "  " : "",
			       list[i].close_reason ? list[i].close_reason : "");
		return;
	}
	json_init(&j);
	json_arr(&j);
	for (size_t i = 0; i < n; i++)
		sr_json(&j, &list[i]);
	json_end(&j);
	json_print(&j);
}

int
cmd_srs(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"feed", required_argument, NULL, 'f'},
	                                         {"open", no_argument, NULL, 'o'},
	                                         {"closed", no_argument, NULL, 'c'},
	                                         {NULL, 0, NULL, 0}};
	const char *feed = NULL, *status = NULL;
	struct sr_info *list = NULL;
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'f') {
			feed = optarg;
		} else if ((c == 'o' || c == 'c') && !status) {
			status = c == 'o' ? "open" : "closed";
		} else {
			fprintf(stderr, "usage: lotsync srs [--feed F] [--open|--closed]\n");
			return LS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: lotsync srs [--feed F] [--open|--closed]\n");
		return LS_EXIT_USAGE;
	}
	if (feed && !config_feed(&app->cfg, feed)) {
		log_error("no feed named '%s' in %s", feed, app->cfg.path);
		return LS_EXIT_USAGE;
	}
	if (app->store && store_sr_list(app->store, feed, status, &list, &n) == -1)
		return LS_EXIT_SOFTWARE;
	print_list(list, n, app->json);
	sr_list_free(list, n);
	return LS_EXIT_OK;
}
