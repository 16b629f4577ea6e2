/* crash.c - LOTSYNC_CRASH_AT: SIGKILL at the Nth (or named) durable step. */
#include "lotsync/crash.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool
crash_armed(void)
{
	const char *at = getenv("LOTSYNC_CRASH_AT");

	return (at && *at) || getenv("LOTSYNC_CRASH_LIST") != NULL;
}

void
crash_point(const char *name)
{
	/*
	 * The counter is the test crash-point state STYLE.md allows; the
	 * environment is read once, as a run never changes it.
	 */
	static bool init;
	static const char *at;
	static bool list;
	static unsigned long n, target;

	if (!init) {
		char *end;

		init = true;
		at = getenv("LOTSYNC_CRASH_AT");
		list = getenv("LOTSYNC_CRASH_LIST") != NULL;
		if (at && *at) {
			target = strtoul(at, &end, 10);
			if (*end != '\0')
				target = 0; /* a name, not a number */
		} else {
			at = NULL;
		}
	}
	if (!at && !list)
		return;
	n++;
	if (list)
		fprintf(stderr, "crash point %lu: %s\n", n, name);
	if (at && ((target && n == target) || (!target && strcmp(at, name) == 0)))
		kill(getpid(), SIGKILL);
}
