/* cmd_report.c - `lotsync report --html FILE [--feed F] [--rows N]`: options and exit code. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lotsync/cmd.h"
#include "lotsync/log.h"
#include "lotsync/report.h"
#include "lotsync/util.h"

static int
usage(void)
{
	fputs("usage: lotsync report --html FILE [--feed F] [--rows N]\n", stderr);
	return LS_EXIT_USAGE;
}

int
cmd_report(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {{"html", required_argument, NULL, 'H'},
	                                         {"feed", required_argument, NULL, 'f'},
	                                         {"rows", required_argument, NULL, 'r'},
	                                         {NULL, 0, NULL, 0}};
	struct report_opts o = {.max_rows = REPORT_MAX_ROWS};
	struct verify_report v;
	const char *html = NULL;
	unsigned long long rows;
	enum ls_exit rc;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'H')
			html = optarg;
		else if (c == 'f')
			o.feed = optarg;
		else if (c == 'r' && parse_uint(optarg, (unsigned long long)1 << 40, &rows) == 0)
			o.max_rows = (long long)rows;
		else
			return usage();
	}
	if (optind != argc || !html || !*html || str_endswith(html, "/"))
		return usage();
	if (o.feed && !config_feed(&app->cfg, o.feed)) {
		log_error("no feed named '%s' in %s", o.feed, app->cfg.path);
		return LS_EXIT_USAGE;
	}
	if ((rc = report_write(app, html, &o, &v)) != LS_EXIT_OK)
		return rc;
	/* The report is written and says so; the exit code tells cron and monitoring too. */
	return v.problems ? LS_EXIT_DATAERR : LS_EXIT_OK;
}
