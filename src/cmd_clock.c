/* cmd_clock.c - accept-clock-jump: an operator's answer to a clock jump (guard.h). */
#include <stdio.h>
#include <stdlib.h>

#include "lotsync/clock.h"
#include "lotsync/cmd.h"
#include "lotsync/log.h"
#include "lotsync/util.h"

int
cmd_accept_clock_jump(struct app *app, int argc, char **argv)
{
	struct clock_jump j;
	char at[CLOCK_ISO_LEN];
	char *by;
	long long n;
	int rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: lotsync accept-clock-jump\n");
		return LS_EXIT_USAGE;
	}
	if ((rc = store_clock_jump_pending(app->store, &j)) == -1)
		return store_failure(app->store);
	if (rc == 1) {
		if (!app->json && log_get_level() >= LOG_WARN)
			printf("no clock jump awaits an operator\n");
		return LS_EXIT_OK;
	}
	by = util_operator_name();
	n = store_clock_jump_accept(app->store, by, clock_format(clock_now(), at));
	free(by);
	if (n < 0)
		return store_failure(app->store);
	app->hold_timed_closes = false;
	if (!app->json && log_get_level() >= LOG_WARN)
		printf("clock jump from %s to %s accepted%s: the next run applies the held "
		       "auto-closes\n",
		       j.from, j.to, n > 1 ? " (with later ones)" : "");
	return LS_EXIT_OK;
}
