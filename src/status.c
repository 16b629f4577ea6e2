/* status.c - combine exit conditions: the most severe wins (SPEC §5). */
#include "lotsync/status.h"

static int
rank(enum ls_exit e)
{
	switch (e) {
	case LS_EXIT_OK: return 0;
	case LS_EXIT_HELD: return 1;
	case LS_EXIT_DATAERR: return 2;
	case LS_EXIT_UNAVAILABLE: return 3;
	case LS_EXIT_TEMPFAIL: return 4;
	case LS_EXIT_SOFTWARE: return 5;
	case LS_EXIT_IOERR: return 6;
	case LS_EXIT_CONFIG: return 7;
	case LS_EXIT_USAGE: return 8;
	}
	return 5;
}

enum ls_exit
status_worse(enum ls_exit a, enum ls_exit b)
{
	return rank(a) >= rank(b) ? a : b;
}
