/* crash.c - LOTSYNC_CRASH_AT: SIGKILL at the Nth (or named) durable step. */
#include "lotsync/crash.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The test crash-point state STYLE.md allows: the environment, read once
 * (a run never changes it), and the counter.
 */
static struct {
	bool init, list;
	const char *at;
	unsigned long n, target;
} cp;

static void
read_env(void)
{
	char *end;

	if (cp.init)
		return;
	cp.init = true;
	cp.at = getenv("LOTSYNC_CRASH_AT");
	cp.list = getenv("LOTSYNC_CRASH_LIST") != NULL;
	if (cp.at && *cp.at) {
		cp.target = strtoul(cp.at, &end, 10);
		if (*end != '\0')
			cp.target = 0; /* a name, not a number */
	} else {
		cp.at = NULL;
	}
}

bool
crash_armed(void)
{
	read_env();
	return cp.at || cp.list;
}

void
crash_point(const char *name)
{
	read_env();
	if (!cp.at && !cp.list)
		return;
	cp.n++;
	if (cp.list)
		fprintf(stderr, "crash point %lu: %s\n", cp.n, name);
	if (cp.at && ((cp.target && cp.n == cp.target) || (!cp.target && strcmp(cp.at, name) == 0)))
		kill(getpid(), SIGKILL);
}
