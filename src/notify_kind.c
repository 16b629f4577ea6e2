/* notify_kind.c - names of the notification events. */
#include "lotsync/notify_kind.h"

#include <string.h>

static const char *const names[NOTIFY_NKINDS] = {
        [NOTIFY_QUARANTINED] = "quarantined",
        [NOTIFY_HELD] = "held",
        [NOTIFY_DATE_TYPO] = "date_typo",
        [NOTIFY_VEHICLE] = "vehicle",
        [NOTIFY_LOCKED] = "locked",
        [NOTIFY_UNLOCKED] = "unlocked",
        [NOTIFY_DELIVERY_FAILED] = "delivery_failed",
        [NOTIFY_VERIFY_FAILED] = "verify_failed",
};

const char *
notify_kind_name(enum notify_kind k)
{
	return (unsigned)k < NOTIFY_NKINDS ? names[k] : "?";
}

int
notify_kind_parse(const char *s)
{
	for (int i = 0; i < NOTIFY_NKINDS; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}
