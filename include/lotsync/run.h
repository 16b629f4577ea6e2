/*
 * run.h - the batch steps commands share: export and deliver for every
 * target that takes one of the named feeds (all targets when nfeeds is 0).
 * Conditions go to app_status(); -v prints a summary line per target.
 */
#ifndef LOTSYNC_RUN_H
#define LOTSYNC_RUN_H

#include "lotsync/app.h"

void run_targets_for_feeds(struct app *app, int nfeeds, char **feeds);

#endif
