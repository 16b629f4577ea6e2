/*
 * notify_kind.h - the events a [notify:NAME] hook can subscribe to
 * (events = ...), by name. The order is the order events of one run are
 * queued in: the pipeline's (ingest, export, deliver).
 */
#ifndef LOTSYNC_NOTIFY_KIND_H
#define LOTSYNC_NOTIFY_KIND_H

enum notify_kind {
	NOTIFY_QUARANTINED,
	NOTIFY_HELD,
	NOTIFY_DATE_TYPO,
	NOTIFY_VEHICLE,
	NOTIFY_LOCKED,
	NOTIFY_UNLOCKED,
	NOTIFY_DELIVERY_FAILED,
	NOTIFY_VERIFY_FAILED,
	NOTIFY_NKINDS
};

#define NOTIFY_ALL ((1u << NOTIFY_NKINDS) - 1)

/* The event's name ("held", "vehicle", ...). */
const char *notify_kind_name(enum notify_kind k);
/* The kind named s, or -1. */
int notify_kind_parse(const char *s);

#endif
