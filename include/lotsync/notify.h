/*
 * notify.h - [notify:NAME] hooks: tell people when a snapshot is held, a
 * file quarantined, a target locks or unlocks, a delivery fails, and (with
 * events = vehicle) when a vehicle is published, unpublished or sold.
 *
 * notify_run() is called once after each state-changing command (not in a
 * dry run). It queues the command's events in the database, then sends each
 * hook's queue oldest first: url = http(s)://... gets a POST of the event's
 * JSON, command = ... gets it on stdin (run by /bin/sh). A hook that fails
 * keeps its events queued for the next run (and its later ones behind
 * them, so they arrive in order); events older than its retention_days are
 * dropped with a warning. A failing hook is a warning only: notify_run()
 * never changes the run's exit code.
 */
#ifndef LOTSYNC_NOTIFY_H
#define LOTSYNC_NOTIFY_H

#include "lotsync/app.h"

void notify_run(struct app *app);

struct verify_report;

/*
 * verify found problems: queue one verify_failed event (counts and the
 * first problem) for each hook that wants it and send those hooks' queues.
 * verify holds the database read-only, so this opens a second, writable
 * handle, only now and only when a hook wants the event. Each failed
 * verify is one event, queued exactly once (one transaction); a hook that
 * is down gets it at the next run or verify. Never changes the exit code.
 */
void notify_verify_failed(struct app *app, const struct verify_report *r);

#endif
