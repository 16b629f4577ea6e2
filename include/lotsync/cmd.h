/*
 * cmd.h - the commands of SPEC §5, one src/cmd_<family>.c per group (the
 * layout of git's builtin/): cli.c's table dispatches to these. Each gets
 * argv from the command name on, parses its own options (getopt_long,
 * optind already reset), does its work on app (configuration, spool and
 * store as the table's needs say) and returns an exit code (status.h).
 * Commands never call each other; what two of them share lives below them
 * (batchrun, view, report, the stages and services).
 */
#ifndef LOTSYNC_CMD_H
#define LOTSYNC_CMD_H

#include "lotsync/app.h"

/* cmd_batch.c: the batch (fetch, ingest, export, deliver). */
int cmd_run(struct app *app, int argc, char **argv);
int cmd_fetch(struct app *app, int argc, char **argv);
int cmd_ingest(struct app *app, int argc, char **argv);
int cmd_export(struct app *app, int argc, char **argv);
int cmd_deliver(struct app *app, int argc, char **argv);

/* cmd_decide.c: the operator's answers to a held snapshot (then the batch's export, delivery). */
int cmd_accept(struct app *app, int argc, char **argv);
int cmd_reject(struct app *app, int argc, char **argv);

/* cmd_status.c: what awaits an operator; whether the configuration holds. */
int cmd_status(struct app *app, int argc, char **argv);
int cmd_check_config(struct app *app, int argc, char **argv);

/* cmd_audit.c: the auditor's read-only views of the store. */
int cmd_snapshots(struct app *app, int argc, char **argv);
int cmd_show(struct app *app, int argc, char **argv);
int cmd_diff(struct app *app, int argc, char **argv);
int cmd_history(struct app *app, int argc, char **argv);
int cmd_verify(struct app *app, int argc, char **argv);

/* cmd_target.c: the operator's answers to a waiting target. */
int cmd_unlock(struct app *app, int argc, char **argv);
int cmd_release(struct app *app, int argc, char **argv);

/* cmd_srs.c: service requests. */
int cmd_srs(struct app *app, int argc, char **argv);

/* cmd_report.c: the HTML report (report.c writes it). */
int cmd_report(struct app *app, int argc, char **argv);

/* cmd_builtin.c: the profiles and formats a configuration may name. */
int cmd_profiles(struct app *app, int argc, char **argv);
int cmd_formats(struct app *app, int argc, char **argv);
int cmd_retry(struct app *app, int argc, char **argv); /* cmd_retry.c */
/* cmd_erase.c: a person's data out of the database, the archive and the exports. */
int cmd_erase_person(struct app *app, int argc, char **argv);
/* cmd_clock.c: accept a clock jump, so held auto-closes apply (guard.h). */
int cmd_accept_clock_jump(struct app *app, int argc, char **argv);

#endif
